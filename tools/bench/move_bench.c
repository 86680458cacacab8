// SPDX-License-Identifier: GPL-2.0
/*
 * move_bench - move_pages(2) throughput between two NUMA nodes by folio size.
 *
 *   move_bench [--sizes=4K,16K,...] [--total=MiB] [--runs=N] [--label=TEXT]
 *              [--migrator=NAME|none] [--param=NAME=VALUE]... [--max-batch=PAGES]
 *              [--latency] [--nodes=A,B]
 *   move_bench --config=LABEL:MIGRATOR[:NAME=VALUE,...]... [--rounds=N]
 *              [--sizes=...] [--total=MiB] [--max-batch=PAGES] [--latency]
 *              [--cpu-log=FILE] [--nodes=A,B]
 *
 * --nodes=A,B (default 0,1) names the two NUMA nodes, each with memory:
 * below, "node 0" is A and "node 1" is B. For each folio size, maps
 * --total MiB on node 0 in folios of that size
 * (asserting they really are that size), then moves it to node 1 and back
 * --runs times with one move_pages(2) call per direction, one address per
 * folio. Every move is checked (return value, each status, the node of every
 * 4 KiB page) and every byte verified, outside the timed region. Prints one
 * line per size: "label size median_GBps stddev_GBps runs first_folio_us".
 *
 * --migrator routes move_pages(2) (reason syscall_or_cpuset) to a migrator
 * of /dev/migrate_offload ("none": no offload), --param sets its parameters,
 * --max-batch the batch cap; everything is restored to "no offload" and the
 * default cap at exit. --latency reads the mm_migrate_first_folio trace
 * event and reports the median first-folio latency (else 0).
 *
 * Interleaved mode (--config, given once per configuration): for each folio
 * size, one buffer is mapped and moved in --rounds rounds (default 15) plus
 * a warm-up round 0. In every round each configuration in turn is applied
 * (route syscall_or_cpuset to MIGRATOR, or no offload for "none"; set the
 * NAME=VALUE parameters; "batch=PAGES" sets the batch cap of that
 * configuration, else --max-batch or the default applies; "latency=US" a
 * first-folio latency target, else none; "auto=1" routes with
 * MIGOFF_ROUTE_AUTO, the automatic choice between MIGRATOR and the CPU)
 * and the buffer is
 * moved to node 1 and back, each move checked and verified as above. The
 * order rotates by one configuration per round, so that no configuration
 * always runs first or right after another. Nothing is summarised: one line
 * per move, "label size round node seconds GBps first_folio_us", where node
 * is the destination and round 0 is the warm-up. tools/bench/stats.py turns
 * these lines into per-round ratios against a reference configuration.
 *
 * --cpu-log=FILE (interleaved mode) writes, per move, where its wall time
 * went: "label size round node seconds cpu_seconds ipis tlb_ipis
 * verify_seconds", the CPU time the moving thread spent in move_pages(2),
 * the function-call and TLB-shootdown interrupts all CPUs took meanwhile
 * (/proc/interrupts), and the time the verification right after it took
 * (a fixed amount of user-space work: a yardstick of the vCPU's speed at
 * that moment). A move whose CPU time is far below its wall time waited
 * (for another CPU, a work item, a grace period); one whose CPU time is
 * its wall time was slow on its own CPU, and a slow verification next to
 * it says the vCPU itself was slow then.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <numa.h>
#include <unistd.h>

#include "migoff_dev.h"
#include "migoff_util.h"

#define TRACING "/sys/kernel/tracing/"

static bool latency;
static FILE *cpu_log;
/* --nodes=A,B: the buffer starts on node_a and moves to node_b and back. */
static int node_a, node_b = 1;

/* Sum over CPUs of /proc/interrupts lines CAL and TLB. */
static void ipis_read(long long *cal, long long *tlb)
{
	char line[4096], *p, *end;
	long long *sum;
	FILE *f = fopen("/proc/interrupts", "r");

	*cal = *tlb = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (!strncmp(p, "CAL:", 4))
			sum = cal;
		else if (!strncmp(p, "TLB:", 4))
			sum = tlb;
		else
			continue;
		for (p += 4;; p = end) {
			long long v = strtoll(p, &end, 10);

			if (end == p)
				break;
			*sum += v;
		}
	}
	fclose(f);
}

/* One configuration of the interleaved mode. */
#define MAX_PARAMS 8
#define MAX_CONFIGS 32
struct bench_config {
	char *spec;			/* strdup of the --config argument */
	const char *label;
	const char *migrator;		/* "none": no offload */
	char *params[MAX_PARAMS];	/* NAME=VALUE */
	int nparams;
	long max_batch;			/* -1: the --max-batch default */
	long latency_us;		/* first-folio latency target; 0: none */
	bool auto_route;		/* MIGOFF_ROUTE_AUTO */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * "A,B": two different nodes, below 64 (migoff_buf_alloc()'s node mask is
 * one word). 0, or -1 when malformed.
 */
static int parse_nodes(const char *s, int *a, int *b)
{
	char *end;
	long x, y;

	errno = 0;
	x = strtol(s, &end, 10);
	if (end == s || *end != ',' || x < 0 || x > 63 || errno)
		return -1;
	s = end + 1;
	y = strtol(s, &end, 10);
	if (end == s || *end || y < 0 || y > 63 || y == x || errno)
		return -1;
	*a = x;
	*b = y;
	return 0;
}

/* 0 when @node has memory this task may allocate, else -1 (said why). */
static int node_check(int node)
{
	if (numa_available() < 0) {
		fprintf(stderr, "move_bench: no NUMA support (numa_available)\n");
		return -1;
	}
	if (node > numa_max_node() || !numa_bitmask_isbitset(numa_all_nodes_ptr, node)) {
		fprintf(stderr, "move_bench: node %d has no memory this task may use\n", node);
		return -1;
	}
	return 0;
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end == 'K' || *end == 'k')
		return v << 10;
	if (*end == 'M' || *end == 'm')
		return v << 20;
	return *end ? 0 : v;
}

/* Truncating the trace file clears the ring buffer. */
static void trace_clear(void)
{
	int tfd = open(TRACING "trace", O_WRONLY | O_TRUNC);

	if (tfd >= 0)
		close(tfd);
}

/* Median mm_migrate_first_folio latency in the trace buffer, in us. */
static double first_folio_us(void)
{
	FILE *f = fopen(TRACING "trace", "r");
	double *v = NULL, med = 0;
	size_t n = 0, cap = 0;
	char line[512], *p;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		p = strstr(line, "mm_migrate_first_folio:");
		p = p ? strstr(p, "latency_ns=") : NULL;
		if (!p)
			continue;
		if (n == cap) {
			double *nv = realloc(v, (cap = cap ? 2 * cap : 256) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[n++] = strtod(p + 11, NULL) / 1000;
	}
	fclose(f);
	if (n) {
		qsort(v, n, sizeof(*v), cmp_double);
		med = v[n / 2];
	}
	free(v);
	return med;
}

static int bench_one(const char *label, size_t folio, size_t total, int runs)
{
	struct migoff_buf b;
	double *gbps = calloc(2 * runs, sizeof(*gbps)), mean = 0, var = 0;
	char why[256];
	int i, n = 0, node;
	long bad;

	if (!gbps)
		return -1;
	if (migoff_buf_alloc(&b, total, folio, node_a, folio, why, sizeof(why))) {
		fprintf(stderr, "move_bench: %zuK folios: %s\n", folio >> 10, why);
		free(gbps);
		return -1;
	}
	if (latency)
		trace_clear();
	for (i = 0; i < 2 * runs; i++) {
		double secs;

		node = !(i & 1) ? node_b : node_a;
		if (migoff_move(&b, node, &secs, why, sizeof(why))) {
			fprintf(stderr, "move_bench: %zuK folios: %s\n", folio >> 10, why);
			goto fail;
		}
		bad = migoff_verify(b.mem, total, folio);
		if (bad != -1) {
			fprintf(stderr, "move_bench: %zuK folios: byte %ld wrong after move to node %d\n",
				folio >> 10, bad, node);
			goto fail;
		}
		gbps[n++] = total / secs / 1e9;
	}
	for (i = 0; i < n; i++)
		mean += gbps[i] / n;
	for (i = 0; i < n; i++)
		var += (gbps[i] - mean) * (gbps[i] - mean) / n;
	qsort(gbps, n, sizeof(*gbps), cmp_double);
	printf("%s %zuK %.3f %.3f %d %.0f\n", label, folio >> 10,
	       n % 2 ? gbps[n / 2] : (gbps[n / 2 - 1] + gbps[n / 2]) / 2,
	       sqrt(var), n, latency ? first_folio_us() : 0.0);
	fflush(stdout);
	migoff_buf_free(&b);
	free(gbps);
	return 0;
fail:
	migoff_buf_free(&b);
	free(gbps);
	return -1;
}

/* Parse "LABEL:MIGRATOR[:NAME=VALUE,...]" into @c. 0, or -1 when malformed. */
static int config_parse(struct bench_config *c, const char *arg)
{
	char *p, *tok, *save = NULL;

	memset(c, 0, sizeof(*c));
	c->max_batch = -1;
	c->spec = strdup(arg);
	if (!c->spec)
		return -1;
	c->label = c->spec;
	p = strchr(c->spec, ':');
	if (!p || p == c->spec)
		return -1;
	*p++ = '\0';
	c->migrator = p;
	p = strchr(p, ':');
	if (p)
		*p++ = '\0';
	if (!*c->migrator || strchr(c->label, ' '))
		return -1;
	for (tok = p ? strtok_r(p, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok || !eq[1])
			return -1;
		if (!strncmp(tok, "batch=", 6)) {
			c->max_batch = strtol(eq + 1, NULL, 10);
			continue;
		}
		if (!strncmp(tok, "latency=", 8)) {
			c->latency_us = strtol(eq + 1, NULL, 10);
			if (c->latency_us <= 0 || !strcmp(c->migrator, "none"))
				return -1;
			continue;
		}
		if (!strcmp(tok, "auto=1")) {
			if (!strcmp(c->migrator, "none"))
				return -1;
			c->auto_route = true;
			continue;
		}
		if (c->nparams == MAX_PARAMS || !strcmp(c->migrator, "none"))
			return -1;
		c->params[c->nparams++] = tok;
	}
	return 0;
}

/*
 * Route syscall_or_cpuset as @c says: no offload, the batch cap, the
 * parameters, then the route. Parameters @c does not name keep their value.
 */
static int config_apply(struct migoff_ctx *ctx, const struct bench_config *c,
			long default_batch)
{
	long batch = c->max_batch >= 0 ? c->max_batch : default_batch;
	int err, i;

	if (!ctx)	/* every configuration is "none" at the default cap */
		return 0;
	err = migoff_disable(ctx, MIGOFF_REASONS_ALL);
	if (!err)
		err = migoff_set_batch(ctx, MIGOFF_BATCH_SET_MAX_PAGES, batch > 0 ? batch : 0, 0);
	if (!err)
		err = set_latency(ctx, c->latency_us);
	for (i = 0; !err && i < c->nparams; i++) {
		char *eq = strchr(c->params[i], '=');

		*eq = '\0';
		err = migoff_set_param(ctx, c->migrator, c->params[i],
				       strtoull(eq + 1, NULL, 10));
		*eq = '=';
	}
	if (!err && strcmp(c->migrator, "none"))
		err = migoff_enable_flags(ctx, MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL), c->migrator,
					  c->auto_route ? MIGOFF_ROUTE_AUTO : 0);
	if (err)
		fprintf(stderr, "move_bench: configuring %s (%s): %s\n", c->label,
			c->migrator, strerror(-err));
	return err;
}

/*
 * What the kernel did besides copying, summed per configuration over the
 * timed rounds and printed on stderr after each folio size: large folios
 * split or not migrated, and compaction stalls (destination allocations
 * of large folios), which dominate the noise of large-folio moves.
 */
static const char *const vm_keys[] = {
	"thp_migration_success", "thp_migration_split", "thp_migration_fail",
	"compact_stall", "pgmigrate_fail",
};
#define NR_VM_KEYS	(sizeof(vm_keys) / sizeof(vm_keys[0]))

static void vm_read(long long *v)
{
	unsigned int i;

	for (i = 0; i < NR_VM_KEYS; i++)
		v[i] = migoff_vmstat(vm_keys[i]);
}

/*
 * Interleaved mode for one folio size: rounds 0 (warm-up) to @rounds, each
 * configuration once per round, starting one further each round; each turn
 * moves the buffer to node 1 and back. One output line per move.
 */
static int bench_interleaved(struct migoff_ctx *ctx, struct bench_config *cfg, int ncfg,
			     long default_batch, size_t folio, size_t total,
			     int rounds)
{
	static long long vm_sum[MAX_CONFIGS][NR_VM_KEYS];
	long long vm0[NR_VM_KEYS], vm1[NR_VM_KEYS];
	struct migoff_buf b;
	char why[256];
	int r, k, m, node, rc = -1;
	unsigned int i;
	long bad;

	if (migoff_buf_alloc(&b, total, folio, node_a, folio, why, sizeof(why))) {
		fprintf(stderr, "move_bench: %zuK folios: %s\n", folio >> 10, why);
		return -1;
	}
	memset(vm_sum, 0, sizeof(vm_sum));
	for (r = 0; r <= rounds; r++) {
		for (k = 0; k < ncfg; k++) {
			const struct bench_config *c = &cfg[(r + k) % ncfg];

			if (config_apply(ctx, c, default_batch))
				goto out;
			vm_read(vm0);
			for (m = 0; m < 2; m++) {
				long long cal0, tlb0, cal1, tlb1;
				double secs, cpu, vt;

				node = m ? node_a : node_b;
				if (latency)
					trace_clear();
				if (cpu_log)
					ipis_read(&cal0, &tlb0);
				if (migoff_move_cpu(&b, node, &secs, &cpu, why, sizeof(why))) {
					fprintf(stderr, "move_bench: %s, %zuK folios, round %d: %s\n",
						c->label, folio >> 10, r, why);
					goto out;
				}
				vt = migoff_now(CLOCK_MONOTONIC);
				bad = migoff_verify(b.mem, total, folio);
				vt = migoff_now(CLOCK_MONOTONIC) - vt;
				if (cpu_log) {
					ipis_read(&cal1, &tlb1);
					fprintf(cpu_log, "%s %zuK %d %d %.6f %.6f %lld %lld %.6f\n",
						c->label, folio >> 10, r, node, secs, cpu,
						cal1 - cal0, tlb1 - tlb0, vt);
					fflush(cpu_log);
				}
				if (bad != -1) {
					fprintf(stderr, "move_bench: %s, %zuK folios, round %d: byte %ld wrong after move to node %d\n",
						c->label, folio >> 10, r, bad, node);
					goto out;
				}
				printf("%s %zuK %d %d %.6f %.4f %.0f\n", c->label,
				       folio >> 10, r, node, secs, total / secs / 1e9,
				       latency ? first_folio_us() : 0.0);
				fflush(stdout);
			}
			vm_read(vm1);
			for (i = 0; r && i < NR_VM_KEYS; i++)
				vm_sum[(r + k) % ncfg][i] += vm1[i] - vm0[i];
		}
	}
	for (k = 0; k < ncfg; k++) {
		fprintf(stderr, "move_bench: vmstat %s %zuK:", cfg[k].label, folio >> 10);
		for (i = 0; i < NR_VM_KEYS; i++)
			fprintf(stderr, " %s=%lld", vm_keys[i], vm_sum[k][i]);
		fprintf(stderr, "\n");
	}
	rc = 0;
out:
	migoff_buf_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "total", required_argument, NULL, 't' },
		{ "runs", required_argument, NULL, 'r' },
		{ "label", required_argument, NULL, 'l' },
		{ "migrator", required_argument, NULL, 'm' },
		{ "param", required_argument, NULL, 'p' },
		{ "max-batch", required_argument, NULL, 'b' },
		{ "latency", no_argument, NULL, 'L' },
		{ "config", required_argument, NULL, 'C' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "cpu-log", required_argument, NULL, 'P' },
		{ "nodes", required_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	char *sizes = strdup("4K,16K,64K,256K,1M,2M"), *tok, *save = NULL;
	const char *label = "run";
	struct migoff_thp_state thp;
	size_t total = MiB(128);
	struct migoff_ctx *ctx = NULL;
	int runs = 5, c, rc = 0, err;
	const char *migrator = NULL;
	char *params[8];
	int nparams = 0;
	long max_batch = -1;
	struct bench_config cfg[MAX_CONFIGS];
	int ncfg = 0, rounds = 15, i;
	bool single_opts = false, need_dev = false;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(sizes);
			sizes = strdup(optarg);
			break;
		case 't':
			total = MiB(strtoul(optarg, NULL, 10));
			break;
		case 'r':
			runs = atoi(optarg);
			single_opts = true;
			break;
		case 'l':
			label = optarg;
			single_opts = true;
			break;
		case 'm':
			migrator = optarg;
			single_opts = true;
			break;
		case 'C':
			if (ncfg < MAX_CONFIGS && !config_parse(&cfg[ncfg], optarg)) {
				need_dev |= strcmp(cfg[ncfg].migrator, "none") ||
					    cfg[ncfg].max_batch >= 0;
				ncfg++;
				break;
			}
			fprintf(stderr, "move_bench: --config=LABEL:MIGRATOR[:NAME=VALUE,...] "
				"(\"none\" takes no parameters but batch=), at most %d\n",
				MAX_CONFIGS);
			if (ncfg < MAX_CONFIGS)
				free(cfg[ncfg].spec);
			rc = 2;
			goto out_args;
		case 'R':
			rounds = atoi(optarg);
			break;
		case 'p':
			single_opts = true;
			if (nparams < 8 && strchr(optarg, '=')) {
				params[nparams++] = optarg;
				break;
			}
			fprintf(stderr, "move_bench: --param=NAME=VALUE, at most 8\n");
			rc = 2;
			goto out_args;
		case 'b':
			max_batch = strtol(optarg, NULL, 10);
			break;
		case 'L':
			latency = true;
			break;
		case 'N':
			if (!parse_nodes(optarg, &node_a, &node_b))
				break;
			fprintf(stderr, "move_bench: --nodes=A,B: two different nodes, 0..63\n");
			rc = 2;
			goto out_args;
		case 'P':
			if (cpu_log)
				fclose(cpu_log);
			cpu_log = fopen(optarg, "w");
			if (cpu_log)
				break;
			fprintf(stderr, "move_bench: --cpu-log=%s: %s\n", optarg, strerror(errno));
			rc = 1;
			goto out_args;
		default:
			fprintf(stderr, "usage: move_bench [--sizes=4K,16K,...] [--total=MiB] [--runs=N] [--label=TEXT]\n"
				"                  [--migrator=NAME|none] [--param=NAME=VALUE]... [--max-batch=PAGES] [--latency]\n"
				"                  [--nodes=A,B]\n"
				"       move_bench --config=LABEL:MIGRATOR[:NAME=VALUE,...]... [--rounds=N]\n"
				"                  [--sizes=4K,16K,...] [--total=MiB] [--max-batch=PAGES] [--latency]\n"
				"                  [--cpu-log=FILE] [--nodes=A,B]\n");
			rc = 2;
			goto out_args;
		}
	}
	if (!sizes || runs < 1 || !total || rounds < 1 || (ncfg && single_opts)) {
		fprintf(stderr, "move_bench: bad arguments%s\n", ncfg && single_opts ?
			" (--config excludes --label, --runs, --migrator and --param)" : "");
		rc = 2;
		goto out_args;
	}
	if (node_check(node_a) || node_check(node_b)) {
		rc = 1;
		goto out_args;
	}
	if (migrator || max_batch >= 0 || need_dev) {
		err = migoff_open(&ctx);
		if (err) {
			fprintf(stderr, "move_bench: open %s: %s (modprobe migrate_offload)\n",
				MIGOFF_DEVICE, strerror(-err));
			ctx = NULL;
			rc = 1;
			goto out_args;
		}
		err = migoff_disable(ctx, MIGOFF_REASONS_ALL);
		if (!err && max_batch >= 0)
			err = migoff_set_batch(ctx, MIGOFF_BATCH_SET_MAX_PAGES, max_batch, 0);
		for (c = 0; !err && migrator && strcmp(migrator, "none") && c < nparams; c++) {
			char *eq = strchr(params[c], '=');

			*eq = '\0';
			err = migoff_set_param(ctx, migrator, params[c], strtoull(eq + 1, NULL, 10));
			*eq = '=';
		}
		if (!err && migrator && strcmp(migrator, "none"))
			err = migoff_enable(ctx, MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL), migrator);
		if (err) {
			fprintf(stderr, "move_bench: configuring the offload engine: %s\n",
				strerror(-err));
			rc = 1;
			goto out;
		}
	}
	if (latency && migoff_write_file(TRACING "events/migrate/mm_migrate_first_folio/enable", "1")) {
		fprintf(stderr, "move_bench: cannot enable mm_migrate_first_folio (tracefs)\n");
		rc = 1;
		goto out;
	}
	if (migoff_numa_balancing_off() || migoff_thp_save(&thp)) {
		fprintf(stderr, "move_bench: cannot set up THP/NUMA balancing (run as root)\n");
		rc = 1;
		goto out;
	}
	for (tok = strtok_r(sizes, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t folio = parse_size(tok);

		if (!folio || folio & (folio - 1) || folio < KiB(4)) {
			fprintf(stderr, "move_bench: bad folio size '%s'\n", tok);
			rc = 2;
			break;
		}
		if (ncfg ? bench_interleaved(ctx, cfg, ncfg, max_batch, folio, total, rounds) :
			   bench_one(label, folio, total, runs))
			rc = 1;
	}
	migoff_thp_restore(&thp);
out:
	if (latency)
		migoff_write_file(TRACING "events/migrate/mm_migrate_first_folio/enable", "0");
	if (ctx) {
		migoff_disable(ctx, MIGOFF_REASONS_ALL);
		migoff_set_batch(ctx, MIGOFF_BATCH_SET_MAX_PAGES, 0, 0);
		set_latency(ctx, 0);
		migoff_close(ctx);
	}
out_args:
	if (cpu_log)
		fclose(cpu_log);
	for (i = 0; i < ncfg; i++)
		free(cfg[i].spec);
	free(sizes);
	return rc;
}

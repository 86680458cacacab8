// SPDX-License-Identifier: GPL-2.0
/*
 * move_bench - move_pages(2) throughput between two NUMA nodes by folio size.
 *
 *   move_bench [--sizes=4K,16K,...] [--total=MiB] [--runs=N] [--label=TEXT]
 *              [--migrator=NAME|none] [--param=NAME=VALUE]... [--max-batch=PAGES]
 *              [--latency]
 *
 * For each folio size, maps --total MiB on node 0 in folios of that size
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
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include "migoff_dev.h"
#include "migoff_util.h"

#define TRACING "/sys/kernel/tracing/"

static bool latency;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
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
	if (migoff_buf_alloc(&b, total, folio, 0, folio, why, sizeof(why))) {
		fprintf(stderr, "move_bench: %zuK folios: %s\n", folio >> 10, why);
		free(gbps);
		return -1;
	}
	if (latency) {
		/* Truncating the trace file clears the ring buffer. */
		int tfd = open(TRACING "trace", O_WRONLY | O_TRUNC);

		if (tfd >= 0)
			close(tfd);
	}
	for (i = 0; i < 2 * runs; i++) {
		double secs;

		node = !(i & 1) ? 1 : 0;
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
		{ NULL, 0, NULL, 0 },
	};
	char *sizes = strdup("4K,16K,64K,256K,1M,2M"), *tok, *save = NULL;
	const char *label = "run";
	struct migoff_thp_state thp;
	size_t total = MiB(128);
	int runs = 5, c, rc = 0, fd = -1, err;
	const char *migrator = NULL;
	char *params[8];
	int nparams = 0;
	long max_batch = -1;

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
			break;
		case 'l':
			label = optarg;
			break;
		case 'm':
			migrator = optarg;
			break;
		case 'p':
			if (nparams < 8 && strchr(optarg, '=')) {
				params[nparams++] = optarg;
				break;
			}
			fprintf(stderr, "move_bench: --param=NAME=VALUE, at most 8\n");
			free(sizes);
			return 2;
		case 'b':
			max_batch = strtol(optarg, NULL, 10);
			break;
		case 'L':
			latency = true;
			break;
		default:
			fprintf(stderr, "usage: move_bench [--sizes=4K,16K,...] [--total=MiB] [--runs=N] [--label=TEXT]\n"
				"                  [--migrator=NAME|none] [--param=NAME=VALUE]... [--max-batch=PAGES] [--latency]\n");
			free(sizes);
			return 2;
		}
	}
	if (!sizes || runs < 1 || !total) {
		fprintf(stderr, "move_bench: bad arguments\n");
		free(sizes);
		return 2;
	}
	if (migrator || max_batch >= 0) {
		fd = open(MIGOFF_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "move_bench: open %s: %s (modprobe migrate_offload)\n",
				MIGOFF_DEVICE, strerror(errno));
			free(sizes);
			return 1;
		}
		err = migoff_disable_all(fd);
		if (!err && max_batch >= 0)
			err = migoff_set_batch(fd, MIGOFF_BATCH_SET_MAX_PAGES, max_batch, 0);
		for (c = 0; !err && migrator && strcmp(migrator, "none") && c < nparams; c++) {
			char *eq = strchr(params[c], '=');

			*eq = '\0';
			err = migoff_set_param(fd, migrator, params[c], strtoull(eq + 1, NULL, 10));
			*eq = '=';
		}
		if (!err && migrator && strcmp(migrator, "none"))
			err = migoff_enable(fd, MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL), migrator);
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
		if (bench_one(label, folio, total, runs))
			rc = 1;
	}
	migoff_thp_restore(&thp);
out:
	if (latency)
		migoff_write_file(TRACING "events/migrate/mm_migrate_first_folio/enable", "0");
	if (fd >= 0) {
		migoff_disable_all(fd);
		migoff_set_batch(fd, MIGOFF_BATCH_SET_MAX_PAGES, 0, 0);
		close(fd);
	}
	free(sizes);
	return rc;
}

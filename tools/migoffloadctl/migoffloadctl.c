// SPDX-License-Identifier: GPL-2.0
/*
 * migoffloadctl - control page migration copy offload.
 *
 *   migoffloadctl [-j|--json] [-p|--pretty] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 failure, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "migoffload.h"
#include "json.h"
#include "config.h"

#define EXIT_USAGE 2

static bool json, pretty;
static volatile sig_atomic_t stop;
static const char *cmd_name = "";

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: migoffloadctl [-j|--json] [-p|--pretty] COMMAND [ARGS]\n"
"\n"
"commands:\n"
"  status                               routes, migrators and batch caps\n"
"  enable --reason=LIST [--migrator=NAME]  offload these reasons (default: cpu)\n"
"  disable [--reason=LIST]              stop offloading these reasons (default: all)\n"
"  migrator list [--names]              the migrators and their parameters\n"
"  migrator set NAME PARAM=VALUE...     set parameters (threads=8, channels=4)\n"
"  batch set [--max-pages=N] [--min-folios=M]  batch caps (0: kernel default)\n"
"  stats [--reset] [--interval=S [--count=N]]  counters, or rates every S seconds\n"
"  monitor [--count=N]                  events as JSON Lines until SIGINT\n"
"  config save FILE | config load FILE  the JSON that 'status -j' prints\n"
"  quota set CGROUP --rate=B/S --burst=B [--reason=LIST]  limit a cgroup's offload\n"
"  quota show [CGROUP] | quota clear CGROUP  per-cgroup quotas and their counters\n"
"\n"
"LIST is a comma-separated list of reasons or 'all': compaction,\n"
"memory_hotplug, syscall_or_cpuset (or syscall), mempolicy_mbind,\n"
"numa_misplaced, contig_range, longterm_pin, demotion, damon.\n");
}

/* An error: what failed, the errno text, and what to do about it. */
static int fail(const char *what, int err)
{
	const char *hint = "";

	err = err < 0 ? -err : err;
	switch (err) {
	case EPERM:
	case EACCES:
		hint = ": needs root (CAP_SYS_ADMIN)";
		break;
	case ENOENT:
		if (strstr(what, MIGOFF_DEVICE))
			hint = ": module migrate_offload not loaded: modprobe migrate_offload";
		else if (strstr(what, "netlink"))
			hint = ": no generic netlink family " MIGOFF_GENL_NAME
			       " (module not loaded?): modprobe migrate_offload";
		break;
	case ENODEV:
		if (strstr(what, "routing"))
			hint = ": the migrator has nothing to copy with (no DMA channels?)";
		break;
	case EPROTO:
		hint = ": the kernel speaks another ABI version than this tool";
		break;
	case ERANGE:
		hint = ": see 'migoffloadctl migrator list' for the limits";
		break;
	case EBUSY:
		hint = ": another migrator owns the mm core (migoff_testmig?)";
		break;
	case ENOSPC:
		hint = ": too many quotas: clear one first";
		break;
	}
	fprintf(stderr, "migoffloadctl: %s%s%s: %s%s\n", cmd_name, *cmd_name ? ": " : "",
		what, strerror(err), hint);
	return 1;
}

/* A netlink failure, with the kernel's extended ACK message if it sent one. */
static int nl_fail(struct migoff_ctx *ctx, const char *what, int err)
{
	char ack[256], buf[512];

	if (migoff_ext_ack(ctx, ack, sizeof(ack)) > 0) {
		snprintf(buf, sizeof(buf), "%s (kernel: %s)", what, ack);
		return fail(buf, err);
	}
	return fail(what, err);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "migoffloadctl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'migoffloadctl --help'.\n");
	return EXIT_USAGE;
}

static int open_ctx(struct migoff_ctx **ctx)
{
	int err = migoff_open(ctx);

	return err ? fail("cannot open " MIGOFF_DEVICE, err) : 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

static void reasons_json(struct jw *w, const char *key, uint64_t mask)
{
	unsigned int r;

	jw_arr_open(w, key);
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (mask & MIGOFF_REASON_BIT(r))
			jw_str(w, NULL, migoff_reason_name(r));
	jw_arr_close(w);
}

static void reasons_text(char *buf, size_t len, uint64_t mask)
{
	unsigned int r;
	size_t n = 0;

	buf[0] = '\0';
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (mask & MIGOFF_REASON_BIT(r))
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
				      n ? "," : "", migoff_reason_name(r));
	if (!n)
		snprintf(buf, len, "-");
}

/* status / config save: the whole configuration. */
static int write_status(struct migoff_ctx *ctx, FILE *f, bool as_json, bool pp)
{
	uint32_t ids[MIGOFF_REASON_COUNT], max_pages, min_folios;
	struct migoff_migrator ms[64];
	struct migoff_info info;
	unsigned int n = 0, r, i, p;
	struct jw w;
	int err;

	err = migoff_get_info(ctx, &info);
	if (!err)
		err = migoff_get_routes(ctx, ids);
	if (!err)
		err = migoff_get_batch(ctx, &max_pages, &min_folios);
	for (n = 0; !err && n < info.nr_migrators && n < 64; n++)
		err = migoff_get_migrator(ctx, n, &ms[n]);
	if (err)
		return fail("reading the configuration", err);

	if (as_json) {
		jw_init(&w, f, pp);
		jw_obj_open(&w, NULL);
		jw_u64(&w, "api_version", info.api_version);
		jw_obj_open(&w, "routes");
		for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
			const char *name = NULL;

			for (i = 0; i < n; i++)
				if (ms[i].id == ids[r])
					name = ms[i].name;
			jw_str(&w, migoff_reason_name(r), name);
		}
		jw_obj_close(&w);
		jw_obj_open(&w, "batch");
		jw_u64(&w, "max_pages", max_pages);
		jw_u64(&w, "min_folios", min_folios);
		jw_obj_close(&w);
		jw_obj_open(&w, "migrators");
		for (i = 0; i < n; i++) {
			jw_obj_open(&w, ms[i].name);
			jw_str(&w, "kind", migoff_kind_name(ms[i].kind));
			jw_bool(&w, "available", ms[i].state & MIGOFF_MIGRATOR_AVAILABLE);
			reasons_json(&w, "reasons", ms[i].reasons);
			jw_obj_open(&w, "params");
			for (p = 0; p < ms[i].nr_params; p++)
				jw_u64(&w, ms[i].params[p].name, ms[i].params[p].value);
			jw_obj_close(&w);
			jw_obj_close(&w);
		}
		jw_obj_close(&w);
		jw_obj_close(&w);
		jw_end(&w);
		return ferror(f) ? fail("writing", EIO) : 0;
	}

	fprintf(f, "%-18s %s\n", "REASON", "MIGRATOR");
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		const char *name = "-";

		for (i = 0; i < n; i++)
			if (ms[i].id == ids[r])
				name = ms[i].name;
		fprintf(f, "%-18s %s\n", migoff_reason_name(r), name);
	}
	fprintf(f, "\nbatch: max_pages %u%s, min_folios %u\n", max_pages,
		max_pages == 512 ? " (default)" : "", min_folios);
	fprintf(f, "migrators: ");
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s%s", i ? ", " : "", ms[i].name,
			ms[i].state & MIGOFF_MIGRATOR_AVAILABLE ? "" : " (unavailable)");
	fprintf(f, "\n");
	return 0;
}

static int cmd_status(struct migoff_ctx *ctx, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return usage_error("status takes no arguments (got '%s')", argv[1]);
	return write_status(ctx, stdout, json, pretty);
}

static int reason_opts(int argc, char **argv, uint64_t *mask, const char **migrator,
		       bool allow_migrator)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "migrator", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;	/* re-initialise getopt: options may follow arguments */
	while ((c = getopt_long(argc, argv, "r:m:", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (migoff_reasons_parse(optarg, mask))
				return usage_error("unknown reason in '%s' (see --help for the list)", optarg);
			break;
		case 'm':
			if (!allow_migrator)
				return usage_error("%s takes no --migrator", cmd_name);
			*migrator = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int cmd_enable(struct migoff_ctx *ctx, int argc, char **argv)
{
	const char *migrator = "cpu";
	uint64_t mask = 0;
	char what[160];
	int rc = reason_opts(argc, argv, &mask, &migrator, true), err;

	if (rc)
		return rc;
	if (!mask)
		return usage_error("%s needs --reason=LIST", "enable");
	err = migoff_enable(ctx, mask, migrator);
	if (err) {
		snprintf(what, sizeof(what), "routing to migrator '%s'", migrator);
		if (err == -ENOENT)
			fprintf(stderr, "migoffloadctl: enable: no migrator '%s': see 'migoffloadctl migrator list' (modprobe migoff_%s?)\n",
				migrator, migrator);
		return err == -ENOENT ? 1 : fail(what, err);
	}
	return 0;
}

static int cmd_disable(struct migoff_ctx *ctx, int argc, char **argv)
{
	uint64_t mask = 0;
	int rc = reason_opts(argc, argv, &mask, NULL, false), err;

	if (rc)
		return rc;
	err = migoff_disable(ctx, mask ? mask : MIGOFF_REASONS_ALL);
	return err ? fail("disabling offload", err) : 0;
}

static int cmd_migrator(struct migoff_ctx *ctx, int argc, char **argv)
{
	struct migoff_info info;
	struct migoff_migrator m;
	unsigned int i, p;
	struct jw w;
	int err;

	if (argc < 2)
		return usage_error("migrator needs 'list' or 'set'%s", "");
	if (!strcmp(argv[1], "list")) {
		bool names = argc == 3 && !strcmp(argv[2], "--names");

		if (argc > 2 && !names)
			return usage_error("unexpected argument '%s'", argv[2]);
		err = migoff_get_info(ctx, &info);
		if (err)
			return fail("reading info", err);
		if (json) {
			jw_init(&w, stdout, pretty);
			jw_arr_open(&w, NULL);
		} else if (!names) {
			printf("%-10s %-8s %-9s %-28s %s\n", "NAME", "KIND", "AVAILABLE",
			       "REASONS", "PARAMS");
		}
		for (i = 0; i < info.nr_migrators; i++) {
			char rs[256], ps[256] = "";
			size_t n = 0;

			err = migoff_get_migrator(ctx, i, &m);
			if (err == -ENOENT)
				break;	/* one went away meanwhile */
			if (err)
				return fail("reading a migrator", err);
			if (names) {
				printf("%s\n", m.name);
				continue;
			}
			if (json) {
				jw_obj_open(&w, NULL);
				jw_str(&w, "name", m.name);
				jw_u64(&w, "id", m.id);
				jw_str(&w, "kind", migoff_kind_name(m.kind));
				jw_bool(&w, "available", m.state & MIGOFF_MIGRATOR_AVAILABLE);
				reasons_json(&w, "reasons", m.reasons);
				jw_obj_open(&w, "params");
				for (p = 0; p < m.nr_params; p++) {
					jw_obj_open(&w, m.params[p].name);
					jw_u64(&w, "value", m.params[p].value);
					jw_u64(&w, "min", m.params[p].min);
					jw_u64(&w, "max", m.params[p].max);
					jw_obj_close(&w);
				}
				jw_obj_close(&w);
				jw_obj_close(&w);
				continue;
			}
			reasons_text(rs, sizeof(rs), m.reasons);
			for (p = 0; p < m.nr_params; p++)
				n += snprintf(ps + n, n < sizeof(ps) ? sizeof(ps) - n : 0,
					      "%s%s=%" PRIu64 " (%" PRIu64 "..%" PRIu64 ")",
					      p ? " " : "", m.params[p].name,
					      (uint64_t)m.params[p].value,
					      (uint64_t)m.params[p].min, (uint64_t)m.params[p].max);
			printf("%-10s %-8s %-9s %-28s %s\n", m.name, migoff_kind_name(m.kind),
			       m.state & MIGOFF_MIGRATOR_AVAILABLE ? "yes" : "no", rs,
			       n ? ps : "-");
		}
		if (json && !names) {
			jw_arr_close(&w);
			jw_end(&w);
		}
		return 0;
	}
	if (!strcmp(argv[1], "set")) {
		if (argc < 4)
			return usage_error("usage: migrator set NAME PARAM=VALUE...%s", "");
		for (i = 3; i < (unsigned int)argc; i++) {
			char *eq = strchr(argv[i], '=');
			uint64_t v;

			if (!eq || eq == argv[i] || parse_u64(eq + 1, &v))
				return usage_error("expected PARAM=VALUE with a number, got '%s'", argv[i]);
		}
		for (i = 3; i < (unsigned int)argc; i++) {
			char *eq = strchr(argv[i], '='), what[128];
			uint64_t v;

			parse_u64(eq + 1, &v);
			*eq = '\0';
			err = migoff_set_param(ctx, argv[2], argv[i], v);
			if (err) {
				snprintf(what, sizeof(what), "setting %s of '%s'", argv[i], argv[2]);
				if (err == -ENOENT) {
					fprintf(stderr, "migoffloadctl: migrator: no migrator '%s' with a parameter '%s': see 'migoffloadctl migrator list'\n",
						argv[2], argv[i]);
					return 1;
				}
				return fail(what, err);
			}
		}
		return 0;
	}
	return usage_error("migrator: unknown subcommand '%s' (list or set)", argv[1]);
}

static int cmd_batch(struct migoff_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-pages", required_argument, NULL, 'M' },
		{ "min-folios", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t max = 0, min = 0;
	uint32_t flags = 0;
	int c, err;

	if (argc < 2 || strcmp(argv[1], "set"))
		return usage_error("batch needs 'set'%s", "");
	argc--;
	argv++;		/* parse "set ..." */
	optind = 0;	/* re-initialise getopt */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'M':
			if (parse_u64(optarg, &max) || max > UINT32_MAX)
				return usage_error("--max-pages wants a number, got '%s'", optarg);
			flags |= MIGOFF_BATCH_SET_MAX_PAGES;
			break;
		case 'm':
			if (parse_u64(optarg, &min) || min > UINT32_MAX)
				return usage_error("--min-folios wants a number, got '%s'", optarg);
			flags |= MIGOFF_BATCH_SET_MIN_FOLIOS;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!flags)
		return usage_error("batch set needs --max-pages and/or --min-folios%s", "");
	err = migoff_set_batch(ctx, flags, max, min);
	return err ? fail("setting the batch caps", err) : 0;
}

struct snapshot {
	unsigned int n;
	struct migoff_stats_entry e[64];
};

static int collect(const struct migoff_stats_entry *e, void *arg)
{
	struct snapshot *s = arg;

	if (s->n < 64)
		s->e[s->n++] = *e;
	return 0;
}

static uint64_t fallbacks(const struct migoff_counters *c)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < MIGOFF_FALLBACK_COUNT; i++)
		n += c->fallback[i];
	return n;
}

static const char *scope_key(uint32_t scope)
{
	return scope == MIGOFF_STATS_REASON ? "reasons" :
		scope == MIGOFF_STATS_MIGRATOR ? "migrators" : "cgroups";
}

static void quota_json(struct jw *w, const struct migoff_quota *q)
{
	jw_u64(w, "cgroup_id", q->cgroup_id);
	jw_u64(w, "rate", q->rate);
	jw_u64(w, "burst", q->burst);
	reasons_json(w, "reasons", q->reasons ? q->reasons : MIGOFF_REASONS_ALL);
	jw_u64(w, "folios_offloaded", q->folios_offloaded);
	jw_u64(w, "bytes_offloaded", q->bytes_offloaded);
	jw_u64(w, "folios_refused", q->folios_refused);
	jw_u64(w, "bytes_refused", q->bytes_refused);
	jw_u64(w, "copy_cpu_ns", q->copy_cpu_ns);
}

/* One stats sample; with @prev, rates per second over @secs. */
static void print_stats(const struct snapshot *s, const struct snapshot *prev, double secs)
{
	unsigned int i, f;
	struct jw w;

	if (json) {
		jw_init(&w, stdout, pretty);
		jw_obj_open(&w, NULL);
		if (prev)
			jw_double(&w, "interval_s", secs);
		for (i = 0; i < s->n; i++) {
			const struct migoff_counters *c = &s->e[i].counters;
			const struct migoff_counters *p = prev ? &prev->e[i].counters : NULL;
			const struct migoff_quota *q = &s->e[i].quota;

			if (i == 0 || s->e[i].scope != s->e[i - 1].scope) {
				if (i)
					jw_obj_close(&w);
				jw_obj_open(&w, scope_key(s->e[i].scope));
			}
			if (s->e[i].scope == MIGOFF_STATS_CGROUP) {
				char id[32];

				snprintf(id, sizeof(id), "%llu", (unsigned long long)q->cgroup_id);
				jw_obj_open(&w, id);
				quota_json(&w, q);
				jw_obj_close(&w);
				continue;
			}
			jw_obj_open(&w, s->e[i].name);
			if (p) {
				jw_double(&w, "batches_per_s", (c->batches - p->batches) / secs);
				jw_double(&w, "folios_per_s", (c->folios - p->folios) / secs);
				jw_double(&w, "bytes_per_s", (c->bytes - p->bytes) / secs);
				jw_double(&w, "fallbacks_per_s", (fallbacks(c) - fallbacks(p)) / secs);
			} else {
				jw_u64(&w, "batches", c->batches);
				jw_u64(&w, "folios", c->folios);
				jw_u64(&w, "bytes", c->bytes);
				jw_u64(&w, "copy_ns", c->copy_ns);
				jw_obj_open(&w, "fallbacks");
				for (f = 0; f < MIGOFF_FALLBACK_COUNT; f++)
					jw_u64(&w, migoff_fallback_name(f), c->fallback[f]);
				jw_obj_close(&w);
			}
			jw_obj_close(&w);
		}
		if (s->n)
			jw_obj_close(&w);
		jw_obj_close(&w);
		jw_end(&w);
		return;
	}
	if (prev)
		printf("%-18s %12s %12s %12s %12s\n", "", "batches/s", "folios/s", "MB/s", "fallbacks/s");
	else
		printf("%-18s %10s %12s %14s %10s %9s %9s %9s %9s\n", "", "batches", "folios",
		       "bytes", "copy_ms", "error", "timeout", "quota", "too_small");
	for (i = 0; i < s->n; i++) {
		const struct migoff_counters *c = &s->e[i].counters;
		const struct migoff_quota *q = &s->e[i].quota;

		if (s->e[i].scope == MIGOFF_STATS_CGROUP) {
			if (i == 0 || s->e[i - 1].scope != MIGOFF_STATS_CGROUP)
				printf("cgroup quota:   %8s %12s %14s %12s %14s %10s\n", "id",
				       "folios", "bytes", "refused", "refused_bytes", "cpu_ms");
			printf("                %8llu %12llu %14llu %12llu %14llu %10.1f\n",
			       (unsigned long long)q->cgroup_id,
			       (unsigned long long)q->folios_offloaded,
			       (unsigned long long)q->bytes_offloaded,
			       (unsigned long long)q->folios_refused,
			       (unsigned long long)q->bytes_refused, q->copy_cpu_ns / 1e6);
			continue;
		}
		if (i == 0 || s->e[i].scope != s->e[i - 1].scope)
			printf("%s\n", s->e[i].scope == MIGOFF_STATS_REASON ? "reason:" : "migrator:");
		if (prev) {
			const struct migoff_counters *p = &prev->e[i].counters;

			printf("  %-16s %12.1f %12.1f %12.2f %12.1f\n", s->e[i].name,
			       (c->batches - p->batches) / secs, (c->folios - p->folios) / secs,
			       (c->bytes - p->bytes) / secs / 1e6,
			       (fallbacks(c) - fallbacks(p)) / secs);
		} else {
			printf("  %-16s %10" PRIu64 " %12" PRIu64 " %14" PRIu64 " %10.1f %9" PRIu64
			       " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", s->e[i].name,
			       (uint64_t)c->batches, (uint64_t)c->folios, (uint64_t)c->bytes,
			       c->copy_ns / 1e6, (uint64_t)c->fallback[0], (uint64_t)c->fallback[1],
			       (uint64_t)c->fallback[2], (uint64_t)c->fallback[3]);
		}
	}
	fflush(stdout);
}

static int cmd_stats(struct migoff_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reset", no_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct snapshot *a = calloc(2, sizeof(*a)), *cur, *prev;
	uint64_t interval = 0, count = 0, n;
	bool reset = false;
	int c, err, rc = 0;

	if (!a)
		return fail("allocating", ENOMEM);
	optind = 0;	/* re-initialise getopt */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			reset = true;
			break;
		case 'i':
			if (parse_u64(optarg, &interval) || !interval) {
				free(a);
				return usage_error("--interval wants seconds > 0, got '%s'", optarg);
			}
			break;
		case 'c':
			if (parse_u64(optarg, &count) || !count) {
				free(a);
				return usage_error("--count wants a number > 0, got '%s'", optarg);
			}
			break;
		default:
			free(a);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || (count && !interval)) {
		free(a);
		return usage_error("%s", optind < argc ? "unexpected argument" :
				   "--count needs --interval");
	}
	cur = &a[0];
	prev = &a[1];
	err = migoff_stats_dump(ctx, collect, cur);
	if (err) {
		free(a);
		return nl_fail(ctx, "reading statistics (netlink)", err);
	}
	if (!interval) {
		print_stats(cur, NULL, 0);
	} else {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		for (n = 0; !stop && (!count || n < count); n++) {
			struct snapshot *t = prev;

			prev = cur;
			cur = t;
			cur->n = 0;
			sleep(interval);
			if (stop)
				break;
			err = migoff_stats_dump(ctx, collect, cur);
			if (err) {
				rc = nl_fail(ctx, "reading statistics (netlink)", err);
				break;
			}
			if (cur->n != prev->n)	/* migrators came or went */
				continue;
			print_stats(cur, prev, interval);
		}
	}
	if (!rc && reset) {
		err = migoff_reset_stats(ctx);
		if (err)
			rc = fail("resetting statistics", err);
	}
	free(a);
	return rc;
}

static int cmd_monitor(struct migoff_ctx *ctx, int argc, char **argv)
{
	struct migoff_event ev;
	uint64_t count = 0, n = 0;
	struct pollfd pfd;
	struct jw w;
	int fd, err;

	if (argc == 2 && !strncmp(argv[1], "--count=", 8)) {
		if (parse_u64(argv[1] + 8, &count) || !count)
			return usage_error("--count wants a number > 0, got '%s'", argv[1] + 8);
	} else if (argc > 1) {
		return usage_error("unexpected argument '%s'", argv[1]);
	}
	fd = migoff_events_subscribe(ctx);
	if (fd < 0)
		return nl_fail(ctx, "subscribing to events (netlink)", fd);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop && (!count || n < count)) {
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		err = migoff_event_read(ctx, &ev);
		if (err)
			return fail("reading an event", err);
		n++;
		/* JSON Lines: one object per line, whatever -p says. */
		jw_init(&w, stdout, false);
		jw_obj_open(&w, NULL);
		jw_u64(&w, "time", (uint64_t)time(NULL));
		jw_str(&w, "event", migoff_event_name(ev.type) ? : "unknown");
		switch (ev.type) {
		case MIGOFF_EVENT_ENABLE:
			reasons_json(&w, "reasons", ev.reasons);
			jw_str(&w, "migrator", ev.name);
			break;
		case MIGOFF_EVENT_DISABLE:
			reasons_json(&w, "reasons", ev.reasons);
			break;
		case MIGOFF_EVENT_BATCH:
			jw_u64(&w, "max_pages", ev.max_pages);
			jw_u64(&w, "min_folios", ev.min_folios);
			break;
		case MIGOFF_EVENT_PARAM:
			jw_str(&w, "migrator", ev.name);
			jw_str(&w, "param", ev.param);
			jw_u64(&w, "value", ev.value);
			break;
		case MIGOFF_EVENT_FALLBACK:
			reasons_json(&w, "reasons", ev.reasons);
			jw_u64(&w, "folios", ev.folios);
			break;
		case MIGOFF_EVENT_QUOTA:
			jw_u64(&w, "cgroup_id", ev.cgroup_id);
			jw_u64(&w, "rate", ev.rate);
			jw_u64(&w, "burst", ev.burst);
			if (ev.rate)
				reasons_json(&w, "reasons", ev.reasons ? ev.reasons : MIGOFF_REASONS_ALL);
			break;
		}
		jw_obj_close(&w);
		jw_end(&w);
	}
	return 0;
}

/* The whole file, NUL-terminated, in *@len bytes (NULs inside are kept). */
static char *read_file(const char *path, size_t *len, int *err)
{
	FILE *f = fopen(path, "r");
	size_t cap = 8192, n;
	char *buf = NULL, *t;

	*len = 0;
	if (!f) {
		*err = errno;
		return NULL;
	}
	for (;;) {
		t = realloc(buf, cap + 1);
		if (!t) {
			*err = ENOMEM;
			goto fail;
		}
		buf = t;
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (*len < cap)
			break;
		if (cap > CFG_MAX_SIZE) {
			*err = EFBIG;
			goto fail;
		}
		cap *= 2;
	}
	if (ferror(f)) {
		*err = EIO;
		goto fail;
	}
	fclose(f);
	buf[*len] = '\0';
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

/* What config load resolves a file against, and restores on failure. */
static int read_system(struct migoff_ctx *ctx, struct cfg_system *sys)
{
	struct migoff_info info;
	unsigned int i;
	int err;

	memset(sys, 0, sizeof(*sys));
	err = migoff_get_info(ctx, &info);
	if (err)
		return err;
	sys->reasons_supported = info.reasons_supported;
	sys->max_batch_pages_limit = info.max_batch_pages_limit;
	for (i = 0; i < info.nr_migrators && i < CFG_MAX_MIGRATORS; i++) {
		err = migoff_get_migrator(ctx, i, &sys->migrators[i]);
		if (err == -ENOENT)
			break;	/* one went away meanwhile */
		if (err)
			return err;
		sys->nr_migrators++;
	}
	err = migoff_get_batch(ctx, &sys->max_pages, &sys->min_folios);
	if (!err)
		err = migoff_get_routes(ctx, sys->route_ids);
	return err;
}

static int ops_set_batch(void *ctx, uint32_t flags, uint32_t max_pages, uint32_t min_folios)
{
	return migoff_set_batch(ctx, flags, max_pages, min_folios);
}

static int ops_set_param(void *ctx, const char *migrator, const char *param, uint64_t value)
{
	return migoff_set_param(ctx, migrator, param, value);
}

static int ops_enable(void *ctx, uint64_t reasons, const char *migrator)
{
	return migoff_enable(ctx, reasons, migrator);
}

static int ops_disable(void *ctx, uint64_t reasons)
{
	return migoff_disable(ctx, reasons);
}

static const struct cfg_ops lib_ops = {
	.set_batch = ops_set_batch,
	.set_param = ops_set_param,
	.enable = ops_enable,
	.disable = ops_disable,
};

/*
 * Apply a saved configuration: the whole file is parsed and validated before
 * the device is even opened, then resolved against the running system
 * (migrators, parameter ranges, batch limit), and only then changed; a
 * change that fails undoes those before it.
 */
static int config_load(const char *path)
{
	struct migoff_ctx *ctx = NULL;
	struct cfg_system *sys = NULL;
	struct config *cfg;
	char msg[768], what[1024];
	bool restored;
	size_t len;
	int err = 0, rc = 1;
	char *text = read_file(path, &len, &err);

	if (!text)
		return fail(path, err);
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		free(text);
		return fail("allocating", ENOMEM);
	}
	err = config_parse(text, len, cfg, msg, sizeof(msg));
	free(text);
	if (err) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s; nothing changed\n", path, msg);
		goto out;
	}
	rc = open_ctx(&ctx);
	if (rc)
		goto out;
	rc = 1;
	sys = malloc(sizeof(*sys));
	if (!sys) {
		rc = fail("allocating", ENOMEM);
		goto out;
	}
	err = read_system(ctx, sys);
	if (err) {
		rc = fail("reading the configuration", err);
		goto out;
	}
	err = config_resolve(cfg, sys, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s; nothing changed\n", path, msg);
		goto out;
	}
	err = config_apply(cfg, sys, &lib_ops, ctx, &restored, msg, sizeof(msg));
	if (err) {
		snprintf(what, sizeof(what), "load %s:%s (%s)", path, msg,
			 restored ? "nothing changed: the previous configuration is restored" :
			 "restoring the previous configuration failed too: check 'migoffloadctl status'");
		rc = fail(what, err);
		goto out;
	}
	rc = 0;
out:
	migoff_close(ctx);
	free(sys);
	free(cfg);
	return rc;
}

/* config: opens the device itself, after the file is known to be good. */
static int cmd_config(struct migoff_ctx *unused, int argc, char **argv)
{
	struct migoff_ctx *ctx;
	char *buf = NULL;
	size_t len = 0;
	FILE *f, *mem;
	int rc;

	(void)unused;
	if (argc != 3 || (strcmp(argv[1], "save") && strcmp(argv[1], "load")))
		return usage_error("usage: config save FILE | config load FILE%s", "");
	if (!strcmp(argv[1], "load"))
		return config_load(argv[2]);
	/* Read everything first: a failure must not truncate the file. */
	rc = open_ctx(&ctx);
	if (rc)
		return rc;
	mem = open_memstream(&buf, &len);
	if (!mem) {
		migoff_close(ctx);
		return fail("allocating", ENOMEM);
	}
	rc = write_status(ctx, mem, true, true);
	migoff_close(ctx);
	if (fclose(mem) && !rc)
		rc = fail("allocating", ENOMEM);
	if (!rc) {
		f = fopen(argv[2], "w");
		if (!f) {
			rc = fail(argv[2], errno);
		} else {
			if (fwrite(buf, 1, len, f) != len)
				rc = fail(argv[2], errno ? errno : EIO);
			if (fclose(f) && !rc)
				rc = fail(argv[2], errno);
		}
	}
	free(buf);
	return rc;
}

/* "8M" -> 8388608; K, M, G suffixes are powers of 1024. */
static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	int shift = 0;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	*v = strtoull(s, &end, 0);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (errno || *end || *v > (UINT64_MAX >> shift))
		return -EINVAL;
	*v <<= shift;
	return 0;
}

static int cmd_quota(struct migoff_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ "reason", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t rate = 0, burst = 0, reasons = 0;
	struct migoff_quota q;
	unsigned int i;
	char what[512];
	struct jw w;
	int c, err;

	if (argc < 2)
		return usage_error("quota needs 'set', 'show' or 'clear'%s", "");
	if (!strcmp(argv[1], "show")) {
		if (argc > 3)
			return usage_error("unexpected argument '%s'", argv[3]);
		if (json) {
			jw_init(&w, stdout, pretty);
			jw_arr_open(&w, NULL);
		} else {
			printf("%-10s %12s %12s %-20s %14s %14s %10s\n", "CGROUP_ID", "RATE_B/S",
			       "BURST_B", "REASONS", "OFFLOADED_B", "REFUSED_B", "CPU_MS");
		}
		for (i = 0; ; i++) {
			char rs[256];

			if (argc == 3) {
				if (i)
					break;
				err = migoff_quota_find(ctx, argv[2], &q);
			} else {
				err = migoff_quota_get(ctx, i, &q);
				if (err == -ENOENT)
					break;
			}
			if (err) {
				snprintf(what, sizeof(what), "reading the quota%s%s",
					 argc == 3 ? " of " : "s", argc == 3 ? argv[2] : "");
				return fail(what, err);
			}
			if (json) {
				jw_obj_open(&w, NULL);
				quota_json(&w, &q);
				jw_obj_close(&w);
				continue;
			}
			reasons_text(rs, sizeof(rs), q.reasons ? q.reasons : MIGOFF_REASONS_ALL);
			printf("%-10llu %12llu %12llu %-20s %14llu %14llu %10.1f\n",
			       (unsigned long long)q.cgroup_id, (unsigned long long)q.rate,
			       (unsigned long long)q.burst, q.reasons ? rs : "all",
			       (unsigned long long)q.bytes_offloaded,
			       (unsigned long long)q.bytes_refused, q.copy_cpu_ns / 1e6);
		}
		if (json) {
			jw_arr_close(&w);
			jw_end(&w);
		}
		return 0;
	}
	if (!strcmp(argv[1], "clear")) {
		if (argc != 3)
			return usage_error("usage: quota clear CGROUP%s", "");
		err = migoff_quota_clear(ctx, argv[2]);
		if (err == -ENOENT) {
			fprintf(stderr, "migoffloadctl: quota: %s has no quota (or is not a cgroup): see 'migoffloadctl quota show'\n",
				argv[2]);
			return 1;
		}
		snprintf(what, sizeof(what), "clearing the quota of %s", argv[2]);
		return err ? fail(what, err) : 0;
	}
	if (strcmp(argv[1], "set"))
		return usage_error("quota: unknown subcommand '%s' (set, show or clear)", argv[1]);
	argc--;
	argv++;		/* parse "set CGROUP --rate=..." */
	optind = 0;	/* re-initialise getopt: options may follow the cgroup */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_size(optarg, &rate) || !rate)
				return usage_error("--rate wants bytes per second > 0 (e.g. 64M), got '%s'", optarg);
			break;
		case 'b':
			if (parse_size(optarg, &burst) || !burst)
				return usage_error("--burst wants bytes > 0 (e.g. 4M), got '%s'", optarg);
			break;
		case 'R':
			if (migoff_reasons_parse(optarg, &reasons))
				return usage_error("unknown reason in '%s' (see --help for the list)", optarg);
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error("usage: quota set CGROUP --rate=BYTES/S --burst=BYTES [--reason=LIST]%s", "");
	if (!rate || !burst)
		return usage_error("quota set needs --rate and --burst%s", "");
	err = migoff_quota_set(ctx, argv[optind], rate, burst,
			       reasons == MIGOFF_REASONS_ALL ? 0 : reasons);
	if (err == -ENOENT || err == -ENOTDIR || err == -EBADF) {
		fprintf(stderr, "migoffloadctl: quota: %s: %s: give a cgroup v2 directory (path, or relative to /sys/fs/cgroup)\n",
			argv[optind], strerror(-err));
		return 1;
	}
	snprintf(what, sizeof(what), "setting the quota of %s", argv[optind]);
	return err ? fail(what, err) : 0;
}

static const struct {
	const char *name;
	int (*fn)(struct migoff_ctx *ctx, int argc, char **argv);
} commands[] = {
	{ "quota", cmd_quota },
	{ "status", cmd_status },
	{ "enable", cmd_enable },
	{ "disable", cmd_disable },
	{ "migrator", cmd_migrator },
	{ "batch", cmd_batch },
	{ "stats", cmd_stats },
	{ "monitor", cmd_monitor },
	{ "config", cmd_config },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct migoff_ctx *ctx;
	unsigned int i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+jphV", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("migoffloadctl (migrate_offload) ABI %d\n", MIGOFF_API_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return usage_error("unknown command '%s'", argv[optind]);
	cmd_name = commands[i].name;
	if (commands[i].fn == cmd_config)
		return cmd_config(NULL, argc - optind, argv + optind);
	rc = open_ctx(&ctx);
	if (rc)
		return rc;
	rc = commands[i].fn(ctx, argc - optind, argv + optind);
	migoff_close(ctx);
	return rc;
}

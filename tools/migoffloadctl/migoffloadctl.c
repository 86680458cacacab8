// SPDX-License-Identifier: GPL-2.0
/*
 * migoffloadctl - control page migration copy offload.
 *
 *   migoffloadctl [-j|--json] [-p|--pretty] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 failure, 2 bad usage. Every command parses all
 * its options and arguments before it opens the device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "migoffload.h"
#include "json.h"
#include "config.h"
#include "metrics.h"
#include "util.h"

#define EXIT_USAGE 2
#define BAD_OPT (-2)		/* next_opt(): a usage error, already reported */

static bool json, pretty;
static volatile sig_atomic_t stop;
static const char *cmd_name = "";
static struct migoff_ctx *dev;	/* opened by open_dev(), after parsing */

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
"  enable --reason=LIST [--migrator=NAME] [--auto[=wall|cpu]]  offload these\n"
"                                       reasons (default: cpu); --auto: only while\n"
"                                       the migrator is measured cheaper than the\n"
"                                       CPU, in wall time (default) or CPU time\n"
"  disable [--reason=LIST]              stop offloading these reasons (default: all)\n"
"  migrator list [--names]              the migrators and their parameters\n"
"  migrator set NAME PARAM=VALUE...     set parameters (threads=8, channels=4)\n"
"  batch [show]                         batch caps, latency target, effective cap\n"
"  batch set [--max-pages=N] [--min-folios=M] [--latency=TIME]  batch caps (0:\n"
"                                       kernel default); first-folio latency\n"
"                                       target (0 or off: none)\n"
"  stats [--reset] [--interval=S [--count=N]]  counters, or rates every S seconds\n"
"  stats --format=openmetrics|prometheus [--output=FILE]  counters as metrics\n"
"                                       (FILE: replaced atomically)\n"
"  monitor [--count=N]                  events until SIGINT (-j: JSON Lines)\n"
"  config save FILE | config load FILE  the JSON that 'status -j' prints; FILE\n"
"                                       '-': stdout, stdin; options of load:\n"
"                                       [--wait=S] [--force] [--create-cgroups]\n"
"  quota set CGROUP --rate=B/S --burst=B [--reason=LIST]  limit a cgroup's offload\n"
"  quota show [CGROUP] | quota clear CGROUP  per-cgroup quotas and their counters\n"
"\n"
"Numbers are decimal; sizes take K, M or G (powers of 1024); TIME takes us\n"
"(the default), ms or s, at most 10s.\n"
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
		if (strstr(what, MIGOFF_DEVICE))
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
static int nl_fail(const char *what, int err)
{
	char ack[256], buf[512];

	if (dev && migoff_ext_ack(dev, ack, sizeof(ack)) > 0) {
		snprintf(buf, sizeof(buf), "%s (kernel: %s)", what, ack);
		return fail(buf, err);
	}
	return fail(what, err);
}

static int __attribute__((format(printf, 1, 2))) usage_errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "migoffloadctl: %s%s", cmd_name, *cmd_name ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'migoffloadctl --help'.\n");
	return EXIT_USAGE;
}

static int usage_error(const char *fmt, const char *arg)
{
	return usage_errorf(fmt, arg);
}

/*
 * getopt_long() for a command's arguments (argv[0] is the command), with
 * the messages in migoffloadctl's own words. BAD_OPT after a usage error.
 */
static int next_opt(int argc, char **argv, const char *shortopts,
		    const struct option *opts)
{
	char spec[16];
	const char *arg;
	int c;

	opterr = 0;
	snprintf(spec, sizeof(spec), ":%s", shortopts);	/* ':' for a missing value */
	c = getopt_long(argc, argv, spec, opts, NULL);
	if (c != '?' && c != ':')
		return c;
	arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (c == ':')
		usage_errorf("option '%s' needs a value", arg);
	else if (!strncmp(arg, "--", 2) && strchr(arg, '=') && optopt)
		usage_errorf("option '%.*s' takes no value", (int)strcspn(arg, "="), arg);
	else if (!strncmp(arg, "--", 2))
		usage_errorf("unknown option '%.*s'", (int)strcspn(arg, "="), arg);
	else
		usage_errorf("unknown option '-%c'", optopt ? optopt : '?');
	return BAD_OPT;
}

/* Open the device (once): only after the command line is fully parsed. */
static int open_dev(void)
{
	int err;

	if (dev)
		return 0;
	err = migoff_open(&dev);
	if (err) {
		dev = NULL;
		return fail("cannot open " MIGOFF_DEVICE, err);
	}
	return 0;
}

/* A decimal number option: a usage error naming it otherwise. */
static int number_opt(const char *name, const char *s, uint64_t max, uint64_t *v)
{
	int err = parse_u64(s, v);

	if (!err && *v > max)
		err = -ERANGE;
	if (err == -ERANGE)
		return usage_errorf("%s: '%s' is out of range (at most %llu)", name, s,
				    (unsigned long long)max);
	if (err)
		return usage_errorf("%s wants a decimal number, got '%s'", name, s);
	return 0;
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

/* The reasons routed automatically: none on a kernel without MIGOFF_FEAT_AUTO. */
static int get_auto_reasons(uint64_t *mask)
{
	int err = migoff_get_auto_reasons(dev, mask);

	return err == -EOPNOTSUPP ? 0 : err;
}

/* "2000 us", "off" */
static const char *latency_text(char *buf, size_t len, uint32_t us)
{
	if (us)
		snprintf(buf, len, "%u us", us);
	else
		snprintf(buf, len, "off");
	return buf;
}

/*
 * status -j, config save: the quotas, by cgroup path (relative to
 * /sys/fs/cgroup) as 'quota set' and config load take it. 0, or 1 after an
 * error message.
 */
static int save_quotas(struct jw *w)
{
	char path[CFG_CGROUP_LEN];
	struct migoff_quota q;
	unsigned int i;
	int err;

	jw_arr_open(w, "quotas");
	for (i = 0; ; i++) {
		q.size = sizeof(q);
		err = migoff_quota_get(dev, i, &q);
		if (err == -ENOENT)
			break;
		if (err)
			return fail("reading the quotas", err);
		err = cgroup_path_of_id(CFG_CGROUP_ROOT, q.cgroup_id, path, sizeof(path));
		if (err) {
			fprintf(stderr, "migoffloadctl: %s: leaving out the quota of cgroup %llu: no cgroup with that id under %s (%s)\n",
				cmd_name, (unsigned long long)q.cgroup_id, CFG_CGROUP_ROOT, strerror(-err));
			continue;
		}
		jw_obj_open(w, NULL);
		jw_str(w, "cgroup", path);
		jw_u64(w, "rate", q.rate);
		jw_u64(w, "burst", q.burst);
		if (q.reasons && q.reasons != MIGOFF_REASONS_ALL)
			reasons_json(w, "reasons", q.reasons);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	return 0;
}

/* status / config save: the whole configuration. */
static int write_status(FILE *f, bool as_json, bool pp)
{
	uint32_t ids[MIGOFF_REASON_COUNT];
	struct migoff_batch b = { .size = sizeof(b) };
	struct migoff_migrator ms[64];
	struct migoff_info info;
	unsigned int n = 0, r, i, p;
	uint64_t auto_mask = 0;
	bool latency;
	char lt[32];
	struct jw w;
	int err;

	info.size = sizeof(info);
	err = migoff_get_info(dev, &info);
	if (!err) {
		err = migoff_get_routes(dev, ids, MIGOFF_REASON_COUNT);
		err = err < 0 ? err : 0;
	}
	if (!err)
		err = get_auto_reasons(&auto_mask);
	if (!err)
		err = migoff_get_batch_caps(dev, &b);
	latency = info.features & MIGOFF_FEAT_LATENCY;
	for (n = 0; !err && n < info.nr_migrators && n < 64; n++) {
		ms[n].size = sizeof(ms[n]);
		err = migoff_get_migrator(dev, n, &ms[n]);
	}
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
		/* Only from kernels that can route automatically: config load reads it. */
		if (info.features & MIGOFF_FEAT_AUTO)
			reasons_json(&w, "auto_reasons", auto_mask);
		jw_obj_open(&w, "batch");
		jw_u64(&w, "max_pages", b.max_pages);
		jw_u64(&w, "min_folios", b.min_folios);
		if (latency)
			jw_u64(&w, "latency_us", b.latency_us);
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
		if ((info.features & MIGOFF_FEAT_QUOTAS) && save_quotas(&w))
			return 1;
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
		fprintf(f, "%-18s %s%s\n", migoff_reason_name(r), name,
			auto_mask & MIGOFF_REASON_BIT(r) ? " (auto)" : "");
	}
	fprintf(f, "\nbatch: max_pages %u%s, min_folios %u", b.max_pages,
		b.max_pages == 512 ? " (default)" : "", b.min_folios);
	if (latency)
		fprintf(f, ", latency %s, effective_pages %u",
			latency_text(lt, sizeof(lt), b.latency_us), b.effective_pages);
	fprintf(f, "\n");
	fprintf(f, "migrators: ");
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s%s", i ? ", " : "", ms[i].name,
			ms[i].state & MIGOFF_MIGRATOR_AVAILABLE ? "" : " (unavailable)");
	fprintf(f, "\n");
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("status takes no arguments (got '%s')", argv[1]);
	return open_dev() ? 1 : write_status(stdout, json, pretty);
}

/*
 * --reason, and for enable (@automatic not NULL) --migrator and
 * --auto[=wall|cpu] (@automatic gets MIGOFF_ROUTE_AUTO flags).
 */
static int reason_opts(int argc, char **argv, uint64_t *mask, const char **migrator,
		       uint32_t *automatic)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "migrator", required_argument, NULL, 'm' },
		{ "auto", optional_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	bool allow_migrator = automatic != NULL;
	int c;

	optind = 0;	/* re-initialise getopt: options may follow arguments */
	while ((c = next_opt(argc, argv, "r:m:", opts)) != -1) {
		switch (c) {
		case 'r':
			if (migoff_reasons_parse(optarg, mask))
				return usage_error("unknown reason in '%s' (see --help for the list)", optarg);
			break;
		case 'm':
			if (!allow_migrator)
				return usage_error("%s takes no --migrator", cmd_name);
			if (!*optarg || strlen(optarg) >= MIGOFF_NAME_LEN)
				return usage_error("--migrator wants a migrator name, got '%s'", optarg);
			*migrator = optarg;
			break;
		case 'a':
			if (!automatic)
				return usage_error("%s takes no --auto", cmd_name);
			*automatic = MIGOFF_ROUTE_AUTO;
			if (!optarg || !strcmp(optarg, "wall"))
				break;
			if (strcmp(optarg, "cpu"))
				return usage_error("--auto=%s: the objective is 'wall' (time) or 'cpu' (time)",
						   optarg);
			*automatic |= MIGOFF_ROUTE_AUTO_CPU_TIME;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

static int cmd_enable(int argc, char **argv)
{
	const char *migrator = "cpu";
	uint32_t automatic = 0;
	uint64_t mask = 0;
	char what[160];
	int rc = reason_opts(argc, argv, &mask, &migrator, &automatic), err;

	if (rc)
		return rc;
	if (!mask)
		return usage_error("needs --reason=LIST%s", "");
	if (open_dev())
		return 1;
	err = migoff_enable_flags(dev, mask, migrator, automatic);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "migoffloadctl: enable: --auto%s: this kernel's migrate_offload cannot route automatically%s: update the module, or enable without it\n",
			automatic & MIGOFF_ROUTE_AUTO_CPU_TIME ? "=cpu" : "",
			automatic & MIGOFF_ROUTE_AUTO_CPU_TIME ? " by CPU time (no MIGOFF_FEAT_AUTO_CPU_TIME)" :
			" (no MIGOFF_FEAT_AUTO)");
		return 1;
	}
	if (err == -ENOENT) {
		fprintf(stderr, "migoffloadctl: enable: no migrator '%s': see 'migoffloadctl migrator list' (modprobe migoff_%s?)\n",
			migrator, migrator);
		return 1;
	}
	snprintf(what, sizeof(what), "routing to migrator '%s'%s", migrator,
		 !automatic ? "" : automatic & MIGOFF_ROUTE_AUTO_CPU_TIME ?
		 " automatically (CPU time)" : " automatically");
	return err ? fail(what, err) : 0;
}

static int cmd_disable(int argc, char **argv)
{
	uint64_t mask = 0;
	int rc = reason_opts(argc, argv, &mask, NULL, NULL), err;

	if (rc)
		return rc;
	if (open_dev())
		return 1;
	err = migoff_disable(dev, mask ? mask : MIGOFF_REASONS_ALL);
	return err ? fail("disabling offload", err) : 0;
}

static int migrator_list(bool names)
{
	struct migoff_info info;
	struct migoff_migrator m;
	unsigned int i, p;
	struct jw w;
	int err;

	if (open_dev())
		return 1;
	info.size = sizeof(info);
	err = migoff_get_info(dev, &info);
	if (err)
		return fail("reading info", err);
	if (json && !names) {
		jw_init(&w, stdout, pretty);
		jw_arr_open(&w, NULL);
	} else if (!names) {
		printf("%-10s %-8s %-9s %-28s %s\n", "NAME", "KIND", "AVAILABLE",
		       "REASONS", "PARAMS");
	}
	for (i = 0; i < info.nr_migrators; i++) {
		char rs[256], ps[256] = "";
		size_t n = 0;

		m.size = sizeof(m);
		err = migoff_get_migrator(dev, i, &m);
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
		printf("%-10s %-8s %-9s %-28s %s\n", m.name, migoff_kind_name(m.kind) ? : "?",
		       m.state & MIGOFF_MIGRATOR_AVAILABLE ? "yes" : "no", rs,
		       n ? ps : "-");
	}
	if (json && !names) {
		jw_arr_close(&w);
		jw_end(&w);
	}
	return 0;
}

static int cmd_migrator(int argc, char **argv)
{
	uint64_t *vals;
	char what[128];
	int i, err, rc = 0;

	if (argc < 2)
		return usage_error("migrator needs 'list' or 'set'%s", "");
	if (!strcmp(argv[1], "list")) {
		bool names = argc == 3 && !strcmp(argv[2], "--names");

		if (argc > 2 && !names)
			return usage_error("unexpected argument '%s'", argv[2]);
		return migrator_list(names);
	}
	if (strcmp(argv[1], "set"))
		return usage_error("migrator: unknown subcommand '%s' (list or set)", argv[1]);
	if (argc < 4)
		return usage_error("usage: migrator set NAME PARAM=VALUE...%s", "");
	if (strlen(argv[2]) >= MIGOFF_NAME_LEN)
		return usage_error("no migrator has a name as long as '%s'", argv[2]);
	vals = calloc(argc, sizeof(*vals));
	if (!vals)
		return fail("allocating", ENOMEM);
	for (i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq || eq == argv[i] || eq - argv[i] >= MIGOFF_PARAM_NAME_LEN ||
		    parse_u64(eq + 1, &vals[i])) {
			free(vals);
			return usage_error("expected PARAM=VALUE with a decimal number, got '%s'", argv[i]);
		}
		*eq = '\0';
	}
	if (open_dev()) {
		free(vals);
		return 1;
	}
	for (i = 3; i < argc && !rc; i++) {
		err = migoff_set_param(dev, argv[2], argv[i], vals[i]);
		if (err == -ENOENT) {
			fprintf(stderr, "migoffloadctl: migrator: no migrator '%s' with a parameter '%s': see 'migoffloadctl migrator list'\n",
				argv[2], argv[i]);
			rc = 1;
		} else if (err) {
			snprintf(what, sizeof(what), "setting %s of '%s'", argv[i], argv[2]);
			rc = fail(what, err);
		}
	}
	free(vals);
	return rc;
}

/* batch [show]: the caps, the latency target and the cap batches have now. */
static int batch_show(void)
{
	struct migoff_batch b = { .size = sizeof(b) };
	struct migoff_info info = { .size = sizeof(info) };
	bool latency;
	char lt[32];
	struct jw w;
	int err;

	if (open_dev())
		return 1;
	err = migoff_get_info(dev, &info);
	if (!err)
		err = migoff_get_batch_caps(dev, &b);
	if (err)
		return fail("reading the batch caps", err);
	latency = info.features & MIGOFF_FEAT_LATENCY;
	if (json) {
		jw_init(&w, stdout, pretty);
		jw_obj_open(&w, NULL);
		jw_u64(&w, "max_pages", b.max_pages);
		jw_u64(&w, "min_folios", b.min_folios);
		/* null: this kernel has no latency target (no MIGOFF_FEAT_LATENCY) */
		if (latency) {
			jw_u64(&w, "latency_us", b.latency_us);
			jw_u64(&w, "effective_pages", b.effective_pages);
		} else {
			jw_str(&w, "latency_us", NULL);
			jw_str(&w, "effective_pages", NULL);
		}
		jw_obj_close(&w);
		jw_end(&w);
		return 0;
	}
	printf("max_pages        %u%s\n", b.max_pages, b.max_pages == 512 ? " (default)" : "");
	printf("min_folios       %u\n", b.min_folios);
	if (latency) {
		printf("latency          %s\n", latency_text(lt, sizeof(lt), b.latency_us));
		printf("effective_pages  %u\n", b.effective_pages);
	} else {
		printf("latency          - (not supported by this kernel)\n");
		printf("effective_pages  -\n");
	}
	return 0;
}

/* --latency=TIME: microseconds up to MIGOFF_MAX_LATENCY_US, or a usage error. */
static int latency_opt(const char *s, uint64_t *us)
{
	int err = parse_time_us(s, us);

	if (!err && *us > MIGOFF_MAX_LATENCY_US)
		err = -ERANGE;
	if (err == -ERANGE)
		return usage_errorf("--latency: '%s' is out of range (at most %us)", s,
				    MIGOFF_MAX_LATENCY_US / 1000000);
	if (err)
		return usage_errorf("--latency wants a time like 500us, 2ms or 1s (a plain number is microseconds; 0 or off: none), got '%s'",
				    s);
	return 0;
}

static int cmd_batch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-pages", required_argument, NULL, 'M' },
		{ "min-folios", required_argument, NULL, 'm' },
		{ "latency", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t max = 0, min = 0, latency = 0;
	struct migoff_batch b = { .size = sizeof(b) };
	int c, err;

	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "show")))
		return batch_show();
	if (!strcmp(argv[1], "show"))
		return usage_error("unexpected argument '%s'", argv[2]);
	if (strcmp(argv[1], "set"))
		return usage_error("unknown subcommand '%s' (show or set)", argv[1]);
	argc--;
	argv++;		/* parse "set ..." */
	optind = 0;	/* re-initialise getopt */
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'M':
			if (number_opt("--max-pages", optarg, UINT32_MAX, &max))
				return EXIT_USAGE;
			b.flags |= MIGOFF_BATCH_SET_MAX_PAGES;
			break;
		case 'm':
			if (number_opt("--min-folios", optarg, UINT32_MAX, &min))
				return EXIT_USAGE;
			b.flags |= MIGOFF_BATCH_SET_MIN_FOLIOS;
			break;
		case 'l':
			if (latency_opt(optarg, &latency))
				return EXIT_USAGE;
			b.flags |= MIGOFF_BATCH_SET_LATENCY;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!b.flags)
		return usage_error("set needs --max-pages, --min-folios and/or --latency%s", "");
	if (open_dev())
		return 1;
	b.max_pages = max;
	b.min_folios = min;
	b.latency_us = latency;
	/* One call: all the caps named change, or none. */
	err = migoff_set_batch_caps(dev, &b);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "migoffloadctl: batch: --latency: this kernel's migrate_offload has no latency target (no MIGOFF_FEAT_LATENCY): update the module; nothing changed\n");
		return 1;
	}
	return err ? fail("setting the batch caps", err) : 0;
}

static int collect(const struct migoff_stats_entry *e, void *arg)
{
	return sample_add(arg, e);
}

static int take_sample(struct sample *s)
{
	int err;

	sample_clear(s);
	err = migoff_stats_dump_flags(dev, MIGOFF_DUMP_AUTO, collect, s);
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	return err;
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

#define RATE(field) (counter_delta(c->field, p->field) / secs)

/* "4K", "64K", "2M": a folio size of @pages base pages. */
static const char *pages_text(char *buf, size_t len, uint32_t pages)
{
	static const char units[] = "KMGT";
	uint64_t v = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE) >> 10;
	unsigned int u = 0;

	while (v >= 1024 && !(v % 1024) && u < sizeof(units) - 2) {
		v >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

/* The side the estimates say is cheaper, NULL while one is not measured. */
static const char *cheaper(const struct migoff_auto_class *a)
{
	if (!a->migrator_ns_per_mib || !a->cpu_ns_per_mib)
		return NULL;
	return a->migrator_ns_per_mib < a->cpu_ns_per_mib ? "migrator" : "cpu";
}

/* MiB/s of a cost in ns per MiB ("-": not measured), for the tables. */
static const char *mibs_text(char *buf, size_t len, uint64_t ns_per_mib)
{
	if (ns_per_mib)
		snprintf(buf, len, "%.1f", 1e9 / ns_per_mib);
	else
		snprintf(buf, len, "-");
	return buf;
}

/*
 * The estimates of the reasons routed automatically (scope
 * MIGOFF_STATS_AUTO): per reason, one entry per folio size class, grouped
 * by reason whatever the order of the dump. JSON: the kernel's ns per MiB;
 * tables: MiB/s (2^20 bytes per second) computed from them.
 */
static void print_auto(struct jw *w, const struct sample *s, const struct sample *prev,
		       double secs)
{
	const struct migoff_stats_entry *e, *f, *pe;
	const struct migoff_auto_class *a, *pa;
	bool header = false;
	char t1[32], t2[32], t3[32];
	size_t i, j, k;

	for (i = 0; i < s->n; i++) {
		e = &s->e[i];
		if (e->scope != MIGOFF_STATS_AUTO)
			continue;
		for (k = 0; k < i; k++)	/* this reason's classes already printed? */
			if (s->e[k].scope == MIGOFF_STATS_AUTO && s->e[k].index == e->index)
				break;
		if (k < i)
			continue;
		if (w && !header)
			jw_obj_open(w, "auto");
		else if (!header && prev)
			printf("auto:            %7s %14s %10s %8s %14s %13s %10s\n", "folio>=",
			       "migrator_MiB/s", "cpu_MiB/s", "cheaper", "to_migrator/s",
			       "to_cpu/s", "probes/s");
		else if (!header)
			printf("auto:            %7s %14s %10s %8s %12s %12s %10s\n", "folio>=",
			       "migrator_MiB/s", "cpu_MiB/s", "cheaper", "to_migrator", "to_cpu",
			       "probes");
		header = true;
		if (w)
			jw_arr_open(w, e->name);
		for (j = i; j < s->n; j++) {
			f = &s->e[j];
			if (f->scope != MIGOFF_STATS_AUTO || f->index != e->index)
				continue;
			pe = prev ? sample_find(prev, f) : NULL;
			if (prev && !pe)
				continue;
			a = &f->auto_class;
			pa = pe ? &pe->auto_class : NULL;
			if (w) {
				jw_obj_open(w, NULL);
				jw_u64(w, "min_pages", a->min_pages);
				jw_u64(w, "migrator_ns_per_mib", a->migrator_ns_per_mib);
				jw_u64(w, "cpu_ns_per_mib", a->cpu_ns_per_mib);
				jw_str(w, "cheaper", cheaper(a));
				if (pa) {
					jw_double(w, "batches_migrator_per_s",
						  counter_delta(a->batches_migrator, pa->batches_migrator) / secs);
					jw_double(w, "batches_cpu_per_s",
						  counter_delta(a->batches_cpu, pa->batches_cpu) / secs);
					jw_double(w, "batches_probe_per_s",
						  counter_delta(a->batches_probe, pa->batches_probe) / secs);
				} else {
					jw_u64(w, "batches_migrator", a->batches_migrator);
					jw_u64(w, "batches_cpu", a->batches_cpu);
					jw_u64(w, "batches_probe", a->batches_probe);
				}
				jw_obj_close(w);
				continue;
			}
			printf("  %-14s %7s %14s %10s %8s", f->name,
			       pages_text(t1, sizeof(t1), a->min_pages),
			       mibs_text(t2, sizeof(t2), a->migrator_ns_per_mib),
			       mibs_text(t3, sizeof(t3), a->cpu_ns_per_mib), cheaper(a) ? : "-");
			if (pa)
				printf(" %14.1f %13.1f %10.1f\n",
				       counter_delta(a->batches_migrator, pa->batches_migrator) / secs,
				       counter_delta(a->batches_cpu, pa->batches_cpu) / secs,
				       counter_delta(a->batches_probe, pa->batches_probe) / secs);
			else
				printf(" %12" PRIu64 " %12" PRIu64 " %10" PRIu64 "\n",
				       (uint64_t)a->batches_migrator, (uint64_t)a->batches_cpu,
				       (uint64_t)a->batches_probe);
		}
		if (w)
			jw_arr_close(w);
	}
	if (w && header)
		jw_obj_close(w);
}

/*
 * One stats sample; with @prev, rates per second over the measured time
 * between the two, entries paired by reason, migrator id or cgroup (an
 * entry new in @s has no rate yet and is left out).
 */
static void print_stats(const struct sample *s, const struct sample *prev)
{
	double secs = prev ? elapsed(&prev->when, &s->when) : 0;
	const struct migoff_stats_entry *e, *pe;
	bool open = false, auto_done = false;
	uint32_t scope = ~0U;
	unsigned int f;
	size_t i;
	struct jw w;

	if (prev && secs <= 0)
		secs = 1e-9;
	if (json) {
		jw_init(&w, stdout, pretty);
		jw_obj_open(&w, NULL);
		if (prev)
			jw_double(&w, "interval_s", secs);
		for (i = 0; i < s->n; i++) {
			const struct migoff_counters *c, *p;
			const struct migoff_quota *q, *pq;

			e = &s->e[i];
			pe = prev ? sample_find(prev, e) : NULL;
			if ((prev && !pe) || e->scope == MIGOFF_STATS_AUTO)
				continue;
			c = &e->counters;
			p = pe ? &pe->counters : NULL;
			q = &e->quota;
			pq = pe ? &pe->quota : NULL;
			if (e->scope != scope) {
				if (open)
					jw_obj_close(&w);
				jw_obj_open(&w, scope_key(e->scope));
				open = true;
				scope = e->scope;
			}
			if (e->scope == MIGOFF_STATS_CGROUP) {
				char id[32];

				snprintf(id, sizeof(id), "%llu", (unsigned long long)q->cgroup_id);
				jw_obj_open(&w, id);
				if (pq) {
					jw_double(&w, "bytes_offloaded_per_s",
						  counter_delta(q->bytes_offloaded, pq->bytes_offloaded) / secs);
					jw_double(&w, "bytes_refused_per_s",
						  counter_delta(q->bytes_refused, pq->bytes_refused) / secs);
					jw_double(&w, "folios_offloaded_per_s",
						  counter_delta(q->folios_offloaded, pq->folios_offloaded) / secs);
					jw_double(&w, "folios_refused_per_s",
						  counter_delta(q->folios_refused, pq->folios_refused) / secs);
				} else {
					quota_json(&w, q);
				}
				jw_obj_close(&w);
				continue;
			}
			jw_obj_open(&w, e->name);
			if (p) {
				jw_double(&w, "batches_per_s", RATE(batches));
				jw_double(&w, "folios_per_s", RATE(folios));
				jw_double(&w, "bytes_per_s", RATE(bytes));
				jw_double(&w, "fallbacks_per_s",
					  counter_delta(fallbacks(c), fallbacks(p)) / secs);
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
		if (open)
			jw_obj_close(&w);
		print_auto(&w, s, prev, secs);
		jw_obj_close(&w);
		jw_end(&w);
		return;
	}
	if (prev)
		printf("%-18s %12s %12s %12s %12s   (over %.2f s)\n", "", "batches/s", "folios/s",
		       "MB/s", "fallbacks/s", secs);
	else
		printf("%-18s %10s %12s %14s %10s %9s %9s %9s %9s %9s %9s\n", "", "batches",
		       "folios", "bytes", "copy_ms", "error", "timeout", "quota", "too_small",
		       "auto", "busy");
	for (i = 0; i < s->n; i++) {
		const struct migoff_counters *c, *p;
		const struct migoff_quota *q, *pq;

		e = &s->e[i];
		pe = prev ? sample_find(prev, e) : NULL;
		if ((prev && !pe) || e->scope == MIGOFF_STATS_AUTO)
			continue;
		c = &e->counters;
		p = pe ? &pe->counters : NULL;
		q = &e->quota;
		pq = pe ? &pe->quota : NULL;
		if (e->scope == MIGOFF_STATS_CGROUP) {
			if (e->scope != scope && !auto_done) {
				/* The cgroups stay the last table. */
				print_auto(NULL, s, prev, secs);
				auto_done = true;
			}
			if (e->scope != scope && pq)
				printf("cgroup quota:   %8s %14s %14s %14s %14s\n", "id",
				       "folios/s", "MB/s", "refused/s", "refused_MB/s");
			else if (e->scope != scope)
				printf("cgroup quota:   %8s %12s %14s %12s %14s %10s\n", "id",
				       "folios", "bytes", "refused", "refused_bytes", "cpu_ms");
			scope = e->scope;
			if (pq)
				printf("                %8llu %14.1f %14.2f %14.1f %14.2f\n",
				       (unsigned long long)q->cgroup_id,
				       counter_delta(q->folios_offloaded, pq->folios_offloaded) / secs,
				       counter_delta(q->bytes_offloaded, pq->bytes_offloaded) / secs / 1e6,
				       counter_delta(q->folios_refused, pq->folios_refused) / secs,
				       counter_delta(q->bytes_refused, pq->bytes_refused) / secs / 1e6);
			else
				printf("                %8llu %12llu %14llu %12llu %14llu %10.1f\n",
				       (unsigned long long)q->cgroup_id,
				       (unsigned long long)q->folios_offloaded,
				       (unsigned long long)q->bytes_offloaded,
				       (unsigned long long)q->folios_refused,
				       (unsigned long long)q->bytes_refused, q->copy_cpu_ns / 1e6);
			continue;
		}
		if (e->scope != scope)
			printf("%s\n", e->scope == MIGOFF_STATS_REASON ? "reason:" : "migrator:");
		scope = e->scope;
		if (p)
			printf("  %-16s %12.1f %12.1f %12.2f %12.1f\n", e->name,
			       RATE(batches), RATE(folios), RATE(bytes) / 1e6,
			       counter_delta(fallbacks(c), fallbacks(p)) / secs);
		else
			printf("  %-16s %10" PRIu64 " %12" PRIu64 " %14" PRIu64 " %10.1f %9" PRIu64
			       " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
			       e->name,
			       (uint64_t)c->batches, (uint64_t)c->folios, (uint64_t)c->bytes,
			       c->copy_ns / 1e6, (uint64_t)c->fallback[MIGOFF_FALLBACK_ERROR],
			       (uint64_t)c->fallback[MIGOFF_FALLBACK_TIMEOUT],
			       (uint64_t)c->fallback[MIGOFF_FALLBACK_QUOTA],
			       (uint64_t)c->fallback[MIGOFF_FALLBACK_TOO_SMALL],
			       (uint64_t)c->fallback[MIGOFF_FALLBACK_AUTO],
			       (uint64_t)c->fallback[MIGOFF_FALLBACK_BUSY]);
	}
	if (!auto_done)
		print_auto(NULL, s, prev, secs);
	fflush(stdout);
}

/* stats --format: to stdout, or replacing @output atomically. */
static int write_metrics(const struct sample *s, enum metrics_format fmt, const char *output)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	if (!output)
		return metrics_write(stdout, s->e, s->n, fmt) ? fail("writing", EIO) : 0;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return fail("allocating", ENOMEM);
	err = metrics_write(mem, s->e, s->n, fmt);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (!err)
		err = write_file_atomic(output, buf, len);
	free(buf);
	return err ? fail(output, err) : 0;
}

/* Sleep @secs unless a signal stops us. */
static void nap(uint64_t secs)
{
	struct timespec ts = { .tv_sec = secs };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reset", no_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct sample a = { 0 }, b = { 0 }, *cur = &a, *prev = &b, *t;
	enum metrics_format fmt = METRICS_OPENMETRICS;
	uint64_t interval = 0, count = 0, n;
	bool reset = false, metrics = false;
	const char *output = NULL;
	int c, err, rc = 0;

	optind = 0;	/* re-initialise getopt */
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'r':
			reset = true;
			break;
		case 'i':
			if (number_opt("--interval", optarg, 86400, &interval))
				return EXIT_USAGE;
			if (!interval)
				return usage_error("--interval wants seconds > 0, got '%s'", optarg);
			break;
		case 'c':
			if (number_opt("--count", optarg, UINT64_MAX, &count))
				return EXIT_USAGE;
			if (!count)
				return usage_error("--count wants a number > 0, got '%s'", optarg);
			break;
		case 'f':
			if (metrics_format_parse(optarg, &fmt))
				return usage_error("--format wants openmetrics or prometheus, got '%s'", optarg);
			metrics = true;
			break;
		case 'o':
			if (!*optarg)
				return usage_error("--output wants a file name%s", "");
			output = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (count && !interval)
		return usage_error("--count needs --interval%s", "");
	if (output && !metrics)
		return usage_error("--output needs --format%s", "");
	if (metrics && interval)
		return usage_error("--format writes one sample: no --interval%s", "");
	if (metrics && json)
		return usage_error("--format and -j are two output formats: give one%s", "");
	if (open_dev())
		return 1;
	err = take_sample(cur);
	if (err) {
		rc = nl_fail("reading statistics (netlink)", err);
		goto out;
	}
	if (metrics) {
		rc = write_metrics(cur, fmt, output);
	} else if (!interval) {
		print_stats(cur, NULL);
	} else {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		for (n = 0; !stop && (!count || n < count); n++) {
			t = prev;
			prev = cur;
			cur = t;
			nap(interval);
			if (stop)
				break;
			err = take_sample(cur);
			if (err) {
				rc = nl_fail("reading statistics (netlink)", err);
				break;
			}
			print_stats(cur, prev);
		}
	}
	if (!rc && reset) {
		err = migoff_reset_stats(dev);
		if (err)
			rc = fail("resetting statistics", err);
	}
out:
	sample_free(&a);
	sample_free(&b);
	return rc;
}

static void event_json(const struct migoff_event *ev)
{
	struct jw w;

	/* JSON Lines: one object per line, whatever -p says. */
	jw_init(&w, stdout, false);
	jw_obj_open(&w, NULL);
	jw_u64(&w, "time", (uint64_t)time(NULL));
	jw_str(&w, "event", migoff_event_name(ev->type) ? : "unknown");
	switch (ev->type) {
	case MIGOFF_EVENT_ENABLE:
		reasons_json(&w, "reasons", ev->reasons);
		jw_str(&w, "migrator", ev->name);
		jw_bool(&w, "auto", ev->value == 1);
		break;
	case MIGOFF_EVENT_DISABLE:
		reasons_json(&w, "reasons", ev->reasons);
		break;
	case MIGOFF_EVENT_BATCH:
		jw_u64(&w, "max_pages", ev->max_pages);
		jw_u64(&w, "min_folios", ev->min_folios);
		jw_u64(&w, "latency_us", ev->value);
		break;
	case MIGOFF_EVENT_PARAM:
		jw_str(&w, "migrator", ev->name);
		jw_str(&w, "param", ev->param);
		jw_u64(&w, "value", ev->value);
		break;
	case MIGOFF_EVENT_FALLBACK:
		reasons_json(&w, "reasons", ev->reasons);
		jw_u64(&w, "folios", ev->folios);
		break;
	case MIGOFF_EVENT_QUOTA:
		jw_u64(&w, "cgroup_id", ev->cgroup_id);
		jw_u64(&w, "rate", ev->rate);
		jw_u64(&w, "burst", ev->burst);
		if (ev->rate)
			reasons_json(&w, "reasons", ev->reasons ? ev->reasons : MIGOFF_REASONS_ALL);
		break;
	}
	jw_obj_close(&w);
	jw_end(&w);
}

/* One line per event, as 'ip monitor' prints them. */
static void event_text(const struct migoff_event *ev)
{
	char rs[256];

	reasons_text(rs, sizeof(rs), ev->reasons);
	switch (ev->type) {
	case MIGOFF_EVENT_ENABLE:
		printf("enable %s migrator %s%s\n", rs, ev->name, ev->value == 1 ? " auto" : "");
		break;
	case MIGOFF_EVENT_DISABLE:
		printf("disable %s\n", rs);
		break;
	case MIGOFF_EVENT_BATCH:
		printf("batch max_pages %u min_folios %u latency_us %llu\n", ev->max_pages,
		       ev->min_folios, (unsigned long long)ev->value);
		break;
	case MIGOFF_EVENT_PARAM:
		printf("param %s %s %llu\n", ev->name, ev->param, (unsigned long long)ev->value);
		break;
	case MIGOFF_EVENT_STATS_RESET:
		printf("stats_reset\n");
		break;
	case MIGOFF_EVENT_FALLBACK:
		printf("fallback %s folios %llu\n", rs, (unsigned long long)ev->folios);
		break;
	case MIGOFF_EVENT_QUOTA:
		if (!ev->rate) {
			printf("quota cgroup %llu cleared\n", (unsigned long long)ev->cgroup_id);
			break;
		}
		reasons_text(rs, sizeof(rs), ev->reasons ? ev->reasons : MIGOFF_REASONS_ALL);
		printf("quota cgroup %llu rate %llu burst %llu reasons %s\n",
		       (unsigned long long)ev->cgroup_id, (unsigned long long)ev->rate,
		       (unsigned long long)ev->burst, rs);
		break;
	default:
		printf("event %u\n", ev->type);
	}
	fflush(stdout);
}

static int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct migoff_event ev;
	uint64_t count = 0, n = 0;
	struct pollfd pfd;
	int c, fd, err;

	optind = 0;
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		if (c != 'c')
			return EXIT_USAGE;
		if (number_opt("--count", optarg, UINT64_MAX, &count))
			return EXIT_USAGE;
		if (!count)
			return usage_error("--count wants a number > 0, got '%s'", optarg);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (open_dev())
		return 1;
	fd = migoff_events_subscribe(dev);
	if (fd < 0)
		return nl_fail("subscribing to events (netlink)", fd);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop && (!count || n < count)) {
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		ev.size = sizeof(ev);
		err = migoff_event_read(dev, &ev);
		if (err == -ENOBUFS) {
			/* As 'ip monitor': say so, and go on. */
			fprintf(stderr, "migoffloadctl: monitor: events lost (receive buffer overflowed); continuing\n");
			continue;
		}
		if (err == -EPROTO) {
			fprintf(stderr, "migoffloadctl: monitor: skipped a malformed event\n");
			continue;
		}
		if (err == -EINTR)
			continue;
		if (err)
			return fail("reading an event", err);
		n++;
		if (json)
			event_json(&ev);
		else
			event_text(&ev);
	}
	return 0;
}

/* The whole file ('-': stdin), NUL-terminated, in *@len bytes (NULs inside are kept). */
static char *read_file(const char *path, size_t *len, int *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
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
	if (f != stdin)
		fclose(f);
	buf[*len] = '\0';
	return buf;
fail:
	free(buf);
	if (f != stdin)
		fclose(f);
	return NULL;
}

/* What config load resolves a file against, and restores on failure. */
static int read_system(struct migoff_ctx *ctx, struct cfg_system *sys)
{
	struct migoff_batch b;
	struct migoff_info info;
	unsigned int i;
	int err;

	memset(sys, 0, sizeof(*sys));
	info.size = sizeof(info);
	err = migoff_get_info(ctx, &info);
	if (err)
		return err;
	sys->reasons_supported = info.reasons_supported;
	sys->features = info.features;
	sys->max_batch_pages_limit = info.max_batch_pages_limit;
	for (i = 0; i < info.nr_migrators && i < CFG_MAX_MIGRATORS; i++) {
		sys->migrators[i].size = sizeof(sys->migrators[i]);
		err = migoff_get_migrator(ctx, i, &sys->migrators[i]);
		if (err == -ENOENT)
			break;	/* one went away meanwhile */
		if (err)
			return err;
		sys->nr_migrators++;
	}
	b.size = sizeof(b);
	err = migoff_get_batch_caps(ctx, &b);
	sys->max_pages = b.max_pages;
	sys->min_folios = b.min_folios;
	sys->latency_us = b.latency_us;
	if (!err)
		err = migoff_get_routes(ctx, sys->route_ids, MIGOFF_REASON_COUNT);
	if (err >= 0) {
		err = migoff_get_auto_reasons(ctx, &sys->auto_reasons);
		err = err == -EOPNOTSUPP ? 0 : err;
	}
	return err < 0 ? err : 0;
}

static int ops_set_batch(void *ctx, uint32_t flags, uint32_t max_pages, uint32_t min_folios,
			 uint32_t latency_us)
{
	struct migoff_batch b = { .size = sizeof(b), .flags = flags, .max_pages = max_pages,
				  .min_folios = min_folios, .latency_us = latency_us };

	/* Fields not named must be 0. */
	if (!(flags & MIGOFF_BATCH_SET_MAX_PAGES))
		b.max_pages = 0;
	if (!(flags & MIGOFF_BATCH_SET_MIN_FOLIOS))
		b.min_folios = 0;
	if (!(flags & MIGOFF_BATCH_SET_LATENCY))
		b.latency_us = 0;
	return migoff_set_batch_caps(ctx, &b);
}

static int ops_set_param(void *ctx, const char *migrator, const char *param, uint64_t value)
{
	return migoff_set_param(ctx, migrator, param, value);
}

static int ops_enable(void *ctx, uint64_t reasons, const char *migrator, uint32_t flags)
{
	return migoff_enable_flags(ctx, reasons, migrator, flags);
}

static int ops_disable(void *ctx, uint64_t reasons)
{
	return migoff_disable(ctx, reasons);
}

static int ops_quota_get(void *ctx, const char *cgroup, uint64_t *rate, uint64_t *burst,
			 uint64_t *reasons)
{
	struct migoff_quota q = { .size = sizeof(q) };
	int err = migoff_quota_find(ctx, cgroup, &q);

	*rate = q.rate;
	*burst = q.burst;
	*reasons = q.reasons == MIGOFF_REASONS_ALL ? 0 : q.reasons;
	return err;
}

static int ops_quota_set(void *ctx, const char *cgroup, uint64_t rate, uint64_t burst,
			 uint64_t reasons)
{
	return migoff_quota_set(ctx, cgroup, rate, burst, reasons);
}

static int ops_quota_clear(void *ctx, const char *cgroup)
{
	return migoff_quota_clear(ctx, cgroup);
}

static int ops_cgroup_state(void *ctx, const char *cgroup)
{
	(void)ctx;
	return cgroup_state(cgroup);
}

static int ops_cgroup_mkdir(void *ctx, const char *cgroup)
{
	(void)ctx;
	return mkdir(cgroup, 0755) ? -errno : 0;
}

static int ops_cgroup_rmdir(void *ctx, const char *cgroup)
{
	(void)ctx;
	return rmdir(cgroup) ? -errno : 0;
}

static const struct cfg_ops lib_ops = {
	.set_batch = ops_set_batch,
	.set_param = ops_set_param,
	.enable = ops_enable,
	.disable = ops_disable,
	.quota_get = ops_quota_get,
	.quota_set = ops_quota_set,
	.quota_clear = ops_quota_clear,
	.cgroup_state = ops_cgroup_state,
	.cgroup_mkdir = ops_cgroup_mkdir,
	.cgroup_rmdir = ops_cgroup_rmdir,
};

/* config load's options. */
struct load_opts {
	uint64_t wait;		/* --wait: seconds */
	unsigned int flags;	/* --force: CFG_FORCE */
	bool create;		/* --create-cgroups */
};

/* Seconds since @t0 (CLOCK_MONOTONIC). */
static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return elapsed(t0, &now);
}

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Apply a saved configuration: the whole file is parsed and validated before
 * the device is even opened, then resolved against the running system
 * (migrators, parameter ranges, batch limit, the quotas' cgroups), and only
 * then changed; a change that fails undoes those before it. With --wait,
 * the device and every migrator the file names are waited for, up to that
 * many seconds (a DMA provider that probes late at boot), saying which.
 */
static int config_load(const char *path, const struct load_opts *o)
{
	const char *shown = strcmp(path, "-") ? path : "<stdin>", *missing, *why;
	char msg[768], what[1024], waiting[MIGOFF_NAME_LEN] = "", waited[64] = "";
	struct cfg_system *sys = NULL;
	struct timespec t0;
	struct config *cfg;
	bool restored;
	size_t len;
	int err = 0, rc = 1;
	char *text = read_file(path, &len, &err), *w, *nl;

	if (!text)
		return fail(shown, err);
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		free(text);
		return fail("allocating", ENOMEM);
	}
	err = config_parse_flags(text, len, o->flags, cfg, msg, sizeof(msg));
	free(text);
	if (err) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s; nothing changed\n", shown, msg);
		goto out;
	}
	for (w = cfg->warnings; *w; w = nl + 1) {
		nl = strchr(w, '\n');
		if (!nl)
			break;
		fprintf(stderr, "migoffloadctl: config load: warning: %s:%.*s\n", shown,
			(int)(nl - w), w);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (o->wait && access(MIGOFF_DEVICE, F_OK)) {
		fprintf(stderr, "migoffloadctl: config load: waiting up to %llu s for %s\n",
			(unsigned long long)o->wait, MIGOFF_DEVICE);
		while (access(MIGOFF_DEVICE, F_OK) && since(&t0) < o->wait)
			pause_ms(250);
	}
	rc = open_dev();
	if (rc)
		goto out;
	rc = 1;
	sys = malloc(sizeof(*sys));
	if (!sys) {
		rc = fail("allocating", ENOMEM);
		goto out;
	}
	for (;;) {
		err = read_system(dev, sys);
		if (err) {
			rc = fail("reading the configuration", err);
			goto out;
		}
		missing = config_missing(cfg, sys, &why);
		if (!missing || since(&t0) >= o->wait)
			break;
		if (strcmp(waiting, missing)) {
			fprintf(stderr, "migoffloadctl: config load: waiting up to %llu s for migrator '%s' to be %s\n",
				(unsigned long long)o->wait, missing, why);
			snprintf(waiting, sizeof(waiting), "%s", missing);
		}
		pause_ms(250);
	}
	if (waiting[0] && !missing)
		fprintf(stderr, "migoffloadctl: config load: every migrator the file names is there after %.1f s\n",
			since(&t0));
	else if (waiting[0])
		snprintf(waited, sizeof(waited), " (after waiting %llu s)",
			 (unsigned long long)o->wait);
	err = config_resolve(cfg, sys, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s%s; nothing changed\n", shown, msg,
			waited);
		goto out;
	}
	err = config_probe_quotas(cfg, &lib_ops, dev, o->create, msg, sizeof(msg));
	if (err == -ENOENT || err == -ENOTDIR || err == -EMEDIUMTYPE) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s; nothing changed\n", shown, msg);
		goto out;
	} else if (err) {
		snprintf(what, sizeof(what), "load %s:%s (nothing changed)", shown, msg);
		rc = fail(what, err);
		goto out;
	}
	err = config_apply(cfg, sys, &lib_ops, dev, &restored, msg, sizeof(msg));
	if (err) {
		snprintf(what, sizeof(what), "load %s:%s (%s)", shown, msg,
			 restored ? "nothing changed: the previous configuration is restored" :
			 "restoring the previous configuration failed too: check 'migoffloadctl status'");
		rc = fail(what, err);
		goto out;
	}
	rc = 0;
out:
	free(sys);
	free(cfg);
	return rc;
}

static int cmd_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'f' },
		{ "create-cgroups", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct load_opts o = { 0 };
	const char *file;
	char *buf = NULL;
	size_t len = 0;
	bool save;
	FILE *mem;
	int c, rc, err;

	if (argc < 2 || (strcmp(argv[1], "save") && strcmp(argv[1], "load")))
		return usage_error("usage: config save FILE | config load [--wait=SECONDS] [--force] [--create-cgroups] FILE (FILE '-': stdout, stdin)%s", "");
	save = !strcmp(argv[1], "save");
	argc--;
	argv++;		/* parse "load ..." */
	optind = 0;	/* re-initialise getopt: options may follow the file */
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		if (save && (c == 'w' || c == 'f' || c == 'c'))
			return usage_error("save takes no %s", c == 'w' ? "--wait" :
					   c == 'f' ? "--force" : "--create-cgroups");
		switch (c) {
		case 'w':
			if (number_opt("--wait", optarg, 86400, &o.wait))
				return EXIT_USAGE;
			break;
		case 'f':
			o.flags |= CFG_FORCE;
			break;
		case 'c':
			o.create = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error(optind < argc ? "unexpected argument '%s'" :
				   "usage: config save FILE | config load [--wait=SECONDS] [--force] [--create-cgroups] FILE%s",
				   optind < argc ? argv[optind + 1] : "");
	file = argv[optind];
	if (!save)
		return config_load(file, &o);
	/* Read everything first: a failure must leave the file as it was. */
	rc = open_dev();
	if (rc)
		return rc;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return fail("allocating", ENOMEM);
	rc = write_status(mem, true, true);
	if (fclose(mem) && !rc)
		rc = fail("allocating", ENOMEM);
	if (!rc && !strcmp(file, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
			rc = fail("writing to stdout", errno ? errno : EIO);
	} else if (!rc) {
		err = write_file_atomic(file, buf, len);
		if (err)
			rc = fail(file, err);
	}
	free(buf);
	return rc;
}

static int quota_show(const char *cgroup)
{
	struct migoff_quota q;
	char what[512], rs[256];
	unsigned int i;
	struct jw w;
	int err;

	if (open_dev())
		return 1;
	if (json) {
		jw_init(&w, stdout, pretty);
		jw_arr_open(&w, NULL);
	} else {
		printf("%-10s %12s %12s %-20s %14s %14s %10s\n", "CGROUP_ID", "RATE_B/S",
		       "BURST_B", "REASONS", "OFFLOADED_B", "REFUSED_B", "CPU_MS");
	}
	for (i = 0; ; i++) {
		q.size = sizeof(q);
		if (cgroup) {
			if (i)
				break;
			err = migoff_quota_find(dev, cgroup, &q);
		} else {
			err = migoff_quota_get(dev, i, &q);
			if (err == -ENOENT)
				break;
		}
		if (err) {
			snprintf(what, sizeof(what), "reading the quota%s%s",
				 cgroup ? " of " : "s", cgroup ? cgroup : "");
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

static int size_opt(const char *name, const char *s, uint64_t *v)
{
	int err = parse_size(s, v);

	if (err == -ERANGE)
		return usage_errorf("%s: '%s' is out of range", name, s);
	if (err || !*v)
		return usage_errorf("%s wants a decimal size > 0 (e.g. 64M), got '%s'", name, s);
	return 0;
}

static int cmd_quota(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ "reason", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t rate = 0, burst = 0, reasons = 0;
	char what[512];
	int c, err;

	if (argc < 2)
		return usage_error("quota needs 'set', 'show' or 'clear'%s", "");
	if (!strcmp(argv[1], "show")) {
		if (argc > 3)
			return usage_error("unexpected argument '%s'", argv[3]);
		return quota_show(argc == 3 ? argv[2] : NULL);
	}
	if (!strcmp(argv[1], "clear")) {
		if (argc != 3)
			return usage_error("usage: quota clear CGROUP%s", "");
		if (open_dev())
			return 1;
		err = migoff_quota_clear(dev, argv[2]);
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
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'r':
			if (size_opt("--rate", optarg, &rate))
				return EXIT_USAGE;
			break;
		case 'b':
			if (size_opt("--burst", optarg, &burst))
				return EXIT_USAGE;
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
		return usage_error("set needs --rate and --burst%s", "");
	if (open_dev())
		return 1;
	err = migoff_quota_set(dev, argv[optind], rate, burst,
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
	int (*fn)(int argc, char **argv);
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
	unsigned int i;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jphV", opts, NULL)) != -1) {
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
			if (optopt)
				return usage_errorf("unknown option '-%c'", optopt);
			return usage_errorf("unknown option '%s'", argv[optind - 1]);
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
	rc = commands[i].fn(argc - optind, argv + optind);
	migoff_close(dev);
	return rc;
}

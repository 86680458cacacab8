// SPDX-License-Identifier: GPL-2.0
/* quota set, show, clear: per-cgroup limits on the bytes offloaded. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "config.h"
#include "migoffloadctl.h"

/*
 * 'quota show' has the limits and bytes; the stats table of cgroups the
 * folios and bytes; their JSON objects are the same. The cgroup's path
 * (relative to /sys/fs/cgroup, as quota set takes it) is the last column,
 * "-" (JSON null) once the cgroup is gone.
 */
void print_quota(const struct migoff_quota *q, bool stats)
{
	enum print_type limits = stats ? PRINT_JSON : PRINT_ANY;
	enum print_type folios = stats ? PRINT_ANY : PRINT_JSON;
	char path[CFG_CGROUP_LEN];

	print_u64(PRINT_ANY, "id", stats ? "                %8llu" : "%-10llu", q->cgroup_id);
	print_u64(limits, "rate_bytes_per_s", " %12llu", q->rate);
	print_u64(limits, "burst_bytes", " %12llu", q->burst);
	/* No reasons is every reason: JSON lists them, the table says "all". */
	print_reasons(q->reasons ? limits : PRINT_JSON, "reasons", " %-20s",
		      q->reasons ? q->reasons : MIGOFF_REASONS_ALL);
	if (!q->reasons && !stats)
		print_fp(" %-20s", "all");
	print_u64(folios, "folios_offloaded", " %12llu", q->folios_offloaded);
	print_u64(PRINT_ANY, "bytes_offloaded", " %14llu", q->bytes_offloaded);
	print_u64(folios, "folios_refused", " %12llu", q->folios_refused);
	print_u64(PRINT_ANY, "bytes_refused", " %14llu", q->bytes_refused);
	print_u64(PRINT_JSON, "copy_cpu_ns", NULL, q->copy_cpu_ns);
	print_double(PRINT_FP, NULL, " %10.1f", q->copy_cpu_ns / 1e6);
	print_string(PRINT_ANY, "path", " %s\n", cgroup_path(q->cgroup_id, path, sizeof(path)));
}

/* Every quota, or @cgroup's. */
static int quota_show(const char *cgroup)
{
	struct migoff_quota q;
	char what[512];
	unsigned int i;
	int err;

	if (open_dev())
		return 1;
	print_begin(stdout, json, pretty);
	print_arr_open(NULL);
	print_fp("%-10s %12s %12s %-20s %14s %14s %10s %s\n", "CGROUP_ID", "RATE_B/S",
		 "BURST_B", "REASONS", "OFFLOADED_B", "REFUSED_B", "CPU_MS", "PATH");
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
		print_obj_open(NULL);
		print_quota(&q, false);
		print_obj_close();
	}
	print_arr_close();
	return print_end() ? fail("writing", EIO) : 0;
}

static int quota_clear(int argc, char **argv)
{
	char what[512];
	int err;

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

/* quota set CGROUP --rate=... (argv[0] is "set"). */
static int quota_set(int argc, char **argv)
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

static int do_quota(int argc, char **argv)
{
	static const char *const subs[] = { "set", "show", "clear" };

	if (argc < 2)
		return usage_error("quota needs 'set', 'show' or 'clear'%s", "");
	switch (match_word(argv[1], subs, 3)) {
	case 0:
		return quota_set(argc - 1, argv + 1);
	case 1:
		if (argc > 3)
			return usage_error("unexpected argument '%s'", argv[3]);
		return quota_show(argc == 3 ? argv[2] : NULL);
	case 2:
		return quota_clear(argc, argv);
	case BAD_OPT:
		return EXIT_USAGE;
	}
	return usage_error("unknown subcommand '%s' (set, show or clear)", argv[1]);
}

const struct cmd cmd_quota = {
	.name = "quota",
	.run = do_quota,
	.usage =
"  quota set CGROUP --rate=B/S --burst=B [--reason=LIST]  limit a cgroup's offload\n"
"  quota show [CGROUP] | quota clear CGROUP  per-cgroup quotas and their counters\n",
	.notes = NOTE_NUMBERS | NOTE_REASONS,
};

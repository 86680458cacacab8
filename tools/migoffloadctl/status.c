// SPDX-License-Identifier: GPL-2.0
/*
 * status: the routes, the batch caps and the migrators. Its JSON is the
 * configuration file too (config save, config load): a key added here is
 * one config load must know.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "config.h"
#include "migoffloadctl.h"
#include "util.h"

/*
 * status -j, config save: the quotas, by cgroup path (relative to
 * /sys/fs/cgroup) as 'quota set' and config load take it: what is set, not
 * the cgroup's id (another at each boot) or the counters of 'quota show'.
 * 0, or 1 after an error message.
 */
static int print_quota_config(void)
{
	char path[CFG_CGROUP_LEN];
	struct migoff_quota q;
	unsigned int i;
	int err;

	print_arr_open("quotas");
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
		print_obj_open(NULL);
		print_string(PRINT_JSON, "path", NULL, path);
		print_u64(PRINT_JSON, "rate_bytes_per_s", NULL, q.rate);
		print_u64(PRINT_JSON, "burst_bytes", NULL, q.burst);
		/* No reasons is every reason: listed, as 'quota show' lists them. */
		print_reasons(PRINT_JSON, "reasons", NULL, q.reasons ? q.reasons : MIGOFF_REASONS_ALL);
		print_obj_close();
	}
	print_arr_close();
	return 0;
}

/*
 * The text is a summary: a table of the routes ("(auto)" after the ones
 * routed automatically), one line of batch caps, one of migrators. The
 * JSON is the configuration: every route, the migrators' parameters and,
 * from kernels with quotas, the quotas.
 */
int write_status(FILE *f, bool as_json, bool pp)
{
	uint32_t ids[MIGOFF_REASON_COUNT];
	struct migoff_batch b = { .size = sizeof(b) };
	struct migoff_migrator ms[64];
	struct migoff_info info;
	unsigned int n = 0, r, i;
	uint64_t auto_mask = 0;
	bool latency;
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

	print_begin(f, as_json, pp);
	print_obj_open(NULL);
	print_u64(PRINT_JSON, "api_version", NULL, info.api_version);
	print_fp("%-18s %s\n", "REASON", "MIGRATOR");
	print_obj_open("routes");
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		const char *name = NULL;

		for (i = 0; i < n; i++)
			if (ms[i].id == ids[r])
				name = ms[i].name;
		print_string(PRINT_FP, NULL, "%-18s ", migoff_reason_name(r));
		print_string(PRINT_ANY, migoff_reason_name(r), "%s", name);
		if (auto_mask & MIGOFF_REASON_BIT(r))
			print_fp(" (auto)");
		print_nl();
	}
	print_obj_close();
	/* Only from kernels that can route automatically: config load reads it. */
	if (info.features & MIGOFF_FEAT_AUTO)
		print_reasons(PRINT_JSON, "auto_reasons", NULL, auto_mask);

	print_fp("\n");
	print_obj_open("batch");
	print_u64(PRINT_ANY, "max_pages", "batch: max_pages %llu", b.max_pages);
	if (b.max_pages == 512)
		print_fp(" (default)");
	print_u64(PRINT_ANY, "min_folios", ", min_folios %llu", b.min_folios);
	if (latency) {
		print_latency(PRINT_ANY, "latency_us", ", latency %s", b.latency_us);
		/* Not in the file: what the kernel derives, not a setting. */
		print_u64(PRINT_FP, NULL, ", effective_pages %llu", b.effective_pages);
	}
	print_obj_close();
	print_nl();

	/* The objects of 'migrator list -j'; config load reads the values. */
	print_fp("migrators: ");
	print_arr_open("migrators");
	for (i = 0; i < n; i++) {
		print_fp("%s", i ? ", " : "");
		print_migrator(&ms[i], true);
	}
	print_arr_close();
	print_nl();
	if (print_json() && (info.features & MIGOFF_FEAT_QUOTAS) && print_quota_config())
		return 1;
	print_obj_close();
	return print_end() ? fail("writing", EIO) : 0;
}

static int do_status(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("status takes no arguments (got '%s')", argv[1]);
	return open_dev() ? 1 : write_status(stdout, json, pretty);
}

const struct cmd cmd_status = {
	.name = "status",
	.run = do_status,
	.usage =
"  status                               routes, migrators and batch caps\n",
};

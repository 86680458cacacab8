// SPDX-License-Identifier: GPL-2.0
/* enable, disable: which reasons are offloaded, to which migrator. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "migoffloadctl.h"

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

static int do_enable(int argc, char **argv)
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

static int do_disable(int argc, char **argv)
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

const struct cmd cmd_enable = {
	.name = "enable",
	.run = do_enable,
	.usage =
"  enable --reason=LIST [--migrator=NAME] [--auto[=wall|cpu]]  offload these\n"
"                                       reasons (default: cpu); --auto: only while\n"
"                                       the migrator is measured cheaper than the\n"
"                                       CPU, in wall time (default) or CPU time\n",
	.notes = NOTE_REASONS,
};

const struct cmd cmd_disable = {
	.name = "disable",
	.run = do_disable,
	.usage =
"  disable [--reason=LIST]              stop offloading these reasons (default: all)\n",
	.notes = NOTE_REASONS,
};

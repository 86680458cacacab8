// SPDX-License-Identifier: GPL-2.0
/*
 * migoffloadctl - control page migration copy offload.
 *
 *   migoffloadctl [-j|--json] [-p|--pretty] COMMAND [ARGS]
 *
 * Exit status: 0 success, 1 failure, 2 bad usage. Every command parses all
 * its options and arguments before it opens the device.
 *
 * As iproute2 is laid out: this file has the options, the commands and
 * their help; each command family has its file (status.c, route.c,
 * migrator.c, batch.c, stats.c, monitor.c, config_cmd.c, quota.c), and
 * prints each value once through print.h, as text or JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "migoffloadctl.h"

#ifndef MIGOFF_VERSION
#define MIGOFF_VERSION "unknown"	/* the Makefile passes the VERSION file's */
#endif

static int do_help(int argc, char **argv);

static const struct cmd cmd_help = {
	.name = "help",
	.run = do_help,
	.usage =
"  help [COMMAND]                       this text, or COMMAND's part of it\n",
};

/* In the order of the usage. */
static const struct cmd *const commands[] = {
	&cmd_status, &cmd_enable, &cmd_disable, &cmd_migrator, &cmd_batch, &cmd_stats,
	&cmd_monitor, &cmd_config, &cmd_quota, &cmd_help,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void notes(FILE *f, unsigned int which)
{
	const char *name, *sep = "";
	unsigned int t;
	size_t col;

	if (which & NOTE_NUMBERS)
		fprintf(f,
"Numbers are decimal; sizes take K, M or G (powers of 1024); TIME takes us\n"
"(the default), ms or s, at most 10s.\n");
	if (which & NOTE_REASONS)
		fprintf(f,
"LIST is a comma-separated list of reasons or 'all': compaction,\n"
"memory_hotplug, syscall_or_cpuset (or syscall), mempolicy_mbind,\n"
"numa_misplaced, contig_range, longterm_pin, demotion, damon.\n");
	if (!(which & NOTE_EVENTS))
		return;
	/* The library's names: the ones --events takes. */
	col = fprintf(f, "EVENTS is a comma-separated list of:");
	for (t = 0; t < 64; t++) {
		name = migoff_event_name(t);
		if (!name)
			continue;
		if (col + strlen(sep) + 1 + strlen(name) > 75) {
			fprintf(f, "%s\n", sep);
			col = 0;
			sep = "";
		}
		col += fprintf(f, "%s%s%s", sep, col ? " " : "", name);
		sep = ",";
	}
	fprintf(f, ".\n");
}

/* The whole usage (@c NULL), or command @c's lines of it. */
static void usage(FILE *f, const struct cmd *c)
{
	unsigned int i, all = 0;

	if (c) {
		fprintf(f, "usage: migoffloadctl [-j|--json] [-p|--pretty] %s [ARGS]\n\n%s",
			c->name, c->usage);
		if (c->notes)
			fputc('\n', f);
		notes(f, c->notes);
		return;
	}
	fprintf(f,
"usage: migoffloadctl [-j|--json] [-p|--pretty] COMMAND [ARGS]\n"
"       migoffloadctl -V|--version | -h|--help | COMMAND --help\n"
"\n"
"commands:\n");
	for (i = 0; i < NR_COMMANDS; i++) {
		fputs(commands[i]->usage, f);
		all |= commands[i]->notes;
	}
	fprintf(f,
"\n"
"A command or subcommand may be cut to a prefix that names it alone\n"
"('q sh' is 'quota show').\n");
	notes(f, all);
}

/* A command by its name or a prefix of it; NULL after the usage error. */
static const struct cmd *find_cmd(const char *word)
{
	const char *names[NR_COMMANDS];
	unsigned int i;
	int k;

	for (i = 0; i < NR_COMMANDS; i++)
		names[i] = commands[i]->name;
	k = match_word(word, names, NR_COMMANDS);
	if (k == -1)
		usage_error("unknown command '%s'", word);
	return k < 0 ? NULL : commands[k];
}

/* help [COMMAND] */
static int do_help(int argc, char **argv)
{
	const struct cmd *c;

	if (argc > 2)
		return usage_error("help takes one COMMAND (got '%s' after it)", argv[2]);
	if (argc == 1) {
		usage(stdout, NULL);
		return 0;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return EXIT_USAGE;
	usage(stdout, c);
	return 0;
}

/* COMMAND ... --help (or -h), before a "--" that ends the options. */
static bool wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/*
 * -V: this tool's version and ABI, and the kernel's when its device opens
 * (nothing about it otherwise: a version is asked for where there is no
 * module too).
 */
static int version(void)
{
	struct migoff_info info = { .size = sizeof(info) };
	int err;

	print_begin(stdout, json, pretty);
	print_obj_open(NULL);
	print_string(PRINT_ANY, "version", "migoffloadctl %s (migrate_offload)", MIGOFF_VERSION);
	print_u64(PRINT_ANY, "api_version", ", ABI %llu\n", MIGOFF_API_VERSION);
	err = migoff_open(&dev);
	if (!err)
		err = migoff_get_info(dev, &info);
	if (!err) {
		print_obj_open("kernel");
		print_u64(PRINT_ANY, "api_version", "kernel: migrate_offload ABI %llu", info.api_version);
		print_u64(PRINT_ANY, "features", ", features 0x%llx\n", info.features);
		print_obj_close();
	} else if (err == -EPROTO) {
		print_null(PRINT_ANY, "kernel",
			   "kernel: migrate_offload speaks another ABI version than this tool\n");
	}
	print_obj_close();
	return print_end() ? fail("writing", EIO) : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *c;
	int opt, rc;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:jphV", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'p':
			pretty = true;
			break;
		case 'h':
			usage(stdout, NULL);
			return 0;
		case 'V':
			rc = version();
			migoff_close(dev);
			return rc;
		default:
			if (optopt)
				return usage_errorf("unknown option '-%c'", optopt);
			return usage_errorf("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		usage(stderr, NULL);
		return EXIT_USAGE;
	}
	c = find_cmd(argv[optind]);
	if (!c)
		return EXIT_USAGE;
	cmd_name = c->name;
	if (wants_help(argc - optind, argv + optind)) {
		usage(stdout, c);
		return 0;
	}
	rc = c->run(argc - optind, argv + optind);
	migoff_close(dev);
	return rc;
}

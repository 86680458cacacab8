// SPDX-License-Identifier: GPL-2.0
/* migrator list, migrator set: the migrators and their parameters. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migoffloadctl.h"
#include "util.h"

void print_migrator(const struct migoff_migrator *m, bool summary)
{
	enum print_type row = summary ? PRINT_JSON : PRINT_ANY;
	const char *kind = migoff_kind_name(m->kind);
	bool available = m->state & MIGOFF_MIGRATOR_AVAILABLE;
	unsigned int p;

	print_obj_open(NULL);
	print_string(PRINT_ANY, "name", summary ? "%s" : "%-10s ", m->name);
	print_u64(PRINT_JSON, "id", NULL, m->id);
	print_string(PRINT_JSON, "kind", NULL, kind);	/* null: a newer kernel's */
	if (!summary)
		print_string(PRINT_FP, NULL, "%-8s ", kind ? : "?");
	if (summary)
		print_flag(PRINT_ANY, "available", NULL, " (unavailable)", available);
	else
		print_bool(PRINT_ANY, "available", "%-9s ", available);
	print_reasons(row, "reasons", "%-28s ", m->reasons);
	/* Text: threads=4 (1..64) push=0 (0..1), or "-". */
	print_obj_open("params");
	for (p = 0; p < m->nr_params && p < MIGOFF_MAX_PARAMS; p++) {
		print_obj_open(m->params[p].name);
		if (!summary)
			print_string(PRINT_FP, NULL, p ? " %s" : "%s", m->params[p].name);
		print_u64(row, "value", "=%llu", m->params[p].value);
		print_u64(row, "min", " (%llu", m->params[p].min);
		print_u64(row, "max", "..%llu)", m->params[p].max);
		print_obj_close();
	}
	if (!m->nr_params && !summary)
		print_fp("-");
	print_obj_close();
	print_obj_close();
}

/*
 * A table (text) or an array of objects (JSON); --names: the names alone,
 * one a line whatever -j says, for scripts and the shell completion.
 */
static int migrator_list(bool names)
{
	struct migoff_info info;
	struct migoff_migrator m;
	unsigned int i;
	int err;

	if (open_dev())
		return 1;
	info.size = sizeof(info);
	err = migoff_get_info(dev, &info);
	if (err)
		return fail("reading info", err);
	print_begin(stdout, json && !names, pretty);
	print_arr_open(NULL);
	if (!names)
		print_fp("%-10s %-8s %-9s %-28s %s\n", "NAME", "KIND", "AVAILABLE", "REASONS",
			 "PARAMS");
	for (i = 0; i < info.nr_migrators; i++) {
		m.size = sizeof(m);
		err = migoff_get_migrator(dev, i, &m);
		if (err == -ENOENT)
			break;	/* one went away meanwhile */
		if (err)
			return fail("reading a migrator", err);
		if (names) {
			print_string(PRINT_FP, NULL, "%s\n", m.name);
			continue;
		}
		print_migrator(&m, false);
		print_nl();
	}
	print_arr_close();
	return print_end() ? fail("writing", EIO) : 0;
}

static int migrator_set(int argc, char **argv)
{
	uint64_t *vals;
	char what[128];
	int i, err, rc = 0;

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

static int do_migrator(int argc, char **argv)
{
	static const char *const subs[] = { "list", "set" };
	bool names;

	if (argc < 2)
		return usage_error("migrator needs 'list' or 'set'%s", "");
	switch (match_word(argv[1], subs, 2)) {
	case 0:
		names = argc == 3 && !strcmp(argv[2], "--names");
		if (argc > 2 && !names)
			return usage_error("unexpected argument '%s'", argv[2]);
		return migrator_list(names);
	case 1:
		return migrator_set(argc, argv);
	case BAD_OPT:
		return EXIT_USAGE;
	}
	return usage_error("unknown subcommand '%s' (list or set)", argv[1]);
}

const struct cmd cmd_migrator = {
	.name = "migrator",
	.run = do_migrator,
	.usage =
"  migrator list [--names]              the migrators and their parameters\n"
"  migrator set NAME PARAM=VALUE...     set parameters (threads=8, channels=4)\n",
	.notes = NOTE_NUMBERS,
};

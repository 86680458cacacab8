// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of config load (issue 9, item 1): the strict JSON reader,
 * a corpus of malformed and hostile files that must be rejected with their
 * JSON path before anything changes, resolution against a system, and
 * config_apply() changing only what the file names and undoing its changes
 * when one fails at any step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"

#include "../../../libmigoffload/test/check.h"

/* A literal, without its terminating NUL. */
#define PARSE(lit, e) json_parse(lit, sizeof(lit) - 1, e)

static struct config cfg;
static char msg[768];

static int parse(const char *text)
{
	return config_parse(text, strlen(text), &cfg, msg, sizeof(msg));
}

/* The reader: escapes, control characters, numbers, duplicates. */
static void test_reader(void)
{
	static const char *bad_json[] = {
		"", " ", "{", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[1 2]",
		"{\"a\":1}x", "{'a':1}", "{a:1}", "nul", "truex", "01", "1.", ".5",
		"-", "1e", "+1", "0x10", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\u0000\"",
		"\"a\tb\"", "\"a\nb\"", "\"a\x01\"", "\"abc", "{\"a\":1,\"a\":2}",
		"\v{}", "\f{}", "NaN", "Infinity", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
	};
	struct json_err e;
	struct jnode *n;
	uint64_t v;
	unsigned int i;

	for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
		n = json_parse(bad_json[i], strlen(bad_json[i]), &e);
		if (n)
			fprintf(stderr, "accepted bad JSON #%u: %s\n", i, bad_json[i]);
		CHECK(!n && e.msg && e.line >= 1 && e.col >= 1);
		json_free(n);
	}
	/* A NUL byte inside the text is not the end of it. */
	n = json_parse("{}\0{}", 5, &e);
	CHECK(!n);
	n = json_parse("\"a\0b\"", 5, &e);
	CHECK(!n);

	/* Every escape the writer emits, and the rest of JSON's. */
	n = PARSE("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u001b\\u00e9\\u20ac\\ud83d\\ude00\\u0041\"", &e);
	CHECK(n && n->type == J_STR &&
	      !strcmp(n->str, "\"\\/\b\f\n\r\t\x1b\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80" "A"));
	json_free(n);

	/* Numbers keep their text; only exact unsigned integers convert. */
	n = PARSE("[0, 4294967296, 18446744073709551615, 18446744073709551616, -1, 0.5, 1e400, -0, 1E2]", &e);
	CHECK(n && n->type == J_ARR);
	if (n) {
		struct jnode *c = n->child;

		CHECK(json_u64(c, UINT64_MAX, &v) == 0 && v == 0);
		c = c->next;
		CHECK(json_u64(c, UINT32_MAX, &v) == -ERANGE);
		CHECK(json_u64(c, UINT64_MAX, &v) == 0 && v == 4294967296ULL);
		c = c->next;
		CHECK(json_u64(c, UINT64_MAX, &v) == 0 && v == UINT64_MAX);
		c = c->next;
		CHECK(json_u64(c, UINT64_MAX, &v) == -ERANGE);
		c = c->next;
		CHECK(json_u64(c, UINT64_MAX, &v) == -EINVAL);	/* -1 */
		c = c->next;
		CHECK(json_u64(c, UINT64_MAX, &v) == -EINVAL);	/* 0.5 */
		c = c->next;
		CHECK(json_u64(c, UINT64_MAX, &v) == -EINVAL);	/* 1e400 */
		c = c->next;
		CHECK(json_u64(c, UINT64_MAX, &v) == -EINVAL);	/* -0 */
		c = c->next;
		CHECK(json_u64(c, UINT64_MAX, &v) == -EINVAL);	/* 1E2 */
	}
	json_free(n);

	/* Line and column of a syntax error. */
	n = PARSE("{\n  \"a\": 1,\n  \"b\": ?\n}", &e);
	CHECK(!n && e.line == 3 && e.col == 8);
}

/* Hostile and malformed configuration files: rejected, with the place. */
static void test_corpus(void)
{
	static const struct {
		const char *text, *want;	/* want: in the message */
	} bad_files[] = {
		{ "[]", "1: $: expected an object, got an array" },
		{ "{\"routes\": {\"bogus\": \"cpu\"}}", "$.routes.bogus: unknown reason" },
		{ "{\"routes\": {\"demotion\": 5}}", "$.routes.demotion: expected a migrator name or null, got a number" },
		{ "{\"routes\": {\"demotion\": \"\"}}", "$.routes.demotion: empty migrator name" },
		{ "{\"routes\": {\"demotion\": \"0123456789012345678901234567890123\"}}", "$.routes.demotion: migrator name longer than 31" },
		{ "{\"routes\": {\"syscall\": null, \"syscall_or_cpuset\": \"cpu\"}}", "$.routes.syscall_or_cpuset: the same reason as line 1" },
		{ "{\"routes\": {\"memory_failure\": null}}", "$.routes.memory_failure: unknown reason" },
		{ "{\"routes\": []}", "$.routes: expected an object, got an array" },
		{ "{\"routes\": null}", "$.routes: expected an object, got null" },
		{ "{\"batch\": \"x\"}", "$.batch: expected an object, got a string" },
		{ "{\"batch\": {\"max_pages\": 4294967296}}", "$.batch.max_pages: 4294967296 is out of range (0..4294967295)" },
		{ "{\"batch\": {\"max_pages\": 1e400}}", "$.batch.max_pages: 1e400 is not a non-negative integer" },
		{ "{\"batch\": {\"max_pages\": 0.5}}", "$.batch.max_pages: 0.5 is not a non-negative integer" },
		{ "{\"batch\": {\"min_folios\": -1}}", "$.batch.min_folios: -1 is not a non-negative integer" },
		{ "{\"batch\": {\"min_folios\": \"4\"}}", "$.batch.min_folios: expected a number, got a string" },
		{ "{\"batch\": {\"min_folios\": true}}", "$.batch.min_folios: expected a number, got a boolean" },
		{ "{\"batch\": {\"max_page\": 1}}", "$.batch.max_page: unknown key" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"threads\": \"8\"}}}}", "$.migrators.mtcopy.params.threads: expected a number or an object with \"value\", got a string" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"threads\": 18446744073709551616}}}}", "$.migrators.mtcopy.params.threads: 18446744073709551616 is out of range" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"threads\": null}}}}", "$.migrators.mtcopy.params.threads: expected a number or an object with \"value\", got null" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}}}}", "$.migrators.mtcopy.params.e: more than 4 parameters" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"a_very_long_param\": 1}}}}", "$.migrators.mtcopy.params.a_very_long_param: parameter name longer than 15" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": []}}}", "$.migrators.mtcopy.params: expected an object, got an array" },
		{ "{\"migrators\": {\"mtcopy\": {\"reasons\": [\"nope\"]}}}", "$.migrators.mtcopy.reasons: unknown reason" },
		{ "{\"migrators\": {\"mtcopy\": {\"kind\": 2}}}", "$.migrators.mtcopy.kind: expected a string, got a number" },
		{ "{\"migrators\": {\"mtcopy\": {\"colour\": 2}}}", "$.migrators.mtcopy.colour: unknown key" },
		{ "{\"migrators\": {\"\": {}}}", "$.migrators[\"\"]: empty migrator name" },
		{ "{\"migrators\": {\"a b\\u001b[2J\": 7}}", "$.migrators[\"a b\\u001b[2J\"]: expected an object, got a number" },
		{ "{\"migrators\": 3}", "$.migrators: expected an array, got a number" },
		{ "{\"api_version\": 99}", "$.api_version: API version 99" },
		{ "{\"api_version\": \"1\"}", "$.api_version: expected a number, got a string" },
		{ "{\"routez\": {}}", "$.routez: unknown key" },
		{ "{\"routes\": {},\n\"routes\": {}}", "2: column 9: duplicate key" },
		{ "{\"routes\": {\"demotion\": \"cp\\u0000u\"}}", "\\u0000 (NUL) in a string" },
		{ "{\"routes\": {\"demotion\": \"cpu\x01\"}}", "control character in a string" },
		{ "{\"routes\": {\"demotion\": \"\\ud800\"}}", "high surrogate not followed by a low one" },
		{ "{\"routes\": {\"demotion\": \"cpu\"}", "expected ',' or '}'" },
		{ "{\"batch\": {}} {}", "trailing characters" },
		{ "{\"routes\": {\"demotion\": \"cpu\"}}\n\n  \x7f", "3: column 3: trailing characters" },
		/* Issue 10: the latency target and automatic routes. */
		{ "{\"batch\": {\"latency_us\": 10000001}}", "$.batch.latency_us: 10000001 is out of range (0..10000000)" },
		{ "{\"batch\": {\"latency_us\": \"2ms\"}}", "$.batch.latency_us: expected a number, got a string" },
		{ "{\"batch\": {\"latency_us\": -1}}", "$.batch.latency_us: -1 is not a non-negative integer" },
		{ "{\"batch\": {\"latency\": 1}}", "$.batch.latency: unknown key (max_pages, min_folios or latency_us)" },
		{ "{\"auto_reasons\": \"demotion\"}", "$.auto_reasons: expected an array, got a string" },
		{ "{\"auto_reasons\": null}", "$.auto_reasons: expected an array, got null" },
		{ "{\"auto_reasons\": [7]}", "$.auto_reasons[0]: expected a string, got a number" },
		{ "{\"routes\": {\"demotion\": \"cpu\"}, \"auto_reasons\": [\"demotion\", \"bogus\"]}", "$.auto_reasons[1]: unknown reason 'bogus'" },
		{ "{\"routes\": {\"demotion\": \"cpu\"},\n \"auto_reasons\": [\"demotion\",\n \"demotion\"]}", "3: $.auto_reasons[1]: demotion twice (line 2)" },
		{ "{\"auto_reasons\": [\"demotion\"]}", "$.auto_reasons: demotion: an automatic route needs a migrator in $.routes.demotion" },
		{ "{\"auto_reasons\": [\"syscall\"], \"routes\": {\"syscall\": null}}", "$.auto_reasons: syscall_or_cpuset: an automatic route needs a migrator" },
		{ "{\"auto_reason\": []}", "$.auto_reason: unknown key (api_version, routes, auto_reasons, batch, migrators or quotas); --force makes it a warning" },
		/* Issue 16: quotas. */
		{ "{\"quotas\": {}}", "$.quotas: expected an array, got an object" },
		{ "{\"quotas\": [5]}", "$.quotas[0]: expected an object, got a number" },
		{ "{\"quotas\": [{\"rate\": 1, \"burst\": 1}]}", "1: $.quotas[0]: a quota needs \"path\"" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"burst\": 1}]}", "$.quotas[0]: a quota needs \"rate_bytes_per_s\"" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1}]}", "$.quotas[0]: a quota needs \"burst_bytes\"" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 0, \"burst\": 1}]}", "$.quotas[0].rate: must be > 0" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 0}]}", "$.quotas[0].burst: must be > 0" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": \"64M\", \"burst\": 1}]}", "$.quotas[0].rate: expected a number, got a string" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": -1, \"burst\": 1}]}", "$.quotas[0].rate: -1 is not a non-negative integer" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 18446744073709551616}]}", "$.quotas[0].burst: 18446744073709551616 is out of range" },
		{ "{\"quotas\": [{\"cgroup\": \"\", \"rate\": 1, \"burst\": 1}]}", "$.quotas[0].cgroup: empty cgroup path" },
		{ "{\"quotas\": [{\"cgroup\": 7, \"rate\": 1, \"burst\": 1}]}", "$.quotas[0].cgroup: expected a string, got a number" },
		{ "{\"quotas\": [{\"cgroup\": \"a/../../etc\", \"rate\": 1, \"burst\": 1}]}", "$.quotas[0].cgroup: 'a/../../etc' leaves /sys/fs/cgroup" },
		{ "{\"quotas\": [{\"cgroup\": \"..\", \"rate\": 1, \"burst\": 1}]}", "leaves /sys/fs/cgroup" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 1, \"reasons\": []}]}", "$.quotas[0].reasons: empty (every reason: leave \"reasons\" out)" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 1, \"reasons\": \"demotion\"}]}", "$.quotas[0].reasons: expected an array, got a string" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 1,\n \"reasons\": [\"demotion\", \"bogus\"]}]}", "2: $.quotas[0].reasons[1]: unknown reason 'bogus'" },
		{ "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 1, \"colour\": 1}]}", "$.quotas[0].colour: unknown key (path, rate_bytes_per_s, burst_bytes or reasons)" },
		{ "{\"quotas\": [{\"cgroup\": \"a/b\", \"rate\": 1, \"burst\": 1},\n {\"cgroup\": \"/sys/fs/cgroup/a/b/\", \"rate\": 2, \"burst\": 2}]}", "2: $.quotas[1]: the same cgroup as line 1" },
		{ "{\"quotas\": [{\"cgroup\": \"/x\", \"rate\": 1, \"burst\": 1},\n {\"cgroup\": \"/x//\", \"rate\": 2, \"burst\": 2}]}", "2: $.quotas[1]: the same cgroup as line 1" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		int err = parse(bad_files[i].text);

		if (!err || !strstr(msg, bad_files[i].want))
			fprintf(stderr, "corpus #%u: err %d, message '%s', want '%s'\n", i, err,
				msg, bad_files[i].want);
		CHECK(err < 0 && strstr(msg, bad_files[i].want));
		/* Nothing half-parsed is left for a caller to apply. */
		CHECK(cfg.batch_flags == 0 && cfg.routes_named == 0 && cfg.nr_migrators == 0 &&
		      cfg.auto_reasons == 0);
	}
	/* What a good file with both says. */
	CHECK(parse("{\"auto_reasons\": [\"syscall\", \"demotion\"],\n"
		    " \"routes\": {\"demotion\": \"dcbm\", \"syscall_or_cpuset\": \"cpu\"},\n"
		    " \"batch\": {\"latency_us\": 10000000}}") == 0);
	CHECK(cfg.auto_reasons == (MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL) |
				   MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION)));
	CHECK(cfg.batch_flags == MIGOFF_BATCH_SET_LATENCY && cfg.latency_us == MIGOFF_MAX_LATENCY_US &&
	      cfg.latency_line == 3);
	CHECK(parse("{\"auto_reasons\": [], \"batch\": {\"latency_us\": 0}}") == 0 &&
	      cfg.auto_reasons == 0 && cfg.batch_flags == MIGOFF_BATCH_SET_LATENCY);

	/* The error names the line of the bad member. */
	CHECK(parse("{\n \"routes\": {\n  \"demotion\": \"cpu\",\n  \"damon\": 3\n }\n}") == -EINVAL);
	CHECK(!strncmp(msg, "4: $.routes.damon:", 18));

	/* Quotas: the path as written and absolute, every reason as none named. */
	CHECK(parse("{\"quotas\": [{\"cgroup\": \"work.slice/x\", \"rate\": 67108864, \"burst\": 4194304},\n"
		    " {\"cgroup\": \"/sys/fs/cgroup/b\", \"rate\": 1, \"burst\": 2, \"reasons\": [\"demotion\", \"syscall\"]},\n"
		    " {\"cgroup\": \"/mnt/cg2/c\", \"rate\": 3, \"burst\": 4, \"reasons\": [\"all\"]}]}") == -EINVAL &&
	      strstr(msg, "3: $.quotas[2].reasons[0]: unknown reason 'all'"));
	CHECK(parse("{\"quotas\": [{\"cgroup\": \"work.slice/x\", \"rate\": 67108864, \"burst\": 4194304},\n"
		    " {\"cgroup\": \"/sys/fs/cgroup/b\", \"rate\": 1, \"burst\": 2, \"reasons\": [\"demotion\", \"syscall\"]},\n"
		    " {\"cgroup\": \"/mnt/cg2/c\", \"rate\": 3, \"burst\": 4}]}") == 0);
	CHECK(cfg.nr_quotas == 3);
	CHECK(!strcmp(cfg.quotas[0].cgroup, "work.slice/x") &&
	      !strcmp(cfg.quotas[0].path, "/sys/fs/cgroup/work.slice/x") &&
	      cfg.quotas[0].rate == 64ULL << 20 && cfg.quotas[0].burst == 4ULL << 20 &&
	      cfg.quotas[0].reasons == 0 && cfg.quotas[0].line == 1);
	CHECK(!strcmp(cfg.quotas[1].path, "/sys/fs/cgroup/b") && cfg.quotas[1].line == 2 &&
	      cfg.quotas[1].reasons == (MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION) |
					MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL)));
	CHECK(!strcmp(cfg.quotas[2].path, "/mnt/cg2/c"));
	/* /mnt/cg2/c (another cgroup2 mount) is not mnt/cg2/c under /sys/fs/cgroup. */
	CHECK(parse("{\"quotas\": [{\"cgroup\": \"/mnt/cg2/c\", \"rate\": 1, \"burst\": 1},"
		    " {\"cgroup\": \"mnt/cg2/c\", \"rate\": 1, \"burst\": 1}]}") == 0 && cfg.nr_quotas == 2);
	{
		char text[8192];
		size_t n = 0;

		n += sprintf(text, "{\"quotas\": [");
		for (i = 0; i < CFG_MAX_QUOTAS; i++)
			n += sprintf(text + n, "%s{\"cgroup\": \"q%u\", \"rate\": 1, \"burst\": 1}",
				     i ? "," : "", i);
		strcpy(text + n, "]}");
		CHECK(parse(text) == 0 && cfg.nr_quotas == CFG_MAX_QUOTAS);
		strcpy(text + n, ", {\"cgroup\": \"one-more\", \"rate\": 1, \"burst\": 1}]}");
		CHECK(parse(text) == -EINVAL && strstr(msg, "$.quotas[64]: more than 64 quotas"));
		/* Every reason, listed: the same as none listed. */
		n = sprintf(text, "{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 1, \"reasons\": [");
		for (i = 0; i < MIGOFF_REASON_COUNT; i++)
			n += sprintf(text + n, "%s\"%s\"", i ? "," : "", migoff_reason_name(i));
		strcpy(text + n, "]}]}");
		CHECK(parse(text) == 0 && cfg.quotas[0].reasons == 0);
		/* A cgroup path that does not fit. */
		n = sprintf(text, "{\"quotas\": [{\"cgroup\": \"");
		memset(text + n, 'c', CFG_CGROUP_LEN);
		strcpy(text + n + CFG_CGROUP_LEN, "\", \"rate\": 1, \"burst\": 1}]}");
		CHECK(parse(text) == -EINVAL && strstr(msg, "cgroup path longer than 511 bytes"));
	}

	/* Too many migrators; a huge file; many keys. */
	{
		size_t cap = CFG_MAX_SIZE + 16, n = 0;
		char *big = malloc(cap);

		n += sprintf(big, "{\"migrators\": {");
		for (i = 0; i <= CFG_MAX_MIGRATORS; i++)
			n += sprintf(big + n, "%s\"m%u\": {}", i ? "," : "", i);
		strcpy(big + n, "}}");
		CHECK(parse(big) == -EINVAL && strstr(msg, "$.migrators.m32: more than 32 migrators"));

		memset(big, ' ', cap);
		big[0] = '{';
		big[cap - 2] = '}';
		big[cap - 1] = '\0';
		CHECK(config_parse(big, cap - 1, &cfg, msg, sizeof(msg)) == -EFBIG);
		big[17] = '{';
		CHECK(config_parse(big + 17, cap - 18, &cfg, msg, sizeof(msg)) == 0);
		free(big);
	}
	/* A long key is cut in the path, never overflowing it. */
	{
		char text[2048];

		memset(text, 0, sizeof(text));
		strcpy(text, "{\"migrators\": {\"");
		memset(text + strlen(text), 'x', 1500);
		strcat(text, "\": {}}}");
		CHECK(parse(text) == -EINVAL && strstr(msg, "longer than 31"));
	}
}

/* --force: an unknown key is a warning naming it and its line, and ignored. */
static void test_force(void)
{
	const char *text =
		"{\"routes\": {\"demotion\": \"cpu\"},\n"
		" \"new_thing\": {\"x\": [1, 2]},\n"
		" \"batch\": {\"max_pages\": 64, \"shiny\": true},\n"
		" \"migrators\": {\"mtcopy\": {\"params\": {\"threads\": 2}, \"numa\": 1}},\n"
		" \"quotas\": [{\"cgroup\": \"a\", \"rate\": 1, \"burst\": 1, \"priority\": 3}]}";

	CHECK(parse(text) == -EINVAL && strstr(msg, "2: $.new_thing: unknown key") &&
	      strstr(msg, "--force makes it a warning"));
	CHECK(config_parse_flags(text, strlen(text), CFG_FORCE, &cfg, msg, sizeof(msg)) == 0);
	CHECK(cfg.nr_warnings == 4);
	CHECK(strstr(cfg.warnings, "2: $.new_thing: unknown key (api_version, routes, auto_reasons, batch, migrators or quotas): ignored (--force)\n"));
	CHECK(strstr(cfg.warnings, "3: $.batch.shiny: unknown key (max_pages, min_folios or latency_us): ignored"));
	CHECK(strstr(cfg.warnings, "4: $.migrators.mtcopy.numa: unknown key"));
	CHECK(strstr(cfg.warnings, "5: $.quotas[0].priority: unknown key (path, rate_bytes_per_s, burst_bytes or reasons)"));
	/* What it knows is still read, and checked. */
	CHECK(cfg.max_pages == 64 && cfg.batch_flags == MIGOFF_BATCH_SET_MAX_PAGES &&
	      cfg.nr_migrators == 1 && cfg.migrators[0].params[0].value == 2 &&
	      cfg.nr_quotas == 1 && !strcmp(cfg.route[MIGOFF_REASON_DEMOTION], "cpu"));
	text = "{\"new_thing\": 1, \"batch\": {\"max_pages\": \"64\"}}";
	CHECK(config_parse_flags(text, strlen(text), CFG_FORCE, &cfg, msg, sizeof(msg)) == -EINVAL &&
	      strstr(msg, "$.batch.max_pages: expected a number") && cfg.nr_warnings == 0);
	text = "{\"routes\": {\"someday\": \"cpu\"}}";
	CHECK(config_parse_flags(text, strlen(text), CFG_FORCE, &cfg, msg, sizeof(msg)) == -EINVAL &&
	      strstr(msg, "$.routes.someday: unknown reason"));
	/* Without unknown keys, no warning. */
	CHECK(parse("{\"routes\": {}}") == 0 && cfg.nr_warnings == 0 && !cfg.warnings[0]);
}

/* The system a file is resolved against and that the mock ops change. */
static struct cfg_system sys0;

static void make_system(void)
{
	struct migoff_migrator *m;
	unsigned int r;

	memset(&sys0, 0, sizeof(sys0));
	sys0.reasons_supported = MIGOFF_REASONS_ALL;
	sys0.max_batch_pages_limit = 1024;
	sys0.max_pages = 512;
	sys0.min_folios = 0;
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		sys0.route_ids[r] = MIGOFF_NO_MIGRATOR;
	sys0.route_ids[MIGOFF_REASON_DEMOTION] = 11;
	sys0.route_ids[MIGOFF_REASON_COMPACTION] = 10;
	sys0.nr_migrators = 3;
	m = &sys0.migrators[0];
	strcpy(m->name, "cpu");
	m->id = 10;
	m->state = MIGOFF_MIGRATOR_AVAILABLE;
	m = &sys0.migrators[1];
	strcpy(m->name, "mtcopy");
	m->id = 11;
	m->state = MIGOFF_MIGRATOR_AVAILABLE;
	m->nr_params = 2;
	strcpy(m->params[0].name, "threads");
	m->params[0].value = 4;
	m->params[0].min = 1;
	m->params[0].max = 64;
	strcpy(m->params[1].name, "push");
	m->params[1].value = 0;
	m->params[1].min = 0;
	m->params[1].max = 1;
	m = &sys0.migrators[2];
	strcpy(m->name, "dcbm");
	m->id = 12;
	m->state = 0;	/* no channels */
	m->nr_params = 1;
	strcpy(m->params[0].name, "channels");
	m->params[0].value = 1;
	m->params[0].min = 1;
	m->params[0].max = 8;
}

/*
 * Issue 20: the file is what status -j prints now (migrators an array of
 * the objects of 'migrator list -j', parameters {value, min, max}, quotas
 * by path with rate_bytes_per_s and burst_bytes), and files of older
 * versions (migrators keyed by name, plain values, cgroup/rate/burst) say
 * the same.
 */
static void test_shapes(void)
{
	static const char *const now =
		"{\"api_version\": 1,\n"
		" \"migrators\": [{\"name\": \"cpu\", \"id\": 10, \"kind\": \"cpu\", \"available\": true,\n"
		"   \"reasons\": [\"compaction\"], \"params\": {}},\n"
		"  {\"name\": \"mtcopy\", \"id\": 11, \"kind\": \"threads\", \"available\": true, \"reasons\": [],\n"
		"   \"params\": {\"threads\": {\"value\": 8, \"min\": 1, \"max\": 64},\n"
		"              \"push\": {\"value\": 1, \"min\": 0, \"max\": 1}}},\n"
		"  {\"name\": \"future\", \"id\": 7, \"kind\": null, \"available\": false, \"reasons\": [], \"params\": {}}],\n"
		" \"quotas\": [{\"path\": \"work.slice\", \"rate_bytes_per_s\": 67108864, \"burst_bytes\": 4194304,\n"
		"   \"reasons\": [\"demotion\"]}]}";
	static const char *const old =
		"{\"api_version\": 1,\n"
		" \"migrators\": {\"cpu\": {\"kind\": \"cpu\", \"available\": true,\n"
		"   \"reasons\": [\"compaction\"], \"params\": {}},\n"
		"  \"mtcopy\": {\"kind\": \"threads\", \"available\": true, \"reasons\": [],\n"
		"   \"params\": {\"threads\": 8,\n"
		"              \"push\": 1}},\n"
		"  \"future\": {\"available\": false, \"reasons\": [], \"params\": {}}},\n"
		" \"quotas\": [{\"cgroup\": \"work.slice\", \"rate\": 67108864, \"burst\": 4194304,\n"
		"   \"reasons\": [\"demotion\"]}]}";
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "{\"migrators\": [3]}", "1: $.migrators[0]: expected an object, got a number" },
		{ "{\"migrators\": [{\"params\": {}}]}", "$.migrators[0]: a migrator needs \"name\"" },
		{ "{\"migrators\": [{\"name\": \"\"}]}", "$.migrators[0].name: empty migrator name" },
		{ "{\"migrators\": [{\"name\": 5}]}", "$.migrators[0].name: expected a string, got a number" },
		{ "{\"migrators\": [{\"name\": \"a\"},\n {\"name\": \"a\"}]}", "2: $.migrators[1]: the same migrator as line 1" },
		{ "{\"migrators\": [{\"name\": \"a\", \"id\": \"1\"}]}", "$.migrators[0].id: expected a number, got a string" },
		{ "{\"migrators\": [{\"name\": \"a\", \"kind\": 2}]}", "$.migrators[0].kind: expected a string, got a number" },
		{ "{\"migrators\": [{\"name\": \"a\", \"colour\": 2}]}", "$.migrators[0].colour: unknown key (name, id, kind, available, reasons or params)" },
		{ "{\"migrators\": {\"a\": {\"name\": \"a\"}}}", "$.migrators.a.name: unknown key (id, kind, available, reasons or params)" },
		{ "{\"migrators\": [{\"name\": \"a\", \"params\": {\"t\": {\"min\": 1}}}]}", "$.migrators[0].params.t: a parameter needs \"value\"" },
		{ "{\"migrators\": [{\"name\": \"a\", \"params\": {\"t\": {\"value\": -1}}}]}", "$.migrators[0].params.t.value: -1 is not a non-negative integer" },
		{ "{\"migrators\": [{\"name\": \"a\", \"params\": {\"t\": {\"value\": 1, \"max\": \"9\"}}}]}", "$.migrators[0].params.t.max: expected a number, got a string" },
		{ "{\"migrators\": [{\"name\": \"a\", \"params\": {\"t\": {\"value\": 1, \"step\": 1}}}]}", "$.migrators[0].params.t.step: unknown key (value, min or max)" },
		{ "{\"migrators\": [{\"name\": \"a\", \"params\": {\"t\": [1]}}]}", "$.migrators[0].params.t: expected a number or an object with \"value\", got an array" },
		{ "{\"quotas\": [{\"path\": \"a\", \"cgroup\": \"a\", \"rate\": 1, \"burst\": 1}]}", "$.quotas[0].cgroup: the same as \"path\": give one" },
		{ "{\"quotas\": [{\"path\": \"a\", \"rate\": 1, \"rate_bytes_per_s\": 1, \"burst_bytes\": 1}]}", "$.quotas[0].rate_bytes_per_s: the same as \"rate\": give one" },
		{ "{\"quotas\": [{\"path\": \"a\", \"rate_bytes_per_s\": 1, \"burst_bytes\": 0}]}", "$.quotas[0].burst_bytes: must be > 0" },
		{ "{\"quotas\": [{\"path\": \"../x\", \"rate_bytes_per_s\": 1, \"burst_bytes\": 1}]}", "$.quotas[0].path: '../x' leaves /sys/fs/cgroup" },
		{ "{\"quotas\": [{\"path\": \"a\", \"rate_bytes_per_s\": 1, \"burst_bytes\": 1, \"id\": 7}]}", "$.quotas[0].id: unknown key" },
	};
	static struct config a;
	unsigned int i, j;

	CHECK(parse(now) == 0);
	a = cfg;
	CHECK(parse(old) == 0);
	CHECK(a.nr_migrators == 3 && cfg.nr_migrators == 3 && a.nr_quotas == 1 && cfg.nr_quotas == 1);
	for (i = 0; i < 3; i++) {
		CHECK(!strcmp(a.migrators[i].name, cfg.migrators[i].name) &&
		      a.migrators[i].nr_params == cfg.migrators[i].nr_params &&
		      a.migrators[i].line == cfg.migrators[i].line);
		CHECK(a.migrators[i].in_array && a.migrators[i].index == (int)i &&
		      !cfg.migrators[i].in_array);
		for (j = 0; j < a.migrators[i].nr_params; j++)
			CHECK(!strcmp(a.migrators[i].params[j].name, cfg.migrators[i].params[j].name) &&
			      a.migrators[i].params[j].value == cfg.migrators[i].params[j].value &&
			      a.migrators[i].params[j].line == cfg.migrators[i].params[j].line &&
			      a.migrators[i].params[j].boxed && !cfg.migrators[i].params[j].boxed);
	}
	CHECK(!strcmp(a.migrators[1].name, "mtcopy") && a.migrators[1].nr_params == 2 &&
	      a.migrators[1].params[0].value == 8 && a.migrators[1].params[1].value == 1);
	CHECK(!strcmp(a.quotas[0].path, cfg.quotas[0].path) && a.quotas[0].rate == cfg.quotas[0].rate &&
	      a.quotas[0].burst == cfg.quotas[0].burst && a.quotas[0].reasons == cfg.quotas[0].reasons &&
	      a.quotas[0].rate == 64ULL << 20 && a.quotas[0].burst == 4ULL << 20 &&
	      !strcmp(a.quotas[0].path, "/sys/fs/cgroup/work.slice"));
	/* A file may mix the names of this version and of older ones. */
	CHECK(parse("{\"quotas\": [{\"cgroup\": \"a\", \"rate_bytes_per_s\": 2, \"burst\": 3}]}") == 0 &&
	      cfg.quotas[0].rate == 2 && cfg.quotas[0].burst == 3);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = parse(bad[i].text);

		if (!err || !strstr(msg, bad[i].want))
			fprintf(stderr, "shapes #%u: err %d, message '%s', want '%s'\n", i, err,
				msg, bad[i].want);
		CHECK(err < 0 && strstr(msg, bad[i].want));
	}

	/* Resolution names a migrator and a value by the path the file has. */
	CHECK(parse("{\"migrators\": [{\"name\": \"cpu\"},\n"
		    " {\"name\": \"mtcopy\", \"params\": {\"threads\": {\"value\": 99, \"min\": 1, \"max\": 64}}}]}") == 0);
	CHECK(config_resolve(&cfg, &sys0, msg, sizeof(msg)) == -ERANGE &&
	      strstr(msg, "2: $.migrators[1].params.threads.value: 99 is out of range (1..64)"));
	CHECK(parse("{\"migrators\": [{\"name\": \"nosuch\"}]}") == 0);
	CHECK(config_resolve(&cfg, &sys0, msg, sizeof(msg)) == -ENOENT &&
	      strstr(msg, "1: $.migrators[0]: no such migrator"));
	CHECK(parse("{\"migrators\": [{\"name\": \"mtcopy\", \"params\": {\"push\": 1, \"channels\": {\"value\": 1}}}]}") == 0);
	CHECK(config_resolve(&cfg, &sys0, msg, sizeof(msg)) == -ENOENT &&
	      strstr(msg, "$.migrators[0].params.channels.value: mtcopy has no parameter 'channels'"));
	/* What a kernel of today has, as status -j prints it, resolves. */
	CHECK(parse(now) == 0);
	cfg.nr_migrators = 2;	/* not "future", which sys0 has not */
	cfg.nr_quotas = 0;
	CHECK(config_resolve(&cfg, &sys0, msg, sizeof(msg)) == 0);
}

static void test_resolve(void)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "{\"routes\": {\"demotion\": \"nosuch\"}}", "1: $.routes.demotion: no migrator 'nosuch'" },
		{ "{\"routes\": {\"demotion\": \"dcbm\"}}", "$.routes.demotion: migrator 'dcbm' is not available" },
		{ "{\"batch\": {\"max_pages\": 1025}}", "$.batch.max_pages: 1025 is out of range (0..1024)" },
		{ "{\"batch\": {\"min_folios\": 4096}}", "$.batch.min_folios: 4096 is out of range (0..1024)" },
		{ "{\"migrators\": {\"nosuch\": {}}}", "$.migrators.nosuch: no such migrator" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"channels\": 1}}}}", "$.migrators.mtcopy.params.channels: mtcopy has no parameter 'channels'" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"threads\": 0}}}}", "$.migrators.mtcopy.params.threads: 0 is out of range (1..64)" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"threads\": 4294967297}}}}", "4294967297 is out of range (1..64)" },
		{ "{\"migrators\": {\"mtcopy\": {\"params\": {\"push\": 1}}},\n \"routes\": {\"damon\": \"dcbm\"}}", "2: $.routes.damon: migrator 'dcbm'" },
	};
	struct cfg_system sys = sys0;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = parse(bad[i].text);

		CHECK(err == 0);
		err = config_resolve(&cfg, &sys, msg, sizeof(msg));
		if (!err || !strstr(msg, bad[i].want))
			fprintf(stderr, "resolve #%u: err %d, message '%s', want '%s'\n", i, err,
				msg, bad[i].want);
		CHECK(err < 0 && strstr(msg, bad[i].want));
	}
	/* A kernel without automatic routes or a latency target. */
	CHECK(parse("{\"routes\": {\"demotion\": \"cpu\"},\n \"auto_reasons\": [\"demotion\"]}") == 0);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == -EOPNOTSUPP &&
	      strstr(msg, "2: $.auto_reasons: this kernel cannot route automatically"));
	CHECK(parse("{\"batch\": {\"latency_us\": 2000}}") == 0);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == -EOPNOTSUPP &&
	      strstr(msg, "1: $.batch.latency_us: this kernel has no latency target"));
	/* ... where "no automatic route" and "no target" are what it has. */
	CHECK(parse("{\"auto_reasons\": [], \"batch\": {\"latency_us\": 0}}") == 0);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == 0);
	sys.features = MIGOFF_FEAT_AUTO | MIGOFF_FEAT_LATENCY;
	CHECK(parse("{\"routes\": {\"demotion\": \"cpu\"}, \"auto_reasons\": [\"demotion\"],"
		    " \"batch\": {\"latency_us\": 2000}}") == 0);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == 0);
	sys.features = 0;
	sys.reasons_supported &= ~MIGOFF_REASON_BIT(MIGOFF_REASON_DAMON);
	CHECK(parse("{\"routes\": {\"damon\": null}}") == 0);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == -EOPNOTSUPP &&
	      strstr(msg, "$.routes.damon: this kernel cannot offload"));
	/* An escaped name resolves like the plain one. */
	CHECK(parse("{\"routes\": {\"demotion\": \"\\u0063pu\"}}") == 0);
	CHECK(config_resolve(&cfg, &sys0, msg, sizeof(msg)) == 0);
	CHECK(!strcmp(cfg.route[MIGOFF_REASON_DEMOTION], "cpu"));
}

/* A mock device: the state the ops change, and a step that fails. */
struct mock_quota {
	char path[96];
	uint64_t rate, burst, reasons;
};

struct mock {
	uint32_t max_pages, min_folios, latency_us;
	uint64_t params[3][MIGOFF_MAX_PARAMS];
	char route[MIGOFF_REASON_COUNT][MIGOFF_NAME_LEN];
	uint64_t auto_reasons;
	/* cgroup directories (a cgroup2 tree under /sys/fs/cgroup) and quotas */
	unsigned int nr_dirs, nr_quotas;
	char dirs[16][96];
	struct mock_quota quotas[8];
	int calls, fail_at, fail_also, fail_err;
	char log[1024];
};

static int mock_step(struct mock *m, const char *what)
{
	size_t n = strlen(m->log);

	snprintf(m->log + n, sizeof(m->log) - n, "%s;", what);
	++m->calls;
	return m->calls == m->fail_at || m->calls == m->fail_also ? m->fail_err : 0;
}

static int m_batch(void *arg, uint32_t flags, uint32_t max_pages, uint32_t min_folios,
		   uint32_t latency_us)
{
	struct mock *m = arg;
	char what[64];
	int err;

	snprintf(what, sizeof(what), "batch %#x", flags);
	err = mock_step(m, flags & MIGOFF_BATCH_SET_LATENCY ? what : "batch");
	if (err)
		return err;
	if (flags & MIGOFF_BATCH_SET_MAX_PAGES)
		m->max_pages = max_pages;
	if (flags & MIGOFF_BATCH_SET_MIN_FOLIOS)
		m->min_folios = min_folios;
	if (flags & MIGOFF_BATCH_SET_LATENCY)
		m->latency_us = latency_us;
	return 0;
}

static int m_param(void *arg, const char *migrator, const char *param, uint64_t value)
{
	struct mock *m = arg;
	unsigned int i, k;
	char what[64];
	int err;

	snprintf(what, sizeof(what), "param %s.%s=%llu", migrator, param, (unsigned long long)value);
	err = mock_step(m, what);
	if (err)
		return err;
	for (i = 0; i < sys0.nr_migrators; i++)
		for (k = 0; k < sys0.migrators[i].nr_params; k++)
			if (!strcmp(sys0.migrators[i].name, migrator) &&
			    !strcmp(sys0.migrators[i].params[k].name, param))
				m->params[i][k] = value;
	return 0;
}

static int m_enable(void *arg, uint64_t reasons, const char *migrator, uint32_t flags)
{
	struct mock *m = arg;
	unsigned int r;
	char what[64];
	int err;

	snprintf(what, sizeof(what), "enable %#llx %s%s", (unsigned long long)reasons, migrator,
		 flags & MIGOFF_ROUTE_AUTO ? " auto" : "");
	err = mock_step(m, what);
	if (err)
		return err;
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		if (!(reasons & MIGOFF_REASON_BIT(r)))
			continue;
		strcpy(m->route[r], migrator);
		if (flags & MIGOFF_ROUTE_AUTO)
			m->auto_reasons |= MIGOFF_REASON_BIT(r);
		else
			m->auto_reasons &= ~MIGOFF_REASON_BIT(r);
	}
	return 0;
}

static int m_disable(void *arg, uint64_t reasons)
{
	struct mock *m = arg;
	unsigned int r;
	char what[64];
	int err;

	snprintf(what, sizeof(what), "disable %#llx", (unsigned long long)reasons);
	err = mock_step(m, what);
	if (err)
		return err;
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (reasons & MIGOFF_REASON_BIT(r))
			m->route[r][0] = '\0';
	m->auto_reasons &= ~reasons;
	return 0;
}

static int m_dir(const struct mock *m, const char *path)
{
	unsigned int i;

	for (i = 0; i < m->nr_dirs; i++)
		if (!strcmp(m->dirs[i], path))
			return i;
	return -1;
}

static struct mock_quota *m_quota(struct mock *m, const char *path)
{
	unsigned int i;

	for (i = 0; i < m->nr_quotas; i++)
		if (!strcmp(m->quotas[i].path, path))
			return &m->quotas[i];
	return NULL;
}

static int m_quota_get(void *arg, const char *cgroup, uint64_t *rate, uint64_t *burst,
		       uint64_t *reasons)
{
	struct mock_quota *q = m_quota(arg, cgroup);

	if (!q)
		return -ENOENT;
	*rate = q->rate;
	*burst = q->burst;
	*reasons = q->reasons;
	return 0;
}

static int m_quota_set(void *arg, const char *cgroup, uint64_t rate, uint64_t burst,
		       uint64_t reasons)
{
	struct mock *m = arg;
	struct mock_quota *q;
	char what[160];
	int err;

	snprintf(what, sizeof(what), "quota %s %llu/%llu/%#llx", cgroup, (unsigned long long)rate,
		 (unsigned long long)burst, (unsigned long long)reasons);
	err = mock_step(m, what);
	if (err)
		return err;
	if (m_dir(m, cgroup) < 0)
		return -ENOENT;
	q = m_quota(m, cgroup);
	if (!q) {
		q = &m->quotas[m->nr_quotas++];
		snprintf(q->path, sizeof(q->path), "%s", cgroup);
	}
	q->rate = rate;
	q->burst = burst;
	q->reasons = reasons;
	return 0;
}

static int m_quota_clear(void *arg, const char *cgroup)
{
	struct mock *m = arg;
	struct mock_quota *q;
	char what[128];
	int err;

	snprintf(what, sizeof(what), "clear %s", cgroup);
	err = mock_step(m, what);
	if (err)
		return err;
	q = m_quota(m, cgroup);
	if (!q)
		return -ENOENT;
	*q = m->quotas[--m->nr_quotas];
	return 0;
}

/* Directories under /sys/fs/cgroup are cgroups; "/", "/tmp" are not. */
static int m_cgroup_state(void *arg, const char *cgroup)
{
	if (m_dir(arg, cgroup) >= 0)
		return 0;
	if (!strcmp(cgroup, "/") || !strcmp(cgroup, "/tmp") || !strcmp(cgroup, "/sys") ||
	    !strcmp(cgroup, "/sys/fs"))
		return -EMEDIUMTYPE;
	return -ENOENT;
}

static int m_cgroup_mkdir(void *arg, const char *cgroup)
{
	struct mock *m = arg;
	char what[128], parent[96], *slash;
	int err;

	snprintf(what, sizeof(what), "mkdir %s", cgroup);
	err = mock_step(m, what);
	if (err)
		return err;
	snprintf(parent, sizeof(parent), "%s", cgroup);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	if (m_dir(m, cgroup) >= 0)
		return -EEXIST;
	if (m_dir(m, parent) < 0)
		return -ENOENT;
	snprintf(m->dirs[m->nr_dirs++], sizeof(m->dirs[0]), "%s", cgroup);
	return 0;
}

static int m_cgroup_rmdir(void *arg, const char *cgroup)
{
	struct mock *m = arg;
	struct mock_quota *q;
	char what[128];
	unsigned int i;
	int d, err;

	snprintf(what, sizeof(what), "rmdir %s", cgroup);
	err = mock_step(m, what);
	if (err)
		return err;
	d = m_dir(m, cgroup);
	if (d < 0)
		return -ENOENT;
	for (i = 0; i < m->nr_dirs; i++)	/* not empty */
		if (!strncmp(m->dirs[i], cgroup, strlen(cgroup)) && m->dirs[i][strlen(cgroup)] == '/')
			return -EBUSY;
	memcpy(m->dirs[d], m->dirs[--m->nr_dirs], sizeof(m->dirs[0]));
	q = m_quota(m, cgroup);	/* the kernel drops the quota of a removed cgroup */
	if (q)
		*q = m->quotas[--m->nr_quotas];
	return 0;
}

static const struct cfg_ops mock_ops = {
	m_batch, m_param, m_enable, m_disable,
	m_quota_get, m_quota_set, m_quota_clear, m_cgroup_state, m_cgroup_mkdir, m_cgroup_rmdir,
};

static void mock_init(struct mock *m)
{
	unsigned int i, k, r;

	memset(m, 0, sizeof(*m));
	m->max_pages = sys0.max_pages;
	m->min_folios = sys0.min_folios;
	m->latency_us = sys0.latency_us;
	m->auto_reasons = sys0.auto_reasons;
	for (i = 0; i < sys0.nr_migrators; i++)
		for (k = 0; k < sys0.migrators[i].nr_params; k++)
			m->params[i][k] = sys0.migrators[i].params[k].value;
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		for (i = 0; i < sys0.nr_migrators; i++)
			if (sys0.migrators[i].id == sys0.route_ids[r])
				strcpy(m->route[r], sys0.migrators[i].name);
	/* /sys/fs/cgroup/a (quota 10/20, demotion only) and /sys/fs/cgroup/b */
	m->nr_dirs = 3;
	strcpy(m->dirs[0], "/sys/fs/cgroup");
	strcpy(m->dirs[1], "/sys/fs/cgroup/a");
	strcpy(m->dirs[2], "/sys/fs/cgroup/b");
	m->nr_quotas = 1;
	strcpy(m->quotas[0].path, "/sys/fs/cgroup/a");
	m->quotas[0].rate = 10;
	m->quotas[0].burst = 20;
	m->quotas[0].reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION);
}

static bool same_state(const struct mock *a, const struct mock *b)
{
	const struct mock_quota *q;
	unsigned int r;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (strcmp(a->route[r], b->route[r]))
			return false;
	/* The same directories and quotas, in any order. */
	if (a->nr_dirs != b->nr_dirs || a->nr_quotas != b->nr_quotas)
		return false;
	for (r = 0; r < a->nr_dirs; r++)
		if (m_dir(b, a->dirs[r]) < 0)
			return false;
	for (r = 0; r < a->nr_quotas; r++) {
		q = m_quota((struct mock *)b, a->quotas[r].path);
		if (!q || q->rate != a->quotas[r].rate || q->burst != a->quotas[r].burst ||
		    q->reasons != a->quotas[r].reasons)
			return false;
	}
	return a->max_pages == b->max_pages && a->min_folios == b->min_folios &&
	       a->latency_us == b->latency_us && a->auto_reasons == b->auto_reasons &&
	       !memcmp(a->params, b->params, sizeof(a->params));
}

static void test_apply(void)
{
	const char *full =
		"{\"api_version\": 1,\n"
		" \"routes\": {\"compaction\": null, \"demotion\": \"cpu\", \"damon\": \"mtcopy\",\n"
		"            \"numa_misplaced\": \"mtcopy\", \"syscall\": \"cpu\"},\n"
		" \"batch\": {\"max_pages\": 1024, \"min_folios\": 4},\n"
		" \"migrators\": {\"cpu\": {\"kind\": \"cpu\", \"available\": true, \"reasons\": [], \"params\": {}},\n"
		"               \"mtcopy\": {\"params\": {\"threads\": 8, \"push\": 1}}}}";
	struct mock init, m, want;
	bool restored;
	int err, step, steps;

	make_system();
	mock_init(&init);

	/* Success: exactly the changes named. */
	CHECK(parse(full) == 0);
	CHECK(config_resolve(&cfg, &sys0, msg, sizeof(msg)) == 0);
	m = init;
	err = config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg));
	CHECK(err == 0);
	steps = m.calls;
	CHECK(!strcmp(m.log, "batch;param mtcopy.threads=8;param mtcopy.push=1;disable 0x1;"
			     "enable 0x84 cpu;enable 0x110 mtcopy;"));
	want = init;
	want.max_pages = 1024;
	want.min_folios = 4;
	want.params[1][0] = 8;
	want.params[1][1] = 1;
	want.route[MIGOFF_REASON_COMPACTION][0] = '\0';
	strcpy(want.route[MIGOFF_REASON_DEMOTION], "cpu");
	strcpy(want.route[MIGOFF_REASON_SYSCALL], "cpu");
	strcpy(want.route[MIGOFF_REASON_DAMON], "mtcopy");
	strcpy(want.route[MIGOFF_REASON_NUMA_MISPLACED], "mtcopy");
	CHECK(same_state(&m, &want));

	/* Whichever change fails, the ones before it are undone. */
	for (step = 1; step <= steps; step++) {
		m = init;
		m.fail_at = step;
		m.fail_err = step == 1 ? -EINVAL : -EPERM;
		err = config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg));
		if (!same_state(&m, &init))
			fprintf(stderr, "apply failing at step %d left a mixed state: %s\n", step, m.log);
		CHECK(err == m.fail_err && restored && same_state(&m, &init));
		CHECK(msg[0] != '\0' && strstr(msg, "$."));
	}
	/* A batch EINVAL is an error, not swallowed. */
	m = init;
	m.fail_at = 1;
	m.fail_err = -EINVAL;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == -EINVAL);
	CHECK(!strncmp(msg, "4: $.batch", 10));

	/* A file without routes touches no route; one without batch no cap. */
	CHECK(parse("{\"migrators\": {\"mtcopy\": {\"params\": {\"threads\": 2}}}}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(!strcmp(m.log, "param mtcopy.threads=2;"));
	CHECK(parse("{}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(m.calls == 0);
	/* Loading what is already there changes nothing. */
	CHECK(parse("{\"routes\": {\"demotion\": \"mtcopy\", \"compaction\": \"cpu\", \"damon\": null},"
		    " \"migrators\": {\"mtcopy\": {\"params\": {\"threads\": 4}}}}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(m.calls == 0);
	/* An undo that fails too is reported: push fails, restoring threads too. */
	CHECK(parse(full) == 0);
	m = init;
	m.fail_at = 3;
	m.fail_err = -EIO;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == -EIO);
	CHECK(restored && same_state(&m, &init));
	CHECK(strstr(msg, "$.migrators.mtcopy.params.push: setting push of 'mtcopy' to 1"));
	m = init;
	m.fail_at = 3;
	m.fail_also = 4;
	m.fail_err = -EIO;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == -EIO);
	CHECK(!restored);
}

/* Issue 10: automatic routes and the latency target, applied and undone. */
static void test_apply_auto(void)
{
	const char *full =
		"{\"routes\": {\"demotion\": \"cpu\", \"compaction\": \"mtcopy\", \"damon\": \"mtcopy\"},\n"
		" \"auto_reasons\": [\"compaction\", \"damon\"],\n"
		" \"batch\": {\"latency_us\": 2000, \"min_folios\": 1}}";
	struct cfg_system old_sys;
	struct mock init, m, want;
	bool restored;
	int err, step, steps;

	/* demotion automatically on mtcopy, compaction always on cpu, 1 ms target. */
	make_system();
	sys0.features = MIGOFF_FEAT_AUTO | MIGOFF_FEAT_LATENCY;
	sys0.auto_reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION);
	sys0.latency_us = 1000;
	mock_init(&init);

	CHECK(parse(full) == 0);
	CHECK(config_resolve(&cfg, &sys0, msg, sizeof(msg)) == 0);
	m = init;
	err = config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg));
	CHECK(err == 0);
	if (strcmp(m.log, "batch 0x6;enable 0x101 mtcopy auto;enable 0x80 cpu;"))
		fprintf(stderr, "apply auto: %s\n", m.log);
	CHECK(!strcmp(m.log, "batch 0x6;enable 0x101 mtcopy auto;enable 0x80 cpu;"));
	steps = m.calls;
	want = init;
	want.min_folios = 1;
	want.latency_us = 2000;
	strcpy(want.route[MIGOFF_REASON_DEMOTION], "cpu");
	strcpy(want.route[MIGOFF_REASON_COMPACTION], "mtcopy");
	strcpy(want.route[MIGOFF_REASON_DAMON], "mtcopy");
	want.auto_reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION) |
			    MIGOFF_REASON_BIT(MIGOFF_REASON_DAMON);
	CHECK(same_state(&m, &want));
	/* Whichever change fails, routes come back automatic as they were, and the target. */
	for (step = 1; step <= steps; step++) {
		m = init;
		m.fail_at = step;
		m.fail_err = -EPERM;
		err = config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg));
		if (!same_state(&m, &init))
			fprintf(stderr, "apply auto failing at step %d left a mixed state: %s\n", step, m.log);
		CHECK(err == -EPERM && restored && same_state(&m, &init));
	}
	m = init;
	m.fail_at = 2;
	m.fail_err = -ENODEV;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == -ENODEV);
	CHECK(strstr(msg, "1: $.routes.compaction: routing to 'mtcopy' automatically"));

	/* The same migrator, only the flag differs: a change. */
	CHECK(parse("{\"routes\": {\"demotion\": \"mtcopy\"}, \"auto_reasons\": []}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(!strcmp(m.log, "enable 0x80 mtcopy;") && m.auto_reasons == 0);
	/* A file from before automatic routes: its routes are not automatic. */
	CHECK(parse("{\"routes\": {\"demotion\": \"mtcopy\"}}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(!strcmp(m.log, "enable 0x80 mtcopy;"));
	/* What is there already: no route call. */
	CHECK(parse("{\"routes\": {\"demotion\": \"mtcopy\", \"compaction\": \"cpu\"},"
		    " \"auto_reasons\": [\"demotion\"]}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(m.calls == 0);
	/* Only the latency: one call, only its flag. */
	CHECK(parse("{\"batch\": {\"latency_us\": 0}}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &sys0, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(!strcmp(m.log, "batch 0x4;") && m.latency_us == 0 && m.max_pages == init.max_pages);

	/* A kernel without a latency target: latency_us 0 is not sent. */
	old_sys = sys0;
	old_sys.features = 0;
	old_sys.auto_reasons = 0;
	old_sys.latency_us = 0;
	CHECK(parse("{\"batch\": {\"latency_us\": 0, \"max_pages\": 256}, \"auto_reasons\": []}") == 0);
	CHECK(config_resolve(&cfg, &old_sys, msg, sizeof(msg)) == 0);
	m = init;
	CHECK(config_apply(&cfg, &old_sys, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(!strcmp(m.log, "batch;") && m.max_pages == 256);
	CHECK(parse("{\"batch\": {\"latency_us\": 0}}") == 0);
	m = init;
	CHECK(config_apply(&cfg, &old_sys, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0);
	CHECK(m.calls == 0);
	make_system();
}

/* Issue 16: what --wait waits for. */
static void test_missing(void)
{
	struct cfg_system sys = sys0;
	const char *why = NULL;

	CHECK(parse("{\"routes\": {\"demotion\": \"mtcopy\", \"compaction\": null}}") == 0);
	CHECK(config_missing(&cfg, &sys, &why) == NULL);
	CHECK(parse("{\"routes\": {\"demotion\": \"mtcopy\", \"damon\": \"dcbm\"}}") == 0);
	CHECK(config_missing(&cfg, &sys, &why) && !strcmp(config_missing(&cfg, &sys, &why), "dcbm") &&
	      !strcmp(why, "available"));
	CHECK(parse("{\"routes\": {\"demotion\": \"ioat\"}}") == 0);
	CHECK(config_missing(&cfg, &sys, &why) && !strcmp(why, "registered"));
	/* Parameters need the migrator registered, not available. */
	CHECK(parse("{\"migrators\": {\"dcbm\": {\"params\": {\"channels\": 2}}}}") == 0);
	CHECK(config_missing(&cfg, &sys, &why) == NULL);
	CHECK(parse("{\"migrators\": {\"later\": {}}}") == 0);
	CHECK(config_missing(&cfg, &sys, &why) && !strcmp(why, "registered"));
	/* dcbm's DMA provider probed: nothing is missing any more. */
	sys.migrators[2].state = MIGOFF_MIGRATOR_AVAILABLE;
	CHECK(parse("{\"routes\": {\"damon\": \"dcbm\"}}") == 0);
	CHECK(config_missing(&cfg, &sys, &why) == NULL);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == 0);
}

/* Issue 16: quotas resolved, probed, applied and undone. */
static void test_quotas(void)
{
	const char *file =
		"{\"routes\": {\"demotion\": \"cpu\"},\n"
		" \"quotas\": [{\"cgroup\": \"a\", \"rate\": 100, \"burst\": 200},\n"
		"  {\"cgroup\": \"/sys/fs/cgroup/b\", \"rate\": 5, \"burst\": 6, \"reasons\": [\"compaction\"]},\n"
		"  {\"cgroup\": \"new/deep\", \"rate\": 7, \"burst\": 8}]}";
	struct cfg_system sys;
	struct mock init, m, want;
	struct mock_quota *q;
	bool restored;
	int err, step, steps;

	make_system();
	sys = sys0;
	mock_init(&init);

	/* A kernel without quotas; a reason it cannot offload. */
	CHECK(parse(file) == 0);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == -EOPNOTSUPP &&
	      strstr(msg, "2: $.quotas: this kernel has no quotas"));
	sys.features = MIGOFF_FEAT_QUOTAS;
	sys.reasons_supported &= ~MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION);
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == -EOPNOTSUPP &&
	      strstr(msg, "3: $.quotas[1].reasons: this kernel cannot offload compaction"));
	sys = sys0;
	sys.features = MIGOFF_FEAT_QUOTAS;
	CHECK(config_resolve(&cfg, &sys, msg, sizeof(msg)) == 0);

	/* A missing cgroup: an error naming it and its line, unless created. */
	m = init;
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, false, msg, sizeof(msg)) == -ENOENT);
	CHECK(!strcmp(msg, "4: $.quotas[2].cgroup: no cgroup /sys/fs/cgroup/new/deep: create it, or load with --create-cgroups"));
	CHECK(m.calls == 0);
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, true, msg, sizeof(msg)) == 0);
	CHECK(cfg.quotas[0].had_quota && cfg.quotas[0].old_rate == 10 && cfg.quotas[0].missing == 0);
	CHECK(!cfg.quotas[1].had_quota && cfg.quotas[1].missing == 0);
	CHECK(!cfg.quotas[2].had_quota && cfg.quotas[2].missing == 2);
	CHECK(m.calls == 0);

	/* Success: the routes, then each quota, its cgroup created first. */
	err = config_apply(&cfg, &sys, &mock_ops, &m, &restored, msg, sizeof(msg));
	CHECK(err == 0);
	if (strcmp(m.log, "enable 0x80 cpu;quota /sys/fs/cgroup/a 100/200/0;"
		   "quota /sys/fs/cgroup/b 5/6/0x1;mkdir /sys/fs/cgroup/new;"
		   "mkdir /sys/fs/cgroup/new/deep;quota /sys/fs/cgroup/new/deep 7/8/0;"))
		fprintf(stderr, "apply quotas: %s\n", m.log);
	CHECK(!strcmp(m.log, "enable 0x80 cpu;quota /sys/fs/cgroup/a 100/200/0;"
		      "quota /sys/fs/cgroup/b 5/6/0x1;mkdir /sys/fs/cgroup/new;"
		      "mkdir /sys/fs/cgroup/new/deep;quota /sys/fs/cgroup/new/deep 7/8/0;"));
	steps = m.calls;
	want = init;
	strcpy(want.route[MIGOFF_REASON_DEMOTION], "cpu");
	want.quotas[0].rate = 100;
	want.quotas[0].burst = 200;
	want.quotas[0].reasons = 0;
	strcpy(want.dirs[want.nr_dirs++], "/sys/fs/cgroup/new");
	strcpy(want.dirs[want.nr_dirs++], "/sys/fs/cgroup/new/deep");
	q = &want.quotas[want.nr_quotas++];
	strcpy(q->path, "/sys/fs/cgroup/b");
	q->rate = 5;
	q->burst = 6;
	q->reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION);
	q = &want.quotas[want.nr_quotas++];
	strcpy(q->path, "/sys/fs/cgroup/new/deep");
	q->rate = 7;
	q->burst = 8;
	CHECK(same_state(&m, &want));

	/* Whichever step fails, everything is as before: quotas, cgroups, routes. */
	for (step = 1; step <= steps; step++) {
		m = init;
		m.fail_at = step;
		m.fail_err = -EPERM;
		CHECK(config_probe_quotas(&cfg, &mock_ops, &m, true, msg, sizeof(msg)) == 0);
		err = config_apply(&cfg, &sys, &mock_ops, &m, &restored, msg, sizeof(msg));
		if (!same_state(&m, &init))
			fprintf(stderr, "apply quotas failing at step %d left a mixed state: %s\n", step, m.log);
		CHECK(err == -EPERM && restored && same_state(&m, &init));
	}
	m = init;
	m.fail_at = 5;
	m.fail_err = -EACCES;
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, true, msg, sizeof(msg)) == 0);
	CHECK(config_apply(&cfg, &sys, &mock_ops, &m, &restored, msg, sizeof(msg)) == -EACCES);
	CHECK(!strcmp(msg, "4: $.quotas[2].cgroup: creating /sys/fs/cgroup/new/deep"));
	m = init;
	m.fail_at = 3;
	m.fail_err = -ENOSPC;
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, true, msg, sizeof(msg)) == 0);
	CHECK(config_apply(&cfg, &sys, &mock_ops, &m, &restored, msg, sizeof(msg)) == -ENOSPC);
	CHECK(!strcmp(msg, "3: $.quotas[1]: setting the quota of /sys/fs/cgroup/b"));
	/* An undo that fails too is reported. */
	m = init;
	m.fail_at = 6;
	m.fail_also = 7;
	m.fail_err = -EIO;
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, true, msg, sizeof(msg)) == 0);
	CHECK(config_apply(&cfg, &sys, &mock_ops, &m, &restored, msg, sizeof(msg)) == -EIO);
	CHECK(!restored);

	/* What is there already changes nothing; a new cgroup's quota is set. */
	CHECK(parse("{\"quotas\": [{\"cgroup\": \"a\", \"rate\": 10, \"burst\": 20, \"reasons\": [\"demotion\"]}]}") == 0);
	m = init;
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, false, msg, sizeof(msg)) == 0);
	CHECK(config_apply(&cfg, &sys, &mock_ops, &m, &restored, msg, sizeof(msg)) == 0 && m.calls == 0);

	/* Not a cgroup v2 directory, where it is or where it would be created. */
	CHECK(parse("{\"quotas\": [{\"cgroup\": \"/tmp\", \"rate\": 1, \"burst\": 1}]}") == 0);
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, true, msg, sizeof(msg)) == -EMEDIUMTYPE &&
	      !strcmp(msg, "1: $.quotas[0].cgroup: /tmp is not a cgroup v2 directory"));
	CHECK(parse("{\"quotas\": [{\"cgroup\": \"/tmp/x/y/\", \"rate\": 1, \"burst\": 1}]}") == 0);
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, false, msg, sizeof(msg)) == -ENOENT &&
	      strstr(msg, "no cgroup /tmp/x/y: create it"));
	CHECK(config_probe_quotas(&cfg, &mock_ops, &m, true, msg, sizeof(msg)) == -EMEDIUMTYPE &&
	      !strcmp(msg, "1: $.quotas[0].cgroup: /tmp, where it would be created, is not a cgroup v2 directory"));
	CHECK(m.calls == 0);
}

int main(void)
{
	test_reader();
	test_corpus();
	test_force();
	make_system();
	test_shapes();
	test_resolve();
	test_apply();
	test_apply_auto();
	test_missing();
	test_quotas();
	printf("unit_config: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

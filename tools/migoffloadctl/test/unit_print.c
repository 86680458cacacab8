// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of migoffloadctl's print layer (issue 20): one sequence
 * of calls is the text with the formats in text mode and the members with
 * the keys in JSON, each value once, a mode's values only in it; and the
 * prefix matching of commands and subcommands.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "util.h"

#include "../../../libmigoffload/test/check.h"

/* Every call of the layer, in one document; what it printed, malloc'ed. */
static char *document(bool json, bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	print_begin(f, json, pretty);
	print_obj_open(NULL);
	print_fp("%-4s|", "HDR");
	print_u64(PRINT_ANY, "a", "a=%llu", 18446744073709551615ULL);
	print_u64(PRINT_JSON, "j", "never", 2);
	print_u64(PRINT_FP, "never", " t=%llu", 3);
	print_string(PRINT_ANY, "s", " s=%s", "x\"y");
	print_string(PRINT_ANY, "none", " none=%s", NULL);
	print_bool(PRINT_ANY, "b", " b=%s", true);
	print_flag(PRINT_ANY, "on", " ON", " OFF", false);
	print_flag(PRINT_ANY, "quiet", NULL, NULL, true);
	print_null(PRINT_ANY, "nil", " nil");
	print_double(PRINT_ANY, "d", " d=%.1f", 1.5);
	print_u64(PRINT_ANY, "nofmt", NULL, 4);
	print_arr_open("arr");
	print_string(PRINT_ANY, NULL, " [%s]", "e");
	print_obj_open(NULL);
	print_u64(PRINT_ANY, "k", " k=%llu", 5);
	print_obj_close();
	print_arr_close();
	print_obj_open("empty");
	print_obj_close();
	print_obj_close();
	print_nl();
	CHECK(print_json() == json);
	CHECK(print_end() == 0);
	CHECK(!print_json());	/* the document is over */
	fclose(f);
	return buf;
}

static void test_print(void)
{
	char *text = document(false, false), *js = document(true, false),
	     *pp = document(true, true);
	FILE *full;

	CHECK(text && !strcmp(text,
		"HDR |a=18446744073709551615 t=3 s=x\"y none=- b=yes OFF nil d=1.5 [e] k=5\n"));
	CHECK(js && !strcmp(js,
		"{\"a\":18446744073709551615,\"j\":2,\"s\":\"x\\\"y\",\"none\":null,\"b\":true,"
		"\"on\":false,\"quiet\":true,\"nil\":null,\"d\":1.500,\"nofmt\":4,"
		"\"arr\":[\"e\",{\"k\":5}],\"empty\":{}}\n"));
	CHECK(pp && !strncmp(pp, "{\n  \"a\": 18446744073709551615,\n  \"j\": 2,\n", 40));
	CHECK(pp && strstr(pp, "\n  \"arr\": [\n    \"e\",\n    {\n      \"k\": 5\n    }\n  ],\n"));
	free(text);
	free(js);
	free(pp);

	/* A write error is the document's error, in text and in JSON. */
	full = fopen("/dev/full", "w");
	if (full) {
		print_begin(full, false, false);
		print_fp("%s\n", "lost");
		CHECK(print_end() == -EIO);
		fclose(full);
		full = fopen("/dev/full", "w");
		print_begin(full, true, false);
		print_obj_open(NULL);
		print_obj_close();
		CHECK(print_end() == -EIO);
		fclose(full);
	}
}

static void test_prefix(void)
{
	static const char *const cmds[] = { "status", "enable", "disable", "migrator", "batch",
					    "stats", "monitor", "config", "quota", "help" };
	static const char *const quota[] = { "set", "show", "clear" };
	static const char *const words[] = { "set", "settle", "setup" };

	CHECK(prefix_match("status", cmds, 10) == 0);
	CHECK(prefix_match("stats", cmds, 10) == 5);
	CHECK(prefix_match("stat", cmds, 10) == -2);
	CHECK(prefix_match("s", cmds, 10) == -2);
	CHECK(prefix_match("statu", cmds, 10) == 0);
	CHECK(prefix_match("q", cmds, 10) == 8);
	CHECK(prefix_match("m", cmds, 10) == -2);
	CHECK(prefix_match("mo", cmds, 10) == 6);
	CHECK(prefix_match("d", cmds, 10) == 2);
	CHECK(prefix_match("quotas", cmds, 10) == -1);
	CHECK(prefix_match("x", cmds, 10) == -1);
	CHECK(prefix_match("", cmds, 10) == -1);
	CHECK(prefix_match("-j", cmds, 10) == -1);
	CHECK(prefix_match("s", quota, 3) == -2);
	CHECK(prefix_match("sh", quota, 3) == 1);
	CHECK(prefix_match("se", quota, 3) == 0);
	CHECK(prefix_match("c", quota, 3) == 2);
	/* An exact word wins over the longer ones it begins. */
	CHECK(prefix_match("set", words, 3) == 0);
	CHECK(prefix_match("sett", words, 3) == 1);
	CHECK(prefix_match("se", words, 3) == -2);
	CHECK(prefix_match("setu", words, 3) == 2);
}

int main(void)
{
	test_print();
	test_prefix();
	printf("unit_print: %s (%d failures)\n", failures ? "FAILED" : "ok", failures);
	return failures != 0;
}

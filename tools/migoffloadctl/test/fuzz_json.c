// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target for migoffloadctl's JSON reader and writer (json.c), which
 * read every configuration file the boot-time service loads.
 *
 * For every input: json_parse() must not crash, leak or read out of bounds
 * (AddressSanitizer, UndefinedBehaviorSanitizer); what it accepts, written
 * back through the writer (jw_*), must parse again to the same tree: the
 * same types, keys and member order, strings byte for byte, unsigned
 * integers exactly.
 *
 * With clang, `-fsanitize=fuzzer` makes this a libFuzzer target (make
 * unit runs it for a bounded time from the seed files). Built with
 * -DFUZZ_DRIVER (any compiler), main() runs the seed files given and
 * deterministic mutations of each (bit flips, byte insertions, deletions,
 * duplications, splices of two seeds) for at most FUZZ_SECONDS seconds:
 * the same checks, without coverage guidance.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

static void write_tree(struct jw *w, const struct jnode *n, const char *key)
{
	const struct jnode *c;
	uint64_t v;

	switch (n->type) {
	case J_NULL:
		jw_str(w, key, NULL);
		break;
	case J_BOOL:
		jw_bool(w, key, n->b);
		break;
	case J_STR:
		jw_str(w, key, n->str);
		break;
	case J_NUM:
		/* The writer has no raw number: exact for integers only. */
		if (!json_u64(n, UINT64_MAX, &v))
			jw_u64(w, key, v);
		else
			jw_double(w, key, strtod(n->str, NULL));
		break;
	case J_ARR:
	case J_OBJ:
		if (n->type == J_ARR)
			jw_arr_open(w, key);
		else
			jw_obj_open(w, key);
		for (c = n->child; c; c = c->next)
			write_tree(w, c, n->type == J_OBJ ? c->key : NULL);
		if (n->type == J_ARR)
			jw_arr_close(w);
		else
			jw_obj_close(w);
		break;
	}
}

static void same_tree(const struct jnode *a, const struct jnode *b)
{
	uint64_t x, y;

	/* A number out of double's range is written as null (no infinity). */
	if (a->type == J_NUM && b->type == J_NULL &&
	    json_u64(a, UINT64_MAX, &x) && !isfinite(strtod(a->str, NULL)))
		return;
	if (a->type != b->type)
		abort();
	if ((a->key || b->key) && (!a->key || !b->key || strcmp(a->key, b->key)))
		abort();
	switch (a->type) {
	case J_BOOL:
		if (a->b != b->b)
			abort();
		break;
	case J_STR:
		if (strcmp(a->str, b->str))
			abort();
		break;
	case J_NUM:
		if (!json_u64(a, UINT64_MAX, &x) &&
		    (json_u64(b, UINT64_MAX, &y) || x != y))
			abort();
		break;
	case J_ARR:
	case J_OBJ:
		for (a = a->child, b = b->child; a && b; a = a->next, b = b->next)
			same_tree(a, b);
		if (a || b)
			abort();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_err err;
	struct jnode *t, *u;
	char *out = NULL;
	size_t len = 0;
	struct jw w;
	FILE *f;

	t = json_parse((const char *)data, size, &err);
	if (!t) {
		if (!err.msg || err.line < 1 || err.col < 1)
			abort();	/* every error says what and where */
		return 0;
	}
	f = open_memstream(&out, &len);
	if (!f)
		abort();
	jw_init(&w, f, size & 1);	/* pretty or not */
	write_tree(&w, t, NULL);
	jw_end(&w);
	fclose(f);
	u = json_parse(out, len, &err);
	if (!u) {
		fprintf(stderr, "fuzz_json: the writer's output does not parse (line %d col %d: %s):\n%s\n",
			err.line, err.col, err.msg, out);
		abort();
	}
	same_tree(t, u);
	json_free(u);
	json_free(t);
	free(out);
	return 0;
}

#ifdef FUZZ_DRIVER
#ifndef FUZZ_SECONDS
#define FUZZ_SECONDS	10
#endif

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = n;
	}
	fclose(f);
	return buf;
}

/* One mutation of @in (@n bytes) into @out (room for 2 * @n + 64). */
static size_t mutate(const char *in, size_t n, const char *other, size_t on, char *out)
{
	static const char tokens[] = "{}[]\",:\\0123456789-+.eEtrufalsn \n\t";
	size_t i, at = n ? next() % n : 0, m = n;

	memcpy(out, in, n);
	switch (next() % 6) {
	case 0:		/* flip a bit */
		if (n)
			out[at] ^= 1 << (next() % 8);
		break;
	case 1:		/* insert a JSON token character */
		memmove(out + at + 1, out + at, n - at);
		out[at] = tokens[next() % (sizeof(tokens) - 1)];
		m = n + 1;
		break;
	case 2:		/* delete a run */
		i = n - at ? 1 + next() % (n - at < 8 ? n - at : 8) : 0;
		memmove(out + at, out + at + i, n - at - i);
		m = n - i;
		break;
	case 3:		/* duplicate a run */
		i = n - at < 32 ? n - at : 32;
		memmove(out + at + i, out + at, n - at);
		m = n + i;
		break;
	case 4:		/* splice: our head, the other's tail */
		i = on ? next() % on : 0;
		if (at + on - i <= 2 * n + 64) {
			memcpy(out + at, other + i, on - i);
			m = at + on - i;
		}
		break;
	default:	/* any byte */
		if (n)
			out[at] = (char)next();
		break;
	}
	return m;
}

int main(int argc, char **argv)
{
	char *seed[64];
	size_t len[64], maxlen = 0;
	int i, n = 0;
	long runs = 0;
	time_t end = time(NULL) + FUZZ_SECONDS;
	char *buf;

	for (i = 1; i < argc && n < 64; i++) {
		seed[n] = slurp(argv[i], &len[n]);
		if (!seed[n]) {
			fprintf(stderr, "fuzz_json: cannot read %s\n", argv[i]);
			return 1;
		}
		if (len[n] > maxlen)
			maxlen = len[n];
		LLVMFuzzerTestOneInput((const uint8_t *)seed[n], len[n]);
		n++;
	}
	if (!n) {
		fprintf(stderr, "usage: fuzz_json SEED_FILE...\n");
		return 2;
	}
	buf = malloc(2 * maxlen + 64);
	if (!buf)
		return 1;
	while (time(NULL) < end) {
		for (i = 0; i < 1000; i++, runs++) {
			int a = next() % n, b = next() % n;
			size_t m = mutate(seed[a], len[a], seed[b], len[b], buf);

			LLVMFuzzerTestOneInput((const uint8_t *)buf, m);
		}
	}
	printf("fuzz_json: %ld mutated inputs from %d seeds, no failure\n", runs, n);
	free(buf);
	for (i = 0; i < n; i++)
		free(seed[i]);
	return 0;
}
#endif

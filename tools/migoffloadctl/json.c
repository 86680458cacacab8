// SPDX-License-Identifier: GPL-2.0
/*
 * migoffloadctl's JSON writer and reader, instead of json-c (accel-config's
 * choice), for two things json-c cannot do for a configuration file that
 * an operator edits by hand and a boot-time service loads:
 *
 *  - name the line of a value that is wrong: config load checks meanings
 *    after parsing ("line 7: batch.max_pages: ..."), and json-c's objects
 *    keep no source position (json_tokener only knows where a syntax
 *    error is);
 *  - refuse duplicate keys: json-c keeps the last one silently
 *    (json_object_object_add() replaces), so '"max_pages": 64, ...
 *    "max_pages": 0' would load the second without a word.
 *
 * It also keeps numbers as written, so that a u64 is read exactly. The
 * price is this file; it is fuzzed in make unit (test/fuzz_json.c:
 * libFuzzer under ASan/UBSan, every input it accepts written back and
 * parsed again to the same tree).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void jw_init(struct jw *w, FILE *f, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->pretty = pretty;
	w->first[0] = true;
}

static void indent(struct jw *w)
{
	int i;

	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void member(struct jw *w, const char *key)
{
	if (w->depth > 0) {
		if (!w->first[w->depth])
			fputc(',', w->f);
		indent(w);
	}
	w->first[w->depth] = false;
	if (key) {
		put_string(w->f, key);
		fputs(w->pretty ? ": " : ":", w->f);
	}
}

static void open_(struct jw *w, const char *key, char c)
{
	member(w, key);
	fputc(c, w->f);
	w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	w->depth--;
	if (!empty)
		indent(w);
	fputc(c, w->f);
}

void jw_obj_open(struct jw *w, const char *key) { open_(w, key, '{'); }
void jw_obj_close(struct jw *w) { close_(w, '}'); }
void jw_arr_open(struct jw *w, const char *key) { open_(w, key, '['); }
void jw_arr_close(struct jw *w) { close_(w, ']'); }

void jw_str(struct jw *w, const char *key, const char *val)
{
	member(w, key);
	if (val)
		put_string(w->f, val);
	else
		fputs("null", w->f);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	member(w, key);
	fprintf(w->f, "%llu", (unsigned long long)val);
}

void jw_double(struct jw *w, const char *key, double val)
{
	member(w, key);
	/* JSON has no infinity or NaN. */
	if (isfinite(val))
		fprintf(w->f, "%.3f", val);
	else
		fputs("null", w->f);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	member(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_end(struct jw *w)
{
	fputc('\n', w->f);
	fflush(w->f);
	w->first[0] = true;
}


/*
 * Reader: strict RFC 8259 recursive descent over @len bytes. Every escape
 * the writer emits (and every other one JSON has) is decoded; raw control
 * characters, NUL bytes, lone surrogates, duplicate keys and trailing text
 * are errors. Numbers keep their text so that callers can read them exactly.
 */
struct parser {
	const char *p, *end, *line_start;
	int line;
	const char *err;
	int depth;
};

static void perr(struct parser *ps, const char *msg)
{
	if (!ps->err)
		ps->err = msg;
}

static int peek(const struct parser *ps)
{
	return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static void ws(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			ps->line++;
			ps->line_start = ps->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			break;
		}
		ps->p++;
	}
}

static struct jnode *value(struct parser *ps);

struct sbuf {
	char *s;
	size_t n, cap;
};

static bool sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16;
		char *t;

		while (b->n + n + 1 > cap)
			cap *= 2;
		t = realloc(b->s, cap);
		if (!t)
			return false;
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
	return true;
}

static int hex4(struct parser *ps)
{
	int v = 0, i;

	if (ps->end - ps->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = *ps->p++;

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* \uXXXX (and its low surrogate) -> UTF-8 in @out; returns its length or 0. */
static size_t unicode_escape(struct parser *ps, char out[4])
{
	int cp = hex4(ps), lo;

	if (cp < 0) {
		perr(ps, "bad \\u escape (want four hex digits)");
		return 0;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		perr(ps, "lone low surrogate in \\u escape");
		return 0;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u') {
			perr(ps, "high surrogate not followed by a low one");
			return 0;
		}
		ps->p += 2;
		lo = hex4(ps);
		if (lo < 0xdc00 || lo > 0xdfff) {
			perr(ps, "high surrogate not followed by a low one");
			return 0;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0) {
		perr(ps, "\\u0000 (NUL) in a string");
		return 0;
	}
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static char *string(struct parser *ps)
{
	struct sbuf b = { 0 };

	if (peek(ps) != '"') {
		perr(ps, "expected a string");
		return NULL;
	}
	ps->p++;
	if (!sb_put(&b, "", 0))
		goto oom;
	for (;;) {
		const char *run = ps->p;
		char u[4];
		size_t n;

		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20)
			ps->p++;
		if (!sb_put(&b, run, ps->p - run))
			goto oom;
		if (ps->p >= ps->end) {
			perr(ps, "unterminated string");
			goto fail;
		}
		if (*ps->p == '"') {
			ps->p++;
			return b.s;
		}
		if (*ps->p != '\\') {
			perr(ps, *ps->p ? "control character in a string (escape it)" :
			     "NUL byte in a string");
			goto fail;
		}
		ps->p++;
		n = 1;
		switch (peek(ps)) {
		case '"': u[0] = '"'; break;
		case '\\': u[0] = '\\'; break;
		case '/': u[0] = '/'; break;
		case 'b': u[0] = '\b'; break;
		case 'f': u[0] = '\f'; break;
		case 'n': u[0] = '\n'; break;
		case 'r': u[0] = '\r'; break;
		case 't': u[0] = '\t'; break;
		case 'u':
			ps->p++;
			n = unicode_escape(ps, u);
			if (!n)
				goto fail;
			ps->p--;	/* the ++ below */
			break;
		default:
			perr(ps, "unknown escape in a string");
			goto fail;
		}
		ps->p++;
		if (!sb_put(&b, u, n))
			goto oom;
	}
oom:
	perr(ps, "out of memory");
fail:
	free(b.s);
	return NULL;
}

static struct jnode *node(struct parser *ps, enum jtype t)
{
	struct jnode *n = calloc(1, sizeof(*n));

	if (!n) {
		perr(ps, "out of memory");
		return NULL;
	}
	n->type = t;
	n->line = ps->line;
	return n;
}

static struct jnode *container(struct parser *ps, bool obj)
{
	struct jnode *n = node(ps, obj ? J_OBJ : J_ARR), **tail, *c;
	char close = obj ? '}' : ']';

	if (!n)
		return NULL;
	if (++ps->depth > JSON_MAX_DEPTH) {
		perr(ps, "nested too deeply");
		free(n);
		return NULL;
	}
	tail = &n->child;
	ps->p++;
	ws(ps);
	if (peek(ps) == close) {
		ps->p++;
		ps->depth--;
		return n;
	}
	for (;;) {
		char *key = NULL;
		struct jnode *v;

		ws(ps);
		if (obj) {
			key = string(ps);
			if (!key)
				goto fail;
			for (c = n->child; c; c = c->next) {
				if (!strcmp(c->key, key)) {
					free(key);
					perr(ps, "duplicate key");
					goto fail;
				}
			}
			ws(ps);
			if (peek(ps) != ':') {
				free(key);
				perr(ps, "expected ':'");
				goto fail;
			}
			ps->p++;
		}
		v = value(ps);
		if (!v) {
			free(key);
			goto fail;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		ws(ps);
		if (peek(ps) == ',') {
			ps->p++;
			continue;
		}
		if (peek(ps) == close) {
			ps->p++;
			ps->depth--;
			return n;
		}
		perr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		goto fail;
	}
fail:
	json_free(n);
	return NULL;
}

static bool digit(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static struct jnode *number(struct parser *ps)
{
	const char *start = ps->p;
	struct jnode *n;

	if (peek(ps) == '-')
		ps->p++;
	if (!digit(ps))
		goto bad;
	if (*ps->p++ != '0')
		while (digit(ps))
			ps->p++;
	if (peek(ps) == '.') {
		ps->p++;
		if (!digit(ps))
			goto bad;
		while (digit(ps))
			ps->p++;
	}
	if (peek(ps) == 'e' || peek(ps) == 'E') {
		ps->p++;
		if (peek(ps) == '+' || peek(ps) == '-')
			ps->p++;
		if (!digit(ps))
			goto bad;
		while (digit(ps))
			ps->p++;
	}
	n = node(ps, J_NUM);
	if (n) {
		n->str = strndup(start, ps->p - start);
		if (!n->str) {
			free(n);
			perr(ps, "out of memory");
			return NULL;
		}
	}
	return n;
bad:
	perr(ps, "malformed number");
	return NULL;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static struct jnode *value(struct parser *ps)
{
	struct jnode *n;

	ws(ps);
	switch (peek(ps)) {
	case '{':
		return container(ps, true);
	case '[':
		return container(ps, false);
	case '"':
		n = node(ps, J_STR);
		if (!n)
			return NULL;
		n->str = string(ps);
		if (!n->str) {
			free(n);
			return NULL;
		}
		return n;
	case 't':
	case 'f':
		if (literal(ps, "true")) {
			n = node(ps, J_BOOL);
			if (n)
				n->b = true;
			return n;
		}
		if (literal(ps, "false"))
			return node(ps, J_BOOL);
		break;
	case 'n':
		if (literal(ps, "null"))
			return node(ps, J_NULL);
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return number(ps);
	case -1:
		perr(ps, "unexpected end of input");
		return NULL;
	}
	perr(ps, ps->p < ps->end && !*ps->p ? "NUL byte" : "unexpected character");
	return NULL;
}

struct jnode *json_parse(const char *text, size_t len, struct json_err *err)
{
	struct parser ps = { .p = text, .end = text + len, .line_start = text, .line = 1 };
	struct jnode *n = value(&ps);

	if (n) {
		ws(&ps);
		if (ps.p < ps.end) {
			json_free(n);
			n = NULL;
			perr(&ps, "trailing characters after the value");
		}
	}
	if (!n && err) {
		err->msg = ps.err ? ps.err : "out of memory";
		err->line = ps.line;
		err->col = (int)(ps.p - ps.line_start) + 1;
	}
	return n;
}

void json_free(struct jnode *n)
{
	while (n) {
		struct jnode *next = n->next;

		json_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

struct jnode *json_get(const struct jnode *obj, const char *key)
{
	struct jnode *c;

	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (c = obj->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

/* An unsigned integer, exactly: no sign, fraction or exponent; <= @max. */
int json_u64(const struct jnode *n, uint64_t max, uint64_t *v)
{
	const char *s;
	uint64_t x = 0;

	if (!n || n->type != J_NUM)
		return -EINVAL;
	for (s = n->str; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;		/* '-', '.', 'e' */
		if (x > (UINT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (*s - '0');
	}
	if (x > max)
		return -ERANGE;
	*v = x;
	return 0;
}

const char *json_type_name(enum jtype t)
{
	static const char * const names[] = {
		[J_NULL] = "null", [J_BOOL] = "a boolean", [J_NUM] = "a number",
		[J_STR] = "a string", [J_ARR] = "an array", [J_OBJ] = "an object",
	};

	return names[t];
}

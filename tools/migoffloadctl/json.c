// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
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
	fprintf(w->f, "%.3f", val);
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

/* Reader: recursive descent over a NUL-terminated text. */
struct parser {
	const char *p;
	const char *err;
	int depth;
};

static void ws(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static struct jnode *value(struct parser *ps);

static char *string(struct parser *ps)
{
	size_t cap = 16, n = 0;
	char *s, *t;

	if (*ps->p != '"') {
		ps->err = "expected a string";
		return NULL;
	}
	ps->p++;
	s = malloc(cap);
	if (!s) {
		ps->err = "out of memory";
		return NULL;
	}
	while (*ps->p && *ps->p != '"') {
		char c = *ps->p++;

		if (c == '\\') {
			c = *ps->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '"': case '\\': case '/': break;
			default:
				ps->err = "unsupported escape in string";
				free(s);
				return NULL;
			}
		}
		if (n + 1 >= cap) {
			t = realloc(s, cap *= 2);
			if (!t) {
				free(s);
				ps->err = "out of memory";
				return NULL;
			}
			s = t;
		}
		s[n++] = c;
	}
	if (*ps->p != '"') {
		free(s);
		ps->err = "unterminated string";
		return NULL;
	}
	ps->p++;
	s[n] = '\0';
	return s;
}

static struct jnode *node(enum jtype t)
{
	struct jnode *n = calloc(1, sizeof(*n));

	if (n)
		n->type = t;
	return n;
}

static struct jnode *container(struct parser *ps, bool obj)
{
	struct jnode *n = node(obj ? J_OBJ : J_ARR), **tail;
	char close = obj ? '}' : ']';

	if (!n) {
		ps->err = "out of memory";
		return NULL;
	}
	if (++ps->depth > 32) {
		ps->err = "nested too deeply";
		free(n);
		return NULL;
	}
	tail = &n->child;
	ps->p++;
	ws(ps);
	if (*ps->p == close) {
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
			ws(ps);
			if (*ps->p != ':') {
				free(key);
				ps->err = "expected ':'";
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
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == close) {
			ps->p++;
			ps->depth--;
			return n;
		}
		ps->err = obj ? "expected ',' or '}'" : "expected ',' or ']'";
		goto fail;
	}
fail:
	json_free(n);
	return NULL;
}

static struct jnode *value(struct parser *ps)
{
	struct jnode *n;
	char *end;

	ws(ps);
	switch (*ps->p) {
	case '{':
		return container(ps, true);
	case '[':
		return container(ps, false);
	case '"':
		n = node(J_STR);
		if (!n) {
			ps->err = "out of memory";
			return NULL;
		}
		n->str = string(ps);
		if (!n->str) {
			free(n);
			return NULL;
		}
		return n;
	case 't':
	case 'f':
	case 'n':
		if (!strncmp(ps->p, "true", 4) || !strncmp(ps->p, "false", 5)) {
			n = node(J_BOOL);
			if (n)
				n->b = *ps->p == 't';
			ps->p += *ps->p == 't' ? 4 : 5;
			return n;
		}
		if (!strncmp(ps->p, "null", 4)) {
			ps->p += 4;
			return node(J_NULL);
		}
		break;
	default:
		if (*ps->p == '-' || isdigit((unsigned char)*ps->p)) {
			double v = strtod(ps->p, &end);

			if (end == ps->p)
				break;
			n = node(J_NUM);
			if (!n) {
				ps->err = "out of memory";
				return NULL;
			}
			n->num = v;
			ps->p = end;
			return n;
		}
	}
	ps->err = "unexpected character";
	return NULL;
}

struct jnode *json_parse(const char *text, const char **err)
{
	struct parser ps = { .p = text };
	struct jnode *n = value(&ps);

	if (n) {
		ws(&ps);
		if (*ps.p) {
			json_free(n);
			n = NULL;
			ps.err = "trailing characters";
		}
	}
	if (!n && err)
		*err = ps.err ? ps.err : "out of memory";
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

// SPDX-License-Identifier: GPL-2.0
/* The print layer: text or JSON (json.c's writer), one call per value. */
#include <errno.h>
#include <stdarg.h>

#include "json.h"
#include "print.h"

/*
 * One document at a time: commands print one (or, for stats --interval
 * and monitor, one after the other), never two at once.
 */
static struct {
	FILE *f;		/* NULL: stdout */
	bool json;
	struct jw w;
} out;

static FILE *out_file(void)
{
	return out.f ? out.f : stdout;
}

static bool want(enum print_type t)
{
	return t & (out.json ? PRINT_JSON : PRINT_FP);
}

void print_begin(FILE *f, bool json, bool pretty)
{
	out.f = f;
	out.json = json;
	if (json)
		jw_init(&out.w, f, pretty);
}

int print_end(void)
{
	FILE *f = out_file();

	if (out.json)
		jw_end(&out.w);
	fflush(f);
	/* @f may be a memory stream about to be closed: never written again. */
	out.f = NULL;
	out.json = false;
	return ferror(f) ? -EIO : 0;
}

bool print_json(void)
{
	return out.json;
}

void print_obj_open(const char *key)
{
	if (out.json)
		jw_obj_open(&out.w, key);
}

void print_obj_close(void)
{
	if (out.json)
		jw_obj_close(&out.w);
}

void print_arr_open(const char *key)
{
	if (out.json)
		jw_arr_open(&out.w, key);
}

void print_arr_close(void)
{
	if (out.json)
		jw_arr_close(&out.w);
}

void print_u64(enum print_type t, const char *key, const char *fmt, uint64_t v)
{
	if (!want(t))
		return;
	if (out.json)
		jw_u64(&out.w, key, v);
	else if (fmt)
		fprintf(out_file(), fmt, (unsigned long long)v);
}

void print_double(enum print_type t, const char *key, const char *fmt, double v)
{
	if (!want(t))
		return;
	if (out.json)
		jw_double(&out.w, key, v);
	else if (fmt)
		fprintf(out_file(), fmt, v);
}

void print_string(enum print_type t, const char *key, const char *fmt, const char *s)
{
	if (!want(t))
		return;
	if (out.json)
		jw_str(&out.w, key, s);
	else if (fmt)
		fprintf(out_file(), fmt, s ? s : "-");
}

void print_bool(enum print_type t, const char *key, const char *fmt, bool v)
{
	if (!want(t))
		return;
	if (out.json)
		jw_bool(&out.w, key, v);
	else if (fmt)
		fprintf(out_file(), fmt, v ? "yes" : "no");
}

void print_flag(enum print_type t, const char *key, const char *on, const char *off, bool v)
{
	if (!want(t))
		return;
	if (out.json)
		jw_bool(&out.w, key, v);
	else if (v ? on : off)
		fputs(v ? on : off, out_file());
}

void print_null(enum print_type t, const char *key, const char *text)
{
	if (!want(t))
		return;
	if (out.json)
		jw_str(&out.w, key, NULL);
	else if (text)
		fputs(text, out_file());
}

void print_fp(const char *fmt, ...)
{
	va_list ap;

	if (out.json)
		return;
	va_start(ap, fmt);
	vfprintf(out_file(), fmt, ap);
	va_end(ap);
}

void print_nl(void)
{
	if (!out.json)
		fputc('\n', out_file());
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migoffloadctl's output, as iproute2's json_print.h: each value is printed
 * once, by one call that writes it as text (with its printf format) or as
 * a JSON member (with its key), whichever -j chose. A value only one of the
 * two shows says so with PRINT_FP (text) or PRINT_JSON; a table keeps its
 * columns, the width being in the format.
 */
#ifndef MIGOFFLOADCTL_PRINT_H
#define MIGOFFLOADCTL_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum print_type {
	PRINT_FP	= 1,	/* text only */
	PRINT_JSON	= 2,	/* JSON only */
	PRINT_ANY	= 3,	/* both */
};

/*
 * One document (a JSON value and its newline, or text) to @f. The
 * functions below write to the document begun last; before any, text to
 * stdout.
 */
void print_begin(FILE *f, bool json, bool pretty);
/* The end of the document, flushed: 0, or -EIO if @f had a write error. */
int print_end(void);
bool print_json(void);

/* JSON: an object or array (@key NULL inside an array); text: nothing. */
void print_obj_open(const char *key);
void print_obj_close(void);
void print_arr_open(const char *key);
void print_arr_close(void);

/*
 * JSON: "key": value (no key inside an array); text: @fmt with the value
 * (nothing if @fmt is NULL). The text of a uint64_t is unsigned long long
 * ("%llu"); of a NULL string (JSON null) "-"; of a bool "yes" or "no".
 */
void print_u64(enum print_type t, const char *key, const char *fmt, uint64_t v);
void print_double(enum print_type t, const char *key, const char *fmt, double v);
void print_string(enum print_type t, const char *key, const char *fmt, const char *s);
void print_bool(enum print_type t, const char *key, const char *fmt, bool v);
/* JSON: true or false; text: @on or @off as they are (NULL: nothing). */
void print_flag(enum print_type t, const char *key, const char *on, const char *off, bool v);
/* JSON: null; text: @text as it is. */
void print_null(enum print_type t, const char *key, const char *text);
/* Text only: headers, separators, annotations. */
void print_fp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void print_nl(void);

#endif

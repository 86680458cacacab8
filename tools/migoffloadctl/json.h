/* SPDX-License-Identifier: GPL-2.0 */
/* A small JSON writer (streaming) and reader (tree) for migoffloadctl. */
#ifndef MIGOFFLOADCTL_JSON_H
#define MIGOFFLOADCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* As deep as objects and arrays nest, in what is read and written. */
#define JSON_MAX_DEPTH	32

/* Writer: objects and arrays nest (JSON_MAX_DEPTH); keys only inside objects. */
struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JSON_MAX_DEPTH + 1];	/* per level, the top one included */
};

void jw_init(struct jw *w, FILE *f, bool pretty);
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val);	/* NULL: null */
void jw_u64(struct jw *w, const char *key, uint64_t val);
void jw_double(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_end(struct jw *w);	/* newline after the top-level value */

/* Reader. */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jnode {
	enum jtype type;
	int line;		/* where the value starts, from 1 */
	char *key;		/* member name inside an object */
	char *str;		/* J_STR: the text; J_NUM: the number as written */
	bool b;
	struct jnode *child;	/* first element/member */
	struct jnode *next;
};

struct json_err {
	const char *msg;	/* static */
	int line, col;
};

/* Parse @len bytes of @text (strict JSON); NULL and *err on failure. */
struct jnode *json_parse(const char *text, size_t len, struct json_err *err);
void json_free(struct jnode *n);
struct jnode *json_get(const struct jnode *obj, const char *key);
/* An exact unsigned integer <= @max: 0, -EINVAL (not one) or -ERANGE. */
int json_u64(const struct jnode *n, uint64_t max, uint64_t *v);
const char *json_type_name(enum jtype t);

#endif

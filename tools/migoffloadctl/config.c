// SPDX-License-Identifier: GPL-2.0
/* config load: parse, validate, resolve, then apply with undo. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "json.h"

struct pctx {
	char path[512];
	size_t len;
	char *msg;
	size_t msglen;
	struct config *cfg;	/* parsing: where warnings go */
	unsigned int flags;	/* parsing: CFG_FORCE */
};

/* Append a member to the JSON path: .name, or ["any \"text\""] escaped. */
static size_t path_push(struct pctx *c, const char *key)
{
	size_t old = c->len, room;
	const unsigned char *k = (const unsigned char *)key;
	bool plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_';
	char *p;

	for (; plain && *k; k++)
		plain = (*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
			(*k >= '0' && *k <= '9') || *k == '_';
	p = c->path + c->len;
	room = sizeof(c->path) - c->len;
	if (plain) {
		snprintf(p, room, ".%s", key);
	} else {
		size_t n = snprintf(p, room, "[\"");

		for (k = (const unsigned char *)key; *k && n + 8 < room; k++) {
			if (*k == '"' || *k == '\\')
				n += snprintf(p + n, room - n, "\\%c", *k);
			else if (*k < 0x20 || *k == 0x7f)
				n += snprintf(p + n, room - n, "\\u%04x", *k);
			else
				p[n++] = *k;
		}
		snprintf(p + n, room - n, "\"]");
	}
	c->len = strlen(c->path);
	return old;
}

static void path_pop(struct pctx *c, size_t old)
{
	c->len = old;
	c->path[old] = '\0';
}

static int __attribute__((format(printf, 4, 5)))
bad(struct pctx *c, int err, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->msg, c->msglen, "%d: %s: ", line, c->path);
	if (n >= 0 && (size_t)n < c->msglen) {
		va_start(ap, fmt);
		vsnprintf(c->msg + n, c->msglen - n, fmt, ap);
		va_end(ap);
	}
	return -err;
}

/*
 * An unknown key (@c->path ends with it): an error, or with CFG_FORCE a
 * warning, and the key is ignored.
 */
static int unknown_key(struct pctx *c, int line, const char *known)
{
	struct config *cfg = c->cfg;
	size_t n;

	if (!(c->flags & CFG_FORCE))
		return bad(c, EINVAL, line, "unknown key (%s); --force makes it a warning", known);
	n = strlen(cfg->warnings);
	if (n + 1 < sizeof(cfg->warnings))
		snprintf(cfg->warnings + n, sizeof(cfg->warnings) - n,
			 "%d: %s: unknown key (%s): ignored (--force)\n", line, c->path, known);
	cfg->nr_warnings++;
	return 0;
}

static int want_type(struct pctx *c, const struct jnode *n, enum jtype t)
{
	if (n->type == t)
		return 0;
	return bad(c, EINVAL, n->line, "expected %s, got %s", json_type_name(t),
		   json_type_name(n->type));
}

/* A name that fits a NUL-terminated kernel field of @size. */
static int name_ok(struct pctx *c, int line, const char *s, size_t size, const char *what)
{
	if (!*s)
		return bad(c, EINVAL, line, "empty %s", what);
	if (strlen(s) >= size)
		return bad(c, EINVAL, line, "%s longer than %zu bytes", what, size - 1);
	return 0;
}

static int integer(struct pctx *c, const struct jnode *n, uint64_t max, uint64_t *v)
{
	int err = want_type(c, n, J_NUM);

	if (err)
		return err;
	err = json_u64(n, max, v);
	if (err == -ERANGE)
		return bad(c, ERANGE, n->line, "%s is out of range (0..%llu)", n->str,
			   (unsigned long long)max);
	if (err)
		return bad(c, EINVAL, n->line, "%s is not a non-negative integer", n->str);
	return 0;
}

static int parse_routes(struct pctx *c, const struct jnode *o, struct config *cfg)
{
	const struct jnode *m;
	size_t old;
	int r, err;

	err = want_type(c, o, J_OBJ);
	for (m = o->child; !err && m; m = m->next) {
		old = path_push(c, m->key);
		r = migoff_reason_parse(m->key);
		if (r < 0)
			return bad(c, EINVAL, m->line, "unknown reason (see 'migoffloadctl --help')");
		if (cfg->routes_named & MIGOFF_REASON_BIT(r))
			return bad(c, EINVAL, m->line, "the same reason as line %d",
				   cfg->route_line[r]);
		cfg->routes_named |= MIGOFF_REASON_BIT(r);
		cfg->route_line[r] = m->line;
		if (m->type == J_STR) {
			err = name_ok(c, m->line, m->str, MIGOFF_NAME_LEN, "migrator name");
			if (!err)
				strcpy(cfg->route[r], m->str);
		} else if (m->type != J_NULL) {
			err = bad(c, EINVAL, m->line,
				  "expected a migrator name or null, got %s",
				  json_type_name(m->type));
		}
		path_pop(c, old);
	}
	return err;
}

static int parse_batch(struct pctx *c, const struct jnode *o, struct config *cfg)
{
	const struct jnode *m;
	uint64_t v = 0;
	size_t old;
	int err;

	err = want_type(c, o, J_OBJ);
	for (m = o->child; !err && m; m = m->next) {
		old = path_push(c, m->key);
		if (!strcmp(m->key, "max_pages")) {
			err = integer(c, m, UINT32_MAX, &v);
			cfg->max_pages = v;
			cfg->max_pages_line = m->line;
			cfg->batch_flags |= MIGOFF_BATCH_SET_MAX_PAGES;
		} else if (!strcmp(m->key, "min_folios")) {
			err = integer(c, m, UINT32_MAX, &v);
			cfg->min_folios = v;
			cfg->min_folios_line = m->line;
			cfg->batch_flags |= MIGOFF_BATCH_SET_MIN_FOLIOS;
		} else if (!strcmp(m->key, "latency_us")) {
			err = integer(c, m, MIGOFF_MAX_LATENCY_US, &v);
			cfg->latency_us = v;
			cfg->latency_line = m->line;
			cfg->batch_flags |= MIGOFF_BATCH_SET_LATENCY;
		} else {
			err = unknown_key(c, m->line, "max_pages, min_folios or latency_us");
		}
		if (!err)
			path_pop(c, old);
	}
	return err;
}

/* "auto_reasons": ["demotion", ...], the reasons routed automatically. */
static int parse_auto(struct pctx *c, const struct jnode *a, struct config *cfg)
{
	const struct jnode *p;
	char idx[32];
	size_t old;
	int i = 0, r, err;

	err = want_type(c, a, J_ARR);
	for (p = a->child; !err && p; p = p->next, i++) {
		snprintf(idx, sizeof(idx), "[%d]", i);
		old = c->len;
		snprintf(c->path + c->len, sizeof(c->path) - c->len, "%s", idx);
		c->len = strlen(c->path);
		err = want_type(c, p, J_STR);
		if (err)
			return err;
		r = migoff_reason_parse(p->str);
		if (r < 0)
			return bad(c, EINVAL, p->line, "unknown reason '%s' (see 'migoffloadctl --help')",
				   p->str);
		if (cfg->auto_reasons & MIGOFF_REASON_BIT(r))
			return bad(c, EINVAL, p->line, "%s twice (line %d)", migoff_reason_name(r),
				   cfg->auto_line[r]);
		cfg->auto_reasons |= MIGOFF_REASON_BIT(r);
		cfg->auto_line[r] = p->line;
		path_pop(c, old);
	}
	return err;
}

/* Every reason routed automatically is routed to a migrator by the file. */
static int check_auto(struct pctx *c, const struct config *cfg)
{
	unsigned int r;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		if (!(cfg->auto_reasons & MIGOFF_REASON_BIT(r)) ||
		    ((cfg->routes_named & MIGOFF_REASON_BIT(r)) && cfg->route[r][0]))
			continue;
		snprintf(c->path, sizeof(c->path), "$.auto_reasons");
		c->len = strlen(c->path);
		return bad(c, EINVAL, cfg->auto_line[r],
			   "%s: an automatic route needs a migrator in $.routes.%s",
			   migoff_reason_name(r), migoff_reason_name(r));
	}
	return 0;
}

/*
 * A parameter's value: a number, or an object with "value" (and "min" and
 * "max", informative: the migrator's limits decide), as status -j prints it.
 */
static int parse_param(struct pctx *c, const struct jnode *p, struct cfg_param *cp)
{
	const struct jnode *m;
	bool has_value = false;
	uint64_t v;
	size_t old;
	int err = 0;

	if (p->type == J_NUM)
		return integer(c, p, UINT64_MAX, &cp->value);
	if (p->type != J_OBJ)
		return bad(c, EINVAL, p->line, "expected a number or an object with \"value\", got %s",
			   json_type_name(p->type));
	cp->boxed = true;
	for (m = p->child; !err && m; m = m->next) {
		old = path_push(c, m->key);
		if (!strcmp(m->key, "value")) {
			err = integer(c, m, UINT64_MAX, &cp->value);
			has_value = true;
		} else if (!strcmp(m->key, "min") || !strcmp(m->key, "max")) {
			err = integer(c, m, UINT64_MAX, &v);
		} else {
			err = unknown_key(c, m->line, "value, min or max");
		}
		if (!err)
			path_pop(c, old);
	}
	if (!err && !has_value)
		err = bad(c, EINVAL, p->line, "a parameter needs \"value\"");
	return err;
}

/* @cm->in_array: an element of the array, which names itself. */
static int parse_migrator(struct pctx *c, const struct jnode *o, struct cfg_migrator *cm)
{
	const struct jnode *m, *p;
	bool in_array = cm->in_array;
	size_t old, old2;
	uint64_t v;
	int err;

	err = want_type(c, o, J_OBJ);
	for (m = o->child; !err && m; m = m->next) {
		old = path_push(c, m->key);
		if (in_array && !strcmp(m->key, "name")) {
			err = want_type(c, m, J_STR);
			if (!err)
				err = name_ok(c, m->line, m->str, sizeof(cm->name), "migrator name");
			if (!err)
				strcpy(cm->name, m->str);
		} else if (!strcmp(m->key, "id")) {
			/* Informative: the kernel numbers the migrators as they register. */
			err = integer(c, m, UINT32_MAX, &v);
		} else if (!strcmp(m->key, "kind")) {
			if (m->type != J_NULL)	/* null: a kind this version does not know */
				err = want_type(c, m, J_STR);
		} else if (!strcmp(m->key, "available")) {
			err = want_type(c, m, J_BOOL);
		} else if (!strcmp(m->key, "reasons")) {
			/* Informative (routes decide); checked, not applied. */
			err = want_type(c, m, J_ARR);
			for (p = m->child; !err && p; p = p->next) {
				err = want_type(c, p, J_STR);
				if (!err && migoff_reason_parse(p->str) < 0)
					err = bad(c, EINVAL, p->line, "unknown reason");
			}
		} else if (!strcmp(m->key, "params")) {
			err = want_type(c, m, J_OBJ);
			for (p = m->child; !err && p; p = p->next) {
				struct cfg_param *cp = &cm->params[cm->nr_params];

				old2 = path_push(c, p->key);
				if (cm->nr_params == MIGOFF_MAX_PARAMS)
					return bad(c, EINVAL, p->line, "more than %d parameters",
						   MIGOFF_MAX_PARAMS);
				err = name_ok(c, p->line, p->key, sizeof(cp->name), "parameter name");
				if (!err)
					err = parse_param(c, p, cp);
				if (err)
					return err;
				strcpy(cp->name, p->key);
				cp->line = p->line;
				cm->nr_params++;
				path_pop(c, old2);
			}
		} else {
			err = unknown_key(c, m->line, in_array ?
					  "name, id, kind, available, reasons or params" :
					  "id, kind, available, reasons or params");
		}
		if (!err)
			path_pop(c, old);
	}
	if (!err && in_array && !cm->name[0])
		err = bad(c, EINVAL, o->line, "a migrator needs \"name\"");
	return err;
}

/* Append "[i]" to the path. */
static size_t path_index(struct pctx *c, int i)
{
	size_t old = c->len;

	snprintf(c->path + c->len, sizeof(c->path) - c->len, "[%d]", i);
	c->len = strlen(c->path);
	return old;
}

/*
 * An array of migrators (what status -j prints), or an object keyed by
 * their names (files of older versions).
 */
static int parse_migrators(struct pctx *c, const struct jnode *o, struct config *cfg)
{
	const struct jnode *m;
	unsigned int i;
	size_t old;
	int n = 0, err = 0;

	if (o->type != J_ARR && o->type != J_OBJ)
		return bad(c, EINVAL, o->line, "expected an array, got %s", json_type_name(o->type));
	for (m = o->child; !err && m; m = m->next, n++) {
		struct cfg_migrator *cm = &cfg->migrators[cfg->nr_migrators];

		old = o->type == J_ARR ? path_index(c, n) : path_push(c, m->key);
		if (cfg->nr_migrators == CFG_MAX_MIGRATORS)
			return bad(c, EINVAL, m->line, "more than %d migrators", CFG_MAX_MIGRATORS);
		cm->in_array = o->type == J_ARR;
		cm->index = n;
		if (o->type == J_OBJ) {
			err = name_ok(c, m->line, m->key, sizeof(cm->name), "migrator name");
			if (!err)
				strcpy(cm->name, m->key);
		}
		if (!err)
			err = parse_migrator(c, m, cm);
		for (i = 0; !err && i < cfg->nr_migrators; i++)
			if (!strcmp(cfg->migrators[i].name, cm->name))
				err = bad(c, EINVAL, m->line, "the same migrator as line %d",
					  cfg->migrators[i].line);
		if (err)
			return err;
		cm->line = m->line;
		cfg->nr_migrators++;
		path_pop(c, old);
	}
	return err;
}

/* A quota's absolute path without trailing slashes: "a/b/" -> "/sys/fs/cgroup/a/b". */
static const char *cgroup_key(const struct cfg_quota *q, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", q->path);
	for (n = strlen(buf); n > 1 && buf[n - 1] == '/'; n--)
		buf[n - 1] = '\0';
	return buf;
}

static int parse_quota(struct pctx *c, const struct jnode *o, struct config *cfg,
		       struct cfg_quota *q)
{
	const struct jnode *m, *p;
	/* The key of each, as this version or an older one names it. */
	const char *path_key = NULL, *rate_key = NULL, *burst_key = NULL, **key;
	char a[sizeof(q->path)], b[sizeof(q->path)];
	unsigned int i;
	size_t old, old2;
	int j, r, err;

	err = want_type(c, o, J_OBJ);
	for (m = o->child; !err && m; m = m->next) {
		old = path_push(c, m->key);
		key = !strcmp(m->key, "path") || !strcmp(m->key, "cgroup") ? &path_key :
		      !strcmp(m->key, "rate_bytes_per_s") || !strcmp(m->key, "rate") ? &rate_key :
		      !strcmp(m->key, "burst_bytes") || !strcmp(m->key, "burst") ? &burst_key : NULL;
		if (key && *key)
			return bad(c, EINVAL, m->line, "the same as \"%s\": give one", *key);
		if (key)
			*key = m->key;
		if (key == &path_key) {
			err = want_type(c, m, J_STR);
			if (!err)
				err = name_ok(c, m->line, m->str, sizeof(q->cgroup), "cgroup path");
			if (!err && m->str[0] != '/' &&
			    (!strcmp(m->str, "..") || !strncmp(m->str, "../", 3) ||
			     strstr(m->str, "/../") ||
			     (strlen(m->str) >= 3 && !strcmp(m->str + strlen(m->str) - 3, "/..")))) {
				err = bad(c, EINVAL, m->line, "'%s' leaves %s", m->str,
					  CFG_CGROUP_ROOT);
			}
			if (err)
				return err;
			strcpy(q->cgroup, m->str);
			if (m->str[0] == '/')
				snprintf(q->path, sizeof(q->path), "%s", m->str);
			else
				snprintf(q->path, sizeof(q->path), "%s/%s", CFG_CGROUP_ROOT, m->str);
		} else if (key) {
			uint64_t *v = key == &rate_key ? &q->rate : &q->burst;

			err = integer(c, m, UINT64_MAX, v);
			if (!err && !*v)
				err = bad(c, EINVAL, m->line, "must be > 0 (no quota: leave the cgroup out)");
		} else if (!strcmp(m->key, "reasons")) {
			err = want_type(c, m, J_ARR);
			if (!err && !m->child)
				err = bad(c, EINVAL, m->line, "empty (every reason: leave \"reasons\" out)");
			for (p = m->child, j = 0; !err && p; p = p->next, j++) {
				old2 = path_index(c, j);
				err = want_type(c, p, J_STR);
				if (err)
					return err;
				r = migoff_reason_parse(p->str);
				if (r < 0)
					return bad(c, EINVAL, p->line,
						   "unknown reason '%s' (see 'migoffloadctl --help')", p->str);
				q->reasons |= MIGOFF_REASON_BIT(r);
				path_pop(c, old2);
			}
		} else {
			err = unknown_key(c, m->line, "path, rate_bytes_per_s, burst_bytes or reasons");
		}
		if (!err)
			path_pop(c, old);
	}
	if (err)
		return err;
	if (!path_key || !rate_key || !burst_key)
		return bad(c, EINVAL, o->line, "a quota needs \"%s\"",
			   !path_key ? "path" : !rate_key ? "rate_bytes_per_s" : "burst_bytes");
	if (q->reasons == MIGOFF_REASONS_ALL)
		q->reasons = 0;
	q->line = o->line;
	for (i = 0; i < cfg->nr_quotas; i++)
		if (!strcmp(cgroup_key(&cfg->quotas[i], a, sizeof(a)), cgroup_key(q, b, sizeof(b))))
			return bad(c, EINVAL, o->line, "the same cgroup as line %d",
				   cfg->quotas[i].line);
	return 0;
}

static int parse_quotas(struct pctx *c, const struct jnode *a, struct config *cfg)
{
	const struct jnode *p;
	size_t old;
	int i = 0, err;

	err = want_type(c, a, J_ARR);
	for (p = a->child; !err && p; p = p->next, i++) {
		old = path_index(c, i);
		if (cfg->nr_quotas == CFG_MAX_QUOTAS)
			return bad(c, EINVAL, p->line, "more than %d quotas", CFG_MAX_QUOTAS);
		err = parse_quota(c, p, cfg, &cfg->quotas[cfg->nr_quotas]);
		if (err)
			return err;
		cfg->nr_quotas++;
		path_pop(c, old);
	}
	return err;
}

int config_parse(const char *text, size_t len, struct config *cfg, char *msg, size_t msglen)
{
	return config_parse_flags(text, len, 0, cfg, msg, msglen);
}

int config_parse_flags(const char *text, size_t len, unsigned int flags,
		       struct config *cfg, char *msg, size_t msglen)
{
	struct pctx c = { .path = "$", .len = 1, .msg = msg, .msglen = msglen, .cfg = cfg,
			  .flags = flags };
	struct json_err jerr;
	struct jnode *root, *m;
	uint64_t v;
	size_t old;
	int err = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (len > CFG_MAX_SIZE) {
		snprintf(msg, msglen, "1: $: larger than %d bytes", CFG_MAX_SIZE);
		return -EFBIG;
	}
	root = json_parse(text, len, &jerr);
	if (!root) {
		snprintf(msg, msglen, "%d: column %d: %s", jerr.line, jerr.col, jerr.msg);
		return -EINVAL;
	}
	err = want_type(&c, root, J_OBJ);
	for (m = root->child; !err && m; m = m->next) {
		old = path_push(&c, m->key);
		if (!strcmp(m->key, "api_version")) {
			err = integer(&c, m, UINT32_MAX, &v);
			if (!err && (v < 1 || v > MIGOFF_API_VERSION))
				err = bad(&c, EINVAL, m->line,
					  "API version %llu: this tool knows 1..%d",
					  (unsigned long long)v, MIGOFF_API_VERSION);
		} else if (!strcmp(m->key, "routes")) {
			err = parse_routes(&c, m, cfg);
		} else if (!strcmp(m->key, "auto_reasons")) {
			err = parse_auto(&c, m, cfg);
		} else if (!strcmp(m->key, "batch")) {
			err = parse_batch(&c, m, cfg);
		} else if (!strcmp(m->key, "migrators")) {
			err = parse_migrators(&c, m, cfg);
		} else if (!strcmp(m->key, "quotas")) {
			err = parse_quotas(&c, m, cfg);
		} else {
			err = unknown_key(&c, m->line,
					  "api_version, routes, auto_reasons, batch, migrators or quotas");
		}
		if (!err)
			path_pop(&c, old);
	}
	if (!err)
		err = check_auto(&c, cfg);
	json_free(root);
	if (err)
		memset(cfg, 0, sizeof(*cfg));
	return err;
}

static const struct migoff_migrator *sys_migrator(const struct cfg_system *sys,
						  const char *name)
{
	unsigned int i;

	for (i = 0; i < sys->nr_migrators; i++)
		if (!strcmp(sys->migrators[i].name, name))
			return &sys->migrators[i];
	return NULL;
}

static const char *sys_route(const struct cfg_system *sys, unsigned int r)
{
	unsigned int i;

	for (i = 0; i < sys->nr_migrators; i++)
		if (sys->migrators[i].id == sys->route_ids[r])
			return sys->migrators[i].name;
	return "";
}

/* The path of a migrator as the file has it: $.migrators[1] or $.migrators.mtcopy. */
static void migrator_at(struct pctx *c, const struct cfg_migrator *cm)
{
	if (cm->in_array) {
		snprintf(c->path, sizeof(c->path), "$.migrators[%d]", cm->index);
		c->len = strlen(c->path);
	} else {
		snprintf(c->path, sizeof(c->path), "$.migrators");
		c->len = strlen(c->path);
		path_push(c, cm->name);
	}
}

int config_resolve(const struct config *cfg, const struct cfg_system *sys,
		   char *msg, size_t msglen)
{
	struct pctx c = { .msg = msg, .msglen = msglen };
	const struct migoff_migrator *m;
	unsigned int r, i, j, k;

#define AT(...) (snprintf(c.path, sizeof(c.path), __VA_ARGS__), c.len = strlen(c.path))
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		if (!(cfg->routes_named & MIGOFF_REASON_BIT(r)))
			continue;
		AT("$.routes");
		path_push(&c, migoff_reason_name(r));
		if (!(sys->reasons_supported & MIGOFF_REASON_BIT(r)))
			return bad(&c, EOPNOTSUPP, cfg->route_line[r],
				   "this kernel cannot offload this reason");
		if (!cfg->route[r][0])
			continue;
		m = sys_migrator(sys, cfg->route[r]);
		if (!m)
			return bad(&c, ENOENT, cfg->route_line[r],
				   "no migrator '%s' (see 'migoffloadctl migrator list')",
				   cfg->route[r]);
		if (!(m->state & MIGOFF_MIGRATOR_AVAILABLE))
			return bad(&c, ENODEV, cfg->route_line[r],
				   "migrator '%s' is not available now", cfg->route[r]);
	}
	AT("$.auto_reasons");
	if (cfg->auto_reasons && !(sys->features & MIGOFF_FEAT_AUTO)) {
		for (r = 0; !(cfg->auto_reasons & MIGOFF_REASON_BIT(r)); r++)
			;
		return bad(&c, EOPNOTSUPP, cfg->auto_line[r],
			   "this kernel cannot route automatically (no MIGOFF_FEAT_AUTO)");
	}
	AT("$.batch.latency_us");
	if ((cfg->batch_flags & MIGOFF_BATCH_SET_LATENCY) && cfg->latency_us &&
	    !(sys->features & MIGOFF_FEAT_LATENCY))
		return bad(&c, EOPNOTSUPP, cfg->latency_line,
			   "this kernel has no latency target (no MIGOFF_FEAT_LATENCY)");
	AT("$.batch.max_pages");
	if ((cfg->batch_flags & MIGOFF_BATCH_SET_MAX_PAGES) &&
	    cfg->max_pages > sys->max_batch_pages_limit)
		return bad(&c, ERANGE, cfg->max_pages_line, "%u is out of range (0..%u)",
			   cfg->max_pages, sys->max_batch_pages_limit);
	AT("$.batch.min_folios");
	if ((cfg->batch_flags & MIGOFF_BATCH_SET_MIN_FOLIOS) &&
	    cfg->min_folios > sys->max_batch_pages_limit)
		return bad(&c, ERANGE, cfg->min_folios_line, "%u is out of range (0..%u)",
			   cfg->min_folios, sys->max_batch_pages_limit);
	for (i = 0; i < cfg->nr_migrators; i++) {
		const struct cfg_migrator *cm = &cfg->migrators[i];

		migrator_at(&c, cm);
		m = sys_migrator(sys, cm->name);
		if (!m)
			return bad(&c, ENOENT, cm->line,
				   "no such migrator (see 'migoffloadctl migrator list')");
		for (j = 0; j < cm->nr_params; j++) {
			const struct cfg_param *cp = &cm->params[j];

			migrator_at(&c, cm);
			path_push(&c, "params");
			path_push(&c, cp->name);
			if (cp->boxed)
				path_push(&c, "value");
			for (k = 0; k < m->nr_params && k < MIGOFF_MAX_PARAMS; k++)
				if (!strncmp(m->params[k].name, cp->name, sizeof(cp->name)))
					break;
			if (k == m->nr_params || k == MIGOFF_MAX_PARAMS)
				return bad(&c, ENOENT, cp->line, "%s has no parameter '%s'",
					   cm->name, cp->name);
			if (cp->value < m->params[k].min || cp->value > m->params[k].max)
				return bad(&c, ERANGE, cp->line,
					   "%llu is out of range (%llu..%llu)",
					   (unsigned long long)cp->value,
					   (unsigned long long)m->params[k].min,
					   (unsigned long long)m->params[k].max);
		}
	}
	if (cfg->nr_quotas && !(sys->features & MIGOFF_FEAT_QUOTAS)) {
		AT("$.quotas");
		return bad(&c, EOPNOTSUPP, cfg->quotas[0].line,
			   "this kernel has no quotas (no MIGOFF_FEAT_QUOTAS)");
	}
	for (i = 0; i < cfg->nr_quotas; i++) {
		const struct cfg_quota *q = &cfg->quotas[i];
		uint64_t unsupported = q->reasons & ~sys->reasons_supported;

		AT("$.quotas[%u].reasons", i);
		if (unsupported) {
			for (r = 0; !(unsupported & MIGOFF_REASON_BIT(r)); r++)
				;
			return bad(&c, EOPNOTSUPP, q->line, "this kernel cannot offload %s",
				   migoff_reason_name(r));
		}
	}
#undef AT
	return 0;
}

const char *config_missing(const struct config *cfg, const struct cfg_system *sys,
			   const char **why)
{
	const struct migoff_migrator *m;
	unsigned int r, i;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		if (!(cfg->routes_named & MIGOFF_REASON_BIT(r)) || !cfg->route[r][0])
			continue;
		m = sys_migrator(sys, cfg->route[r]);
		if (!m || !(m->state & MIGOFF_MIGRATOR_AVAILABLE)) {
			*why = m ? "available" : "registered";
			return cfg->route[r];
		}
	}
	for (i = 0; i < cfg->nr_migrators; i++) {
		if (!sys_migrator(sys, cfg->migrators[i].name)) {
			*why = "registered";
			return cfg->migrators[i].name;
		}
	}
	return NULL;
}

/* The parent directory of @path in @buf ("/" stays "/"). */
static void parent_dir(char *buf, size_t len, const char *path)
{
	char *slash;

	snprintf(buf, len, "%s", path);
	slash = strrchr(buf, '/');
	if (slash && slash != buf)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
}

int config_probe_quotas(struct config *cfg, const struct cfg_ops *ops, void *arg,
			bool create, char *msg, size_t msglen)
{
	char dir[sizeof(cfg->quotas[0].path)], up[sizeof(dir)];
	unsigned int i;
	int err;

	for (i = 0; i < cfg->nr_quotas; i++) {
		struct cfg_quota *q = &cfg->quotas[i];
		size_t n;

		/* No trailing slash: each component is one mkdir. */
		for (n = strlen(q->path); n > 1 && q->path[n - 1] == '/'; n--)
			q->path[n - 1] = '\0';
		q->missing = 0;
		q->had_quota = false;
		snprintf(dir, sizeof(dir), "%s", q->path);
		while ((err = ops->cgroup_state(arg, dir)) == -ENOENT && strcmp(dir, "/")) {
			q->missing++;
			parent_dir(up, sizeof(up), dir);
			snprintf(dir, sizeof(dir), "%s", up);
		}
		if (q->missing && !create) {
			snprintf(msg, msglen, "%d: $.quotas[%u].cgroup: no cgroup %s: create it, or load with --create-cgroups",
				 q->line, i, q->path);
			return -ENOENT;
		}
		if (err == -ENOTDIR || err == -EMEDIUMTYPE) {
			snprintf(msg, msglen, "%d: $.quotas[%u].cgroup: %s%s is not a cgroup v2 directory",
				 q->line, i, dir, q->missing ? ", where it would be created," : "");
			return err;
		}
		if (err) {
			snprintf(msg, msglen, "%d: $.quotas[%u].cgroup: %s: %s", q->line, i, dir,
				 strerror(-err));
			return err;
		}
		if (q->missing)
			continue;
		err = ops->quota_get(arg, q->path, &q->old_rate, &q->old_burst, &q->old_reasons);
		if (err && err != -ENOENT) {
			snprintf(msg, msglen, "%d: $.quotas[%u]: reading the quota of %s",
				 q->line, i, q->path);
			return err;
		}
		q->had_quota = !err;
	}
	return 0;
}

/* The first @depth components of @q->path that config_apply() creates. */
static void created_dir(const struct cfg_quota *q, unsigned int depth, char *buf, size_t len)
{
	unsigned int up = q->missing - depth;

	snprintf(buf, len, "%s", q->path);
	while (up--) {
		char *slash = strrchr(buf, '/');

		if (slash)
			*slash = '\0';
	}
}

static bool quota_changes(const struct cfg_quota *q)
{
	return !q->had_quota || q->rate != q->old_rate || q->burst != q->old_burst ||
	       q->reasons != q->old_reasons;
}

/*
 * Quotas, after everything else: create what is missing, set what differs.
 * *@done: quotas dealt with; *@made: directories of quota *@done created.
 */
static int apply_quotas(const struct config *cfg, const struct cfg_ops *ops, void *arg,
			unsigned int *done, unsigned int *made, char *msg, size_t msglen)
{
	char dir[sizeof(cfg->quotas[0].path)];
	int err;

	for (*done = 0; *done < cfg->nr_quotas; ++*done) {
		const struct cfg_quota *q = &cfg->quotas[*done];

		for (*made = 0; *made < q->missing; ++*made) {
			created_dir(q, *made + 1, dir, sizeof(dir));
			err = ops->cgroup_mkdir(arg, dir);
			if (err) {
				snprintf(msg, msglen, "%d: $.quotas[%u].cgroup: creating %s",
					 q->line, *done, dir);
				return err;
			}
		}
		if (!quota_changes(q))
			continue;
		err = ops->quota_set(arg, q->path, q->rate, q->burst, q->reasons);
		if (err) {
			snprintf(msg, msglen, "%d: $.quotas[%u]: setting the quota of %s",
				 q->line, *done, q->path);
			return err;
		}
	}
	return 0;
}

/* Undo apply_quotas() up to quota @done (its @made directories): 0 or an error. */
static int undo_quotas(const struct config *cfg, const struct cfg_ops *ops, void *arg,
		       unsigned int done, unsigned int made)
{
	char dir[sizeof(cfg->quotas[0].path)];
	unsigned int i, d;
	int e = 0, x;

	for (i = done + 1; i-- > 0;) {
		const struct cfg_quota *q;

		if (i >= cfg->nr_quotas)
			continue;
		q = &cfg->quotas[i];
		d = i == done ? made : q->missing;
		/* Quota @done failed: it was not set; the others were, if they changed. */
		if (i < done && quota_changes(q)) {
			if (q->had_quota)
				x = ops->quota_set(arg, q->path, q->old_rate, q->old_burst,
						   q->old_reasons);
			else if (q->missing)
				x = 0;	/* removing the cgroup removes its quota */
			else
				x = ops->quota_clear(arg, q->path);
			e = e ? e : x;
		}
		while (d > 0) {
			created_dir(q, d--, dir, sizeof(dir));
			x = ops->cgroup_rmdir(arg, dir);
			e = e ? e : x;
		}
	}
	return e;
}

static uint64_t param_now(const struct cfg_system *sys, const char *migrator,
			  const char *param)
{
	const struct migoff_migrator *m = sys_migrator(sys, migrator);
	unsigned int k;

	for (k = 0; m && k < m->nr_params && k < MIGOFF_MAX_PARAMS; k++)
		if (!strncmp(m->params[k].name, param, MIGOFF_PARAM_NAME_LEN))
			return m->params[k].value;
	return 0;
}

static uint32_t route_flags(uint64_t auto_reasons, unsigned int r)
{
	return auto_reasons & MIGOFF_REASON_BIT(r) ? MIGOFF_ROUTE_AUTO : 0;
}

/* Route @mask as @sys had it, automatic or not. 0 or the first error. */
static int restore_routes(const struct cfg_system *sys, const struct cfg_ops *ops,
			  void *arg, uint64_t mask)
{
	uint64_t none = 0, same;
	unsigned int r, q;
	uint32_t flags;
	int err = 0, e;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		const char *name = sys_route(sys, r);

		if (!(mask & MIGOFF_REASON_BIT(r)))
			continue;
		if (!*name) {
			none |= MIGOFF_REASON_BIT(r);
			continue;
		}
		same = 0;
		flags = route_flags(sys->auto_reasons, r);
		for (q = r; q < MIGOFF_REASON_COUNT; q++)
			if ((mask & MIGOFF_REASON_BIT(q)) && !strcmp(sys_route(sys, q), name) &&
			    route_flags(sys->auto_reasons, q) == flags)
				same |= MIGOFF_REASON_BIT(q);
		e = ops->enable(arg, same, name, flags);
		err = err ? err : e;
		mask &= ~same;
	}
	if (none) {
		e = ops->disable(arg, none);
		err = err ? err : e;
	}
	return err;
}

/* Does the file's route of @r (migrator, automatic or not) differ from @sys? */
static bool route_changes(const struct config *cfg, const struct cfg_system *sys,
			  unsigned int r)
{
	return strcmp(cfg->route[r], sys_route(sys, r)) ||
	       route_flags(cfg->auto_reasons, r) != route_flags(sys->auto_reasons, r);
}

int config_apply(const struct config *cfg, const struct cfg_system *sys,
		 const struct cfg_ops *ops, void *arg, bool *restored,
		 char *msg, size_t msglen)
{
	uint64_t routed = 0, off = 0, mask;
	unsigned int i, j, r, q, done_params = 0, quotas_done = 0, quotas_made = 0;
	bool quotas_tried = false;
	uint32_t batch_flags = cfg->batch_flags, flags;
	bool batch_done = false;
	int err = 0, e;

	*restored = true;
	msg[0] = '\0';
	/* A kernel without a latency target has none: latency_us 0 is no change. */
	if (!(sys->features & MIGOFF_FEAT_LATENCY))
		batch_flags &= ~MIGOFF_BATCH_SET_LATENCY;
	if (batch_flags) {
		err = ops->set_batch(arg, batch_flags, cfg->max_pages, cfg->min_folios,
				     cfg->latency_us);
		if (err) {
			snprintf(msg, msglen, "%d: $.batch: setting the batch caps",
				 batch_flags & MIGOFF_BATCH_SET_MAX_PAGES ? cfg->max_pages_line :
				 batch_flags & MIGOFF_BATCH_SET_MIN_FOLIOS ? cfg->min_folios_line :
				 cfg->latency_line);
			return err;
		}
		batch_done = true;
	}
	for (i = 0; i < cfg->nr_migrators; i++) {
		const struct cfg_migrator *cm = &cfg->migrators[i];

		for (j = 0; j < cm->nr_params; j++, done_params++) {
			const struct cfg_param *cp = &cm->params[j];

			if (cp->value == param_now(sys, cm->name, cp->name))
				continue;
			err = ops->set_param(arg, cm->name, cp->name, cp->value);
			if (err) {
				snprintf(msg, msglen, "%d: $.migrators.%s.params.%s: setting %s of '%s' to %llu",
					 cp->line, cm->name, cp->name, cp->name, cm->name,
					 (unsigned long long)cp->value);
				goto undo;
			}
		}
	}
	/* Routes: only the reasons named, and only those that change. */
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if ((cfg->routes_named & MIGOFF_REASON_BIT(r)) && !cfg->route[r][0] &&
		    *sys_route(sys, r))
			off |= MIGOFF_REASON_BIT(r);
	if (off) {
		err = ops->disable(arg, off);
		if (err) {
			for (r = 0; !(off & MIGOFF_REASON_BIT(r)); r++)
				;
			snprintf(msg, msglen, "%d: $.routes.%s: stopping the offload",
				 cfg->route_line[r], migoff_reason_name(r));
			goto undo;
		}
		routed |= off;
	}
	/* A route changes with its migrator or with its automatic flag. */
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		if (!(cfg->routes_named & MIGOFF_REASON_BIT(r)) || !cfg->route[r][0] ||
		    (routed & MIGOFF_REASON_BIT(r)) || !route_changes(cfg, sys, r))
			continue;
		flags = route_flags(cfg->auto_reasons, r);
		mask = 0;
		for (q = r; q < MIGOFF_REASON_COUNT; q++)
			if ((cfg->routes_named & MIGOFF_REASON_BIT(q)) &&
			    !strcmp(cfg->route[q], cfg->route[r]) &&
			    route_flags(cfg->auto_reasons, q) == flags && route_changes(cfg, sys, q))
				mask |= MIGOFF_REASON_BIT(q);
		err = ops->enable(arg, mask, cfg->route[r], flags);
		if (err) {
			snprintf(msg, msglen, "%d: $.routes.%s: routing to '%s'%s",
				 cfg->route_line[r], migoff_reason_name(r), cfg->route[r],
				 flags ? " automatically" : "");
			goto undo;
		}
		routed |= mask;
	}
	if (cfg->nr_quotas) {
		quotas_tried = true;
		err = apply_quotas(cfg, ops, arg, &quotas_done, &quotas_made, msg, msglen);
		if (err)
			goto undo;
	}
	return 0;

undo:
	/* Put back what was changed, in reverse order; report the first failure. */
	e = quotas_tried ? undo_quotas(cfg, ops, arg, quotas_done, quotas_made) : 0;
	if (routed) {
		int x = restore_routes(sys, ops, arg, routed);

		e = e ? e : x;
	}
	for (i = cfg->nr_migrators; i-- > 0;) {
		const struct cfg_migrator *cm = &cfg->migrators[i];

		for (j = cm->nr_params; j-- > 0;) {
			const struct cfg_param *cp = &cm->params[j];
			uint64_t was = param_now(sys, cm->name, cp->name);
			unsigned int idx = 0, k;

			for (k = 0; k < i; k++)
				idx += cfg->migrators[k].nr_params;
			if (idx + j >= done_params || cp->value == was)
				continue;
			if (ops->set_param(arg, cm->name, cp->name, was) && !e)
				e = -EIO;
		}
	}
	if (batch_done) {
		int b = ops->set_batch(arg, batch_flags, sys->max_pages, sys->min_folios,
				       sys->latency_us);

		e = e ? e : b;
	}
	*restored = !e;
	return err;
}

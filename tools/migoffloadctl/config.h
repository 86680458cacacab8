/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config load: parse, validate and resolve a configuration file (the JSON
 * that 'status -j' and 'config save' print) completely before anything is
 * changed, then apply only what it names, restoring the previous values if
 * a change fails. Parsing and resolution are pure functions (host-tested);
 * the changes, and what the quotas' cgroups are on the system, go through
 * struct cfg_ops.
 */
#ifndef MIGOFFLOADCTL_CONFIG_H
#define MIGOFFLOADCTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migoffload.h"

#define CFG_MAX_MIGRATORS	32
#define CFG_MAX_SIZE		(1 << 20)	/* bytes of a configuration file */
#define CFG_MAX_QUOTAS		MIGOFF_MAX_QUOTAS
#define CFG_CGROUP_LEN		512		/* bytes of a quota's cgroup path */
#ifndef CFG_CGROUP_ROOT		/* the host tests' fake device has its own */
#define CFG_CGROUP_ROOT		"/sys/fs/cgroup"
#endif

/* config_parse_flags() */
#define CFG_FORCE		(1U << 0)	/* an unknown key is a warning */

/* A parameter: "threads": 8, or as status -j prints it {"value": 8, ...}. */
struct cfg_param {
	char name[MIGOFF_PARAM_NAME_LEN];
	uint64_t value;
	int line;
	bool boxed;			/* {"value": ...}: its path ends in .value */
};

/*
 * "migrators": an array of the objects status -j prints ({"name": ...,
 * "params": {...}}), or, as files of older versions have it, an object
 * keyed by the names.
 */
struct cfg_migrator {
	char name[MIGOFF_NAME_LEN];
	int line;
	bool in_array;			/* false: keyed by name */
	int index;			/* in the array */
	unsigned int nr_params;
	struct cfg_param params[MIGOFF_MAX_PARAMS];
};

/*
 * "quotas": [{"path": "work.slice", "rate_bytes_per_s": N, "burst_bytes": N,
 * "reasons": [...]}]: a cgroup v2 directory, absolute or relative to
 * /sys/fs/cgroup, as 'quota set' takes it; no "reasons": all of them.
 * Files of older versions name them "cgroup", "rate" and "burst".
 */
struct cfg_quota {
	char cgroup[CFG_CGROUP_LEN];	/* as the file names it */
	char path[CFG_CGROUP_LEN + sizeof(CFG_CGROUP_ROOT)];	/* absolute */
	uint64_t rate, burst;
	uint64_t reasons;		/* MIGOFF_REASON_BIT()s; 0: every reason */
	int line;
	/* config_probe_quotas(): the system before */
	unsigned int missing;		/* trailing path components to create */
	bool had_quota;
	uint64_t old_rate, old_burst, old_reasons;
};

/*
 * What a file asks for; anything it does not name stays as it is. A reason
 * the file routes to a migrator is routed with MIGOFF_ROUTE_AUTO if and
 * only if "auto_reasons" lists it (no list: none is).
 */
struct config {
	uint32_t batch_flags;		/* MIGOFF_BATCH_SET_* of the caps named */
	uint32_t max_pages, min_folios, latency_us;
	int max_pages_line, min_folios_line, latency_line;
	unsigned int nr_migrators;
	struct cfg_migrator migrators[CFG_MAX_MIGRATORS];
	uint64_t routes_named;		/* MIGOFF_REASON_BIT()s the file names */
	char route[MIGOFF_REASON_COUNT][MIGOFF_NAME_LEN];	/* "": not offloaded */
	int route_line[MIGOFF_REASON_COUNT];
	uint64_t auto_reasons;		/* "auto_reasons": MIGOFF_REASON_BIT()s */
	int auto_line[MIGOFF_REASON_COUNT];
	unsigned int nr_quotas;
	struct cfg_quota quotas[CFG_MAX_QUOTAS];
	/* With CFG_FORCE: the unknown keys ignored, one "LINE: $.path: ..." a line. */
	unsigned int nr_warnings;
	char warnings[2048];
};

/* The running system: what a file is resolved against, and what it restores. */
struct cfg_system {
	uint64_t reasons_supported;
	uint64_t features;		/* MIGOFF_FEAT_* */
	uint32_t max_batch_pages_limit;
	uint32_t max_pages, min_folios, latency_us;
	uint32_t route_ids[MIGOFF_REASON_COUNT];	/* MIGOFF_NO_MIGRATOR: none */
	uint64_t auto_reasons;		/* routed with MIGOFF_ROUTE_AUTO */
	unsigned int nr_migrators;
	struct migoff_migrator migrators[CFG_MAX_MIGRATORS];
};

/* The changes, as libmigoffload makes them (0 or -errno). */
struct cfg_ops {
	/* flags: MIGOFF_BATCH_SET_*, all in one call */
	int (*set_batch)(void *arg, uint32_t flags, uint32_t max_pages, uint32_t min_folios,
			 uint32_t latency_us);
	int (*set_param)(void *arg, const char *migrator, const char *param, uint64_t value);
	/* flags: 0 or MIGOFF_ROUTE_AUTO */
	int (*enable)(void *arg, uint64_t reasons, const char *migrator, uint32_t flags);
	int (*disable)(void *arg, uint64_t reasons);
	/*
	 * Quotas: @cgroup is the absolute path of a cgroup v2 directory.
	 * quota_get: 0, or -ENOENT when the cgroup has none. cgroup_state: 0
	 * when it is a cgroup v2 directory, -ENOENT when it does not exist,
	 * -ENOTDIR or -EMEDIUMTYPE when it is not a directory or not on a
	 * cgroup2 file system, another -errno otherwise.
	 * cgroup_mkdir/cgroup_rmdir: one directory.
	 */
	int (*quota_get)(void *arg, const char *cgroup, uint64_t *rate, uint64_t *burst,
			 uint64_t *reasons);
	int (*quota_set)(void *arg, const char *cgroup, uint64_t rate, uint64_t burst,
			 uint64_t reasons);
	int (*quota_clear)(void *arg, const char *cgroup);
	int (*cgroup_state)(void *arg, const char *cgroup);
	int (*cgroup_mkdir)(void *arg, const char *cgroup);
	int (*cgroup_rmdir)(void *arg, const char *cgroup);
};

/*
 * Each returns 0, or -errno with a message in @msg: "LINE: $.json.path: what"
 * (-EINVAL: the file is wrong; other errors: the change that failed).
 */
int config_parse(const char *text, size_t len, struct config *cfg,
		 char *msg, size_t msglen);
/* @flags: CFG_FORCE. */
int config_parse_flags(const char *text, size_t len, unsigned int flags,
		       struct config *cfg, char *msg, size_t msglen);
int config_resolve(const struct config *cfg, const struct cfg_system *sys,
		   char *msg, size_t msglen);
/*
 * The first migrator @cfg needs that @sys does not have yet: one a route
 * names that is not registered or not available, or one whose parameters
 * it sets that is not registered. NULL if none; *@why then says which
 * ("registered" or "available").
 */
const char *config_missing(const struct config *cfg, const struct cfg_system *sys,
			   const char **why);
/*
 * Find out what the quotas' cgroups are now (ops->cgroup_state,
 * ops->quota_get): a cgroup that does not exist is an error naming it and
 * its line unless @create (then its missing directories are created by
 * config_apply()); one that is not a cgroup v2 directory is one always.
 */
int config_probe_quotas(struct config *cfg, const struct cfg_ops *ops, void *arg,
			bool create, char *msg, size_t msglen);
/*
 * Apply @cfg (resolved against @sys, the state before, and probed). On
 * failure the changes already made are undone, the cgroups created
 * removed; *@restored says whether that worked.
 */
int config_apply(const struct config *cfg, const struct cfg_system *sys,
		 const struct cfg_ops *ops, void *arg, bool *restored,
		 char *msg, size_t msglen);

#endif

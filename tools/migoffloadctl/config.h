/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config load: parse, validate and resolve a configuration file (the JSON
 * that 'status -j' and 'config save' print) completely before anything is
 * changed, then apply only what it names, restoring the previous values if
 * a change fails. Parsing and resolution are pure functions (host-tested);
 * the changes go through struct cfg_ops.
 */
#ifndef MIGOFFLOADCTL_CONFIG_H
#define MIGOFFLOADCTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "migoffload.h"

#define CFG_MAX_MIGRATORS	32
#define CFG_MAX_SIZE		(1 << 20)	/* bytes of a configuration file */

struct cfg_param {
	char name[MIGOFF_PARAM_NAME_LEN];
	uint64_t value;
	int line;
};

struct cfg_migrator {
	char name[MIGOFF_NAME_LEN];
	int line;
	unsigned int nr_params;
	struct cfg_param params[MIGOFF_MAX_PARAMS];
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
};

/*
 * Each returns 0, or -errno with a message in @msg: "LINE: $.json.path: what"
 * (-EINVAL: the file is wrong; other errors: the change that failed).
 */
int config_parse(const char *text, size_t len, struct config *cfg,
		 char *msg, size_t msglen);
int config_resolve(const struct config *cfg, const struct cfg_system *sys,
		   char *msg, size_t msglen);
/*
 * Apply @cfg (resolved against @sys, the state before). On failure the
 * changes already made are undone; *@restored says whether that worked.
 */
int config_apply(const struct config *cfg, const struct cfg_system *sys,
		 const struct cfg_ops *ops, void *arg, bool *restored,
		 char *msg, size_t msglen);

#endif

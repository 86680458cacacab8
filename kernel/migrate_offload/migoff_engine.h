/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between migrate_offload.ko (the policy core behind
 * /dev/migrate_offload) and the migrators that register with it.
 */
#ifndef _MIGOFF_ENGINE_H
#define _MIGOFF_ENGINE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/migrate_mode.h>
#include <linux/types.h>
#include <linux/migrate_offload.h>

struct migoff_engine;
struct migoff_auto_est;

/**
 * struct migoff_copy_info - About one batch, for and from its migrator.
 * @reason: The kernel's migration reason of the batch.
 * @cpu_ns: Out: CPU time helper threads spent on the batch (time the
 *	migrating task spends itself is not counted here).
 * @wait_ns: Out: time the migrating task spent asleep in the copy,
 *	waiting for helpers or a device (0 if the migrator does not say:
 *	then all of the copy's wall time counts as the task's CPU time).
 */
struct migoff_copy_info {
	enum migrate_reason reason;
	u64 cpu_ns;
	u64 wait_ns;
};

/**
 * struct migoff_engine_param - A tunable of a migrator.
 * @name: Name used by MIGOFF_IOC_SET_PARAM.
 * @min: Smallest accepted value.
 * @max: Largest accepted value.
 * @value: Current value; read without locks, written by the core under its
 *	policy mutex after @set accepted it.
 * @set: Optional: apply @value; return 0 or a negative errno.
 */
struct migoff_engine_param {
	const char *name;
	u64 min;
	u64 max;
	u64 value;
	int (*set)(struct migoff_engine *e, u64 value);
};

/* One CPU's share of a set of counters (struct migoff_stat). */
struct migoff_stat_cpu {
	u64 batches;
	u64 folios;
	u64 bytes;
	u64 copy_ns;
	u64 fallback[MIGOFF_FALLBACK_COUNT];
};

/*
 * Counters, per reason and per migrator: per CPU, so that the copy path
 * bumps only its own CPU's cache line; readers sum them (migoff_stat_read()).
 */
struct migoff_stat {
	struct migoff_stat_cpu __percpu *cpu;
};

/**
 * struct migoff_engine - A migrator registered with migrate_offload.ko.
 * @name: Unique name, at most MIGOFF_NAME_LEN - 1 characters.
 * @kind: enum migoff_kind.
 * @owner: Module providing the callbacks; pinned while a reason is routed
 *	to this migrator, so it cannot vanish under a routing.
 * @copy: Copy the first @nr folios of @src to @dst (lists linked through
 *	folio->lru, in matching order; @ci describes the batch) and
 *	folio_mark_content_copied() each destination whose data is in place.
 *	Unmarked folios fall back to the CPU copy. Must not change either
 *	list. Return 0, -ETIMEDOUT if a transfer timed out, -EBUSY if the
 *	engine had no room for the batch in time (every channel busy with
 *	other batches), or another negative errno. Process context, may
 *	sleep, but may be called from reclaim (kswapd, direct compaction):
 *	allocate only without reclaim and without emergency reserves
 *	(GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC), and on failure
 *	leave the folios unmarked.
 * @available: Optional: whether the migrator can copy now (e.g. has DMA
 *	channels). Routing to an unavailable migrator fails with -ENODEV.
 *	Called by unprivileged readers (GET_MIGRATOR): must not acquire or
 *	release anything.
 * @activate: Optional: called, under the core's policy mutex, before the
 *	first reason is routed to the migrator (acquire resources).
 * @deactivate: Optional: called after the last route to it is gone and no
 *	batch runs in it any more.
 * @nr_params: Number of entries in @params.
 * @params: Tunables.
 * @id: Assigned by the core.
 * @stat: Counters, maintained by the core (allocated at registration).
 * @node: Core's registry list.
 * @nr_routes: Reasons routed to the migrator (under the policy mutex).
 * @deactivate_pending: It lost its last route and waits for a grace
 *	period before its deactivation (under the policy mutex).
 * @deactivate_seq: Counts those requests (under the policy mutex).
 * @auto_est: The automatic choice's estimates of this migrator.
 */
struct migoff_engine {
	const char *name;
	enum migoff_kind kind;
	struct module *owner;
	int (*copy)(struct migoff_engine *e, struct list_head *dst,
		    struct list_head *src, unsigned int nr,
		    struct migoff_copy_info *ci);
	bool (*available)(struct migoff_engine *e);
	int (*activate)(struct migoff_engine *e);
	void (*deactivate)(struct migoff_engine *e);
	unsigned int nr_params;
	struct migoff_engine_param params[MIGOFF_MAX_PARAMS];

	/* private to migrate_offload.ko */
	u32 id;
	struct migoff_stat stat;
	struct list_head node;
	unsigned int nr_routes;
	bool deactivate_pending;
	u64 deactivate_seq;
	struct migoff_auto_est *auto_est;
};

int migoff_register_engine(struct migoff_engine *e);
void migoff_unregister_engine(struct migoff_engine *e);

#endif /* _MIGOFF_ENGINE_H */

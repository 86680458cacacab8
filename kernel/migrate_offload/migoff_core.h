/* SPDX-License-Identifier: GPL-2.0 */
/* Internals of migrate_offload.ko shared by its files. */
#ifndef _MIGOFF_CORE_H
#define _MIGOFF_CORE_H

#include <linux/migrate_copy_offload.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include "migoff_engine.h"

/*
 * Largest batch cap in base pages. The mm core bounds what one batch locks
 * in bytes, whatever the page size: 2^18 pages of 4 KiB.
 */
#define MIGOFF_MAX_BATCH_PAGES	(MIGRATE_OFFLOAD_MAX_BATCH_BYTES >> PAGE_SHIFT)

extern struct mutex migoff_policy_mutex;
extern struct migoff_engine migoff_cpu_engine;

/* Called with migoff_policy_mutex held. */
struct migoff_engine *migoff_find_engine(const char *name);
struct migoff_engine *migoff_engine_by_index(unsigned int index);
struct migoff_engine *migoff_engine_by_id(u32 id);
unsigned int migoff_nr_engines(void);
u64 migoff_engine_reasons(struct migoff_engine *e);
int migoff_route(u64 reasons, struct migoff_engine *e, bool auto_on,
		 bool cpu_time);
u32 migoff_route_id(unsigned int reason);
struct migoff_engine *migoff_route_engine(unsigned int reason);
int migoff_set_batch(u32 flags, u32 max_pages, u32 min_folios, u32 latency_us);
void migoff_batch_sync(void);
u32 migoff_policy_gen(void);

/* Lockless. */
void migoff_get_batch(struct migoff_batch *a);
void migoff_reason_counters(unsigned int reason, struct migoff_counters *c);
void migoff_stat_read(struct migoff_stat *s, struct migoff_counters *c);
void migoff_reset_stats(void);

int migoff_core_init(void);
void migoff_core_exit(void);

/*
 * What the core reports (migoff_event_emit()): a configuration change,
 * after it is made, or a burst of fallbacks. Only the fields of @type are
 * set.
 */
struct migoff_event {
	u32 type;			/* enum migoff_event_type */
	u64 reasons;			/* ENABLE, DISABLE, FALLBACK, QUOTA */
	const char *migrator;		/* ENABLE, PARAM */
	const char *param;		/* PARAM */
	u64 value;			/* ENABLE: auto; PARAM: value; BATCH: latency_us */
	u64 folios;			/* FALLBACK */
	u32 max_pages, min_folios;	/* BATCH */
	u64 cgroup_id, rate, burst;	/* QUOTA */
};

int migoff_event_register(struct notifier_block *nb);
void migoff_event_unregister(struct notifier_block *nb);
void migoff_event_emit(const struct migoff_event *ev);

extern const char * const migoff_reason_names[MIGOFF_REASON_COUNT];

/**
 * struct migoff_bucket - A token bucket of bytes (the arithmetic of a quota).
 * @rate: Refill rate, bytes per second. Any value; 0 never refills.
 * @burst: Capacity, bytes. Any value.
 * @tokens: Bytes that may be taken now, at most @burst.
 * @last_ns: Time up to which refills were credited.
 *
 * See migoff_bucket_refill() for the arithmetic and its limits.
 */
struct migoff_bucket {
	u64 rate;
	u64 burst;
	u64 tokens;
	u64 last_ns;
};

void migoff_bucket_init(struct migoff_bucket *b, u64 rate, u64 burst, u64 now);
void migoff_bucket_refill(struct migoff_bucket *b, u64 now);
bool migoff_bucket_take(struct migoff_bucket *b, u64 now, u64 bytes);

/* Take the pairs at the positions set in @out out of a batch, and back. */
unsigned int migoff_batch_take_out(struct list_head *dst_list,
				   struct list_head *src_list, unsigned int nr,
				   const unsigned long *out,
				   struct list_head *ex_dst,
				   struct list_head *ex_src);
void migoff_batch_put_back(struct list_head *dst_list,
			   struct list_head *src_list, unsigned int nr,
			   const unsigned long *out, struct list_head *ex_dst,
			   struct list_head *ex_src);

bool migoff_quotas_active(void);
unsigned int migoff_quota_filter(struct list_head *src_list, unsigned int nr,
				 unsigned int reason, unsigned long *out);
void migoff_quota_account(struct list_head *dst_list, struct list_head *src_list,
			  unsigned int nr, unsigned int reason, u64 bytes_copied,
			  u64 cpu_ns);
struct cgroup *migoff_quota_cgroup(const struct migoff_quota *a);
int migoff_quota_set(struct cgroup *cg, u64 rate, u64 burst, u64 reasons);
int migoff_quota_clear(u64 cgid);
int migoff_quota_get(bool by_index, unsigned int index, u64 cgid,
		     struct migoff_quota *a);
void migoff_quota_reset_stats(void);
u32 migoff_quota_gen(void);
void migoff_quota_exit(void);

/* The automatic choice between a migrator and the CPU (migoff_auto.c). */
enum migoff_auto_side {
	MIGOFF_AUTO_MIGRATOR = 0,
	MIGOFF_AUTO_CPU = 1,
};

int migoff_auto_alloc(struct migoff_engine *e);
void migoff_auto_free(struct migoff_engine *e);
unsigned int migoff_auto_class(u64 bytes, unsigned int nr);
bool migoff_auto_enabled(unsigned int reason);
u64 migoff_auto_reasons(void);
bool migoff_auto_cpu_time(unsigned int reason);
u64 migoff_auto_cpu_time_reasons(void);
void migoff_auto_set(u64 reasons, bool on, bool cpu_time);
void migoff_auto_reset(struct migoff_engine *e, unsigned int reason);
enum migoff_auto_side migoff_auto_choose(struct migoff_engine *e,
					 unsigned int reason, unsigned int class,
					 u64 bytes, u64 now);
void migoff_auto_record(struct migoff_engine *e, unsigned int reason,
			unsigned int class, enum migoff_auto_side side, u64 ns,
			u64 bytes, u64 tried, u64 now);
void migoff_auto_get(struct migoff_engine *e, unsigned int reason,
		     struct migoff_auto *a);

/* The first-folio latency target (migoff_latency.c). */
u32 migoff_latency_cap(u32 max_pages);
u32 migoff_latency_effective(u32 max_pages);
u32 migoff_latency_get(void);
int migoff_latency_set(u32 us);
void migoff_latency_set_routed(unsigned long mr_mask);
void migoff_latency_init(void (*resync)(void));
void migoff_latency_sample(enum migrate_reason mr, unsigned int nr_folios,
			   unsigned int nr_pages, u64 latency_ns);
void migoff_latency_exit(void);

/* The front ends (layer 2), for migoff_main.c. */
int migoff_chardev_init(void);
void migoff_chardev_exit(void);
int migoff_nl_init(void);
void migoff_nl_exit(void);

#endif /* _MIGOFF_CORE_H */

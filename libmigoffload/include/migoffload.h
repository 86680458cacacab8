/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmigoffload: user-space access to the page migration copy-offload
 * engine (/dev/migrate_offload and its generic netlink family).
 *
 * Every int-returning call returns 0 (or a count) on success and a negative
 * errno on failure, and also sets errno; pointer-returning calls return NULL
 * and set errno. Nothing prints or exits. A context may be used from several
 * threads; its netlink requests are serialised internally, and callbacks
 * run with no lock held (they may call the library). Events are read by
 * one thread at a time. A call that needs a feature the kernel does not
 * report in migoff_info.features (MIGOFF_FEAT_AUTO, MIGOFF_FEAT_LATENCY)
 * fails with -EOPNOTSUPP before it reaches the kernel.
 */
#ifndef MIGOFFLOAD_H
#define MIGOFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/migrate_offload.h>

#ifdef __cplusplus
extern "C" {
#endif

struct migoff_ctx;

/*
 * Growing structs. Every struct this library fills starts with uint32_t
 * size. For a struct you pass in (struct migoff_event and the uapi structs
 * of linux/migrate_offload.h), set size to sizeof() the struct as your
 * header declares it: the library fills at most that many bytes, zeroes
 * what it does not know, and sets size to the bytes it filled. For a
 * struct the library hands you (struct migoff_stats_entry), size is the
 * bytes that are valid: read a field only if it ends within size.
 * Fields are only ever added at the end or carved out of reserved space.
 */

/* An event of the "events" multicast group. */
struct migoff_event {
	uint32_t size;			/* in: sizeof(*ev); out: bytes filled */
	uint32_t type;			/* enum migoff_event_type */
	uint64_t reasons;		/* MIGOFF_REASON_BIT()s */
	char name[MIGOFF_NAME_LEN];	/* migrator */
	char param[MIGOFF_PARAM_NAME_LEN];
	uint64_t value;			/* PARAM: the value; ENABLE: 1 with MIGOFF_ROUTE_AUTO;
					 * BATCH: latency_us (0 from older kernels) */
	uint32_t max_pages;
	uint32_t min_folios;
	uint64_t folios;		/* fallbacks in a burst */
	uint64_t cgroup_id;		/* quota events */
	uint64_t rate;			/* quota events; 0: cleared */
	uint64_t burst;
	uint64_t reserved[8];		/* zero */
};

/*
 * One entry of the statistics dump. Scope MIGOFF_STATS_AUTO (only from
 * migoff_stats_dump_flags() with MIGOFF_DUMP_AUTO, since 2.1): one size
 * class of the automatic choice of reason @index (@name its name), in
 * @auto_class; a reason routed with MIGOFF_ROUTE_AUTO has one entry per
 * class, in the kernel's order (@auto_class.min_pages tells them apart).
 * @counters is zero in them.
 */
struct migoff_stats_entry {
	uint32_t size;			/* bytes valid in this entry */
	uint32_t scope;			/* MIGOFF_STATS_REASON, _MIGRATOR, _CGROUP, _AUTO */
	uint32_t index;			/* reason or migrator id */
	uint32_t reserved0;
	char name[MIGOFF_NAME_LEN];	/* reason or migrator name */
	struct migoff_counters counters;	/* reasons and migrators */
	/* MIGOFF_STATS_AUTO (2.1; was reserved, zero, in 2.0): */
	struct migoff_auto_class auto_class;
	/* Last, so that it may grow with the uapi struct: */
	struct migoff_quota quota;	/* MIGOFF_STATS_CGROUP: quota and its counters */
};

typedef int (*migoff_stats_cb)(const struct migoff_stats_entry *e, void *arg);

/* Flags of migoff_stats_dump_flags(). */
#define MIGOFF_DUMP_AUTO	(1U << 0)	/* also MIGOFF_STATS_AUTO entries */

int migoff_open(struct migoff_ctx **ctxp);
void migoff_close(struct migoff_ctx *ctx);

int migoff_get_info(struct migoff_ctx *ctx, struct migoff_info *info);
int migoff_get_migrator(struct migoff_ctx *ctx, unsigned int index,
			struct migoff_migrator *m);
int migoff_find_migrator(struct migoff_ctx *ctx, const char *name,
			 struct migoff_migrator *m);
int migoff_get_routes(struct migoff_ctx *ctx, uint32_t *migrator_ids,
		      unsigned int nr);
int migoff_enable(struct migoff_ctx *ctx, uint64_t reasons,
		  const char *migrator);
int migoff_disable(struct migoff_ctx *ctx, uint64_t reasons);
int migoff_get_batch(struct migoff_ctx *ctx, uint32_t *max_pages,
		     uint32_t *min_folios);
int migoff_set_batch(struct migoff_ctx *ctx, uint32_t flags,
		     uint32_t max_pages, uint32_t min_folios);
int migoff_set_param(struct migoff_ctx *ctx, const char *migrator,
		     const char *param, uint64_t value);
int migoff_get_stats(struct migoff_ctx *ctx, uint32_t scope, uint32_t index,
		     struct migoff_counters *c);
int migoff_reset_stats(struct migoff_ctx *ctx);

int migoff_stats_dump(struct migoff_ctx *ctx, migoff_stats_cb cb, void *arg);
int migoff_ext_ack(struct migoff_ctx *ctx, char *buf, size_t len);

int migoff_quota_set(struct migoff_ctx *ctx, const char *cgroup, uint64_t rate,
		     uint64_t burst, uint64_t reasons);
int migoff_quota_clear(struct migoff_ctx *ctx, const char *cgroup);
int migoff_quota_get(struct migoff_ctx *ctx, unsigned int index,
		     struct migoff_quota *q);
int migoff_quota_find(struct migoff_ctx *ctx, const char *cgroup,
		      struct migoff_quota *q);
int migoff_events_subscribe(struct migoff_ctx *ctx);
int migoff_event_read(struct migoff_ctx *ctx, struct migoff_event *ev);

/* Since libmigoffload 2.1 (version node LIBMIGOFFLOAD_2.1). */
int migoff_enable_flags(struct migoff_ctx *ctx, uint64_t reasons,
			const char *migrator, uint32_t flags);
int migoff_get_auto_reasons(struct migoff_ctx *ctx, uint64_t *reasons);
int migoff_get_auto(struct migoff_ctx *ctx, unsigned int reason,
		    struct migoff_auto *a);
int migoff_get_batch_caps(struct migoff_ctx *ctx, struct migoff_batch *b);
int migoff_set_batch_caps(struct migoff_ctx *ctx, const struct migoff_batch *b);
int migoff_stats_dump_flags(struct migoff_ctx *ctx, uint32_t flags,
			    migoff_stats_cb cb, void *arg);

/* Since libmigoffload 2.2 (version node LIBMIGOFFLOAD_2.2). */
uint64_t migoff_counters_fallbacks(const struct migoff_counters *c);

const char *migoff_reason_name(unsigned int reason);
int migoff_reason_parse(const char *name);
int migoff_reasons_parse(const char *list, uint64_t *mask);
const char *migoff_fallback_name(unsigned int fallback);
const char *migoff_event_name(uint32_t type);
const char *migoff_kind_name(uint32_t kind);

#ifdef __cplusplus
}
#endif

#endif /* MIGOFFLOAD_H */

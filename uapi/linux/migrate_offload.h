/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * migrate_offload: user-space ABI of /dev/migrate_offload, the page
 * migration copy-offload engine.
 *
 * Conventions (every ioctl):
 *  - The argument is a struct that starts with __u32 size and __u32 flags.
 *    Set size to sizeof() the struct you were built with; the kernel accepts
 *    smaller (older) and larger (newer) structs as long as the bytes it does
 *    not know are zero (E2BIG otherwise), and copies back at most size bytes.
 *    size must be at least 8 (EINVAL) and at most 4096 (E2BIG).
 *  - The kernel dispatches on the command's type and number (and checks its
 *    direction); the struct size encoded in the command is not used, so a
 *    program built against an older or newer version of this header issues
 *    commands that this kernel understands.
 *  - Unknown flags, non-zero reserved fields, a value in a field whose flag
 *    is not set, bytes after the NUL of a name: EINVAL. A rejected call
 *    changes nothing.
 *  - Everyone may read (GET_*); every change needs CAP_SYS_ADMIN (EPERM).
 *  - Unknown ioctl numbers: ENOTTY.
 *  - Call MIGOFF_IOC_GET_INFO first. api_version changes only with an
 *    incompatible change; new fields and flags come with the size rules
 *    above and a feature bit, so accept any api_version you know or newer
 *    ones that report the features you use.
 *
 * Errors specific to a call are listed with it.
 */
#ifndef _UAPI_LINUX_MIGRATE_OFFLOAD_H
#define _UAPI_LINUX_MIGRATE_OFFLOAD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MIGOFF_DEVICE		"/dev/migrate_offload"
#define MIGOFF_API_VERSION	1
#define MIGOFF_NAME_LEN		32	/* migrator names, NUL-terminated */
#define MIGOFF_PARAM_NAME_LEN	16
#define MIGOFF_MAX_PARAMS	4
#define MIGOFF_NO_MIGRATOR	0xffffffffU

/*
 * Migration reasons: stable bit numbers of this ABI (not the kernel's enum
 * migrate_reason). Names match the kernel's trace output.
 */
enum migoff_reason {
	MIGOFF_REASON_COMPACTION	= 0,	/* "compaction" */
	MIGOFF_REASON_MEMORY_HOTPLUG	= 1,	/* "memory_hotplug" */
	MIGOFF_REASON_SYSCALL		= 2,	/* "syscall_or_cpuset" */
	MIGOFF_REASON_MEMPOLICY_MBIND	= 3,	/* "mempolicy_mbind" */
	MIGOFF_REASON_NUMA_MISPLACED	= 4,	/* "numa_misplaced" */
	MIGOFF_REASON_CONTIG_RANGE	= 5,	/* "contig_range" */
	MIGOFF_REASON_LONGTERM_PIN	= 6,	/* "longterm_pin" */
	MIGOFF_REASON_DEMOTION		= 7,	/* "demotion" */
	MIGOFF_REASON_DAMON		= 8,	/* "damon" */
	MIGOFF_REASON_COUNT		= 9,
};

#define MIGOFF_REASON_BIT(r)	(1ULL << (r))

/* Initialiser of a name table indexed by enum migoff_reason (C only). */
#define MIGOFF_REASON_NAMES_INIT {					\
	[MIGOFF_REASON_COMPACTION] = "compaction",			\
	[MIGOFF_REASON_MEMORY_HOTPLUG] = "memory_hotplug",		\
	[MIGOFF_REASON_SYSCALL] = "syscall_or_cpuset",			\
	[MIGOFF_REASON_MEMPOLICY_MBIND] = "mempolicy_mbind",		\
	[MIGOFF_REASON_NUMA_MISPLACED] = "numa_misplaced",		\
	[MIGOFF_REASON_CONTIG_RANGE] = "contig_range",			\
	[MIGOFF_REASON_LONGTERM_PIN] = "longterm_pin",			\
	[MIGOFF_REASON_DEMOTION] = "demotion",				\
	[MIGOFF_REASON_DAMON] = "damon",				\
}

#define MIGOFF_REASONS_ALL	((1ULL << MIGOFF_REASON_COUNT) - 1)

/* Features reported by GET_INFO. */
#define MIGOFF_FEAT_ROUTING	(1ULL << 0)	/* per-reason routing */
#define MIGOFF_FEAT_BATCH_CAPS	(1ULL << 1)	/* GET/SET_BATCH */
#define MIGOFF_FEAT_PARAMS	(1ULL << 2)	/* SET_PARAM */
#define MIGOFF_FEAT_STATS	(1ULL << 3)	/* GET_STATS, RESET_STATS */
#define MIGOFF_FEAT_NETLINK	(1ULL << 4)	/* generic netlink family */
#define MIGOFF_FEAT_QUOTAS	(1ULL << 5)	/* per-cgroup quotas */
#define MIGOFF_FEAT_AUTO	(1ULL << 6)	/* MIGOFF_ROUTE_AUTO, GET_AUTO */
#define MIGOFF_FEAT_LATENCY	(1ULL << 7)	/* migoff_batch.latency_us */
#define MIGOFF_FEAT_AUTO_CPU_TIME (1ULL << 8)	/* MIGOFF_ROUTE_AUTO_CPU_TIME */
#define MIGOFF_FEAT_FALLBACK_BUSY (1ULL << 9)	/* MIGOFF_FALLBACK_BUSY counted */

/* MIGOFF_IOC_GET_INFO: the handshake. Anyone. */
struct migoff_info {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 api_version;		/* out: MIGOFF_API_VERSION */
	__u32 nr_migrators;		/* out: registered migrators */
	__u64 reasons_supported;	/* out: MIGOFF_REASON_BIT()s */
	__u64 features;			/* out: MIGOFF_FEAT_* */
	__u32 max_batch_pages_limit;	/* out: upper bound of max_pages */
	__u32 reserved0;
	__u64 reserved[4];
};

/* Kinds of migrators. */
enum migoff_kind {
	MIGOFF_KIND_CPU		= 0,	/* the copying CPU itself */
	MIGOFF_KIND_THREADS	= 1,	/* several CPU threads */
	MIGOFF_KIND_DMA		= 2,	/* a DMA engine */
};

/* Migrator state bits. */
/*
 * AVAILABLE: it can copy now. For a DMA migrator that is not routed, "may
 * be available": it takes its channels only when a reason is routed to it,
 * and routing fails with ENODEV if none can be had.
 */
#define MIGOFF_MIGRATOR_AVAILABLE	(1U << 0)
#define MIGOFF_MIGRATOR_ROUTED		(1U << 1)	/* some reason uses it */

struct migoff_param_desc {
	char name[MIGOFF_PARAM_NAME_LEN];	/* "threads", "channels", ... */
	__u64 value;
	__u64 min;
	__u64 max;
};

/*
 * MIGOFF_IOC_GET_MIGRATOR: describe one migrator. Anyone.
 * in: index (0 .. nr_migrators - 1), or with MIGOFF_MIGRATOR_BY_NAME, name.
 * ENOENT: no such index or name.
 */
#define MIGOFF_MIGRATOR_BY_NAME		(1U << 0)
struct migoff_migrator {
	__u32 size;
	__u32 flags;			/* in: 0 or MIGOFF_MIGRATOR_BY_NAME */
	__u32 index;			/* in (without BY_NAME) */
	__u32 id;			/* out: stable while registered */
	char name[MIGOFF_NAME_LEN];	/* in (BY_NAME) / out */
	__u32 kind;			/* out: enum migoff_kind */
	__u32 state;			/* out: MIGOFF_MIGRATOR_* */
	__u64 reasons;			/* out: reasons routed to it */
	__u32 nr_params;		/* out */
	__u32 reserved0;
	struct migoff_param_desc params[MIGOFF_MAX_PARAMS];	/* out */
	__u64 reserved[4];
};

/*
 * MIGOFF_IOC_ENABLE: route @reasons to migrator @migrator (by name; "" means
 * "cpu"). Other reasons keep their routes. CAP_SYS_ADMIN.
 * With MIGOFF_ROUTE_AUTO, each batch of these reasons goes to @migrator
 * only while it is measured cheaper than the CPU copy for batches of its
 * folio size (see MIGOFF_IOC_GET_AUTO); otherwise the CPU copies it and
 * its folios count as MIGOFF_FALLBACK_AUTO. Without the flag, every batch
 * goes to @migrator (and a reason routed with it stops being automatic).
 * "Cheaper" is in wall time (how long the migrating task waits), or with
 * MIGOFF_ROUTE_AUTO_CPU_TIME as well (since MIGOFF_FEAT_AUTO_CPU_TIME) in
 * CPU time (the migrating task's and the migrator's helper threads'). A
 * route change starts the estimates of its reasons from nothing.
 * EINVAL: no reasons, a reason not in reasons_supported, or
 * MIGOFF_ROUTE_AUTO_CPU_TIME without MIGOFF_ROUTE_AUTO.
 * ENOENT: no such migrator. ENODEV: the migrator is not available.
 *
 * MIGOFF_IOC_DISABLE: stop offloading @reasons (their migrations copy on the
 * CPU, one folio at a time, as without this module); with
 * MIGOFF_ROUTE_ALL_REASONS, every reason (@reasons must be 0).
 * @migrator must be empty. CAP_SYS_ADMIN.
 */
#define MIGOFF_ROUTE_ALL_REASONS	(1U << 0)	/* DISABLE only */
#define MIGOFF_ROUTE_AUTO		(1U << 1)	/* ENABLE only */
#define MIGOFF_ROUTE_AUTO_CPU_TIME	(1U << 2)	/* ENABLE, with ROUTE_AUTO */
struct migoff_route {
	__u32 size;
	__u32 flags;
	__u64 reasons;			/* MIGOFF_REASON_BIT()s */
	char migrator[MIGOFF_NAME_LEN];
	__u64 reserved[2];
};

/*
 * MIGOFF_IOC_GET_ROUTES: the migrator id serving each reason, or
 * MIGOFF_NO_MIGRATOR, and (since MIGOFF_FEAT_AUTO, for a size of at least
 * MIGOFF_ROUTES_SIZE_VER1) the reasons routed with MIGOFF_ROUTE_AUTO.
 * Anyone.
 */
struct migoff_routes {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 nr_reasons;		/* out: MIGOFF_REASON_COUNT */
	__u32 reserved0;
	__u32 migrator[32];		/* out: indexed by enum migoff_reason */
	__u64 reserved[2];
	__u64 auto_reasons;		/* out: MIGOFF_REASON_BIT()s */
};

#define MIGOFF_ROUTES_SIZE_VER0	160
#define MIGOFF_ROUTES_SIZE_VER1	168

/*
 * MIGOFF_IOC_GET_BATCH / MIGOFF_IOC_SET_BATCH: batch caps.
 * max_pages: base pages migrated as one batch (0: the kernel default),
 *            at most max_batch_pages_limit (ERANGE).
 * min_folios: smaller batches are not offloaded but copied on the CPU and
 *            counted as "too small" fallbacks (0 or 1: offload everything).
 * latency_us (since MIGOFF_FEAT_LATENCY, sizes of at least
 *            MIGOFF_BATCH_SIZE_VER1): a first-folio latency target, 0 for
 *            none, at most MIGOFF_MAX_LATENCY_US (ERANGE). The engine
 *            measures how long the first folio of each offloaded batch
 *            waits (unmap, copy and move of the batch before it) per base
 *            page, and caps batches at the pages that fit in the target,
 *            never above max_pages.
 * effective_pages (out, GET; 0 in SET): the cap offloaded batches have
 *            now, max_pages or less under a latency target.
 * SET changes the fields named by its flags (EINVAL without any). Setting
 * needs CAP_SYS_ADMIN.
 */
#define MIGOFF_BATCH_SET_MAX_PAGES	(1U << 0)
#define MIGOFF_BATCH_SET_MIN_FOLIOS	(1U << 1)
#define MIGOFF_BATCH_SET_LATENCY	(1U << 2)
#define MIGOFF_MAX_LATENCY_US		10000000U	/* 10 s */
struct migoff_batch {
	__u32 size;
	__u32 flags;
	__u32 max_pages;
	__u32 min_folios;
	__u64 reserved[2];
	__u32 latency_us;
	__u32 effective_pages;
};

#define MIGOFF_BATCH_SIZE_VER0	32
#define MIGOFF_BATCH_SIZE_VER1	40

/*
 * MIGOFF_IOC_SET_PARAM: set parameter @name of migrator @migrator.
 * CAP_SYS_ADMIN. ENOENT: no such migrator or parameter. ERANGE: @value
 * outside [min, max] (see GET_MIGRATOR). A dcbm "channels" change takes
 * the new channels before it lets go of the old ones and never waits for
 * copies in flight: ENODEV (not enough channels) or EBUSY, and nothing
 * changed.
 */
struct migoff_param {
	__u32 size;
	__u32 flags;			/* in: 0 */
	char migrator[MIGOFF_NAME_LEN];
	char name[MIGOFF_PARAM_NAME_LEN];
	__u64 value;
	__u64 reserved[2];
};

/* Why folios offered to the engine were copied by the CPU instead. */
enum migoff_fallback {
	MIGOFF_FALLBACK_ERROR		= 0,	/* the migrator failed */
	MIGOFF_FALLBACK_TIMEOUT		= 1,	/* the copy timed out */
	MIGOFF_FALLBACK_QUOTA		= 2,	/* over the cgroup's quota */
	MIGOFF_FALLBACK_TOO_SMALL	= 3,	/* batch below min_folios */
	MIGOFF_FALLBACK_AUTO		= 4,	/* auto: the CPU was cheaper */
	MIGOFF_FALLBACK_BUSY		= 5,	/* every DMA channel was busy */
	MIGOFF_FALLBACK_COUNT		= 6,
};

struct migoff_counters {
	__u64 batches;			/* batches handed to a migrator */
	__u64 folios;			/* folios it copied */
	__u64 bytes;			/* bytes it copied */
	__u64 copy_ns;			/* time spent in its copies */
	__u64 fallback[8];		/* folios, by enum migoff_fallback */
};

/*
 * MIGOFF_IOC_GET_STATS: counters of one reason or one migrator. Anyone.
 * ENOENT: no such reason or migrator.
 */
enum migoff_stats_scope {
	MIGOFF_STATS_TOTAL	= 0,	/* everything; index must be 0 */
	MIGOFF_STATS_REASON	= 1,	/* index: enum migoff_reason */
	MIGOFF_STATS_MIGRATOR	= 2,	/* index: migrator id */
	MIGOFF_STATS_CGROUP	= 3,	/* netlink dump only: a quota */
	MIGOFF_STATS_AUTO	= 4,	/* netlink dump only: an auto class */
};

struct migoff_stats {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 scope;			/* in: enum migoff_stats_scope */
	__u32 index;			/* in */
	struct migoff_counters counters;	/* out */
	__u64 reserved[4];
};

/*
 * MIGOFF_IOC_GET_AUTO: the estimates of the automatic choice for reason
 * @reason (in), one entry per folio size class. Anyone. Classes are by the
 * batch's mean folio size (a batch that mixes sizes goes with the batches
 * it resembles): base pages (class 0), below 64 KiB (1), below PMD size
 * (2), PMD size and up (3); @min_pages is the smallest mean folio size in
 * base pages of each. For each, the moving averages of the cost
 * per MiB of the migrator and of the CPU copy (0: not measured yet), and
 * how many batches went to each, and how many of those were spent
 * re-measuring the side that was not the cheaper one. The migrator's
 * estimates are those of the migrator the reason is routed to (0 when it
 * is not routed), kept per migrator while it is registered; the CPU's are
 * kept per reason. Both start from nothing when the reason's route changes
 * and on RESET_STATS. @objective (out): MIGOFF_AUTO_OBJECTIVE_CPU when the
 * costs are CPU time (MIGOFF_ROUTE_AUTO_CPU_TIME), else wall time. The side
 * that loses is measured again at least every few seconds and every few
 * hundred batches, so no estimate shuts a side out for good.
 * ENOENT: @reason is not a reason.
 */
#define MIGOFF_AUTO_CLASSES	4
struct migoff_auto_class {
	__u32 min_pages;
	__u32 reserved0;
	__u64 migrator_ns_per_mib;
	__u64 cpu_ns_per_mib;
	__u64 batches_migrator;
	__u64 batches_cpu;
	__u64 batches_probe;
};

struct migoff_auto {
	__u32 size;
	__u32 flags;			/* in: 0 */
	__u32 reason;			/* in: enum migoff_reason */
	__u32 nr_classes;		/* out: MIGOFF_AUTO_CLASSES */
	struct migoff_auto_class classes[MIGOFF_AUTO_CLASSES];	/* out */
	__u32 objective;		/* out: MIGOFF_AUTO_OBJECTIVE_* */
	__u32 reserved0;
	__u64 reserved1;
};

#define MIGOFF_AUTO_OBJECTIVE_WALL	0
#define MIGOFF_AUTO_OBJECTIVE_CPU	1

/* MIGOFF_IOC_RESET_STATS: zero every counter, forget the auto estimates. CAP_SYS_ADMIN. */
struct migoff_reset {
	__u32 size;
	__u32 flags;			/* in: 0 */
};

/*
 * Per-cgroup quotas: a token bucket of offloaded bytes for the folios a
 * cgroup v2 subtree owns (the memcg of the source folio): a folio is
 * governed by the quota of the nearest cgroup, from its own up to the root,
 * that has one for the migration's reason, so a parent's quota covers its
 * descendants unless they have their own. Folios over budget are not
 * offloaded: the CPU copies them and they count as MIGOFF_FALLBACK_QUOTA.
 * At most MIGOFF_MAX_QUOTAS cgroups have one. Any non-zero rate and burst
 * is accepted: the bucket's arithmetic saturates instead of wrapping.
 *
 * MIGOFF_IOC_SET_QUOTA (CAP_SYS_ADMIN): set or replace the quota of the
 *   cgroup given by cgroup_fd (with MIGOFF_QUOTA_BY_FD, an fd of its
 *   cgroupfs directory) or by cgroup_id. rate: bytes per second (> 0);
 *   burst: bucket size in bytes (> 0); reasons: MIGOFF_REASON_BIT()s the
 *   quota applies to, 0 for all. The bucket starts full. EINVAL: zero rate
 *   or burst, unknown reasons; EBADF: cgroup_fd is not a cgroup v2
 *   directory; ENOENT: no cgroup with that id; ENOSPC: too many quotas.
 * MIGOFF_IOC_CLEAR_QUOTA (CAP_SYS_ADMIN): remove it (same selection; rate,
 *   burst and reasons must be 0). ENOENT: the cgroup has no quota.
 * MIGOFF_IOC_GET_QUOTA (anyone): with MIGOFF_QUOTA_BY_INDEX, the index-th
 *   quota (0..), else that of the cgroup selected as above, with its
 *   statistics. ENOENT: no such quota. Quotas of removed cgroups are
 *   never reported (reads change nothing) and are dropped at the next
 *   SET_QUOTA or CLEAR_QUOTA.
 */
#define MIGOFF_MAX_QUOTAS	64
#define MIGOFF_QUOTA_BY_FD	(1U << 0)
#define MIGOFF_QUOTA_BY_INDEX	(1U << 1)
struct migoff_quota {
	__u32 size;
	__u32 flags;
	__s32 cgroup_fd;		/* in, with MIGOFF_QUOTA_BY_FD */
	__u32 index;			/* in, with MIGOFF_QUOTA_BY_INDEX */
	__u64 cgroup_id;		/* in (no flag) / out */
	__u64 rate;			/* bytes per second */
	__u64 burst;			/* bytes */
	__u64 reasons;			/* 0: every reason */
	/* out, GET_QUOTA only: */
	__u64 bytes_offloaded;		/* copied by a migrator */
	__u64 bytes_refused;		/* over budget: copied by the CPU */
	__u64 folios_offloaded;
	__u64 folios_refused;
	__u64 copy_cpu_ns;		/* helper-thread CPU time on its folios */
	__u64 reserved[2];
};

/*
 * Generic netlink family MIGOFF_GENL_NAME (spec: migrate_offload.yaml, in
 * Documentation/netlink/specs/ in the kernel tree).
 *
 * MIGOFF_CMD_STATS_GET (dump, anyone): one message per reason and one per
 * migrator, each with MIGOFF_A_SCOPE, MIGOFF_A_INDEX (reason or migrator
 * id), MIGOFF_A_NAME and the counters of struct migoff_counters as
 * MIGOFF_A_BATCHES ... MIGOFF_A_FALLBACK_TOO_SMALL; then one per quota
 * (scope MIGOFF_STATS_CGROUP) with MIGOFF_A_CGROUP_ID, MIGOFF_A_RATE,
 * MIGOFF_A_BURST, MIGOFF_A_REASONS, MIGOFF_A_FOLIOS, MIGOFF_A_BYTES,
 * MIGOFF_A_FOLIOS_REFUSED, MIGOFF_A_BYTES_REFUSED, MIGOFF_A_CPU_NS; then,
 * for each reason routed with MIGOFF_ROUTE_AUTO, one per size class (scope
 * MIGOFF_STATS_AUTO, MIGOFF_A_INDEX the reason, MIGOFF_A_NAME its name)
 * with the fields of struct migoff_auto_class as MIGOFF_A_AUTO_MIN_PAGES
 * ... MIGOFF_A_AUTO_BATCHES_PROBE. Counter messages carry
 * MIGOFF_A_FALLBACK_AUTO too.
 *
 * Multicast group MIGOFF_GENL_MCGRP_EVENTS: MIGOFF_CMD_EVENT messages with
 * MIGOFF_A_EVENT (enum migoff_event_type) and, as they apply,
 * MIGOFF_A_REASONS, MIGOFF_A_NAME, MIGOFF_A_PARAM, MIGOFF_A_VALUE,
 * MIGOFF_A_MAX_PAGES, MIGOFF_A_MIN_FOLIOS, MIGOFF_A_FOLIOS.
 */
#define MIGOFF_GENL_NAME		"migrate_offload"
#define MIGOFF_GENL_VERSION		1
#define MIGOFF_GENL_MCGRP_EVENTS	"events"

enum migoff_genl_cmd {
	MIGOFF_CMD_UNSPEC,
	MIGOFF_CMD_STATS_GET,
	MIGOFF_CMD_EVENT,
	__MIGOFF_CMD_MAX,
};

#define MIGOFF_CMD_MAX (__MIGOFF_CMD_MAX - 1)

enum migoff_genl_attr {
	MIGOFF_A_UNSPEC,
	MIGOFF_A_SCOPE,			/* u32: enum migoff_stats_scope */
	MIGOFF_A_INDEX,			/* u32 */
	MIGOFF_A_NAME,			/* string: reason or migrator name */
	MIGOFF_A_BATCHES,		/* u64 */
	MIGOFF_A_FOLIOS,		/* u64 */
	MIGOFF_A_BYTES,			/* u64 */
	MIGOFF_A_COPY_NS,		/* u64 */
	MIGOFF_A_FALLBACK_ERROR,	/* u64 */
	MIGOFF_A_FALLBACK_TIMEOUT,	/* u64 */
	MIGOFF_A_FALLBACK_QUOTA,	/* u64 */
	MIGOFF_A_FALLBACK_TOO_SMALL,	/* u64 */
	MIGOFF_A_PAD,
	MIGOFF_A_EVENT,			/* u32: enum migoff_event_type */
	MIGOFF_A_REASONS,		/* u64: MIGOFF_REASON_BIT()s */
	MIGOFF_A_PARAM,			/* string */
	MIGOFF_A_VALUE,			/* u64 */
	MIGOFF_A_MAX_PAGES,		/* u32 */
	MIGOFF_A_MIN_FOLIOS,		/* u32 */
	MIGOFF_A_CGROUP_ID,		/* u64 */
	MIGOFF_A_RATE,			/* u64: quota bytes per second */
	MIGOFF_A_BURST,			/* u64: quota bytes */
	MIGOFF_A_BYTES_REFUSED,		/* u64 */
	MIGOFF_A_FOLIOS_REFUSED,	/* u64 */
	MIGOFF_A_CPU_NS,		/* u64 */
	MIGOFF_A_FALLBACK_AUTO,		/* u64 */
	MIGOFF_A_AUTO_MIN_PAGES,	/* u32 */
	MIGOFF_A_AUTO_MIGRATOR_NS_PER_MIB,	/* u64 */
	MIGOFF_A_AUTO_CPU_NS_PER_MIB,	/* u64 */
	MIGOFF_A_AUTO_BATCHES_MIGRATOR,	/* u64 */
	MIGOFF_A_AUTO_BATCHES_CPU,	/* u64 */
	MIGOFF_A_AUTO_BATCHES_PROBE,	/* u64 */
	MIGOFF_A_FALLBACK_BUSY,		/* u64 */
	__MIGOFF_A_MAX,
};

#define MIGOFF_A_MAX (__MIGOFF_A_MAX - 1)

enum migoff_event_type {
	MIGOFF_EVENT_ENABLE		= 1,	/* REASONS, NAME (migrator), VALUE (1: auto) */
	MIGOFF_EVENT_DISABLE		= 2,	/* REASONS */
	MIGOFF_EVENT_BATCH		= 3,	/* MAX_PAGES, MIN_FOLIOS, VALUE (latency_us) */
	MIGOFF_EVENT_PARAM		= 4,	/* NAME (migrator), PARAM, VALUE */
	MIGOFF_EVENT_STATS_RESET	= 5,
	MIGOFF_EVENT_FALLBACK		= 6,	/* REASONS, FOLIOS fallen back since the last one */
	MIGOFF_EVENT_QUOTA		= 7,	/* CGROUP_ID, RATE (0: cleared), BURST, REASONS */
};

/* Registered in Documentation/userspace-api/ioctl/ioctl-number.rst. */
#define MIGOFF_IOC_MAGIC	0xBB
#define MIGOFF_IOC_GET_INFO	_IOWR(MIGOFF_IOC_MAGIC, 0x00, struct migoff_info)
#define MIGOFF_IOC_GET_MIGRATOR	_IOWR(MIGOFF_IOC_MAGIC, 0x01, struct migoff_migrator)
#define MIGOFF_IOC_ENABLE	_IOW(MIGOFF_IOC_MAGIC, 0x02, struct migoff_route)
#define MIGOFF_IOC_DISABLE	_IOW(MIGOFF_IOC_MAGIC, 0x03, struct migoff_route)
#define MIGOFF_IOC_GET_ROUTES	_IOWR(MIGOFF_IOC_MAGIC, 0x04, struct migoff_routes)
#define MIGOFF_IOC_GET_BATCH	_IOWR(MIGOFF_IOC_MAGIC, 0x05, struct migoff_batch)
#define MIGOFF_IOC_SET_BATCH	_IOW(MIGOFF_IOC_MAGIC, 0x06, struct migoff_batch)
#define MIGOFF_IOC_SET_PARAM	_IOW(MIGOFF_IOC_MAGIC, 0x07, struct migoff_param)
#define MIGOFF_IOC_GET_STATS	_IOWR(MIGOFF_IOC_MAGIC, 0x08, struct migoff_stats)
#define MIGOFF_IOC_RESET_STATS	_IOW(MIGOFF_IOC_MAGIC, 0x09, struct migoff_reset)
#define MIGOFF_IOC_SET_QUOTA	_IOW(MIGOFF_IOC_MAGIC, 0x0a, struct migoff_quota)
#define MIGOFF_IOC_CLEAR_QUOTA	_IOW(MIGOFF_IOC_MAGIC, 0x0b, struct migoff_quota)
#define MIGOFF_IOC_GET_QUOTA	_IOWR(MIGOFF_IOC_MAGIC, 0x0c, struct migoff_quota)
#define MIGOFF_IOC_GET_AUTO	_IOWR(MIGOFF_IOC_MAGIC, 0x0d, struct migoff_auto)

#endif /* _UAPI_LINUX_MIGRATE_OFFLOAD_H */

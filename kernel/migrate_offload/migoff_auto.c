// SPDX-License-Identifier: GPL-2.0
/*
 * The automatic choice between a reason's migrator and the CPU copy
 * (MIGOFF_ROUTE_AUTO).
 *
 * Offload pays only where the migrator copies faster than the migrating
 * CPU, and that depends on the folio size, the machine and its load: an
 * mtcopy hand-off costs more than it saves on a batch of a few base pages,
 * a DMA engine may win at 2 MiB and lose at 4 KiB. So for each reason
 * routed with MIGOFF_ROUTE_AUTO and each folio size class, the engine
 * keeps a moving average of the cost per MiB of both sides, measured on
 * the batches themselves, and sends each batch to the side that is
 * cheaper now.
 *
 * The objective is the route's: wall time by default (how long the
 * migrating task waits for the copy), or CPU time with
 * MIGOFF_ROUTE_AUTO_CPU_TIME (what the copy costs the machine: the
 * migrating task's own time outside the migrator's waits, plus its helper
 * threads' time; struct migoff_copy_info). A copy by N threads may win on
 * wall time and lose on CPU time; an operator who pays for CPU says so.
 *
 * Re-measuring the loser, so that a change of load can turn the decision
 * around: every batch the winner copies earns 1/AUTO_PROBE_SHARE of its
 * cost as credit, and the loser is probed when the credit covers what the
 * probe is expected to cost beyond the winner. A far slower loser is thus
 * probed less often, but never less than once per AUTO_PROBE_BATCHES
 * batches and AUTO_PROBE_AGE_NS of time: whatever the estimates say, the
 * loser is measured again within a bounded number of batches and a
 * bounded time, so no estimate, however bad, locks a side out for good.
 *
 * A side is measured on the bytes it actually copied. A batch the
 * migrator copied nothing of (an allocation failure, a timeout) records a
 * bounded penalty, AUTO_FAIL_FACTOR times the CPU's cost (or
 * AUTO_FAIL_NS_PER_MIB before the CPU was measured), never more than
 * AUTO_MAX_NS_PER_MIB; the first success after a failure replaces the
 * penalty instead of being averaged with it, so a migrator that failed
 * once is back as soon as a probe shows it working.
 *
 * Classes go by the batch's mean folio size (migoff_auto_class()): base
 * pages, below 64 KiB, below PMD size, PMD size and up.
 *
 * Estimates are per reason and class: the CPU's in the reason's state, the
 * migrator's in the migrator (kept while it is registered). Both start
 * from nothing when the reason's route changes (MIGOFF_IOC_ENABLE or
 * DISABLE) and on RESET_STATS.
 *
 * Locking: the estimates are read and updated without locks by every
 * migrating task. Concurrent updates may lose one sample of an average or
 * a little credit; both only delay a decision by a batch. The policy
 * mutex serialises turning the choice on and off and the resets. A
 * migrator's estimates live as long as the migrator: a batch uses them
 * under the core's SRCU read lock, and a migrator is only unregistered
 * once no route points to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "migoff_core.h"

/* Probing the loser may cost up to 1/AUTO_PROBE_SHARE of the copy time... */
#define AUTO_PROBE_SHARE	128
/* ...but it is probed at least once per this many batches... */
#define AUTO_PROBE_BATCHES	256
/* ...and once its estimate is this old. */
#define AUTO_PROBE_AGE_NS	(2 * NSEC_PER_SEC)
/* Moving averages keep (2^AUTO_EWMA_SHIFT - 1)/2^AUTO_EWMA_SHIFT of the past. */
#define AUTO_EWMA_SHIFT		2
/* A batch the migrator copied nothing of costs this many CPU copies... */
#define AUTO_FAIL_FACTOR	4
/* ...or this, before the CPU was measured (100 MiB/s)... */
#define AUTO_FAIL_NS_PER_MIB	(10 * NSEC_PER_MSEC)
/* ...and no estimate is ever above this (1 MiB/s). */
#define AUTO_MAX_NS_PER_MIB	NSEC_PER_SEC
/* Credit beyond this is not kept: a long winning streak buys few probes. */
#define AUTO_MAX_CREDIT_NS	(100 * NSEC_PER_MSEC)

/* One side's estimate for a reason and size class. */
struct migoff_auto_est {
	u64 ns_per_mib;			/* moving average; 0: not measured */
	u64 stamp_ns;			/* when last measured */
	bool failed;			/* the last sample was a failure's penalty */
};

/* Per reason and class: the CPU's estimate and the decision's state. */
struct auto_state {
	struct migoff_auto_est cpu;
	atomic64_t credit_ns;
	atomic_t since_probe;		/* winner's batches since the last probe */
	atomic64_t batches[2];		/* indexed by enum migoff_auto_side */
	atomic64_t probes;
};

static struct auto_state state[MIGOFF_REASON_COUNT][MIGOFF_AUTO_CLASSES];
static u64 auto_mask;		/* MIGOFF_REASON_BIT()s; READ_ONCE in the copy path */
static u64 cpu_time_mask;	/* those of them whose objective is CPU time */

/* The smallest mean folio size, in base pages, of size class @c. */
static unsigned int class_min_pages(unsigned int c)
{
	switch (c) {
	case 0:
		return 1;
	case 1:
		return 2;
	case 2:
		return SZ_64K / PAGE_SIZE;
	default:
		return 1U << (PMD_SHIFT - PAGE_SHIFT);
	}
}

/**
 * migoff_auto_class - The size class of a batch.
 * @bytes: The batch's size.
 * @nr: Its folios.
 *
 * The class of the mean folio size: a batch that mixes sizes (a THP, then
 * base pages) is measured with the batches its folios resemble, not with
 * those of its first folio.
 *
 * Context: Any context.
 * Return: The class, 0 .. MIGOFF_AUTO_CLASSES - 1.
 */
unsigned int migoff_auto_class(u64 bytes, unsigned int nr)
{
	u64 pages = nr ? div_u64(bytes, nr) >> PAGE_SHIFT : 0;
	unsigned int c;

	for (c = MIGOFF_AUTO_CLASSES - 1; c; c--)
		if (pages >= class_min_pages(c))
			break;
	return c;
}
EXPORT_SYMBOL_IF_KUNIT(migoff_auto_class);

/**
 * migoff_auto_enabled - Whether a reason is routed with MIGOFF_ROUTE_AUTO.
 * @reason: enum migoff_reason.
 *
 * Context: Any context; lockless.
 * Return: true if batches of @reason are sent to the cheaper side.
 */
bool migoff_auto_enabled(unsigned int reason)
{
	return READ_ONCE(auto_mask) & MIGOFF_REASON_BIT(reason);
}

/**
 * migoff_auto_reasons - The reasons routed with MIGOFF_ROUTE_AUTO.
 *
 * Context: Any context.
 * Return: MIGOFF_REASON_BIT()s.
 */
u64 migoff_auto_reasons(void)
{
	return READ_ONCE(auto_mask);
}

/**
 * migoff_auto_cpu_time - Whether a reason's automatic choice weighs CPU time.
 * @reason: enum migoff_reason.
 *
 * Context: Any context; lockless.
 * Return: true for MIGOFF_ROUTE_AUTO_CPU_TIME, false for wall time.
 */
bool migoff_auto_cpu_time(unsigned int reason)
{
	return READ_ONCE(cpu_time_mask) & MIGOFF_REASON_BIT(reason);
}

/**
 * migoff_auto_cpu_time_reasons - The reasons whose objective is CPU time.
 *
 * Context: Any context.
 * Return: MIGOFF_REASON_BIT()s.
 */
u64 migoff_auto_cpu_time_reasons(void)
{
	return READ_ONCE(cpu_time_mask);
}

/**
 * migoff_auto_alloc - Give a migrator its estimates.
 * @e: The migrator, being registered.
 *
 * Context: Process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int migoff_auto_alloc(struct migoff_engine *e)
{
	e->auto_est = kcalloc(MIGOFF_REASON_COUNT * MIGOFF_AUTO_CLASSES,
			      sizeof(*e->auto_est), GFP_KERNEL);
	return e->auto_est ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(migoff_auto_alloc);

/**
 * migoff_auto_free - Drop a migrator's estimates.
 * @e: The migrator, unregistered (no batch runs in it).
 *
 * Context: Process context.
 */
void migoff_auto_free(struct migoff_engine *e)
{
	kfree(e->auto_est);
	e->auto_est = NULL;
}
EXPORT_SYMBOL_IF_KUNIT(migoff_auto_free);

static struct migoff_auto_est *mig_est(struct migoff_engine *e,
				       unsigned int reason, unsigned int class)
{
	return &e->auto_est[reason * MIGOFF_AUTO_CLASSES + class];
}

/**
 * migoff_auto_reset - Forget the estimates of a reason.
 * @e: A migrator whose estimates of @reason go too, or NULL.
 * @reason: enum migoff_reason.
 *
 * Zeroes the CPU's estimates, the credit and the batch counts of @reason,
 * and @e's estimates of it.
 *
 * Context: Process context, under migoff_policy_mutex, or a test's own
 * reason.
 */
void migoff_auto_reset(struct migoff_engine *e, unsigned int reason)
{
	unsigned int c;

	for (c = 0; c < MIGOFF_AUTO_CLASSES; c++) {
		struct auto_state *s = &state[reason][c];

		WRITE_ONCE(s->cpu.ns_per_mib, 0);
		s->cpu.stamp_ns = 0;
		s->cpu.failed = false;
		atomic64_set(&s->credit_ns, 0);
		atomic_set(&s->since_probe, 0);
		atomic64_set(&s->batches[0], 0);
		atomic64_set(&s->batches[1], 0);
		atomic64_set(&s->probes, 0);
		if (e)
			*mig_est(e, reason, c) = (struct migoff_auto_est){ };
	}
}
EXPORT_SYMBOL_IF_KUNIT(migoff_auto_reset);

/**
 * migoff_auto_set - Set the automatic choice of reasons whose route changed.
 * @reasons: MIGOFF_REASON_BIT()s whose route just changed.
 * @on: Whether their batches now go to the cheaper side.
 * @cpu_time: With @on, whether the objective is CPU time (else wall time).
 *
 * Their estimates must start from nothing, since they were measured for
 * another route: the caller resets them (migoff_auto_reset(), for the
 * reason and for every migrator).
 *
 * Context: Process context, under migoff_policy_mutex.
 */
void migoff_auto_set(u64 reasons, bool on, bool cpu_time)
{
	lockdep_assert_held(&migoff_policy_mutex);
	WRITE_ONCE(auto_mask, on ? auto_mask | reasons : auto_mask & ~reasons);
	WRITE_ONCE(cpu_time_mask, on && cpu_time ? cpu_time_mask | reasons :
		   cpu_time_mask & ~reasons);
}

/* @ns for @bytes, per MiB, within [1, AUTO_MAX_NS_PER_MIB]; 0 means unknown. */
static u64 per_mib(u64 ns, u64 bytes)
{
	return clamp_t(u64, mul_u64_u64_div_u64(ns, SZ_1M, bytes), 1,
		       AUTO_MAX_NS_PER_MIB);
}

/**
 * migoff_auto_choose - Pick the side that copies a batch.
 * @e: The migrator the reason is routed to.
 * @reason: enum migoff_reason, routed with MIGOFF_ROUTE_AUTO.
 * @class: The batch's size class (migoff_auto_class()).
 * @bytes: The batch's size.
 * @now: The time, in ns (ktime_get_ns()).
 *
 * A side not measured yet is measured first; then the cheaper one, unless
 * the loser is due for a probe: the credit pays for it, AUTO_PROBE_BATCHES
 * batches went to the winner since the last probe, or the loser's estimate
 * is older than AUTO_PROBE_AGE_NS.
 *
 * Context: Any context; lockless.
 * Return: enum migoff_auto_side.
 */
enum migoff_auto_side migoff_auto_choose(struct migoff_engine *e,
					 unsigned int reason, unsigned int class,
					 u64 bytes, u64 now)
{
	struct auto_state *s = &state[reason][class];
	struct migoff_auto_est *me = mig_est(e, reason, class);
	u64 m = READ_ONCE(me->ns_per_mib);
	u64 c = READ_ONCE(s->cpu.ns_per_mib);
	enum migoff_auto_side win, lose;
	u64 lose_stamp;
	s64 extra, credit;

	if (!m)
		return MIGOFF_AUTO_MIGRATOR;
	if (!c)
		return MIGOFF_AUTO_CPU;
	win = m <= c ? MIGOFF_AUTO_MIGRATOR : MIGOFF_AUTO_CPU;
	lose = !win;
	lose_stamp = lose == MIGOFF_AUTO_CPU ? READ_ONCE(s->cpu.stamp_ns) :
		READ_ONCE(me->stamp_ns);

	/* What a probe would cost beyond the winner, and what this batch earns. */
	extra = mul_u64_u64_div_u64(abs_diff(m, c), bytes, SZ_1M);
	credit = atomic64_add_return(mul_u64_u64_div_u64(min(m, c), bytes, SZ_1M) /
				     AUTO_PROBE_SHARE, &s->credit_ns);
	if (credit > AUTO_MAX_CREDIT_NS)
		atomic64_set(&s->credit_ns, AUTO_MAX_CREDIT_NS);
	if (extra && credit >= extra) {
		atomic64_sub(extra, &s->credit_ns);
		goto probe;
	}
	if (atomic_inc_return(&s->since_probe) >= AUTO_PROBE_BATCHES ||
	    now - lose_stamp >= AUTO_PROBE_AGE_NS)
		goto probe;
	return win;
probe:
	atomic_set(&s->since_probe, 0);
	atomic64_inc(&s->probes);
	return lose;
}
EXPORT_SYMBOL_IF_KUNIT(migoff_auto_choose);

/**
 * migoff_auto_record - Account for a batch copied by one side.
 * @e: The migrator the reason is routed to.
 * @reason: enum migoff_reason.
 * @class: The batch's size class.
 * @side: The side that copied it.
 * @ns: What the copy cost, in the reason's objective (wall or CPU time).
 * @bytes: The bytes it copied (0 if it copied nothing).
 * @tried: The bytes it was given.
 * @now: The time, in ns (ktime_get_ns()).
 *
 * Context: Any context; lockless.
 */
void migoff_auto_record(struct migoff_engine *e, unsigned int reason,
			unsigned int class, enum migoff_auto_side side, u64 ns,
			u64 bytes, u64 tried, u64 now)
{
	struct auto_state *s = &state[reason][class];
	struct migoff_auto_est *est = side == MIGOFF_AUTO_CPU ? &s->cpu :
		mig_est(e, reason, class);
	u64 old = READ_ONCE(est->ns_per_mib), sample, cpu;
	bool failed = !bytes;

	atomic64_inc(&s->batches[side]);
	if (!failed) {
		sample = per_mib(ns, bytes);
	} else {
		/* Nothing copied: a bounded penalty, at least the time it took. */
		cpu = READ_ONCE(s->cpu.ns_per_mib);
		sample = cpu ? cpu * AUTO_FAIL_FACTOR : AUTO_FAIL_NS_PER_MIB;
		if (tried)
			sample = max(sample, per_mib(ns, tried));
		sample = min_t(u64, sample, AUTO_MAX_NS_PER_MIB);
	}
	/* A success after a failure starts afresh; else a moving average. */
	if (old && !(est->failed && !failed))
		sample = old - (old >> AUTO_EWMA_SHIFT) + (sample >> AUTO_EWMA_SHIFT);
	WRITE_ONCE(est->ns_per_mib, max_t(u64, sample, 1));
	WRITE_ONCE(est->stamp_ns, now);
	WRITE_ONCE(est->failed, failed);
}
EXPORT_SYMBOL_IF_KUNIT(migoff_auto_record);

/**
 * migoff_auto_get - Read the estimates of a reason.
 * @e: The migrator the reason is routed to, or NULL (no migrator estimates).
 * @reason: enum migoff_reason.
 * @a: Filled in: nr_classes, classes and objective.
 *
 * Context: Under migoff_policy_mutex (@e stays registered), or a test's
 * own reason.
 */
void migoff_auto_get(struct migoff_engine *e, unsigned int reason,
		     struct migoff_auto *a)
{
	unsigned int c;

	a->nr_classes = MIGOFF_AUTO_CLASSES;
	a->objective = migoff_auto_cpu_time(reason) ? MIGOFF_AUTO_OBJECTIVE_CPU :
		MIGOFF_AUTO_OBJECTIVE_WALL;
	for (c = 0; c < MIGOFF_AUTO_CLASSES; c++) {
		struct auto_state *s = &state[reason][c];
		struct migoff_auto_class *o = &a->classes[c];

		o->min_pages = class_min_pages(c);
		o->migrator_ns_per_mib = e ? READ_ONCE(mig_est(e, reason, c)->ns_per_mib) : 0;
		o->cpu_ns_per_mib = READ_ONCE(s->cpu.ns_per_mib);
		o->batches_migrator = atomic64_read(&s->batches[MIGOFF_AUTO_MIGRATOR]);
		o->batches_cpu = atomic64_read(&s->batches[MIGOFF_AUTO_CPU]);
		o->batches_probe = atomic64_read(&s->probes);
	}
}
EXPORT_SYMBOL_IF_KUNIT(migoff_auto_get);

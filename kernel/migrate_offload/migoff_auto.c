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
 * The side that loses is re-measured now and then, so that a change of
 * load can turn the decision around, but only on credit: every batch the
 * winner copies earns 1/AUTO_PROBE_SHARE of its estimated cost, and a
 * probe of the loser is made when the credit covers what the probe is
 * expected to cost beyond the winner. Probing can therefore cost at most
 * that share of the copy time, however much slower the loser is; a loser
 * that is far slower is simply probed less often.
 *
 * A side is measured on the bytes it actually copied: folios a migrator
 * leaves to the CPU (errors, timeouts) make its cost per byte higher, and
 * a batch it copied nothing of counts as AUTO_FAIL_FACTOR times the CPU's
 * cost.
 *
 * Classes go by the size of the batch's first folio (a migrate_pages()
 * call usually holds folios of one size): base pages, below 64 KiB, below
 * PMD size, PMD size and up.
 *
 * The migrator's estimates belong to the migrator (one set per reason and
 * class, kept while it is registered), the CPU's to the reason: routing a
 * reason elsewhere and back, or alternating migrators, does not start
 * from nothing, and stale estimates are corrected by the next probes.
 *
 * Locking: the estimates are read and updated without locks by every
 * migrating task. Concurrent updates may lose one sample of an average or
 * a little credit; both only delay a decision by a batch. The policy
 * mutex serialises turning the choice on and off. A migrator's estimates
 * live as long as the migrator: a batch uses them under the core's SRCU
 * read lock, and a migrator is only unregistered once no route points
 * to it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "migoff_core.h"

/* Probing the loser may cost up to 1/AUTO_PROBE_SHARE of the copy time. */
#define AUTO_PROBE_SHARE	128
/* Moving averages keep (2^AUTO_EWMA_SHIFT - 1)/2^AUTO_EWMA_SHIFT of the past. */
#define AUTO_EWMA_SHIFT		2
/* A batch the migrator copied nothing of costs this many CPU copies. */
#define AUTO_FAIL_FACTOR	16
/* Credit beyond this is not kept: a long winning streak buys few probes. */
#define AUTO_MAX_CREDIT_NS	(100 * NSEC_PER_MSEC)

/* One side's estimate for a reason and size class. */
struct migoff_auto_est {
	u64 ns_per_mib;			/* moving average; 0: not measured */
};

/* Per reason and class: the CPU's estimate and the decision's state. */
struct auto_state {
	struct migoff_auto_est cpu;
	atomic64_t credit_ns;
	atomic64_t batches[2];		/* indexed by enum migoff_auto_side */
	atomic64_t probes;
};

static struct auto_state state[MIGOFF_REASON_COUNT][MIGOFF_AUTO_CLASSES];
static u64 auto_mask;		/* MIGOFF_REASON_BIT()s; READ_ONCE in the copy path */

/* The smallest first folio, in base pages, of size class @c. */
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
 * @first: The batch's first source folio.
 *
 * Context: Any context.
 * Return: The class, 0 .. MIGOFF_AUTO_CLASSES - 1.
 */
unsigned int migoff_auto_class(struct folio *first)
{
	unsigned long pages = folio_nr_pages(first);
	unsigned int c;

	for (c = MIGOFF_AUTO_CLASSES - 1; c; c--)
		if (pages >= class_min_pages(c))
			break;
	return c;
}

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

static struct migoff_auto_est *mig_est(struct migoff_engine *e,
				       unsigned int reason, unsigned int class)
{
	return &e->auto_est[reason * MIGOFF_AUTO_CLASSES + class];
}

/**
 * migoff_auto_set - Turn the automatic choice on or off for some reasons.
 * @reasons: MIGOFF_REASON_BIT()s whose route just changed.
 * @on: Whether their batches now go to the cheaper side.
 *
 * Context: Process context, under migoff_policy_mutex.
 */
void migoff_auto_set(u64 reasons, bool on)
{
	lockdep_assert_held(&migoff_policy_mutex);
	WRITE_ONCE(auto_mask, on ? auto_mask | reasons : auto_mask & ~reasons);
}

/* @ns for @bytes, per MiB; at least 1 so that 0 keeps meaning "unknown". */
static u64 per_mib(u64 ns, u64 bytes)
{
	return max_t(u64, mul_u64_u64_div_u64(ns, SZ_1M, bytes), 1);
}

/**
 * migoff_auto_choose - Pick the side that copies a batch.
 * @e: The migrator the reason is routed to.
 * @reason: enum migoff_reason, routed with MIGOFF_ROUTE_AUTO.
 * @class: The batch's size class (migoff_auto_class()).
 * @bytes: The batch's size, estimated.
 *
 * A side not measured yet is measured first; then the cheaper one, unless
 * the credit pays for a probe of the other.
 *
 * Context: Any context; lockless.
 * Return: enum migoff_auto_side.
 */
enum migoff_auto_side migoff_auto_choose(struct migoff_engine *e,
					 unsigned int reason, unsigned int class,
					 u64 bytes)
{
	struct auto_state *s = &state[reason][class];
	u64 m = READ_ONCE(mig_est(e, reason, class)->ns_per_mib);
	u64 c = READ_ONCE(s->cpu.ns_per_mib);
	enum migoff_auto_side win, lose;
	s64 extra, credit;

	if (!m)
		return MIGOFF_AUTO_MIGRATOR;
	if (!c)
		return MIGOFF_AUTO_CPU;
	win = m <= c ? MIGOFF_AUTO_MIGRATOR : MIGOFF_AUTO_CPU;
	lose = !win;

	/* What a probe would cost beyond the winner, and what this batch earns. */
	extra = mul_u64_u64_div_u64(abs_diff(m, c), bytes, SZ_1M);
	credit = atomic64_add_return(mul_u64_u64_div_u64(min(m, c), bytes, SZ_1M) /
				     AUTO_PROBE_SHARE, &s->credit_ns);
	if (credit > AUTO_MAX_CREDIT_NS)
		atomic64_set(&s->credit_ns, AUTO_MAX_CREDIT_NS);
	if (extra && credit >= extra) {
		atomic64_sub(extra, &s->credit_ns);
		atomic64_inc(&s->probes);
		return lose;
	}
	return win;
}

/**
 * migoff_auto_record - Account for a batch copied by one side.
 * @e: The migrator the reason is routed to.
 * @reason: enum migoff_reason.
 * @class: The batch's size class.
 * @side: The side that copied it.
 * @ns: How long the copy took.
 * @bytes: The bytes it copied (0 if it copied nothing).
 *
 * Context: Any context; lockless.
 */
void migoff_auto_record(struct migoff_engine *e, unsigned int reason,
			unsigned int class, enum migoff_auto_side side, u64 ns,
			u64 bytes)
{
	struct auto_state *s = &state[reason][class];
	struct migoff_auto_est *est = side == MIGOFF_AUTO_CPU ? &s->cpu :
		mig_est(e, reason, class);
	u64 old = READ_ONCE(est->ns_per_mib), sample;

	atomic64_inc(&s->batches[side]);
	if (bytes) {
		sample = per_mib(ns, bytes);
	} else {
		/* Nothing copied: as costly as a failure can be made to look. */
		sample = READ_ONCE(s->cpu.ns_per_mib);
		sample = sample ? sample * AUTO_FAIL_FACTOR : U32_MAX;
	}
	if (old)
		sample = old - (old >> AUTO_EWMA_SHIFT) + (sample >> AUTO_EWMA_SHIFT);
	WRITE_ONCE(est->ns_per_mib, max_t(u64, sample, 1));
}

/**
 * migoff_auto_get - Read the estimates of a reason.
 * @e: The migrator the reason is routed to, or NULL (no migrator estimates).
 * @reason: enum migoff_reason.
 * @a: Filled in: nr_classes and classes.
 *
 * Context: Under migoff_policy_mutex (@e stays registered).
 */
void migoff_auto_get(struct migoff_engine *e, unsigned int reason,
		     struct migoff_auto *a)
{
	unsigned int c;

	lockdep_assert_held(&migoff_policy_mutex);
	a->nr_classes = MIGOFF_AUTO_CLASSES;
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

/**
 * migoff_auto_reset_stats - Zero the batch counts (not the estimates).
 *
 * Context: Process context, under migoff_policy_mutex.
 */
void migoff_auto_reset_stats(void)
{
	unsigned int r, c;

	lockdep_assert_held(&migoff_policy_mutex);
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		for (c = 0; c < MIGOFF_AUTO_CLASSES; c++) {
			atomic64_set(&state[r][c].batches[0], 0);
			atomic64_set(&state[r][c].batches[1], 0);
			atomic64_set(&state[r][c].probes, 0);
		}
	}
}

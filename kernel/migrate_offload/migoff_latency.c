// SPDX-License-Identifier: GPL-2.0
/*
 * A first-folio latency target for offloaded batches (latency_us of
 * MIGOFF_IOC_SET_BATCH).
 *
 * migrate_pages() unmaps a whole batch, copies it, and only then moves
 * its folios back into place, so the first folio of a batch stays
 * unmapped for about as long as the batch takes: a bigger batch amortises
 * a copy engine's setup over more folios and makes the first folio wait
 * longer. Given a target, the engine sizes batches so that the first folio
 * waits no longer than that.
 *
 * It measures rather than models: the mm core tells the migrator, for
 * every offloaded batch, how long its first folio waited and how many base
 * pages the batch held (first_folio_moved() of struct migrator, which the
 * core hands to migoff_latency_sample()); while a target is set, those of a
 * routed reason are recorded. Decayed sums of both give the wait per base page of
 * recent batches, big batches weighing more than small ones, and the
 * batch cap handed to the mm core becomes the pages that fit in 15/16 of
 * the target (a margin for noise), never more than max_pages. Since the
 * wait per page includes a fixed cost per batch, a smaller cap measures a
 * higher cost per page, so the cap converges from either side to the
 * batch whose wait is the target.
 *
 * Changing the cap takes the mm core's registration mutex, so the
 * sample, taken in the migrating task (possibly kswapd, with the rest of
 * the batch still locked), only records the estimate; a work item hands
 * the new cap over when it differs by more than an eighth from the one in
 * force.
 *
 * Locking: the target is set under migoff_policy_mutex. The sums are
 * under est_lock; a sample only tries it, and a batch that finds it taken
 * leaves its sample out rather than wait for another CPU's. The work
 * calls the core's resync function, which takes the policy mutex; nothing
 * waits for the work under that mutex. Samples count for the kernel
 * reasons the core routes
 * (migoff_latency_set_routed()): this file calls nothing of the core.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/migrate_copy_offload.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "migoff_core.h"

/* Sums keep 7/8 of their past per batch. */
#define LAT_DECAY_SHIFT		3

static u32 target_us;			/* under the policy mutex; READ_ONCE */
static unsigned long routed_mr;		/* BIT(enum migrate_reason)s routed */
static void (*resync)(void);		/* hands the cap over, from the work */
static DEFINE_SPINLOCK(est_lock);
static u64 sum_ns, sum_pages;		/* under est_lock */
static u32 want_pages;			/* the cap the estimate asks for; 0: none */
static u32 applied_pages;		/* the cap last handed over; 0: none */
static u32 limit_pages;			/* max_pages when it was handed over */

static void latency_work_fn(struct work_struct *w);
static DECLARE_WORK(latency_work, latency_work_fn);

static void latency_work_fn(struct work_struct *w)
{
	if (READ_ONCE(target_us))
		resync();
}

/* Pages that fit in 15/16 of @target_us at @ns per @pages; 0: no estimate. */
static u32 fit_pages(u32 target_us, u64 ns, u64 pages)
{
	u64 target_ns = (u64)target_us * NSEC_PER_USEC;

	if (!target_ns || !ns || !pages)
		return 0;
	return clamp_t(u64, mul_u64_u64_div_u64(target_ns - target_ns / 16, pages, ns),
		       1, MIGOFF_MAX_BATCH_PAGES);
}

/**
 * migoff_latency_sample - Record how long a batch kept its first folio.
 * @mr: The migration reason of the batch.
 * @nr_folios: Folios of the batch.
 * @nr_pages: Base pages of the batch.
 * @latency_ns: Time from the start of the batch until its first folio was
 *	mapped again.
 *
 * Context: The migrating task, from the mm core's first_folio_moved()
 * callback; may sleep, but the batch's other folios are still locked.
 */
void migoff_latency_sample(enum migrate_reason mr, unsigned int nr_folios,
			   unsigned int nr_pages, u64 latency_ns)
{
	u32 target = READ_ONCE(target_us), want, now;
	u64 ns, pages;

	if (!target || (unsigned int)mr >= BITS_PER_LONG ||
	    !(READ_ONCE(routed_mr) & BIT(mr)) || !nr_pages)
		return;

	if (!spin_trylock(&est_lock))
		return;
	sum_ns += latency_ns - (sum_ns >> LAT_DECAY_SHIFT);
	sum_pages += nr_pages - (sum_pages >> LAT_DECAY_SHIFT);
	ns = sum_ns;
	pages = sum_pages;
	spin_unlock(&est_lock);

	want = fit_pages(target, ns, pages);
	WRITE_ONCE(want_pages, want);
	/* Compare caps as they would be handed over: never above max_pages. */
	want = min(want, READ_ONCE(limit_pages));
	now = READ_ONCE(applied_pages);
	if (!now || abs_diff(want, now) > now / 8)
		schedule_work(&latency_work);
}

/**
 * migoff_latency_cap - The batch cap under the latency target.
 * @max_pages: The cap without a target (max_pages of SET_BATCH, resolved).
 *
 * Records the result as the cap in force; the caller hands it over.
 *
 * Context: Process context, under migoff_policy_mutex.
 * Return: @max_pages, or fewer pages if the target asks for fewer.
 */
u32 migoff_latency_cap(u32 max_pages)
{
	u32 want = READ_ONCE(want_pages), cap = max_pages;

	lockdep_assert_held(&migoff_policy_mutex);
	if (target_us && want)
		cap = min(want, max_pages);
	WRITE_ONCE(limit_pages, max_pages);
	WRITE_ONCE(applied_pages, target_us ? cap : 0);
	return cap;
}

/**
 * migoff_latency_get - The latency target.
 *
 * Context: Any context.
 * Return: The target in microseconds, 0 for none.
 */
u32 migoff_latency_get(void)
{
	return READ_ONCE(target_us);
}

/**
 * migoff_latency_set - Set or clear the latency target.
 * @us: Target in microseconds, 0 for none; at most MIGOFF_MAX_LATENCY_US.
 *
 * The estimate is kept: the wait per page does not depend on the target,
 * so a new target applies at once if there is one. The caller hands the
 * cap over.
 *
 * Context: Process context, under migoff_policy_mutex.
 * Return: 0, or -ERANGE for a target above the limit (nothing changed then).
 */
int migoff_latency_set(u32 us)
{
	lockdep_assert_held(&migoff_policy_mutex);
	if (us > MIGOFF_MAX_LATENCY_US)
		return -ERANGE;
	spin_lock(&est_lock);
	WRITE_ONCE(want_pages, fit_pages(us, sum_ns, sum_pages));
	spin_unlock(&est_lock);
	WRITE_ONCE(target_us, us);
	return 0;
}

/**
 * migoff_latency_set_routed - Tell which migrations the target applies to.
 * @mr_mask: BIT(enum migrate_reason) of each kernel reason routed.
 *
 * Context: Under migoff_policy_mutex, at each route change.
 */
void migoff_latency_set_routed(unsigned long mr_mask)
{
	lockdep_assert_held(&migoff_policy_mutex);
	WRITE_ONCE(routed_mr, mr_mask);
}

/**
 * migoff_latency_init - Set up the latency target (none).
 * @fn: Hands a changed cap over to the mm core; called from a work item,
 *      without locks held, while a target is set.
 *
 * Context: Module init.
 */
void migoff_latency_init(void (*fn)(void))
{
	resync = fn;
}

/**
 * migoff_latency_exit - Drop the pending work.
 *
 * Context: Process context, module exit, once the mm core no longer calls
 * migoff_latency_sample().
 */
void migoff_latency_exit(void)
{
	cancel_work_sync(&latency_work);
}

/**
 * migoff_latency_effective - The batch cap in force.
 * @max_pages: The cap without a target (resolved max_pages).
 *
 * Context: Any context.
 * Return: The cap offloaded batches have now.
 */
u32 migoff_latency_effective(u32 max_pages)
{
	u32 applied = READ_ONCE(applied_pages);

	return READ_ONCE(target_us) && applied ? min(applied, max_pages) : max_pages;
}

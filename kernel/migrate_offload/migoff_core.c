// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_offload.ko: the page migration copy-offload engine.
 *
 * It is the one migrator the mm core sees (migrate_offload_register()).
 * Behind it, migrators register with migoff_register_engine() and each
 * migration reason is routed to one of them, or to none. Batches of a
 * routed reason go to its migrator; the rest of the policy (batch caps,
 * parameters, statistics) is here too, driven from /dev/migrate_offload.
 *
 * The module's files, in layers (the Makefile lists them in this order; a
 * file calls functions of lower layers only):
 *
 *   3  migoff_main.c     module init and exit: the layers up, then down
 *   2  migoff_chardev.c  /dev/migrate_offload       the front ends: they
 *      migoff_netlink.c  generic netlink family     call the core, never
 *                                                   each other
 *   1  migoff_core.c     engines, routes, batch caps, statistics, the mm
 *                        callback; reports changes and fallbacks to
 *                        whoever registered for its events (netlink)
 *   0  migoff_quota.c    per-cgroup quotas          the policies the core
 *      migoff_auto.c     automatic routing          consults: they keep
 *      migoff_latency.c  first-folio latency target their own state and
 *      migoff_cpu.c      the built-in CPU copy      call nothing above
 *
 * The one thing shared upwards is migoff_policy_mutex, which the layer 0
 * files assert (lockdep) but never take.
 *
 * Locking:
 *  - migoff_policy_mutex serialises every change: the engine registry,
 *    routes, batch caps, parameters, and registration with the mm core.
 *  - The copy path takes no lock. It reads the route of its reason under
 *    migoff_srcu; a route change publishes the new engine pointer, waits
 *    for an SRCU grace period, and only then deactivates the old engine
 *    and drops its module reference. A routed engine's module is pinned.
 *    The grace period may last as long as a batch (a DMA copy has up to
 *    its timeout), so the route change waits for it *without* the policy
 *    mutex: readers (GET_*, the netlink dump) and other changes go on.
 *    An engine waiting for its deactivation that is routed again
 *    meanwhile is simply kept (its module reference carries over); the
 *    deactivation is done only by the change that made the last request
 *    (deactivate_seq), after its own grace period.
 *  - The mm core's reason mask follows the routes, handed over by
 *    mm_mask_apply() after the policy mutex is dropped: removing a reason
 *    makes the mm core wait for its batches still in the migrator. The
 *    mm core has this file's migrator registered from the first route to
 *    module exit; the module pins itself while anything is routed.
 *  - migoff_policy_gen() counts the changes of what a netlink dump walks
 *    (engines, routes, quotas), so that a dump spanning a change is
 *    flagged NLM_F_DUMP_INTR.
 *  - Events (struct migoff_event) go to a blocking notifier chain, always
 *    from process context: configuration changes from their ioctl, after
 *    the change; fallbacks, counted lock-free in the copy path, from a
 *    delayed work item at most ten times a second, one event per reason.
 *  - Counters are per CPU (this_cpu_add() in the copy path), summed by
 *    readers, and may be read while they change.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/ktime.h>
#include <linux/migrate.h>
#include <linux/migrate_copy_offload.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "migoff_core.h"

/* Serialises every policy change; see "Locking" above. */
DEFINE_MUTEX(migoff_policy_mutex);
DEFINE_STATIC_SRCU(migoff_srcu);

static LIST_HEAD(engines);		/* under migoff_policy_mutex */
static unsigned int nr_engines;
static u32 next_engine_id;
static struct migoff_engine __rcu *routes[MIGOFF_REASON_COUNT];
static struct migoff_stat reason_stat[MIGOFF_REASON_COUNT];
/*
 * Registered with the mm core from the first route on, until module exit;
 * set under migoff_policy_mutex, read by mm_mask_apply() without it.
 */
static bool mm_registered;
/* The mm core's reason mask the routes ask for; under migoff_policy_mutex. */
static unsigned long mm_mask_wanted;
/* Serialises handing mm_mask_wanted over; never taken with the policy mutex. */
static DEFINE_MUTEX(mm_mask_mutex);
/* This module is pinned while anything is routed; under the policy mutex. */
static bool routes_pin;
static u32 policy_gen;			/* under migoff_policy_mutex; READ_ONCE */

/* Between migoff_core_init() and migoff_core_exit(): migrators may register. */
static bool core_up;

static unsigned int min_folios;		/* READ_ONCE in the copy path */
/*
 * The batch cap of offloaded migrations (0: the kernel default). The mm
 * core holds it only while the migrator is registered, and restores the
 * default on unregistration, so it is kept here and handed over on each
 * registration. Written under migoff_policy_mutex, read locklessly.
 */
static unsigned int max_batch_pages;
/* The kernel's NR_MAX_BATCHED_MIGRATION, reported for max_batch_pages 0. */
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
#define MIGOFF_DEFAULT_BATCH_PAGES	HPAGE_PMD_NR
#else
#define MIGOFF_DEFAULT_BATCH_PAGES	512
#endif

/**
 * migoff_policy_changed - Count a change of engines, routes or quotas.
 *
 * Context: Under migoff_policy_mutex.
 */
static void migoff_policy_changed(void)
{
	lockdep_assert_held(&migoff_policy_mutex);
	WRITE_ONCE(policy_gen, policy_gen + 1);
}

/**
 * migoff_policy_gen - The number of changes so far.
 *
 * Context: Any context.
 * Return: A count that changes with every migoff_policy_changed().
 */
u32 migoff_policy_gen(void)
{
	return READ_ONCE(policy_gen) + migoff_quota_gen();
}

/* The ABI's counters hold a fallback[8]; each cause needs its slot. */
static_assert(MIGOFF_FALLBACK_COUNT <=
	      ARRAY_SIZE(((struct migoff_counters *)NULL)->fallback));

static BLOCKING_NOTIFIER_HEAD(event_chain);
static atomic64_t fallback_pending[MIGOFF_REASON_COUNT];
static void fallback_work_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(fallback_work, fallback_work_fn);

/**
 * migoff_event_register - Receive the engine's events.
 * @nb: Called with the event type and a const struct migoff_event *, in
 *      process context, possibly under migoff_policy_mutex: it must not
 *      take that mutex, nor wait for anything that does.
 *
 * Context: Process context.
 * Return: 0, or -EEXIST if @nb is registered already.
 */
int migoff_event_register(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&event_chain, nb);
}

/**
 * migoff_event_unregister - Stop receiving the engine's events.
 * @nb: As registered.
 *
 * Waits for a call of @nb in progress.
 *
 * Context: Process context.
 */
void migoff_event_unregister(struct notifier_block *nb)
{
	blocking_notifier_chain_unregister(&event_chain, nb);
}

/**
 * migoff_event_emit - Report a change to the event receivers.
 * @ev: The event; only the fields of its type are read.
 *
 * Context: Process context (the receivers may sleep); the caller may hold
 * migoff_policy_mutex (changes are reported under it, in order).
 */
void migoff_event_emit(const struct migoff_event *ev)
{
	blocking_notifier_call_chain(&event_chain, ev->type, (void *)ev);
}

/* Copy path: count fallbacks, report them soon. Any context. */
static void fallback_note(unsigned int reason, unsigned int nr)
{
	atomic64_add(nr, &fallback_pending[reason]);
	if (!delayed_work_pending(&fallback_work))
		schedule_delayed_work(&fallback_work, HZ / 10);
}

static void fallback_work_fn(struct work_struct *w)
{
	unsigned int r;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		u64 n = atomic64_xchg(&fallback_pending[r], 0);

		if (n)
			migoff_event_emit(&(struct migoff_event){
				.type = MIGOFF_EVENT_FALLBACK,
				.reasons = MIGOFF_REASON_BIT(r),
				.folios = n,
			});
	}
}

/* ABI reason -> kernel reason, and back. */
static const enum migrate_reason reason_to_mr[MIGOFF_REASON_COUNT] = {
	[MIGOFF_REASON_COMPACTION] = MR_COMPACTION,
	[MIGOFF_REASON_MEMORY_HOTPLUG] = MR_MEMORY_HOTPLUG,
	[MIGOFF_REASON_SYSCALL] = MR_SYSCALL,
	[MIGOFF_REASON_MEMPOLICY_MBIND] = MR_MEMPOLICY_MBIND,
	[MIGOFF_REASON_NUMA_MISPLACED] = MR_NUMA_MISPLACED,
	[MIGOFF_REASON_CONTIG_RANGE] = MR_CONTIG_RANGE,
	[MIGOFF_REASON_LONGTERM_PIN] = MR_LONGTERM_PIN,
	[MIGOFF_REASON_DEMOTION] = MR_DEMOTION,
	[MIGOFF_REASON_DAMON] = MR_DAMON,
};

/* The kernel's trace names of the reasons. */
const char * const migoff_reason_names[MIGOFF_REASON_COUNT] =
	MIGOFF_REASON_NAMES_INIT;

/**
 * migoff_reason_of - The ABI reason of a kernel migration reason.
 * @mr: enum migrate_reason.
 *
 * Context: Any context.
 * Return: enum migoff_reason, or -1 for a reason the ABI does not route.
 */
static int migoff_reason_of(int mr)
{
	int r;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (reason_to_mr[r] == mr)
			return r;
	return -1;
}

static void stat_add(struct migoff_stat *s, unsigned int copied, u64 bytes,
		     u64 ns, int fb, unsigned int nr_fb)
{
	struct migoff_stat_cpu __percpu *c = s->cpu;

	this_cpu_inc(c->batches);
	this_cpu_add(c->folios, copied);
	this_cpu_add(c->bytes, bytes);
	this_cpu_add(c->copy_ns, ns);
	if (nr_fb)
		this_cpu_add(c->fallback[fb], nr_fb);
}

static void stat_fallback(struct migoff_stat *s, int fb, unsigned int nr)
{
	this_cpu_add(s->cpu->fallback[fb], nr);
}

static void note_fallback(struct migoff_engine *e, unsigned int reason, int fb,
			  unsigned int nr)
{
	stat_fallback(&reason_stat[reason], fb, nr);
	stat_fallback(&e->stat, fb, nr);
	fallback_note(reason, nr);
}

/**
 * migoff_batch_take_out - Take some folio pairs out of a migration batch.
 * @dst_list: Destination folios of the batch.
 * @src_list: Source folios, in the same order.
 * @nr: Pairs in the batch.
 * @out: Bitmap of @nr bits: the positions to take out.
 * @ex_dst: Gets the destinations taken out, in batch order.
 * @ex_src: Gets the sources taken out, in batch order.
 *
 * The batch keeps the other pairs, in their order.
 * migoff_batch_put_back() undoes it exactly.
 *
 * Context: Any context; the caller owns the lists.
 * Return: The number of pairs taken out.
 */
unsigned int migoff_batch_take_out(struct list_head *dst_list,
				   struct list_head *src_list, unsigned int nr,
				   const unsigned long *out,
				   struct list_head *ex_dst,
				   struct list_head *ex_src)
{
	struct list_head *s = src_list->next, *d = dst_list->next, *s2, *d2;
	unsigned int i, n = 0;

	for (i = 0; i < nr; i++, s = s2, d = d2) {
		s2 = s->next;
		d2 = d->next;
		if (test_bit(i, out)) {
			list_move_tail(s, ex_src);
			list_move_tail(d, ex_dst);
			n++;
		}
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(migoff_batch_take_out);

/**
 * migoff_batch_put_back - Undo migoff_batch_take_out().
 * @dst_list: Destination folios left in the batch.
 * @src_list: Source folios left in the batch.
 * @nr: Pairs in the whole batch.
 * @out: The bitmap given to migoff_batch_take_out().
 * @ex_dst: The destinations it took out, in order; emptied.
 * @ex_src: The sources it took out, in order; emptied.
 *
 * Each pair goes back to the position it had, so the mm core gets its
 * lists back exactly as it handed them over.
 *
 * Context: Any context; the caller owns the lists.
 */
void migoff_batch_put_back(struct list_head *dst_list,
			   struct list_head *src_list, unsigned int nr,
			   const unsigned long *out, struct list_head *ex_dst,
			   struct list_head *ex_src)
{
	struct list_head *s = src_list->next, *d = dst_list->next;
	unsigned int i;

	/* s and d: the entries now at position i (or the heads). */
	for (i = 0; i < nr; i++) {
		if (test_bit(i, out)) {
			list_move_tail(ex_src->next, s);
			list_move_tail(ex_dst->next, d);
		} else {
			s = s->next;
			d = d->next;
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(migoff_batch_put_back);

/* Copied bytes of the first @nr destinations of @dst_list. */
static u64 copied_bytes(struct list_head *dst_list, unsigned int nr,
			unsigned int *copied)
{
	struct folio *dst;
	unsigned int i = 0;
	u64 bytes = 0;

	*copied = 0;
	list_for_each_entry(dst, dst_list, lru) {
		if (i++ == nr)
			break;
		if ((unsigned long)dst->private & FOLIO_CONTENT_COPIED) {
			(*copied)++;
			bytes += folio_size(dst);
		}
	}
	return bytes;
}

/* The bytes of the first @nr folios of @list. */
static u64 batch_bytes(struct list_head *list, unsigned int nr)
{
	struct folio *f;
	u64 bytes = 0;

	list_for_each_entry(f, list, lru) {
		if (!nr--)
			break;
		bytes += folio_size(f);
	}
	return bytes;
}

/*
 * The automatic choice found the CPU cheaper: copy the batch here, so
 * that its cost is measured too. Not a failure of the migrator, so no
 * fallback event; its folios count as MIGOFF_FALLBACK_AUTO. Either
 * objective measures the same here: the copy is this task's own CPU time.
 */
static void migoff_auto_cpu_copy(struct migoff_engine *e, unsigned int reason,
				 unsigned int class, struct list_head *dst_list,
				 struct list_head *src_list, unsigned int nr,
				 u64 bytes, u64 t0)
{
	unsigned int copied;
	u64 t1, copied_b = bytes;
	int rc;

	rc = migrate_folios_mc_copy(dst_list, src_list, nr);
	t1 = ktime_get_ns();
	/* All copied (the common case): @bytes, without walking the batch. */
	if (rc)
		copied_b = copied_bytes(dst_list, nr, &copied);
	migoff_auto_record(e, reason, class, MIGOFF_AUTO_CPU, t1 - t0, copied_b,
			   bytes, t1);
	stat_fallback(&reason_stat[reason], MIGOFF_FALLBACK_AUTO, nr);
	stat_fallback(&e->stat, MIGOFF_FALLBACK_AUTO, nr);
}

/* Quota decisions of batches up to this many folios need no allocation. */
#define QUOTA_ONSTACK_FOLIOS	512

/* The callback the mm core calls for every batch of a routed reason. */
static int migoff_offload_copy(struct list_head *dst_list,
			       struct list_head *src_list,
			       unsigned int nr_folios,
			       enum migrate_reason mr)
{
	int reason = migoff_reason_of(mr), idx, rc = 0, fb;
	DECLARE_BITMAP(out_onstack, QUOTA_ONSTACK_FOLIOS);
	struct migoff_copy_info ci = { .reason = mr };
	unsigned int copied = 0, nr_quota = 0, class = 0;
	unsigned int nr_batch = nr_folios;
	unsigned long *out = NULL;
	struct migoff_engine *e;
	u64 bytes = 0, tried = 0, t0;
	bool auto_on;
	LIST_HEAD(ex_src);
	LIST_HEAD(ex_dst);

	if (reason < 0)
		return 0;	/* not ours: the CPU copies it */

	idx = srcu_read_lock(&migoff_srcu);
	e = srcu_dereference(routes[reason], &migoff_srcu);
	if (!e)
		goto out;
	if (nr_folios < READ_ONCE(min_folios)) {
		note_fallback(e, reason, MIGOFF_FALLBACK_TOO_SMALL, nr_folios);
		goto out;
	}

	/* Under the automatic choice, the CPU copies when it is cheaper. */
	auto_on = migoff_auto_enabled(reason);
	if (auto_on) {
		/* Classed by the mean folio size; measured on every folio's bytes. */
		tried = batch_bytes(src_list, nr_folios);
		class = migoff_auto_class(tried, nr_folios);
		t0 = ktime_get_ns();
		if (migoff_auto_choose(e, reason, class, tried, t0) == MIGOFF_AUTO_CPU) {
			migoff_auto_cpu_copy(e, reason, class, dst_list, src_list,
					     nr_folios, tried, t0);
			goto out;
		}
	}

	/*
	 * Folios over their cgroup's quota stay out of the migrator's batch;
	 * they go back to their places afterwards (the mm core's lists must
	 * come back unchanged).
	 */
	if (migoff_quotas_active()) {
		if (nr_folios <= QUOTA_ONSTACK_FOLIOS) {
			out = out_onstack;
			bitmap_zero(out, nr_folios);
		} else {
			out = bitmap_zalloc(nr_folios, GFP_NOWAIT | __GFP_NOWARN |
					    __GFP_NOMEMALLOC);
			if (!out) {
				note_fallback(e, reason, MIGOFF_FALLBACK_ERROR, nr_folios);
				goto out;
			}
		}
		nr_quota = migoff_quota_filter(src_list, nr_folios, reason, out);
		if (nr_quota) {
			note_fallback(e, reason, MIGOFF_FALLBACK_QUOTA, nr_quota);
			migoff_batch_take_out(dst_list, src_list, nr_folios, out,
					      &ex_dst, &ex_src);
			nr_folios -= nr_quota;
		}
	}
	if (!nr_folios)
		goto put_back;

	t0 = ktime_get_ns();
	rc = e->copy(e, dst_list, src_list, nr_folios, &ci);
	t0 = ktime_get_ns() - t0;

	bytes = copied_bytes(dst_list, nr_folios, &copied);
	if (auto_on) {
		u64 cost = t0;

		/* CPU time: the task's own (minus its waits) and its helpers'. */
		if (migoff_auto_cpu_time(reason))
			cost = (t0 - min(ci.wait_ns, t0)) + ci.cpu_ns;
		/* Folios the quota took out were not offered to the migrator. */
		if (nr_quota)
			tried = batch_bytes(src_list, nr_folios);
		migoff_auto_record(e, reason, class, MIGOFF_AUTO_MIGRATOR, cost,
				   bytes, tried, ktime_get_ns());
	}
	fb = rc == -ETIMEDOUT ? MIGOFF_FALLBACK_TIMEOUT :
	     rc == -EBUSY ? MIGOFF_FALLBACK_BUSY : MIGOFF_FALLBACK_ERROR;
	stat_add(&reason_stat[reason], copied, bytes, t0, fb, nr_folios - copied);
	stat_add(&e->stat, copied, bytes, t0, fb, nr_folios - copied);
	if (copied < nr_folios)
		fallback_note(reason, nr_folios - copied);
	if (out)
		migoff_quota_account(dst_list, src_list, nr_folios, reason, bytes,
				     ci.cpu_ns);
put_back:
	if (nr_quota)
		migoff_batch_put_back(dst_list, src_list, nr_batch, out,
				      &ex_dst, &ex_src);
	if (out != out_onstack)
		bitmap_free(out);
out:
	srcu_read_unlock(&migoff_srcu, idx);
	return rc;
}

/* The first-folio latency of offloaded batches feeds the latency target. */
static struct migrator migoff_migrator = {
	.name = "migrate_offload",
	.offload_copy = migoff_offload_copy,
	.first_folio_moved = migoff_latency_sample,
};

/* Registry. Callers hold migoff_policy_mutex. */

struct migoff_engine *migoff_find_engine(const char *name)
{
	struct migoff_engine *e;

	list_for_each_entry(e, &engines, node)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

struct migoff_engine *migoff_engine_by_index(unsigned int index)
{
	struct migoff_engine *e;

	list_for_each_entry(e, &engines, node)
		if (!index--)
			return e;
	return NULL;
}

struct migoff_engine *migoff_engine_by_id(u32 id)
{
	struct migoff_engine *e;

	list_for_each_entry(e, &engines, node)
		if (e->id == id)
			return e;
	return NULL;
}

unsigned int migoff_nr_engines(void)
{
	return nr_engines;
}

u64 migoff_engine_reasons(struct migoff_engine *e)
{
	u64 mask = 0;
	int r;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (rcu_access_pointer(routes[r]) == e)
			mask |= MIGOFF_REASON_BIT(r);
	return mask;
}

/**
 * migoff_route_engine - The migrator a reason is routed to.
 * @reason: enum migoff_reason.
 *
 * Context: Under migoff_policy_mutex; the migrator stays registered while
 * it is held.
 * Return: The migrator, or NULL when @reason is not offloaded.
 */
struct migoff_engine *migoff_route_engine(unsigned int reason)
{
	lockdep_assert_held(&migoff_policy_mutex);
	return rcu_dereference_protected(routes[reason],
					 lockdep_is_held(&migoff_policy_mutex));
}

u32 migoff_route_id(unsigned int reason)
{
	struct migoff_engine *e = migoff_route_engine(reason);

	return e ? e->id : MIGOFF_NO_MIGRATOR;
}

/*
 * Forget the automatic routing estimates of @reasons, the reason's own and
 * every migrator's: they were measured for another route, or are reset.
 */
static void auto_forget(u64 reasons)
{
	struct migoff_engine *e;
	unsigned int r;

	lockdep_assert_held(&migoff_policy_mutex);
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		if (!(reasons & MIGOFF_REASON_BIT(r)))
			continue;
		migoff_auto_reset(NULL, r);
		list_for_each_entry(e, &engines, node)
			migoff_auto_reset(e, r);
	}
}

/*
 * Record @mask, the kernel reasons of the routes after a change, for
 * mm_mask_apply(); pin this module while anything is routed.
 */
static void migoff_sync_mm(unsigned long mask)
{
	lockdep_assert_held(&migoff_policy_mutex);
	migoff_latency_set_routed(mask);
	WRITE_ONCE(mm_mask_wanted, mask);
	if (mask && !routes_pin)
		__module_get(THIS_MODULE);
	else if (!mask && routes_pin)
		module_put(THIS_MODULE);
	routes_pin = !!mask;
}

/*
 * Hand the mm core the latest mask the routes ask for. When that removes
 * reasons, the mm core waits for the batches of those reasons still in the
 * migrator (an SRCU grace period, as long as a DMA copy may take), so this
 * runs without migoff_policy_mutex: readers and other changes go on. Each
 * call applies the mask wanted when it gets mm_mask_mutex, so the last one
 * leaves the mm core with the last mask recorded.
 */
static void mm_mask_apply(void)
{
	lockdep_assert_not_held(&migoff_policy_mutex);
	mutex_lock(&mm_mask_mutex);
	if (READ_ONCE(mm_registered))
		migrate_offload_set_reason_mask(&migoff_migrator,
						READ_ONCE(mm_mask_wanted));
	mutex_unlock(&mm_mask_mutex);
}

/*
 * Route @reasons to @e (NULL: no offload), with the automatic choice
 * between @e and the CPU if @auto_on, weighing CPU time if @cpu_time (else
 * wall time). All or nothing: on error no route changes.
 */
int migoff_route(u64 reasons, struct migoff_engine *e, bool auto_on,
		 bool cpu_time)
{
	struct migoff_engine *old[MIGOFF_REASON_COUNT + 1] = { NULL };
	u64 seq[MIGOFF_REASON_COUNT + 1];
	unsigned long mask = 0;
	bool revived = false;
	int r, ret;

	lockdep_assert_held(&migoff_policy_mutex);

	if (e && !e->nr_routes && e->deactivate_pending) {
		/* Still active, and its module reference is still held. */
		revived = true;
	} else if (e && !e->nr_routes) {
		if (e->available && !e->available(e))
			return -ENODEV;
		if (!try_module_get(e->owner))
			return -ENODEV;
		if (e->activate) {
			ret = e->activate(e);
			if (ret) {
				module_put(e->owner);
				return ret;
			}
		}
	}

	/* The mm core must accept the new reasons before any route changes. */
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		bool routed = (reasons & MIGOFF_REASON_BIT(r)) ? !!e :
			!!rcu_access_pointer(routes[r]);

		if (routed)
			mask |= BIT(reason_to_mr[r]);
	}
	if (mask && !mm_registered) {
		/* With no reason yet: mm_mask_apply() hands them over. */
		ret = migrate_offload_register(&migoff_migrator, 0);
		if (ret) {
			if (e && !e->nr_routes && !revived) {
				if (e->deactivate)
					e->deactivate(e);
				module_put(e->owner);
			}
			return ret;
		}
		WRITE_ONCE(mm_registered, true);
		migoff_batch_sync();
	}

	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		struct migoff_engine *prev;

		if (!(reasons & MIGOFF_REASON_BIT(r)))
			continue;
		prev = rcu_dereference_protected(routes[r],
						 lockdep_is_held(&migoff_policy_mutex));
		if (prev == e)
			continue;
		rcu_assign_pointer(routes[r], e);
		if (e)
			e->nr_routes++;
		if (prev)
			prev->nr_routes--;
		old[r] = prev;
	}
	if (e && e->nr_routes)
		e->deactivate_pending = false;
	/* A newly routed engine that got no reason (all already its own). */
	old[MIGOFF_REASON_COUNT] = e;
	migoff_auto_set(reasons, e && auto_on, cpu_time);
	auto_forget(reasons);
	migoff_sync_mm(mask);
	migoff_policy_changed();

	/* Request the deactivation of each engine left without a route, once. */
	for (r = 0; r <= MIGOFF_REASON_COUNT; r++) {
		struct migoff_engine *prev = old[r];
		int s;

		if (!prev || prev->nr_routes) {
			old[r] = NULL;
			continue;
		}
		for (s = r + 1; s <= MIGOFF_REASON_COUNT; s++)
			if (old[s] == prev)
				old[s] = NULL;
		prev->deactivate_pending = true;
		seq[r] = ++prev->deactivate_seq;
	}

	/* No batch runs in an engine that lost its last route after this. */
	mutex_unlock(&migoff_policy_mutex);
	mm_mask_apply();
	synchronize_srcu(&migoff_srcu);
	mutex_lock(&migoff_policy_mutex);
	for (r = 0; r <= MIGOFF_REASON_COUNT; r++) {
		struct migoff_engine *prev = old[r];

		/* Routed again meanwhile, or requested again by a later change. */
		if (!prev || !prev->deactivate_pending ||
		    prev->deactivate_seq != seq[r])
			continue;
		prev->deactivate_pending = false;
		if (prev->deactivate)
			prev->deactivate(prev);
		module_put(prev->owner);
	}
	return 0;
}

/**
 * migoff_get_batch - Read the batch caps.
 * @a: Gets max_pages (resolved: never 0), min_folios, latency_us and
 *	effective_pages.
 *
 * Context: Any context; lockless, so the fields may come from around a
 * concurrent change.
 */
void migoff_get_batch(struct migoff_batch *a)
{
	u32 max = READ_ONCE(max_batch_pages) ? : MIGOFF_DEFAULT_BATCH_PAGES;

	a->max_pages = max;
	a->min_folios = READ_ONCE(min_folios);
	a->latency_us = migoff_latency_get();
	a->effective_pages = migoff_latency_effective(max);
}

/**
 * migoff_batch_sync - Hand the batch cap in force to the mm core.
 *
 * The cap is max_pages, or fewer pages under a latency target.
 *
 * Context: Process context, under migoff_policy_mutex.
 */
void migoff_batch_sync(void)
{
	u32 max = max_batch_pages ? : MIGOFF_DEFAULT_BATCH_PAGES;
	u32 cap = migoff_latency_cap(max);

	lockdep_assert_held(&migoff_policy_mutex);
	if (!mm_registered)
		return;
	if (cap == max)
		cap = max_batch_pages;
	/* Cannot fail: in range, and we are the registered migrator. */
	WARN_ON_ONCE(migrate_offload_set_max_batch_bytes(&migoff_migrator,
							 (unsigned long)cap << PAGE_SHIFT));
}

/**
 * migoff_set_batch - Change the batch caps.
 * @flags: MIGOFF_BATCH_SET_*: the caps to change.
 * @max_pages: Batch cap in base pages, 0 for the default.
 * @min: Smallest batch offloaded, in folios.
 * @latency_us: First-folio latency target, 0 for none.
 *
 * All or nothing: every value is checked before anything changes.
 *
 * Context: Process context, under migoff_policy_mutex.
 * Return: 0, -ERANGE for a value out of range, or the error of the
 * latency probe's registration.
 */
int migoff_set_batch(u32 flags, u32 max_pages, u32 min, u32 latency_us)
{
	int ret;

	lockdep_assert_held(&migoff_policy_mutex);
	if ((flags & MIGOFF_BATCH_SET_MAX_PAGES) &&
	    max_pages > MIGOFF_MAX_BATCH_PAGES)
		return -ERANGE;
	if ((flags & MIGOFF_BATCH_SET_MIN_FOLIOS) &&
	    min > MIGOFF_MAX_BATCH_PAGES)
		return -ERANGE;
	/* The only step that can fail (range included) comes first. */
	if (flags & MIGOFF_BATCH_SET_LATENCY) {
		ret = migoff_latency_set(latency_us);
		if (ret)
			return ret;
	}
	if (flags & MIGOFF_BATCH_SET_MAX_PAGES)
		WRITE_ONCE(max_batch_pages, max_pages);
	if (flags & MIGOFF_BATCH_SET_MIN_FOLIOS)
		WRITE_ONCE(min_folios, min);
	migoff_batch_sync();
	return 0;
}

/* The counters of @s, summed over the CPUs. */
void migoff_stat_read(struct migoff_stat *s, struct migoff_counters *c)
{
	int cpu, i;

	memset(c, 0, sizeof(*c));
	for_each_possible_cpu(cpu) {
		const struct migoff_stat_cpu *p = per_cpu_ptr(s->cpu, cpu);

		c->batches += READ_ONCE(p->batches);
		c->folios += READ_ONCE(p->folios);
		c->bytes += READ_ONCE(p->bytes);
		c->copy_ns += READ_ONCE(p->copy_ns);
		for (i = 0; i < MIGOFF_FALLBACK_COUNT; i++)
			c->fallback[i] += READ_ONCE(p->fallback[i]);
	}
}

void migoff_reason_counters(unsigned int reason, struct migoff_counters *c)
{
	migoff_stat_read(&reason_stat[reason], c);
}

/* Zero @s. A copy running meanwhile may keep part of its update. */
static void stat_reset(struct migoff_stat *s)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(s->cpu, cpu), 0, sizeof(struct migoff_stat_cpu));
}

static int stat_init(struct migoff_stat *s)
{
	s->cpu = alloc_percpu(struct migoff_stat_cpu);
	return s->cpu ? 0 : -ENOMEM;
}

static void stat_free(struct migoff_stat *s)
{
	free_percpu(s->cpu);
	s->cpu = NULL;
}

void migoff_reset_stats(void)
{
	struct migoff_engine *e;
	int r;

	lockdep_assert_held(&migoff_policy_mutex);
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		stat_reset(&reason_stat[r]);
	list_for_each_entry(e, &engines, node)
		stat_reset(&e->stat);
	migoff_quota_reset_stats();
	auto_forget(MIGOFF_REASONS_ALL);
}

/**
 * migoff_register_engine - Make a migrator available for routing.
 * @e: The migrator; stays valid until migoff_unregister_engine().
 *
 * A migrator built into the kernel registers from late_initcall(): the
 * core comes up at device level, after the DMA drivers link.
 *
 * Context: Process context; takes the policy mutex.
 * Return: 0, -ENODEV before migoff_core_init() or after
 * migoff_core_exit(), -EINVAL for a bad name or missing copy callback,
 * -EEXIST if the name is taken, -ENOMEM if its counters or estimates
 * cannot be allocated.
 */
int migoff_register_engine(struct migoff_engine *e)
{
	int ret;

	if (!READ_ONCE(core_up)) {
		pr_err("migrator %s registered before the engine's core\n",
		       e->name ? e->name : "(unnamed)");
		return -ENODEV;
	}
	if (!e->name || !e->name[0] || strlen(e->name) >= MIGOFF_NAME_LEN ||
	    !e->copy || e->nr_params > MIGOFF_MAX_PARAMS)
		return -EINVAL;
	ret = stat_init(&e->stat);
	if (ret)
		return ret;
	ret = migoff_auto_alloc(e);
	if (ret) {
		stat_free(&e->stat);
		return ret;
	}

	mutex_lock(&migoff_policy_mutex);
	if (migoff_find_engine(e->name)) {
		ret = -EEXIST;
	} else {
		e->id = next_engine_id++;
		e->nr_routes = 0;
		e->deactivate_pending = false;
		list_add_tail(&e->node, &engines);
		nr_engines++;
		migoff_policy_changed();
	}
	mutex_unlock(&migoff_policy_mutex);
	if (ret) {
		migoff_auto_free(e);
		stat_free(&e->stat);
		return ret;
	}
	pr_info("migrator %s registered (id %u)\n", e->name, e->id);
	return 0;
}
EXPORT_SYMBOL_GPL(migoff_register_engine);

/**
 * migoff_unregister_engine - Withdraw a migrator.
 * @e: A registered migrator.
 *
 * A routed migrator's module is pinned, so this only runs for migrators
 * no reason is routed to.
 *
 * Context: Process context; takes the policy mutex.
 */
void migoff_unregister_engine(struct migoff_engine *e)
{
	mutex_lock(&migoff_policy_mutex);
	WARN_ON(e->nr_routes || e->deactivate_pending);
	list_del(&e->node);
	nr_engines--;
	migoff_policy_changed();
	mutex_unlock(&migoff_policy_mutex);
	migoff_auto_free(e);
	stat_free(&e->stat);
	pr_info("migrator %s unregistered\n", e->name);
}
EXPORT_SYMBOL_GPL(migoff_unregister_engine);

static void reason_stats_free(void)
{
	int r;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		stat_free(&reason_stat[r]);
}

/* The latency estimate moved: hand the cap over (from its work item). */
static void latency_resync(void)
{
	mutex_lock(&migoff_policy_mutex);
	migoff_batch_sync();
	mutex_unlock(&migoff_policy_mutex);
}

/**
 * migoff_core_init - Set up the core, with the CPU migrator registered.
 *
 * Context: Module init, before the front ends.
 * Return: 0, or the error of a statistics allocation or of the CPU
 * migrator's registration.
 */
int __init migoff_core_init(void)
{
	int r, ret;

	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		ret = stat_init(&reason_stat[r]);
		if (ret)
			goto err_stats;
	}
	migoff_latency_init(latency_resync);
	WRITE_ONCE(core_up, true);
	ret = migoff_register_engine(&migoff_cpu_engine);
	if (ret)
		goto err_stats;
	return 0;
err_stats:
	WRITE_ONCE(core_up, false);
	reason_stats_free();
	return ret;
}

/**
 * migoff_core_exit - Tear the core down.
 *
 * While any reason is routed, this module holds a reference on itself,
 * so this runs with no routes left; the front ends are gone, and with them
 * every event receiver. Unregistering from the mm core waits for the
 * batches still in the migrator (none of a routed reason is left).
 *
 * Context: Module exit, after the front ends.
 */
void migoff_core_exit(void)
{
	bool registered;

	/*
	 * The latency work first: it resyncs the batch cap with the mm core
	 * under the policy mutex. The mask has been empty since the last
	 * route went, so no sample can queue it again.
	 */
	migoff_latency_exit();
	mutex_lock(&migoff_policy_mutex);
	registered = mm_registered;
	WRITE_ONCE(mm_registered, false);
	mutex_unlock(&migoff_policy_mutex);
	if (registered)
		migrate_offload_unregister(&migoff_migrator);
	cancel_delayed_work_sync(&fallback_work);
	migoff_quota_exit();
	migoff_unregister_engine(&migoff_cpu_engine);
	WRITE_ONCE(core_up, false);
	reason_stats_free();
}

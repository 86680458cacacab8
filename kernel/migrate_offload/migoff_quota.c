// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cgroup quotas of offloaded copies.
 *
 * A quota is a token bucket of bytes for a cgroup v2 subtree. A folio is
 * charged to the memcg that owns its source folio and is governed by the
 * quota of the nearest cgroup, from that memcg's cgroup up to the root,
 * that has a quota for the migration's reason: as with cgroup controllers,
 * a parent's quota covers its descendants unless one of them has its own.
 * A folio may be offloaded only if that bucket holds its size; otherwise
 * it is taken out of the batch handed to the migrator, the CPU copies it in
 * the move phase, and it counts as a quota fallback. Nothing is lost either
 * way. (The memcg is that of the nearest ancestor with the memory
 * controller enabled, so a quota on a cgroup without it governs the folios
 * of its subtree that are charged below it.)
 *
 * Quotas are keyed by cgroup id (ids are never reused) and hold a
 * reference on their cgroup, so that whether it is gone is a property of
 * the cgroup (its own css offline), not of who asks: a lookup by id
 * (cgroup_get_from_id()) only finds cgroups inside the caller's cgroup
 * namespace, and a privileged caller in a nested namespace must not see,
 * and prune, the host's quotas as gone. A quota whose cgroup is gone
 * matches no folio (its id is no folio's), is never reported, and is
 * dropped the next time quotas are changed: reading quotas (GET_QUOTA,
 * the netlink dump) changes nothing. Only cgroup v2 ids are quota keys:
 * with the memory controller on a v1 hierarchy, a folio's memcg has a v1
 * cgroup, whose id could equal a v2 one, and no quota applies to it.
 *
 * The bucket arithmetic (migoff_bucket_refill()) is exact for every rate,
 * burst and time gap a u64 can hold, so SET_QUOTA takes any non-zero rate
 * and burst: a refill saturates instead of wrapping, a clock that goes
 * backwards credits nothing, and no division can overflow.
 *
 * Locking: the quota list is changed under migoff_policy_mutex and read
 * under RCU by the copy path; each bucket has its own spinlock, taken in
 * process context only, once per run of folios of one quota in a batch,
 * with the clock read once per batch; the statistics are per CPU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/bitmap.h>
#include <linux/cgroup.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "migoff_core.h"

/* One CPU's share of a quota's statistics. */
struct migoff_quota_stat {
	u64 bytes_off;
	u64 bytes_ref;
	u64 folios_off;
	u64 folios_ref;
	u64 cpu_ns;
};

struct migoff_quota_ent {
	struct list_head node;
	struct rcu_head rcu;
	u64 cgid;
	struct cgroup *cg;		/* referenced */
	u64 reasons;			/* MIGOFF_REASON_BIT()s, 0: all */
	spinlock_t lock;		/* bucket */
	struct migoff_bucket bucket;
	struct migoff_quota_stat __percpu *stat;
};

static LIST_HEAD(quotas);		/* RCU; changed under the policy mutex */
static u32 quota_gen;			/* changes of the list; under the mutex */
static unsigned int nr_quotas;

/* Bytes a bucket refilling at @rate gains in @gap ns, saturating. */
static u64 bucket_refill_bytes(u64 gap, u64 rate)
{
	u32 rem;
	u64 secs = div_u64_rem(gap, NSEC_PER_SEC, &rem);
	u64 whole, part, sum;

	if (check_mul_overflow(secs, rate, &whole))
		return U64_MAX;
	/* rem < NSEC_PER_SEC: the quotient is below @rate and cannot trap. */
	part = mul_u64_u64_div_u64(rem, rate, NSEC_PER_SEC);
	if (check_add_overflow(whole, part, &sum))
		return U64_MAX;
	return sum;
}

/**
 * migoff_bucket_init - Start a full token bucket.
 * @b: The bucket.
 * @rate: Bytes per second.
 * @burst: Capacity in bytes.
 * @now: The current time in ns.
 *
 * Context: Any context; the caller serialises access to @b.
 */
void migoff_bucket_init(struct migoff_bucket *b, u64 rate, u64 burst, u64 now)
{
	b->rate = rate;
	b->burst = burst;
	b->tokens = burst;
	b->last_ns = now;
}
EXPORT_SYMBOL_IF_KUNIT(migoff_bucket_init);

/**
 * migoff_bucket_refill - Credit a token bucket with the time up to @now.
 * @b: The bucket.
 * @now: The current time in ns, read by the caller while it serialises
 *	access to @b (so that no later time was stored before it).
 *
 * Adds @b->rate bytes per second since @b->last_ns, up to @b->burst. The
 * arithmetic is exact for any u64 rate, burst and gap: the refill
 * saturates at U64_MAX instead of wrapping (a gap long enough to fill the
 * bucket just fills it), and the only division's quotient is bounded by
 * the gap, so it cannot overflow. A @now earlier than @b->last_ns credits
 * nothing and leaves @b->last_ns alone. Only the time that earned whole
 * bytes is consumed, so frequent calls at a low rate do not lose the
 * fractions.
 *
 * Context: Any context; the caller serialises access to @b.
 */
void migoff_bucket_refill(struct migoff_bucket *b, u64 now)
{
	u64 add;

	if (b->tokens >= b->burst || !b->rate) {
		b->tokens = min(b->tokens, b->burst);
		b->last_ns = max(b->last_ns, now);
		return;
	}
	if (now <= b->last_ns)
		return;
	add = bucket_refill_bytes(now - b->last_ns, b->rate);
	if (add >= b->burst - b->tokens) {
		b->tokens = b->burst;
		b->last_ns = now;
		return;
	}
	if (!add)
		return;		/* less than a byte: keep the time for later */
	b->tokens += add;
	/* add <= gap * rate / 1 s, so this is at most the gap: no overflow. */
	b->last_ns += mul_u64_u64_div_u64(add, NSEC_PER_SEC, b->rate);
}
EXPORT_SYMBOL_IF_KUNIT(migoff_bucket_refill);

/**
 * migoff_quota_gen - The number of changes of the quota list so far.
 *
 * Context: Any context.
 * Return: A count that changes with every quota set, cleared or pruned.
 */
u32 migoff_quota_gen(void)
{
	return READ_ONCE(quota_gen);
}

/**
 * migoff_bucket_take - Refill a token bucket, then take @bytes from it.
 * @b: The bucket.
 * @now: As for migoff_bucket_refill().
 * @bytes: Bytes wanted.
 *
 * Context: Any context; the caller serialises access to @b.
 * Return: true if the bucket held @bytes (they are taken), else false (it
 * is left as refilled).
 */
bool migoff_bucket_take(struct migoff_bucket *b, u64 now, u64 bytes)
{
	migoff_bucket_refill(b, now);
	if (b->tokens < bytes)
		return false;
	b->tokens -= bytes;
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(migoff_bucket_take);

bool migoff_quotas_active(void)
{
	return READ_ONCE(nr_quotas);
}

/* Under rcu_read_lock() or the policy mutex. */
static struct migoff_quota_ent *quota_find(u64 cgid)
{
	struct migoff_quota_ent *q;

	list_for_each_entry_rcu(q, &quotas, node,
				lockdep_is_held(&migoff_policy_mutex))
		if (q->cgid == cgid)
			return q;
	return NULL;
}

static bool quota_applies(const struct migoff_quota_ent *q, unsigned int reason)
{
	u64 reasons = READ_ONCE(q->reasons);

	return !reasons || (reasons & MIGOFF_REASON_BIT(reason));
}

/*
 * The quota governing the folios of @memcg for @reason: that of the
 * nearest cgroup, from @memcg's up to the root, with a quota for @reason.
 * Under rcu_read_lock().
 */
static struct migoff_quota_ent *memcg_quota(struct mem_cgroup *memcg,
					    unsigned int reason)
{
	struct migoff_quota_ent *q;
	struct cgroup *cg;
	int level;

	if (!memcg || !cgroup_subsys_on_dfl(memory_cgrp_subsys))
		return NULL;
	cg = memcg->css.cgroup;
	for (level = cg->level; level >= 0; level--) {
		q = quota_find(cgroup_id(cg->ancestors[level]));
		if (q && quota_applies(q, reason))
			return q;
	}
	return NULL;
}

/* Batches mostly hold the folios of one memcg: remember the last lookup. */
struct quota_cache {
	struct mem_cgroup *memcg;
	struct migoff_quota_ent *q;
	bool valid;
};

static struct migoff_quota_ent *folio_quota(struct folio *folio,
					    unsigned int reason,
					    struct quota_cache *c)
{
	struct mem_cgroup *memcg = folio_memcg(folio);

	if (!c->valid || c->memcg != memcg) {
		c->memcg = memcg;
		c->q = memcg_quota(memcg, reason);
		c->valid = true;
	}
	return c->q;
}

/*
 * Mark in @out (nr bits, zeroed by the caller) the folios of the batch
 * that are over their quota's budget, and count them as refused. Returns
 * how many. The lists are not changed.
 */
unsigned int migoff_quota_filter(struct list_head *src_list, unsigned int nr,
				 unsigned int reason, unsigned long *out)
{
	struct quota_cache cache = { };
	struct migoff_quota_ent *q;
	unsigned int i = 0, n = 0;
	u64 now = ktime_get_ns();
	struct folio *src;

	rcu_read_lock();
	src = list_first_entry(src_list, struct folio, lru);
	while (i < nr) {
		q = folio_quota(src, reason, &cache);
		if (!q) {
			src = list_next_entry(src, lru);
			i++;
			continue;
		}
		/* Batches are mostly of one quota: one lock for the run. */
		spin_lock(&q->lock);
		do {
			if (!migoff_bucket_take(&q->bucket, now, folio_size(src))) {
				this_cpu_add(q->stat->bytes_ref, folio_size(src));
				this_cpu_inc(q->stat->folios_ref);
				__set_bit(i, out);
				n++;
			}
			src = list_next_entry(src, lru);
			i++;
		} while (i < nr && folio_quota(src, reason, &cache) == q);
		spin_unlock(&q->lock);
	}
	rcu_read_unlock();
	return n;
}

/*
 * After a copy: credit each quota with its folios the migrator copied, and
 * with a share of the helper CPU time @cpu_ns in proportion to bytes.
 */
void migoff_quota_account(struct list_head *dst_list, struct list_head *src_list,
			  unsigned int nr, unsigned int reason, u64 bytes_copied,
			  u64 cpu_ns)
{
	struct quota_cache cache = { };
	struct migoff_quota_ent *q;
	struct folio *src, *dst;
	unsigned int i = 0;

	rcu_read_lock();
	dst = list_first_entry(dst_list, struct folio, lru);
	list_for_each_entry(src, src_list, lru) {
		if (i++ == nr)
			break;
		if ((unsigned long)dst->private & FOLIO_CONTENT_COPIED) {
			q = folio_quota(src, reason, &cache);
			if (q) {
				this_cpu_add(q->stat->bytes_off, folio_size(src));
				this_cpu_inc(q->stat->folios_off);
				if (cpu_ns && bytes_copied)
					this_cpu_add(q->stat->cpu_ns,
						     mul_u64_u64_div_u64(cpu_ns, folio_size(src),
									 bytes_copied));
			}
		}
		dst = list_next_entry(dst, lru);
	}
	rcu_read_unlock();
}

static void quota_free_rcu(struct rcu_head *rcu)
{
	struct migoff_quota_ent *q = container_of(rcu, struct migoff_quota_ent, rcu);

	cgroup_put(q->cg);
	free_percpu(q->stat);
	kfree(q);
}

static void quota_del(struct migoff_quota_ent *q)
{
	WRITE_ONCE(quota_gen, quota_gen + 1);
	list_del_rcu(&q->node);
	WRITE_ONCE(nr_quotas, nr_quotas - 1);
	call_rcu(&q->rcu, quota_free_rcu);
}

/*
 * Whether @q's cgroup still exists, whoever asks: cgroup_is_dead() of
 * kernel/cgroup (rmdir clears CSS_ONLINE of the cgroup's own css; the
 * CSS_DYING of css_is_dying() is only set on controllers' css).
 */
static bool quota_live(const struct migoff_quota_ent *q)
{
	return READ_ONCE(q->cg->self.flags) & CSS_ONLINE;
}

/* Drop the quotas of cgroups that are gone. Changes only. */
static void quota_prune(void)
{
	struct migoff_quota_ent *q, *tmp;

	lockdep_assert_held(&migoff_policy_mutex);
	list_for_each_entry_safe(q, tmp, &quotas, node)
		if (!quota_live(q))
			quota_del(q);
}

/*
 * The cgroup v2 an ioctl names, by fd of its directory or by id (as the
 * caller's cgroup namespace sees it), referenced: cgroup_put() it.
 */
struct cgroup *migoff_quota_cgroup(const struct migoff_quota *a)
{
	return (a->flags & MIGOFF_QUOTA_BY_FD) ? cgroup_get_from_fd(a->cgroup_fd) :
		cgroup_get_from_id(a->cgroup_id);
}

/*
 * Set or replace the quota of @cg (referenced by the caller, who keeps
 * its reference); a replaced one keeps its statistics.
 */
int migoff_quota_set(struct cgroup *cg, u64 rate, u64 burst, u64 reasons)
{
	u64 cgid = cgroup_id(cg);
	struct migoff_quota_ent *q;

	lockdep_assert_held(&migoff_policy_mutex);
	quota_prune();
	q = quota_find(cgid);
	if (q) {
		spin_lock(&q->lock);
		migoff_bucket_init(&q->bucket, rate, burst, ktime_get_ns());
		spin_unlock(&q->lock);
		WRITE_ONCE(q->reasons, reasons);
		return 0;
	}
	if (nr_quotas >= MIGOFF_MAX_QUOTAS)
		return -ENOSPC;
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	q->stat = alloc_percpu(struct migoff_quota_stat);
	if (!q->stat) {
		kfree(q);
		return -ENOMEM;
	}
	q->cgid = cgid;
	cgroup_get(cg);
	q->cg = cg;
	q->reasons = reasons;
	spin_lock_init(&q->lock);
	migoff_bucket_init(&q->bucket, rate, burst, ktime_get_ns());
	list_add_tail_rcu(&q->node, &quotas);
	WRITE_ONCE(nr_quotas, nr_quotas + 1);
	WRITE_ONCE(quota_gen, quota_gen + 1);
	return 0;
}

int migoff_quota_clear(u64 cgid)
{
	struct migoff_quota_ent *q;

	lockdep_assert_held(&migoff_policy_mutex);
	quota_prune();
	q = quota_find(cgid);
	if (!q)
		return -ENOENT;
	quota_del(q);
	return 0;
}

static void quota_fill(struct migoff_quota_ent *q, struct migoff_quota *a)
{
	int cpu;

	a->cgroup_id = q->cgid;
	spin_lock(&q->lock);
	a->rate = q->bucket.rate;
	a->burst = q->bucket.burst;
	spin_unlock(&q->lock);
	a->reasons = READ_ONCE(q->reasons);
	a->bytes_offloaded = 0;
	a->bytes_refused = 0;
	a->folios_offloaded = 0;
	a->folios_refused = 0;
	a->copy_cpu_ns = 0;
	for_each_possible_cpu(cpu) {
		const struct migoff_quota_stat *s = per_cpu_ptr(q->stat, cpu);

		a->bytes_offloaded += READ_ONCE(s->bytes_off);
		a->bytes_refused += READ_ONCE(s->bytes_ref);
		a->folios_offloaded += READ_ONCE(s->folios_off);
		a->folios_refused += READ_ONCE(s->folios_ref);
		a->copy_cpu_ns += READ_ONCE(s->cpu_ns);
	}
}

/*
 * The @index-th quota of a live cgroup, or that of @cgid when @by_index is
 * false. A read: quotas of removed cgroups are skipped, not dropped.
 */
int migoff_quota_get(bool by_index, unsigned int index, u64 cgid,
		     struct migoff_quota *a)
{
	struct migoff_quota_ent *q;

	lockdep_assert_held(&migoff_policy_mutex);
	if (!by_index) {
		q = quota_find(cgid);
		if (!q || !quota_live(q))
			return -ENOENT;
		quota_fill(q, a);
		return 0;
	}
	list_for_each_entry(q, &quotas, node) {
		if (!quota_live(q))
			continue;
		if (!index--) {
			quota_fill(q, a);
			return 0;
		}
	}
	return -ENOENT;
}

void migoff_quota_reset_stats(void)
{
	struct migoff_quota_ent *q;
	int cpu;

	lockdep_assert_held(&migoff_policy_mutex);
	list_for_each_entry(q, &quotas, node)
		for_each_possible_cpu(cpu)
			memset(per_cpu_ptr(q->stat, cpu), 0, sizeof(struct migoff_quota_stat));
}

/* Module exit: no route is left, so no copy path runs. */
void migoff_quota_exit(void)
{
	struct migoff_quota_ent *q, *tmp;

	list_for_each_entry_safe(q, tmp, &quotas, node) {
		list_del(&q->node);
		cgroup_put(q->cg);
		free_percpu(q->stat);
		kfree(q);
	}
	nr_quotas = 0;
	rcu_barrier();		/* quota_free_rcu() is module code */
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cgroup quotas of offloaded copies.
 *
 * A quota is a token bucket of bytes for one cgroup v2: a folio is charged
 * to the cgroup of the memcg that owns its source folio, and may be
 * offloaded only if the bucket holds its size; otherwise it is taken out of
 * the batch handed to the migrator, the CPU copies it in the move phase,
 * and it counts as a quota fallback. Nothing is lost either way.
 *
 * Quotas are keyed by cgroup id and hold no reference on the cgroup: a
 * quota whose cgroup is gone is dropped the next time quotas are listed or
 * changed, and until then simply matches no folio of a live cgroup.
 *
 * Locking: the quota list is changed under migoff_policy_mutex and read
 * under RCU by the copy path; each bucket has its own spinlock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>
#include <linux/ktime.h>
#include <linux/memcontrol.h>
#include <linux/migrate.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "migoff_core.h"

struct migoff_quota_ent {
	struct list_head node;
	struct rcu_head rcu;
	u64 cgid;
	u64 rate;			/* bytes per second */
	u64 burst;			/* bytes */
	u64 reasons;			/* MIGOFF_REASON_BIT()s, 0: all */
	spinlock_t lock;		/* tokens, last_ns */
	u64 tokens;
	u64 last_ns;
	atomic64_t bytes_off, bytes_ref, folios_off, folios_ref, cpu_ns;
};

static LIST_HEAD(quotas);		/* RCU; changed under the policy mutex */
static unsigned int nr_quotas;

bool migoff_quotas_active(void)
{
	return READ_ONCE(nr_quotas);
}

static u64 folio_cgid(struct folio *folio)
{
	struct mem_cgroup *memcg = folio_memcg(folio);

	return memcg ? cgroup_id(memcg->css.cgroup) : 0;
}

/* Under rcu_read_lock() or the policy mutex. */
static struct migoff_quota_ent *quota_find(u64 cgid)
{
	struct migoff_quota_ent *q;

	if (!cgid)
		return NULL;
	list_for_each_entry_rcu(q, &quotas, node,
				lockdep_is_held(&migoff_policy_mutex))
		if (q->cgid == cgid)
			return q;
	return NULL;
}

static bool quota_take(struct migoff_quota_ent *q, u64 bytes)
{
	unsigned long flags;
	u64 now = ktime_get_ns();
	bool ok;

	spin_lock_irqsave(&q->lock, flags);
	q->tokens = min(q->burst, q->tokens +
			mul_u64_u64_div_u64(now - q->last_ns, q->rate, NSEC_PER_SEC));
	q->last_ns = now;
	ok = q->tokens >= bytes;
	if (ok)
		q->tokens -= bytes;
	spin_unlock_irqrestore(&q->lock, flags);
	return ok;
}

/*
 * Take the folios over their cgroup's budget out of the batch, onto
 * @ex_src/@ex_dst (pairs stay aligned). Returns how many were taken out.
 */
unsigned int migoff_quota_filter(struct list_head *dst_list,
				 struct list_head *src_list, unsigned int nr,
				 unsigned int reason, struct list_head *ex_dst,
				 struct list_head *ex_src)
{
	struct folio *src, *src2, *dst, *dst2;
	struct migoff_quota_ent *q;
	unsigned int i = 0, out = 0;

	rcu_read_lock();
	dst = list_first_entry(dst_list, struct folio, lru);
	list_for_each_entry_safe(src, src2, src_list, lru) {
		if (i++ == nr)
			break;
		dst2 = list_next_entry(dst, lru);
		q = quota_find(folio_cgid(src));
		if (q && (!q->reasons || q->reasons & MIGOFF_REASON_BIT(reason)) &&
		    !quota_take(q, folio_size(src))) {
			atomic64_add(folio_size(src), &q->bytes_ref);
			atomic64_inc(&q->folios_ref);
			list_move_tail(&src->lru, ex_src);
			list_move_tail(&dst->lru, ex_dst);
			out++;
		}
		dst = dst2;
	}
	rcu_read_unlock();
	return out;
}

/*
 * After a copy: credit each quota with its folios the migrator copied, and
 * with a share of the helper CPU time @cpu_ns in proportion to bytes.
 */
void migoff_quota_account(struct list_head *dst_list, struct list_head *src_list,
			  unsigned int nr, u64 bytes_copied, u64 cpu_ns)
{
	struct folio *src, *dst;
	struct migoff_quota_ent *q;
	unsigned int i = 0;

	rcu_read_lock();
	dst = list_first_entry(dst_list, struct folio, lru);
	list_for_each_entry(src, src_list, lru) {
		if (i++ == nr)
			break;
		q = quota_find(folio_cgid(src));
		if (q && ((unsigned long)dst->private & FOLIO_CONTENT_COPIED)) {
			atomic64_add(folio_size(src), &q->bytes_off);
			atomic64_inc(&q->folios_off);
			if (cpu_ns && bytes_copied)
				atomic64_add(mul_u64_u64_div_u64(cpu_ns, folio_size(src),
								 bytes_copied), &q->cpu_ns);
		}
		dst = list_next_entry(dst, lru);
	}
	rcu_read_unlock();
}

/* Drop the quotas of cgroups that are gone. Under the policy mutex. */
static void quota_prune(void)
{
	struct migoff_quota_ent *q, *tmp;
	struct cgroup *cg;

	lockdep_assert_held(&migoff_policy_mutex);
	list_for_each_entry_safe(q, tmp, &quotas, node) {
		cg = cgroup_get_from_id(q->cgid);
		if (!IS_ERR(cg)) {
			cgroup_put(cg);
			continue;
		}
		list_del_rcu(&q->node);
		WRITE_ONCE(nr_quotas, nr_quotas - 1);
		kfree_rcu(q, rcu);
	}
}

/* The cgroup v2 id an ioctl names: by fd of its directory, or by id. */
int migoff_quota_cgroup(const struct migoff_quota *a, u64 *cgid)
{
	struct cgroup *cg;

	cg = (a->flags & MIGOFF_QUOTA_BY_FD) ? cgroup_get_from_fd(a->cgroup_fd) :
		cgroup_get_from_id(a->cgroup_id);
	if (IS_ERR(cg))
		return PTR_ERR(cg);
	*cgid = cgroup_id(cg);
	cgroup_put(cg);
	return 0;
}

int migoff_quota_set(u64 cgid, u64 rate, u64 burst, u64 reasons)
{
	struct migoff_quota_ent *q, *old;

	lockdep_assert_held(&migoff_policy_mutex);
	quota_prune();
	old = quota_find(cgid);
	if (!old && nr_quotas >= MIGOFF_MAX_QUOTAS)
		return -ENOSPC;
	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	q->cgid = cgid;
	q->rate = rate;
	q->burst = burst;
	q->reasons = reasons;
	q->tokens = burst;
	q->last_ns = ktime_get_ns();
	spin_lock_init(&q->lock);
	if (old) {
		/* A new budget; the statistics go on. */
		atomic64_set(&q->bytes_off, atomic64_read(&old->bytes_off));
		atomic64_set(&q->bytes_ref, atomic64_read(&old->bytes_ref));
		atomic64_set(&q->folios_off, atomic64_read(&old->folios_off));
		atomic64_set(&q->folios_ref, atomic64_read(&old->folios_ref));
		atomic64_set(&q->cpu_ns, atomic64_read(&old->cpu_ns));
		list_replace_rcu(&old->node, &q->node);
		kfree_rcu(old, rcu);
	} else {
		list_add_tail_rcu(&q->node, &quotas);
		WRITE_ONCE(nr_quotas, nr_quotas + 1);
	}
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
	list_del_rcu(&q->node);
	WRITE_ONCE(nr_quotas, nr_quotas - 1);
	kfree_rcu(q, rcu);
	return 0;
}

static void quota_fill(const struct migoff_quota_ent *q, struct migoff_quota *a)
{
	a->cgroup_id = q->cgid;
	a->rate = q->rate;
	a->burst = q->burst;
	a->reasons = q->reasons;
	a->bytes_offloaded = atomic64_read(&q->bytes_off);
	a->bytes_refused = atomic64_read(&q->bytes_ref);
	a->folios_offloaded = atomic64_read(&q->folios_off);
	a->folios_refused = atomic64_read(&q->folios_ref);
	a->copy_cpu_ns = atomic64_read(&q->cpu_ns);
}

/* The @index-th quota, or that of @cgid when @by_index is false. */
int migoff_quota_get(bool by_index, unsigned int index, u64 cgid,
		     struct migoff_quota *a)
{
	struct migoff_quota_ent *q;

	lockdep_assert_held(&migoff_policy_mutex);
	quota_prune();
	if (!by_index) {
		q = quota_find(cgid);
		if (!q)
			return -ENOENT;
		quota_fill(q, a);
		return 0;
	}
	list_for_each_entry(q, &quotas, node) {
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

	lockdep_assert_held(&migoff_policy_mutex);
	list_for_each_entry(q, &quotas, node) {
		atomic64_set(&q->bytes_off, 0);
		atomic64_set(&q->bytes_ref, 0);
		atomic64_set(&q->folios_off, 0);
		atomic64_set(&q->folios_ref, 0);
		atomic64_set(&q->cpu_ns, 0);
	}
}

void migoff_quota_exit(void)
{
	struct migoff_quota_ent *q, *tmp;

	list_for_each_entry_safe(q, tmp, &quotas, node) {
		list_del(&q->node);
		kfree(q);
	}
	nr_quotas = 0;
}

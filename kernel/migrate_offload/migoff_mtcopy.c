// SPDX-License-Identifier: GPL-2.0
/*
 * mtcopy: copy a migration batch with several CPU threads.
 *
 * The batch is cut into chunks of at most CHUNK_PAGES pages (large folios
 * are split across chunks) and the chunks are spread evenly over "threads"
 * work items, queued on the CPUs of the destination node ("pull", the
 * default: the copy reads remote and writes local memory) or of the source
 * node ("push"). The migrating thread waits for them. A folio is marked
 * copied only when all its chunks succeeded; a small batch (fewer chunks
 * than threads * 2) is copied inline, so mtcopy is never slower than "cpu"
 * on small batches.
 *
 * CPU time: the copies run in kworker threads, so the scheduler charges
 * their CPU time to those kworkers (the root cgroup), not to the migrating
 * task or the owner of the pages. mtcopy measures it per batch and the core
 * reports it, split by bytes, in the copy_cpu_ns of each quota'd cgroup
 * whose folios were copied. Small batches copied inline are the migrating
 * task's own time, charged to it as usual.
 *
 * Parameters: threads (1..64), push (0: pull, 1: push).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/migrate.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/workqueue.h>

#include "migoff_engine.h"

#define CHUNK_PAGES	64	/* 256 KiB with 4 KiB pages */
#define MAX_THREADS	64

struct mtcopy_chunk {
	struct folio *src, *dst;
	unsigned int first, nr;		/* pages of the folio */
	atomic_t *failed;		/* the folio's failure flag */
};

struct mtcopy_batch;

struct mtcopy_work {
	struct work_struct work;
	struct mtcopy_batch *b;
	unsigned int first, nr;		/* chunks */
};

struct mtcopy_batch {
	struct mtcopy_chunk *chunks;
	atomic_t *failed;		/* per folio */
	atomic64_t cpu_ns;		/* time the workers spent */
	atomic_t pending;
	struct completion done;
	struct mtcopy_work works[MAX_THREADS];
};

static struct workqueue_struct *mtcopy_wq;

static void mtcopy_chunks(struct mtcopy_chunk *c, unsigned int nr)
{
	unsigned int i, p;

	for (i = 0; i < nr; i++, c++) {
		for (p = c->first; p < c->first + c->nr; p++) {
			if (copy_mc_highpage(folio_page(c->dst, p),
					     folio_page(c->src, p))) {
				atomic_set(c->failed, 1);
				break;
			}
		}
	}
}

static void mtcopy_work_fn(struct work_struct *work)
{
	struct mtcopy_work *w = container_of(work, struct mtcopy_work, work);
	struct mtcopy_batch *b = w->b;
	u64 t0 = ktime_get_ns();

	mtcopy_chunks(b->chunks + w->first, w->nr);
	atomic64_add(ktime_get_ns() - t0, &b->cpu_ns);
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

/* The @i-th CPU of @node, wrapping around; any online CPU if it has none. */
static int mtcopy_cpu(int node, unsigned int i)
{
	const struct cpumask *mask = cpumask_of_node(node);
	unsigned int n = cpumask_weight_and(mask, cpu_online_mask);
	int cpu;

	if (!n)
		return cpumask_nth(i % num_online_cpus(), cpu_online_mask);
	cpu = cpumask_nth_and(i % n, mask, cpu_online_mask);
	return cpu < nr_cpu_ids ? cpu : raw_smp_processor_id();
}

static int mtcopy_copy(struct migoff_engine *e, struct list_head *dst_list,
		       struct list_head *src_list, unsigned int nr,
		       struct migoff_copy_info *ci)
{
	unsigned int threads = READ_ONCE(e->params[0].value);
	bool push = READ_ONCE(e->params[1].value);
	unsigned int nr_chunks = 0, i, t, per, extra, pos;
	struct folio *src, *dst;
	struct mtcopy_batch *b;
	int node, rc = 0;

	/* Count the chunks. */
	i = 0;
	list_for_each_entry(src, src_list, lru) {
		if (i++ == nr)
			break;
		nr_chunks += DIV_ROUND_UP(folio_nr_pages(src), CHUNK_PAGES);
	}
	if (threads <= 1 || nr_chunks < 2 * threads)
		return migrate_folios_mc_copy(dst_list, src_list, nr);

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return migrate_folios_mc_copy(dst_list, src_list, nr);
	b->chunks = kvmalloc_array(nr_chunks, sizeof(*b->chunks), GFP_KERNEL);
	b->failed = kvcalloc(nr, sizeof(*b->failed), GFP_KERNEL);
	if (!b->chunks || !b->failed) {
		rc = migrate_folios_mc_copy(dst_list, src_list, nr);
		goto out;
	}

	/* Cut the folios into chunks. */
	pos = 0;
	i = 0;
	dst = list_first_entry(dst_list, struct folio, lru);
	list_for_each_entry(src, src_list, lru) {
		unsigned int p, np = folio_nr_pages(src);

		if (i == nr)
			break;
		for (p = 0; p < np; p += CHUNK_PAGES) {
			b->chunks[pos].src = src;
			b->chunks[pos].dst = dst;
			b->chunks[pos].first = p;
			b->chunks[pos].nr = min_t(unsigned int, CHUNK_PAGES, np - p);
			b->chunks[pos].failed = &b->failed[i];
			pos++;
		}
		dst = list_next_entry(dst, lru);
		i++;
	}

	node = push ? folio_nid(list_first_entry(src_list, struct folio, lru)) :
		folio_nid(list_first_entry(dst_list, struct folio, lru));
	init_completion(&b->done);
	atomic_set(&b->pending, threads);
	per = nr_chunks / threads;
	extra = nr_chunks % threads;
	pos = 0;
	for (t = 0; t < threads; t++) {
		struct mtcopy_work *w = &b->works[t];

		w->b = b;
		w->first = pos;
		w->nr = per + (t < extra);
		pos += w->nr;
		INIT_WORK(&w->work, mtcopy_work_fn);
		queue_work_on(mtcopy_cpu(node, t), mtcopy_wq, &w->work);
	}
	wait_for_completion(&b->done);
	ci->cpu_ns = atomic64_read(&b->cpu_ns);

	i = 0;
	list_for_each_entry(dst, dst_list, lru) {
		if (i == nr)
			break;
		if (atomic_read(&b->failed[i]))
			rc = -EIO;
		else
			folio_mark_content_copied(dst);
		i++;
	}
out:
	kvfree(b->failed);
	kvfree(b->chunks);
	kfree(b);
	return rc;
}

static struct migoff_engine mtcopy_engine = {
	.name = "mtcopy",
	.kind = MIGOFF_KIND_THREADS,
	.owner = THIS_MODULE,
	.copy = mtcopy_copy,
	.nr_params = 2,
	.params = {
		{ .name = "threads", .min = 1, .max = MAX_THREADS, .value = 2 },
		{ .name = "push", .min = 0, .max = 1, .value = 0 },
	},
};

static int __init mtcopy_init(void)
{
	int ret;

	mtcopy_wq = alloc_workqueue("mtcopy", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!mtcopy_wq)
		return -ENOMEM;
	mtcopy_engine.params[0].value = clamp_t(unsigned int, num_online_cpus(),
						1, MAX_THREADS);
	ret = migoff_register_engine(&mtcopy_engine);
	if (ret)
		destroy_workqueue(mtcopy_wq);
	return ret;
}

/* Routed migrators are pinned: exit runs only when nothing routes here. */
static void __exit mtcopy_exit(void)
{
	migoff_unregister_engine(&mtcopy_engine);
	destroy_workqueue(mtcopy_wq);
}

module_init(mtcopy_init);
module_exit(mtcopy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Multi-threaded CPU copy migrator for migrate_offload");

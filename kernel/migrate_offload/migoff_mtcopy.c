// SPDX-License-Identifier: GPL-2.0
/*
 * mtcopy: copy a migration batch with several CPU threads.
 *
 * The pages of the batch are cut into as many equal ranges as there are
 * threads (large folios are split across ranges). The migrating thread
 * copies the first range itself and the others are work items, each on a
 * CPU of its own: any online CPU but the migrating thread's, those of the
 * destination node ("pull", the default: the copy reads remote and writes
 * local memory) or of the source node ("push") before the others (a
 * memory-only node, e.g. a demotion target, has none). So "threads"
 * counts the migrating thread too, and no CPU gets two copies of one
 * batch: with threads=2 on two CPUs, both copy at once. A batch gets
 * min(threads, pages / MIN_WORKER_PAGES, CPUs online) ranges, so one 2 MiB
 * THP is spread over up to 8; a batch too small for two (or a machine with
 * one CPU) is copied inline, so mtcopy is never slower than "cpu" on small
 * batches. A folio is marked copied only when every range covering it
 * copied without error, and marked poisoned when a range hit a memory
 * error in it (the move phase then fails it without copying it again).
 *
 * Why not padata_do_multithreaded(), which upstream's multi-threaded folio
 * copy uses: in 6.12 it is __init, and reusing it would take a patch to
 * the series for a helper that does not fit a copy that may run in
 * reclaim: it queues on system_unbound_wq, which has no rescuer
 * (WQ_MEM_RECLAIM), and waits for its helpers without bound, so kswapd
 * demoting under memory pressure could wait for a kworker that cannot be
 * created; its thread function returns nothing, where each range must
 * report copy_mc errors for its folios; and it spreads helpers over nodes
 * round-robin rather than onto the destination node. The split here is
 * about as much code as a padata job's setup would be.
 *
 * The work items run on a per-CPU workqueue with a rescuer. A CPU that
 * goes offline after it was picked runs its item elsewhere (the
 * workqueue unbinds its pool). When the migrating thread has finished its
 * own range, it takes back the items no worker has started yet (their CPU
 * is busy with other work, or memory pressure delays the worker) and
 * copies them itself, then waits for the running ones only: a range not
 * started by then would end later than if the migrating thread copies it,
 * since ranges are of equal size. So a batch never waits on the workqueue
 * for longer than a running range takes.
 *
 * Allocation: the only per-batch allocation (the work items) is
 * GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC, since batches may come from
 * reclaim (kswapd demotion, direct compaction); if it fails, the batch is
 * left to the CPU copy of the move phase (an error fallback).
 *
 * CPU time: the copies run in kworker threads, so the scheduler charges
 * their CPU time to those kworkers (the root cgroup), not to the migrating
 * task or the owner of the pages. mtcopy measures it per batch and the core
 * reports it, split by bytes, in the copy_cpu_ns of each quota'd cgroup
 * whose folios were copied. Small batches copied inline are the migrating
 * task's own time, charged to it as usual.
 *
 * Parameters: threads (1..64), push (0: pull, 1: push).
 * Statistics (debugfs, /sys/kernel/debug/migoff_mtcopy/, read-only):
 *   batches_inline    batches copied by the migrating thread alone
 *   batches_threaded  batches split into work items
 *   workers           work items queued for them
 *   workers_helped    work items the migrating thread took back and ran
 * Fault injection (tests, same directory): writing N to fail_batches
 * makes the next N batches fail at once, as when the work items cannot be
 * allocated.
 *
 * CPUs: workers go only to CPUs that are online, that the migrating task
 * may run on (its cpuset and affinity, current->cpus_ptr), and that are
 * housekeeping CPUs for scheduler domains and workqueues (not isolated by
 * isolcpus= or nohz_full=): a copy must not land on a CPU the
 * administrator has set aside.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/migrate.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/isolation.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "migoff_engine.h"

#define MAX_THREADS		64
#define MIN_WORKER_PAGES	64	/* 256 KiB with 4 KiB pages */

static atomic_long_t stat_inline, stat_threaded, stat_workers, stat_helped;
static atomic_t fail_batches;

static struct dentry *mtcopy_debugfs;

static int stat_get(void *data, u64 *val)
{
	*val = atomic_long_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(stat_fops, stat_get, NULL, "%llu\n");

/* Statistics and fault injection, for tests and debugging: no ABI. */
static void mtcopy_debugfs_init(void)
{
	struct dentry *d = debugfs_create_dir(KBUILD_MODNAME, NULL);

	mtcopy_debugfs = d;
	debugfs_create_file_unsafe("batches_inline", 0444, d, &stat_inline, &stat_fops);
	debugfs_create_file_unsafe("batches_threaded", 0444, d, &stat_threaded, &stat_fops);
	debugfs_create_file_unsafe("workers", 0444, d, &stat_workers, &stat_fops);
	debugfs_create_file_unsafe("workers_helped", 0444, d, &stat_helped, &stat_fops);
	debugfs_create_atomic_t("fail_batches", 0644, d, &fail_batches);
}

struct mtcopy_batch;

/* One worker's range: @nr_pages pages from page @page of folio @index. */
struct mtcopy_work {
	struct work_struct work;
	struct mtcopy_batch *b;
	struct folio *src, *dst;	/* folio @index of the batch */
	unsigned int index;
	unsigned int page;
	unsigned long nr_pages;
	unsigned int last;		/* out: the last folio it touched */
	struct folio *poisoned;		/* out: where a page failed to copy */
};

struct mtcopy_batch {
	atomic64_t cpu_ns;		/* time the workers spent */
	atomic_t pending;
	struct completion done;
	unsigned int nr_works;
	struct mtcopy_work works[] __counted_by(nr_works);
};

static struct workqueue_struct *mtcopy_wq;

static void mtcopy_range(struct mtcopy_work *w)
{
	struct folio *src = w->src, *dst = w->dst;
	unsigned int page = w->page, index = w->index;
	unsigned long left = w->nr_pages;

	while (left) {
		if (page == folio_nr_pages(src)) {
			src = list_next_entry(src, lru);
			dst = list_next_entry(dst, lru);
			page = 0;
			index++;
		}
		if (copy_mc_highpage(folio_page(dst, page), folio_page(src, page))) {
			/*
			 * A memory error in the source, queued for memory
			 * failure already: the move phase must not copy this
			 * folio again. Every other folio the range may touch
			 * falls back to the CPU (a few of the next range's
			 * too: harmless).
			 */
			w->poisoned = dst;
			index = w->index + w->nr_pages;
			break;
		}
		page++;
		if (!(--left % MIN_WORKER_PAGES))
			cond_resched();
	}
	w->last = index;
}

/* Run one range and account for it; in a worker or the migrating thread. */
static void mtcopy_run(struct mtcopy_work *w)
{
	struct mtcopy_batch *b = w->b;
	u64 t0 = ktime_get_ns();

	mtcopy_range(w);
	atomic64_add(ktime_get_ns() - t0, &b->cpu_ns);
	if (atomic_dec_and_test(&b->pending))
		complete(&b->done);
}

static void mtcopy_work_fn(struct work_struct *work)
{
	mtcopy_run(container_of(work, struct mtcopy_work, work));
}

/* Whether a range covering folio @i failed. */
static bool mtcopy_folio_failed(struct mtcopy_batch *b, unsigned int i)
{
	unsigned int t;

	for (t = 0; t < b->nr_works; t++)
		if (b->works[t].poisoned && b->works[t].index <= i &&
		    i <= b->works[t].last)
			return true;
	return false;
}

/* Cut the @pages pages of the batch into @b->nr_works equal ranges. */
static void mtcopy_cut(struct mtcopy_batch *b, struct list_head *dst_list,
		       struct list_head *src_list, unsigned long pages)
{
	struct folio *src = list_first_entry(src_list, struct folio, lru);
	struct folio *dst = list_first_entry(dst_list, struct folio, lru);
	unsigned long per = pages / b->nr_works, extra = pages % b->nr_works;
	unsigned int t, page = 0, index = 0;

	for (t = 0; t < b->nr_works; t++) {
		struct mtcopy_work *w = &b->works[t];
		unsigned long skip;

		w->b = b;
		w->src = src;
		w->dst = dst;
		w->index = index;
		w->page = page;
		w->nr_pages = per + (t < extra);
		w->poisoned = NULL;
		INIT_WORK(&w->work, mtcopy_work_fn);
		/* Move to where the next range starts. */
		for (skip = w->nr_pages; skip; ) {
			unsigned long rest = folio_nr_pages(src) - page;

			if (skip < rest) {
				page += skip;
				break;
			}
			skip -= rest;
			page = 0;
			index++;
			if (t + 1 == b->nr_works && !skip)
				break;	/* the end of the batch */
			src = list_next_entry(src, lru);
			dst = list_next_entry(dst, lru);
		}
	}
}

/* Whether a worker may copy for the current task on @cpu (see "CPUs"). */
static bool mtcopy_cpu_ok(int cpu)
{
	return cpumask_test_cpu(cpu, current->cpus_ptr) &&
	       housekeeping_test_cpu(cpu, HK_TYPE_DOMAIN) &&
	       housekeeping_test_cpu(cpu, HK_TYPE_WQ);
}

/*
 * Pick up to @max CPUs other than @self for the workers: those of @node
 * first, then the others, each CPU at most once, only CPUs a worker may
 * use (mtcopy_cpu_ok()). Return how many were picked into @cpus.
 */
static unsigned int mtcopy_pick_cpus(int self, int node, unsigned int max,
				     int *cpus)
{
	const struct cpumask *local = cpumask_of_node(node);
	unsigned int n = 0, pass;
	int cpu;

	for (pass = 0; pass < 2 && n < max; pass++) {
		for_each_online_cpu(cpu) {
			if (cpu == self || cpumask_test_cpu(cpu, local) != !pass ||
			    !mtcopy_cpu_ok(cpu))
				continue;
			cpus[n++] = cpu;
			if (n == max)
				break;
		}
	}
	return n;
}

static int mtcopy_copy(struct migoff_engine *e, struct list_head *dst_list,
		       struct list_head *src_list, unsigned int nr,
		       struct migoff_copy_info *ci)
{
	unsigned int threads = READ_ONCE(e->params[0].value);
	bool push = READ_ONCE(e->params[1].value);
	unsigned long pages = 0, nr_works;
	int cpus[MAX_THREADS - 1];
	struct folio *src, *dst;
	struct mtcopy_batch *b;
	unsigned int i, t;
	int node, self;
	int rc = 0;
	u64 t0;

	if (atomic_read(&fail_batches) > 0 &&
	    atomic_dec_if_positive(&fail_batches) >= 0)
		return -ENOMEM;	/* injected: as if the allocation failed */
	i = 0;
	list_for_each_entry(src, src_list, lru) {
		if (i++ == nr)
			break;
		pages += folio_nr_pages(src);
	}
	nr_works = min_t(unsigned long, threads, pages / MIN_WORKER_PAGES);
	if (nr_works > 1) {
		node = push ? folio_nid(list_first_entry(src_list, struct folio, lru)) :
			folio_nid(list_first_entry(dst_list, struct folio, lru));
		/* A hint: the migrating thread may move, and that is fine. */
		self = raw_smp_processor_id();
		nr_works = 1 + mtcopy_pick_cpus(self, node, nr_works - 1, cpus);
	}
	if (nr_works <= 1) {
		atomic_long_inc(&stat_inline);
		return migrate_folios_mc_copy(dst_list, src_list, nr);
	}

	b = kmalloc(struct_size(b, works, nr_works),
		    GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC);
	if (!b)
		return -ENOMEM;	/* the CPU copies the batch */
	b->nr_works = nr_works;
	atomic64_set(&b->cpu_ns, 0);
	atomic_set(&b->pending, nr_works);
	init_completion(&b->done);
	mtcopy_cut(b, dst_list, src_list, pages);
	atomic_long_inc(&stat_threaded);
	atomic_long_add(nr_works - 1, &stat_workers);

	for (t = 1; t < nr_works; t++)
		queue_work_on(cpus[t - 1], mtcopy_wq, &b->works[t].work);

	/* The first range is ours: the migrating task's own time, not cpu_ns. */
	mtcopy_range(&b->works[0]);
	if (!atomic_dec_and_test(&b->pending)) {
		/* Copy the ranges no worker has started; wait for the rest. */
		for (t = 1; t < nr_works; t++) {
			if (cancel_work(&b->works[t].work)) {
				atomic_long_inc(&stat_helped);
				mtcopy_run(&b->works[t]);
			}
		}
		t0 = ktime_get_ns();
		wait_for_completion(&b->done);
		ci->wait_ns = ktime_get_ns() - t0;
	}
	/* Helper time only: what the workers spent, not the caller's range. */
	ci->cpu_ns = atomic64_read(&b->cpu_ns);

	/* Marked here, not by the workers: two ranges may share a folio. */
	for (t = 0; t < nr_works; t++)
		if (b->works[t].poisoned)
			folio_mark_copy_poisoned(b->works[t].poisoned);

	i = 0;
	list_for_each_entry(dst, dst_list, lru) {
		if (i == nr)
			break;
		if (mtcopy_folio_failed(b, i))
			rc = -EIO;
		else
			folio_mark_content_copied(dst);
		i++;
	}
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

	/* Per-CPU: each range runs on the CPU picked for it. */
	mtcopy_wq = alloc_workqueue("mtcopy", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!mtcopy_wq)
		return -ENOMEM;
	mtcopy_engine.params[0].value = clamp_t(unsigned int, num_online_cpus(),
						1, MAX_THREADS);
	ret = migoff_register_engine(&mtcopy_engine);
	if (ret) {
		destroy_workqueue(mtcopy_wq);
		return ret;
	}
	mtcopy_debugfs_init();
	return 0;
}

/* Routed migrators are pinned: exit runs only when nothing routes here. */
static void __exit mtcopy_exit(void)
{
	debugfs_remove_recursive(mtcopy_debugfs);
	migoff_unregister_engine(&mtcopy_engine);
	destroy_workqueue(mtcopy_wq);
}

/*
 * Built in, the engine's own initcall (device level) must have run first,
 * and drivers/dma/ links before drivers/migrate_offload/: register late.
 * In a module this is module_init().
 */
late_initcall(mtcopy_init);
module_exit(mtcopy_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Multi-threaded CPU copy migrator for migrate_offload");

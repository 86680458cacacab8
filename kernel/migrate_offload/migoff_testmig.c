// SPDX-License-Identifier: GPL-2.0
/*
 * migoff_testmig - a test migrator for the page migration batch-copy path.
 *
 * It registers with the mm core (migrate_offload_register()) and copies
 * batches with folio_mc_copy(), counting what it was given and what it
 * copied, so tests can prove that migrations went through the batch path.
 * It can also misbehave on purpose: fail whole batches, copy only part of
 * a batch, or stall, so tests can check that nothing is lost when a
 * migrator lets the CPU fall back.
 *
 * Controls, under /sys/module/migoff_testmig/parameters/:
 *   registered       1 registers with the mm core, 0 unregisters; the
 *                    write fails with the mm core's error (EBUSY, ...)
 *   reasons          mask of BIT(MR_*) reasons to take; live
 *   mode             copy: copy every folio
 *                    fail: copy nothing and return -EIO
 *                    partial: copy every other folio offered (counting
 *                    across batches) and return -EIO
 *                    poison: as if the copy of every fourth folio
 *                    offered (counting across batches) hit a memory
 *                    error: its destination is scribbled over and marked
 *                    poisoned; the others are copied; then the whole
 *                    batch goes to migrate_folios_mc_copy(), which must
 *                    copy none of them again
 *                    Folios not copied get their destination scribbled
 *                    over and stay unmarked: the CPU must copy them.
 *   delay_us         sleep this long in every batch (widens races)
 *   register_second  writing 1 tries to register a second migrator (with
 *                    no reasons: the mm core must never call it); the
 *                    write returns that attempt's error
 *   max_batch_pages  migrate_offload_set_max_batch_bytes(), in pages, while
 *                    registered (EINVAL otherwise); reads back the last
 *                    value set, which the mm core forgets on unregister
 *   batches, folios_offered, folios_copied, bytes_copied, last_reason,
 *   poisoned         statistics (read-only); reset clears them
 *   wrong_reason     batches handed over for a reason outside the mask
 *                    the mm core had been given (or to the second
 *                    migrator, whose mask is empty)
 *   memalloc        batches whose callback ran with PF_MEMALLOC set, i.e.
 *                    with the emergency reserves open to its allocations
 *                    (the mm core must not set it; kswapd and compaction
 *                    have it of their own)
 *   unguarded       batches whose callback ran without PF_MIGRATE_COPY,
 *                    the mark that keeps a recursive migration from
 *                    re-entering the migrator
 *   alloc_pages     pages the callback allocates (GFP_NOWAIT, as a
 *                    dmaengine or IOMMU driver would, without
 *                    __GFP_NOMEMALLOC) and frees in every batch;
 *                    alloc_failed counts those it could not get
 *   reset            writing 1 clears the statistics
 *
 * Locking: testmig_lock serialises registration changes; the copy callback
 * only reads parameters with READ_ONCE() and bumps atomic counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/list.h>
#include <linux/migrate.h>
#include <linux/migrate_copy_offload.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/sysfs.h>

enum testmig_mode { TESTMIG_COPY, TESTMIG_FAIL, TESTMIG_PARTIAL, TESTMIG_POISON };
static const char * const mode_names[] = {
	[TESTMIG_COPY] = "copy",
	[TESTMIG_FAIL] = "fail",
	[TESTMIG_PARTIAL] = "partial",
	[TESTMIG_POISON] = "poison",
};

static DEFINE_MUTEX(testmig_lock);
static bool registered;			/* under testmig_lock */
static bool exiting;			/* under testmig_lock: exit() ran */
static unsigned long reasons = MIGRATE_OFFLOAD_REASONS_ALLOWED;
static int mode = TESTMIG_COPY;
static unsigned int delay_us;

static atomic64_t stat_batches;
static atomic64_t stat_offered;
static atomic64_t stat_copied;
static atomic64_t stat_poisoned;
static atomic64_t stat_bytes;
static atomic_t stat_last_reason = ATOMIC_INIT(-1);
static atomic64_t stat_wrong_reason;
static atomic64_t stat_memalloc, stat_unguarded, stat_alloc_failed;
static unsigned int alloc_pages_nr;
static atomic_t partial_seq;
static unsigned int max_batch_pages;	/* under testmig_lock */

/*
 * The reasons the mm core may hand us right now: a superset of every mask
 * it was given that a running batch may still have seen. Widened before a
 * mask change, narrowed after the change returned.
 */
static unsigned long allowed;

/* Poison a destination we do not copy, so a skipped CPU copy shows. */
static void testmig_scribble(struct folio *dst)
{
	long i;

	for (i = 0; i < folio_nr_pages(dst); i++) {
		void *p = kmap_local_folio(dst, i * PAGE_SIZE);

		memset(p, 0x5a, PAGE_SIZE);
		kunmap_local(p);
	}
}

/* Allocate and free @nr pages as a driver in the callback might. */
static void testmig_alloc(unsigned int nr)
{
	while (nr--) {
		struct page *p = alloc_page(GFP_NOWAIT);

		if (!p) {
			atomic64_inc(&stat_alloc_failed);
			continue;
		}
		__free_page(p);
	}
}

static int testmig_copy(struct list_head *dst_list, struct list_head *src_list,
			unsigned int nr_folios, enum migrate_reason reason)
{
	int m = READ_ONCE(mode);
	unsigned int delay = READ_ONCE(delay_us);
	struct folio *src, *dst;
	unsigned int i = 0;
	int rc = 0;

	atomic64_inc(&stat_batches);
	atomic64_add(nr_folios, &stat_offered);
	atomic_set(&stat_last_reason, reason);
	if (!(READ_ONCE(allowed) & BIT(reason)))
		atomic64_inc(&stat_wrong_reason);
	if (current->flags & PF_MEMALLOC)
		atomic64_inc(&stat_memalloc);
	if (!(current->flags & PF_MIGRATE_COPY))
		atomic64_inc(&stat_unguarded);
	testmig_alloc(READ_ONCE(alloc_pages_nr));
	if (delay)
		usleep_range(delay, delay + delay / 4 + 1);

	dst = list_first_entry(dst_list, struct folio, lru);
	list_for_each_entry(src, src_list, lru) {
		bool skip = m == TESTMIG_FAIL ||
			(m == TESTMIG_PARTIAL &&
			 (atomic_inc_return(&partial_seq) & 1));

		if (i == nr_folios)
			break;
		if (m == TESTMIG_POISON &&
		    !(atomic_inc_return(&partial_seq) & 3)) {
			testmig_scribble(dst);
			folio_mark_copy_poisoned(dst);
			atomic64_inc(&stat_poisoned);
		} else if (skip || folio_mc_copy(dst, src)) {
			testmig_scribble(dst);
			rc = -EIO;
		} else {
			folio_mark_content_copied(dst);
			atomic64_inc(&stat_copied);
			atomic64_add(folio_size(dst), &stat_bytes);
		}
		dst = list_next_entry(dst, lru);
		i++;
		cond_resched();
	}
	/* An engine handing back a batch it copied part of. */
	if (m == TESTMIG_POISON)
		return migrate_folios_mc_copy(dst_list, src_list, nr_folios);
	return rc;
}

static struct migrator testmig = {
	.name = "testmig",
	.offload_copy = testmig_copy,
};

/* Registered with no reasons: any batch it is handed is a wrong one. */
static int testmig_second_copy(struct list_head *dst_list,
			       struct list_head *src_list,
			       unsigned int nr_folios,
			       enum migrate_reason reason)
{
	atomic64_inc(&stat_wrong_reason);
	return migrate_folios_mc_copy(dst_list, src_list, nr_folios);
}

static struct migrator testmig_second = {
	.name = "testmig-second",
	.offload_copy = testmig_second_copy,
};

static int registered_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;

	mutex_lock(&testmig_lock);
	if (on && exiting) {
		/* Parameters outlive exit(); this code does not. */
		ret = -ENODEV;
	} else if (on && !registered) {
		WRITE_ONCE(allowed, READ_ONCE(reasons));
		ret = migrate_offload_register(&testmig, READ_ONCE(reasons));
		if (ret)
			WRITE_ONCE(allowed, 0);
	} else if (!on && registered) {
		ret = migrate_offload_unregister(&testmig);
		if (!ret)
			WRITE_ONCE(allowed, 0);
	}
	if (!ret)
		registered = on;
	mutex_unlock(&testmig_lock);
	return ret;
}

static int registered_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(registered));
}

static const struct kernel_param_ops registered_ops = {
	.set = registered_set,
	.get = registered_get,
};
module_param_cb(registered, &registered_ops, NULL, 0644);
MODULE_PARM_DESC(registered, "Registered with the mm core (0/1)");

static int reasons_set(const char *val, const struct kernel_param *kp)
{
	unsigned long mask;
	int ret;

	ret = kstrtoul(val, 0, &mask);
	if (ret)
		return ret;
	if (mask & ~MIGRATE_OFFLOAD_REASONS_ALLOWED)
		return -EINVAL;

	mutex_lock(&testmig_lock);
	if (registered) {
		WRITE_ONCE(allowed, READ_ONCE(reasons) | mask);
		ret = migrate_offload_set_reason_mask(&testmig, mask);
		WRITE_ONCE(allowed, ret ? READ_ONCE(reasons) : mask);
	}
	if (!ret)
		WRITE_ONCE(reasons, mask);
	mutex_unlock(&testmig_lock);
	return ret;
}

static const struct kernel_param_ops reasons_ops = {
	.set = reasons_set,
	.get = param_get_ulong,
};
module_param_cb(reasons, &reasons_ops, &reasons, 0644);
MODULE_PARM_DESC(reasons, "Mask of BIT(MR_*) migration reasons to take");

static int mode_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(mode_names, val);

	if (i < 0)
		return i;
	WRITE_ONCE(mode, i);
	return 0;
}

static int mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", mode_names[READ_ONCE(mode)]);
}

static const struct kernel_param_ops mode_ops = {
	.set = mode_set,
	.get = mode_get,
};
module_param_cb(mode, &mode_ops, NULL, 0644);
MODULE_PARM_DESC(mode, "copy, fail or partial");

module_param(delay_us, uint, 0644);
MODULE_PARM_DESC(delay_us, "Sleep this many microseconds in every batch");

static int register_second_set(const char *val, const struct kernel_param *kp)
{
	int ret;

	mutex_lock(&testmig_lock);
	ret = exiting ? -ENODEV : migrate_offload_register(&testmig_second, 0);
	if (!ret) {
		/* Should never happen while testmig is registered. */
		pr_warn("second migrator registered; unregistering it\n");
		migrate_offload_unregister(&testmig_second);
	}
	mutex_unlock(&testmig_lock);
	return ret;
}

static const struct kernel_param_ops register_second_ops = {
	.set = register_second_set,
};
module_param_cb(register_second, &register_second_ops, NULL, 0200);
MODULE_PARM_DESC(register_second, "Write 1 to try registering a second migrator");

static int max_batch_pages_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	mutex_lock(&testmig_lock);
	ret = registered ?
		migrate_offload_set_max_batch_bytes(&testmig, (unsigned long)n << PAGE_SHIFT) :
		-EINVAL;
	if (!ret)
		max_batch_pages = n;
	mutex_unlock(&testmig_lock);
	return ret;
}

static const struct kernel_param_ops max_batch_pages_ops = {
	.set = max_batch_pages_set,
	.get = param_get_uint,
};
module_param_cb(max_batch_pages, &max_batch_pages_ops, &max_batch_pages, 0644);
MODULE_PARM_DESC(max_batch_pages, "Batch cap of offloaded migrations (0: default)");

static int stat_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(kp->arg));
}

static const struct kernel_param_ops stat_ops = {
	.get = stat_get,
};
module_param_cb(batches, &stat_ops, &stat_batches, 0444);
module_param_cb(folios_offered, &stat_ops, &stat_offered, 0444);
module_param_cb(folios_copied, &stat_ops, &stat_copied, 0444);
module_param_cb(poisoned, &stat_ops, &stat_poisoned, 0444);
module_param_cb(bytes_copied, &stat_ops, &stat_bytes, 0444);
module_param_cb(wrong_reason, &stat_ops, &stat_wrong_reason, 0444);
module_param_cb(memalloc, &stat_ops, &stat_memalloc, 0444);
module_param_cb(unguarded, &stat_ops, &stat_unguarded, 0444);
module_param_cb(alloc_failed, &stat_ops, &stat_alloc_failed, 0444);
module_param_named(alloc_pages, alloc_pages_nr, uint, 0644);

static int last_reason_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&stat_last_reason));
}

static const struct kernel_param_ops last_reason_ops = {
	.get = last_reason_get,
};
module_param_cb(last_reason, &last_reason_ops, NULL, 0444);

static int reset_set(const char *val, const struct kernel_param *kp)
{
	atomic64_set(&stat_batches, 0);
	atomic64_set(&stat_offered, 0);
	atomic64_set(&stat_copied, 0);
	atomic64_set(&stat_poisoned, 0);
	atomic_set(&partial_seq, 0);
	atomic64_set(&stat_bytes, 0);
	atomic64_set(&stat_wrong_reason, 0);
	atomic64_set(&stat_memalloc, 0);
	atomic64_set(&stat_unguarded, 0);
	atomic64_set(&stat_alloc_failed, 0);
	atomic_set(&stat_last_reason, -1);
	return 0;
}

static const struct kernel_param_ops reset_ops = {
	.set = reset_set,
};
module_param_cb(reset, &reset_ops, NULL, 0200);
MODULE_PARM_DESC(reset, "Write 1 to clear the statistics");

static int __init testmig_init(void)
{
	return 0;
}

/*
 * Nothing pins this module while it is registered (a migrator whose module
 * cannot be removed until it unregisters would be stuck): exit unregisters,
 * and the mm core waits for the batches still in testmig_copy().
 */
static void __exit testmig_exit(void)
{
	mutex_lock(&testmig_lock);
	exiting = true;
	if (registered)
		migrate_offload_unregister(&testmig);
	registered = false;
	mutex_unlock(&testmig_lock);
}

module_init(testmig_init);
module_exit(testmig_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test migrator for the page migration batch-copy path");

// SPDX-License-Identifier: GPL-2.0
/*
 * migoff_swdma: a software dmaengine provider, for tests.
 *
 * QEMU has no DMA memcpy engine; this provider offers "channels"
 * DMA_MEMCPY channels (DMA_PRIVATE: only explicit requests get them) whose
 * transfers a workqueue performs with memcpy(), so the dmaengine migrator
 * is tested end to end. Faults are injected through module parameters
 * (/sys/module/migoff_swdma/parameters/), counting descriptors across all
 * channels:
 *   fail_every=N   every Nth descriptor completes with a read error and
 *                  its destination is scribbled over (0: off)
 *   drop_every=N   every Nth descriptor never completes (a timeout for the
 *                  client; freed by terminate_all) (0: off)
 *   delay_us=N     each descriptor takes at least N us
 *   reorder=1      each issued group completes in reverse order
 *   fail_chan_alloc=1  every channel allocation (a client's
 *                  dma_request_chan*()) fails with -ENOMEM
 *   slow_terminate_ms=N  terminate_all's synchronize takes N ms more
 *   complete_dropped=1  (write-only) the dropped descriptors held now
 *                  complete at once: copied, and called back as successes
 *                  (a hung engine that recovers: the late write)
 * Statistics: descs_done, descs_failed, descs_dropped; chan_allocs and
 * chan_frees count the channels handed to and given back by clients;
 * callbacks counts the completion callbacks invoked; late_writes counts
 * descriptors that wrote their destination after their client's
 * terminate_all returned, or after they were dropped.
 *
 * Personalities (personality=NAME at load time): how the engine behaves
 * towards its client, after what the 6.12 providers a user would route
 * migrations to really do. "ideal" is the engine as the dmaengine
 * contract describes it, and the default; the others are not faults but
 * the drivers' documented behaviour:
 *   ideal  DMA_PRIVATE; device_terminate_all and device_synchronize stop
 *          everything (what the worker copies now finishes first);
 *          tx_status reports each cookie's own outcome (DMA_ERROR for a
 *          failed one); callbacks only for DMA_PREP_INTERRUPT descriptors;
 *          errors both in the status and in the callback result.
 *   ioat   drivers/dma/ioat: no device_terminate_all or device_synchronize
 *          (dmaengine_terminate_sync() returns -EINVAL and stops nothing);
 *          a public device (no DMA_PRIVATE; ioat3_dma_probe() sets it only
 *          without XOR/PQ); in-order completion, tx_status is
 *          dma_cookie_status() and a failed descriptor's cookie completes
 *          like any other (ioat_eh()), so only the callback result
 *          (DMA_TRANS_READ_FAILED) tells; __ioat_cleanup() calls back every
 *          descriptor that has a callback, DMA_PREP_INTERRUPT or not; the
 *          residue of an error result is left uninitialised (garbage here).
 *          "reorder" is ignored: the ring completes in order.
 *   idxd   drivers/dma/idxd (DSA): DMA_PRIVATE and DMA_COMPLETION_NO_ORDER;
 *          no device_terminate_all; idxd_dma_tx_status() answers
 *          DMA_OUT_OF_ORDER for every cookie; a descriptor is completed
 *          only if prepared with DMA_PREP_INTERRUPT (IDXD_OP_FLAG_RCI puts
 *          it on the interrupt's pending list): without, the copy is done
 *          but nothing ever reports it and its slot is never recycled
 *          until the channel is freed; errors are DMA_TRANS_WRITE_FAILED
 *          results with an uninitialised residue; completion out of order
 *          ("reorder" honoured).
 *   ptdma  drivers/dma/ptdma (6.12; ae4dma, 6.14, reuses its dmaengine
 *          code): DMA_PRIVATE; in-order, tx_status is dma_cookie_status();
 *          every descriptor calls back, with a NULL result (success) even
 *          when the hardware failed it, so "fail_every" failures are
 *          invisible to the client (the destination still gets scribbled);
 *          pt_terminate_all() frees the queued descriptors but does not
 *          stop the one the queue runs, and vchan_synchronize() does not
 *          wait for it: that one still writes its destination after
 *          terminate_sync() returned, without a callback. The platform
 *          driver is called "migoff_swdma_pt" in this personality, so that
 *          clients can tell it as they would tell ptdma. "reorder" ignored.
 *
 * Completion (ideal personality): a descriptor's callback runs only if the
 * client set one and prepared the descriptor with DMA_PREP_INTERRUPT (as
 * hardware raises an interrupt only then); any other descriptor completes
 * silently and the client learns its outcome from device_tx_status.
 *
 * Status: each channel keeps a record {cookie, status} of its last
 * SWDMA_RECORDS cookies (a ring indexed by cookie), written at submit
 * (DMA_IN_PROGRESS) and when the descriptor finishes (DMA_COMPLETE, or
 * DMA_ERROR when it failed or was discarded by terminate_all).
 * device_tx_status reports that record, per cookie: an earlier cookie still
 * running after a later one completed (reorder=1) is DMA_IN_PROGRESS, a
 * failed one DMA_ERROR, a dropped one DMA_IN_PROGRESS until the channel is
 * terminated. The record outlives the descriptor, which goes back to the
 * pool as soon as it finished, so a client has until it submits
 * SWDMA_RECORDS more cookies on the channel to read a status (dcbm reads
 * its at most 64 per window before the channel serves another window); a
 * cookie whose record was overwritten that way, or that was never issued,
 * reports DMA_ERROR (unknown: do not trust the transfer). The tx_state
 * "last" cookie is a watermark: every cookie up to it has finished
 * (completed or failed).
 *
 * Descriptors come from a pool of SWDMA_DESCS per channel, allocated when a
 * client takes the channel, as hardware drivers do: preparing a transfer
 * allocates nothing (it fails when the pool is empty).
 *
 * The device cannot be unbound through sysfs (suppress_bind_attrs): its
 * channels and descriptors are in use by clients until they release them,
 * which only unloading the module (pinned while channels are taken) may
 * wait for.
 *
 * Only for memory the kernel maps linearly (no IOMMU, dma-direct): the
 * device's DMA addresses are turned back into kernel addresses. The device
 * sets no max_segment_size, so clients see the DMA API's default (64 KiB).
 *
 * Locking: each channel's lock protects its descriptor lists, cookies,
 * status records and termination count; callbacks run without it. The
 * worker takes the issued list off the channel before processing it, so
 * terminate_all never frees a descriptor the worker is using; the worker
 * discards (DMA_ERROR, no callback) what it took before a terminate_all,
 * and synchronize waits for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#define SWDMA_MAX_CHANNELS	16
#define SWDMA_DESCS		256	/* per channel */
/* Status records per channel: a power of two, >= SWDMA_DESCS. */
#define SWDMA_RECORDS		SWDMA_DESCS
static_assert(!(SWDMA_RECORDS & (SWDMA_RECORDS - 1)) &&
	      SWDMA_RECORDS >= SWDMA_DESCS);

static unsigned int channels = 4;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "DMA_MEMCPY channels (1..16), at load time");
static unsigned int fail_every;
module_param(fail_every, uint, 0644);
MODULE_PARM_DESC(fail_every, "Fail every Nth descriptor (0: never)");
static unsigned int drop_every;
module_param(drop_every, uint, 0644);
MODULE_PARM_DESC(drop_every, "Never complete every Nth descriptor (0: never)");
static unsigned int delay_us;
module_param(delay_us, uint, 0644);
MODULE_PARM_DESC(delay_us, "Minimum time per descriptor, in microseconds");
static bool reorder;
module_param(reorder, bool, 0644);
MODULE_PARM_DESC(reorder, "Complete each issued group in reverse order");
static bool fail_chan_alloc;
module_param(fail_chan_alloc, bool, 0644);
MODULE_PARM_DESC(fail_chan_alloc, "Fail every channel allocation with -ENOMEM");
static unsigned int slow_terminate_ms;
module_param(slow_terminate_ms, uint, 0644);
MODULE_PARM_DESC(slow_terminate_ms, "Extra time synchronize takes after a terminate, in ms");

enum swdma_personality { SW_IDEAL, SW_IOAT, SW_IDXD, SW_PTDMA };
static const char * const personality_names[] = {
	[SW_IDEAL] = "ideal", [SW_IOAT] = "ioat", [SW_IDXD] = "idxd",
	[SW_PTDMA] = "ptdma",
};

static char *personality = "ideal";
module_param(personality, charp, 0444);
MODULE_PARM_DESC(personality, "Behave like a 6.12 provider: ideal, ioat, idxd or ptdma (at load time)");
static enum swdma_personality pers;	/* parsed from @personality */

static int swdma_complete_dropped(const char *val, const struct kernel_param *kp);
static const struct kernel_param_ops complete_dropped_ops = {
	.set = swdma_complete_dropped,
};
module_param_cb(complete_dropped, &complete_dropped_ops, NULL, 0200);
MODULE_PARM_DESC(complete_dropped, "Write 1: the dropped descriptors complete now (late writes)");

static atomic64_t descs_done, descs_failed, descs_dropped;
static atomic64_t chan_allocs, chan_frees, callbacks, late_writes;
static atomic_t desc_seq;

static int stat_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%lld\n", atomic64_read(kp->arg));
}

static const struct kernel_param_ops stat_ops = { .get = stat_get };
module_param_cb(descs_done, &stat_ops, &descs_done, 0444);
module_param_cb(descs_failed, &stat_ops, &descs_failed, 0444);
module_param_cb(descs_dropped, &stat_ops, &descs_dropped, 0444);
module_param_cb(chan_allocs, &stat_ops, &chan_allocs, 0444);
module_param_cb(chan_frees, &stat_ops, &chan_frees, 0444);
module_param_cb(callbacks, &stat_ops, &callbacks, 0444);
MODULE_PARM_DESC(callbacks, "Completion callbacks invoked");
module_param_cb(late_writes, &stat_ops, &late_writes, 0444);
MODULE_PARM_DESC(late_writes, "Destinations written after a terminate or a drop");

struct swdma_desc {
	struct dma_async_tx_descriptor tx;
	struct list_head node;
	dma_addr_t dst, src;
	size_t len;
};

/* The outcome of one cookie, kept after its descriptor is reused. */
struct swdma_record {
	dma_cookie_t cookie;
	enum dma_status status;
};

struct swdma_chan {
	struct dma_chan chan;
	spinlock_t lock;		/* lists, cookies, records, terminations */
	struct list_head free, submitted, issued, dropped;
	struct work_struct work;
	struct swdma_desc *descs;	/* the pool, while a client has it */
	struct swdma_record *records;	/* SWDMA_RECORDS, with the pool */
	unsigned long terminations;	/* terminate_all calls */
};

static struct dma_device swdma_dev;
static struct swdma_chan swdma_chans[SWDMA_MAX_CHANNELS];
static struct workqueue_struct *swdma_wq;
static struct platform_device *swdma_pdev;

static struct swdma_chan *to_swchan(struct dma_chan *c)
{
	return container_of(c, struct swdma_chan, chan);
}

static struct swdma_record *swdma_record(struct swdma_chan *c,
					 dma_cookie_t cookie)
{
	return &c->records[cookie & (SWDMA_RECORDS - 1)];
}

/*
 * Move the watermark (chan.completed_cookie) over the cookies that have
 * finished in order. Under c->lock.
 */
static void swdma_advance_locked(struct swdma_chan *c)
{
	while (c->chan.completed_cookie != c->chan.cookie) {
		dma_cookie_t next = c->chan.completed_cookie + 1;
		struct swdma_record *r;

		if (next < DMA_MIN_COOKIE)
			next = DMA_MIN_COOKIE;
		r = swdma_record(c, next);
		if (r->cookie != next || r->status == DMA_IN_PROGRESS)
			break;
		c->chan.completed_cookie = next;
	}
}

/* Record how @cookie ended, unless a later cookie took its record. */
static void swdma_finish_locked(struct swdma_chan *c, dma_cookie_t cookie,
				enum dma_status status)
{
	struct swdma_record *r = swdma_record(c, cookie);

	if (r->cookie != cookie)
		return;
	r->status = status;
	swdma_advance_locked(c);
}

static dma_cookie_t swdma_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct swdma_chan *c = to_swchan(tx->chan);
	struct swdma_desc *d = container_of(tx, struct swdma_desc, tx);
	struct swdma_record *r;
	dma_cookie_t cookie;
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	cookie = c->chan.cookie + 1;
	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	c->chan.cookie = cookie;
	tx->cookie = cookie;
	r = swdma_record(c, cookie);
	r->cookie = cookie;
	r->status = DMA_IN_PROGRESS;
	list_add_tail(&d->node, &c->submitted);
	spin_unlock_irqrestore(&c->lock, flags);
	return cookie;
}

static struct dma_async_tx_descriptor *
swdma_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		  size_t len, unsigned long flags)
{
	struct swdma_chan *c = to_swchan(chan);
	struct swdma_desc *d;
	unsigned long irqflags;

	spin_lock_irqsave(&c->lock, irqflags);
	d = list_first_entry_or_null(&c->free, struct swdma_desc, node);
	if (d)
		list_del(&d->node);
	spin_unlock_irqrestore(&c->lock, irqflags);
	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	dma_async_tx_descriptor_init(&d->tx, chan);
	d->tx.tx_submit = swdma_tx_submit;
	d->tx.flags = flags;
	d->dst = dst;
	d->src = src;
	d->len = len;
	return &d->tx;
}

static void *swdma_virt(dma_addr_t addr)
{
	return phys_to_virt(dma_to_phys(swdma_dev.dev, addr));
}

/*
 * @d finished with @status and @res (DMA_TRANS_ABORTED: discarded by
 * terminate_all, never called back): record it, give @d back to the pool,
 * then run its callback if the personality runs one for it.
 */
static void swdma_retire(struct swdma_chan *c, struct swdma_desc *d,
			 enum dma_status status, enum dmaengine_tx_result res)
{
	struct dmaengine_result r = { .result = res, .residue = 0 };
	bool irq = d->tx.flags & DMA_PREP_INTERRUPT;
	dma_async_tx_callback_result cb_result = NULL;
	dma_async_tx_callback cb = NULL;
	bool call = irq;
	void *param = NULL;
	unsigned long flags;

	switch (pers) {
	case SW_IDEAL:
		break;
	case SW_IOAT:
		/* Every descriptor with a callback; failures in the result only. */
		call = true;
		if (status == DMA_ERROR && res != DMA_TRANS_ABORTED)
			status = DMA_COMPLETE;
		break;
	case SW_IDXD:
		/* Without IDXD_OP_FLAG_RCI, nothing ever sees it complete. */
		if (!irq)
			return;
		if (res == DMA_TRANS_READ_FAILED)
			r.result = DMA_TRANS_WRITE_FAILED;
		break;
	case SW_PTDMA:
		/* Every descriptor, with a NULL result: failures are invisible. */
		call = true;
		if (res != DMA_TRANS_ABORTED) {
			status = DMA_COMPLETE;
			r.result = DMA_TRANS_NOERROR;
		}
		break;
	}
	/* ioat_eh() and idxd_dma_complete_txd() leave it uninitialised. */
	if (r.result != DMA_TRANS_NOERROR && (pers == SW_IOAT || pers == SW_IDXD))
		r.residue = 0xdeadbeef;
	if (call && res != DMA_TRANS_ABORTED) {
		cb_result = d->tx.callback_result;
		cb = d->tx.callback;
		param = d->tx.callback_param;
	}
	spin_lock_irqsave(&c->lock, flags);
	swdma_finish_locked(c, d->tx.cookie, status);
	list_add(&d->node, &c->free);
	spin_unlock_irqrestore(&c->lock, flags);

	if (cb_result)
		cb_result(param, &r);
	else if (cb)
		cb(param);
	else
		return;
	atomic64_inc(&callbacks);
}

/* Perform @d's copy, or with @fail its failure (a scribbled destination). */
static void swdma_copy(struct swdma_desc *d, bool fail)
{
	if (fail)
		memset(swdma_virt(d->dst), 0xa5, d->len);
	else
		memcpy(swdma_virt(d->dst), swdma_virt(d->src), d->len);
}

static void swdma_work(struct work_struct *work)
{
	struct swdma_chan *c = container_of(work, struct swdma_chan, work);
	bool in_order = pers == SW_IOAT || pers == SW_PTDMA;
	struct swdma_desc *d, *tmp;
	unsigned long flags, gen;
	LIST_HEAD(todo);

	spin_lock_irqsave(&c->lock, flags);
	list_splice_init(&c->issued, &todo);
	gen = c->terminations;
	spin_unlock_irqrestore(&c->lock, flags);

	if (READ_ONCE(reorder) && !in_order) {
		LIST_HEAD(rev);

		list_for_each_entry_safe(d, tmp, &todo, node)
			list_move(&d->node, &rev);
		list_splice(&rev, &todo);
	}

	list_for_each_entry_safe(d, tmp, &todo, node) {
		unsigned int fe = READ_ONCE(fail_every), de = READ_ONCE(drop_every);
		unsigned int us = READ_ONCE(delay_us), seq;
		bool dropped = false, fail;

		list_del(&d->node);
		/* Terminated since we took it: discarded, no callback. */
		if (READ_ONCE(c->terminations) != gen) {
			swdma_retire(c, d, DMA_ERROR, DMA_TRANS_ABORTED);
			continue;
		}
		seq = atomic_inc_return(&desc_seq);
		if (us)
			usleep_range(us, us + us / 4 + 1);
		if (de && seq % de == 0) {
			/* Held until terminate_all, unless that already ran. */
			spin_lock_irqsave(&c->lock, flags);
			if (c->terminations == gen) {
				list_add_tail(&d->node, &c->dropped);
				dropped = true;
			}
			spin_unlock_irqrestore(&c->lock, flags);
			if (dropped)
				atomic64_inc(&descs_dropped);
			else
				swdma_retire(c, d, DMA_ERROR, DMA_TRANS_ABORTED);
			continue;
		}
		fail = fe && seq % fe == 0;
		swdma_copy(d, fail);
		atomic64_inc(fail ? &descs_failed : &descs_done);
		/*
		 * ptdma: a terminate while the queue ran this descriptor freed
		 * it without stopping the copy, which lands now, unreported.
		 */
		if (pers == SW_PTDMA && READ_ONCE(c->terminations) != gen) {
			atomic64_inc(&late_writes);
			swdma_retire(c, d, DMA_ERROR, DMA_TRANS_ABORTED);
		} else if (fail) {
			swdma_retire(c, d, DMA_ERROR, DMA_TRANS_READ_FAILED);
		} else {
			swdma_retire(c, d, DMA_COMPLETE, DMA_TRANS_NOERROR);
		}
		cond_resched();
	}
}

static void swdma_issue_pending(struct dma_chan *chan)
{
	struct swdma_chan *c = to_swchan(chan);
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	list_splice_tail_init(&c->submitted, &c->issued);
	spin_unlock_irqrestore(&c->lock, flags);
	queue_work(swdma_wq, &c->work);
}

/*
 * The status of @cookie itself (not the in-order completed_cookie test of
 * dma_cookie_status()): see "Status" above.
 */
static enum dma_status swdma_tx_status(struct dma_chan *chan,
				       dma_cookie_t cookie,
				       struct dma_tx_state *state)
{
	struct swdma_chan *c = to_swchan(chan);
	enum dma_status status = DMA_ERROR;
	dma_cookie_t used, done;
	unsigned long flags;

	if (pers == SW_IDXD)
		return DMA_OUT_OF_ORDER;	/* idxd_dma_tx_status() */
	spin_lock_irqsave(&c->lock, flags);
	if (c->records && cookie >= DMA_MIN_COOKIE) {
		struct swdma_record *r = swdma_record(c, cookie);

		if (r->cookie == cookie)
			status = r->status;
	}
	used = chan->cookie;
	done = chan->completed_cookie;
	spin_unlock_irqrestore(&c->lock, flags);
	dma_set_tx_state(state, done, used, 0);
	/* ioat, ptdma: dma_cookie_status(), the in-order watermark. */
	if (pers == SW_IOAT || pers == SW_PTDMA)
		return dma_async_is_complete(cookie, done, used);
	return status;
}

/* Discard every descriptor not yet taken by the worker, as failed. */
static void swdma_discard_locked(struct swdma_chan *c, struct list_head *list)
{
	struct swdma_desc *d;

	list_for_each_entry(d, list, node) {
		struct swdma_record *r = swdma_record(c, d->tx.cookie);

		if (r->cookie == d->tx.cookie)
			r->status = DMA_ERROR;
	}
	list_splice_init(list, &c->free);
}

/*
 * What the worker already took is discarded by the worker itself (it sees
 * the termination count change), or finishes if it is being copied.
 */
static int swdma_terminate_all(struct dma_chan *chan)
{
	struct swdma_chan *c = to_swchan(chan);
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	WRITE_ONCE(c->terminations, c->terminations + 1);
	if (c->records) {	/* else the lists are empty */
		swdma_discard_locked(c, &c->submitted);
		swdma_discard_locked(c, &c->issued);
		swdma_discard_locked(c, &c->dropped);
		swdma_advance_locked(c);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}

/* Wait for the worker: nothing it took is copied or called back after. */
static void swdma_flush(struct dma_chan *chan)
{
	flush_work(&to_swchan(chan)->work);
}

/* ptdma's vchan_synchronize() does not wait for the running descriptor. */
static void swdma_synchronize(struct dma_chan *chan)
{
	unsigned int ms = READ_ONCE(slow_terminate_ms);

	if (ms)
		msleep(ms);
	if (pers != SW_PTDMA)
		swdma_flush(chan);
}

/*
 * complete_dropped=1: every dropped descriptor held now completes, late:
 * its destination is written and it is called back as a success.
 * Serialised with channel release (swdma_drop_mutex), which frees the pool.
 */
static DEFINE_MUTEX(swdma_drop_mutex);

static int swdma_complete_dropped(const char *val, const struct kernel_param *kp)
{
	struct swdma_desc *d, *tmp;
	unsigned long flags;
	unsigned int i;
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret || !on)
		return ret;
	mutex_lock(&swdma_drop_mutex);
	for (i = 0; i < channels; i++) {
		struct swdma_chan *c = &swdma_chans[i];
		LIST_HEAD(late);

		spin_lock_irqsave(&c->lock, flags);
		list_splice_init(&c->dropped, &late);
		spin_unlock_irqrestore(&c->lock, flags);
		list_for_each_entry_safe(d, tmp, &late, node) {
			list_del(&d->node);
			swdma_copy(d, false);
			atomic64_inc(&late_writes);
			atomic64_inc(&descs_done);
			swdma_retire(c, d, DMA_COMPLETE, DMA_TRANS_NOERROR);
		}
	}
	mutex_unlock(&swdma_drop_mutex);
	return 0;
}

static int swdma_alloc_chan_resources(struct dma_chan *chan)
{
	struct swdma_chan *c = to_swchan(chan);
	struct swdma_record *records;
	struct swdma_desc *descs;
	unsigned long flags;
	unsigned int i;

	if (READ_ONCE(fail_chan_alloc))
		return -ENOMEM;
	descs = kcalloc(SWDMA_DESCS, sizeof(*descs), GFP_KERNEL);
	records = kcalloc(SWDMA_RECORDS, sizeof(*records), GFP_KERNEL);
	if (!descs || !records) {
		kfree(descs);
		kfree(records);
		return -ENOMEM;
	}
	spin_lock_irqsave(&c->lock, flags);
	c->descs = descs;
	c->records = records;
	for (i = 0; i < SWDMA_DESCS; i++)
		list_add_tail(&descs[i].node, &c->free);
	spin_unlock_irqrestore(&c->lock, flags);
	atomic64_inc(&chan_allocs);
	return SWDMA_DESCS;
}

static void swdma_free_chan_resources(struct dma_chan *chan)
{
	struct swdma_chan *c = to_swchan(chan);
	struct swdma_record *records;
	unsigned long flags;

	mutex_lock(&swdma_drop_mutex);
	swdma_terminate_all(chan);
	swdma_flush(chan);
	spin_lock_irqsave(&c->lock, flags);
	INIT_LIST_HEAD(&c->free);
	records = c->records;
	c->records = NULL;
	spin_unlock_irqrestore(&c->lock, flags);
	kfree(records);
	kfree(c->descs);
	c->descs = NULL;
	mutex_unlock(&swdma_drop_mutex);
	atomic64_inc(&chan_frees);
}

/* Storage is static; the module is pinned while a channel is in use. */
static void swdma_release(struct dma_device *dd)
{
}

static int swdma_probe(struct platform_device *pdev)
{
	struct dma_device *dd = &swdma_dev;
	unsigned int i;
	int ret;

	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	dd->dev = &pdev->dev;
	INIT_LIST_HEAD(&dd->channels);
	dma_cap_zero(dd->cap_mask);
	dma_cap_set(DMA_MEMCPY, dd->cap_mask);
	if (pers != SW_IOAT)
		dma_cap_set(DMA_PRIVATE, dd->cap_mask);
	if (pers == SW_IDXD)
		dma_cap_set(DMA_COMPLETION_NO_ORDER, dd->cap_mask);
	dd->device_alloc_chan_resources = swdma_alloc_chan_resources;
	dd->device_free_chan_resources = swdma_free_chan_resources;
	dd->device_prep_dma_memcpy = swdma_prep_memcpy;
	dd->device_issue_pending = swdma_issue_pending;
	dd->device_tx_status = swdma_tx_status;
	/* ioat and idxd implement neither. */
	if (pers == SW_IDEAL || pers == SW_PTDMA) {
		dd->device_terminate_all = swdma_terminate_all;
		dd->device_synchronize = swdma_synchronize;
	}
	dd->device_release = swdma_release;
	for (i = 0; i < channels; i++) {
		struct swdma_chan *c = &swdma_chans[i];

		spin_lock_init(&c->lock);
		INIT_LIST_HEAD(&c->free);
		INIT_LIST_HEAD(&c->submitted);
		INIT_LIST_HEAD(&c->issued);
		INIT_LIST_HEAD(&c->dropped);
		INIT_WORK(&c->work, swdma_work);
		c->chan.device = dd;
		c->chan.cookie = DMA_MIN_COOKIE;
		c->chan.completed_cookie = DMA_MIN_COOKIE;
		list_add_tail(&c->chan.device_node, &dd->channels);
	}
	return dma_async_device_register(dd);
}

static void swdma_remove(struct platform_device *pdev)
{
	dma_async_device_unregister(&swdma_dev);
}

static struct platform_driver swdma_driver = {
	.probe = swdma_probe,
	.remove_new = swdma_remove,
	.driver = {
		.name = "migoff_swdma",
		.suppress_bind_attrs = true,
	},
};

static int __init swdma_init(void)
{
	int ret;

	int p;

	if (!channels || channels > SWDMA_MAX_CHANNELS)
		return -EINVAL;
	p = match_string(personality_names, ARRAY_SIZE(personality_names),
			 personality);
	if (p < 0) {
		pr_err("personality=%s: not one of ideal, ioat, idxd, ptdma\n",
		       personality);
		return -EINVAL;
	}
	pers = p;
	swdma_driver.driver.name = pers == SW_PTDMA ? "migoff_swdma_pt" : "migoff_swdma";
	/*
	 * WQ_MEM_RECLAIM: migrations from reclaim (kswapd, direct
	 * compaction) wait for these copies and flush this workqueue
	 * (synchronize), so it must make progress without a new worker.
	 */
	swdma_wq = alloc_workqueue("migoff_swdma", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!swdma_wq)
		return -ENOMEM;
	ret = platform_driver_register(&swdma_driver);
	if (ret)
		goto err_wq;
	swdma_pdev = platform_device_register_simple(swdma_driver.driver.name,
						     -1, NULL, 0);
	if (IS_ERR(swdma_pdev)) {
		ret = PTR_ERR(swdma_pdev);
		goto err_drv;
	}
	if (!swdma_pdev->dev.driver) {
		ret = -ENODEV;
		goto err_dev;
	}
	pr_info("%u DMA_MEMCPY channels, personality %s\n", channels,
		personality_names[pers]);
	return 0;
err_dev:
	platform_device_unregister(swdma_pdev);
err_drv:
	platform_driver_unregister(&swdma_driver);
err_wq:
	destroy_workqueue(swdma_wq);
	return ret;
}

static void __exit swdma_exit(void)
{
	platform_device_unregister(swdma_pdev);
	platform_driver_unregister(&swdma_driver);
	destroy_workqueue(swdma_wq);
}

module_init(swdma_init);
module_exit(swdma_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Software DMA memcpy engine with fault injection (tests)");

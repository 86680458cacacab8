// SPDX-License-Identifier: GPL-2.0
/*
 * dcbm: DMA core batch migrator - copy migration batches with dmaengine
 * memcpy channels.
 *
 * Channels (DMA_MEMCPY, requested with dma_request_chan_by_mask()) are
 * acquired when a reason is first routed to dcbm and released when the last
 * route goes. A batch is copied in windows of up to DCBM_WINDOW folios;
 * each window claims the free channels for itself (waiting up to
 * "timeout_ms" for one when all are claimed), deals its folios round-robin
 * to them, and gives them back when done. A channel thus only ever holds
 * the descriptors of one window, so when a window times out, terminating
 * its channels discards its own descriptors and nobody else's.
 *
 * Each folio is mapped on its own (dma_map_page() of the whole folio, which
 * is physically contiguous), so each transfer covers exactly one folio
 * whatever an IOMMU merges, and each descriptor carries its own completion
 * callback: correctness does not depend on descriptors completing in
 * order. After "timeout_ms" the window's channels are terminated; a folio
 * is marked copied only if its own descriptor reported success, so failed,
 * dropped or timed-out transfers fall back to the CPU copy and nothing is
 * lost.
 *
 * Allocation: the per-batch transfer array (one window) is allocated with
 * GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC, since batches may come from
 * reclaim; if it fails, the batch is left to the CPU copy.
 *
 * Parameters: channels (1..16), timeout_ms (10..60000). A "channels"
 * change while routed requests the new channels first and fails with
 * nothing changed (ENODEV, or EBUSY when too many old channels are still
 * finishing their windows) if it cannot get them all; channels it drops
 * are released once their current window is done, by a work item: the
 * change never waits for copies.
 *
 * Availability: whether a DMA_MEMCPY channel is free can only be known by
 * taking one, which a read (GET_MIGRATOR) must not do. A routed dcbm is
 * available when it holds channels; an unrouted one reports available,
 * and routing it fails with ENODEV if no channel can be had.
 *
 * Statistics (/sys/module/migoff_dcbm/parameters/, read-only):
 *   timeouts   windows whose transfers timed out (their channels terminated)
 *   busy       windows that found no free channel within timeout_ms
 *
 * Locking: the channel slots are changed under pool_lock. Only
 * activate/deactivate/"channels" (under the core's policy mutex) add or
 * remove usable channels; deactivate runs when no batch runs in dcbm (after
 * an SRCU grace period). A window's claimed channels stay in their slots
 * until it gives them back.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/migrate.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "migoff_engine.h"

#define DCBM_MAX_CHANNELS	16
/* Usable channels, plus dropped ones still finishing a window. */
#define DCBM_SLOTS		(2 * DCBM_MAX_CHANNELS)
#define DCBM_WINDOW		64

static atomic_long_t stat_timeouts, stat_busy;

static int stat_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

static const struct kernel_param_ops stat_ops = { .get = stat_get };
module_param_cb(timeouts, &stat_ops, &stat_timeouts, 0444);
MODULE_PARM_DESC(timeouts, "Windows of transfers that timed out");
module_param_cb(busy, &stat_ops, &stat_busy, 0444);
MODULE_PARM_DESC(busy, "Windows that found no free channel in time");

struct dcbm_batch {
	atomic_t pending;
	struct completion done;
};

struct dcbm_xfer {
	struct folio *src, *dst;
	struct dma_chan *chan;
	dma_addr_t src_dma, dst_dma;
	bool mapped_src, mapped_dst, ok;
	struct dcbm_batch *b;
};

struct dcbm_slot {
	struct dma_chan *chan;		/* NULL: the slot is free */
	bool busy;			/* claimed by a window */
	bool retiring;			/* released once not busy */
};

static DEFINE_SPINLOCK(pool_lock);
static struct dcbm_slot slots[DCBM_SLOTS];	/* under pool_lock */
static unsigned int nr_usable;		/* chan && !retiring; under pool_lock */
static DECLARE_WAIT_QUEUE_HEAD(pool_wait);

static void dcbm_release_work_fn(struct work_struct *w);
static DECLARE_WORK(release_work, dcbm_release_work_fn);

/* Release the retiring channels no window uses any more. */
static void dcbm_release_work_fn(struct work_struct *w)
{
	struct dma_chan *gone[DCBM_SLOTS];
	unsigned int s, n = 0;

	spin_lock(&pool_lock);
	for (s = 0; s < DCBM_SLOTS; s++) {
		if (slots[s].chan && slots[s].retiring && !slots[s].busy) {
			gone[n++] = slots[s].chan;
			slots[s] = (struct dcbm_slot){ };
		}
	}
	spin_unlock(&pool_lock);
	while (n)
		dma_release_channel(gone[--n]);
}

/*
 * Make @want channels usable: request the missing ones before anything
 * changes, or retire the extra ones (idle first). All or nothing; never
 * waits for copies. Under the core's policy mutex.
 */
static int dcbm_resize(unsigned int want)
{
	struct dma_chan *got[DCBM_MAX_CHANNELS];
	unsigned int have, nfree = 0, n, s, i;
	dma_cap_mask_t mask;

	/*
	 * Give back the channels dropped by an earlier change whose windows
	 * are done, so that shrinking and growing again can reuse them.
	 * The work does not wait for copies.
	 */
	flush_work(&release_work);
	spin_lock(&pool_lock);
	have = nr_usable;
	for (s = 0; s < DCBM_SLOTS; s++)
		nfree += !slots[s].chan;
	spin_unlock(&pool_lock);

	if (want > have) {
		/* Only the release work frees slots meanwhile. */
		if (want - have > nfree)
			return -EBUSY;
		dma_cap_zero(mask);
		dma_cap_set(DMA_MEMCPY, mask);
		for (n = 0; n < want - have; n++) {
			struct dma_chan *c = dma_request_chan_by_mask(&mask);

			if (IS_ERR(c)) {
				while (n)
					dma_release_channel(got[--n]);
				return -ENODEV;
			}
			got[n] = c;
		}
		spin_lock(&pool_lock);
		for (s = 0, i = 0; i < n; s++) {
			if (!slots[s].chan)
				slots[s] = (struct dcbm_slot){ .chan = got[i++] };
		}
		WRITE_ONCE(nr_usable, nr_usable + n);
		spin_unlock(&pool_lock);
		wake_up(&pool_wait);
	} else if (want < have) {
		unsigned int pass;

		spin_lock(&pool_lock);
		n = have - want;
		for (pass = 0; pass < 2; pass++) {	/* idle, then busy */
			for (s = 0; s < DCBM_SLOTS && n; s++) {
				if (slots[s].chan && !slots[s].retiring &&
				    slots[s].busy == pass) {
					slots[s].retiring = true;
					n--;
				}
			}
		}
		WRITE_ONCE(nr_usable, want);
		spin_unlock(&pool_lock);
		schedule_work(&release_work);
	}
	return 0;
}

/* Claim up to @max free usable channels for a window. */
static unsigned int dcbm_claim(unsigned int *mine, struct dma_chan **chans,
			       unsigned int max)
{
	unsigned int s, n = 0;

	spin_lock(&pool_lock);
	for (s = 0; s < DCBM_SLOTS && n < max; s++) {
		if (slots[s].chan && !slots[s].busy && !slots[s].retiring) {
			slots[s].busy = true;
			chans[n] = slots[s].chan;
			mine[n++] = s;
		}
	}
	spin_unlock(&pool_lock);
	return n;
}

/* For wait_event: claimed some channels, or there are none to wait for. */
static bool dcbm_try_claim(unsigned int *mine, struct dma_chan **chans,
			   unsigned int max, unsigned int *k)
{
	*k = dcbm_claim(mine, chans, max);
	return *k || !READ_ONCE(nr_usable);
}

static void dcbm_unclaim(const unsigned int *mine, unsigned int n)
{
	bool retire = false;
	unsigned int i;

	spin_lock(&pool_lock);
	for (i = 0; i < n; i++) {
		slots[mine[i]].busy = false;
		retire |= slots[mine[i]].retiring;
	}
	spin_unlock(&pool_lock);
	if (retire)
		schedule_work(&release_work);
	wake_up(&pool_wait);
}

static bool dcbm_available(struct migoff_engine *e)
{
	return !e->nr_routes || READ_ONCE(nr_usable);
}

static int dcbm_activate(struct migoff_engine *e)
{
	return dcbm_resize(READ_ONCE(e->params[0].value));
}

/* No batch runs in dcbm any more: release every channel now. */
static void dcbm_deactivate(struct migoff_engine *e)
{
	struct dma_chan *gone[DCBM_SLOTS];
	unsigned int s, n = 0;

	spin_lock(&pool_lock);
	for (s = 0; s < DCBM_SLOTS; s++) {
		if (slots[s].chan)
			gone[n++] = slots[s].chan;
		slots[s] = (struct dcbm_slot){ };
	}
	WRITE_ONCE(nr_usable, 0);
	spin_unlock(&pool_lock);
	while (n)
		dma_release_channel(gone[--n]);
}

/* Under the policy mutex; unrouted, the value is applied at activation. */
static int dcbm_set_channels(struct migoff_engine *e, u64 value)
{
	return e->nr_routes ? dcbm_resize(value) : 0;
}

static void dcbm_done(void *arg, const struct dmaengine_result *res)
{
	struct dcbm_xfer *x = arg;

	x->ok = res->result == DMA_TRANS_NOERROR;
	if (atomic_dec_and_test(&x->b->pending))
		complete(&x->b->done);
}

static void dcbm_unmap(struct dcbm_xfer *x)
{
	struct device *dev = dmaengine_get_dma_device(x->chan);

	if (x->mapped_src)
		dma_unmap_page(dev, x->src_dma, folio_size(x->src), DMA_TO_DEVICE);
	if (x->mapped_dst)
		dma_unmap_page(dev, x->dst_dma, folio_size(x->dst), DMA_FROM_DEVICE);
}

static int dcbm_submit(struct dcbm_xfer *x)
{
	struct device *dev = dmaengine_get_dma_device(x->chan);
	struct dma_async_tx_descriptor *tx;
	size_t len = folio_size(x->src);

	x->src_dma = dma_map_page(dev, folio_page(x->src, 0), 0, len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, x->src_dma))
		return -ENOMEM;
	x->mapped_src = true;
	x->dst_dma = dma_map_page(dev, folio_page(x->dst, 0), 0, len, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, x->dst_dma))
		return -ENOMEM;
	x->mapped_dst = true;

	tx = dmaengine_prep_dma_memcpy(x->chan, x->dst_dma, x->src_dma, len,
				       DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return -EIO;
	tx->callback_result = dcbm_done;
	tx->callback_param = x;
	atomic_inc(&x->b->pending);
	if (dma_submit_error(dmaengine_submit(tx))) {
		atomic_dec(&x->b->pending);
		return -EIO;
	}
	return 0;
}

/*
 * Copy the @n folios from the cursors @srcp and @dstp on; leave them on the
 * folios after them.
 */
static int dcbm_copy_window(struct dcbm_xfer *x, unsigned int n,
			    struct folio **srcp, struct folio **dstp,
			    unsigned long timeout)
{
	struct dma_chan *chans[DCBM_MAX_CHANNELS];
	unsigned int mine[DCBM_MAX_CHANNELS], k = 0, i, c;
	struct folio *src = *srcp, *dst = *dstp;
	struct dcbm_batch b;
	int rc = 0;

	if (!wait_event_timeout(pool_wait,
				dcbm_try_claim(mine, chans,
					       min_t(unsigned int, n, DCBM_MAX_CHANNELS), &k),
				timeout)) {
		atomic_long_inc(&stat_busy);
		return -EBUSY;
	}
	if (!k)
		return -ENODEV;

	/* One reference for the submitter, dropped once all are queued. */
	atomic_set(&b.pending, 1);
	init_completion(&b.done);
	for (i = 0; i < n; i++) {
		x[i] = (struct dcbm_xfer){ .src = src, .dst = dst,
					   .chan = chans[i % k], .b = &b };
		if (dcbm_submit(&x[i]))
			rc = -EIO;
		src = list_next_entry(src, lru);
		dst = list_next_entry(dst, lru);
	}
	*srcp = src;
	*dstp = dst;
	for (c = 0; c < k; c++)
		dma_async_issue_pending(chans[c]);

	if (!atomic_dec_and_test(&b.pending) &&
	    !wait_for_completion_timeout(&b.done, timeout)) {
		rc = -ETIMEDOUT;
		atomic_long_inc(&stat_timeouts);
		pr_warn_ratelimited("DMA copy timed out; the CPU copies the rest\n");
		/*
		 * The channels hold this window's descriptors only: stop
		 * them; no callback runs after this.
		 */
		for (c = 0; c < k; c++)
			dmaengine_terminate_sync(chans[c]);
	}

	for (i = 0; i < n; i++) {
		dcbm_unmap(&x[i]);
		if (x[i].ok)
			folio_mark_content_copied(x[i].dst);
		else if (!rc)
			rc = -EIO;
	}
	dcbm_unclaim(mine, k);
	return rc;
}

static int dcbm_copy(struct migoff_engine *e, struct list_head *dst_list,
		     struct list_head *src_list, unsigned int nr,
		     struct migoff_copy_info *ci)
{
	unsigned long timeout = msecs_to_jiffies(READ_ONCE(e->params[1].value));
	struct folio *src = list_first_entry(src_list, struct folio, lru);
	struct folio *dst = list_first_entry(dst_list, struct folio, lru);
	unsigned int done, n;
	struct dcbm_xfer *x;
	int rc = 0, ret;

	x = kmalloc_array(min_t(unsigned int, nr, DCBM_WINDOW), sizeof(*x),
			  GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC);
	if (!x)
		return -ENOMEM;	/* the CPU copies the batch */

	for (done = 0; done < nr; done += n) {
		n = min_t(unsigned int, nr - done, DCBM_WINDOW);
		ret = dcbm_copy_window(x, n, &src, &dst, timeout);
		if (ret && rc != -ETIMEDOUT)
			rc = ret;
		if (ret == -ENODEV || ret == -EBUSY)
			break;	/* the rest falls back too */
	}
	kfree(x);
	return rc;
}

static struct migoff_engine dcbm_engine = {
	.name = "dcbm",
	.kind = MIGOFF_KIND_DMA,
	.owner = THIS_MODULE,
	.copy = dcbm_copy,
	.available = dcbm_available,
	.activate = dcbm_activate,
	.deactivate = dcbm_deactivate,
	.nr_params = 2,
	.params = {
		{ .name = "channels", .min = 1, .max = DCBM_MAX_CHANNELS,
		  .value = 1, .set = dcbm_set_channels },
		{ .name = "timeout_ms", .min = 10, .max = 60000, .value = 2000 },
	},
};

static int __init dcbm_init(void)
{
	return migoff_register_engine(&dcbm_engine);
}

/* Unrouted, so deactivated: only a pending release may be left. */
static void __exit dcbm_exit(void)
{
	migoff_unregister_engine(&dcbm_engine);
	flush_work(&release_work);
}

module_init(dcbm_init);
module_exit(dcbm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DMA batch copy migrator for migrate_offload");

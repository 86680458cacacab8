// SPDX-License-Identifier: GPL-2.0
/*
 * dcbm: DMA core batch migrator - copy migration batches with dmaengine
 * memcpy channels.
 *
 * Channels (DMA_MEMCPY, requested with dma_request_chan_by_mask()) are
 * acquired when a reason is first routed to dcbm and released when the last
 * route goes. The batch's folios are dealt round-robin to the channels.
 * Each folio is mapped on its own (dma_map_page() of the whole folio, which
 * is physically contiguous), so each transfer covers exactly one folio
 * whatever an IOMMU merges, and each descriptor carries its own completion
 * callback: correctness does not depend on descriptors completing in
 * order. After "timeout_ms" the channels are terminated; a folio is marked
 * copied only if its own descriptor reported success, so failed, dropped or
 * timed-out transfers fall back to the CPU copy and nothing is lost.
 *
 * Parameters: channels (1..16), timeout_ms (10..60000).
 *
 * Locking: chans[] and nr_chans change only in activate/deactivate/set,
 * which the core calls under its policy mutex while no batch runs in dcbm
 * (deactivate after an SRCU grace period) or, for "channels", under
 * chan_lock, which copies hold for reading.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/migrate.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/slab.h>

#include "migoff_engine.h"

#define DCBM_MAX_CHANNELS	16

struct dcbm_xfer {
	struct folio *src, *dst;
	struct dma_chan *chan;
	dma_addr_t src_dma, dst_dma;
	bool mapped_src, mapped_dst, ok;
	struct dcbm_batch *b;
};

struct dcbm_batch {
	atomic_t pending;
	struct completion done;
};

static DECLARE_RWSEM(chan_lock);
static struct dma_chan *chans[DCBM_MAX_CHANNELS];
static unsigned int nr_chans;

static void dcbm_release_channels(void)
{
	while (nr_chans)
		dma_release_channel(chans[--nr_chans]);
}

static int dcbm_request_channels(unsigned int want)
{
	dma_cap_mask_t mask;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	while (nr_chans < want) {
		struct dma_chan *c = dma_request_chan_by_mask(&mask);

		if (IS_ERR(c))
			break;
		chans[nr_chans++] = c;
	}
	return nr_chans ? 0 : -ENODEV;
}

static bool dcbm_available(struct migoff_engine *e)
{
	dma_cap_mask_t mask;
	struct dma_chan *c;
	bool held;

	down_read(&chan_lock);
	held = nr_chans;
	up_read(&chan_lock);
	if (held)
		return true;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	c = dma_request_chan_by_mask(&mask);
	if (IS_ERR(c))
		return false;
	dma_release_channel(c);
	return true;
}

static int dcbm_activate(struct migoff_engine *e)
{
	int ret;

	down_write(&chan_lock);
	ret = dcbm_request_channels(READ_ONCE(e->params[0].value));
	if (ret)
		dcbm_release_channels();
	up_write(&chan_lock);
	return ret;
}

static void dcbm_deactivate(struct migoff_engine *e)
{
	down_write(&chan_lock);
	dcbm_release_channels();
	up_write(&chan_lock);
}

static int dcbm_set_channels(struct migoff_engine *e, u64 value)
{
	int ret = 0;

	down_write(&chan_lock);
	if (e->nr_routes) {
		dcbm_release_channels();
		ret = dcbm_request_channels(value);
	}
	up_write(&chan_lock);
	return ret;
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

static int dcbm_copy(struct migoff_engine *e, struct list_head *dst_list,
		     struct list_head *src_list, unsigned int nr,
		     struct migoff_copy_info *ci)
{
	unsigned long timeout = msecs_to_jiffies(READ_ONCE(e->params[1].value));
	struct dcbm_batch b;
	struct dcbm_xfer *x;
	struct folio *src, *dst;
	unsigned int i, c;
	int rc = 0;

	x = kvcalloc(nr, sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;

	down_read(&chan_lock);
	if (!nr_chans) {
		rc = -ENODEV;
		goto out_unlock;
	}
	/* One reference for the submitter, dropped once all are queued. */
	atomic_set(&b.pending, 1);
	init_completion(&b.done);

	i = 0;
	dst = list_first_entry(dst_list, struct folio, lru);
	list_for_each_entry(src, src_list, lru) {
		if (i == nr)
			break;
		x[i].src = src;
		x[i].dst = dst;
		x[i].chan = chans[i % nr_chans];
		x[i].b = &b;
		if (dcbm_submit(&x[i]))
			rc = -EIO;
		dst = list_next_entry(dst, lru);
		i++;
	}
	for (c = 0; c < nr_chans; c++)
		dma_async_issue_pending(chans[c]);

	if (!atomic_dec_and_test(&b.pending) &&
	    !wait_for_completion_timeout(&b.done, timeout)) {
		rc = -ETIMEDOUT;
		pr_warn_ratelimited("DMA copy timed out; the CPU copies the rest\n");
	}
	/* Stop everything still queued; no callback runs after this. */
	if (rc == -ETIMEDOUT)
		for (c = 0; c < nr_chans; c++)
			dmaengine_terminate_sync(chans[c]);

	for (i = 0; i < nr; i++) {
		dcbm_unmap(&x[i]);
		if (x[i].ok)
			folio_mark_content_copied(x[i].dst);
		else if (!rc)
			rc = -EIO;
	}
out_unlock:
	up_read(&chan_lock);
	kvfree(x);
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

static void __exit dcbm_exit(void)
{
	migoff_unregister_engine(&dcbm_engine);
}

module_init(dcbm_init);
module_exit(dcbm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DMA batch copy migrator for migrate_offload");

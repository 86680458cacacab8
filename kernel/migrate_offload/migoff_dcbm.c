// SPDX-License-Identifier: GPL-2.0
/*
 * dcbm: DMA core batch migrator - copy migration batches with dmaengine
 * memcpy channels.
 *
 * Channels (DMA_MEMCPY, requested with dma_request_chan_by_mask()) are
 * acquired when a reason is first routed to dcbm and released when the last
 * route goes. A batch is copied in windows of up to DCBM_WINDOW folios;
 * each window claims the free channels for itself (waiting up to
 * "timeout_ms" for one when all are claimed), deals its folios to them in
 * contiguous shares (channel c of k gets folios [c*n/k, (c+1)*n/k) of the
 * n), and gives them back when done. A channel thus only ever holds the
 * descriptors of one window, so when a window times out, terminating its
 * channels discards its own descriptors and nobody else's.
 *
 * Descriptors: each folio is mapped on its own (dma_map_page() of the
 * whole folio, which is physically contiguous). Consecutive folios of a
 * share whose mapped source and destination both follow the previous
 * folio's form a run, copied by one descriptor, as long as the run stays
 * one segment of the device (dma_get_max_seg_size(), segment boundary)
 * and meets its copy alignment; a folio larger than that still gets a
 * descriptor of its own, as before. Without an IOMMU, runs are physically
 * contiguous folios; under one, separately mapped folios rarely get
 * adjacent addresses, so most descriptors carry one folio there.
 *
 * Completion: only the last descriptor queued on each channel asks for an
 * interrupt and a completion callback (DMA_PREP_INTERRUPT); the others
 * carry DMA_CTRL_ACK only. Once every channel's callback ran, the status
 * of every descriptor is read with dmaengine_tx_status(): an engine may
 * finish a channel's last descriptor before earlier ones, so those still
 * DMA_IN_PROGRESS are polled (a sleep of DCBM_POLL_MIN_US, doubling up to
 * DCBM_POLL_MAX_US while nothing finishes) until the window's "timeout_ms"
 * is up. Then the window's channels are terminated
 * (dmaengine_terminate_sync(): no callback runs afterwards), and whatever
 * had not reported its outcome falls back; the window's transfer records
 * are reused or freed only after that, or after every callback ran. A
 * run's outcome is its descriptor's own: DMA_COMPLETE (and, for a
 * channel's last descriptor, a callback result DMA_TRANS_NOERROR with no
 * residue) marks every folio of the run copied; DMA_ERROR, an error
 * result, a dropped or timed-out descriptor, or a descriptor that could
 * not be prepared or submitted leaves them unmarked, so they fall back to
 * the CPU copy and nothing is lost. This relies on the provider's device_tx_status
 * reporting each cookie's own status (an in-order dma_cookie_status()
 * would call an earlier cookie complete once a later one is; a provider
 * that reports errors only through callback results would hide the
 * failure of descriptors without a callback).
 *
 * Mapping stays per folio, deliberately. Without an IOMMU (dma-direct),
 * dma_map_sg() maps each entry exactly as dma_map_page() does (a few
 * instructions each): nothing to save. With an IOMMU, one dma_map_sg() per
 * share would save IOVA allocations and IOTLB invalidations and could make
 * the share contiguous in IOVA space (longer runs), but the entries' own
 * addresses are then gone: the DMA API only promises that the mapped
 * segments carry the same bytes in the same order, and it merges the
 * source and destination lists independently. Each descriptor would have
 * to be cut at the union of both lists' segment boundaries, each folio's
 * outcome derived from byte offsets as the AND of the pieces covering it,
 * a failed mapping would fail the whole share, and the software engine
 * (dma-direct only) could exercise none of it. Per-folio mapping keeps
 * every descriptor on folio boundaries, so its status is exactly its
 * folios' status.
 *
 * Allocation: the per-batch transfer records (one window, struct
 * dcbm_window) are allocated with GFP_NOWAIT | __GFP_NOWARN |
 * __GFP_NOMEMALLOC, since batches may come from reclaim; if that fails,
 * the batch is left to the CPU copy. Nothing else is allocated per batch.
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
 *   timeouts     windows whose transfers timed out (channels terminated)
 *   busy         windows that found no free channel within timeout_ms
 *   windows      windows that claimed channels (each asks for at most one
 *                callback per claimed channel)
 *   descriptors  descriptors submitted
 *   coalesced    folios that rode on the descriptor of the folio before
 *                (folios submitted = descriptors + coalesced)
 *
 * Locking: the channel slots are changed under pool_lock. Only
 * activate/deactivate/"channels" (under the core's policy mutex) add or
 * remove usable channels; deactivate runs when no batch runs in dcbm (after
 * an SRCU grace period). A window's claimed channels stay in their slots
 * until it gives them back. A window's records belong to the copying task,
 * except the callback result (cb_state) of each channel's last descriptor,
 * which its callback writes (WRITE_ONCE) before dropping the window's
 * pending count, and the task reads with READ_ONCE. The task reuses or
 * frees the records only once the completion is done (seen by
 * wait_for_completion_timeout() or completion_done(), which both take its
 * lock: the last callback's complete() is over) or the channels are
 * terminated (dmaengine_terminate_sync(): no callback runs any more).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/migrate.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "migoff_engine.h"

#define DCBM_MAX_CHANNELS	16
/* Usable channels, plus dropped ones still finishing a window. */
#define DCBM_SLOTS		(2 * DCBM_MAX_CHANNELS)
#define DCBM_WINDOW		64
/* Polling the descriptors that finish after their channel's last one. */
#define DCBM_POLL_MIN_US	20
#define DCBM_POLL_MAX_US	1000

static atomic_long_t stat_timeouts, stat_busy, stat_windows, stat_descs,
	stat_coalesced;

static int stat_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%ld\n", atomic_long_read(kp->arg));
}

static const struct kernel_param_ops stat_ops = { .get = stat_get };
module_param_cb(timeouts, &stat_ops, &stat_timeouts, 0444);
MODULE_PARM_DESC(timeouts, "Windows of transfers that timed out");
module_param_cb(busy, &stat_ops, &stat_busy, 0444);
MODULE_PARM_DESC(busy, "Windows that found no free channel in time");
module_param_cb(windows, &stat_ops, &stat_windows, 0444);
MODULE_PARM_DESC(windows, "Windows that claimed channels");
module_param_cb(descriptors, &stat_ops, &stat_descs, 0444);
MODULE_PARM_DESC(descriptors, "DMA descriptors submitted");
module_param_cb(coalesced, &stat_ops, &stat_coalesced, 0444);
MODULE_PARM_DESC(coalesced, "Folios that shared a descriptor with the folio before");

/* Where a folio's transfer stands (struct dcbm_xfer.state). */
enum dcbm_state {
	DCBM_UNSENT,		/* not queued (mapping or prep failed) */
	DCBM_PENDING,		/* queued; outcome not known yet */
	DCBM_OK,		/* its descriptor reported success */
	DCBM_FAILED,		/* its descriptor reported an error */
};

/*
 * One folio of a window. The first folio of a run (@run > 0, the head)
 * holds the fields of the run's descriptor, which copies it and the
 * @run - 1 folios after it; the other folios of the run have @run 0.
 * A folio in no run (its mapping failed) has @run 0 and falls back.
 */
struct dcbm_xfer {
	struct folio *src, *dst;
	struct dma_chan *chan;		/* whose device mapped it */
	dma_addr_t src_dma, dst_dma;
	dma_cookie_t cookie;		/* head */
	u8 idx;				/* index in the window */
	u8 run;				/* head: folios of its descriptor */
	u8 state;			/* head: enum dcbm_state */
	u8 cb_state;			/* head, @irq: what its callback said */
	bool irq;			/* head: its channel's last descriptor */
	bool mapped_src, mapped_dst;
};

/*
 * A batch's transfer records, reused by its windows one after the other.
 * @pending counts the callbacks still to come (plus one while queuing);
 * the last one completes @done.
 */
struct dcbm_window {
	atomic_t pending;
	struct completion done;
	struct dcbm_xfer x[];
};

static_assert(DCBM_WINDOW <= U8_MAX);

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
	struct dcbm_xfer *h = arg;
	struct dcbm_window *w = container_of(h - h->idx, struct dcbm_window, x[0]);

	WRITE_ONCE(h->cb_state, res->result == DMA_TRANS_NOERROR && !res->residue ?
		   DCBM_OK : DCBM_FAILED);
	if (atomic_dec_and_test(&w->pending))
		complete(&w->done);
}

static void dcbm_unmap(struct dcbm_xfer *x)
{
	struct device *dev = dmaengine_get_dma_device(x->chan);

	if (x->mapped_src)
		dma_unmap_page(dev, x->src_dma, folio_size(x->src), DMA_TO_DEVICE);
	if (x->mapped_dst)
		dma_unmap_page(dev, x->dst_dma, folio_size(x->dst), DMA_FROM_DEVICE);
}

static int dcbm_map(struct dcbm_xfer *x, struct device *dev, size_t len)
{
	x->src_dma = dma_map_page(dev, folio_page(x->src, 0), 0, len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, x->src_dma))
		return -ENOMEM;
	x->mapped_src = true;
	x->dst_dma = dma_map_page(dev, folio_page(x->dst, 0), 0, len, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, x->dst_dma))
		return -ENOMEM;
	x->mapped_dst = true;
	return 0;
}

/*
 * Whether a folio of @len bytes at @x can join the run of @run_len bytes
 * that starts at @h: it must follow the run in both source and destination
 * DMA addresses, and the run must stay one segment of the device (its
 * maximum segment size and segment boundary) and meet its copy alignment.
 */
static bool dcbm_joins(const struct dcbm_xfer *h, size_t run_len,
		       const struct dcbm_xfer *x, size_t len,
		       struct device *dev, struct dma_device *dd)
{
	unsigned long boundary = dma_get_seg_boundary(dev);
	size_t total = run_len + len;

	if (x->src_dma != h->src_dma + run_len ||
	    x->dst_dma != h->dst_dma + run_len)
		return false;
	if (total > dma_get_max_seg_size(dev) ||
	    !is_dma_copy_aligned(dd, h->src_dma, h->dst_dma, total))
		return false;
	return !((h->src_dma ^ (h->src_dma + total - 1)) & ~boundary) &&
	       !((h->dst_dma ^ (h->dst_dma + total - 1)) & ~boundary);
}

/*
 * Map the @n folios of @chan's share of a window for its device and group
 * them in runs (dcbm_joins()), each to be copied by one descriptor: the
 * first folio of a run gets @run, the others 0. A folio that cannot be
 * mapped is in no run: it falls back.
 */
static void dcbm_map_runs(struct dcbm_xfer *x, unsigned int n,
			  struct dma_chan *chan)
{
	struct device *dev = dmaengine_get_dma_device(chan);
	struct dcbm_xfer *h = NULL;
	size_t run_len = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		size_t len = folio_size(x[i].src);

		x[i].chan = chan;
		if (dcbm_map(&x[i], dev, len)) {
			h = NULL;
			continue;
		}
		if (h && dcbm_joins(h, run_len, &x[i], len, dev, chan->device)) {
			h->run++;
			run_len += len;
			continue;
		}
		h = &x[i];
		h->run = 1;
		run_len = len;
	}
}

/*
 * Queue the descriptor of the run starting at @h on its channel. Only the
 * channel's last descriptor of the window (@irq) asks for an interrupt and
 * a callback; the others are settled by their status (dcbm_poll()).
 */
static int dcbm_submit(struct dcbm_xfer *h, bool irq)
{
	unsigned long flags = DMA_CTRL_ACK | (irq ? DMA_PREP_INTERRUPT : 0);
	struct dcbm_window *w = container_of(h - h->idx, struct dcbm_window, x[0]);
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < h->run; i++)
		len += folio_size(h[i].src);
	tx = dmaengine_prep_dma_memcpy(h->chan, h->dst_dma, h->src_dma, len, flags);
	if (!tx)
		return -EIO;
	tx->callback = NULL;
	tx->callback_result = irq ? dcbm_done : NULL;
	tx->callback_param = irq ? h : NULL;
	/* Before the submission: the callback may run as soon as it is queued. */
	h->irq = irq;
	h->state = DCBM_PENDING;
	h->cb_state = DCBM_PENDING;
	if (irq)
		atomic_inc(&w->pending);
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		if (irq)
			atomic_dec(&w->pending);
		h->irq = false;
		h->state = DCBM_UNSENT;
		return -EIO;
	}
	h->cookie = cookie;
	return 0;
}

/*
 * Queue the runs of @chan's share (@n folios at @x) and start the channel.
 * The folios of a run that cannot be queued stay DCBM_UNSENT: they fall
 * back. If that run was the last, no callback comes from this channel and
 * dcbm_poll() settles the others.
 */
static void dcbm_submit_runs(struct dcbm_xfer *x, unsigned int n,
			     struct dma_chan *chan)
{
	unsigned int i, last = n, descs = 0, folios = 0;

	for (i = 0; i < n; i++)
		if (x[i].run)
			last = i;
	for (i = 0; i < n; i++) {
		if (x[i].run && !dcbm_submit(&x[i], i == last)) {
			descs++;
			folios += x[i].run;
		}
	}
	dma_async_issue_pending(chan);
	atomic_long_add(descs, &stat_descs);
	atomic_long_add(folios - descs, &stat_coalesced);
}

/*
 * Settle the descriptors that have not finished yet by their own status
 * (dmaengine_tx_status()); a channel's last descriptor only once its
 * callback ran, and only if that reported success too. Returns how many
 * have not finished.
 */
static unsigned int dcbm_poll(struct dcbm_xfer *x, unsigned int n)
{
	struct dma_tx_state state;
	unsigned int i, left = 0;

	for (i = 0; i < n; i++) {
		struct dcbm_xfer *h = &x[i];

		if (!h->run || h->state != DCBM_PENDING)
			continue;
		if (h->irq) {
			u8 cb = READ_ONCE(h->cb_state);

			if (cb == DCBM_PENDING) {
				left++;
				continue;
			}
			if (cb == DCBM_FAILED) {
				h->state = DCBM_FAILED;
				continue;
			}
		}
		switch (dmaengine_tx_status(h->chan, h->cookie, &state)) {
		case DMA_COMPLETE:
			h->state = DCBM_OK;
			break;
		case DMA_ERROR:
			h->state = DCBM_FAILED;
			break;
		default:	/* DMA_IN_PROGRESS, DMA_PAUSED */
			left++;
		}
	}
	return left;
}

/**
 * dcbm_settle() - Wait until every descriptor of a window has finished.
 * @w: The window; its first @n transfers are queued on @chans.
 * @n: Folios in the window.
 * @chans: The window's claimed channels.
 * @k: Number of @chans.
 * @timeout: How long the window may take, in jiffies.
 *
 * First the callbacks of the channels' last descriptors, then the status
 * of every descriptor: an engine may finish a channel's last descriptor
 * before earlier ones, which are then polled with a short, growing sleep.
 * Whatever has not finished when @timeout has passed stays DCBM_PENDING,
 * and the channels are terminated (they hold this window's descriptors
 * only). Either way no callback runs, or touches @w, after this returns.
 *
 * Context: Process context, may sleep; the window's channels claimed.
 * Return: false when every descriptor finished, true on a timeout.
 */
static bool dcbm_settle(struct dcbm_window *w, unsigned int n,
			struct dma_chan **chans, unsigned int k,
			unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout;
	unsigned int us = DCBM_POLL_MIN_US, left, before = UINT_MAX, c;
	bool called;

	/* Drop the submitter's reference; wait for the callbacks. */
	called = atomic_dec_and_test(&w->pending) ||
		 wait_for_completion_timeout(&w->done, timeout);
	for (;;) {
		left = dcbm_poll(w->x, n);
		if (called && !left)
			return false;
		if (time_after_eq(jiffies, deadline))
			break;
		us = left < before ? DCBM_POLL_MIN_US : min(2 * us, DCBM_POLL_MAX_US);
		before = left;
		usleep_range(us, 2 * us);
		/* Takes the completion's lock: the last callback is done with @w. */
		called = called || completion_done(&w->done);
	}
	for (c = 0; c < k; c++)
		dmaengine_terminate_sync(chans[c]);
	return true;
}

/**
 * dcbm_copy_window() - Copy one window of a batch.
 * @w: Transfer records for up to DCBM_WINDOW folios.
 * @n: Folios in the window, at most DCBM_WINDOW.
 * @srcp: Cursor on the source list: its first folio; left on the folio
 *	after the window.
 * @dstp: Cursor on the destination list, likewise.
 * @timeout: How long to wait for a channel, and for the copies, in jiffies.
 *
 * Claims free channels, deals the window to them in contiguous shares,
 * maps and queues each share in runs (one descriptor per run), waits for
 * them (dcbm_settle()), unmaps, and marks the destination of every folio
 * whose own descriptor reported success.
 *
 * Context: Process context, may sleep; no locks held.
 * Return: 0 if every folio was copied, -ETIMEDOUT if the window timed out,
 * -EBUSY if no channel was free in time, -ENODEV if there are no channels,
 * -EIO if some folio could not be sent or its descriptor failed.
 */
static int dcbm_copy_window(struct dcbm_window *w, unsigned int n,
			    struct folio **srcp, struct folio **dstp,
			    unsigned long timeout)
{
	struct dma_chan *chans[DCBM_MAX_CHANNELS];
	unsigned int mine[DCBM_MAX_CHANNELS], k = 0, i, j, c, run;
	struct folio *src = *srcp, *dst = *dstp;
	struct dcbm_xfer *x = w->x;
	int rc = 0;
	bool ok;

	if (!wait_event_timeout(pool_wait,
				dcbm_try_claim(mine, chans,
					       min_t(unsigned int, n, DCBM_MAX_CHANNELS), &k),
				timeout)) {
		atomic_long_inc(&stat_busy);
		return -EBUSY;
	}
	if (!k)
		return -ENODEV;
	atomic_long_inc(&stat_windows);

	for (i = 0; i < n; i++) {
		x[i] = (struct dcbm_xfer){ .src = src, .dst = dst, .idx = i };
		src = list_next_entry(src, lru);
		dst = list_next_entry(dst, lru);
	}
	*srcp = src;
	*dstp = dst;

	/* One reference for the submitter, dropped by dcbm_settle(). */
	atomic_set(&w->pending, 1);
	reinit_completion(&w->done);
	/* Contiguous shares, not round-robin: neighbours may coalesce. */
	for (c = 0; c < k; c++) {
		unsigned int lo = c * n / k, hi = (c + 1) * n / k;

		dcbm_map_runs(x + lo, hi - lo, chans[c]);
		dcbm_submit_runs(x + lo, hi - lo, chans[c]);
	}

	if (dcbm_settle(w, n, chans, k, timeout)) {
		rc = -ETIMEDOUT;
		atomic_long_inc(&stat_timeouts);
		pr_warn_ratelimited("DMA copy timed out; the CPU copies the rest\n");
	}

	/* A run's descriptor decides for all its folios. */
	for (i = 0; i < n; i += run) {
		run = max_t(unsigned int, x[i].run, 1);
		ok = x[i].run && x[i].state == DCBM_OK;
		for (j = i; j < i + run; j++) {
			dcbm_unmap(&x[j]);
			if (ok)
				folio_mark_content_copied(x[j].dst);
		}
		if (!ok && !rc)
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
	struct dcbm_window *w;
	unsigned int done, n;
	int rc = 0, ret;

	w = kmalloc(struct_size(w, x, min_t(unsigned int, nr, DCBM_WINDOW)),
		    GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC);
	if (!w)
		return -ENOMEM;	/* the CPU copies the batch */
	init_completion(&w->done);

	for (done = 0; done < nr; done += n) {
		n = min_t(unsigned int, nr - done, DCBM_WINDOW);
		ret = dcbm_copy_window(w, n, &src, &dst, timeout);
		if (ret && rc != -ETIMEDOUT)
			rc = ret;
		if (ret == -ENODEV || ret == -EBUSY)
			break;	/* the rest falls back too */
	}
	kfree(w);
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

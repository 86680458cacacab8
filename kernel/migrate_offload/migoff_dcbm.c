// SPDX-License-Identifier: GPL-2.0
/*
 * dcbm: DMA core batch migrator - copy migration batches with dmaengine
 * memcpy channels.
 *
 * Channels (DMA_MEMCPY, requested with dma_request_chan_by_mask(), which
 * finds public channels and DMA_PRIVATE ones alike) are acquired when a
 * reason is first routed to dcbm and released when the last route goes. A
 * batch is copied in windows of up to DCBM_WINDOW folios; each window
 * claims the free channels for itself (waiting at most DCBM_CLAIM_WAIT_MS
 * for one when all are claimed, else the CPU copies the rest of the
 * batch), deals its folios to them in contiguous shares (channel c of k
 * gets folios [c*n/k, (c+1)*n/k) of the n), and gives them back when done.
 * A channel thus only ever holds the descriptors of one window. A batch
 * has one deadline, "timeout_ms" from its start: a window that would start
 * after it is left to the CPU, and a window still copying at the deadline
 * times out (a window gets at least DCBM_MIN_WAIT_MS, so that one started
 * just before the deadline is not held for copies that take microseconds).
 *
 * Descriptors: each folio is mapped on its own (dma_map_page() of the
 * whole folio, which is physically contiguous). Consecutive folios of a
 * share whose mapped source and destination both follow the previous
 * folio's form a run, copied by one descriptor, as long as the run stays
 * one segment of the device (dma_get_max_seg_size(), segment boundary)
 * and meets its copy alignment; a folio larger than that still gets a
 * descriptor of its own. Without an IOMMU, runs are physically contiguous
 * folios; under one, separately mapped folios rarely get adjacent
 * addresses, so most descriptors carry one folio there.
 *
 * Completion: every descriptor is prepared with DMA_PREP_INTERRUPT and a
 * callback_result, and its outcome is what its own callback says
 * (DMA_TRANS_NOERROR with no residue: its folios are copied). Nothing is
 * read from device_tx_status(), because the providers a user routes to do
 * not agree on it (drivers/dma/idxd, ioat and ptdma in 6.12): idxd answers
 * DMA_OUT_OF_ORDER for every cookie, ioat and ptdma answer the in-order
 * dma_cookie_status() and complete the cookie of a failed descriptor like
 * any other, so only the callback result tells a failure; and idxd raises
 * the completion of a descriptor without DMA_PREP_INTERRUPT only when some
 * later interrupt happens to come. A callback per descriptor is the one
 * contract every provider keeps.
 *
 * Timeouts, and the write that must never come late: when a window's
 * deadline passes with descriptors outstanding, each channel that still
 * has some is stopped with dmaengine_terminate_sync() if its provider
 * implements device_terminate_all, the call succeeds, and the provider is
 * not known to leave the hardware running (dcbm_can_abort()): no
 * descriptor of it runs or calls back afterwards, so its unfinished folios
 * fall back to the CPU copy as failed ones do. A provider that cannot
 * abort (ioat and idxd have no device_terminate_all in 6.12, so terminate
 * returns -EINVAL and stops nothing; ptdma's frees its queued descriptors
 * but lets the one the hardware runs finish) may still write the
 * destination at any time,
 * so its unfinished folios are *held*: dcbm takes a reference on each
 * source and destination folio and leaves their DMA mappings and the
 * window's records in place. The extra source reference makes the move
 * phase fail those folios with -EAGAIN (__migrate_folio() checks the
 * reference count before it copies), so their migration is undone: the
 * source is mapped again, unchanged, and the destination, which only dcbm
 * still references, is never handed to user space. A late write lands in
 * that orphaned destination and nowhere else. The channel is quarantined
 * (claimed by nobody) until every held descriptor has called back; a
 * reaper then unmaps and releases the folios and the channel. A channel
 * that never calls back stays quarantined and is reported once after
 * DCBM_STUCK_SECS; the module is pinned while anything is held, since the
 * provider may still call dcbm_done().
 *
 * Mapping stays per folio, deliberately. Without an IOMMU (dma-direct),
 * dma_map_sg() maps each entry exactly as dma_map_page() does: nothing to
 * save. With an IOMMU, one dma_map_sg() per share would save IOVA
 * allocations and could make the share contiguous in IOVA space, but the
 * entries' own addresses are then gone: the DMA API merges the source and
 * destination lists independently, so each descriptor would have to be
 * cut at the union of both lists' boundaries and each folio's outcome
 * derived from byte offsets. Per-folio mapping keeps every descriptor on
 * folio boundaries, so its outcome is exactly its folios' outcome.
 *
 * Allocation: the per-batch transfer records (one window, struct
 * dcbm_window) are allocated with GFP_NOWAIT | __GFP_NOWARN |
 * __GFP_NOMEMALLOC, since batches may come from reclaim; demotion runs
 * when memory is short, which is when that fails, so a mempool keeps
 * DCBM_RESERVED_WINDOWS windows in reserve for it. Only with the reserve
 * spent too (more batches in flight than channels can serve) is a batch
 * left to the CPU copy. Nothing else is allocated per batch.
 *
 * Parameters: channels (1..16), timeout_ms (10..60000, per batch). A
 * "channels" change while routed requests the new channels first and
 * fails with nothing changed (ENODEV, or EBUSY when too many old channels
 * are still finishing their windows) if it cannot get them all; channels
 * it drops are released once their current window is done, by a work
 * item: the change never waits for copies.
 *
 * Availability: whether a DMA_MEMCPY channel is free can only be known by
 * taking one, which a read (GET_MIGRATOR) must not do. A routed dcbm is
 * available when it holds a channel that is not quarantined; an unrouted
 * one reports available, and routing it fails with ENODEV if no channel
 * can be had.
 *
 * Statistics (debugfs, /sys/kernel/debug/migoff_dcbm/, read-only):
 *   timeouts     windows that reached their deadline with copies pending
 *   busy         windows that found no free channel within DCBM_CLAIM_WAIT_MS
 *   windows      windows that claimed channels
 *   descriptors  descriptors submitted (each with its own callback)
 *   coalesced    folios that rode on the descriptor of the folio before
 *                (folios submitted = descriptors + coalesced)
 *   terminated   channels stopped with dmaengine_terminate_sync() after
 *                a timeout
 *   held         folios held after a timeout on a channel that could not
 *                be stopped (their migration is undone)
 *   late         held descriptors that called back after all
 *   reserve      windows taken from the reserve: their allocation failed
 *   quarantined  channels quarantined now
 *
 * Locking: the channel slots, the held windows and the quarantine are
 * changed under pool_lock. Only activate/deactivate/"channels" (under the
 * core's policy mutex) add or remove usable channels; deactivate runs when
 * no batch runs in dcbm (after an SRCU grace period). A window's claimed
 * channels stay in their slots until it gives them back. A window's
 * records belong to the copying task, except the callback result
 * (cb_state) of each descriptor, which its callback writes (WRITE_ONCE)
 * before dropping the window's pending count, and the task reads with
 * READ_ONCE. The task reuses or frees the records only once the
 * completion is done (seen by wait_for_completion_timeout() or
 * completion_done(), which both take its lock: the last callback's
 * complete() is over) or every channel with outstanding descriptors was
 * terminated (dmaengine_terminate_sync(): no callback runs any more);
 * otherwise the records pass to the reaper, which frees them once the
 * completion is done.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/ktime.h>
#include <linux/mempool.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "migoff_engine.h"

#define DCBM_MAX_CHANNELS	16
/* Usable channels, plus dropped or quarantined ones still in a window. */
#define DCBM_SLOTS		(2 * DCBM_MAX_CHANNELS)
#define DCBM_WINDOW		64
/* The longest a window waits for a free channel before the CPU copies. */
#define DCBM_CLAIM_WAIT_MS	2
/* Windows kept in reserve: one per channel of a small pool, one held. */
#define DCBM_RESERVED_WINDOWS	4
/* How often the reaper looks at held windows. */
#define DCBM_REAP_MS		20
/* A window gets at least this long to finish, whatever the batch deadline. */
#define DCBM_MIN_WAIT_MS	10
/* A held window still outstanding after this long is reported. */
#define DCBM_STUCK_SECS		10

static atomic_long_t stat_timeouts, stat_busy, stat_windows, stat_descs,
	stat_coalesced, stat_terminated, stat_held, stat_late, stat_reserve;
static atomic_t stat_quarantined;

static struct dentry *dcbm_debugfs;

static int stat_get(void *data, u64 *val)
{
	*val = atomic_long_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(stat_fops, stat_get, NULL, "%llu\n");

static const struct {
	const char *name;
	atomic_long_t *v;
} dcbm_stats[] = {
	{ "timeouts", &stat_timeouts },
	{ "busy", &stat_busy },
	{ "windows", &stat_windows },
	{ "descriptors", &stat_descs },
	{ "coalesced", &stat_coalesced },
	{ "terminated", &stat_terminated },
	{ "held", &stat_held },
	{ "late", &stat_late },
	{ "reserve", &stat_reserve },
};

/* The statistics, for tests and debugging: no ABI. */
static void dcbm_debugfs_init(void)
{
	unsigned int i;

	dcbm_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	for (i = 0; i < ARRAY_SIZE(dcbm_stats); i++)
		debugfs_create_file_unsafe(dcbm_stats[i].name, 0444, dcbm_debugfs,
					   dcbm_stats[i].v, &stat_fops);
	debugfs_create_atomic_t("quarantined", 0444, dcbm_debugfs, &stat_quarantined);
}

/* Where a folio's transfer stands (struct dcbm_xfer.state). */
enum dcbm_state {
	DCBM_UNSENT,		/* not queued (mapping or prep failed) */
	DCBM_PENDING,		/* queued; outcome not known yet */
	DCBM_OK,		/* its descriptor reported success */
	DCBM_FAILED,		/* its descriptor failed or was terminated */
	DCBM_HELD,		/* timed out on a channel that cannot abort */
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
	u8 idx;				/* index in the window */
	u8 c;				/* index of its channel in the window */
	u8 run;				/* head: folios of its descriptor */
	u8 state;			/* head: enum dcbm_state */
	u8 cb_state;			/* head: what its callback said */
	bool mapped_src, mapped_dst;
};

/*
 * A batch's transfer records, reused by its windows one after the other.
 * @pending counts the callbacks still to come (plus one while queuing);
 * the last one completes @done. A window held after a timeout passes to
 * the reaper (@held_node on held_windows), with the slots of its channels
 * that could not be stopped (@quarantine, @nr_quarantine).
 */
struct dcbm_window {
	atomic_t pending;
	struct completion done;
	struct list_head held_node;
	unsigned long held_since;	/* jiffies */
	bool reported;
	unsigned int n;			/* folios in the window */
	unsigned int nr_quarantine;
	unsigned int quarantine[DCBM_MAX_CHANNELS];
	struct dcbm_xfer x[];
};

static_assert(DCBM_WINDOW <= U8_MAX && DCBM_MAX_CHANNELS <= U8_MAX);

struct dcbm_slot {
	struct dma_chan *chan;		/* NULL: the slot is free */
	bool busy;			/* claimed by a window */
	bool retiring;			/* released once not busy */
	bool quarantined;		/* busy: held descriptors outstanding */
};

static DEFINE_SPINLOCK(pool_lock);
static struct dcbm_slot slots[DCBM_SLOTS];	/* under pool_lock */
static unsigned int nr_usable;		/* chan && !retiring; under pool_lock */
static DECLARE_WAIT_QUEUE_HEAD(pool_wait);
static LIST_HEAD(held_windows);		/* under pool_lock */
static mempool_t *window_pool;		/* struct dcbm_window, DCBM_WINDOW records */
#define DCBM_WINDOW_BYTES	struct_size_t(struct dcbm_window, x, DCBM_WINDOW)

static void dcbm_release_work_fn(struct work_struct *w);
static DECLARE_WORK(release_work, dcbm_release_work_fn);
static void dcbm_reap_fn(struct work_struct *w);
static DECLARE_DELAYED_WORK(reap_work, dcbm_reap_fn);

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

/* Give back the claimed slots @mine[0..n) that are not quarantined. */
static void dcbm_unclaim(const unsigned int *mine, unsigned int n)
{
	bool retire = false;
	unsigned int i;

	spin_lock(&pool_lock);
	for (i = 0; i < n; i++) {
		if (slots[mine[i]].quarantined)
			continue;
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
	bool ok = !e->nr_routes;
	unsigned int s;

	/* Not nr_usable - quarantined: a quarantined slot may be retiring. */
	spin_lock(&pool_lock);
	for (s = 0; s < DCBM_SLOTS && !ok; s++)
		ok = slots[s].chan && !slots[s].retiring && !slots[s].quarantined;
	spin_unlock(&pool_lock);
	return ok;
}

static int dcbm_activate(struct migoff_engine *e)
{
	return dcbm_resize(READ_ONCE(e->params[0].value));
}

/*
 * No batch runs in dcbm any more: release every channel now, except the
 * quarantined ones, which the reaper releases once their held windows
 * are done.
 */
static void dcbm_deactivate(struct migoff_engine *e)
{
	struct dma_chan *gone[DCBM_SLOTS];
	unsigned int s, n = 0;

	spin_lock(&pool_lock);
	for (s = 0; s < DCBM_SLOTS; s++) {
		if (slots[s].quarantined) {
			slots[s].retiring = true;
			continue;
		}
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

/*
 * A descriptor's completion. Only the result counts: ioat and idxd leave
 * the residue uninitialised, and no provider reports a partial memcpy as
 * DMA_TRANS_NOERROR. May run in hard IRQ context (ptdma), a tasklet (ioat)
 * or an IRQ thread (idxd).
 */
static void dcbm_done(void *arg, const struct dmaengine_result *res)
{
	struct dcbm_xfer *h = arg;
	struct dcbm_window *w = container_of(h - h->idx, struct dcbm_window, x[0]);

	WRITE_ONCE(h->cb_state, res->result == DMA_TRANS_NOERROR ?
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
	x->mapped_src = false;
	x->mapped_dst = false;
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
 * Map the @n folios of channel @c's share of a window for its device and
 * group them in runs (dcbm_joins()), each to be copied by one descriptor:
 * the first folio of a run gets @run, the others 0. A folio that cannot
 * be mapped is in no run: it falls back.
 */
static void dcbm_map_runs(struct dcbm_xfer *x, unsigned int n,
			  struct dma_chan *chan, unsigned int c)
{
	struct device *dev = dmaengine_get_dma_device(chan);
	struct dcbm_xfer *h = NULL;
	size_t run_len = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		size_t len = folio_size(x[i].src);

		x[i].chan = chan;
		x[i].c = c;
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
 * Queue the descriptor of the run starting at @h on its channel, with an
 * interrupt and a callback of its own (see "Completion" above).
 */
static int dcbm_submit(struct dcbm_xfer *h)
{
	struct dcbm_window *w = container_of(h - h->idx, struct dcbm_window, x[0]);
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < h->run; i++)
		len += folio_size(h[i].src);
	tx = dmaengine_prep_dma_memcpy(h->chan, h->dst_dma, h->src_dma, len,
				       DMA_CTRL_ACK | DMA_PREP_INTERRUPT);
	if (!tx)
		return -EIO;
	tx->callback = NULL;
	tx->callback_result = dcbm_done;
	tx->callback_param = h;
	/* Before the submission: the callback may run as soon as it is queued. */
	h->state = DCBM_PENDING;
	h->cb_state = DCBM_PENDING;
	atomic_inc(&w->pending);
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		/*
		 * A provider that fails the submission (idxd, when its portal
		 * refuses the descriptor) may have called back already, with
		 * DMA_TRANS_ABORTED; otherwise no callback comes.
		 */
		if (READ_ONCE(h->cb_state) == DCBM_PENDING)
			atomic_dec(&w->pending);
		h->state = DCBM_UNSENT;
		return -EIO;
	}
	return 0;
}

/*
 * Queue the runs of a channel's share (@n folios at @x) and start the
 * channel. The folios of a run that cannot be queued stay DCBM_UNSENT:
 * they fall back.
 */
static void dcbm_submit_runs(struct dcbm_xfer *x, unsigned int n,
			     struct dma_chan *chan)
{
	unsigned int i, descs = 0, folios = 0;

	for (i = 0; i < n; i++) {
		if (x[i].run && !dcbm_submit(&x[i])) {
			descs++;
			folios += x[i].run;
		}
	}
	dma_async_issue_pending(chan);
	atomic_long_add(descs, &stat_descs);
	atomic_long_add(folios - descs, &stat_coalesced);
}

/*
 * Whether a channel's provider stops its hardware, and its callbacks, when
 * dmaengine_terminate_sync() succeeds. The dmaengine contract says so;
 * 6.12's ptdma (and ae4dma, which reuses it) frees the queued descriptors
 * but lets the one its queue runs finish, and so does the software
 * engine's ptdma personality ("migoff_swdma_pt").
 */
static bool dcbm_can_abort(struct dma_chan *chan)
{
	static const char * const runs_on[] = { "ptdma", "ae4dma", "migoff_swdma_pt" };
	const char *drv = dev_driver_string(chan->device->dev);
	unsigned int i;

	/*
	 * Without device_synchronize, dmaengine_terminate_sync() does not wait
	 * for a callback already running (pl330, dw, ...): it could then drop
	 * a count dcbm already gave up on.
	 */
	if (!chan->device->device_terminate_all || !chan->device->device_synchronize)
		return false;
	for (i = 0; i < ARRAY_SIZE(runs_on); i++)
		if (!strcmp(drv, runs_on[i]))
			return false;
	return true;
}

/* The outstanding descriptors of channel @c of a window. */
static unsigned int dcbm_outstanding(struct dcbm_window *w, unsigned int c)
{
	unsigned int i, left = 0;

	for (i = 0; i < w->n; i++) {
		struct dcbm_xfer *h = &w->x[i];

		if (h->run && h->c == c && h->state == DCBM_PENDING &&
		    READ_ONCE(h->cb_state) == DCBM_PENDING)
			left++;
	}
	return left;
}

/**
 * dcbm_settle() - Wait until every descriptor of a window has finished.
 * @w: The window; its @w->n transfers are queued on @chans.
 * @chans: The window's claimed channels.
 * @k: Number of @chans.
 * @deadline: The batch's deadline, in jiffies.
 * @wait_ns: Incremented by the time spent asleep waiting for them.
 *
 * Waits for the callbacks of every descriptor until @deadline. Then each
 * channel with descriptors outstanding is stopped if it can be
 * (dcbm_can_abort() and dmaengine_terminate_sync() succeeding): its
 * outstanding descriptors have failed. The slots of the others are put in
 * @w->quarantine: their descriptors may still complete, and write, at any
 * time.
 *
 * Context: Process context, may sleep; the window's channels claimed.
 * Return: 0 when every descriptor finished, -ETIMEDOUT when the deadline
 * passed but every outstanding descriptor was stopped, -EINPROGRESS when
 * some are still outstanding on the quarantined channels: the window then
 * belongs to the reaper once dcbm_copy_window() is done with it.
 */
static int dcbm_settle(struct dcbm_window *w, struct dma_chan **chans,
		       unsigned int k, unsigned long deadline, u64 *wait_ns)
{
	long left = max_t(long, (long)(deadline - jiffies),
			  msecs_to_jiffies(DCBM_MIN_WAIT_MS));
	unsigned int c, dead = 0;
	bool done;
	u64 t0;

	/* Drop the submitter's reference; wait for the callbacks. */
	if (atomic_dec_and_test(&w->pending))
		return 0;
	t0 = ktime_get_ns();
	done = wait_for_completion_timeout(&w->done, left);
	*wait_ns += ktime_get_ns() - t0;
	if (done)
		return 0;

	atomic_long_inc(&stat_timeouts);
	w->nr_quarantine = 0;
	for (c = 0; c < k; c++) {
		unsigned int out = dcbm_outstanding(w, c);

		if (!out)
			continue;
		if (dcbm_can_abort(chans[c]) && !dmaengine_terminate_sync(chans[c])) {
			/* No callback of this channel runs any more. */
			atomic_long_inc(&stat_terminated);
			dead += dcbm_outstanding(w, c);
			continue;
		}
		w->quarantine[w->nr_quarantine++] = c;
	}
	/* The callbacks that will never come; the last one settles @w. */
	if (dead && atomic_sub_and_test(dead, &w->pending))
		return -ETIMEDOUT;	/* we took the last count: no complete() */
	if (!w->nr_quarantine) {
		/*
		 * Only callbacks already under way remain (they set their
		 * result before the timeout was decided, and have yet to drop
		 * their count): the last one completes @w, soon.
		 */
		wait_for_completion(&w->done);
		return -ETIMEDOUT;
	}
	/* Takes the completion's lock: the last callback is done with @w. */
	if (completion_done(&w->done))
		return -ETIMEDOUT;
	return -EINPROGRESS;
}

/* Drop what a held folio pair kept: its mappings and references. */
static void dcbm_release_held(struct dcbm_window *w)
{
	unsigned int i, j;

	for (i = 0; i < w->n; i++) {
		struct dcbm_xfer *h = &w->x[i];

		if (!h->run || h->state != DCBM_HELD)
			continue;
		atomic_long_inc(&stat_late);
		for (j = i; j < i + h->run; j++) {
			dcbm_unmap(&w->x[j]);
			folio_put(w->x[j].src);
			folio_put(w->x[j].dst);
		}
	}
}

/*
 * The reaper: a held window whose callbacks have all come gives back its
 * folios and its quarantined channels. Runs while anything is held.
 */
static void dcbm_reap_fn(struct work_struct *work)
{
	struct dcbm_window *w, *tmp;
	LIST_HEAD(done);
	bool more, retire = false;
	unsigned int q;

	spin_lock(&pool_lock);
	list_for_each_entry_safe(w, tmp, &held_windows, held_node) {
		if (!completion_done(&w->done)) {
			if (!w->reported &&
			    time_after(jiffies, w->held_since + DCBM_STUCK_SECS * HZ)) {
				w->reported = true;
				pr_warn("%u channel(s) still owe DMA completions %us after a timeout; quarantined, their folios stay held\n",
					w->nr_quarantine, DCBM_STUCK_SECS);
			}
			continue;
		}
		list_move(&w->held_node, &done);
	}
	spin_unlock(&pool_lock);

	/* Unmap through the channels' devices while the slots still hold them. */
	list_for_each_entry(w, &done, held_node)
		dcbm_release_held(w);

	spin_lock(&pool_lock);
	list_for_each_entry(w, &done, held_node) {
		for (q = 0; q < w->nr_quarantine; q++) {
			struct dcbm_slot *s = &slots[w->quarantine[q]];

			s->quarantined = false;
			s->busy = false;
			retire |= s->retiring;
			atomic_dec(&stat_quarantined);
		}
	}
	more = !list_empty(&held_windows);
	spin_unlock(&pool_lock);

	list_for_each_entry_safe(w, tmp, &done, held_node) {
		mempool_free(w, window_pool);
		module_put(THIS_MODULE);
	}
	if (retire)
		schedule_work(&release_work);
	wake_up(&pool_wait);
	if (more)
		schedule_delayed_work(&reap_work, msecs_to_jiffies(DCBM_REAP_MS));
}

/*
 * Hold a window with outstanding descriptors: the folios of its runs that
 * have not called back are held (a reference on source and destination;
 * see "Timeouts" above), and its channels that could not be stopped are
 * quarantined, so that dcbm_unclaim() keeps them claimed. The module stays
 * pinned until the reaper frees the window; dcbm_park() hands it over once
 * the copying task is done with it.
 */
static void dcbm_hold(struct dcbm_window *w, const unsigned int *mine)
{
	unsigned int i, j, q, nr_held = 0;

	for (i = 0; i < w->n; i++) {
		struct dcbm_xfer *h = &w->x[i];
		bool quarantined = false;

		if (!h->run || h->state != DCBM_PENDING ||
		    READ_ONCE(h->cb_state) != DCBM_PENDING)
			continue;
		for (q = 0; q < w->nr_quarantine; q++)
			quarantined |= w->quarantine[q] == h->c;
		if (!quarantined)
			continue;
		/*
		 * Held even if its callback comes right now: the reaper
		 * releases it after the completion, whatever it said.
		 */
		h->state = DCBM_HELD;
		for (j = i; j < i + h->run; j++) {
			folio_get(w->x[j].src);
			folio_get(w->x[j].dst);
		}
		nr_held += h->run;
	}
	atomic_long_add(nr_held, &stat_held);
	__module_get(THIS_MODULE);

	spin_lock(&pool_lock);
	for (q = 0; q < w->nr_quarantine; q++) {
		unsigned int s = mine[w->quarantine[q]];

		slots[s].quarantined = true;
		w->quarantine[q] = s;	/* from now on, the slot */
		atomic_inc(&stat_quarantined);
	}
	spin_unlock(&pool_lock);
	pr_warn_ratelimited("DMA copy timed out on a channel that cannot be stopped; %u folios stay where they are\n",
			    nr_held);
}

/* Hand a held window to the reaper; the caller must not touch it after. */
static void dcbm_park(struct dcbm_window *w)
{
	spin_lock(&pool_lock);
	w->held_since = jiffies;
	w->reported = false;
	list_add_tail(&w->held_node, &held_windows);
	spin_unlock(&pool_lock);
	schedule_delayed_work(&reap_work, msecs_to_jiffies(DCBM_REAP_MS));
}

/**
 * dcbm_copy_window() - Copy one window of a batch.
 * @w: Transfer records for up to DCBM_WINDOW folios.
 * @n: Folios in the window, at most DCBM_WINDOW.
 * @srcp: Cursor on the source list: its first folio; left on the folio
 *	after the window.
 * @dstp: Cursor on the destination list, likewise.
 * @deadline: The batch's deadline, in jiffies.
 * @wait_ns: Incremented by the time spent asleep, for channels or copies.
 *
 * Claims free channels, deals the window to them in contiguous shares,
 * maps and queues each share in runs (one descriptor per run), waits for
 * them (dcbm_settle()), unmaps, and marks the destination of every folio
 * whose own descriptor reported success. A window whose channels could
 * not all be stopped after a timeout is held (dcbm_hold()) and belongs to
 * the reaper afterwards.
 *
 * Context: Process context, may sleep; no locks held.
 * Return: 0 if every folio was copied, -ETIMEDOUT if the window timed out
 * (-EINPROGRESS if it was held as well: @w is no longer the caller's),
 * -EBUSY if no channel was free in time, -ENODEV if there are no channels,
 * -EIO if some folio could not be sent or its descriptor failed.
 */
static int dcbm_copy_window(struct dcbm_window *w, unsigned int n,
			    struct folio **srcp, struct folio **dstp,
			    unsigned long deadline, u64 *wait_ns)
{
	struct dma_chan *chans[DCBM_MAX_CHANNELS];
	unsigned int mine[DCBM_MAX_CHANNELS], k = 0, i, j, c, run;
	struct folio *src = *srcp, *dst = *dstp;
	struct dcbm_xfer *x = w->x;
	u64 t0 = ktime_get_ns();
	long got;
	int rc;
	bool ok;

	got = wait_event_timeout(pool_wait,
				 dcbm_try_claim(mine, chans,
						min_t(unsigned int, n, DCBM_MAX_CHANNELS), &k),
				 msecs_to_jiffies(DCBM_CLAIM_WAIT_MS));
	*wait_ns += ktime_get_ns() - t0;
	if (!got) {
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
	w->n = n;

	/* One reference for the submitter, dropped by dcbm_settle(). */
	atomic_set(&w->pending, 1);
	reinit_completion(&w->done);
	/* Contiguous shares, not round-robin: neighbours may coalesce. */
	for (c = 0; c < k; c++) {
		unsigned int lo = c * n / k, hi = (c + 1) * n / k;

		dcbm_map_runs(x + lo, hi - lo, chans[c], c);
		dcbm_submit_runs(x + lo, hi - lo, chans[c]);
	}

	rc = dcbm_settle(w, chans, k, deadline, wait_ns);
	if (rc == -EINPROGRESS)
		dcbm_hold(w, mine);
	else if (rc)
		pr_warn_ratelimited("DMA copy timed out; the CPU copies the rest\n");

	/* A run's callback decides for all its folios. */
	for (i = 0; i < n; i += run) {
		run = max_t(unsigned int, x[i].run, 1);
		if (x[i].run && x[i].state == DCBM_HELD)
			continue;	/* the reaper's now */
		ok = x[i].run && x[i].state == DCBM_PENDING &&
		     READ_ONCE(x[i].cb_state) == DCBM_OK;
		for (j = i; j < i + run; j++) {
			dcbm_unmap(&x[j]);
			if (ok)
				folio_mark_content_copied(x[j].dst);
		}
		if (!ok && !rc)
			rc = -EIO;
	}
	/* The quarantined slots stay claimed; the others are free again. */
	dcbm_unclaim(mine, k);
	if (rc == -EINPROGRESS)
		dcbm_park(w);
	return rc;
}

/*
 * A window, from the reserve if the allocation fails (not mempool_alloc(),
 * which would try the allocator again first); mempool_free() takes either.
 */
static struct dcbm_window *dcbm_window_alloc(void)
{
	struct dcbm_window *w;

	w = kmalloc(DCBM_WINDOW_BYTES, GFP_NOWAIT | __GFP_NOWARN | __GFP_NOMEMALLOC);
	if (w)
		return w;
	w = mempool_alloc_preallocated(window_pool);
	if (w)
		atomic_long_inc(&stat_reserve);
	return w;
}

static int dcbm_copy(struct migoff_engine *e, struct list_head *dst_list,
		     struct list_head *src_list, unsigned int nr,
		     struct migoff_copy_info *ci)
{
	unsigned long deadline = jiffies +
		msecs_to_jiffies(READ_ONCE(e->params[1].value));
	struct folio *src = list_first_entry(src_list, struct folio, lru);
	struct folio *dst = list_first_entry(dst_list, struct folio, lru);
	struct dcbm_window *w = NULL;
	unsigned int done, n;
	int rc = 0, ret;

	for (done = 0; done < nr; done += n) {
		n = min_t(unsigned int, nr - done, DCBM_WINDOW);
		if (time_after_eq(jiffies, deadline)) {
			rc = -ETIMEDOUT;	/* the rest falls back */
			break;
		}
		if (!w) {
			w = dcbm_window_alloc();
			if (!w)
				return rc ?: -ENOMEM;	/* the CPU copies the rest */
			init_completion(&w->done);
		}
		ret = dcbm_copy_window(w, n, &src, &dst, deadline, &ci->wait_ns);
		if (ret == -EINPROGRESS) {
			/* Held by the reaper; its channels are quarantined. */
			w = NULL;
			rc = -ETIMEDOUT;
			break;
		}
		/* Busy only when nothing failed before: a failure stays one. */
		if (ret && rc != -ETIMEDOUT && (ret != -EBUSY || !rc))
			rc = ret;
		if (ret == -ENODEV || ret == -EBUSY || ret == -ETIMEDOUT)
			break;	/* the rest falls back too */
	}
	if (w)
		mempool_free(w, window_pool);
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
	int rc;

	window_pool = mempool_create_kmalloc_pool(DCBM_RESERVED_WINDOWS,
						  DCBM_WINDOW_BYTES);
	if (!window_pool)
		return -ENOMEM;
	rc = migoff_register_engine(&dcbm_engine);
	if (rc) {
		mempool_destroy(window_pool);
		return rc;
	}
	dcbm_debugfs_init();
	return 0;
}

/*
 * Unrouted, so deactivated, and nothing held (a held window pins the
 * module): only a pending release, or the reaper's last run, may be left.
 */
static void __exit dcbm_exit(void)
{
	debugfs_remove_recursive(dcbm_debugfs);
	migoff_unregister_engine(&dcbm_engine);
	cancel_delayed_work_sync(&reap_work);
	flush_work(&release_work);
	mempool_destroy(window_pool);
}

/*
 * Built in, the engine's own initcall (device level) must have run first,
 * and drivers/dma/ links before drivers/migrate_offload/: register late.
 * In a module this is module_init().
 */
late_initcall(dcbm_init);
module_exit(dcbm_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DMA batch copy migrator for migrate_offload");

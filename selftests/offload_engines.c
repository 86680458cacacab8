// SPDX-License-Identifier: GPL-2.0
/*
 * Migrations through /dev/migrate_offload and its migrators: routing per
 * reason checked by the statistics, batch caps honoured, mtcopy thread
 * layouts, dcbm on the software DMA engine with injected errors, timeouts
 * and out-of-order completion, dcbm's one completion callback per
 * descriptor (and descriptors shared by neighbouring folios), and modules
 * unloaded and reloaded while migrations run.
 * Every byte of every migrated page is verified and every move_pages(2)
 * status and page node checked (migoff_move()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"

#define SYSCALL_BIT	MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL)
#define SWDMA		"/sys/module/migoff_swdma/parameters/"
#define DCBM		MIGOFF_DCBM_DEBUGFS
#define DCBM_WINDOW	64	/* folios per dcbm window (migoff_dcbm.c) */

static char why[256];	/* why a round trip failed (each test is a process) */

static void swdma_defaults(void)
{
	migoff_param_set(SWDMA, "fail_every", "0");
	migoff_param_set(SWDMA, "drop_every", "0");
	migoff_param_set(SWDMA, "delay_us", "0");
	migoff_param_set(SWDMA, "reorder", "0");
}

FIXTURE(eng) {
	struct migoff_ctx *ctx;
	struct migoff_thp_state thp;
};

FIXTURE_VARIANT(eng) {
	const char *migrator;
	size_t folio_size;
};

FIXTURE_VARIANT_ADD(eng, cpu_4k) { .migrator = "cpu", .folio_size = KiB(4) };
FIXTURE_VARIANT_ADD(eng, cpu_2m) { .migrator = "cpu", .folio_size = MiB(2) };
FIXTURE_VARIANT_ADD(eng, mtcopy_4k) { .migrator = "mtcopy", .folio_size = KiB(4) };
FIXTURE_VARIANT_ADD(eng, mtcopy_64k) { .migrator = "mtcopy", .folio_size = KiB(64) };
FIXTURE_VARIANT_ADD(eng, mtcopy_2m) { .migrator = "mtcopy", .folio_size = MiB(2) };
FIXTURE_VARIANT_ADD(eng, dcbm_4k) { .migrator = "dcbm", .folio_size = KiB(4) };
FIXTURE_VARIANT_ADD(eng, dcbm_64k) { .migrator = "dcbm", .folio_size = KiB(64) };
FIXTURE_VARIANT_ADD(eng, dcbm_2m) { .migrator = "dcbm", .folio_size = MiB(2) };

static void offload_setup(struct __test_metadata *_metadata, struct migoff_ctx **ctx,
			  struct migoff_thp_state *thp)
{
	ASSERT_EQ(0, migoff_open(ctx)) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(thp));
	ASSERT_EQ(0, migoff_disable(*ctx, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, migoff_set_batch(*ctx, MIGOFF_BATCH_SET_MAX_PAGES |
				      MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0));
	ASSERT_EQ(0, migoff_set_param(*ctx, "dcbm", "channels", 2));
	ASSERT_EQ(0, migoff_set_param(*ctx, "dcbm", "timeout_ms", 2000));
	ASSERT_EQ(0, migoff_set_param(*ctx, "mtcopy", "threads", 2));
	ASSERT_EQ(0, migoff_set_param(*ctx, "mtcopy", "push", 0));
	swdma_defaults();
	ASSERT_EQ(0, migoff_reset_stats(*ctx));
}

static void offload_teardown(struct migoff_ctx *ctx, struct migoff_thp_state *thp)
{
	migoff_disable(ctx, MIGOFF_REASONS_ALL);
	migoff_set_batch(ctx, MIGOFF_BATCH_SET_MAX_PAGES | MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0);
	swdma_defaults();
	migoff_thp_restore(thp);
	migoff_close(ctx);
}

FIXTURE_SETUP(eng)
{
	offload_setup(_metadata, &self->ctx, &self->thp);
}

FIXTURE_TEARDOWN(eng)
{
	offload_teardown(self->ctx, &self->thp);
}

/* Every folio of a move_pages(2) round trip copied by the routed migrator. */
TEST_F_TIMEOUT(eng, routed_syscall_copies_everything, 600)
{
	size_t len = MiB(32), nfolios = len / variant->folio_size;
	long id = migrator_id(self->ctx, variant->migrator);
	struct migoff_counters r, m, total;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, variant->migrator));
	ASSERT_EQ(0, migoff_round_trip(len, variant->folio_size, 0xabc, why, sizeof(why)))
		TH_LOG("%s", why);

	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_MIGRATOR, id, &m));
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_TOTAL, 0, &total));
	EXPECT_EQ(2 * nfolios, r.folios);
	EXPECT_EQ(2 * len, r.bytes);
	EXPECT_EQ(0, migoff_counters_fallbacks(&r));
	EXPECT_EQ(2 * nfolios, m.folios);
	EXPECT_EQ(2 * len, m.bytes);
	EXPECT_EQ(r.batches, m.batches);
	EXPECT_LT(0, m.copy_ns);
	EXPECT_EQ(r.folios, total.folios);
}

FIXTURE(pol) {
	struct migoff_ctx *ctx;
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(pol)
{
	offload_setup(_metadata, &self->ctx, &self->thp);
}

FIXTURE_TEARDOWN(pol)
{
	offload_teardown(self->ctx, &self->thp);
}

/* Only the routed reason is offloaded: demotion to dcbm, syscall on the CPU. */
TEST_F_TIMEOUT(pol, unrouted_reason_stays_on_cpu, 300)
{
	long dcbm = migrator_id(self->ctx, "dcbm");
	struct migoff_counters r, m;

	ASSERT_LE(0, dcbm);
	ASSERT_EQ(0, migoff_enable(self->ctx, MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION), "dcbm"));
	ASSERT_EQ(0, migoff_round_trip(MiB(8), KiB(4), 0xdef, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_MIGRATOR, dcbm, &m));
	EXPECT_EQ(0, r.batches);
	EXPECT_EQ(0, m.batches);
	EXPECT_EQ(0, m.folios);
}

/* max_pages bounds every batch; min_folios keeps small ones on the CPU. */
TEST_F_TIMEOUT(pol, batch_caps_honoured, 300)
{
	size_t len = MiB(16), pages = len / KiB(4);
	struct migoff_counters r;

	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 64, 0));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "cpu"));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x64, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(2 * pages, r.folios);
	/* 64 pages per batch at most: at least pages / 64 batches per move. */
	EXPECT_LE(2 * pages / 64, r.batches);
	EXPECT_GE(64 * r.batches, r.folios);

	/* Bigger batches: fewer of them. */
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 2048, 0));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x65, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(2 * pages, r.folios);
	EXPECT_GE(2 * pages / 2048 + 4, r.batches);

	/* Every batch below min_folios: all on the CPU, counted as too small. */
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 100000));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x66, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(0, r.folios);
	EXPECT_EQ(2 * pages, r.fallback[MIGOFF_FALLBACK_TOO_SMALL]);
}

/* mtcopy: every thread count and direction copies every byte. */
TEST_F_TIMEOUT(pol, mtcopy_threads_push_pull, 600)
{
	static const int threads[] = { 1, 2, 4 };
	struct migoff_counters r;
	unsigned int t, push;

	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "mtcopy"));
	for (t = 0; t < 3; t++) {
		for (push = 0; push < 2; push++) {
			ASSERT_EQ(0, migoff_set_param(self->ctx, "mtcopy", "threads", threads[t]));
			ASSERT_EQ(0, migoff_set_param(self->ctx, "mtcopy", "push", push));
			ASSERT_EQ(0, migoff_reset_stats(self->ctx));
			ASSERT_EQ(0, migoff_round_trip(MiB(16), MiB(2), t * 2 + push, why, sizeof(why)))
				TH_LOG("threads=%d push=%u: %s", threads[t], push, why);
			ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
						      MIGOFF_REASON_SYSCALL, &r));
			EXPECT_EQ(16, r.folios);
		}
	}
}

struct fault {
	const char *name, *fail_every, *drop_every, *delay_us, *reorder;
	unsigned int channels, timeout_ms;
	size_t folio_size;
	int expect;	/* fallback kind that must show, or -1 */
};

static const struct fault faults[] = {
	{ "errors 4k", "3", "0", "0", "0", 2, 2000, KiB(4), MIGOFF_FALLBACK_ERROR },
	{ "errors 2m", "2", "0", "0", "0", 2, 2000, MiB(2), MIGOFF_FALLBACK_ERROR },
	{ "reorder 4k", "0", "0", "20", "1", 4, 2000, KiB(4), -1 },
	{ "reorder+errors 64k", "7", "0", "0", "1", 4, 2000, KiB(64), MIGOFF_FALLBACK_ERROR },
	{ "timeouts 4k", "0", "97", "0", "0", 2, 50, KiB(4), MIGOFF_FALLBACK_TIMEOUT },
	{ "timeouts 2m", "0", "5", "0", "1", 1, 50, MiB(2), MIGOFF_FALLBACK_TIMEOUT },
};

/*
 * Faults on the software DMA engine: failed descriptors scribble over their
 * destination, dropped ones never complete; the CPU must copy those folios
 * again, and the statistics must say why. Whatever happens, no descriptor
 * calls back twice (dropped and terminated ones do not call back).
 */
TEST_F_TIMEOUT(pol, dcbm_fault_injection, 900)
{
	long long cb, descs;
	struct migoff_counters r;
	unsigned int i;

	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		const struct fault *f = &faults[i];
		size_t len = MiB(16), nfolios = len / f->folio_size;

		ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", f->channels));
		ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", f->timeout_ms));
		ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_every", f->fail_every));
		ASSERT_EQ(0, migoff_param_set(SWDMA, "drop_every", f->drop_every));
		ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", f->delay_us));
		ASSERT_EQ(0, migoff_param_set(SWDMA, "reorder", f->reorder));
		ASSERT_EQ(0, migoff_reset_stats(self->ctx));
		cb = migoff_param_get(SWDMA, "callbacks");
		descs = migoff_param_get(DCBM, "descriptors");
		ASSERT_LE(0, cb);
		ASSERT_LE(0, descs);
		ASSERT_EQ(0, migoff_round_trip(len, f->folio_size, 0xd0 + i, why, sizeof(why)))
			TH_LOG("fault case %s: %s", f->name, why);
		cb = migoff_param_get(SWDMA, "callbacks") - cb;
		descs = migoff_param_get(DCBM, "descriptors") - descs;
		EXPECT_GE(descs, cb) TH_LOG("%s: %lld callbacks, %lld descriptors",
					    f->name, cb, descs);
		if (!strcmp(f->drop_every, "0")) {
			EXPECT_EQ(descs, cb) TH_LOG("%s: a descriptor without its callback",
						    f->name);
		}
		ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
					      MIGOFF_REASON_SYSCALL, &r));
		/* Every folio is accounted once: copied or fallen back. */
		EXPECT_EQ(2 * nfolios, r.folios + migoff_counters_fallbacks(&r)) TH_LOG("%s", f->name);
		EXPECT_LT(0, r.folios) TH_LOG("%s: DMA copied nothing", f->name);
		if (f->expect >= 0) {
			EXPECT_LT(0, r.fallback[f->expect]) TH_LOG("%s: no fallback", f->name);
		} else {
			EXPECT_EQ(0, migoff_counters_fallbacks(&r)) TH_LOG("%s", f->name);
		}
	}
}

/*
 * dcbm settles every descriptor by its own callback (providers disagree on
 * tx_status: see migoff_dcbm.c, "Completion"), and physically contiguous
 * neighbours share a descriptor: the swdma "callbacks" counter grows by
 * exactly the descriptors submitted, which may be fewer than the folios,
 * while every byte and every page's node is verified and no folio falls
 * back.
 */
TEST_F_TIMEOUT(pol, dcbm_one_callback_per_descriptor, 300)
{
	const long long channels = 2;
	size_t len = MiB(16);
	long long nfolios = 2 * (long long)(len / KiB(4));	/* there and back */
	long long cb, win, descs, coal;
	struct migoff_counters r;

	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", channels));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	cb = migoff_param_get(SWDMA, "callbacks");
	win = migoff_param_get(DCBM, "windows");
	descs = migoff_param_get(DCBM, "descriptors");
	coal = migoff_param_get(DCBM, "coalesced");
	ASSERT_LE(0, cb) TH_LOG("swdma exposes no callbacks counter");
	ASSERT_LE(0, win) TH_LOG("dcbm exposes no windows counter");
	ASSERT_LE(0, descs) TH_LOG("dcbm exposes no descriptors counter");
	ASSERT_LE(0, coal) TH_LOG("dcbm exposes no coalesced counter");

	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x10c, why, sizeof(why)))
		TH_LOG("%s", why);

	cb = migoff_param_get(SWDMA, "callbacks") - cb;
	win = migoff_param_get(DCBM, "windows") - win;
	descs = migoff_param_get(DCBM, "descriptors") - descs;
	coal = migoff_param_get(DCBM, "coalesced") - coal;
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	TH_LOG("%lld folios: %lld batches, %lld windows, %lld descriptors "
	       "(%lld folios coalesced), %lld callbacks", nfolios,
	       (long long)r.batches, win, descs, coal, cb);
	EXPECT_EQ(nfolios, (long long)r.folios);
	EXPECT_EQ(0, migoff_counters_fallbacks(&r));
	/* Windows of at most DCBM_WINDOW folios, none across batches. */
	EXPECT_LE((nfolios + DCBM_WINDOW - 1) / DCBM_WINDOW, win);
	EXPECT_GE((long long)r.batches + nfolios / DCBM_WINDOW, win);
	/* The point: exactly one callback per descriptor. */
	EXPECT_EQ(descs, cb);
	/* Every folio went on exactly one descriptor. */
	EXPECT_EQ(nfolios, descs + coal);
	EXPECT_GE(nfolios, descs);
}

/*
 * Routed migrators and their providers are pinned; once unrouted they
 * unload, and reload, while migrations keep running.
 */
TEST_F_TIMEOUT(pol, unload_reload_under_load, 600)
{
	struct migoff_mover m = { .len = MiB(8) };
	pthread_t t;
	int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, migoff_mover_thread, &m));
	for (i = 0; i < 3 && !m.failed; i++) {
		ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
		migoff_mover_wait(&m, 2);
		EXPECT_EQ(-EWOULDBLOCK, migoff_mod_unload("migoff_dcbm"));
		EXPECT_EQ(-EWOULDBLOCK, migoff_mod_unload("migoff_swdma"));
		EXPECT_EQ(-EWOULDBLOCK, migoff_mod_unload("migrate_offload"));
		/* Switch engines under load. */
		ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "mtcopy"));
		migoff_mover_wait(&m, 2);
		EXPECT_EQ(-EWOULDBLOCK, migoff_mod_unload("migoff_mtcopy"));
		ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
		EXPECT_EQ(0, migoff_mod_unload("migoff_dcbm"));
		EXPECT_EQ(0, migoff_mod_unload("migoff_mtcopy"));
		migoff_mover_wait(&m, 1);
		ASSERT_EQ(0, migoff_mod_load("migoff_mtcopy", NULL));
		ASSERT_EQ(0, migoff_mod_load("migoff_dcbm", NULL));
		ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 2));
	}
	m.stop = true;
	pthread_join(t, NULL);
	ASSERT_EQ(0, m.failed) TH_LOG("mover: %s", m.why);
}

TEST_HARNESS_MAIN

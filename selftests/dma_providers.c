// SPDX-License-Identifier: GPL-2.0
/*
 * dcbm on the DMA engines users own, reproduced by the software engine's
 * personalities (migoff_swdma.c, "Personalities"): ideal, ioat (no
 * terminate, public, failures only in the callback result), idxd
 * (DMA_COMPLETION_NO_ORDER, tx_status always DMA_OUT_OF_ORDER, completion
 * only through callbacks) and ptdma (a terminate that lets the running
 * descriptor write later, failures reported as successes).
 *
 * For each personality:
 *  - descriptors that complete, but later than the batch's deadline: no
 *    byte of the buffer changes after move_pages(2) returns (a new
 *    pattern written right after each move survives longer than the
 *    late descriptors take), every page is where move_pages(2) put it or
 *    where it was, and the kernel logs no splat (this was the flush of a
 *    !WQ_MEM_RECLAIM workqueue from a PF_MEMALLOC task);
 *  - without delays dcbm offloads everything, without a timeout (idxd:
 *    it used to wait timeout_ms per window for a status that never
 *    comes);
 *  - lost updates: threads increment counters in a buffer moved back and
 *    forth through cpu, mtcopy and dcbm (with late descriptors); every
 *    counter equals the increments made;
 *  - descriptors that never complete on an engine that cannot abort: the
 *    channel is quarantined and its folios held, until the engine
 *    completes them (late writes into the held destinations only).
 *
 * And on the ideal engine: batches that find every channel taken count as
 * busy fallbacks, not errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"

#define SYSCALL		MIGOFF_REASON_SYSCALL
#define SYSCALL_BIT	MIGOFF_REASON_BIT(SYSCALL)
#define SWDMA		"/sys/module/migoff_swdma/parameters/"
#define DCBM		MIGOFF_DCBM_DEBUGFS

static char why[256];

static void swdma_quiet(void)
{
	migoff_param_set(SWDMA, "fail_every", "0");
	migoff_param_set(SWDMA, "drop_every", "0");
	migoff_param_set(SWDMA, "delay_us", "0");
	migoff_param_set(SWDMA, "reorder", "0");
	migoff_param_set(SWDMA, "slow_terminate_ms", "0");
}

/* Wait until dcbm holds nothing (the reaper released every late window). */
static int dcbm_wait_unheld(double secs)
{
	double t0 = migoff_now(CLOCK_MONOTONIC);

	/* An older dcbm without the counter holds nothing. */
	while (migoff_param_get(DCBM, "quarantined") > 0) {
		if (migoff_now(CLOCK_MONOTONIC) - t0 > secs)
			return -1;
		usleep(20000);
	}
	return 0;
}

/*
 * Three fixtures with the same setup, for the personalities each test
 * applies to: every one (prov), those that report failed descriptors
 * (prov_err: not ptdma, whose failures look like successes to any
 * client), those dcbm cannot stop (prov_hang: not ideal).
 */
struct prov_variant {
	const char *personality;
	bool can_abort;		/* dcbm stops it with terminate_sync() */
};

static void personality_setup(struct __test_metadata *_metadata, struct migoff_ctx **ctx,
			      long long *splats, const char *personality)
{
	char params[64];

	ASSERT_EQ(0, migoff_open(ctx)) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_disable(*ctx, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, dcbm_wait_unheld(30)) TH_LOG("dcbm still holds folios");
	ASSERT_EQ(0, migoff_mod_unload("migoff_swdma"));
	snprintf(params, sizeof(params), "channels=2 personality=%s", personality);
	ASSERT_EQ(0, migoff_mod_load("migoff_swdma", params));
	ASSERT_EQ(0, migoff_set_batch(*ctx, MIGOFF_BATCH_SET_MAX_PAGES |
				      MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0));
	ASSERT_EQ(0, migoff_set_param(*ctx, "dcbm", "channels", 2));
	ASSERT_EQ(0, migoff_set_param(*ctx, "dcbm", "timeout_ms", 2000));
	ASSERT_EQ(0, migoff_reset_stats(*ctx));
	*splats = migoff_kernel_splats();
	ASSERT_LE(0, *splats);
}

static void personality_teardown(struct __test_metadata *_metadata, struct migoff_ctx *ctx,
				 long long splats_before)
{
	long long splats = migoff_kernel_splats();

	migoff_disable(ctx, MIGOFF_REASONS_ALL);
	swdma_quiet();
	migoff_param_set(SWDMA, "complete_dropped", "1");
	dcbm_wait_unheld(30);
	/* Back to the default engine for the suites that follow. */
	migoff_mod_unload("migoff_swdma");
	migoff_mod_load("migoff_swdma", NULL);
	migoff_close(ctx);
	EXPECT_EQ(splats_before, splats) TH_LOG("the kernel logged a splat");
}

#define PROV_FIXTURE(f)							\
	FIXTURE(f) { struct migoff_ctx *ctx; long long splats; };	\
	FIXTURE_VARIANT(f) { struct prov_variant v; };			\
	FIXTURE_SETUP(f)						\
	{								\
		personality_setup(_metadata, &self->ctx, &self->splats,	\
				  variant->v.personality);		\
	}								\
	FIXTURE_TEARDOWN(f)						\
	{								\
		personality_teardown(_metadata, self->ctx, self->splats); \
	}

#define IDEAL	{ .personality = "ideal", .can_abort = true }
#define IOAT	{ .personality = "ioat", .can_abort = false }
#define IDXD	{ .personality = "idxd", .can_abort = false }
#define PTDMA	{ .personality = "ptdma", .can_abort = false }

PROV_FIXTURE(prov);
FIXTURE_VARIANT_ADD(prov, ideal) { .v = IDEAL };
FIXTURE_VARIANT_ADD(prov, ioat) { .v = IOAT };
FIXTURE_VARIANT_ADD(prov, idxd) { .v = IDXD };
FIXTURE_VARIANT_ADD(prov, ptdma) { .v = PTDMA };

PROV_FIXTURE(prov_err);
FIXTURE_VARIANT_ADD(prov_err, ideal) { .v = IDEAL };
FIXTURE_VARIANT_ADD(prov_err, ioat) { .v = IOAT };
FIXTURE_VARIANT_ADD(prov_err, idxd) { .v = IDXD };

PROV_FIXTURE(prov_hang);
FIXTURE_VARIANT_ADD(prov_hang, ioat) { .v = IOAT };
FIXTURE_VARIANT_ADD(prov_hang, idxd) { .v = IDXD };
FIXTURE_VARIANT_ADD(prov_hang, ptdma) { .v = PTDMA };

PROV_FIXTURE(prov_busy);
FIXTURE_VARIANT_ADD(prov_busy, ideal) { .v = IDEAL };

/*
 * The reproduction of the issue: timeout_ms=10, each descriptor 3 ms,
 * one move_pages(2) of 16 MiB of base pages, a few times. Whatever dcbm
 * does with the late descriptors, nothing may write the buffer after
 * move_pages(2) returned.
 */
TEST_F_TIMEOUT(prov, late_descriptors_never_write_user_memory, 600)
{
	const size_t len = MiB(16), npages = len / KiB(4);
	long long held0 = migoff_param_get(DCBM, "held"), term0 = migoff_param_get(DCBM, "terminated");
	long long to0 = migoff_param_get(DCBM, "timeouts");
	struct migoff_counters r;
	struct migoff_buf b;
	long not_moved, total_not_moved = 0;
	int i, node = 0;
	long bad;

	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 10));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", "3000"));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0x1700, why, sizeof(why)))
		TH_LOG("%s", why);
	for (i = 0; i < 4; i++) {
		int to = !node;

		ASSERT_EQ(0, migoff_move_some(&b, to, node, &not_moved, why, sizeof(why)))
			TH_LOG("move %d: %s", i, why);
		total_not_moved += not_moved;
		/* New data, right away: a late DMA write would undo part of it. */
		migoff_fill(b.mem, b.len, 0x1710 + i);
		/* Longer than the late descriptors of a window take. */
		usleep(600000);
		bad = migoff_verify(b.mem, b.len, 0x1710 + i);
		ASSERT_EQ(-1, bad) TH_LOG("move %d: byte %ld changed after move_pages returned",
					  i, bad);
		node = to;
	}
	migoff_param_set(SWDMA, "delay_us", "0");
	ASSERT_EQ(0, dcbm_wait_unheld(30)) TH_LOG("late windows were never released");
	ASSERT_EQ(-1, migoff_verify(b.mem, b.len, 0x1713));
	migoff_buf_free(&b);

	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON, SYSCALL, &r));
	TH_LOG("%s: %lld timeouts, %lld channels terminated, %lld folios held, "
	       "%ld of %zu pages not moved; %llu offloaded, %llu timeout fallbacks",
	       variant->v.personality, migoff_param_get(DCBM, "timeouts") - to0,
	       migoff_param_get(DCBM, "terminated") - term0, migoff_param_get(DCBM, "held") - held0,
	       total_not_moved, 4 * npages, (unsigned long long)r.folios,
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_TIMEOUT]);
	EXPECT_LE(0, held0) TH_LOG("dcbm exposes no held counter");
	EXPECT_LT(0, migoff_param_get(DCBM, "timeouts") - to0);
	if (variant->v.can_abort) {
		EXPECT_LT(0, migoff_param_get(DCBM, "terminated") - term0);
		EXPECT_EQ(0, migoff_param_get(DCBM, "held") - held0);
		EXPECT_EQ(0, total_not_moved);
	} else {
		/* Never terminated: held, and those folios stayed where they were. */
		EXPECT_EQ(0, migoff_param_get(DCBM, "terminated") - term0);
		EXPECT_LT(0, migoff_param_get(DCBM, "held") - held0);
		EXPECT_LT(0, total_not_moved);
	}
}

/* No delays: everything offloaded, no timeout, no waiting out timeout_ms. */
TEST_F_TIMEOUT(prov, offloads_without_timeouts, 300)
{
	const size_t len = MiB(16), nfolios = len / KiB(4);
	long long to0 = migoff_param_get(DCBM, "timeouts"), descs0 = migoff_param_get(DCBM, "descriptors");
	long long cb0 = migoff_param_get(SWDMA, "callbacks");
	struct migoff_counters r;
	double t0, secs;

	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	t0 = migoff_now(CLOCK_MONOTONIC);
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x1720, why, sizeof(why)))
		TH_LOG("%s", why);
	secs = migoff_now(CLOCK_MONOTONIC) - t0;
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON, SYSCALL, &r));
	TH_LOG("%s: %zu folios there and back in %.2fs, %llu offloaded, %llu fallbacks",
	       variant->v.personality, 2 * nfolios, secs, (unsigned long long)r.folios,
	       (unsigned long long)migoff_counters_fallbacks(&r));
	EXPECT_EQ(2 * nfolios, r.folios);
	EXPECT_EQ(0, migoff_counters_fallbacks(&r));
	EXPECT_EQ(0, migoff_param_get(DCBM, "timeouts") - to0);
	/* One callback per descriptor: the one contract all providers keep. */
	EXPECT_EQ(migoff_param_get(DCBM, "descriptors") - descs0, migoff_param_get(SWDMA, "callbacks") - cb0);
	/* 2 x 16 windows of 2 s would be a minute. */
	EXPECT_GT(30.0, secs);
}

/* Failed descriptors fall back, where the provider says they failed. */
TEST_F_TIMEOUT(prov_err, failed_descriptors_fall_back, 300)
{
	const size_t len = MiB(8), nfolios = len / KiB(4);
	struct migoff_counters r;
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_every", "7"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "reorder", "1"));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x1730, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON, SYSCALL, &r));
	TH_LOG("%s: %llu offloaded, %llu error fallbacks", variant->v.personality,
	       (unsigned long long)r.folios,
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_ERROR]);
	EXPECT_LT(0, r.fallback[MIGOFF_FALLBACK_ERROR]);
	EXPECT_LT(0, r.folios);
	EXPECT_EQ(2 * nfolios, r.folios + migoff_counters_fallbacks(&r));
}

/*
 * Descriptors that never complete, on an engine dcbm cannot stop: the
 * channel is quarantined and reported, its folios stay where they were;
 * when the engine finally completes them, the late writes land in the
 * held destinations only, and everything is given back.
 */
TEST_F_TIMEOUT(prov_hang, hung_descriptors_quarantine_the_channel, 300)
{
	const size_t len = MiB(4);
	long long held0 = migoff_param_get(DCBM, "held"), late0 = migoff_param_get(DCBM, "late");
	struct migoff_buf b;
	long not_moved;
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 50));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "drop_every", "40"));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0x1740, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_move_some(&b, 1, 0, &not_moved, why, sizeof(why)))
		TH_LOG("%s", why);
	migoff_param_set(SWDMA, "drop_every", "0");
	migoff_fill(b.mem, b.len, 0x1741);
	EXPECT_LT(0, migoff_param_get(DCBM, "quarantined"));
	EXPECT_LT(0, migoff_param_get(DCBM, "held") - held0);
	EXPECT_LT(0, not_moved);
	/* The module cannot go while the engine may still call it back. */
	EXPECT_NE(0, migoff_mod_unload("migoff_dcbm"));

	/* The engine recovers: the dropped descriptors write now. */
	ASSERT_EQ(0, migoff_param_set(SWDMA, "complete_dropped", "1"));
	ASSERT_EQ(0, dcbm_wait_unheld(30));
	EXPECT_LT(0, migoff_param_get(DCBM, "late") - late0);
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0x1741));
	/* And the channels serve again. */
	ASSERT_EQ(0, migoff_move_some(&b, 1, 0, &not_moved, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(0, not_moved);
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0x1741));
	migoff_buf_free(&b);
}

/*
 * A channel can be both quarantined (held by descriptors that never
 * completed) and retiring (a "channels" change dropped it). Availability
 * must count only the channels that can copy: with one channel hung and
 * retiring and one healthy, dcbm can copy. (Comparing the usable channels
 * with the quarantined ones said no: the retiring one is quarantined but
 * no longer usable.) The personality gives swdma two channels.
 */
PROV_FIXTURE(prov_avail);
FIXTURE_VARIANT_ADD(prov_avail, ioat) { .v = IOAT };

static bool dcbm_is_available(struct migoff_ctx *ctx)
{
	struct migoff_migrator m = { .size = sizeof(m) };

	return !migoff_find_migrator(ctx, "dcbm", &m) &&
	       (m.state & MIGOFF_MIGRATOR_AVAILABLE);
}

TEST_F_TIMEOUT(prov_avail, quarantined_retiring_channel_is_not_counted, 300)
{
	const size_t len = MiB(4);
	struct migoff_buf b;
	long not_moved;
	pid_t pid;
	int status;

	/* One channel, hung: quarantined, and busy while it is held. */
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 1));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 50));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "drop_every", "1"));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0x1750, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_move_some(&b, 1, 0, &not_moved, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_param_set(SWDMA, "drop_every", "0"));
	ASSERT_EQ(1, migoff_param_get(DCBM, "quarantined"))
		TH_LOG("the test needs the channel hung");
	EXPECT_FALSE(dcbm_is_available(self->ctx));

	/* A second, healthy channel, busy with a slow batch (1 s)... */
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 2));
	EXPECT_TRUE(dcbm_is_available(self->ctx));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 60000));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", "1000000"));
	pid = migoff_fork_mover(KiB(4), 0x1751);
	ASSERT_LE(0, pid);
	usleep(300000);
	/* ...so that dropping one channel drops the first busy one, the hung one. */
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", "0"));
	EXPECT_EQ(1, migoff_param_get(DCBM, "quarantined"));
	EXPECT_TRUE(dcbm_is_available(self->ctx));

	/* And it copies: every folio moves back, every byte checked. */
	ASSERT_EQ(0, migoff_move_some(&b, 0, 1, &not_moved, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(0, not_moved);
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0x1750));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "complete_dropped", "1"));
	ASSERT_EQ(0, dcbm_wait_unheld(30));
	migoff_buf_free(&b);
}

/* --- lost updates --- */

#define WRITERS		2
#define COUNTERS	256	/* per writer, one per 4 KiB page of its share */

struct writer {
	uint64_t *base;		/* its counters, 4 KiB apart */
	volatile bool *stop;
	uint64_t made[COUNTERS];
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	unsigned int i = 0;

	while (!*w->stop) {
		volatile uint64_t *c = w->base + (size_t)i * 512;

		*c = *c + 1;
		w->made[i]++;
		i = (i + 1) % COUNTERS;
	}
	return NULL;
}

TEST_F_TIMEOUT(prov, no_update_lost_under_any_migrator, 900)
{
	static const char * const migrators[] = { "cpu", "mtcopy", "dcbm" };
	const size_t len = (size_t)WRITERS * COUNTERS * KiB(4);
	struct writer w[WRITERS];
	volatile bool stop = false;
	pthread_t t[WRITERS];
	struct migoff_buf b;
	unsigned int m, i, j, lost = 0;
	long not_moved;

	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0, why, sizeof(why)))
		TH_LOG("%s", why);
	memset(b.mem, 0, b.len);
	for (i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].base = (uint64_t *)(b.mem + (size_t)i * COUNTERS * KiB(4)) + i;
		w[i].stop = &stop;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, writer_fn, &w[i]));
	}
	/* dcbm: descriptors slower than the deadline now and then. */
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 10));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", "400"));
	for (m = 0; m < sizeof(migrators) / sizeof(migrators[0]); m++) {
		ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, migrators[m]));
		for (j = 0; j < 6; j++) {
			ASSERT_EQ(0, migoff_move_some(&b, !(j % 2), j % 2, &not_moved,
						      why, sizeof(why)))
				TH_LOG("%s, move %u: %s", migrators[m], j, why);
		}
	}
	stop = true;
	for (i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	migoff_param_set(SWDMA, "delay_us", "0");
	for (i = 0; i < WRITERS; i++) {
		for (j = 0; j < COUNTERS; j++) {
			uint64_t got = w[i].base[(size_t)j * 512];

			if (got != w[i].made[j] && lost++ < 5)
				TH_LOG("writer %u counter %u: %llu in memory, %llu made",
				       i, j, (unsigned long long)got,
				       (unsigned long long)w[i].made[j]);
		}
	}
	EXPECT_EQ(0, lost);
	migoff_buf_free(&b);
	EXPECT_EQ(0, dcbm_wait_unheld(30));
}

/*
 * One channel, slow descriptors, two tasks migrating at once: a batch
 * that finds the channel taken for longer than dcbm's claim wait goes to
 * the CPU and counts as a busy fallback, not as a failure of the
 * migrator. (Counted as errors, these failed rs.dcbm.demotion_memory_pressure
 * when kswapd and direct reclaim demoted at once.)
 */
TEST_F_TIMEOUT(prov_busy, contention_counts_as_busy, 300)
{
	struct migoff_mover m[2] = { { .len = MiB(4) }, { .len = MiB(4) } };
	long long busy0 = migoff_param_get(DCBM, "busy");
	struct migoff_counters r;
	pthread_t t[2];
	int i;

	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 1));
	/* Slow, not late: no batch may time out (TCG's timers are coarse). */
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 20000));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	/*
	 * A window (up to 64 descriptors) holds the channel longer than
	 * another batch waits for it (2 ms).
	 */
	ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", "200"));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, migoff_mover_thread, &m[i]));
	for (i = 0; i < 2; i++)
		migoff_mover_wait(&m[i], 4);
	for (i = 0; i < 2; i++) {
		m[i].stop = true;
		pthread_join(t[i], NULL);
	}
	migoff_param_set(SWDMA, "delay_us", "0");
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, m[i].failed) TH_LOG("mover %d: %s", i, m[i].why);

	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON, SYSCALL, &r));
	TH_LOG("%llu offloaded, %llu busy, %llu error fallbacks; %lld busy windows",
	       (unsigned long long)r.folios,
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_BUSY],
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_ERROR],
	       migoff_param_get(DCBM, "busy") - busy0);
	EXPECT_LT(0, migoff_param_get(DCBM, "busy") - busy0);
	EXPECT_LT(0, r.fallback[MIGOFF_FALLBACK_BUSY]);
	EXPECT_EQ(0, r.fallback[MIGOFF_FALLBACK_ERROR]);
	EXPECT_EQ(0, r.fallback[MIGOFF_FALLBACK_TIMEOUT]);
	EXPECT_LT(0, r.folios);
}

TEST_HARNESS_MAIN

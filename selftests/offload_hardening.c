// SPDX-License-Identifier: GPL-2.0
/*
 * Hardening of migrate_offload.ko and its migrators (issue 11, items 9 and
 * 11-17): each test fails on the code before the fix.
 *
 *  quota_threads    several threads of one cgroup migrating at once under
 *                   a 4e9 B/s quota (the token bucket's clock and
 *                   arithmetic; per-CPU counters summed exactly)
 *  quota_subtree    a parent's quota covers its descendants
 *  mtcopy           one THP with threads=8 is cut into one range per CPU
 *                   (at most 8): the migrating thread copies one, a worker
 *                   on each other CPU one
 *  alloc_fail       the migrators' per-batch allocations fail (failslab,
 *                   fail_page_alloc, filtered to the migrating task): the
 *                   CPU copies every folio
 *  dcbm             a timeout stops only its own batch's transfers; a
 *                   failed "channels" change changes nothing and no change
 *                   waits for copies; reads take no DMA channel
 *  netlink          strict validation of the stats dump request
 *  swdma            no sysfs unbind while clients hold its channels
 *
 * Every migration verifies every byte, every move_pages(2) status and the
 * node of every page (migoff_move(), migoff_round_trip()). The device and
 * the statistics dump go through libmigoffload; only the malformed dump
 * requests are sent raw (raw_nl_*()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"

#define CG		MIGOFF_CGROUP_ROOT
#define SWDMA		"/sys/module/migoff_swdma/parameters/"
#define DCBM		MIGOFF_DCBM_DEBUGFS
#define MTCOPY		MIGOFF_MTCOPY_DEBUGFS
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc/"
#define SYSCALL_BIT	MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL)

static char why[256];

static void swdma_defaults(void)
{
	migoff_param_set(SWDMA, "fail_every", "0");
	migoff_param_set(SWDMA, "drop_every", "0");
	migoff_param_set(SWDMA, "delay_us", "0");
	migoff_param_set(SWDMA, "reorder", "0");
	migoff_param_set(SWDMA, "fail_chan_alloc", "0");
}

static int cg_enter(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), CG "%s/cgroup.procs", name);
	return migoff_write_file(path, "0");
}

/* Wait for a child; 0 when it exited with 0. */
static int child_status(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void common_setup(struct __test_metadata *_metadata, struct migoff_ctx **ctx,
			 struct migoff_thp_state *thp)
{
	ASSERT_EQ(0, migoff_open(ctx)) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(thp));
	ASSERT_EQ(0, migoff_write_file(CG "cgroup.subtree_control", "+memory"));
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

static void common_teardown(struct migoff_ctx *ctx, struct migoff_thp_state *thp)
{
	migoff_disable(ctx, MIGOFF_REASONS_ALL);
	migoff_set_batch(ctx, MIGOFF_BATCH_SET_MAX_PAGES |
			 MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0);
	migoff_set_param(ctx, "dcbm", "channels", 2);
	migoff_set_param(ctx, "dcbm", "timeout_ms", 2000);
	if (!migoff_mod_loaded("migoff_swdma"))
		migoff_mod_load("migoff_swdma", NULL);
	swdma_defaults();
	migoff_param_set(FAILSLAB, "probability", "0");
	migoff_param_set(FAILPAGE, "probability", "0");
	migoff_param_set(FAILSLAB, "task-filter", "N");
	migoff_param_set(FAILPAGE, "task-filter", "N");
	migoff_thp_restore(thp);
	migoff_cg_remove("migoff-hard/child");
	migoff_cg_remove("migoff-hard/own");
	migoff_cg_remove("migoff-hard");
	migoff_close(ctx);
}

FIXTURE(hard) {
	struct migoff_ctx *ctx;
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(hard)
{
	common_setup(_metadata, &self->ctx, &self->thp);
}

FIXTURE_TEARDOWN(hard)
{
	common_teardown(self->ctx, &self->thp);
}

/* --- item 9: the quota token bucket under concurrent threads --- */

#define QT_THREADS	4
#define QT_LEN		MiB(4)
#define QT_ROUNDS	2

struct qt_arg {
	int idx;
	char why[256];
	int failed;
};

static void *qt_thread(void *p)
{
	struct qt_arg *a = p;
	int r;

	for (r = 0; r < QT_ROUNDS && !a->failed; r++)
		if (migoff_round_trip(QT_LEN, KiB(4), 0x900 + a->idx * 16 + r,
				      a->why, sizeof(a->why)))
			a->failed = 1;
	return NULL;
}

/* A child in cgroup @name running QT_THREADS movers; exit 0 if all passed. */
static pid_t qt_spawn(const char *name)
{
	struct qt_arg args[QT_THREADS];
	pthread_t t[QT_THREADS];
	pid_t pid = fork();
	int i, bad = 0;

	if (pid)
		return pid;
	if (cg_enter(name))
		_exit(10);
	/* Idle a moment so that the bucket refills over a real gap. */
	usleep(200000);
	for (i = 0; i < QT_THREADS; i++) {
		args[i] = (struct qt_arg){ .idx = i };
		if (pthread_create(&t[i], NULL, qt_thread, &args[i]))
			_exit(11);
	}
	for (i = 0; i < QT_THREADS; i++) {
		pthread_join(t[i], NULL);
		if (args[i].failed) {
			fprintf(stderr, "mover %d: %s\n", i, args[i].why);
			bad = 12;
		}
	}
	_exit(bad);
}

/*
 * Threads of one cgroup on several CPUs hit the same bucket at once. On
 * the old code one of them could pass a "now" older than the last_ns
 * another had just stored: the gap wrapped and mul_u64_u64_div_u64()
 * raised a divide error (an oops with the bucket lock held).
 */
TEST_F_TIMEOUT(hard, quota_threads_one_cgroup_4e9, 900)
{
	const uint64_t rate = 4000000000ULL, burst = MiB(1);
	const uint64_t total = 2ULL * QT_THREADS * QT_ROUNDS * QT_LEN;
	int cg = migoff_cg_open("migoff-hard");
	struct migoff_counters r;
	struct migoff_quota q = { .size = sizeof(q) };
	double t0, elapsed;
	pid_t pid;

	ASSERT_LE(0, cg);
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "cpu"));
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-hard", rate, burst, 0));
	t0 = migoff_now(CLOCK_MONOTONIC);
	pid = qt_spawn("migoff-hard");
	ASSERT_EQ(0, child_status(pid)) TH_LOG("a mover failed (see above)");
	elapsed = migoff_now(CLOCK_MONOTONIC) - t0;

	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-hard", &q));
	TH_LOG("%llu offloaded, %llu refused in %.2fs",
	       (unsigned long long)q.bytes_offloaded,
	       (unsigned long long)q.bytes_refused, elapsed);
	/* Every byte was offloaded or refused, and no more than the budget. */
	EXPECT_EQ(total, q.bytes_offloaded + q.bytes_refused);
	EXPECT_EQ(total / KiB(4), q.folios_offloaded + q.folios_refused);
	EXPECT_LE(q.bytes_offloaded, (uint64_t)(rate * elapsed) + burst);
	EXPECT_LT(0, q.bytes_offloaded);
	/* The per-CPU counters add up exactly. */
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(q.folios_offloaded, r.folios);
	EXPECT_EQ(q.bytes_offloaded, r.bytes);
	EXPECT_EQ(q.folios_refused, r.fallback[MIGOFF_FALLBACK_QUOTA]);
	EXPECT_EQ(0, migoff_quota_clear(self->ctx, "migoff-hard"));
	close(cg);
}

/* --- item 16: a parent's quota covers its subtree --- */

static int move_in(const char *name, size_t len, uint64_t seed)
{
	pid_t pid = fork();

	if (!pid) {
		if (cg_enter(name))
			_exit(10);
		if (migoff_round_trip(len, KiB(4), seed, why, sizeof(why))) {
			fprintf(stderr, "mover in %s: %s\n", name, why);
			_exit(12);
		}
		_exit(0);
	}
	return child_status(pid);
}

TEST_F_TIMEOUT(hard, quota_parent_covers_subtree, 300)
{
	int parent = migoff_cg_open("migoff-hard"), child, own;
	struct migoff_quota qp = { .size = sizeof(qp) }, qo = { .size = sizeof(qo) };

	ASSERT_LE(0, parent);
	ASSERT_EQ(0, migoff_write_file(CG "migoff-hard/cgroup.subtree_control", "+memory"));
	child = migoff_cg_open("migoff-hard/child");
	own = migoff_cg_open("migoff-hard/own");
	ASSERT_LE(0, child);
	ASSERT_LE(0, own);
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "cpu"));
	/* The parent: almost nothing. "own" has its own, generous quota. */
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-hard", 4096, 4096, 0));
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-hard/own", 1ULL << 40, 1ULL << 40, 0));

	ASSERT_EQ(0, move_in("migoff-hard/child", MiB(4), 0x51));
	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-hard", &qp));
	EXPECT_EQ(2 * MiB(4), qp.bytes_offloaded + qp.bytes_refused)
		TH_LOG("the child's folios were not charged to the parent's quota");
	EXPECT_LT(MiB(4), qp.bytes_refused);

	ASSERT_EQ(0, move_in("migoff-hard/own", MiB(4), 0x52));
	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-hard/own", &qo));
	EXPECT_EQ(2 * MiB(4), qo.bytes_offloaded) TH_LOG("the nearest quota must win");
	EXPECT_EQ(0, qo.bytes_refused);
	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-hard", &qo));
	EXPECT_EQ(qp.bytes_offloaded + qp.bytes_refused,
		  qo.bytes_offloaded + qo.bytes_refused);

	migoff_quota_clear(self->ctx, "migoff-hard/own");
	migoff_quota_clear(self->ctx, "migoff-hard");
	close(own);
	close(child);
	close(parent);
}

/*
 * --- item 11: worker count sized from the batch; issue 10: the migrating
 * thread copies a range itself and no CPU gets two ranges of a batch ---
 */

TEST_F_TIMEOUT(hard, mtcopy_one_thp_one_range_per_cpu, 300)
{
	long id = migrator_id(self->ctx, "mtcopy");
	long long thr0, wk0, in0, thr1, wk1, in1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long ranges = cpus < 8 ? cpus : 8;
	struct migoff_counters m;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, migoff_set_param(self->ctx, "mtcopy", "threads", 8));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "mtcopy"));
	thr0 = migoff_param_get(MTCOPY, "batches_threaded");
	wk0 = migoff_param_get(MTCOPY, "workers");
	in0 = migoff_param_get(MTCOPY, "batches_inline");
	ASSERT_LE(0, thr0) TH_LOG("mtcopy exposes no batches_threaded");
	ASSERT_LE(0, wk0);

	/* One THP there and back: two batches of one 2 MiB folio. */
	ASSERT_EQ(0, migoff_round_trip(MiB(2), MiB(2), 0x11a, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_MIGRATOR, id, &m));
	thr1 = migoff_param_get(MTCOPY, "batches_threaded");
	wk1 = migoff_param_get(MTCOPY, "workers");
	in1 = migoff_param_get(MTCOPY, "batches_inline");
	EXPECT_EQ(2, m.folios);
	EXPECT_EQ(0, migoff_counters_fallbacks(&m));
	EXPECT_EQ(m.batches, thr1 - thr0) TH_LOG("a THP batch was copied inline");
	EXPECT_EQ(0, in1 - in0);
	/* Before issue 10 this was 8 workers, two per CPU on a 4-CPU guest. */
	EXPECT_EQ((ranges - 1) * (thr1 - thr0), wk1 - wk0)
		TH_LOG("workers per THP: %lld, expected %ld (%ld CPUs, one range for the migrating thread)",
		       thr1 > thr0 ? (wk1 - wk0) / (thr1 - thr0) : 0, ranges - 1, cpus);

	/* One 4 KiB folio is not worth a worker. */
	in0 = migoff_param_get(MTCOPY, "batches_inline");
	wk0 = migoff_param_get(MTCOPY, "workers");
	ASSERT_EQ(0, migoff_round_trip(KiB(4), KiB(4), 0x11b, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(2, migoff_param_get(MTCOPY, "batches_inline") - in0);
	EXPECT_EQ(wk0, migoff_param_get(MTCOPY, "workers"));
}

/* --- item 15: per-batch allocations fail; the CPU copies everything --- */

static int fault_dir_on(const char *dir)
{
	static const char * const set[][2] = {
		{ "probability", "100" }, { "interval", "1" }, { "times", "-1" },
		{ "space", "0" }, { "verbose", "0" }, { "task-filter", "Y" },
		{ "ignore-gfp-wait", "Y" },
	};
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		err = migoff_param_set(dir, set[i][0], set[i][1]);
		if (err)
			return err;
	}
	return 0;
}

FIXTURE(alloc) {
	struct migoff_ctx *ctx;
	struct migoff_thp_state thp;
};

FIXTURE_VARIANT(alloc) {
	const char *migrator;
	bool reserve;		/* keeps a reserve for its per-batch allocation */
};
FIXTURE_VARIANT_ADD(alloc, mtcopy) { .migrator = "mtcopy" };
FIXTURE_VARIANT_ADD(alloc, dcbm) { .migrator = "dcbm", .reserve = true };

FIXTURE_SETUP(alloc)
{
	common_setup(_metadata, &self->ctx, &self->thp);
}

FIXTURE_TEARDOWN(alloc)
{
	common_teardown(self->ctx, &self->thp);
}

/*
 * The migrating task's non-sleeping allocations all fail (fault injection
 * filtered to it; sleeping ones, like its target pages, are left alone).
 * The migrators' per-batch allocations must be of that kind (they run
 * under reclaim: no GFP_KERNEL, no emergency reserves), and when they
 * fail the batch must fall back to the CPU with nothing lost; or, for
 * dcbm, whose demotion batches come exactly when memory is short, be
 * served from its own reserve (a mempool) and offloaded anyway.
 */
TEST_F_TIMEOUT(alloc, failure_falls_back_to_cpu, 300)
{
	const size_t len = MiB(8), nfolios = len / KiB(4);
	long long reserve0 = migoff_param_get(DCBM, "reserve");
	struct migoff_counters r;
	struct migoff_buf b;
	pid_t pid;

	ASSERT_EQ(0, fault_dir_on(FAILSLAB)) TH_LOG("failslab is not available");
	ASSERT_EQ(0, fault_dir_on(FAILPAGE)) TH_LOG("fail_page_alloc is not available");
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, variant->migrator));
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int rc = 0;

		/* The buffer (and its page tables) before the faults. */
		if (migoff_buf_alloc(&b, len, KiB(4), 0, 0xfa1, why, sizeof(why))) {
			fprintf(stderr, "alloc: %s\n", why);
			_exit(20);
		}
		if (migoff_write_file("/proc/self/make-it-fail", "1"))
			_exit(21);
		if (migoff_move(&b, 1, NULL, why, sizeof(why)) ||
		    migoff_verify(b.mem, len, 0xfa1) != -1 ||
		    migoff_move(&b, 0, NULL, why, sizeof(why)))
			rc = 22;
		migoff_write_file("/proc/self/make-it-fail", "0");
		if (rc)
			fprintf(stderr, "move with failing allocations: %s\n", why);
		else if (migoff_verify(b.mem, len, 0xfa1) != -1)
			rc = 23;
		_exit(rc);
	}
	ASSERT_EQ(0, child_status(pid)) TH_LOG("the mover failed or lost data");
	migoff_param_set(FAILSLAB, "probability", "0");
	migoff_param_set(FAILPAGE, "probability", "0");

	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	TH_LOG("%s: %llu copied, %llu error fallbacks", variant->migrator,
	       (unsigned long long)r.folios,
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_ERROR]);
	EXPECT_EQ(2 * nfolios, r.folios + migoff_counters_fallbacks(&r));
	if (variant->reserve) {
		/* Every allocation failed, and the reserve served each batch. */
		TH_LOG("%lld windows from the reserve",
		       migoff_param_get(DCBM, "reserve") - reserve0);
		EXPECT_LT(0, migoff_param_get(DCBM, "reserve") - reserve0)
			TH_LOG("the migrator's allocations did not fail: may they sleep?");
		EXPECT_EQ(2 * nfolios, r.folios);
	} else {
		/* The batches needed an allocation, it failed: the CPU copied them. */
		EXPECT_LE(nfolios, r.fallback[MIGOFF_FALLBACK_ERROR])
			TH_LOG("the migrator's allocations did not fail: may they sleep?");
	}

	/* Without faults, the same migration offloads again. */
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0xfa2, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(2 * nfolios, r.folios);
}

/* --- item 12: a timeout terminates only its own batch --- */

struct mover_arg {
	uint64_t seed;
	int rounds;
	int failed;
	char why[256];
};

static void *round_trips(void *p)
{
	struct mover_arg *a = p;
	int i;

	for (i = 0; i < a->rounds && !a->failed; i++)
		if (migoff_round_trip(MiB(2), KiB(4), a->seed + i, a->why, sizeof(a->why)))
			a->failed = 1;
	return NULL;
}

/*
 * One DMA channel shared by two movers, every 50th descriptor dropped: each
 * drop must time out exactly one window (its own). On the old code a
 * timeout terminated every channel, discarding the other mover's queued
 * descriptors, which then timed out too.
 */
TEST_F_TIMEOUT(hard, dcbm_timeout_stops_only_its_batch, 900)
{
	struct mover_arg a[2] = { { .seed = 0x120, .rounds = 1 },
				  { .seed = 0x140, .rounds = 1 } };
	long long drop0, to0, drop1, to1;
	struct migoff_counters r;
	pthread_t t[2];
	int i;

	/* A swdma with one channel. */
	ASSERT_EQ(0, migoff_mod_unload("migoff_swdma"));
	ASSERT_EQ(0, migoff_mod_load("migoff_swdma", "channels=1"));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 1));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 300));
	/* Batches of at most 32 folios: at most one drop in each. */
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 32, 0));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "drop_every", "50"));
	drop0 = migoff_param_get(SWDMA, "descs_dropped");
	to0 = migoff_param_get(DCBM, "timeouts");
	ASSERT_LE(0, to0) TH_LOG("dcbm exposes no timeouts counter");

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, round_trips, &a[i]));
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, a[i].failed) TH_LOG("mover %d: %s", i, a[i].why);
	}
	migoff_param_set(SWDMA, "drop_every", "0");
	drop1 = migoff_param_get(SWDMA, "descs_dropped");
	to1 = migoff_param_get(DCBM, "timeouts");
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	TH_LOG("%lld dropped, %lld timed out, %llu timeout fallbacks, %lld busy",
	       drop1 - drop0, to1 - to0,
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_TIMEOUT],
	       migoff_param_get(DCBM, "busy"));
	EXPECT_LT(0, drop1 - drop0);
	EXPECT_EQ(drop1 - drop0, to1 - to0) TH_LOG("timeouts hit other batches");
	EXPECT_LE((uint64_t)(drop1 - drop0), r.fallback[MIGOFF_FALLBACK_TIMEOUT]);
	EXPECT_LT(0, r.folios);

	ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, migoff_mod_unload("migoff_swdma"));
	ASSERT_EQ(0, migoff_mod_load("migoff_swdma", NULL));
}

/* --- item 13: a failed "channels" change changes nothing --- */

TEST_F_TIMEOUT(hard, dcbm_failed_channels_change_keeps_channels, 300)
{
	const size_t len = MiB(8), nfolios = len / KiB(4);
	struct migoff_counters r;
	struct migoff_migrator m = { .size = sizeof(m) };
	long long allocs;

	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "1"))
		TH_LOG("swdma has no fail_chan_alloc knob");
	allocs = migoff_param_get(SWDMA, "chan_allocs");
	EXPECT_EQ(-ENODEV, migoff_set_param(self->ctx, "dcbm", "channels", 3));
	ASSERT_EQ(0, migoff_find_migrator(self->ctx, "dcbm", &m));
	EXPECT_EQ(2, m.params[0].value);
	EXPECT_EQ(MIGOFF_MIGRATOR_AVAILABLE | MIGOFF_MIGRATOR_ROUTED, m.state);
	EXPECT_EQ(allocs, migoff_param_get(SWDMA, "chan_allocs"));

	/* The routed dcbm still copies everything on its two channels. */
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x130, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(2 * nfolios, r.folios) TH_LOG("dcbm lost its channels");
	EXPECT_EQ(0, migoff_counters_fallbacks(&r));

	/* Fewer channels needs no allocation; more works again without the knob. */
	EXPECT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 1));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "0"));
	EXPECT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 3));
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x131, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
				      MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(2 * nfolios, r.folios);
	/* Enabling with no channel to be had fails cleanly too. */
	ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "1"));
	EXPECT_EQ(-ENODEV, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "0"));
}

/*
 * A "channels" change (under the policy mutex) must not wait for copies in
 * flight: here each descriptor takes a second.
 */
TEST_F_TIMEOUT(hard, dcbm_channels_change_does_not_wait_for_copies, 300)
{
	double t0, worst = 0;
	pid_t pid;
	int i;

	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 60000));
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 1, 0));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", "1000000"));
	/* 4 folios, one per batch, a second each. */
	pid = migoff_fork_mover(KiB(16), 0x151);
	ASSERT_LE(0, pid);
	usleep(300000);
	for (i = 0; i < 4; i++) {
		t0 = migoff_now(CLOCK_MONOTONIC);
		EXPECT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", i % 2 ? 2 : 1));
		t0 = migoff_now(CLOCK_MONOTONIC) - t0;
		if (t0 > worst)
			worst = t0;
		usleep(200000);
	}
	EXPECT_EQ(0, child_status(pid)) TH_LOG("the slow mover failed");
	migoff_param_set(SWDMA, "delay_us", "0");
	TH_LOG("slowest channels change: %.3fs", worst);
	EXPECT_GT(0.5, worst) TH_LOG("a channels change waited for a copy");
}

/* --- item 14: unprivileged reads take no channel and prune nothing --- */

static int count_entry(const struct migoff_stats_entry *e, void *arg)
{
	(void)e;
	++*(int *)arg;
	return 0;
}

/* A statistics dump of every scope: the number of entries, or -errno. */
static int dump_entries(struct migoff_ctx *ctx)
{
	int n = 0, err = migoff_stats_dump_flags(ctx, MIGOFF_DUMP_AUTO, count_entry, &n);

	return err ? err : n;
}

/* As nobody: GETs of every kind, @n times. 0, or which check failed. */
static int reads_as_nobody(struct migoff_ctx *ctx, int n)
{
	pid_t pid = fork();

	if (pid)
		return child_status(pid);
	if (setgid(65534) || setuid(65534))
		_exit(90);
	{
		struct migoff_migrator m = { .size = sizeof(m) };
		struct migoff_quota q = { .size = sizeof(q) };
		struct migoff_ctx *nl;	/* its own: the netlink socket is nobody's */
		int i, idx;

		if (migoff_open(&nl))
			_exit(91);
		for (i = 0; i < n; i++) {
			m.size = sizeof(m);
			if (migoff_find_migrator(ctx, "dcbm", &m) ||
			    !(m.state & MIGOFF_MIGRATOR_AVAILABLE))
				_exit(92);
			for (idx = 0; ; idx++) {
				m.size = sizeof(m);
				if (migoff_get_migrator(ctx, idx, &m))
					break;
			}
			for (idx = 0; ; idx++) {
				q.size = sizeof(q);
				if (migoff_quota_get(ctx, idx, &q))
					break;
			}
			if (dump_entries(nl) < MIGOFF_REASON_COUNT)
				_exit(93);
		}
		_exit(0);
	}
}

TEST_F_TIMEOUT(hard, unprivileged_reads_take_no_dma_channel, 300)
{
	long long a0, f0;
	int cg = migoff_cg_open("migoff-hard");

	ASSERT_LE(0, cg);
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-hard", MiB(1), MiB(1), 0));
	a0 = migoff_param_get(SWDMA, "chan_allocs");
	f0 = migoff_param_get(SWDMA, "chan_frees");
	ASSERT_LE(0, a0) TH_LOG("swdma exposes no chan_allocs counter");
	/* dcbm unrouted: it holds no channel, a read must not take one. */
	EXPECT_EQ(0, reads_as_nobody(self->ctx, 100));
	EXPECT_EQ(a0, migoff_param_get(SWDMA, "chan_allocs"));
	EXPECT_EQ(f0, migoff_param_get(SWDMA, "chan_frees"));

	/* Routed: it holds its two; reads change nothing either. */
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "dcbm"));
	a0 = migoff_param_get(SWDMA, "chan_allocs");
	f0 = migoff_param_get(SWDMA, "chan_frees");
	EXPECT_EQ(0, reads_as_nobody(self->ctx, 100));
	EXPECT_EQ(a0, migoff_param_get(SWDMA, "chan_allocs"));
	EXPECT_EQ(f0, migoff_param_get(SWDMA, "chan_frees"));
	EXPECT_EQ(0, migoff_quota_clear(self->ctx, "migoff-hard"));
	close(cg);
}

/* A removed cgroup's quota is hidden from reads, and reads keep it listed. */
TEST_F(hard, reads_skip_removed_cgroup_quota)
{
	int cg = migoff_cg_open("migoff-hard"), before, after;
	struct migoff_quota q = { .size = sizeof(q) };

	ASSERT_LE(0, cg);
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-hard", MiB(1), MiB(1), 0));
	before = dump_entries(self->ctx);
	ASSERT_LE(0, before) TH_LOG("dump: %s (family %s?)", strerror(-before), MIGOFF_GENL_NAME);
	close(cg);
	migoff_cg_remove("migoff-hard");
	after = dump_entries(self->ctx);
	EXPECT_EQ(before - 1, after) TH_LOG("the dump still reports the removed cgroup");
	EXPECT_EQ(-ENOENT, migoff_quota_get(self->ctx, 0, &q));
}

/* --- item 16: netlink strict validation --- */

/*
 * Raw generic netlink, for what libmigoffload never sends: a stats dump
 * request whose genetlink header has a non-zero reserved field, or with an
 * attribute the family does not define; and, as their control, the same
 * request well-formed. Built and read with libmnl, as in the library; the
 * family id is looked up here (the library keeps its own).
 */
struct raw_nl_reply {
	bool want_family;	/* a CTRL_CMD_GETFAMILY reply */
	uint16_t family;
	int msgs;		/* data messages */
};

static int raw_nl_msg(const struct nlmsghdr *nlh, void *data)
{
	struct raw_nl_reply *r = data;
	const struct nlattr *a;

	r->msgs++;
	if (!r->want_family)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U16))
			r->family = mnl_attr_get_u16(a);
	}
	return MNL_CB_OK;
}

static struct mnl_socket *raw_nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_GENERIC);

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

static struct nlmsghdr *raw_genl_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq,
				     uint8_t cmd, uint8_t version, uint16_t reserved)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	g->reserved = reserved;
	return nlh;
}

/* Send @nlh and read the answers to the end: data messages, or -errno. */
static int raw_nl_talk(struct mnl_socket *nl, const struct nlmsghdr *nlh,
		       struct raw_nl_reply *r)
{
	static char buf[65536];
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, n, nlh->nlmsg_seq, mnl_socket_get_portid(nl),
				 raw_nl_msg, r);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : r->msgs;
}

static int raw_nl_family(struct mnl_socket *nl)
{
	struct raw_nl_reply r = { .want_family = true };
	struct nlmsghdr *nlh;
	char buf[256];
	int err;

	/* With an ACK: it ends the answer, as NLMSG_DONE ends a dump's. */
	nlh = raw_genl_msg(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 1,
			   CTRL_CMD_GETFAMILY, 2, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MIGOFF_GENL_NAME);
	err = raw_nl_talk(nl, nlh, &r);
	return err < 0 ? err : r.family ? r.family : -ENOENT;
}

/* A stats dump request: messages received, or -errno. */
static int raw_nl_dump(struct mnl_socket *nl, int family, uint16_t reserved, bool bad_attr)
{
	struct raw_nl_reply r = { 0 };
	struct nlmsghdr *nlh;
	char buf[256];

	nlh = raw_genl_msg(buf, family, NLM_F_REQUEST | NLM_F_DUMP, 2,
			   MIGOFF_CMD_STATS_GET, MIGOFF_GENL_VERSION, reserved);
	if (bad_attr)
		mnl_attr_put_u32(nlh, MIGOFF_A_MAX + 1, 0);
	return raw_nl_talk(nl, nlh, &r);
}

TEST_F(hard, netlink_dump_validated_strictly)
{
	struct mnl_socket *nl = raw_nl_open();
	int fam;

	ASSERT_NE(NULL, nl) TH_LOG("netlink socket: %s", strerror(errno));
	fam = raw_nl_family(nl);
	ASSERT_LT(0, fam) TH_LOG("family %s not found", MIGOFF_GENL_NAME);
	EXPECT_LE(MIGOFF_REASON_COUNT, raw_nl_dump(nl, fam, 0, false));
	EXPECT_EQ(-EINVAL, raw_nl_dump(nl, fam, 1, false)) TH_LOG("non-zero reserved accepted");
	EXPECT_EQ(-EINVAL, raw_nl_dump(nl, fam, 0, true)) TH_LOG("unknown attribute accepted");
	mnl_socket_close(nl);
}

/* --- item 16: swdma cannot be unbound under its clients --- */

TEST_F(hard, swdma_has_no_sysfs_unbind)
{
	ASSERT_TRUE(migoff_mod_loaded("migoff_swdma"));
	EXPECT_NE(0, access("/sys/bus/platform/drivers/migoff_swdma/unbind", F_OK))
		TH_LOG("unbinding swdma under dcbm would free channels in use");
	EXPECT_NE(0, access("/sys/bus/platform/drivers/migoff_swdma/bind", F_OK));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * The engine's own decisions, with real migrations: the automatic choice
 * between a migrator and the CPU (MIGOFF_ROUTE_AUTO) and the first-folio
 * latency target (latency_us of SET_BATCH). Every byte of every migrated
 * page is verified and every page's node checked (migoff_move()). Needs
 * migrate_offload, migoff_swdma and migoff_dcbm loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"

#define SYSCALL		MIGOFF_REASON_SYSCALL
#define SYSCALL_BIT	MIGOFF_REASON_BIT(SYSCALL)
#define SWDMA		"/sys/module/migoff_swdma/parameters/"
#define FIRST_FOLIO	"mm_migrate_first_folio"

static char why[256];

FIXTURE(pol) {
	struct migoff_ctx *ctx;
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(pol)
{
	ASSERT_EQ(0, migoff_open(&self->ctx)) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(&self->thp));
	ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES |
				      MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0));
	ASSERT_EQ(0, set_latency(self->ctx, 0));
	ASSERT_EQ(0, migoff_write_file(SWDMA "delay_us", "0"));
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
}

FIXTURE_TEARDOWN(pol)
{
	migoff_disable(self->ctx, MIGOFF_REASONS_ALL);
	set_latency(self->ctx, 0);
	migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES | MIGOFF_BATCH_SET_MIN_FOLIOS,
			 0, 0);
	migoff_write_file(SWDMA "delay_us", "0");
	migoff_trace_stop(FIRST_FOLIO);
	migoff_thp_restore(&self->thp);
	migoff_close(self->ctx);
}

/* Move @b to node 1 and back @rounds times, checking every page and byte. */
static int bounce(struct migoff_buf *b, int rounds, uint64_t seed)
{
	long bad;
	int i;

	for (i = 0; i < rounds; i++) {
		if (migoff_move(b, 1, NULL, why, sizeof(why)) ||
		    migoff_move(b, 0, NULL, why, sizeof(why)))
			return -1;
	}
	bad = migoff_verify(b->mem, b->len, seed);
	if (bad >= 0) {
		snprintf(why, sizeof(why), "byte %ld differs after %d round trips",
			 bad, rounds);
		return -1;
	}
	return 0;
}

/*
 * A migrator far slower than the CPU (every software DMA descriptor takes
 * 500 us): after one batch measures it, the CPU copies every batch, and
 * re-measuring dcbm is paid from a credit of 1/128 of the copy time, which
 * a loser this slow never earns in a few dozen batches, or made once its
 * estimate is 2 s old (at most one such probe per 2 s of the test). Before the
 * automatic choice, every batch went to dcbm (about 50 times slower here).
 */
TEST_F_TIMEOUT(pol, auto_sends_batches_to_the_cheaper_cpu, 600)
{
	const size_t len = MiB(8), nfolios = len / KiB(4);
	const int rounds = 4;
	long id = migrator_id(self->ctx, "dcbm");
	struct migoff_counters r, m;
	struct migoff_auto a = { .size = sizeof(a) };
	struct migoff_buf b;
	double t0, secs;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 2));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 60000));
	ASSERT_EQ(0, migoff_write_file(SWDMA "delay_us", "500"));
	ASSERT_EQ(0, migoff_enable_flags(self->ctx, SYSCALL_BIT, "dcbm", MIGOFF_ROUTE_AUTO));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0xa070, why, sizeof(why)))
		TH_LOG("%s", why);
	t0 = migoff_now(CLOCK_MONOTONIC);
	ASSERT_EQ(0, bounce(&b, rounds, 0xa070)) TH_LOG("%s", why);
	secs = migoff_now(CLOCK_MONOTONIC) - t0;
	migoff_buf_free(&b);

	ASSERT_EQ(0, migoff_get_auto(self->ctx, SYSCALL, &a));
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON, SYSCALL, &r));
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_MIGRATOR, id, &m));
	TH_LOG("4K class: dcbm %llu ns/MiB, cpu %llu ns/MiB; batches %llu dcbm, %llu cpu, %llu probes",
	       (unsigned long long)a.classes[0].migrator_ns_per_mib,
	       (unsigned long long)a.classes[0].cpu_ns_per_mib,
	       (unsigned long long)a.classes[0].batches_migrator,
	       (unsigned long long)a.classes[0].batches_cpu,
	       (unsigned long long)a.classes[0].batches_probe);
	ASSERT_LT(0, a.classes[0].migrator_ns_per_mib);
	ASSERT_LT(0, a.classes[0].cpu_ns_per_mib);
	EXPECT_GT(a.classes[0].migrator_ns_per_mib, 4 * a.classes[0].cpu_ns_per_mib);
	/*
	 * The first batch measured dcbm; everything after went to the CPU but
	 * the re-measurements of the loser: one per 2 s of age at most here
	 * (256 batches between them are more than this test makes).
	 */
	EXPECT_EQ(1 + a.classes[0].batches_probe, a.classes[0].batches_migrator);
	EXPECT_GE(1 + (uint64_t)(secs / 2), a.classes[0].batches_probe)
		TH_LOG("%llu probes in %.1fs", (unsigned long long)a.classes[0].batches_probe,
		       secs);
	EXPECT_LE(nfolios / 512 * 2 * rounds - 1 - a.classes[0].batches_probe,
		  a.classes[0].batches_cpu);
	/* Only the 4K class saw batches. */
	EXPECT_EQ(0, a.classes[3].batches_migrator + a.classes[3].batches_cpu);
	/* Every folio either copied by dcbm or, under auto, by the CPU. */
	EXPECT_EQ(2 * rounds * nfolios, r.folios + r.fallback[MIGOFF_FALLBACK_AUTO]);
	EXPECT_EQ(a.classes[0].batches_migrator, r.batches);
	EXPECT_EQ(r.fallback[MIGOFF_FALLBACK_AUTO], m.fallback[MIGOFF_FALLBACK_AUTO]);
	EXPECT_EQ(r.fallback[MIGOFF_FALLBACK_AUTO], migoff_counters_fallbacks(&r));

	/*
	 * A route change starts from nothing, on both sides: the estimates
	 * were measured for another route (and, back to dcbm, another time).
	 */
	EXPECT_EQ(MIGOFF_AUTO_OBJECTIVE_WALL, a.objective);
	ASSERT_EQ(0, migoff_enable_flags(self->ctx, SYSCALL_BIT, "mtcopy", MIGOFF_ROUTE_AUTO));
	ASSERT_EQ(0, migoff_get_auto(self->ctx, SYSCALL, &a));
	EXPECT_EQ(0, a.classes[0].migrator_ns_per_mib);
	EXPECT_EQ(0, a.classes[0].cpu_ns_per_mib);
	EXPECT_EQ(0, a.classes[0].batches_migrator + a.classes[0].batches_cpu);
	ASSERT_EQ(0, migoff_enable_flags(self->ctx, SYSCALL_BIT, "dcbm", MIGOFF_ROUTE_AUTO));
	ASSERT_EQ(0, migoff_get_auto(self->ctx, SYSCALL, &a));
	EXPECT_EQ(0, a.classes[0].migrator_ns_per_mib);
	EXPECT_EQ(0, a.classes[0].cpu_ns_per_mib);
}

/* Every recorded first-folio latency of a syscall batch, in ns. */
static int first_folio_latencies(long long *v, int max)
{
	return migoff_trace_values(FIRST_FOLIO, "syscall_or_cpuset", "latency_ns", v, max);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long median(long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[n / 2];
}

static uint32_t effective_pages(struct __test_metadata *_metadata, struct migoff_ctx *ctx)
{
	struct migoff_batch b = { .size = sizeof(b) };

	EXPECT_EQ(0, migoff_get_batch_caps(ctx, &b));
	return b.effective_pages;
}

/*
 * With batches of 8192 pages, the first folio of each waits for the whole
 * batch's unmap and copy (L0). A target of L0/4 must bring the batch cap
 * down, measured from the tracepoint, until the first folio waits about
 * the target: the median wait of the later batches stays within 1.5x of
 * it (bench reports the 1.2x goal), far below L0.
 */
TEST_F_TIMEOUT(pol, latency_target_bounds_the_first_folio, 900)
{
	const size_t len = MiB(32);
	long long lat[512], l0, med, target_us;
	struct migoff_buf b;
	uint32_t eff;
	int n;

	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 8192, 0));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "cpu"));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0x1a7, why, sizeof(why)))
		TH_LOG("%s", why);

	/* Without a target: whole-buffer batches. */
	ASSERT_EQ(0, migoff_trace_start(FIRST_FOLIO));
	ASSERT_EQ(0, bounce(&b, 2, 0x1a7)) TH_LOG("%s", why);
	n = first_folio_latencies(lat, 512);
	ASSERT_LE(4, n);
	l0 = median(lat, n);
	EXPECT_EQ(8192, effective_pages(_metadata, self->ctx));

	target_us = l0 / 4 / 1000;
	ASSERT_LT(0, target_us);
	ASSERT_EQ(0, set_latency(self->ctx, target_us));
	/* Let the estimate settle, then measure. */
	ASSERT_EQ(0, bounce(&b, 3, 0x1a7)) TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_trace_start(FIRST_FOLIO));
	ASSERT_EQ(0, bounce(&b, 3, 0x1a7)) TH_LOG("%s", why);
	n = first_folio_latencies(lat, 512);
	eff = effective_pages(_metadata, self->ctx);
	ASSERT_LE(6, n);
	med = median(lat, n);
	TH_LOG("uncapped: %lld us at 8192 pages; target %lld us: median %lld us over %d batches, cap %u pages",
	       l0 / 1000, target_us, med / 1000, n, eff);
	EXPECT_GT(8192, eff);
	EXPECT_LT(0, eff);
	EXPECT_GE(15 * target_us * 1000 / 10, med);
	EXPECT_GT(l0 / 2, med);

	/* Clearing the target gives the batches back their size. */
	ASSERT_EQ(0, set_latency(self->ctx, 0));
	EXPECT_EQ(8192, effective_pages(_metadata, self->ctx));
	migoff_buf_free(&b);
}

#define MTCOPY		MIGOFF_MTCOPY_DEBUGFS

/*
 * mtcopy fails its first batch (fault injection, as when its work items
 * cannot be allocated): a bounded penalty, not a lock-out. The loser is
 * measured again within a bounded time, and once measured working, the
 * penalty is gone; when it is then the cheaper side, it gets the batches.
 */
TEST_F_TIMEOUT(pol, auto_reprobes_after_a_failed_first_batch, 600)
{
	const size_t len = MiB(8);
	struct migoff_auto a = { .size = sizeof(a) };
	struct migoff_buf b;
	double t0;

	ASSERT_EQ(0, migoff_set_param(self->ctx, "mtcopy", "threads", 2));
	ASSERT_EQ(0, migoff_write_file(MTCOPY "fail_batches", "1"))
		TH_LOG("mtcopy has no fail_batches knob");
	ASSERT_EQ(0, migoff_enable_flags(self->ctx, SYSCALL_BIT, "mtcopy", MIGOFF_ROUTE_AUTO));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0xa0a0, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_move(&b, 1, NULL, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_auto(self->ctx, SYSCALL, &a));
	TH_LOG("after the failure: mtcopy %llu ns/MiB, cpu %llu ns/MiB, %llu/%llu batches",
	       (unsigned long long)a.classes[0].migrator_ns_per_mib,
	       (unsigned long long)a.classes[0].cpu_ns_per_mib,
	       (unsigned long long)a.classes[0].batches_migrator,
	       (unsigned long long)a.classes[0].batches_cpu);
	ASSERT_LT(0, a.classes[0].cpu_ns_per_mib);
	/* A penalty: bounded (1 s per MiB at most), above the CPU. */
	EXPECT_GE(1000000000ULL, a.classes[0].migrator_ns_per_mib);
	EXPECT_LT(a.classes[0].cpu_ns_per_mib, a.classes[0].migrator_ns_per_mib);

	/* Long enough for the penalty to age out (2 s). */
	t0 = migoff_now(CLOCK_MONOTONIC);
	while (migoff_now(CLOCK_MONOTONIC) - t0 < 3.0)
		ASSERT_EQ(0, bounce(&b, 1, 0xa0a0)) TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_get_auto(self->ctx, SYSCALL, &a));
	TH_LOG("3 s later: mtcopy %llu ns/MiB, cpu %llu ns/MiB, %llu/%llu batches, %llu probes",
	       (unsigned long long)a.classes[0].migrator_ns_per_mib,
	       (unsigned long long)a.classes[0].cpu_ns_per_mib,
	       (unsigned long long)a.classes[0].batches_migrator,
	       (unsigned long long)a.classes[0].batches_cpu,
	       (unsigned long long)a.classes[0].batches_probe);
	EXPECT_LE(2, a.classes[0].batches_migrator) TH_LOG("mtcopy never tried again");
	/* Measured working: the penalty (>= 4x the CPU) replaced by its cost. */
	EXPECT_GT(4 * a.classes[0].cpu_ns_per_mib, a.classes[0].migrator_ns_per_mib);
	if (a.classes[0].migrator_ns_per_mib < a.classes[0].cpu_ns_per_mib) {
		EXPECT_LT(1 + a.classes[0].batches_probe, a.classes[0].batches_migrator)
			TH_LOG("cheaper, yet not chosen");
	}
	migoff_write_file(MTCOPY "fail_batches", "0");
	migoff_buf_free(&b);
}

/*
 * The objective: dcbm costs the migrating task almost no CPU time on THPs
 * (one descriptor per 2 MiB folio; it sleeps while the engine copies),
 * however long the engine takes: with MIGOFF_ROUTE_AUTO_CPU_TIME it wins
 * against the CPU copy, whose cost is all CPU time.
 */
TEST_F_TIMEOUT(pol, auto_cpu_time_objective_prefers_dma, 600)
{
	const size_t len = MiB(16);
	struct migoff_counters r;
	struct migoff_auto a = { .size = sizeof(a) };
	struct migoff_buf b;

	EXPECT_EQ(-EINVAL, migoff_enable_flags(self->ctx, SYSCALL_BIT, "dcbm",
					       MIGOFF_ROUTE_AUTO_CPU_TIME));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "channels", 2));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 60000));
	ASSERT_EQ(0, migoff_write_file(SWDMA "delay_us", "200"));
	ASSERT_EQ(0, migoff_enable_flags(self->ctx, SYSCALL_BIT, "dcbm",
					 MIGOFF_ROUTE_AUTO | MIGOFF_ROUTE_AUTO_CPU_TIME));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, MiB(2), 0, 0xa0b0, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, bounce(&b, 2, 0xa0b0)) TH_LOG("%s", why);
	migoff_buf_free(&b);
	ASSERT_EQ(0, migoff_get_auto(self->ctx, SYSCALL, &a));
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON, SYSCALL, &r));
	TH_LOG("CPU time: dcbm %llu ns/MiB, cpu %llu ns/MiB; batches %llu dcbm, %llu cpu",
	       (unsigned long long)a.classes[3].migrator_ns_per_mib,
	       (unsigned long long)a.classes[3].cpu_ns_per_mib,
	       (unsigned long long)a.classes[3].batches_migrator,
	       (unsigned long long)a.classes[3].batches_cpu);
	EXPECT_EQ(MIGOFF_AUTO_OBJECTIVE_CPU, a.objective);
	ASSERT_LT(0, a.classes[3].migrator_ns_per_mib);
	ASSERT_LT(0, a.classes[3].cpu_ns_per_mib);
	EXPECT_GT(a.classes[3].cpu_ns_per_mib, a.classes[3].migrator_ns_per_mib);
	EXPECT_LT(a.classes[3].batches_cpu, a.classes[3].batches_migrator);
	EXPECT_LT(0, r.folios);
}

/*
 * Changing a reason's route waits for its batches in the old migrator (an
 * SRCU grace period: here a batch of four 1 s descriptors), but not under
 * the policy mutex: readers answer at once meanwhile. That holds whether
 * the reason moves to another migrator, or is turned off while others stay
 * routed (the mm core's mask shrinks, and it waits too), or is the last
 * one turned off.
 */
struct reroute_arg {
	struct migoff_ctx *ctx;
	const char *to;			/* NULL: offload off */
	double secs;
	int ret;
};

static void *reroute(void *p)
{
	struct reroute_arg *a = p;
	double t0 = migoff_now(CLOCK_MONOTONIC);

	a->ret = a->to ? migoff_enable(a->ctx, SYSCALL_BIT, a->to) :
		 migoff_disable(a->ctx, SYSCALL_BIT);
	a->secs = migoff_now(CLOCK_MONOTONIC) - t0;
	return NULL;
}

/*
 * Route syscall_or_cpuset to dcbm (and @also to it too), start a batch of
 * four 1 s descriptors, change the route to @to (NULL: off) and read the
 * routes ten times meanwhile.
 */
static void reroute_under_a_batch(struct __test_metadata *_metadata,
				  struct migoff_ctx *ctx, uint64_t also,
				  const char *to)
{
	struct reroute_arg ra = { .ctx = ctx, .to = to };
	uint32_t ids[MIGOFF_REASON_COUNT];
	double t0, worst = 0;
	pthread_t t;
	pid_t pid;
	int i, status;

	ASSERT_EQ(0, migoff_set_param(ctx, "dcbm", "timeout_ms", 60000));
	ASSERT_EQ(0, migoff_enable(ctx, SYSCALL_BIT | also, "dcbm"));
	ASSERT_EQ(0, migoff_write_file(SWDMA "delay_us", "1000000"));
	/* One batch of 4 folios on one channel: 4 s in dcbm. */
	pid = migoff_fork_mover(KiB(16), 0xa0c0);
	ASSERT_LE(0, pid);
	usleep(500000);
	ASSERT_EQ(0, pthread_create(&t, NULL, reroute, &ra));
	usleep(200000);
	for (i = 0; i < 10; i++) {
		t0 = migoff_now(CLOCK_MONOTONIC);
		EXPECT_LE(0, migoff_get_routes(ctx, ids, MIGOFF_REASON_COUNT));
		t0 = migoff_now(CLOCK_MONOTONIC) - t0;
		if (t0 > worst)
			worst = t0;
		usleep(100000);
	}
	pthread_join(t, NULL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	migoff_write_file(SWDMA "delay_us", "0");
	TH_LOG("route change to %s took %.2fs; slowest GET_ROUTES meanwhile %.3fs",
	       to ? to : "off", ra.secs, worst);
	EXPECT_EQ(0, ra.ret);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The change did wait for the batch... */
	EXPECT_LT(0.5, ra.secs);
	/* ...and the readers did not. */
	EXPECT_GT(0.3, worst);
	/* The route is what was asked for. */
	ASSERT_LE(0, migoff_get_routes(ctx, ids, MIGOFF_REASON_COUNT));
	EXPECT_EQ(!to, ids[SYSCALL] == MIGOFF_NO_MIGRATOR);
}

TEST_F_TIMEOUT(pol, readers_not_blocked_behind_a_route_change, 300)
{
	reroute_under_a_batch(_metadata, self->ctx, 0, "mtcopy");
}

TEST_F_TIMEOUT(pol, readers_not_blocked_behind_a_disable, 300)
{
	/* Demotion stays routed: the mm core's mask shrinks. */
	reroute_under_a_batch(_metadata, self->ctx,
			      MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION), NULL);
}

TEST_F_TIMEOUT(pol, readers_not_blocked_behind_the_last_disable, 300)
{
	/* Nothing stays routed: the mm core's mask becomes empty. */
	reroute_under_a_batch(_metadata, self->ctx, 0, NULL);
}

/* mtcopy's workers stay on CPUs the migrating task may use. */
TEST_F_TIMEOUT(pol, mtcopy_workers_respect_the_callers_cpus, 300)
{
	const size_t len = MiB(8);
	long long thr0, thr1, thr2;
	cpu_set_t one, all;
	struct migoff_buf b;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: mtcopy never splits");
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "mtcopy", "threads", 2));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "mtcopy"));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0xa0d0, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_read_ll(MTCOPY "batches_threaded", &thr0));
	/* Free to use both CPUs: batches are split (the control). */
	ASSERT_EQ(0, bounce(&b, 1, 0xa0d0)) TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_read_ll(MTCOPY "batches_threaded", &thr1));
	EXPECT_LT(thr0, thr1);
	/* Confined to CPU 0: no worker anywhere else. */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, bounce(&b, 1, 0xa0d0)) TH_LOG("%s", why);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
	ASSERT_EQ(0, migoff_read_ll(MTCOPY "batches_threaded", &thr2));
	TH_LOG("threaded batches: %lld free, %lld confined to CPU 0", thr1 - thr0, thr2 - thr1);
	EXPECT_EQ(thr1, thr2);
	migoff_buf_free(&b);
}

TEST_HARNESS_MAIN

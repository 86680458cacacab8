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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	int fd;
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(pol)
{
	self->fd = open(MIGOFF_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(&self->thp));
	ASSERT_EQ(0, migoff_disable_all(self->fd));
	ASSERT_EQ(0, migoff_set_batch(self->fd, MIGOFF_BATCH_SET_MAX_PAGES |
				      MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0));
	ASSERT_EQ(0, migoff_set_latency(self->fd, 0));
	ASSERT_EQ(0, migoff_write_file(SWDMA "delay_us", "0"));
	ASSERT_EQ(0, migoff_reset_stats(self->fd));
}

FIXTURE_TEARDOWN(pol)
{
	migoff_disable_all(self->fd);
	migoff_set_latency(self->fd, 0);
	migoff_set_batch(self->fd, MIGOFF_BATCH_SET_MAX_PAGES | MIGOFF_BATCH_SET_MIN_FOLIOS,
			 0, 0);
	migoff_write_file(SWDMA "delay_us", "0");
	migoff_trace_stop(FIRST_FOLIO);
	migoff_thp_restore(&self->thp);
	close(self->fd);
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
 * a loser this slow never earns in a few dozen batches. Before the
 * automatic choice, every batch went to dcbm (about 50 times slower here).
 */
TEST_F_TIMEOUT(pol, auto_sends_batches_to_the_cheaper_cpu, 600)
{
	const size_t len = MiB(8), nfolios = len / KiB(4);
	const int rounds = 4;
	long id = migoff_migrator_id(self->fd, "dcbm");
	struct migoff_counters r, m;
	struct migoff_auto a;
	struct migoff_buf b;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, migoff_set_param(self->fd, "dcbm", "channels", 2));
	ASSERT_EQ(0, migoff_set_param(self->fd, "dcbm", "timeout_ms", 60000));
	ASSERT_EQ(0, migoff_write_file(SWDMA "delay_us", "500"));
	ASSERT_EQ(0, migoff_enable_auto(self->fd, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0xa070, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, bounce(&b, rounds, 0xa070)) TH_LOG("%s", why);
	migoff_buf_free(&b);

	ASSERT_EQ(0, migoff_get_auto(self->fd, SYSCALL, &a));
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_REASON, SYSCALL, &r));
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_MIGRATOR, id, &m));
	TH_LOG("4K class: dcbm %llu ns/MiB, cpu %llu ns/MiB; batches %llu dcbm, %llu cpu, %llu probes",
	       (unsigned long long)a.classes[0].migrator_ns_per_mib,
	       (unsigned long long)a.classes[0].cpu_ns_per_mib,
	       (unsigned long long)a.classes[0].batches_migrator,
	       (unsigned long long)a.classes[0].batches_cpu,
	       (unsigned long long)a.classes[0].batches_probe);
	ASSERT_LT(0, a.classes[0].migrator_ns_per_mib);
	ASSERT_LT(0, a.classes[0].cpu_ns_per_mib);
	EXPECT_GT(a.classes[0].migrator_ns_per_mib, 4 * a.classes[0].cpu_ns_per_mib);
	/* The first batch measured dcbm; everything after went to the CPU. */
	EXPECT_EQ(1 + a.classes[0].batches_probe, a.classes[0].batches_migrator);
	EXPECT_EQ(0, a.classes[0].batches_probe);
	EXPECT_LE(nfolios / 512 * 2 * rounds - 1, a.classes[0].batches_cpu);
	/* Only the 4K class saw batches. */
	EXPECT_EQ(0, a.classes[3].batches_migrator + a.classes[3].batches_cpu);
	/* Every folio either copied by dcbm or, under auto, by the CPU. */
	EXPECT_EQ(2 * rounds * nfolios, r.folios + r.fallback[MIGOFF_FALLBACK_AUTO]);
	EXPECT_EQ(a.classes[0].batches_migrator, r.batches);
	EXPECT_EQ(r.fallback[MIGOFF_FALLBACK_AUTO], m.fallback[MIGOFF_FALLBACK_AUTO]);
	EXPECT_EQ(r.fallback[MIGOFF_FALLBACK_AUTO], migoff_fallbacks(&r));

	/*
	 * Estimates belong to the migrator: routed to another one, none yet;
	 * the CPU's stay with the reason; back to dcbm, its own are back.
	 */
	ASSERT_EQ(0, migoff_enable_auto(self->fd, SYSCALL_BIT, "mtcopy"));
	ASSERT_EQ(0, migoff_get_auto(self->fd, SYSCALL, &a));
	EXPECT_EQ(0, a.classes[0].migrator_ns_per_mib);
	EXPECT_LT(0, a.classes[0].cpu_ns_per_mib);
	ASSERT_EQ(0, migoff_enable_auto(self->fd, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_get_auto(self->fd, SYSCALL, &a));
	EXPECT_GT(a.classes[0].migrator_ns_per_mib, 4 * a.classes[0].cpu_ns_per_mib);
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

static uint32_t effective_pages(struct __test_metadata *_metadata, int fd)
{
	struct migoff_batch b = { .size = sizeof(b) };

	EXPECT_EQ(0, migoff_ioc(fd, MIGOFF_IOC_GET_BATCH, &b));
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

	ASSERT_EQ(0, migoff_set_batch(self->fd, MIGOFF_BATCH_SET_MAX_PAGES, 8192, 0));
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "cpu"));
	ASSERT_EQ(0, migoff_buf_alloc(&b, len, KiB(4), 0, 0x1a7, why, sizeof(why)))
		TH_LOG("%s", why);

	/* Without a target: whole-buffer batches. */
	ASSERT_EQ(0, migoff_trace_start(FIRST_FOLIO));
	ASSERT_EQ(0, bounce(&b, 2, 0x1a7)) TH_LOG("%s", why);
	n = first_folio_latencies(lat, 512);
	ASSERT_LE(4, n);
	l0 = median(lat, n);
	EXPECT_EQ(8192, effective_pages(_metadata, self->fd));

	target_us = l0 / 4 / 1000;
	ASSERT_LT(0, target_us);
	ASSERT_EQ(0, migoff_set_latency(self->fd, target_us));
	/* Let the estimate settle, then measure. */
	ASSERT_EQ(0, bounce(&b, 3, 0x1a7)) TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_trace_start(FIRST_FOLIO));
	ASSERT_EQ(0, bounce(&b, 3, 0x1a7)) TH_LOG("%s", why);
	n = first_folio_latencies(lat, 512);
	eff = effective_pages(_metadata, self->fd);
	ASSERT_LE(6, n);
	med = median(lat, n);
	TH_LOG("uncapped: %lld us at 8192 pages; target %lld us: median %lld us over %d batches, cap %u pages",
	       l0 / 1000, target_us, med / 1000, n, eff);
	EXPECT_GT(8192, eff);
	EXPECT_LT(0, eff);
	EXPECT_GE(15 * target_us * 1000 / 10, med);
	EXPECT_GT(l0 / 2, med);

	/* Clearing the target gives the batches back their size. */
	ASSERT_EQ(0, migoff_set_latency(self->fd, 0));
	EXPECT_EQ(8192, effective_pages(_metadata, self->fd));
	migoff_buf_free(&b);
}

TEST_HARNESS_MAIN

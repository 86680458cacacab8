// SPDX-License-Identifier: GPL-2.0
/*
 * Every migration reason, for real, through every migrator.
 *
 * Runs in the tiered test VM (tools/vm/run-vm --topology=tiered, then
 * tools/vm/tier-setup): DRAM nodes 0 and 1, and node 2, a CPU-less slow
 * tier onlined as ZONE_MOVABLE by the dax kmem driver. Each test makes the
 * kernel migrate a buffer for one reason -- the real mechanism, not
 * move_pages(2) with a label -- with that reason not routed, or routed to
 * cpu, mtcopy, dcbm, or dcbm over a software DMA engine that fails,
 * drops and reorders descriptors. Then:
 *
 *  - every byte of the buffer is verified, and its pages are where the
 *    mechanism puts them (slow node after demotion, fast node after
 *    promotion, out of an offlined block, ...);
 *  - the reason's counters in MIGOFF_IOC_GET_STATS hold folios only when
 *    the reason is routed, at least the buffer's folios then, never more
 *    than /proc/vmstat says migrated, and nothing leaks into the counters
 *    of other reasons (the total equals the reason's own counters);
 *  - a "# table:" line records reason, migrator, pages migrated (vmstat),
 *    folios offloaded, fallbacks and bytes verified for the closing note.
 *
 * Needs migrate_offload, migoff_mtcopy, migoff_swdma and migoff_dcbm loaded,
 * the kernel booted with cma=64M, and root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"
#include <../../../mm/gup_test.h>

#define SLOW	2
#define SWDMA	"/sys/module/migoff_swdma/parameters/"
#define CG	"/sys/fs/cgroup/"
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

static char why[256];

/* One test's state: the device, its route and what it verified. */
struct ctx {
	struct migoff_ctx *dev;
	const char *migrator;	/* NULL: the reason is not routed */
	bool faults;		/* swdma fails, drops and reorders */
	bool racing;		/* the test touches the pages as they move */
	long long vm_migrated;
	uint64_t verified;	/* bytes verified after the migration */
};

FIXTURE(rs) {
	struct ctx x;
};

FIXTURE_VARIANT(rs) {
	const char *migrator;
};

FIXTURE_VARIANT_ADD(rs, unrouted) { .migrator = NULL };
FIXTURE_VARIANT_ADD(rs, cpu) { .migrator = "cpu" };
FIXTURE_VARIANT_ADD(rs, mtcopy) { .migrator = "mtcopy" };
FIXTURE_VARIANT_ADD(rs, dcbm) { .migrator = "dcbm" };

/* dcbm over a software DMA engine that fails, drops and reorders. */
FIXTURE(faults) {
	struct ctx x;
};

static void swdma_faults(bool on)
{
	migoff_param_set(SWDMA, "fail_every", on ? "7" : "0");
	migoff_param_set(SWDMA, "drop_every", on ? "997" : "0");
	migoff_param_set(SWDMA, "reorder", on ? "1" : "0");
	migoff_param_set(SWDMA, "delay_us", "0");
}

static long long meminfo_kb(const char *key)
{
	char line[256];
	long long kb = -1;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			sscanf(line + n + 1, "%lld", &kb);
	fclose(f);
	return kb;
}

static void ctx_setup(struct __test_metadata *_metadata, struct ctx *x,
		      const char *migrator, bool faults)
{
	memset(x, 0, sizeof(*x));
	x->migrator = migrator;
	x->faults = faults;
	ASSERT_EQ(0, migoff_open(&x->dev)) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_LT(0, migoff_node_free_kb(SLOW))
		TH_LOG("node %d has no memory: boot with run-vm --topology=tiered and run tools/vm/tier-setup", SLOW);
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_disable(x->dev, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, migoff_set_batch(x->dev, MIGOFF_BATCH_SET_MAX_PAGES |
				      MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0));
	ASSERT_EQ(0, migoff_set_param(x->dev, "dcbm", "channels", 2));
	/* A dropped descriptor costs its batch the whole timeout. */
	ASSERT_EQ(0, migoff_set_param(x->dev, "dcbm", "timeout_ms", faults ? 200 : 1000));
	ASSERT_EQ(0, migoff_set_param(x->dev, "mtcopy", "threads", 2));
	swdma_faults(faults);
}

static void ctx_teardown(struct ctx *x)
{
	migoff_disable(x->dev, MIGOFF_REASONS_ALL);
	swdma_faults(false);
	migoff_numa_balancing_off();
	migoff_close(x->dev);
}

FIXTURE_SETUP(rs)
{
	ctx_setup(_metadata, &self->x, variant->migrator, false);
}

FIXTURE_TEARDOWN(rs)
{
	ctx_teardown(&self->x);
}

FIXTURE_SETUP(faults)
{
	ctx_setup(_metadata, &self->x, "dcbm", true);
}

FIXTURE_TEARDOWN(faults)
{
	ctx_teardown(&self->x);
}

/* Route @reason as the variant says, then start counting. */
static void route(struct __test_metadata *_metadata, struct ctx *x,
		  uint64_t reasons)
{
	if (x->migrator)
		ASSERT_EQ(0, migoff_enable(x->dev, reasons, x->migrator));
	ASSERT_EQ(0, migoff_reset_stats(x->dev));
	x->vm_migrated = migoff_vmstat("pgmigrate_success");
}

/*
 * The counters after the migration: @min folios at least went through the
 * reason's route (0 when the mechanism does not say how many).
 */
static void check(struct __test_metadata *_metadata, struct ctx *x,
		  int reason, long long min)
{
	static const char * const names[] = MIGOFF_REASON_NAMES_INIT;
	struct migoff_counters c, t;
	long long migrated = migoff_vmstat("pgmigrate_success") - x->vm_migrated;
	uint64_t offered;

	ASSERT_EQ(0, migoff_get_stats(x->dev, MIGOFF_STATS_REASON, reason, &c));
	ASSERT_EQ(0, migoff_get_stats(x->dev, MIGOFF_STATS_TOTAL, 0, &t));
	offered = c.folios + migoff_counters_fallbacks(&c);
	ksft_print_msg("table: %s %s%s migrated=%lld offloaded=%llu fallbacks=%llu verified=%llu\n",
		       names[reason], x->migrator ? x->migrator : "-",
		       x->faults ? "+faults" : "", migrated,
		       (unsigned long long)c.folios,
		       (unsigned long long)migoff_counters_fallbacks(&c),
		       (unsigned long long)x->verified);

	/* Nothing leaks into (or from) another reason's counters. */
	EXPECT_EQ(t.batches, c.batches);
	EXPECT_EQ(t.folios, c.folios);
	EXPECT_EQ(migoff_counters_fallbacks(&t), migoff_counters_fallbacks(&c));
	if (!x->migrator) {
		EXPECT_EQ(0, offered) TH_LOG("an unrouted reason was offloaded");
		return;
	}
	EXPECT_LT(0, migrated);
	EXPECT_LE(min, (long long)offered);
	/*
	 * Folios never outnumber the base pages that migrated, but for retries:
	 * a move whose refcount check fails after the copy (a fault of the
	 * test's own while the folio is in flight) is retried and copied again,
	 * at most NR_MAX_MIGRATE_PAGES_RETRY (10) times per folio.
	 */
	EXPECT_GE(migrated * (x->racing ? 10 : 1), (long long)offered);
	EXPECT_LT(0, c.batches);
	if (x->faults) {
		EXPECT_LT(0, c.fallback[MIGOFF_FALLBACK_ERROR] +
			  c.fallback[MIGOFF_FALLBACK_TIMEOUT]);
	} else {
		EXPECT_LT(0, c.folios);
		EXPECT_EQ(0, c.fallback[MIGOFF_FALLBACK_ERROR]);
		EXPECT_EQ(0, c.fallback[MIGOFF_FALLBACK_TIMEOUT]);
	}
}

static void verify(struct __test_metadata *_metadata, struct ctx *x,
		   struct migoff_buf *b, uint64_t seed)
{
	long bad = migoff_verify(b->mem, b->len, seed);

	ASSERT_EQ(-1, bad) TH_LOG("byte %ld of the buffer is wrong after migration", bad);
	x->verified += b->len;
}

static void buf_on(struct __test_metadata *_metadata, struct migoff_buf *b,
		   size_t len, int node, uint64_t seed)
{
	ASSERT_EQ(0, migoff_buf_alloc(b, len, KiB(4), node, seed, why, sizeof(why)))
		TH_LOG("%s", why);
}

/* move_pages(2), one address per folio. */
TEST_F_TIMEOUT(rs, syscall_move_pages, 300)
{
	struct ctx *x = &self->x;
	struct migoff_buf b;

	buf_on(_metadata, &b, MiB(16), 0, 0x11);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL));
	ASSERT_EQ(0, migoff_move(&b, 1, NULL, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(0, migoff_pages_off_node(&b, 1));
	verify(_metadata, x, &b, 0x11);
	check(_metadata, x, MIGOFF_REASON_SYSCALL, MiB(16) / KiB(4));
	migoff_buf_free(&b);
}

/* migrate_pages(2): every page of the process from node 0 to node 1. */
TEST_F_TIMEOUT(rs, syscall_migrate_pages, 300)
{
	struct ctx *x = &self->x;
	unsigned long from = 1UL << 0, to = 1UL << 1;
	struct migoff_buf b;

	buf_on(_metadata, &b, MiB(16), 0, 0x12);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL));
	ASSERT_LE(0, syscall(SYS_migrate_pages, 0, 8 * sizeof(from), &from, &to))
		TH_LOG("migrate_pages: %s", strerror(errno));
	EXPECT_EQ(0, migoff_pages_off_node(&b, 1));
	verify(_metadata, x, &b, 0x12);
	check(_metadata, x, MIGOFF_REASON_SYSCALL, MiB(16) / KiB(4));
	migoff_buf_free(&b);
}

/* A cgroup v2 cpuset whose cpuset.mems changes moves its tasks' memory. */
TEST_F_TIMEOUT(rs, syscall_cpuset_mems, 300)
{
	struct ctx *x = &self->x;
	int go[2], done[2];
	char c = 0;
	pid_t pid;
	int status;
	char pidstr[32];

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	migoff_write_file(CG "cgroup.subtree_control", "+cpuset");
	rmdir(CG "migoff-cpuset");
	ASSERT_EQ(0, mkdir(CG "migoff-cpuset", 0755));
	ASSERT_EQ(0, migoff_write_file(CG "migoff-cpuset/cpuset.mems", "0"));
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct migoff_buf b;
		int rc = 1;

		snprintf(pidstr, sizeof(pidstr), "%d", getpid());
		if (migoff_write_file(CG "migoff-cpuset/cgroup.procs", pidstr) ||
		    migoff_buf_alloc(&b, MiB(16), KiB(4), 0, 0x13, why, sizeof(why)))
			_exit(2);
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		if (!migoff_pages_off_node(&b, 1) && migoff_verify(b.mem, b.len, 0x13) == -1)
			rc = 0;
		migoff_write_file(CG "cgroup.procs", pidstr);
		_exit(rc);
	}
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(0, migoff_write_file(CG "migoff-cpuset/cpuset.mems", "1"));
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child's buffer was not all on node 1 with every byte right (status %#x)",
		       status);
	x->verified = MiB(16);
	rmdir(CG "migoff-cpuset");
	check(_metadata, x, MIGOFF_REASON_SYSCALL, MiB(16) / KiB(4));
}

/* mbind(2) with MPOL_MF_MOVE. */
TEST_F_TIMEOUT(rs, mempolicy_mbind, 300)
{
	struct ctx *x = &self->x;
	unsigned long mask = 1UL << 1;
	struct migoff_buf b;

	buf_on(_metadata, &b, MiB(16), 0, 0x14);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_MEMPOLICY_MBIND));
	ASSERT_EQ(0, mbind(b.mem, b.len, MPOL_BIND, &mask, 8 * sizeof(mask), MPOL_MF_MOVE))
		TH_LOG("mbind: %s", strerror(errno));
	EXPECT_EQ(0, migoff_pages_off_node(&b, 1));
	verify(_metadata, x, &b, 0x14);
	check(_metadata, x, MIGOFF_REASON_MEMPOLICY_MBIND, MiB(16) / KiB(4));
	migoff_buf_free(&b);
}

/*
 * Proactive reclaim of a cgroup (memory.reclaim): with no swap, reclaim can
 * only demote the anonymous pages, to the slow node.
 */
static void demote_by_memory_reclaim(struct __test_metadata *_metadata, struct ctx *x)
{
	long long d0 = migoff_vmstat("pgdemote_direct");
	struct migoff_buf b;
	char pidstr[32];
	int i;

	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	migoff_write_file(CG "cgroup.subtree_control", "+memory");
	rmdir(CG "migoff-demote");
	ASSERT_EQ(0, mkdir(CG "migoff-demote", 0755));
	ASSERT_EQ(0, migoff_write_file(CG "migoff-demote/cgroup.procs", pidstr));
	buf_on(_metadata, &b, MiB(32), 0, 0x15);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION));
	for (i = 0; i < 20 && migoff_pages_off_node(&b, SLOW); i++)
		migoff_write_file(CG "migoff-demote/memory.reclaim", "64M");
	EXPECT_EQ(0, migoff_pages_off_node(&b, SLOW))
		TH_LOG("%ld pages not demoted", migoff_pages_off_node(&b, SLOW));
	EXPECT_LE((long long)(MiB(32) / KiB(4)), migoff_vmstat("pgdemote_direct") - d0);
	verify(_metadata, x, &b, 0x15);
	check(_metadata, x, MIGOFF_REASON_DEMOTION, MiB(32) / KiB(4));
	migoff_buf_free(&b);
	migoff_write_file(CG "cgroup.procs", pidstr);
	rmdir(CG "migoff-demote");
}

TEST_F_TIMEOUT(rs, demotion_memory_reclaim, 300)
{
	demote_by_memory_reclaim(_metadata, &self->x);
}

TEST_F_TIMEOUT(faults, demotion_memory_reclaim, 300)
{
	demote_by_memory_reclaim(_metadata, &self->x);
}

/*
 * Memory pressure on node 0: fill more than it has free, bound to it, so
 * kswapd and direct reclaim demote to the slow node to make room.
 */
TEST_F_TIMEOUT(rs, demotion_memory_pressure, 900)
{
	struct ctx *x = &self->x;
	long long k0 = migoff_vmstat("pgdemote_kswapd");
	long long d0 = migoff_vmstat("pgdemote_direct");
	long long free_kb = migoff_node_free_kb(0);
	struct migoff_buf b;
	size_t len;
	long off;

	ASSERT_LT(MiB(32) / 1024, free_kb);
	len = ((size_t)free_kb * 1024 + MiB(96)) & ~(MiB(2) - 1);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION));
	/* Bound to node 0: its reclaim demotes what does not fit. */
	memset(&b, 0, sizeof(b));
	b.len = b.map_len = len;
	b.folio_size = KiB(4);
	b.map = b.mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, b.map);
	ASSERT_EQ(0, madvise(b.mem, len, MADV_NOHUGEPAGE));
	{
		unsigned long mask = 1UL << 0;

		ASSERT_EQ(0, mbind(b.mem, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0));
	}
	migoff_fill(b.mem, len, 0x16);
	EXPECT_LT(0, migoff_vmstat("pgdemote_kswapd") - k0 + migoff_vmstat("pgdemote_direct") - d0);
	off = migoff_pages_off_node(&b, SLOW);
	ASSERT_LE(0, off) TH_LOG("querying the pages' nodes failed");
	EXPECT_LT(off, (long)(b.len / KiB(4))) TH_LOG("nothing of the buffer is on the slow node");
	verify(_metadata, x, &b, 0x16);
	check(_metadata, x, MIGOFF_REASON_DEMOTION, 0);
	migoff_buf_free(&b);
}

static void *toucher(void *arg)
{
	struct migoff_buf *b = arg;
	volatile uint64_t sum = 0;
	size_t i;

	for (i = 0; i < b->len; i += 64)
		sum += ((volatile uint64_t *)(b->mem + i))[0];
	return NULL;
}

/* Read @b from CPU 0 until its pages are on @node or @secs pass. */
static long touch_until_on(struct migoff_buf *b, int node, int secs)
{
	cpu_set_t cpus;
	time_t end = time(NULL) + secs;
	long off;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	/* Until all but a sixty-fourth: the last few wait on the next scan. */
	while ((off = migoff_pages_off_node(b, node)) > (long)(b->len / KiB(4) / 64) &&
	       time(NULL) < end) {
		toucher(b);
		usleep(20000);
	}
	return off;
}

static void balancing(int mode)
{
	char v[8];

	migoff_write_file("/sys/kernel/debug/sched/numa_balancing/scan_delay_ms", "100");
	migoff_write_file("/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms", "100");
	migoff_write_file("/sys/kernel/debug/sched/numa_balancing/scan_size_mb", "256");
	snprintf(v, sizeof(v), "%d", mode);
	migoff_write_file("/proc/sys/kernel/numa_balancing", v);
}

/*
 * Promotion: NUMA balancing in tiering mode moves the pages a task on a
 * DRAM node keeps touching from the slow node to that node.
 */
TEST_F_TIMEOUT(rs, numa_misplaced_promotion, 600)
{
	struct ctx *x = &self->x;
	long long p0 = migoff_vmstat("pgpromote_success");
	struct migoff_buf b;
	long off;

	buf_on(_metadata, &b, MiB(4), SLOW, 0x17);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_NUMA_MISPLACED));
	x->racing = true;
	balancing(2);
	off = touch_until_on(&b, 0, 180);
	balancing(0);
	ASSERT_LE(0, off) TH_LOG("querying the pages' nodes failed");
	EXPECT_GE((long)(b.len / KiB(4) / 32), off)
		TH_LOG("%ld pages not promoted to node 0", off);
	EXPECT_LT(0, migoff_vmstat("pgpromote_success") - p0);
	verify(_metadata, x, &b, 0x17);
	check(_metadata, x, MIGOFF_REASON_NUMA_MISPLACED,
	      (long long)(b.len / KiB(4)) - off);
	migoff_buf_free(&b);
}

/* Plain NUMA balancing between the DRAM nodes. */
TEST_F_TIMEOUT(rs, numa_misplaced_balancing, 600)
{
	struct ctx *x = &self->x;
	struct migoff_buf b;
	long off;

	buf_on(_metadata, &b, MiB(4), 1, 0x18);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_NUMA_MISPLACED));
	x->racing = true;
	balancing(1);
	off = touch_until_on(&b, 0, 180);
	balancing(0);
	ASSERT_LE(0, off) TH_LOG("querying the pages' nodes failed");
	EXPECT_GE((long)(b.len / KiB(4) / 32), off)
		TH_LOG("%ld pages not moved to node 0", off);
	verify(_metadata, x, &b, 0x18);
	check(_metadata, x, MIGOFF_REASON_NUMA_MISPLACED,
	      (long long)(b.len / KiB(4)) - off);
	migoff_buf_free(&b);
}

/* Compaction of a node whose memory was freed page by page. */
static void compact_node0(struct __test_metadata *_metadata, struct ctx *x)
{
	size_t len = MiB(64), i, n = len / KiB(4);
	long long scanned = migoff_vmstat("compact_migrate_scanned");
	struct migoff_buf b;

	buf_on(_metadata, &b, len, 0, 0x19);
	/* Every other page gets its own pattern; the others are freed. */
	for (i = 0; i < n; i += 2)
		migoff_fill(b.mem + i * KiB(4), KiB(4), 0x1900 + i);
	for (i = 1; i < n; i += 2)
		ASSERT_EQ(0, madvise(b.mem + i * KiB(4), KiB(4), MADV_DONTNEED));
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION));
	ASSERT_EQ(0, migoff_write_file("/sys/devices/system/node/node0/compact", "1"));
	EXPECT_LT(0, migoff_vmstat("compact_migrate_scanned") - scanned);
	for (i = 0; i < n; i += 2) {
		long bad = migoff_verify(b.mem + i * KiB(4), KiB(4), 0x1900 + i);

		ASSERT_EQ(-1, bad) TH_LOG("page %zu wrong at byte %ld after compaction", i, bad);
		x->verified += KiB(4);
	}
	check(_metadata, x, MIGOFF_REASON_COMPACTION, 1);
	migoff_buf_free(&b);
}

TEST_F_TIMEOUT(rs, compaction, 600)
{
	compact_node0(_metadata, &self->x);
}

TEST_F_TIMEOUT(faults, compaction, 600)
{
	compact_node0(_metadata, &self->x);
}

/* Physical frame of a mapped page, from /proc/self/pagemap (root). */
static uint64_t pfn_of(void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)addr / KiB(4) * 8) != 8)
		e = 0;
	close(fd);
	return (e & (1ULL << 63)) ? e & ((1ULL << 55) - 1) : 0;
}

static int block_state(unsigned long blk, const char *state)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%lu/state", blk);
	return migoff_write_file(path, state);
}

/* Offlining the slow node's memory blocks that hold the buffer. */
TEST_F_TIMEOUT(rs, memory_hotplug_offline, 600)
{
	struct ctx *x = &self->x;
	unsigned long blocks[64], nblk = 0, blk, j;
	char bsz[32];
	uint64_t block_pages;
	struct migoff_buf b;
	size_t i;
	int err, tries;

	ASSERT_EQ(0, migoff_read_str("/sys/devices/system/memory/block_size_bytes", bsz, sizeof(bsz)));
	block_pages = strtoull(bsz, NULL, 16) / KiB(4);
	buf_on(_metadata, &b, MiB(16), SLOW, 0x1a);
	for (i = 0; i < b.len; i += KiB(4)) {
		uint64_t pfn = pfn_of(b.mem + i);

		ASSERT_NE(0, pfn);
		blk = pfn / block_pages;
		for (j = 0; j < nblk && blocks[j] != blk; j++)
			;
		if (j == nblk && nblk < 64)
			blocks[nblk++] = blk;
	}
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_MEMORY_HOTPLUG));
	for (j = 0; j < nblk; j++) {
		for (tries = 0; tries < 5; tries++) {
			err = block_state(blocks[j], "offline");
			if (err != -EBUSY && err != -EAGAIN)
				break;
			usleep(100000);
		}
		EXPECT_EQ(0, err) TH_LOG("offline memory%lu: %s", blocks[j], strerror(-err));
	}
	for (i = 0; i < b.len; i += KiB(4)) {
		uint64_t pfn = pfn_of(b.mem + i);

		for (j = 0; j < nblk; j++)
			ASSERT_NE(blocks[j], pfn / block_pages)
				TH_LOG("a page is still in offlined block %lu", blocks[j]);
	}
	verify(_metadata, x, &b, 0x1a);
	for (j = 0; j < nblk; j++)
		EXPECT_EQ(0, block_state(blocks[j], "online_movable"));
	check(_metadata, x, MIGOFF_REASON_MEMORY_HOTPLUG, MiB(16) / KiB(4));
	migoff_buf_free(&b);
}

/*
 * FOLL_LONGTERM pins may not stay in ZONE_MOVABLE: pinning the slow node's
 * (movable) pages long term migrates them out first (gup_test).
 */
TEST_F_TIMEOUT(rs, longterm_pin, 300)
{
	struct ctx *x = &self->x;
	struct gup_test g = { 0 };
	struct migoff_buf b;
	int fd;

	buf_on(_metadata, &b, MiB(8), SLOW, 0x1b);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_LONGTERM_PIN));
	fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("gup_test: %s (CONFIG_GUP_TEST, debugfs)", strerror(errno));
	g.addr = (uintptr_t)b.mem;
	g.size = b.len;
	g.nr_pages_per_call = 512;
	g.gup_flags = 1;	/* FOLL_WRITE */
	ASSERT_EQ(0, ioctl(fd, PIN_LONGTERM_BENCHMARK, &g)) TH_LOG("%s", strerror(errno));
	close(fd);
	EXPECT_EQ((long)(b.len / KiB(4)), migoff_pages_off_node(&b, SLOW))
		TH_LOG("long-term pinned pages stayed in the movable slow node");
	verify(_metadata, x, &b, 0x1b);
	check(_metadata, x, MIGOFF_REASON_LONGTERM_PIN, MiB(8) / KiB(4));
	migoff_buf_free(&b);
}

/* The node of the default CMA area ("reserved", from cma=), or -1. */
static int cma_node(void)
{
	char path[160], bsz[32];
	long long base;
	uint64_t block_pages;
	int node;

	if (migoff_read_ll("/sys/kernel/debug/cma/reserved/base_pfn", &base) ||
	    migoff_read_str("/sys/devices/system/memory/block_size_bytes", bsz, sizeof(bsz)))
		return -1;
	block_pages = strtoull(bsz, NULL, 16) / KiB(4);
	for (node = 0; node < 4; node++) {
		snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%llu/node%d",
			 (unsigned long long)(base / block_pages), node);
		if (!access(path, F_OK))
			return node;
	}
	return -1;
}

/*
 * contig_range: fill the CMA area's node until the area (cma=64M) holds user pages,
 * then allocate from it through CMA's debugfs, which migrates them out.
 */
TEST_F_TIMEOUT(rs, contig_range_cma, 900)
{
	struct ctx *x = &self->x;
	struct migoff_buf bufs[96];
	long long total = meminfo_kb("CmaTotal"), cma_free;
	int nb = 0, i, node = cma_node();
	char count[32];

	ASSERT_LT(0, total) TH_LOG("no CMA area: boot with cma=64M");
	ASSERT_LE(0, node) TH_LOG("cannot tell the CMA area's node");
	/* Fill the area's node until movable allocations fall back to CMA. */
	while (nb < 96 && (cma_free = meminfo_kb("CmaFree")) > total / 4 &&
	       migoff_node_free_kb(node) > 24 * 1024) {
		ASSERT_EQ(0, migoff_buf_alloc(&bufs[nb], MiB(16), KiB(4), node, 0x1c00 + nb,
					      why, sizeof(why))) TH_LOG("%s", why);
		nb++;
	}
	ASSERT_GE(total / 2, meminfo_kb("CmaFree"))
		TH_LOG("user pages did not go to CMA (CmaFree %lld of %lld kB)",
		       meminfo_kb("CmaFree"), total);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_CONTIG_RANGE));
	snprintf(count, sizeof(count), "%lld", total / 4 / 2);
	ASSERT_EQ(0, migoff_write_file("/sys/kernel/debug/cma/reserved/alloc", count))
		TH_LOG("cma alloc of %s pages failed", count);
	ASSERT_EQ(0, migoff_write_file("/sys/kernel/debug/cma/reserved/free", count));
	for (i = 0; i < nb; i++) {
		verify(_metadata, x, &bufs[i], 0x1c00 + i);
		migoff_buf_free(&bufs[i]);
	}
	check(_metadata, x, MIGOFF_REASON_CONTIG_RANGE, 1);
}

#define KD "/sys/kernel/mm/damon/admin/kdamonds/"
#define CTX KD "0/contexts/0/"

static int damon_write(const char *rel, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), CTX "%s", rel);
	return migoff_write_file(path, val);
}

static int damon_u64(const char *rel, unsigned long long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", v);
	return damon_write(rel, val);
}

/*
 * DAMON on the physical address range that holds @b, with one DAMOS scheme
 * of @action ("migrate_hot" or "migrate_cold") to @nid for regions whose
 * access count is within [@acc_min, @acc_max]. Every range of the access
 * pattern is set: sysfs starts them all at [0, 0], which no region of a
 * non-zero size matches. The age's upper bound is the largest the kernel
 * keeps: sysfs takes an unsigned long but stores an unsigned int, so 2^32
 * would become 0 and match only regions whose access count just changed,
 * which a cold region never is.
 */
static int damon_start(struct migoff_buf *b, const char *action, int nid,
		       unsigned int acc_min, unsigned int acc_max)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i;
	char v[32];
	int err = 0;

	for (i = 0; i < b->len; i += KiB(4)) {
		uint64_t pfn = pfn_of(b->mem + i);

		if (!pfn)
			return -EFAULT;
		lo = pfn < lo ? pfn : lo;
		hi = pfn > hi ? pfn : hi;
	}
	err |= migoff_write_file(KD "nr_kdamonds", "1");
	err |= migoff_write_file(KD "0/contexts/nr_contexts", "1");
	err |= damon_write("operations", "paddr");
	err |= damon_write("monitoring_attrs/intervals/sample_us", "5000");
	err |= damon_write("monitoring_attrs/intervals/aggr_us", "100000");
	err |= damon_write("monitoring_attrs/intervals/update_us", "1000000");
	err |= damon_write("targets/nr_targets", "1");
	err |= damon_write("targets/0/regions/nr_regions", "1");
	err |= damon_u64("targets/0/regions/0/start", lo * KiB(4));
	err |= damon_u64("targets/0/regions/0/end", (hi + 1) * KiB(4));
	err |= damon_write("schemes/nr_schemes", "1");
	err |= damon_write("schemes/0/action", action);
	snprintf(v, sizeof(v), "%d", nid);
	err |= damon_write("schemes/0/target_nid", v);
	err |= damon_write("schemes/0/access_pattern/sz/min", "0");
	err |= damon_u64("schemes/0/access_pattern/sz/max", 1ULL << 40);
	err |= damon_u64("schemes/0/access_pattern/nr_accesses/min", acc_min);
	err |= damon_u64("schemes/0/access_pattern/nr_accesses/max", acc_max);
	err |= damon_write("schemes/0/access_pattern/age/min", "0");
	/* struct damos_access_pattern keeps ages in an unsigned int. */
	err |= damon_u64("schemes/0/access_pattern/age/max", UINT32_MAX);
	if (err)
		return -EIO;
	return migoff_write_file(KD "0/state", "on");
}

/*
 * One counter of the scheme's statistics (-1: unreadable), as of the last
 * "update_schemes_stats" (damon_update_stats()).
 */
static long long damon_stat(const char *key)
{
	char path[256];
	long long v;

	snprintf(path, sizeof(path), CTX "schemes/0/stats/%s", key);
	return migoff_read_ll(path, &v) ? -1 : v;
}

static void damon_update_stats(void)
{
	migoff_write_file(KD "0/state", "update_schemes_stats");
}

/* What the scheme did, for a failure message. */
static void damon_stats(char *buf, size_t len)
{
	static const char * const keys[] = {
		"nr_tried", "sz_tried", "nr_applied", "sz_applied", "qt_exceeds",
	};
	size_t i, n = 0;

	buf[0] = '\0';
	damon_update_stats();
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s=%lld", i ? " " : "", keys[i],
			      damon_stat(keys[i]));
}

static void damon_stop(void)
{
	migoff_write_file(KD "0/state", "off");
}

/* How long a DAMOS scheme gets to move the buffer (it stops when done). */
#define DAMON_SECS	300

/* DAMOS migrate_hot: memory of the slow node in use goes to node 0. */
TEST_F_TIMEOUT(rs, damon_migrate_hot, 600)
{
	struct ctx *x = &self->x;
	bool restarted = false;
	struct migoff_buf b;
	time_t start, end;
	long off;

	buf_on(_metadata, &b, MiB(4), SLOW, 0x1f);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_DAMON));
	ASSERT_EQ(0, damon_start(&b, "migrate_hot", 0, 1, 1000))
		TH_LOG("DAMON sysfs setup failed (CONFIG_DAMON_SYSFS, DAMON_PADDR)");
	/*
	 * DAMON's aggregation intervals are wall time, and under TCG a
	 * toucher pass takes long: 150 s once left a quarter of the pages
	 * (CI, stop 22). The loop ends as soon as the pages are there.
	 */
	start = time(NULL);
	end = start + DAMON_SECS;
	while ((off = migoff_pages_off_node(&b, 0)) > (long)(b.len / KiB(4) / 64) &&
	       time(NULL) < end) {
		toucher(&b);
		/*
		 * Once (CI, stop 23) DAMOS tried nothing in all 300 s: kdamond
		 * saw no access to pages touched all along. What is tested is
		 * the offload of DAMON's migrations, so a scheme that has tried
		 * nothing after 60 s is started again, once, and says so.
		 */
		if (!restarted && time(NULL) - start > 60) {
			damon_update_stats();
			if (damon_stat("nr_tried") != 0)
				continue;
			ksft_print_msg("DAMOS tried nothing in 60 s: kdamond started again\n");
			damon_stop();
			ASSERT_EQ(0, damon_start(&b, "migrate_hot", 0, 1, 1000));
			restarted = true;
		}
	}
	damon_stats(why, sizeof(why));
	damon_stop();
	/* A few pages may be caught between scans when time runs out. */
	ASSERT_LE(0, off) TH_LOG("querying the pages' nodes failed");
	EXPECT_GE((long)(b.len / KiB(4) / 32), off)
		TH_LOG("%ld hot pages not migrated to node 0 (DAMOS %s)", off, why);
	verify(_metadata, x, &b, 0x1f);
	check(_metadata, x, MIGOFF_REASON_DAMON,
	      (long long)(b.len / KiB(4)) - off);
	migoff_buf_free(&b);
}

/*
 * DAMOS migrate_cold: memory of node 0 nobody touches goes to the slow
 * node. DAMON watches the physical range that holds the buffer, so other
 * idle pages of that range may move too: the vmstat count is at least the
 * buffer's, and only the buffer's pages are checked.
 */
TEST_F_TIMEOUT(rs, damon_migrate_cold, 600)
{
	struct ctx *x = &self->x;
	struct migoff_buf b;
	time_t end;
	long off;

	buf_on(_metadata, &b, MiB(4), 0, 0x1e);
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_DAMON));
	ASSERT_EQ(0, damon_start(&b, "migrate_cold", SLOW, 0, 0))
		TH_LOG("DAMON sysfs setup failed (CONFIG_DAMON_SYSFS, DAMON_PADDR)");
	end = time(NULL) + DAMON_SECS;
	while ((off = migoff_pages_off_node(&b, SLOW)) > (long)(b.len / KiB(4) / 64) &&
	       time(NULL) < end)
		sleep(1);
	damon_stats(why, sizeof(why));
	damon_stop();
	ASSERT_LE(0, off) TH_LOG("querying the pages' nodes failed");
	EXPECT_GE((long)(b.len / KiB(4) / 32), off)
		TH_LOG("%ld cold pages not migrated to node %d (DAMOS %s)", off, SLOW, why);
	verify(_metadata, x, &b, 0x1e);
	check(_metadata, x, MIGOFF_REASON_DAMON,
	      (long long)(b.len / KiB(4)) - off);
	migoff_buf_free(&b);
}

/*
 * memory_failure: soft offlining copies from a page that may be poisoned
 * and keeps the machine-check-safe CPU copy, whatever is routed.
 */
TEST_F_TIMEOUT(rs, memory_failure_never_offloaded, 120)
{
	struct ctx *x = &self->x;
	long n_mf = -1, n_sys = -1;
	struct migoff_counters t;
	struct migoff_buf b;
	uint64_t pfn;

	buf_on(_metadata, &b, MiB(1), 0, 0x1d);
	if (x->migrator)
		ASSERT_EQ(0, migoff_enable(x->dev, MIGOFF_REASONS_ALL, x->migrator));
	ASSERT_EQ(0, migoff_reset_stats(x->dev));
	/*
	 * The engine counts nothing for a reason without an ABI bit, so the
	 * witness is the mm core's own event: mm_migrate_batch_copy fires,
	 * with its reason, for every batch handed to the batch copy (that is,
	 * to the migrator). A routed move_pages(2) afterwards is the control
	 * that the event is seen at all.
	 */
	ASSERT_EQ(0, migoff_trace_start("mm_migrate_batch_copy"));
	x->vm_migrated = migoff_vmstat("pgmigrate_success");
	pfn = pfn_of(b.mem + KiB(64));
	ASSERT_EQ(0, madvise(b.mem + KiB(64), KiB(4), MADV_SOFT_OFFLINE))
		TH_LOG("MADV_SOFT_OFFLINE: %s", strerror(errno));
	EXPECT_NE(pfn, pfn_of(b.mem + KiB(64)));
	EXPECT_LE(1, migoff_vmstat("pgmigrate_success") - x->vm_migrated);
	verify(_metadata, x, &b, 0x1d);
	ASSERT_EQ(0, migoff_get_stats(x->dev, MIGOFF_STATS_TOTAL, 0, &t));
	ksft_print_msg("table: memory_failure %s%s migrated=%lld offloaded=%llu fallbacks=%llu verified=%llu\n",
		       x->migrator ? x->migrator : "-",
		       x->faults ? "+faults" : "",
		       migoff_vmstat("pgmigrate_success") - x->vm_migrated,
		       (unsigned long long)t.folios, (unsigned long long)migoff_counters_fallbacks(&t),
		       (unsigned long long)x->verified);
	EXPECT_EQ(0, t.batches);
	EXPECT_EQ(0, t.folios + migoff_counters_fallbacks(&t));

	if (x->migrator) {
		ASSERT_EQ(0, migoff_move(&b, 1, NULL, why, sizeof(why))) TH_LOG("%s", why);
		verify(_metadata, x, &b, 0x1d);
	}
	migoff_trace_max("mm_migrate_batch_copy", "memory_failure", "nr_folios", &n_mf);
	migoff_trace_max("mm_migrate_batch_copy", "syscall_or_cpuset", "nr_folios", &n_sys);
	migoff_trace_stop("mm_migrate_batch_copy");
	EXPECT_EQ(0, n_mf) TH_LOG("a memory_failure batch went to the migrator (or the trace was unreadable)");
	if (x->migrator)
		EXPECT_LT(0, n_sys) TH_LOG("the control move_pages(2) batch was not traced");
	migoff_buf_free(&b);
}

/* The memory failures the nodes have reported (memory_failure/total). */
static long long memory_failures(void)
{
	char path[96];
	long long sum = 0, v;
	int node;

	for (node = 0; node < 8; node++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/memory_failure/total", node);
		if (migoff_read_ll(path, &v))
			continue;
		sum += v;
	}
	return sum;
}

/*
 * memory_failure() calls recorded by the ras:memory_failure_event
 * tracepoint since migoff_trace_group_start(), counting the "already
 * poisoned" ones that the counters leave out (soft offlining is not one);
 * -1 if the trace cannot be read. Stops the recording.
 */
static long ras_trace_count(void)
{
	char line[512];
	long n = 0;
	FILE *f = fopen(MIGOFF_TRACEFS "trace", "r");

	migoff_trace_group_stop("ras", "memory_failure_event");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "memory_failure_event:")) {
			ksft_print_msg("%s", line);
			n++;
		}
	}
	fclose(f);
	return n;
}

static volatile sig_atomic_t sigbus_n, sigbus_code;
static void *volatile sigbus_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sigbus_n++;
	sigbus_code = si->si_code;
	sigbus_addr = si->si_addr;
}

/*
 * A thread moving a buffer between nodes 0 and 1 until told to stop, and
 * holding still between two moves when asked to.
 */
struct poison_mover {
	struct migoff_buf *b;
	long skip;		/* the page that may be poisoned */
	volatile bool stop, hold, held;
	int node;		/* where the last move put the buffer */
	volatile long moves;
	char why[160];		/* empty unless a move went wrong */
};

/* Whether every page but ->skip has @status @node; @what names the status. */
static bool poison_all_on(struct poison_mover *m, const int *status, long n,
			  int node, const char *what)
{
	long i;

	for (i = 0; i < n; i++) {
		if (i != m->skip && status[i] != node) {
			snprintf(m->why, sizeof(m->why), "%s of page %ld: %d, want node %d",
				 what, i, status[i], node);
			return false;
		}
	}
	return true;
}

/*
 * Move the buffer to @node, one address per 4 KiB page. @strict: every
 * page but ->skip must be on @node afterwards (a page soft-offlined or
 * poisoned during a move may miss that one move).
 */
static int poison_move(struct poison_mover *m, int node, bool strict)
{
	long n = m->b->len / KiB(4), i;
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes));
	int *status = calloc(n, sizeof(*status));
	int err = -1;

	if (!pages || !nodes || !status)
		goto out;
	for (i = 0; i < n; i++) {
		pages[i] = m->b->mem + i * KiB(4);
		nodes[i] = node;
	}
	if (move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE) < 0) {
		snprintf(m->why, sizeof(m->why), "move_pages: %s", strerror(errno));
		goto out;
	}
	if (strict && !poison_all_on(m, status, n, node, "move_pages status"))
		goto out;
	if (move_pages(0, n, pages, NULL, status, 0)) {
		snprintf(m->why, sizeof(m->why), "move_pages query: %s", strerror(errno));
		goto out;
	}
	if (strict && !poison_all_on(m, status, n, node, "node after the move"))
		goto out;
	m->node = node;
	err = 0;
out:
	free(pages);
	free(nodes);
	free(status);
	return err;
}

static void *poison_mover_thread(void *arg)
{
	struct poison_mover *m = arg;

	while (!m->stop && !poison_move(m, !m->node, false)) {
		m->moves++;
		m->held = m->hold;
		while (m->hold && !m->stop)
			usleep(1000);
		m->held = false;
	}
	return NULL;
}

/*
 * Run madvise(@advice) on page @page of the buffer between two moves: a
 * page isolated by a move in flight is neither soft-offlined nor handled
 * by memory_failure() (it is "ignored"), which is not what is tested.
 */
static int poison_between_moves(struct poison_mover *m, long page, int advice)
{
	int rc;

	m->hold = true;
	while (!m->held && !m->why[0])
		usleep(1000);
	rc = madvise(m->b->mem + page * KiB(4), KiB(4), advice) ? -errno : 0;
	m->hold = false;
	return rc;
}

/*
 * A memory error while the buffer moves through the migrator: one page is
 * soft-offlined (its contents move to a new page) and another poisoned
 * with MADV_HWPOISON (memory_failure() as a machine check would run it,
 * SIGBUS included) between two of the moves of a thread that moves the
 * buffer between nodes 0 and 1, and the moves go on over them.
 * The error is reported once: one memory_failure() call (the
 * ras tracepoint, which also sees calls for a page already poisoned), the
 * nodes' memory_failure/total up by one, HardwareCorrupted by the two
 * pages, one SIGBUS. Every other byte is right, soft-offlined page
 * included, and every page but the poisoned one is where a last move puts
 * it.
 */
TEST_F_TIMEOUT(rs, hwpoison_while_moving, 300)
{
	struct ctx *x = &self->x;
	const long hw = 700, soft = 300;	/* pages of the 4 MiB buffer */
	struct poison_mover m = { .skip = hw };
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	long long failures, corrupted_kb;
	struct migoff_buf b;
	char *want;
	pthread_t t;
	long i;
	int rc;

	buf_on(_metadata, &b, MiB(4), 0, 0x1f);
	want = malloc(b.len);
	ASSERT_NE(NULL, want);
	migoff_fill(want, b.len, 0x1f);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	route(_metadata, x, MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL));
	failures = memory_failures();
	corrupted_kb = meminfo_kb("HardwareCorrupted");
	ASSERT_LE(0, corrupted_kb);
	ASSERT_EQ(0, migoff_trace_group_start("ras", "memory_failure_event"))
		TH_LOG("cannot enable ras:memory_failure_event");

	m.b = &b;
	ASSERT_EQ(0, pthread_create(&t, NULL, poison_mover_thread, &m));
	rc = poison_between_moves(&m, soft, MADV_SOFT_OFFLINE);
	EXPECT_EQ(0, rc) TH_LOG("MADV_SOFT_OFFLINE: %s", strerror(-rc));
	rc = poison_between_moves(&m, hw, MADV_HWPOISON);
	EXPECT_EQ(0, rc) TH_LOG("MADV_HWPOISON: %s", strerror(-rc));
	/* At least two more moves with the page poisoned. */
	for (i = m.moves + 2; m.moves < i && !m.why[0]; )
		usleep(10000);
	m.stop = true;
	pthread_join(t, NULL);
	ASSERT_EQ(0, m.why[0]) TH_LOG("mover: %s", m.why);
	ASSERT_EQ(0, poison_move(&m, !m.node, true)) TH_LOG("%s", m.why);

	EXPECT_EQ(1, ras_trace_count())
		TH_LOG("memory_failure() did not run exactly once");
	EXPECT_EQ(failures + 1, memory_failures());
	EXPECT_EQ(corrupted_kb + 8, meminfo_kb("HardwareCorrupted"));
	EXPECT_EQ(1, sigbus_n);
	EXPECT_EQ(BUS_MCEERR_AR, sigbus_code);
	EXPECT_EQ(b.mem + hw * KiB(4), sigbus_addr);
	EXPECT_EQ(0, memcmp(b.mem, want, hw * KiB(4)))
		TH_LOG("a byte before the poisoned page is wrong");
	EXPECT_EQ(0, memcmp(b.mem + (hw + 1) * KiB(4), want + (hw + 1) * KiB(4),
			    b.len - (hw + 1) * KiB(4)))
		TH_LOG("a byte after the poisoned page is wrong");
	x->verified = b.len - KiB(4);
	check(_metadata, x, MIGOFF_REASON_SYSCALL, 0);
	ksft_print_msg("%ld moves, the last to node %d\n", m.moves + 1, m.node);
	free(want);
	migoff_buf_free(&b);
}

TEST_HARNESS_MAIN

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
 * node of every page (migoff_move(), migoff_round_trip()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"

#define CG		"/sys/fs/cgroup/"
#define SWDMA		"/sys/module/migoff_swdma/parameters/"
#define DCBM		"/sys/module/migoff_dcbm/parameters/"
#define MTCOPY		"/sys/module/migoff_mtcopy/parameters/"
#define FAILSLAB	"/sys/kernel/debug/failslab/"
#define FAILPAGE	"/sys/kernel/debug/fail_page_alloc/"
#define SYSCALL_BIT	MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL)

static char why[256];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void swdma_defaults(void)
{
	migoff_param_set(SWDMA, "fail_every", "0");
	migoff_param_set(SWDMA, "drop_every", "0");
	migoff_param_set(SWDMA, "delay_us", "0");
	migoff_param_set(SWDMA, "reorder", "0");
	migoff_param_set(SWDMA, "fail_chan_alloc", "0");
}

static uint64_t fallbacks(const struct migoff_counters *c)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < MIGOFF_FALLBACK_COUNT; i++)
		n += c->fallback[i];
	return n;
}

static int get_migrator(int fd, const char *name, struct migoff_migrator *m)
{
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->flags = MIGOFF_MIGRATOR_BY_NAME;
	strncpy(m->name, name, sizeof(m->name) - 1);
	return migoff_ioc(fd, MIGOFF_IOC_GET_MIGRATOR, m);
}

static int quota_ioc(int fd, unsigned long req, int cgfd, uint64_t rate,
		     uint64_t burst, uint64_t reasons, struct migoff_quota *out)
{
	struct migoff_quota q = { .size = sizeof(q), .flags = MIGOFF_QUOTA_BY_FD,
				  .cgroup_fd = cgfd, .rate = rate, .burst = burst,
				  .reasons = reasons };
	int err = migoff_ioc(fd, req, &q);

	if (out)
		*out = q;
	return err;
}

static int cg_open(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), CG "%s", name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void cg_remove(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), CG "%s", name);
	rmdir(path);
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

static void common_setup(struct __test_metadata *_metadata, int *fd,
		       struct migoff_thp_state *thp)
{
	*fd = open(MIGOFF_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, *fd) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(thp));
	ASSERT_EQ(0, migoff_write_file(CG "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, migoff_disable_all(*fd));
	ASSERT_EQ(0, migoff_set_batch(*fd, MIGOFF_BATCH_SET_MAX_PAGES |
				      MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0));
	ASSERT_EQ(0, migoff_set_param(*fd, "dcbm", "channels", 2));
	ASSERT_EQ(0, migoff_set_param(*fd, "dcbm", "timeout_ms", 2000));
	ASSERT_EQ(0, migoff_set_param(*fd, "mtcopy", "threads", 2));
	ASSERT_EQ(0, migoff_set_param(*fd, "mtcopy", "push", 0));
	swdma_defaults();
	ASSERT_EQ(0, migoff_reset_stats(*fd));
}

static void common_teardown(int fd, struct migoff_thp_state *thp)
{
	migoff_disable_all(fd);
	migoff_set_batch(fd, MIGOFF_BATCH_SET_MAX_PAGES |
			 MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0);
	migoff_set_param(fd, "dcbm", "channels", 2);
	migoff_set_param(fd, "dcbm", "timeout_ms", 2000);
	if (!migoff_mod_loaded("migoff_swdma"))
		migoff_mod_load("migoff_swdma", NULL);
	swdma_defaults();
	migoff_param_set(FAILSLAB, "probability", "0");
	migoff_param_set(FAILPAGE, "probability", "0");
	migoff_param_set(FAILSLAB, "task-filter", "N");
	migoff_param_set(FAILPAGE, "task-filter", "N");
	migoff_thp_restore(thp);
	cg_remove("migoff-hard/child");
	cg_remove("migoff-hard/own");
	cg_remove("migoff-hard");
	close(fd);
}

FIXTURE(hard) {
	int fd;
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(hard)
{
	common_setup(_metadata, &self->fd, &self->thp);
}

FIXTURE_TEARDOWN(hard)
{
	common_teardown(self->fd, &self->thp);
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
	int cg = cg_open("migoff-hard");
	struct migoff_counters r;
	struct migoff_quota q;
	double t0, elapsed;
	pid_t pid;

	ASSERT_LE(0, cg);
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "cpu"));
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, cg, rate, burst, 0, NULL));
	t0 = now();
	pid = qt_spawn("migoff-hard");
	ASSERT_EQ(0, child_status(pid)) TH_LOG("a mover failed (see above)");
	elapsed = now() - t0;

	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_GET_QUOTA, cg, 0, 0, 0, &q));
	TH_LOG("%llu offloaded, %llu refused in %.2fs",
	       (unsigned long long)q.bytes_offloaded,
	       (unsigned long long)q.bytes_refused, elapsed);
	/* Every byte was offloaded or refused, and no more than the budget. */
	EXPECT_EQ(total, q.bytes_offloaded + q.bytes_refused);
	EXPECT_EQ(total / KiB(4), q.folios_offloaded + q.folios_refused);
	EXPECT_LE(q.bytes_offloaded, (uint64_t)(rate * elapsed) + burst);
	EXPECT_LT(0, q.bytes_offloaded);
	/* The per-CPU counters add up exactly. */
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_REASON,
				     MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(q.folios_offloaded, r.folios);
	EXPECT_EQ(q.bytes_offloaded, r.bytes);
	EXPECT_EQ(q.folios_refused, r.fallback[MIGOFF_FALLBACK_QUOTA]);
	EXPECT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_CLEAR_QUOTA, cg, 0, 0, 0, NULL));
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
	int parent = cg_open("migoff-hard"), child, own;
	struct migoff_quota qp, qo;

	ASSERT_LE(0, parent);
	ASSERT_EQ(0, migoff_write_file(CG "migoff-hard/cgroup.subtree_control", "+memory"));
	child = cg_open("migoff-hard/child");
	own = cg_open("migoff-hard/own");
	ASSERT_LE(0, child);
	ASSERT_LE(0, own);
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "cpu"));
	/* The parent: almost nothing. "own" has its own, generous quota. */
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, parent, 4096, 4096, 0, NULL));
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, own, 1ULL << 40,
			       1ULL << 40, 0, NULL));

	ASSERT_EQ(0, move_in("migoff-hard/child", MiB(4), 0x51));
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_GET_QUOTA, parent, 0, 0, 0, &qp));
	EXPECT_EQ(2 * MiB(4), qp.bytes_offloaded + qp.bytes_refused)
		TH_LOG("the child's folios were not charged to the parent's quota");
	EXPECT_LT(MiB(4), qp.bytes_refused);

	ASSERT_EQ(0, move_in("migoff-hard/own", MiB(4), 0x52));
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_GET_QUOTA, own, 0, 0, 0, &qo));
	EXPECT_EQ(2 * MiB(4), qo.bytes_offloaded) TH_LOG("the nearest quota must win");
	EXPECT_EQ(0, qo.bytes_refused);
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_GET_QUOTA, parent, 0, 0, 0, &qo));
	EXPECT_EQ(qp.bytes_offloaded + qp.bytes_refused,
		  qo.bytes_offloaded + qo.bytes_refused);

	quota_ioc(self->fd, MIGOFF_IOC_CLEAR_QUOTA, own, 0, 0, 0, NULL);
	quota_ioc(self->fd, MIGOFF_IOC_CLEAR_QUOTA, parent, 0, 0, 0, NULL);
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
	long id = migoff_migrator_id(self->fd, "mtcopy");
	long long thr0, wk0, in0, thr1, wk1, in1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long ranges = cpus < 8 ? cpus : 8;
	struct migoff_counters m;

	ASSERT_LE(0, id);
	ASSERT_EQ(0, migoff_set_param(self->fd, "mtcopy", "threads", 8));
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "mtcopy"));
	thr0 = migoff_param_get(MTCOPY, "batches_threaded");
	wk0 = migoff_param_get(MTCOPY, "workers");
	in0 = migoff_param_get(MTCOPY, "batches_inline");
	ASSERT_LE(0, thr0) TH_LOG("mtcopy exposes no batches_threaded");
	ASSERT_LE(0, wk0);

	/* One THP there and back: two batches of one 2 MiB folio. */
	ASSERT_EQ(0, migoff_round_trip(MiB(2), MiB(2), 0x11a, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_MIGRATOR, id, &m));
	thr1 = migoff_param_get(MTCOPY, "batches_threaded");
	wk1 = migoff_param_get(MTCOPY, "workers");
	in1 = migoff_param_get(MTCOPY, "batches_inline");
	EXPECT_EQ(2, m.folios);
	EXPECT_EQ(0, fallbacks(&m));
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
	int fd;
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
	common_setup(_metadata, &self->fd, &self->thp);
}

FIXTURE_TEARDOWN(alloc)
{
	common_teardown(self->fd, &self->thp);
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
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, variant->migrator));
	ASSERT_EQ(0, migoff_reset_stats(self->fd));

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

	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_REASON,
				     MIGOFF_REASON_SYSCALL, &r));
	TH_LOG("%s: %llu copied, %llu error fallbacks", variant->migrator,
	       (unsigned long long)r.folios,
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_ERROR]);
	EXPECT_EQ(2 * nfolios, r.folios + fallbacks(&r));
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
	ASSERT_EQ(0, migoff_reset_stats(self->fd));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0xfa2, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_REASON,
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
	ASSERT_EQ(0, migoff_set_param(self->fd, "dcbm", "channels", 1));
	ASSERT_EQ(0, migoff_set_param(self->fd, "dcbm", "timeout_ms", 300));
	/* Batches of at most 32 folios: at most one drop in each. */
	ASSERT_EQ(0, migoff_set_batch(self->fd, MIGOFF_BATCH_SET_MAX_PAGES, 32, 0));
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "dcbm"));
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
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_REASON,
				     MIGOFF_REASON_SYSCALL, &r));
	TH_LOG("%lld dropped, %lld timed out, %llu timeout fallbacks, %lld busy",
	       drop1 - drop0, to1 - to0,
	       (unsigned long long)r.fallback[MIGOFF_FALLBACK_TIMEOUT],
	       migoff_param_get(DCBM, "busy"));
	EXPECT_LT(0, drop1 - drop0);
	EXPECT_EQ(drop1 - drop0, to1 - to0) TH_LOG("timeouts hit other batches");
	EXPECT_LE((uint64_t)(drop1 - drop0), r.fallback[MIGOFF_FALLBACK_TIMEOUT]);
	EXPECT_LT(0, r.folios);

	ASSERT_EQ(0, migoff_disable_all(self->fd));
	ASSERT_EQ(0, migoff_mod_unload("migoff_swdma"));
	ASSERT_EQ(0, migoff_mod_load("migoff_swdma", NULL));
}

/* --- item 13: a failed "channels" change changes nothing --- */

TEST_F_TIMEOUT(hard, dcbm_failed_channels_change_keeps_channels, 300)
{
	const size_t len = MiB(8), nfolios = len / KiB(4);
	struct migoff_counters r;
	struct migoff_migrator m;
	long long allocs;

	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "1"))
		TH_LOG("swdma has no fail_chan_alloc knob");
	allocs = migoff_param_get(SWDMA, "chan_allocs");
	EXPECT_EQ(-ENODEV, migoff_set_param(self->fd, "dcbm", "channels", 3));
	ASSERT_EQ(0, get_migrator(self->fd, "dcbm", &m));
	EXPECT_EQ(2, m.params[0].value);
	EXPECT_EQ(MIGOFF_MIGRATOR_AVAILABLE | MIGOFF_MIGRATOR_ROUTED, m.state);
	EXPECT_EQ(allocs, migoff_param_get(SWDMA, "chan_allocs"));

	/* The routed dcbm still copies everything on its two channels. */
	ASSERT_EQ(0, migoff_reset_stats(self->fd));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x130, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_REASON,
				     MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(2 * nfolios, r.folios) TH_LOG("dcbm lost its channels");
	EXPECT_EQ(0, fallbacks(&r));

	/* Fewer channels needs no allocation; more works again without the knob. */
	EXPECT_EQ(0, migoff_set_param(self->fd, "dcbm", "channels", 1));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "0"));
	EXPECT_EQ(0, migoff_set_param(self->fd, "dcbm", "channels", 3));
	ASSERT_EQ(0, migoff_reset_stats(self->fd));
	ASSERT_EQ(0, migoff_round_trip(len, KiB(4), 0x131, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, migoff_counters(self->fd, MIGOFF_STATS_REASON,
				     MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(2 * nfolios, r.folios);
	/* Enabling with no channel to be had fails cleanly too. */
	ASSERT_EQ(0, migoff_disable_all(self->fd));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "1"));
	EXPECT_EQ(-ENODEV, migoff_enable(self->fd, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "fail_chan_alloc", "0"));
}

/*
 * A "channels" change (under the policy mutex) must not wait for copies in
 * flight: here each descriptor takes a second.
 */
TEST_F_TIMEOUT(hard, dcbm_channels_change_does_not_wait_for_copies, 300)
{
	double t0, worst = 0;
	struct migoff_buf b;
	pid_t pid;
	int i;

	ASSERT_EQ(0, migoff_set_param(self->fd, "dcbm", "timeout_ms", 60000));
	ASSERT_EQ(0, migoff_set_batch(self->fd, MIGOFF_BATCH_SET_MAX_PAGES, 1, 0));
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "dcbm"));
	ASSERT_EQ(0, migoff_param_set(SWDMA, "delay_us", "1000000"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* 4 folios, one per batch, a second each. */
		if (migoff_buf_alloc(&b, KiB(16), KiB(4), 0, 0x151, why, sizeof(why)) ||
		    migoff_move(&b, 1, NULL, why, sizeof(why)) ||
		    migoff_verify(b.mem, b.len, 0x151) != -1) {
			fprintf(stderr, "slow mover: %s\n", why);
			_exit(1);
		}
		_exit(0);
	}
	usleep(300000);
	for (i = 0; i < 4; i++) {
		t0 = now();
		EXPECT_EQ(0, migoff_set_param(self->fd, "dcbm", "channels", i % 2 ? 2 : 1));
		t0 = now() - t0;
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

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

struct nl_req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[64];
};

static void nl_put_attr(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/*
 * Send @r and read the answers: the number of data messages, or the
 * negative errno of an error answer.
 */
static int nl_talk(int fd, struct nl_req *r, uint16_t *family_out)
{
	static char buf[65536];
	int msgs = 0;

	if (send(fd, r, r->nh.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0)
			return -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return msgs;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				return e->error ? e->error : msgs;
			}
			msgs++;
			if (family_out) {
				struct genlmsghdr *g = NLMSG_DATA(nh);
				struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);
				int left = nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;

				for (; left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN;
				     left -= NLA_ALIGN(a->nla_len),
				     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len)))
					if (a->nla_type == CTRL_ATTR_FAMILY_ID)
						*family_out = *(uint16_t *)((char *)a + NLA_HDRLEN);
			}
			if (!(nh->nlmsg_flags & NLM_F_MULTI))
				return msgs;
		}
	}
}

static int nl_family(int fd)
{
	struct nl_req r = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = GENL_ID_CTRL,
			.nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
		.gh = { .cmd = CTRL_CMD_GETFAMILY, .version = 2 },
	};
	uint16_t id = 0;
	int err;

	nl_put_attr(&r, CTRL_ATTR_FAMILY_NAME, MIGOFF_GENL_NAME, sizeof(MIGOFF_GENL_NAME));
	err = nl_talk(fd, &r, &id);
	return err < 0 ? err : id ? id : -ENOENT;
}

/* A stats dump: messages received, or -errno. */
static int nl_dump(int fd, int family, uint8_t reserved, bool bad_attr)
{
	struct nl_req r = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN), .nlmsg_type = family,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 2 },
		.gh = { .cmd = MIGOFF_CMD_STATS_GET, .version = MIGOFF_GENL_VERSION,
			.reserved = reserved },
	};
	uint32_t v = 0;

	if (bad_attr)
		nl_put_attr(&r, MIGOFF_A_MAX + 1, &v, sizeof(v));
	return nl_talk(fd, &r, NULL);
}

/* As nobody: GETs of every kind, @n times. 0, or which check failed. */
static int reads_as_nobody(int devfd, int n)
{
	pid_t pid = fork();

	if (pid)
		return child_status(pid);
	if (setgid(65534) || setuid(65534))
		_exit(90);
	{
		int nl = nl_open(), fam = nl < 0 ? -1 : nl_family(nl), i, idx;
		struct migoff_migrator m;

		if (fam < 0)
			_exit(91);
		for (i = 0; i < n; i++) {
			if (get_migrator(devfd, "dcbm", &m) ||
			    !(m.state & MIGOFF_MIGRATOR_AVAILABLE))
				_exit(92);
			for (idx = 0; ; idx++) {
				memset(&m, 0, sizeof(m));
				m.size = sizeof(m);
				m.index = idx;
				if (migoff_ioc(devfd, MIGOFF_IOC_GET_MIGRATOR, &m))
					break;
			}
			for (idx = 0; ; idx++) {
				struct migoff_quota q = { .size = sizeof(q),
							  .flags = MIGOFF_QUOTA_BY_INDEX,
							  .index = idx };

				if (migoff_ioc(devfd, MIGOFF_IOC_GET_QUOTA, &q))
					break;
			}
			if (nl_dump(nl, fam, 0, false) < MIGOFF_REASON_COUNT)
				_exit(93);
		}
		_exit(0);
	}
}

TEST_F_TIMEOUT(hard, unprivileged_reads_take_no_dma_channel, 300)
{
	long long a0, f0;
	int cg = cg_open("migoff-hard");

	ASSERT_LE(0, cg);
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, cg, MiB(1), MiB(1), 0, NULL));
	a0 = migoff_param_get(SWDMA, "chan_allocs");
	f0 = migoff_param_get(SWDMA, "chan_frees");
	ASSERT_LE(0, a0) TH_LOG("swdma exposes no chan_allocs counter");
	/* dcbm unrouted: it holds no channel, a read must not take one. */
	EXPECT_EQ(0, reads_as_nobody(self->fd, 100));
	EXPECT_EQ(a0, migoff_param_get(SWDMA, "chan_allocs"));
	EXPECT_EQ(f0, migoff_param_get(SWDMA, "chan_frees"));

	/* Routed: it holds its two; reads change nothing either. */
	ASSERT_EQ(0, migoff_enable(self->fd, SYSCALL_BIT, "dcbm"));
	a0 = migoff_param_get(SWDMA, "chan_allocs");
	f0 = migoff_param_get(SWDMA, "chan_frees");
	EXPECT_EQ(0, reads_as_nobody(self->fd, 100));
	EXPECT_EQ(a0, migoff_param_get(SWDMA, "chan_allocs"));
	EXPECT_EQ(f0, migoff_param_get(SWDMA, "chan_frees"));
	EXPECT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_CLEAR_QUOTA, cg, 0, 0, 0, NULL));
	close(cg);
}

/* A removed cgroup's quota is hidden from reads, and reads keep it listed. */
TEST_F(hard, reads_skip_removed_cgroup_quota)
{
	int cg = cg_open("migoff-hard"), nl, fam, before, after;
	struct migoff_quota q = { .size = sizeof(q), .flags = MIGOFF_QUOTA_BY_INDEX };

	ASSERT_LE(0, cg);
	ASSERT_EQ(0, quota_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, cg, MiB(1), MiB(1), 0, NULL));
	nl = nl_open();
	ASSERT_LE(0, nl);
	fam = nl_family(nl);
	ASSERT_LT(0, fam);
	before = nl_dump(nl, fam, 0, false);
	close(cg);
	cg_remove("migoff-hard");
	after = nl_dump(nl, fam, 0, false);
	EXPECT_EQ(before - 1, after) TH_LOG("the dump still reports the removed cgroup");
	EXPECT_EQ(-ENOENT, migoff_ioc(self->fd, MIGOFF_IOC_GET_QUOTA, &q));
	close(nl);
}

/* --- item 16: netlink strict validation --- */

TEST_F(hard, netlink_dump_validated_strictly)
{
	int nl = nl_open(), fam;

	ASSERT_LE(0, nl);
	fam = nl_family(nl);
	ASSERT_LT(0, fam) TH_LOG("family %s not found", MIGOFF_GENL_NAME);
	EXPECT_LE(MIGOFF_REASON_COUNT, nl_dump(nl, fam, 0, false));
	EXPECT_EQ(-EINVAL, nl_dump(nl, fam, 1, false)) TH_LOG("non-zero reserved accepted");
	EXPECT_EQ(-EINVAL, nl_dump(nl, fam, 0, true)) TH_LOG("unknown attribute accepted");
	close(nl);
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

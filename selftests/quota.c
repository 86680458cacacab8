// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cgroup quotas: two cgroups migrating at once, one under a small quota
 * and one without; the limited one's offloaded bytes stay within
 * rate * time + burst and its excess shows as quota fallbacks; both verify
 * every byte. Also helper CPU time per cgroup (mtcopy), quotas of removed
 * cgroups, and every bad argument. Quotas are set, read and cleared with
 * libmigoffload (by cgroup path); raw_quota() and raw_ioc() send what it
 * cannot (migoff_dev.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"

#define CG		MIGOFF_CGROUP_ROOT
#define SYSCALL_BIT	MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL)

/*
 * Raw: a quota ioctl with the cgroup given by the fd @cgfd, for what
 * libmigoffload (which opens the cgroup by path itself) cannot send: a
 * bad fd, an fd opened outside the caller's cgroup namespace, a CLEAR
 * with a rate.
 */
static int raw_quota(int fd, unsigned long req, int cgfd, uint64_t rate, uint64_t burst)
{
	struct migoff_quota q = { .size = sizeof(q), .flags = MIGOFF_QUOTA_BY_FD,
				  .cgroup_fd = cgfd, .rate = rate, .burst = burst };

	return raw_ioc(fd, req, &q);
}

/* Fork a child that joins cgroup @name, waits for @go, then round-trips. */
static pid_t spawn_mover(const char *name, int go, size_t len, size_t folio, uint64_t seed)
{
	pid_t pid = fork();
	char path[256], why[256], c;

	if (pid)
		return pid;
	snprintf(path, sizeof(path), CG "%s/cgroup.procs", name);
	if (migoff_write_file(path, "0"))
		_exit(10);
	if (read(go, &c, 1) != 1)
		_exit(11);
	if (migoff_round_trip(len, folio, seed, why, sizeof(why))) {
		fprintf(stderr, "mover in %s: %s\n", name, why);
		_exit(12);
	}
	_exit(0);
}

/* Run one mover in cgroup @name to completion; its wait status. */
static int move_in_cgroup(const char *name, size_t len, size_t folio, uint64_t seed)
{
	int go[2], status = -1;
	pid_t pid;

	if (pipe(go))
		return -1;
	pid = spawn_mover(name, go[0], len, folio, seed);
	if (pid > 0 && write(go[1], "g", 1) == 1)
		waitpid(pid, &status, 0);
	close(go[0]);
	close(go[1]);
	return status;
}

FIXTURE(quota) {
	struct migoff_ctx *ctx;
	int fd;		/* raw_ioc() */
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(quota)
{
	ASSERT_EQ(0, migoff_open(&self->ctx)) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(&self->thp));
	/* Folios are charged to memcgs only with the memory controller on. */
	ASSERT_EQ(0, migoff_write_file(CG "cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
}

FIXTURE_TEARDOWN(quota)
{
	migoff_disable(self->ctx, MIGOFF_REASONS_ALL);
	migoff_thp_restore(&self->thp);
	migoff_cg_remove("migoff-limited");
	migoff_cg_remove("migoff-free");
	migoff_cg_remove("migoff-gone");
	close(self->fd);
	migoff_close(self->ctx);
}

TEST_F_TIMEOUT(quota, limited_and_unlimited_at_once, 600)
{
	const uint64_t rate = MiB(4), burst = MiB(1);
	const size_t len = MiB(32);
	int lim = migoff_cg_open("migoff-limited"), fre = migoff_cg_open("migoff-free");
	struct migoff_quota q = { .size = sizeof(q) }, none = { .size = sizeof(none) };
	struct migoff_counters r;
	int go[2], status, i;
	pid_t pids[2];
	double t0, elapsed;

	ASSERT_LE(0, lim);
	ASSERT_LE(0, fre);
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "cpu"));
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-limited", rate, burst, 0));
	ASSERT_EQ(0, pipe(go));
	pids[0] = spawn_mover("migoff-limited", go[0], len, KiB(4), 0x11);
	pids[1] = spawn_mover("migoff-free", go[0], len, KiB(4), 0x22);
	t0 = migoff_now(CLOCK_MONOTONIC);
	ASSERT_EQ(2, write(go[1], "gg", 2));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("mover %d: status %#x", i, status);
	}
	elapsed = migoff_now(CLOCK_MONOTONIC) - t0;

	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-limited", &q));
	TH_LOG("limited: %llu offloaded, %llu refused in %.2fs (budget %.0f)",
	       (unsigned long long)q.bytes_offloaded, (unsigned long long)q.bytes_refused,
	       elapsed, rate * elapsed + burst);
	EXPECT_EQ(rate, q.rate);
	EXPECT_EQ(burst, q.burst);
	EXPECT_LE(q.bytes_offloaded, (uint64_t)(rate * elapsed) + burst);
	EXPECT_LT(0, q.bytes_refused);
	EXPECT_LT(0, q.bytes_offloaded);
	/* Every folio of the limited cgroup was offloaded or refused. */
	EXPECT_EQ(2 * len, q.bytes_offloaded + q.bytes_refused);
	EXPECT_EQ(2 * len / KiB(4), q.folios_offloaded + q.folios_refused);

	/* The unlimited cgroup has no quota and lost nothing to one. */
	EXPECT_EQ(-ENOENT, migoff_quota_find(self->ctx, "migoff-free", &none));
	ASSERT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON, MIGOFF_REASON_SYSCALL, &r));
	EXPECT_EQ(q.folios_refused, r.fallback[MIGOFF_FALLBACK_QUOTA]);
	EXPECT_EQ(2 * len / KiB(4) + q.folios_offloaded, r.folios);

	EXPECT_EQ(0, migoff_quota_clear(self->ctx, "migoff-limited"));
	EXPECT_EQ(-ENOENT, migoff_quota_clear(self->ctx, "migoff-limited"));
	close(lim);
	close(fre);
}

/* A quota for another reason leaves move_pages(2) alone. */
TEST_F_TIMEOUT(quota, per_reason, 300)
{
	int lim = migoff_cg_open("migoff-limited"), status;
	struct migoff_quota q = { .size = sizeof(q) };

	ASSERT_LE(0, lim);
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "cpu"));
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-limited", 4096, 4096,
				      MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION)));
	status = move_in_cgroup("migoff-limited", MiB(8), KiB(4), 0x33);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-limited", &q));
	EXPECT_EQ(0, q.folios_refused);
	EXPECT_EQ(MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION), q.reasons);
	close(lim);
}

/* mtcopy's helper threads' CPU time is reported for the pages' cgroup. */
TEST_F_TIMEOUT(quota, mtcopy_cpu_time_per_cgroup, 600)
{
	int lim = migoff_cg_open("migoff-limited"), status;
	struct migoff_quota q = { .size = sizeof(q) };

	ASSERT_LE(0, lim);
	ASSERT_EQ(0, migoff_set_param(self->ctx, "mtcopy", "threads", 2));
	ASSERT_EQ(0, migoff_enable(self->ctx, SYSCALL_BIT, "mtcopy"));
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-limited", 1ULL << 40, 1ULL << 40, 0));
	status = move_in_cgroup("migoff-limited", MiB(32), MiB(2), 0x44);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-limited", &q));
	EXPECT_EQ(2 * MiB(32), q.bytes_offloaded);
	EXPECT_EQ(0, q.bytes_refused);
	EXPECT_LT(0, q.copy_cpu_ns);
	close(lim);
}

/* Removing a cgroup drops its quota. */
TEST_F(quota, removed_cgroup)
{
	struct migoff_quota q = { .size = sizeof(q) };
	int fd = migoff_cg_open("migoff-gone"), i;
	uint64_t id;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-gone", MiB(1), MiB(1), 0));
	ASSERT_EQ(0, migoff_quota_find(self->ctx, "migoff-gone", &q));
	id = q.cgroup_id;
	EXPECT_NE(0, id);
	close(fd);
	migoff_cg_remove("migoff-gone");

	/* Raw: by cgroup id, which the library has no call for. */
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.cgroup_id = id;
	EXPECT_EQ(-ENOENT, raw_ioc(self->fd, MIGOFF_IOC_GET_QUOTA, &q));
	q.rate = q.burst = MiB(1);
	EXPECT_EQ(-ENOENT, raw_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, &q));
	for (i = 0; ; i++) {
		q.size = sizeof(q);
		if (migoff_quota_get(self->ctx, i, &q))
			break;
		EXPECT_NE(id, q.cgroup_id);
	}
}

/*
 * A privileged caller in a nested cgroup namespace sees only its own
 * subtree: its quota changes must not take the host's quotas for gone
 * (they used to be pruned, since a lookup by id from there fails).
 */
TEST_F(quota, nested_namespace_prunes_nothing)
{
	int host = migoff_cg_open("migoff-limited"), inner = migoff_cg_open("migoff-free");
	struct migoff_quota q = { .size = sizeof(q) };
	int status;
	pid_t pid;

	ASSERT_LE(0, host);
	ASSERT_LE(0, inner);
	ASSERT_EQ(0, migoff_quota_set(self->ctx, "migoff-limited", MiB(1), MiB(1), 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char pidbuf[32];
		int fd;

		snprintf(pidbuf, sizeof(pidbuf), "%d", getpid());
		if (migoff_write_file(CG "migoff-free/cgroup.procs", pidbuf) ||
		    unshare(CLONE_NEWCGROUP))
			_exit(2);
		/* Raw: the cgroup by the fd opened outside the namespace. */
		fd = raw_open();
		if (fd < 0 ||
		    raw_quota(fd, MIGOFF_IOC_SET_QUOTA, inner, MiB(2), MiB(2)) ||
		    raw_quota(fd, MIGOFF_IOC_CLEAR_QUOTA, inner, 0, 0))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("the namespaced child failed its quota calls");
	EXPECT_EQ(0, migoff_quota_find(self->ctx, "migoff-limited", &q))
		TH_LOG("the host's quota was pruned from inside a cgroup namespace");
	EXPECT_EQ(MiB(1), q.rate);
	EXPECT_EQ(0, migoff_quota_clear(self->ctx, "migoff-limited"));
	close(host);
	close(inner);
}

TEST_F(quota, bad_arguments)
{
	int cg = migoff_cg_open("migoff-limited");
	struct migoff_quota q;
	char name[64];
	int i, fds[MIGOFF_MAX_QUOTAS];

	ASSERT_LE(0, cg);
	EXPECT_EQ(-EINVAL, migoff_quota_set(self->ctx, "migoff-limited", 0, MiB(1), 0));
	EXPECT_EQ(-EINVAL, migoff_quota_set(self->ctx, "migoff-limited", MiB(1), 0, 0));
	EXPECT_EQ(-EINVAL, migoff_quota_set(self->ctx, "migoff-limited", MiB(1), MiB(1),
					    1ULL << 40));
	/* A directory that is no cgroup, no fd at all, a CLEAR with a rate. */
	EXPECT_EQ(-EBADF, migoff_quota_set(self->ctx, "/tmp", MiB(1), MiB(1), 0));
	EXPECT_EQ(-EBADF, raw_quota(self->fd, MIGOFF_IOC_SET_QUOTA, -1, MiB(1), MiB(1)));
	EXPECT_EQ(-EINVAL, raw_quota(self->fd, MIGOFF_IOC_CLEAR_QUOTA, cg, MiB(1), 0));
	EXPECT_EQ(-ENOENT, migoff_quota_clear(self->ctx, "migoff-limited"));

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.flags = MIGOFF_QUOTA_BY_INDEX;	/* only for GET */
	q.rate = q.burst = MiB(1);
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, &q));
	q.flags = 0x80;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, &q));
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.flags = MIGOFF_QUOTA_BY_FD;
	q.cgroup_fd = cg;
	q.rate = q.burst = MiB(1);
	q.bytes_refused = 1;			/* output field on input */
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, &q));
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.cgroup_id = 0xdeadbeef;		/* no such cgroup */
	q.rate = q.burst = MiB(1);
	EXPECT_EQ(-ENOENT, raw_ioc(self->fd, MIGOFF_IOC_SET_QUOTA, &q));
	q.size = sizeof(q);
	EXPECT_EQ(-ENOENT, migoff_quota_get(self->ctx, 1000, &q));

	/* At most MIGOFF_MAX_QUOTAS, then ENOSPC; nothing half-done. */
	for (i = 0; i < MIGOFF_MAX_QUOTAS; i++) {
		snprintf(name, sizeof(name), "migoff-q%d", i);
		fds[i] = migoff_cg_open(name);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, migoff_quota_set(self->ctx, name, MiB(1), MiB(1), 0));
	}
	EXPECT_EQ(-ENOSPC, migoff_quota_set(self->ctx, "migoff-limited", MiB(1), MiB(1), 0));
	q.size = sizeof(q);
	EXPECT_EQ(-ENOENT, migoff_quota_find(self->ctx, "migoff-limited", &q));
	/* Replacing an existing quota still works when full. */
	EXPECT_EQ(0, migoff_quota_set(self->ctx, "migoff-q0", MiB(2), MiB(2), 0));
	for (i = 0; i < MIGOFF_MAX_QUOTAS; i++) {
		snprintf(name, sizeof(name), "migoff-q%d", i);
		EXPECT_EQ(0, migoff_quota_clear(self->ctx, name));
		close(fds[i]);
		migoff_cg_remove(name);
	}

	/* Unprivileged: reading works, changing is EPERM. */
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct migoff_quota g = { .size = sizeof(g) };
		int bad = 0;

		if (setgid(65534) || setuid(65534))
			_exit(90);
		bad |= migoff_quota_get(self->ctx, 0, &g) != -ENOENT;
		bad |= (migoff_quota_set(self->ctx, "migoff-limited", MiB(1), MiB(1), 0) != -EPERM) << 1;
		bad |= (migoff_quota_clear(self->ctx, "migoff-limited") != -EPERM) << 2;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("unprivileged checks failed: %#x", status);
	close(cg);
}

TEST_HARNESS_MAIN

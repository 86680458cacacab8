// SPDX-License-Identifier: GPL-2.0
/*
 * tier_bench - demotion and promotion through each migrator, interleaved.
 *
 *   tier_bench --config=LABEL:MIGRATOR[:NAME=VALUE,...,auto=1] ... [--mib=N]
 *              [--rounds=N] [--cgroup=DIR] [--out=DIR] [--fast=N] [--slow=M]
 *
 * Runs on the tiered VM (slow node 2 online, demotion enabled; see
 * tools/vm/tier-setup) with migrate_offload and its migrators loaded, or
 * on a machine whose node --fast (default 0, with CPUs) demotes to node
 * --slow (default 2, without CPUs, in the next lower memory tier): below,
 * "node 0" is --fast, "node 2" --slow and "CPU 0" the first CPU of --fast. In
 * each round (round 0 is a warm-up), every configuration in turn routes
 * both demotion and numa_misplaced to its migrator ("none": no route;
 * "auto=1": with MIGOFF_ROUTE_AUTO, the migrator or the CPU, whichever is
 * cheaper) and:
 *
 *  reclaim  maps N MiB on node 0 inside --cgroup and demotes it with
 *           memory.reclaim, written by this thread until every page is on
 *           node 2: wall time, and this thread's CPU time (the reclaiming
 *           context does the copies the engine does not take);
 *  promote  with NUMA balancing in tiering mode, reads the demoted buffer
 *           from CPU 0 until all but 1/64 of the pages are back on node 0
 *           (wall time, at most 300 s; the scan period bounds it, so it is
 *           a sanity check more than a copy measurement). Both run in a
 *           child forked for the pair: NUMA balancing's scan period belongs
 *           to the task and grows over its life, so one long-lived process
 *           would promote later in the run more slowly than earlier, and
 *           the order of the configurations would decide the result;
 *  kswapd   fills node 0's free memory plus N MiB, bound to node 0, so
 *           kswapd and direct reclaim demote: wall time of the fill, and
 *           the CPU time reclaim can take meanwhile: node 0's kswapd's, plus the
 *           filling thread's system time (page faults and direct reclaim).
 *           Rows are named by N, the overflow, since the fill's size
 *           follows node 0's free memory.
 *
 * Every byte is verified and every page's node checked after each phase,
 * outside the timed region. Raw lines in the format of move_bench go to
 * DIR/tier-PHASE.txt (wall time) and DIR/tier-PHASE-cpu.txt (CPU time in
 * the seconds field), one per phase and configuration and round:
 *
 *     label size round node seconds GBps 0
 *
 * so tools/bench/stats.py turns them into per-round ratios to "vanilla".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "migoff_dev.h"
#include "migoff_util.h"

#define MAX_CONFIGS	16

/* --fast, --slow: the node demoted from and the node demoted to. */
static int fast, slow = 2;
static int fast_cpu;	/* the first CPU of the fast node */

/* A node number 0..63 (the node masks here are one word), or -1. */
static int parse_node(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return end == s || *end || errno || v < 0 || v > 63 ? -1 : (int)v;
}

/*
 * Both nodes with memory this task may use, and the first CPU of the fast
 * one in fast_cpu. 0, or -1 having said why.
 */
static int nodes_check(void)
{
	struct bitmask *cpus;
	unsigned int i;
	int n, node[2] = { fast, slow };

	if (numa_available() < 0) {
		fprintf(stderr, "tier_bench: no NUMA support (numa_available)\n");
		return -1;
	}
	for (n = 0; n < 2; n++) {
		if (node[n] > numa_max_node() ||
		    !numa_bitmask_isbitset(numa_all_nodes_ptr, node[n])) {
			fprintf(stderr, "tier_bench: node %d has no memory this task may use\n",
				node[n]);
			return -1;
		}
	}
	cpus = numa_allocate_cpumask();
	if (!cpus || numa_node_to_cpus(fast, cpus)) {
		fprintf(stderr, "tier_bench: cannot read the CPUs of node %d\n", fast);
		numa_free_cpumask(cpus);
		return -1;
	}
	fast_cpu = -1;
	for (i = 0; i < cpus->size && fast_cpu < 0; i++)
		if (numa_bitmask_isbitset(cpus, i))
			fast_cpu = i;
	numa_free_cpumask(cpus);
	if (fast_cpu < 0 || fast_cpu >= CPU_SETSIZE) {
		fprintf(stderr, "tier_bench: node %d has no CPU (--fast names the node that demotes, with CPUs)\n",
			fast);
		return -1;
	}
	return 0;
}

struct config {
	char label[32];
	char migrator[MIGOFF_NAME_LEN];	/* "" for none */
	char params[4][48];
	int nparams;
	bool auto_route;		/* "auto=1": MIGOFF_ROUTE_AUTO */
};

static int config_parse(struct config *c, const char *arg)
{
	char buf[256], *mig, *params, *p, *save = NULL;

	memset(c, 0, sizeof(*c));
	if (snprintf(buf, sizeof(buf), "%s", arg) >= (int)sizeof(buf))
		return -1;
	mig = strchr(buf, ':');
	if (!mig || mig == buf)
		return -1;
	*mig++ = '\0';
	params = strchr(mig, ':');
	if (params)
		*params++ = '\0';
	if (strlen(buf) >= sizeof(c->label) || strlen(mig) >= sizeof(c->migrator))
		return -1;
	memcpy(c->label, buf, strlen(buf) + 1);
	if (strcmp(mig, "none"))
		memcpy(c->migrator, mig, strlen(mig) + 1);
	for (p = params ? strtok_r(params, ",", &save) : NULL; p;
	     p = strtok_r(NULL, ",", &save)) {
		if (!strcmp(p, "auto=1") && c->migrator[0]) {
			c->auto_route = true;
			continue;
		}
		if (c->nparams == 4 || !strchr(p, '=') || strlen(p) >= sizeof(c->params[0]))
			return -1;
		memcpy(c->params[c->nparams++], p, strlen(p) + 1);
	}
	return 0;
}

static int config_apply(struct migoff_ctx *ctx, const struct config *c)
{
	const uint64_t reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION) |
				 MIGOFF_REASON_BIT(MIGOFF_REASON_NUMA_MISPLACED);
	int i, err;

	err = migoff_disable(ctx, MIGOFF_REASONS_ALL);
	for (i = 0; !err && i < c->nparams; i++) {
		char name[MIGOFF_PARAM_NAME_LEN] = "";
		const char *eq = strchr(c->params[i], '=');

		if (eq - c->params[i] >= (long)sizeof(name))
			return -EINVAL;
		memcpy(name, c->params[i], eq - c->params[i]);
		err = migoff_set_param(ctx, c->migrator, name, strtoull(eq + 1, NULL, 10));
	}
	if (!err && c->migrator[0])
		err = migoff_enable_flags(ctx, reasons, c->migrator,
					  c->auto_route ? MIGOFF_ROUTE_AUTO : 0);
	return err;
}

/*
 * One raw line. @size_mib names the row (the same in every round, so
 * rounds pair up); @bytes is what moved, for the GB/s column.
 */
static void emit_sized(FILE *f, const char *label, size_t size_mib, size_t bytes,
		       int round, int node, double secs)
{
	fprintf(f, "%s %zuM %d %d %.6f %.4f 0\n", label, size_mib, round,
		node, secs, secs > 0 ? bytes / secs / 1e9 : 0);
	fflush(f);
}

static void emit(FILE *f, const char *label, size_t bytes, int round,
		 int node, double secs)
{
	emit_sized(f, label, bytes >> 20, bytes, round, node, secs);
}

/* System CPU time of the calling thread, in seconds. */
static double thread_sys_secs(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		return 0;
	return ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The pid of the fast node's kswapd (kswapdN is node N's), or -1. */
static long kswapd_pid(void)
{
	static long pid = -1;
	char path[300], comm[64], want[32];
	struct dirent *d;
	DIR *proc;

	if (pid > 0)
		return pid;
	snprintf(want, sizeof(want), "kswapd%d", fast);
	proc = opendir("/proc");
	if (!proc)
		return -1;
	while (pid < 0 && (d = readdir(proc))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		if (!migoff_read_str(path, comm, sizeof(comm)) && !strcmp(comm, want))
			pid = strtol(d->d_name, NULL, 10);
	}
	closedir(proc);
	return pid;
}

static long long kswapd_ticks(void)
{
	char path[64], line[1024];
	long long ticks = -1;
	long pid = kswapd_pid();
	FILE *f;

	if (pid < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');
		unsigned long long ut, st;

		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
				&ut, &st) == 2)
			ticks = ut + st;
	}
	fclose(f);
	return ticks;
}

static int fail(const char *what, const char *label, int round)
{
	fprintf(stderr, "tier_bench: %s: %s, round %d\n", label, what, round);
	return -1;
}

/* memory.reclaim of @cg until @b is on the slow node; then promotion. */
static int reclaim_and_promote(const struct config *c, int round, size_t len,
			       const char *cg, FILE *wall, FILE *cpu,
			       FILE *pwall)
{
	char why[256], path[512];
	struct migoff_buf b;
	double t0, c0, t1;
	cpu_set_t cpus;
	long off;
	int i;

	if (migoff_buf_alloc(&b, len, KiB(4), fast, 0x71e0 + round, why, sizeof(why)))
		return fail(why, c->label, round);
	snprintf(path, sizeof(path), "%s/memory.reclaim", cg);
	t0 = migoff_now(CLOCK_MONOTONIC);
	c0 = migoff_now(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < 50 && migoff_pages_off_node(&b, slow); i++)
		migoff_write_file(path, "64M");
	t1 = migoff_now(CLOCK_MONOTONIC);
	emit(cpu, c->label, len, round, slow, migoff_now(CLOCK_THREAD_CPUTIME_ID) - c0);
	emit(wall, c->label, len, round, slow, t1 - t0);
	if (migoff_pages_off_node(&b, slow) || migoff_verify(b.mem, len, 0x71e0 + round) != -1) {
		migoff_buf_free(&b);
		return fail("not every page demoted with every byte right", c->label, round);
	}

	/*
	 * Promotion: NUMA balancing in tiering mode, reading from CPU 0, timed
	 * until all but a sixty-fourth of the pages are back (the last few
	 * wait on the scanner's next pass, which says nothing of the copy).
	 * After 300 s the time is recorded as it is, with a warning: a
	 * migrator too slow for promotion is a result, not a reason to lose
	 * the table. A wrong byte is a failure.
	 */
	CPU_ZERO(&cpus);
	CPU_SET(fast_cpu, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	migoff_write_file("/proc/sys/kernel/numa_balancing", "2");
	t0 = migoff_now(CLOCK_MONOTONIC);
	while ((off = migoff_pages_off_node(&b, fast)) > (long)(len / KiB(4) / 64) &&
	       migoff_now(CLOCK_MONOTONIC) - t0 < 300) {
		volatile uint64_t sum = 0;
		size_t k;

		for (k = 0; k < len; k += KiB(4))
			sum += *(volatile uint64_t *)(b.mem + k);
		usleep(10000);
	}
	t1 = migoff_now(CLOCK_MONOTONIC);
	migoff_write_file("/proc/sys/kernel/numa_balancing", "0");
	if (off > (long)(len / KiB(4) / 64))
		fprintf(stderr, "tier_bench: %s, round %d: %ld pages not promoted after %.0f s\n",
			c->label, round, off, t1 - t0);
	if (migoff_verify(b.mem, len, 0x71e0 + round) != -1) {
		migoff_buf_free(&b);
		return fail("a byte wrong after promotion", c->label, round);
	}
	emit(pwall, c->label, len, round, fast, t1 - t0);
	migoff_buf_free(&b);
	return 0;
}

/*
 * reclaim_and_promote() in a new process: a fresh mm and task start NUMA
 * balancing from its initial scan delay and period, whatever ran before.
 */
static int reclaim_and_promote_child(const struct config *c, int round, size_t len,
				     const char *cg, FILE *wall, FILE *cpu, FILE *pwall)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return fail("fork", c->label, round);
	if (!pid)
		_exit(reclaim_and_promote(c, round, len, cg, wall, cpu, pwall) ? 1 : 0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("the reclaim and promotion child failed", c->label, round);
	return 0;
}

/* Overfill node 0, bound to it: kswapd and direct reclaim demote. */
static int kswapd_phase(const struct config *c, int round, size_t extra,
			FILE *wall, FILE *cpu)
{
	long long free_kb = migoff_node_free_kb(fast), k0, k1;
	double s0, s1;
	unsigned long mask = 1UL << fast;
	size_t len = ((size_t)free_kb * 1024 + extra) & ~(MiB(2) - 1);
	uint64_t *w;
	double t0, t1;
	size_t i;
	char *mem;
	int bad = 0;

	if (free_kb < 0)
		return fail("no meminfo of the fast node", c->label, round);
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || madvise(mem, len, MADV_NOHUGEPAGE) ||
	    mbind(mem, len, MPOL_BIND, &mask, 8 * sizeof(mask), 0))
		return fail("mmap/mbind", c->label, round);
	w = (uint64_t *)mem;
	k0 = kswapd_ticks();
	s0 = thread_sys_secs();
	t0 = migoff_now(CLOCK_MONOTONIC);
	for (i = 0; i < len / 8; i++)
		w[i] = i * 0x9e3779b97f4a7c15ULL + round;
	t1 = migoff_now(CLOCK_MONOTONIC);
	s1 = thread_sys_secs();
	k1 = kswapd_ticks();
	for (i = 0; i < len / 8; i++)
		bad |= w[i] != i * 0x9e3779b97f4a7c15ULL + round;
	munmap(mem, len);
	if (bad)
		return fail("wrong bytes after kswapd demotion", c->label, round);
	/*
	 * The buffer is node 0's free memory plus @extra, so its size moves
	 * from round to round: rows are named by @extra so that rounds pair.
	 */
	emit_sized(wall, c->label, extra >> 20, len, round, slow, t1 - t0);
	emit_sized(cpu, c->label, extra >> 20, len, round, slow, (s1 - s0) +
		   (k0 >= 0 && k1 >= k0 ? (double)(k1 - k0) / sysconf(_SC_CLK_TCK) : 0));
	return 0;
}

static FILE *open_raw(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		perror(path);
	return f;
}

int main(int argc, char **argv)
{
	struct config cfg[MAX_CONFIGS];
	const char *cg = "/sys/fs/cgroup/tier-bench", *dir = ".";
	struct migoff_ctx *ctx;
	int ncfg = 0, rounds = 9, mib = 64, i, r;
	FILE *rw, *rc, *pw, *kw, *kc;
	char pid[32];

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "--config=", 9) && ncfg < MAX_CONFIGS) {
			if (config_parse(&cfg[ncfg++], a + 9))
				goto usage;
		} else if (!strncmp(a, "--rounds=", 9)) {
			rounds = atoi(a + 9);
		} else if (!strncmp(a, "--mib=", 6)) {
			mib = atoi(a + 6);
		} else if (!strncmp(a, "--cgroup=", 9)) {
			cg = a + 9;
		} else if (!strncmp(a, "--out=", 6)) {
			dir = a + 6;
		} else if (!strncmp(a, "--fast=", 7)) {
			fast = parse_node(a + 7);
		} else if (!strncmp(a, "--slow=", 7)) {
			slow = parse_node(a + 7);
		} else {
			goto usage;
		}
	}
	if (!ncfg || rounds < 1 || mib < 2 || fast < 0 || slow < 0 || fast == slow)
		goto usage;
	if (nodes_check())
		return 1;

	if (migoff_open(&ctx)) {
		perror(MIGOFF_DEVICE);
		return 1;
	}
	migoff_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	mkdir(cg, 0755);
	snprintf(pid, sizeof(pid), "%d", getpid());
	{
		char procs[512];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		if (migoff_write_file(procs, pid)) {
			fprintf(stderr, "tier_bench: cannot join %s\n", cg);
			return 1;
		}
	}
	rw = open_raw(dir, "tier-reclaim.txt");
	rc = open_raw(dir, "tier-reclaim-cpu.txt");
	pw = open_raw(dir, "tier-promote.txt");
	kw = open_raw(dir, "tier-kswapd.txt");
	kc = open_raw(dir, "tier-kswapd-cpu.txt");
	if (!rw || !rc || !pw || !kw || !kc)
		return 1;
	for (r = 0; r <= rounds; r++) {
		for (i = 0; i < ncfg; i++) {
			/* Rotate the order so no configuration always goes first. */
			const struct config *c = &cfg[(i + r) % ncfg];

			if (config_apply(ctx, c)) {
				fprintf(stderr, "tier_bench: cannot apply %s\n", c->label);
				return 1;
			}
			fprintf(stderr, "tier_bench: round %d %s\n", r, c->label);
			if (reclaim_and_promote_child(c, r, MiB(mib), cg, rw, rc, pw) ||
			    kswapd_phase(c, r, MiB(mib), kw, kc))
				return 1;
		}
	}
	migoff_disable(ctx, MIGOFF_REASONS_ALL);
	migoff_close(ctx);
	return 0;
usage:
	fprintf(stderr, "usage: tier_bench --config=LABEL:MIGRATOR[:NAME=VALUE,...]... "
		"[--mib=N] [--rounds=N] [--cgroup=DIR] [--out=DIR] [--fast=N] [--slow=M]\n");
	return 2;
}

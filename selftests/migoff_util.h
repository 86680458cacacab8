/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the migrate_offload selftests: buffers on a NUMA node
 * with a chosen folio size, move_pages(2) with per-page checks, byte-exact
 * verification, and the test migrator's controls.
 */
#ifndef MIGOFF_UTIL_H
#define MIGOFF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define KiB(x)	((size_t)(x) << 10)
#define MiB(x)	((size_t)(x) << 20)

/* A buffer whose folios all have one size. */
struct migoff_buf {
	char *mem;		/* aligned to folio_size */
	size_t len;
	size_t folio_size;	/* 4 KiB, 64 KiB mTHP or 2 MiB THP */
	void *map;		/* the whole mapping, for munmap */
	size_t map_len;
};

/*
 * Map @len bytes on @node in folios of @folio_size and fill them with the
 * pattern of @seed. Returns 0, or a negative errno with a message in @why.
 * For large folios, fails with -EOPNOTSUPP unless every folio really is
 * that large (the kernel may silently fall back to small pages).
 */
int migoff_buf_alloc(struct migoff_buf *b, size_t len, size_t folio_size,
		     int node, uint64_t seed, char *why, size_t why_len);
void migoff_buf_free(struct migoff_buf *b);

/* The pattern: every 8-byte word depends on @seed and its offset. */
void migoff_fill(void *mem, size_t len, uint64_t seed);
/* Returns the offset of the first wrong byte, or -1 when all are right. */
long migoff_verify(const void *mem, size_t len, uint64_t seed);

/*
 * Move the buffer to @node with move_pages(2), one address per folio (as a
 * tiering daemon would), check the return value and each folio's status,
 * then query the node of every 4 KiB page. Returns 0, or -1 with a message
 * in @why. If @secs is not NULL, it gets the time move_pages(2) took.
 */
int migoff_move(struct migoff_buf *b, int node, double *secs,
		char *why, size_t why_len);

/*
 * move_pages(2) of the buffer to @node where some folios may stay behind
 * (a DMA copy that timed out undoes their migration): the call must not
 * fail, and afterwards every 4 KiB page must be on @node or on @from.
 * @not_moved gets the pages still on @from. 0, or -1 with @why set.
 */
int migoff_move_some(struct migoff_buf *b, int node, int from, long *not_moved,
		     char *why, size_t why_len);

/*
 * Fork a child that maps @len bytes of 4 KiB folios on node 0 filled with
 * the pattern of @seed, moves them to node 1 with migoff_move() and checks
 * every byte; it exits 0, or 1 with a message on stderr. Returns the
 * child's pid (-1 if fork failed), for waitpid().
 */
pid_t migoff_fork_mover(size_t len, uint64_t seed);

/*
 * Splats in the kernel log so far: lines with "WARNING:", "BUG:",
 * "Oops", "KASAN" or "INFO: " (lockdep); compare before and after. -1 on
 * error.
 */
long migoff_kernel_splats(void);

/* @clk (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...) in seconds. */
double migoff_now(clockid_t clk);

/* migoff_move(), also giving the CPU time this thread spent in move_pages(2). */
int migoff_move_cpu(struct migoff_buf *b, int node, double *secs,
		    double *cpu_secs, char *why, size_t why_len);

/*
 * Map @len bytes of @folio_size folios on node 0, move them to node 1 and
 * back, checking every status, page node and byte. 0, or -1 with @why set.
 */
int migoff_round_trip(size_t len, size_t folio_size, uint64_t seed,
		      char *why, size_t why_len);

/*
 * A thread that moves @len bytes of 4 KiB folios back and forth, verifying
 * each move, until @stop; @failed and @why report the first problem.
 */
struct migoff_mover {
	size_t len;
	volatile bool stop;
	volatile long rounds;
	volatile int failed;
	char why[256];
};
void *migoff_mover_thread(void *arg);
/* Wait until the mover completed @n more rounds (or failed). */
void migoff_mover_wait(struct migoff_mover *m, long n);

/* Number of 4 KiB pages of @b not on @node (after querying each one). */
long migoff_pages_off_node(struct migoff_buf *b, int node);

/* MemFree of a NUMA node in kB, or -1. */
long long migoff_node_free_kb(int node);

/* /proc/vmstat counter, or -1. */
long long migoff_vmstat(const char *name);

/* A module's parameter DIR NAME (DIR ends with '/'): its value, or -1. */
long long migoff_param_get(const char *dir, const char *name);
/* Set it: 0 or -errno. */
int migoff_param_set(const char *dir, const char *name, const char *val);

/* Sysfs/procfs scalar files. Return 0 or -errno. */
int migoff_write_file(const char *path, const char *val);
int migoff_read_ll(const char *path, long long *val);
int migoff_read_str(const char *path, char *buf, size_t len);

/* Parameters of the test migrator module (migoff_testmig). */
#define TESTMIG_PARAM_DIR "/sys/module/migoff_testmig/parameters/"
int testmig_set(const char *param, const char *val);
long long testmig_get(const char *param);
bool testmig_loaded(void);
/* insmod/rmmod of migoff_testmig (see migoff_mod_load()). 0 or -errno. */
int testmig_load(void);
int testmig_unload(void);

/* insmod $MIGOFF_MODDIR/<name>.ko with @params / rmmod <name>. 0 or -errno. */
int migoff_mod_load(const char *name, const char *params);
int migoff_mod_unload(const char *name);
bool migoff_mod_loaded(const char *name);

/* Transparent hugepage settings, saved and restored around a test. */
struct migoff_thp_state {
	char enabled[32];
	char size_enabled[8][32];	/* per mTHP size, see .c */
};
int migoff_thp_save(struct migoff_thp_state *s);
void migoff_thp_restore(const struct migoff_thp_state *s);

/* Disable automatic NUMA balancing, which moves pages back under a test. */
int migoff_numa_balancing_off(void);

/*
 * The cgroup v2 directory MIGOFF_CGROUP_ROOT NAME, made if missing, opened
 * (an fd, or -errno); removed (when empty).
 */
#define MIGOFF_CGROUP_ROOT "/sys/fs/cgroup/"
int migoff_cg_open(const char *name);
void migoff_cg_remove(const char *name);

/*
 * The mm/migrate tracepoints of the series, through tracefs: turn one event
 * of the "migrate" group on (and every other off) with an empty buffer, and
 * read back the largest value of @field ("nr_folios", "latency_ns", ...)
 * over the recorded @event lines whose reason is @reason. migoff_trace_max()
 * returns -1 when no such line was recorded; *@count gets their number.
 */
/* The statistics (and mtcopy's fault injection) of two migrators, in debugfs. */
#define MIGOFF_DCBM_DEBUGFS	"/sys/kernel/debug/migoff_dcbm/"
#define MIGOFF_MTCOPY_DEBUGFS	"/sys/kernel/debug/migoff_mtcopy/"
#define MIGOFF_TRACEFS "/sys/kernel/tracing/"
int migoff_trace_start(const char *event);
void migoff_trace_stop(const char *event);
/* The same for an event of another group ("ras", ...). */
int migoff_trace_group_start(const char *group, const char *event);
void migoff_trace_group_stop(const char *group, const char *event);
long long migoff_trace_max(const char *event, const char *reason,
			   const char *field, long *count);
/* Up to @max values of @field of those lines into @v: how many, or -1. */
int migoff_trace_values(const char *event, const char *reason,
			const char *field, long long *v, int max);

#endif

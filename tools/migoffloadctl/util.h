/* SPDX-License-Identifier: GPL-2.0 */
/* migoffloadctl's pure helpers: number parsing, statistics samples. */
#ifndef MIGOFFLOADCTL_UTIL_H
#define MIGOFFLOADCTL_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "migoffload.h"

/* Decimal only: no sign, no blanks, no base prefix; 0, -EINVAL or -ERANGE. */
int parse_u64(const char *s, uint64_t *v);
/* parse_u64() with an optional K, M or G (powers of 1024) suffix. */
int parse_size(const char *s, uint64_t *v);
/*
 * A time in microseconds: a decimal number with an optional unit, "us"
 * (the default), "ms" or "s"; "off" is 0. 0, -EINVAL or -ERANGE (past
 * UINT64_MAX microseconds; the caller checks its own limit).
 */
int parse_time_us(const char *s, uint64_t *us);

/* One statistics sample: every entry of the dump, however many. */
struct sample {
	size_t n, cap;
	struct migoff_stats_entry *e;
	struct timespec when;		/* CLOCK_MONOTONIC, after the dump */
};

int sample_add(struct sample *s, const struct migoff_stats_entry *e);
void sample_clear(struct sample *s);
void sample_free(struct sample *s);
/*
 * The entry of @s for the same reason, migrator (id), cgroup or auto size
 * class (reason and min_pages) as @e.
 */
const struct migoff_stats_entry *sample_find(const struct sample *s,
					     const struct migoff_stats_entry *e);
/* cur - prev of a counter; a counter that went back was reset: cur. */
uint64_t counter_delta(uint64_t cur, uint64_t prev);
/* Seconds from @a to @b. */
double elapsed(const struct timespec *a, const struct timespec *b);

/*
 * Replace @path by the @len bytes of @buf atomically: a temporary file in
 * the same directory is written, fsynced and renamed over @path, then the
 * directory is fsynced; a reader sees the old file or the new one, whole,
 * even after a crash. An existing file keeps its permission bits, a new one
 * gets 0644 less the umask. 0, or -errno with @path untouched and no
 * temporary file left.
 */
int write_file_atomic(const char *path, const void *buf, size_t len);

/*
 * @path is a cgroup v2 directory: 0, -ENOENT (it does not exist), -ENOTDIR
 * (not a directory), -EMEDIUMTYPE (not on a cgroup2 file system), or
 * another -errno.
 */
int cgroup_state(const char *path);
/*
 * The directory under @root (a cgroup2 mount, /sys/fs/cgroup) of the cgroup
 * whose id is @id (on 64-bit kernels, the cgroup id is the inode number of
 * its directory), relative to @root, or @root itself for its root: 0, or
 * -ENOENT (no such cgroup: it was removed), -ENAMETOOLONG, -errno.
 */
int cgroup_path_of_id(const char *root, uint64_t id, char *path, size_t len);

/*
 * Which of the @n @names @word is: its exact name, else the only one it is
 * a prefix of ('sh' for "show"). The index, -1 if none (an empty word is
 * none), -2 if @word begins several.
 */
int prefix_match(const char *word, const char *const *names, size_t n);

#endif

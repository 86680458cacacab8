// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif

static int digits(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (*p - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (*p - '0');
	}
	*s = p;
	*v = x;
	return 0;
}

int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x;
	int err;

	if (!s)
		return -EINVAL;
	err = digits(&s, &x);
	if (err)
		return err;
	if (*s)
		return -EINVAL;
	*v = x;
	return 0;
}

int parse_size(const char *s, uint64_t *v)
{
	unsigned int shift = 0;
	uint64_t x;
	int err;

	if (!s)
		return -EINVAL;
	err = digits(&s, &x);
	if (err)
		return err;
	switch (*s) {
	case 'K': case 'k': shift = 10; s++; break;
	case 'M': case 'm': shift = 20; s++; break;
	case 'G': case 'g': shift = 30; s++; break;
	}
	if (*s)
		return -EINVAL;
	if (x > (UINT64_MAX >> shift))
		return -ERANGE;
	*v = x << shift;
	return 0;
}

int parse_time_us(const char *s, uint64_t *us)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = { { "", 1 }, { "us", 1 }, { "ms", 1000 }, { "s", 1000000 } };
	unsigned int i;
	uint64_t x;
	int err;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "off")) {
		*us = 0;
		return 0;
	}
	err = digits(&s, &x);
	if (err)
		return err;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].unit))
			continue;
		if (x > UINT64_MAX / units[i].mult)
			return -ERANGE;
		*us = x * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int sample_add(struct sample *s, const struct migoff_stats_entry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct migoff_stats_entry *t = realloc(s->e, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		s->e = t;
		s->cap = cap;
	}
	s->e[s->n++] = *e;
	return 0;
}

void sample_clear(struct sample *s)
{
	s->n = 0;
}

void sample_free(struct sample *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

const struct migoff_stats_entry *sample_find(const struct sample *s,
					     const struct migoff_stats_entry *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct migoff_stats_entry *p = &s->e[i];

		if (p->scope != e->scope)
			continue;
		if (e->scope == MIGOFF_STATS_CGROUP ? p->quota.cgroup_id == e->quota.cgroup_id :
		    p->index == e->index && !strcmp(p->name, e->name) &&
		    (e->scope != MIGOFF_STATS_AUTO ||
		     p->auto_class.min_pages == e->auto_class.min_pages))
			return p;
	}
	return NULL;
}

uint64_t counter_delta(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : cur;
}

double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

int write_file_atomic(const char *path, const void *buf, size_t len)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	char dir[4096], tmp[4096 + 16];
	const char *p = buf;
	struct stat st;
	mode_t mask;
	int fd, dfd, err = 0;
	ssize_t n;

	if (!*base)
		return -EISDIR;
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (!stat(path, &st)) {
		err = fchmod(fd, st.st_mode & 07777) ? -errno : 0;
	} else {
		mask = umask(0);
		umask(mask);
		err = fchmod(fd, 0644 & ~mask) ? -errno : 0;
	}
	while (!err && len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
		} else {
			p += n;
			len -= n;
		}
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	/* The rename itself, on disk. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int cgroup_state(const char *path)
{
	struct statfs fs;
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (statfs(path, &fs))
		return -errno;
	return fs.f_type == CGROUP2_SUPER_MAGIC ? 0 : -EMEDIUMTYPE;
}

/* Depth-first under @path (@n bytes long, @cap the buffer): 0 when found. */
static int find_ino(char *path, size_t n, size_t cap, dev_t dev, uint64_t id, int depth)
{
	struct dirent *d;
	struct stat st;
	DIR *dir;
	size_t m;
	int err = -ENOENT;

	if (depth > 64)
		return -ENOENT;
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ENOENT : -errno;
	while (err == -ENOENT && (d = readdir(dir))) {
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		m = n + 1 + strlen(d->d_name);
		if (m >= cap) {
			err = -ENAMETOOLONG;
			break;
		}
		snprintf(path + n, cap - n, "/%s", d->d_name);
		if (lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_dev != dev)
			continue;
		if ((uint64_t)st.st_ino == id)
			err = 0;
		else
			err = find_ino(path, m, cap, dev, id, depth + 1);
	}
	closedir(dir);
	if (err)
		path[n] = '\0';
	return err;
}

int cgroup_path_of_id(const char *root, uint64_t id, char *path, size_t len)
{
	char buf[4096];
	struct stat st;
	size_t n = strlen(root);
	int err;

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	if (stat(root, &st))
		return -errno;
	if ((uint64_t)st.st_ino == id) {
		if ((size_t)snprintf(path, len, "%.*s", (int)n, root) >= len)
			return -ENAMETOOLONG;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)n, root);
	err = find_ino(buf, n, sizeof(buf), st.st_dev, id, 0);
	if (err)
		return err;
	if ((size_t)snprintf(path, len, "%s", buf + n + 1) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * As 'ip l s' is 'ip link set'. An exact word wins, so that a name that
 * also begins a longer one can still be given.
 */
int prefix_match(const char *word, const char *const *names, size_t n)
{
	size_t i, len = strlen(word);
	int found = -1;

	if (!len)
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(word, names[i]))
			return i;
	for (i = 0; i < n; i++) {
		if (strncmp(word, names[i], len))
			continue;
		if (found >= 0)
			return -2;
		found = i;
	}
	return found;
}

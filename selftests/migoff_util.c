// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include "migoff_util.h"

#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <numaif.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE_4K		4096UL
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16

static void why_set(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void migoff_fill(void *mem, size_t len, uint64_t seed)
{
	uint64_t *w = mem;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = mix64(seed ^ (i * 8));
}

long migoff_verify(const void *mem, size_t len, uint64_t seed)
{
	const uint64_t *w = mem;
	size_t i;

	for (i = 0; i < len / 8; i++) {
		uint64_t want = mix64(seed ^ (i * 8));

		if (w[i] != want) {
			const unsigned char *a = (const void *)&w[i];
			const unsigned char *b = (const void *)&want;
			int j;

			for (j = 0; j < 8 && a[j] == b[j]; j++)
				;
			return (long)(i * 8 + j);
		}
	}
	return -1;
}

int migoff_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

int migoff_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int migoff_read_ll(const char *path, long long *val)
{
	char buf[64], *end;
	int err = migoff_read_str(path, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	*val = strtoll(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

long long migoff_vmstat(const char *name)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char key[128];
	long long v, ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%127s %lld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			ret = v;
			break;
		}
	}
	fclose(f);
	return ret;
}

int testmig_set(const char *param, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), TESTMIG_PARAM_DIR "%s", param);
	return migoff_write_file(path, val);
}

long long testmig_get(const char *param)
{
	char path[256];
	long long v;

	snprintf(path, sizeof(path), TESTMIG_PARAM_DIR "%s", param);
	return migoff_read_ll(path, &v) ? -1 : v;
}

bool testmig_loaded(void)
{
	return access("/sys/module/migoff_testmig", F_OK) == 0;
}

int testmig_load(void)
{
	return migoff_mod_load("migoff_testmig", NULL);
}

int testmig_unload(void)
{
	return migoff_mod_unload("migoff_testmig");
}

int migoff_mod_load(const char *name, const char *params)
{
	const char *dir = getenv("MIGOFF_MODDIR");
	char path[512];
	int fd, err = 0;

	if (!dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s.ko", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		err = -errno;
	close(fd);
	return err;
}

int migoff_mod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

bool migoff_mod_loaded(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

static const char * const thp_sizes[8] = {
	"16", "32", "64", "128", "256", "512", "1024", "2048"
};

static void thp_size_path(char *path, size_t len, const char *kb)
{
	snprintf(path, len,
		 "/sys/kernel/mm/transparent_hugepage/hugepages-%skB/enabled", kb);
}

/* Read "always [madvise] never" as "madvise". */
static int thp_read_choice(const char *path, char *out, size_t len)
{
	char buf[128], *l, *r;
	int err = migoff_read_str(path, buf, sizeof(buf));

	if (err)
		return err;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r)
		return -EINVAL;
	*r = '\0';
	snprintf(out, len, "%s", l + 1);
	return 0;
}

int migoff_thp_save(struct migoff_thp_state *s)
{
	char path[128];
	int i, err;

	err = thp_read_choice("/sys/kernel/mm/transparent_hugepage/enabled",
			      s->enabled, sizeof(s->enabled));
	if (err)
		return err;
	for (i = 0; i < 8; i++) {
		thp_size_path(path, sizeof(path), thp_sizes[i]);
		if (thp_read_choice(path, s->size_enabled[i],
				    sizeof(s->size_enabled[i])))
			s->size_enabled[i][0] = '\0';
	}
	return 0;
}

void migoff_thp_restore(const struct migoff_thp_state *s)
{
	char path[128];
	int i;

	migoff_write_file("/sys/kernel/mm/transparent_hugepage/enabled",
			  s->enabled);
	for (i = 0; i < 8; i++) {
		if (!s->size_enabled[i][0])
			continue;
		thp_size_path(path, sizeof(path), thp_sizes[i]);
		migoff_write_file(path, s->size_enabled[i]);
	}
}

/* Allow anonymous large folios of exactly @folio_size under MADV_HUGEPAGE. */
static int thp_allow_only(size_t folio_size)
{
	char path[128], kb[32];
	int i, err;

	err = migoff_write_file("/sys/kernel/mm/transparent_hugepage/enabled",
				"madvise");
	if (err)
		return err;
	snprintf(kb, sizeof(kb), "%zu", folio_size >> 10);
	for (i = 0; i < 8; i++) {
		thp_size_path(path, sizeof(path), thp_sizes[i]);
		if (access(path, F_OK))
			continue;
		err = migoff_write_file(path, strcmp(kb, thp_sizes[i]) ?
					"never" : "madvise");
		if (err)
			return err;
	}
	thp_size_path(path, sizeof(path), kb);
	return access(path, F_OK) ? -EOPNOTSUPP : 0;
}

/*
 * Check with pagemap and kpageflags that [mem, mem+len) is made of folios of
 * exactly @folio_size: a compound head at each folio start, tails after it.
 */
static int check_folio_layout(const char *mem, size_t len, size_t folio_size,
			      char *why, size_t why_len)
{
	size_t npages = len / PAGE_4K, per = folio_size / PAGE_4K, i;
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kf = open("/proc/kpageflags", O_RDONLY);
	int ret = 0;

	if (pm < 0 || kf < 0) {
		why_set(why, why_len, "cannot open pagemap/kpageflags: %s",
			strerror(errno));
		ret = -errno;
		goto out;
	}
	for (i = 0; i < npages; i++) {
		uint64_t ent, flags, pfn;
		bool head, tail, want_head = per > 1 && i % per == 0;
		bool want_tail = per > 1 && i % per != 0;
		off_t off = (off_t)((uintptr_t)(mem + i * PAGE_4K) / PAGE_4K) * 8;

		if (pread(pm, &ent, 8, off) != 8 || !(ent >> 63)) {
			why_set(why, why_len, "page %zu not present", i);
			ret = -EFAULT;
			goto out;
		}
		pfn = ent & ((1ULL << 55) - 1);
		if (!pfn || pread(kf, &flags, 8, (off_t)pfn * 8) != 8) {
			why_set(why, why_len, "no page flags for page %zu (need root)", i);
			ret = -EPERM;
			goto out;
		}
		head = flags & (1ULL << KPF_COMPOUND_HEAD);
		tail = flags & (1ULL << KPF_COMPOUND_TAIL);
		if (head != want_head || tail != want_tail) {
			why_set(why, why_len,
				"page %zu of %zu: head=%d tail=%d, not a %zu KiB folio layout",
				i, npages, head, tail, folio_size >> 10);
			ret = -EOPNOTSUPP;
			goto out;
		}
	}
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return ret;
}

int migoff_buf_alloc(struct migoff_buf *b, size_t len, size_t folio_size,
		     int node, uint64_t seed, char *why, size_t why_len)
{
	unsigned long mask = 1UL << node;
	uintptr_t start;
	int err;

	memset(b, 0, sizeof(*b));
	if (folio_size > PAGE_4K) {
		err = thp_allow_only(folio_size);
		if (err) {
			why_set(why, why_len, "cannot allow %zu KiB THPs: %s",
				folio_size >> 10, strerror(-err));
			return err;
		}
	}
	b->map_len = len + folio_size;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED) {
		err = -errno;
		why_set(why, why_len, "mmap %zu bytes: %s", b->map_len, strerror(errno));
		b->map = NULL;
		return err;
	}
	start = ((uintptr_t)b->map + folio_size - 1) & ~(uintptr_t)(folio_size - 1);
	b->mem = (char *)start;
	b->len = len;
	b->folio_size = folio_size;

	if (madvise(b->mem, len, folio_size > PAGE_4K ? MADV_HUGEPAGE :
		    MADV_NOHUGEPAGE)) {
		err = -errno;
		why_set(why, why_len, "madvise: %s", strerror(errno));
		goto fail;
	}
	if (mbind(b->mem, len, MPOL_BIND, &mask, sizeof(mask) * 8, 0)) {
		err = -errno;
		why_set(why, why_len, "mbind to node %d: %s", node, strerror(errno));
		goto fail;
	}
	migoff_fill(b->mem, len, seed);
	/* Back to the default policy: only move_pages(2) places pages now. */
	if (mbind(b->mem, len, MPOL_DEFAULT, NULL, 0, 0)) {
		err = -errno;
		why_set(why, why_len, "mbind default: %s", strerror(errno));
		goto fail;
	}
	err = check_folio_layout(b->mem, len, folio_size, why, why_len);
	if (err)
		goto fail;
	if (migoff_pages_off_node(b, node)) {
		why_set(why, why_len, "buffer not entirely on node %d after mbind", node);
		err = -EFAULT;
		goto fail;
	}
	return 0;
fail:
	migoff_buf_free(b);
	return err;
}

void migoff_buf_free(struct migoff_buf *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	memset(b, 0, sizeof(*b));
}

long migoff_pages_off_node(struct migoff_buf *b, int node)
{
	size_t n = b->len / PAGE_4K, i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));
	long off = -1;

	if (!pages || !status)
		goto out;
	for (i = 0; i < n; i++)
		pages[i] = b->mem + i * PAGE_4K;
	if (move_pages(0, n, pages, NULL, status, 0))
		goto out;
	off = 0;
	for (i = 0; i < n; i++)
		off += status[i] != node;
out:
	free(pages);
	free(status);
	return off;
}

double migoff_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int migoff_move(struct migoff_buf *b, int node, double *secs,
		char *why, size_t why_len)
{
	return migoff_move_cpu(b, node, secs, NULL, why, why_len);
}

int migoff_move_cpu(struct migoff_buf *b, int node, double *secs,
		    double *cpu_secs, char *why, size_t why_len)
{
	double t0, c0;

	size_t n = b->len / b->folio_size, i;
	void **pages = calloc(n, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes));
	int *status = calloc(n, sizeof(*status));
	long ret, off;
	int rc = -1;

	if (!pages || !nodes || !status) {
		why_set(why, why_len, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		pages[i] = b->mem + i * b->folio_size;
		nodes[i] = node;
		status[i] = -12345;
	}
	c0 = migoff_now(CLOCK_THREAD_CPUTIME_ID);
	t0 = migoff_now(CLOCK_MONOTONIC);
	ret = move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE);
	if (secs)
		*secs = migoff_now(CLOCK_MONOTONIC) - t0;
	if (cpu_secs)
		*cpu_secs = migoff_now(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (ret) {
		why_set(why, why_len, "move_pages to node %d returned %ld (%s)",
			node, ret, ret < 0 ? strerror(errno) : "pages not moved");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (status[i] != node) {
			why_set(why, why_len, "move_pages status[%zu] = %d, want node %d",
				i, status[i], node);
			goto out;
		}
	}
	off = migoff_pages_off_node(b, node);
	if (off) {
		why_set(why, why_len, "%ld 4 KiB pages not on node %d after the move",
			off, node);
		goto out;
	}
	rc = 0;
out:
	free(pages);
	free(nodes);
	free(status);
	return rc;
}

pid_t migoff_fork_mover(size_t len, uint64_t seed)
{
	struct migoff_buf b;
	char why[256];
	pid_t pid = fork();

	if (pid)
		return pid;
	if (migoff_buf_alloc(&b, len, KiB(4), 0, seed, why, sizeof(why)) ||
	    migoff_move(&b, 1, NULL, why, sizeof(why)) ||
	    migoff_verify(b.mem, b.len, seed) != -1) {
		fprintf(stderr, "slow mover: %s\n", why);
		_exit(1);
	}
	_exit(0);
}

int migoff_move_some(struct migoff_buf *b, int node, int from, long *not_moved,
		     char *why, size_t why_len)
{
	size_t n = b->len / b->folio_size, np = b->len / PAGE_4K, i;
	void **pages = calloc(np, sizeof(*pages));
	int *nodes = calloc(n, sizeof(*nodes));
	int *status = calloc(np, sizeof(*status));
	long ret;
	int rc = -1;

	*not_moved = 0;
	if (!pages || !nodes || !status) {
		why_set(why, why_len, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		pages[i] = b->mem + i * b->folio_size;
		nodes[i] = node;
	}
	ret = move_pages(0, n, pages, nodes, status, MPOL_MF_MOVE);
	if (ret < 0) {
		why_set(why, why_len, "move_pages to node %d failed: %s", node,
			strerror(errno));
		goto out;
	}
	for (i = 0; i < np; i++)
		pages[i] = b->mem + i * PAGE_4K;
	if (move_pages(0, np, pages, NULL, status, 0)) {
		why_set(why, why_len, "querying the pages' nodes failed: %s",
			strerror(errno));
		goto out;
	}
	for (i = 0; i < np; i++) {
		if (status[i] != node && status[i] != from) {
			why_set(why, why_len, "page %zu on node %d, neither %d nor %d",
				i, status[i], node, from);
			goto out;
		}
		*not_moved += status[i] == from;
	}
	rc = 0;
out:
	free(pages);
	free(nodes);
	free(status);
	return rc;
}

long migoff_kernel_splats(void)
{
	static const char * const pat[] = { "WARNING:", "BUG:", "Oops", "KASAN",
					    "INFO: " };
	int size = klogctl(10, NULL, 0);	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf, *line, *save = NULL;
	long n = 0;
	unsigned int i;
	int len;

	if (size <= 0)
		return -1;
	buf = malloc(size + 1);
	if (!buf)
		return -1;
	len = klogctl(3, buf, size);	/* SYSLOG_ACTION_READ_ALL */
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (i = 0; i < sizeof(pat) / sizeof(pat[0]); i++)
			if (strstr(line, pat[i])) {
				n++;
				break;
			}
	free(buf);
	return n;
}

long long migoff_param_get(const char *dir, const char *name)
{
	char path[256];
	long long v;

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return migoff_read_ll(path, &v) ? -1 : v;
}

int migoff_param_set(const char *dir, const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s%s", dir, name);
	return migoff_write_file(path, val);
}

int migoff_numa_balancing_off(void)
{
	int err = migoff_write_file("/proc/sys/kernel/numa_balancing", "0");

	return err == -ENOENT ? 0 : err;
}

int migoff_cg_open(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), MIGOFF_CGROUP_ROOT "%s", name);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void migoff_cg_remove(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), MIGOFF_CGROUP_ROOT "%s", name);
	rmdir(path);
}

int migoff_round_trip(size_t len, size_t folio_size, uint64_t seed,
		      char *why, size_t why_len)
{
	int i, nodes[2] = { 1, 0 };
	struct migoff_buf b;
	long bad;

	if (migoff_buf_alloc(&b, len, folio_size, 0, seed, why, why_len))
		return -1;
	for (i = 0; i < 2; i++) {
		if (migoff_move(&b, nodes[i], NULL, why, why_len))
			goto fail;
		bad = migoff_verify(b.mem, len, seed);
		if (bad != -1) {
			why_set(why, why_len, "byte %ld wrong after the move to node %d",
				bad, nodes[i]);
			goto fail;
		}
	}
	migoff_buf_free(&b);
	return 0;
fail:
	migoff_buf_free(&b);
	return -1;
}

void *migoff_mover_thread(void *arg)
{
	struct migoff_mover *m = arg;
	struct migoff_buf b;
	int node = 1;
	long bad;

	if (migoff_buf_alloc(&b, m->len, 4096, 0, 0xbee, m->why, sizeof(m->why))) {
		__atomic_store_n(&m->failed, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	while (!__atomic_load_n(&m->stop, __ATOMIC_SEQ_CST)) {
		if (migoff_move(&b, node, NULL, m->why, sizeof(m->why))) {
			__atomic_store_n(&m->failed, 1, __ATOMIC_SEQ_CST);
			break;
		}
		bad = migoff_verify(b.mem, b.len, 0xbee);
		if (bad != -1) {
			why_set(m->why, sizeof(m->why), "byte %ld wrong after the move to node %d",
				bad, node);
			__atomic_store_n(&m->failed, 1, __ATOMIC_SEQ_CST);
			break;
		}
		node = !node;
		__atomic_add_fetch(&m->rounds, 1, __ATOMIC_SEQ_CST);
	}
	migoff_buf_free(&b);
	return NULL;
}

void migoff_mover_wait(struct migoff_mover *m, long n)
{
	long start = __atomic_load_n(&m->rounds, __ATOMIC_SEQ_CST);

	while (__atomic_load_n(&m->rounds, __ATOMIC_SEQ_CST) < start + n &&
	       !__atomic_load_n(&m->failed, __ATOMIC_SEQ_CST))
		usleep(1000);
}

int migoff_trace_group_start(const char *group, const char *event)
{
	char path[256];
	int err;

	snprintf(path, sizeof(path), MIGOFF_TRACEFS "events/%s/enable", group);
	err = migoff_write_file(path, "0");
	if (err)
		return err;
	snprintf(path, sizeof(path), MIGOFF_TRACEFS "events/%s/%s/enable", group, event);
	err = migoff_write_file(path, "1");
	if (err)
		return err;
	/* Opening "trace" for writing with O_TRUNC empties the buffer. */
	err = open(MIGOFF_TRACEFS "trace", O_WRONLY | O_TRUNC);
	if (err < 0)
		return -errno;
	close(err);
	return migoff_write_file(MIGOFF_TRACEFS "tracing_on", "1");
}

void migoff_trace_group_stop(const char *group, const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), MIGOFF_TRACEFS "events/%s/%s/enable", group, event);
	migoff_write_file(path, "0");
}

int migoff_trace_start(const char *event)
{
	return migoff_trace_group_start("migrate", event);
}

void migoff_trace_stop(const char *event)
{
	migoff_trace_group_stop("migrate", event);
}

/*
 * Call @fn with the value of @field of each recorded @event line whose
 * reason is @reason, until it returns false. -1 if the trace cannot be read.
 */
static int trace_scan(const char *event, const char *reason, const char *field,
		      bool (*fn)(long long v, void *arg), void *arg)
{
	FILE *f = fopen(MIGOFF_TRACEFS "trace", "r");
	char line[1024], ev[128], rs[128], fd[128];

	if (!f)
		return -1;
	snprintf(ev, sizeof(ev), " %s: ", event);
	snprintf(rs, sizeof(rs), "reason=%s ", reason);
	snprintf(fd, sizeof(fd), " %s=", field);
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (line[0] == '#' || !strstr(line, ev) || !strstr(line, rs))
			continue;
		p = strstr(line, fd);
		if (p && !fn(strtoll(p + strlen(fd), NULL, 10), arg))
			break;
	}
	fclose(f);
	return 0;
}

struct trace_max_acc {
	long long max;
	long n;
};

static bool trace_max_one(long long v, void *arg)
{
	struct trace_max_acc *a = arg;

	if (v > a->max)
		a->max = v;
	a->n++;
	return true;
}

long long migoff_trace_max(const char *event, const char *reason,
			   const char *field, long *count)
{
	struct trace_max_acc a = { .max = -1 };

	if (trace_scan(event, reason, field, trace_max_one, &a))
		return -1;
	if (count)
		*count = a.n;
	return a.max;
}

struct trace_values_acc {
	long long *v;
	int n, max;
};

static bool trace_values_one(long long v, void *arg)
{
	struct trace_values_acc *a = arg;

	a->v[a->n++] = v;
	return a->n < a->max;
}

int migoff_trace_values(const char *event, const char *reason,
			const char *field, long long *v, int max)
{
	struct trace_values_acc a = { .v = v, .max = max };

	if (max <= 0)
		return 0;
	if (trace_scan(event, reason, field, trace_values_one, &a))
		return -1;
	return a.n;
}

long long migoff_node_free_kb(int node)
{
	char path[96], line[256];
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/meminfo", node);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "MemFree:"))
			sscanf(strstr(line, "MemFree:") + 8, "%lld", &kb);
	fclose(f);
	return kb;
}

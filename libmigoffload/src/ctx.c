// SPDX-License-Identifier: LGPL-2.1-or-later
/* The context and the ioctl calls. */
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "internal.h"

static int ioc(struct migoff_ctx *ctx, unsigned long req, void *arg)
{
	if (!ctx)
		return migoff_ret(-EINVAL);
	if (ctx->xfer_ioctl)
		return migoff_ret(ctx->xfer_ioctl(ctx->xfer_arg, req, arg));
	return ioctl(ctx->fd, req, arg) ? migoff_ret(-errno) : 0;
}

/* 0 if the kernel behind @ctx reports @feature, else -EOPNOTSUPP (-EINVAL: no ctx). */
static int need(const struct migoff_ctx *ctx, uint64_t feature)
{
	if (!ctx)
		return -EINVAL;
	return ctx->features & feature ? 0 : -EOPNOTSUPP;
}

_Static_assert(sizeof(struct migoff_info) >= MIGOFF_INFO_SIZE_VER0, "info shrank");
_Static_assert(sizeof(struct migoff_migrator) >= MIGOFF_MIGRATOR_SIZE_VER0, "migrator shrank");
_Static_assert(sizeof(struct migoff_quota) >= MIGOFF_QUOTA_SIZE_VER0, "quota shrank");
_Static_assert(sizeof(struct migoff_event) >= MIGOFF_EVENT_SIZE_VER0, "event shrank");
_Static_assert(offsetof(struct migoff_stats_entry, quota) + sizeof(struct migoff_quota) ==
	       sizeof(struct migoff_stats_entry), "quota is the last member");
/* The sizes the uapi header announces are those of its structs. */
_Static_assert(sizeof(struct migoff_routes) == MIGOFF_ROUTES_SIZE_VER1, "routes size");
_Static_assert(offsetof(struct migoff_routes, auto_reasons) == MIGOFF_ROUTES_SIZE_VER0,
	       "auto_reasons appended");
_Static_assert(sizeof(struct migoff_batch) == MIGOFF_BATCH_SIZE_VER1, "batch size");
_Static_assert(offsetof(struct migoff_batch, latency_us) == MIGOFF_BATCH_SIZE_VER0,
	       "latency_us appended");
_Static_assert(sizeof(struct migoff_auto) >= MIGOFF_AUTO_SIZE_VER0, "auto shrank");

int migoff_user_size(const void *p, size_t ver0, size_t *size)
{
	uint32_t usize;

	if (!p)
		return -EINVAL;
	memcpy(&usize, p, sizeof(usize));
	if (usize < ver0)
		return -EINVAL;		/* unset, or not a struct we know */
	if (usize > MIGOFF_SIZE_MAX)
		return -E2BIG;
	*size = usize;
	return 0;
}

/*
 * An output struct of the caller: check its size field as
 * migoff_user_size() does, then zero that many bytes, keeping the size.
 */
static int user_out(void *p, size_t ver0)
{
	size_t n;
	uint32_t size;
	int err = migoff_user_size(p, ver0, &n);

	if (err)
		return err;
	memset(p, 0, n);
	size = n;
	memcpy(p, &size, sizeof(size));
	return 0;
}

void migoff_copy_sized(void *dst, size_t dsize, const void *src, size_t ssize)
{
	uint32_t n = dsize < ssize ? dsize : ssize;

	memcpy(dst, src, n);
	if (dsize > n)
		memset((char *)dst + n, 0, dsize - n);	/* newer than us: zero */
	memcpy(dst, &n, sizeof(n));
}

int migoff_routes_copy(uint32_t *ids, unsigned int nr, const struct migoff_routes *r)
{
	unsigned int i, known = r->nr_reasons;

	if (known > sizeof(r->migrator) / sizeof(r->migrator[0]))
		known = sizeof(r->migrator) / sizeof(r->migrator[0]);
	for (i = 0; i < nr; i++)
		ids[i] = i < known ? r->migrator[i] : MIGOFF_NO_MIGRATOR;
	return r->nr_reasons;
}

/*
 * The handshake. The ABI grows by size (every struct carries its size;
 * old and new callers work), so any API version from the first on is one
 * this library speaks; features are in info->features.
 */
int migoff_api_check(const struct migoff_info *info)
{
	return info->api_version >= 1 ? 0 : -EPROTO;
}

/* Copy @src into the fixed-size kernel name field @dst. */
static int set_name(char *dst, size_t len, const char *src)
{
	if (!src || strlen(src) >= len)
		return -EINVAL;
	memset(dst, 0, len);
	memcpy(dst, src, strlen(src));
	return 0;
}

struct migoff_ctx *migoff_ctx_new(void)
{
	struct migoff_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->fd = -1;
	pthread_mutex_init(&ctx->nl_lock, NULL);
	return ctx;
}

int migoff_open(struct migoff_ctx **ctxp)
{
	struct migoff_info info = { .size = sizeof(info) };
	struct migoff_ctx *ctx;
	int err;

	if (!ctxp)
		return migoff_ret(-EINVAL);
	ctx = migoff_ctx_new();
	if (!ctx)
		return migoff_ret(-ENOMEM);
	ctx->fd = open(MIGOFF_DEVICE, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0) {
		err = -errno;
		migoff_close(ctx);
		return migoff_ret(err);
	}
	/* The handshake: refuse a kernel ABI this library does not speak. */
	err = ioc(ctx, MIGOFF_IOC_GET_INFO, &info);
	if (!err)
		err = migoff_api_check(&info);
	if (err) {
		migoff_close(ctx);
		return migoff_ret(err);
	}
	ctx->features = info.features;
	*ctxp = ctx;
	return 0;
}

void migoff_close(struct migoff_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->nl)
		mnl_socket_close(ctx->nl);
	if (ctx->ev)
		mnl_socket_close(ctx->ev);
	pthread_mutex_destroy(&ctx->nl_lock);
	if (ctx->fd >= 0)
		close(ctx->fd);
	free(ctx);
}

/*
 * The uapi structs are passed to the kernel with the caller's size: the
 * kernel reads and writes at most that many bytes, so a caller built with
 * an older or newer header gets what both know.
 */
int migoff_get_info(struct migoff_ctx *ctx, struct migoff_info *info)
{
	int err = user_out(info, MIGOFF_INFO_SIZE_VER0);

	if (err)
		return migoff_ret(err);
	return ioc(ctx, MIGOFF_IOC_GET_INFO, info);
}

int migoff_get_migrator(struct migoff_ctx *ctx, unsigned int index,
			struct migoff_migrator *m)
{
	int err = user_out(m, MIGOFF_MIGRATOR_SIZE_VER0);

	if (err)
		return migoff_ret(err);
	m->index = index;
	return ioc(ctx, MIGOFF_IOC_GET_MIGRATOR, m);
}

int migoff_find_migrator(struct migoff_ctx *ctx, const char *name,
			 struct migoff_migrator *m)
{
	int err = user_out(m, MIGOFF_MIGRATOR_SIZE_VER0);

	if (err)
		return migoff_ret(err);
	m->flags = MIGOFF_MIGRATOR_BY_NAME;
	if (set_name(m->name, sizeof(m->name), name))
		return migoff_ret(-EINVAL);
	return ioc(ctx, MIGOFF_IOC_GET_MIGRATOR, m);
}

/*
 * The migrator id of the first @nr reasons (MIGOFF_NO_MIGRATOR for those
 * the kernel does not know); returns how many reasons the kernel has.
 */
int migoff_get_routes(struct migoff_ctx *ctx, uint32_t *migrator_ids, unsigned int nr)
{
	struct migoff_routes r = { .size = sizeof(r) };
	int err;

	if (!migrator_ids && nr)
		return migoff_ret(-EINVAL);
	err = ioc(ctx, MIGOFF_IOC_GET_ROUTES, &r);
	if (err)
		return err;
	return migoff_routes_copy(migrator_ids, nr, &r);
}

/*
 * The reasons routed with MIGOFF_ROUTE_AUTO. The struct is sent with this
 * library's size (MIGOFF_ROUTES_SIZE_VER1); a kernel without
 * MIGOFF_FEAT_AUTO is not asked.
 */
int migoff_get_auto_reasons(struct migoff_ctx *ctx, uint64_t *reasons)
{
	struct migoff_routes r = { .size = sizeof(r) };
	int err;

	if (!reasons)
		return migoff_ret(-EINVAL);
	*reasons = 0;
	err = need(ctx, MIGOFF_FEAT_AUTO);
	if (err)
		return migoff_ret(err);
	err = ioc(ctx, MIGOFF_IOC_GET_ROUTES, &r);
	if (!err)
		*reasons = r.auto_reasons;
	return err;
}

int migoff_enable_flags(struct migoff_ctx *ctx, uint64_t reasons, const char *migrator,
			uint32_t flags)
{
	struct migoff_route r = { .size = sizeof(r), .flags = flags, .reasons = reasons };
	int err;

	if (!ctx)
		return migoff_ret(-EINVAL);
	if (flags & MIGOFF_ROUTE_AUTO) {
		err = need(ctx, MIGOFF_FEAT_AUTO);
		if (err)
			return migoff_ret(err);
	}
	if (flags & MIGOFF_ROUTE_AUTO_CPU_TIME) {
		err = need(ctx, MIGOFF_FEAT_AUTO_CPU_TIME);
		if (err)
			return migoff_ret(err);
	}
	if (migrator && set_name(r.migrator, sizeof(r.migrator), migrator))
		return migoff_ret(-EINVAL);
	return ioc(ctx, MIGOFF_IOC_ENABLE, &r);
}

int migoff_enable(struct migoff_ctx *ctx, uint64_t reasons, const char *migrator)
{
	return migoff_enable_flags(ctx, reasons, migrator, 0);
}

int migoff_disable(struct migoff_ctx *ctx, uint64_t reasons)
{
	struct migoff_route r = { .size = sizeof(r), .reasons = reasons };

	if (reasons == MIGOFF_REASONS_ALL) {
		r.flags = MIGOFF_ROUTE_ALL_REASONS;
		r.reasons = 0;
	}
	return ioc(ctx, MIGOFF_IOC_DISABLE, &r);
}

int migoff_get_batch(struct migoff_ctx *ctx, uint32_t *max_pages,
		     uint32_t *min_folios)
{
	struct migoff_batch b = { .size = sizeof(b) };
	int err = ioc(ctx, MIGOFF_IOC_GET_BATCH, &b);

	if (!err) {
		if (max_pages)
			*max_pages = b.max_pages;
		if (min_folios)
			*min_folios = b.min_folios;
	}
	return err;
}

int migoff_set_batch(struct migoff_ctx *ctx, uint32_t flags, uint32_t max_pages,
		     uint32_t min_folios)
{
	struct migoff_batch b = { .size = sizeof(b), .flags = flags,
				  .max_pages = max_pages, .min_folios = min_folios };

	return ioc(ctx, MIGOFF_IOC_SET_BATCH, &b);
}

/*
 * The batch caps in the caller's struct, at most b->size bytes of it (at
 * least MIGOFF_BATCH_SIZE_VER0). latency_us and effective_pages come from
 * kernels with MIGOFF_FEAT_LATENCY; older ones leave them zero.
 */
int migoff_get_batch_caps(struct migoff_ctx *ctx, struct migoff_batch *b)
{
	int err = user_out(b, MIGOFF_BATCH_SIZE_VER0);

	if (err)
		return migoff_ret(err);
	return ioc(ctx, MIGOFF_IOC_GET_BATCH, b);
}

/*
 * SET_BATCH with the caller's struct as it is: b->flags name the fields.
 * A latency needs a struct that holds it and a kernel that knows it.
 */
int migoff_set_batch_caps(struct migoff_ctx *ctx, const struct migoff_batch *b)
{
	size_t n;
	int err = migoff_user_size(b, MIGOFF_BATCH_SIZE_VER0, &n);

	if (!err && !ctx)
		err = -EINVAL;
	if (!err && (b->flags & MIGOFF_BATCH_SET_LATENCY)) {
		if (n < MIGOFF_BATCH_SIZE_VER1)
			err = -EINVAL;
		else
			err = need(ctx, MIGOFF_FEAT_LATENCY);
	}
	if (err)
		return migoff_ret(err);
	/* _IOW: the kernel only reads it. */
	return ioc(ctx, MIGOFF_IOC_SET_BATCH, (void *)b);
}

int migoff_set_param(struct migoff_ctx *ctx, const char *migrator,
		     const char *param, uint64_t value)
{
	struct migoff_param p = { .size = sizeof(p), .value = value };

	if (set_name(p.migrator, sizeof(p.migrator), migrator) ||
	    set_name(p.name, sizeof(p.name), param))
		return migoff_ret(-EINVAL);
	return ioc(ctx, MIGOFF_IOC_SET_PARAM, &p);
}

int migoff_get_stats(struct migoff_ctx *ctx, uint32_t scope, uint32_t index,
		     struct migoff_counters *c)
{
	struct migoff_stats s = { .size = sizeof(s), .scope = scope, .index = index };
	int err;

	if (!c)
		return migoff_ret(-EINVAL);
	err = ioc(ctx, MIGOFF_IOC_GET_STATS, &s);
	if (!err)
		*c = s.counters;
	return err;
}

/* The estimates of the automatic choice for @reason, by folio size class. */
int migoff_get_auto(struct migoff_ctx *ctx, unsigned int reason, struct migoff_auto *a)
{
	size_t n;
	int err = migoff_user_size(a, MIGOFF_AUTO_SIZE_VER0, &n);

	if (!err)
		err = need(ctx, MIGOFF_FEAT_AUTO);
	if (err)
		return migoff_ret(err);
	memset(a, 0, n);
	a->size = n;
	a->reason = reason;
	return ioc(ctx, MIGOFF_IOC_GET_AUTO, a);
}

int migoff_reset_stats(struct migoff_ctx *ctx)
{
	struct migoff_reset r = { .size = sizeof(r) };

	return ioc(ctx, MIGOFF_IOC_RESET_STATS, &r);
}

/*
 * A cgroup v2 directory: an absolute path, or one relative to
 * /sys/fs/cgroup. Returns an fd or -errno.
 */
static int cgroup_open(const char *cgroup)
{
	char path[4096];
	int fd;

	if (!cgroup || !*cgroup)
		return -EINVAL;
	if (cgroup[0] == '/')
		snprintf(path, sizeof(path), "%s", cgroup);
	else
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", cgroup);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int quota_ioc(struct migoff_ctx *ctx, unsigned long req, const char *cgroup,
		     struct migoff_quota *q)
{
	int fd = cgroup_open(cgroup), err;

	if (fd < 0)
		return migoff_ret(fd);
	q->flags = MIGOFF_QUOTA_BY_FD;
	q->cgroup_fd = fd;
	err = ioc(ctx, req, q);
	close(fd);
	return migoff_ret(err);
}

int migoff_quota_set(struct migoff_ctx *ctx, const char *cgroup, uint64_t rate,
		     uint64_t burst, uint64_t reasons)
{
	struct migoff_quota q = { .size = sizeof(q), .rate = rate, .burst = burst,
				  .reasons = reasons };

	return quota_ioc(ctx, MIGOFF_IOC_SET_QUOTA, cgroup, &q);
}

int migoff_quota_clear(struct migoff_ctx *ctx, const char *cgroup)
{
	struct migoff_quota q = { .size = sizeof(q) };

	return quota_ioc(ctx, MIGOFF_IOC_CLEAR_QUOTA, cgroup, &q);
}

int migoff_quota_find(struct migoff_ctx *ctx, const char *cgroup,
		      struct migoff_quota *q)
{
	int err = user_out(q, MIGOFF_QUOTA_SIZE_VER0);

	if (err)
		return migoff_ret(err);
	return quota_ioc(ctx, MIGOFF_IOC_GET_QUOTA, cgroup, q);
}

int migoff_quota_get(struct migoff_ctx *ctx, unsigned int index,
		     struct migoff_quota *q)
{
	int err = user_out(q, MIGOFF_QUOTA_SIZE_VER0);

	if (err)
		return migoff_ret(err);
	q->flags = MIGOFF_QUOTA_BY_INDEX;
	q->index = index;
	return ioc(ctx, MIGOFF_IOC_GET_QUOTA, q);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests of the library ABI (issue 9, item 4): growing structs
 * (size first, reserved space, size-aware copies that never write past the
 * caller's size), migoff_get_routes() bounded by the caller's array, and a
 * handshake that accepts newer kernels. Issue 10: the calls of 2.1 against
 * a scripted kernel, old (2.0-sized structs, no MIGOFF_FEAT_AUTO or
 * _LATENCY) and new.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#include "check.h"

/* The layout rules of the public structs. */
_Static_assert(offsetof(struct migoff_event, size) == 0, "event: size first");
_Static_assert(offsetof(struct migoff_stats_entry, size) == 0, "entry: size first");
_Static_assert(sizeof(((struct migoff_event *)0)->reserved) >= 64, "event: reserved space");
_Static_assert(offsetof(struct migoff_stats_entry, quota) + sizeof(struct migoff_quota) ==
	       sizeof(struct migoff_stats_entry), "entry: the growable uapi struct last");
/* 2.1 carved auto_class out of 2.0's reserved[6]: nothing else moved. */
_Static_assert(offsetof(struct migoff_stats_entry, counters) == 48, "entry: counters");
_Static_assert(offsetof(struct migoff_stats_entry, auto_class) == 144, "entry: auto_class");
_Static_assert(sizeof(struct migoff_auto_class) == 48, "entry: auto_class fills reserved[6]");
_Static_assert(offsetof(struct migoff_stats_entry, quota) == 192, "entry: quota");
_Static_assert(MIGOFF_FALLBACK_COUNT <= 8, "counters: fallback[8]");

static bool all(const void *p, int c, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++ != (unsigned char)c)
			return false;
	return true;
}

static void test_sizes(void)
{
	unsigned char buf[1024];
	struct migoff_event src;
	size_t n;

	/* Unset or too small: refused before anything is written. */
	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, 4);
	CHECK(migoff_user_size(buf, MIGOFF_EVENT_SIZE_VER0, &n) == -EINVAL);
	*(uint32_t *)buf = 8;
	CHECK(migoff_user_size(buf, MIGOFF_EVENT_SIZE_VER0, &n) == -EINVAL);
	*(uint32_t *)buf = 1 << 20;
	CHECK(migoff_user_size(buf, MIGOFF_EVENT_SIZE_VER0, &n) == -E2BIG);
	CHECK(migoff_user_size(NULL, MIGOFF_EVENT_SIZE_VER0, &n) == -EINVAL);
	*(uint32_t *)buf = MIGOFF_EVENT_SIZE_VER0;
	CHECK(migoff_user_size(buf, MIGOFF_EVENT_SIZE_VER0, &n) == 0 && n == MIGOFF_EVENT_SIZE_VER0);

	memset(&src, 0x11, sizeof(src));
	src.size = sizeof(src);
	/* An older caller's struct: filled up to its size, not a byte more. */
	memset(buf, 0xee, sizeof(buf));
	migoff_copy_sized(buf, 100, &src, sizeof(src));
	CHECK(*(uint32_t *)buf == 100 && all(buf + 4, 0x11, 96) && all(buf + 100, 0xee, 200));
	/* A newer caller's: ours, then zeroes for what we do not know. */
	memset(buf, 0xee, sizeof(buf));
	migoff_copy_sized(buf, sizeof(src) + 64, &src, sizeof(src));
	CHECK(*(uint32_t *)buf == sizeof(src) && all(buf + 4, 0x11, sizeof(src) - 4) &&
	      all(buf + sizeof(src), 0, 64) && all(buf + sizeof(src) + 64, 0xee, 64));
}

/* The getters use the caller's size, never sizeof() of this library's. */
static void test_getters(void)
{
	struct migoff_ctx *ctx = migoff_ctx_new();
	unsigned char buf[1024];
	struct migoff_event *ev = (void *)buf;

	/* An unset size is refused, the struct untouched. */
	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, 4);
	CHECK(migoff_get_info(ctx, (void *)buf) == -EINVAL && errno == EINVAL);
	CHECK(all(buf + 4, 0xee, 100));
	CHECK(migoff_get_migrator(ctx, 0, (void *)buf) == -EINVAL);
	CHECK(migoff_find_migrator(ctx, "cpu", (void *)buf) == -EINVAL);
	CHECK(migoff_quota_get(ctx, 0, (void *)buf) == -EINVAL);
	CHECK(all(buf + 4, 0xee, 300));
	/* A set size: only that much is cleared before the (failing) ioctl. */
	memset(buf, 0xee, sizeof(buf));
	*(uint32_t *)buf = MIGOFF_INFO_SIZE_VER0;
	CHECK(migoff_get_info(ctx, (void *)buf) == -EBADF);	/* no device */
	CHECK(all(buf + MIGOFF_INFO_SIZE_VER0, 0xee, 200));
	memset(buf, 0xee, sizeof(buf));
	*(uint32_t *)buf = MIGOFF_MIGRATOR_SIZE_VER0;
	CHECK(migoff_get_migrator(ctx, 3, (void *)buf) == -EBADF);
	CHECK(all(buf + MIGOFF_MIGRATOR_SIZE_VER0, 0xee, 200));
	memset(buf, 0xee, sizeof(buf));
	*(uint32_t *)buf = MIGOFF_QUOTA_SIZE_VER0;
	CHECK(migoff_quota_get(ctx, 0, (void *)buf) == -EBADF);
	CHECK(all(buf + MIGOFF_QUOTA_SIZE_VER0, 0xee, 200));
	/* Events: the size is checked first too. */
	memset(buf, 0xee, sizeof(buf));
	ev->size = 0;
	CHECK(migoff_event_read(ctx, ev) == -EINVAL);
	CHECK(all(buf + 4, 0xee, 300));
	/* Routes: a NULL array is fine only with nr 0. */
	CHECK(migoff_get_routes(ctx, NULL, 4) == -EINVAL);
	migoff_close(ctx);
}

static void test_routes(void)
{
	struct migoff_routes r = { .size = sizeof(r), .nr_reasons = MIGOFF_REASON_COUNT };
	uint32_t ids[64];
	unsigned int i;

	for (i = 0; i < 32; i++)
		r.migrator[i] = 100 + i;
	/* An older caller knows 5 reasons: 5 written, the kernel's count back. */
	memset(ids, 0xee, sizeof(ids));
	CHECK(migoff_routes_copy(ids, 5, &r) == MIGOFF_REASON_COUNT);
	CHECK(ids[0] == 100 && ids[4] == 104 && all(ids + 5, 0xee, sizeof(ids) - 5 * sizeof(ids[0])));
	/* A newer caller knows more reasons than the kernel: no migrator. */
	memset(ids, 0xee, sizeof(ids));
	CHECK(migoff_routes_copy(ids, 12, &r) == MIGOFF_REASON_COUNT);
	CHECK(ids[8] == 108 && ids[9] == MIGOFF_NO_MIGRATOR && ids[11] == MIGOFF_NO_MIGRATOR &&
	      ids[12] == 0xeeeeeeee);
	/* A kernel claiming more than the uapi array holds is bounded by it. */
	r.nr_reasons = 1000;
	CHECK(migoff_routes_copy(ids, 40, &r) == 1000);
	CHECK(ids[31] == 131 && ids[32] == MIGOFF_NO_MIGRATOR && ids[39] == MIGOFF_NO_MIGRATOR);
	CHECK(migoff_routes_copy(NULL, 0, &r) == 1000);
}

static void test_handshake(void)
{
	struct migoff_info info = { .size = sizeof(info) };

	info.api_version = MIGOFF_API_VERSION;
	CHECK(migoff_api_check(&info) == 0);
	info.api_version = MIGOFF_API_VERSION + 1;	/* newer kernel: sizes carry it */
	CHECK(migoff_api_check(&info) == 0);
	info.api_version = 0;
	CHECK(migoff_api_check(&info) == -EPROTO);
}

/*
 * A scripted kernel: MIGOFF_IOC_* with copy_struct_from_user()'s rules for
 * the struct sizes it knows (an old kernel knows 2.0's), and what it saw.
 */
static struct {
	bool old;			/* 2.0: VER0 structs, no GET_AUTO */
	int calls;
	unsigned long req;
	uint32_t size, flags;		/* of the last struct received */
	struct migoff_route route;	/* the last ENABLE */
	struct migoff_batch batch;	/* the caps GET_BATCH answers */
	struct migoff_batch set;	/* the last SET_BATCH */
	uint64_t auto_reasons;
} fk;

static int fake_ioctl(void *arg, unsigned long req, void *data)
{
	unsigned char k[4096];
	uint32_t usize, ksize;
	size_t i;

	(void)arg;
	fk.calls++;
	fk.req = req;
	memcpy(&usize, data, sizeof(usize));
	fk.size = usize;
	memcpy(&fk.flags, (char *)data + 4, sizeof(fk.flags));
	switch (req) {
	case MIGOFF_IOC_GET_ROUTES:
		ksize = fk.old ? MIGOFF_ROUTES_SIZE_VER0 : MIGOFF_ROUTES_SIZE_VER1;
		break;
	case MIGOFF_IOC_GET_BATCH:
	case MIGOFF_IOC_SET_BATCH:
		ksize = fk.old ? MIGOFF_BATCH_SIZE_VER0 : MIGOFF_BATCH_SIZE_VER1;
		break;
	case MIGOFF_IOC_ENABLE:
		ksize = sizeof(struct migoff_route);
		break;
	case MIGOFF_IOC_GET_AUTO:
		if (fk.old)
			return -ENOTTY;
		ksize = sizeof(struct migoff_auto);
		break;
	default:
		return -ENOTTY;
	}
	if (usize < 8)
		return -EINVAL;
	if (usize > 4096)
		return -E2BIG;
	for (i = ksize; i < usize; i++)
		if (((unsigned char *)data)[i])
			return -E2BIG;	/* a newer struct's unknown tail must be zero */
	memset(k, 0, sizeof(k));
	memcpy(k, data, usize < ksize ? usize : ksize);
	switch (req) {
	case MIGOFF_IOC_GET_ROUTES: {
		struct migoff_routes *r = (void *)k;

		r->nr_reasons = MIGOFF_REASON_COUNT;
		for (i = 0; i < 32; i++)
			r->migrator[i] = i == MIGOFF_REASON_DEMOTION ? 7 : MIGOFF_NO_MIGRATOR;
		if (!fk.old)
			r->auto_reasons = fk.auto_reasons;
		break;
	}
	case MIGOFF_IOC_GET_BATCH:
		memcpy(k + 8, (char *)&fk.batch + 8, ksize - 8);
		break;
	case MIGOFF_IOC_SET_BATCH: {
		uint32_t known = MIGOFF_BATCH_SET_MAX_PAGES | MIGOFF_BATCH_SET_MIN_FOLIOS |
				 (fk.old ? 0 : MIGOFF_BATCH_SET_LATENCY);

		if (!fk.flags || (fk.flags & ~known))
			return -EINVAL;
		memcpy(&fk.set, k, sizeof(fk.set));
		if (fk.flags & MIGOFF_BATCH_SET_MAX_PAGES)
			fk.batch.max_pages = fk.set.max_pages;
		if (fk.flags & MIGOFF_BATCH_SET_MIN_FOLIOS)
			fk.batch.min_folios = fk.set.min_folios;
		if (fk.flags & MIGOFF_BATCH_SET_LATENCY)
			fk.batch.latency_us = fk.set.latency_us;
		return 0;
	}
	case MIGOFF_IOC_ENABLE:
		if (fk.flags & ~(fk.old ? 0 : MIGOFF_ROUTE_AUTO))
			return -EINVAL;
		memcpy(&fk.route, k, sizeof(fk.route));
		return 0;
	case MIGOFF_IOC_GET_AUTO: {
		struct migoff_auto *a = (void *)k;

		if (a->reason >= MIGOFF_REASON_COUNT)
			return -ENOENT;
		a->nr_classes = MIGOFF_AUTO_CLASSES;
		for (i = 0; i < MIGOFF_AUTO_CLASSES; i++) {
			a->classes[i].min_pages = i == 0 ? 1 : i == 1 ? 2 : i == 2 ? 16 : 512;
			a->classes[i].migrator_ns_per_mib = 1000 * (i + 1);
			a->classes[i].cpu_ns_per_mib = 2000;
			a->classes[i].batches_probe = a->reason;
		}
		break;
	}
	}
	/* Copy back at most the caller's size, never the kernel's tail. */
	memcpy(data, k, usize < ksize ? usize : ksize);
	return 0;
}

static struct migoff_ctx *fake_ctx(bool old)
{
	struct migoff_ctx *ctx = migoff_ctx_new();

	memset(&fk, 0, sizeof(fk));
	fk.old = old;
	fk.batch.max_pages = 512;
	fk.batch.min_folios = 2;
	if (!old) {
		fk.batch.latency_us = 2000;
		fk.batch.effective_pages = 384;
		ctx->features = MIGOFF_FEAT_AUTO | MIGOFF_FEAT_LATENCY;
	}
	ctx->xfer_ioctl = fake_ioctl;
	return ctx;
}

/* A 2.0 kernel: the old calls keep working, the new ones say EOPNOTSUPP. */
static void test_old_kernel(void)
{
	struct migoff_ctx *ctx = fake_ctx(true);
	struct migoff_batch b;
	struct migoff_auto a;
	uint32_t ids[MIGOFF_REASON_COUNT], max = 0, min = 0;
	uint64_t mask = 42;

	/* This library's structs are bigger than the kernel's: zero tail, fine. */
	CHECK(migoff_get_routes(ctx, ids, MIGOFF_REASON_COUNT) == MIGOFF_REASON_COUNT);
	CHECK(fk.size == MIGOFF_ROUTES_SIZE_VER1 && ids[MIGOFF_REASON_DEMOTION] == 7);
	CHECK(migoff_get_batch(ctx, &max, &min) == 0 && max == 512 && min == 2);
	CHECK(fk.size == MIGOFF_BATCH_SIZE_VER1);
	CHECK(migoff_set_batch(ctx, MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 3) == 0 && fk.batch.min_folios == 3);
	CHECK(migoff_enable(ctx, MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION), "dcbm") == 0);
	CHECK(fk.route.flags == 0 && !strcmp(fk.route.migrator, "dcbm"));
	/* The new calls do not reach it. */
	fk.calls = 0;
	errno = 0;
	CHECK(migoff_get_auto_reasons(ctx, &mask) == -EOPNOTSUPP && errno == EOPNOTSUPP && mask == 0);
	CHECK(migoff_enable_flags(ctx, MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION), "dcbm",
				  MIGOFF_ROUTE_AUTO) == -EOPNOTSUPP);
	b = (struct migoff_batch){ .size = sizeof(b), .flags = MIGOFF_BATCH_SET_LATENCY,
				   .latency_us = 500 };
	CHECK(migoff_set_batch_caps(ctx, &b) == -EOPNOTSUPP);
	a.size = sizeof(a);
	CHECK(migoff_get_auto(ctx, MIGOFF_REASON_DEMOTION, &a) == -EOPNOTSUPP);
	CHECK(fk.calls == 0);
	/* Reading the caps: latency and effective cap are 0 (not reported). */
	memset(&b, 0xee, sizeof(b));
	b.size = sizeof(b);
	CHECK(migoff_get_batch_caps(ctx, &b) == 0 && fk.size == sizeof(b));
	CHECK(b.max_pages == 512 && b.min_folios == 3 && b.latency_us == 0 && b.effective_pages == 0);
	/* Setting caps without a latency works with the bigger struct. */
	b = (struct migoff_batch){ .size = sizeof(b), .flags = MIGOFF_BATCH_SET_MAX_PAGES,
				   .max_pages = 256 };
	CHECK(migoff_set_batch_caps(ctx, &b) == 0 && fk.batch.max_pages == 256);
	migoff_close(ctx);
}

static void test_new_kernel(void)
{
	struct migoff_ctx *ctx = fake_ctx(false);
	unsigned char buf[1024];
	struct migoff_batch b, *pb = (void *)buf;
	struct migoff_auto *pa = (void *)buf;
	uint64_t mask = 0;

	/* Routes: the auto reasons. */
	fk.auto_reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION);
	CHECK(migoff_get_auto_reasons(ctx, &mask) == 0 && mask == fk.auto_reasons);
	CHECK(fk.req == MIGOFF_IOC_GET_ROUTES && fk.size == MIGOFF_ROUTES_SIZE_VER1 && fk.flags == 0);
	CHECK(migoff_get_auto_reasons(ctx, NULL) == -EINVAL);
	CHECK(migoff_get_auto_reasons(NULL, &mask) == -EINVAL);

	/* Enable with and without the flag. */
	CHECK(migoff_enable_flags(ctx, MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION), "mtcopy",
				  MIGOFF_ROUTE_AUTO) == 0);
	CHECK(fk.size == sizeof(struct migoff_route) && fk.route.flags == MIGOFF_ROUTE_AUTO &&
	      fk.route.reasons == MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION) &&
	      !strcmp(fk.route.migrator, "mtcopy"));
	CHECK(migoff_enable(ctx, 1, NULL) == 0 && fk.route.flags == 0 && !fk.route.migrator[0]);
	CHECK(migoff_enable_flags(ctx, 1, "cpu", 1U << 7) == -EINVAL);	/* the kernel's word */
	CHECK(migoff_enable_flags(NULL, 1, "cpu", MIGOFF_ROUTE_AUTO) == -EINVAL);

	/* Batch caps: a 2.0-sized struct gets 2.0's fields, not a byte more. */
	memset(buf, 0xee, sizeof(buf));
	pb->size = MIGOFF_BATCH_SIZE_VER0;
	CHECK(migoff_get_batch_caps(ctx, pb) == 0 && fk.size == MIGOFF_BATCH_SIZE_VER0);
	CHECK(pb->max_pages == 512 && pb->min_folios == 2 && all(buf + MIGOFF_BATCH_SIZE_VER0, 0xee, 64));
	memset(buf, 0xee, sizeof(buf));
	pb->size = sizeof(*pb);
	CHECK(migoff_get_batch_caps(ctx, pb) == 0 && pb->latency_us == 2000 &&
	      pb->effective_pages == 384 && all(buf + sizeof(*pb), 0xee, 64));
	/* A newer caller's struct: cleared to its size, the kernel fills its own. */
	memset(buf, 0xee, sizeof(buf));
	pb->size = sizeof(*pb) + 16;
	CHECK(migoff_get_batch_caps(ctx, pb) == 0 && pb->latency_us == 2000 &&
	      all(buf + sizeof(*pb), 0, 16) && all(buf + sizeof(*pb) + 16, 0xee, 64));
	memset(buf, 0xee, sizeof(buf));
	pb->size = MIGOFF_BATCH_SIZE_VER0 - 8;
	CHECK(migoff_get_batch_caps(ctx, pb) == -EINVAL && all(buf + 4, 0xee, 100));
	/* Setting the latency: in one call with the other caps. */
	b = (struct migoff_batch){ .size = sizeof(b), .latency_us = 500, .max_pages = 1024,
				   .flags = MIGOFF_BATCH_SET_LATENCY | MIGOFF_BATCH_SET_MAX_PAGES };
	CHECK(migoff_set_batch_caps(ctx, &b) == 0 && fk.req == MIGOFF_IOC_SET_BATCH);
	CHECK(fk.size == sizeof(b) && fk.batch.latency_us == 500 && fk.batch.max_pages == 1024 &&
	      fk.set.flags == (MIGOFF_BATCH_SET_LATENCY | MIGOFF_BATCH_SET_MAX_PAGES));
	/* ... not with a struct too small to hold it. */
	fk.calls = 0;
	b.size = MIGOFF_BATCH_SIZE_VER0;
	CHECK(migoff_set_batch_caps(ctx, &b) == -EINVAL && fk.calls == 0);
	b.size = 0;
	CHECK(migoff_set_batch_caps(ctx, &b) == -EINVAL && fk.calls == 0);
	CHECK(migoff_set_batch_caps(ctx, NULL) == -EINVAL);
	b.size = sizeof(b);
	CHECK(migoff_set_batch_caps(NULL, &b) == -EINVAL);
	/* The old setter never sends a latency. */
	CHECK(migoff_set_batch(ctx, MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 5) == 0);
	CHECK(fk.set.flags == MIGOFF_BATCH_SET_MIN_FOLIOS && fk.set.latency_us == 0 &&
	      fk.batch.latency_us == 500 && fk.batch.min_folios == 5);

	/* The auto estimates, by the caller's size. */
	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, 4);
	CHECK(migoff_get_auto(ctx, MIGOFF_REASON_DEMOTION, pa) == -EINVAL && all(buf + 4, 0xee, 300));
	pa->size = MIGOFF_AUTO_SIZE_VER0 - 8;
	CHECK(migoff_get_auto(ctx, MIGOFF_REASON_DEMOTION, pa) == -EINVAL);
	memset(buf, 0xee, sizeof(buf));
	pa->size = sizeof(*pa) + 8;
	CHECK(migoff_get_auto(ctx, MIGOFF_REASON_DEMOTION, pa) == 0);
	CHECK(fk.req == MIGOFF_IOC_GET_AUTO && fk.size == sizeof(*pa) + 8 && fk.flags == 0);
	CHECK(pa->reason == MIGOFF_REASON_DEMOTION && pa->nr_classes == MIGOFF_AUTO_CLASSES);
	CHECK(pa->classes[3].min_pages == 512 && pa->classes[1].migrator_ns_per_mib == 2000 &&
	      pa->classes[0].batches_probe == MIGOFF_REASON_DEMOTION);
	CHECK(all(buf + sizeof(*pa), 0, 8) && all(buf + sizeof(*pa) + 8, 0xee, 64));
	pa->size = sizeof(*pa);
	CHECK(migoff_get_auto(ctx, 99, pa) == -ENOENT && errno == ENOENT);
	CHECK(migoff_get_auto(NULL, 0, pa) == -EINVAL);
	CHECK(migoff_get_auto(ctx, 0, NULL) == -EINVAL);
	migoff_close(ctx);
}

int main(void)
{
	test_sizes();
	test_getters();
	test_routes();
	test_handshake();
	test_old_kernel();
	test_new_kernel();
	printf("unit_abi: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests of the library ABI (issue 9, item 4): growing structs
 * (size first, reserved space, size-aware copies that never write past the
 * caller's size), migoff_get_routes() bounded by the caller's array, and a
 * handshake that accepts newer kernels.
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
_Static_assert(sizeof(((struct migoff_stats_entry *)0)->reserved) >= 48, "entry: reserved space");
_Static_assert(offsetof(struct migoff_stats_entry, quota) + sizeof(struct migoff_quota) ==
	       sizeof(struct migoff_stats_entry), "entry: the growable uapi struct last");

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

int main(void)
{
	test_sizes();
	test_getters();
	test_routes();
	test_handshake();
	printf("unit_abi: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/migrate_offload ABI: every ioctl, every documented error path,
 * permissions as an unprivileged user, and that a rejected call changes
 * nothing. Needs migrate_offload, migoff_mtcopy, migoff_swdma and
 * migoff_dcbm loaded. Well-formed requests go through libmigoffload; the
 * malformed ones, and the controls they are compared with, are raw
 * (migoff_dev.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_dev.h"
#include "migoff_util.h"

#define BIT(r)	MIGOFF_REASON_BIT(r)

FIXTURE(dev) {
	struct migoff_ctx *ctx;
	int fd;		/* raw_ioc() */
};

FIXTURE_SETUP(dev)
{
	ASSERT_EQ(0, migoff_open(&self->ctx)) TH_LOG("open %s: %s (is migrate_offload loaded?)",
						    MIGOFF_DEVICE, strerror(errno));
	self->fd = raw_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", MIGOFF_DEVICE, strerror(errno));
	ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES |
				      MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 0));
	ASSERT_EQ(0, set_latency(self->ctx, 0));
	ASSERT_EQ(0, migoff_reset_stats(self->ctx));
}

FIXTURE_TEARDOWN(dev)
{
	migoff_disable(self->ctx, MIGOFF_REASONS_ALL);
	close(self->fd);
	migoff_close(self->ctx);
}

/*
 * Raw: the whole struct as the kernel fills it, the slots past nr_reasons
 * and the reserved bytes included (migoff_get_routes() hands out the
 * reasons the library knows, and MIGOFF_NO_MIGRATOR past them).
 */
static void raw_get_routes(struct __test_metadata *_metadata, int fd,
			   struct migoff_routes *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	ASSERT_EQ(0, raw_ioc(fd, MIGOFF_IOC_GET_ROUTES, r));
}

TEST_F(dev, info_handshake)
{
	struct migoff_info i = { .size = sizeof(i) };

	ASSERT_EQ(0, migoff_get_info(self->ctx, &i));
	EXPECT_EQ(MIGOFF_API_VERSION, i.api_version);
	EXPECT_EQ(sizeof(i), i.size);
	EXPECT_EQ(MIGOFF_REASONS_ALL, i.reasons_supported);
	EXPECT_EQ(MIGOFF_FEAT_ROUTING | MIGOFF_FEAT_BATCH_CAPS |
		  MIGOFF_FEAT_PARAMS | MIGOFF_FEAT_STATS | MIGOFF_FEAT_NETLINK |
		  MIGOFF_FEAT_QUOTAS | MIGOFF_FEAT_AUTO | MIGOFF_FEAT_LATENCY |
		  MIGOFF_FEAT_AUTO_CPU_TIME | MIGOFF_FEAT_FALLBACK_BUSY,
		  i.features);
	EXPECT_EQ(3, i.nr_migrators);	/* cpu, mtcopy, dcbm */
	EXPECT_EQ(1U << 18, i.max_batch_pages_limit);
}

TEST_F(dev, info_sizes_and_flags)
{
	unsigned char buf[sizeof(struct migoff_info) + 16];
	struct migoff_info *i = (void *)buf;

	/* Unknown flags, output fields set on input: EINVAL. */
	memset(buf, 0, sizeof(buf));
	i->size = sizeof(*i);
	i->flags = 1;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, i));
	i->flags = 0;
	i->api_version = 7;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, i));

	/* Too small to hold size and flags: EINVAL. */
	memset(buf, 0, sizeof(buf));
	i->size = 4;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, i));

	/* A newer, larger struct: zero tail accepted, non-zero tail E2BIG. */
	memset(buf, 0, sizeof(buf));
	i->size = sizeof(buf);
	EXPECT_EQ(0, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, i));
	EXPECT_EQ(sizeof(*i), i->size);
	memset(buf, 0, sizeof(buf));
	i->size = sizeof(buf);
	buf[sizeof(buf) - 1] = 1;
	EXPECT_EQ(-E2BIG, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, i));

	/* An older, smaller struct: only its bytes are written. */
	memset(buf, 0xee, sizeof(buf));
	memset(buf, 0, 16);
	i->size = 16;
	EXPECT_EQ(0, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, i));
	EXPECT_EQ(MIGOFF_API_VERSION, i->api_version);
	EXPECT_EQ(0xee, buf[16]);
	EXPECT_EQ(0xee, buf[sizeof(buf) - 1]);

	/* A bad user pointer: EFAULT. */
	EXPECT_EQ(-EFAULT, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, (void *)8));
}

TEST_F(dev, unknown_ioctl)
{
	struct migoff_info i = { .size = sizeof(i) };

	EXPECT_EQ(-ENOTTY, raw_ioc(self->fd, _IOWR(MIGOFF_IOC_MAGIC, 0x7f,
						   struct migoff_info), &i));
	EXPECT_EQ(-ENOTTY, raw_ioc(self->fd, _IO('x', 1), NULL));
	/* The type this ABI used before it was registered upstream. */
	EXPECT_EQ(-ENOTTY, raw_ioc(self->fd, _IOWR(0xBA, 0x00,
						   struct migoff_info), &i));
	/* A known number with the wrong direction. */
	EXPECT_EQ(-ENOTTY, raw_ioc(self->fd, _IOW(MIGOFF_IOC_MAGIC, 0x00,
						  struct migoff_info), &i));
}

/* The structs of a newer and of an older version of this header. */
struct info_v2 {
	struct migoff_info v1;
	__u64 added;
};

struct info_v0 {
	__u32 size, flags, api_version, nr_migrators;
};

/*
 * A caller built against another version of the header encodes another
 * struct size in the command number: the kernel must dispatch on type and
 * number and go by the size field, or such callers get ENOTTY.
 */
TEST_F(dev, command_size_follows_the_caller)
{
	struct info_v2 big;
	struct info_v0 small;
	struct migoff_batch b;
	unsigned char page[8192];

	memset(&big, 0, sizeof(big));
	big.v1.size = sizeof(big);
	ASSERT_EQ(0, raw_ioc(self->fd, _IOWR(MIGOFF_IOC_MAGIC, 0x00,
					     struct info_v2), &big));
	EXPECT_EQ(MIGOFF_API_VERSION, big.v1.api_version);
	EXPECT_EQ(sizeof(struct migoff_info), big.v1.size);
	EXPECT_EQ(0, big.added);

	memset(&big, 0, sizeof(big));
	big.v1.size = sizeof(big);
	big.added = 1;
	EXPECT_EQ(-E2BIG, raw_ioc(self->fd, _IOWR(MIGOFF_IOC_MAGIC, 0x00,
						  struct info_v2), &big));

	memset(&small, 0, sizeof(small));
	small.size = sizeof(small);
	ASSERT_EQ(0, raw_ioc(self->fd, _IOWR(MIGOFF_IOC_MAGIC, 0x00,
					     struct info_v0), &small));
	EXPECT_EQ(MIGOFF_API_VERSION, small.api_version);
	EXPECT_EQ(sizeof(small), small.size);
	EXPECT_EQ(3, small.nr_migrators);

	/* A size beyond a page: E2BIG, even with a zero tail. */
	memset(page, 0, sizeof(page));
	((struct migoff_info *)page)->size = 4097;
	EXPECT_EQ(-E2BIG, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, page));
	((struct migoff_info *)page)->size = 4096;
	EXPECT_EQ(0, raw_ioc(self->fd, MIGOFF_IOC_GET_INFO, page));

	/* A change through an older, smaller struct works too. */
	memset(&b, 0, sizeof(b));
	b.size = offsetof(struct migoff_batch, reserved);
	b.flags = MIGOFF_BATCH_SET_MAX_PAGES;
	b.max_pages = 1024;
	ASSERT_EQ(0, raw_ioc(self->fd, _IOW(MIGOFF_IOC_MAGIC, 0x06, struct info_v0), &b));
	b.size = sizeof(b);
	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(1024, b.max_pages);
}

/* Bytes after a name's NUL, and values whose flag is not set: EINVAL. */
TEST_F(dev, no_hidden_input)
{
	struct migoff_migrator m = { .size = sizeof(m) };
	struct migoff_route r;
	struct migoff_param p;
	struct migoff_routes rt;
	uint64_t threads;

	ASSERT_EQ(0, migoff_find_migrator(self->ctx, "mtcopy", &m));
	ASSERT_STREQ("threads", m.params[0].name);
	threads = m.params[0].value;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.reasons = BIT(MIGOFF_REASON_DEMOTION);
	strcpy(r.migrator, "cpu");
	r.migrator[5] = 'x';
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_ENABLE, &r));

	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	strcpy(p.migrator, "mtcopy");
	strcpy(p.name, "threads");
	p.name[10] = 'y';
	p.value = threads == 2 ? 3 : 2;	/* a change, were it taken */
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_SET_PARAM, &p));

	EXPECT_EQ(-EINVAL, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 64, 4));
	EXPECT_EQ(-EINVAL, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MIN_FOLIOS, 64, 4));

	/* Nothing changed. */
	raw_get_routes(_metadata, self->fd, &rt);
	EXPECT_EQ(MIGOFF_NO_MIGRATOR, rt.migrator[MIGOFF_REASON_DEMOTION]);
	ASSERT_EQ(0, migoff_find_migrator(self->ctx, "mtcopy", &m));
	EXPECT_EQ(threads, m.params[0].value);
	{
		struct migoff_batch b = { .size = sizeof(b) };

		ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
		EXPECT_EQ(512, b.max_pages);
		EXPECT_EQ(0, b.min_folios);
	}
}

TEST_F(dev, migrator_list)
{
	struct migoff_migrator m;
	bool seen_cpu = false, seen_mt = false, seen_dma = false;
	unsigned int idx;

	for (idx = 0; ; idx++) {
		m.size = sizeof(m);
		if (migoff_get_migrator(self->ctx, idx, &m))
			break;
		EXPECT_TRUE(m.state & MIGOFF_MIGRATOR_AVAILABLE) TH_LOG("%s unavailable", m.name);
		EXPECT_FALSE(m.state & MIGOFF_MIGRATOR_ROUTED);
		if (!strcmp(m.name, "cpu")) {
			seen_cpu = true;
			EXPECT_EQ(MIGOFF_KIND_CPU, m.kind);
			EXPECT_EQ(0, m.nr_params);
		} else if (!strcmp(m.name, "mtcopy")) {
			seen_mt = true;
			EXPECT_EQ(MIGOFF_KIND_THREADS, m.kind);
			ASSERT_EQ(2, m.nr_params);
			EXPECT_STREQ("threads", m.params[0].name);
			EXPECT_EQ(1, m.params[0].min);
			EXPECT_STREQ("push", m.params[1].name);
		} else if (!strcmp(m.name, "dcbm")) {
			seen_dma = true;
			EXPECT_EQ(MIGOFF_KIND_DMA, m.kind);
			EXPECT_STREQ("channels", m.params[0].name);
			EXPECT_STREQ("timeout_ms", m.params[1].name);
		}
	}
	EXPECT_EQ(3, idx);
	EXPECT_TRUE(seen_cpu && seen_mt && seen_dma);

	/* By name; unknown names and indexes: ENOENT. */
	EXPECT_LE(0, migrator_id(self->ctx, "dcbm"));
	EXPECT_EQ(-ENOENT, migrator_id(self->ctx, "nosuch"));
	m.size = sizeof(m);
	EXPECT_EQ(-ENOENT, migoff_get_migrator(self->ctx, 99, &m));

	/* Malformed: unknown flag, unterminated name, index with BY_NAME. */
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = 2;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_MIGRATOR, &m));
	memset(&m, 'x', sizeof(m));
	memset(&m, 0, offsetof(struct migoff_migrator, name));
	memset(&m.kind, 0, sizeof(m) - offsetof(struct migoff_migrator, kind));
	m.size = sizeof(m);
	m.flags = MIGOFF_MIGRATOR_BY_NAME;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_MIGRATOR, &m));
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = MIGOFF_MIGRATOR_BY_NAME;
	m.index = 1;
	strcpy(m.name, "cpu");
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_MIGRATOR, &m));
	/* Non-zero reserved bytes. */
	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_MIGRATOR, &m));
}

TEST_F(dev, routes_per_reason)
{
	long mt = migrator_id(self->ctx, "mtcopy");
	long dma = migrator_id(self->ctx, "dcbm");
	long cpu = migrator_id(self->ctx, "cpu");
	struct migoff_routes r;
	struct migoff_migrator m = { .size = sizeof(m) };
	unsigned int i;

	ASSERT_LE(0, mt);
	ASSERT_LE(0, dma);
	ASSERT_LE(0, cpu);
	raw_get_routes(_metadata, self->fd, &r);
	EXPECT_EQ(MIGOFF_REASON_COUNT, r.nr_reasons);
	for (i = 0; i < 32; i++)
		EXPECT_EQ(MIGOFF_NO_MIGRATOR, r.migrator[i]);

	ASSERT_EQ(0, migoff_enable(self->ctx, BIT(MIGOFF_REASON_SYSCALL), "mtcopy"));
	ASSERT_EQ(0, migoff_enable(self->ctx, BIT(MIGOFF_REASON_DEMOTION) |
				   BIT(MIGOFF_REASON_NUMA_MISPLACED), "dcbm"));
	ASSERT_EQ(0, migoff_enable(self->ctx, BIT(MIGOFF_REASON_COMPACTION), ""));
	raw_get_routes(_metadata, self->fd, &r);
	EXPECT_EQ(mt, r.migrator[MIGOFF_REASON_SYSCALL]);
	EXPECT_EQ(dma, r.migrator[MIGOFF_REASON_DEMOTION]);
	EXPECT_EQ(dma, r.migrator[MIGOFF_REASON_NUMA_MISPLACED]);
	EXPECT_EQ(cpu, r.migrator[MIGOFF_REASON_COMPACTION]);
	EXPECT_EQ(MIGOFF_NO_MIGRATOR, r.migrator[MIGOFF_REASON_DAMON]);

	ASSERT_EQ(0, migoff_find_migrator(self->ctx, "dcbm", &m));
	EXPECT_EQ(BIT(MIGOFF_REASON_DEMOTION) | BIT(MIGOFF_REASON_NUMA_MISPLACED), m.reasons);
	EXPECT_TRUE(m.state & MIGOFF_MIGRATOR_ROUTED);

	/* Re-route one reason; disable another. */
	ASSERT_EQ(0, migoff_enable(self->ctx, BIT(MIGOFF_REASON_NUMA_MISPLACED), "mtcopy"));
	ASSERT_EQ(0, migoff_disable(self->ctx, BIT(MIGOFF_REASON_SYSCALL)));
	raw_get_routes(_metadata, self->fd, &r);
	EXPECT_EQ(mt, r.migrator[MIGOFF_REASON_NUMA_MISPLACED]);
	EXPECT_EQ(MIGOFF_NO_MIGRATOR, r.migrator[MIGOFF_REASON_SYSCALL]);
	EXPECT_EQ(dma, r.migrator[MIGOFF_REASON_DEMOTION]);

	ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
	raw_get_routes(_metadata, self->fd, &r);
	for (i = 0; i < MIGOFF_REASON_COUNT; i++)
		EXPECT_EQ(MIGOFF_NO_MIGRATOR, r.migrator[i]);
}

TEST_F(dev, route_errors_change_nothing)
{
	struct migoff_routes before, after;
	struct migoff_route d;

	ASSERT_EQ(0, migoff_enable(self->ctx, BIT(MIGOFF_REASON_SYSCALL), "mtcopy"));
	raw_get_routes(_metadata, self->fd, &before);

	EXPECT_EQ(-EINVAL, migoff_enable(self->ctx, 0, "cpu"));
	EXPECT_EQ(-EINVAL, migoff_enable(self->ctx, 1ULL << MIGOFF_REASON_COUNT, "cpu"));
	EXPECT_EQ(-EINVAL, migoff_enable(self->ctx, BIT(MIGOFF_REASON_SYSCALL) | (1ULL << 40), "cpu"));
	EXPECT_EQ(-ENOENT, migoff_enable(self->ctx, BIT(MIGOFF_REASON_SYSCALL), "nosuch"));

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.reasons = BIT(MIGOFF_REASON_SYSCALL);
	strcpy(d.migrator, "cpu");	/* DISABLE takes no migrator */
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_DISABLE, &d));
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.flags = MIGOFF_ROUTE_ALL_REASONS;
	d.reasons = BIT(MIGOFF_REASON_SYSCALL);
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_DISABLE, &d));
	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_DISABLE, &d));
	d.reasons = BIT(MIGOFF_REASON_SYSCALL);
	d.reserved[1] = 5;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_DISABLE, &d));
	d.reserved[1] = 0;
	d.flags = 0x80;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_DISABLE, &d));

	raw_get_routes(_metadata, self->fd, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

TEST_F(dev, batch_caps)
{
	struct migoff_batch b = { .size = sizeof(b) };

	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(512, b.max_pages);
	EXPECT_EQ(0, b.min_folios);

	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 4096, 0));
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MIN_FOLIOS, 0, 8));
	b.size = sizeof(b);
	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(4096, b.max_pages);
	EXPECT_EQ(8, b.min_folios);

	/* Errors change nothing. */
	EXPECT_EQ(-ERANGE, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, (1U << 18) + 1, 0));
	EXPECT_EQ(-EINVAL, migoff_set_batch(self->ctx, 0, 64, 0));
	/* The first flag this version does not know (4 became SET_LATENCY). */
	EXPECT_EQ(-EINVAL, migoff_set_batch(self->ctx, 8 | MIGOFF_BATCH_SET_MAX_PAGES, 64, 0));
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.max_pages = 3;	/* GET takes no input */
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_BATCH, &b));
	b.size = sizeof(b);
	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(4096, b.max_pages);
	EXPECT_EQ(8, b.min_folios);

	/* 0 restores the kernel default. */
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 0, 0));
	b.size = sizeof(b);
	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(512, b.max_pages);
}

/*
 * The latency target: a field appended to struct migoff_batch. Callers
 * built before it (32-byte struct) keep working and see exactly their
 * struct; newer ones set and read it; bad values change nothing.
 */
TEST_F(dev, batch_latency_field)
{
	struct migoff_batch b;
	unsigned char old[MIGOFF_BATCH_SIZE_VER0 + 8];

	ASSERT_EQ(MIGOFF_BATCH_SIZE_VER1, sizeof(b));
	ASSERT_EQ(0, migoff_set_batch(self->ctx, MIGOFF_BATCH_SET_MAX_PAGES, 4096, 0));
	ASSERT_EQ(0, set_latency(self->ctx, 2000));
	b.size = sizeof(b);
	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(4096, b.max_pages);
	EXPECT_EQ(2000, b.latency_us);
	/* Nothing measured yet: the cap in force is max_pages. */
	EXPECT_EQ(4096, b.effective_pages);

	/* An old caller: 32 bytes in, 32 bytes out, the rest untouched. */
	memset(old, 0xee, sizeof(old));
	memset(old, 0, MIGOFF_BATCH_SIZE_VER0);
	((struct migoff_batch *)old)->size = MIGOFF_BATCH_SIZE_VER0;
	ASSERT_EQ(0, raw_ioc(self->fd, _IOWR(MIGOFF_IOC_MAGIC, 0x05, struct info_v0), old));
	EXPECT_EQ(MIGOFF_BATCH_SIZE_VER0, ((struct migoff_batch *)old)->size);
	EXPECT_EQ(4096, ((struct migoff_batch *)old)->max_pages);
	EXPECT_EQ(0xeeeeeeeeU, *(uint32_t *)(old + MIGOFF_BATCH_SIZE_VER0));

	/* Above the limit: ERANGE, and nothing changes, max_pages included. */
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.flags = MIGOFF_BATCH_SET_LATENCY | MIGOFF_BATCH_SET_MAX_PAGES;
	b.latency_us = MIGOFF_MAX_LATENCY_US + 1;
	b.max_pages = 64;
	EXPECT_EQ(-ERANGE, raw_ioc(self->fd, MIGOFF_IOC_SET_BATCH, &b));
	/* A value without its flag, an output field as input: EINVAL. */
	b.flags = MIGOFF_BATCH_SET_MAX_PAGES;
	b.latency_us = 100;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_SET_BATCH, &b));
	b.flags = MIGOFF_BATCH_SET_LATENCY;
	b.max_pages = 0;
	b.effective_pages = 10;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_SET_BATCH, &b));
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.latency_us = 5;	/* GET takes no input */
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_BATCH, &b));

	b.size = sizeof(b);
	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(4096, b.max_pages);
	EXPECT_EQ(2000, b.latency_us);

	/* The limit itself is accepted; 0 clears the target. */
	EXPECT_EQ(0, set_latency(self->ctx, MIGOFF_MAX_LATENCY_US));
	EXPECT_EQ(0, set_latency(self->ctx, 0));
	b.size = sizeof(b);
	ASSERT_EQ(0, migoff_get_batch_caps(self->ctx, &b));
	EXPECT_EQ(0, b.latency_us);
	EXPECT_EQ(4096, b.effective_pages);
}

/*
 * MIGOFF_ROUTE_AUTO: routes report it (GET_ROUTES grew auto_reasons), a
 * plain ENABLE or a DISABLE ends it, GET_AUTO validates its input, and the
 * estimates start empty.
 */
TEST_F(dev, auto_route_and_estimates)
{
	uint64_t sys = BIT(MIGOFF_REASON_SYSCALL), dem = BIT(MIGOFF_REASON_DEMOTION);
	struct migoff_routes r;
	struct migoff_route bad;
	struct migoff_auto a = { .size = sizeof(a) };
	union {
		struct migoff_routes r;
		unsigned char b[MIGOFF_ROUTES_SIZE_VER1];
	} old;
	unsigned int c;

	ASSERT_EQ(MIGOFF_ROUTES_SIZE_VER1, sizeof(r));
	ASSERT_EQ(0, migoff_enable_flags(self->ctx, sys | dem, "mtcopy", MIGOFF_ROUTE_AUTO));
	raw_get_routes(_metadata, self->fd, &r);
	EXPECT_EQ(sys | dem, r.auto_reasons);
	EXPECT_EQ(migrator_id(self->ctx, "mtcopy"), r.migrator[MIGOFF_REASON_SYSCALL]);

	/* An old caller's struct has no auto_reasons and still works. */
	memset(&old, 0xee, sizeof(old));
	memset(&old, 0, MIGOFF_ROUTES_SIZE_VER0);
	old.r.size = MIGOFF_ROUTES_SIZE_VER0;
	ASSERT_EQ(0, raw_ioc(self->fd, _IOWR(MIGOFF_IOC_MAGIC, 0x04, struct info_v0), &old));
	EXPECT_EQ(MIGOFF_ROUTES_SIZE_VER0, old.r.size);
	EXPECT_EQ(migrator_id(self->ctx, "mtcopy"), old.r.migrator[MIGOFF_REASON_SYSCALL]);
	/* The kernel wrote nothing past the caller's struct. */
	EXPECT_EQ(0xeeeeeeeeeeeeeeeeULL, old.r.auto_reasons);

	/* A plain ENABLE of one reason ends its automatic choice only. */
	ASSERT_EQ(0, migoff_enable(self->ctx, dem, "mtcopy"));
	raw_get_routes(_metadata, self->fd, &r);
	EXPECT_EQ(sys, r.auto_reasons);
	ASSERT_EQ(0, migoff_disable(self->ctx, MIGOFF_REASONS_ALL));
	raw_get_routes(_metadata, self->fd, &r);
	EXPECT_EQ(0, r.auto_reasons);

	/* AUTO is an ENABLE flag only; auto_reasons is output only. */
	memset(&bad, 0, sizeof(bad));
	bad.size = sizeof(bad);
	bad.flags = MIGOFF_ROUTE_AUTO;
	bad.reasons = sys;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_DISABLE, &bad));
	bad.flags = MIGOFF_ROUTE_AUTO << 1;
	strcpy(bad.migrator, "mtcopy");
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_ENABLE, &bad));
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.auto_reasons = 1;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_ROUTES, &r));
	raw_get_routes(_metadata, self->fd, &r);
	EXPECT_EQ(0, r.auto_reasons);
	EXPECT_EQ(MIGOFF_NO_MIGRATOR, r.migrator[MIGOFF_REASON_SYSCALL]);

	/*
	 * GET_AUTO: every class listed; nothing measured yet (no test before
	 * this one in the suite migrates under MIGOFF_ROUTE_AUTO).
	 */
	ASSERT_EQ(0, migoff_enable_flags(self->ctx, sys, "mtcopy", MIGOFF_ROUTE_AUTO));
	ASSERT_EQ(0, migoff_get_auto(self->ctx, MIGOFF_REASON_SYSCALL, &a));
	EXPECT_EQ(MIGOFF_AUTO_CLASSES, a.nr_classes);
	EXPECT_EQ(1, a.classes[0].min_pages);
	EXPECT_EQ(2, a.classes[1].min_pages);
	EXPECT_EQ(65536 / getpagesize(), a.classes[2].min_pages);
	EXPECT_EQ(512, a.classes[3].min_pages);
	for (c = 0; c < MIGOFF_AUTO_CLASSES; c++) {
		EXPECT_EQ(0, a.classes[c].migrator_ns_per_mib);
		EXPECT_EQ(0, a.classes[c].cpu_ns_per_mib);
		EXPECT_EQ(0, a.classes[c].batches_migrator + a.classes[c].batches_cpu);
	}
	EXPECT_EQ(-ENOENT, migoff_get_auto(self->ctx, MIGOFF_REASON_COUNT, &a));
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = 1;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_AUTO, &a));
	a.flags = 0;
	a.nr_classes = 4;	/* output only */
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_AUTO, &a));
}

TEST_F(dev, params)
{
	struct migoff_migrator m = { .size = sizeof(m) };
	struct migoff_param p;

	ASSERT_EQ(0, migoff_set_param(self->ctx, "mtcopy", "threads", 2));
	ASSERT_EQ(0, migoff_set_param(self->ctx, "dcbm", "timeout_ms", 500));
	ASSERT_EQ(0, migoff_find_migrator(self->ctx, "mtcopy", &m));
	EXPECT_EQ(2, m.params[0].value);

	EXPECT_EQ(-ERANGE, migoff_set_param(self->ctx, "mtcopy", "threads", 0));
	EXPECT_EQ(-ERANGE, migoff_set_param(self->ctx, "mtcopy", "threads", 1000));
	EXPECT_EQ(-ENOENT, migoff_set_param(self->ctx, "mtcopy", "nosuch", 1));
	EXPECT_EQ(-ENOENT, migoff_set_param(self->ctx, "nosuch", "threads", 1));
	EXPECT_EQ(-ENOENT, migoff_set_param(self->ctx, "cpu", "threads", 1));
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.flags = 1;
	strcpy(p.migrator, "mtcopy");
	strcpy(p.name, "threads");
	p.value = 1;
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_SET_PARAM, &p));
	ASSERT_EQ(0, migoff_find_migrator(self->ctx, "mtcopy", &m));
	EXPECT_EQ(2, m.params[0].value);
}

TEST_F(dev, stats_errors_and_reset)
{
	struct migoff_stats s;
	struct migoff_counters c;

	EXPECT_EQ(0, migoff_get_stats(self->ctx, MIGOFF_STATS_TOTAL, 0, &c));
	EXPECT_EQ(0, c.batches);
	EXPECT_EQ(-EINVAL, migoff_get_stats(self->ctx, MIGOFF_STATS_TOTAL, 1, &c));
	EXPECT_EQ(-ENOENT, migoff_get_stats(self->ctx, MIGOFF_STATS_REASON,
					    MIGOFF_REASON_COUNT, &c));
	EXPECT_EQ(-ENOENT, migoff_get_stats(self->ctx, MIGOFF_STATS_MIGRATOR, 12345, &c));
	EXPECT_EQ(-EINVAL, migoff_get_stats(self->ctx, 9, 0, &c));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.counters.batches = 1;		/* output field on input */
	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_GET_STATS, &s));

	struct migoff_reset r = { .size = sizeof(r), .flags = 1 };

	EXPECT_EQ(-EINVAL, raw_ioc(self->fd, MIGOFF_IOC_RESET_STATS, &r));
	r.flags = 0;	/* the control: the same request, well-formed */
	EXPECT_EQ(0, raw_ioc(self->fd, MIGOFF_IOC_RESET_STATS, &r));
}

/* As nobody: every reader works, every writer gets EPERM, nothing changes. */
TEST_F(dev, unprivileged_user)
{
	struct migoff_routes before, after;
	pid_t pid;
	int status;

	ASSERT_EQ(0, migoff_enable(self->ctx, BIT(MIGOFF_REASON_DEMOTION), "dcbm"));
	raw_get_routes(_metadata, self->fd, &before);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct migoff_info i = { .size = sizeof(i) };
		struct migoff_batch b = { .size = sizeof(b) };
		struct migoff_counters c;
		struct migoff_ctx *ctx;
		int bad = 0;

		if (setgid(65534) || setuid(65534))
			_exit(90);
		if (migoff_open(&ctx))
			_exit(91);
		bad |= migoff_get_info(ctx, &i) != 0;
		bad |= migoff_get_batch_caps(ctx, &b) != 0;
		bad |= migoff_get_stats(ctx, MIGOFF_STATS_TOTAL, 0, &c) != 0;
		bad |= migrator_id(ctx, "cpu") < 0;
		bad |= (migoff_enable(ctx, BIT(MIGOFF_REASON_SYSCALL), "cpu") != -EPERM) << 1;
		bad |= (migoff_disable(ctx, MIGOFF_REASONS_ALL) != -EPERM) << 2;
		bad |= (migoff_set_batch(ctx, MIGOFF_BATCH_SET_MAX_PAGES, 64, 0) != -EPERM) << 3;
		bad |= (migoff_set_param(ctx, "mtcopy", "threads", 1) != -EPERM) << 4;
		bad |= (migoff_reset_stats(ctx) != -EPERM) << 5;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("failed checks mask %#x", WEXITSTATUS(status));
	raw_get_routes(_metadata, self->fd, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
}

TEST_HARNESS_MAIN

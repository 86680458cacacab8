// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of migrate_offload.ko's pure helpers, built as their own
 * module (migoff_kunit.ko, with CONFIG_KUNIT): load migrate_offload.ko
 * first; results are in the kernel log (KTAP) and in
 * /sys/kernel/debug/kunit/<suite>/results.
 *
 * migoff_quota_bucket: the quota token bucket with the time injected:
 * clocks going backwards, huge rates over long gaps, huge bursts, many
 * small refills at a low rate.
 *
 * migoff_batch_order: the folio pairs the quota takes out of a batch go
 * back exactly where they were.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/module.h>

#include "migoff_core.h"

#define SEC	1000000000ULL

/* The clock read before the lock is older than the stored last_ns. */
static void bucket_now_before_last(struct kunit *test)
{
	struct migoff_bucket b;

	migoff_bucket_init(&b, 4000000000ULL, 8 << 20, 100 * SEC);
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, 100 * SEC, 8 << 20));
	/* 1 ns earlier: no refill, no wrap, last_ns does not go back. */
	KUNIT_EXPECT_FALSE(test, migoff_bucket_take(&b, 100 * SEC - 1, 4096));
	KUNIT_EXPECT_EQ(test, b.tokens, 0ULL);
	KUNIT_EXPECT_EQ(test, b.last_ns, 100 * SEC);
	/* Far earlier (a u64 gap that would wrap to ~2^64). */
	KUNIT_EXPECT_FALSE(test, migoff_bucket_take(&b, 0, 1));
	KUNIT_EXPECT_EQ(test, b.tokens, 0ULL);
	KUNIT_EXPECT_EQ(test, b.last_ns, 100 * SEC);
	/* Time moving on again refills from last_ns: 1 ms at 4e9 B/s. */
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, 100 * SEC + 1000000, 4000000));
	KUNIT_EXPECT_EQ(test, b.tokens, 0ULL);
	KUNIT_EXPECT_EQ(test, b.last_ns, 100 * SEC + 1000000);
}

/* rate = U64_MAX over 10 s: rate * gap overflows u64 many times over. */
static void bucket_max_rate_long_gap(struct kunit *test)
{
	struct migoff_bucket b;

	migoff_bucket_init(&b, U64_MAX, 1 << 20, 5 * SEC);
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, 5 * SEC, 1 << 20));
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, 15 * SEC, 1 << 20));
	KUNIT_EXPECT_EQ(test, b.tokens, 0ULL);
	KUNIT_EXPECT_EQ(test, b.last_ns, 15 * SEC);
	/* Refilled to burst, not beyond, however long the gap. */
	migoff_bucket_refill(&b, U64_MAX);
	KUNIT_EXPECT_EQ(test, b.tokens, 1ULL << 20);
	KUNIT_EXPECT_EQ(test, b.last_ns, U64_MAX);
	/* And 1 ns at U64_MAX B/s is 1.8e10 bytes: still capped at burst. */
	migoff_bucket_init(&b, U64_MAX, 1 << 20, 0);
	b.tokens = 0;
	migoff_bucket_refill(&b, 1);
	KUNIT_EXPECT_EQ(test, b.tokens, 1ULL << 20);
}

/* burst = U64_MAX: tokens + refill must saturate, not wrap. */
static void bucket_max_burst(struct kunit *test)
{
	struct migoff_bucket b;

	migoff_bucket_init(&b, U64_MAX, U64_MAX, 0);
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, 0, 4096));
	KUNIT_EXPECT_EQ(test, b.tokens, U64_MAX - 4096);
	migoff_bucket_refill(&b, 10 * SEC);
	KUNIT_EXPECT_EQ(test, b.tokens, U64_MAX);
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, 10 * SEC, U64_MAX));
	KUNIT_EXPECT_EQ(test, b.tokens, 0ULL);
	/* A huge burst at a modest rate: exact refill, no overflow. */
	migoff_bucket_init(&b, 4000000000ULL, U64_MAX, 0);
	b.tokens = 0;
	migoff_bucket_refill(&b, 3 * SEC + SEC / 2);
	KUNIT_EXPECT_EQ(test, b.tokens, 14000000000ULL);
	/* The longest gap a u64 holds: exact at 1 MB/s... */
	migoff_bucket_init(&b, 1000000, U64_MAX, 0);
	b.tokens = 0;
	migoff_bucket_refill(&b, U64_MAX);
	KUNIT_EXPECT_EQ(test, b.tokens,
			(U64_MAX / SEC) * 1000000 + (U64_MAX % SEC) / 1000);
	/* ... and saturating at 4e9 B/s, where gap * rate overflows. */
	migoff_bucket_init(&b, 4000000000ULL, U64_MAX, 0);
	b.tokens = 0;
	migoff_bucket_refill(&b, U64_MAX);
	KUNIT_EXPECT_EQ(test, b.tokens, U64_MAX);
}

/* Many refills of less than a byte each must add up, not vanish. */
static void bucket_low_rate_small_steps(struct kunit *test)
{
	struct migoff_bucket b;
	u64 t;

	migoff_bucket_init(&b, 1000, 1 << 20, 0);
	b.tokens = 0;
	/* Every 100 us for 2 s: 0.1 byte per step, 2000 bytes in all. */
	for (t = 100000; t <= 2 * SEC; t += 100000)
		migoff_bucket_refill(&b, t);
	KUNIT_EXPECT_EQ(test, b.tokens, 2000ULL);
	/* Every 1.5 ms at 1000 B/s: 1.5 bytes per step, no fraction lost. */
	migoff_bucket_init(&b, 1000, 1 << 20, 0);
	b.tokens = 0;
	for (t = 1500000; t <= 3 * SEC; t += 1500000)
		migoff_bucket_refill(&b, t);
	KUNIT_EXPECT_EQ(test, b.tokens, 3000ULL);
}

/* A bucket that never refills, and taking exactly what is left. */
static void bucket_edges(struct kunit *test)
{
	struct migoff_bucket b;

	migoff_bucket_init(&b, 0, 8192, 0);
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, SEC, 8192));
	KUNIT_EXPECT_FALSE(test, migoff_bucket_take(&b, 1000 * SEC, 1));
	KUNIT_EXPECT_EQ(test, b.tokens, 0ULL);

	migoff_bucket_init(&b, 4096, 4096, 0);
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, 0, 4096));
	KUNIT_EXPECT_FALSE(test, migoff_bucket_take(&b, SEC - 1, 4096));
	KUNIT_EXPECT_TRUE(test, migoff_bucket_take(&b, SEC, 4096));
	KUNIT_EXPECT_FALSE(test, migoff_bucket_take(&b, SEC, 1));
}

static struct kunit_case bucket_cases[] = {
	KUNIT_CASE(bucket_now_before_last),
	KUNIT_CASE(bucket_max_rate_long_gap),
	KUNIT_CASE(bucket_max_burst),
	KUNIT_CASE(bucket_low_rate_small_steps),
	KUNIT_CASE(bucket_edges),
	{ }
};

static struct kunit_suite bucket_suite = {
	.name = "migoff_quota_bucket",
	.test_cases = bucket_cases,
};

#define NR_PAIRS	70

struct pair_item {
	struct list_head lru;
	unsigned int id;
};

/* Whether @head holds items @first.. in order, skipping the set bits. */
static bool list_is(struct list_head *head, const unsigned long *skip,
		    unsigned int nr, bool taken)
{
	struct pair_item *it;
	unsigned int i = 0;

	list_for_each_entry(it, head, lru) {
		while (i < nr && (taken ? !test_bit(i, skip) : test_bit(i, skip)))
			i++;
		if (i == nr || it->id != i)
			return false;
		i++;
	}
	while (i < nr && (taken ? !test_bit(i, skip) : test_bit(i, skip)))
		i++;
	return i == nr;
}

static void batch_take_out_put_back(struct kunit *test)
{
	static const unsigned int sets[][6] = {
		{ 0, 1, 2, 69, 69, 69 },	/* a prefix and the last */
		{ 3, 4, 9, 33, 64, 65 },	/* runs, across a word */
		{ 68, 68, 68, 68, 68, 68 },
	};
	struct pair_item *src, *dst;
	DECLARE_BITMAP(out, NR_PAIRS);
	DECLARE_BITMAP(none, NR_PAIRS);
	LIST_HEAD(src_list);
	LIST_HEAD(dst_list);
	unsigned int i, s, n;

	src = kunit_kcalloc(test, NR_PAIRS, sizeof(*src), GFP_KERNEL);
	dst = kunit_kcalloc(test, NR_PAIRS, sizeof(*dst), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	for (i = 0; i < NR_PAIRS; i++) {
		src[i].id = i;
		dst[i].id = i;
		list_add_tail(&src[i].lru, &src_list);
		list_add_tail(&dst[i].lru, &dst_list);
	}
	bitmap_zero(none, NR_PAIRS);

	for (s = 0; s < ARRAY_SIZE(sets); s++) {
		LIST_HEAD(ex_src);
		LIST_HEAD(ex_dst);

		bitmap_zero(out, NR_PAIRS);
		for (i = 0; i < ARRAY_SIZE(sets[s]); i++)
			__set_bit(sets[s][i], out);
		n = migoff_batch_take_out(&dst_list, &src_list, NR_PAIRS, out,
					  &ex_dst, &ex_src);
		KUNIT_EXPECT_EQ(test, n, bitmap_weight(out, NR_PAIRS));
		KUNIT_EXPECT_TRUE(test, list_is(&src_list, out, NR_PAIRS, false));
		KUNIT_EXPECT_TRUE(test, list_is(&dst_list, out, NR_PAIRS, false));
		KUNIT_EXPECT_TRUE(test, list_is(&ex_src, out, NR_PAIRS, true));
		KUNIT_EXPECT_TRUE(test, list_is(&ex_dst, out, NR_PAIRS, true));
		migoff_batch_put_back(&dst_list, &src_list, NR_PAIRS, out,
				      &ex_dst, &ex_src);
		KUNIT_EXPECT_TRUE(test, list_empty(&ex_src));
		KUNIT_EXPECT_TRUE(test, list_empty(&ex_dst));
		KUNIT_EXPECT_TRUE(test, list_is(&src_list, none, NR_PAIRS, false));
		KUNIT_EXPECT_TRUE(test, list_is(&dst_list, none, NR_PAIRS, false));
	}

	/* Everything taken out, and back. */
	{
		LIST_HEAD(ex_src);
		LIST_HEAD(ex_dst);

		bitmap_fill(out, NR_PAIRS);
		n = migoff_batch_take_out(&dst_list, &src_list, NR_PAIRS, out,
					  &ex_dst, &ex_src);
		KUNIT_EXPECT_EQ(test, n, NR_PAIRS);
		KUNIT_EXPECT_TRUE(test, list_empty(&src_list));
		migoff_batch_put_back(&dst_list, &src_list, NR_PAIRS, out,
				      &ex_dst, &ex_src);
		KUNIT_EXPECT_TRUE(test, list_is(&src_list, none, NR_PAIRS, false));
		KUNIT_EXPECT_TRUE(test, list_is(&dst_list, none, NR_PAIRS, false));
	}
}

static struct kunit_case batch_cases[] = {
	KUNIT_CASE(batch_take_out_put_back),
	{ }
};

static struct kunit_suite batch_suite = {
	.name = "migoff_batch_order",
	.test_cases = batch_cases,
};

kunit_test_suites(&bucket_suite, &batch_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of migrate_offload's quota bucket and batch lists");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

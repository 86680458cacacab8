// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the engine's pure helpers, built as their own module
 * (migoff_kunit.ko, with CONFIG_KUNIT), which needs the engine's; results
 * are in the kernel log (KTAP) and in /sys/kernel/debug/kunit/<suite>/results.
 *
 * migoff_quota_bucket: the quota token bucket with the time injected:
 * clocks going backwards, huge rates over long gaps, huge bursts, many
 * small refills at a low rate.
 *
 * migoff_batch_order: the folio pairs the quota takes out of a batch go
 * back exactly where they were.
 *
 * migoff_auto: the automatic choice with injected costs and time: a
 * migrator whose first batch fails, one that gets cheaper later, one that
 * always fails, an estimate that ages; it must re-probe and converge, and
 * no penalty is unbounded.
 */
#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/sizes.h>

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

/* The auto tests use a reason of their own and a migrator that is not registered. */
#define AUTO_REASON	MIGOFF_REASON_DAMON
#define MS		1000000ULL

struct auto_sim {
	struct migoff_engine e;
	u64 now;
	u64 mig_ns, cpu_ns;	/* what a 2 MiB batch costs each side now */
	bool mig_fails;		/* the migrator copies nothing */
};

static int auto_init(struct kunit *test)
{
	struct auto_sim *sim = kunit_kzalloc(test, sizeof(*sim), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, sim);
	KUNIT_ASSERT_EQ(test, migoff_auto_alloc(&sim->e), 0);
	migoff_auto_reset(&sim->e, AUTO_REASON);
	sim->now = 1000 * SEC;
	test->priv = sim;
	return 0;
}

static void auto_exit(struct kunit *test)
{
	struct auto_sim *sim = test->priv;

	migoff_auto_reset(&sim->e, AUTO_REASON);
	migoff_auto_free(&sim->e);
}

/* One 2 MiB batch of class 0; returns the side that copied it. */
static enum migoff_auto_side auto_batch(struct auto_sim *sim)
{
	u64 bytes = 2 << 20, ns, copied;
	enum migoff_auto_side side;

	side = migoff_auto_choose(&sim->e, AUTO_REASON, 0, bytes, sim->now);
	if (side == MIGOFF_AUTO_MIGRATOR) {
		ns = sim->mig_ns;
		copied = sim->mig_fails ? 0 : bytes;
	} else {
		ns = sim->cpu_ns;
		copied = bytes;
	}
	sim->now += ns + MS;
	migoff_auto_record(&sim->e, AUTO_REASON, 0, side, ns, copied, bytes, sim->now);
	return side;
}

static struct migoff_auto_class auto_class0(struct auto_sim *sim)
{
	struct migoff_auto a = { };

	migoff_auto_get(&sim->e, AUTO_REASON, &a);
	return a.classes[0];
}

/* How many of @n batches the migrator copied. */
static unsigned int auto_run(struct auto_sim *sim, unsigned int n)
{
	unsigned int i, mig = 0;

	for (i = 0; i < n; i++)
		mig += auto_batch(sim) == MIGOFF_AUTO_MIGRATOR;
	return mig;
}

/*
 * The migrator's first batch fails (GFP_NOWAIT, a timeout): a bounded
 * penalty, and once it works and is cheaper, it is probed and chosen.
 */
static void auto_first_batch_fails(struct kunit *test)
{
	struct auto_sim *sim = test->priv;
	struct migoff_auto_class k;
	unsigned int i, first_probe = 0;

	sim->mig_ns = 1 * MS;
	sim->cpu_ns = 2 * MS;
	sim->mig_fails = true;
	KUNIT_EXPECT_EQ(test, auto_batch(sim), MIGOFF_AUTO_MIGRATOR);
	KUNIT_EXPECT_EQ(test, auto_batch(sim), MIGOFF_AUTO_CPU);
	k = auto_class0(sim);
	/* At most 1 s per MiB, never U32_MAX or worse. */
	KUNIT_EXPECT_LE(test, k.migrator_ns_per_mib, 1000 * MS);
	KUNIT_EXPECT_GT(test, k.migrator_ns_per_mib, k.cpu_ns_per_mib);

	sim->mig_fails = false;
	for (i = 1; i <= 400 && !first_probe; i++)
		if (auto_batch(sim) == MIGOFF_AUTO_MIGRATOR)
			first_probe = i;
	KUNIT_EXPECT_NE(test, first_probe, 0U);
	KUNIT_EXPECT_LE(test, first_probe, 257U);
	/* One good probe is enough: the penalty is replaced, not averaged. */
	KUNIT_EXPECT_GE(test, auto_run(sim, 100), 95U);
	k = auto_class0(sim);
	KUNIT_EXPECT_LT(test, k.migrator_ns_per_mib, k.cpu_ns_per_mib);
}

/* A migrator slower at first, then twice as fast as the CPU. */
static void auto_migrator_gets_cheaper(struct kunit *test)
{
	struct auto_sim *sim = test->priv;

	sim->mig_ns = 8 * MS;
	sim->cpu_ns = 2 * MS;
	KUNIT_EXPECT_LE(test, auto_run(sim, 1000), 20U);
	sim->mig_ns = 1 * MS;
	/* Re-measured within 256 batches, and its average follows in a few probes. */
	auto_run(sim, 1500);
	KUNIT_EXPECT_GE(test, auto_run(sim, 100), 95U);
}

/* The CPU gets cheaper than a winning migrator: the CPU is re-probed too. */
static void auto_cpu_gets_cheaper(struct kunit *test)
{
	struct auto_sim *sim = test->priv;

	sim->mig_ns = 1 * MS;
	sim->cpu_ns = 4 * MS;
	KUNIT_EXPECT_GE(test, auto_run(sim, 500), 480U);
	sim->cpu_ns = MS / 4;
	auto_run(sim, 1500);
	KUNIT_EXPECT_LE(test, auto_run(sim, 100), 5U);
}

/* A migrator that always fails: bounded estimate, yet still probed. */
static void auto_always_fails(struct kunit *test)
{
	struct auto_sim *sim = test->priv;
	struct migoff_auto_class k;
	unsigned int mig;

	sim->mig_ns = MS / 10;
	sim->cpu_ns = 2 * MS;
	sim->mig_fails = true;
	mig = auto_run(sim, 2048);
	k = auto_class0(sim);
	KUNIT_EXPECT_LE(test, k.migrator_ns_per_mib, 1000 * MS);
	/* Probed at least once per 256 batches, and not much more often. */
	KUNIT_EXPECT_GE(test, mig, 2048U / 257);
	KUNIT_EXPECT_LE(test, mig, 2048U / 16);
}

/* A loser's estimate that is old enough is re-measured, however few batches. */
static void auto_estimate_ages(struct kunit *test)
{
	struct auto_sim *sim = test->priv;
	unsigned int mig;

	sim->mig_ns = 8 * MS;
	sim->cpu_ns = 2 * MS;
	auto_run(sim, 3);	/* both measured; the CPU wins */
	mig = auto_run(sim, 10);
	KUNIT_EXPECT_EQ(test, mig, 0U);
	sim->now += 3 * SEC;
	KUNIT_EXPECT_EQ(test, auto_batch(sim), MIGOFF_AUTO_MIGRATOR);
}

/* A reset (route change, RESET_STATS) forgets both sides. */
static void auto_reset_forgets(struct kunit *test)
{
	struct auto_sim *sim = test->priv;
	struct migoff_auto_class k;

	sim->mig_ns = 8 * MS;
	sim->cpu_ns = 2 * MS;
	auto_run(sim, 10);
	migoff_auto_reset(&sim->e, AUTO_REASON);
	k = auto_class0(sim);
	KUNIT_EXPECT_EQ(test, k.migrator_ns_per_mib, 0ULL);
	KUNIT_EXPECT_EQ(test, k.cpu_ns_per_mib, 0ULL);
	KUNIT_EXPECT_EQ(test, k.batches_migrator + k.batches_cpu + k.batches_probe, 0ULL);
}

/*
 * A batch that starts with a THP and goes on with base pages is classed
 * by its mean folio size, not by its first folio: its cost per MiB is
 * that of base pages, and would skew the THP class's estimate.
 */
static void auto_class_by_mean_size(struct kunit *test)
{
	u64 thp = PMD_SIZE, base = PAGE_SIZE, n = PMD_SIZE / PAGE_SIZE;

	KUNIT_EXPECT_EQ(test, migoff_auto_class(thp, 1), MIGOFF_AUTO_CLASSES - 1);
	KUNIT_EXPECT_EQ(test, migoff_auto_class(n * base, n), 0U);
	/* One THP and n - 1 base pages: a mean under two base pages. */
	KUNIT_EXPECT_EQ(test, migoff_auto_class(thp + (n - 1) * base, n), 0U);
	/* Two THPs and a base page: a mean of 64 KiB and more, below PMD size. */
	KUNIT_EXPECT_EQ(test, migoff_auto_class(2 * thp + base, 3), 2U);
	KUNIT_EXPECT_EQ(test, migoff_auto_class(0, 0), 0U);
}

static struct kunit_case auto_cases[] = {
	KUNIT_CASE(auto_class_by_mean_size),
	KUNIT_CASE(auto_first_batch_fails),
	KUNIT_CASE(auto_migrator_gets_cheaper),
	KUNIT_CASE(auto_cpu_gets_cheaper),
	KUNIT_CASE(auto_always_fails),
	KUNIT_CASE(auto_estimate_ages),
	KUNIT_CASE(auto_reset_forgets),
	{ }
};

static struct kunit_suite auto_suite = {
	.name = "migoff_auto",
	.init = auto_init,
	.exit = auto_exit,
	.test_cases = auto_cases,
};

kunit_test_suites(&bucket_suite, &batch_suite, &auto_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of migrate_offload's quota bucket, batch lists and auto choice");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

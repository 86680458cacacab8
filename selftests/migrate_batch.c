// SPDX-License-Identifier: GPL-2.0
/*
 * move_pages(2) through the batch-copy path: 64 MiB moved from node 0 to
 * node 1 and back in 4 KiB folios, 64 KiB mTHPs and 2 MiB THPs, with and
 * without the test migrator registered. Every byte is verified after every
 * move, every status[] entry and the node of every 4 KiB page is checked,
 * and the migrator's own counters prove that it copied the folios.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "migoff_util.h"

#define MR_SYSCALL	3	/* enum migrate_reason */
#define BUF_LEN		MiB(64)

FIXTURE(batch) {
	struct migoff_thp_state thp;
	struct migoff_buf buf;
};

FIXTURE_VARIANT(batch) {
	size_t folio_size;
	bool offload;
};

FIXTURE_VARIANT_ADD(batch, folio_4k_vanilla) { .folio_size = KiB(4), .offload = false };
FIXTURE_VARIANT_ADD(batch, folio_4k_offload) { .folio_size = KiB(4), .offload = true };
FIXTURE_VARIANT_ADD(batch, mthp_64k_vanilla) { .folio_size = KiB(64), .offload = false };
FIXTURE_VARIANT_ADD(batch, mthp_64k_offload) { .folio_size = KiB(64), .offload = true };
FIXTURE_VARIANT_ADD(batch, thp_2m_vanilla) { .folio_size = MiB(2), .offload = false };
FIXTURE_VARIANT_ADD(batch, thp_2m_offload) { .folio_size = MiB(2), .offload = true };

FIXTURE_SETUP(batch)
{
	char why[256];

	ASSERT_TRUE(testmig_loaded()) TH_LOG("migoff_testmig is not loaded");
	ASSERT_LE(0, migoff_vmstat("pgmigrate_success"))
		TH_LOG("no migration counters in /proc/vmstat (CONFIG_VM_EVENT_COUNTERS)");
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(&self->thp));
	ASSERT_EQ(0, testmig_set("mode", "copy"));
	ASSERT_EQ(0, testmig_set("reset", "1"));
	ASSERT_EQ(0, testmig_set("registered", variant->offload ? "1" : "0"));
	ASSERT_EQ(0, migoff_buf_alloc(&self->buf, BUF_LEN, variant->folio_size,
				      0, 0x5eed, why, sizeof(why)))
		TH_LOG("%s", why);
}

FIXTURE_TEARDOWN(batch)
{
	migoff_buf_free(&self->buf);
	testmig_set("registered", "0");
	migoff_thp_restore(&self->thp);
}

TEST_F_TIMEOUT(batch, move_there_and_back, 600)
{
	long long pgmig0 = migoff_vmstat("pgmigrate_success");
	long long thp0 = migoff_vmstat("thp_migration_success");
	size_t nfolios = BUF_LEN / variant->folio_size;
	int nodes[2] = { 1, 0 };
	char why[256];
	long bad;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, migoff_move(&self->buf, nodes[i], NULL, why, sizeof(why)))
			TH_LOG("%s", why);
		bad = migoff_verify(self->buf.mem, BUF_LEN, 0x5eed);
		ASSERT_EQ(-1, bad) TH_LOG("byte %ld wrong after move to node %d",
					  bad, nodes[i]);
	}

	/* The kernel's own accounting: every page moved twice. */
	EXPECT_EQ(2 * (long long)(BUF_LEN / KiB(4)),
		  migoff_vmstat("pgmigrate_success") - pgmig0);
	if (variant->folio_size == MiB(2))
		EXPECT_EQ(2 * (long long)nfolios,
			  migoff_vmstat("thp_migration_success") - thp0);

	if (variant->offload) {
		/* The migrator copied every folio, whole, for move_pages(2). */
		EXPECT_EQ(2 * (long long)nfolios, testmig_get("folios_copied"));
		EXPECT_EQ(2 * (long long)BUF_LEN, testmig_get("bytes_copied"));
		EXPECT_EQ(2 * (long long)nfolios, testmig_get("folios_offered"));
		EXPECT_LE(2, testmig_get("batches"));
		EXPECT_EQ(MR_SYSCALL, testmig_get("last_reason"));
	} else {
		EXPECT_EQ(0, testmig_get("batches"));
		EXPECT_EQ(0, testmig_get("folios_copied"));
	}
}

TEST_HARNESS_MAIN

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
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <../../../mm/gup_test.h>

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

#define MTHP_STATS	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/stats/"

static long long mthp_stat(const char *name)
{
	char path[256];
	long long v;

	snprintf(path, sizeof(path), MTHP_STATS "%s", name);
	return migoff_read_ll(path, &v) ? -1 : v;
}

/*
 * A migration whose unmap fails midway must leave the mTHP as it found
 * it. The first half of one 64 KiB mTHP is shared with a child that has
 * exited (its pages are no longer exclusive), the second half is in a
 * MADV_DONTFORK VMA (still exclusive) and one of its pages is pinned:
 * try_to_migrate() unmaps the first half, then cannot unshare the pinned
 * folio and gives up, and the migration is undone. The folio is mapped
 * whole again, so it must not stay marked partially mapped: once the pin
 * is gone, the next migration moves it whole, without a split.
 */
FIXTURE(unmap) {
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(unmap)
{
	ASSERT_TRUE(testmig_loaded()) TH_LOG("migoff_testmig is not loaded");
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(&self->thp));
	/* The mm core alone: no migrator. */
	ASSERT_EQ(0, testmig_set("registered", "0"));
}

FIXTURE_TEARDOWN(unmap)
{
	migoff_thp_restore(&self->thp);
}

TEST_F_TIMEOUT(unmap, failed_unmap_keeps_the_mthp_whole, 300)
{
	struct pin_longterm_test pin = { 0 };
	long long split0, partial0;
	long bad_pages;
	struct migoff_buf b;
	char why[256];
	int fd, status;
	pid_t pid;

	fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("gup_test: %s (CONFIG_GUP_TEST, debugfs)", strerror(errno));
	ASSERT_EQ(0, migoff_buf_alloc(&b, KiB(64), KiB(64), 0, 0xf00d, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, madvise(b.mem + KiB(32), KiB(32), MADV_DONTFORK));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	pin.addr = (uintptr_t)b.mem + KiB(48);
	pin.size = KiB(4);
	ASSERT_EQ(0, ioctl(fd, PIN_LONGTERM_TEST_START, &pin)) TH_LOG("%s", strerror(errno));
	split0 = mthp_stat("split");
	partial0 = mthp_stat("nr_anon_partially_mapped");
	ASSERT_LE(0, split0);
	ASSERT_LE(0, partial0);
	/* Pinned: it cannot move, and nothing may be lost either. */
	EXPECT_EQ(0, migoff_move_some(&b, 1, 0, &bad_pages, why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(16, bad_pages);
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0xf00d));
	EXPECT_EQ(partial0, mthp_stat("nr_anon_partially_mapped"))
		TH_LOG("the failed migration left the mTHP marked partially mapped");
	ASSERT_EQ(0, ioctl(fd, PIN_LONGTERM_TEST_STOP));
	close(fd);

	/* Unpinned: it moves, whole. */
	ASSERT_EQ(0, migoff_move(&b, 1, NULL, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0xf00d));
	EXPECT_EQ(split0, mthp_stat("split")) TH_LOG("the mTHP was split to migrate");
	migoff_buf_free(&b);
}

TEST_HARNESS_MAIN

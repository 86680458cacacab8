// SPDX-License-Identifier: GPL-2.0
/*
 * Registration rules of the batch-copy migrator and what happens when a
 * migrator misbehaves: one migrator at a time (-EBUSY), reason filtering,
 * failed and partial copies falling back to the CPU with nothing lost, and
 * unregistering and unloading the module while migrations run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "migoff_util.h"

#define MR_COMPACTION	0
#define MR_SYSCALL	3

static char mask_str[32];
static char why[256];	/* why a round trip failed (each test is a process) */

static const char *reason_mask(unsigned int r)
{
	snprintf(mask_str, sizeof(mask_str), "%#lx", 1UL << r);
	return mask_str;
}

FIXTURE(reg) {
	struct migoff_thp_state thp;
};

FIXTURE_SETUP(reg)
{
	if (!testmig_loaded())
		ASSERT_EQ(0, testmig_load()) TH_LOG("cannot load $MIGOFF_MODDIR/migoff_testmig.ko");
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(&self->thp));
	ASSERT_EQ(0, testmig_set("registered", "0"));
	ASSERT_EQ(0, testmig_set("mode", "copy"));
	ASSERT_EQ(0, testmig_set("delay_us", "0"));
	ASSERT_EQ(0, testmig_set("reasons", "0x3fd"));
	ASSERT_EQ(0, testmig_set("reset", "1"));
}

FIXTURE_TEARDOWN(reg)
{
	if (testmig_loaded()) {
		testmig_set("registered", "0");
		testmig_set("mode", "copy");
		testmig_set("delay_us", "0");
	}
	migoff_thp_restore(&self->thp);
}

TEST_F_TIMEOUT(reg, second_migrator_gets_ebusy, 60)
{
	ASSERT_EQ(0, testmig_set("registered", "1"));
	EXPECT_EQ(-EBUSY, testmig_set("register_second", "1"));
	ASSERT_EQ(0, testmig_set("registered", "0"));
	/* With the slot free, the second one registers (and is removed). */
	EXPECT_EQ(0, testmig_set("register_second", "1"));
}

TEST_F_TIMEOUT(reg, invalid_reason_mask_rejected, 60)
{
	/* MR_MEMORY_FAILURE (bit 1) can never be offloaded. */
	EXPECT_EQ(-EINVAL, testmig_set("reasons", "0x2"));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	EXPECT_EQ(-EINVAL, testmig_set("reasons", "0x2"));
	EXPECT_EQ(0x3fd, testmig_get("reasons"));
}

TEST_F_TIMEOUT(reg, reason_filter, 300)
{
	ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_COMPACTION)));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	ASSERT_EQ(0, migoff_round_trip(MiB(8), KiB(4), 1, why, sizeof(why))) TH_LOG("%s", why);
	/*
	 * Background compaction may use it; move_pages(2) must not: none of
	 * the round trip's folios reached the migrator, and no batch of a
	 * reason outside the mask did (the reads must work for that to mean
	 * anything).
	 */
	ASSERT_LE(0, testmig_get("batches")) TH_LOG("cannot read the test migrator's counters");
	EXPECT_EQ(0, testmig_get("wrong_reason"));
	EXPECT_GT(2 * (long long)(MiB(8) / KiB(4)), testmig_get("folios_copied"))
		TH_LOG("the syscall round trip was offloaded with only compaction allowed");
	EXPECT_NE(MR_SYSCALL, testmig_get("last_reason"))
		TH_LOG("syscall batch offloaded with only compaction allowed");

	ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_SYSCALL)));
	ASSERT_EQ(0, migoff_round_trip(MiB(8), KiB(4), 2, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_LT(0, testmig_get("batches"));
	EXPECT_EQ(2 * (long long)(MiB(8) / KiB(4)), testmig_get("folios_copied"));
	EXPECT_EQ(MR_SYSCALL, testmig_get("last_reason"));
}

/*
 * The largest batch of a move_pages(2) round trip of 16 MiB of 4 KiB folios,
 * from the mm_migrate_first_folio tracepoint, and in *@n how many batches
 * there were; -2 when the round trip failed (@why says why).
 */
static long long largest_syscall_batch(uint64_t seed, long *n)
{
	*n = 0;
	if (migoff_trace_start("mm_migrate_first_folio")) {
		snprintf(why, sizeof(why), "cannot enable mm_migrate_first_folio");
		return -2;
	}
	if (migoff_round_trip(MiB(16), KiB(4), seed, why, sizeof(why)))
		return -2;
	return migoff_trace_max("mm_migrate_first_folio", "syscall_or_cpuset",
				"nr_folios", n);
}

/*
 * The batch cap belongs to the migrator: it sizes only the batches the
 * migrator is given, and the mm core forgets it when the migrator goes.
 * Batch sizes are read from the mm_migrate_first_folio tracepoint (one
 * event per migrate_pages_batch() call, with its folio count).
 */
TEST_F_TIMEOUT(reg, batch_cap_only_for_offloaded_batches, 300)
{
	long n;

	/* Not registered: nothing to set the cap of. */
	EXPECT_EQ(-EINVAL, testmig_set("max_batch_pages", "4096"));

	/* Registered for compaction only: move_pages(2) keeps 512 pages. */
	ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_COMPACTION)));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	ASSERT_EQ(0, testmig_set("max_batch_pages", "4096"));
	EXPECT_EQ(512, largest_syscall_batch(0xca9, &n))
		TH_LOG("a CPU-copied move_pages(2) batch took the migrator's cap (%s)", why);
	EXPECT_LE(16, n);

	/* Offloaded: the cap applies. */
	ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_SYSCALL)));
	EXPECT_EQ(4096, largest_syscall_batch(0xcaa, &n)) TH_LOG("%s", why);
	EXPECT_LE(2, n);

	/* Unregistered and registered again: the default is back. */
	ASSERT_EQ(0, testmig_set("registered", "0"));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	ASSERT_EQ(0, testmig_set("reset", "1"));
	EXPECT_EQ(512, largest_syscall_batch(0xcab, &n))
		TH_LOG("the cap outlived the migrator that set it (%s)", why);
	EXPECT_LT(0, testmig_get("batches"));
	migoff_trace_stop("mm_migrate_first_folio");
}

/*
 * move_pages(2) of @nr anonymous 4 KiB folios of @b interleaved with @nr
 * folios of @file to @node; 0, or -1 with @why set. Checks every status.
 */
static int move_mixed(struct migoff_buf *b, const char *file, long nr, int node)
{
	void **pages = calloc(2 * nr, sizeof(*pages));
	int *nodes = calloc(2 * nr, sizeof(*nodes));
	int *status = calloc(2 * nr, sizeof(*status));
	long i, ret = -1;

	if (!pages || !nodes || !status) {
		snprintf(why, sizeof(why), "out of memory");
		goto out;
	}
	for (i = 0; i < nr; i++) {
		pages[2 * i] = b->mem + i * KiB(4);
		pages[2 * i + 1] = (char *)file + i * KiB(4);
		nodes[2 * i] = nodes[2 * i + 1] = node;
	}
	ret = move_pages(0, 2 * nr, pages, nodes, status, MPOL_MF_MOVE);
	if (ret) {
		snprintf(why, sizeof(why), "move_pages: %ld (%s)", ret, strerror(errno));
		ret = -1;
		goto out;
	}
	for (i = 0; !ret && i < 2 * nr; i++) {
		if (status[i] != node) {
			snprintf(why, sizeof(why), "move_pages status of %s page %ld: %d, want node %d",
				 i % 2 ? "ramfs" : "anonymous", i / 2, status[i], node);
			ret = -1;
		}
	}
	if (ret)
		goto out;
	/* Where each page is now, asked afresh. */
	ret = move_pages(0, 2 * nr, pages, NULL, status, 0);
	for (i = 0; !ret && i < 2 * nr; i++) {
		if (status[i] != node) {
			snprintf(why, sizeof(why), "%s page %ld on %d, not on node %d",
				 i % 2 ? "ramfs" : "anonymous", i / 2, status[i], node);
			ret = -1;
		}
	}
out:
	free(pages);
	free(nodes);
	free(status);
	return ret;
}

/*
 * move_mixed() with the mm_migrate_@event tracepoint on: the largest
 * nr_folios it recorded, and in *@n how many events; -2 when the move
 * failed (@why says why) or the event could not be turned on.
 */
static long long traced_mixed(const char *event, struct migoff_buf *b,
			      const char *file, long nr, int node, long *n)
{
	long long v = -2;

	*n = 0;
	if (migoff_trace_start(event)) {
		snprintf(why, sizeof(why), "cannot enable %s", event);
		return -2;
	}
	if (!move_mixed(b, file, nr, node))
		v = migoff_trace_max(event, "syscall_or_cpuset", "nr_folios", n);
	migoff_trace_stop(event);
	return v;
}

/*
 * The cap counts the folios the migrator is offered, not the whole batch.
 * ramfs folios have no migrate_folio callback of the family the batch copy
 * serves: the CPU copies them in the move phase, whatever the migrator
 * asked. A move_pages(2) of anonymous folios interleaved with as many
 * ramfs folios, under a cap of 64 pages, must offer the migrator batches
 * of 64 folios (32 when the ramfs folios counted too) and put the ramfs
 * folios beside them, not instead of them.
 */
TEST_F_TIMEOUT(reg, batch_cap_counts_only_offered_folios, 300)
{
	const long nr = 1024;
	char dir[] = "/tmp/migoff-ramfs.XXXXXX", path[64];
	unsigned long node0 = 1;
	long long offered, batch;
	struct migoff_buf b;
	long n, i, sum = 0;
	char *file;
	int fd;

	ASSERT_EQ(0, migoff_buf_alloc(&b, nr * KiB(4), KiB(4), 0, 0xcb1, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("migoff", dir, "ramfs", 0, NULL))
		TH_LOG("mount ramfs on %s: %s", dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, nr * KiB(4)));
	file = mmap(NULL, nr * KiB(4), PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, file);
	/* Clean, zero-filled page cache on node 0: read faults under a bind. */
	ASSERT_EQ(0, set_mempolicy(MPOL_BIND, &node0, sizeof(node0) * 8));
	for (i = 0; i < nr; i++)
		sum += ((volatile char *)file)[i * KiB(4)];
	ASSERT_EQ(0, set_mempolicy(MPOL_DEFAULT, NULL, 0));
	ASSERT_EQ(0, sum);

	ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_SYSCALL)));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	ASSERT_EQ(0, testmig_set("max_batch_pages", "64"));

	/* There: what the migrator is offered per batch. */
	offered = traced_mixed("mm_migrate_batch_copy", &b, file, nr, 1, &n);
	ASSERT_NE(-2, offered) TH_LOG("%s", why);
	EXPECT_EQ(64, offered) TH_LOG("largest batch offered to the migrator, of %ld", n);
	EXPECT_LE(nr / 64, n);

	/* Back: how big the batches are, ramfs folios included. */
	batch = traced_mixed("mm_migrate_first_folio", &b, file, nr, 0, &n);
	ASSERT_NE(-2, batch) TH_LOG("%s", why);
	EXPECT_LE(127, batch) TH_LOG("largest batch, of %ld", n);
	EXPECT_GE(128, batch);

	/* Only the anonymous folios were offered, each one once per move. */
	EXPECT_EQ(2 * nr, testmig_get("folios_offered"));
	EXPECT_EQ(2 * nr, testmig_get("folios_copied"));
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0xcb1));
	for (i = 0; i < nr * (long)KiB(4); i++)
		sum |= file[i];
	EXPECT_EQ(0, sum) TH_LOG("a ramfs page lost its zeroes");

	ASSERT_EQ(0, testmig_set("registered", "0"));
	munmap(file, nr * KiB(4));
	close(fd);
	EXPECT_EQ(0, umount(dir));
	rmdir(dir);
	migoff_buf_free(&b);
}

/*
 * A folio whose copy hit a memory error in its source is reported then
 * (copy_mc_highpage() queues the memory failure) and must not be copied
 * again: not by migrate_folios_mc_copy(), to which an engine hands back
 * the batch it copied part of, nor by the move phase, which fails it with
 * -EHWPOISON. The test migrator marks every fourth folio so, with its
 * destination scribbled over: a folio copied again would move, with the
 * right bytes, so every marked folio must still be on node 0, and every
 * byte right. The next move, without marks, moves them all.
 */
TEST_F_TIMEOUT(reg, poisoned_copy_is_not_copied_again, 300)
{
	const long nr = 1024;
	void **pages = calloc(nr, sizeof(*pages));
	int *nodes = calloc(nr, sizeof(*nodes));
	int *status = calloc(nr, sizeof(*status));
	long long poisoned;
	struct migoff_buf b;
	long i, ret;

	ASSERT_TRUE(pages && nodes && status);
	ASSERT_EQ(0, migoff_buf_alloc(&b, nr * KiB(4), KiB(4), 0, 0xcb2, why, sizeof(why)))
		TH_LOG("%s", why);
	ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_SYSCALL)));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	ASSERT_EQ(0, testmig_set("mode", "poison"));
	ASSERT_EQ(0, testmig_set("reset", "1"));

	for (i = 0; i < nr; i++) {
		pages[i] = b.mem + i * KiB(4);
		nodes[i] = 1;
	}
	ret = move_pages(0, nr, pages, nodes, status, MPOL_MF_MOVE);
	poisoned = testmig_get("poisoned");
	EXPECT_LE(nr / 4, poisoned);
	EXPECT_EQ(poisoned, ret) TH_LOG("move_pages: %ld not migrated (%s)", ret,
					ret < 0 ? strerror(errno) : "");
	EXPECT_EQ(poisoned, migoff_pages_off_node(&b, 1))
		TH_LOG("a folio whose copy was poisoned moved (it was copied again)");
	EXPECT_EQ(nr - poisoned, testmig_get("folios_copied"));
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0xcb2));

	/* The marks were for that migration only. */
	ASSERT_EQ(0, testmig_set("mode", "copy"));
	ret = move_pages(0, nr, pages, nodes, status, MPOL_MF_MOVE);
	EXPECT_EQ(0, ret);
	EXPECT_EQ(0, migoff_pages_off_node(&b, 1));
	EXPECT_EQ(-1, migoff_verify(b.mem, b.len, 0xcb2));

	ASSERT_EQ(0, testmig_set("registered", "0"));
	migoff_buf_free(&b);
	free(pages);
	free(nodes);
	free(status);
}

/*
 * Change the reason mask and the registered migrator over and over while
 * move_pages(2) batches are in flight: the mm core must never hand a
 * migrator a batch whose reason is outside the mask it was given, nor
 * hand the second migrator (registered with no reasons) anything. The
 * migrator counts every such batch; the mover verifies every byte.
 */
TEST_F_TIMEOUT(reg, never_a_reason_outside_the_mask, 600)
{
	struct migoff_mover m = { .len = MiB(8) };
	pthread_t t;
	int i;

	ASSERT_EQ(0, testmig_set("delay_us", "300"));
	ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_SYSCALL)));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	ASSERT_EQ(0, pthread_create(&t, NULL, migoff_mover_thread, &m));
	for (i = 0; i < 200 && !m.failed; i++) {
		ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_COMPACTION)));
		usleep(1000);
		ASSERT_EQ(0, testmig_set("reasons", reason_mask(MR_SYSCALL)));
		usleep(1000);
		if (i % 4 == 3) {
			ASSERT_EQ(0, testmig_set("registered", "0"));
			EXPECT_EQ(0, testmig_set("register_second", "1"));
			ASSERT_EQ(0, testmig_set("registered", "1"));
		}
	}
	m.stop = true;
	pthread_join(t, NULL);
	ASSERT_EQ(0, m.failed) TH_LOG("mover: %s", m.why);
	EXPECT_LT(0, testmig_get("batches"));
	EXPECT_EQ(0, testmig_get("wrong_reason"));
}

/*
 * The callback of a move_pages(2) migration gets no emergency reserves
 * (PF_MEMALLOC, which the mm core once set around it as a recursion
 * guard, makes every allocation in it ignore the watermarks), and is
 * marked PF_MIGRATE_COPY, so that a migration an allocation might start
 * from inside it is copied by the CPU. It allocates as a DMA driver would
 * (GFP_NOWAIT, 16 pages per batch), with lockdep watching.
 */
TEST_F_TIMEOUT(reg, callback_gets_no_reserves_and_is_guarded, 300)
{
	ASSERT_EQ(0, testmig_set("alloc_pages", "16"));
	ASSERT_EQ(0, testmig_set("registered", "1"));
	ASSERT_EQ(0, migoff_round_trip(MiB(8), KiB(4), 0x5ca, why, sizeof(why)))
		TH_LOG("%s", why);
	testmig_set("alloc_pages", "0");
	TH_LOG("%lld batches, %lld with PF_MEMALLOC, %lld unguarded, %lld allocations failed",
	       testmig_get("batches"), testmig_get("memalloc"), testmig_get("unguarded"),
	       testmig_get("alloc_failed"));
	EXPECT_LT(0, testmig_get("batches"));
	EXPECT_EQ(0, testmig_get("memalloc"));
	EXPECT_EQ(0, testmig_get("unguarded"));
}

FIXTURE(fallback) {
	struct migoff_thp_state thp;
};

FIXTURE_VARIANT(fallback) {
	const char *mode;
	size_t folio_size;
};

FIXTURE_VARIANT_ADD(fallback, fail_4k) { .mode = "fail", .folio_size = KiB(4) };
FIXTURE_VARIANT_ADD(fallback, fail_2m) { .mode = "fail", .folio_size = MiB(2) };
FIXTURE_VARIANT_ADD(fallback, partial_4k) { .mode = "partial", .folio_size = KiB(4) };
FIXTURE_VARIANT_ADD(fallback, partial_64k) { .mode = "partial", .folio_size = KiB(64) };
FIXTURE_VARIANT_ADD(fallback, partial_2m) { .mode = "partial", .folio_size = MiB(2) };

FIXTURE_SETUP(fallback)
{
	if (!testmig_loaded())
		ASSERT_EQ(0, testmig_load());
	ASSERT_LE(0, migoff_vmstat("pgmigrate_success"))
		TH_LOG("no migration counters in /proc/vmstat (CONFIG_VM_EVENT_COUNTERS)");
	ASSERT_EQ(0, migoff_numa_balancing_off());
	ASSERT_EQ(0, migoff_thp_save(&self->thp));
	ASSERT_EQ(0, testmig_set("reasons", "0x3fd"));
	ASSERT_EQ(0, testmig_set("reset", "1"));
	ASSERT_EQ(0, testmig_set("mode", variant->mode));
	ASSERT_EQ(0, testmig_set("registered", "1"));
}

FIXTURE_TEARDOWN(fallback)
{
	testmig_set("registered", "0");
	testmig_set("mode", "copy");
	migoff_thp_restore(&self->thp);
}

/*
 * The migrator scribbles over the destinations it does not mark; the move
 * phase must copy those again, so every byte still comes out right.
 */
TEST_F_TIMEOUT(fallback, nothing_lost, 300)
{
	size_t len = MiB(32), nfolios = len / variant->folio_size;
	long long pgmig0 = migoff_vmstat("pgmigrate_success");

	ASSERT_EQ(0, migoff_round_trip(len, variant->folio_size, 0xfa11, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(2 * (long long)(len / KiB(4)),
		  migoff_vmstat("pgmigrate_success") - pgmig0);
	EXPECT_EQ(2 * (long long)nfolios, testmig_get("folios_offered"));
	if (!strcmp(variant->mode, "fail")) {
		EXPECT_EQ(0, testmig_get("folios_copied"));
	} else {
		/* every other folio offered, counted across batches */
		EXPECT_TRUE(llabs(testmig_get("folios_copied") - (long long)nfolios) <= 1)
			TH_LOG("folios_copied %lld of %zu", testmig_get("folios_copied"),
			       2 * nfolios);
	}
}

/*
 * Register and unregister over and over while another thread migrates, then
 * unload the module with migrations still running, registered: the mm core
 * does not pin it (its exit unregisters), and SRCU must keep the migrator's
 * code alive exactly as long as a batch is inside it.
 */
TEST_F_TIMEOUT(reg, unregister_and_unload_under_load, 600)
{
	struct migoff_mover m = { .len = MiB(16) };
	pthread_t t;
	long long b0;
	int i, err;

	ASSERT_EQ(0, testmig_set("delay_us", "500"));
	ASSERT_EQ(0, pthread_create(&t, NULL, migoff_mover_thread, &m));
	for (i = 0; i < 40 && !m.failed; i++) {
		ASSERT_EQ(0, testmig_set("registered", "1"));
		migoff_mover_wait(&m, 1);
		ASSERT_EQ(0, testmig_set("registered", "0"));
	}
	/* Registered, with batches in it (500 us each): unloading works. */
	ASSERT_EQ(0, testmig_set("registered", "1"));
	migoff_mover_wait(&m, 1);
	b0 = testmig_get("batches");
	err = testmig_unload();
	EXPECT_EQ(0, err) TH_LOG("rmmod while registered: %s", strerror(-err));
	EXPECT_LT(0, b0) TH_LOG("no batch reached the migrator before the unload");
	/* The mover goes on with the CPU copy, every byte checked. */
	migoff_mover_wait(&m, 3);
	m.stop = true;
	pthread_join(t, NULL);
	ASSERT_EQ(0, m.failed) TH_LOG("mover: %s", m.why);
	EXPECT_LT(40, m.rounds);
	ASSERT_EQ(0, testmig_load());
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * tier_workload - a workload that overflows DRAM, for the tiering demo.
 *
 *   tier_workload TOTAL_MIB HOT_MIB SECONDS [FREE_MIB]
 *
 * Fills TOTAL_MIB of anonymous memory bound to node 0, more than node 0
 * holds, so reclaim demotes the overflow to the slow tier. The binding is
 * then dropped (MPOL_DEFAULT), the last FREE_MIB (the newest pages, still on
 * node 0) are freed, as a workload that finished with them would, so that
 * node 0 has room to promote into, and the first HOT_MIB are read over and over
 * for SECONDS from the CPU it runs on, so that NUMA balancing in tiering
 * mode promotes the hot pages that were demoted. Prints where the pages are
 * after the fill and every few seconds, then verifies every byte: exit 0
 * when all are right, 1 otherwise (2: bad usage).
 */
#define _GNU_SOURCE
#include <numaif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE	4096UL
#define NODES	4

static uint64_t word(uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

/* Pages of [mem, mem + len) per node, from move_pages(2) queries. */
static void where(const char *what, char *mem, size_t len)
{
	size_t n = len / PAGE, i, chunk = 4096;
	long count[NODES + 1] = { 0 };
	void *pages[4096];
	int status[4096];

	for (i = 0; i < n; i += chunk) {
		size_t k, m = n - i < chunk ? n - i : chunk;

		for (k = 0; k < m; k++)
			pages[k] = mem + (i + k) * PAGE;
		if (move_pages(0, m, pages, NULL, status, 0))
			continue;
		for (k = 0; k < m; k++)
			count[status[k] >= 0 && status[k] < NODES ? status[k] : NODES]++;
	}
	printf("   %-22s", what);
	for (i = 0; i < NODES; i++)
		if (count[i])
			printf(" node%zu %5ld MiB", i, count[i] * PAGE >> 20);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned long node0 = 1;
	size_t total, hot, freed, i, bad = 0;
	volatile uint64_t sink = 0;
	time_t end, next;
	uint64_t *w;
	char *mem;
	int secs;

	if ((argc != 4 && argc != 5) || atol(argv[1]) <= 0 || atol(argv[2]) <= 0 ||
	    atoi(argv[3]) <= 0 || (argc == 5 && atol(argv[4]) < 0) ||
	    atol(argv[2]) + (argc == 5 ? atol(argv[4]) : 0) > atol(argv[1])) {
		fprintf(stderr, "usage: tier_workload TOTAL_MIB HOT_MIB SECONDS [FREE_MIB]\n");
		return 2;
	}
	freed = argc == 5 ? (size_t)atol(argv[4]) << 20 : 0;
	total = (size_t)atol(argv[1]) << 20;
	hot = (size_t)atol(argv[2]) << 20;
	secs = atoi(argv[3]);

	mem = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || madvise(mem, total, MADV_NOHUGEPAGE) ||
	    mbind(mem, total, MPOL_BIND, &node0, 8 * sizeof(node0), 0)) {
		perror("tier_workload: mmap/madvise/mbind");
		return 1;
	}
	w = (uint64_t *)mem;
	for (i = 0; i < total / 8; i++)
		w[i] = word(i);
	if (mbind(mem, total, MPOL_DEFAULT, NULL, 0, 0)) {
		perror("tier_workload: mbind MPOL_DEFAULT");
		return 1;
	}
	where("after the fill:", mem, total);
	if (freed) {
		if (madvise(mem + total - freed, freed, MADV_DONTNEED)) {
			perror("tier_workload: madvise(MADV_DONTNEED)");
			return 1;
		}
		total -= freed;
		where("after freeing the tail:", mem, total);
	}

	end = time(NULL) + secs;
	next = time(NULL) + 5;
	while (time(NULL) < end) {
		for (i = 0; i < hot / 8; i += PAGE / 8)
			sink += w[i];
		if (time(NULL) >= next) {
			where("hot part:", mem, hot);
			next += 5;
		}
		usleep(10000);
	}
	where("hot part at the end:", mem, hot);
	where("everything at the end:", mem, total);

	for (i = 0; i < total / 8; i++)
		bad += w[i] != word(i);
	printf("   %zu MiB verified: %s\n", total >> 20,
	       bad ? "WRONG BYTES" : "every byte right");
	return bad ? 1 : 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Host unit tests of the pure functions: reason, fallback, event names; the fallback sum. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "migoffload.h"

#include "check.h"

int main(void)
{
	uint64_t mask = 0;
	unsigned int r;

	/* Round trip of every reason, with the kernel's trace names. */
	for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
		const char *n = migoff_reason_name(r);

		CHECK(n != NULL);
		CHECK(n && migoff_reason_parse(n) == (int)r);
	}
	CHECK(!strcmp(migoff_reason_name(MIGOFF_REASON_SYSCALL), "syscall_or_cpuset"));
	CHECK(!strcmp(migoff_reason_name(MIGOFF_REASON_DEMOTION), "demotion"));
	CHECK(migoff_reason_parse("syscall") == MIGOFF_REASON_SYSCALL);
	errno = 0;
	CHECK(migoff_reason_name(MIGOFF_REASON_COUNT) == NULL && errno == EINVAL);
	CHECK(migoff_reason_parse("memory_failure") == -EINVAL && errno == EINVAL);
	CHECK(migoff_reason_parse(NULL) == -EINVAL);

	CHECK(migoff_reasons_parse("demotion,compaction", &mask) == 0);
	CHECK(mask == (MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION) |
		       MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION)));
	CHECK(migoff_reasons_parse("all", &mask) == 0 && mask == MIGOFF_REASONS_ALL);
	mask = 42;
	CHECK(migoff_reasons_parse("demotion,bogus", &mask) == -EINVAL && mask == 42);
	CHECK(migoff_reasons_parse("", &mask) == -EINVAL);
	CHECK(migoff_reasons_parse(",", &mask) == -EINVAL);
	CHECK(migoff_reasons_parse(NULL, &mask) == -EINVAL);

	CHECK(!strcmp(migoff_fallback_name(MIGOFF_FALLBACK_TOO_SMALL), "too_small"));
	CHECK(!strcmp(migoff_fallback_name(MIGOFF_FALLBACK_AUTO), "auto"));
	CHECK(MIGOFF_FALLBACK_AUTO == 4 && migoff_fallback_name(4) && !strcmp(migoff_fallback_name(4), "auto"));
	CHECK(MIGOFF_FALLBACK_BUSY == 5 && !strcmp(migoff_fallback_name(MIGOFF_FALLBACK_BUSY), "busy"));
	for (r = 0; r < MIGOFF_FALLBACK_COUNT; r++)
		CHECK(migoff_fallback_name(r) != NULL);
	CHECK(migoff_fallback_name(MIGOFF_FALLBACK_COUNT) == NULL);
	CHECK(!strcmp(migoff_event_name(MIGOFF_EVENT_ENABLE), "enable"));
	CHECK(!strcmp(migoff_event_name(MIGOFF_EVENT_QUOTA), "quota"));
	CHECK(migoff_event_name(0) == NULL && migoff_event_name(99) == NULL);
	CHECK(!strcmp(migoff_kind_name(MIGOFF_KIND_DMA), "dma"));
	CHECK(migoff_kind_name(7) == NULL);

	/* The fallback sum: every slot of fallback[] (each its own byte), nothing else. */
	{
		struct migoff_counters c = { .batches = 9, .folios = 9, .bytes = 9, .copy_ns = 9 };
		const size_t slots = sizeof(c.fallback) / sizeof(c.fallback[0]);

		CHECK(migoff_counters_fallbacks(&c) == 0);
		for (r = 0; r < slots; r++)
			c.fallback[r] = 1ULL << (8 * r);
		CHECK(slots == 8 && migoff_counters_fallbacks(&c) == 0x0101010101010101ULL);
		c.fallback[MIGOFF_FALLBACK_BUSY] = 1000;
		CHECK(migoff_counters_fallbacks(&c) == 0x0101010101010101ULL - (1ULL << 40) + 1000);
		errno = 0;
		CHECK(migoff_counters_fallbacks(NULL) == 0 && errno == EINVAL);
	}

	printf("unit_names: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

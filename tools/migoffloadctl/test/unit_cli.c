// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of migoffloadctl's helpers (issue 9, item 3): decimal
 * numbers only, and statistics samples paired by identity with counter
 * resets handled. Issue 10: times with units (--latency), auto size
 * classes paired by reason and class.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#include "../../../libmigoffload/test/check.h"

static struct migoff_stats_entry entry(uint32_t scope, uint32_t index, const char *name,
				       uint64_t folios, uint64_t cgroup)
{
	struct migoff_stats_entry e;

	memset(&e, 0, sizeof(e));
	e.scope = scope;
	e.index = index;
	snprintf(e.name, sizeof(e.name), "%s", name);
	e.counters.folios = folios;
	e.quota.cgroup_id = cgroup;
	return e;
}

int main(void)
{
	struct sample a = { 0 }, b = { 0 };
	struct migoff_stats_entry e;
	const struct migoff_stats_entry *p;
	struct timespec t0 = { 10, 900000000 }, t1 = { 12, 100000000 };
	uint64_t v = 42;
	unsigned int i;

	/* Decimal, exact: no octal, hex, sign, blanks or trailing text. */
	CHECK(parse_u64("010", &v) == 0 && v == 10);
	CHECK(parse_u64("0", &v) == 0 && v == 0);
	CHECK(parse_u64("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	v = 42;
	CHECK(parse_u64("18446744073709551616", &v) == -ERANGE && v == 42);
	CHECK(parse_u64(" -1", &v) == -EINVAL && v == 42);
	CHECK(parse_u64("-1", &v) == -EINVAL);
	CHECK(parse_u64("+1", &v) == -EINVAL);
	CHECK(parse_u64(" 1", &v) == -EINVAL);
	CHECK(parse_u64("1 ", &v) == -EINVAL);
	CHECK(parse_u64("0x10", &v) == -EINVAL);
	CHECK(parse_u64("", &v) == -EINVAL);
	CHECK(parse_u64("1e3", &v) == -EINVAL);
	CHECK(parse_u64(NULL, &v) == -EINVAL && v == 42);
	CHECK(parse_size("64M", &v) == 0 && v == 64ULL << 20);
	CHECK(parse_size("4k", &v) == 0 && v == 4096);
	CHECK(parse_size("010G", &v) == 0 && v == 10ULL << 30);
	CHECK(parse_size("17179869183G", &v) == 0 && v == 17179869183ULL << 30);
	CHECK(parse_size("17179869184G", &v) == -ERANGE);
	CHECK(parse_size("0x10M", &v) == -EINVAL);
	CHECK(parse_size(" -1M", &v) == -EINVAL);
	CHECK(parse_size("1MB", &v) == -EINVAL);
	CHECK(parse_size("M", &v) == -EINVAL);

	/* Times: microseconds by default, us, ms, s; off is 0; nothing else. */
	CHECK(parse_time_us("500us", &v) == 0 && v == 500);
	CHECK(parse_time_us("2ms", &v) == 0 && v == 2000);
	CHECK(parse_time_us("1s", &v) == 0 && v == 1000000);
	CHECK(parse_time_us("10s", &v) == 0 && v == 10000000);
	CHECK(parse_time_us("750", &v) == 0 && v == 750);
	CHECK(parse_time_us("0", &v) == 0 && v == 0);
	v = 42;
	CHECK(parse_time_us("off", &v) == 0 && v == 0);
	CHECK(parse_time_us("0ms", &v) == 0 && v == 0);
	CHECK(parse_time_us("010ms", &v) == 0 && v == 10000);
	v = 42;
	CHECK(parse_time_us("1.5ms", &v) == -EINVAL && v == 42);
	CHECK(parse_time_us("2 ms", &v) == -EINVAL);
	CHECK(parse_time_us("2MS", &v) == -EINVAL);
	CHECK(parse_time_us("2m", &v) == -EINVAL);
	CHECK(parse_time_us("2msx", &v) == -EINVAL);
	CHECK(parse_time_us("ms", &v) == -EINVAL);
	CHECK(parse_time_us("-1", &v) == -EINVAL);
	CHECK(parse_time_us("+1us", &v) == -EINVAL);
	CHECK(parse_time_us("0x10", &v) == -EINVAL);
	CHECK(parse_time_us("", &v) == -EINVAL);
	CHECK(parse_time_us("Off", &v) == -EINVAL);
	CHECK(parse_time_us(NULL, &v) == -EINVAL && v == 42);
	CHECK(parse_time_us("18446744073709551615", &v) == 0 && v == UINT64_MAX);
	CHECK(parse_time_us("18446744073709551616", &v) == -ERANGE);
	CHECK(parse_time_us("18446744073709552s", &v) == -ERANGE);
	CHECK(parse_time_us("18446744073709551ms", &v) == 0 && v == 18446744073709551000ULL);

	/* A sample keeps every entry: more than 64 quota'd cgroups. */
	for (i = 0; i < MIGOFF_REASON_COUNT; i++) {
		e = entry(MIGOFF_STATS_REASON, i, migoff_reason_name(i), 100 + i, 0);
		CHECK(sample_add(&a, &e) == 0);
	}
	e = entry(MIGOFF_STATS_MIGRATOR, 7, "cpu", 50, 0);
	CHECK(sample_add(&a, &e) == 0);
	e = entry(MIGOFF_STATS_MIGRATOR, 8, "mtcopy", 60, 0);
	CHECK(sample_add(&a, &e) == 0);
	for (i = 0; i < 200; i++) {
		e = entry(MIGOFF_STATS_CGROUP, 0, "", i, 1000 + i);
		CHECK(sample_add(&a, &e) == 0);
	}
	CHECK(a.n == MIGOFF_REASON_COUNT + 2 + 200);

	/* Paired by identity, not position: migrator 7 went away, 9 came,
	 * cgroups come in another order. */
	e = entry(MIGOFF_STATS_REASON, MIGOFF_REASON_DEMOTION, "demotion", 500, 0);
	CHECK(sample_add(&b, &e) == 0);
	e = entry(MIGOFF_STATS_MIGRATOR, 9, "dcbm", 5, 0);
	CHECK(sample_add(&b, &e) == 0);
	e = entry(MIGOFF_STATS_MIGRATOR, 8, "mtcopy", 70, 0);
	CHECK(sample_add(&b, &e) == 0);
	e = entry(MIGOFF_STATS_CGROUP, 0, "", 3, 1150);
	CHECK(sample_add(&b, &e) == 0);
	p = sample_find(&a, &b.e[0]);
	CHECK(p && p->index == MIGOFF_REASON_DEMOTION && p->counters.folios == 107);
	CHECK(sample_find(&a, &b.e[1]) == NULL);
	p = sample_find(&a, &b.e[2]);
	CHECK(p && !strcmp(p->name, "mtcopy") && p->counters.folios == 60);
	p = sample_find(&a, &b.e[3]);
	CHECK(p && p->quota.cgroup_id == 1150 && p->counters.folios == 150);
	/* A new migrator that reuses an old id is not the old one. */
	e = entry(MIGOFF_STATS_MIGRATOR, 7, "dcbm", 1, 0);
	CHECK(sample_find(&a, &e) == NULL);

	/* Auto size classes: one entry per class of a reason, paired by both. */
	sample_clear(&a);
	for (i = 0; i < MIGOFF_AUTO_CLASSES; i++) {
		e = entry(MIGOFF_STATS_AUTO, MIGOFF_REASON_DEMOTION, "demotion", 0, 0);
		e.auto_class.min_pages = i == 0 ? 1 : i == 1 ? 2 : i == 2 ? 16 : 512;
		e.auto_class.batches_cpu = 10 * i;
		CHECK(sample_add(&a, &e) == 0);
	}
	e = entry(MIGOFF_STATS_REASON, MIGOFF_REASON_DEMOTION, "demotion", 9, 0);
	CHECK(sample_add(&a, &e) == 0);
	e = entry(MIGOFF_STATS_AUTO, MIGOFF_REASON_DEMOTION, "demotion", 0, 0);
	e.auto_class.min_pages = 16;
	p = sample_find(&a, &e);
	CHECK(p && p->scope == MIGOFF_STATS_AUTO && p->auto_class.batches_cpu == 20);
	e.auto_class.min_pages = 512;
	p = sample_find(&a, &e);
	CHECK(p && p->auto_class.batches_cpu == 30);
	e.auto_class.min_pages = 4;	/* a class the sample does not have */
	CHECK(sample_find(&a, &e) == NULL);
	e = entry(MIGOFF_STATS_AUTO, MIGOFF_REASON_COMPACTION, "compaction", 0, 0);
	e.auto_class.min_pages = 1;
	CHECK(sample_find(&a, &e) == NULL);
	e = entry(MIGOFF_STATS_REASON, MIGOFF_REASON_DEMOTION, "demotion", 0, 0);
	p = sample_find(&a, &e);
	CHECK(p && p->scope == MIGOFF_STATS_REASON && p->counters.folios == 9);

	/* A counter that went back was reset: count from zero, no wrap. */
	CHECK(counter_delta(150, 100) == 50);
	CHECK(counter_delta(3, 150) == 3);
	CHECK(counter_delta(0, 0) == 0);
	/* Measured time, not the nominal interval. */
	CHECK(elapsed(&t0, &t1) > 1.19 && elapsed(&t0, &t1) < 1.21);

	sample_free(&a);
	sample_free(&b);
	printf("unit_cli: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

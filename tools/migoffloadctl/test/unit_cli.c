// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of migoffloadctl's helpers (issue 9, item 3): decimal
 * numbers only, and statistics samples paired by identity with counter
 * resets handled. Issue 10: times with units (--latency), auto size
 * classes paired by reason and class. Issue 16: the metrics text
 * (OpenMetrics and node-exporter's Prometheus format), the atomic file
 * replacement of config save and stats --output, and the cgroup helpers of
 * the quotas in a configuration.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "metrics.h"
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

/*
 * The exposition rules a scraper relies on: every sample after its
 * family's # HELP and # TYPE, a family never split or repeated, a counter's
 * samples named FAMILY_total (OpenMetrics: the family has no _total;
 * Prometheus 0.0.4: it is named like its samples), label values quoted,
 * and "# EOF" the last line in OpenMetrics only. 0 or the line at fault.
 */
static int exposition_ok(const char *text, bool openmetrics)
{
	char fam[128] = "", type[16] = "", seen[64][128], name[160];
	unsigned int nseen = 0, i;
	const char *line = text, *nl;
	bool eof = false, help = false;
	int n = 0;

	for (; *line; line = nl + 1) {
		size_t len, want;

		nl = strchr(line, '\n');
		if (!nl)
			return n + 1;	/* not newline-terminated */
		len = nl - line;
		n++;
		if (eof)
			return n;	/* something after # EOF */
		if (len == 5 && !strncmp(line, "# EOF", 5)) {
			eof = true;
			continue;
		}
		if (!strncmp(line, "# HELP ", 7)) {
			if (sscanf(line + 7, "%127s", fam) != 1)
				return n;
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i], fam))
					return n;	/* a family twice */
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", fam);
			help = true;
			type[0] = '\0';
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			if (!help || sscanf(line + 7, "%127s %15s", name, type) != 2 ||
			    strcmp(name, fam) || (strcmp(type, "counter") && strcmp(type, "gauge")))
				return n;
			help = false;
			continue;
		}
		if (line[0] == '#' || !type[0])
			return n;
		/* A sample: NAME[{k="v",...}] VALUE */
		want = strcspn(line, "{ ");
		snprintf(name, sizeof(name), "%.*s", (int)want, line);
		if (!strcmp(type, "counter") && openmetrics) {
			if (strlen(name) != strlen(fam) + 6 || strncmp(name, fam, strlen(fam)) ||
			    strcmp(name + strlen(fam), "_total"))
				return n;
		} else if (strcmp(name, fam) ||
			   (!strcmp(type, "counter") && (strlen(name) < 6 ||
							 strcmp(name + strlen(name) - 6, "_total")))) {
			return n;
		}
		if (line[want] == '{' && !memmem(line, len, "\"} ", 3))
			return n;
		if (line[len - 1] == ' ' || !memchr(line, ' ', len))
			return n;
	}
	return eof == openmetrics ? 0 : n;
}

static void test_metrics(void)
{
	struct migoff_stats_entry e[6];
	enum metrics_format fmt = METRICS_PROMETHEUS;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int i, at;

	CHECK(metrics_format_parse("openmetrics", &fmt) == 0 && fmt == METRICS_OPENMETRICS);
	CHECK(metrics_format_parse("prometheus", &fmt) == 0 && fmt == METRICS_PROMETHEUS);
	CHECK(metrics_format_parse("OpenMetrics", &fmt) == -EINVAL);
	CHECK(metrics_format_parse("", &fmt) == -EINVAL);

	e[0] = entry(MIGOFF_STATS_REASON, MIGOFF_REASON_DEMOTION, "demotion", 4096, 0);
	e[0].counters.batches = 8;
	e[0].counters.bytes = 4096ULL * 4096;
	e[0].counters.copy_ns = 1500000001;
	e[0].counters.fallback[MIGOFF_FALLBACK_QUOTA] = 3;
	e[1] = entry(MIGOFF_STATS_MIGRATOR, 9, "dcbm", 4000, 0);
	e[2] = entry(MIGOFF_STATS_CGROUP, 0, "", 0, 4242);
	e[2].quota.rate = 64ULL << 20;
	e[2].quota.copy_cpu_ns = 999;
	e[3] = entry(MIGOFF_STATS_AUTO, MIGOFF_REASON_COMPACTION, "compaction", 0, 0);
	e[3].auto_class.min_pages = 512;
	e[3].auto_class.cpu_ns_per_mib = 250000;
	e[3].auto_class.batches_probe = 2;
	e[4] = entry(MIGOFF_STATS_REASON, MIGOFF_REASON_SYSCALL, "syscall_or_cpuset", 1, 0);
	e[5] = entry(MIGOFF_STATS_MIGRATOR, 10, "we\"ird\\name\n", 0, 0);

	f = open_memstream(&buf, &len);
	CHECK(f && metrics_write(f, e, 6, METRICS_OPENMETRICS) == 0);
	fclose(f);
	at = exposition_ok(buf, true);
	if (at)
		fprintf(stderr, "openmetrics: line %d is wrong in:\n%s", at, buf);
	CHECK(at == 0);
	CHECK(strstr(buf, "# HELP migoffload_reason_folios Folios of this migration reason a migrator copied.\n"
			  "# TYPE migoffload_reason_folios counter\n"
			  "migoffload_reason_folios_total{reason=\"demotion\"} 4096\n"
			  "migoffload_reason_folios_total{reason=\"syscall_or_cpuset\"} 1\n"));
	CHECK(strstr(buf, "migoffload_reason_bytes_total{reason=\"demotion\"} 16777216\n"));
	CHECK(strstr(buf, "migoffload_reason_copy_seconds_total{reason=\"demotion\"} 1.500000001\n"));
	CHECK(strstr(buf, "migoffload_reason_fallback_folios_total{reason=\"demotion\",cause=\"quota\"} 3\n"));
	CHECK(strstr(buf, "migoffload_migrator_folios_total{migrator=\"dcbm\"} 4000\n"));
	CHECK(strstr(buf, "migoffload_migrator_folios_total{migrator=\"we\\\"ird\\\\name\\n\"} 0\n"));
	CHECK(strstr(buf, "# TYPE migoffload_quota_rate_bytes_per_second gauge\n"
			  "migoffload_quota_rate_bytes_per_second{cgroup_id=\"4242\"} 67108864\n"));
	CHECK(strstr(buf, "migoffload_quota_copy_cpu_seconds_total{cgroup_id=\"4242\"} 0.000000999\n"));
	CHECK(strstr(buf, "migoffload_auto_cpu_ns_per_mib{reason=\"compaction\",min_pages=\"512\"} 250000\n"));
	CHECK(strstr(buf, "migoffload_auto_batches_total{reason=\"compaction\",min_pages=\"512\",side=\"probe\"} 2\n"));
	CHECK(len > 6 && !strcmp(buf + len - 6, "# EOF\n"));
	free(buf);

	/* node-exporter's textfile collector: counters' families end in _total, no # EOF. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK(f && metrics_write(f, e, 6, METRICS_PROMETHEUS) == 0);
	fclose(f);
	at = exposition_ok(buf, false);
	if (at)
		fprintf(stderr, "prometheus: line %d is wrong in:\n%s", at, buf);
	CHECK(at == 0);
	CHECK(strstr(buf, "# TYPE migoffload_reason_folios_total counter\n"
			  "migoffload_reason_folios_total{reason=\"demotion\"} 4096\n"));
	CHECK(strstr(buf, "# TYPE migoffload_quota_burst_bytes gauge\n"));
	CHECK(!strstr(buf, "# EOF"));
	free(buf);

	/* An empty dump: no family without samples; OpenMetrics still ends. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK(f && metrics_write(f, e, 0, METRICS_OPENMETRICS) == 0);
	fclose(f);
	CHECK(!strcmp(buf, "# EOF\n"));
	free(buf);
	/* The checker itself sees what it must refuse. */
	CHECK(exposition_ok("# HELP a x\n# TYPE a counter\na 1\n# EOF\n", true) == 3);
	CHECK(exposition_ok("# HELP a x\n# TYPE a counter\na_total 1\n", true) == 3);
	CHECK(exposition_ok("# HELP a x\n# TYPE a counter\na_total 1\n# EOF\n", false) == 3);
	CHECK(exposition_ok("# HELP a x\n# TYPE a gauge\na 1\n# HELP a x\n# TYPE a gauge\na 2\n# EOF\n", true) == 4);
	CHECK(exposition_ok("b 1\n# EOF\n", true) == 1);
	for (i = 0; i < 2; i++)	/* a sample of another family */
		CHECK(exposition_ok(i ? "# HELP a x\n# TYPE a gauge\nb 1\n" :
				    "# HELP a x\n# TYPE a gauge\nb 1\n# EOF\n", !i) == 3);
}

/* config save, stats --output: all or nothing, never a temporary file left. */
static void test_atomic(void)
{
	char dir[] = "/tmp/migoff-unit.XXXXXX", path[128], sub[160], buf[64];
	struct dirent *d;
	struct stat st;
	mode_t mask;
	FILE *f;
	DIR *dp;
	int n;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	mask = umask(022);
	CHECK(write_file_atomic(path, "{}\n", 3) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644 && st.st_size == 3);
	/* An existing file keeps its mode, and gets the new content whole. */
	CHECK(chmod(path, 0600) == 0);
	CHECK(write_file_atomic(path, "{\"routes\": {}}\n", 15) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600 && st.st_size == 15);
	f = fopen(path, "r");
	CHECK(f && fgets(buf, sizeof(buf), f) && !strcmp(buf, "{\"routes\": {}}\n"));
	if (f)
		fclose(f);
	CHECK(write_file_atomic(path, "", 0) == 0 && stat(path, &st) == 0 && st.st_size == 0);
	/* Failures leave the old file and no temporary one. */
	snprintf(sub, sizeof(sub), "%s/nosuch/config.json", dir);
	CHECK(write_file_atomic(sub, "x", 1) == -ENOENT);
	snprintf(sub, sizeof(sub), "%s/adir", dir);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK(write_file_atomic(sub, "x", 1) == -EISDIR);
	snprintf(sub, sizeof(sub), "%s/", dir);
	CHECK(write_file_atomic(sub, "x", 1) == -EISDIR);
	dp = opendir(dir);
	n = 0;
	while (dp && (d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
			n++;
			CHECK(!strcmp(d->d_name, "config.json") || !strcmp(d->d_name, "adir"));
		}
	if (dp)
		closedir(dp);
	CHECK(n == 2);
	/* A name without a directory is in the current one. */
	CHECK(chdir(dir) == 0);
	CHECK(write_file_atomic("here.prom", "a 1\n", 4) == 0 && stat("here.prom", &st) == 0);
	CHECK(chdir("/") == 0);
	umask(mask);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	CHECK(system(sub) == 0);
}

/* The cgroup of a quota, found by id (the inode number) to save its path. */
static void test_cgroups(void)
{
	char dir[] = "/tmp/migoff-cg.XXXXXX", p[256], out[256];
	struct statfs fs;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/work.slice/job", dir);
	CHECK(mkdir(p, 0755) == -1);	/* the parent first */
	snprintf(p, sizeof(p), "%s/work.slice", dir);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/other", dir);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/work.slice/job", dir);
	CHECK(mkdir(p, 0755) == 0);
	CHECK(stat(p, &st) == 0);
	CHECK(cgroup_path_of_id(dir, st.st_ino, out, sizeof(out)) == 0 && !strcmp(out, "work.slice/job"));
	CHECK(cgroup_path_of_id(dir, st.st_ino, out, 8) == -ENAMETOOLONG);
	snprintf(p, sizeof(p), "%s/", dir);
	CHECK(cgroup_path_of_id(p, st.st_ino, out, sizeof(out)) == 0 && !strcmp(out, "work.slice/job"));
	CHECK(stat(dir, &st) == 0);
	CHECK(cgroup_path_of_id(dir, st.st_ino, out, sizeof(out)) == 0 && !strcmp(out, dir));
	CHECK(cgroup_path_of_id(dir, 1ULL << 62, out, sizeof(out)) == -ENOENT);
	snprintf(p, sizeof(p), "%s/nosuch", dir);
	CHECK(cgroup_path_of_id(p, 1, out, sizeof(out)) == -ENOENT);

	/* cgroup_state: only a directory of a cgroup2 file system. */
	CHECK(cgroup_state(dir) == -EMEDIUMTYPE);
	CHECK(cgroup_state(p) == -ENOENT);
	CHECK(cgroup_state("/etc/passwd") == -ENOTDIR);
	if (!statfs("/sys/fs/cgroup", &fs) && fs.f_type == 0x63677270)
		CHECK(cgroup_state("/sys/fs/cgroup") == 0);
	else
		printf("unit_cli: no cgroup2 at /sys/fs/cgroup: its cgroup_state() check skipped\n");
	snprintf(out, sizeof(out), "rm -rf '%s'", dir);
	CHECK(system(out) == 0);
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
	test_metrics();
	test_atomic();
	test_cgroups();
	printf("unit_cli: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * stats: the counters per reason, migrator and quota'd cgroup, and the
 * estimates of the reasons routed automatically; once, as rates every
 * --interval, or as metrics (--format).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "metrics.h"
#include "migoffloadctl.h"
#include "util.h"

static int collect(const struct migoff_stats_entry *e, void *arg)
{
	return sample_add(arg, e);
}

static int take_sample(struct sample *s)
{
	int err;

	sample_clear(s);
	err = migoff_stats_dump_flags(dev, MIGOFF_DUMP_AUTO, collect, s);
	clock_gettime(CLOCK_MONOTONIC, &s->when);
	return err;
}

/*
 * The JSON of a scope: reasons and migrators are objects keyed by their
 * names; cgroups, which have an id and a path, an array of objects.
 */
static void scope_open(uint32_t scope)
{
	if (scope == MIGOFF_STATS_CGROUP)
		print_arr_open("cgroups");
	else
		print_obj_open(scope == MIGOFF_STATS_REASON ? "reasons" : "migrators");
}

static void scope_close(uint32_t scope)
{
	if (scope == MIGOFF_STATS_CGROUP)
		print_arr_close();
	else
		print_obj_close();
}

/* "4K", "64K", "2M": a folio size of @pages base pages. */
static const char *pages_text(char *buf, size_t len, uint32_t pages)
{
	static const char units[] = "KMGT";
	uint64_t v = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE) >> 10;
	unsigned int u = 0;

	while (v >= 1024 && !(v % 1024) && u < sizeof(units) - 2) {
		v >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

/* The side the estimates say is cheaper, NULL while one is not measured. */
static const char *cheaper(const struct migoff_auto_class *a)
{
	if (!a->migrator_ns_per_mib || !a->cpu_ns_per_mib)
		return NULL;
	return a->migrator_ns_per_mib < a->cpu_ns_per_mib ? "migrator" : "cpu";
}

/*
 * A cost: JSON the kernel's ns per MiB (0: not measured); text MiB/s
 * (2^20 bytes per second) computed from it ("-": not measured).
 */
static void print_cost(const char *key, const char *fmt, uint64_t ns_per_mib)
{
	char buf[32];

	print_u64(PRINT_JSON, key, NULL, ns_per_mib);
	if (ns_per_mib)
		snprintf(buf, sizeof(buf), "%.1f", 1e9 / ns_per_mib);
	print_string(PRINT_FP, NULL, fmt, ns_per_mib ? buf : NULL);
}

/* A counter's rate per second between two samples @secs apart. */
static double rate(uint64_t cur, uint64_t prev, double secs)
{
	return counter_delta(cur, prev) / secs;
}

/*
 * A rate of bytes: JSON in bytes per second (every rate of bytes is, its
 * key ends in bytes_per_s or names bytes), text in MiB/s (2^20 bytes per
 * second, as the estimates' table).
 */
static void print_byte_rate(const char *key, const char *fmt, double bytes_per_s)
{
	print_double(PRINT_JSON, key, NULL, bytes_per_s);
	print_double(PRINT_FP, NULL, fmt, bytes_per_s / (1 << 20));
}

/*
 * The estimates of the reasons routed automatically (scope
 * MIGOFF_STATS_AUTO): per reason, one entry per folio size class, grouped
 * by reason whatever the order of the dump.
 */
static void print_auto(const struct sample *s, const struct sample *prev, double secs)
{
	const struct migoff_stats_entry *e, *f, *pe;
	const struct migoff_auto_class *a, *pa;
	bool header = false;
	char t[32];
	size_t i, j, k;

	for (i = 0; i < s->n; i++) {
		e = &s->e[i];
		if (e->scope != MIGOFF_STATS_AUTO)
			continue;
		for (k = 0; k < i; k++)	/* this reason's classes already printed? */
			if (s->e[k].scope == MIGOFF_STATS_AUTO && s->e[k].index == e->index)
				break;
		if (k < i)
			continue;
		if (!header) {
			print_obj_open("auto");
			if (prev)
				print_fp("auto:            %7s %14s %10s %8s %14s %13s %10s\n", "folio>=",
					 "migrator_MiB/s", "cpu_MiB/s", "cheaper", "to_migrator/s",
					 "to_cpu/s", "probes/s");
			else
				print_fp("auto:            %7s %14s %10s %8s %12s %12s %10s\n", "folio>=",
					 "migrator_MiB/s", "cpu_MiB/s", "cheaper", "to_migrator",
					 "to_cpu", "probes");
			header = true;
		}
		print_arr_open(e->name);
		for (j = i; j < s->n; j++) {
			f = &s->e[j];
			if (f->scope != MIGOFF_STATS_AUTO || f->index != e->index)
				continue;
			pe = prev ? sample_find(prev, f) : NULL;
			if (prev && !pe)
				continue;
			a = &f->auto_class;
			pa = pe ? &pe->auto_class : NULL;
			print_obj_open(NULL);
			print_string(PRINT_FP, NULL, "  %-14s", f->name);
			print_u64(PRINT_JSON, "min_pages", NULL, a->min_pages);
			print_string(PRINT_FP, NULL, " %7s", pages_text(t, sizeof(t), a->min_pages));
			print_cost("migrator_ns_per_mib", " %14s", a->migrator_ns_per_mib);
			print_cost("cpu_ns_per_mib", " %10s", a->cpu_ns_per_mib);
			print_string(PRINT_ANY, "cheaper", " %8s", cheaper(a));
			if (pa) {
				print_double(PRINT_ANY, "batches_migrator_per_s", " %14.1f",
					     rate(a->batches_migrator, pa->batches_migrator, secs));
				print_double(PRINT_ANY, "batches_cpu_per_s", " %13.1f",
					     rate(a->batches_cpu, pa->batches_cpu, secs));
				print_double(PRINT_ANY, "batches_probe_per_s", " %10.1f\n",
					     rate(a->batches_probe, pa->batches_probe, secs));
			} else {
				print_u64(PRINT_ANY, "batches_migrator", " %12llu", a->batches_migrator);
				print_u64(PRINT_ANY, "batches_cpu", " %12llu", a->batches_cpu);
				print_u64(PRINT_ANY, "batches_probe", " %10llu\n", a->batches_probe);
			}
			print_obj_close();
		}
		print_arr_close();
	}
	if (header)
		print_obj_close();
}

/* A reason's or migrator's counters, or their rates (@p: the sample before). */
static void print_counters(const char *name, const struct migoff_counters *c,
			   const struct migoff_counters *p, double secs)
{
	unsigned int f;

	print_obj_open(name);
	print_string(PRINT_FP, NULL, "  %-16s", name);
	if (p) {
		print_double(PRINT_ANY, "batches_per_s", " %12.1f", rate(c->batches, p->batches, secs));
		print_double(PRINT_ANY, "folios_per_s", " %12.1f", rate(c->folios, p->folios, secs));
		print_byte_rate("bytes_per_s", " %12.2f", rate(c->bytes, p->bytes, secs));
		print_double(PRINT_ANY, "fallbacks_per_s", " %12.1f\n",
			     rate(migoff_counters_fallbacks(c), migoff_counters_fallbacks(p), secs));
	} else {
		print_u64(PRINT_ANY, "batches", " %10llu", c->batches);
		print_u64(PRINT_ANY, "folios", " %12llu", c->folios);
		print_u64(PRINT_ANY, "bytes", " %14llu", c->bytes);
		print_u64(PRINT_JSON, "copy_ns", NULL, c->copy_ns);
		print_double(PRINT_FP, NULL, " %10.1f", c->copy_ns / 1e6);
		print_obj_open("fallbacks");
		for (f = 0; f < MIGOFF_FALLBACK_COUNT; f++)
			print_u64(PRINT_ANY, migoff_fallback_name(f), " %9llu", c->fallback[f]);
		print_obj_close();
		print_nl();
	}
	print_obj_close();
}

/*
 * A quota'd cgroup's counters (the object of 'quota show'), or their rates
 * (@pq: the sample before), with its id and path either way.
 */
static void print_cgroup(const struct migoff_quota *q, const struct migoff_quota *pq,
			 double secs)
{
	char path[CFG_CGROUP_LEN];

	print_obj_open(NULL);
	if (!pq) {
		print_quota(q, true);
		print_obj_close();
		return;
	}
	print_u64(PRINT_ANY, "id", "                %8llu", q->cgroup_id);
	print_double(PRINT_ANY, "folios_offloaded_per_s", " %14.1f",
		     rate(q->folios_offloaded, pq->folios_offloaded, secs));
	print_byte_rate("bytes_offloaded_per_s", " %14.2f",
			rate(q->bytes_offloaded, pq->bytes_offloaded, secs));
	print_double(PRINT_ANY, "folios_refused_per_s", " %14.1f",
		     rate(q->folios_refused, pq->folios_refused, secs));
	print_byte_rate("bytes_refused_per_s", " %14.2f",
			rate(q->bytes_refused, pq->bytes_refused, secs));
	print_string(PRINT_ANY, "path", " %s\n", cgroup_path(q->cgroup_id, path, sizeof(path)));
	print_obj_close();
}

/*
 * One stats sample; with @prev, rates per second over the measured time
 * between the two, entries paired by reason, migrator id or cgroup (an
 * entry new in @s has no rate yet and is left out). The tables, the
 * objects of JSON, in the order of the dump; the estimates last in JSON,
 * before the cgroups in text (the cgroups stay the last table).
 */
static int print_stats(const struct sample *s, const struct sample *prev)
{
	double secs = prev ? elapsed(&prev->when, &s->when) : 0;
	const struct migoff_stats_entry *e, *pe;
	bool open = false, auto_done = false;
	uint32_t scope = ~0U;
	unsigned int f;
	size_t i;

	if (prev && secs <= 0)
		secs = 1e-9;
	/* Rates: one JSON object a line, whatever -p says (JSON Lines). */
	print_begin(stdout, json, pretty && !prev);
	print_obj_open(NULL);
	if (prev) {
		print_fp("%-18s %12s %12s %12s %12s", "", "batches/s", "folios/s", "MiB/s",
			 "fallbacks/s");
		print_double(PRINT_ANY, "interval_s", "   (over %.2f s)\n", secs);
	} else {
		print_fp("%-18s %10s %12s %14s %10s", "", "batches", "folios", "bytes", "copy_ms");
		for (f = 0; f < MIGOFF_FALLBACK_COUNT; f++)
			print_fp(" %9s", migoff_fallback_name(f));
		print_nl();
	}
	for (i = 0; i < s->n; i++) {
		e = &s->e[i];
		pe = prev ? sample_find(prev, e) : NULL;
		if ((prev && !pe) || e->scope == MIGOFF_STATS_AUTO)
			continue;
		if (e->scope != scope) {
			if (open)
				scope_close(scope);
			if (e->scope == MIGOFF_STATS_CGROUP && !print_json() && !auto_done) {
				print_auto(s, prev, secs);
				auto_done = true;
			}
			scope_open(e->scope);
			open = true;
			scope = e->scope;
			if (e->scope != MIGOFF_STATS_CGROUP)
				print_fp("%s\n", e->scope == MIGOFF_STATS_REASON ? "reason:" : "migrator:");
			else if (pe)
				print_fp("cgroup quota:   %8s %14s %14s %14s %14s %s\n", "id",
					 "folios/s", "MiB/s", "refused/s", "refused_MiB/s", "path");
			else
				print_fp("cgroup quota:   %8s %12s %14s %12s %14s %10s %s\n", "id",
					 "folios", "bytes", "refused", "refused_bytes", "cpu_ms", "path");
		}
		if (e->scope == MIGOFF_STATS_CGROUP)
			print_cgroup(&e->quota, pe ? &pe->quota : NULL, secs);
		else
			print_counters(e->name, &e->counters, pe ? &pe->counters : NULL, secs);
	}
	if (open)
		scope_close(scope);
	if (!auto_done)
		print_auto(s, prev, secs);
	print_obj_close();
	return print_end() ? fail("writing", EIO) : 0;
}

/* stats --format: to stdout, or replacing @output atomically. */
static int write_metrics(const struct sample *s, enum metrics_format fmt, const char *output)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int err;

	if (!output)
		return metrics_write(stdout, s->e, s->n, fmt) ? fail("writing", EIO) : 0;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return fail("allocating", ENOMEM);
	err = metrics_write(mem, s->e, s->n, fmt);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (!err)
		err = write_file_atomic(output, buf, len);
	free(buf);
	return err ? fail(output, err) : 0;
}

/* Sleep @secs unless a signal stops us. */
static void nap(uint64_t secs)
{
	struct timespec ts = { .tv_sec = secs };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int do_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reset", no_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct sample a = { 0 }, b = { 0 }, *cur = &a, *prev = &b, *t;
	enum metrics_format fmt = METRICS_OPENMETRICS;
	uint64_t interval = 0, count = 0, n;
	bool reset = false, metrics = false;
	const char *output = NULL;
	int c, err, rc = 0;

	optind = 0;	/* re-initialise getopt */
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'r':
			reset = true;
			break;
		case 'i':
			if (positive_opt("--interval", "seconds", optarg, 86400, &interval))
				return EXIT_USAGE;
			break;
		case 'c':
			if (positive_opt("--count", "a number", optarg, UINT64_MAX, &count))
				return EXIT_USAGE;
			break;
		case 'f':
			if (metrics_format_parse(optarg, &fmt))
				return usage_error("--format wants openmetrics or prometheus, got '%s'", optarg);
			metrics = true;
			break;
		case 'o':
			if (!*optarg)
				return usage_error("--output wants a file name%s", "");
			output = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (count && !interval)
		return usage_error("--count needs --interval%s", "");
	if (output && !metrics)
		return usage_error("--output needs --format%s", "");
	if (metrics && interval)
		return usage_error("--format writes one sample: no --interval%s", "");
	if (metrics && json)
		return usage_error("--format and -j are two output formats: give one%s", "");
	if (open_dev())
		return 1;
	err = take_sample(cur);
	if (err) {
		rc = nl_fail("reading statistics (netlink)", err);
		goto out;
	}
	if (metrics) {
		rc = write_metrics(cur, fmt, output);
	} else if (!interval) {
		rc = print_stats(cur, NULL);
	} else {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		for (n = 0; !rc && !stop && (!count || n < count); n++) {
			t = prev;
			prev = cur;
			cur = t;
			nap(interval);
			if (stop)
				break;
			err = take_sample(cur);
			if (err) {
				rc = nl_fail("reading statistics (netlink)", err);
				break;
			}
			rc = print_stats(cur, prev);
		}
	}
	if (!rc && reset) {
		err = migoff_reset_stats(dev);
		if (err)
			rc = fail("resetting statistics", err);
	}
out:
	sample_free(&a);
	sample_free(&b);
	return rc;
}

const struct cmd cmd_stats = {
	.name = "stats",
	.run = do_stats,
	.usage =
"  stats [--reset] [--interval=S [--count=N]]  counters, or rates every S seconds\n"
"  stats --format=openmetrics|prometheus [--output=FILE]  counters as metrics\n"
"                                       (FILE: replaced atomically)\n",
	.notes = NOTE_NUMBERS,
};

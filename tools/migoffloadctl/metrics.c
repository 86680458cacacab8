// SPDX-License-Identifier: GPL-2.0
/* The statistics dump as OpenMetrics or Prometheus text. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "metrics.h"

int metrics_format_parse(const char *s, enum metrics_format *fmt)
{
	if (!strcmp(s, "openmetrics"))
		*fmt = METRICS_OPENMETRICS;
	else if (!strcmp(s, "prometheus"))
		*fmt = METRICS_PROMETHEUS;
	else
		return -EINVAL;
	return 0;
}

/* One metric family: its header goes before its first sample, if any. */
struct family {
	FILE *f;
	enum metrics_format fmt;
	const char *name, *help;
	bool counter, started;
};

static void family(struct family *m, const char *name, bool counter, const char *help)
{
	m->name = name;
	m->help = help;
	m->counter = counter;
	m->started = false;
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* name[_total]{key="value",...} VALUE; @labels: key, value, ..., NULL. */
static void sample(struct family *m, const char *const *labels, const char *value)
{
	const char *total = m->counter ? "_total" : "";
	unsigned int i;

	if (!m->started) {
		/* OpenMetrics names a counter's family without _total, 0.0.4 as its samples. */
		const char *name_end = m->fmt == METRICS_PROMETHEUS ? total : "";

		fprintf(m->f, "# HELP %s%s %s\n", m->name, name_end, m->help);
		fprintf(m->f, "# TYPE %s%s %s\n", m->name, name_end,
			m->counter ? "counter" : "gauge");
		m->started = true;
	}
	fprintf(m->f, "%s%s", m->name, total);
	for (i = 0; labels[i]; i += 2) {
		fprintf(m->f, "%s%s=\"", i ? "," : "{", labels[i]);
		label_value(m->f, labels[i + 1]);
		fputc('"', m->f);
	}
	fprintf(m->f, "%s %s\n", i ? "}" : "", value);
}

static const char *u64_text(char *buf, size_t len, uint64_t v)
{
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* Nanoseconds as seconds, exactly. */
static const char *ns_seconds(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%" PRIu64 ".%09" PRIu64, ns / 1000000000, ns % 1000000000);
	return buf;
}

/* The counters of the reasons (@scope MIGOFF_STATS_REASON) or migrators. */
static void counters(struct family *m, const struct migoff_stats_entry *e, size_t n,
		     uint32_t scope)
{
	static const char * const names[2][5] = {
		{ "migoffload_reason_batches", "migoffload_reason_folios", "migoffload_reason_bytes",
		  "migoffload_reason_copy_seconds", "migoffload_reason_fallback_folios" },
		{ "migoffload_migrator_batches", "migoffload_migrator_folios", "migoffload_migrator_bytes",
		  "migoffload_migrator_copy_seconds", "migoffload_migrator_fallback_folios" },
	};
	static const char * const help[2][5] = {
		{ "Batches of this migration reason handed to a migrator.",
		  "Folios of this migration reason a migrator copied.",
		  "Bytes of this migration reason a migrator copied.",
		  "Time the migrators spent copying for this migration reason.",
		  "Folios of this migration reason the CPU copied instead, by cause." },
		{ "Batches handed to this migrator.",
		  "Folios this migrator copied.",
		  "Bytes this migrator copied.",
		  "Time this migrator spent copying.",
		  "Folios handed to this migrator that the CPU copied instead, by cause." },
	};
	unsigned int s = scope == MIGOFF_STATS_REASON ? 0 : 1, i, fb;
	const char *labels[5] = { s ? "migrator" : "reason", NULL, "cause", NULL, NULL };
	char v[64];
	size_t j;

	for (i = 0; i < 5; i++) {
		family(m, names[s][i], true, help[s][i]);
		for (j = 0; j < n; j++) {
			const struct migoff_counters *c = &e[j].counters;

			if (e[j].scope != scope)
				continue;
			labels[1] = e[j].name;
			labels[2] = NULL;
			switch (i) {
			case 0:
				sample(m, labels, u64_text(v, sizeof(v), c->batches));
				break;
			case 1:
				sample(m, labels, u64_text(v, sizeof(v), c->folios));
				break;
			case 2:
				sample(m, labels, u64_text(v, sizeof(v), c->bytes));
				break;
			case 3:
				sample(m, labels, ns_seconds(v, sizeof(v), c->copy_ns));
				break;
			default:
				labels[2] = "cause";
				for (fb = 0; fb < MIGOFF_FALLBACK_COUNT; fb++) {
					labels[3] = migoff_fallback_name(fb) ? : "unknown";
					sample(m, labels, u64_text(v, sizeof(v), c->fallback[fb]));
				}
			}
		}
	}
}

/* The quotas of the cgroups that have one, by cgroup id. */
static void quotas(struct family *m, const struct migoff_stats_entry *e, size_t n)
{
	static const struct {
		const char *name, *help;
		bool counter;
	} fams[] = {
		{ "migoffload_quota_rate_bytes_per_second", "The cgroup's offload quota: bytes per second.", false },
		{ "migoffload_quota_burst_bytes", "The cgroup's offload quota: at most this many bytes at once.", false },
		{ "migoffload_quota_offloaded_bytes", "Bytes of the cgroup's folios a migrator copied.", true },
		{ "migoffload_quota_offloaded_folios", "Folios of the cgroup a migrator copied.", true },
		{ "migoffload_quota_refused_bytes", "Bytes of the cgroup's folios over its quota, copied by the CPU.", true },
		{ "migoffload_quota_refused_folios", "Folios of the cgroup over its quota, copied by the CPU.", true },
		{ "migoffload_quota_copy_cpu_seconds", "CPU time helper threads spent copying the cgroup's folios.", true },
	};
	const char *labels[3] = { "cgroup_id", NULL, NULL };
	char id[32], v[64];
	unsigned int i;
	size_t j;

	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		family(m, fams[i].name, fams[i].counter, fams[i].help);
		for (j = 0; j < n; j++) {
			const struct migoff_quota *q = &e[j].quota;
			const uint64_t x[] = { q->rate, q->burst, q->bytes_offloaded, q->folios_offloaded,
					       q->bytes_refused, q->folios_refused };

			if (e[j].scope != MIGOFF_STATS_CGROUP)
				continue;
			labels[1] = u64_text(id, sizeof(id), q->cgroup_id);
			sample(m, labels, i < sizeof(x) / sizeof(x[0]) ? u64_text(v, sizeof(v), x[i]) :
			       ns_seconds(v, sizeof(v), q->copy_cpu_ns));
		}
	}
}

/* The automatic choice's estimates, per reason and folio size class. */
static void auto_classes(struct family *m, const struct migoff_stats_entry *e, size_t n)
{
	static const char * const side[] = { "migrator", "cpu", "probe" };
	const char *labels[7] = { "reason", NULL, "min_pages", NULL, NULL, NULL, NULL };
	char pages[32], v[64];
	unsigned int i;
	size_t j;

	for (i = 0; i < 3; i++) {
		if (i < 2)
			family(m, i ? "migoffload_auto_cpu_ns_per_mib" :
			       "migoffload_auto_migrator_ns_per_mib", false, i ?
			       "Estimated cost of a CPU copy in ns per MiB (0: not measured yet)." :
			       "Estimated cost of a migrator copy in ns per MiB (0: not measured yet).");
		else
			family(m, "migoffload_auto_batches", true,
			       "Batches of a reason routed automatically: to the migrator, to the CPU, or re-measuring the other side (probe).");
		for (j = 0; j < n; j++) {
			const struct migoff_auto_class *a = &e[j].auto_class;
			const uint64_t x[] = { a->batches_migrator, a->batches_cpu, a->batches_probe };
			unsigned int k;

			if (e[j].scope != MIGOFF_STATS_AUTO)
				continue;
			labels[1] = e[j].name;
			labels[3] = u64_text(pages, sizeof(pages), a->min_pages);
			if (i < 2) {
				labels[4] = NULL;
				sample(m, labels, u64_text(v, sizeof(v), i ? a->cpu_ns_per_mib :
							   a->migrator_ns_per_mib));
				continue;
			}
			labels[4] = "side";
			for (k = 0; k < 3; k++) {
				labels[5] = side[k];
				sample(m, labels, u64_text(v, sizeof(v), x[k]));
			}
		}
	}
}

int metrics_write(FILE *f, const struct migoff_stats_entry *e, size_t n,
		  enum metrics_format fmt)
{
	struct family m = { .f = f, .fmt = fmt };

	counters(&m, e, n, MIGOFF_STATS_REASON);
	counters(&m, e, n, MIGOFF_STATS_MIGRATOR);
	quotas(&m, e, n);
	auto_classes(&m, e, n);
	if (fmt == METRICS_OPENMETRICS)
		fputs("# EOF\n", f);
	return fflush(f) || ferror(f) ? -EIO : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * tiering_policy - a memory tiering policy daemon over libmigoffload.
 *
 *   tiering_policy [--duration=SECONDS] [--interval=SECONDS] [--max-fallback=PCT]
 *                  [--quota=CGROUP:RATE[:BURST]]... [--max-pages=PAGES]
 *                  [--latency-us=US] [--demotion-reason=REASON]
 *                  [--promotion-reason=REASON]
 *
 * On a machine with a slow memory tier, pages move down (demotion, by
 * reclaim) and up (promotion, by NUMA balancing in tiering mode: the
 * numa_misplaced reason). The daemon runs until SIGINT or SIGTERM, or for
 * --duration seconds (--seconds is a deprecated spelling of it), and:
 *
 * 1. first records what it finds, before it changes anything: the route of
 *    each of its two reasons (the migrator, and whether it is automatic,
 *    MIGOFF_ROUTE_AUTO, with which objective: wall or CPU time; or no route
 *    at all), the batch caps (max_pages, min_folios, latency_us), and, for
 *    each cgroup of a --quota, its quota (rate, burst, reasons) or that it
 *    has none. It logs all of it ("found: ...");
 * 2. sets the per-cgroup quotas it is given (bytes per second a cgroup may
 *    offload; BURST defaults to 4M), so that one tenant cannot take the
 *    copy engine, and the batch caps it is given (--max-pages, and
 *    --latency-us, a first-folio latency target; none by default);
 * 3. routes each direction to the first available migrator of its own
 *    preference list: demotion moves big cold batches, so a DMA engine
 *    first (dcbm), then CPU threads (mtcopy), then the plain CPU copy;
 *    promotion moves single hot folios from page faults, where a hand-off
 *    costs more than it saves, so CPU threads first, then the CPU.
 *    --demotion-reason and --promotion-reason change the reason a
 *    direction routes and watches (e.g. syscall_or_cpuset, to drive it with
 *    move_pages(2) on a machine without a slow tier);
 * 4. watches the event stream and, every interval, the statistics of each
 *    direction: when the share of folios that fell back to the CPU (errors,
 *    timeouts) exceeds --max-fallback percent of a direction's folios in an
 *    interval, it switches that direction to the next migrator of its list
 *    and says why ("policy: switch ..."). Quota fallbacks are the quota
 *    working, not a failing migrator, and do not count. A counter that is
 *    lower than in the previous interval, or a stats_reset event, means
 *    that someone reset the statistics (migoffloadctl stats --reset): that
 *    interval counts from zero, never from a wrapped difference;
 * 5. on exit, restores exactly what step 1 recorded, for what it changed:
 *    each reason it routed goes back to its old migrator with its old flags,
 *    or is disabled if it had no route; the batch caps it set go back to
 *    their old values; each quota it set goes back to the old rate, burst
 *    and reasons, or is cleared if the cgroup had none. Changes others make
 *    meanwhile to what it touched are overwritten then; nothing else is.
 *    Two things cannot come back as they were: an automatic route's cost
 *    estimates start from nothing, as after any route change, and a
 *    max_pages of 0 (the kernel default) reads back as the default's value
 *    and is restored as that value, which caps batches the same way.
 *    SIGKILL leaves its changes in place.
 *
 * Every line on stdout is one decision or observation, prefixed with the
 * wall-clock time in ISO-8601 UTC with milliseconds
 * (2026-12-05T10:11:12.345Z); stdout is line-buffered. Errors also go to
 * stderr.
 *
 * Exit status: 0 when it stopped (signal or --duration) and restored
 * everything; 1 when the engine cannot be used, a --quota cgroup is not a
 * directory, a change failed, or something could not be restored; 2 on bad
 * usage (checked before the device is opened).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <migoffload.h>

#define MAX_QUOTAS	8
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A route as found: no migrator, or one with MIGOFF_ROUTE_* flags. */
struct route_rec {
	bool routed;
	char migrator[MIGOFF_NAME_LEN];
	uint32_t flags;			/* MIGOFF_ROUTE_AUTO[_CPU_TIME] */
};

struct direction {
	const char *name;		/* for the log */
	unsigned int reason;		/* MIGOFF_REASON_* */
	const char *const *prefs;	/* migrators, best first, NULL-ended */
	int at;				/* index in prefs of the current one */
	struct migoff_counters prev;
	bool reset_seen;		/* a stats_reset event since prev */
	struct route_rec found;
	bool changed;			/* we routed it: restore found */
};

static const char *const demotion_prefs[] = { "dcbm", "mtcopy", "cpu", NULL };
static const char *const promotion_prefs[] = { "mtcopy", "cpu", NULL };

struct quota_arg {
	const char *cgroup;
	uint64_t rate, burst;
	dev_t dev;
	ino_t ino;
	bool had;			/* it had a quota: old */
	struct migoff_quota old;
	bool changed;			/* we set it: restore */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One line of the log: ISO-8601 UTC time with milliseconds, the message. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	struct timespec ts;
	struct tm tm;
	char t[32];
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	printf("%s.%03ldZ ", t, ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* An error: in the log, and on stderr. */
static void __attribute__((format(printf, 1, 2))) complain(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("error: %s", msg);
	fprintf(stderr, "tiering_policy: %s\n", msg);
}

/* "64M", "1G", "4096": bytes; 0 when not a size or too big. */
static uint64_t parse_size(const char *s)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'G': shift = 30; end++; break;
	case 'M': shift = 20; end++; break;
	case 'K': shift = 10; end++; break;
	}
	if (*end || v > (~0ULL >> shift))
		return 0;
	return (uint64_t)v << shift;
}

/* A decimal number of seconds or percent in [min, max]; -1 otherwise. */
static int parse_num(const char *s, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || !(*v >= min && *v <= max))
		return -1;
	return 0;
}

/* Decimal digits only, at most @max; -1 otherwise. */
static int parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*v = x;
	return 0;
}

static const char *route_text(char *buf, size_t len, const struct route_rec *r)
{
	if (!r->routed)
		snprintf(buf, len, "no route");
	else
		snprintf(buf, len, "%s%s", r->migrator,
			 !(r->flags & MIGOFF_ROUTE_AUTO) ? "" :
			 r->flags & MIGOFF_ROUTE_AUTO_CPU_TIME ? " (auto, CPU time)" :
			 " (auto, wall time)");
	return buf;
}

static const char *reasons_text(char *buf, size_t len, uint64_t reasons)
{
	size_t n = 0;
	unsigned int r;

	if (!reasons || reasons == MIGOFF_REASONS_ALL) {
		snprintf(buf, len, "all");
		return buf;
	}
	buf[0] = '\0';
	for (r = 0; r < 64 && n < len; r++)
		if (reasons & MIGOFF_REASON_BIT(r))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "",
				      migoff_reason_name(r) ? : "?");
	return buf;
}

/* The route of each direction's reason, as it is now. */
static int record_routes(struct migoff_ctx *ctx, struct direction *dirs, unsigned int nd)
{
	uint32_t ids[MIGOFF_REASON_COUNT];
	struct migoff_migrator m;
	struct migoff_info info;
	uint64_t auto_mask = 0;
	unsigned int d, i;
	int err;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	err = migoff_get_info(ctx, &info);
	if (err)
		return err;
	err = migoff_get_routes(ctx, ids, MIGOFF_REASON_COUNT);
	if (err < 0)
		return err;
	/* A kernel that cannot route automatically has no automatic route. */
	err = migoff_get_auto_reasons(ctx, &auto_mask);
	if (err && err != -EOPNOTSUPP)
		return err;
	for (d = 0; d < nd; d++) {
		struct route_rec *r = &dirs[d].found;
		unsigned int reason = dirs[d].reason;

		memset(r, 0, sizeof(*r));
		if (ids[reason] == MIGOFF_NO_MIGRATOR)
			continue;
		for (i = 0; i < info.nr_migrators; i++) {
			memset(&m, 0, sizeof(m));
			m.size = sizeof(m);
			err = migoff_get_migrator(ctx, i, &m);
			if (err)
				return err;
			if (m.id == ids[reason])
				break;
		}
		if (i == info.nr_migrators)
			return -ENOENT;	/* unregistered since GET_ROUTES */
		r->routed = true;
		snprintf(r->migrator, sizeof(r->migrator), "%s", m.name);
		if (auto_mask & MIGOFF_REASON_BIT(reason)) {
			struct migoff_auto a;

			memset(&a, 0, sizeof(a));
			a.size = sizeof(a);
			err = migoff_get_auto(ctx, reason, &a);
			if (err)
				return err;
			r->flags = MIGOFF_ROUTE_AUTO;
			if (a.objective == MIGOFF_AUTO_OBJECTIVE_CPU)
				r->flags |= MIGOFF_ROUTE_AUTO_CPU_TIME;
		}
	}
	return 0;
}

/* Route @d to the first available migrator of its list from @from on. */
static int route(struct migoff_ctx *ctx, struct direction *d, int from, const char *why)
{
	struct migoff_migrator m;
	int at;

	for (at = from; d->prefs[at]; at++) {
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		if (migoff_find_migrator(ctx, d->prefs[at], &m) ||
		    !(m.state & MIGOFF_MIGRATOR_AVAILABLE))
			continue;
		if (migoff_enable(ctx, MIGOFF_REASON_BIT(d->reason), d->prefs[at]))
			continue;
		d->changed = true;
		if (at == 0 && from == 0)
			say("policy: %s (%s) -> %s: %s", d->name,
			    migoff_reason_name(d->reason), d->prefs[at], why);
		else if (from == 0)
			say("policy: %s (%s) -> %s: %s; those before it are not available",
			    d->name, migoff_reason_name(d->reason), d->prefs[at], why);
		else
			say("policy: switch %s (%s) from %s to %s: %s", d->name,
			    migoff_reason_name(d->reason), d->prefs[d->at], d->prefs[at], why);
		d->at = at;
		return 0;
	}
	return -ENODEV;
}

static uint64_t failed(const struct migoff_counters *c)
{
	return c->fallback[MIGOFF_FALLBACK_ERROR] + c->fallback[MIGOFF_FALLBACK_TIMEOUT];
}

/* Whether any counter of @cur is below the same counter of @prev. */
static bool went_back(const struct migoff_counters *cur, const struct migoff_counters *prev)
{
	unsigned int i;

	if (cur->batches < prev->batches || cur->folios < prev->folios ||
	    cur->bytes < prev->bytes || cur->copy_ns < prev->copy_ns)
		return true;
	for (i = 0; i < ARRAY_SIZE(cur->fallback); i++)
		if (cur->fallback[i] < prev->fallback[i])
			return true;
	return false;
}

/* One interval of @d: report it, and switch when too much fell back. */
static void review(struct migoff_ctx *ctx, struct direction *d, double dt,
		   double max_fallback)
{
	static const struct migoff_counters zero;
	const struct migoff_counters *base = &d->prev;
	struct migoff_counters cur;
	uint64_t folios, fails, quota;
	char why[160];
	int err;

	err = migoff_get_stats(ctx, MIGOFF_STATS_REASON, d->reason, &cur);
	if (err) {
		complain("statistics of %s: %s", migoff_reason_name(d->reason), strerror(-err));
		return;
	}
	/*
	 * Reset since the last interval: what is counted now was counted
	 * after the reset, so it is the interval's (or less of it). Never a
	 * difference with the old values: that would wrap around.
	 */
	if (d->reset_seen || went_back(&cur, &d->prev)) {
		say("stats: %s (%s): the counters were reset (stats --reset): this interval counts from zero",
		    d->name, migoff_reason_name(d->reason));
		base = &zero;
	}
	d->reset_seen = false;
	folios = cur.folios - base->folios;
	fails = failed(&cur) - failed(base);
	quota = cur.fallback[MIGOFF_FALLBACK_QUOTA] - base->fallback[MIGOFF_FALLBACK_QUOTA];
	say("stats: %-9s via %-6s %8.1f folios/s %7.2f MB/s, fell back: %.1f/s failed, %.1f/s over quota",
	    d->name, d->prefs[d->at], folios / dt, (cur.bytes - base->bytes) / dt / 1e6,
	    fails / dt, quota / dt);
	d->prev = cur;
	if (!fails || 100.0 * fails / (folios + fails) <= max_fallback)
		return;
	if (!d->prefs[d->at + 1]) {
		say("policy: %s stays on %s: %.0f%% of its folios fell back, and it is the last of its list",
		    d->name, d->prefs[d->at], 100.0 * fails / (folios + fails));
		return;
	}
	snprintf(why, sizeof(why), "%.0f%% of its folios fell back to the CPU on %s (more than %g%%)",
		 100.0 * fails / (folios + fails), d->prefs[d->at], max_fallback);
	if (route(ctx, d, d->at + 1, why))
		say("policy: %s stays on %s: no other migrator of its list can be routed (%s)",
		    d->name, d->prefs[d->at], why);
}

static void log_event(const struct migoff_event *ev, struct direction *dirs, unsigned int nd)
{
	unsigned int i;

	switch (ev->type) {
	case MIGOFF_EVENT_FALLBACK:
		say("event: fallback burst of %llu folios (%s)", (unsigned long long)ev->folios,
		    migoff_reason_name(__builtin_ctzll(ev->reasons | 1ULL << 63)) ? : "?");
		break;
	case MIGOFF_EVENT_STATS_RESET:
		for (i = 0; i < nd; i++)
			dirs[i].reset_seen = true;
		say("event: stats_reset: the next interval counts from zero");
		break;
	default:
		say("event: %s%s%s", migoff_event_name(ev->type) ? : "?",
		    ev->name[0] ? " " : "", ev->name);
	}
}

/* Every event that is waiting, without blocking. */
static void read_events(struct migoff_ctx *ctx, int fd, struct direction *dirs, unsigned int nd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct migoff_event ev;
	int err;

	while (!stop && poll(&pfd, 1, 0) > 0) {
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		err = migoff_event_read(ctx, &ev);
		if (err == -ENOBUFS)
			say("event: some events were lost (socket buffer full); a reset still shows as counters going back");
		else if (err == -EPROTO)
			say("event: a malformed event, skipped");
		else if (err)
			return;
		else
			log_event(&ev, dirs, nd);
	}
}

/* Put back what was recorded, for what was changed. Returns 0 or 1. */
static int restore(struct migoff_ctx *ctx, struct direction *dirs, unsigned int nd,
		   struct quota_arg *quotas, unsigned int nq,
		   const struct migoff_batch *old_caps, uint32_t caps_changed)
{
	char t[MIGOFF_NAME_LEN + 32], rs[256];
	int err, rc = 0;
	unsigned int i;

	for (i = 0; i < nd; i++) {
		const struct route_rec *r = &dirs[i].found;
		const char *reason = migoff_reason_name(dirs[i].reason);

		if (!dirs[i].changed)
			continue;
		if (r->routed)
			err = r->flags ?
				migoff_enable_flags(ctx, MIGOFF_REASON_BIT(dirs[i].reason),
						    r->migrator, r->flags) :
				migoff_enable(ctx, MIGOFF_REASON_BIT(dirs[i].reason), r->migrator);
		else
			err = migoff_disable(ctx, MIGOFF_REASON_BIT(dirs[i].reason));
		if (err) {
			complain("restoring the route of %s to %s: %s", reason,
				 route_text(t, sizeof(t), r), strerror(-err));
			rc = 1;
		} else {
			say("restore: %s: %s", reason, r->routed ? route_text(t, sizeof(t), r) :
			    "no route (disabled)");
		}
	}
	if (caps_changed) {
		struct migoff_batch b;

		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.flags = caps_changed;
		b.max_pages = caps_changed & MIGOFF_BATCH_SET_MAX_PAGES ? old_caps->max_pages : 0;
		b.latency_us = caps_changed & MIGOFF_BATCH_SET_LATENCY ? old_caps->latency_us : 0;
		err = migoff_set_batch_caps(ctx, &b);
		if (err) {
			complain("restoring the batch caps (max_pages %u, latency_us %u): %s",
				 old_caps->max_pages, old_caps->latency_us, strerror(-err));
			rc = 1;
		} else {
			say("restore: batch caps: max_pages %u, latency_us %u",
			    old_caps->max_pages, old_caps->latency_us);
		}
	}
	for (i = nq; i-- > 0; ) {
		struct quota_arg *q = &quotas[i];

		if (!q->changed)
			continue;
		if (q->had)
			err = migoff_quota_set(ctx, q->cgroup, q->old.rate, q->old.burst,
					       q->old.reasons);
		else
			err = migoff_quota_clear(ctx, q->cgroup);
		if (err) {
			complain("restoring the quota of %s: %s", q->cgroup, strerror(-err));
			rc = 1;
		} else if (q->had) {
			say("restore: cgroup %s: quota %llu bytes/s, burst %llu, reasons %s",
			    q->cgroup, (unsigned long long)q->old.rate,
			    (unsigned long long)q->old.burst,
			    reasons_text(rs, sizeof(rs), q->old.reasons));
		} else {
			say("restore: cgroup %s: no quota (cleared)", q->cgroup);
		}
	}
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tiering_policy [--duration=SECONDS] [--interval=SECONDS] [--max-fallback=PCT]\n"
		"                      [--quota=CGROUP:RATE[:BURST]]... [--max-pages=PAGES]\n"
		"                      [--latency-us=US] [--demotion-reason=REASON]\n"
		"                      [--promotion-reason=REASON]\n"
		"Runs until SIGINT/SIGTERM (or --duration; --seconds is its old name), then\n"
		"restores the routes, batch caps and quotas it found. Log lines on stdout start\n"
		"with the UTC time in ISO-8601. Defaults: --interval=5 --max-fallback=20,\n"
		"BURST 4M, demotion and numa_misplaced. Exit: 0, 1 (engine error), 2 (usage).\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tiering_policy: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	usage(stderr);
	return 2;
}

/* Parse --quota=CGROUP:RATE[:BURST] into @q; 2 on bad usage, 1 if no cgroup. */
static int parse_quota(char *arg, struct quota_arg *q)
{
	char *colon = strchr(arg, ':'), *burst, path[4096];
	struct stat st;

	if (!colon || colon == arg)
		return bad_usage("--quota=%s: want CGROUP:RATE[:BURST]", arg);
	*colon = '\0';
	burst = strchr(colon + 1, ':');
	if (burst)
		*burst++ = '\0';
	q->cgroup = arg;
	q->rate = parse_size(colon + 1);
	q->burst = burst ? parse_size(burst) : 4 << 20;
	if (!q->rate || !q->burst)
		return bad_usage("--quota=%s: RATE and BURST are sizes > 0 (4096, 64K, 64M, 1G)", arg);
	/* As the library resolves it: absolute, or under /sys/fs/cgroup. */
	errno = 0;
	snprintf(path, sizeof(path), "%s%s", arg[0] == '/' ? "" : "/sys/fs/cgroup/", arg);
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "tiering_policy: --quota: %s: not a cgroup v2 directory (%s)\n",
			path, errno ? strerror(errno) : "not a directory");
		return 1;
	}
	q->dev = st.st_dev;
	q->ino = st.st_ino;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "seconds", required_argument, NULL, 'd' },	/* deprecated */
		{ "interval", required_argument, NULL, 'i' },
		{ "max-fallback", required_argument, NULL, 'f' },
		{ "quota", required_argument, NULL, 'q' },
		{ "max-pages", required_argument, NULL, 'm' },
		{ "latency-us", required_argument, NULL, 'l' },
		{ "demotion-reason", required_argument, NULL, 'D' },
		{ "promotion-reason", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct direction dirs[] = {
		{ .name = "demotion", .reason = MIGOFF_REASON_DEMOTION, .prefs = demotion_prefs },
		{ .name = "promotion", .reason = MIGOFF_REASON_NUMA_MISPLACED, .prefs = promotion_prefs },
	};
	const unsigned int nd = ARRAY_SIZE(dirs);
	struct quota_arg quotas[MAX_QUOTAS];
	double duration = 0, interval = 5, max_fallback = 20, start, last;
	uint32_t max_pages = 0, latency_us = 0, caps_wanted = 0, caps_changed = 0;
	struct migoff_batch old_caps;
	bool have_caps = false;
	unsigned int nq = 0, i, j;
	struct migoff_ctx *ctx;
	struct sigaction sa;
	char t[MIGOFF_NAME_LEN + 32], rs[256];
	int c, err, fd, r, rc = 0;

	memset(quotas, 0, sizeof(quotas));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_num(optarg, 1e-3, 1e9, &duration))
				return bad_usage("--duration=%s: want seconds > 0", optarg);
			break;
		case 'i':
			if (parse_num(optarg, 1e-3, 1e6, &interval))
				return bad_usage("--interval=%s: want seconds > 0", optarg);
			break;
		case 'f':
			if (parse_num(optarg, 0, 100, &max_fallback))
				return bad_usage("--max-fallback=%s: want a percentage, 0 to 100", optarg);
			break;
		case 'q':
			if (nq == MAX_QUOTAS)
				return bad_usage("--quota=%s: at most 8 quotas", optarg);
			err = parse_quota(optarg, &quotas[nq]);
			if (err)
				return err;
			for (j = 0; j < nq; j++)
				if (quotas[j].dev == quotas[nq].dev && quotas[j].ino == quotas[nq].ino)
					return bad_usage("--quota: cgroup %s is given twice", optarg);
			nq++;
			break;
		case 'm':
			if (parse_u32(optarg, UINT32_MAX, &max_pages))
				return bad_usage("--max-pages=%s: want a decimal number of pages (0: the kernel default)",
						 optarg);
			caps_wanted |= MIGOFF_BATCH_SET_MAX_PAGES;
			break;
		case 'l':
			if (parse_u32(optarg, MIGOFF_MAX_LATENCY_US, &latency_us))
				return bad_usage("--latency-us=%s: want microseconds, 0 (none) to 10000000",
						 optarg);
			caps_wanted |= MIGOFF_BATCH_SET_LATENCY;
			break;
		case 'D':
		case 'P':
			r = migoff_reason_parse(optarg);
			if (r < 0)
				return bad_usage("unknown reason '%s' (demotion, numa_misplaced, syscall_or_cpuset, ...)",
						 optarg);
			dirs[c == 'D' ? 0 : 1].reason = r;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument '%s'", argv[optind]);
	if (dirs[0].reason == dirs[1].reason)
		return bad_usage("demotion and promotion need different reasons (both are %s)",
				 migoff_reason_name(dirs[0].reason));

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* No SA_RESTART: a signal ends the poll() at once. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	err = migoff_open(&ctx);
	if (err) {
		fprintf(stderr, "tiering_policy: %s: %s%s\n", MIGOFF_DEVICE, strerror(-err),
			err == -ENOENT ? " (modprobe migrate_offload)" : "");
		return 1;
	}

	/* 1. What is there, before anything changes. */
	err = record_routes(ctx, dirs, nd);
	if (err) {
		complain("reading the routes: %s", strerror(-err));
		rc = 1;
		goto out;
	}
	for (i = 0; i < nd; i++)
		say("found: %s (%s): %s", dirs[i].name, migoff_reason_name(dirs[i].reason),
		    route_text(t, sizeof(t), &dirs[i].found));
	memset(&old_caps, 0, sizeof(old_caps));
	old_caps.size = sizeof(old_caps);
	err = migoff_get_batch_caps(ctx, &old_caps);
	if (!err) {
		have_caps = true;
		say("found: batch caps: max_pages %u, min_folios %u, latency_us %u",
		    old_caps.max_pages, old_caps.min_folios, old_caps.latency_us);
	} else if (caps_wanted) {
		complain("reading the batch caps: %s", strerror(-err));
		rc = 1;
		goto out;
	} else {
		say("found: batch caps unreadable (%s); not touched", strerror(-err));
	}
	for (i = 0; i < nq; i++) {
		struct quota_arg *q = &quotas[i];

		memset(&q->old, 0, sizeof(q->old));
		q->old.size = sizeof(q->old);
		err = migoff_quota_find(ctx, q->cgroup, &q->old);
		if (err && err != -ENOENT) {
			complain("reading the quota of %s: %s", q->cgroup, strerror(-err));
			rc = 1;
			goto out;
		}
		q->had = !err;
		if (q->had)
			say("found: cgroup %s: quota %llu bytes/s, burst %llu, reasons %s", q->cgroup,
			    (unsigned long long)q->old.rate, (unsigned long long)q->old.burst,
			    reasons_text(rs, sizeof(rs), q->old.reasons));
		else
			say("found: cgroup %s: no quota", q->cgroup);
	}

	/* 2. Quotas and caps; 3. routes. */
	for (i = 0; i < nq && !stop; i++) {
		err = migoff_quota_set(ctx, quotas[i].cgroup, quotas[i].rate, quotas[i].burst, 0);
		if (err) {
			complain("setting the quota of %s: %s", quotas[i].cgroup, strerror(-err));
			rc = 1;
			goto restore;
		}
		quotas[i].changed = true;
		say("policy: cgroup %s may offload %llu bytes/s (burst %llu)", quotas[i].cgroup,
		    (unsigned long long)quotas[i].rate, (unsigned long long)quotas[i].burst);
	}
	if (caps_wanted && have_caps && !stop) {
		struct migoff_batch b;

		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.flags = caps_wanted;
		b.max_pages = max_pages;
		b.latency_us = latency_us;
		err = migoff_set_batch_caps(ctx, &b);
		if (err) {
			complain("setting the batch caps: %s%s", strerror(-err),
				 err == -EOPNOTSUPP ? " (this kernel has no latency target)" : "");
			rc = 1;
			goto restore;
		}
		caps_changed = caps_wanted;
		if (caps_wanted == (MIGOFF_BATCH_SET_MAX_PAGES | MIGOFF_BATCH_SET_LATENCY))
			say("policy: batch caps: max_pages %u, latency_us %u", max_pages, latency_us);
		else if (caps_wanted & MIGOFF_BATCH_SET_MAX_PAGES)
			say("policy: batch caps: max_pages %u", max_pages);
		else
			say("policy: batch caps: latency_us %u", latency_us);
	}
	for (i = 0; i < nd && !stop; i++) {
		err = route(ctx, &dirs[i], 0, "the first available of its preferences");
		if (err) {
			complain("routing %s (%s): %s", dirs[i].name,
				 migoff_reason_name(dirs[i].reason), strerror(-err));
			rc = 1;
			goto restore;
		}
		/* The first interval counts from here. */
		err = migoff_get_stats(ctx, MIGOFF_STATS_REASON, dirs[i].reason, &dirs[i].prev);
		if (err) {
			complain("statistics of %s: %s", migoff_reason_name(dirs[i].reason),
				 strerror(-err));
			rc = 1;
			goto restore;
		}
	}

	/* 4. Watch. */
	fd = migoff_events_subscribe(ctx);
	if (fd < 0) {
		complain("events: %s", strerror(-fd));
		rc = 1;
		goto restore;
	}
	start = last = now();
	while (!stop && (!duration || now() - start < duration)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double next = last + interval;
		int ms;

		/* Sleep until an event, a signal, the next review or the end. */
		if (duration && start + duration < next)
			next = start + duration;
		ms = next > now() ? (int)((next - now()) * 1000) + 1 : 0;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
			complain("poll: %s", strerror(errno));
			rc = 1;
			break;
		}
		read_events(ctx, fd, dirs, nd);
		if (!stop && now() - last >= interval) {
			double dt = now() - last;

			for (i = 0; i < nd; i++)
				review(ctx, &dirs[i], dt, max_fallback);
			last = now();
		}
	}
	if (stop)
		say("exit: %s", stop == SIGINT ? "SIGINT" : "SIGTERM");
	else if (!rc)
		say("exit: --duration of %g s elapsed", duration);

restore:
	/* 5. Put back what step 1 found, for what was changed. */
	if (restore(ctx, dirs, nd, quotas, nq, &old_caps, caps_changed))
		rc = 1;
out:
	migoff_close(ctx);
	return rc;
}

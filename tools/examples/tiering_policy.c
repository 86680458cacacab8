// SPDX-License-Identifier: GPL-2.0
/*
 * tiering_policy - a memory tiering policy daemon over libmigoffload.
 *
 *   tiering_policy [--seconds=N] [--interval=S] [--max-fallback=PCT]
 *                  [--quota=CGROUP:RATE[:BURST]]...
 *
 * On a machine with a slow memory tier, pages move down (demotion, by
 * reclaim) and up (promotion, by NUMA balancing in tiering mode: the
 * numa_misplaced reason). The policy:
 *
 * 1. routes each direction to the best available migrator of its own
 *    preference list: demotion moves big cold batches, so a DMA engine
 *    first (dcbm), then CPU threads (mtcopy), then the plain CPU copy;
 *    promotion moves single hot folios from page faults, where a hand-off
 *    costs more than it saves, so CPU threads first, then the CPU;
 * 2. sets the per-cgroup quotas it is given (bytes per second a cgroup may
 *    offload), so that one tenant cannot take the copy engine;
 * 3. watches the event stream and, every interval, the statistics of each
 *    direction: when the share of folios that fell back to the CPU (errors,
 *    timeouts) exceeds --max-fallback percent of a direction's folios in an
 *    interval, it moves that direction to the next migrator of its list and
 *    says why. Quota fallbacks are the quota working, not a failing
 *    migrator, and do not count;
 * 4. after --seconds (or on SIGINT/SIGTERM), restores what it found: no
 *    routes for the reasons it routed, and no quotas for the cgroups it
 *    limited.
 *
 * Exit status: 0, 1 when the engine cannot be used, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <migoffload.h>

#define MAX_QUOTAS	8

struct direction {
	const char *name;		/* for the log */
	unsigned int reason;		/* MIGOFF_REASON_* */
	const char *const *prefs;	/* migrators, best first, NULL-ended */
	int at;				/* index in prefs of the current one */
	struct migoff_counters prev;
};

static const char *const demotion_prefs[] = { "dcbm", "mtcopy", "cpu", NULL };
static const char *const promotion_prefs[] = { "mtcopy", "cpu", NULL };

struct quota_arg {
	const char *cgroup;
	uint64_t rate, burst;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "64M", "1G", "4096": bytes, or 0 when not a number. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	}
	return *end ? 0 : v;
}

/* Route @d to the first available migrator of its list from @d->at on. */
static int route(struct migoff_ctx *ctx, struct direction *d, const char *why)
{
	struct migoff_migrator m;

	for (; d->prefs[d->at]; d->at++) {
		memset(&m, 0, sizeof(m));
		m.size = sizeof(m);
		if (migoff_find_migrator(ctx, d->prefs[d->at], &m) ||
		    !(m.state & MIGOFF_MIGRATOR_AVAILABLE))
			continue;
		if (migoff_enable(ctx, MIGOFF_REASON_BIT(d->reason), d->prefs[d->at]))
			continue;
		printf("policy: %s (%s) -> %s: %s\n", d->name,
		       migoff_reason_name(d->reason), d->prefs[d->at], why);
		return migoff_get_stats(ctx, MIGOFF_STATS_REASON, d->reason, &d->prev);
	}
	return -ENODEV;
}

static uint64_t failed(const struct migoff_counters *c)
{
	return c->fallback[MIGOFF_FALLBACK_ERROR] + c->fallback[MIGOFF_FALLBACK_TIMEOUT];
}

/* One interval of @d: report it, and move on when too much fell back. */
static void review(struct migoff_ctx *ctx, struct direction *d, double dt,
		   double max_fallback)
{
	struct migoff_counters cur;
	uint64_t folios, fails, quota;
	char why[128];

	if (migoff_get_stats(ctx, MIGOFF_STATS_REASON, d->reason, &cur))
		return;
	folios = cur.folios - d->prev.folios;
	fails = failed(&cur) - failed(&d->prev);
	quota = cur.fallback[MIGOFF_FALLBACK_QUOTA] - d->prev.fallback[MIGOFF_FALLBACK_QUOTA];
	printf("stats: %-9s via %-6s %8.1f folios/s %7.2f MB/s, fell back: %.1f/s failed, %.1f/s over quota\n",
	       d->name, d->prefs[d->at], folios / dt, (cur.bytes - d->prev.bytes) / dt / 1e6,
	       fails / dt, quota / dt);
	d->prev = cur;
	if (!fails || 100.0 * fails / (folios + fails) <= max_fallback ||
	    !d->prefs[d->at + 1])
		return;
	snprintf(why, sizeof(why), "%.0f%% of its folios fell back to the CPU on %s",
		 100.0 * fails / (folios + fails), d->prefs[d->at]);
	d->at++;
	if (route(ctx, d, why))
		printf("policy: %s: no migrator left to try\n", d->name);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tiering_policy [--seconds=N] [--interval=S] [--max-fallback=PCT]\n"
		   "                      [--quota=CGROUP:RATE[:BURST]]...\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "max-fallback", required_argument, NULL, 'f' },
		{ "quota", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct direction dirs[] = {
		{ "demotion", MIGOFF_REASON_DEMOTION, demotion_prefs, 0, { 0 } },
		{ "promotion", MIGOFF_REASON_NUMA_MISPLACED, promotion_prefs, 0, { 0 } },
	};
	struct quota_arg quotas[MAX_QUOTAS];
	double seconds = 30, interval = 5, max_fallback = 20, start, last;
	unsigned int nq = 0, i, routed = 0;
	struct migoff_ctx *ctx;
	struct migoff_event ev;
	struct pollfd pfd;
	int c, err, fd, rc = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *colon, *burst;

		switch (c) {
		case 's': seconds = atof(optarg); break;
		case 'i': interval = atof(optarg); break;
		case 'f': max_fallback = atof(optarg); break;
		case 'q':
			colon = strchr(optarg, ':');
			if (nq == MAX_QUOTAS || !colon) {
				usage(stderr);
				return 2;
			}
			*colon = '\0';
			burst = strchr(colon + 1, ':');
			if (burst)
				*burst++ = '\0';
			quotas[nq].cgroup = optarg;
			quotas[nq].rate = parse_size(colon + 1);
			quotas[nq].burst = burst ? parse_size(burst) : 4 << 20;
			if (!quotas[nq].rate || !quotas[nq].burst) {
				fprintf(stderr, "tiering_policy: --quota=%s: RATE and BURST are sizes (64M, 1G)\n",
					optarg);
				return 2;
			}
			nq++;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || seconds <= 0 || interval <= 0 || max_fallback < 0) {
		usage(stderr);
		return 2;
	}

	err = migoff_open(&ctx);
	if (err) {
		fprintf(stderr, "tiering_policy: %s: %s%s\n", MIGOFF_DEVICE, strerror(-err),
			err == -ENOENT ? " (modprobe migrate_offload)" : "");
		return 1;
	}
	for (i = 0; i < nq; i++) {
		err = migoff_quota_set(ctx, quotas[i].cgroup, quotas[i].rate,
				       quotas[i].burst, 0);
		if (err) {
			fprintf(stderr, "tiering_policy: quota of %s: %s\n",
				quotas[i].cgroup, strerror(-err));
			rc = 1;
			goto out;
		}
		printf("policy: cgroup %s may offload %llu bytes/s (burst %llu)\n",
		       quotas[i].cgroup, (unsigned long long)quotas[i].rate,
		       (unsigned long long)quotas[i].burst);
	}
	for (i = 0; i < 2; i++) {
		err = route(ctx, &dirs[i], "the first available of its preferences");
		if (err) {
			fprintf(stderr, "tiering_policy: routing %s: %s\n", dirs[i].name,
				strerror(-err));
			rc = 1;
			goto out;
		}
		routed |= MIGOFF_REASON_BIT(dirs[i].reason);
	}

	fd = migoff_events_subscribe(ctx);
	if (fd < 0) {
		fprintf(stderr, "tiering_policy: events: %s\n", strerror(-fd));
		rc = 1;
		goto out;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start = last = now();
	while (!stop && now() - start < seconds) {
		memset(&ev, 0, sizeof(ev));
		ev.size = sizeof(ev);
		if (poll(&pfd, 1, 100) > 0 && !migoff_event_read(ctx, &ev)) {
			if (ev.type == MIGOFF_EVENT_FALLBACK)
				printf("event: fallback burst of %llu folios (%s)\n",
				       (unsigned long long)ev.folios,
				       migoff_reason_name(__builtin_ctzll(ev.reasons | 1ULL << 63)) ? : "?");
			else
				printf("event: %s%s%s\n", migoff_event_name(ev.type) ? : "?",
				       ev.name[0] ? " " : "", ev.name);
		}
		if (now() - last >= interval) {
			double dt = now() - last;

			for (i = 0; i < 2; i++)
				review(ctx, &dirs[i], dt, max_fallback);
			last = now();
		}
		fflush(stdout);
	}
out:
	if (routed)
		migoff_disable(ctx, routed);
	for (i = 0; i < nq; i++)
		migoff_quota_clear(ctx, quotas[i].cgroup);
	migoff_close(ctx);
	return rc;
}

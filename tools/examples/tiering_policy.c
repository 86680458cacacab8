// SPDX-License-Identifier: GPL-2.0
/*
 * tiering_policy - how a memory tiering daemon drives migrate_offload
 * through libmigoffload.
 *
 *   tiering_policy [--seconds=N] [--interval=S]
 *
 * 1. Route demotion to the fastest available migrator: a DMA engine if one
 *    has channels, else CPU threads, else the plain CPU copy.
 * 2. Watch the event stream (another admin changing the routing, bursts of
 *    fallbacks) and print each event.
 * 3. Every interval, print the demotion offload rate from the statistics.
 * Runs for --seconds (default 10), then restores "no offload" for demotion.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <migoffload.h>

static int rank(uint32_t kind)
{
	return kind == MIGOFF_KIND_DMA ? 3 : kind == MIGOFF_KIND_THREADS ? 2 : 1;
}

static int pick_fastest(struct migoff_ctx *ctx, char *name, size_t len)
{
	struct migoff_migrator m;
	struct migoff_info info;
	int best = 0, err;
	unsigned int i;

	info.size = sizeof(info);	/* every struct: size first */
	err = migoff_get_info(ctx, &info);
	if (err)
		return err;
	for (i = 0; i < info.nr_migrators; i++) {
		m.size = sizeof(m);
		if (migoff_get_migrator(ctx, i, &m))
			continue;
		if (!(m.state & MIGOFF_MIGRATOR_AVAILABLE) || rank(m.kind) <= best)
			continue;
		best = rank(m.kind);
		snprintf(name, len, "%s", m.name);
	}
	return best ? 0 : -ENODEV;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const uint64_t demotion = MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION);
	double seconds = 10, interval = 2, start, last;
	struct migoff_counters prev, cur;
	struct migoff_ctx *ctx;
	struct migoff_event ev;
	char name[MIGOFF_NAME_LEN];
	struct pollfd pfd;
	int c, err, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			seconds = atof(optarg);
		else if (c == 'i')
			interval = atof(optarg);
		else
			return 2;
	}
	if (seconds <= 0 || interval <= 0) {
		fprintf(stderr, "tiering_policy: --seconds and --interval must be > 0\n");
		return 2;
	}

	err = migoff_open(&ctx);
	if (err) {
		fprintf(stderr, "tiering_policy: %s: %s\n", MIGOFF_DEVICE, strerror(-err));
		return 1;
	}
	err = pick_fastest(ctx, name, sizeof(name));
	if (!err)
		err = migoff_enable(ctx, demotion, name);
	if (err) {
		fprintf(stderr, "tiering_policy: routing demotion: %s\n", strerror(-err));
		migoff_close(ctx);
		return 1;
	}
	printf("demotion -> %s\n", name);
	fd = migoff_events_subscribe(ctx);
	if (fd < 0 || migoff_get_stats(ctx, MIGOFF_STATS_REASON, MIGOFF_REASON_DEMOTION, &prev)) {
		fprintf(stderr, "tiering_policy: events/stats: %s\n", strerror(errno));
		migoff_disable(ctx, demotion);
		migoff_close(ctx);
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	start = last = now();
	while (now() - start < seconds) {
		ev.size = sizeof(ev);
		if (poll(&pfd, 1, 100) > 0 && !migoff_event_read(ctx, &ev))
			printf("event: %s%s%s\n", migoff_event_name(ev.type) ? : "?",
			       ev.name[0] ? " " : "", ev.name);
		if (now() - last >= interval &&
		    !migoff_get_stats(ctx, MIGOFF_STATS_REASON, MIGOFF_REASON_DEMOTION, &cur)) {
			double dt = now() - last;

			printf("demotion offload: %.1f folios/s, %.2f MB/s, %.1f fallbacks/s\n",
			       (cur.folios - prev.folios) / dt, (cur.bytes - prev.bytes) / dt / 1e6,
			       (double)(cur.fallback[0] + cur.fallback[1] + cur.fallback[2] +
					cur.fallback[3] - prev.fallback[0] - prev.fallback[1] -
					prev.fallback[2] - prev.fallback[3]) / dt);
			prev = cur;
			last = now();
		}
		fflush(stdout);
	}
	migoff_disable(ctx, demotion);
	migoff_close(ctx);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * monitor: the events of the "events" multicast group, one line (or JSON
 * object) each, as 'ip monitor' prints them; and how many were lost when
 * the socket's receive buffer overflowed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config.h"
#include "migoffloadctl.h"

#define MAX_EVENT_TYPES 64	/* bits of the --events mask */

/* --events=LIST: event types by the library's names, or "all" of them. */
static int events_opt(const char *list, uint64_t *mask)
{
	char *copy = strdup(list), *word, *save = NULL;
	const char *name;
	unsigned int t;
	int rc = 0;

	if (!copy)
		return fail("allocating", ENOMEM);
	*mask = 0;
	for (word = strtok_r(copy, ",", &save); word && !rc; word = strtok_r(NULL, ",", &save)) {
		for (t = 0; t < MAX_EVENT_TYPES; t++) {
			name = migoff_event_name(t);
			if (name && !strcmp(word, "all"))
				*mask |= 1ULL << t;
			else if (name && !strcmp(word, name))
				break;
		}
		if (t < MAX_EVENT_TYPES)
			*mask |= 1ULL << t;
		else if (strcmp(word, "all"))
			rc = usage_error("--events: unknown event '%s' (see --help for the list)", word);
	}
	if (!rc && !*mask)
		rc = usage_error("--events wants a list of events, got '%s'", list);
	free(copy);
	return rc;
}

/* JSON: the time in ns since the epoch; text with -t: "[2026-11-21T10:00:00.123456] ". */
static void print_time(const struct timespec *ts, bool stamp)
{
	char buf[64];
	struct tm tm;

	print_u64(PRINT_JSON, "time_ns", NULL, (uint64_t)ts->tv_sec * 1000000000 + ts->tv_nsec);
	if (!stamp || print_json())
		return;
	localtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	print_fp("[%s.%06ld] ", buf, ts->tv_nsec / 1000);
}

/* One event: a line, or one JSON object a line whatever -p says (JSON Lines). */
static int print_event(const struct migoff_event *ev, const struct timespec *ts, bool stamp)
{
	const char *name = migoff_event_name(ev->type);
	char path[CFG_CGROUP_LEN];
	bool on = ev->rate != 0;

	print_begin(stdout, json, false);
	print_obj_open(NULL);
	print_time(ts, stamp);
	if (name) {
		print_string(PRINT_ANY, "event", "%s", name);
	} else {	/* a newer kernel's */
		print_string(PRINT_JSON, "event", NULL, "unknown");
		print_u64(PRINT_FP, NULL, "event %llu", ev->type);
	}
	switch (ev->type) {
	case MIGOFF_EVENT_ENABLE:
		print_reasons(PRINT_ANY, "reasons", " %s", ev->reasons);
		print_string(PRINT_ANY, "migrator", " migrator %s", ev->name);
		print_flag(PRINT_ANY, "auto", " auto", NULL, ev->value == 1);
		break;
	case MIGOFF_EVENT_DISABLE:
		print_reasons(PRINT_ANY, "reasons", " %s", ev->reasons);
		break;
	case MIGOFF_EVENT_BATCH:
		print_u64(PRINT_ANY, "max_pages", " max_pages %llu", ev->max_pages);
		print_u64(PRINT_ANY, "min_folios", " min_folios %llu", ev->min_folios);
		print_u64(PRINT_ANY, "latency_us", " latency_us %llu", ev->value);
		break;
	case MIGOFF_EVENT_PARAM:
		print_string(PRINT_ANY, "migrator", " %s", ev->name);
		print_string(PRINT_ANY, "param", " %s", ev->param);
		print_u64(PRINT_ANY, "value", " %llu", ev->value);
		break;
	case MIGOFF_EVENT_FALLBACK:
		print_reasons(PRINT_ANY, "reasons", " %s", ev->reasons);
		print_u64(PRINT_ANY, "folios", " folios %llu", ev->folios);
		break;
	case MIGOFF_EVENT_QUOTA:
		/*
		 * The keys of a quota's object ('quota show'); rate 0: the
		 * quota was cleared (JSON: no reasons).
		 */
		print_u64(PRINT_ANY, "id", " cgroup %llu", ev->cgroup_id);
		print_string(PRINT_JSON, "path", NULL, cgroup_path(ev->cgroup_id, path, sizeof(path)));
		print_u64(on ? PRINT_ANY : PRINT_JSON, "rate_bytes_per_s", " rate %llu", ev->rate);
		print_u64(on ? PRINT_ANY : PRINT_JSON, "burst_bytes", " burst %llu", ev->burst);
		print_reasons(on ? PRINT_ANY : PRINT_JSON, "reasons", " reasons %s",
			      !on ? 0 : ev->reasons ? ev->reasons : MIGOFF_REASONS_ALL);
		if (!on)
			print_fp(" cleared");
		break;
	}
	print_obj_close();
	print_nl();
	return print_end() ? fail("writing", EIO) : 0;
}

/*
 * The messages the kernel dropped for socket @fd (netlink_overrun() counts
 * each in sk_drops, which /proc/net/netlink shows as Drops, by the
 * socket's inode): ENOBUFS only says that some were. -1 if not known.
 */
static long long socket_drops(int fd)
{
	unsigned long long ino;
	unsigned int drops;
	long long found = -1;
	char line[512];
	struct stat st;
	FILE *f;

	if (fstat(fd, &st))
		return -1;
	f = fopen("/proc/net/netlink", "r");
	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %u %llu", &drops, &ino) == 2 &&
		    ino == st.st_ino)
			found = drops;
	fclose(f);
	return found;
}

/* What monitor has said about the events lost. */
struct loss {
	int fd;
	long long reported;	/* drops counted so far; -1: not known */
	bool pending;		/* since the last overflow, more may be dropped */
};

/*
 * Say how many events were lost since the last time: at an overflow
 * (@overflow: the library said ENOBUFS), and, until the count stops
 * growing, when monitor is idle or stops (the socket goes on dropping
 * until the reader has drained it, without another ENOBUFS). A line on
 * stderr, and a "lost" record among the events, so that a reader of the
 * output knows there is a gap: 0 or 1 (a write error).
 */
static int report_loss(struct loss *l, const struct timespec *ts, bool stamp, bool overflow)
{
	long long drops = l->reported < 0 ? -1 : socket_drops(l->fd);
	unsigned long long lost = drops < 0 ? 0 : (unsigned int)(drops - l->reported);

	l->pending = drops >= 0 && (overflow || lost);
	if (!overflow && !lost)
		return 0;
	if (drops >= 0) {
		l->reported = drops;
		fprintf(stderr, "migoffloadctl: monitor: %llu events lost (receive buffer overflowed); continuing\n",
			lost);
	} else {
		fprintf(stderr, "migoffloadctl: monitor: events lost (receive buffer overflowed); continuing\n");
	}
	print_begin(stdout, json, false);
	print_obj_open(NULL);
	print_time(ts, stamp);
	print_string(PRINT_ANY, "event", "%s", "lost");
	if (drops >= 0)
		print_u64(PRINT_ANY, "events", " events %llu", lost);
	else
		print_null(PRINT_ANY, "events", " events -");
	print_obj_close();
	print_nl();
	return print_end() ? fail("writing", EIO) : 0;
}

static int do_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "events", required_argument, NULL, 'e' },
		{ "timestamp", no_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t count = 0, n = 0, mask = ~0ULL;
	struct migoff_event ev;
	struct timespec now;
	struct loss loss;
	struct pollfd pfd;
	bool stamp = false, filter = false;
	int c, fd, err, ready, rc = 0;

	optind = 0;
	while ((c = next_opt(argc, argv, "t", opts)) != -1) {
		switch (c) {
		case 'c':
			if (positive_opt("--count", "a number", optarg, UINT64_MAX, &count))
				return EXIT_USAGE;
			break;
		case 'e':
			if (events_opt(optarg, &mask))
				return EXIT_USAGE;
			filter = true;
			break;
		case 't':
			stamp = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (open_dev())
		return 1;
	fd = migoff_events_subscribe(dev);
	if (fd < 0)
		return nl_fail("subscribing to events (netlink)", fd);
	/* A new socket: whatever it drops is lost to this monitor. */
	loss.fd = fd;
	loss.reported = socket_drops(fd) < 0 ? -1 : 0;
	loss.pending = false;
	/* No SA_RESTART: a read waiting for an event returns at SIGINT. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!rc && !stop && (!count || n < count)) {
		ready = poll(&pfd, 1, 500);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return fail("waiting for events", errno);
		if (!ready) {
			/* Idle: the socket is drained, its drop count final. */
			clock_gettime(CLOCK_REALTIME, &now);
			if (loss.pending)
				rc = report_loss(&loss, &now, stamp, false);
			continue;
		}
		if (pfd.revents & POLLNVAL)
			return fail("waiting for events", EBADF);
		ev.size = sizeof(ev);
		err = migoff_event_read(dev, &ev);
		clock_gettime(CLOCK_REALTIME, &now);
		if (err == -ENOBUFS) {
			/* As 'ip monitor': say so, and go on. */
			rc = report_loss(&loss, &now, stamp, true);
			continue;
		}
		if (err == -EPROTO) {
			fprintf(stderr, "migoffloadctl: monitor: skipped a malformed event\n");
			continue;
		}
		if (err == -EINTR)
			continue;
		if (err)
			return fail("reading an event", err);
		if (filter && (ev.type >= MAX_EVENT_TYPES || !(mask & (1ULL << ev.type))))
			continue;
		n++;
		rc = print_event(&ev, &now, stamp);
	}
	if (!rc && loss.pending) {
		clock_gettime(CLOCK_REALTIME, &now);
		rc = report_loss(&loss, &now, stamp, false);
	}
	return rc;
}

const struct cmd cmd_monitor = {
	.name = "monitor",
	.run = do_monitor,
	.usage =
"  monitor [-t] [--events=EVENTS] [--count=N]  events until SIGINT (-j: JSON\n"
"                                       Lines); -t: each line starts with its time\n",
	.notes = NOTE_NUMBERS | NOTE_EVENTS,
};

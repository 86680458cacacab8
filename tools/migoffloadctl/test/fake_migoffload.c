// SPDX-License-Identifier: GPL-2.0
/*
 * A fake /dev/migrate_offload for the host tests (issue 20): the calls of
 * libmigoffload that migoffloadctl makes, answered from a fixed system
 * (four migrators, one of a kind this version does not know; routes, one
 * automatic; batch caps with a latency target; three quotas, one of a
 * cgroup that is gone; statistics that grow at each dump; every type of
 * event and a lost one). Linked before libmigoffload.a, whose names.o
 * (the names of reasons, events...) it keeps, so that every command runs
 * its own code, text and JSON, without the device.
 *
 *   MIGOFF_FAKE_FEATURES=N   the kernel's MIGOFF_FEAT_* (default: all); 0
 *                            is a kernel without quotas, automatic routes
 *                            or a latency target
 *   MIGOFF_FAKE_OPEN=ENOENT|EPROTO  migoff_open() fails so
 *
 * The quotas' cgroups are directories under CFG_CGROUP_ROOT (the Makefile
 * points it into the build directory), made at migoff_open(): their inode
 * numbers are the ids, as a cgroup's are.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "migoffload.h"

#define MIB (1ULL << 20)
#define NR_MIGRATORS 4
#define NR_QUOTAS 3
#define GONE_ID 987654321ULL	/* a cgroup no directory has */

struct migoff_ctx {
	uint64_t features;
	unsigned int dumps;		/* statistics grow with each */
	int events[2];			/* a pipe: a byte per event pending */
	unsigned int next_event;
	uint64_t cgroup_ids[2];
};

static const struct {
	const char *name;
	uint32_t id, kind, state;
	uint64_t reasons;
	unsigned int nr_params;
	struct { const char *name; uint64_t value, min, max; } params[2];
} migrators[NR_MIGRATORS] = {
	{ "cpu", 0, MIGOFF_KIND_CPU, MIGOFF_MIGRATOR_AVAILABLE,
	  MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION), 0, { { NULL, 0, 0, 0 } } },
	{ "mtcopy", 1, MIGOFF_KIND_THREADS, MIGOFF_MIGRATOR_AVAILABLE,
	  MIGOFF_REASON_BIT(MIGOFF_REASON_SYSCALL), 2,
	  { { "threads", 4, 1, 64 }, { "push", 0, 0, 1 } } },
	{ "dcbm", 2, MIGOFF_KIND_DMA, MIGOFF_MIGRATOR_AVAILABLE,
	  MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION), 2,
	  { { "channels", 1, 1, 16 }, { "timeout_ms", 1000, 1, 60000 } } },
	{ "future", 7, 9, 0, 0, 1, { { "knob", 0, 0, 0 } } },
};

static int fail(int err)
{
	errno = err;
	return -err;
}

/* mkdir -p @path, then its inode number. */
static int make_cgroup(const char *path, uint64_t *id)
{
	char buf[CFG_CGROUP_LEN + 64], *p;
	struct stat st;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if ((mkdir(buf, 0755) && errno != EEXIST) || stat(buf, &st))
		return -errno;
	*id = st.st_ino;
	return 0;
}

int migoff_open(struct migoff_ctx **ctxp)
{
	const char *err = getenv("MIGOFF_FAKE_OPEN"), *feat = getenv("MIGOFF_FAKE_FEATURES");
	struct migoff_ctx *c;
	int e;

	if (err)
		return fail(!strcmp(err, "EPROTO") ? EPROTO : ENOENT);
	c = calloc(1, sizeof(*c));
	if (!c)
		return fail(ENOMEM);
	c->features = feat ? strtoull(feat, NULL, 0) : (MIGOFF_FEAT_FALLBACK_BUSY << 1) - 1;
	c->events[0] = c->events[1] = -1;
	e = make_cgroup(CFG_CGROUP_ROOT "/work.slice", &c->cgroup_ids[0]);
	if (!e)
		e = make_cgroup(CFG_CGROUP_ROOT "/work.slice/batch", &c->cgroup_ids[1]);
	if (e) {
		free(c);
		return fail(-e);
	}
	*ctxp = c;
	return 0;
}

void migoff_close(struct migoff_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->events[0] >= 0) {
		close(ctx->events[0]);
		close(ctx->events[1]);
	}
	free(ctx);
}

int migoff_get_info(struct migoff_ctx *ctx, struct migoff_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	info->api_version = MIGOFF_API_VERSION;
	info->nr_migrators = NR_MIGRATORS;
	info->reasons_supported = MIGOFF_REASONS_ALL;
	info->features = ctx->features;
	info->max_batch_pages_limit = 4096;
	return 0;
}

int migoff_get_migrator(struct migoff_ctx *ctx, unsigned int index, struct migoff_migrator *m)
{
	unsigned int p;

	(void)ctx;
	if (index >= NR_MIGRATORS)
		return fail(ENOENT);
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->index = index;
	m->id = migrators[index].id;
	snprintf(m->name, sizeof(m->name), "%s", migrators[index].name);
	m->kind = migrators[index].kind;
	m->state = migrators[index].state;
	m->reasons = migrators[index].reasons;
	m->nr_params = migrators[index].nr_params;
	for (p = 0; p < m->nr_params; p++) {
		snprintf(m->params[p].name, sizeof(m->params[p].name), "%s",
			 migrators[index].params[p].name);
		m->params[p].value = migrators[index].params[p].value;
		m->params[p].min = migrators[index].params[p].min;
		m->params[p].max = migrators[index].params[p].max;
	}
	return 0;
}

int migoff_get_routes(struct migoff_ctx *ctx, uint32_t *ids, unsigned int nr)
{
	unsigned int r;

	(void)ctx;
	for (r = 0; r < nr && r < MIGOFF_REASON_COUNT; r++)
		ids[r] = r == MIGOFF_REASON_COMPACTION ? 0 : r == MIGOFF_REASON_SYSCALL ? 1 :
			 r == MIGOFF_REASON_DEMOTION ? 2 : MIGOFF_NO_MIGRATOR;
	return MIGOFF_REASON_COUNT;
}

int migoff_get_auto_reasons(struct migoff_ctx *ctx, uint64_t *reasons)
{
	if (!(ctx->features & MIGOFF_FEAT_AUTO))
		return fail(EOPNOTSUPP);
	*reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION);
	return 0;
}

int migoff_get_batch_caps(struct migoff_ctx *ctx, struct migoff_batch *b)
{
	bool latency = ctx->features & MIGOFF_FEAT_LATENCY;

	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->max_pages = 512;
	b->min_folios = 1;
	b->latency_us = latency ? 2000 : 0;
	b->effective_pages = latency ? 256 : 0;
	return 0;
}

int migoff_set_batch_caps(struct migoff_ctx *ctx, const struct migoff_batch *b)
{
	(void)ctx;
	(void)b;
	return 0;
}

int migoff_set_param(struct migoff_ctx *ctx, const char *migrator, const char *param,
		     uint64_t value)
{
	unsigned int i, p;

	(void)ctx;
	for (i = 0; i < NR_MIGRATORS; i++)
		for (p = 0; p < migrators[i].nr_params; p++)
			if (!strcmp(migrators[i].name, migrator) &&
			    !strcmp(migrators[i].params[p].name, param))
				return value < migrators[i].params[p].min ||
				       value > migrators[i].params[p].max ? fail(ERANGE) : 0;
	return fail(ENOENT);
}

int migoff_enable_flags(struct migoff_ctx *ctx, uint64_t reasons, const char *migrator,
			uint32_t flags)
{
	(void)ctx;
	(void)reasons;
	(void)migrator;
	(void)flags;
	return 0;
}

int migoff_disable(struct migoff_ctx *ctx, uint64_t reasons)
{
	(void)ctx;
	(void)reasons;
	return 0;
}

int migoff_reset_stats(struct migoff_ctx *ctx)
{
	(void)ctx;
	return 0;
}

int migoff_ext_ack(struct migoff_ctx *ctx, char *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

/* Quota @i, its counters grown by the dumps so far (@n). */
static int quota(struct migoff_ctx *ctx, unsigned int i, unsigned int n, struct migoff_quota *q)
{
	static const struct { uint64_t rate, burst, reasons; } quotas[NR_QUOTAS] = {
		{ 64 * MIB, 4 * MIB, 0 },
		{ 8 * MIB, MIB, MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION) |
				MIGOFF_REASON_BIT(MIGOFF_REASON_NUMA_MISPLACED) },
		{ MIB, MIB, MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION) },
	};

	if (!(ctx->features & MIGOFF_FEAT_QUOTAS) || i >= NR_QUOTAS)
		return fail(ENOENT);
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->cgroup_id = i < 2 ? ctx->cgroup_ids[i] : GONE_ID;
	q->rate = quotas[i].rate;
	q->burst = quotas[i].burst;
	q->reasons = quotas[i].reasons;
	q->folios_offloaded = 1000ULL * (i + 1) * n;
	q->bytes_offloaded = q->folios_offloaded * 4096;
	q->folios_refused = 10ULL * i * n;
	q->bytes_refused = q->folios_refused * 4096;
	q->copy_cpu_ns = 123456ULL * n;
	return 0;
}

int migoff_quota_get(struct migoff_ctx *ctx, unsigned int index, struct migoff_quota *q)
{
	return quota(ctx, index, 1, q);
}

int migoff_quota_find(struct migoff_ctx *ctx, const char *cgroup, struct migoff_quota *q)
{
	char path[CFG_CGROUP_LEN + 64];
	struct stat st;
	unsigned int i;

	snprintf(path, sizeof(path), "%s%s%s", cgroup[0] == '/' ? "" : CFG_CGROUP_ROOT,
		 cgroup[0] == '/' ? "" : "/", cgroup);
	if (stat(path, &st))
		return fail(errno);
	for (i = 0; i < 2; i++)
		if (ctx->cgroup_ids[i] == st.st_ino)
			return quota(ctx, i, 1, q);
	return fail(ENOENT);
}

int migoff_quota_set(struct migoff_ctx *ctx, const char *cgroup, uint64_t rate,
		     uint64_t burst, uint64_t reasons)
{
	char path[CFG_CGROUP_LEN + 64];
	struct stat st;

	(void)ctx;
	(void)rate;
	(void)burst;
	(void)reasons;
	snprintf(path, sizeof(path), "%s%s%s", cgroup[0] == '/' ? "" : CFG_CGROUP_ROOT,
		 cgroup[0] == '/' ? "" : "/", cgroup);
	return stat(path, &st) ? fail(errno) : 0;
}

int migoff_quota_clear(struct migoff_ctx *ctx, const char *cgroup)
{
	struct migoff_quota q;

	return migoff_quota_find(ctx, cgroup, &q);
}

int migoff_stats_dump_flags(struct migoff_ctx *ctx, uint32_t flags, migoff_stats_cb cb, void *arg)
{
	static const struct { uint32_t min_pages; uint64_t migrator, cpu; } classes[] = {
		{ 1, 900000, 300000 }, { 16, 0, 250000 }, { 128, 120000, 200000 }, { 512, 0, 0 },
	};
	struct migoff_stats_entry e;
	unsigned int n = ++ctx->dumps, r, i, f;
	int err = 0;

	for (r = 0; !err && r < MIGOFF_REASON_COUNT; r++) {
		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.scope = MIGOFF_STATS_REASON;
		e.index = r;
		snprintf(e.name, sizeof(e.name), "%s", migoff_reason_name(r));
		e.counters.batches = 10ULL * r * n;
		e.counters.folios = 100ULL * r * n;
		e.counters.bytes = e.counters.folios * 4096;
		e.counters.copy_ns = 5000ULL * r * n;
		for (f = 0; f < MIGOFF_FALLBACK_COUNT; f++)
			e.counters.fallback[f] = (uint64_t)f * r * n;
		err = cb(&e, arg);
	}
	for (i = 0; !err && i < NR_MIGRATORS; i++) {
		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.scope = MIGOFF_STATS_MIGRATOR;
		e.index = migrators[i].id;
		snprintf(e.name, sizeof(e.name), "%s", migrators[i].name);
		e.counters.batches = 7ULL * i * n;
		e.counters.folios = 70ULL * i * n;
		e.counters.bytes = e.counters.folios * 4096;
		e.counters.copy_ns = 3000ULL * i * n;
		e.counters.fallback[MIGOFF_FALLBACK_ERROR] = i * n;
		err = cb(&e, arg);
	}
	for (i = 0; !err && i < NR_QUOTAS; i++) {
		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.scope = MIGOFF_STATS_CGROUP;
		if (quota(ctx, i, n, &e.quota))
			break;
		e.index = i;
		err = cb(&e, arg);
	}
	if (!(flags & MIGOFF_DUMP_AUTO) || !(ctx->features & MIGOFF_FEAT_AUTO))
		return err;
	for (i = 0; !err && i < sizeof(classes) / sizeof(classes[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.size = sizeof(e);
		e.scope = MIGOFF_STATS_AUTO;
		e.index = MIGOFF_REASON_DEMOTION;
		snprintf(e.name, sizeof(e.name), "%s", migoff_reason_name(MIGOFF_REASON_DEMOTION));
		e.auto_class.min_pages = classes[i].min_pages;
		e.auto_class.migrator_ns_per_mib = classes[i].migrator;
		e.auto_class.cpu_ns_per_mib = classes[i].cpu;
		e.auto_class.batches_migrator = 3ULL * i * n;
		e.auto_class.batches_cpu = 2ULL * i * n;
		e.auto_class.batches_probe = (uint64_t)i * n;
		err = cb(&e, arg);
	}
	return err;
}

/* Every type of event, one of a type this version does not know, and a loss. */
#define NR_EVENTS 11

int migoff_events_subscribe(struct migoff_ctx *ctx)
{
	char bytes[NR_EVENTS] = { 0 };

	if (ctx->events[0] < 0 && pipe(ctx->events))
		return fail(errno);
	if (write(ctx->events[1], bytes, sizeof(bytes)) != sizeof(bytes))
		return fail(EIO);
	return ctx->events[0];
}

int migoff_event_read(struct migoff_ctx *ctx, struct migoff_event *ev)
{
	unsigned int i = ctx->next_event++;
	char byte;

	if (read(ctx->events[0], &byte, 1) != 1)
		return fail(EAGAIN);
	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	switch (i) {
	case 0:
	case 10:
		ev->type = MIGOFF_EVENT_ENABLE;
		ev->reasons = MIGOFF_REASON_BIT(i ? MIGOFF_REASON_SYSCALL : MIGOFF_REASON_DEMOTION);
		snprintf(ev->name, sizeof(ev->name), "%s", i ? "mtcopy" : "dcbm");
		ev->value = !i;		/* 1: routed with MIGOFF_ROUTE_AUTO */
		break;
	case 1:
		ev->type = MIGOFF_EVENT_DISABLE;
		ev->reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_COMPACTION);
		break;
	case 2:
		ev->type = MIGOFF_EVENT_BATCH;
		ev->max_pages = 512;
		ev->min_folios = 1;
		ev->value = 2000;
		break;
	case 3:
		ev->type = MIGOFF_EVENT_PARAM;
		snprintf(ev->name, sizeof(ev->name), "mtcopy");
		snprintf(ev->param, sizeof(ev->param), "threads");
		ev->value = 8;
		break;
	case 4:
		ev->type = MIGOFF_EVENT_STATS_RESET;
		break;
	case 5:
		ev->type = MIGOFF_EVENT_FALLBACK;
		ev->reasons = MIGOFF_REASON_BIT(MIGOFF_REASON_DEMOTION);
		ev->folios = 17;
		break;
	case 6:
	case 7:		/* set, then one cleared (its cgroup gone) */
		ev->type = MIGOFF_EVENT_QUOTA;
		ev->cgroup_id = i == 6 ? ctx->cgroup_ids[0] : GONE_ID;
		ev->rate = i == 6 ? 64 * MIB : 0;
		ev->burst = i == 6 ? 4 * MIB : 0;
		break;
	case 8:
		return fail(ENOBUFS);	/* the socket overflowed */
	default:
		ev->type = 42;		/* a newer kernel's */
		break;
	}
	return 0;
}

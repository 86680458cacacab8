/* SPDX-License-Identifier: GPL-2.0 */
/* Small wrappers around the /dev/migrate_offload ioctls, for the tests. */
#ifndef MIGOFF_DEV_H
#define MIGOFF_DEV_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/migrate_offload.h>

/* ioctl(2) as 0 or -errno. */
static inline int migoff_ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static inline int migoff_enable(int fd, uint64_t reasons, const char *migrator)
{
	struct migoff_route r = { .size = sizeof(r), .reasons = reasons };

	strncpy(r.migrator, migrator, sizeof(r.migrator) - 1);
	return migoff_ioc(fd, MIGOFF_IOC_ENABLE, &r);
}

static inline int migoff_disable_all(int fd)
{
	struct migoff_route r = { .size = sizeof(r),
				  .flags = MIGOFF_ROUTE_ALL_REASONS };

	return migoff_ioc(fd, MIGOFF_IOC_DISABLE, &r);
}

static inline int migoff_reset_stats(int fd)
{
	struct migoff_reset r = { .size = sizeof(r) };

	return migoff_ioc(fd, MIGOFF_IOC_RESET_STATS, &r);
}

/* Migrator id by name, or -errno. */
static inline long migoff_migrator_id(int fd, const char *name)
{
	struct migoff_migrator m = { .size = sizeof(m),
				     .flags = MIGOFF_MIGRATOR_BY_NAME };
	int err;

	strncpy(m.name, name, sizeof(m.name) - 1);
	err = migoff_ioc(fd, MIGOFF_IOC_GET_MIGRATOR, &m);
	return err ? err : (long)m.id;
}

static inline int migoff_counters(int fd, uint32_t scope, uint32_t index,
				  struct migoff_counters *c)
{
	struct migoff_stats s = { .size = sizeof(s), .scope = scope,
				  .index = index };
	int err = migoff_ioc(fd, MIGOFF_IOC_GET_STATS, &s);

	if (!err)
		*c = s.counters;
	return err;
}

static inline int migoff_set_param(int fd, const char *migrator,
				   const char *name, uint64_t value)
{
	struct migoff_param p = { .size = sizeof(p), .value = value };

	strncpy(p.migrator, migrator, sizeof(p.migrator) - 1);
	strncpy(p.name, name, sizeof(p.name) - 1);
	return migoff_ioc(fd, MIGOFF_IOC_SET_PARAM, &p);
}

static inline int migoff_set_batch(int fd, uint32_t flags, uint32_t max_pages,
				   uint32_t min_folios)
{
	struct migoff_batch b = { .size = sizeof(b), .flags = flags,
				  .max_pages = max_pages,
				  .min_folios = min_folios };

	return migoff_ioc(fd, MIGOFF_IOC_SET_BATCH, &b);
}

static inline int migoff_enable_auto(int fd, uint64_t reasons,
				     const char *migrator)
{
	struct migoff_route r = { .size = sizeof(r), .reasons = reasons,
				  .flags = MIGOFF_ROUTE_AUTO };

	strncpy(r.migrator, migrator, sizeof(r.migrator) - 1);
	return migoff_ioc(fd, MIGOFF_IOC_ENABLE, &r);
}

static inline int migoff_enable_flags(int fd, uint64_t reasons,
				      const char *migrator, uint32_t flags)
{
	struct migoff_route r = { .size = sizeof(r), .reasons = reasons,
				  .flags = flags };

	strncpy(r.migrator, migrator, sizeof(r.migrator) - 1);
	return migoff_ioc(fd, MIGOFF_IOC_ENABLE, &r);
}

static inline int migoff_set_latency(int fd, uint32_t latency_us)
{
	struct migoff_batch b = { .size = sizeof(b),
				  .flags = MIGOFF_BATCH_SET_LATENCY,
				  .latency_us = latency_us };

	return migoff_ioc(fd, MIGOFF_IOC_SET_BATCH, &b);
}

static inline int migoff_get_auto(int fd, uint32_t reason, struct migoff_auto *a)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->reason = reason;
	return migoff_ioc(fd, MIGOFF_IOC_GET_AUTO, a);
}

/* Folios of @c that fell back to the CPU, whatever the cause. */
static inline uint64_t migoff_fallbacks(const struct migoff_counters *c)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < MIGOFF_FALLBACK_COUNT; i++)
		n += c->fallback[i];
	return n;
}

#endif

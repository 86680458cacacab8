/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tests' access to /dev/migrate_offload: libmigoffload (a struct
 * migoff_ctx from migoff_open()) for every request it can make, and the
 * raw_ calls below for what it cannot (tools/bench uses it too).
 */
#ifndef MIGOFF_DEV_H
#define MIGOFF_DEV_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <migoffload.h>

/*
 * Raw ioctls, for the requests the library refuses or rewrites: the tests
 * of the kernel's own validation send structs with other sizes or command
 * numbers, unknown flags, output fields set on input, non-zero reserved
 * bytes or bytes after a name's NUL (the library checks sizes and names,
 * and zeroes a struct before a GET), and a few it has no call for (a
 * cgroup by id, or by an fd opened elsewhere). The library's fd is its
 * own: these go through a second open of the device, which keeps no
 * per-open state.
 */
static inline int raw_open(void)
{
	return open(MIGOFF_DEVICE, O_RDWR | O_CLOEXEC);
}

/* ioctl(2) as 0 or -errno. */
static inline int raw_ioc(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

/* The id of migrator @name, or -errno. */
static inline long migrator_id(struct migoff_ctx *ctx, const char *name)
{
	struct migoff_migrator m = { .size = sizeof(m) };
	int err = migoff_find_migrator(ctx, name, &m);

	return err ? err : (long)m.id;
}

/* Set the latency target of the batch caps alone (0: none). */
static inline int set_latency(struct migoff_ctx *ctx, uint32_t latency_us)
{
	struct migoff_batch b = { .size = sizeof(b), .flags = MIGOFF_BATCH_SET_LATENCY,
				  .latency_us = latency_us };

	return migoff_set_batch_caps(ctx, &b);
}

#endif

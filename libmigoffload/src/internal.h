/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MIGOFFLOAD_INTERNAL_H
#define MIGOFFLOAD_INTERNAL_H

#include <errno.h>
#include <pthread.h>

#include "migoffload.h"

struct mnl_socket;

struct migoff_ctx {
	int fd;				/* /dev/migrate_offload */
	pthread_mutex_t nl_lock;	/* the netlink sockets below */
	struct mnl_socket *nl;		/* requests (dump) */
	struct mnl_socket *ev;		/* events subscription */
	uint16_t family;		/* genetlink family id, 0: unknown */
	uint32_t mcgrp;			/* events group id */
	uint32_t seq;
};

/* Return @err (0 or -errno) and set errno when it is an error. */
static inline int migoff_ret(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

#endif

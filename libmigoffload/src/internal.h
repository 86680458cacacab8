/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef MIGOFFLOAD_INTERNAL_H
#define MIGOFFLOAD_INTERNAL_H

#include <errno.h>
#include <pthread.h>

#include "migoffload.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <libmnl/libmnl.h>

#define MIGOFF_EV_BUF	8192
#define MIGOFF_NL_BUF	32768	/* a dump part: the kernel fills what we offer */

struct migoff_ctx {
	int fd;				/* /dev/migrate_offload */
	uint64_t features;		/* MIGOFF_FEAT_* of the handshake */
	pthread_mutex_t nl_lock;	/* the request socket and ext_ack */
	struct mnl_socket *nl;		/* requests (dump) */
	bool nl_broken;			/* may hold stale replies: reopen */
	uint16_t family;		/* genetlink family id, 0: unknown */
	uint32_t mcgrp;			/* events group id */
	uint32_t seq;
	char ext_ack[256];		/* of the last failed request */
	/*
	 * Host tests: a scripted transport instead of the request socket, and
	 * a scripted kernel instead of ioctl() on fd (0 or -errno).
	 */
	ssize_t (*xfer_send)(void *arg, const struct nlmsghdr *nlh);
	ssize_t (*xfer_recv)(void *arg, void *buf, size_t len);
	int (*xfer_ioctl)(void *arg, unsigned long req, void *data);
	void *xfer_arg;
	/* events: one reading thread */
	struct mnl_socket *ev;
	size_t ev_pos, ev_len;
	char ev_buf[MIGOFF_EV_BUF];
};

/*
 * The sizes of the first published layouts: the smallest struct a caller
 * may pass. Never change them.
 */
#define MIGOFF_INFO_SIZE_VER0		72
#define MIGOFF_MIGRATOR_SIZE_VER0	264
#define MIGOFF_QUOTA_SIZE_VER0		104
#define MIGOFF_EVENT_SIZE_VER0		176
#define MIGOFF_AUTO_SIZE_VER0		216	/* struct migoff_auto, 2.1 */
/* MIGOFF_BATCH_SIZE_VER0/VER1, MIGOFF_ROUTES_SIZE_VER0/VER1: the uapi's. */
#define MIGOFF_SIZE_MAX			4096	/* a sanity bound: E2BIG above */

/* The caller's size of the struct at @p: 0 or -EINVAL / -E2BIG. */
int migoff_user_size(const void *p, size_t ver0, size_t *size);
/* @src (@ssize bytes) into the caller's @dst of @dsize bytes; sets its size. */
void migoff_copy_sized(void *dst, size_t dsize, const void *src, size_t ssize);
/* GET_ROUTES result into the caller's array of @nr: the kernel's count. */
int migoff_routes_copy(uint32_t *ids, unsigned int nr, const struct migoff_routes *r);
/* The GET_INFO handshake: may this library talk to that kernel? */
int migoff_api_check(const struct migoff_info *info);
/* Does a dump with @flags (MIGOFF_DUMP_*) hand out entries of @scope? */
bool migoff_dump_wants(uint32_t scope, uint32_t flags);

/* A context without the device (migoff_open() and the host tests). */
struct migoff_ctx *migoff_ctx_new(void);

/* A netlink request in flight: see nl_process(). */
struct nl_req {
	uint32_t seq, portid;
	bool want_ack;			/* NLM_F_ACK: done at the ACK */
	bool stopped;			/* the callback is done; drain the rest */
	int err;			/* the callback's error */
	mnl_cb_t cb;
	void *data;
	char ext_ack[256];
};

struct nl_family {
	uint16_t id;
	uint32_t mcgrp;
};

int nl_process(struct nl_req *rq, const void *buf, size_t len);
int nl_request(struct migoff_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
int nl_parse_family(const struct nlmsghdr *nlh, void *data);
int nl_parse_stats(const struct nlmsghdr *nlh, struct migoff_stats_entry *e);
int nl_parse_event(const struct nlmsghdr *nlh, struct migoff_event *ev);
int nl_next_event(const void *buf, size_t len, size_t *used, struct migoff_event *ev);

/* Return @err (0 or -errno) and set errno when it is an error. */
static inline int migoff_ret(int err)
{
	if (err < 0)
		errno = -err;
	return err;
}

#endif

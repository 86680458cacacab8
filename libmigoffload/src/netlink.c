// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The generic netlink side: statistics dump and events, through libmnl.
 *
 * Replies are read by nl_process(), not mnl_cb_run(): it checks every
 * message and attribute length, reads the error code NLMSG_DONE carries and
 * the extended ACK of NLMSG_ERROR and NLMSG_DONE, skips stale replies of an
 * earlier request, and when a callback stops early keeps reading (without
 * calling it) to the end of the dump, so the next request starts clean.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include "internal.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* The extended ACK text (NLMSGERR_ATTR_MSG) after @hlen bytes of payload. */
static void ext_ack(const struct nlmsghdr *nlh, size_t hlen, struct nl_req *rq)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || hlen > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(a, nlh, hlen) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(rq->ext_ack, sizeof(rq->ext_ack), "%s", mnl_attr_get_str(a));
			return;
		}
	}
}

/*
 * One buffer of replies to @rq. Returns 1 while more is to come, 0 when the
 * request is complete, or -errno (complete too: the reply is consumed).
 */
int nl_process(struct nl_req *rq, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int n = len, ret;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_seq != rq->seq ||
		    (nlh->nlmsg_pid && rq->portid && nlh->nlmsg_pid != rq->portid))
			continue;	/* stale: a reply to an earlier request */
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_OVERRUN:
			return rq->err ? rq->err : -EIO;
		case NLMSG_ERROR: {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			size_t hlen = sizeof(*e);

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				return rq->err ? rq->err : -EPROTO;
			if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
				hlen += e->msg.nlmsg_len >= sizeof(struct nlmsghdr) ?
					e->msg.nlmsg_len - sizeof(struct nlmsghdr) : 0;
			ext_ack(nlh, hlen, rq);
			/* An error ends a dump too; the first error wins. */
			if (rq->err)
				return rq->err;
			return e->error > 0 ? -EPROTO : e->error;
		}
		case NLMSG_DONE: {
			int err = 0;

			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
				memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(int));
				ext_ack(nlh, sizeof(int), rq);
			}
			if (rq->err)
				return rq->err;
			if (err > 0)
				return -EPROTO;
			if (err < 0)
				return err;		/* the dump failed part-way */
			return rq->want_ack ? 1 : 0;
		}
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;	/* control messages of no interest */
		if (!rq->stopped && rq->cb) {
			errno = 0;
			ret = rq->cb(nlh, rq->data);
			if (ret <= MNL_CB_ERROR) {
				rq->err = errno > 0 ? -errno : -EPROTO;
				rq->stopped = true;
			} else if (ret == MNL_CB_STOP) {
				rq->stopped = true;
			}
		}
		if (!(nlh->nlmsg_flags & NLM_F_MULTI) && !rq->want_ack)
			return rq->err;		/* a single reply */
	}
	return 1;
}

static ssize_t nl_send(struct migoff_ctx *ctx, const struct nlmsghdr *nlh)
{
	if (ctx->xfer_send)
		return ctx->xfer_send(ctx->xfer_arg, nlh);
	return mnl_socket_sendto(ctx->nl, nlh, nlh->nlmsg_len);
}

static ssize_t nl_recv(struct migoff_ctx *ctx, void *buf, size_t len)
{
	if (ctx->xfer_recv)
		return ctx->xfer_recv(ctx->xfer_arg, buf, len);
	return mnl_socket_recvfrom(ctx->nl, buf, len);
}

/*
 * Send @nlh on the request socket and feed every reply to @cb until the
 * request is done. Under nl_lock.
 */
int nl_request(struct migoff_ctx *ctx, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct nl_req rq = {
		.seq = ++ctx->seq,
		.portid = ctx->nl ? mnl_socket_get_portid(ctx->nl) : 0,
		.want_ack = !!(nlh->nlmsg_flags & NLM_F_ACK),
		.cb = cb,
		.data = data,
	};
	ssize_t ret;
	char *buf;

	buf = malloc(MIGOFF_NL_BUF);
	if (!buf)
		return -ENOMEM;
	nlh->nlmsg_seq = rq.seq;
	ctx->ext_ack[0] = '\0';
	if (nl_send(ctx, nlh) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		ret = nl_recv(ctx, buf, MIGOFF_NL_BUF);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			ret = -errno;
			/* The socket may still hold replies: start over next time. */
			ctx->nl_broken = true;
			goto out;
		}
		ret = nl_process(&rq, buf, ret);
	} while (ret > 0);
out:
	if (ret < 0 && rq.ext_ack[0])
		memcpy(ctx->ext_ack, rq.ext_ack, sizeof(ctx->ext_ack));
	free(buf);
	return ret;
}

static struct nlmsghdr *genl_msg(char *buf, uint16_t type, uint16_t flags,
				 uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	int on = 1;

	if (!nl)
		return NULL;
	/* Extended ACK text; no copy of the request in error replies. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &on, sizeof(on));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

/* The payload of a generic netlink message, or NULL if it is too short. */
static const struct genlmsghdr *genl_hdr(const struct nlmsghdr *nlh)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return NULL;
	return mnl_nlmsg_get_payload(nlh);
}

/* CTRL_CMD_GETFAMILY reply -> struct nl_family. */
int nl_parse_family(const struct nlmsghdr *nlh, void *data)
{
	struct nl_family *fi = data;
	const struct nlattr *a, *g, *ga;

	if (!genl_hdr(nlh))
		return errno = EPROTO, MNL_CB_ERROR;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID) {
			if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
				return errno = EPROTO, MNL_CB_ERROR;
			fi->id = mnl_attr_get_u16(a);
		} else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS) {
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
				return errno = EPROTO, MNL_CB_ERROR;
			mnl_attr_for_each_nested(g, a) {
				const char *name = NULL;
				uint32_t id = 0;

				if (mnl_attr_validate(g, MNL_TYPE_NESTED) < 0)
					return errno = EPROTO, MNL_CB_ERROR;
				mnl_attr_for_each_nested(ga, g) {
					if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_NAME) {
						if (mnl_attr_validate(ga, MNL_TYPE_NUL_STRING) < 0)
							return errno = EPROTO, MNL_CB_ERROR;
						name = mnl_attr_get_str(ga);
					} else if (mnl_attr_get_type(ga) == CTRL_ATTR_MCAST_GRP_ID) {
						if (mnl_attr_validate(ga, MNL_TYPE_U32) < 0)
							return errno = EPROTO, MNL_CB_ERROR;
						id = mnl_attr_get_u32(ga);
					}
				}
				if (name && !strcmp(name, MIGOFF_GENL_MCGRP_EVENTS))
					fi->mcgrp = id;
			}
		}
	}
	return MNL_CB_OK;
}

/* Open the request socket and resolve the family. Under nl_lock. */
static int nl_ready(struct migoff_ctx *ctx)
{
	char buf[256];
	struct nl_family fi = { 0 };
	struct nlmsghdr *nlh;
	int err;

	if (ctx->nl && ctx->nl_broken) {
		mnl_socket_close(ctx->nl);
		ctx->nl = NULL;
		ctx->nl_broken = false;
	}
	if ((ctx->nl || ctx->xfer_send) && ctx->family)
		return 0;
	if (!ctx->nl && !ctx->xfer_send) {
		ctx->nl = nl_open();
		if (!ctx->nl)
			return -errno;
	}
	nlh = genl_msg(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
		       CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MIGOFF_GENL_NAME);
	/* ENOENT: no such family (module not loaded, or without netlink). */
	err = nl_request(ctx, nlh, nl_parse_family, &fi);
	if (err)
		return err;
	if (!fi.id || !fi.mcgrp)
		return -EPROTO;
	ctx->family = fi.id;
	ctx->mcgrp = fi.mcgrp;
	return 0;
}

/* Which attributes the library reads, and their types. */
static const enum mnl_attr_data_type attr_types[MIGOFF_A_MAX + 1] = {
	[MIGOFF_A_SCOPE] = MNL_TYPE_U32,
	[MIGOFF_A_INDEX] = MNL_TYPE_U32,
	[MIGOFF_A_NAME] = MNL_TYPE_NUL_STRING,
	[MIGOFF_A_BATCHES] = MNL_TYPE_U64,
	[MIGOFF_A_FOLIOS] = MNL_TYPE_U64,
	[MIGOFF_A_BYTES] = MNL_TYPE_U64,
	[MIGOFF_A_COPY_NS] = MNL_TYPE_U64,
	[MIGOFF_A_FALLBACK_ERROR] = MNL_TYPE_U64,
	[MIGOFF_A_FALLBACK_TIMEOUT] = MNL_TYPE_U64,
	[MIGOFF_A_FALLBACK_QUOTA] = MNL_TYPE_U64,
	[MIGOFF_A_FALLBACK_TOO_SMALL] = MNL_TYPE_U64,
	[MIGOFF_A_EVENT] = MNL_TYPE_U32,
	[MIGOFF_A_REASONS] = MNL_TYPE_U64,
	[MIGOFF_A_PARAM] = MNL_TYPE_NUL_STRING,
	[MIGOFF_A_VALUE] = MNL_TYPE_U64,
	[MIGOFF_A_MAX_PAGES] = MNL_TYPE_U32,
	[MIGOFF_A_MIN_FOLIOS] = MNL_TYPE_U32,
	[MIGOFF_A_CGROUP_ID] = MNL_TYPE_U64,
	[MIGOFF_A_RATE] = MNL_TYPE_U64,
	[MIGOFF_A_BURST] = MNL_TYPE_U64,
	[MIGOFF_A_BYTES_REFUSED] = MNL_TYPE_U64,
	[MIGOFF_A_FOLIOS_REFUSED] = MNL_TYPE_U64,
	[MIGOFF_A_CPU_NS] = MNL_TYPE_U64,
	[MIGOFF_A_FALLBACK_AUTO] = MNL_TYPE_U64,
	[MIGOFF_A_AUTO_MIN_PAGES] = MNL_TYPE_U32,
	[MIGOFF_A_AUTO_MIGRATOR_NS_PER_MIB] = MNL_TYPE_U64,
	[MIGOFF_A_AUTO_CPU_NS_PER_MIB] = MNL_TYPE_U64,
	[MIGOFF_A_AUTO_BATCHES_MIGRATOR] = MNL_TYPE_U64,
	[MIGOFF_A_AUTO_BATCHES_CPU] = MNL_TYPE_U64,
	[MIGOFF_A_AUTO_BATCHES_PROBE] = MNL_TYPE_U64,
	[MIGOFF_A_FALLBACK_BUSY] = MNL_TYPE_U64,
};

/*
 * The attributes of a message of the family into @tb, each checked for its
 * length; unknown (newer) ones are skipped. -EPROTO if one is malformed.
 */
static int parse_attrs(const struct nlmsghdr *nlh, const struct nlattr **tb)
{
	const struct nlattr *a;
	unsigned int type;

	memset(tb, 0, (MIGOFF_A_MAX + 1) * sizeof(*tb));
	if (!genl_hdr(nlh))
		return -EPROTO;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		type = mnl_attr_get_type(a);
		if (type > MIGOFF_A_MAX || !attr_types[type])
			continue;
		if (mnl_attr_validate(a, attr_types[type]) < 0)
			return -EPROTO;
		tb[type] = a;
	}
	/* Attributes must fill the message exactly: no torn one at the end. */
	if ((const char *)a != (const char *)mnl_nlmsg_get_payload_tail(nlh))
		return -EPROTO;
	return 0;
}

static uint64_t u64_of(const struct nlattr *a)
{
	return a ? mnl_attr_get_u64(a) : 0;
}

static uint32_t u32_of(const struct nlattr *a)
{
	return a ? mnl_attr_get_u32(a) : 0;
}

static void str_of(char *dst, size_t len, const struct nlattr *a)
{
	snprintf(dst, len, "%s", a ? mnl_attr_get_str(a) : "");
}

/* A MIGOFF_CMD_STATS_GET message -> @e. 0 or -EPROTO. */
int nl_parse_stats(const struct nlmsghdr *nlh, struct migoff_stats_entry *e)
{
	const struct nlattr *tb[MIGOFF_A_MAX + 1];
	int err = parse_attrs(nlh, tb);

	memset(e, 0, sizeof(*e));
	e->size = sizeof(*e);
	if (err)
		return err;
	if (!tb[MIGOFF_A_SCOPE])
		return -EPROTO;
	e->scope = u32_of(tb[MIGOFF_A_SCOPE]);
	e->index = u32_of(tb[MIGOFF_A_INDEX]);
	str_of(e->name, sizeof(e->name), tb[MIGOFF_A_NAME]);
	e->counters.batches = u64_of(tb[MIGOFF_A_BATCHES]);
	e->counters.folios = u64_of(tb[MIGOFF_A_FOLIOS]);
	e->counters.bytes = u64_of(tb[MIGOFF_A_BYTES]);
	e->counters.copy_ns = u64_of(tb[MIGOFF_A_COPY_NS]);
	e->counters.fallback[MIGOFF_FALLBACK_ERROR] = u64_of(tb[MIGOFF_A_FALLBACK_ERROR]);
	e->counters.fallback[MIGOFF_FALLBACK_TIMEOUT] = u64_of(tb[MIGOFF_A_FALLBACK_TIMEOUT]);
	e->counters.fallback[MIGOFF_FALLBACK_QUOTA] = u64_of(tb[MIGOFF_A_FALLBACK_QUOTA]);
	e->counters.fallback[MIGOFF_FALLBACK_TOO_SMALL] = u64_of(tb[MIGOFF_A_FALLBACK_TOO_SMALL]);
	e->counters.fallback[MIGOFF_FALLBACK_AUTO] = u64_of(tb[MIGOFF_A_FALLBACK_AUTO]);
	e->counters.fallback[MIGOFF_FALLBACK_BUSY] = u64_of(tb[MIGOFF_A_FALLBACK_BUSY]);
	if (e->scope == MIGOFF_STATS_AUTO) {
		struct migoff_auto_class *ac = &e->auto_class;

		ac->min_pages = u32_of(tb[MIGOFF_A_AUTO_MIN_PAGES]);
		ac->migrator_ns_per_mib = u64_of(tb[MIGOFF_A_AUTO_MIGRATOR_NS_PER_MIB]);
		ac->cpu_ns_per_mib = u64_of(tb[MIGOFF_A_AUTO_CPU_NS_PER_MIB]);
		ac->batches_migrator = u64_of(tb[MIGOFF_A_AUTO_BATCHES_MIGRATOR]);
		ac->batches_cpu = u64_of(tb[MIGOFF_A_AUTO_BATCHES_CPU]);
		ac->batches_probe = u64_of(tb[MIGOFF_A_AUTO_BATCHES_PROBE]);
	}
	if (e->scope == MIGOFF_STATS_CGROUP) {
		e->quota.size = sizeof(e->quota);
		e->quota.cgroup_id = u64_of(tb[MIGOFF_A_CGROUP_ID]);
		e->quota.rate = u64_of(tb[MIGOFF_A_RATE]);
		e->quota.burst = u64_of(tb[MIGOFF_A_BURST]);
		e->quota.reasons = u64_of(tb[MIGOFF_A_REASONS]);
		e->quota.folios_refused = u64_of(tb[MIGOFF_A_FOLIOS_REFUSED]);
		e->quota.bytes_refused = u64_of(tb[MIGOFF_A_BYTES_REFUSED]);
		e->quota.copy_cpu_ns = u64_of(tb[MIGOFF_A_CPU_NS]);
		e->quota.folios_offloaded = e->counters.folios;
		e->quota.bytes_offloaded = e->counters.bytes;
	}
	return 0;
}

/* A MIGOFF_CMD_EVENT message -> @ev: 0, -EAGAIN (not an event) or -EPROTO. */
int nl_parse_event(const struct nlmsghdr *nlh, struct migoff_event *ev)
{
	const struct nlattr *tb[MIGOFF_A_MAX + 1];
	const struct genlmsghdr *g = genl_hdr(nlh);
	int err;

	memset(ev, 0, sizeof(*ev));
	ev->size = sizeof(*ev);
	if (!g)
		return -EPROTO;
	if (g->cmd != MIGOFF_CMD_EVENT)
		return -EAGAIN;
	err = parse_attrs(nlh, tb);
	if (err)
		return err;
	if (!tb[MIGOFF_A_EVENT] || !u32_of(tb[MIGOFF_A_EVENT]))
		return -EPROTO;
	ev->type = u32_of(tb[MIGOFF_A_EVENT]);
	ev->reasons = u64_of(tb[MIGOFF_A_REASONS]);
	str_of(ev->name, sizeof(ev->name), tb[MIGOFF_A_NAME]);
	str_of(ev->param, sizeof(ev->param), tb[MIGOFF_A_PARAM]);
	ev->value = u64_of(tb[MIGOFF_A_VALUE]);
	ev->max_pages = u32_of(tb[MIGOFF_A_MAX_PAGES]);
	ev->min_folios = u32_of(tb[MIGOFF_A_MIN_FOLIOS]);
	ev->folios = u64_of(tb[MIGOFF_A_FOLIOS]);
	ev->cgroup_id = u64_of(tb[MIGOFF_A_CGROUP_ID]);
	ev->rate = u64_of(tb[MIGOFF_A_RATE]);
	ev->burst = u64_of(tb[MIGOFF_A_BURST]);
	return 0;
}

/*
 * The scopes a dump hands out: those of libmigoffload 2.0 always, the auto
 * classes when asked for; scopes newer than this library are left out.
 */
bool migoff_dump_wants(uint32_t scope, uint32_t flags)
{
	switch (scope) {
	case MIGOFF_STATS_TOTAL:
	case MIGOFF_STATS_REASON:
	case MIGOFF_STATS_MIGRATOR:
	case MIGOFF_STATS_CGROUP:
		return true;
	case MIGOFF_STATS_AUTO:
		return flags & MIGOFF_DUMP_AUTO;
	default:
		return false;
	}
}

/* The dump is collected under nl_lock, then handed out without it. */
struct dump_state {
	struct migoff_stats_entry *e;
	size_t n, cap;
	uint32_t flags;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *st = data;
	struct migoff_stats_entry *t;
	int err;

	if (st->n == st->cap) {
		t = realloc(st->e, (st->cap = st->cap ? 2 * st->cap : 64) * sizeof(*t));
		if (!t) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		st->e = t;
	}
	err = nl_parse_stats(nlh, &st->e[st->n]);
	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	if (migoff_dump_wants(st->e[st->n].scope, st->flags))
		st->n++;
	return MNL_CB_OK;
}

#define MIGOFF_DUMP_KNOWN	MIGOFF_DUMP_AUTO

int migoff_stats_dump_flags(struct migoff_ctx *ctx, uint32_t flags, migoff_stats_cb cb,
			    void *arg)
{
	char buf[64];
	struct dump_state st = { .flags = flags };
	struct nlmsghdr *nlh;
	size_t i;
	int err;

	if (!ctx || !cb || (flags & ~MIGOFF_DUMP_KNOWN))
		return migoff_ret(-EINVAL);
	pthread_mutex_lock(&ctx->nl_lock);
	err = nl_ready(ctx);
	if (!err) {
		nlh = genl_msg(buf, ctx->family, NLM_F_REQUEST | NLM_F_DUMP,
			       MIGOFF_CMD_STATS_GET, MIGOFF_GENL_VERSION);
		err = nl_request(ctx, nlh, dump_cb, &st);
	}
	pthread_mutex_unlock(&ctx->nl_lock);
	/* No lock held: the callback may call back into the library. */
	for (i = 0; !err && i < st.n; i++)
		err = cb(&st.e[i], arg);
	free(st.e);
	return err < 0 ? migoff_ret(err) : err;
}

/* 2.0's dump: the entries of the scopes it knew, as before. */
int migoff_stats_dump(struct migoff_ctx *ctx, migoff_stats_cb cb, void *arg)
{
	return migoff_stats_dump_flags(ctx, 0, cb, arg);
}

int migoff_ext_ack(struct migoff_ctx *ctx, char *buf, size_t len)
{
	int n;

	if (!ctx || (!buf && len))
		return migoff_ret(-EINVAL);
	pthread_mutex_lock(&ctx->nl_lock);
	n = snprintf(buf, len, "%s", ctx->ext_ack);
	pthread_mutex_unlock(&ctx->nl_lock);
	return n;
}

int migoff_events_subscribe(struct migoff_ctx *ctx)
{
	int err, grp;

	if (!ctx)
		return migoff_ret(-EINVAL);
	pthread_mutex_lock(&ctx->nl_lock);
	err = nl_ready(ctx);
	if (!err && ctx->xfer_send)
		err = -EOPNOTSUPP;
	if (!err && !ctx->ev) {
		ctx->ev = nl_open();
		if (!ctx->ev) {
			err = -errno;
		} else {
			grp = ctx->mcgrp;
			if (mnl_socket_setsockopt(ctx->ev, NETLINK_ADD_MEMBERSHIP,
						  &grp, sizeof(grp)) < 0) {
				err = -errno;
				mnl_socket_close(ctx->ev);
				ctx->ev = NULL;
			}
		}
	}
	err = err ? err : mnl_socket_get_fd(ctx->ev);
	pthread_mutex_unlock(&ctx->nl_lock);
	return migoff_ret(err);
}

/*
 * The next event from a buffer of multicast messages: 0 with *@ev and
 * *@used bytes consumed, -EAGAIN when none is left. Malformed messages are
 * skipped and reported (-EPROTO) once consumed.
 */
int nl_next_event(const void *buf, size_t len, size_t *used, struct migoff_event *ev)
{
	const struct nlmsghdr *nlh = buf;
	int n = len, err;

	for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		size_t end = (const char *)nlh - (const char *)buf + NLMSG_ALIGN(nlh->nlmsg_len);

		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		err = nl_parse_event(nlh, ev);
		if (err == -EAGAIN)
			continue;
		*used = end < len ? end : len;
		return err;
	}
	*used = len;
	return -EAGAIN;
}

/*
 * Block until the next event (after migoff_events_subscribe()). ENOBUFS:
 * events were lost (the socket overflowed); reading may go on.
 */
int migoff_event_read(struct migoff_ctx *ctx, struct migoff_event *ev)
{
	struct migoff_event e;
	size_t used, usize;
	int ret;

	ret = migoff_user_size(ev, MIGOFF_EVENT_SIZE_VER0, &usize);
	if (!ctx || !ctx->ev)
		ret = -EINVAL;
	if (ret)
		return migoff_ret(ret);
	for (;;) {
		if (ctx->ev_pos < ctx->ev_len) {
			ret = nl_next_event(ctx->ev_buf + ctx->ev_pos,
					    ctx->ev_len - ctx->ev_pos, &used, &e);
			ctx->ev_pos += used;
			if (!ret)
				migoff_copy_sized(ev, usize, &e, sizeof(e));
			if (ret != -EAGAIN)
				return migoff_ret(ret);
		}
		ret = mnl_socket_recvfrom(ctx->ev, ctx->ev_buf, sizeof(ctx->ev_buf));
		if (ret < 0)
			return migoff_ret(-errno);
		ctx->ev_pos = 0;
		ctx->ev_len = ret;
	}
}

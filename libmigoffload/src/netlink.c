// SPDX-License-Identifier: LGPL-2.1-or-later
/* The generic netlink side: statistics dump and events, through libmnl. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "internal.h"

struct family_info {
	uint16_t id;
	uint32_t mcgrp;
};

static int mcgrp_cb(const struct nlattr *grp, struct family_info *fi)
{
	const struct nlattr *a;
	const char *name = NULL;
	uint32_t id = 0;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME)
			name = mnl_attr_get_str(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID)
			id = mnl_attr_get_u32(a);
	}
	if (name && !strcmp(name, MIGOFF_GENL_MCGRP_EVENTS))
		fi->mcgrp = id;
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	struct family_info *fi = data;
	const struct nlattr *a, *g;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
			fi->id = mnl_attr_get_u16(a);
		else if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GROUPS)
			mnl_attr_for_each_nested(g, a)
				mcgrp_cb(g, fi);
	}
	return MNL_CB_OK;
}

/* Send a request on @nl and run @cb on every reply until done. */
static int request(struct migoff_ctx *ctx, struct mnl_socket *nl,
		   struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	int ret;

	nlh->nlmsg_seq = ++ctx->seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run(buf, ret, nlh->nlmsg_seq, portid, cb, data);
		if (ret < 0)
			return -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
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
	struct mnl_socket *nl = mnl_socket_open(NETLINK_GENERIC);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(nl);
		errno = err;
		return NULL;
	}
	return nl;
}

/* Open the request socket and resolve the family. Under nl_lock. */
static int nl_ready(struct migoff_ctx *ctx)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct family_info fi = { 0 };
	struct nlmsghdr *nlh;
	int err;

	if (ctx->nl && ctx->family)
		return 0;
	if (!ctx->nl) {
		ctx->nl = nl_open();
		if (!ctx->nl)
			return -errno;
	}
	nlh = genl_msg(buf, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK,
		       CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, MIGOFF_GENL_NAME);
	err = request(ctx, ctx->nl, nlh, family_cb, &fi);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	if (!fi.id || !fi.mcgrp)
		return -EPROTO;
	ctx->family = fi.id;
	ctx->mcgrp = fi.mcgrp;
	return 0;
}

struct dump_state {
	migoff_stats_cb cb;
	void *arg;
	int ret;
};

static uint64_t attr_u64(const struct nlattr *a)
{
	return mnl_attr_get_u64(a);
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_state *st = data;
	struct migoff_stats_entry e;
	const struct nlattr *a;

	memset(&e, 0, sizeof(e));
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case MIGOFF_A_SCOPE:
			e.scope = mnl_attr_get_u32(a);
			break;
		case MIGOFF_A_INDEX:
			e.index = mnl_attr_get_u32(a);
			break;
		case MIGOFF_A_NAME:
			strncpy(e.name, mnl_attr_get_str(a), sizeof(e.name) - 1);
			break;
		case MIGOFF_A_BATCHES:
			e.counters.batches = attr_u64(a);
			break;
		case MIGOFF_A_FOLIOS:
			e.counters.folios = attr_u64(a);
			break;
		case MIGOFF_A_BYTES:
			e.counters.bytes = attr_u64(a);
			break;
		case MIGOFF_A_COPY_NS:
			e.counters.copy_ns = attr_u64(a);
			break;
		case MIGOFF_A_FALLBACK_ERROR:
			e.counters.fallback[MIGOFF_FALLBACK_ERROR] = attr_u64(a);
			break;
		case MIGOFF_A_FALLBACK_TIMEOUT:
			e.counters.fallback[MIGOFF_FALLBACK_TIMEOUT] = attr_u64(a);
			break;
		case MIGOFF_A_FALLBACK_QUOTA:
			e.counters.fallback[MIGOFF_FALLBACK_QUOTA] = attr_u64(a);
			break;
		case MIGOFF_A_FALLBACK_TOO_SMALL:
			e.counters.fallback[MIGOFF_FALLBACK_TOO_SMALL] = attr_u64(a);
			break;
		case MIGOFF_A_CGROUP_ID:
			e.quota.cgroup_id = attr_u64(a);
			break;
		case MIGOFF_A_RATE:
			e.quota.rate = attr_u64(a);
			break;
		case MIGOFF_A_BURST:
			e.quota.burst = attr_u64(a);
			break;
		case MIGOFF_A_REASONS:
			e.quota.reasons = attr_u64(a);
			break;
		case MIGOFF_A_FOLIOS_REFUSED:
			e.quota.folios_refused = attr_u64(a);
			break;
		case MIGOFF_A_BYTES_REFUSED:
			e.quota.bytes_refused = attr_u64(a);
			break;
		case MIGOFF_A_CPU_NS:
			e.quota.copy_cpu_ns = attr_u64(a);
			break;
		}
	}
	if (e.scope == MIGOFF_STATS_CGROUP) {
		e.quota.folios_offloaded = e.counters.folios;
		e.quota.bytes_offloaded = e.counters.bytes;
	}
	st->ret = st->cb(&e, st->arg);
	return st->ret ? MNL_CB_STOP : MNL_CB_OK;
}

int migoff_stats_dump(struct migoff_ctx *ctx, migoff_stats_cb cb, void *arg)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct dump_state st = { .cb = cb, .arg = arg };
	struct nlmsghdr *nlh;
	int err;

	if (!ctx || !cb)
		return migoff_ret(-EINVAL);
	pthread_mutex_lock(&ctx->nl_lock);
	err = nl_ready(ctx);
	if (!err) {
		nlh = genl_msg(buf, ctx->family, NLM_F_REQUEST | NLM_F_DUMP,
			       MIGOFF_CMD_STATS_GET, MIGOFF_GENL_VERSION);
		err = request(ctx, ctx->nl, nlh, stats_cb, &st);
	}
	pthread_mutex_unlock(&ctx->nl_lock);
	if (!err && st.ret < 0)
		err = st.ret;
	return migoff_ret(err);
}

int migoff_events_subscribe(struct migoff_ctx *ctx)
{
	int err, grp;

	if (!ctx)
		return migoff_ret(-EINVAL);
	pthread_mutex_lock(&ctx->nl_lock);
	err = nl_ready(ctx);
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

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct migoff_event *ev = data;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	if (g->cmd != MIGOFF_CMD_EVENT)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case MIGOFF_A_EVENT:
			ev->type = mnl_attr_get_u32(a);
			break;
		case MIGOFF_A_REASONS:
			ev->reasons = attr_u64(a);
			break;
		case MIGOFF_A_NAME:
			strncpy(ev->name, mnl_attr_get_str(a), sizeof(ev->name) - 1);
			break;
		case MIGOFF_A_PARAM:
			strncpy(ev->param, mnl_attr_get_str(a), sizeof(ev->param) - 1);
			break;
		case MIGOFF_A_VALUE:
			ev->value = attr_u64(a);
			break;
		case MIGOFF_A_MAX_PAGES:
			ev->max_pages = mnl_attr_get_u32(a);
			break;
		case MIGOFF_A_MIN_FOLIOS:
			ev->min_folios = mnl_attr_get_u32(a);
			break;
		case MIGOFF_A_FOLIOS:
			ev->folios = attr_u64(a);
			break;
		case MIGOFF_A_CGROUP_ID:
			ev->cgroup_id = attr_u64(a);
			break;
		case MIGOFF_A_RATE:
			ev->rate = attr_u64(a);
			break;
		case MIGOFF_A_BURST:
			ev->burst = attr_u64(a);
			break;
		}
	}
	return MNL_CB_OK;
}

/* Block until the next event (after migoff_events_subscribe()). */
int migoff_event_read(struct migoff_ctx *ctx, struct migoff_event *ev)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	if (!ctx || !ev || !ctx->ev)
		return migoff_ret(-EINVAL);
	for (;;) {
		ret = mnl_socket_recvfrom(ctx->ev, buf, sizeof(buf));
		if (ret < 0)
			return migoff_ret(-errno);
		memset(ev, 0, sizeof(*ev));
		ret = mnl_cb_run(buf, ret, 0, 0, event_cb, ev);
		if (ret < 0)
			return migoff_ret(-errno);
		if (ev->type)
			return 0;
	}
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host unit tests of the netlink side (issue 9, item 2), with crafted
 * netlink buffers: a dump stopped early is drained, NLMSG_DONE's error code
 * is returned, attributes are length-checked, extended ACKs are read, a
 * missing family is ENOENT (not ENODEV), and the stats callback may call
 * back into the library. Then, where the host allows generic netlink, the
 * same against the real kernel (nlctrl).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include "internal.h"

#include "check.h"

#define FAMILY	0x42
#define SEQ	7
#define PORT	1234

/* A buffer of messages under construction. */
struct mbuf {
	char b[32768];
	size_t len;
};

static struct nlmsghdr *msg_start(struct mbuf *m, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b + m->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = PORT;
	return nlh;
}

static void msg_end(struct mbuf *m, struct nlmsghdr *nlh)
{
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *genl_start(struct mbuf *m, uint8_t cmd, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = msg_start(m, FAMILY, flags, seq);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

/* One stats entry of the dump. */
static void put_stats(struct mbuf *m, uint32_t seq, uint32_t scope, uint32_t index,
		      const char *name, uint64_t folios)
{
	struct nlmsghdr *nlh = genl_start(m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, seq);

	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, scope);
	mnl_attr_put_u32(nlh, MIGOFF_A_INDEX, index);
	mnl_attr_put_strz(nlh, MIGOFF_A_NAME, name);
	mnl_attr_put_u64(nlh, MIGOFF_A_FOLIOS, folios);
	mnl_attr_put_u64(nlh, MIGOFF_A_BYTES, folios * 4096);
	msg_end(m, nlh);
}

/* One size class of an auto reason (scope MIGOFF_STATS_AUTO). */
static void put_auto(struct mbuf *m, uint32_t seq, uint32_t reason, const char *name,
		     uint32_t min_pages, uint64_t mig_ns, uint64_t cpu_ns)
{
	struct nlmsghdr *nlh = genl_start(m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, seq);

	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_AUTO);
	mnl_attr_put_u32(nlh, MIGOFF_A_INDEX, reason);
	mnl_attr_put_strz(nlh, MIGOFF_A_NAME, name);
	mnl_attr_put_u32(nlh, MIGOFF_A_AUTO_MIN_PAGES, min_pages);
	mnl_attr_put_u64(nlh, MIGOFF_A_AUTO_MIGRATOR_NS_PER_MIB, mig_ns);
	mnl_attr_put_u64(nlh, MIGOFF_A_AUTO_CPU_NS_PER_MIB, cpu_ns);
	mnl_attr_put_u64(nlh, MIGOFF_A_AUTO_BATCHES_MIGRATOR, 11);
	mnl_attr_put_u64(nlh, MIGOFF_A_AUTO_BATCHES_CPU, 22);
	mnl_attr_put_u64(nlh, MIGOFF_A_AUTO_BATCHES_PROBE, 3);
	msg_end(m, nlh);
}

/* NLMSG_DONE carrying @err, with an extended ACK text if @ack. */
static void put_done(struct mbuf *m, uint32_t seq, int err, const char *ack)
{
	struct nlmsghdr *nlh = msg_start(m, NLMSG_DONE, NLM_F_MULTI | (ack ? NLM_F_ACK_TLVS : 0), seq);
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*e = err;
	if (ack)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, ack);
	msg_end(m, nlh);
}

/* NLMSG_ERROR: @capped or with a copy of a request of @req_payload bytes. */
static void put_error(struct mbuf *m, uint32_t seq, int err, bool capped,
		      size_t req_payload, const char *ack)
{
	struct nlmsghdr *nlh = msg_start(m, NLMSG_ERROR,
					 (capped ? NLM_F_CAPPED : 0) | (ack ? NLM_F_ACK_TLVS : 0), seq);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = err;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + req_payload;
	e->msg.nlmsg_type = FAMILY;
	e->msg.nlmsg_seq = seq;
	if (!capped)
		memset(mnl_nlmsg_put_extra_header(nlh, NLMSG_ALIGN(req_payload)), 0xa5,
		       NLMSG_ALIGN(req_payload));
	if (ack)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, ack);
	msg_end(m, nlh);
}

static int calls, stop_after;

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return ++calls == stop_after ? MNL_CB_STOP : MNL_CB_OK;
}

static int fail_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	calls++;
	errno = ENOMEM;
	return MNL_CB_ERROR;
}

static struct nl_req req(mnl_cb_t cb, bool ack)
{
	struct nl_req rq = { .seq = SEQ, .portid = PORT, .cb = cb, .want_ack = ack };

	calls = 0;
	return rq;
}

static void test_process(void)
{
	struct mbuf a = { 0 }, b = { 0 }, c = { 0 };
	struct nl_req rq;

	/* A dump of three entries over two reads; the callback stops at the
	 * first, and the rest is still read to NLMSG_DONE. */
	put_stats(&a, SEQ, MIGOFF_STATS_REASON, 0, "compaction", 1);
	put_stats(&a, SEQ, MIGOFF_STATS_REASON, 1, "memory_hotplug", 2);
	put_stats(&b, SEQ, MIGOFF_STATS_REASON, 2, "syscall_or_cpuset", 3);
	put_done(&b, SEQ, 0, NULL);
	rq = req(count_cb, false);
	stop_after = 1;
	CHECK(nl_process(&rq, a.b, a.len) == 1);	/* not done: drain */
	CHECK(nl_process(&rq, b.b, b.len) == 0);
	CHECK(calls == 1);

	/* NLMSG_DONE carrying an error: the dump failed part-way. */
	memset(&c, 0, sizeof(c));
	put_stats(&c, SEQ, MIGOFF_STATS_REASON, 0, "compaction", 1);
	put_done(&c, SEQ, -EMSGSIZE, "quota table changed");
	rq = req(count_cb, false);
	stop_after = 0;
	CHECK(nl_process(&rq, c.b, c.len) == -EMSGSIZE);
	CHECK(!strcmp(rq.ext_ack, "quota table changed"));
	/* ... a positive one is a protocol error, not success. */
	memset(&c, 0, sizeof(c));
	put_done(&c, SEQ, 5, NULL);
	rq = req(count_cb, false);
	CHECK(nl_process(&rq, c.b, c.len) == -EPROTO);

	/* NLMSG_ERROR with the extended ACK, capped and with the request. */
	memset(&c, 0, sizeof(c));
	put_error(&c, SEQ, -EINVAL, true, 24, "Unknown attribute type");
	rq = req(count_cb, false);
	CHECK(nl_process(&rq, c.b, c.len) == -EINVAL);
	CHECK(!strcmp(rq.ext_ack, "Unknown attribute type"));
	memset(&c, 0, sizeof(c));
	put_error(&c, SEQ, -EPERM, false, 36, "no way");
	rq = req(count_cb, false);
	CHECK(nl_process(&rq, c.b, c.len) == -EPERM);
	CHECK(!strcmp(rq.ext_ack, "no way"));
	/* ... an extended ACK claiming a request longer than the message. */
	memset(&c, 0, sizeof(c));
	put_error(&c, SEQ, -EPERM, true, 0, NULL);
	((struct nlmsgerr *)mnl_nlmsg_get_payload((struct nlmsghdr *)c.b))->msg.nlmsg_len = 60000;
	((struct nlmsghdr *)c.b)->nlmsg_flags = NLM_F_ACK_TLVS;
	rq = req(count_cb, false);
	CHECK(nl_process(&rq, c.b, c.len) == -EPERM && rq.ext_ack[0] == '\0');
	/* ... too short to hold struct nlmsgerr. */
	memset(&c, 0, sizeof(c));
	{
		struct nlmsghdr *nlh = msg_start(&c, NLMSG_ERROR, 0, SEQ);

		mnl_nlmsg_put_extra_header(nlh, 4);
		msg_end(&c, nlh);
	}
	rq = req(count_cb, false);
	CHECK(nl_process(&rq, c.b, c.len) == -EPROTO);

	/* Stale replies of an earlier request are skipped, not fatal. */
	memset(&c, 0, sizeof(c));
	put_stats(&c, SEQ - 1, MIGOFF_STATS_REASON, 5, "contig_range", 9);
	put_done(&c, SEQ - 1, 0, NULL);
	put_stats(&c, SEQ, MIGOFF_STATS_REASON, 0, "compaction", 1);
	put_done(&c, SEQ, 0, NULL);
	rq = req(count_cb, false);
	stop_after = 0;
	CHECK(nl_process(&rq, c.b, c.len) == 0 && calls == 1);

	/* A single reply, then the ACK that NLM_F_ACK asked for. */
	memset(&c, 0, sizeof(c));
	put_stats(&c, SEQ, MIGOFF_STATS_REASON, 0, "compaction", 1);
	((struct nlmsghdr *)c.b)->nlmsg_flags = 0;
	rq = req(count_cb, true);
	CHECK(nl_process(&rq, c.b, c.len) == 1 && calls == 1);
	memset(&c, 0, sizeof(c));
	put_error(&c, SEQ, 0, true, 20, NULL);
	CHECK(nl_process(&rq, c.b, c.len) == 0);

	/* A callback error is returned, after the dump is drained. */
	rq = req(fail_cb, false);
	CHECK(nl_process(&rq, a.b, a.len) == 1);
	CHECK(nl_process(&rq, b.b, b.len) == -ENOMEM && calls == 1);

	/* A truncated buffer: the torn message is not read. */
	rq = req(count_cb, false);
	stop_after = 0;
	CHECK(nl_process(&rq, a.b, a.len - 3) == 1 && calls == 1);
}

static void test_attrs(void)
{
	struct migoff_stats_entry e;
	struct migoff_event ev;
	struct nlmsghdr *nlh;
	struct mbuf m = { 0 };
	size_t used;

	put_stats(&m, SEQ, MIGOFF_STATS_MIGRATOR, 3, "mtcopy", 10);
	CHECK(nl_parse_stats((struct nlmsghdr *)m.b, &e) == 0);
	CHECK(e.size == sizeof(e));
	CHECK(e.scope == MIGOFF_STATS_MIGRATOR && e.index == 3 && !strcmp(e.name, "mtcopy") &&
	      e.counters.folios == 10 && e.counters.bytes == 40960);

	/* A u64 attribute of four bytes is not over-read. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_REASON);
	mnl_attr_put_u32(nlh, MIGOFF_A_FOLIOS, 7);
	msg_end(&m, nlh);
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	/* A u32 of two bytes. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u16(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_REASON);
	msg_end(&m, nlh);
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	/* A name without its NUL. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_REASON);
	mnl_attr_put(nlh, MIGOFF_A_NAME, 4, "abcd");
	msg_end(&m, nlh);
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	/* A last attribute cut by the message length. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_REASON);
	mnl_attr_put_u64(nlh, MIGOFF_A_BATCHES, 1);
	nlh->nlmsg_len -= 8;
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	/* Shorter than the generic netlink header. */
	memset(&m, 0, sizeof(m));
	nlh = msg_start(&m, FAMILY, 0, SEQ);
	nlh->nlmsg_len += 2;
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	CHECK(nl_parse_event(nlh, &ev) == -EPROTO);
	/* Without a scope. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u64(nlh, MIGOFF_A_BATCHES, 1);
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	/* Unknown (newer) attributes are skipped, even odd-sized ones. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_CGROUP);
	mnl_attr_put(nlh, MIGOFF_A_MAX + 5, 3, "xyz");
	mnl_attr_put_u64(nlh, MIGOFF_A_CGROUP_ID, 77);
	mnl_attr_put_u64(nlh, MIGOFF_A_FOLIOS, 5);
	CHECK(nl_parse_stats(nlh, &e) == 0 && e.quota.cgroup_id == 77 &&
	      e.quota.folios_offloaded == 5);

	/* Issue 10: the auto fallback of a counter message ... */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_REASON);
	mnl_attr_put_u32(nlh, MIGOFF_A_INDEX, MIGOFF_REASON_DEMOTION);
	mnl_attr_put_u64(nlh, MIGOFF_A_FALLBACK_TOO_SMALL, 4);
	mnl_attr_put_u64(nlh, MIGOFF_A_FALLBACK_AUTO, 123);
	mnl_attr_put_u64(nlh, MIGOFF_A_FALLBACK_BUSY, 77);
	CHECK(nl_parse_stats(nlh, &e) == 0 && e.counters.fallback[MIGOFF_FALLBACK_AUTO] == 123 &&
	      e.counters.fallback[MIGOFF_FALLBACK_TOO_SMALL] == 4 &&
	      e.counters.fallback[MIGOFF_FALLBACK_BUSY] == 77);
	CHECK(e.auto_class.min_pages == 0 && e.auto_class.batches_cpu == 0);
	/* ... a short one refused ... */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_REASON);
	mnl_attr_put_u32(nlh, MIGOFF_A_FALLBACK_AUTO, 1);
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	/* ... and a size class of an auto reason. */
	memset(&m, 0, sizeof(m));
	put_auto(&m, SEQ, MIGOFF_REASON_DEMOTION, "demotion", 512, 150000, 300000);
	nlh = (struct nlmsghdr *)m.b;
	CHECK(nl_parse_stats(nlh, &e) == 0 && e.size == sizeof(e));
	CHECK(e.scope == MIGOFF_STATS_AUTO && e.index == MIGOFF_REASON_DEMOTION &&
	      !strcmp(e.name, "demotion"));
	CHECK(e.auto_class.min_pages == 512 && e.auto_class.migrator_ns_per_mib == 150000 &&
	      e.auto_class.cpu_ns_per_mib == 300000 && e.auto_class.batches_migrator == 11 &&
	      e.auto_class.batches_cpu == 22 && e.auto_class.batches_probe == 3 &&
	      e.auto_class.reserved0 == 0);
	CHECK(e.counters.batches == 0 && e.quota.size == 0);
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_AUTO);
	mnl_attr_put_u64(nlh, MIGOFF_A_AUTO_MIN_PAGES, 1);	/* a u32 */
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, NLM_F_MULTI, SEQ);
	mnl_attr_put_u32(nlh, MIGOFF_A_SCOPE, MIGOFF_STATS_AUTO);
	mnl_attr_put_u32(nlh, MIGOFF_A_AUTO_BATCHES_PROBE, 1);	/* a u64 */
	CHECK(nl_parse_stats(nlh, &e) == -EPROTO);

	/* Enable and batch events carry a value: auto, and the latency target. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_EVENT, 0, 0);
	mnl_attr_put_u32(nlh, MIGOFF_A_EVENT, MIGOFF_EVENT_ENABLE);
	mnl_attr_put_u64(nlh, MIGOFF_A_REASONS, 0x80);
	mnl_attr_put_strz(nlh, MIGOFF_A_NAME, "mtcopy");
	mnl_attr_put_u64(nlh, MIGOFF_A_VALUE, 1);
	msg_end(&m, nlh);
	nlh = genl_start(&m, MIGOFF_CMD_EVENT, 0, 0);
	mnl_attr_put_u32(nlh, MIGOFF_A_EVENT, MIGOFF_EVENT_BATCH);
	mnl_attr_put_u32(nlh, MIGOFF_A_MAX_PAGES, 512);
	mnl_attr_put_u32(nlh, MIGOFF_A_MIN_FOLIOS, 0);
	mnl_attr_put_u64(nlh, MIGOFF_A_VALUE, 2000);
	msg_end(&m, nlh);
	{
		size_t pos = 0;

		CHECK(nl_next_event(m.b, m.len, &used, &ev) == 0);
		CHECK(ev.type == MIGOFF_EVENT_ENABLE && ev.value == 1 && !strcmp(ev.name, "mtcopy"));
		pos += used;
		CHECK(nl_next_event(m.b + pos, m.len - pos, &used, &ev) == 0);
		CHECK(ev.type == MIGOFF_EVENT_BATCH && ev.value == 2000 && ev.max_pages == 512);
	}

	/* Events: two in one buffer, a non-event skipped, a short one refused. */
	memset(&m, 0, sizeof(m));
	nlh = genl_start(&m, MIGOFF_CMD_EVENT, 0, 0);
	mnl_attr_put_u32(nlh, MIGOFF_A_EVENT, MIGOFF_EVENT_ENABLE);
	mnl_attr_put_u64(nlh, MIGOFF_A_REASONS, 0x80);
	mnl_attr_put_strz(nlh, MIGOFF_A_NAME, "dcbm");
	msg_end(&m, nlh);
	nlh = genl_start(&m, MIGOFF_CMD_STATS_GET, 0, 0);
	msg_end(&m, nlh);
	nlh = genl_start(&m, MIGOFF_CMD_EVENT, 0, 0);
	mnl_attr_put_u32(nlh, MIGOFF_A_EVENT, MIGOFF_EVENT_BATCH);
	mnl_attr_put_u32(nlh, MIGOFF_A_MAX_PAGES, 1024);
	msg_end(&m, nlh);
	nlh = genl_start(&m, MIGOFF_CMD_EVENT, 0, 0);
	mnl_attr_put_u32(nlh, MIGOFF_A_EVENT, MIGOFF_EVENT_PARAM);
	mnl_attr_put_u16(nlh, MIGOFF_A_VALUE, 3);
	msg_end(&m, nlh);
	{
		size_t pos = 0;

		CHECK(nl_next_event(m.b, m.len, &used, &ev) == 0);
		CHECK(ev.type == MIGOFF_EVENT_ENABLE && ev.reasons == 0x80 && !strcmp(ev.name, "dcbm"));
		pos += used;
		CHECK(nl_next_event(m.b + pos, m.len - pos, &used, &ev) == 0);
		CHECK(ev.type == MIGOFF_EVENT_BATCH && ev.max_pages == 1024 && !ev.name[0]);
		pos += used;
		CHECK(nl_next_event(m.b + pos, m.len - pos, &used, &ev) == -EPROTO);
		pos += used;
		CHECK(pos == m.len);
		CHECK(nl_next_event(m.b + pos, m.len - pos, &used, &ev) == -EAGAIN && used == 0);
	}

	/* Family reply with a short group id. */
	{
		struct nl_family fi = { 0 };
		struct nlattr *grps, *g;

		memset(&m, 0, sizeof(m));
		nlh = msg_start(&m, GENL_ID_CTRL, 0, SEQ);
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
		mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
		grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
		g = mnl_attr_nest_start(nlh, 1);
		mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, MIGOFF_GENL_MCGRP_EVENTS);
		mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
		mnl_attr_nest_end(nlh, g);
		mnl_attr_nest_end(nlh, grps);
		CHECK(nl_parse_family(nlh, &fi) == MNL_CB_OK && fi.id == FAMILY && fi.mcgrp == 9);
		memset(&m, 0, sizeof(m));
		nlh = msg_start(&m, GENL_ID_CTRL, 0, SEQ);
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
		mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, 1);
		CHECK(nl_parse_family(nlh, &fi) == MNL_CB_ERROR && errno == EPROTO);
	}
}

/*
 * A scripted transport: each request is answered by the next script entry,
 * given the request's sequence number.
 */
typedef void (*script_fn)(struct mbuf *out, uint32_t seq, int part);

static struct {
	script_fn script[8];
	int n, next;		/* requests scripted, answered */
	uint32_t seq;
	int part, parts_left;
	struct mbuf out;
	size_t out_pos;
} xf;

static ssize_t x_send(void *arg, const struct nlmsghdr *nlh)
{
	(void)arg;
	if (xf.next >= xf.n) {
		errno = ECONNREFUSED;
		return -1;
	}
	xf.seq = nlh->nlmsg_seq;
	xf.part = 0;
	xf.parts_left = 1;
	return nlh->nlmsg_len;
}

static ssize_t x_recv(void *arg, void *buf, size_t len)
{
	(void)arg;
	if (!xf.parts_left) {
		errno = EAGAIN;		/* would block forever */
		return -1;
	}
	memset(&xf.out, 0, sizeof(xf.out));
	xf.script[xf.next](&xf.out, xf.seq, xf.part++);
	if (!xf.out.len || xf.out.len > len) {
		errno = EIO;
		return -1;
	}
	memcpy(buf, xf.out.b, xf.out.len);
	/* The script says it is done by ending in DONE or ERROR. */
	{
		const struct nlmsghdr *nlh = (const void *)xf.out.b, *last = nlh;
		int n = xf.out.len;

		for (; mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n))
			last = nlh;
		if (last->nlmsg_type == NLMSG_DONE || last->nlmsg_type == NLMSG_ERROR) {
			xf.parts_left = 0;
			xf.next++;
		}
	}
	return xf.out.len;
}

static void family_ok(struct mbuf *m, uint32_t seq, int part)
{
	struct nlmsghdr *nlh = msg_start(m, GENL_ID_CTRL, 0, seq);
	struct nlattr *grps, *g;

	(void)part;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	grps = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	g = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, MIGOFF_GENL_MCGRP_EVENTS);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_nest_end(nlh, g);
	mnl_attr_nest_end(nlh, grps);
	msg_end(m, nlh);
	put_error(m, seq, 0, true, 20, NULL);
}

static void family_missing(struct mbuf *m, uint32_t seq, int part)
{
	(void)part;
	put_error(m, seq, -ENOENT, true, 20, NULL);
}

/* A dump in three parts: 2 + 2 entries, then 1 and DONE. */
static void dump3(struct mbuf *m, uint32_t seq, int part)
{
	put_stats(m, seq, MIGOFF_STATS_REASON, 2 * part, "a", part);
	if (part < 2)
		put_stats(m, seq, MIGOFF_STATS_REASON, 2 * part + 1, "b", part);
	else
		put_done(m, seq, 0, NULL);
}

/* Counters, two size classes of an auto reason, a scope from the future. */
static void dump_auto(struct mbuf *m, uint32_t seq, int part)
{
	(void)part;
	put_stats(m, seq, MIGOFF_STATS_REASON, MIGOFF_REASON_DEMOTION, "demotion", 5);
	put_stats(m, seq, MIGOFF_STATS_MIGRATOR, 2, "mtcopy", 5);
	put_auto(m, seq, MIGOFF_REASON_DEMOTION, "demotion", 1, 900, 800);
	put_auto(m, seq, MIGOFF_REASON_DEMOTION, "demotion", 512, 100, 800);
	put_stats(m, seq, 77, 0, "future", 1);
	put_done(m, seq, 0, NULL);
}

static void dump_fails(struct mbuf *m, uint32_t seq, int part)
{
	if (part == 0) {
		put_stats(m, seq, MIGOFF_STATS_REASON, 0, "a", 1);
		return;
	}
	put_done(m, seq, -ENOBUFS, "dump interrupted");
}

static struct migoff_ctx *script_ctx(int n, ...)
{
	struct migoff_ctx *ctx = migoff_ctx_new();
	va_list ap;
	int i;

	memset(&xf, 0, sizeof(xf));
	va_start(ap, n);
	for (i = 0; i < n; i++)
		xf.script[i] = va_arg(ap, script_fn);
	va_end(ap);
	xf.n = n;
	ctx->xfer_send = x_send;
	ctx->xfer_recv = x_recv;
	return ctx;
}

static int seen;

static int stop_first(const struct migoff_stats_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	seen++;
	return 1;
}

static int collect_all(const struct migoff_stats_entry *e, void *arg)
{
	(void)e;
	(void)arg;
	seen++;
	return 0;
}

/* Re-enters the library from the callback: a nested dump, the ext ACK. */
static int reenter(const struct migoff_stats_entry *e, void *arg)
{
	struct migoff_ctx *ctx = arg;
	char ack[64];

	(void)e;
	if (seen++ == 0) {
		CHECK(migoff_stats_dump(ctx, collect_all, NULL) == 0);
		CHECK(migoff_ext_ack(ctx, ack, sizeof(ack)) == 0);
	}
	return 0;
}

static struct migoff_stats_entry got[8];

static int collect_copy(const struct migoff_stats_entry *e, void *arg)
{
	(void)arg;
	if (seen < 8)
		got[seen] = *e;
	seen++;
	return 0;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "unit_netlink: deadlock (callback re-entering the library)\n";

	write(2, m, sizeof(m) - 1);
	_exit(1);
}

static void test_dump(void)
{
	struct migoff_ctx *ctx;
	char ack[64];

	/* Stopped by the callback at the first entry: the dump is still read
	 * to its end, and the next request works. */
	ctx = script_ctx(3, family_ok, dump3, dump3);
	seen = 0;
	CHECK(migoff_stats_dump(ctx, stop_first, NULL) == 1 && seen == 1);
	CHECK(xf.next == 2 && xf.parts_left == 0);
	seen = 0;
	CHECK(migoff_stats_dump(ctx, collect_all, NULL) == 0 && seen == 5);
	migoff_close(ctx);

	/* NLMSG_DONE with an error: the dump fails, nothing is delivered. */
	ctx = script_ctx(2, family_ok, dump_fails);
	seen = 0;
	errno = 0;
	CHECK(migoff_stats_dump(ctx, collect_all, NULL) == -ENOBUFS && errno == ENOBUFS);
	CHECK(seen == 0);
	CHECK(migoff_ext_ack(ctx, ack, sizeof(ack)) == 16 && !strcmp(ack, "dump interrupted"));
	migoff_close(ctx);

	/*
	 * Auto classes only for callers that ask (a 2.0 caller would take
	 * them for something it knows); scopes newer than the library never.
	 */
	ctx = script_ctx(4, family_ok, dump_auto, dump_auto, dump_auto);
	seen = 0;
	CHECK(migoff_stats_dump(ctx, collect_copy, NULL) == 0 && seen == 2);
	CHECK(got[0].scope == MIGOFF_STATS_REASON && got[1].scope == MIGOFF_STATS_MIGRATOR);
	seen = 0;
	CHECK(migoff_stats_dump_flags(ctx, 0, collect_copy, NULL) == 0 && seen == 2);
	seen = 0;
	CHECK(migoff_stats_dump_flags(ctx, MIGOFF_DUMP_AUTO, collect_copy, NULL) == 0 && seen == 4);
	CHECK(got[2].scope == MIGOFF_STATS_AUTO && got[2].index == MIGOFF_REASON_DEMOTION &&
	      got[2].auto_class.min_pages == 1 && got[3].auto_class.min_pages == 512 &&
	      got[3].auto_class.migrator_ns_per_mib == 100 && !strcmp(got[3].name, "demotion"));
	errno = 0;
	CHECK(migoff_stats_dump_flags(ctx, 1U << 9, collect_copy, NULL) == -EINVAL && errno == EINVAL);
	CHECK(migoff_stats_dump_flags(NULL, 0, collect_copy, NULL) == -EINVAL);
	CHECK(migoff_stats_dump_flags(ctx, 0, NULL, NULL) == -EINVAL);
	migoff_close(ctx);
	CHECK(migoff_dump_wants(MIGOFF_STATS_CGROUP, 0) && !migoff_dump_wants(MIGOFF_STATS_AUTO, 0) &&
	      migoff_dump_wants(MIGOFF_STATS_AUTO, MIGOFF_DUMP_AUTO) &&
	      !migoff_dump_wants(MIGOFF_STATS_AUTO + 1, MIGOFF_DUMP_AUTO));

	/* No such family: ENOENT, not ENODEV. */
	ctx = script_ctx(1, family_missing);
	errno = 0;
	CHECK(migoff_stats_dump(ctx, collect_all, NULL) == -ENOENT && errno == ENOENT);
	migoff_close(ctx);

	/* The callback runs without the lock: it may call the library. */
	ctx = script_ctx(3, family_ok, dump3, dump3);
	seen = 0;
	signal(SIGALRM, on_alarm);
	alarm(10);
	CHECK(migoff_stats_dump(ctx, reenter, ctx) == 0);
	alarm(0);
	CHECK(seen == 5 + 5);
	migoff_close(ctx);
}

/* The real kernel: nlctrl's family dump, stopped early, then a request. */
static int stop_at_first(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	++*(int *)data;
	return MNL_CB_STOP;
}

static void test_kernel(void)
{
	struct migoff_ctx *ctx = migoff_ctx_new();
	struct nl_family fi = { 0 };
	struct nlmsghdr *nlh;
	char buf[256];
	int n = 0, err;

	ctx->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!ctx->nl || mnl_socket_bind(ctx->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		printf("unit_netlink: # SKIP kernel checks: no generic netlink (%s)\n", strerror(errno));
		migoff_close(ctx);
		return;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	((struct genlmsghdr *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr)))->cmd =
		CTRL_CMD_GETFAMILY;
	CHECK(nl_request(ctx, nlh, stop_at_first, &n) == 0 && n == 1);

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	((struct genlmsghdr *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr)))->cmd =
		CTRL_CMD_GETFAMILY;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	err = nl_request(ctx, nlh, nl_parse_family, &fi);
	CHECK(err == 0 && fi.id == GENL_ID_CTRL);
	migoff_close(ctx);

	/* The module is not loaded here: its family is missing. */
	ctx = migoff_ctx_new();
	errno = 0;
	err = migoff_stats_dump(ctx, collect_all, NULL);
	CHECK(err == -ENOENT && errno == ENOENT);
	migoff_close(ctx);
}

int main(void)
{
	test_process();
	test_attrs();
	test_dump();
	test_kernel();
	printf("unit_netlink: %s (%d failures)\n", failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "migrate_offload" (migrate_offload.yaml): a
 * statistics dump, and the "events" multicast group that reports every
 * configuration change and bursts of fallbacks: the core's events
 * (migoff_event_register()), each turned into one message.
 *
 * Requests are validated strictly (every op, reserved header bytes
 * included: no resv_start_op opt-out). The family runs without genl_mutex
 * (parallel_ops): the dump takes migoff_policy_mutex itself for the parts
 * that need it and reads the per-CPU counters without locks. A dump only
 * reads: quotas of removed cgroups are skipped, never dropped. A dump
 * that spans a change of engines, routes or quotas (migoff_policy_gen())
 * has NLM_F_DUMP_INTR on its messages from the change on: the reader
 * should dump again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/notifier.h>
#include <net/genetlink.h>

#include "migoff_core.h"

static const struct nla_policy migoff_nl_policy[MIGOFF_A_MAX + 1] = {
	[MIGOFF_A_SCOPE] = { .type = NLA_U32 },
};

static struct genl_family migoff_nl_family;

static int put_counters(struct sk_buff *skb, const struct migoff_counters *c)
{
	if (nla_put_u64_64bit(skb, MIGOFF_A_BATCHES, c->batches, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FOLIOS, c->folios, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_BYTES, c->bytes, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_COPY_NS, c->copy_ns, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FALLBACK_ERROR,
			      c->fallback[MIGOFF_FALLBACK_ERROR], MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FALLBACK_TIMEOUT,
			      c->fallback[MIGOFF_FALLBACK_TIMEOUT], MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FALLBACK_QUOTA,
			      c->fallback[MIGOFF_FALLBACK_QUOTA], MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FALLBACK_TOO_SMALL,
			      c->fallback[MIGOFF_FALLBACK_TOO_SMALL], MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FALLBACK_AUTO,
			      c->fallback[MIGOFF_FALLBACK_AUTO], MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FALLBACK_BUSY,
			      c->fallback[MIGOFF_FALLBACK_BUSY], MIGOFF_A_PAD))
		return -EMSGSIZE;
	return 0;
}

/* Start one message of the statistics dump. */
static void *dump_msg(struct sk_buff *skb, struct netlink_callback *cb)
{
	void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, &migoff_nl_family,
				NLM_F_MULTI, MIGOFF_CMD_STATS_GET);

	/* NLM_F_DUMP_INTR if engines, routes or quotas changed since the start. */
	if (hdr)
		genl_dump_check_consistent(cb, hdr);
	return hdr;
}

static int put_stats(struct sk_buff *skb, struct netlink_callback *cb,
		     u32 scope, u32 index, const char *name,
		     const struct migoff_counters *c)
{
	void *hdr = dump_msg(skb, cb);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MIGOFF_A_SCOPE, scope) ||
	    nla_put_u32(skb, MIGOFF_A_INDEX, index) ||
	    nla_put_string(skb, MIGOFF_A_NAME, name) ||
	    put_counters(skb, c)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int put_quota(struct sk_buff *skb, struct netlink_callback *cb,
		     const struct migoff_quota *q)
{
	void *hdr = dump_msg(skb, cb);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MIGOFF_A_SCOPE, MIGOFF_STATS_CGROUP) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_CGROUP_ID, q->cgroup_id, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_RATE, q->rate, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_BURST, q->burst, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_REASONS, q->reasons, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FOLIOS, q->folios_offloaded, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_BYTES, q->bytes_offloaded, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_FOLIOS_REFUSED, q->folios_refused, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_BYTES_REFUSED, q->bytes_refused, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_CPU_NS, q->copy_cpu_ns, MIGOFF_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int put_auto(struct sk_buff *skb, struct netlink_callback *cb,
		    unsigned int reason, const struct migoff_auto_class *k)
{
	void *hdr = dump_msg(skb, cb);

	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, MIGOFF_A_SCOPE, MIGOFF_STATS_AUTO) ||
	    nla_put_u32(skb, MIGOFF_A_INDEX, reason) ||
	    nla_put_string(skb, MIGOFF_A_NAME, migoff_reason_names[reason]) ||
	    nla_put_u32(skb, MIGOFF_A_AUTO_MIN_PAGES, k->min_pages) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_AUTO_MIGRATOR_NS_PER_MIB,
			      k->migrator_ns_per_mib, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_AUTO_CPU_NS_PER_MIB,
			      k->cpu_ns_per_mib, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_AUTO_BATCHES_MIGRATOR,
			      k->batches_migrator, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_AUTO_BATCHES_CPU,
			      k->batches_cpu, MIGOFF_A_PAD) ||
	    nla_put_u64_64bit(skb, MIGOFF_A_AUTO_BATCHES_PROBE,
			      k->batches_probe, MIGOFF_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * cb->args[1]: phase (reasons, migrators, quotas, auto classes);
 * cb->args[0]: the next entry within it.
 */
static int migoff_nl_stats_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct migoff_counters c;
	struct migoff_engine *e;
	struct migoff_quota q;
	struct migoff_auto au;
	unsigned long pos = cb->args[0];
	u64 auto_mask;

	/* Non-zero, as nl_dump_check_consistent() wants it. */
	cb->seq = migoff_policy_gen() | 1U << 31;

	if (cb->args[1] == 0) {
		for (; pos < MIGOFF_REASON_COUNT; pos++) {
			migoff_reason_counters(pos, &c);
			if (put_stats(skb, cb, MIGOFF_STATS_REASON, pos,
				      migoff_reason_names[pos], &c))
				goto out;
		}
		cb->args[1] = 1;
		pos = 0;
	}
	mutex_lock(&migoff_policy_mutex);
	if (cb->args[1] == 1) {
		for (;; pos++) {
			e = migoff_engine_by_index(pos);
			if (!e)
				break;
			migoff_stat_read(&e->stat, &c);
			if (put_stats(skb, cb, MIGOFF_STATS_MIGRATOR, e->id, e->name, &c))
				goto unlock;
		}
		cb->args[1] = 2;
		pos = 0;
	}
	if (cb->args[1] == 2) {
		for (;; pos++) {
			memset(&q, 0, sizeof(q));
			if (migoff_quota_get(true, pos, 0, &q))
				break;
			if (put_quota(skb, cb, &q))
				goto unlock;
		}
		cb->args[1] = 3;
		pos = 0;
	}
	/* pos: reason * MIGOFF_AUTO_CLASSES + class. */
	auto_mask = migoff_auto_reasons();
	for (; pos < MIGOFF_REASON_COUNT * MIGOFF_AUTO_CLASSES; pos++) {
		unsigned int r = pos / MIGOFF_AUTO_CLASSES;

		if (!(auto_mask & MIGOFF_REASON_BIT(r)))
			continue;
		migoff_auto_get(migoff_route_engine(r), r, &au);
		if (put_auto(skb, cb, r, &au.classes[pos % MIGOFF_AUTO_CLASSES]))
			break;
	}
unlock:
	mutex_unlock(&migoff_policy_mutex);
out:
	cb->args[0] = pos;
	return skb->len;
}

static const struct genl_small_ops migoff_nl_ops[] = {
	{
		.cmd = MIGOFF_CMD_STATS_GET,
		.dumpit = migoff_nl_stats_dump,
	},
};

static const struct genl_multicast_group migoff_nl_mcgrps[] = {
	{ .name = MIGOFF_GENL_MCGRP_EVENTS },
};

static struct genl_family migoff_nl_family __ro_after_init = {
	.name = MIGOFF_GENL_NAME,
	.version = MIGOFF_GENL_VERSION,
	.maxattr = MIGOFF_A_MAX,
	.policy = migoff_nl_policy,
	.module = THIS_MODULE,
	.small_ops = migoff_nl_ops,
	.n_small_ops = ARRAY_SIZE(migoff_nl_ops),
	.parallel_ops = true,
	.mcgrps = migoff_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(migoff_nl_mcgrps),
};

/* Start an event message, or NULL when nobody listens. */
static struct sk_buff *event_new(u32 type, void **hdr)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&migoff_nl_family, &init_net, 0))
		return NULL;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return NULL;
	*hdr = genlmsg_put(skb, 0, 0, &migoff_nl_family, 0, MIGOFF_CMD_EVENT);
	if (!*hdr || nla_put_u32(skb, MIGOFF_A_EVENT, type)) {
		nlmsg_free(skb);
		return NULL;
	}
	return skb;
}

static void event_send(struct sk_buff *skb, void *hdr, bool ok)
{
	if (!ok) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&migoff_nl_family, skb, 0, 0, GFP_KERNEL);
}

/* The core's events, multicast to the "events" group. */
static int nl_event(struct notifier_block *nb, unsigned long type, void *data)
{
	const struct migoff_event *ev = data;
	struct sk_buff *skb;
	void *hdr;
	bool ok;

	skb = event_new(type, &hdr);
	if (!skb)
		return NOTIFY_DONE;
	switch (type) {
	case MIGOFF_EVENT_ENABLE:
		ok = !nla_put_u64_64bit(skb, MIGOFF_A_REASONS, ev->reasons, MIGOFF_A_PAD) &&
		     !nla_put_string(skb, MIGOFF_A_NAME, ev->migrator) &&
		     !nla_put_u64_64bit(skb, MIGOFF_A_VALUE, ev->value, MIGOFF_A_PAD);
		break;
	case MIGOFF_EVENT_DISABLE:
		ok = !nla_put_u64_64bit(skb, MIGOFF_A_REASONS, ev->reasons, MIGOFF_A_PAD);
		break;
	case MIGOFF_EVENT_BATCH:
		ok = !nla_put_u32(skb, MIGOFF_A_MAX_PAGES, ev->max_pages) &&
		     !nla_put_u32(skb, MIGOFF_A_MIN_FOLIOS, ev->min_folios) &&
		     !nla_put_u64_64bit(skb, MIGOFF_A_VALUE, ev->value, MIGOFF_A_PAD);
		break;
	case MIGOFF_EVENT_PARAM:
		ok = !nla_put_string(skb, MIGOFF_A_NAME, ev->migrator) &&
		     !nla_put_string(skb, MIGOFF_A_PARAM, ev->param) &&
		     !nla_put_u64_64bit(skb, MIGOFF_A_VALUE, ev->value, MIGOFF_A_PAD);
		break;
	case MIGOFF_EVENT_QUOTA:
		ok = !nla_put_u64_64bit(skb, MIGOFF_A_CGROUP_ID, ev->cgroup_id, MIGOFF_A_PAD) &&
		     !nla_put_u64_64bit(skb, MIGOFF_A_RATE, ev->rate, MIGOFF_A_PAD) &&
		     !nla_put_u64_64bit(skb, MIGOFF_A_BURST, ev->burst, MIGOFF_A_PAD) &&
		     !nla_put_u64_64bit(skb, MIGOFF_A_REASONS, ev->reasons, MIGOFF_A_PAD);
		break;
	case MIGOFF_EVENT_FALLBACK:
		ok = !nla_put_u64_64bit(skb, MIGOFF_A_REASONS, ev->reasons, MIGOFF_A_PAD) &&
		     !nla_put_u64_64bit(skb, MIGOFF_A_FOLIOS, ev->folios, MIGOFF_A_PAD);
		break;
	case MIGOFF_EVENT_STATS_RESET:
		ok = true;
		break;
	default:
		ok = false;
		break;
	}
	event_send(skb, hdr, ok);
	return NOTIFY_OK;
}

static struct notifier_block nl_event_nb = {
	.notifier_call = nl_event,
};

int migoff_nl_init(void)
{
	int ret = genl_register_family(&migoff_nl_family);

	if (ret)
		return ret;
	ret = migoff_event_register(&nl_event_nb);
	if (ret)
		genl_unregister_family(&migoff_nl_family);
	return ret;
}

void migoff_nl_exit(void)
{
	migoff_event_unregister(&nl_event_nb);
	genl_unregister_family(&migoff_nl_family);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/migrate_offload: the ioctl ABI of uapi/linux/migrate_offload.h.
 *
 * Commands are dispatched on their type and number only, as DRM does: the
 * size encoded in the command is that of the caller's struct, which may be
 * older (smaller) or newer (larger) than ours. The size that counts is the
 * struct's leading size field, bounded to a page like clone3() and
 * openat2() bound theirs. Every argument is read with
 * copy_struct_from_user() (unknown trailing bytes must be zero), checked
 * completely before anything changes, and written back zero-initialised
 * and truncated to the caller's size. Changes need CAP_SYS_ADMIN and run
 * under migoff_policy_mutex.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/fs.h>
#include <linux/migrate.h>
#include <linux/migrate_copy_offload.h>
#include <linux/miscdevice.h>
#include <linux/nospec.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "migoff_core.h"

/* The bound the uapi header documents, whatever the page size. */
#define MIGOFF_ARG_SIZE_MAX	4096

/* Read a versioned struct: @ksize is ours, the user's size is its first u32. */
static int migoff_get_arg(void *karg, size_t ksize, unsigned long uarg)
{
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < 2 * sizeof(u32))
		return -EINVAL;
	if (usize > MIGOFF_ARG_SIZE_MAX)
		return -E2BIG;
	ret = copy_struct_from_user(karg, ksize, (void __user *)uarg, usize);
	if (ret)
		return ret;
	*(u32 *)karg = usize;
	return 0;
}

static int migoff_put_arg(unsigned long uarg, void *karg, size_t ksize)
{
	u32 usize = *(u32 *)karg;

	*(u32 *)karg = min_t(u32, usize, ksize);
	if (copy_to_user((void __user *)uarg, karg, min_t(size_t, usize, ksize)))
		return -EFAULT;
	return 0;
}

/*
 * A NUL-terminated name within its buffer, and nothing after the NUL: the
 * bytes past it may carry meaning in a later version of the ABI.
 */
static bool name_ok(const char *name, size_t len)
{
	size_t n = strnlen(name, len);

	return n < len && mem_is_zero(name + n, len - n);
}

static long migoff_get_info(unsigned long uarg, unsigned int cmd)
{
	struct migoff_info a;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (a.flags || !mem_is_zero(&a.api_version,
				    sizeof(a) - offsetof(struct migoff_info, api_version)))
		return -EINVAL;
	a.api_version = MIGOFF_API_VERSION;
	mutex_lock(&migoff_policy_mutex);
	a.nr_migrators = migoff_nr_engines();
	mutex_unlock(&migoff_policy_mutex);
	a.reasons_supported = MIGOFF_REASONS_ALL;
	a.features = MIGOFF_FEAT_ROUTING | MIGOFF_FEAT_BATCH_CAPS |
		MIGOFF_FEAT_PARAMS | MIGOFF_FEAT_STATS | MIGOFF_FEAT_NETLINK |
		MIGOFF_FEAT_QUOTAS | MIGOFF_FEAT_AUTO | MIGOFF_FEAT_LATENCY |
		MIGOFF_FEAT_AUTO_CPU_TIME | MIGOFF_FEAT_FALLBACK_BUSY;
	a.max_batch_pages_limit = MIGOFF_MAX_BATCH_PAGES;
	return migoff_put_arg(uarg, &a, sizeof(a));
}

static long migoff_get_migrator(unsigned long uarg, unsigned int cmd)
{
	struct migoff_migrator a;
	struct migoff_engine *e;
	char name[MIGOFF_NAME_LEN];
	unsigned int i;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (a.flags & ~MIGOFF_MIGRATOR_BY_NAME || a.id || a.kind || a.state ||
	    a.reasons || a.nr_params || a.reserved0 ||
	    !mem_is_zero(a.params, sizeof(a.params)) ||
	    !mem_is_zero(a.reserved, sizeof(a.reserved)))
		return -EINVAL;
	if (a.flags & MIGOFF_MIGRATOR_BY_NAME) {
		if (a.index || !name_ok(a.name, sizeof(a.name)))
			return -EINVAL;
	} else if (!mem_is_zero(a.name, sizeof(a.name))) {
		return -EINVAL;
	}
	memcpy(name, a.name, sizeof(name));

	mutex_lock(&migoff_policy_mutex);
	e = (a.flags & MIGOFF_MIGRATOR_BY_NAME) ? migoff_find_engine(name) :
		migoff_engine_by_index(a.index);
	if (!e) {
		mutex_unlock(&migoff_policy_mutex);
		return -ENOENT;
	}
	a.id = e->id;
	memset(a.name, 0, sizeof(a.name));
	strscpy(a.name, e->name, sizeof(a.name));
	a.kind = e->kind;
	a.state = (!e->available || e->available(e) ? MIGOFF_MIGRATOR_AVAILABLE : 0) |
		(e->nr_routes ? MIGOFF_MIGRATOR_ROUTED : 0);
	a.reasons = migoff_engine_reasons(e);
	a.nr_params = e->nr_params;
	for (i = 0; i < e->nr_params; i++) {
		strscpy(a.params[i].name, e->params[i].name, sizeof(a.params[i].name));
		a.params[i].value = READ_ONCE(e->params[i].value);
		a.params[i].min = e->params[i].min;
		a.params[i].max = e->params[i].max;
	}
	mutex_unlock(&migoff_policy_mutex);
	return migoff_put_arg(uarg, &a, sizeof(a));
}

static long migoff_enable_disable(unsigned long uarg, bool enable)
{
	struct migoff_route a;
	struct migoff_engine *e = NULL;
	bool auto_on;
	u64 reasons;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (!mem_is_zero(a.reserved, sizeof(a.reserved)) ||
	    !name_ok(a.migrator, sizeof(a.migrator)))
		return -EINVAL;
	if (enable) {
		if (a.flags & ~(MIGOFF_ROUTE_AUTO | MIGOFF_ROUTE_AUTO_CPU_TIME) ||
		    (a.flags & MIGOFF_ROUTE_AUTO_CPU_TIME &&
		     !(a.flags & MIGOFF_ROUTE_AUTO)) ||
		    !a.reasons || a.reasons & ~MIGOFF_REASONS_ALL)
			return -EINVAL;
		reasons = a.reasons;
	} else {
		if (a.flags & ~MIGOFF_ROUTE_ALL_REASONS || a.migrator[0])
			return -EINVAL;
		if (a.flags & MIGOFF_ROUTE_ALL_REASONS) {
			if (a.reasons)
				return -EINVAL;
			reasons = MIGOFF_REASONS_ALL;
		} else {
			if (!a.reasons || a.reasons & ~MIGOFF_REASONS_ALL)
				return -EINVAL;
			reasons = a.reasons;
		}
	}

	mutex_lock(&migoff_policy_mutex);
	if (enable) {
		e = migoff_find_engine(a.migrator[0] ? a.migrator : "cpu");
		if (!e) {
			ret = -ENOENT;
			goto unlock;
		}
	}
	auto_on = enable && (a.flags & MIGOFF_ROUTE_AUTO);
	ret = migoff_route(reasons, e, auto_on,
			   auto_on && (a.flags & MIGOFF_ROUTE_AUTO_CPU_TIME));
	if (!ret)
		migoff_event_emit(&(struct migoff_event){
			.type = e ? MIGOFF_EVENT_ENABLE : MIGOFF_EVENT_DISABLE,
			.reasons = reasons,
			.migrator = e ? e->name : NULL,
			.value = auto_on,
		});
unlock:
	mutex_unlock(&migoff_policy_mutex);
	return ret;
}

static long migoff_get_routes(unsigned long uarg, unsigned int cmd)
{
	struct migoff_routes a;
	unsigned int r;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (a.flags || a.nr_reasons || a.reserved0 ||
	    !mem_is_zero(a.migrator, sizeof(a.migrator)) ||
	    !mem_is_zero(a.reserved, sizeof(a.reserved)) || a.auto_reasons)
		return -EINVAL;
	a.nr_reasons = MIGOFF_REASON_COUNT;
	for (r = 0; r < ARRAY_SIZE(a.migrator); r++)
		a.migrator[r] = MIGOFF_NO_MIGRATOR;
	mutex_lock(&migoff_policy_mutex);
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		a.migrator[r] = migoff_route_id(r);
	a.auto_reasons = migoff_auto_reasons();
	mutex_unlock(&migoff_policy_mutex);
	return migoff_put_arg(uarg, &a, sizeof(a));
}

static long migoff_batch(unsigned long uarg, bool set)
{
	struct migoff_batch a;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (!mem_is_zero(a.reserved, sizeof(a.reserved)) || a.effective_pages)
		return -EINVAL;
	if (!set) {
		if (a.flags || a.max_pages || a.min_folios || a.latency_us)
			return -EINVAL;
		migoff_get_batch(&a);
		return migoff_put_arg(uarg, &a, sizeof(a));
	}
	if (!a.flags || a.flags & ~(MIGOFF_BATCH_SET_MAX_PAGES |
				    MIGOFF_BATCH_SET_MIN_FOLIOS |
				    MIGOFF_BATCH_SET_LATENCY))
		return -EINVAL;
	/* A value whose flag is not set would be silently ignored. */
	if ((!(a.flags & MIGOFF_BATCH_SET_MAX_PAGES) && a.max_pages) ||
	    (!(a.flags & MIGOFF_BATCH_SET_MIN_FOLIOS) && a.min_folios) ||
	    (!(a.flags & MIGOFF_BATCH_SET_LATENCY) && a.latency_us))
		return -EINVAL;
	mutex_lock(&migoff_policy_mutex);
	ret = migoff_set_batch(a.flags, a.max_pages, a.min_folios, a.latency_us);
	if (!ret) {
		migoff_get_batch(&a);
		migoff_event_emit(&(struct migoff_event){
			.type = MIGOFF_EVENT_BATCH,
			.max_pages = a.max_pages,
			.min_folios = a.min_folios,
			.value = a.latency_us,
		});
	}
	mutex_unlock(&migoff_policy_mutex);
	return ret;
}

static long migoff_get_auto(unsigned long uarg, unsigned int cmd)
{
	struct migoff_auto a;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (a.flags || a.nr_classes || a.objective || a.reserved0 || a.reserved1 ||
	    !mem_is_zero(a.classes, sizeof(a.classes)))
		return -EINVAL;
	if (a.reason >= MIGOFF_REASON_COUNT)
		return -ENOENT;
	mutex_lock(&migoff_policy_mutex);
	migoff_auto_get(migoff_route_engine(a.reason), a.reason, &a);
	mutex_unlock(&migoff_policy_mutex);
	return migoff_put_arg(uarg, &a, sizeof(a));
}

static long migoff_set_param(unsigned long uarg, unsigned int cmd)
{
	struct migoff_param a;
	struct migoff_engine *e;
	struct migoff_engine_param *p = NULL;
	unsigned int i;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (a.flags || !mem_is_zero(a.reserved, sizeof(a.reserved)) ||
	    !name_ok(a.migrator, sizeof(a.migrator)) ||
	    !name_ok(a.name, sizeof(a.name)))
		return -EINVAL;

	mutex_lock(&migoff_policy_mutex);
	e = migoff_find_engine(a.migrator);
	for (i = 0; e && i < e->nr_params; i++)
		if (!strcmp(e->params[i].name, a.name))
			p = &e->params[i];
	if (!p) {
		ret = -ENOENT;
	} else if (a.value < p->min || a.value > p->max) {
		ret = -ERANGE;
	} else {
		ret = p->set ? p->set(e, a.value) : 0;
		if (!ret) {
			WRITE_ONCE(p->value, a.value);
			migoff_event_emit(&(struct migoff_event){
				.type = MIGOFF_EVENT_PARAM,
				.migrator = e->name,
				.param = p->name,
				.value = a.value,
			});
		}
	}
	mutex_unlock(&migoff_policy_mutex);
	return ret;
}

static long migoff_get_stats(unsigned long uarg, unsigned int cmd)
{
	struct migoff_stats a;
	struct migoff_engine *e;
	struct migoff_counters c;
	unsigned int r, i;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (a.flags || !mem_is_zero(&a.counters, sizeof(a.counters)) ||
	    !mem_is_zero(a.reserved, sizeof(a.reserved)))
		return -EINVAL;
	switch (a.scope) {
	case MIGOFF_STATS_TOTAL:
		if (a.index)
			return -EINVAL;
		for (r = 0; r < MIGOFF_REASON_COUNT; r++) {
			migoff_reason_counters(r, &c);
			a.counters.batches += c.batches;
			a.counters.folios += c.folios;
			a.counters.bytes += c.bytes;
			a.counters.copy_ns += c.copy_ns;
			for (i = 0; i < MIGOFF_FALLBACK_COUNT; i++)
				a.counters.fallback[i] += c.fallback[i];
		}
		break;
	case MIGOFF_STATS_REASON:
		if (a.index >= MIGOFF_REASON_COUNT)
			return -ENOENT;
		migoff_reason_counters(a.index, &a.counters);
		break;
	case MIGOFF_STATS_MIGRATOR:
		mutex_lock(&migoff_policy_mutex);
		e = migoff_engine_by_id(a.index);
		if (e)
			migoff_stat_read(&e->stat, &a.counters);
		mutex_unlock(&migoff_policy_mutex);
		if (!e)
			return -ENOENT;
		break;
	default:
		return -EINVAL;
	}
	return migoff_put_arg(uarg, &a, sizeof(a));
}

static long migoff_reset(unsigned long uarg, unsigned int cmd)
{
	struct migoff_reset a;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);

	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	mutex_lock(&migoff_policy_mutex);
	migoff_reset_stats();
	migoff_event_emit(&(struct migoff_event){ .type = MIGOFF_EVENT_STATS_RESET });
	mutex_unlock(&migoff_policy_mutex);
	return 0;
}

/* SET_QUOTA, CLEAR_QUOTA, GET_QUOTA. */
static long migoff_quota(unsigned long uarg, unsigned int cmd)
{
	struct migoff_quota a;
	struct cgroup *cg = NULL;
	u64 cgid = 0;
	int ret = migoff_get_arg(&a, sizeof(a), uarg);
	bool by_index;

	if (ret)
		return ret;
	by_index = a.flags & MIGOFF_QUOTA_BY_INDEX;
	if (a.flags & ~(MIGOFF_QUOTA_BY_FD | MIGOFF_QUOTA_BY_INDEX) ||
	    (by_index && (cmd != MIGOFF_IOC_GET_QUOTA || a.flags != MIGOFF_QUOTA_BY_INDEX)) ||
	    (!(a.flags & MIGOFF_QUOTA_BY_FD) && a.cgroup_fd) ||
	    (!by_index && a.index) || (by_index && a.cgroup_id) ||
	    (a.flags & MIGOFF_QUOTA_BY_FD && a.cgroup_id) ||
	    a.bytes_offloaded || a.bytes_refused || a.folios_offloaded ||
	    a.folios_refused || a.copy_cpu_ns ||
	    !mem_is_zero(a.reserved, sizeof(a.reserved)))
		return -EINVAL;
	if (cmd == MIGOFF_IOC_SET_QUOTA) {
		if (!a.rate || !a.burst || a.reasons & ~MIGOFF_REASONS_ALL)
			return -EINVAL;
	} else if (a.rate || a.burst || a.reasons) {
		return -EINVAL;
	}
	if (!by_index) {
		cg = migoff_quota_cgroup(&a);
		if (IS_ERR(cg))
			return PTR_ERR(cg);
		cgid = cgroup_id(cg);
	}

	mutex_lock(&migoff_policy_mutex);
	switch (cmd) {
	case MIGOFF_IOC_SET_QUOTA:
		ret = migoff_quota_set(cg, a.rate, a.burst, a.reasons);
		if (!ret)
			migoff_event_emit(&(struct migoff_event){
				.type = MIGOFF_EVENT_QUOTA,
				.cgroup_id = cgid,
				.rate = a.rate,
				.burst = a.burst,
				.reasons = a.reasons,
			});
		break;
	case MIGOFF_IOC_CLEAR_QUOTA:
		ret = migoff_quota_clear(cgid);
		if (!ret)
			migoff_event_emit(&(struct migoff_event){
				.type = MIGOFF_EVENT_QUOTA,
				.cgroup_id = cgid,
			});
		break;
	default:
		ret = migoff_quota_get(by_index, a.index, cgid, &a);
		break;
	}
	mutex_unlock(&migoff_policy_mutex);
	if (cg)
		cgroup_put(cg);
	if (ret || cmd != MIGOFF_IOC_GET_QUOTA)
		return ret;
	return migoff_put_arg(uarg, &a, sizeof(a));
}

static long migoff_get_batch_ioctl(unsigned long arg, unsigned int cmd)
{
	return migoff_batch(arg, false);
}

static long migoff_set_batch_ioctl(unsigned long arg, unsigned int cmd)
{
	return migoff_batch(arg, true);
}

static long migoff_enable_ioctl(unsigned long arg, unsigned int cmd)
{
	return migoff_enable_disable(arg, true);
}

static long migoff_disable_ioctl(unsigned long arg, unsigned int cmd)
{
	return migoff_enable_disable(arg, false);
}

/*
 * One entry per command number. @cmd is the command as this module was
 * built; its direction must match the caller's, its size need not.
 */
struct migoff_ioctl_desc {
	unsigned int cmd;
	bool admin;		/* needs CAP_SYS_ADMIN */
	long (*fn)(unsigned long arg, unsigned int cmd);
};

static const struct migoff_ioctl_desc migoff_ioctls[] = {
	[_IOC_NR(MIGOFF_IOC_GET_INFO)] = { MIGOFF_IOC_GET_INFO, false, migoff_get_info },
	[_IOC_NR(MIGOFF_IOC_GET_MIGRATOR)] = { MIGOFF_IOC_GET_MIGRATOR, false,
					       migoff_get_migrator },
	[_IOC_NR(MIGOFF_IOC_ENABLE)] = { MIGOFF_IOC_ENABLE, true, migoff_enable_ioctl },
	[_IOC_NR(MIGOFF_IOC_DISABLE)] = { MIGOFF_IOC_DISABLE, true, migoff_disable_ioctl },
	[_IOC_NR(MIGOFF_IOC_GET_ROUTES)] = { MIGOFF_IOC_GET_ROUTES, false, migoff_get_routes },
	[_IOC_NR(MIGOFF_IOC_GET_BATCH)] = { MIGOFF_IOC_GET_BATCH, false, migoff_get_batch_ioctl },
	[_IOC_NR(MIGOFF_IOC_SET_BATCH)] = { MIGOFF_IOC_SET_BATCH, true, migoff_set_batch_ioctl },
	[_IOC_NR(MIGOFF_IOC_SET_PARAM)] = { MIGOFF_IOC_SET_PARAM, true, migoff_set_param },
	[_IOC_NR(MIGOFF_IOC_GET_STATS)] = { MIGOFF_IOC_GET_STATS, false, migoff_get_stats },
	[_IOC_NR(MIGOFF_IOC_RESET_STATS)] = { MIGOFF_IOC_RESET_STATS, true, migoff_reset },
	[_IOC_NR(MIGOFF_IOC_SET_QUOTA)] = { MIGOFF_IOC_SET_QUOTA, true, migoff_quota },
	[_IOC_NR(MIGOFF_IOC_CLEAR_QUOTA)] = { MIGOFF_IOC_CLEAR_QUOTA, true, migoff_quota },
	[_IOC_NR(MIGOFF_IOC_GET_QUOTA)] = { MIGOFF_IOC_GET_QUOTA, false, migoff_quota },
	[_IOC_NR(MIGOFF_IOC_GET_AUTO)] = { MIGOFF_IOC_GET_AUTO, false, migoff_get_auto },
};

static long migoff_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	const struct migoff_ioctl_desc *d;
	unsigned int nr = _IOC_NR(cmd);

	if (_IOC_TYPE(cmd) != MIGOFF_IOC_MAGIC || nr >= ARRAY_SIZE(migoff_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(nr, ARRAY_SIZE(migoff_ioctls));
	d = &migoff_ioctls[nr];
	if (!d->fn || _IOC_DIR(cmd) != _IOC_DIR(d->cmd))
		return -ENOTTY;
	if (d->admin && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* Handlers compare with the full command as built here. */
	return d->fn(arg, d->cmd);
}

static const struct file_operations migoff_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = migoff_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice migoff_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "migrate_offload",
	.fops = &migoff_fops,
	.mode = 0666,
};

int migoff_chardev_init(void)
{
	return misc_register(&migoff_misc);
}

void migoff_chardev_exit(void)
{
	misc_deregister(&migoff_misc);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * config save, config load: the configuration as a file (the JSON of
 * status -j). The file's parsing, validation and undo are config.c's;
 * this is what they are applied to: the device, the cgroups, the clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "migoffloadctl.h"
#include "util.h"

/* The whole file ('-': stdin), NUL-terminated, in *@len bytes (NULs inside are kept). */
static char *read_file(const char *path, size_t *len, int *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	size_t cap = 8192, n;
	char *buf = NULL, *t;

	*len = 0;
	if (!f) {
		*err = errno;
		return NULL;
	}
	for (;;) {
		t = realloc(buf, cap + 1);
		if (!t) {
			*err = ENOMEM;
			goto fail;
		}
		buf = t;
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (*len < cap)
			break;
		if (cap > CFG_MAX_SIZE) {
			*err = EFBIG;
			goto fail;
		}
		cap *= 2;
	}
	if (ferror(f)) {
		*err = EIO;
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	buf[*len] = '\0';
	return buf;
fail:
	free(buf);
	if (f != stdin)
		fclose(f);
	return NULL;
}

/* What config load resolves a file against, and restores on failure. */
static int read_system(struct migoff_ctx *ctx, struct cfg_system *sys)
{
	struct migoff_batch b;
	struct migoff_info info;
	unsigned int i;
	int err;

	memset(sys, 0, sizeof(*sys));
	info.size = sizeof(info);
	err = migoff_get_info(ctx, &info);
	if (err)
		return err;
	sys->reasons_supported = info.reasons_supported;
	sys->features = info.features;
	sys->max_batch_pages_limit = info.max_batch_pages_limit;
	for (i = 0; i < info.nr_migrators && i < CFG_MAX_MIGRATORS; i++) {
		sys->migrators[i].size = sizeof(sys->migrators[i]);
		err = migoff_get_migrator(ctx, i, &sys->migrators[i]);
		if (err == -ENOENT)
			break;	/* one went away meanwhile */
		if (err)
			return err;
		sys->nr_migrators++;
	}
	b.size = sizeof(b);
	err = migoff_get_batch_caps(ctx, &b);
	sys->max_pages = b.max_pages;
	sys->min_folios = b.min_folios;
	sys->latency_us = b.latency_us;
	if (!err)
		err = migoff_get_routes(ctx, sys->route_ids, MIGOFF_REASON_COUNT);
	if (err >= 0) {
		err = migoff_get_auto_reasons(ctx, &sys->auto_reasons);
		err = err == -EOPNOTSUPP ? 0 : err;
	}
	return err < 0 ? err : 0;
}

static int ops_set_batch(void *ctx, uint32_t flags, uint32_t max_pages, uint32_t min_folios,
			 uint32_t latency_us)
{
	struct migoff_batch b = { .size = sizeof(b), .flags = flags, .max_pages = max_pages,
				  .min_folios = min_folios, .latency_us = latency_us };

	/* Fields not named must be 0. */
	if (!(flags & MIGOFF_BATCH_SET_MAX_PAGES))
		b.max_pages = 0;
	if (!(flags & MIGOFF_BATCH_SET_MIN_FOLIOS))
		b.min_folios = 0;
	if (!(flags & MIGOFF_BATCH_SET_LATENCY))
		b.latency_us = 0;
	return migoff_set_batch_caps(ctx, &b);
}

static int ops_set_param(void *ctx, const char *migrator, const char *param, uint64_t value)
{
	return migoff_set_param(ctx, migrator, param, value);
}

static int ops_enable(void *ctx, uint64_t reasons, const char *migrator, uint32_t flags)
{
	return migoff_enable_flags(ctx, reasons, migrator, flags);
}

static int ops_disable(void *ctx, uint64_t reasons)
{
	return migoff_disable(ctx, reasons);
}

static int ops_quota_get(void *ctx, const char *cgroup, uint64_t *rate, uint64_t *burst,
			 uint64_t *reasons)
{
	struct migoff_quota q = { .size = sizeof(q) };
	int err = migoff_quota_find(ctx, cgroup, &q);

	*rate = q.rate;
	*burst = q.burst;
	*reasons = q.reasons == MIGOFF_REASONS_ALL ? 0 : q.reasons;
	return err;
}

static int ops_quota_set(void *ctx, const char *cgroup, uint64_t rate, uint64_t burst,
			 uint64_t reasons)
{
	return migoff_quota_set(ctx, cgroup, rate, burst, reasons);
}

static int ops_quota_clear(void *ctx, const char *cgroup)
{
	return migoff_quota_clear(ctx, cgroup);
}

static int ops_cgroup_state(void *ctx, const char *cgroup)
{
	(void)ctx;
	return cgroup_state(cgroup);
}

static int ops_cgroup_mkdir(void *ctx, const char *cgroup)
{
	(void)ctx;
	return mkdir(cgroup, 0755) ? -errno : 0;
}

static int ops_cgroup_rmdir(void *ctx, const char *cgroup)
{
	(void)ctx;
	return rmdir(cgroup) ? -errno : 0;
}

static const struct cfg_ops lib_ops = {
	.set_batch = ops_set_batch,
	.set_param = ops_set_param,
	.enable = ops_enable,
	.disable = ops_disable,
	.quota_get = ops_quota_get,
	.quota_set = ops_quota_set,
	.quota_clear = ops_quota_clear,
	.cgroup_state = ops_cgroup_state,
	.cgroup_mkdir = ops_cgroup_mkdir,
	.cgroup_rmdir = ops_cgroup_rmdir,
};

/* config load's options. */
struct load_opts {
	uint64_t wait;		/* --wait: seconds */
	unsigned int flags;	/* --force: CFG_FORCE */
	bool create;		/* --create-cgroups */
};

/* Seconds since @t0 (CLOCK_MONOTONIC). */
static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return elapsed(t0, &now);
}

static void pause_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Apply a saved configuration: the whole file is parsed and validated before
 * the device is even opened, then resolved against the running system
 * (migrators, parameter ranges, batch limit, the quotas' cgroups), and only
 * then changed; a change that fails undoes those before it. With --wait,
 * the device and every migrator the file names are waited for, up to that
 * many seconds (a DMA provider that probes late at boot), saying which.
 */
static int config_load(const char *path, const struct load_opts *o)
{
	const char *shown = strcmp(path, "-") ? path : "<stdin>", *missing, *why;
	char msg[768], what[1024], waiting[MIGOFF_NAME_LEN] = "", waited[64] = "";
	struct cfg_system *sys = NULL;
	struct timespec t0;
	struct config *cfg;
	bool restored;
	size_t len;
	int err = 0, rc = 1;
	char *text = read_file(path, &len, &err), *w, *nl;

	if (!text)
		return fail(shown, err);
	cfg = malloc(sizeof(*cfg));
	if (!cfg) {
		free(text);
		return fail("allocating", ENOMEM);
	}
	err = config_parse_flags(text, len, o->flags, cfg, msg, sizeof(msg));
	free(text);
	if (err) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s; nothing changed\n", shown, msg);
		goto out;
	}
	for (w = cfg->warnings; *w; w = nl + 1) {
		nl = strchr(w, '\n');
		if (!nl)
			break;
		fprintf(stderr, "migoffloadctl: config load: warning: %s:%.*s\n", shown,
			(int)(nl - w), w);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (o->wait && access(MIGOFF_DEVICE, F_OK)) {
		fprintf(stderr, "migoffloadctl: config load: waiting up to %llu s for %s\n",
			(unsigned long long)o->wait, MIGOFF_DEVICE);
		while (access(MIGOFF_DEVICE, F_OK) && since(&t0) < o->wait)
			pause_ms(250);
	}
	rc = open_dev();
	if (rc)
		goto out;
	rc = 1;
	sys = malloc(sizeof(*sys));
	if (!sys) {
		rc = fail("allocating", ENOMEM);
		goto out;
	}
	for (;;) {
		err = read_system(dev, sys);
		if (err) {
			rc = fail("reading the configuration", err);
			goto out;
		}
		missing = config_missing(cfg, sys, &why);
		if (!missing || since(&t0) >= o->wait)
			break;
		if (strcmp(waiting, missing)) {
			fprintf(stderr, "migoffloadctl: config load: waiting up to %llu s for migrator '%s' to be %s\n",
				(unsigned long long)o->wait, missing, why);
			snprintf(waiting, sizeof(waiting), "%s", missing);
		}
		pause_ms(250);
	}
	if (waiting[0] && !missing)
		fprintf(stderr, "migoffloadctl: config load: every migrator the file names is there after %.1f s\n",
			since(&t0));
	else if (waiting[0])
		snprintf(waited, sizeof(waited), " (after waiting %llu s)",
			 (unsigned long long)o->wait);
	err = config_resolve(cfg, sys, msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s%s; nothing changed\n", shown, msg,
			waited);
		goto out;
	}
	err = config_probe_quotas(cfg, &lib_ops, dev, o->create, msg, sizeof(msg));
	if (err == -ENOENT || err == -ENOTDIR || err == -EMEDIUMTYPE) {
		fprintf(stderr, "migoffloadctl: config load: %s:%s; nothing changed\n", shown, msg);
		goto out;
	} else if (err) {
		snprintf(what, sizeof(what), "load %s:%s (nothing changed)", shown, msg);
		rc = fail(what, err);
		goto out;
	}
	err = config_apply(cfg, sys, &lib_ops, dev, &restored, msg, sizeof(msg));
	if (err) {
		snprintf(what, sizeof(what), "load %s:%s (%s)", shown, msg,
			 restored ? "nothing changed: the previous configuration is restored" :
			 "restoring the previous configuration failed too: check 'migoffloadctl status'");
		rc = fail(what, err);
		goto out;
	}
	rc = 0;
out:
	free(sys);
	free(cfg);
	return rc;
}


/* Read everything first: a failure must leave @file as it was. */
static int config_save(const char *file)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int rc, err;

	rc = open_dev();
	if (rc)
		return rc;
	mem = open_memstream(&buf, &len);
	if (!mem)
		return fail("allocating", ENOMEM);
	rc = write_status(mem, true, true);
	if (fclose(mem) && !rc)
		rc = fail("allocating", ENOMEM);
	if (!rc && !strcmp(file, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
			rc = fail("writing to stdout", errno ? errno : EIO);
	} else if (!rc) {
		err = write_file_atomic(file, buf, len);
		if (err)
			rc = fail(file, err);
	}
	free(buf);
	return rc;
}

static int do_config(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", required_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'f' },
		{ "create-cgroups", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const subs[] = { "save", "load" };
	struct load_opts o = { 0 };
	bool save;
	int c, k;

	k = argc < 2 ? -1 : match_word(argv[1], subs, 2);
	if (k == BAD_OPT)
		return EXIT_USAGE;
	if (k < 0)
		return usage_error("usage: config save FILE | config load [--wait=SECONDS] [--force] [--create-cgroups] FILE (FILE '-': stdout, stdin)%s", "");
	save = k == 0;
	argc--;
	argv++;		/* parse "load ..." */
	optind = 0;	/* re-initialise getopt: options may follow the file */
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		if (save && (c == 'w' || c == 'f' || c == 'c'))
			return usage_error("save takes no %s", c == 'w' ? "--wait" :
					   c == 'f' ? "--force" : "--create-cgroups");
		switch (c) {
		case 'w':
			if (number_opt("--wait", optarg, 86400, &o.wait))
				return EXIT_USAGE;
			break;
		case 'f':
			o.flags |= CFG_FORCE;
			break;
		case 'c':
			o.create = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error(optind < argc ? "unexpected argument '%s'" :
				   "usage: config save FILE | config load [--wait=SECONDS] [--force] [--create-cgroups] FILE%s",
				   optind < argc ? argv[optind + 1] : "");
	return save ? config_save(argv[optind]) : config_load(argv[optind], &o);
}

const struct cmd cmd_config = {
	.name = "config",
	.run = do_config,
	.usage =
"  config save FILE | config load FILE  the JSON that 'status -j' prints; FILE\n"
"                                       '-': stdout, stdin; options of load:\n"
"                                       [--wait=S] [--force] [--create-cgroups]\n",
	.notes = NOTE_NUMBERS,
};

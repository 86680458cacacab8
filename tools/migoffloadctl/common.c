// SPDX-License-Identifier: GPL-2.0
/*
 * What every command uses: the device, error and usage messages, option
 * and subcommand parsing, and values several commands print.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "config.h"
#include "migoffloadctl.h"
#include "util.h"

bool json, pretty;
volatile sig_atomic_t stop;
const char *cmd_name = "";
struct migoff_ctx *dev;

void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int fail(const char *what, int err)
{
	const char *hint = "";

	err = err < 0 ? -err : err;
	switch (err) {
	case EPERM:
	case EACCES:
		hint = ": needs root (CAP_SYS_ADMIN)";
		break;
	case ENOENT:
		if (strstr(what, MIGOFF_DEVICE))
			hint = ": module migrate_offload not loaded: modprobe migrate_offload";
		else if (strstr(what, "netlink"))
			hint = ": no generic netlink family " MIGOFF_GENL_NAME
			       " (module not loaded?): modprobe migrate_offload";
		break;
	case ENODEV:
		if (strstr(what, "routing"))
			hint = ": the migrator has nothing to copy with (no DMA channels?)";
		break;
	case EPROTO:
		if (strstr(what, MIGOFF_DEVICE))
			hint = ": the kernel speaks another ABI version than this tool";
		break;
	case ERANGE:
		hint = ": see 'migoffloadctl migrator list' for the limits";
		break;
	case EBUSY:
		hint = ": another migrator owns the mm core (migoff_testmig?)";
		break;
	case ENOSPC:
		/* Not a full disk or stdout: the kernel's table of quotas. */
		if (strstr(what, "quota"))
			hint = ": too many quotas: clear one first";
		break;
	}
	fprintf(stderr, "migoffloadctl: %s%s%s: %s%s\n", cmd_name, *cmd_name ? ": " : "",
		what, strerror(err), hint);
	return 1;
}

int nl_fail(const char *what, int err)
{
	char ack[256], buf[512];

	if (dev && migoff_ext_ack(dev, ack, sizeof(ack)) > 0) {
		snprintf(buf, sizeof(buf), "%s (kernel: %s)", what, ack);
		return fail(buf, err);
	}
	return fail(what, err);
}

int usage_errorf(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "migoffloadctl: %s%s", cmd_name, *cmd_name ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'migoffloadctl --help'.\n");
	return EXIT_USAGE;
}

int usage_error(const char *fmt, const char *arg)
{
	return usage_errorf(fmt, arg);
}

int next_opt(int argc, char **argv, const char *shortopts, const struct option *opts)
{
	char spec[16];
	const char *arg;
	int c;

	opterr = 0;
	snprintf(spec, sizeof(spec), ":%s", shortopts);	/* ':' for a missing value */
	c = getopt_long(argc, argv, spec, opts, NULL);
	if (c != '?' && c != ':')
		return c;
	arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (c == ':')
		usage_errorf("option '%s' needs a value", arg);
	else if (!strncmp(arg, "--", 2) && strchr(arg, '=') && optopt)
		usage_errorf("option '%.*s' takes no value", (int)strcspn(arg, "="), arg);
	else if (!strncmp(arg, "--", 2))
		usage_errorf("unknown option '%.*s'", (int)strcspn(arg, "="), arg);
	else
		usage_errorf("unknown option '-%c'", optopt ? optopt : '?');
	return BAD_OPT;
}

int match_word(const char *word, const char *const *names, size_t n)
{
	size_t i, len = strlen(word);
	char list[256] = "";
	int k = prefix_match(word, names, n);

	if (k != -2)
		return k;
	for (i = 0; i < n; i++)
		if (!strncmp(word, names[i], len))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", names[i]);
	usage_errorf("'%s' is ambiguous: %s", word, list);
	return BAD_OPT;
}

int number_opt(const char *name, const char *s, uint64_t max, uint64_t *v)
{
	int err = parse_u64(s, v);

	if (!err && *v > max)
		err = -ERANGE;
	if (err == -ERANGE)
		return usage_errorf("%s: '%s' is out of range (at most %llu)", name, s,
				    (unsigned long long)max);
	if (err)
		return usage_errorf("%s wants a decimal number, got '%s'", name, s);
	return 0;
}

/* number_opt(), and 0 refused too: "NAME wants WHAT > 0". */
int positive_opt(const char *name, const char *what, const char *s, uint64_t max,
		 uint64_t *v)
{
	if (number_opt(name, s, max, v))
		return EXIT_USAGE;
	if (!*v)
		return usage_errorf("%s wants %s > 0, got '%s'", name, what, s);
	return 0;
}

int size_opt(const char *name, const char *s, uint64_t *v)
{
	int err = parse_size(s, v);

	if (err == -ERANGE)
		return usage_errorf("%s: '%s' is out of range", name, s);
	if (err || !*v)
		return usage_errorf("%s wants a decimal size > 0 (e.g. 64M), got '%s'", name, s);
	return 0;
}

int open_dev(void)
{
	int err;

	if (dev)
		return 0;
	err = migoff_open(&dev);
	if (err) {
		dev = NULL;
		return fail("cannot open " MIGOFF_DEVICE, err);
	}
	return 0;
}

int get_auto_reasons(uint64_t *mask)
{
	int err = migoff_get_auto_reasons(dev, mask);

	return err == -EOPNOTSUPP ? 0 : err;
}

const char *cgroup_path(uint64_t id, char *buf, size_t len)
{
	return cgroup_path_of_id(CFG_CGROUP_ROOT, id, buf, len) ? NULL : buf;
}

void print_reasons(enum print_type t, const char *key, const char *fmt, uint64_t mask)
{
	char buf[256];
	unsigned int r;
	size_t n = 0;

	if (print_json()) {
		if (!(t & PRINT_JSON))
			return;
		print_arr_open(key);
		for (r = 0; r < MIGOFF_REASON_COUNT; r++)
			if (mask & MIGOFF_REASON_BIT(r))
				print_string(PRINT_JSON, NULL, NULL, migoff_reason_name(r));
		print_arr_close();
		return;
	}
	buf[0] = '\0';
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (mask & MIGOFF_REASON_BIT(r))
			n += snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s",
				      n ? "," : "", migoff_reason_name(r));
	print_string(t, NULL, fmt, n ? buf : NULL);
}

void print_latency(enum print_type t, const char *key, const char *fmt, uint32_t us)
{
	char buf[32];

	print_u64(t & PRINT_JSON, key, NULL, us);
	if (us)
		snprintf(buf, sizeof(buf), "%u us", us);
	else
		snprintf(buf, sizeof(buf), "off");
	print_string(t & PRINT_FP, NULL, fmt, buf);
}

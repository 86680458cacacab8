/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What migoffloadctl's command files share: the commands, the device,
 * error and usage messages, option parsing, and the printing of values
 * several commands show (reasons, latency targets, quotas).
 */
#ifndef MIGOFFLOADCTL_H
#define MIGOFFLOADCTL_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "migoffload.h"
#include "print.h"

#define EXIT_USAGE 2
#define BAD_OPT (-2)		/* next_opt(): a usage error, already reported */

/* The notes of the usage a command's lines refer to (struct cmd.notes). */
#define NOTE_NUMBERS	(1U << 0)	/* decimal numbers, sizes, TIME */
#define NOTE_REASONS	(1U << 1)	/* LIST of reasons */
#define NOTE_EVENTS	(1U << 2)	/* EVENTS of monitor */

/*
 * A command: its name (or an unambiguous prefix of it) on the command
 * line, what runs it (argv[0] is the command; every option and argument
 * is parsed before the device is opened; 0, 1 or EXIT_USAGE), and its
 * lines of the usage, which its --help prints too.
 */
struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
	unsigned int notes;
};

extern const struct cmd cmd_status, cmd_enable, cmd_disable, cmd_migrator, cmd_batch,
	cmd_stats, cmd_monitor, cmd_config, cmd_quota;

extern bool json, pretty;		/* -j, -p */
extern volatile sig_atomic_t stop;	/* SIGINT or SIGTERM seen */
extern const char *cmd_name;		/* for messages: "" before the command */
extern struct migoff_ctx *dev;		/* opened by open_dev(), after parsing */

void on_signal(int sig);

/* An error: what failed, the errno text and the fix. 1. */
int fail(const char *what, int err);
/* fail() with the kernel's extended ACK message, if it sent one. 1. */
int nl_fail(const char *what, int err);
/* A usage error, then "Try 'migoffloadctl --help'". EXIT_USAGE. */
int usage_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_error(const char *fmt, const char *arg);
/*
 * getopt_long() for a command's arguments (argv[0] is the command), with
 * the messages in migoffloadctl's own words. BAD_OPT after a usage error.
 */
int next_opt(int argc, char **argv, const char *shortopts, const struct option *opts);
/*
 * prefix_match() (util.h) for a command or subcommand: the index, -1 if
 * none, BAD_OPT after a usage error naming the candidates if there are
 * several.
 */
int match_word(const char *word, const char *const *names, size_t n);
/* A decimal option up to @max, or a size > 0 (K, M, G): 0 or EXIT_USAGE. */
int number_opt(const char *name, const char *s, uint64_t max, uint64_t *v);
int positive_opt(const char *name, const char *what, const char *s, uint64_t max,
		 uint64_t *v);
int size_opt(const char *name, const char *s, uint64_t *v);
/* Open the device (once): 0, or 1 after the message. */
int open_dev(void);

/* The reasons routed automatically: none on a kernel without MIGOFF_FEAT_AUTO. */
int get_auto_reasons(uint64_t *mask);

/* Reasons: a JSON array of names; text: @fmt with "a,b,c" ("-": none). */
void print_reasons(enum print_type t, const char *key, const char *fmt, uint64_t mask);
/* A latency target: JSON microseconds; text: @fmt with "2000 us" or "off". */
void print_latency(enum print_type t, const char *key, const char *fmt, uint32_t us);

/*
 * The cgroup of id @id as config save and quota set name it, relative to
 * /sys/fs/cgroup, in @buf; NULL if no cgroup there has that id (removed).
 */
const char *cgroup_path(uint64_t id, char *buf, size_t len);

/*
 * The JSON objects several commands print, each the same wherever it
 * appears (doc/migoffloadctl.schema.json has them, one definition each).
 */
/* status.c: the configuration; config save writes it as JSON. */
int write_status(FILE *f, bool as_json, bool pp);
/*
 * migrator.c: a migrator, as a row of 'migrator list' or (@summary) an
 * item of the "migrators:" line of status; the same JSON object either way.
 */
void print_migrator(const struct migoff_migrator *m, bool summary);
/*
 * quota.c: a quota and its counters, as a row of 'quota show' or (@stats)
 * of the cgroup table of stats; the same JSON object either way.
 */
void print_quota(const struct migoff_quota *q, bool stats);

#endif

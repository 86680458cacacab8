// SPDX-License-Identifier: LGPL-2.1-or-later
/* Names of reasons, fallbacks, events and kinds, and the fallback sum; pure functions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "migoffload.h"

/* The kernel's trace names (include/trace/events/migrate.h). */
static const char * const reason_names[MIGOFF_REASON_COUNT] =
	MIGOFF_REASON_NAMES_INIT;

static const char * const fallback_names[MIGOFF_FALLBACK_COUNT] = {
	[MIGOFF_FALLBACK_ERROR] = "error",
	[MIGOFF_FALLBACK_TIMEOUT] = "timeout",
	[MIGOFF_FALLBACK_QUOTA] = "quota",
	[MIGOFF_FALLBACK_TOO_SMALL] = "too_small",
	[MIGOFF_FALLBACK_AUTO] = "auto",
	[MIGOFF_FALLBACK_BUSY] = "busy",
};

static const char * const event_names[] = {
	[MIGOFF_EVENT_ENABLE] = "enable",
	[MIGOFF_EVENT_DISABLE] = "disable",
	[MIGOFF_EVENT_BATCH] = "batch",
	[MIGOFF_EVENT_PARAM] = "param",
	[MIGOFF_EVENT_STATS_RESET] = "stats_reset",
	[MIGOFF_EVENT_FALLBACK] = "fallback",
	[MIGOFF_EVENT_QUOTA] = "quota",
};

static const char * const kind_names[] = {
	[MIGOFF_KIND_CPU] = "cpu",
	[MIGOFF_KIND_THREADS] = "threads",
	[MIGOFF_KIND_DMA] = "dma",
};

#define NAME_OF(table, i) \
	((i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : \
	 (errno = EINVAL, (const char *)NULL))

const char *migoff_reason_name(unsigned int reason)
{
	return NAME_OF(reason_names, reason);
}

const char *migoff_fallback_name(unsigned int fallback)
{
	return NAME_OF(fallback_names, fallback);
}

const char *migoff_event_name(uint32_t type)
{
	return NAME_OF(event_names, type);
}

const char *migoff_kind_name(uint32_t kind)
{
	return NAME_OF(kind_names, kind);
}

/*
 * Folios of @c that fell back to the CPU, whatever the cause: every slot of
 * fallback[], causes newer than this library included (the kernel zeroes
 * the slots it does not use).
 */
uint64_t migoff_counters_fallbacks(const struct migoff_counters *c)
{
	uint64_t n = 0;
	size_t i;

	if (!c) {
		errno = EINVAL;
		return 0;
	}
	for (i = 0; i < sizeof(c->fallback) / sizeof(c->fallback[0]); i++)
		n += c->fallback[i];
	return n;
}

/* "demotion" -> MIGOFF_REASON_DEMOTION; "syscall" is short for the syscall one. */
int migoff_reason_parse(const char *name)
{
	unsigned int r;

	if (!name) {
		errno = EINVAL;
		return -EINVAL;
	}
	for (r = 0; r < MIGOFF_REASON_COUNT; r++)
		if (!strcmp(name, reason_names[r]))
			return r;
	if (!strcmp(name, "syscall"))
		return MIGOFF_REASON_SYSCALL;
	errno = EINVAL;
	return -EINVAL;
}

/* "demotion,compaction" or "all" -> mask. */
int migoff_reasons_parse(const char *list, uint64_t *mask)
{
	char *copy, *tok, *save = NULL;
	uint64_t m = 0;
	int r, err = 0;

	if (!list || !mask || !*list) {
		errno = EINVAL;
		return -EINVAL;
	}
	if (!strcmp(list, "all")) {
		*mask = MIGOFF_REASONS_ALL;
		return 0;
	}
	copy = strdup(list);
	if (!copy) {
		errno = ENOMEM;
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		r = migoff_reason_parse(tok);
		if (r < 0) {
			err = -EINVAL;
			break;
		}
		m |= MIGOFF_REASON_BIT(r);
	}
	free(copy);
	if (err || !m) {
		errno = EINVAL;
		return -EINVAL;
	}
	*mask = m;
	return 0;
}

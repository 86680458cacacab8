// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int digits(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (*p - '0')) / 10)
			return -ERANGE;
		x = x * 10 + (*p - '0');
	}
	*s = p;
	*v = x;
	return 0;
}

int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x;
	int err;

	if (!s)
		return -EINVAL;
	err = digits(&s, &x);
	if (err)
		return err;
	if (*s)
		return -EINVAL;
	*v = x;
	return 0;
}

int parse_size(const char *s, uint64_t *v)
{
	unsigned int shift = 0;
	uint64_t x;
	int err;

	if (!s)
		return -EINVAL;
	err = digits(&s, &x);
	if (err)
		return err;
	switch (*s) {
	case 'K': case 'k': shift = 10; s++; break;
	case 'M': case 'm': shift = 20; s++; break;
	case 'G': case 'g': shift = 30; s++; break;
	}
	if (*s)
		return -EINVAL;
	if (x > (UINT64_MAX >> shift))
		return -ERANGE;
	*v = x << shift;
	return 0;
}

int parse_time_us(const char *s, uint64_t *us)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = { { "", 1 }, { "us", 1 }, { "ms", 1000 }, { "s", 1000000 } };
	unsigned int i;
	uint64_t x;
	int err;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "off")) {
		*us = 0;
		return 0;
	}
	err = digits(&s, &x);
	if (err)
		return err;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].unit))
			continue;
		if (x > UINT64_MAX / units[i].mult)
			return -ERANGE;
		*us = x * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int sample_add(struct sample *s, const struct migoff_stats_entry *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		struct migoff_stats_entry *t = realloc(s->e, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		s->e = t;
		s->cap = cap;
	}
	s->e[s->n++] = *e;
	return 0;
}

void sample_clear(struct sample *s)
{
	s->n = 0;
}

void sample_free(struct sample *s)
{
	free(s->e);
	memset(s, 0, sizeof(*s));
}

const struct migoff_stats_entry *sample_find(const struct sample *s,
					     const struct migoff_stats_entry *e)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct migoff_stats_entry *p = &s->e[i];

		if (p->scope != e->scope)
			continue;
		if (e->scope == MIGOFF_STATS_CGROUP ? p->quota.cgroup_id == e->quota.cgroup_id :
		    p->index == e->index && !strcmp(p->name, e->name) &&
		    (e->scope != MIGOFF_STATS_AUTO ||
		     p->auto_class.min_pages == e->auto_class.min_pages))
			return p;
	}
	return NULL;
}

uint64_t counter_delta(uint64_t cur, uint64_t prev)
{
	return cur >= prev ? cur - prev : cur;
}

double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) / 1e9;
}

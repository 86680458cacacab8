/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats --format=openmetrics|prometheus: the statistics dump as metrics.
 * OpenMetrics 1.0 text (counter families named without _total, their
 * samples with it, "# EOF" last), or the Prometheus 0.0.4 text format that
 * prometheus-node-exporter's textfile collector reads (it does not read
 * OpenMetrics: the family of a counter is named like its samples there).
 */
#ifndef MIGOFFLOADCTL_METRICS_H
#define MIGOFFLOADCTL_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "migoffload.h"

enum metrics_format {
	METRICS_OPENMETRICS,
	METRICS_PROMETHEUS,
};

/* "openmetrics" or "prometheus": 0 and *@fmt, or -EINVAL. */
int metrics_format_parse(const char *s, enum metrics_format *fmt);
/* Write the @n entries of a dump (any order) to @f: 0, or -EIO. */
int metrics_write(FILE *f, const struct migoff_stats_entry *e, size_t n,
		  enum metrics_format fmt);

#endif

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The check of the host unit tests: a failed CHECK() prints where and what,
 * and counts; a test's main() returns failures != 0.
 */
#ifndef MIGOFF_TEST_CHECK_H
#define MIGOFF_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#endif

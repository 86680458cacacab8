// SPDX-License-Identifier: GPL-2.0
/*
 * The "cpu" migrator: the batch copied by the migrating CPU with
 * folio_mc_copy(), folio after folio. The reference every other migrator
 * is measured against, and the one batches go to when none is named.
 */
#include <linux/migrate.h>
#include <linux/module.h>

#include "migoff_core.h"

static int migoff_cpu_copy(struct migoff_engine *e, struct list_head *dst,
			   struct list_head *src, unsigned int nr,
			   struct migoff_copy_info *ci)
{
	return migrate_folios_mc_copy(dst, src, nr);
}

struct migoff_engine migoff_cpu_engine = {
	.name = "cpu",
	.kind = MIGOFF_KIND_CPU,
	.owner = THIS_MODULE,
	.copy = migoff_cpu_copy,
};

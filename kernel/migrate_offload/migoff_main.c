// SPDX-License-Identifier: GPL-2.0
/*
 * migrate_offload.ko module init and exit: the layers of migoff_core.c's
 * comment brought up from the bottom (the core, with the CPU migrator),
 * then the front ends (netlink before the device, so that the first
 * ioctl's event has a receiver), and taken down in the reverse order.
 */
#include <linux/init.h>
#include <linux/module.h>

#include "migoff_core.h"

static int __init migoff_init(void)
{
	int ret;

	ret = migoff_core_init();
	if (ret)
		return ret;
	ret = migoff_nl_init();
	if (ret)
		goto err_core;
	ret = migoff_chardev_init();
	if (ret)
		goto err_nl;
	return 0;
err_nl:
	migoff_nl_exit();
err_core:
	migoff_core_exit();
	return ret;
}

static void __exit migoff_exit(void)
{
	migoff_chardev_exit();
	migoff_nl_exit();
	migoff_core_exit();
}

module_init(migoff_init);
module_exit(migoff_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Page migration copy offload engine (/dev/migrate_offload)");

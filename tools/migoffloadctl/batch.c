// SPDX-License-Identifier: GPL-2.0
/* batch [show], batch set: the batch caps and the first-folio latency target. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "migoffloadctl.h"
#include "util.h"

/* The caps, the latency target and the cap batches have now. */
static int batch_show(void)
{
	struct migoff_batch b = { .size = sizeof(b) };
	struct migoff_info info = { .size = sizeof(info) };
	int err;

	if (open_dev())
		return 1;
	err = migoff_get_info(dev, &info);
	if (!err)
		err = migoff_get_batch_caps(dev, &b);
	if (err)
		return fail("reading the batch caps", err);
	print_begin(stdout, json, pretty);
	print_obj_open(NULL);
	print_u64(PRINT_ANY, "max_pages", "max_pages        %llu", b.max_pages);
	if (b.max_pages == 512)
		print_fp(" (default)");
	print_nl();
	print_u64(PRINT_ANY, "min_folios", "min_folios       %llu\n", b.min_folios);
	if (info.features & MIGOFF_FEAT_LATENCY) {
		print_latency(PRINT_ANY, "latency_us", "latency          %s\n", b.latency_us);
		print_u64(PRINT_ANY, "effective_pages", "effective_pages  %llu\n",
			  b.effective_pages);
	} else {
		/* The same keys, null: this kernel has no latency target. */
		print_null(PRINT_ANY, "latency_us",
			   "latency          - (not supported by this kernel)\n");
		print_null(PRINT_ANY, "effective_pages", "effective_pages  -\n");
	}
	print_obj_close();
	return print_end() ? fail("writing", EIO) : 0;
}

/* --latency=TIME: microseconds up to MIGOFF_MAX_LATENCY_US, or a usage error. */
static int latency_opt(const char *s, uint64_t *us)
{
	int err = parse_time_us(s, us);

	if (!err && *us > MIGOFF_MAX_LATENCY_US)
		err = -ERANGE;
	if (err == -ERANGE)
		return usage_errorf("--latency: '%s' is out of range (at most %us)", s,
				    MIGOFF_MAX_LATENCY_US / 1000000);
	if (err)
		return usage_errorf("--latency wants a time like 500us, 2ms or 1s (a plain number is microseconds; 0 or off: none), got '%s'",
				    s);
	return 0;
}

static int batch_set(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-pages", required_argument, NULL, 'M' },
		{ "min-folios", required_argument, NULL, 'm' },
		{ "latency", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t max = 0, min = 0, latency = 0;
	struct migoff_batch b = { .size = sizeof(b) };
	int c, err;

	optind = 0;	/* re-initialise getopt */
	while ((c = next_opt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'M':
			if (number_opt("--max-pages", optarg, UINT32_MAX, &max))
				return EXIT_USAGE;
			b.flags |= MIGOFF_BATCH_SET_MAX_PAGES;
			break;
		case 'm':
			if (number_opt("--min-folios", optarg, UINT32_MAX, &min))
				return EXIT_USAGE;
			b.flags |= MIGOFF_BATCH_SET_MIN_FOLIOS;
			break;
		case 'l':
			if (latency_opt(optarg, &latency))
				return EXIT_USAGE;
			b.flags |= MIGOFF_BATCH_SET_LATENCY;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!b.flags)
		return usage_error("set needs --max-pages, --min-folios and/or --latency%s", "");
	if (open_dev())
		return 1;
	b.max_pages = max;
	b.min_folios = min;
	b.latency_us = latency;
	/* One call: all the caps named change, or none. */
	err = migoff_set_batch_caps(dev, &b);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "migoffloadctl: batch: --latency: this kernel's migrate_offload has no latency target (no MIGOFF_FEAT_LATENCY): update the module; nothing changed\n");
		return 1;
	}
	return err ? fail("setting the batch caps", err) : 0;
}

static int do_batch(int argc, char **argv)
{
	static const char *const subs[] = { "show", "set" };

	if (argc == 1)
		return batch_show();
	switch (match_word(argv[1], subs, 2)) {
	case 0:
		if (argc > 2)
			return usage_error("unexpected argument '%s'", argv[2]);
		return batch_show();
	case 1:
		return batch_set(argc - 1, argv + 1);	/* parse "set ..." */
	case BAD_OPT:
		return EXIT_USAGE;
	}
	return usage_error("unknown subcommand '%s' (show or set)", argv[1]);
}

const struct cmd cmd_batch = {
	.name = "batch",
	.run = do_batch,
	.usage =
"  batch [show]                         batch caps, latency target, effective cap\n"
"  batch set [--max-pages=N] [--min-folios=M] [--latency=TIME]  batch caps (0:\n"
"                                       kernel default); first-folio latency\n"
"                                       target (0 or off: none)\n",
	.notes = NOTE_NUMBERS,
};

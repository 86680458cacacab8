#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Statistics of interleaved move_bench runs (python3 standard library only).

    stats.py compare RAW [--ref=vanilla] [--control=vanilla-aa] [--latency]
                         [--resamples=2000] [--seed=1] [--title=TEXT]
    stats.py ratios RAW [--ref=vanilla] [--control=vanilla-aa] [--sizes=4K,...]
    stats.py dat RAW

RAW holds the lines of `move_bench --config=...`, one per move:

    label size round node seconds GBps first_folio_us

Every configuration moved the same buffer to node 1 and back once per round
(round 0 is a warm-up and is ignored). Per round, a configuration's time is
the sum of its moves' seconds; its ratio to the reference configuration A of
the same round is A's time over its own time, i.e. its throughput over A's
(> 1: faster than A). Each cell reports the median of these per-round
ratios and a 95% percentile bootstrap interval of that median (the rounds
resampled with replacement, --resamples times, from a generator seeded with
--seed, so the output is deterministic). A cell "wins" when the interval
lies above 1.0, "loses" when it lies below, and is "within noise" otherwise.
The control (A again, interleaved like any configuration) gives the noise
floor of the run: its interval should contain 1.0.

`compare` prints that table; `ratios` prints only the median ratios by size
(for the deterministic icount runs, where the interval is a point); `dat`
prints "label size_KiB median_GBps median_first_us ratio lo hi" lines for
gnuplot (nan where there is no interval).
"""
import argparse
import math
import random
import statistics
import sys

MIN_ROUNDS = 5  # fewer paired rounds than this get no verdict


def size_kib(size):
    """'4K' -> 4, '2048K' -> 2048, '2M' -> 2048."""
    mult = {"K": 1, "M": 1024, "G": 1024 * 1024}
    return int(size[:-1]) * mult[size[-1].upper()]


def size_name(size):
    kib = size_kib(size)
    return "%dM" % (kib // 1024) if kib >= 1024 and kib % 1024 == 0 else "%dK" % kib


def parse(lines):
    """Raw move lines -> {(label, size): {round: [(seconds, bytes, first_us), ...]}}.

    Sizes are normalised ('2048K' and '2M' are one size). Lines that are not
    seven fields of a move (blank, comments) are skipped."""
    data = {}
    for line in lines:
        f = line.split()
        if len(f) != 7 or f[0].startswith("#"):
            continue
        label, size, rnd, _node, secs, gbps, first = f
        secs, gbps = float(secs), float(gbps)
        key = (label, size_name(size))
        data.setdefault(key, {}).setdefault(int(rnd), []).append(
            (secs, gbps * 1e9 * secs, float(first)))
    return data


def labels_and_sizes(data):
    labels, sizes = [], []
    for label, size in data:  # dicts keep the order of the raw lines
        if label not in labels:
            labels.append(label)
        if size not in sizes:
            sizes.append(size)
    return labels, sorted(sizes, key=size_kib)


def round_ratios(data, ref, label, size):
    """Per-round throughput ratios label/ref, rounds >= 1 where both moved
    the same number of times (a run cut short leaves an incomplete round)."""
    a, b = data.get((ref, size), {}), data.get((label, size), {})
    out = []
    for rnd in sorted(set(a) & set(b)):
        if rnd < 1 or len(a[rnd]) != len(b[rnd]):
            continue
        ta = sum(m[0] for m in a[rnd])
        tb = sum(m[0] for m in b[rnd])
        if ta > 0 and tb > 0:
            out.append(ta / tb)
    return out


def median_gbps(data, label, size):
    """Median over rounds >= 1 of the round's throughput (bytes / seconds)."""
    rounds = data.get((label, size), {})
    v = [sum(m[1] for m in ms) / sum(m[0] for m in ms) / 1e9
         for r, ms in rounds.items() if r >= 1 and sum(m[0] for m in ms) > 0]
    return statistics.median(v) if v else math.nan


def median_first_us(data, label, size):
    v = [m[2] for r, ms in data.get((label, size), {}).items() if r >= 1 for m in ms]
    return statistics.median(v) if v else math.nan


def bootstrap_ci(xs, resamples=2000, seed=1, level=0.95):
    """Percentile bootstrap interval of the median of xs: (lo, hi)."""
    if len(xs) < 2:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    n = len(xs)
    meds = sorted(statistics.median(rng.choices(xs, k=n)) for _ in range(resamples))
    tail = (1 - level) / 2
    return (quantile(meds, tail), quantile(meds, 1 - tail))


def quantile(sorted_xs, q):
    """Linear interpolation between order statistics (q in [0, 1])."""
    pos = q * (len(sorted_xs) - 1)
    i = math.floor(pos)
    j = min(i + 1, len(sorted_xs) - 1)
    return sorted_xs[i] + (sorted_xs[j] - sorted_xs[i]) * (pos - i)


def verdict(lo, hi, n):
    if n < MIN_ROUNDS or math.isnan(lo):
        return "too few rounds"
    if lo > 1.0:
        return "wins"
    if hi < 1.0:
        return "loses"
    return "within noise"


def cell(data, ref, label, size, resamples, seed):
    """(n, median ratio, lo, hi, verdict) of label against ref at size."""
    r = round_ratios(data, ref, label, size)
    if not r:
        return (0, math.nan, math.nan, math.nan, "no data")
    lo, hi = bootstrap_ci(r, resamples, seed)
    return (len(r), statistics.median(r), lo, hi, verdict(lo, hi, len(r)))


def fmt_ci(lo, hi):
    return "[%.3f, %.3f]" % (lo, hi) if not math.isnan(lo) else "-"


def compare(data, ref, control, resamples, seed, latency, title, out):
    labels, sizes = labels_and_sizes(data)
    if title:
        print("== " + title, file=out)
    print("   ratio = throughput / throughput of %s in the same round (>1: faster);" % ref,
          file=out)
    print("   median of the per-round ratios, 95%% bootstrap interval (%d resamples, seed %d);"
          % (resamples, seed), file=out)
    print("   wins / loses only where the interval excludes 1.0, else within noise", file=out)
    if control in labels:
        print("noise floor, A/A control (%s / %s):" % (control, ref), file=out)
        for s in sizes:
            n, med, lo, hi, _ = cell(data, ref, control, s, resamples, seed)
            if n:
                note = "" if math.isnan(lo) or lo <= 1.0 <= hi else \
                    "  (excludes 1.0: chance, or drift within the rounds; verdicts of this size need care)"
                print("  %-6s %.3fx %-18s %2d rounds%s" % (s, med, fmt_ci(lo, hi), n, note),
                      file=out)
    hdr = "%-14s %-6s %8s %8s  %-18s %6s  %-14s" % (
        "config", "size", "GB/s", "ratio", "95% interval", "rounds", "verdict")
    width = len(hdr)
    if latency:
        hdr += " %16s" % "first-folio us"
    print(hdr.rstrip(), file=out)
    print("-" * len(hdr), file=out)
    for label in labels:
        for s in sizes:
            if (label, s) not in data:
                continue
            gb = median_gbps(data, label, s)
            if label == ref:
                row = "%-14s %-6s %8.3f %8s  %-18s %6s  %s" % (
                    label, s, gb, "1", "(reference)", "", "")
            else:
                n, med, lo, hi, v = cell(data, ref, label, s, resamples, seed)
                if label == control:
                    v = "A/A control"
                row = "%-14s %-6s %8.3f %7.3fx  %-18s %6d  %s" % (
                    label, s, gb, med, fmt_ci(lo, hi), n, v)
            if latency:
                row = "%s %16.0f" % (row.ljust(width), median_first_us(data, label, s))
            print(row.rstrip(), file=out)


def ratios(data, ref, control, out):
    labels, sizes = labels_and_sizes(data)
    print("%-20s" % "config" + "".join(" | %-8s" % s for s in sizes), file=out)
    print("-" * 20 + "-+---------" * len(sizes), file=out)
    for label in labels:
        row = "%-20s" % (label + (" (A/A)" if label == control else ""))
        for s in sizes:
            if label == ref:
                v = "1" if (label, s) in data else "-"
            else:
                r = round_ratios(data, ref, label, s)
                v = "%.3fx" % statistics.median(r) if r else "-"
            row += " | %-8s" % v
        print(row.rstrip(), file=out)


def dat(data, ref, resamples, seed, out):
    labels, sizes = labels_and_sizes(data)
    for label in labels:
        for s in sizes:
            if (label, s) not in data:
                continue
            if label == ref:
                med, lo, hi = 1.0, 1.0, 1.0
            else:
                _, med, lo, hi, _ = cell(data, ref, label, s, resamples, seed)
            print(label, size_kib(s), "%.4f" % median_gbps(data, label, s),
                  "%.0f" % median_first_us(data, label, s),
                  "%.4f %.4f %.4f" % (med, lo, hi), file=out)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("compare", "ratios", "dat"))
    ap.add_argument("raw")
    ap.add_argument("--ref", default="vanilla")
    ap.add_argument("--control", default="vanilla-aa")
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--latency", action="store_true")
    ap.add_argument("--title", default="")
    a = ap.parse_args(argv)
    with open(a.raw) as f:
        data = parse(f)
    if a.mode == "compare":
        compare(data, a.ref, a.control, a.resamples, a.seed, a.latency, a.title, sys.stdout)
    elif a.mode == "ratios":
        ratios(data, a.ref, a.control, sys.stdout)
    else:
        dat(data, a.ref, a.resamples, a.seed, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

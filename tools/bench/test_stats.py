#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host tests of tools/bench/stats.py on synthetic data, and of the
argument checks of tools/bench/bench-in-vm (make unit).

    python3 tools/bench/test_stats.py
"""
import io
import math
import os
import random
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stats  # noqa: E402


def exact_median_quantile_rank(n, q):
    """The bootstrap distribution of the median of n distinct values (n odd)
    is known exactly: the resampled median is <= the k-th smallest value iff
    at least (n + 1) / 2 of the n draws are, each with probability k / n.
    Returns the rank k (1-based) of its q-quantile: the smallest k whose
    cumulative probability reaches q."""
    m = (n + 1) // 2
    for k in range(1, n + 1):
        p = k / n
        cdf = sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(m, n + 1))
        if cdf >= q:
            return k, cdf
    return n, 1.0


def raw_lines(rounds, configs, sizes=("4K", "2048K"), seed=7, noise=0.03,
              drift=0.0, total=64 << 20):
    """move_bench --config lines. configs: [(label, speed factor)]. Every round
    has a common slowdown (drift) shared by all configurations of the round,
    as a noisy VM would; each move gets its own multiplicative noise."""
    rng = random.Random(seed)
    out = []
    for size in sizes:
        for r in range(rounds + 1):
            slow = 1 + drift * rng.random()
            k = len(configs)
            for i in range(k):
                label, speed = configs[(r + i) % k]
                for node in (1, 0):
                    secs = 0.5 * slow / speed * (1 + noise * rng.gauss(0, 1))
                    out.append("%s %s %d %d %.6f %.4f 0" % (
                        label, size, r, node, secs, total / secs / 1e9))
    return out


class BootstrapInterval(unittest.TestCase):
    def check_exact(self, n, level, seeds=(1, 2, 3)):
        xs = [1 + 0.01 * i for i in range(1, n + 1)]  # distinct, spread
        random.Random(0).shuffle(xs)
        srt = sorted(xs)
        klo, _ = exact_median_quantile_rank(n, (1 - level) / 2)
        khi, _ = exact_median_quantile_rank(n, 1 - (1 - level) / 2)
        for seed in seeds:
            lo, hi = stats.bootstrap_ci(xs, resamples=2000, seed=seed, level=level)
            self.assertAlmostEqual(lo, srt[klo - 1], places=9,
                                   msg="n=%d level=%.2f seed=%d" % (n, level, seed))
            self.assertAlmostEqual(hi, srt[khi - 1], places=9,
                                   msg="n=%d level=%.2f seed=%d" % (n, level, seed))

    def test_matches_exact_distribution_21_rounds_95(self):
        # Ranks 7 and 15 of 21: far from the data's own 2.5%/97.5% points
        # (ranks 1 and 21) and from a mean +- 1.96 SE interval (8.4 to 13.6).
        self.check_exact(21, 0.95)
        k, _ = exact_median_quantile_rank(21, 0.025)
        self.assertEqual(k, 7)

    def test_matches_exact_distribution_15_rounds_90(self):
        self.check_exact(15, 0.90)

    def test_deterministic(self):
        xs = [random.Random(3).uniform(0.9, 1.1) for _ in range(15)]
        self.assertEqual(stats.bootstrap_ci(xs, 2000, 1), stats.bootstrap_ci(xs, 2000, 1))

    def test_interval_contains_median(self):
        rng = random.Random(11)
        for _ in range(20):
            xs = [rng.lognormvariate(0, 0.2) for _ in range(15)]
            lo, hi = stats.bootstrap_ci(xs)
            self.assertLessEqual(lo, stats.statistics.median(xs))
            self.assertGreaterEqual(hi, stats.statistics.median(xs))

    def test_too_few(self):
        lo, hi = stats.bootstrap_ci([1.2])
        self.assertTrue(math.isnan(lo) and math.isnan(hi))


class Verdicts(unittest.TestCase):
    def verdict_of(self, xs):
        lo, hi = stats.bootstrap_ci(xs)
        return stats.verdict(lo, hi, len(xs))

    def test_clear_win(self):
        self.assertEqual(self.verdict_of([1.05 + 0.01 * i for i in range(15)]), "wins")

    def test_clear_loss(self):
        self.assertEqual(self.verdict_of([0.80 + 0.01 * i for i in range(15)]), "loses")

    def test_straddling_one_is_noise(self):
        self.assertEqual(self.verdict_of([0.93 + 0.01 * i for i in range(15)]), "within noise")

    def test_majority_above_one_is_not_a_win(self):
        # Median 1.02 and two thirds of the rounds above 1.0, but the
        # resampled median falls to 0.98 with probability ~9%: no claim.
        xs = [0.98] * 5 + [1.02] * 10
        self.assertEqual(statistics_median(xs), 1.02)
        self.assertEqual(self.verdict_of(xs), "within noise")

    def test_few_rounds_get_no_verdict(self):
        self.assertEqual(self.verdict_of([1.5, 1.6, 1.7, 1.55]), "too few rounds")

    def test_interval_touching_one_is_noise(self):
        self.assertEqual(stats.verdict(1.0, 1.2, 15), "within noise")
        self.assertEqual(stats.verdict(0.8, 1.0, 15), "within noise")


def statistics_median(xs):
    return stats.statistics.median(xs)


class Pairing(unittest.TestCase):
    def test_ratio_per_round_cancels_drift(self):
        # The whole VM slows down by up to 3x from round to round; B is 1.1x
        # A in every round. Per-round ratios see exactly 1.1; comparing the
        # medians of A and B alone would be lost in the drift.
        lines = raw_lines(15, [("vanilla", 1.0), ("b", 1.1)], noise=0.0, drift=2.0)
        data = stats.parse(lines)
        r = stats.round_ratios(data, "vanilla", "b", "2M")
        self.assertEqual(len(r), 15)
        for x in r:
            self.assertAlmostEqual(x, 1.1, places=4)
        n, med, lo, hi, v = stats.cell(data, "vanilla", "b", "2M", 2000, 1)
        self.assertEqual(v, "wins")
        self.assertGreater(lo, 1.09)

    def test_warmup_and_incomplete_rounds_are_ignored(self):
        lines = raw_lines(6, [("vanilla", 1.0), ("b", 2.0)], sizes=("4K",), noise=0.0)
        # Round 0 is a warm-up: make b look 100x slower there.
        lines = [l if not l.startswith("b 4K 0 ") else
                 "b 4K 0 %s 50.0 0.0013 0" % l.split()[3] for l in lines]
        # A run cut short: round 7 has both of vanilla's moves, one of b's.
        lines += ["vanilla 4K 7 1 0.5 0.13 0", "vanilla 4K 7 0 0.5 0.13 0",
                  "b 4K 7 1 0.01 6.7 0"]
        r = stats.round_ratios(stats.parse(lines), "vanilla", "b", "4K")
        self.assertEqual(len(r), 6)
        self.assertTrue(all(abs(x - 2.0) < 1e-4 for x in r))

    def test_sizes_normalised(self):
        self.assertEqual(stats.size_name("2048K"), "2M")
        self.assertEqual(stats.size_name("2M"), "2M")
        self.assertEqual(stats.size_name("256K"), "256K")
        self.assertEqual(stats.size_kib("1M"), 1024)


class Report(unittest.TestCase):
    def test_compare_table(self):
        lines = raw_lines(15, [("vanilla", 1.0), ("vanilla-aa", 1.0), ("cpu", 1.0),
                               ("mtcopy-2", 1.5), ("dcbm-2", 0.6)], drift=0.5)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        try:
            out = io.StringIO()
            old, sys.stdout = sys.stdout, out
            try:
                stats.main(["compare", f.name, "--title=t"])
            finally:
                sys.stdout = old
        finally:
            os.unlink(f.name)
        rows = {tuple(l.split()[:2]): l for l in out.getvalue().splitlines()
                if l.split()[:1] and l.split()[0] in ("cpu", "mtcopy-2", "dcbm-2", "vanilla-aa")}
        for size in ("4K", "2M"):
            self.assertTrue(rows[("mtcopy-2", size)].endswith("wins"))
            self.assertTrue(rows[("dcbm-2", size)].endswith("loses"))
            self.assertTrue(rows[("cpu", size)].endswith("within noise"))
            self.assertTrue(rows[("vanilla-aa", size)].endswith("A/A control"))
        self.assertIn("noise floor, A/A control (vanilla-aa / vanilla):", out.getvalue())



class BenchInVmPhases(unittest.TestCase):
    """BENCH_PHASES reaches bench-in-vm through a kernel command line, which
    cannot carry a space: phases are separated by commas too, and a word that
    names no phase stops the run before anything is loaded."""

    def run_phases(self, phases):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-in-vm")
        with tempfile.TemporaryDirectory() as out:
            env = dict(os.environ, MIGOFF_OUT=out, BENCH_PHASES=phases)
            return subprocess.run(["sh", script, "/nonexistent", "bench", "64", "1", "ctl"],
                                  env=env, capture_output=True, text=True, timeout=30)

    def test_unknown_phase_is_an_error(self):
        r = self.run_phases("sizes bogus")
        self.assertEqual(2, r.returncode)
        self.assertIn("unknown phase 'bogus'", r.stderr)

    def test_commas_separate_phases(self):
        # "sizes" is accepted on its own: only "bogus" is named.
        r = self.run_phases("sizes,bogus")
        self.assertEqual(2, r.returncode)
        self.assertIn("unknown phase 'bogus'", r.stderr)
        self.assertNotIn("sizes,bogus", r.stderr)

if __name__ == "__main__":
    unittest.main()

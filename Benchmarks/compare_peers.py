#!/usr/bin/env python3
"""Side-by-side speed comparison of Ballast with its Python peers, in one run.

Runs the same workloads on the same data in Ballast (the release-built
`ballast-peer-bench` executable, timed in-process) and in numpy, pandas, scikit-learn and
PyPortfolioOpt, then prints

    workload | Ballast median | peer | peer median | ratio | target | met

and, with --json PATH, writes the same as JSON. The measurement runs in rounds: in each round
every workload is timed in Ballast and then in the peer, and the speed-up reported is the
median of the per-round ratios, so that slow drifts of a shared machine cancel.

BLAS is pinned to --threads threads (default 1) on both sides. The peers run in a virtual
environment this script creates (Benchmarks/.venv-peers) unless PEERS_PYTHON names an
interpreter that already has numpy, pandas, scikit-learn and PyPortfolioOpt.

Usage (from the repository root):

    python3 Benchmarks/compare_peers.py [--threads 1] [--rounds 5] [--repeats 11] [--json results.json]
        [--baseline PATH]   # also an earlier build's ballast-peer-bench, in the same rounds
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "Benchmarks", ".venv-peers")
PEERS = ["numpy", "pandas", "scikit-learn", "PyPortfolioOpt", "threadpoolctl", "bt", "skfolio"]

# workload: (peer label, minimum speed-up Ballast must reach; None = informational)
TARGETS = {
    "load_csv": ("pandas.read_csv", 3.0),
    "sample_cov_500": ("numpy.cov", 1.0),
    "ledoit_wolf_500": ("sklearn ledoit_wolf", 1.5),
    "ewma_200": ("PyPortfolioOpt exp_cov", 100.0),
    "pairwise_100": ("pandas DataFrame.cov", 10.0),
    "min_vol_500": ("PyPortfolioOpt min_volatility", 30.0),
    "max_sharpe_500": ("PyPortfolioOpt max_sharpe", 100.0),
    "frontier50_500": ("50 x PyPortfolioOpt efficient_return", 200.0),
    "cla_500": ("PyPortfolioOpt CLA", 100.0),
    "min_vol_20": ("PyPortfolioOpt min_volatility", None),
    "max_sharpe_20": ("PyPortfolioOpt max_sharpe", None),
    "max_utility_20": ("PyPortfolioOpt max_quadratic_utility", None),
    "backtest_ew": ("bt equal weight, monthly", 50.0),
    "walkforward_minvol": ("skfolio WalkForward + MeanRisk(min variance, LedoitWolf)", 30.0),
}
# Absolute ceilings (seconds) for Ballast alone.
CEILINGS = {"min_vol_20": 0.2e-3, "max_sharpe_20": 0.2e-3, "max_utility_20": 0.2e-3}


def peer_python():
    if os.environ.get("PEERS_PYTHON"):
        return os.environ["PEERS_PYTHON"]
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        print("creating", VENV, "with", ", ".join(PEERS), file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([py, "-m", "pip", "install", "-q"] + PEERS)
    return py


def build_ballast():
    env = dict(os.environ, BALLAST_BENCHMARKS="1")
    subprocess.check_call(["swift", "build", "-c", "release", "--product", "ballast-peer-bench"], cwd=ROOT, env=env)
    out = subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, env=env, text=True)
    return os.path.join(out.strip(), "ballast-peer-bench")


def median_time(fn, repeats):
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


class Peers:
    """The peer workloads, run inside the peers' interpreter."""

    def __init__(self, data_dir, csv_path):
        import numpy as np
        import pandas as pd
        from pypfopt import risk_models
        from sklearn.covariance import ledoit_wolf

        def load(name, n):
            return np.fromfile(os.path.join(data_dir, name + ".f64"), dtype="<f8").reshape(-1, n)

        x500 = load("factor_500x2520", 500)
        df200 = pd.DataFrame(load("factor_200x2520", 200))
        ragged = pd.DataFrame(load("ragged_100x2520", 100))
        self.work = {
            "load_csv": lambda: pd.read_csv(csv_path),
            "sample_cov_500": lambda: np.cov(x500, rowvar=False) * 252,
            "ledoit_wolf_500": lambda: ledoit_wolf(x500)[0] * 252,
            "ewma_200": lambda: risk_models.exp_cov(df200, returns_data=True, span=180).values,
            "pairwise_100": lambda: (ragged.cov() * 252).values,
        }
        import warnings

        from pypfopt import EfficientFrontier
        from pypfopt.cla import CLA

        warnings.filterwarnings("ignore")
        self.notes = {}

        def model(n):
            x = x500[:, :n]
            return pd.Series(x.mean(axis=0) * 252), pd.DataFrame(np.cov(x, rowvar=False) * 252)

        mu500, s500 = model(500)
        mu20, s20 = model(20)

        def max_sharpe(mu, s):
            # PyPortfolioOpt's default solver fails on some problems of this size; then the
            # peer is timed with Clarabel, and the row says so.
            try:
                return EfficientFrontier(mu, s).max_sharpe(risk_free_rate=0.02)
            except Exception:
                self.notes["max_sharpe"] = "default solver failed; timed with Clarabel"
                return EfficientFrontier(mu, s, solver="CLARABEL").max_sharpe(risk_free_rate=0.02)

        def frontier(mu, s):
            low = float(mu @ pd.Series(EfficientFrontier(mu, s).min_volatility()))
            high = float(mu.max())
            for k in range(50):
                target = low + (high - low) * k / 49 * (1 - 1e-6)
                EfficientFrontier(mu, s, solver="CLARABEL").efficient_return(target)

        def cla(mu, s):
            c = CLA(mu, s)
            c._solve()
            return c

        self.work.update(
            {
                "min_vol_500": lambda: EfficientFrontier(mu500, s500).min_volatility(),
                "max_sharpe_500": lambda: max_sharpe(mu500, s500),
                "frontier50_500": lambda: frontier(mu500, s500),
                "cla_500": lambda: cla(mu500, s500),
                "min_vol_20": lambda: EfficientFrontier(mu20, s20).min_volatility(),
                "max_sharpe_20": lambda: max_sharpe(mu20, s20),
                "max_utility_20": lambda: EfficientFrontier(mu20, s20).max_quadratic_utility(risk_aversion=1),
            }
        )
        # Back-tests on the price file: bt equal weight rebalanced on the first trading day of
        # each month (fractional positions, no costs); skfolio minimum variance with a
        # Ledoit-Wolf prior on a trailing 252-day window, re-fitted every 21 trading days
        # (about monthly), 1991-2022.
        import bt
        from skfolio.model_selection import WalkForward, cross_val_predict
        from skfolio.moments import LedoitWolf
        from skfolio.optimization import MeanRisk, ObjectiveFunction
        from skfolio.prior import EmpiricalPrior

        prices_df = pd.read_csv(csv_path, index_col=0, parse_dates=True)

        def bt_equal_weight():
            s = bt.Strategy("ew", [bt.algos.RunMonthly(run_on_first_date=True), bt.algos.SelectAll(), bt.algos.WeighEqually(),
                                   bt.algos.Rebalance()])
            return bt.run(bt.Backtest(s, prices_df, initial_capital=1_000_000.0, integer_positions=False, progress_bar=False))

        returns_df = prices_df.pct_change().dropna()
        wf_returns = returns_df.loc[returns_df.index >= pd.Timestamp("1990-01-01")]

        def skfolio_walk_forward():
            model = MeanRisk(objective_function=ObjectiveFunction.MINIMIZE_RISK,
                             prior_estimator=EmpiricalPrior(covariance_estimator=LedoitWolf()))
            return cross_val_predict(model, wf_returns, cv=WalkForward(train_size=252, test_size=21))

        self.work["backtest_ew"] = bt_equal_weight
        self.work["walkforward_minvol"] = skfolio_walk_forward
        self.checks = {
            "backtest_ew": float(bt_equal_weight().backtests["ew"].strategy.values.iloc[-1]),
            "sample_cov_500": float(self.work["sample_cov_500"]()[3, 7]),
            "ledoit_wolf_500": float(self.work["ledoit_wolf_500"]()[3, 7]),
            "ewma_200": float(self.work["ewma_200"]()[3, 7]),
            "pairwise_100": float(self.work["pairwise_100"]()[3, 7]),
        }
        for n, (mu, s) in ((500, (mu500, s500)), (20, (mu20, s20))):
            ef = EfficientFrontier(mu, s, solver="CLARABEL")
            ef.min_volatility()
            self.checks[f"min_vol_{n}"] = float(ef.portfolio_performance(risk_free_rate=0.02)[1])
            ef = EfficientFrontier(mu, s, solver="CLARABEL")
            ef.max_sharpe(risk_free_rate=0.02)
            self.checks[f"max_sharpe_{n}"] = float(ef.portfolio_performance(risk_free_rate=0.02)[2])

    def time(self, workload, repeats):
        # Workloads of seconds a call (exp_cov's pair loop, the CLA, 50 solves): one run a round.
        slow = workload in ("ewma_200", "cla_500", "frontier50_500", "backtest_ew", "walkforward_minvol")
        return median_time(self.work[workload], 1 if slow else min(repeats, 5) if workload.endswith("_500") else repeats)


def peer_info():
    import numpy as np
    import pandas as pd
    import sklearn
    from threadpoolctl import threadpool_info

    blas = [
        {k: i.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    versions = {"numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__}
    try:
        from importlib.metadata import version

        for name in ("PyPortfolioOpt", "bt", "skfolio"):
            versions[name] = version(name)
    except Exception:
        pass
    return blas, versions


def fmt_time(s):
    return f"{s * 1e3:.3f} ms" if s < 1 else f"{s:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads on both sides (default 1)")
    ap.add_argument("--repeats", type=int, default=11, help="timed runs per workload and round, after a warm-up (default 11)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds; each round times Ballast then the peer for every workload (default 5)")
    ap.add_argument("--json", help="also write the results as JSON to this path")
    ap.add_argument("--only", nargs="*", help="run only these workloads (default: all)")
    ap.add_argument("--baseline", help="also time this ballast-peer-bench (an earlier build) in every round, right after the "
                    "current one, and report current/baseline time per workload")
    ap.add_argument("--peer-inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    threads = str(args.threads)
    pin = {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    if not args.peer_inner:
        # Build Ballast here, then continue inside the peers' interpreter with BLAS pinned.
        # numpy bundles a current OpenBLAS; machine-wide core-type overrides meant for older
        # OpenBLAS builds only slow it down, so the peers run without them.
        binary = build_ballast()
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        env.update(pin)
        env["BALLAST_PEER_BENCH"] = binary
        env["BALLAST_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE", "")
        return subprocess.call([peer_python(), os.path.abspath(__file__), "--peer-inner"] + sys.argv[1:], env=env)

    binary = os.environ["BALLAST_PEER_BENCH"]
    ballast_env = dict(os.environ)
    if os.environ.get("BALLAST_CORETYPE"):
        ballast_env["OPENBLAS_CORETYPE"] = os.environ["BALLAST_CORETYPE"]
    csv_path = os.path.join(ROOT, "market-data", "sp500_20.csv")
    workloads = [w for w in TARGETS if not args.only or w in args.only] + ["bare_syrk_500"]
    with tempfile.TemporaryDirectory() as data_dir:
        subprocess.check_call([binary, "data", data_dir])
        peers = Peers(data_dir, csv_path)
        ballast_times = {w: [] for w in workloads}
        peer_times = {w: [] for w in TARGETS if w in workloads}
        ballast_checks = {}
        baseline_times = {w: [] for w in workloads}
        for round_index in range(args.rounds):
            print(f"round {round_index + 1}/{args.rounds}", file=sys.stderr)
            for w in workloads:
                out = json.loads(
                    subprocess.check_output([binary, "run", data_dir, str(args.repeats), csv_path, w], env=ballast_env, cwd=ROOT, text=True)
                )
                ballast_times[w].append(out["seconds"][w])
                ballast_checks.update(out["checks"])
                if args.baseline:
                    old = json.loads(subprocess.check_output([args.baseline, "run", data_dir, str(args.repeats), csv_path, w],
                                                             env=ballast_env, cwd=ROOT, text=True))
                    baseline_times[w].append(old["seconds"][w])
                if w in peer_times:
                    peer_times[w].append(peers.time(w, args.repeats))
    blas, versions = peer_info()

    rows = []
    for workload, (peer, target) in TARGETS.items():
        if workload not in ballast_times:
            continue
        b = statistics.median(ballast_times[workload])
        p = statistics.median(peer_times[workload])
        ratios = [pt / bt for pt, bt in zip(peer_times[workload], ballast_times[workload])]
        speedup = statistics.median(ratios)
        check = None
        if workload in peers.checks:
            ref = peers.checks[workload]
            check = abs(ballast_checks[workload] - ref) / abs(ref)
        ceiling = CEILINGS.get(workload)
        met = (target is None or speedup >= target) and (ceiling is None or b <= ceiling)
        note = peers.notes.get(workload.rsplit("_", 1)[0])
        rows.append(
            {"workload": workload, "ballastSeconds": b, "peer": peer, "peerSeconds": p, "speedup": speedup,
             "speedupRange": [min(ratios), max(ratios)], "target": target, "ceilingSeconds": ceiling, "met": met,
             "relativeDifference": check, "note": note}
        )
    # Ballast's full sample covariance against a bare syrk on the same (pre-centred) data:
    # here the ratio is a cost ratio, covariance time / syrk time, and must stay at most 1.25.
    ratios = [ct / bt for bt, ct in zip(ballast_times["bare_syrk_500"], ballast_times.get("sample_cov_500", []))]
    if ratios:
        rows.append(
            {"workload": "sample_cov_500 / bare syrk", "ballastSeconds": statistics.median(ballast_times["sample_cov_500"]),
             "peer": "bare dsyrk (same data)", "peerSeconds": statistics.median(ballast_times["bare_syrk_500"]),
             "speedup": statistics.median(ratios), "speedupRange": [min(ratios), max(ratios)], "target": 1.25, "atMost": True,
             "met": statistics.median(ratios) <= 1.25, "relativeDifference": None}
        )

    header = (f"{'workload':<28} {'Ballast':>11} {'peer':<24} {'peer':>11} {'ratio':>9} {'(min-max)':>15} {'target':>8}  met  same result")
    print(header)
    print("-" * len(header))
    for r in rows:
        target = "-" if r["target"] is None else (f"<={r['target']:.2f}x" if r.get("atMost") else f">={r['target']:.2f}x")
        if r.get("ceilingSeconds"):
            target = f"<={r['ceilingSeconds'] * 1e3:.1f}ms"
        same = "-" if r["relativeDifference"] is None else f"{r['relativeDifference']:.1e}"
        lo, hi = r["speedupRange"]
        print(
            f"{r['workload']:<28} {fmt_time(r['ballastSeconds']):>11} {r['peer']:<24} {fmt_time(r['peerSeconds']):>11} "
            f"{r['speedup']:>8.2f}x {f'({lo:.2f}-{hi:.2f})':>15} {target:>8}  {'yes' if r['met'] else 'NO ':<3}  {same}"
            + (f"  ({r['note']})" if r.get("note") else "")
        )
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count()},
        "threads": args.threads,
        "rounds": args.rounds,
        "repeats": args.repeats,
        "peerBLAS": blas,
        "peerVersions": versions,
        "rows": rows,
    }
    print(f"\nmedians over {args.rounds} rounds of {args.repeats} timed runs; ratio = median of per-round peer/Ballast "
          f"time ratios (for the syrk row: covariance/syrk); "
          f"BLAS threads {args.threads}; peers' BLAS: {blas}")
    if args.baseline:
        print(f"\nBallast against {args.baseline} (median of per-round current/baseline time ratios; below 1 is faster)")
        result["baseline"] = {}
        for w in workloads:
            ratios = [c / b for c, b in zip(ballast_times[w], baseline_times[w])]
            result["baseline"][w] = {"ratio": statistics.median(ratios), "range": [min(ratios), max(ratios)],
                                     "baselineSeconds": statistics.median(baseline_times[w])}
            print(f"  {w:<28} {fmt_time(statistics.median(ballast_times[w])):>11} vs {fmt_time(statistics.median(baseline_times[w])):>11}"
                  f"  {statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

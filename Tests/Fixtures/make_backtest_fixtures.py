#!/usr/bin/env python3
"""Reference values for the back-tester: bt for the simulation, empyrical for the metrics.

Writes Tests/Fixtures/backtest_reference.json:

- `bt_equal_weight`: bt 1.4 running an equal-weight portfolio of every stock in
  market-data/sp500_20.csv, rebalanced at the close of the first trading day of each month
  (`RunMonthly`, first date included), fractional positions (`integer_positions=False`), no
  commissions, initial capital 1,000,000: the strategy's value on every date.
- `metrics`: empyrical-reloaded on three return series, each with its benchmark series:
  the daily returns of that bt run against the S&P 500 index (market-data/sp500_index.csv),
  a seeded synthetic series, and a short series with a single drawdown that never recovers.
  Risk-free rate 2% a year, applied per period as 0.02 / 252.

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy pandas bt empyrical-reloaded
    /tmp/peers/bin/python Tests/Fixtures/make_backtest_fixtures.py
"""

import json
import os
from importlib.metadata import version

import bt
import empyrical as ep
import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RF_ANNUAL = 0.02
RF = RF_ANNUAL / 252


def prices(name):
    return pd.read_csv(os.path.join(ROOT, "market-data", name), index_col=0, parse_dates=True)


def equal_weight_bt():
    data = prices("sp500_20.csv")
    strategy = bt.Strategy(
        "equal-weight",
        [bt.algos.RunMonthly(run_on_first_date=True), bt.algos.SelectAll(), bt.algos.WeighEqually(), bt.algos.Rebalance()],
    )
    test = bt.Backtest(strategy, data, initial_capital=1_000_000.0, integer_positions=False)
    result = bt.run(test)
    values = result.backtests["equal-weight"].strategy.values
    # bt adds a day before the first date holding the initial capital; keep the data's dates.
    values = values.loc[data.index[0]:]
    return values


def metrics(returns, benchmark):
    r = np.asarray(returns, dtype=float)
    b = np.asarray(benchmark, dtype=float)
    alpha, beta = ep.alpha_beta(r, b, risk_free=RF)
    active = r - b
    return {
        "returns": r.tolist(),
        "benchmark": b.tolist(),
        "totalReturn": float(ep.cum_returns_final(r)),
        "cagr": float(ep.annual_return(r)),
        "annualVolatility": float(ep.annual_volatility(r)),
        "sharpeRatio": float(ep.sharpe_ratio(r, risk_free=RF)),
        "sortinoRatio": float(ep.sortino_ratio(r)),
        "downsideRisk": float(ep.downside_risk(r)),
        "maxDrawdown": float(ep.max_drawdown(r)),
        "calmarRatio": float(ep.calmar_ratio(r)),
        "valueAtRisk95": float(ep.value_at_risk(r, cutoff=0.05)),
        "conditionalValueAtRisk95": float(ep.conditional_value_at_risk(r, cutoff=0.05)),
        "excessSharpe": float(ep.excess_sharpe(r, b)),
        "trackingError": float(np.std(active, ddof=1) * np.sqrt(252)),
        "alpha": float(alpha),
        "beta": float(beta),
        "benchmarkCagr": float(ep.annual_return(b)),
    }


def main():
    values = equal_weight_bt()
    nav_returns = values.pct_change().dropna()
    index = prices("sp500_index.csv")["SP500"]
    bench = index.pct_change().reindex(nav_returns.index)
    rng = np.random.default_rng(7)
    synthetic = rng.normal(0.0004, 0.012, 1000) + np.where(rng.random(1000) < 0.02, -0.05, 0.0)
    synthetic_bench = 0.6 * synthetic + rng.normal(0.0002, 0.008, 1000)
    short = np.array([0.01, 0.02, -0.05, -0.03, 0.01, 0.004, -0.002, 0.003, 0.001, -0.01, 0.006, 0.002])
    short_bench = np.array([0.005, 0.01, -0.03, -0.01, 0.004, 0.002, -0.001, 0.002, 0.0, -0.004, 0.003, 0.001])
    out = {
        "generator": "Tests/Fixtures/make_backtest_fixtures.py",
        "versions": {k: version(k) for k in ["bt", "empyrical-reloaded", "numpy", "pandas"]},
        "riskFreeRateAnnual": RF_ANNUAL,
        "bt_equal_weight": {
            "dates": [d.strftime("%Y-%m-%d") for d in values.index],
            "values": values.tolist(),
            "initialCapital": 1_000_000.0,
        },
        "metrics": {
            "bt_equal_weight_vs_sp500": metrics(nav_returns.values, bench.values),
            "synthetic": metrics(synthetic, synthetic_bench),
            "short_unrecovered": metrics(short, short_bench),
        },
    }
    path = os.path.join(ROOT, "Tests", "Fixtures", "backtest_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
    print(f"wrote {path}: {len(values)} bt values, {len(out['metrics'])} metric sets")


if __name__ == "__main__":
    main()

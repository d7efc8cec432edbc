#!/usr/bin/env python3
"""Reference capital-market assumptions for the bundled multi-asset universe.

An independent construction of what `ballast assumptions build` computes from
`market-data/multi-asset/assumptions.json` as of 2010-03-31 and as of 2000-12-31:

- the universe's monthly returns with pandas (French percent returns / 100, bond returns from
  `bond_returns_reference.csv`, Swiss levels divided by CHF_USD), the last 240 (or fewer)
  months up to the date;
- the covariance by PyPortfolioOpt's `CovarianceShrinkage(...).ledoit_wolf("constant_correlation")`
  on the monthly returns (frequency 12);
- the risk-free rate: the T-bill member's last 12 months compounded;
- delta = market Sharpe ratio / market volatility (w' Sigma w)^0.5;
- the prior and the posterior by PyPortfolioOpt's `BlackLittermanModel`
  (`market_implied_prior_returns` with that delta and rate, Idzorek confidences); a yield
  view's return is the member's par yield at the month end (pandas `resample("ME").last()`
  of the daily yields);
- the historical mean (x 12).

Regenerate with:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy pandas scikit-learn PyPortfolioOpt
    /tmp/peers/bin/python Tests/Fixtures/make_assumptions_fixture.py
"""
import json
import os

import numpy as np
import pandas as pd
import pypfopt
import sklearn
from pypfopt.black_litterman import BlackLittermanModel, market_implied_prior_returns
from pypfopt.risk_models import CovarianceShrinkage

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
D = os.path.join(ROOT, "market-data/multi-asset")


def universe_returns():
    f = pd.read_csv(os.path.join(D, "us_equity_factors_monthly_pct_1926_2018.csv"), parse_dates=["date"], index_col="date") / 100
    s = pd.read_csv(os.path.join(D, "gpl/swiss_multi_asset_monthly_levels_1984_2010.csv"), parse_dates=["date"], index_col="date")
    b = pd.read_csv(os.path.join(HERE, "bond_returns_reference.csv"), parse_dates=["date"], index_col="date")
    for x in (f, s, b):
        x.index = x.index.to_period("M")
    r = pd.DataFrame({"TBILLS": f.RF})
    r = r.join(b[["UST2Y", "UST5Y", "UST10Y"]])
    levels = pd.DataFrame({"CHBOND": s.SBI85 / s.CHF_USD, "USEQ": np.nan, "WORLDEQ": s.MSCIW_USD, "CHREIT": s.SXI85 / s.CHF_USD,
                           "GOLD": s.GOLDFIX_USD, "OIL": s.WTI_USD})
    sr = levels.pct_change()
    sr["USEQ"] = f.Mkt_RF + f.RF
    r = r.join(sr)
    r = r[["TBILLS", "UST2Y", "UST5Y", "UST10Y", "CHBOND", "USEQ", "WORLDEQ", "CHREIT", "GOLD", "OIL"]]
    return r.dropna()


_y = pd.read_csv(os.path.join(D, "ust_par_yields_daily_1990_2017.csv"), parse_dates=["date"], index_col="date").resample("ME").last()
_y.index = _y.index.to_period("M")
YIELDS = {"UST2Y": _y["2year"], "UST5Y": _y["5year"], "UST10Y": _y["10year"]}


def build(spec, r, as_of):
    e = spec["expectedReturns"]
    window = r[r.index <= pd.Period(as_of, "M")].iloc[-spec["windowMonths"]:]
    symbols = list(window.columns)
    x = window.values
    sigma_df = CovarianceShrinkage(window, returns_data=True, frequency=12).ledoit_wolf("constant_correlation")
    sigma = sigma_df.values
    rf = float(np.prod(1 + window["TBILLS"].values[-12:]) - 1)
    w = np.array([e["marketWeights"][s] for s in symbols])
    w = w / w.sum()
    delta = e["marketSharpeRatio"] / np.sqrt(w @ sigma @ w)
    caps = pd.Series(w, index=symbols)
    prior = market_implied_prior_returns(caps, delta, sigma_df, risk_free_rate=rf)
    views = e["views"]
    P = np.zeros((len(views), len(symbols)))
    Q = np.zeros(len(views))
    for k, v in enumerate(views):
        if v["kind"] == "yield":
            P[k, symbols.index(v["asset"])] = 1
            Q[k] = YIELDS[v["asset"]].loc[pd.Period(as_of, "M")]
            continue
        if v["kind"] == "absolute":
            P[k, symbols.index(v["asset"])] = 1
        else:
            P[k, symbols.index(v["long"])] = 1
            P[k, symbols.index(v["short"])] = -1
        Q[k] = v["expectedReturn"]
    bl = BlackLittermanModel(sigma_df, pi=prior, P=P, Q=Q, omega="idzorek",
                             view_confidences=[v["confidence"] for v in views], tau=e["tau"], risk_aversion=delta)
    post = bl.bl_returns()
    return {
        "asOf": as_of,
        "symbols": symbols,
        "windowStart": str(window.index[0].to_timestamp(how="end").date()),
        "months": len(window),
        "riskFreeRate": rf,
        "riskAversion": float(delta),
        "covariance": sigma.tolist(),
        "prior": [float(prior[s]) for s in symbols],
        "posterior": [float(post[s]) for s in symbols],
        "historicalMean": (window.mean() * 12).tolist(),
    }


def main():
    spec = json.load(open(os.path.join(D, "assumptions.json")))
    r = universe_returns()
    out = {"versions": {"numpy": np.__version__, "pandas": pd.__version__, "scikit-learn": sklearn.__version__,
                        "PyPortfolioOpt": pypfopt.__version__},
           "cases": [build(spec, r, "2010-03-31"), build(spec, r, "2000-12-31")]}
    with open(os.path.join(HERE, "assumptions_reference.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    for c in out["cases"]:
        print(c["asOf"], "rf", round(c["riskFreeRate"], 4), "delta", round(c["riskAversion"], 3))
        for s, p, q, h, v in zip(c["symbols"], c["prior"], c["posterior"], c["historicalMean"], np.sqrt(np.diag(c["covariance"]))):
            print("  %-8s prior %6.2f%% post %6.2f%% hist %6.2f%% vol %5.2f%%" % (s, p * 100, q * 100, h * 100, v * 100))


if __name__ == "__main__":
    main()

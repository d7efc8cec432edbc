#!/usr/bin/env python3
"""Reference values for Ballast's market-data and risk-model tests.

Computes every estimator with the reference libraries (numpy, pandas, scikit-learn,
PyPortfolioOpt) on windows of the bundled data and on the small ragged file beside this
script, and writes `risk_reference.json`.

Regenerate with:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy pandas scikit-learn PyPortfolioOpt
    /tmp/peers/bin/python Tests/Fixtures/make_risk_fixtures.py

Versions used for the committed file are recorded in it under "versions".
"""
import json
import os
import sys

import numpy as np
import pandas as pd
import sklearn
import pypfopt
from sklearn.covariance import ledoit_wolf, oas
from pypfopt import expected_returns, risk_models, black_litterman
from pypfopt.risk_models import _pair_exp_cov

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FREQ = 252


def load(path):
    return pd.read_csv(os.path.join(ROOT, path), index_col=0, parse_dates=True)


def _num(x):
    x = float(x)
    return None if np.isnan(x) else x  # JSON has no NaN: a missing value is null


def mat(m):
    return [[_num(x) for x in row] for row in np.asarray(m, dtype=float)]


def vec(v):
    return [_num(x) for x in np.asarray(v, dtype=float).ravel()]


def exp_cov_pairwise(returns, **ewm):
    """PyPortfolioOpt's exp_cov loop, before its PSD fix, with span or halflife."""
    n = returns.shape[1]
    s = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            x, y = returns.iloc[:, i], returns.iloc[:, j]
            cv = (x - x.mean()) * (y - y.mean())
            s[i, j] = s[j, i] = cv.ewm(**ewm).mean().iloc[-1]
    return s * FREQ


def window_case(name, path, start, end, market=None):
    prices = load(path).loc[start:end]
    rets = expected_returns.returns_from_prices(prices)  # pct_change(fill_method=None).dropna(how="all")
    complete = rets.dropna()
    case = {
        "name": name,
        "prices": path,
        "start": start,
        "end": end,
        "symbols": list(prices.columns),
        "observations": int(len(complete)),
        "firstReturnDate": str(complete.index[0].date()),
        "lastReturnDate": str(complete.index[-1].date()),
        # numpy's np.cov on complete rows (ddof 1)
        "sampleCovariance": mat(np.cov(complete.values, rowvar=False) * FREQ),
        # pandas' pairwise-complete covariance = PyPortfolioOpt sample_cov
        "pairwiseCovariance": mat(risk_models.sample_cov(prices, frequency=FREQ).values),
        "expSpan180": mat(exp_cov_pairwise(rets, span=180)),
        "expSpan30": mat(exp_cov_pairwise(rets, span=30)),
        "expHalfLife60": mat(exp_cov_pairwise(rets, halflife=60)),
        "meanReturn": vec(expected_returns.mean_historical_return(prices, compounding=False, frequency=FREQ)),
        "geometricReturn": vec(expected_returns.mean_historical_return(prices, compounding=True, frequency=FREQ)),
        "emaReturnSpan500": vec(expected_returns.ema_historical_return(prices, compounding=False, span=500, frequency=FREQ)),
        "emaReturnHalfLife120": vec(rets.ewm(halflife=120).mean().iloc[-1] * FREQ),
    }
    if not rets.isna().any().any():
        lw, lw_shrink = ledoit_wolf(complete.values)
        oa, oa_shrink = oas(complete.values)
        cs = risk_models.CovarianceShrinkage(prices, frequency=FREQ)
        sf = cs.ledoit_wolf("single_factor")
        sf_delta = cs.delta
        cc = cs.ledoit_wolf("constant_correlation")
        cc_delta = cs.delta
        # PyPortfolioOpt's constant-variance route is scikit-learn's ledoit_wolf.
        cv = cs.ledoit_wolf("constant_variance")
        case.update(
            {
                "ledoitWolfConstantVariance": mat(lw * FREQ),
                "ledoitWolfConstantVarianceShrinkage": float(lw_shrink),
                "pypfoptConstantVariance": mat(cv.values),
                "ledoitWolfSingleFactor": mat(sf.values),
                "ledoitWolfSingleFactorShrinkage": float(sf_delta),
                "ledoitWolfConstantCorrelation": mat(cc.values),
                "ledoitWolfConstantCorrelationShrinkage": float(cc_delta),
                "oas": mat(oa * FREQ),
                "oasShrinkage": float(oa_shrink),
            }
        )
        # Log returns: sample covariance and arithmetic mean.
        lrets = np.log(prices / prices.shift(1)).dropna(how="all").dropna()
        case["logSampleCovariance"] = mat(np.cov(lrets.values, rowvar=False) * FREQ)
        case["logMeanReturn"] = vec(lrets.mean() * FREQ)
        # Weekly and monthly resampling (last price of each period), then returns.
        for label, rule, ppy in (("weekly", "W", 52), ("monthly", "ME", 12)):
            rp = prices.resample(rule).last().dropna(how="all")
            rr = rp.pct_change(fill_method=None).dropna(how="all")
            case[label] = {
                "observations": int(len(rr)),
                "sampleCovariance": mat(np.cov(rr.dropna().values, rowvar=False) * ppy),
                "meanReturn": vec(rr.mean() * ppy),
                "lastPrices": vec(rp.iloc[-1]),
            }
    if market is not None:
        mkt = load(market).loc[start:end]
        case["market"] = market
        case["capmReturnRf2"] = vec(
            expected_returns.capm_return(prices, market_prices=mkt, risk_free_rate=0.02, frequency=FREQ)
        )
        case["capmReturnRf0Arithmetic"] = vec(
            expected_returns.capm_return(prices, market_prices=mkt, risk_free_rate=0.0, compounding=False, frequency=FREQ)
        )
    return case


def black_litterman_case(base):
    prices = load(base["prices"]).loc[base["start"] : base["end"]]
    mkt = load("market-data/sp500_index.csv").loc[base["start"] : base["end"]]
    sigma = risk_models.sample_cov(prices, frequency=FREQ)
    n = sigma.shape[0]
    caps = pd.Series(np.linspace(1.0, 3.0, n) * 1e11, index=sigma.index)
    delta = black_litterman.market_implied_risk_aversion(mkt.iloc[:, 0], frequency=FREQ)
    syms = list(sigma.index)
    P = np.zeros((3, n))
    P[0, syms.index("AAPL")] = 1.0  # absolute view
    P[1, syms.index("MSFT")] = 1.0  # relative view: MSFT beats XOM
    P[1, syms.index("XOM")] = -1.0
    P[2, syms.index("JNJ")] = 0.5  # basket view
    P[2, syms.index("PG")] = 0.5
    Q = np.array([0.15, 0.03, 0.06])
    out = {"caps": vec(caps), "delta": float(delta), "tau": 0.05, "P": mat(P), "Q": vec(Q), "variants": []}
    out["prior"] = vec(black_litterman.market_implied_prior_returns(caps, delta, sigma))
    for label, kwargs in (
        ("default-omega", {}),
        ("idzorek", {"omega": "idzorek", "view_confidences": [0.6, 0.25, 0.9]}),
    ):
        bl = black_litterman.BlackLittermanModel(sigma, pi="market", market_caps=caps, risk_aversion=delta, P=P, Q=Q, tau=0.05, **kwargs)
        out["variants"].append(
            {
                "omega": label,
                "confidences": kwargs.get("view_confidences"),
                "posteriorReturns": vec(bl.bl_returns()),
                "posteriorCovariance": mat(bl.bl_cov()),
            }
        )
    return out


def ragged_case():
    path = "Tests/Fixtures/ragged_prices.csv"
    prices = load(path)
    rets = expected_returns.returns_from_prices(prices)
    return {
        "prices": path,
        "symbols": list(prices.columns),
        "returnRows": int(len(rets)),
        "completeRows": int(len(rets.dropna())),
        "presentCounts": [int(c) for c in rets.count()],
        # pandas' pairwise-complete covariance. (PyPortfolioOpt's sample_cov would then
        # "fix" this matrix, which is not positive semidefinite, by clipping eigenvalues.)
        "pairwiseCovariance": mat(rets.cov().values * FREQ),
        "pairwiseIsPSD": bool(np.linalg.eigvalsh(rets.cov().values).min() >= 0),
        "sampleCovarianceDropRows": mat(np.cov(rets.dropna().values, rowvar=False) * FREQ),
        "expSpan20": mat(exp_cov_pairwise(rets, span=20)),
        "expHalfLife10": mat(exp_cov_pairwise(rets, halflife=10)),
        "meanReturn": vec(expected_returns.mean_historical_return(prices, compounding=False, frequency=FREQ)),
        "geometricReturn": vec(expected_returns.mean_historical_return(prices, compounding=True, frequency=FREQ)),
        "emaReturnSpan30": vec(expected_returns.ema_historical_return(prices, compounding=False, span=30, frequency=FREQ)),
        "monthlyLastPrices": mat(prices.resample("ME").last().values),
    }


def make_ragged():
    """A small ragged file cut from sp500_20: late starts, gaps and early ends."""
    prices = load("market-data/sp500_20.csv").loc["2019-10-01":"2020-06-30", ["AAPL", "JNJ", "XOM", "KO", "AMD", "PG"]].copy()
    rng = np.random.default_rng(20261130)
    prices.iloc[:40, 1] = np.nan  # JNJ starts late
    prices.iloc[-25:, 2] = np.nan  # XOM ends early
    for col in (0, 3, 4):  # scattered single-day gaps
        idx = rng.choice(np.arange(5, len(prices) - 5), size=12, replace=False)
        prices.iloc[idx, col] = np.nan
    prices.iloc[60:75, 5] = np.nan  # a two-week hole in PG
    out = os.path.join(HERE, "ragged_prices.csv")
    prices.index.name = "date"
    prices.to_csv(out, float_format="%.3f", lineterminator="\n")


if __name__ == "__main__":
    make_ragged()
    ref = {
        "versions": {
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "scikit-learn": sklearn.__version__,
            "PyPortfolioOpt": pypfopt.__version__ if hasattr(pypfopt, "__version__") else "1.6.0",
            "python": sys.version.split()[0],
        },
        "periodsPerYear": FREQ,
        "windows": [
            window_case("sp500-2018-2022", "market-data/sp500_20.csv", "2018-01-01", "2022-12-28", "market-data/sp500_index.csv"),
            window_case("sp500-2005-2009", "market-data/sp500_20.csv", "2005-01-01", "2009-12-31", "market-data/sp500_index.csv"),
            window_case("factors-all", "market-data/factors_etf5.csv", "2014-01-01", "2022-12-31", "market-data/sp500_index.csv"),
        ],
    }
    ref["blackLitterman"] = black_litterman_case(ref["windows"][0])
    ref["ragged"] = ragged_case()
    with open(os.path.join(HERE, "risk_reference.json"), "w") as f:
        json.dump(ref, f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", os.path.join(HERE, "risk_reference.json"))

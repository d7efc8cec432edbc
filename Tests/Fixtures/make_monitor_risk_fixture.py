#!/usr/bin/env python3
"""Reference tracking errors and return dispersion of a small book (BookMonitor's
`trackingError` and `returnDispersion`), computed independently of Ballast with pandas and
numpy from market-data/sp500_20.csv:

- the rows of the year ending 2022-12-28 (dates after 2021-12-27, up to and including it);
- simple daily returns, numpy.cov (ddof 1) x 252: the annualised covariance;
- each account's weights from quantity x the monitor's prices (KO 10, PG 20) over its value
  with cash; deviations from the C3 target (KO 0.6, PG 0.3, cash 0.1);
- tracking error sqrt(d' S d) over KO and PG (cash has no variance);
- the account's return over the year: sum of w x (last / first - 1), cash at 0;
- the level's dispersion: numpy.std (ddof 1) of those returns;
- the C3 model's own volatility sqrt(w' S w) and return over the year (`models compare`).

    python3 Tests/Fixtures/make_monitor_risk_fixture.py > Tests/Fixtures/monitor_risk_reference.json
"""
import json
import os

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
prices = pd.read_csv(os.path.join(ROOT, "market-data", "sp500_20.csv"), index_col=0, parse_dates=True)[["KO", "PG"]]
as_of = pd.Timestamp("2022-12-28")
year = prices[(prices.index <= as_of) & (prices.index > as_of - pd.Timedelta(days=366))]
returns = year.pct_change().dropna()
cov = np.cov(returns.to_numpy().T, ddof=1) * 252
growth = (year.iloc[-1] / year.iloc[0] - 1).to_numpy()

price = np.array([10.0, 20.0])
target = np.array([0.6, 0.3])
book = {"A": (100, [60, 15]), "B": (100, [80, 5]), "E": (50, [100, 10])}
accounts = {}
for name, (cash, qty) in book.items():
    value = np.array(qty) * price
    w = value / (value.sum() + cash)
    d = w - target
    accounts[name] = {"trackingError": float(np.sqrt(d @ cov @ d)), "yearReturn": float(w @ growth)}
r = [a["yearReturn"] for a in accounts.values()]
print(json.dumps({
    "asOf": "2022-12-28", "rows": len(year), "accounts": accounts,
    "meanTrackingError": float(np.mean([a["trackingError"] for a in accounts.values()])),
    "dispersion": float(np.std(r, ddof=1)),
    "model": {"volatility": float(np.sqrt(target @ cov @ target)), "yearReturn": float(target @ growth)},
}, indent=2))

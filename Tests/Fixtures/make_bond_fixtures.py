#!/usr/bin/env python3
"""Reference constant-maturity bond returns from the bundled Treasury par yields.

An independent construction of the returns `ballast data bond-returns` computes: pandas
samples each yield column at month ends (`resample("ME").last()`, with the date of the
observation kept), and each month's return is valued from the bond's explicit cash-flow
schedule, counted from its purchase: coupons of 100 y0 / 2 at 0.5, 1.0, ..., M years, the
principal at M, each discounted from the end of the period at the end yield with
semi-annual compounding, (1 + y1/2)^-(2 (t - dt)). A return needs both yields.

Regenerate with:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy pandas
    /tmp/peers/bin/python Tests/Fixtures/make_bond_fixtures.py

Writes `bond_returns_reference.csv` beside this script (returns as fractions, empty where a
yield is missing at either end).
"""
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MATURITIES = {"2year": 2, "5year": 5, "10year": 10, "30year": 30}


def bond_return(m, y0, y1, dt):
    times = np.arange(1, 2 * m + 1) * 0.5  # coupon dates from purchase
    flows = np.full(times.shape, 100 * y0 / 2)
    flows[-1] += 100
    paid = times <= dt + 1e-12
    later = ~paid
    value = np.sum(flows[later] / (1 + y1 / 2) ** (2 * (times[later] - dt)))
    return (value + flows[paid].sum()) / 100 - 1


def main():
    y = pd.read_csv(os.path.join(ROOT, "market-data/multi-asset/ust_par_yields_daily_1990_2017.csv"), parse_dates=["date"], index_col="date")
    out = {}
    index = None
    for column, m in MATURITIES.items():
        s = y[column].dropna()
        obs = pd.DataFrame({"y": s, "day": s.index}).resample("ME").last()
        # the label of each month: its last date in the whole file (the table's row date)
        last_row = pd.Series(y.index, index=y.index).resample("ME").last()
        r = []
        for k in range(1, len(obs)):
            a, b = obs.iloc[k - 1], obs.iloc[k]
            if pd.isna(a["y"]) or pd.isna(b["y"]):
                r.append(np.nan)
                continue
            dt = (b["day"] - a["day"]).days / 365.25
            r.append(bond_return(m, a["y"], b["y"], dt))
        out["UST%dY" % m] = r
        index = last_row.iloc[1:].values
    df = pd.DataFrame(out, index=pd.DatetimeIndex(index).strftime("%Y-%m-%d"))
    df.index.name = "date"
    df.to_csv(os.path.join(HERE, "bond_returns_reference.csv"), float_format="%.17g")


if __name__ == "__main__":
    main()

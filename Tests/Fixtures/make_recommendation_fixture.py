#!/usr/bin/env python3
"""A golden recommendation on the stock demonstration universe for profiles/stock-customers/balanced-saver.json on
the bundled data as of 2022-12-28, computed independently of Ballast:

- the willingness and capacity scores and the level, from the rules written in
  profiles/questionnaire-v1.json (each score the sum of its items' option scores as a
  percentage of the maximum; bands 20/40/60/80; the horizon cap; the lower level wins);
- the model rule's window (the catalogue's products with a price on the date, joined on their
  dates over the last ten years, the shortest histories left out until 756 returns remain);
- expected returns (arithmetic mean x 252) and the Ledoit-Wolf covariance (scikit-learn,
  constant-variance target) on that window, annualised x 252;
- the level's model portfolio with cvxpy and Clarabel at 1e-11: maximum return subject to
  volatility at most the level's cap, products above the level's rating at 0, cash at least
  its floor earning 2%, the risky share at most its ceiling; then every weight below 0.5% is
  excluded and the problem solved again, until none is left.

Writes recommendation_reference.json. Regenerate with:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy pandas cvxpy clarabel scikit-learn
    /tmp/peers/bin/python Tests/Fixtures/make_recommendation_fixture.py
"""
import json
import os

import cvxpy as cp
import numpy as np
import pandas as pd
from sklearn.covariance import ledoit_wolf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIGHT = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11, "tol_ktratio": 1e-9, "max_iter": 500}
AS_OF = pd.Timestamp("2022-12-28")
RATINGS = ["R1", "R2", "R3", "R4", "R5"]


def load(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return json.load(f)


def profile(customer, questionnaire, levels):
    scores = {}
    for dimension in ("willingness", "capacity"):
        total, best = 0, 0
        for item in questionnaire["items"]:
            if item["dimension"] != dimension:
                continue
            options = {o["id"]: o["score"] for o in item["options"]}
            best += max(options.values())
            total += options[customer["answers"][item["id"]]]
        scores[dimension] = 100 * total / best
    bands = questionnaire["scoring"]["levelBands"]
    level_of = lambda s: 1 + sum(1 for b in bands if s >= b)
    level = min(level_of(scores["willingness"]), level_of(scores["capacity"]))
    cap = questionnaire["scoring"]["horizonCaps"].get(customer["answers"][questionnaire["scoring"]["horizonItem"]])
    if cap is not None:
        level = min(level, cap)
    return scores, levels["levels"][level - 1]


def window(prices, catalog):
    table = prices.loc[(prices.index > AS_OF - pd.DateOffset(years=10)) & (prices.index <= AS_OF)]
    products = [p["symbol"] for p in catalog["products"] if p["symbol"] != "CASH"]
    candidates = []
    for s in table.columns:
        if s not in products or np.isnan(table[s].iloc[-1]):
            continue
        column = table[s].values
        start = len(column) - 1
        while start > 0 and not np.isnan(column[start - 1]):
            start -= 1
        candidates.append((start, s))
    candidates.sort()
    while candidates and len(table) - 1 - candidates[-1][0] < 756:
        candidates.pop()
    start = candidates[-1][0]
    symbols = [s for s in table.columns if s in {c[1] for c in candidates}]
    return table[symbols].iloc[start:]


def model(mu, sigma, assets, catalog, level):
    rating = {p["symbol"]: p["riskRating"] for p in catalog["products"]}
    allowed = [RATINGS.index(rating[a]) <= RATINGS.index(level["maxProductRating"]) for a in assets]
    excluded = set()
    while True:
        n = len(assets)
        w = cp.Variable(n)
        cash = cp.Variable()
        upper = np.array([1.0 if allowed[i] and assets[i] not in excluded else 0.0 for i in range(n)])
        cons = [cp.sum(w) + cash == 1, w >= 0, w <= upper, cash >= level["minCashShare"], cp.sum(w) <= level["maxRiskyShare"],
                cp.quad_form(w, cp.psd_wrap(sigma)) <= level["volatilityCap"] ** 2]
        if "CASH" in excluded:
            cons.append(cash == 0)
        cp.Problem(cp.Maximize(mu @ w + 0.02 * cash), cons).solve(solver=cp.CLARABEL, **TIGHT)
        weights = dict(zip(assets, np.maximum(w.value, 0)))
        weights["CASH"] = max(float(cash.value), 0)
        dust = {a for a, x in weights.items() if 1e-9 < x < 0.005 and a not in excluded}
        small = {a for a, x in weights.items() if x <= 1e-9}
        if not dust:
            return {a: (float(x) if a not in small else 0.0) for a, x in weights.items()}
        excluded |= dust


def main():
    customer = load("profiles/stock-customers/balanced-saver.json")
    scores, level = profile(customer, load("profiles/questionnaire-v1.json"), load("profiles/levels.json"))
    catalog = load("market-data/catalog.json")
    stocks = pd.read_csv(os.path.join(ROOT, "market-data/sp500_20.csv"), index_col=0, parse_dates=True)
    etfs = pd.read_csv(os.path.join(ROOT, "market-data/factors_etf5.csv"), index_col=0, parse_dates=True)
    prices = stocks.join(etfs, how="outer")
    table = window(prices, catalog)
    returns = (table / table.shift(1) - 1).iloc[1:].dropna()
    mu = returns.mean().values * 252
    sigma = ledoit_wolf(returns.values)[0] * 252
    weights = model(mu, sigma, list(table.columns), catalog, level)
    w = np.array([weights[a] for a in table.columns])
    out = {
        "customer": "profiles/stock-customers/balanced-saver.json",
        "asOf": "2022-12-28",
        "willingness": scores["willingness"],
        "capacity": scores["capacity"],
        "label": level["label"],
        "windowStart": str(table.index[0].date()),
        "windowReturns": len(returns),
        "assets": list(table.columns),
        "weights": weights,
        "expectedReturn": float(mu @ w + 0.02 * weights["CASH"]),
        "volatility": float(np.sqrt(w @ sigma @ w)),
    }
    with open(os.path.join(HERE, "recommendation_reference.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

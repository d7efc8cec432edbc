#!/usr/bin/env python3
"""Reference model menu (plain mean-variance) for the bundled investment process as of
2010-03-31, computed independently of Ballast:

- the capital-market assumptions as `make_assumptions_fixture.py` builds them (pandas and
  PyPortfolioOpt: Ledoit-Wolf constant correlation, Black-Litterman with Idzorek confidences);
- each product's rating from its last 36 monthly returns up to the date (ddof 1, x sqrt(12)),
  against the universe's bounds; the cash member is R1;
- each level of `policy.json` with cvxpy and Clarabel at 1e-11: maximum expected return
  subject to volatility at most the level's cap, weights from 0 to the product maximum,
  products rated above the level at 0, the class and class-group bounds (the cash floor
  raising the cash minimum); when no portfolio is as calm as the cap, the least volatile one;
  then every weight below the minimum position is excluded and the problem solved again,
  until none is left.

Writes menu_reference.json. Regenerate with:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy pandas cvxpy clarabel PyPortfolioOpt
    /tmp/peers/bin/python Tests/Fixtures/make_menu_fixture.py
"""
import json
import os
import sys

import cvxpy as cp
import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_assumptions_fixture import D, build, universe_returns  # noqa: E402

TIGHT = {"tol_gap_abs": 1e-11, "tol_gap_rel": 1e-11, "tol_feas": 1e-11, "tol_ktratio": 1e-9, "max_iter": 500}
AS_OF = "2010-03-31"
RATINGS = ["R1", "R2", "R3", "R4", "R5"]


def ratings(r, universe, as_of):
    rule = universe["ratingRule"]
    window = r[r.index <= pd.Period(as_of, "M")].iloc[-rule["months"]:]
    out = {}
    for m in universe["members"]:
        s = m["symbol"]
        vol = window[s].std(ddof=1) * np.sqrt(12)
        k = sum(1 for b in rule["upperBounds"] if vol >= b)
        out[s] = "R1" if m["assetClass"] == "cash" else RATINGS[k]
    return out


def solve_level(mu, sigma, symbols, classes, policy, level, rating):
    n = len(symbols)
    excluded = set()
    groups = policy.get("classGroups", {})
    bounds = dict(level["bounds"])
    if level["cashFloor"] > 0:
        lo, hi = bounds.get("cash", [0, 1])
        bounds["cash"] = [max(lo, level["cashFloor"]), hi]
    while True:
        def problem(objective_kind):
            w = cp.Variable(n)
            cons = [cp.sum(w) == 1, w >= 0, w <= policy["maximumProductWeight"]]
            for i, s in enumerate(symbols):
                if RATINGS.index(rating[s]) > RATINGS.index(level["maxProductRating"]) or s in excluded:
                    cons.append(w[i] == 0)
            for name, (lo, hi) in bounds.items():
                members = [i for i, s in enumerate(symbols) if classes[s] in groups.get(name, [name])]
                if not members:
                    continue
                total = cp.sum(w[members])
                if lo > 0:
                    cons.append(total >= lo)
                if hi < 1:
                    cons.append(total <= hi)
            risk = cp.quad_form(w, cp.psd_wrap(sigma))
            if objective_kind == "cap":
                # The cap as a second-order cone on the Cholesky factor (better conditioned
                # than the squared form for the interior-point solver).
                factor = np.linalg.cholesky(sigma)
                p = cp.Problem(cp.Maximize(mu @ w), cons + [cp.norm(factor.T @ w) <= level["volatilityCap"]])
            else:
                p = cp.Problem(cp.Minimize(risk), cons)
            p.solve(solver=cp.CLARABEL, **TIGHT)
            if p.status == "optimal_inaccurate":
                # Clarabel stalls short of the tight tolerances on some levels: solve again
                # with its defaults (the result is checked against the limits below).
                p.solve(solver=cp.CLARABEL)
            return p, w

        p, w = problem("cap")
        if p.status == "infeasible":
            p, w = problem("min")
        assert p.status == "optimal", (level["label"], p.status)
        x = np.where(np.abs(w.value) < 1e-9, 0.0, w.value)
        dust = [symbols[i] for i in range(n) if 0 < x[i] < policy["minimumPosition"]]
        if not dust:
            return x
        excluded.update(dust)


def main():
    spec = json.load(open(os.path.join(D, "assumptions.json")))
    universe = json.load(open(os.path.join(D, "universe.json")))
    policy = json.load(open(os.path.join(D, "policy.json")))
    r = universe_returns()
    cma = build(spec, r, AS_OF)
    symbols = cma["symbols"]
    mu = np.array(cma["posterior"])
    sigma = np.array(cma["covariance"])
    classes = {m["symbol"]: m["assetClass"] for m in universe["members"]}
    rating = ratings(r, universe, AS_OF)
    levels = []
    for level in policy["levels"]:
        x = solve_level(mu, sigma, symbols, classes, policy, level, rating)
        levels.append({
            "label": level["label"],
            "weights": {s: float(v) for s, v in zip(symbols, x) if v > 0},
            "expectedReturn": float(mu @ x),
            "volatility": float(np.sqrt(x @ sigma @ x)),
        })
        print(level["label"], {s: round(float(v), 4) for s, v in zip(symbols, x) if v > 0},
              "ret %.4f vol %.4f" % (mu @ x, np.sqrt(x @ sigma @ x)))
    out = {"asOf": AS_OF, "versions": {"cvxpy": cp.__version__, "numpy": np.__version__}, "ratings": rating, "levels": levels}
    with open(os.path.join(HERE, "menu_reference.json"), "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference solutions for Ballast's mean-variance optimiser.

Every case is solved with cvxpy and the Clarabel solver at tolerance 1e-12, then polished on
its active set (the KKT system of the active bounds and constraints solved with
numpy.linalg.solve), and, where PyPortfolioOpt has the objective, with PyPortfolioOpt (also on
Clarabel at tight tolerances) for its `portfolio_performance` tuple. Writes
`optimizer_reference.json`.

Regenerate with:

    python3 -m venv /tmp/peers && /tmp/peers/bin/pip install numpy pandas cvxpy clarabel PyPortfolioOpt
    /tmp/peers/bin/python Tests/Fixtures/make_optimizer_fixtures.py
"""
import json
import os
import sys

import cvxpy as cp
import numpy as np
import pandas as pd
import pypfopt
from pypfopt import EfficientFrontier, expected_returns, objective_functions, risk_models

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10, "max_iter": 500}


def data(start, end):
    prices = pd.read_csv(os.path.join(ROOT, "market-data/sp500_20.csv"), index_col=0, parse_dates=True).loc[start:end]
    mu = expected_returns.mean_historical_return(prices, compounding=False)
    cov = np.cov(expected_returns.returns_from_prices(prices).dropna().values, rowvar=False) * 252
    return list(prices.columns), mu.values, cov


def active_rows(w, cons_rows, n):
    """The bounds and constraint rows that hold with equality at w (within 1e-7)."""
    rows, rhs = [], []
    for i in range(n):
        for bound in (LO[i], HI[i]):
            if np.isfinite(bound) and abs(w[i] - bound) < 1e-7:
                e = np.zeros(n)
                e[i] = 1.0
                rows.append(e)
                rhs.append(bound)
    for (c, lo, hi) in cons_rows:
        v = c @ w
        for bound in (lo, hi):
            if np.isfinite(bound) and abs(v - bound) < 1e-7:
                rows.append(c)
                rhs.append(bound)
                break
    return rows, rhs


def kkt_solve(w, cons_rows, n, P, q, A, b):
    """Solves the KKT system of min ½wᵀPw + qᵀw with A w = b and the active rows as equalities."""
    rows, rhs = active_rows(w, cons_rows, n)
    G = np.vstack([A] + ([np.array(rows)] if rows else []))
    h = np.concatenate([b, np.array(rhs)])
    m = G.shape[0]
    K = np.block([[P, G.T], [G, np.zeros((m, m))]])
    return np.linalg.lstsq(K, np.concatenate([-q, h]), rcond=None)[0][:n]


def polish(w, cons_rows, n, P, q, A, b):
    """The solver's point, replaced by the exact KKT solution on its active set when they agree."""
    wp = kkt_solve(w, cons_rows, n, P, q, A, b)
    if np.max(np.abs(wp - w)) > 1e-6:
        return w  # the active set was not identified cleanly: keep the solver's point
    return wp


def solve_case(case, symbols, mu, cov):
    if case.get("cash"):
        symbols = symbols + ["CASH"]
        mu = np.append(mu, case["cashRate"])
        cov = np.pad(cov, ((0, 1), (0, 1)))
    n = len(symbols)
    global LO, HI
    lo = np.full(n, case.get("lower", 0.0))
    hi = np.full(n, case.get("upper", 1.0))
    for s, v in case.get("lowerBounds", {}).items():
        lo[symbols.index(s)] = v
    for s, v in case.get("upperBounds", {}).items():
        hi[symbols.index(s)] = v
    LO, HI = lo, hi
    w = cp.Variable(n)
    cons = [cp.sum(w) == 1, w >= lo, w <= hi]
    rows = []
    for g in case.get("groups", []):
        c = np.array([1.0 if s in g["members"] else 0.0 for s in symbols])
        if g.get("minimum") is not None:
            cons.append(c @ w >= g["minimum"])
        if g.get("maximum") is not None:
            cons.append(c @ w <= g["maximum"])
        rows.append((c, g.get("minimum") if g.get("minimum") is not None else -np.inf, g.get("maximum") if g.get("maximum") is not None else np.inf))
    gamma = case.get("l2", 0.0)
    obj = case["objective"]
    if "turnover" in case or "cost" in case:
        # The L1 terms have kinks where w = w0, so no simple active-set polish: Clarabel's
        # answer at 1e-12 stands (accurate to about 1e-10).
        w0 = np.full(n, 1.0 / n)
        if "turnover" in case:
            cons.append(cp.norm1(w - w0) <= case["turnover"])
        penalty = case.get("cost", 0.0) * cp.norm1(w - w0)
        lam = case["riskAversion"]
        prob = cp.Problem(cp.Maximize(mu @ w - 0.5 * lam * cp.quad_form(w, cov) - penalty), cons)
        prob.solve(solver="CLARABEL", **TIGHT)
        return np.array(w.value)
    A = np.ones((1, n))
    b = np.array([1.0])
    if obj == "min-volatility":
        prob = cp.Problem(cp.Minimize(cp.quad_form(w, cov) + gamma * cp.sum_squares(w)), cons)
        P, q = 2 * cov + 2 * gamma * np.eye(n), np.zeros(n)
    elif obj == "max-utility":
        lam = case["riskAversion"]
        prob = cp.Problem(cp.Maximize(mu @ w - 0.5 * lam * cp.quad_form(w, cov) - gamma * cp.sum_squares(w)), cons)
        P, q = lam * cov + 2 * gamma * np.eye(n), -mu
    elif obj == "efficient-return":
        cons.append(mu @ w >= case["targetReturn"])
        rows.append((mu, case["targetReturn"], np.inf))
        prob = cp.Problem(cp.Minimize(cp.quad_form(w, cov) + gamma * cp.sum_squares(w)), cons)
        P, q = 2 * cov + 2 * gamma * np.eye(n), np.zeros(n)
    elif obj == "efficient-risk":
        cons.append(cp.quad_form(w, cov) <= case["targetVolatility"] ** 2)
        prob = cp.Problem(cp.Maximize(mu @ w), cons)
        P = None
    elif obj == "max-sharpe":
        rf = case["riskFreeRate"]
        y = cp.Variable(n)
        k = cp.Variable()
        hc = [(mu - rf) @ y == 1, cp.sum(y) == k, k >= 0, y >= k * lo, y <= k * hi]
        for (c, glo, ghi) in rows:
            if np.isfinite(glo):
                hc.append(c @ y >= k * glo)
            if np.isfinite(ghi):
                hc.append(c @ y <= k * ghi)
        prob = cp.Problem(cp.Minimize(cp.quad_form(y, cov)), hc)
        prob.solve(solver="CLARABEL", **TIGHT)
        wv = y.value / k.value
        # Polish: the Sharpe optimum is the minimum-variance portfolio at its own return.
        rows2 = rows + [(mu, float(mu @ wv), float(mu @ wv))]
        wv = polish(wv, rows2, n, 2 * cov, np.zeros(n), A, b)
        return wv
    else:
        raise ValueError(obj)
    prob.solve(solver="CLARABEL", **TIGHT)
    wv = np.array(w.value)
    if P is not None:
        wv = polish(wv, rows, n, P, q, A, b)
    else:
        wv = polish_efficient_risk(wv, rows, n, mu, cov, A, b, case["targetVolatility"])
    return wv


def polish_efficient_risk(w, cons_rows, n, mu, cov, A, b, sigma):
    """On the active set, the efficient-risk optimum is w(t) = argmin ½wᵀΣw - t μᵀw, affine in
    t; the t with wᵀΣw = σ² solves a quadratic."""
    wa = kkt_solve(w, cons_rows, n, cov, np.zeros(n), A, b)
    wb = kkt_solve(w, cons_rows, n, cov, -mu, A, b) - wa
    qa, qb, qc = wb @ cov @ wb, 2 * wa @ cov @ wb, wa @ cov @ wa - sigma**2
    t = (-qb + np.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
    wp = wa + t * wb
    return wp if np.max(np.abs(wp - w)) < 1e-6 else w


def pypfopt_performance(case, symbols, mu, cov):
    obj = case["objective"]
    if case.get("groups") or case.get("lowerBounds") or case.get("upperBounds") or case.get("cash") or "turnover" in case or "cost" in case:
        return None
    ef = EfficientFrontier(pd.Series(mu, index=symbols), pd.DataFrame(cov, index=symbols, columns=symbols),
                           weight_bounds=(case.get("lower", 0.0), case.get("upper", 1.0)), solver="CLARABEL", solver_options=TIGHT)
    if case.get("l2"):
        ef.add_objective(objective_functions.L2_reg, gamma=case["l2"])
    rf = case.get("riskFreeRate", 0.02)
    if obj == "min-volatility":
        ef.min_volatility()
    elif obj == "max-utility":
        ef.max_quadratic_utility(risk_aversion=case["riskAversion"])
    elif obj == "efficient-return":
        ef.efficient_return(case["targetReturn"])
    elif obj == "efficient-risk":
        ef.efficient_risk(case["targetVolatility"])
    elif obj == "max-sharpe":
        ef.max_sharpe(risk_free_rate=rf)
    weights = np.array([ef.weights[i] for i in range(len(symbols))])
    perf = ef.portfolio_performance(risk_free_rate=rf)
    return {"weights": [float(x) for x in weights], "performance": [float(x) for x in perf], "riskFreeRate": rf}


def reference_cla(mu, cov, bounds):
    """Turning points of min ½wᵀΣw - λ μᵀw over the budget and box bounds, for λ from 0 up.

    On a fixed free set F the KKT system [[Σ_FF, 1], [1ᵀ, 0]] [w_F; γ] = [λ μ_F - Σ_FB w_B; 1 - Σ w_B]
    is solved for λ = 0 and for the λ-slope (numpy.linalg.solve), giving w_F = a + λ b and
    γ = g0 + λ g1; events are free weights reaching a bound and bound multipliers
    r_j = (Σw)_j - λ μ_j + γ changing sign.
    """
    n = len(mu)
    lo, hi = np.full(n, bounds[0]), np.full(n, bounds[1])
    w = cp.Variable(n)
    cp.Problem(cp.Minimize(cp.quad_form(w, cov)), [cp.sum(w) == 1, w >= lo, w <= hi]).solve(solver="CLARABEL", **TIGHT)
    x = np.array(w.value)
    state = np.where(x <= lo + 1e-9, -1, np.where(x >= hi - 1e-9, 1, 0))
    x = np.where(state == -1, lo, np.where(state == 1, hi, x))
    # Re-solve the KKT at λ = 0 on the identified set for an exact start.
    lam = 0.0
    points = []

    def solve_set(state, x):
        F = np.where(state == 0)[0]
        B = np.where(state != 0)[0]
        k = len(F)
        K = np.zeros((k + 1, k + 1))
        K[:k, :k] = cov[np.ix_(F, F)]
        K[:k, k] = 1
        K[k, :k] = 1
        r0 = np.concatenate([-cov[np.ix_(F, B)] @ x[B], [1 - x[B].sum()]])
        r1 = np.concatenate([mu[F], [0.0]])
        s0 = np.linalg.solve(K, r0)
        s1 = np.linalg.solve(K, r1)
        return F, B, s0[:k], s1[:k], s0[k], s1[k]

    F, B, a, b, g0, g1 = solve_set(state, x)
    x[F] = a
    points.append({"lambda": 0.0, "weights": [float(v) for v in x], "expectedReturn": float(mu @ x), "volatility": float(np.sqrt(x @ cov @ x))})
    for _ in range(10 * n):
        if not (state == 0).any():
            # A vertex: γ must lie between max over lower-bounded j of (λ μ_j - (Σx)_j) and min
            # over upper-bounded i of the same; it ends where the two lines cross, and both
            # assets that meet there become free.
            sx = cov @ x
            best = None
            for j in np.where(state == -1)[0]:
                for i in np.where(state == 1)[0]:
                    if mu[j] > mu[i] and lo[j] < hi[j] and lo[i] < hi[i]:
                        t = (sx[j] - sx[i]) / (mu[j] - mu[i])
                        if t > lam * (1 + 1e-12) + 1e-15 and (best is None or t < best[0]):
                            best = (t, j, i)
            if best is None:
                break
            lam, j, i = best
            state[j] = 0
            state[i] = 0
            points.append({"lambda": float(lam), "weights": [float(v) for v in x], "expectedReturn": float(mu @ x), "volatility": float(np.sqrt(x @ cov @ x))})
            continue
        F, B, a, b, g0, g1 = solve_set(state, x)
        events = []
        for idx, i in enumerate(F):
            if b[idx] > 0:
                events.append(((hi[i] - a[idx]) / b[idx], i, 1))
            if b[idx] < 0:
                events.append(((lo[i] - a[idx]) / b[idx], i, -1))
        xa = x.copy()
        xa[F] = a
        xb = np.zeros(n)
        xb[F] = b
        c = cov @ xa + g0
        d = cov @ xb - mu + g1
        for j in B:
            if state[j] == -1 and d[j] < -1e-14:
                events.append((-c[j] / d[j], j, 0))
            if state[j] == 1 and d[j] > 1e-14:
                events.append((-c[j] / d[j], j, 0))
        events = [e for e in events if e[0] > lam * (1 + 1e-12) + 1e-15]
        if not events:
            break
        t = min(e[0] for e in events)
        x[F] = a + t * b
        for (te, j, side) in events:
            if te <= t * (1 + 1e-12):
                state[j] = side
                if side == -1:
                    x[j] = lo[j]
                elif side == 1:
                    x[j] = hi[j]
        lam = t
        points.append({"lambda": float(t), "weights": [float(v) for v in x], "expectedReturn": float(mu @ x), "volatility": float(np.sqrt(x @ cov @ x))})
    return points


def check_segments(points, mu, cov, bounds):
    """Every segment midpoint must be the efficient portfolio at its return (cvxpy/Clarabel)."""
    n = len(mu)
    for p, q in zip(points, points[1:]):
        wm = (np.array(p["weights"]) + np.array(q["weights"])) / 2
        w = cp.Variable(n)
        cp.Problem(cp.Minimize(cp.quad_form(w, cov)), [cp.sum(w) == 1, w >= bounds[0], w <= bounds[1], mu @ w >= mu @ wm]).solve(solver="CLARABEL", **TIGHT)
        assert np.max(np.abs(w.value - wm)) < 1e-7, (p["lambda"], q["lambda"], np.max(np.abs(w.value - wm)))


CASES = [
    {"name": "min-volatility long-only", "objective": "min-volatility"},
    {"name": "max-sharpe rf 2%", "objective": "max-sharpe", "riskFreeRate": 0.02},
    {"name": "max-utility lambda 1", "objective": "max-utility", "riskAversion": 1.0},
    {"name": "max-utility lambda 5", "objective": "max-utility", "riskAversion": 5.0},
    {"name": "efficient-return 20%", "objective": "efficient-return", "targetReturn": 0.20},
    {"name": "efficient-risk 20%", "objective": "efficient-risk", "targetVolatility": 0.20},
    {"name": "min-volatility bounds 2%-15%", "objective": "min-volatility", "lower": 0.02, "upper": 0.15},
    {"name": "min-volatility L2 0.1", "objective": "min-volatility", "l2": 0.1},
    {"name": "max-sharpe bounds 0-20%", "objective": "max-sharpe", "riskFreeRate": 0.02, "upper": 0.2},
    {
        "name": "max-utility with groups",
        "objective": "max-utility",
        "riskAversion": 2.0,
        "groups": [
            {"name": "tech", "members": ["AAPL", "AMD", "MSFT"], "maximum": 0.2},
            {"name": "energy", "members": ["CVX", "XOM", "RRC"], "minimum": 0.1},
        ],
    },
    {
        "name": "max-sharpe with groups and per-asset bounds",
        "objective": "max-sharpe",
        "riskFreeRate": 0.01,
        "upperBounds": {"UNH": 0.1, "LLY": 0.1},
        "groups": [{"name": "staples", "members": ["KO", "PEP", "PG", "WMT"], "minimum": 0.25, "maximum": 0.5}],
    },
    {"name": "max-utility turnover 30% from equal weights", "objective": "max-utility", "riskAversion": 3.0, "turnover": 0.3},
    {"name": "max-utility cost 1% from equal weights", "objective": "max-utility", "riskAversion": 3.0, "cost": 0.01},
    {"name": "max-utility with cash at 2%", "objective": "max-utility", "riskAversion": 8.0, "cash": True, "cashRate": 0.02},
    {"name": "efficient-risk 15% with cash", "objective": "efficient-risk", "targetVolatility": 0.15, "cash": True, "cashRate": 0.02},
    {
        "name": "efficient-risk 18% with groups",
        "objective": "efficient-risk",
        "targetVolatility": 0.18,
        "groups": [{"name": "tech", "members": ["AAPL", "AMD", "MSFT"], "maximum": 0.15}],
    },
    {
        "name": "efficient-return with groups",
        "objective": "efficient-return",
        "targetReturn": 0.15,
        "groups": [{"name": "banks", "members": ["BAC", "JPM"], "maximum": 0.05}],
    },
]


if __name__ == "__main__":
    start, end = "2018-01-01", "2022-12-28"
    symbols, mu, cov = data(start, end)
    out = {
        "versions": {"numpy": np.__version__, "cvxpy": cp.__version__, "PyPortfolioOpt": "1.6.0", "python": sys.version.split()[0]},
        "prices": "market-data/sp500_20.csv",
        "start": start,
        "end": end,
        "symbols": symbols,
        "cases": [],
    }
    for case in CASES:
        w = solve_case(case, symbols, mu, cov)
        entry = dict(case)
        entry["weights"] = [float(x) for x in w]
        m, c = mu, cov
        if case.get("cash"):
            m, c = np.append(mu, case["cashRate"]), np.pad(cov, ((0, 1), (0, 1)))
        entry["expectedReturn"] = float(m @ w)
        entry["volatility"] = float(np.sqrt(w @ c @ w))
        entry["pypfopt"] = pypfopt_performance(case, symbols, mu, cov)
        out["cases"].append(entry)
        print(f"{case['name']:<45} ret {entry['expectedReturn']:.6f} vol {entry['volatility']:.6f}", file=sys.stderr)
    # Critical line algorithm. PyPortfolioOpt's CLA (a port of Bailey & López de Prado's code)
    # skips turning points on this data: the midpoint of its segment between lambda 0.00279
    # and 0.0444 has volatility 0.172431 where the efficient portfolio at that return has
    # 0.172422. The reference here is therefore a direct numpy implementation of the
    # parametric KKT walk (reference_cla below), whose every segment midpoint is checked
    # against cvxpy/Clarabel; PyPortfolioOpt's points are kept for information.
    from pypfopt.cla import CLA

    out["criticalLine"] = []
    for bounds in ((0.0, 1.0), (0.0, 0.2), (0.02, 0.3)):
        cla = CLA(pd.Series(mu, index=symbols), pd.DataFrame(cov, index=symbols, columns=symbols), weight_bounds=bounds)
        cla._solve()
        points = []
        for w, lam in zip(cla.w, cla.ls):
            w = np.asarray(w, dtype=float).ravel()
            points.append({"lambda": None if lam is None else float(lam), "weights": [float(x) for x in w],
                           "expectedReturn": float(mu @ w), "volatility": float(np.sqrt(w @ cov @ w))})
        cla2 = CLA(pd.Series(mu, index=symbols), pd.DataFrame(cov, index=symbols, columns=symbols), weight_bounds=bounds)
        ms = cla2.max_sharpe()
        msw = np.array([ms[s] for s in symbols])
        ref_points = reference_cla(mu, cov, bounds)
        check_segments(ref_points, mu, cov, bounds)
        out["criticalLine"].append({"lower": bounds[0], "upper": bounds[1], "turningPoints": ref_points, "pypfoptTurningPoints": points,
                                    "maxSharpeWeights": [float(x) for x in msw],
                                    "maxSharpePerformance": [float(x) for x in cla2.portfolio_performance(risk_free_rate=0.0)]})
        print(f"CLA bounds {bounds}: {len(points)} turning points", file=sys.stderr)
    with open(os.path.join(HERE, "optimizer_reference.json"), "w") as f:
        json.dump(out, f, indent=1, allow_nan=False)
        f.write("\n")

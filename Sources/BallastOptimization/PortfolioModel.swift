import BallastLinearAlgebra
import BallastMarketData
import BallastRiskModels
import Foundation

/// The data of a mean-variance problem in index form, checked, with the builders of the
/// quadratic programs each objective needs.
struct PortfolioModel {
    let assets: [String]
    let mu: [Double]
    let sigma: Matrix
    let lower: [Double]
    let upper: [Double]
    /// Group and linear rows over the weights: coefficients, lower, upper, name.
    let rows: [(coefficients: [Double], lower: Double, upper: Double, name: String)]
    let l2: Double
    let current: [Double]?
    let turnover: Double?
    let cost: Double

    var n: Int { assets.count }

    init(distribution d: ReturnDistribution, constraints c: PortfolioConstraints, riskFreeRate: Double) throws(OptimizationError) {
        var assets = d.assets
        var mu = d.expectedReturns
        var sigma = d.covariance
        if let cash = c.cashSymbol {
            if assets.contains(cash) {
                throw OptimizationError(
                    .invalidParameter, message: "the cash symbol \(cash) is already an asset", fix: "choose another cash symbol")
            }
            let n0 = assets.count
            var s = Matrix(rows: n0 + 1, columns: n0 + 1)
            for j in 0..<n0 { for i in 0..<n0 { s[i, j] = sigma[i, j] } }
            sigma = s
            assets.append(cash)
            mu.append(riskFreeRate)
        }
        let n = assets.count
        guard n > 0 else { throw OptimizationError(.invalidParameter, message: "there are no assets", fix: "give at least one asset") }
        if let k = mu.firstIndex(where: { !$0.isFinite }) {
            throw OptimizationError(
                .invalidParameter, message: "the expected return of \(assets[k]) is not finite", fix: "check the risk model")
        }
        // Positive semidefiniteness: Cholesky of Σ + εI (ε = 1e-12 of the largest variance)
        // succeeds for every positive semidefinite Σ; only when it fails are the eigenvalues
        // computed, to tell rounding from a real negative eigenvalue.
        guard sigma.isFinite else {
            throw OptimizationError(
                .notPositiveSemidefinite, message: "the covariance holds non-finite values", fix: "check the risk model")
        }
        // A covariance whose variances span more than twelve orders of magnitude (volatilities a
        // million times apart) cannot be optimised in double precision: the small assets fall
        // below the solver's tolerance. No real asset does this; a bad price does.
        let variances = (0..<sigma.rows).map { sigma[$0, $0] }
        let positive = variances.filter { $0 > 0 }.sorted()
        if let median = positive.isEmpty ? nil : positive[positive.count / 2],
            let k = variances.indices.max(by: { variances[$0] < variances[$1] }),
            variances[k] > 1e12 * median
        {
            throw OptimizationError(
                .invalidParameter,
                message:
                    "the variance of \(assets[k]) is \(String(format: "%.1e", variances[k] / median)) times the median asset's (volatility \(String(format: "%.3g", variances[k].squareRoot()))): no portfolio can be optimised accurately on such a covariance",
                fix: "check \(assets[k])'s prices for a bad value (the price-check warnings name it), correct it, or leave the asset out")
        }
        var shifted = sigma
        let top = Swift.max(sigma.diagonal.max() ?? 0, 1e-300)
        for i in 0..<sigma.rows { shifted[i, i] += 1e-12 * top }
        if (try? Cholesky(shifted)) == nil {
            let eig = try? SymmetricEigendecomposition(sigma, computeVectors: false)
            let low = eig?.values.first ?? -.infinity
            let high = Swift.max(abs(eig?.values.last ?? 1), 1e-300)
            if low < -1e-10 * high {
                throw OptimizationError(
                    .notPositiveSemidefinite,
                    message: "the covariance is not positive semidefinite (smallest eigenvalue \(formatted(low)))",
                    fix: "repair it first (ballast: --repair clip or --repair higham; library: CovarianceRepair.repair)")
            }
        }
        let index = Dictionary(uniqueKeysWithValues: assets.enumerated().map { ($1, $0) })
        func position(_ s: String, _ context: String) throws(OptimizationError) -> Int {
            guard let i = index[s] else {
                throw OptimizationError(
                    .unknownAsset, message: "\(context) names \(s), which is not among the assets",
                    fix: "use one of: \(assets.joined(separator: ", "))")
            }
            return i
        }
        var lower = [Double](repeating: c.defaultLower, count: n)
        var upper = [Double](repeating: c.defaultUpper, count: n)
        for (s, v) in c.lowerBounds { lower[try position(s, "a lower bound")] = v }
        for (s, v) in c.upperBounds { upper[try position(s, "an upper bound")] = v }
        for i in 0..<n where lower[i] > upper[i] {
            throw OptimizationError(
                .infeasibleBounds,
                message: "the bounds of \(assets[i]) are empty: lower \(formatted(lower[i])) > upper \(formatted(upper[i]))",
                fix: "make the lower bound at most the upper bound")
        }
        let sumLower = lower.reduce(0, +)
        let sumUpper = upper.reduce(0, +)
        if sumLower > 1 + 1e-12 {
            throw OptimizationError(
                .infeasibleBounds, message: "the lower bounds sum to \(formatted(sumLower)), above the budget of 1",
                fix: "lower some minimum weights (by \(formatted(sumLower - 1)) in total)")
        }
        if sumUpper < 1 - 1e-12 {
            throw OptimizationError(
                .infeasibleBounds, message: "the upper bounds sum to \(formatted(sumUpper)), below the budget of 1",
                fix: "raise some maximum weights (by \(formatted(1 - sumUpper)) in total) or add a cash asset")
        }
        var rows: [(coefficients: [Double], lower: Double, upper: Double, name: String)] = []
        for g in c.groups {
            var coefficients = [Double](repeating: 0, count: n)
            var lo = 0.0
            var hi = 0.0
            for m in g.members {
                let i = try position(m, "group \(g.name)")
                coefficients[i] = 1
                lo += lower[i]
                hi += upper[i]
            }
            let gmin = g.minimum ?? -.infinity
            let gmax = g.maximum ?? .infinity
            if gmin > gmax {
                throw OptimizationError(
                    .infeasibleGroup, message: "group \(g.name) has minimum \(formatted(gmin)) above its maximum \(formatted(gmax))",
                    fix: "swap or correct the group limits")
            }
            if gmin > hi + 1e-12 {
                throw OptimizationError(
                    .infeasibleGroup,
                    message: "group \(g.name) needs at least \(formatted(gmin)) but its members' upper bounds allow only \(formatted(hi))",
                    fix: "lower the group minimum or raise its members' upper bounds")
            }
            if gmax < lo - 1e-12 {
                throw OptimizationError(
                    .infeasibleGroup,
                    message: "group \(g.name) allows at most \(formatted(gmax)) but its members' lower bounds need \(formatted(lo))",
                    fix: "raise the group maximum or lower its members' lower bounds")
            }
            if gmin > 1 + 1e-12 {
                throw OptimizationError(
                    .infeasibleGroup, message: "group \(g.name) needs at least \(formatted(gmin)), above the budget of 1",
                    fix: "lower the group minimum")
            }
            rows.append((coefficients, gmin, gmax, "group \(g.name)"))
        }
        for l in c.linear {
            var coefficients = [Double](repeating: 0, count: n)
            for (s, v) in l.coefficients { coefficients[try position(s, "constraint \(l.name)")] = v }
            let lo = l.lower ?? -.infinity
            let hi = l.upper ?? .infinity
            if lo > hi {
                throw OptimizationError(
                    .infeasibleConstraints, message: "constraint \(l.name) has lower \(formatted(lo)) above upper \(formatted(hi))",
                    fix: "correct its limits")
            }
            rows.append((coefficients, lo, hi, "constraint \(l.name)"))
        }
        var current: [Double]?
        if let w0 = c.currentWeights {
            var v = [Double](repeating: 0, count: n)
            for (s, x) in w0 { v[try position(s, "the current weights")] = x }
            current = v
        }
        if (c.turnoverLimit != nil || (c.proportionalCost ?? 0) != 0) && current == nil {
            throw OptimizationError(
                .invalidParameter, message: "a turnover limit or a transaction cost needs the current weights",
                fix: "give the current weights")
        }
        if let t = c.turnoverLimit, !(t >= 0) {
            throw OptimizationError(.invalidParameter, message: "turnover limit \(t) is negative", fix: "use a limit of at least 0")
        }
        if !(c.l2Regularization >= 0) {
            throw OptimizationError(
                .invalidParameter, message: "L2 regularisation \(c.l2Regularization) is negative", fix: "use 0 or a positive gamma")
        }
        self.assets = assets
        self.mu = mu
        self.sigma = sigma
        self.lower = lower
        self.upper = upper
        self.rows = rows
        self.l2 = c.l2Regularization
        self.current = current
        self.turnover = c.turnoverLimit
        self.cost = c.proportionalCost ?? 0
    }

    var usesSplitting: Bool { current != nil && (turnover != nil || cost != 0) }

    func expectedReturn(_ w: [Double]) -> Double { zip(mu, w).reduce(0) { $0 + $1.0 * $1.1 } }

    func volatility(_ w: [Double]) -> Double {
        let sw = sigma.times(w)
        return Swift.max(0, zip(w, sw).reduce(0) { $0 + $1.0 * $1.1 }).squareRoot()
    }

    /// `(μᵀw - rf) / sqrt(wᵀΣw)`, or `nil` when the variance is rounding: the computed `wᵀΣw`
    /// of a portfolio whose true variance is zero is of the order of `n ε (Σ |w_i| σ_i)²`
    /// (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1), so a variance below
    /// a hundred times that bound is treated as zero and the ratio as undefined.
    func sharpeRatio(_ w: [Double], riskFreeRate rf: Double) -> Double? {
        var scale = 0.0
        for i in 0..<n { scale += abs(w[i]) * Swift.max(sigma[i, i], 0).squareRoot() }
        let vol = volatility(w)
        let floor = (100 * Double(n) * Double.ulpOfOne).squareRoot() * scale
        return DefinedRatio.value(expectedReturn(w) - rf, over: vol, zeroBelow: floor)
    }

    /// The program minimising `r wᵀΣw + γ‖w‖² - a μᵀw + κ Σ|w - w0|` (`r = riskScale`,
    /// `a = returnWeight`) over the budget, the bounds, the group and linear rows, the
    /// turnover limit and `extraRows` on the weights. With current weights, `w = w0 + u - v`,
    /// `u, v ≥ 0` splits the absolute values (variables `[w, u, v]`).
    func program(riskScale r: Double, returnWeight a: Double, extraRows: [([Double], Double, Double)] = []) -> QuadraticProgram {
        let n = self.n
        let split = usesSplitting
        let size = split ? 3 * n : n
        var p: Matrix
        if size == n {
            p = sigma.scaled(by: 2 * r)
        } else {
            p = Matrix(rows: size, columns: size)
            for j in 0..<n { for i in 0..<n { p.elements[i + j * size] = 2 * r * sigma.elements[i + j * n] } }
        }
        for j in 0..<n { p.elements[j + j * size] += 2 * l2 }
        var q = [Double](repeating: 0, count: size)
        for i in 0..<n { q[i] = -a * mu[i] }
        if split { for i in n..<(3 * n) { q[i] = cost } }
        var qp = QuadraticProgram(P: p, q: q)
        for i in 0..<n {
            qp.lowerBounds[i] = lower[i]
            qp.upperBounds[i] = upper[i]
        }
        var budget = [Double](repeating: 0, count: size)
        for i in 0..<n { budget[i] = 1 }
        var eqRows = [budget]
        var eqRHS = [1.0]
        if split, let w0 = current {
            for i in n..<(3 * n) { qp.lowerBounds[i] = 0 }
            for i in 0..<n {
                var row = [Double](repeating: 0, count: size)
                row[i] = 1
                row[n + i] = -1
                row[2 * n + i] = 1
                eqRows.append(row)
                eqRHS.append(w0[i])
            }
        }
        qp.addEqualities(eqRows, eqRHS)
        var ineq: [[Double]] = []
        var lo: [Double] = []
        var hi: [Double] = []
        for r in rows + extraRows.map({ (coefficients: $0.0, lower: $0.1, upper: $0.2, name: "") }) {
            var row = [Double](repeating: 0, count: size)
            for i in 0..<n { row[i] = r.coefficients[i] }
            ineq.append(row)
            lo.append(r.lower)
            hi.append(r.upper)
        }
        if split, let t = turnover {
            var row = [Double](repeating: 0, count: size)
            for i in n..<(3 * n) { row[i] = 1 }
            ineq.append(row)
            lo.append(-.infinity)
            hi.append(t)
        }
        if !ineq.isEmpty { qp.addInequalities(ineq, lower: lo, upper: hi) }
        return qp
    }

    func run(_ qp: QuadraticProgram, _ options: QPOptions, what: String) throws(OptimizationError) -> QPSolution {
        let s = InteriorPointSolver(options: options).solve(qp)
        switch s.status {
        case .optimal: return s
        case .infeasible:
            let names = rows.map(\.name)
            throw OptimizationError(
                .infeasibleConstraints,
                message:
                    "no portfolio satisfies the budget, the bounds\(names.isEmpty ? "" : " and " + names.joined(separator: ", "))\(turnover != nil ? " and the turnover limit" : "")",
                fix: "relax the constraints (the bounds and group limits each admit portfolios on their own; their combination does not)")
        case .unbounded:
            throw OptimizationError(.solverFailure, message: "the \(what) problem is unbounded", fix: "add bounds on the weights")
        case .iterationLimit, .numericalError:
            throw OptimizationError(
                .solverFailure,
                message:
                    "the \(what) solve did not converge (\(s.status.rawValue) after \(s.iterations) iterations, KKT residual \(s.kktResidual))",
                fix: "check the covariance's condition number; repair it or add L2 regularisation")
        }
    }

    func solveUtility(returnWeight a: Double, riskWeight lambda: Double, options: QPOptions) throws(OptimizationError) -> (
        weights: [Double], solution: QPSolution, solves: Int
    ) {
        // PyPortfolioOpt's conventions: minimum volatility minimises wᵀΣw (+ γ‖w‖²); utility
        // maximises μᵀw - (λ/2) wᵀΣw (- γ‖w‖²).
        let r = a == 0 ? 1 : lambda / 2
        let qp = program(riskScale: r, returnWeight: a)
        if fastPath {
            // Start at the vertex that fills the budget with the best assets one by one.
            let score = (0..<n).map { a * mu[$0] - r * sigma[$0, $0] - l2 }
            if let s = ActiveSetSolver().solve(qp, start: greedyVertex(preferring: score)) { return (s.x, s, 1) }
        }
        let s = try run(qp, options, what: a == 0 ? "minimum-volatility" : "utility")
        return (Array(s.x[0..<n]), s, 1)
    }

    /// Budget and bounds only (no group or linear rows, no turnover or cost): the shape the
    /// active-set solver handles.
    var fastPath: Bool { rows.isEmpty && !usesSplitting }

    /// The feasible vertex that starts every variable at its lower bound and then fills the
    /// rest of the budget in order of decreasing `score`, each up to its upper bound.
    func greedyVertex(preferring score: [Double]) -> [Double] {
        var w = lower
        var left = 1 - lower.reduce(0, +)
        for i in (0..<n).sorted(by: { score[$0] > score[$1] || (score[$0] == score[$1] && $0 < $1) }) where left > 0 {
            let add = Swift.min(upper[i] - lower[i], left)
            w[i] += add
            left -= add
        }
        return w
    }

    /// The largest expected return any feasible portfolio reaches (a linear program).
    func maximumReturn(options: QPOptions) throws(OptimizationError) -> (weights: [Double], value: Double) {
        if fastPath {
            // With only the budget and bounds the greedy fill by expected return is optimal.
            let w = greedyVertex(preferring: mu)
            return (w, expectedReturn(w))
        }
        let s = try run(program(riskScale: 0, returnWeight: 1), options, what: "maximum-return")
        let w = Array(s.x[0..<n])
        return (w, expectedReturn(w))
    }

    /// - Parameters:
    ///   - ends: the minimum-volatility and maximum-return portfolios when the caller has them
    ///     already (a sweep solves them once, not once per point).
    func solveEfficientReturn(
        target: Double, options: QPOptions,
        ends: (minVol: (weights: [Double], solution: QPSolution, solves: Int), best: (weights: [Double], value: Double))? = nil
    ) throws(OptimizationError) -> (
        weights: [Double], solution: QPSolution, solves: Int
    ) {
        guard target.isFinite else {
            throw OptimizationError(
                .invalidParameter, message: "target return \(formatted(target)) is not finite", fix: "give an annual return such as 0.1")
        }
        let best: (weights: [Double], value: Double)
        let minVol: (weights: [Double], solution: QPSolution, solves: Int)
        if let ends {
            (best, minVol) = (ends.best, ends.minVol)
        } else {
            best = try maximumReturn(options: options)
            minVol = try solveUtility(returnWeight: 0, riskWeight: 1, options: options)
        }
        if target > best.value + 1e-12 * Swift.max(1, abs(best.value)) {
            throw OptimizationError(
                .targetOutOfRange,
                message: "target return \(formatted(target)) is above the highest attainable, \(formatted(best.value))",
                fix:
                    "choose a target between \(formatted(expectedReturn(minVol.weights))) (minimum volatility) and \(formatted(best.value))"
            )
        }
        let minVolReturn = expectedReturn(minVol.weights)
        if target <= minVolReturn { return (minVol.weights, minVol.solution, 3) }
        if fastPath {
            // The return constraint binds: it is an equality, and a feasible start lies on
            // the segment between the minimum-volatility and maximum-return portfolios.
            var qp = program(riskScale: 1, returnWeight: 0)
            qp.addEqualities([mu], [target])
            let theta = (target - minVolReturn) / (best.value - minVolReturn)
            let start = (0..<n).map { minVol.weights[$0] + theta * (best.weights[$0] - minVol.weights[$0]) }
            if let s = ActiveSetSolver().solve(qp, start: start) { return (s.x, s, 3) }
        }
        let s = try run(program(riskScale: 1, returnWeight: 0, extraRows: [(mu, target, .infinity)]), options, what: "efficient-return")
        return (Array(s.x[0..<n]), s, 3)
    }

    func solveEfficientRisk(target: Double, options: QPOptions) throws(OptimizationError) -> (
        weights: [Double], solution: QPSolution, solves: Int
    ) {
        guard target.isFinite, target > 0 else {
            throw OptimizationError(
                .invalidParameter, message: "target volatility \(formatted(target)) is not positive",
                fix: "give an annual volatility such as 0.15")
        }
        let minVol = try solveUtility(returnWeight: 0, riskWeight: 1, options: options)
        let lowest = volatility(minVol.weights)
        let best = try maximumReturn(options: options)
        let highest = volatility(best.weights)
        if target < lowest * (1 - 1e-12) {
            throw OptimizationError(
                .targetOutOfRange, message: "target volatility \(formatted(target)) is below the lowest attainable, \(formatted(lowest))",
                fix: "choose a target between \(formatted(lowest)) and \(formatted(highest))")
        }
        var solves = 2
        if target >= highest * (1 - 1e-10) {
            // At (or within rounding of) the riskiest efficient portfolio the volatility limit
            // does not bind: the answer is the maximum-return portfolio.
            return (best.weights, try run(program(riskScale: 0, returnWeight: 1), options, what: "maximum-return"), solves + 1)
        }
        // Utility max μᵀw - (δ/2) wᵀΣw traces the frontier; volatility falls as δ grows.
        // Find δ with volatility = target: bracket in log δ, then Illinois regula falsi.
        func volatilityAt(_ logDelta: Double) throws(OptimizationError) -> (Double, [Double], QPSolution) {
            let r = try solveUtility(returnWeight: 1, riskWeight: exp(logDelta), options: options)
            solves += 1
            return (volatility(r.weights) - target, r.weights, r.solution)
        }
        var a = 0.0
        var (fa, wa, sa) = try volatilityAt(a)
        var b = a
        var fb = fa
        var wb = wa
        var sb = sa
        var stepSize = 2.0
        while fa.sign == fb.sign && abs(b) < 30 {
            b += fa > 0 ? stepSize : -stepSize
            stepSize *= 1.5
            (fb, wb, sb) = try volatilityAt(b)
            if fa.sign == fb.sign {
                (a, fa, wa, sa) = (b, fb, wb, sb)
            }
        }
        if fa.sign == fb.sign {
            throw OptimizationError(
                .solverFailure, message: "could not bracket the target volatility \(formatted(target))",
                fix: "choose a target between \(formatted(lowest)) and \(formatted(highest))")
        }
        var side = 0
        for _ in 0..<200 {
            let c = (a * fb - b * fa) / (fb - fa)
            let (fc, wc, sc) = try volatilityAt(c)
            if abs(fc) <= 1e-13 * target || abs(b - a) < 1e-14 { return (wc, sc, solves) }
            if fc.sign == fb.sign {
                (b, fb, wb, sb) = (c, fc, wc, sc)
                if side == -1 { fa /= 2 }
                side = -1
            } else {
                (a, fa, wa, sa) = (c, fc, wc, sc)
                if side == 1 { fb /= 2 }
                side = 1
            }
        }
        return abs(fa) < abs(fb) ? (wa, sa, solves) : (wb, sb, solves)
    }

    func solveMaximumSharpe(riskFreeRate rf: Double, options: QPOptions) throws(OptimizationError) -> (
        weights: [Double], solution: QPSolution, solves: Int
    ) {
        if usesSplitting {
            throw OptimizationError(
                .invalidParameter,
                message: "maximum Sharpe cannot take a turnover limit or a transaction cost (they break its homogeneity)",
                fix: "use max-utility or efficient-risk with the turnover limit")
        }
        let excess = mu.map { $0 - rf }
        let reachable = (0..<n).contains { excess[$0] > 0 && upper[$0] > 0 }
        if !reachable {
            throw OptimizationError(
                .noReturnAboveRiskFree,
                message: "no asset's expected return exceeds the risk-free rate \(formatted(rf)), so the Sharpe ratio cannot be positive",
                fix: "lower the risk-free rate, use other expected returns, or choose min-volatility")
        }
        // Variables (y, κ) with w = y / κ: minimise yᵀΣy subject to (μ - rf)ᵀy = 1, Σy = κ,
        // κ·lower ≤ y ≤ κ·upper, and every row l ≤ cᵀw ≤ u as κ l ≤ cᵀy ≤ κ u.
        let size = n + 1
        var p = Matrix(rows: size, columns: size)
        for j in 0..<n {
            for i in 0..<n { p[i, j] = 2 * sigma[i, j] }
            p[j, j] += 2 * l2
        }
        var qp = QuadraticProgram(P: p, q: [Double](repeating: 0, count: size))
        qp.lowerBounds[n] = 0
        var eq: [[Double]] = []
        eq.append(excess + [0])
        eq.append([Double](repeating: 1, count: n) + [-1])
        qp.addEqualities(eq, [1, 0])
        var rowsG: [[Double]] = []
        var lo: [Double] = []
        var hi: [Double] = []
        // With non-negative weights that sum to one no weight exceeds 1, so upper bounds of
        // 1 or more need no row.
        let longOnly = lower.allSatisfy { $0 >= 0 }
        for i in 0..<n {
            // Plain bounds on y where the weight bound is 0 or infinite; κ-scaled rows otherwise.
            if lower[i] == 0 {
                qp.lowerBounds[i] = 0
            } else if lower[i].isFinite {
                var row = [Double](repeating: 0, count: size)
                row[i] = 1
                row[n] = -lower[i]
                rowsG.append(row)
                lo.append(0)
                hi.append(.infinity)
            }
            if upper[i] == 0 {
                qp.upperBounds[i] = 0
            } else if upper[i].isFinite && !(longOnly && upper[i] >= 1) {
                var row = [Double](repeating: 0, count: size)
                row[i] = 1
                row[n] = -upper[i]
                rowsG.append(row)
                lo.append(-.infinity)
                hi.append(0)
            }
        }
        for r in rows {
            if r.lower.isFinite {
                rowsG.append(r.coefficients + [-r.lower])
                lo.append(0)
                hi.append(.infinity)
            }
            if r.upper.isFinite {
                rowsG.append(r.coefficients + [-r.upper])
                lo.append(-.infinity)
                hi.append(0)
            }
        }
        if !rowsG.isEmpty { qp.addInequalities(rowsG, lower: lo, upper: hi) }
        if fastPath && rowsG.isEmpty {
            // Long-only with no other rows: min yᵀΣy subject to (μ - rf)ᵀy = 1 and y ≥ 0 (κ is
            // just Σy). Start from the asset with the best Sharpe ratio on its own.
            var reduced = QuadraticProgram(P: Matrix(rows: n, columns: n), q: [Double](repeating: 0, count: n))
            for j in 0..<n {
                for i in 0..<n { reduced.P[i, j] = p[i, j] }
                reduced.lowerBounds[j] = 0
                if upper[j] == 0 { reduced.upperBounds[j] = 0 }
            }
            reduced.addEqualities([excess], [1])
            let eligible = (0..<n).filter { excess[$0] > 0 && upper[$0] > 0 }
            let best = eligible.max { excess[$0] / sigma[$0, $0].squareRoot() < excess[$1] / sigma[$1, $1].squareRoot() }!
            var start = [Double](repeating: 0, count: n)
            start[best] = 1 / excess[best]
            if let s = ActiveSetSolver().solve(reduced, start: start) {
                let total = s.x.reduce(0, +)
                if total > 0 { return (s.x.map { $0 / total }, s, 1) }
            }
        }
        let s = try run(qp, options, what: "maximum-Sharpe")
        let kappa = s.x[n]
        guard kappa > 0 else {
            throw OptimizationError(
                .solverFailure, message: "the maximum-Sharpe solve returned a zero scale", fix: "check the expected returns and constraints"
            )
        }
        return ((0..<n).map { s.x[$0] / kappa }, s, 1)
    }
}

/// A number for a message: ten significant digits, no trailing noise.
func formatted(_ x: Double) -> String {
    guard x.isFinite else { return x > 0 ? "infinity" : x < 0 ? "-infinity" : "NaN" }
    return String(format: "%.10g", x)
}

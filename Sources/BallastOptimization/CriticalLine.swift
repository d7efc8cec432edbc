import BallastLinearAlgebra
import BallastMarketData
import BallastRiskModels
import Foundation

/// One point of an efficient frontier.
public struct FrontierPoint: Sendable, Codable, Equatable {
    /// The risk-tolerance parameter `t` of `min ½ wᵀΣw - t μᵀw` at this point (0 at the
    /// minimum-volatility end; PyPortfolioOpt's CLA calls it lambda).
    public var lambda: Double
    /// Weights in the order of the frontier's assets.
    public var weights: [Double]
    /// Expected return of the portfolio at this point.
    public var expectedReturn: Double
    /// Volatility of the portfolio at this point.
    public var volatility: Double

    /// A point from its parameter, weights, return and volatility.
    public init(lambda: Double, weights: [Double], expectedReturn: Double, volatility: Double) {
        self.lambda = lambda
        self.weights = weights
        self.expectedReturn = expectedReturn
        self.volatility = volatility
    }
}

/// An efficient frontier: the assets and the frontier's points from minimum volatility to
/// maximum return.
public struct EfficientFrontier: Sendable, Equatable {
    /// The assets, in the order of every point's weights.
    public var assets: [String]
    /// For `exact` frontiers, the turning points (where an asset enters or leaves the set of
    /// assets strictly inside their bounds); between two of them the weights are affine in
    /// `lambda`. For `sampled` frontiers, the requested points.
    public var points: [FrontierPoint]
    /// Whether `points` are the exact turning points (critical line algorithm).
    public var isExact: Bool
    /// The expected returns and covariance the frontier was computed from.
    let mu: [Double]
    let sigma: Matrix

    /// The point of the exact frontier with a given expected return, by interpolation between
    /// the two turning points around it (exact, since weights are affine in between).
    ///
    /// - Returns: `nil` outside the frontier's return range or for a sampled frontier.
    public func point(atReturn target: Double) -> FrontierPoint? {
        guard isExact, let first = points.first, let last = points.last else { return nil }
        guard target >= first.expectedReturn - 1e-14, target <= last.expectedReturn + 1e-14 else { return nil }
        for (a, b) in zip(points, points.dropFirst()) where target <= b.expectedReturn + 1e-14 {
            let span = b.expectedReturn - a.expectedReturn
            let theta = span > 0 ? Swift.min(Swift.max((target - a.expectedReturn) / span, 0), 1) : 0
            let w = zip(a.weights, b.weights).map { $0 + theta * ($1 - $0) }
            return makePoint(lambda: a.lambda + theta * (b.lambda - a.lambda), weights: w)
        }
        return last
    }

    /// The maximum-Sharpe portfolio on the exact frontier: on each segment the Sharpe ratio of
    /// `w(t) = a + t b` has one stationary point, found in closed form.
    public func maximumSharpe(riskFreeRate rf: Double) -> FrontierPoint? {
        guard isExact, !points.isEmpty else { return nil }
        var best: FrontierPoint?
        var bestSharpe = -Double.infinity
        func consider(_ p: FrontierPoint) {
            guard let s = sharpeRatio(of: p, riskFreeRate: rf) else { return }
            if s > bestSharpe {
                bestSharpe = s
                best = p
            }
        }
        points.forEach(consider)
        for (a, b) in zip(points, points.dropFirst()) {
            // Parametrise by θ ∈ [0, 1]: w = a + θ (b - a).
            let d = zip(b.weights, a.weights).map { $0 - $1 }
            let r0 = a.expectedReturn - rf
            let r1 = b.expectedReturn - a.expectedReturn
            let sa = sigma.times(a.weights)
            let sd = sigma.times(d)
            let v0 = zip(a.weights, sa).reduce(0) { $0 + $1.0 * $1.1 }
            let v1 = zip(d, sa).reduce(0) { $0 + $1.0 * $1.1 }
            let v2 = zip(d, sd).reduce(0) { $0 + $1.0 * $1.1 }
            let den = r1 * v1 - r0 * v2
            guard den != 0 else { continue }
            let theta = (r0 * v1 - r1 * v0) / den
            guard theta > 0 && theta < 1 else { continue }
            consider(makePoint(lambda: a.lambda + theta * (b.lambda - a.lambda), weights: zip(a.weights, d).map { $0 + theta * $1 }))
        }
        return best
    }

    /// What a frontier of one point means.
    public static let singlePortfolioNote =
        "one portfolio is efficient (the bounds admit only it, or the least volatile portfolio also has the highest return)"

    /// `(μᵀw - rf) / σ` of a point, `nil` when its volatility is numerically zero (see
    /// ``OptimizationResult/sharpeRatio``).
    public func sharpeRatio(of p: FrontierPoint, riskFreeRate rf: Double) -> Double? {
        var scale = 0.0
        for i in p.weights.indices { scale += abs(p.weights[i]) * Swift.max(sigma[i, i], 0).squareRoot() }
        let floor = (100 * Double(p.weights.count) * Double.ulpOfOne).squareRoot() * scale
        return DefinedRatio.value(p.expectedReturn - rf, over: p.volatility, zeroBelow: floor)
    }

    func makePoint(lambda: Double, weights: [Double]) -> FrontierPoint {
        let ret = zip(mu, weights).reduce(0) { $0 + $1.0 * $1.1 }
        let sw = sigma.times(weights)
        let v = zip(weights, sw).reduce(0) { $0 + $1.0 * $1.1 }
        return FrontierPoint(lambda: lambda, weights: weights, expectedReturn: ret, volatility: Swift.max(v, 0).squareRoot())
    }
}

extension MeanVarianceProblem {
    /// The exact efficient frontier by the critical line algorithm (Markowitz 1956; Niedermayer
    /// & Niedermayer 2010; Bailey & López de Prado 2013), for the budget and per-asset bounds.
    ///
    /// The walk starts at the minimum-volatility portfolio (`t = 0`) and raises `t` in
    /// `min ½ wᵀΣw - t μᵀw`. On a fixed set of free assets the weights and the budget
    /// multiplier are affine in `t` (two solves with one Cholesky factor of `Σ_FF`); the next
    /// turning point is the smallest `t` at which a free asset reaches a bound or a bounded
    /// asset's multiplier reaches zero. Every turning point is recorded once.
    ///
    /// The problem's objective is ignored; its constraints must be bounds only (no groups,
    /// linear rows, turnover or cost: use ``sampledFrontier(points:)`` for those).
    ///
    /// - Throws: ``OptimizationError``.
    /// - Complexity: O(turning points x k³) for `k` free assets at a time.
    public func exactFrontier() throws(OptimizationError) -> EfficientFrontier {
        let model = try PortfolioModel(distribution: distribution, constraints: constraints, riskFreeRate: riskFreeRate)
        guard model.fastPath else {
            throw OptimizationError(
                .invalidParameter, message: "the exact frontier takes the budget and per-asset bounds only",
                fix: "drop the groups, linear constraints, turnover and cost, or trace the frontier with a number of points")
        }
        return try model.criticalLine(options: options)
    }

    /// The frontier at `points` expected returns evenly spaced from the minimum-volatility
    /// return to the maximum return, each an efficient-return solve under all constraints.
    public func sampledFrontier(points count: Int) throws(OptimizationError) -> EfficientFrontier {
        guard count >= 2 else {
            throw OptimizationError(.invalidParameter, message: "a frontier needs at least 2 points", fix: "ask for 2 or more points")
        }
        let model = try PortfolioModel(distribution: distribution, constraints: constraints, riskFreeRate: riskFreeRate)
        let minVol = try model.solveUtility(returnWeight: 0, riskWeight: 1, options: options)
        let top = try model.maximumReturn(options: options)
        let low = model.expectedReturn(minVol.weights)
        var frontier = EfficientFrontier(assets: model.assets, points: [], isExact: false, mu: model.mu, sigma: model.sigma)
        if top.value - low <= 1e-12 * Swift.max(1, abs(low)) {
            // Degenerate: the least volatile portfolio already has the highest return.
            frontier.points = [frontier.makePoint(lambda: .nan, weights: minVol.weights)]
            return frontier
        }
        if model.fastPath, let exact = try? model.criticalLine(options: options) {
            for k in 0..<count {
                let target = low + (top.value - low) * Double(k) / Double(count - 1)
                if let p = exact.point(atReturn: target) { frontier.points.append(p) }
            }
            if frontier.points.count == count { return frontier }
            frontier.points = []
        }
        // General constraints: a sweep of efficient-return solves, each warm-started at the
        // previous point.
        var warm = options
        var previous = minVol.solution.x
        frontier.points.append(frontier.makePoint(lambda: .nan, weights: minVol.weights))
        for k in 1..<count {
            let target = low + (top.value - low) * Double(k) / Double(count - 1)
            warm.initialPoint = previous
            let r = try model.solveEfficientReturn(target: target, options: warm, ends: (minVol, top))
            previous = r.solution.x
            frontier.points.append(frontier.makePoint(lambda: .nan, weights: r.weights))
        }
        return frontier
    }
}

/// The weights with the free assets' entries replaced by `alpha`.
private func wBoundedForLine(w: [Double], free: [Int], alpha: [Double]) -> [Double] {
    var x = w
    for i in free { x[i] = alpha[i] }
    return x
}

extension PortfolioModel {
    func criticalLine(options: QPOptions) throws(OptimizationError) -> EfficientFrontier {
        let minVol = try solveUtility(returnWeight: 0, riskWeight: 1, options: options)
        var w = minVol.weights
        var frontier = EfficientFrontier(assets: assets, points: [], isExact: true, mu: mu, sigma: sigma)
        let top = greedyVertex(preferring: mu)
        if zip(w, top).allSatisfy({ abs($0 - $1) <= 1e-9 }) || expectedReturn(top) <= expectedReturn(w) {
            // A degenerate frontier: the minimum-volatility portfolio already has the highest
            // return (for example when the bounds admit a single portfolio).
            frontier.points = [frontier.makePoint(lambda: 0, weights: w)]
            return frontier
        }
        // 0 free, -1 at lower, +1 at upper (within rounding of the bound).
        func near(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * Swift.max(1, abs(b)) }
        var state = (0..<n).map { j -> Int in
            w[j] <= lower[j] || near(w[j], lower[j]) ? -1 : (w[j] >= upper[j] || near(w[j], upper[j]) ? 1 : 0)
        }
        for j in 0..<n where state[j] == -1 { w[j] = lower[j] }
        for j in 0..<n where state[j] == 1 { w[j] = upper[j] }
        var t = 0.0
        frontier.points.append(frontier.makePoint(lambda: 0, weights: w))
        let scale = Swift.max(1e-300, sigma.diagonal.max() ?? 1)
        // The free assets, in the order of the factor of Σ_FF, which is updated as assets enter
        // and leave rather than refactored.
        var free = (0..<n).filter { state[$0] == 0 }
        var factor = UpdatableCholesky(capacity: Swift.max(free.count, 8))
        func singular() -> OptimizationError {
            OptimizationError(
                .solverFailure, message: "the covariance of the free assets is singular",
                fix: "add L2 regularisation or repair the covariance")
        }
        for (position, j) in free.enumerated() {
            do { try factor.append(cross: free[0..<position].map { sigma[$0, j] }, diagonal: sigma[j, j]) } catch { throw singular() }
        }
        for _ in 0..<(4 * n + 10) {
            let bounded = (0..<n).filter { state[$0] != 0 }
            let k = free.count
            var alpha = [Double](repeating: 0, count: n)
            var beta = [Double](repeating: 0, count: n)
            var g0 = 0.0
            var g1 = 0.0
            if k > 0 {
                // -Σ_FB w_B from one product with the bounded weights.
                var wBounded = [Double](repeating: 0, count: n)
                for j in bounded { wBounded[j] = w[j] }
                let sb = sigma.times(wBounded)
                var rhs = Matrix(rows: k, columns: 3)
                for (a, i) in free.enumerated() {
                    rhs[a, 0] = -sb[i]
                    rhs[a, 1] = 1
                    rhs[a, 2] = mu[i]
                }
                let u = factor.solve(rhs)
                let c = 1 - bounded.reduce(0) { $0 + w[$1] }
                var s1 = 0.0
                var s2 = 0.0
                var s3 = 0.0
                for a in 0..<k {
                    s1 += u[a, 0]
                    s2 += u[a, 1]
                    s3 += u[a, 2]
                }
                g0 = (s1 - c) / s2
                g1 = s3 / s2
                for (a, i) in free.enumerated() {
                    alpha[i] = u[a, 0] - g0 * u[a, 1]
                    beta[i] = u[a, 2] - g1 * u[a, 1]
                }
            } else {
                // A vertex: the budget multiplier is free within an interval; handled below.
                g0 = .nan
            }
            // Next event.
            var next = Double.infinity
            var events: [(asset: Int, becomes: Int)] = []
            func record(_ tEvent: Double, _ asset: Int, _ becomes: Int) {
                guard tEvent > t * (1 + 1e-12) + 1e-15 else { return }
                if tEvent < next * (1 - 1e-12) {
                    next = tEvent
                    events = [(asset, becomes)]
                } else if tEvent <= next * (1 + 1e-12) {
                    events.append((asset, becomes))
                }
            }
            if k > 0 {
                for i in free {
                    if beta[i] > 0 && upper[i].isFinite { record((upper[i] - alpha[i]) / beta[i], i, 1) }
                    if beta[i] < 0 && lower[i].isFinite { record((lower[i] - alpha[i]) / beta[i], i, -1) }
                }
                // Bound multipliers r_j(t) = c_j + t d_j for every asset from two products:
                // c = Σ (α on F, w on B) + γ0, d = Σ (β on F) - μ + γ1.
                var xa = wBoundedForLine(w: w, free: free, alpha: alpha)
                let ca = sigma.times(xa)
                xa = [Double](repeating: 0, count: n)
                for i in free { xa[i] = beta[i] }
                let db = sigma.times(xa)
                for j in bounded {
                    let cj = ca[j] + g0
                    let dj = db[j] - mu[j] + g1
                    if state[j] == -1 && dj < -1e-14 * scale { record(-cj / dj, j, 0) }
                    if state[j] == 1 && dj > 1e-14 * scale { record(-cj / dj, j, 0) }
                }
            } else {
                // At a vertex the multiplier γ must satisfy γ ≥ tμ_j - s_j at lower bounds and
                // γ ≤ tμ_j - s_j at upper bounds (s = Σw). The vertex ends where the two
                // envelopes cross; both assets that meet there become free.
                let sw = sigma.times(w)
                let lowers = bounded.filter { state[$0] == -1 && lower[$0] < upper[$0] }
                let uppers = bounded.filter { state[$0] == 1 && lower[$0] < upper[$0] }
                for j in lowers {
                    for i in uppers where mu[j] > mu[i] {
                        let cross = ((sw[j] - sw[i]) / (mu[j] - mu[i]))
                        if cross > t * (1 + 1e-12) + 1e-15 && cross < next {
                            next = cross
                            events = [(j, 0), (i, 0)]
                        }
                    }
                }
            }
            guard next.isFinite, !events.isEmpty else { break }
            if k > 0 {
                for i in free { w[i] = alpha[i] + next * beta[i] }
            }
            for e in events {
                if e.becomes == 0 {
                    // Enters: one new row and column of the factor.
                    do { try factor.append(cross: free.map { sigma[$0, e.asset] }, diagonal: sigma[e.asset, e.asset]) } catch {
                        throw singular()
                    }
                    free.append(e.asset)
                } else if let position = free.firstIndex(of: e.asset) {
                    factor.remove(at: position)
                    free.remove(at: position)
                }
                state[e.asset] = e.becomes
                if e.becomes == -1 { w[e.asset] = lower[e.asset] }
                if e.becomes == 1 { w[e.asset] = upper[e.asset] }
            }
            t = next
            frontier.points.append(frontier.makePoint(lambda: t, weights: w))
        }
        // The last turning point is the maximum-return portfolio; make it exact.
        if let last = frontier.points.last, zip(last.weights, top).contains(where: { abs($0 - $1) > 1e-9 }) {
            frontier.points.append(frontier.makePoint(lambda: .infinity, weights: top))
        }
        // Every turning point is a feasible portfolio, or the walk failed: never report one
        // that breaks the bounds or the budget.
        // One pass over raw buffers per point (no closure per element).
        for (k, p) in frontier.points.enumerated() {
            var budget = 0.0
            var first = -1
            p.weights.withUnsafeBufferPointer { w in
                lower.withUnsafeBufferPointer { lo in
                    upper.withUnsafeBufferPointer { up in
                        for j in 0..<n {
                            budget += w[j]
                            if first < 0 && (w[j] < lo[j] - 1e-9 || w[j] > up[j] + 1e-9) { first = j }
                        }
                    }
                }
            }
            let broken = first < 0 ? nil : first
            if abs(budget - 1) > 1e-9 || broken != nil {
                throw OptimizationError(
                    .solverFailure,
                    message:
                        "the critical line walk left the feasible set at turning point \(k + 1)\(broken.map { " (\(assets[$0]) at \(formatted(p.weights[$0])))" } ?? " (weights sum to \(formatted(budget)))")",
                    fix: "trace the frontier with a number of points instead, or repair the covariance")
            }
        }
        return frontier
    }
}

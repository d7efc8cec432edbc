import BallastBacktest
import BallastLinearAlgebra
import BallastMarketData
import BallastOptimization
import BallastRiskModels
import Foundation
import Synchronization

/// An investment policy: what each risk level's model portfolio may hold, written in a file
/// (`market-data/multi-asset/policy.json` for the bundled universe) that an investment
/// committee approves.
public struct InvestmentPolicy: Sendable, Codable, Equatable {
    /// The policy's name.
    public var name: String
    /// Its version.
    public var version: String
    /// Every weight is 0 or at least this (a fraction).
    public var minimumPosition: Double
    /// No product above this weight, cash included.
    public var maximumProductWeight: Double
    /// Named sets of asset classes whose total weight a level may bound (`equity`: `us-equity`
    /// and `world-equity`, for example).
    public var classGroups: [String: [String]]?
    /// The most a re-build may change a model against the previous menu (one-way turnover,
    /// half the sum of absolute weight changes); `nil` for no limit.
    public var maximumTurnover: Double?
    /// Resampled efficiency (Michaud); `nil` for plain mean-variance.
    public var resampling: Resampling?
    /// The levels, C1 to C5.
    public var levels: [Level]
    /// Lower levels for customers near their goal; `nil` for none.
    public var glidePath: [GlideStep]?

    /// One level's limits.
    public struct Level: Sendable, Codable, Equatable {
        /// 1 to 5.
        public var level: Int
        /// `C1` to `C5`.
        public var label: String
        /// The ex-ante volatility cap (annual): the model is the highest expected return at or
        /// below it.
        public var volatilityCap: Double
        /// The smallest weight of the cash class.
        public var cashFloor: Double
        /// The highest product rating the level may hold.
        public var maxProductRating: ProductRiskRating
        /// Minimum and maximum weights by asset class or class group, as `[min, max]`.
        public var bounds: [String: [Double]]
    }

    /// Resampling parameters.
    public struct Resampling: Sendable, Codable, Equatable {
        /// Number of simulated histories (each as long as the assumptions' window).
        public var draws: Int
        /// The random seed, so that a menu is reproducible.
        public var seed: UInt64
    }

    /// A glide-path step: within `yearsToGoal` years of the goal, the level is at most
    /// `maximumLevel`.
    public struct GlideStep: Sendable, Codable, Equatable {
        /// Years to the goal below which the step applies.
        public var yearsToGoal: Double
        /// The highest level then.
        public var maximumLevel: Int
    }

    /// Reads and checks a policy file.
    ///
    /// - Throws: ``InvestmentProcessError`` naming the field.
    public static func read(path: String) throws(InvestmentProcessError) -> InvestmentPolicy {
        let (p, _) = try decodeProcessFile(
            InvestmentPolicy.self, path: path, missingFix: "check the path; the bundled policy is market-data/multi-asset/policy.json",
            fieldFix: "correct the policy at that field")
        try p.validate(source: path)
        return p
    }

    /// Checks ranges and consistency.
    public func validate(source: String? = nil) throws(InvestmentProcessError) {
        func fail(_ f: String, _ m: String, _ fix: String) -> InvestmentProcessError {
            InvestmentProcessError(file: source, field: f, message: m, fix: fix)
        }
        guard minimumPosition >= 0 && minimumPosition < 0.2 else {
            throw fail("minimumPosition", "\(minimumPosition) is outside 0 to 20%", "write it as a fraction: 0.02 is 2%")
        }
        guard maximumProductWeight > 0 && maximumProductWeight <= 1 else {
            throw fail("maximumProductWeight", "\(maximumProductWeight) is outside (0, 1]", "write it as a fraction: 0.5 is 50%")
        }
        if let t = maximumTurnover, !(t > 0 && t <= 1) {
            throw fail("maximumTurnover", "\(t) is outside (0, 1]", "write it as a fraction: 0.2 is 20%")
        }
        if let r = resampling, !(r.draws >= 10 && r.draws <= 10_000) {
            throw fail("resampling.draws", "\(r.draws) draws is outside 10 to 10000", "use a few hundred draws")
        }
        guard levels.map(\.level) == Array(1...levels.count), !levels.isEmpty else {
            throw fail("levels", "levels must be listed in order from 1", "list C1, C2, ... in order")
        }
        for (k, l) in levels.enumerated() {
            guard l.volatilityCap > 0 && l.volatilityCap < 1 else {
                throw fail("levels[\(k)].volatilityCap", "\(l.volatilityCap) is outside (0, 1)", "write it as a fraction: 0.08 is 8%")
            }
            if k > 0 && l.volatilityCap < levels[k - 1].volatilityCap {
                throw fail(
                    "levels[\(k)].volatilityCap", "the cap of \(l.label) is below that of \(levels[k - 1].label)",
                    "give caps that rise with the level")
            }
            guard l.cashFloor >= 0 && l.cashFloor <= maximumProductWeight else {
                throw fail("levels[\(k)].cashFloor", "\(l.cashFloor) is outside 0 to the product maximum", "lower the cash floor")
            }
            for (name, b) in l.bounds.sorted(by: { $0.key < $1.key }) {
                guard b.count == 2, b[0] >= 0, b[0] <= b[1], b[1] <= 1 else {
                    throw fail(
                        "levels[\(k)].bounds.\(name)", "bounds \(b) are not [min, max] within 0 to 1", "write for example [0.2, 0.6]")
                }
            }
        }
        for (k, g) in (glidePath ?? []).enumerated() where !(g.yearsToGoal > 0 && (1...levels.count).contains(g.maximumLevel)) {
            throw fail(
                "glidePath[\(k)]", "a step needs years to goal above 0 and a level from 1 to \(levels.count)",
                "for example {\"yearsToGoal\": 3, \"maximumLevel\": 2}")
        }
    }

    /// The level a customer of `level` holds with `yearsToGoal` years to the goal: the
    /// tightest glide-path step that applies, never above the customer's own level.
    public func glideLevel(for level: Int, yearsToGoal: Double?) -> (level: Int, step: GlideStep?) {
        guard let years = yearsToGoal, let steps = glidePath else { return (level, nil) }
        let applying = steps.filter { years < $0.yearsToGoal }.min { $0.maximumLevel < $1.maximumLevel }
        guard let s = applying, s.maximumLevel < level else { return (level, nil) }
        return (s.maximumLevel, s)
    }
}

/// One level's model portfolio in a menu.
public struct MenuPortfolio: Sendable, Codable, Equatable {
    /// 1 to 5.
    public var level: Int
    /// `C1` to `C5`.
    public var label: String
    /// Weights by product (products with no weight are left out).
    public var weights: [String: Double]
    /// Weights by asset class.
    public var assetClassWeights: [String: Double]
    /// Ex-ante expected return (annual, from the assumptions).
    public var expectedReturn: Double
    /// Ex-ante volatility (annual).
    public var volatility: Double
    /// The level's cap.
    public var volatilityCap: Double
    /// One-way turnover against the previous menu's model, when there was one.
    public var turnover: Double?
    /// What the builder had to relax, if anything.
    public var notes: [String]
}

/// A model menu: one portfolio per level, from one set of assumptions and one policy.
public struct ModelMenu: Sendable, Codable, Equatable {
    /// The assumptions' version.
    public var assumptionsVersion: String
    /// The policy's version.
    public var policyVersion: String
    /// The assumptions' date.
    public var asOf: MarketDate
    /// `mean-variance`, or `resampled (N draws, seed S)`.
    public var method: String
    /// C1 to C5.
    public var portfolios: [MenuPortfolio]

    /// Reads a menu written by `ballast models build --format json`.
    ///
    /// - Throws: ``InvestmentProcessError`` naming the file, and the field that does not fit.
    public static func read(path: String) throws(InvestmentProcessError) -> ModelMenu {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw InvestmentProcessError(file: path, message: "no such file", fix: "pass the JSON of `ballast models build --format json`")
        }
        do { return try JSONDecoder().decode(ModelMenu.self, from: d) } catch let e as DecodingError {
            let (field, message) = describe(e)
            throw InvestmentProcessError(
                file: path, field: field, message: "not a model menu: \(message)",
                fix: "pass the JSON of `ballast models build --format json`")
        } catch {
            throw InvestmentProcessError(
                file: path, message: "not a model menu", fix: "pass the JSON of `ballast models build --format json`")
        }
    }
}

/// Builds a model menu from assumptions and a policy.
///
/// Each level's model is the highest expected return whose ex-ante volatility is at most
/// the level's cap, subject to the policy: products rated above the level get nothing, no
/// product above the maximum weight, class and class-group bounds, the cash floor, every
/// weight 0 or at least the minimum position, and (when a previous menu is given) at most
/// the maximum turnover against it. With resampling, the model is the average of the models
/// of `draws` simulated histories (returns drawn from the assumptions, each as long as their
/// window, re-estimated and re-optimised), then the nearest portfolio to that average (within
/// the smallest L1 distance of 2%, 5%, 10%, ... that is feasible) that meets every
/// constraint exactly under the assumptions: averages satisfy linear limits but not the
/// minimum position or the cap.
public struct ModelMenuBuilder: Sendable {
    /// The assumptions.
    public var assumptions: CapitalMarketAssumptions
    /// The policy.
    public var policy: InvestmentPolicy
    /// Product ratings on the assumptions' date.
    public var catalog: ProductCatalog
    /// The previous menu, for the turnover limit.
    public var previous: ModelMenu?

    /// A builder.
    public init(assumptions: CapitalMarketAssumptions, policy: InvestmentPolicy, catalog: ProductCatalog, previous: ModelMenu? = nil) {
        self.assumptions = assumptions
        self.policy = policy
        self.catalog = catalog
        self.previous = previous
    }

    func classOf(_ symbol: String) -> String {
        assumptions.assets.first { $0.symbol == symbol }?.assetClass ?? "other"
    }

    /// The constraints of a level.
    func constraints(_ level: InvestmentPolicy.Level) throws(InvestmentProcessError) -> PortfolioConstraints {
        var c = PortfolioConstraints()
        let symbols = assumptions.symbols
        c.defaultUpper = policy.maximumProductWeight
        for s in symbols {
            let rating = catalog.product(s)?.riskRating ?? .r5
            if rating > level.maxProductRating { c.upperBounds[s] = 0 }
        }
        let groups = policy.classGroups ?? [:]
        var bounds = level.bounds
        if level.cashFloor > 0 {
            let cash = bounds["cash"] ?? [0, 1]
            bounds["cash"] = [max(cash[0], level.cashFloor), cash[1]]
        }
        for (name, b) in bounds.sorted(by: { $0.key < $1.key }) {
            let classes = groups[name] ?? [name]
            let members = symbols.filter { classes.contains(classOf($0)) }
            if members.isEmpty {
                if b[0] > 0 {
                    throw InvestmentProcessError(
                        field: "levels[\(level.level - 1)].bounds.\(name)",
                        message: "\(level.label) must hold at least \(b[0]) of \(name), but no product belongs to it",
                        fix: "name an asset class of the universe or a class group")
                }
                continue
            }
            c.groups.append(AssetGroup(name: name, members: members, minimum: b[0] > 0 ? b[0] : nil, maximum: b[1] < 1 ? b[1] : nil))
        }
        c.minimumWeight = policy.minimumPosition
        return c
    }

    /// The menu.
    ///
    /// - Throws: ``InvestmentProcessError`` when a level's limits admit no portfolio (naming
    ///   the level and the optimiser's reason), or a previous menu holds a product that is not
    ///   in the assumptions.
    public func build() throws -> ModelMenu { try buildWithResults().menu }

    /// The menu and the optimiser's result of each of its portfolios.
    func buildWithResults() throws -> (menu: ModelMenu, results: [OptimizationResult]) {
        for p in previous?.portfolios ?? [] {
            if let unknown = p.weights.keys.sorted().first(where: { !assumptions.symbols.contains($0) }) {
                throw InvestmentProcessError(
                    field: "previous menu, \(p.label)",
                    message: "the previous menu holds \(unknown), which is not in the assumptions",
                    fix: "pass a menu built on the same universe")
            }
        }
        let distribution = try assumptions.distribution()
        var portfolios: [MenuPortfolio] = []
        var results: [OptimizationResult] = []
        for level in policy.levels {
            let (p, r) = try portfolio(level, distribution: distribution)
            portfolios.append(p)
            results.append(r)
        }
        let method = policy.resampling.map { "resampled (\($0.draws) draws, seed \($0.seed))" } ?? "mean-variance"
        let menu = ModelMenu(
            assumptionsVersion: assumptions.version, policyVersion: policy.version, asOf: assumptions.asOf, method: method,
            portfolios: portfolios)
        return (menu, results)
    }

    func solve(_ d: ReturnDistribution, cap: Double, _ c: PortfolioConstraints) throws(OptimizationError) -> OptimizationResult {
        do {
            return try MeanVarianceProblem(distribution: d, objective: .efficientRisk(targetVolatility: cap), constraints: c).solve()
        } catch  where error.code == .targetOutOfRange {
            return try MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c).solve()
        }
    }

    func portfolio(_ level: InvestmentPolicy.Level, distribution: ReturnDistribution) throws -> (MenuPortfolio, OptimizationResult) {
        let base = try constraints(level)
        let symbols = distribution.assets
        var notes: [String] = []
        let before = previous?.portfolios.first { $0.level == level.level }?.weights
        func failure(_ e: OptimizationError) -> InvestmentProcessError {
            // A solver that stops short of its tolerance is not the policy's fault: say which it is.
            if e.code == .solverFailure {
                return InvestmentProcessError(
                    field: "levels[\(level.level - 1)]",
                    message: "the optimiser did not reach its tolerance for \(level.label): \(e.message)", fix: e.fix)
            }
            return InvestmentProcessError(
                field: "levels[\(level.level - 1)]",
                message: "the limits of \(level.label) admit no portfolio: \(e.message)", fix: "loosen the level's bounds in the policy")
        }
        var anchor: [String: Double]?
        if let r = policy.resampling {
            var a = try resampledAverage(level, base: base, distribution: distribution, resampling: r)
            // Against a previous menu, the average is first moved toward the previous model
            // until its turnover is within the limit (a convex combination keeps every linear limit).
            if let before, let t = policy.maximumTurnover {
                let keys = Set(a.keys).union(before.keys).sorted()  // a fixed order: the same sum every run
                let d = 0.5 * keys.reduce(0) { $0 + abs((a[$1] ?? 0) - (before[$1] ?? 0)) }
                if d > t {
                    let lambda = t / d
                    for k in keys { a[k] = (before[k] ?? 0) + lambda * ((a[k] ?? 0) - (before[k] ?? 0)) }
                }
            }
            anchor = a
        }
        var result: OptimizationResult?
        // Turnover first (a stable menu), then closeness to the resampled average.
        var attempts: [PortfolioConstraints] = []
        let distances = [0.02, 0.05, 0.1, 0.2, 0.5]
        if let anchor {
            for d in distances {
                var c = base
                c.currentWeights = anchor
                c.turnoverLimit = d
                attempts.append(c)
            }
        }
        if anchor == nil, let before, let t = policy.maximumTurnover {
            var c = base
            c.currentWeights = before
            c.turnoverLimit = 2 * t
            attempts.insert(c, at: 0)
        }
        attempts.append(base)
        var lastError: OptimizationError?
        for (k, c) in attempts.enumerated() {
            do {
                let r = try solve(distribution, cap: level.volatilityCap, c)
                // A result that breaks a limit, or that the optimiser had to patch (small weights
                // dropped and the rest scaled), is passed over for the next, looser attempt.
                if k < attempts.count - 1, let broken = violation(r, base, level) ?? r.warnings.first {
                    lastError = OptimizationError(.infeasibleConstraints, message: broken, fix: "")
                    continue
                }
                result = r
                if k > 0 && before != nil && policy.maximumTurnover != nil && c.turnoverLimit == nil {
                    notes.append("the turnover limit against the previous menu could not be met with the other limits; it was relaxed")
                }
                break
            } catch {
                lastError = error
            }
        }
        guard let result else { throw failure(lastError!) }
        var weights: [String: Double] = [:]
        var classes: [String: Double] = [:]
        for (s, w) in zip(result.assets, result.weights) where w > 0 {
            weights[s] = w
            classes[classOf(s), default: 0] += w
        }
        _ = symbols
        if result.volatility > level.volatilityCap * (1 + 1e-6) {
            notes.append("no portfolio within the limits is as calm as the cap; this is the least volatile one")
        }
        let turnover = before.map { b in
            0.5 * Set(b.keys).union(weights.keys).sorted().reduce(0) { $0 + abs((weights[$1] ?? 0) - (b[$1] ?? 0)) }
        }
        let portfolio = MenuPortfolio(
            level: level.level, label: level.label, weights: weights, assetClassWeights: classes, expectedReturn: result.expectedReturn,
            volatility: result.volatility, volatilityCap: level.volatilityCap, turnover: turnover, notes: notes + result.warnings)
        return (portfolio, result)
    }

    /// The first limit a result breaks (beyond 1e-7), or nil: the optimiser's fallback of
    /// scaling after dropping small weights can break group bounds or the cap, and such a
    /// portfolio is never a model.
    func violation(_ r: OptimizationResult, _ c: PortfolioConstraints, _ level: InvestmentPolicy.Level) -> String? {
        let tol = 1e-7
        let w = Dictionary(uniqueKeysWithValues: zip(r.assets, r.weights))
        if abs(r.weights.reduce(0, +) - 1) > tol { return "the weights do not sum to one" }
        for (s, x) in w {
            if x > (c.upperBounds[s] ?? c.defaultUpper) + tol { return "\(s) is above its maximum" }
            if x > tol && x < c.minimumWeight - tol { return "\(s) is below the minimum position" }
        }
        for g in c.groups {
            let total = g.members.reduce(0) { $0 + (w[$1] ?? 0) }
            if let lo = g.minimum, total < lo - tol { return "\(g.name) is below its minimum" }
            if let hi = g.maximum, total > hi + tol { return "\(g.name) is above its maximum" }
        }
        if r.volatility > level.volatilityCap * (1 + 1e-6) && r.objective != .minimumVolatility { return "the volatility is above the cap" }
        return nil
    }

    /// The average of the level's models over simulated histories.
    func resampledAverage(
        _ level: InvestmentPolicy.Level, base: PortfolioConstraints, distribution: ReturnDistribution,
        resampling: InvestmentPolicy.Resampling
    ) throws -> [String: Double] {
        let n = distribution.assets.count
        let t = assumptions.window.observations
        let monthlyMean = distribution.expectedReturns.map { $0 / 12 }
        let chol = try Cholesky(distribution.covariance.scaled(by: 1.0 / 12))
        // Each draw has its own generator, seeded in order from the policy's seed, so the
        // draws run in parallel and the average is the same on any number of cores.
        var seeder = SeededGenerator(seed: resampling.seed &+ UInt64(level.level))
        let seeds = (0..<resampling.draws).map { _ in seeder.next() }
        var c = base
        c.minimumWeight = 0  // dust is removed once, on the average
        let constraints = c
        let outcomes = Mutex([[Double]?](repeating: nil, count: resampling.draws))
        DispatchQueue.concurrentPerform(iterations: resampling.draws) { k in
            var g = SeededGenerator(seed: seeds[k])
            var x = [Double](repeating: 0, count: t * n)
            var z = [Double](repeating: 0, count: n)
            // t draws of N(mu, Sigma): x_i = mu + L z_i.
            for i in 0..<t {
                for j in 0..<n { z[j] = g.normal() }
                for a in 0..<n {
                    var v = monthlyMean[a]
                    for b in 0...a { v += chol.lower[a, b] * z[b] }
                    x[i * n + a] = v
                }
            }
            var mean = [Double](repeating: 0, count: n)
            for i in 0..<t { for a in 0..<n { mean[a] += x[i * n + a] } }
            mean = mean.map { $0 / Double(t) }
            var cov = Matrix(rows: n, columns: n)
            for i in 0..<t {
                for a in 0..<n {
                    let da = x[i * n + a] - mean[a]
                    for b in 0...a { cov[a, b] += da * (x[i * n + b] - mean[b]) }
                }
            }
            for a in 0..<n {
                for b in 0...a {
                    let v = cov[a, b] * 12 / Double(t - 1)
                    cov[a, b] = v
                    cov[b, a] = v
                }
            }
            // A simulated history the optimiser cannot solve is left out of the average.
            guard
                let d = try? ReturnDistribution(
                    assets: distribution.assets, expectedReturns: mean.map { $0 * 12 }, covariance: cov, periodsPerYear: 12),
                let r = try? solve(d, cap: level.volatilityCap, constraints)
            else { return }
            outcomes.withLock { $0[k] = r.weights }
        }
        var sum = [Double](repeating: 0, count: n)
        var solved = 0
        for w in outcomes.withLock({ $0 }) {
            guard let w else { continue }
            for a in 0..<n { sum[a] += w[a] }
            solved += 1
        }
        guard solved > 0 else {
            throw InvestmentProcessError(
                field: "resampling", message: "no simulated history of \(level.label) could be optimised",
                fix: "check the level's limits, or turn resampling off")
        }
        return Dictionary(uniqueKeysWithValues: zip(distribution.assets, sum.map { $0 / Double(solved) }))
    }
}

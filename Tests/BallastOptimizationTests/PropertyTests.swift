import BallastLinearAlgebra
import BallastMarketData
import BallastRiskModels
import BallastTestSupport
import Foundation
import Testing

@testable import BallastOptimization

/// A seeded random distribution: a factor-model covariance and random expected returns.
func randomDistribution(assets n: Int, seed: UInt64) -> ReturnDistribution {
    var g = SeededGenerator(seed: seed)
    let k = 3
    let b = Matrix(rows: n, columns: k, columnMajor: (0..<(n * k)).map { _ in 0.15 * g.normal() })
    var sigma = Matrix.product(b, transposed: false, b, transposed: true)
    for i in 0..<n { sigma[i, i] += 0.01 + 0.04 * Double.random(in: 0..<1, using: &g) }
    let mu = (0..<n).map { _ in 0.03 + 0.12 * Double.random(in: 0..<1, using: &g) }
    return try! ReturnDistribution(assets: (0..<n).map { "S\($0)" }, expectedReturns: mu, covariance: sigma)
}

func variance(_ d: ReturnDistribution, _ w: [Double]) -> Double {
    let sw = d.covariance.times(w)
    return zip(w, sw).reduce(0) { $0 + $1.0 * $1.1 }
}

/// A random feasible long-only portfolio within `upper` (rejection-free: Dirichlet, clipped
/// and renormalised a few times).
func randomPortfolio(_ n: Int, upper: Double, _ g: inout SeededGenerator) -> [Double]? {
    var w = (0..<n).map { _ in -Foundation.log(Double.random(in: Double.ulpOfOne..<1, using: &g)) }
    for _ in 0..<50 {
        let s = w.reduce(0, +)
        w = w.map { min($0 / s, upper) }
        if abs(w.reduce(0, +) - 1) < 1e-12 { return w }
    }
    return nil
}

@Suite("Optimiser invariants on seeded random problems")
struct OptimizerPropertyTests {
    @Test("budget and bounds hold and no random feasible portfolio beats the optimum", arguments: 1...8)
    func invariants(_ seed: Int) throws {
        let n = 5 + seed * 3
        let d = randomDistribution(assets: n, seed: UInt64(seed))
        var c = PortfolioConstraints()
        c.defaultUpper = 0.35
        var g = SeededGenerator(seed: UInt64(1000 + seed))
        for objective in [PortfolioObjective.minimumVolatility, .maximumUtility(riskAversion: 4), .maximumSharpe(riskFreeRate: 0.02)] {
            let r = try MeanVarianceProblem(distribution: d, objective: objective, constraints: c).solve()
            #expect(r.status == .optimal)
            #expect(abs(r.weights.reduce(0, +) - 1) <= 1e-12)
            #expect(r.weights.allSatisfy { $0 >= -1e-12 && $0 <= 0.35 + 1e-12 })
            #expect(r.diagnostics.kktResidual <= 1e-10)
            for _ in 0..<200 {
                guard let w = randomPortfolio(n, upper: 0.35, &g) else { continue }
                let ret = zip(d.expectedReturns, w).reduce(0) { $0 + $1.0 * $1.1 }
                let v = variance(d, w)
                switch objective {
                case .minimumVolatility: #expect(v >= r.volatility * r.volatility - 1e-12)
                case .maximumUtility(let l):
                    #expect(ret - l / 2 * v <= r.expectedReturn - l / 2 * r.volatility * r.volatility + 1e-12)
                case .maximumSharpe(let rf): #expect(try (ret - rf) / v.squareRoot() <= #require(r.sharpeRatio) + 1e-10)
                default: break
                }
            }
        }
    }

    @Test("the frontier is monotone: more return costs more volatility", arguments: [3, 4])
    func frontierMonotone(_ seed: Int) throws {
        let d = randomDistribution(assets: 12, seed: UInt64(seed))
        let minVol = try MeanVarianceProblem(distribution: d, objective: .minimumVolatility).solve()
        let top = d.expectedReturns.max()!
        var previous = minVol.volatility
        for k in 1...8 {
            let target = minVol.expectedReturn + (top - minVol.expectedReturn) * Double(k) / 8
            let r = try MeanVarianceProblem(distribution: d, objective: .efficientReturn(targetReturn: target)).solve()
            #expect(r.expectedReturn >= target - 1e-10)
            #expect(r.volatility >= previous - 1e-12)
            previous = r.volatility
            // Efficient risk at that volatility gives back the same return.
            let back = try MeanVarianceProblem(distribution: d, objective: .efficientRisk(targetVolatility: r.volatility)).solve()
            #expect(abs(back.expectedReturn - r.expectedReturn) <= 1e-9)
        }
    }

    @Test("the same problem always gives the same answer")
    func deterministic() throws {
        let d = randomDistribution(assets: 30, seed: 9)
        let p = MeanVarianceProblem(distribution: d, objective: .maximumSharpe(riskFreeRate: 0.01))
        let a = try p.solve()
        for _ in 0..<3 { #expect(try p.solve() == a) }
    }

    @Test("a singular covariance (duplicated asset) and more assets than observations still solve")
    func singular() throws {
        var d = randomDistribution(assets: 6, seed: 5)
        var s = d.covariance
        for i in 0..<6 {
            s[i, 5] = s[i, 0]
            s[5, i] = s[0, i]
        }
        s[5, 5] = s[0, 0]
        d.covariance = s
        let day = MarketDate(iso: "2020-01-01")!
        d.window = EstimationWindow(start: day, end: day, observations: 3)
        let r = try MeanVarianceProblem(distribution: d, objective: .minimumVolatility).solve()
        #expect(r.weights.allSatisfy { $0.isFinite })
        #expect(abs(r.weights.reduce(0, +) - 1) <= 1e-12)
        #expect(r.warnings.contains { $0.contains("observations") })
    }
}

@Suite("Optimiser errors say why and what to change")
struct OptimizerErrorTests {
    let d = randomDistribution(assets: 5, seed: 2)

    func expectError(_ code: OptimizationError.Code, _ p: MeanVarianceProblem, mentions: [String]) {
        do {
            let r = try p.solve()
            Issue.record("expected \(code), got \(r.status)")
        } catch {
            #expect(error.code == code)
            for m in mentions { #expect(error.description.contains(m), "\(error) should mention \(m)") }
        }
    }

    @Test func lowerBoundsAboveBudget() {
        var c = PortfolioConstraints()
        c.defaultLower = 0.25
        expectError(
            .infeasibleBounds, MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c),
            mentions: ["1.25", "lower"])
    }

    @Test func upperBoundsBelowBudget() {
        var c = PortfolioConstraints()
        c.defaultUpper = 0.1
        expectError(
            .infeasibleBounds, MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c),
            mentions: ["0.5", "cash"])
    }

    @Test func groupMinimumAboveMembersMaximum() {
        var c = PortfolioConstraints()
        c.defaultUpper = 0.3
        c.groups = [AssetGroup(name: "core", members: ["S0", "S1"], minimum: 0.7)]
        expectError(
            .infeasibleGroup, MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c),
            mentions: ["core", "0.6"])
    }

    @Test func unknownAsset() {
        var c = PortfolioConstraints()
        c.upperBounds = ["NOPE": 0.1]
        expectError(
            .unknownAsset, MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c), mentions: ["NOPE", "S0"])
    }

    @Test func targetReturnOutOfRange() {
        expectError(
            .targetOutOfRange, MeanVarianceProblem(distribution: d, objective: .efficientReturn(targetReturn: 0.9)), mentions: ["between"])
        expectError(
            .targetOutOfRange, MeanVarianceProblem(distribution: d, objective: .efficientRisk(targetVolatility: 0.001)),
            mentions: ["between"])
    }

    @Test func noReturnAboveRiskFree() {
        expectError(
            .noReturnAboveRiskFree, MeanVarianceProblem(distribution: d, objective: .maximumSharpe(riskFreeRate: 0.5)), mentions: ["0.5"])
    }

    @Test func notPositiveSemidefinite() {
        var bad = d
        bad.covariance[0, 1] = 1
        bad.covariance[1, 0] = 1
        expectError(.notPositiveSemidefinite, MeanVarianceProblem(distribution: bad, objective: .minimumVolatility), mentions: ["--repair"])
    }

    @Test func conflictingGeneralConstraints() {
        var c = PortfolioConstraints()
        c.groups = [
            AssetGroup(name: "a", members: ["S0", "S1", "S2"], minimum: 0.8),
            AssetGroup(name: "b", members: ["S2", "S3", "S4"], minimum: 0.8),
        ]
        c.defaultUpper = 0.3
        expectError(
            .infeasibleConstraints, MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c),
            mentions: ["group a", "group b"])
    }

    @Test func turnoverNeedsCurrentWeights() {
        var c = PortfolioConstraints()
        c.turnoverLimit = 0.1
        expectError(
            .invalidParameter, MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c),
            mentions: ["current weights"])
    }
}

@Suite("The two solvers agree")
struct SolverAgreementTests {
    @Test("active-set and interior-point solutions coincide on seeded random problems", arguments: 1...6)
    func agree(_ seed: Int) throws {
        let d = randomDistribution(assets: 8 + 4 * seed, seed: UInt64(50 + seed))
        var fast = PortfolioConstraints()
        fast.defaultUpper = 0.3
        // A group that binds nothing still sends the problem to the interior-point solver.
        var general = fast
        general.groups = [AssetGroup(name: "all", members: d.assets, maximum: 2)]
        for objective in [
            PortfolioObjective.minimumVolatility, .maximumUtility(riskAversion: 3), .maximumSharpe(riskFreeRate: 0.01),
            .efficientReturn(targetReturn: d.expectedReturns.sorted()[d.assets.count / 2]),
        ] {
            let a = try MeanVarianceProblem(distribution: d, objective: objective, constraints: fast).solve()
            let b = try MeanVarianceProblem(distribution: d, objective: objective, constraints: general).solve()
            let worst = zip(a.weights, b.weights).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-8, "\(objective): \(worst)")
            #expect(a.diagnostics.kktResidual <= 1e-10 && b.diagnostics.kktResidual <= 1e-10)
        }
    }
}

@Suite("Sampled frontier under general constraints")
struct SampledFrontierTests {
    @Test("warm-started sweep points equal independent efficient-return solves")
    func sweep() throws {
        let d = randomDistribution(assets: 15, seed: 77)
        var c = PortfolioConstraints()
        c.defaultUpper = 0.4
        c.groups = [AssetGroup(name: "first five", members: Array(d.assets.prefix(5)), minimum: 0.2, maximum: 0.5)]
        let problem = MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: c)
        let frontier = try problem.sampledFrontier(points: 8)
        #expect(frontier.points.count == 8)
        #expect(!frontier.isExact)
        for p in frontier.points.dropFirst() {
            let cold = try MeanVarianceProblem(distribution: d, objective: .efficientReturn(targetReturn: p.expectedReturn), constraints: c)
                .solve()
            #expect(zip(p.weights, cold.weights).map { abs($0 - $1) }.max()! <= 1e-8)
        }
        for (a, b) in zip(frontier.points, frontier.points.dropFirst()) { #expect(b.volatility >= a.volatility - 1e-12) }
        #expect(throws: OptimizationError.self) { try problem.exactFrontier() }
    }
}

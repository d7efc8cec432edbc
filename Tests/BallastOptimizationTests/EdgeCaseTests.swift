import BallastLinearAlgebra
import BallastMarketData
import BallastRiskModels
import BallastTestSupport
import Foundation
import Testing

@testable import BallastOptimization

/// Degenerate inputs: each objective either returns finite weights that satisfy the
/// constraints or throws a typed error that says what to do; never NaN.
@Suite("Numerical edge cases")
struct EdgeCaseTests {
    /// Returns with degeneracies chosen by `kind` on top of a seeded factor model.
    static func returns(_ kind: Int, seed: UInt64, assets n: Int = 8, observations t: Int = 120) -> ReturnSeries {
        var g = SeededGenerator(seed: seed)
        var columns: [[Double]] = []
        let market = (0..<t).map { _ in Double.random(in: -0.02...0.02, using: &g) }
        for j in 0..<n {
            columns.append((0..<t).map { market[$0] * Double(j % 3 + 1) * 0.5 + Double.random(in: -0.01...0.01, using: &g) + 0.0004 })
        }
        switch kind {
        case 0: columns[1] = columns[0]  // a duplicated asset
        case 1: columns[2] = columns[0].map { 2 * $0 }  // perfectly correlated, twice as volatile
        case 2: columns[3] = Array(repeating: 0.0001, count: t)  // a constant-return (zero-variance) asset
        case 3: columns = columns.map { Array($0.prefix(4)) }  // more assets than observations
        default: break
        }
        let rows = columns[0].count
        return ReturnSeries(
            symbols: (0..<n).map { "A\($0)" }, dates: (0..<rows).map { MarketDate(iso: "2020-01-01")!.adding(days: $0) },
            values: columns.flatMap { $0 }, periodsPerYear: 252)
    }

    static let objectives: [PortfolioObjective] = [
        .minimumVolatility, .maximumSharpe(riskFreeRate: 0.0), .maximumUtility(riskAversion: 2), .efficientReturn(targetReturn: 0.08),
        .efficientRisk(targetVolatility: 0.15),
    ]

    @Test("duplicated, perfectly correlated, zero-variance assets and more assets than observations", arguments: 0...3)
    func degenerate(_ kind: Int) throws {
        for estimator in [CovarianceChoice.sample, .ledoitWolf(.constantVariance)] {
            var config = RiskModelConfiguration()
            config.covariance = estimator
            let distribution: ReturnDistribution
            do { distribution = try config.estimate(returns: Self.returns(kind, seed: UInt64(10 + kind))) } catch {
                // A typed refusal of the estimate is acceptable; a crash is not.
                #expect(error.message.isEmpty == false)
                continue
            }
            for objective in Self.objectives {
                var constraints = PortfolioConstraints()
                constraints.defaultUpper = 0.6
                do {
                    let r = try MeanVarianceProblem(distribution: distribution, objective: objective, constraints: constraints).solve()
                    #expect(r.weights.allSatisfy { $0.isFinite }, "\(kind) \(estimator) \(objective)")
                    #expect(abs(r.weights.reduce(0, +) - 1) < 1e-8)
                    #expect(r.weights.allSatisfy { $0 >= -1e-9 && $0 <= 0.6 + 1e-9 })
                    #expect(r.volatility.isFinite && r.expectedReturn.isFinite)
                } catch {
                    #expect(!error.message.isEmpty && !error.fix.isEmpty, "\(kind) \(objective): \(error)")
                }
            }
        }
    }

    @Test("a covariance that is not positive semidefinite is refused, and repaired on request", arguments: 1...20)
    func indefinite(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let n = 6
        var rows = (0..<n).map { i in (0..<n).map { j in i == j ? 0.04 : 0.0 } }
        for i in 0..<n {
            for j in 0..<i {
                let c = Double.random(in: -0.06...0.06, using: &g)
                rows[i][j] = c
                rows[j][i] = c
            }
        }
        let matrix = Matrix(rowMajor: rows)
        let mu = (0..<n).map { _ in Double.random(in: 0.02...0.12, using: &g) }
        let assets = (0..<n).map { "A\($0)" }
        guard let diagnostics = try? CovarianceDiagnostics.check(matrix), diagnostics.minEigenvalue < -1e-10 else { return }
        let d = try ReturnDistribution(assets: assets, expectedReturns: mu, covariance: matrix)
        #expect(throws: OptimizationError.self) { try MeanVarianceProblem(distribution: d, objective: .minimumVolatility).solve() }
        let repaired = try CovarianceRepair.repair(matrix, method: .nearestCorrelation).matrix
        let r = try MeanVarianceProblem(
            distribution: try ReturnDistribution(assets: assets, expectedReturns: mu, covariance: repaired), objective: .minimumVolatility
        ).solve()
        #expect(r.weights.allSatisfy { $0.isFinite } && abs(r.weights.reduce(0, +) - 1) < 1e-8)
    }

    @Test("the stated risk-free rate is used for every objective's Sharpe ratio, and echoed")
    func riskFreeRateEveryObjective() throws {
        let distribution = try RiskModelConfiguration().estimate(returns: Self.returns(9, seed: 4))
        for objective in Self.objectives {
            var constraints = PortfolioConstraints()
            constraints.defaultUpper = 0.6
            let rf = 0.05
            let r: OptimizationResult
            do {
                r = try MeanVarianceProblem(distribution: distribution, objective: objective, constraints: constraints, riskFreeRate: rf)
                    .solve()
            } catch { continue }
            let expectedRate = if case .maximumSharpe(let own) = objective { own } else { rf }
            #expect(r.riskFreeRate == expectedRate, "\(objective)")
            let sharpe = try #require(r.sharpeRatio, "\(objective)")
            #expect(abs(sharpe - (r.expectedReturn - expectedRate) / r.volatility) < 1e-12, "\(objective)")
        }
    }

    @Test("a portfolio whose volatility is rounding has no Sharpe ratio: more assets than observations, and cash alone")
    func undefinedSharpe() throws {
        // A hedged pair: B = 0.0008 - A, so half of each has a constant return (zero variance).
        var config = RiskModelConfiguration()
        config.covariance = .sample
        let base = Self.returns(9, seed: 5)
        var values = base.values
        let t = base.dates.count
        for k in 0..<t { values[t + k] = 0.0008 - values[k] }
        let d = try config.estimate(
            returns: ReturnSeries(symbols: base.symbols, dates: base.dates, values: values, periodsPerYear: 252))
        let r = try MeanVarianceProblem(distribution: d, objective: .minimumVolatility, riskFreeRate: 0.02).solve()
        #expect(r.volatility < 1e-6, "a zero-variance portfolio exists: \(r.volatility)")
        #expect(r.sharpeRatio == nil, "Sharpe \(String(describing: r.sharpeRatio)) at volatility \(r.volatility)")
        // Cash alone: volatility exactly zero.
        var cash = PortfolioConstraints()
        cash.cashSymbol = "CASH"
        cash.cashRate = 0.02
        cash.defaultUpper = 0
        cash.upperBounds["CASH"] = 1
        let c = try MeanVarianceProblem(distribution: d, objective: .minimumVolatility, constraints: cash).solve()
        #expect(c.weight(of: "CASH") == 1 && c.sharpeRatio == nil)
    }

    @Test("a solve is optimal only when its relative KKT residual meets the acceptance tolerance; otherwise it fails with the residuals")
    func acceptanceTolerance() throws {
        let distribution = try RiskModelConfiguration().estimate(returns: Self.returns(9, seed: 6))
        var constraints = PortfolioConstraints()
        constraints.defaultUpper = 0.5
        constraints.groups = [AssetGroup(name: "first two", members: ["A0", "A1"], maximum: 0.3)]
        for objective in Self.objectives {
            guard let r = try? MeanVarianceProblem(distribution: distribution, objective: objective, constraints: constraints).solve()
            else { continue }
            #expect(r.diagnostics.relativeKKTResidual <= QPOptions().acceptanceTolerance, "\(objective)")
            // No solve in floating point reaches a residual of 1e-300: every objective must refuse.
            var strict = QPOptions()
            strict.acceptanceTolerance = 1e-300
            do {
                _ = try MeanVarianceProblem(distribution: distribution, objective: objective, constraints: constraints, options: strict)
                    .solve()
                if r.diagnostics.relativeKKTResidual > 0 { Issue.record("\(objective): accepted a residual above the tolerance") }
            } catch {
                #expect(error.code == .solverFailure && error.message.contains("relative KKT residual"), "\(error)")
            }
        }
    }

    @Test("a degenerate frontier is exactly that: upper bounds that sum to one admit one portfolio; tight bounds keep every point feasible")
    func degenerateFrontier() throws {
        let distribution = try RiskModelConfiguration().estimate(returns: Self.returns(9, seed: 7, assets: 20, observations: 300))
        var c = PortfolioConstraints()
        c.defaultUpper = 0.05
        let exact = try MeanVarianceProblem(distribution: distribution, objective: .minimumVolatility, constraints: c).exactFrontier()
        #expect(exact.points.count == 1, "\(exact.points.count) points")
        #expect(exact.points.allSatisfy { $0.weights.allSatisfy { abs($0 - 0.05) < 1e-9 } })
        let sampled = try MeanVarianceProblem(distribution: distribution, objective: .minimumVolatility, constraints: c).sampledFrontier(
            points: 10)
        #expect(sampled.points.count == 1)
        #expect(exact.maximumSharpe(riskFreeRate: 0)?.weights.allSatisfy { abs($0 - 0.05) < 1e-9 } == true)
        // Upper bounds summing to just above one: a short frontier, every point within bounds.
        for upper in [0.0501, 0.051, 0.06, 0.1] {
            c.defaultUpper = upper
            let f = try MeanVarianceProblem(distribution: distribution, objective: .minimumVolatility, constraints: c).exactFrontier()
            for p in f.points {
                #expect(abs(p.weights.reduce(0, +) - 1) < 1e-9)
                #expect(p.weights.allSatisfy { $0 >= -1e-9 && $0 <= upper + 1e-9 }, "upper \(upper): \(p.weights.max()!)")
            }
        }
    }
}

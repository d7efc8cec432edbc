import BallastLinearAlgebra
import BallastMarketData
import BallastTestSupport
import Foundation
import Testing

@testable import BallastRiskModels

@Suite("Definiteness check and repair")
struct DefinitenessTests {
    /// An indefinite "correlation-like" matrix: three assets whose pairwise correlations
    /// cannot all hold at once.
    let indefinite = Matrix(rowMajor: [[0.04, 0.036, -0.036], [0.036, 0.09, 0.054], [-0.036, 0.054, 0.09]])

    @Test func diagnosticsOfAnIndefiniteMatrix() throws {
        let d = try CovarianceDiagnostics.check(indefinite)
        #expect(!d.isPositiveDefinite)
        #expect(d.minEigenvalue < 0)
        #expect(d.conditionNumber == .infinity)
    }

    @Test("near-singular covariances name their assets: a duplicated pair, a zero-variance asset, a linear combination")
    func nearSingularity() throws {
        let duplicated = Matrix(rowMajor: [[0.04, 0.04, 0.01], [0.04, 0.04, 0.01], [0.01, 0.01, 0.09]])
        let d = try CovarianceDiagnostics.check(duplicated, assets: ["A", "A2", "B"])
        #expect(d.nearSingularity?.contains("A and A2") == true, "\(String(describing: d.nearSingularity))")
        let flat = Matrix(rowMajor: [[0.04, 0, 0], [0, 0, 0], [0, 0, 0.09]])
        #expect(try CovarianceDiagnostics.check(flat, assets: ["A", "F", "B"]).nearSingularity?.contains("F has no variance") == true)
        // C = A + B exactly: no pair is perfectly correlated, the combination is named.
        let a = [0.2, 0.1, 0.3]
        var combo = Matrix(rows: 3, columns: 3)
        let loadings = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
        for i in 0..<3 { for j in 0..<3 { combo[i, j] = zip(loadings[i], loadings[j]).reduce(0) { $0 + $1.0 * $1.1 } * a[0] * a[1] } }
        let c = try CovarianceDiagnostics.check(combo, assets: ["X", "Y", "Z"])
        #expect(c.nearSingularity?.contains("linear combination") == true, "\(String(describing: c.nearSingularity))")
        #expect(try CovarianceDiagnostics.check(Matrix.diagonal([4, 1, 0.25]), assets: ["A", "B", "C"]).nearSingularity == nil)
    }

    @Test("condition number equals λmax / λmin for a positive-definite matrix")
    func conditionNumber() throws {
        let a = Matrix.diagonal([4, 1, 0.25])
        let d = try CovarianceDiagnostics.check(a)
        #expect(d.isPositiveDefinite)
        #expect(abs(d.conditionNumber - 16) < 1e-12)
    }

    @Test("eigenvalue clipping yields a positive-definite matrix and reports the change", arguments: CovarianceRepairMethod.allCases)
    func repair(_ method: CovarianceRepairMethod) throws {
        let (fixed, report) = try CovarianceRepair.repair(indefinite, method: method)
        let r = try #require(report)
        #expect(r.method == method)
        #expect(r.minEigenvalueBefore < 0)
        #expect(r.minEigenvalueAfter > 0)
        #expect(r.maxAbsoluteChange > 0)
        #expect(try CovarianceDiagnostics.check(fixed).isPositiveDefinite)
        #expect(fixed == fixed.transposed)
        if method == .nearestCorrelation {
            // Variances are kept exactly (up to rounding).
            #expect(TestSupport.maxStrictRelativeError(fixed.diagonal, indefinite.diagonal) < 1e-12)
        }
    }

    @Test("a positive-definite matrix is left alone")
    func noRepairNeeded() throws {
        let a = Matrix.diagonal([1, 2, 3])
        let (same, report) = try CovarianceRepair.repair(a)
        #expect(report == nil)
        #expect(same == a)
    }

    @Test("the ragged file's pairwise covariance is indefinite and repairs cleanly")
    func raggedPairwise() throws {
        let r = try PriceCSV.read(path: TestSupport.path("Tests/Fixtures/ragged_prices.csv")).returns(periodsPerYear: 252)
        let c = try SampleCovariance().estimate(r).matrix
        #expect(!(try CovarianceDiagnostics.check(c).isPositiveDefinite))
        for method in CovarianceRepairMethod.allCases {
            let (fixed, report) = try CovarianceRepair.repair(c, method: method)
            #expect(report != nil)
            #expect(try CovarianceDiagnostics.check(fixed).isPositiveDefinite)
            #expect(report!.relativeFrobeniusChange < 0.05, "\(method) should change the matrix only a little")
        }
    }

    @Test("clipping matches numpy's eigh-based clip on seeded random symmetric matrices", arguments: 1...5)
    func clippingProperty(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let n = 4 + seed
        let b = Matrix(rows: n, columns: n, columnMajor: (0..<(n * n)).map { _ in g.normal() })
        var a = b + b.transposed
        a.symmetrize()
        let (fixed, _) = try CovarianceRepair.repair(a)
        let e = try SymmetricEigendecomposition(fixed)
        let floor = CovarianceRepair.defaultRelativeFloor * e.values.last!
        #expect(e.values.first! >= floor * 0.999)
        // Eigenvalues above the floor are unchanged.
        let before = try SymmetricEigendecomposition(a).values.filter { $0 > floor }
        let after = e.values.suffix(before.count)
        #expect(TestSupport.maxRelativeError(Array(after), before) < 1e-12)
    }
}

@Suite("Estimator error paths")
struct EstimatorErrorTests {
    func series(_ columns: [[Double]], dates: Int? = nil) -> ReturnSeries {
        let t = columns.first?.count ?? 0
        let start = MarketDate(iso: "2020-01-01")!
        return ReturnSeries(
            symbols: columns.indices.map { "S\($0)" }, dates: (0..<t).map { start.adding(days: $0) }, values: columns.flatMap { $0 },
            periodsPerYear: 252)
    }

    @Test func tooFewObservations() {
        let r = series([[0.01], [0.02]])
        #expect(throws: RiskModelError.self) { try SampleCovariance().estimate(r) }
        #expect(throws: RiskModelError.self) { try LedoitWolfCovariance().estimate(r) }
    }

    @Test func noOverlap() {
        let r = series([[0.01, 0.02, .nan, .nan], [.nan, .nan, 0.01, 0.03]])
        do {
            _ = try SampleCovariance().estimate(r)
            Issue.record("accepted assets that never overlap")
        } catch {
            #expect(error.code == .insufficientOverlap)
            #expect(error.asset == "S0/S1")
        }
    }

    @Test func badDecay() {
        let r = series([[0.01, 0.02, 0.03]])
        #expect(throws: RiskModelError.self) { try ExponentialCovariance(decay: .span(0.5)).estimate(r) }
        #expect(throws: RiskModelError.self) { try ExponentialCovariance(decay: .halfLife(-1)).estimate(r) }
        #expect(throws: RiskModelError.self) { try ExponentialMeanReturn(decay: .span(.nan)).estimate(r) }
    }

    @Test func constantAsset() {
        let r = series([[0.01, 0.02, 0.03, -0.01], [0, 0, 0, 0]])
        do {
            _ = try LedoitWolfCovariance(target: .constantCorrelation).estimate(r)
            Issue.record("accepted a constant asset")
        } catch {
            #expect(error.code == .zeroVariance)
            #expect(error.asset == "S1")
        }
        // The other estimators handle it and produce finite numbers.
        for target in [ShrinkageTarget.constantVariance, .singleFactor] {
            #expect((try? LedoitWolfCovariance(target: target).estimate(r).matrix.isFinite) == true)
        }
    }

    @Test func duplicatedAssetIsSingularButFinite() throws {
        let x = [0.01, -0.02, 0.015, 0.003, -0.007]
        let r = series([x, x])
        let c = try SampleCovariance().estimate(r).matrix
        #expect(c.isFinite)
        #expect(!(try CovarianceDiagnostics.check(c).isPositiveDefinite))
        // Ledoit-Wolf towards constant variance makes it well conditioned.
        let lw = try LedoitWolfCovariance().estimate(r).matrix
        #expect(try CovarianceDiagnostics.check(lw).isPositiveDefinite)
    }

    @Test func blackLittermanValidatesViews() {
        let model = BlackLitterman(covariance: Matrix.identity(2), marketWeights: [1, 1], riskAversion: 2)
        #expect(throws: RiskModelError.self) { try model.posterior(BlackLittermanViews(picks: [[1, 0, 0]], returns: [0.1])) }
        #expect(throws: RiskModelError.self) {
            try model.posterior(BlackLittermanViews(picks: [[1, 0]], returns: [0.1], confidences: [1.5]))
        }
        let zero = BlackLitterman(covariance: Matrix(rows: 2, columns: 2), marketWeights: [1, 1], riskAversion: 2)
        #expect(throws: RiskModelError.self) { try zero.posterior(BlackLittermanViews(picks: [[1, 0], [1, 0]], returns: [0.1, 0.2])) }
    }
}

@Suite("Risk-model pipeline")
struct PipelineTests {
    let prices = try! PriceCSV.read(path: TestSupport.path("market-data/sp500_20.csv"))
    let market = try! PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv"))

    @Test("configuration runs window, estimator and diagnostics and records provenance")
    func pipeline() throws {
        var config = RiskModelConfiguration()
        config.start = MarketDate(iso: "2018-01-01")
        config.end = MarketDate(iso: "2022-12-28")
        config.covariance = .ledoitWolf(.singleFactor)
        config.expectedReturns = .capm(riskFreeRate: 0.02)
        let d = try config.estimate(prices: prices, market: market)
        #expect(d.assets.count == 20)
        #expect(d.window?.start.description == "2018-01-03")
        #expect(d.window?.observations == reference.windows[0].observations)
        expectClose([d.provenance.shrinkage ?? .nan], [reference.windows[0].ledoitWolfSingleFactorShrinkage], "pipeline shrinkage")
        #expect(d.provenance.diagnostics.isPositiveDefinite)
        expectClose(d.covariance, reference.windows[0].ledoitWolfSingleFactor, "pipeline covariance")
        expectClose(d.expectedReturns, reference.windows[0].capmReturnRf2, "pipeline CAPM")
        #expect(d.correlation.diagonal.allSatisfy { abs($0 - 1) < 1e-12 })
    }

    @Test("CAPM without a market series is a clear error")
    func capmNeedsMarket() {
        var config = RiskModelConfiguration()
        config.expectedReturns = .capm(riskFreeRate: 0)
        #expect(throws: RiskModelError.self) { try config.estimate(prices: prices) }
    }

    @Test("a monthly pipeline annualises by 12 unless told otherwise")
    func monthly() throws {
        var config = RiskModelConfiguration()
        config.frequency = .monthly
        config.start = MarketDate(iso: "2018-01-01")
        config.end = MarketDate(iso: "2022-12-28")
        let d = try config.estimate(prices: prices)
        #expect(d.periodsPerYear == 12)
        expectClose(d.covariance, reference.windows[0].monthly.sampleCovariance, "monthly covariance")
        config.periodsPerYear = 13
        #expect(try config.estimate(prices: prices).periodsPerYear == 13)
    }

    @Test("the estimate is deterministic and safe to compute concurrently")
    func concurrent() async throws {
        var config = RiskModelConfiguration()
        config.covariance = .exponential(.span(60))
        config.start = MarketDate(iso: "2015-01-01")
        let prices = self.prices
        let frozen = config
        let first = try frozen.estimate(prices: prices)
        let results = try await withThrowingTaskGroup(of: ReturnDistribution.self) { group in
            for _ in 0..<4 { group.addTask { try frozen.estimate(prices: prices) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for r in results { #expect(r == first) }
    }
}

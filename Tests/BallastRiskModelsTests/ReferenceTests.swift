import BallastLinearAlgebra
import BallastMarketData
import BallastTestSupport
import Foundation
import Testing

@testable import BallastRiskModels

// MARK: - Fixture model (Tests/Fixtures/risk_reference.json, made by make_risk_fixtures.py)

struct ResampledReference: Decodable {
    let observations: Int
    let sampleCovariance: [[Double]]
    let meanReturn: [Double]
    let lastPrices: [Double]
}

struct WindowReference: Decodable, CustomTestStringConvertible {
    let name: String
    let prices: String
    let start: String
    let end: String
    let symbols: [String]
    let observations: Int
    let firstReturnDate: String
    let lastReturnDate: String
    let sampleCovariance: [[Double]]
    let pairwiseCovariance: [[Double]]
    let expSpan180: [[Double]]
    let expSpan30: [[Double]]
    let expHalfLife60: [[Double]]
    let meanReturn: [Double]
    let geometricReturn: [Double]
    let emaReturnSpan500: [Double]
    let emaReturnHalfLife120: [Double]
    let ledoitWolfConstantVariance: [[Double]]
    let ledoitWolfConstantVarianceShrinkage: Double
    let pypfoptConstantVariance: [[Double]]
    let ledoitWolfSingleFactor: [[Double]]
    let ledoitWolfSingleFactorShrinkage: Double
    let ledoitWolfConstantCorrelation: [[Double]]
    let ledoitWolfConstantCorrelationShrinkage: Double
    let oas: [[Double]]
    let oasShrinkage: Double
    let logSampleCovariance: [[Double]]
    let logMeanReturn: [Double]
    let weekly: ResampledReference
    let monthly: ResampledReference
    let market: String
    let capmReturnRf2: [Double]
    let capmReturnRf0Arithmetic: [Double]

    var testDescription: String { name }
}

struct BlackLittermanVariant: Decodable {
    let omega: String
    let confidences: [Double]?
    let posteriorReturns: [Double]
    let posteriorCovariance: [[Double]]
}

struct BlackLittermanReference: Decodable {
    let caps: [Double]
    let delta: Double
    let tau: Double
    let P: [[Double]]
    let Q: [Double]
    let prior: [Double]
    let variants: [BlackLittermanVariant]
}

struct RaggedReference: Decodable {
    let prices: String
    let symbols: [String]
    let returnRows: Int
    let completeRows: Int
    let presentCounts: [Int]
    let pairwiseCovariance: [[Double]]
    let sampleCovarianceDropRows: [[Double]]
    let expSpan20: [[Double]]
    let expHalfLife10: [[Double]]
    let meanReturn: [Double]
    let geometricReturn: [Double]
    let emaReturnSpan30: [Double]
    let monthlyLastPrices: [[Double?]]
}

struct RiskReference: Decodable {
    let windows: [WindowReference]
    let blackLitterman: BlackLittermanReference
    let ragged: RaggedReference
}

// swift-format-ignore: NeverUseForceTry
let reference: RiskReference = try! TestSupport.fixture("risk_reference.json")

/// The tolerance the estimators are held to against the reference libraries.
///
/// Both sides compute the same formulas in double precision with different summation orders
/// (BLAS blocking, pandas' Welford updates, algebraically rearranged shrinkage terms), which
/// costs a few ulps times the condition of each formula; 1e-10 relative leaves room for that
/// and nothing else.
let tolerance = 1e-10

func flat(_ rows: [[Double]]) -> [Double] { rows.flatMap { $0 } }

func returns(_ w: WindowReference, kind: ReturnKind = .simple, frequency: Frequency = .daily) throws -> ReturnSeries {
    let table = try PriceCSV.read(path: TestSupport.path(w.prices))
        .window(start: MarketDate(iso: w.start), end: MarketDate(iso: w.end))
        .resampled(to: frequency)
    return try table.returns(kind: kind, periodsPerYear: frequency.periodsPerYear)
}

func expectClose(_ actual: Matrix, _ expected: [[Double]], _ what: String, tol: Double = tolerance) {
    let e = TestSupport.maxStrictRelativeError(actual.rowArrays.flatMap { $0 }, flat(expected))
    #expect(e <= tol, "\(what): max relative error \(e)")
}

func expectClose(_ actual: [Double], _ expected: [Double], _ what: String, tol: Double = tolerance) {
    let e = TestSupport.maxStrictRelativeError(actual, expected)
    #expect(e <= tol, "\(what): max relative error \(e)")
}

// MARK: - Windows of the bundled data

@Suite("Estimators against numpy, pandas, scikit-learn and PyPortfolioOpt")
struct ReferenceTests {
    @Test("window, returns and sample covariance", arguments: reference.windows)
    func sample(_ w: WindowReference) throws {
        let r = try returns(w)
        #expect(r.symbols == w.symbols)
        #expect(r.observationCount == w.observations)
        #expect(r.dates.first?.description == w.firstReturnDate)
        #expect(r.dates.last?.description == w.lastReturnDate)
        expectClose(try SampleCovariance().estimate(r).matrix, w.sampleCovariance, "sample covariance")
        expectClose(try SampleCovariance().estimate(r).matrix, w.pairwiseCovariance, "pairwise (complete data)")
    }

    @Test("exponentially weighted covariance", arguments: reference.windows)
    func exponential(_ w: WindowReference) throws {
        let r = try returns(w)
        expectClose(try ExponentialCovariance(decay: .span(180)).estimate(r).matrix, w.expSpan180, "span 180")
        expectClose(try ExponentialCovariance(decay: .span(30)).estimate(r).matrix, w.expSpan30, "span 30")
        expectClose(try ExponentialCovariance(decay: .halfLife(60)).estimate(r).matrix, w.expHalfLife60, "half-life 60")
    }

    @Test(
        "estimator settings by name: the default spans are PyPortfolioOpt's (exp_cov 180, ema_historical_return 500)",
        arguments: reference.windows)
    func settings(_ w: WindowReference) throws {
        let r = try returns(w)
        var s = EstimatorSettings()
        (s.covariance, s.expectedReturns) = (.ewma, .ema)
        expectClose(try s.covarianceChoice.estimator.estimate(r).matrix, w.expSpan180, "ewma, default span")
        guard case .exponential(let decay) = s.expectedReturnChoice else {
            Issue.record("ema is not an exponential mean")
            return
        }
        expectClose(try ExponentialMeanReturn(decay: decay).estimate(r), w.emaReturnSpan500, "ema, default span")
        s.halfLife = 60
        expectClose(try s.covarianceChoice.estimator.estimate(r).matrix, w.expHalfLife60, "ewma, half-life 60")
        s.covariance = .ledoitWolf
        expectClose(try s.covarianceChoice.estimator.estimate(r).matrix, w.ledoitWolfConstantVariance, "ledoit-wolf, default target")
        s.covariance = .oas
        expectClose(try s.covarianceChoice.estimator.estimate(r).matrix, w.oas, "oas")
    }

    @Test("estimator settings out of range name their field")
    func settingsProblems() {
        func problem(_ change: (inout EstimatorSettings) -> Void) -> String? {
            var s = EstimatorSettings()
            change(&s)
            do throws(SettingProblem) {
                try s.validate()
                return nil
            } catch { return error.field }
        }
        #expect(problem { _ in } == nil)
        #expect(problem { $0.span = 0.5 } == "span")
        #expect(
            problem {
                $0.span = 10
                $0.halfLife = 5
            } == "span")
        #expect(problem { $0.halfLife = -1 } == "halfLife")
        #expect(problem { $0.halfLife = .infinity } == "halfLife")
        #expect(problem { $0.riskFreeRate = 2 } == "riskFreeRate")
        #expect(problem { $0.riskFreeRate = .nan } == "riskFreeRate")
    }

    @Test("shrinkage estimators", arguments: reference.windows)
    func shrinkage(_ w: WindowReference) throws {
        let r = try returns(w)
        let cv = try LedoitWolfCovariance(target: .constantVariance).estimate(r)
        expectClose(cv.matrix, w.ledoitWolfConstantVariance, "LW constant variance")
        expectClose(cv.matrix, w.pypfoptConstantVariance, "LW constant variance (PyPortfolioOpt)")
        expectClose([cv.shrinkage!], [w.ledoitWolfConstantVarianceShrinkage], "LW constant variance intensity")
        let sf = try LedoitWolfCovariance(target: .singleFactor).estimate(r)
        expectClose(sf.matrix, w.ledoitWolfSingleFactor, "LW single factor")
        expectClose([sf.shrinkage!], [w.ledoitWolfSingleFactorShrinkage], "LW single factor intensity")
        let cc = try LedoitWolfCovariance(target: .constantCorrelation).estimate(r)
        expectClose(cc.matrix, w.ledoitWolfConstantCorrelation, "LW constant correlation")
        expectClose([cc.shrinkage!], [w.ledoitWolfConstantCorrelationShrinkage], "LW constant correlation intensity")
        let oas = try OracleApproximatingCovariance().estimate(r)
        expectClose(oas.matrix, w.oas, "OAS")
        expectClose([oas.shrinkage!], [w.oasShrinkage], "OAS intensity")
    }

    @Test("expected returns", arguments: reference.windows)
    func expectedReturns(_ w: WindowReference) throws {
        let r = try returns(w)
        expectClose(try MeanReturn().estimate(r), w.meanReturn, "mean")
        expectClose(try GeometricMeanReturn().estimate(r), w.geometricReturn, "geometric")
        expectClose(try ExponentialMeanReturn(decay: .span(500)).estimate(r), w.emaReturnSpan500, "EMA span 500")
        expectClose(try ExponentialMeanReturn(decay: .halfLife(120)).estimate(r), w.emaReturnHalfLife120, "EMA half-life 120")
        let market = try PriceCSV.read(path: TestSupport.path(w.market))
            .window(start: MarketDate(iso: w.start), end: MarketDate(iso: w.end))
            .returns(periodsPerYear: 252)
        expectClose(try CAPMReturn(market: market, riskFreeRate: 0.02).estimate(r), w.capmReturnRf2, "CAPM rf 2%")
        expectClose(
            try CAPMReturn(market: market, riskFreeRate: 0, compounding: false).estimate(r), w.capmReturnRf0Arithmetic, "CAPM arithmetic")
    }

    @Test("log returns", arguments: reference.windows)
    func logReturns(_ w: WindowReference) throws {
        let r = try returns(w, kind: .log)
        expectClose(try SampleCovariance().estimate(r).matrix, w.logSampleCovariance, "log sample covariance")
        expectClose(try MeanReturn().estimate(r), w.logMeanReturn, "log mean")
    }

    @Test("weekly and monthly resampling", arguments: reference.windows)
    func resampling(_ w: WindowReference) throws {
        for (frequency, ref) in [(Frequency.weekly, w.weekly), (.monthly, w.monthly)] {
            let table = try PriceCSV.read(path: TestSupport.path(w.prices))
                .window(start: MarketDate(iso: w.start), end: MarketDate(iso: w.end)).resampled(to: frequency)
            #expect((0..<table.symbolCount).map { table[table.rowCount - 1, $0] } == ref.lastPrices)
            let r = try table.returns(periodsPerYear: frequency.periodsPerYear)
            #expect(r.observationCount == ref.observations, "\(frequency)")
            expectClose(try SampleCovariance().estimate(r).matrix, ref.sampleCovariance, "\(frequency) covariance")
            expectClose(try MeanReturn().estimate(r), ref.meanReturn, "\(frequency) mean")
        }
    }

    @Test("Black-Litterman prior and posterior")
    func blackLitterman() throws {
        let bl = reference.blackLitterman
        let w = reference.windows[0]
        let sigma = try SampleCovariance().estimate(try returns(w)).matrix
        let model = BlackLitterman(covariance: sigma, marketWeights: bl.caps, riskAversion: bl.delta, tau: bl.tau)
        expectClose(model.priorReturns, bl.prior, "prior", tol: 1e-8)
        let market = try PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv"))
            .window(start: MarketDate(iso: w.start), end: MarketDate(iso: w.end)).returns(periodsPerYear: 252)
        expectClose([try BlackLitterman.impliedRiskAversion(market: market)], [bl.delta], "implied risk aversion", tol: 1e-8)
        let implied = try BlackLitterman(covariance: sigma, marketWeights: bl.caps, market: market, tau: bl.tau)
        expectClose(implied.priorReturns, bl.prior, "prior with delta implied by the market", tol: 1e-8)
        for v in bl.variants {
            let views = BlackLittermanViews(picks: bl.P, returns: bl.Q, confidences: v.confidences)
            let post = try model.posterior(views)
            expectClose(post.expectedReturns, v.posteriorReturns, "posterior returns (\(v.omega))", tol: 1e-8)
            expectClose(post.covariance, v.posteriorCovariance, "posterior covariance (\(v.omega))", tol: 1e-8)
        }
    }
}

// MARK: - The ragged file (missing data)

@Suite("Missing data against pandas")
struct RaggedTests {
    let ref = reference.ragged

    func raw() throws -> ReturnSeries {
        try PriceCSV.read(path: TestSupport.path(ref.prices)).returns(periodsPerYear: 252)
    }

    @Test func countsAndPolicies() throws {
        let r = try raw()
        #expect(r.symbols == ref.symbols)
        #expect(r.observationCount == ref.returnRows)
        #expect(r.presentCounts == ref.presentCounts)
        #expect(r.applying(.dropRows).observationCount == ref.completeRows)
        #expect(r.applying(.pairwise).observationCount == ref.returnRows)
    }

    @Test func pairwiseCovariance() throws {
        expectClose(try SampleCovariance().estimate(try raw()).matrix, ref.pairwiseCovariance, "pairwise covariance")
    }

    @Test func dropRowsCovariance() throws {
        expectClose(
            try SampleCovariance().estimate(try raw().applying(.dropRows)).matrix, ref.sampleCovarianceDropRows, "drop-rows covariance")
    }

    @Test func exponentialWithGaps() throws {
        expectClose(try ExponentialCovariance(decay: .span(20)).estimate(try raw()).matrix, ref.expSpan20, "EWMA span 20 with gaps")
        expectClose(
            try ExponentialCovariance(decay: .halfLife(10)).estimate(try raw()).matrix, ref.expHalfLife10, "EWMA half-life 10 with gaps")
    }

    @Test func expectedReturnsWithGaps() throws {
        let r = try raw()
        expectClose(try MeanReturn().estimate(r), ref.meanReturn, "mean with gaps")
        expectClose(try GeometricMeanReturn().estimate(r), ref.geometricReturn, "geometric with gaps")
        expectClose(try ExponentialMeanReturn(decay: .span(30)).estimate(r), ref.emaReturnSpan30, "EMA with gaps")
    }

    @Test func monthlyResamplingTakesLastPresentPrice() throws {
        let m = try PriceCSV.read(path: TestSupport.path(ref.prices)).resampled(to: .monthly)
        #expect(m.rowCount == ref.monthlyLastPrices.count)
        for i in 0..<m.rowCount {
            for j in 0..<m.symbolCount {
                let expected = ref.monthlyLastPrices[i][j]
                if let expected { #expect(m[i, j] == expected) } else { #expect(m[i, j].isNaN) }
            }
        }
    }

    @Test func shrinkageRefusesIncompleteRows() throws {
        let r = try raw()
        #expect(throws: RiskModelError.self) { try LedoitWolfCovariance().estimate(r) }
        do {
            _ = try OracleApproximatingCovariance().estimate(r)
            Issue.record("OAS accepted incomplete rows")
        } catch {
            #expect(error.code == .incompleteData)
            #expect(error.description.contains("drop-rows"))
        }
    }
}

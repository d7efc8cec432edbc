import BallastLinearAlgebra
import BallastMarketData
import BallastRiskModels
import BallastTestSupport
import Foundation
import Testing

@testable import BallastOptimization

struct GroupFixture: Decodable {
    let name: String
    let members: [String]
    let minimum: Double?
    let maximum: Double?
}

struct PyPortfolioOptFixture: Decodable {
    let weights: [Double]
    let performance: [Double]
    let riskFreeRate: Double
}

struct OptimizerCase: Decodable, CustomTestStringConvertible {
    let name: String
    let objective: String
    let riskFreeRate: Double?
    let riskAversion: Double?
    let targetReturn: Double?
    let targetVolatility: Double?
    let lower: Double?
    let upper: Double?
    let l2: Double?
    let lowerBounds: [String: Double]?
    let upperBounds: [String: Double]?
    let groups: [GroupFixture]?
    let turnover: Double?
    let cost: Double?
    let cash: Bool?
    let cashRate: Double?
    let weights: [Double]
    let expectedReturn: Double
    let volatility: Double
    let pypfopt: PyPortfolioOptFixture?

    var testDescription: String { name }

    var portfolioObjective: PortfolioObjective {
        switch objective {
        case "min-volatility": .minimumVolatility
        case "max-sharpe": .maximumSharpe(riskFreeRate: riskFreeRate!)
        case "max-utility": .maximumUtility(riskAversion: riskAversion!)
        case "efficient-return": .efficientReturn(targetReturn: targetReturn!)
        case "efficient-risk": .efficientRisk(targetVolatility: targetVolatility!)
        default: fatalError("unknown objective \(objective)")
        }
    }

    var constraints: PortfolioConstraints {
        var c = PortfolioConstraints()
        c.defaultLower = lower ?? 0
        c.defaultUpper = upper ?? 1
        c.lowerBounds = lowerBounds ?? [:]
        c.upperBounds = upperBounds ?? [:]
        c.groups = (groups ?? []).map { AssetGroup(name: $0.name, members: $0.members, minimum: $0.minimum, maximum: $0.maximum) }
        c.l2Regularization = l2 ?? 0
        if turnover != nil || cost != nil {
            let symbols = optimizerReference.symbols
            c.currentWeights = Dictionary(uniqueKeysWithValues: symbols.map { ($0, 1.0 / Double(symbols.count)) })
            c.turnoverLimit = turnover
            c.proportionalCost = cost
        }
        if cash == true {
            c.cashSymbol = "CASH"
            c.cashRate = cashRate ?? 0
        }
        return c
    }
}

struct OptimizerReference: Decodable {
    let prices: String
    let start: String
    let end: String
    let symbols: [String]
    let cases: [OptimizerCase]
}

let optimizerReference: OptimizerReference = try! TestSupport.fixture("optimizer_reference.json")

/// The distribution the fixtures were computed on: arithmetic mean and ddof-1 sample
/// covariance of daily simple returns, annualised by 252.
let referenceDistribution: ReturnDistribution = {
    var config = RiskModelConfiguration()
    config.start = MarketDate(iso: optimizerReference.start)
    config.end = MarketDate(iso: optimizerReference.end)
    let prices = try! PriceCSV.read(path: TestSupport.path(optimizerReference.prices))
    return try! config.estimate(prices: prices)
}()

@Suite("Mean-variance optimiser against cvxpy/Clarabel and PyPortfolioOpt")
struct OptimizerReferenceTests {
    @Test("weights, KKT residuals and performance", arguments: optimizerReference.cases)
    func reference(_ c: OptimizerCase) throws {
        #expect(referenceDistribution.assets == optimizerReference.symbols)
        let problem = MeanVarianceProblem(distribution: referenceDistribution, objective: c.portfolioObjective, constraints: c.constraints)
        let result = try problem.solve()
        #expect(result.status == .optimal)
        let worst = zip(result.weights, c.weights).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-8, "max weight difference \(worst)")
        #expect(abs(result.weights.reduce(0, +) - 1) <= 1e-12)
        #expect(result.diagnostics.kktResidual <= 1e-10, "KKT residual \(result.diagnostics.kktResidual)")
        #expect(abs(result.expectedReturn - c.expectedReturn) <= 1e-8)
        #expect(abs(result.volatility - c.volatility) <= 1e-8)
        if let p = c.pypfopt {
            let rf = p.riskFreeRate
            let sharpe = (result.expectedReturn - rf) / result.volatility
            let ours = [result.expectedReturn, result.volatility, sharpe]
            for k in 0..<3 { #expect(abs(ours[k] - p.performance[k]) <= 1e-8, "performance[\(k)]: \(ours[k]) vs \(p.performance[k])") }
        }
    }
}

struct TurningPointFixture: Decodable {
    let lambda: Double?
    let weights: [Double]
    let expectedReturn: Double
    let volatility: Double
}

struct CriticalLineFixture: Decodable, CustomTestStringConvertible {
    let lower: Double
    let upper: Double
    let turningPoints: [TurningPointFixture]
    let maxSharpeWeights: [Double]
    let maxSharpePerformance: [Double]
    var testDescription: String { "bounds \(lower)-\(upper)" }
}

struct CriticalLineReference: Decodable { let criticalLine: [CriticalLineFixture] }

/// Drops points whose weights repeat the previous point's (zero-length segments).
func distinct<T>(_ points: [T], weights: (T) -> [Double]) -> [T] {
    var out: [T] = []
    for p in points {
        if let last = out.last, zip(weights(last), weights(p)).allSatisfy({ abs($0 - $1) <= 1e-9 }) { continue }
        out.append(p)
    }
    return out
}

@Suite("Critical line algorithm against PyPortfolioOpt's CLA")
struct CriticalLineTests {
    @Test(
        "turning points, lambdas and maximum Sharpe",
        arguments: try! TestSupport.fixture("optimizer_reference.json", as: CriticalLineReference.self).criticalLine)
    func turningPoints(_ ref: CriticalLineFixture) throws {
        var c = PortfolioConstraints()
        c.defaultLower = ref.lower
        c.defaultUpper = ref.upper
        let frontier = try MeanVarianceProblem(distribution: referenceDistribution, objective: .minimumVolatility, constraints: c)
            .exactFrontier()
        let ours = distinct(frontier.points) { $0.weights }
        let theirs = distinct(ref.turningPoints) { $0.weights }
        #expect(ours.count == theirs.count, "\(ours.count) turning points vs \(theirs.count)")
        for (a, b) in zip(ours, theirs) {
            let worst = zip(a.weights, b.weights).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-10, "weights differ by \(worst) at return \(b.expectedReturn)")
            if let l = b.lambda, a.lambda.isFinite { #expect(abs(a.lambda - l) <= 1e-10 * max(1, abs(l)), "lambda \(a.lambda) vs \(l)") }
        }
        // Returns increase and volatilities increase along the frontier.
        for (a, b) in zip(frontier.points, frontier.points.dropFirst()) {
            #expect(b.expectedReturn >= a.expectedReturn - 1e-14)
            #expect(b.volatility >= a.volatility - 1e-14)
        }
        let ms = try #require(frontier.maximumSharpe(riskFreeRate: 0))
        let worst = zip(ms.weights, ref.maxSharpeWeights).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-6, "max Sharpe weights differ by \(worst) (the reference uses a golden-section search)")
        #expect(abs(ms.expectedReturn / ms.volatility - ref.maxSharpePerformance[2]) <= 1e-10)
        // The exact frontier's maximum Sharpe agrees with the homogenised QP.
        if ref.lower == 0 {
            let qp = try MeanVarianceProblem(
                distribution: referenceDistribution, objective: .maximumSharpe(riskFreeRate: 0), constraints: c
            ).solve()
            #expect(zip(qp.weights, ms.weights).map { abs($0 - $1) }.max()! <= 1e-9)
        }
    }

    @Test("turning points reproduce interior solutions by interpolation")
    func interpolation() throws {
        let frontier = try MeanVarianceProblem(distribution: referenceDistribution, objective: .minimumVolatility).exactFrontier()
        let lo = frontier.points.first!.expectedReturn
        let hi = frontier.points.last!.expectedReturn
        for k in 1..<10 {
            let target = lo + (hi - lo) * Double(k) / 10
            let interpolated = try #require(frontier.point(atReturn: target))
            let solved = try MeanVarianceProblem(distribution: referenceDistribution, objective: .efficientReturn(targetReturn: target))
                .solve()
            let worst = zip(interpolated.weights, solved.weights).map { abs($0 - $1) }.max()!
            #expect(worst <= 1e-9, "at return \(target): \(worst)")
        }
    }
}

import BallastMarketData
import BallastOptimization
import BallastRiskModels
import BallastWorkflows
import Foundation

/// The screens of `ballast optimize`.
public enum OptimizationScreen {
    /// The whole-lot allocation: quantity and achieved weight per asset, invested and left over.
    public static func allocation(_ a: DiscreteAllocation) -> String {
        var t = TextTable(["asset", "quantity", "weight"])
        for s in a.quantities.keys.sorted() {
            t.add([s, String(format: "%g", a.quantities[s]!), percent(a.achievedWeights[s] ?? 0)])
        }
        var out = "Allocation: invested \(String(format: "%.2f", a.invested)), left over \(String(format: "%.2f", a.leftover))"
        out += ", misallocated \(String(format: "%.2f", a.misallocation))\n\n"
        return out + t.render()
    }

    /// The optimisation: status, return, volatility, Sharpe ratio, solver residual and weights.
    public static func text(_ r: OptimizationResult) -> String {
        var out = "Objective \(r.objective): \(r.status.rawValue)\n"
        out += "  expected return  \(percent(r.expectedReturn))\n"
        out += "  volatility       \(percent(r.volatility))\n"
        out +=
            "  Sharpe ratio     \(r.sharpeRatio.map { number($0) } ?? "n/a (zero volatility)") (risk-free rate \(percent(r.riskFreeRate)))\n"
        out +=
            "  solver           \(r.diagnostics.iterations) iterations, relative KKT residual \(String(format: "%.2e", r.diagnostics.relativeKKTResidual))"
        out += r.diagnostics.polished ? ", polished\n\n" : "\n\n"
        var t = TextTable(["asset", "weight"])
        for (a, w) in zip(r.assets, r.weights) where abs(w) >= 5e-7 { t.add([a, percent(w)]) }
        out += t.render()
        let zero = zip(r.assets, r.weights).filter { abs($0.1) < 5e-7 }.map(\.0)
        if !zero.isEmpty { out += "\nZero weight: " + zero.joined(separator: ", ") + "\n" }
        return out
    }
}

/// The JSON shape of `ballast optimize --format json`.
public struct OptimizationReport: Encodable {
    /// The diagnostics.
    public struct Diagnostics: Encodable {
        /// The iterations.
        public let iterations: Int
        /// The solves.
        public let solves: Int
        /// The KKT residual.
        public let kktResidual: Double
        /// The relative KKT residual (the acceptance test).
        public let relativeKKTResidual: Double
        /// The primal residual.
        public let primalResidual: Double
        /// The dual residual.
        public let dualResidual: Double
        /// The duality gap.
        public let dualityGap: Double
        /// Whether the active set was polished.
        public let polished: Bool
    }
    /// The status.
    public let status: String
    /// The objective.
    public let objective: String
    /// The weights.
    public let weights: [String: Double]
    /// The expected return.
    public let expectedReturn: Double
    /// The volatility.
    public let volatility: Double
    /// The sharpe ratio.
    @ExplicitNull public var sharpeRatio: Double?
    /// The annual risk-free rate of the Sharpe ratio.
    public let riskFreeRate: Double
    /// The diagnostics.
    public let diagnostics: Diagnostics
    /// The warnings.
    public let warnings: [String]
    /// The engine version.
    public let engineVersion: String
    /// The allocation.
    public let allocation: AllocationReport?

    /// The allocation report.
    public struct AllocationReport: Encodable {
        /// The quantities.
        public let quantities: [String: Double]
        /// The amount invested.
        public let invested: Double
        /// The cash left over.
        public let leftover: Double
        /// The distance of the achieved weights from the targets.
        public let misallocation: Double
    }

    /// Creates the value.
    public init(_ r: OptimizationResult, allocation a: DiscreteAllocation? = nil) {
        allocation = a.map {
            AllocationReport(quantities: $0.quantities, invested: $0.invested, leftover: $0.leftover, misallocation: $0.misallocation)
        }
        status = r.status.rawValue
        objective = r.objective.description
        weights = Dictionary(uniqueKeysWithValues: zip(r.assets, r.weights).map { ($0, $1) })
        expectedReturn = r.expectedReturn
        volatility = r.volatility
        sharpeRatio = r.sharpeRatio
        riskFreeRate = r.riskFreeRate
        let d = r.diagnostics
        diagnostics = Diagnostics(
            iterations: d.iterations, solves: d.solves, kktResidual: d.kktResidual, relativeKKTResidual: d.relativeKKTResidual,
            primalResidual: d.primalResidual,
            dualResidual: d.dualResidual,
            dualityGap: d.dualityGap, polished: d.polished)
        warnings = r.warnings
        engineVersion = BallastVersion.current
    }
}

/// The screens of `ballast risk-model`.
public enum RiskModelScreen {
    /// The CSV of `risk-model --format csv`: per asset the expected return, the volatility and
    /// its covariance row.
    public static func csv(_ d: ReturnDistribution) -> String {
        var out = "asset,expected_return,volatility," + d.assets.joined(separator: ",") + "\n"
        let vol = d.volatilities
        for (i, a) in d.assets.enumerated() {
            out += "\(a),\(d.expectedReturns[i]),\(vol[i])," + d.covariance.row(i).map { String($0) }.joined(separator: ",") + "\n"
        }
        return out
    }

    /// The risk model's screen; `files` names the price files.
    public static func text(_ d: ReturnDistribution, files: String) -> String {
        let p = d.provenance
        var out = "Risk model: \(files)\n"
        if let w = d.window {
            out += "  window          \(w.start) to \(w.end), \(w.observations) \(p.frequency.rawValue) returns"
            out += " (\(p.returnKind.rawValue)), annualised x \(number(d.periodsPerYear))\n"
        }
        out += "  missing data    \(p.missingData.rawValue)\n"
        out += "  covariance      \(p.covariance)" + (p.shrinkage.map { ", shrinkage intensity \(number($0))" } ?? "") + "\n"
        out += "  expected        \(p.expectedReturns)\n"
        let diag = p.diagnostics
        out +=
            "  definiteness    "
            + (diag.nearSingularity != nil
                ? "numerically singular (see the warning)" : diag.isPositiveDefinite ? "positive definite" : "NOT positive definite")
        out +=
            ", condition number \(number(diag.conditionNumber)), eigenvalues \(number(diag.minEigenvalue)) to \(number(diag.maxEigenvalue))\n"
        if let r = p.repair {
            out +=
                "  repair          \(r.method.rawValue): min eigenvalue \(number(r.minEigenvalueBefore)) -> \(number(r.minEigenvalueAfter)), max change \(number(r.maxAbsoluteChange)), relative change \(number(r.relativeFrobeniusChange))\n"
        }
        out += "\n"
        var t = TextTable(["asset", "exp. return", "volatility", "return/vol", "avg corr", "max corr (with)"])
        let vol = d.volatilities
        let corr = d.correlation
        let n = d.assets.count
        for i in 0..<n {
            var avg = 0.0
            var best = -Double.infinity
            var with = ""
            for j in 0..<n where j != i {
                avg += corr[i, j]
                if corr[i, j] > best {
                    best = corr[i, j]
                    with = d.assets[j]
                }
            }
            avg = n > 1 ? avg / Double(n - 1) : .nan
            t.add([
                d.assets[i], percent(d.expectedReturns[i]), percent(vol[i]), number(d.expectedReturns[i] / vol[i], digits: 3),
                n > 1 ? String(format: "%.3f", avg) : "n/a", n > 1 ? String(format: "%.3f (%@)", best, with) : "n/a",
            ])
        }
        out += t.render()
        out += "\nFull covariance matrix: --format json or --format csv.\n"
        return out
    }
}

/// The JSON shape of `ballast risk-model --format json`.
public struct RiskModelReport: Encodable {
    /// The window.
    public struct Window: Encodable {
        /// The start.
        public let start: String
        /// The end.
        public let end: String
        /// The observations.
        public let observations: Int
    }
    /// The method.
    public struct Method: Encodable {
        /// The returns.
        public let returns: String
        /// The frequency.
        public let frequency: String
        /// The missing data.
        public let missingData: String
        /// The covariance.
        public let covariance: String
        /// The expected returns.
        public let expectedReturns: String
        /// The positive definite.
        public let positiveDefinite: Bool
        /// The min eigenvalue.
        public let minEigenvalue: Double
        /// The max eigenvalue.
        public let maxEigenvalue: Double
        /// The repair.
        public let repair: CovarianceRepairReport?
    }
    /// The assets.
    public let assets: [String]
    /// The window.
    public let window: Window
    /// The periods per year.
    public let periodsPerYear: Double
    /// The expected returns.
    public let expectedReturns: [Double]
    /// The volatilities.
    public let volatilities: [Double]
    /// The covariance.
    public let covariance: [[Double]]
    /// The shrinkage.
    public let shrinkage: Double?
    /// `null` when the matrix is singular or indefinite (the condition number is infinite).
    public let conditionNumber: Double?
    /// The method.
    public let method: Method
    /// The engine version.
    public let engineVersion: String

    /// The coding keys.
    public enum CodingKeys: String, CodingKey {
        case assets, window, periodsPerYear, expectedReturns, volatilities, covariance, shrinkage, conditionNumber, method, engineVersion
    }

    /// Written by hand so that `shrinkage` and `conditionNumber` appear as `null` rather than
    /// disappearing when they have no value.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(assets, forKey: .assets)
        try c.encode(window, forKey: .window)
        try c.encode(periodsPerYear, forKey: .periodsPerYear)
        try c.encode(expectedReturns, forKey: .expectedReturns)
        try c.encode(volatilities, forKey: .volatilities)
        try c.encode(covariance, forKey: .covariance)
        try c.encode(shrinkage, forKey: .shrinkage)
        try c.encode(conditionNumber, forKey: .conditionNumber)
        try c.encode(method, forKey: .method)
        try c.encode(engineVersion, forKey: .engineVersion)
    }

    /// Creates the value.
    public init(_ d: ReturnDistribution) {
        let p = d.provenance
        assets = d.assets
        let w = d.window!  // always set by the estimation pipeline
        window = Window(start: w.start.description, end: w.end.description, observations: w.observations)
        periodsPerYear = d.periodsPerYear
        expectedReturns = d.expectedReturns
        volatilities = d.volatilities
        covariance = d.covariance.rowArrays
        shrinkage = p.shrinkage
        conditionNumber = p.diagnostics.conditionNumber.isFinite ? p.diagnostics.conditionNumber : nil
        method = Method(
            returns: p.returnKind.rawValue, frequency: p.frequency.rawValue, missingData: p.missingData.rawValue, covariance: p.covariance,
            expectedReturns: p.expectedReturns, positiveDefinite: p.diagnostics.isPositiveDefinite,
            minEigenvalue: p.diagnostics.minEigenvalue,
            maxEigenvalue: p.diagnostics.maxEigenvalue, repair: p.repair)
        engineVersion = BallastVersion.current
    }
}

import ArgumentParser
import Ballast
import Foundation

/// `ballast risk-model`: expected returns and covariance from prices.
struct RiskModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk-model",
        abstract: "Estimate annualised expected returns and the covariance matrix from prices.",
        discussion: """
            Reads a wide price file, cuts the window, computes returns, applies the missing-data policy,
            estimates the covariance (checked by Cholesky; repaired only if --repair is given) and the
            expected returns. Everything is annualised by --periods-per-year.

            EXAMPLES
              ballast risk-model
              ballast risk-model --start 2018-01-01 --covariance ledoit-wolf --shrinkage-target single-factor
              ballast risk-model --covariance ewma --half-life 60 --expected-returns capm --format json
              ballast risk-model --prices market-data/factors_etf5.csv --frequency weekly --format csv
            """
    )

    @OptionGroup var model: RiskModelOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func run() throws {
        let d = try reportingErrors { try model.estimate() }
        if !output.quiet { for w in d.warnings { printError("warning: \(w)") } }
        switch output.format {
        case .json: print(try jsonString(RiskModelReport(d)))
        case .csv: print(csv(d), terminator: "")
        case .table: print(table(d), terminator: "")
        }
        if !output.quiet && !d.provenance.diagnostics.isPositiveDefinite && d.provenance.repair == nil {
            printError("warning: the covariance is not positive definite; pass --repair clip or --repair higham to repair it")
        }
        if !output.quiet && (d.window?.observations ?? Int.max) < d.assets.count {
            printError(
                "warning: \(d.assets.count) assets but only \(d.window?.observations ?? 0) observations; the sample covariance is singular, prefer --covariance ledoit-wolf or oas"
            )
        }
    }

    func csv(_ d: ReturnDistribution) -> String {
        var out = "asset,expected_return,volatility," + d.assets.joined(separator: ",") + "\n"
        let vol = d.volatilities
        for (i, a) in d.assets.enumerated() {
            out += "\(a),\(d.expectedReturns[i]),\(vol[i])," + d.covariance.row(i).map { String($0) }.joined(separator: ",") + "\n"
        }
        return out
    }

    func table(_ d: ReturnDistribution) -> String {
        let p = d.provenance
        var out = "Risk model: \(model.priceOptions.describedFiles)\n"
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
struct RiskModelReport: Encodable {
    struct Window: Encodable {
        let start: String
        let end: String
        let observations: Int
    }
    struct Method: Encodable {
        let returns: String
        let frequency: String
        let missingData: String
        let covariance: String
        let expectedReturns: String
        let positiveDefinite: Bool
        let minEigenvalue: Double
        let maxEigenvalue: Double
        let repair: CovarianceRepairReport?
    }
    let assets: [String]
    let window: Window
    let periodsPerYear: Double
    let expectedReturns: [Double]
    let volatilities: [Double]
    let covariance: [[Double]]
    let shrinkage: Double?
    /// `null` when the matrix is singular or indefinite (the condition number is infinite).
    let conditionNumber: Double?
    let method: Method
    let engineVersion: String

    enum CodingKeys: String, CodingKey {
        case assets, window, periodsPerYear, expectedReturns, volatilities, covariance, shrinkage, conditionNumber, method, engineVersion
    }

    /// Written by hand so that `shrinkage` and `conditionNumber` appear as `null` rather than
    /// disappearing when they have no value.
    func encode(to encoder: any Encoder) throws {
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

    init(_ d: ReturnDistribution) {
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

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
        case .json: print(try ResultJSON.string(RiskModelReport(d)))
        case .csv: print(RiskModelScreen.csv(d), terminator: "")
        case .table: print(RiskModelScreen.text(d, files: model.priceOptions.describedFiles), terminator: "")
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

}

import ArgumentParser
import Ballast
import Foundation

/// `ballast risk-model`: expected returns and covariance from prices.
struct RiskModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk-model",
        abstract: "Estimate annualised expected returns and the covariance matrix from prices.",
        discussion: help("risk-model")
    )

    @OptionGroup var model: RiskModelOptions
    @OptionGroup(title: "Output") var output: TabularOutputOptions

    func run() throws {
        let d = try reportingErrors { try model.request.run { warn([$0], quiet: output.quiet) } }
        try output.emit(
            RiskModelReport(d), table: RiskModelScreen.text(d, files: model.priceOptions.describedFiles), csv: RiskModelScreen.csv(d))
    }
}

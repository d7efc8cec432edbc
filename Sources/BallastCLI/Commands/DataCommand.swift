import ArgumentParser
import Ballast
import Foundation

/// `ballast data`: look at price files.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect market data files.",
        subcommands: [DataInspectCommand.self, BondReturnsCommand.self]
    )
}

/// `ballast data inspect FILE`.
struct DataInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a price file: symbols, dates, missing values, return and volatility per symbol.",
        discussion: help("data inspect")
    )

    @Argument(help: ArgumentHelp("The wide price CSV file.", valueName: "file")) var file: String
    @Option(help: ArgumentHelp("First date, inclusive (YYYY-MM-DD).", valueName: "date")) var start: MarketDate?
    @Option(help: ArgumentHelp("Last date, inclusive (YYYY-MM-DD).", valueName: "date")) var end: MarketDate?
    @Option(help: ArgumentHelp("Periods per year for annualising.", valueName: "n")) var periodsPerYear: Double = 252
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: TabularOutputOptions

    func validate() throws {
        if !(periodsPerYear > 0) { throw ValidationError("--periods-per-year must be positive") }
    }

    func run() throws {
        let summary = try reportingErrors {
            try PriceFileSummary(try check.load([file]).table.window(start: start, end: end), file: file, periodsPerYear: periodsPerYear)
        }
        try output.emit(summary, table: PriceFileScreen.text(summary), csv: PriceFileScreen.csv(summary))
    }
}

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
        discussion: """
            The file is read with the same strict reader as every other command, so a file that passes
            here loads everywhere. Annualised return is the arithmetic mean of simple returns times
            --periods-per-year; volatility is their standard deviation (ddof 1) times its square root;
            both use each symbol's own returns (a return that spans a missing price is not counted).

            EXAMPLES
              ballast data inspect market-data/sp500_20.csv
              ballast data inspect market-data/factors_etf5.csv --format json
            """
    )

    @Argument(help: ArgumentHelp("The wide price CSV file.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("First date, inclusive (YYYY-MM-DD).", valueName: "date"))
    var start: MarketDate?

    @Option(help: ArgumentHelp("Last date, inclusive (YYYY-MM-DD).", valueName: "date"))
    var end: MarketDate?

    @Option(help: ArgumentHelp("Periods per year for annualising.", valueName: "n"))
    var periodsPerYear: Double = 252

    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if !(periodsPerYear > 0) { throw ValidationError("--periods-per-year must be positive") }
    }

    struct SymbolSummary: Encodable {
        let symbol: String
        let prices: Int
        let missing: Int
        let firstValidDate: String?
        let lastValidDate: String?
        let returns: Int
        @ExplicitNull var annualReturn: Double?
        @ExplicitNull var annualVolatility: Double?
        /// Why the annual figures are null, when they are.
        @ExplicitNull var undefined: String?
    }

    struct Summary: Encodable {
        let file: String
        let rows: Int
        let start: String
        let end: String
        let symbols: [SymbolSummary]
        let periodsPerYear: Double
    }

    func run() throws {
        let summary = try reportingErrors { () throws -> Summary in
            let table = try check.load([file]).table.window(start: start, end: end)
            let r = table.rowCount >= 2 ? try table.returns(periodsPerYear: periodsPerYear) : nil
            var out: [SymbolSummary] = []
            for (j, s) in table.symbols.enumerated() {
                let col = table.prices(atColumn: j)
                let firstValid = col.firstIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex].description }
                let lastValid = col.lastIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex].description }
                let x = r.map { Array($0.column(j).filter { !$0.isNaN }) } ?? []
                let mean = x.isEmpty ? Double.nan : x.reduce(0, +) / Double(x.count)
                let variance = x.count < 2 ? Double.nan : x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
                let first = col.firstIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex] }
                let last = col.lastIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex] }
                let days = first.flatMap { f in last.map { $0.dayNumber - f.dayNumber } } ?? 0
                let long = days >= MarketConventions.minimumAnnualisationDays
                out.append(
                    SymbolSummary(
                        symbol: s, prices: col.filter { !$0.isNaN }.count, missing: col.filter(\.isNaN).count, firstValidDate: firstValid,
                        lastValidDate: lastValid, returns: x.count, annualReturn: long && mean.isFinite ? mean * periodsPerYear : nil,
                        annualVolatility: long && variance.isFinite ? (variance * periodsPerYear).squareRoot() : nil,
                        undefined: long
                            ? nil
                            : "\(days) calendar day\(days == 1 ? "" : "s") of prices; annual figures need \(MarketConventions.minimumAnnualisationDays) (a year)"
                    ))
            }
            return Summary(
                file: file, rows: table.rowCount, start: table.dates.first!.description, end: table.dates.last!.description, symbols: out,
                periodsPerYear: periodsPerYear)
        }
        switch output.format {
        case .json:
            print(try ResultJSON.string(summary))
        case .csv:
            print("symbol,prices,missing,first_valid_date,last_valid_date,returns,annual_return,annual_volatility")
            for s in summary.symbols {
                print(
                    [
                        s.symbol, "\(s.prices)", "\(s.missing)", s.firstValidDate ?? "", s.lastValidDate ?? "", "\(s.returns)",
                        s.annualReturn.map { "\($0)" } ?? "", s.annualVolatility.map { "\($0)" } ?? "",
                    ].joined(separator: ","))
            }
        case .table:
            print("\(summary.file): \(summary.symbols.count) symbols, \(summary.rows) rows, \(summary.start) to \(summary.end)\n")
            var t = TextTable(["symbol", "prices", "missing", "first valid", "last valid", "ann. return", "ann. volatility"])
            for s in summary.symbols {
                t.add([
                    s.symbol, "\(s.prices)", "\(s.missing)", s.firstValidDate ?? "-", s.lastValidDate ?? "-",
                    s.annualReturn.map { TextFormat.percent($0) } ?? "n/a", s.annualVolatility.map { TextFormat.percent($0) } ?? "n/a",
                ])
            }
            print(t.render(), terminator: "")
            for reason in Set(summary.symbols.compactMap(\.undefined)).sorted() { print("n/a: \(reason)") }
        }
    }
}

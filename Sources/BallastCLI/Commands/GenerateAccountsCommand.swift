import ArgumentParser
import Ballast
import Foundation

/// `ballast generate-accounts`: synthetic account books for tests and benchmarks.
struct GenerateAccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-accounts",
        abstract: "Write a synthetic account book as JSON Lines (seeded, reproducible).",
        discussion: """
            Each account follows a model portfolio (from --models, default the five levels C1-C5 of the
            model menu in force, or the stock level models with --universe stocks): its holdings are the model's products, bought at target weights
            some months ago (1 to 12, the last-rebalance date) and drifted since with the market (each
            holding moved by a lognormal factor with 20% annual volatility), in whole lots at the prices
            of --as-of. Account values are lognormal around 100,000. One account in ten also holds an
            off-model product, 15% have a pending deposit and 5% a withdrawal. --broken N replaces N
            evenly spread lines with deliberately bad ones (malformed JSON, a missing model, a negative
            holding, an unknown model), to exercise error handling.

            EXAMPLES
              ballast generate-accounts --count 1000 --seed 7 --out book.jsonl
              ballast generate-accounts --count 1000000 --seed 1 --broken 10 --out big.jsonl
              ballast generate-accounts --universe stocks --count 1000 --seed 7 --as-of 2022-12-28 --out stocks.jsonl
            """
    )

    @Option(help: ArgumentHelp("Number of accounts.", valueName: "n"))
    var count: Int

    @Option(help: ArgumentHelp("Random seed.", valueName: "seed"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Number of deliberately broken lines.", valueName: "n"))
    var broken: Int = 0

    @Option(help: ArgumentHelp("Output file (default: standard output).", valueName: "file"))
    var out: String?

    @OptionGroup(title: "Targets and prices") var market: TargetOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles

    func validate() throws {
        if count < 0 { throw ValidationError("--count must be at least 0") }
        if broken < 0 || broken > count { throw ValidationError("--broken must be between 0 and --count") }
    }

    func run() throws {
        try reportingErrors {
            let (prices, catalog, targets) = try market.request().targets(workflowInputs(files, market))
            warn(prices.warnings)
            let book = SyntheticBook(
                count: count, seed: seed, broken: broken, targets: targets, prices: prices.prices, lotSizes: catalog.lotSizes,
                asOf: prices.day)
            guard let out else { return try book.write { FileHandle.standardOutput.write(Data($0.utf8)) } }
            // Account files hold account data: owner-only permissions.
            guard FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600]),
                let handle = FileHandle(forWritingAtPath: out)
            else { throw InputFileError(description: "\(out): cannot create the file; choose a folder you may write to") }
            try book.write { handle.write(Data($0.utf8)) }
            try handle.close()
        }
    }
}

import ArgumentParser
import Ballast
import Foundation

/// `ballast generate-accounts`: synthetic account books for tests and benchmarks.
struct GenerateAccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-accounts",
        abstract: "Write a synthetic account book as JSON Lines (seeded, reproducible).",
        discussion: help("generate-accounts")
    )

    @Option(help: ArgumentHelp("Number of accounts.", valueName: "n")) var count: Int
    @Option(help: ArgumentHelp("Random seed.", valueName: "seed")) var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Number of deliberately broken lines.", valueName: "n")) var broken: Int = 0
    @Option(help: ArgumentHelp("Output file (default: standard output).", valueName: "file")) var out: String?
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

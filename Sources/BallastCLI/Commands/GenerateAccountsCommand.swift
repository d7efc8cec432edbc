import ArgumentParser
import Ballast
import Foundation

/// `ballast generate-accounts`: synthetic account books for tests and benchmarks.
struct GenerateAccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-accounts",
        abstract: "Write a synthetic account book as JSON Lines (seeded, reproducible).",
        discussion: """
            Each account has a level model (C1-C5), about ten holdings of bundled products in whole shares,
            cash, sometimes a deposit or withdrawal, and a last-rebalance date. --broken N replaces N
            evenly spread lines with deliberately bad ones (malformed JSON, a missing model, a negative
            holding, an unknown model), to exercise error handling.

            EXAMPLES
              ballast generate-accounts --count 1000 --seed 7 --out book.jsonl
              ballast generate-accounts --count 1000000 --seed 1 --broken 10 --out big.jsonl
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

    func validate() throws {
        if count < 0 { throw ValidationError("--count must be at least 0") }
        if broken < 0 || broken > count { throw ValidationError("--broken must be between 0 and --count") }
    }

    func run() throws {
        let symbols = [
            "AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY", "MRK", "MSFT", "PEP", "PFE", "PG", "RRC", "UNH",
            "WMT", "XOM", "MTUM", "QUAL", "SIZE", "USMV", "VLUE",
        ]
        var g = SeededGenerator(seed: seed)
        let brokenEvery = broken > 0 ? max(1, count / broken) : Int.max
        var brokenLeft = broken
        let handle: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600]),
                let h = FileHandle(forWritingAtPath: out)
            else {
                printError("error: cannot create \(out)")
                throw ExitCode(ExitStatus.dataError)
            }
            handle = h
        } else {
            handle = FileHandle.standardOutput
        }
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        for k in 0..<count {
            let id = String(format: "ACC-%08d", k + 1)
            var line: String
            if brokenLeft > 0 && (k + 1) % brokenEvery == 0 {
                brokenLeft -= 1
                switch brokenLeft % 4 {
                case 0: line = "{\"id\": \"\(id)\", \"model\": \"C3\", \"cash\": 10"
                case 1: line = "{\"id\": \"\(id)\", \"cash\": 100, \"holdings\": {}}"
                case 2: line = "{\"id\": \"\(id)\", \"model\": \"C2\", \"cash\": 100, \"holdings\": {\"KO\": -5}}"
                default: line = "{\"id\": \"\(id)\", \"model\": \"C9\", \"cash\": 100, \"holdings\": {}}"
                }
            } else {
                let level = Int.random(in: 1...5, using: &g)
                var holdings: [String] = []
                for s in symbols.shuffled(using: &g).prefix(Int.random(in: 6...12, using: &g)) {
                    holdings.append("\"\(s)\": \(Int.random(in: 1...300, using: &g))")
                }
                let cash = Double(Int.random(in: 0...2_000_000, using: &g)) / 100
                var fields =
                    "\"id\": \"\(id)\", \"model\": \"C\(level)\", \"cash\": \(cash), \"holdings\": {\(holdings.joined(separator: ", "))}"
                let r = Double.random(in: 0..<1, using: &g)
                if r < 0.15 {
                    fields += ", \"cashFlow\": {\"amount\": \(Int.random(in: 100...20000, using: &g))}"
                } else if r < 0.2 {
                    fields += ", \"cashFlow\": {\"amount\": -\(Int.random(in: 100...5000, using: &g))}"
                }
                let month = Int.random(in: 1...12, using: &g)
                fields += String(format: ", \"lastRebalance\": \"2022-%02d-15\"", month)
                line = "{\(fields)}"
            }
            buffer += line + "\n"
            if buffer.utf8.count > 1 << 20 {
                handle.write(Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer.utf8))
        if out != nil { try handle.close() }
    }
}

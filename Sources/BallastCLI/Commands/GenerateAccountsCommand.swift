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
            let prices = try market.load()
            let catalog = try market.catalog(prices, files: files)
            let (priceAt, day) = (prices.prices, prices.day)
            let targets = try market.loadTargets(prices, catalog: catalog, files: files)
            let lots = catalog.lotSizes
            for (model, weights) in targets {
                for s in weights.keys where s != "CASH" && priceAt[s] == nil {
                    throw InputFileError(description: "model \(model): no price for \(s) on or before \(day)")
                }
            }
            try write(targets: targets, prices: priceAt, lots: lots, day: day)
        }
    }

    func write(targets: [String: [String: Double]], prices: [String: Double], lots: [String: Double], day: MarketDate) throws {
        let modelIds = targets.keys.sorted()
        let universe = prices.keys.sorted()
        var g = SeededGenerator(seed: seed)
        func normal() -> Double {
            // Box-Muller.
            let u = Double.random(in: Double.ulpOfOne..<1, using: &g)
            let v = Double.random(in: 0..<1, using: &g)
            return (-2 * Foundation.log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        func money(_ x: Double) -> String {
            let c = Int64((x * 100).rounded())
            return "\(c / 100)." + (c % 100 < 10 ? "0" : "") + "\(c % 100)"
        }
        func quantity(_ x: Double) -> String { x == x.rounded() ? String(Int64(x)) : String(x) }
        let brokenEvery = broken > 0 ? max(1, count / broken) : Int.max
        var brokenLeft = broken
        let handle: FileHandle
        if let out {
            guard FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600]),
                let h = FileHandle(forWritingAtPath: out)
            else {
                throw InputFileError(description: "\(out): cannot create the file")
            }
            handle = h
        } else {
            handle = FileHandle.standardOutput
        }
        var buffer = ""
        buffer.reserveCapacity(1 << 20)
        for k in 0..<count {
            var id = String(k + 1)
            id = "ACC-" + String(repeating: "0", count: max(0, 8 - id.count)) + id
            var line: String
            if brokenLeft > 0 && (k + 1) % brokenEvery == 0 {
                brokenLeft -= 1
                switch brokenLeft % 4 {
                case 0: line = "{\"id\": \"\(id)\", \"model\": \"\(modelIds[0])\", \"cash\": 10"
                case 1: line = "{\"id\": \"\(id)\", \"cash\": 100, \"holdings\": {}}"
                case 2: line = "{\"id\": \"\(id)\", \"model\": \"\(modelIds[0])\", \"cash\": 100, \"holdings\": {\"\(universe[0])\": -5}}"
                default: line = "{\"id\": \"\(id)\", \"model\": \"no-such-model\", \"cash\": 100, \"holdings\": {}}"
                }
            } else {
                let model = modelIds[Int.random(in: 0..<modelIds.count, using: &g)]
                let target = targets[model]!
                let value = min(max(100_000 * Foundation.exp(0.9 * normal()), 2_000), 5_000_000)
                let months = Int.random(in: 1...12, using: &g)
                let sigma = 0.2 * (Double(months) / 12).squareRoot()
                var holdings: [String] = []
                for (s, w) in target.sorted(by: { $0.key < $1.key }) where s != "CASH" && w > 0 {
                    let lot = lots[s] ?? 1
                    let drifted = w * value * Foundation.exp(sigma * normal() - sigma * sigma / 2)
                    let q = (drifted / prices[s]! / lot).rounded(.down) * lot
                    if q > 0 { holdings.append("\"\(s)\": \(quantity(q))") }
                }
                if Double.random(in: 0..<1, using: &g) < 0.1, let s = universe.filter({ target[$0] == nil }).randomElement(using: &g) {
                    let lot = lots[s] ?? 1
                    let q = max(1, (Double.random(in: 0.01...0.05, using: &g) * value / prices[s]! / lot).rounded(.down)) * lot
                    holdings.append("\"\(s)\": \(quantity(q))")
                }
                let cash = (target["CASH"] ?? 0) * value * Foundation.exp(0.02 * normal()) + Double.random(in: 0..<200, using: &g)
                var fields =
                    "\"id\": \"\(id)\", \"model\": \"\(model)\", \"cash\": \(money(cash)), \"holdings\": {\(holdings.joined(separator: ", "))}"
                let r = Double.random(in: 0..<1, using: &g)
                if r < 0.15 {
                    fields += ", \"cashFlow\": {\"amount\": \(Int.random(in: 100...20000, using: &g))}"
                } else if r < 0.2 {
                    fields += ", \"cashFlow\": {\"amount\": -\(Int(min(5000, 0.1 * value).rounded(.down)))}"
                }
                fields += ", \"lastRebalance\": \"\(day.adding(months: -months))\""
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

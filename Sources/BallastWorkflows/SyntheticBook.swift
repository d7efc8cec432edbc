import BallastMarketData
import BallastRebalancing
import Foundation

/// A synthetic book of accounts for tests and benchmarks (`ballast generate-accounts`): each
/// account holds a random model's weights drifted by lognormal noise over 1-12 months since its
/// last rebalance, in whole lots, with some cash, an occasional product outside its model and
/// an occasional cash flow; `broken` lines are deliberately malformed (a cut-off line, a missing
/// model, a negative quantity, an unknown model). The same seed gives the same book.
public struct SyntheticBook: Sendable {
    /// Number of accounts (lines).
    public var count: Int
    /// The random seed.
    public var seed: UInt64
    /// Number of broken lines among them.
    public var broken: Int
    /// Model id to target weights.
    public var targets: [String: [String: Double]]
    /// The price of each product.
    public var prices: [String: Double]
    /// Each product's lot size.
    public var lotSizes: [String: Double]
    /// The date of the book (last rebalances are before it).
    public var asOf: MarketDate
    /// The key of cash in the target weights.
    public var cashKey = RebalancePlanner.defaultCashSymbol

    /// A book description.
    public init(
        count: Int, seed: UInt64, broken: Int, targets: [String: [String: Double]], prices: [String: Double], lotSizes: [String: Double],
        asOf: MarketDate
    ) {
        (self.count, self.seed, self.broken, self.targets, self.prices, self.lotSizes, self.asOf) = (
            count, seed, broken, targets, prices, lotSizes, asOf
        )
    }

    /// Writes the book as JSON Lines, in chunks of about 1 MiB, to `sink`.
    ///
    /// - Throws: ``SyntheticBookError`` when a model holds a product without a price or there is
    ///   no model, and what `sink` throws.
    public func write(_ sink: (String) throws -> Void) throws {
        guard !targets.isEmpty else { throw SyntheticBookError("there is no model to generate accounts for") }
        for (model, weights) in targets.sorted(by: { $0.key < $1.key }) {
            for s in weights.keys.sorted() where s != cashKey && prices[s] == nil {
                throw SyntheticBookError("model \(model): no price for \(s) on or before \(asOf)")
            }
        }
        let lots = lotSizes
        let broken = self.broken
        let count = self.count
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
                for (s, w) in target.sorted(by: { $0.key < $1.key }) where s != cashKey && w > 0 {
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
                let cash = (target[cashKey] ?? 0) * value * Foundation.exp(0.02 * normal()) + Double.random(in: 0..<200, using: &g)
                var fields =
                    "\"id\": \"\(id)\", \"model\": \"\(model)\", \"cash\": \(money(cash)), \"holdings\": {\(holdings.joined(separator: ", "))}"
                let r = Double.random(in: 0..<1, using: &g)
                if r < 0.15 {
                    fields += ", \"cashFlow\": {\"amount\": \(Int.random(in: 100...20000, using: &g))}"
                } else if r < 0.2 {
                    fields += ", \"cashFlow\": {\"amount\": -\(Int(min(5000, 0.1 * value).rounded(.down)))}"
                }
                fields += ", \"lastRebalance\": \"\(asOf.adding(months: -months))\""
                line = "{\(fields)}"
            }
            buffer += line + "\n"
            if buffer.utf8.count > 1 << 20 {
                try sink(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try sink(buffer)
    }
}

/// A synthetic book cannot be generated: why, and the fix.
public struct SyntheticBookError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// An error with its message.
    public init(_ description: String) { self.description = description }
}

import BallastMarketData
import Foundation

/// The pre-trade controls a plan passes before its trades are released: price checks that stop
/// trading in a product, per-account limits, batch circuit breakers and a suspension switch.
///
/// Read from a controls file (JSON, every field optional; an absent field keeps the default
/// documented on it):
///
/// ```json
/// {
///   "prices": {"maximumAgeDays": 5, "maximumMoveDeviations": 10, "maximumMove": 0.25},
///   "account": {"maximumTurnover": 0.5, "maximumTradeValue": 250000, "maximumTradeShare": 0.5,
///               "maximumPositionWeight": 0.6, "levelProductsOnly": true},
///   "batch": {"maximumTradingShare": 0.8, "maximumTradedValue": 50000000,
///             "maximumErrorShare": 0.05, "maximumControlShare": 0.05, "minimumAccounts": 1000},
///   "suspensionFile": "/var/run/ballast/suspend"
/// }
/// ```
///
/// A limit set to `null` is off.
public struct PreTradeControls: Sendable, Codable, Equatable {
    /// Checks of the prices a plan trades at.
    public var prices = PriceControls()
    /// Limits on each account's plan.
    public var account = AccountLimits()
    /// Limits on a whole batch run.
    public var batch = CircuitBreakers()
    /// A file whose presence suspends every rebalance; its first line is the reason (`nil`: none).
    public var suspensionFile: String?

    enum CodingKeys: String, CodingKey, CaseIterable { case prices, account, batch, suspensionFile }

    /// The defaults documented on each field.
    public init() {}

    /// Decodes controls; absent fields keep their defaults, unknown fields are refused.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        prices = try c.decodeIfPresent(PriceControls.self, forKey: .prices) ?? PriceControls()
        account = try c.decodeIfPresent(AccountLimits.self, forKey: .account) ?? AccountLimits()
        batch = try c.decodeIfPresent(CircuitBreakers.self, forKey: .batch) ?? CircuitBreakers()
        suspensionFile = try c.decodeIfPresent(String.self, forKey: .suspensionFile)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func refuseUnknownKeys(_ decoder: any Decoder, known: Set<String>) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        if let bad = c.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: c.codingPath + [AnyKey(stringValue: bad)],
                    debugDescription: "unknown field; known fields: \(known.sorted().joined(separator: ", "))"))
        }
    }

    /// Every value out of range, by field (`account.maximumTurnover: must be ...`).
    public var problems: [SettingProblem] {
        var out: [SettingProblem] = []
        func fraction(_ v: Double?, _ field: String, above0 strict: Bool = true) {
            guard let v else { return }
            if !(v.isFinite && (strict ? v > 0 : v >= 0) && v <= 1) {
                out.append(SettingProblem(field: field, message: "must be a fraction \(strict ? "above 0" : "from 0") up to 1, got \(v)"))
            }
        }
        func positive(_ v: Double?, _ field: String) {
            guard let v else { return }
            if !(v.isFinite && v > 0) { out.append(SettingProblem(field: field, message: "must be positive, got \(v)")) }
        }
        if let d = prices.maximumAgeDays, d < 0 {
            out.append(SettingProblem(field: "prices.maximumAgeDays", message: "must be at least 0 days, got \(d)"))
        }
        positive(prices.maximumMoveDeviations, "prices.maximumMoveDeviations")
        positive(prices.maximumMove, "prices.maximumMove")
        positive(account.maximumTurnover, "account.maximumTurnover")
        positive(account.maximumTradeValue, "account.maximumTradeValue")
        fraction(account.maximumTradeShare, "account.maximumTradeShare")
        fraction(account.maximumPositionWeight, "account.maximumPositionWeight")
        fraction(batch.maximumTradingShare, "batch.maximumTradingShare", above0: false)
        positive(batch.maximumTradedValue, "batch.maximumTradedValue")
        fraction(batch.maximumErrorShare, "batch.maximumErrorShare", above0: false)
        fraction(batch.maximumControlShare, "batch.maximumControlShare", above0: false)
        if batch.minimumAccounts < 1 {
            out.append(SettingProblem(field: "batch.minimumAccounts", message: "must be at least 1, got \(batch.minimumAccounts)"))
        }
        return out
    }

    /// Reads a controls file and checks its values.
    ///
    /// - Throws: ``RebalanceError`` naming the file, the field and the fix.
    public static func read(path: String) throws(RebalanceError) -> PreTradeControls {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RebalanceError("\(path): no such file; give a JSON controls file such as {\"account\": {\"maximumTurnover\": 0.5}}")
        }
        let controls: PreTradeControls
        do { controls = try JSONDecoder().decode(PreTradeControls.self, from: data) } catch let e as DecodingError {
            let (field, message) = describe(e)
            throw RebalanceError("\(path): \(field): \(message)")
        } catch {
            throw RebalanceError("\(path): not valid JSON (\(error.localizedDescription))")
        }
        if let p = controls.problems.first { throw RebalanceError("\(path): \(p)") }
        return controls
    }

    /// The reason every rebalance is suspended, when the suspension file exists: its first
    /// non-blank line, or a sentence naming the file.
    public var suspension: String? {
        guard let file = suspensionFile, FileManager.default.fileExists(atPath: file) else { return nil }
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let first = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        return first ?? "the suspension file \(file) is present"
    }
}

/// Price checks before trading: a product whose price is missing, old, or moved too far since
/// the previous close is not traded on the day (every plan that would trade it is held).
public struct PriceControls: Sendable, Codable, Equatable {
    /// The oldest a product's last price may be, in calendar days before the plan's date
    /// (default 5: a long weekend and a holiday).
    public var maximumAgeDays: Int? = 5
    /// The largest move of the last price from the previous close, in robust daily standard
    /// deviations of the product's returns over the year before (1.4826 × the median absolute
    /// deviation of 252 daily log returns; default 10).
    public var maximumMoveDeviations: Double? = 10
    /// The largest move of the last price from the previous close, either way, as a fraction
    /// (default 0.25).
    public var maximumMove: Double? = 0.25

    /// The defaults documented on each field.
    public init() {}

    /// Decodes the checks; absent fields keep their defaults, `null` turns one off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = PriceControls()
        maximumAgeDays = try c.limit(.maximumAgeDays, default: d.maximumAgeDays)
        maximumMoveDeviations = try c.limit(.maximumMoveDeviations, default: d.maximumMoveDeviations)
        maximumMove = try c.limit(.maximumMove, default: d.maximumMove)
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case maximumAgeDays, maximumMoveDeviations, maximumMove }

    /// The products of `symbols` not to trade on `day`, each with its reason, in symbol order.
    ///
    /// - Parameters:
    ///   - table: the price history.
    ///   - day: the plan's date.
    ///   - symbols: the products to check (cash excluded).
    public func stops(in table: PriceTable, on day: MarketDate, symbols: [String]) -> [PriceStop] {
        var out: [PriceStop] = []
        for s in symbols.sorted() {
            guard let j = table.symbols.firstIndex(of: s) else {
                out.append(PriceStop(symbol: s, date: nil, price: nil, reason: "no price"))
                continue
            }
            // The rows with a price for the symbol, up to the day.
            var rows: [Int] = []
            for (i, d) in table.dates.enumerated() where d <= day && table[i, j].isFinite && table[i, j] > 0 {
                rows.append(i)
            }
            guard let last = rows.last else {
                out.append(PriceStop(symbol: s, date: nil, price: nil, reason: "no price on or before \(day)"))
                continue
            }
            let date = table.dates[last]
            let price = table[last, j]
            if let age = maximumAgeDays, (day.dayNumber - date.dayNumber) > age {
                out.append(
                    PriceStop(
                        symbol: s, date: date, price: price,
                        reason: "the last price is \((day.dayNumber - date.dayNumber)) days old, more than \(age) (prices.maximumAgeDays)"))
                continue
            }
            guard rows.count >= 2 else { continue }
            let previous = table[rows[rows.count - 2], j]
            let move = price / previous - 1
            if let limit = maximumMove, abs(move) > limit {
                out.append(
                    PriceStop(
                        symbol: s, date: date, price: price,
                        reason:
                            "moved \(percentText(move)) from the previous close \(previous), beyond ±\(percentText(limit)) (prices.maximumMove)"
                    ))
                continue
            }
            if let k = maximumMoveDeviations, rows.count >= 22 {
                // Robust volatility of the year before the last move.
                let window = rows.suffix(min(253, rows.count - 1) + 1).dropLast()
                var r: [Double] = []
                var prev: Int?
                for i in window {
                    if let p = prev { r.append(log(table[i, j] / table[p, j])) }
                    prev = i
                }
                let sigma = 1.4826 * Self.medianAbsoluteDeviation(r)
                let z = abs(log(price / previous)) / sigma
                if sigma > 0 && z > k {
                    out.append(
                        PriceStop(
                            symbol: s, date: date, price: price,
                            reason:
                                "moved \(percentText(move)) from the previous close \(previous), \(String(format: "%.1f", z)) robust standard deviations, more than \(String(format: "%g", k)) (prices.maximumMoveDeviations)"
                        ))
                }
            }
        }
        return out
    }

    static func medianAbsoluteDeviation(_ x: [Double]) -> Double {
        guard !x.isEmpty else { return 0 }
        func median(_ v: [Double]) -> Double {
            let s = v.sorted()
            return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
        }
        let m = median(x)
        return median(x.map { abs($0 - m) })
    }
}

func percentText(_ x: Double) -> String { String(format: "%+.1f%%", x * 100).replacingOccurrences(of: "+-", with: "-") }

/// A product not traded on a day, and why.
public struct PriceStop: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The product.
    public var symbol: String
    /// The date of its last price (`nil`: none).
    public var date: MarketDate?
    /// Its last price (`nil`: none).
    public var price: Double?
    /// Why it is not traded.
    public var reason: String

    /// A stop with its figures.
    public init(symbol: String, date: MarketDate?, price: Double?, reason: String) {
        (self.symbol, self.date, self.price, self.reason) = (symbol, date, price, reason)
    }

    /// `SYMBOL: reason (price P on DATE)`.
    public var description: String {
        "\(symbol): \(reason)" + (price.map { p in " (price \(p) on \(date.map(\.description) ?? "?"))" } ?? "")
    }
}

/// Limits on one account's plan: a plan that exceeds one is held (no trade is released) with
/// a note naming the limit and the figure.
public struct AccountLimits: Sendable, Codable, Equatable {
    /// The largest turnover `Σ|trade value| / 2 / account value` (default 0.5).
    public var maximumTurnover: Double? = 0.5
    /// The largest value of one trade, in the account currency (default none).
    public var maximumTradeValue: Double?
    /// The largest value of one trade as a share of the account's value before the plan
    /// (default none).
    public var maximumTradeShare: Double?
    /// The largest weight a product bought in the plan may reach after it (default none).
    public var maximumPositionWeight: Double?
    /// Refuse a buy of a product rated above the account's level (an account on model `C3`
    /// buys products rated up to R3; default true).
    public var levelProductsOnly = true

    /// The defaults documented on each field.
    public init() {}

    /// No limit at all (a suspension alone).
    public static var off: AccountLimits {
        var l = AccountLimits()
        (l.maximumTurnover, l.levelProductsOnly) = (nil, false)
        return l
    }

    /// Decodes the limits; absent fields keep their defaults, `null` turns one off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = AccountLimits()
        maximumTurnover = try c.limit(.maximumTurnover, default: d.maximumTurnover)
        maximumTradeValue = try c.limit(.maximumTradeValue, default: d.maximumTradeValue)
        maximumTradeShare = try c.limit(.maximumTradeShare, default: d.maximumTradeShare)
        maximumPositionWeight = try c.limit(.maximumPositionWeight, default: d.maximumPositionWeight)
        levelProductsOnly = try c.decodeIfPresent(Bool.self, forKey: .levelProductsOnly) ?? d.levelProductsOnly
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maximumTurnover, maximumTradeValue, maximumTradeShare, maximumPositionWeight, levelProductsOnly
    }
}

/// Limits on a whole batch run: when one is exceeded the run halts, leaving a checkpoint to
/// resume from (with an override that is recorded).
public struct CircuitBreakers: Sendable, Codable, Equatable {
    /// The largest share of accounts whose plan trades (default 0.8).
    public var maximumTradingShare: Double? = 0.8
    /// The largest total traded value of the run, in the account currency (default none).
    public var maximumTradedValue: Double?
    /// The largest share of lines that are error records (default 0.05).
    public var maximumErrorShare: Double? = 0.05
    /// The largest share of accounts held by an account limit or a price stop (default 0.05).
    public var maximumControlShare: Double? = 0.05
    /// Shares are judged once this many lines are planned (default 1000): a smaller book is
    /// judged by the traded value only.
    public var minimumAccounts = 1000

    /// The defaults documented on each field.
    public init() {}

    /// Decodes the breakers; absent fields keep their defaults, `null` turns one off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = CircuitBreakers()
        maximumTradingShare = try c.limit(.maximumTradingShare, default: d.maximumTradingShare)
        maximumTradedValue = try c.limit(.maximumTradedValue, default: d.maximumTradedValue)
        maximumErrorShare = try c.limit(.maximumErrorShare, default: d.maximumErrorShare)
        maximumControlShare = try c.limit(.maximumControlShare, default: d.maximumControlShare)
        minimumAccounts = try c.decodeIfPresent(Int.self, forKey: .minimumAccounts) ?? d.minimumAccounts
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case maximumTradingShare, maximumTradedValue, maximumErrorShare, maximumControlShare, minimumAccounts
    }

    /// The first breaker the figures trip, or `nil`.
    ///
    /// - Parameters:
    ///   - lines: lines planned so far (error records included).
    ///   - trading: accounts whose plan trades.
    ///   - tradedValue: their total traded value.
    ///   - errors: error records.
    ///   - held: accounts held by a control.
    public func tripped(lines: Int, trading: Int, tradedValue: Double, errors: Int, held: Int) -> BreakerTrip? {
        if let limit = maximumTradedValue, tradedValue > limit {
            return BreakerTrip(breaker: "maximumTradedValue", figure: tradedValue, limit: limit, lines: lines)
        }
        guard lines > 0, lines >= minimumAccounts else { return nil }
        let n = Double(lines)
        for (name, count, limit) in [
            ("maximumTradingShare", trading, maximumTradingShare), ("maximumErrorShare", errors, maximumErrorShare),
            ("maximumControlShare", held, maximumControlShare),
        ] {
            if let limit, Double(count) / n > limit {
                return BreakerTrip(breaker: name, figure: Double(count) / n, limit: limit, lines: lines)
            }
        }
        return nil
    }
}

/// A circuit breaker that tripped: which, its figure and its limit, after how many lines.
public struct BreakerTrip: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The breaker's field in the controls file (`maximumTradingShare`, ...).
    public var breaker: String
    /// The run's figure.
    public var figure: Double
    /// The limit it exceeded.
    public var limit: Double
    /// Lines planned when it tripped.
    public var lines: Int

    /// `batch.maximumTradingShare: 91.2% of 20000 accounts would trade, above the limit 80.0%`.
    public var description: String {
        switch breaker {
        case "maximumTradedValue":
            "batch.maximumTradedValue: the run would trade \(String(format: "%.2f", figure)) after \(lines) lines, above the limit \(String(format: "%.2f", limit))"
        case "maximumTradingShare":
            "batch.maximumTradingShare: \(share(figure)) of \(lines) accounts would trade, above the limit \(share(limit))"
        case "maximumErrorShare": "batch.maximumErrorShare: \(share(figure)) of \(lines) lines are errors, above the limit \(share(limit))"
        default:
            "batch.\(breaker): \(share(figure)) of \(lines) accounts are held by a control, above the limit \(share(limit))"
        }
    }

    private func share(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
}

/// What a planner checks each plan against: the account limits, the products whose prices
/// stop trading, the products' ratings for the level check, and a suspension.
public struct PlanControls: Sendable, Codable, Equatable {
    /// The account limits.
    public var limits: AccountLimits
    /// Products not traded today, with the reason (from ``PriceControls/stops(in:on:symbols:)``).
    public var stopped: [String: String]
    /// Product risk rating (1 to 5) by symbol, for ``AccountLimits/levelProductsOnly``.
    public var ratings: [String: Int]
    /// When set, every plan is suspended with this reason.
    public var suspension: String?

    /// Controls from their parts.
    ///
    /// - Parameters:
    ///   - limits: the account limits.
    ///   - stopped: products not traded, with the reason.
    ///   - ratings: product risk rating (1 to 5) by symbol.
    ///   - suspension: the reason every plan is suspended, if it is.
    public init(limits: AccountLimits, stopped: [PriceStop] = [], ratings: [String: Int] = [:], suspension: String? = nil) {
        self.limits = limits
        self.stopped = Dictionary(stopped.map { ($0.symbol, $0.description) }, uniquingKeysWith: { a, _ in a })
        self.ratings = ratings
        self.suspension = suspension
    }

    /// The level of a model named like a risk level (`C1` ... `C5`), else `nil`.
    public static func level(ofModel model: String?) -> Int? {
        guard let m = model, m.count == 2, m.first == "C" || m.first == "c", let n = Int(m.dropFirst()), (1...5).contains(n) else {
            return nil
        }
        return n
    }
}

extension Decoder {
    /// The keyed container of a controls section, refusing a field that is not one of `K`'s
    /// (a misspelt limit must not silently keep its default).
    func strictContainer<K: CodingKey & CaseIterable>(keyedBy: K.Type) throws -> KeyedDecodingContainer<K> {
        try PreTradeControls.refuseUnknownKeys(self, known: Set(K.allCases.map(\.stringValue)))
        return try container(keyedBy: K.self)
    }
}

extension KeyedDecodingContainer {
    /// A limit of a controls file: absent keeps `default`, `null` turns it off.
    func limit<T: Decodable>(_ key: Key, default d: T?) throws -> T? { contains(key) ? try decodeIfPresent(T.self, forKey: key) : d }
}

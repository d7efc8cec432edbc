import Foundation

/// A product's risk rating, R1 (lowest) to R5 (highest).
public enum ProductRiskRating: Int, Sendable, Codable, Comparable, CaseIterable, CustomStringConvertible {
    /// R1 (lowest risk) to R5 (highest).
    case r1 = 1, r2, r3, r4, r5

    /// `R1` ... `R5`.
    public var description: String { "R\(rawValue)" }

    /// Parses `R1` ... `R5` (any case).
    public init?(label: String) {
        guard label.count == 2, label.first == "R" || label.first == "r", let v = Int(label.dropFirst()),
            let r = ProductRiskRating(rawValue: v)
        else { return nil }
        self = r
    }

    /// Orders ratings from R1 (lowest risk) to R5.
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// Decodes `R1` to `R5`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let r = ProductRiskRating(label: s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(s)' is not a risk rating; use R1, R2, R3, R4 or R5")
        }
        self = r
    }

    /// Encodes as `R1` to `R5`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// One investable product.
public struct Product: Sendable, Codable, Equatable {
    /// The symbol, as in the price files; `CASH` for the risk-free cash product.
    public var symbol: String
    /// A human-readable name.
    public var name: String
    /// Asset class, e.g. `us-equity`, `equity-factor-etf`, `cash`.
    public var assetClass: String
    /// ISO 4217 currency code.
    public var currency: String
    /// Smallest tradable quantity step (1 for whole shares).
    public var lotSize: Double
    /// Product risk rating R1..R5.
    public var riskRating: ProductRiskRating
    /// The annualised volatility the rating was derived from (informational), if any.
    public var ratedVolatility: Double?
    /// Annual expense ratio (a fraction: 0.0005 is 5 bp), for funds; `nil` when not stated.
    public var expenseRatio: Double?

    /// A product.
    public init(
        symbol: String, name: String, assetClass: String, currency: String, lotSize: Double, riskRating: ProductRiskRating,
        ratedVolatility: Double? = nil, expenseRatio: Double? = nil
    ) {
        self.symbol = symbol
        self.name = name
        self.assetClass = assetClass
        self.currency = currency
        self.lotSize = lotSize
        self.riskRating = riskRating
        self.ratedVolatility = ratedVolatility
        self.expenseRatio = expenseRatio
    }

    /// `true` for the risk-free cash product.
    public var isCash: Bool { assetClass == "cash" }
}

/// The rule that assigns product ratings: annualised volatility bands over a stated window.
public struct RatingRule: Sendable, Codable, Equatable {
    /// A sentence describing the rule.
    public var description: String
    /// First date of the window the volatility is measured on.
    public var start: MarketDate
    /// Last date of that window.
    public var end: MarketDate
    /// Upper volatility bounds (exclusive) of R1, R2, R3 and R4; anything above the last is R5.
    public var upperBounds: [Double]

    /// The rating for an annualised volatility.
    public func rating(forVolatility sigma: Double) -> ProductRiskRating {
        for (k, bound) in upperBounds.enumerated() where sigma < bound {
            return ProductRiskRating(rawValue: k + 1) ?? .r5
        }
        return .r5
    }
}

/// The list of products an adviser may recommend, with their ratings.
public struct ProductCatalog: Sendable, Codable, Equatable {
    /// Catalogue version, recorded with every recommendation.
    public var version: String
    /// How ratings were assigned.
    public var ratingRule: RatingRule
    /// The products.
    public var products: [Product]

    /// The product with a symbol, if any.
    public func product(_ symbol: String) -> Product? { products.first { $0.symbol == symbol } }

    /// The symbol of the first cash product (asset class `cash`), if any.
    public var cashSymbol: String? { products.first(where: \.isCash)?.symbol }

    /// Each product's lot size by symbol: the one lot map the planner, the back-test and the
    /// batch rebalancer size trades with.
    public var lotSizes: [String: Double] { Dictionary(products.map { ($0.symbol, $0.lotSize) }, uniquingKeysWith: { a, _ in a }) }

    /// Reads a catalogue from JSON.
    ///
    /// - Throws: ``MarketDataError/Code/invalidCatalog`` naming the JSON path and the fix, or
    ///   ``MarketDataError/Code/unreadableFile``.
    public static func read(path: String) throws(MarketDataError) -> ProductCatalog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MarketDataError(
                .unreadableFile, file: path, message: "no such file or it cannot be read",
                fix: "check the path; the bundled catalogue is market-data/catalog.json")
        }
        return try decode(data, source: path)
    }

    /// Decodes and validates a catalogue.
    public static func decode(_ data: Data, source: String = "<catalog>") throws(MarketDataError) -> ProductCatalog {
        let catalog: ProductCatalog
        do {
            catalog = try JSONDecoder().decode(ProductCatalog.self, from: data)
        } catch let error as DecodingError {
            let (path, what) = describe(error)
            throw MarketDataError(
                .invalidCatalog, file: source, field: path, message: what, fix: "correct the catalogue JSON at that field")
        } catch {
            throw MarketDataError(.invalidCatalog, file: source, message: "not valid JSON", fix: "check the catalogue's syntax")
        }
        var seen = Set<String>()
        for (k, p) in catalog.products.enumerated() {
            if !seen.insert(p.symbol).inserted {
                throw MarketDataError(
                    .invalidCatalog, file: source, field: "products[\(k)].symbol", message: "symbol \(p.symbol) is listed twice",
                    fix: "list every product once")
            }
            if !(p.lotSize > 0) || !p.lotSize.isFinite {
                throw MarketDataError(
                    .invalidCatalog, file: source, field: "products[\(k)].lotSize", message: "lot size \(p.lotSize) is not positive",
                    fix: "use 1 for whole shares or a positive step such as 0.001")
            }
            if p.isCash && p.riskRating != .r1 {
                throw MarketDataError(
                    .invalidCatalog, file: source, field: "products[\(k)].riskRating", message: "cash must be rated R1",
                    fix: "rate the cash product R1")
            }
        }
        return catalog
    }
}

/// Turns a `DecodingError` into a JSON path and a sentence.
public func describe(_ error: DecodingError) -> (path: String, message: String) {
    func path(_ keys: [any CodingKey]) -> String {
        var s = ""
        for k in keys {
            if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
        }
        return s.isEmpty ? "(root)" : s
    }
    // What a JSON value of the type looks like, in the user's terms rather than a type name.
    func kind(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is String.Type: "a text in quotes"
        case is Bool.Type: "true or false"
        default:
            String(describing: type).hasPrefix("Array") || String(describing: type).hasPrefix("[")
                ? "a list [...]" : String(describing: type).hasPrefix("Dictionary") ? "an object {...}" : "a value of another kind"
        }
    }
    switch error {
    case .keyNotFound(let key, let ctx):
        let p = path(ctx.codingPath + [key])
        return (p, "required field `\(key.stringValue)` is missing")
    case .typeMismatch(let type, let ctx):
        return (path(ctx.codingPath), "expected \(kind(type))")
    case .valueNotFound(let type, let ctx):
        return (path(ctx.codingPath), "expected \(kind(type)), found null")
    case .dataCorrupted(let ctx):
        return (path(ctx.codingPath), ctx.debugDescription)
    @unknown default:
        return ("(root)", "\(error)")
    }
}

import Foundation

/// A multi-asset universe: index funds, one per asset class, with the data that stand for
/// each of them and how those data become a total-return index.
///
/// The specification is a JSON file (the bundled one is
/// `market-data/multi-asset/universe.json`); a bank describes its own universe the same way,
/// over its own files. Each member names a file, the kind of its values (said, never guessed)
/// and the columns to use:
///
/// - `prices`: one column of levels, optionally divided by an exchange-rate column of the same
///   file (`divideBy`, units of the file's currency per unit of the universe's currency);
/// - `returns` / `percent-returns`: the sum of the named columns is the period's return
///   (for example the market's excess return plus the bill rate);
/// - `yields` / `percent-yields`: par yields; the member's `maturity` (years) picks the column
///   and ``BondReturns`` turns it into constant-maturity total returns.
public struct UniverseSpecification: Sendable, Codable, Equatable {
    /// The universe's name, shown in reports.
    public var name: String
    /// A version, recorded with every set of assumptions built on the universe.
    public var version: String
    /// The currency of every member's returns.
    public var currency: String
    /// The sampling frequency (monthly for the bundled universe).
    public var frequency: Frequency
    /// How products are rated from their own past returns (see ``UniverseRatingRule``).
    public var ratingRule: UniverseRatingRule
    /// The members, one product each.
    public var members: [Member]

    /// One product of the universe and the data standing for it.
    public struct Member: Sendable, Codable, Equatable {
        /// The product's symbol (a column of the universe's table).
        public var symbol: String
        /// The product's name.
        public var name: String
        /// The asset class it gives exposure to (`cash`, `government-bonds`, `us-equity`, ...).
        public var assetClass: String
        /// Annual expense ratio, a fraction (0.0005 is 5 bp).
        public var expenseRatio: Double
        /// Trading unit.
        public var lotSize: Double
        /// What the data are and where they come from, in a sentence.
        public var note: String?
        /// The data.
        public var source: Source
    }

    /// Where a member's data are and how to read them.
    public struct Source: Sendable, Codable, Equatable {
        /// The file, relative to the specification's folder.
        public var file: String
        /// What the file's values are.
        public var kind: SeriesKind
        /// The columns: one for prices, one or more (summed) for returns, none for yields.
        public var columns: [String]?
        /// For yields: the bond's maturity in years.
        public var maturity: Double?
        /// For prices: an exchange-rate column of the same file to divide by.
        public var divideBy: String?
    }
}

/// Product ratings from a product's own trailing returns, measured at each decision date on
/// data up to it only: the annualised volatility of the last `months` monthly returns,
/// R1 below the first bound up to R5 from the last. Cash is R1 by definition.
public struct UniverseRatingRule: Sendable, Codable, Equatable {
    /// Number of trailing monthly returns measured.
    public var months: Int
    /// Upper volatility bounds (exclusive) of R1, R2, R3 and R4.
    public var upperBounds: [Double]
    /// A sentence for reports.
    public var description: String
}

/// A loaded universe: the members' total-return index levels over the period they all cover.
public struct AssetUniverse: Sendable {
    /// The specification it was loaded from.
    public var specification: UniverseSpecification
    /// Total-return index levels (100 on the first month every member covers: the unit price
    /// of the fund that tracks the member), one column per member, at calendar month ends.
    public var levels: PriceTable
    /// Each member's own first and last month with data, before the common period is cut.
    public var coverage: [String: ClosedRange<MarketDate>]
    /// For members made from par yields: the par yield (a fraction a year) of each month end,
    /// the last yield of the month in the source.
    public var yields: [String: [MarketDate: Double]] = [:]
    /// The data files read, relative to the specification's folder (digested into the assumptions built on them).
    public var inputFiles: [String]

    /// The last month every member covers: the universe's default as-of date.
    public var lastCommonDate: MarketDate { levels.dates.last! }

    /// The member with a symbol.
    public func member(_ symbol: String) -> UniverseSpecification.Member? {
        specification.members.first { $0.symbol == symbol }
    }

    /// Loads a specification file and every file it names.
    ///
    /// - Throws: ``MarketDataError`` naming the specification's field or the data file, the
    ///   column and the date: a member whose file, column or maturity is not there, a gap in a
    ///   member's history inside the common period, or members that share no month.
    public static func load(path: String) throws(MarketDataError) -> AssetUniverse {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MarketDataError(
                .unreadableFile, file: path, message: "no such file or it cannot be read",
                fix: "check the path; the bundled universe is market-data/multi-asset/universe.json")
        }
        let spec: UniverseSpecification
        do {
            spec = try JSONDecoder().decode(UniverseSpecification.self, from: data)
        } catch let error as DecodingError {
            let (field, what) = describe(error)
            throw MarketDataError(.invalidUniverse, file: path, field: field, message: what, fix: "correct the universe file at that field")
        } catch {
            throw MarketDataError(.invalidUniverse, file: path, message: "not valid JSON", fix: "check the file's syntax")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return try load(spec, folder: folder.path, specificationPath: path)
    }

    /// Loads a specification whose files are relative to `folder`.
    public static func load(_ spec: UniverseSpecification, folder: String, specificationPath: String = "<universe>")
        throws(MarketDataError) -> AssetUniverse
    {
        func bad(_ k: Int, _ field: String, _ message: String, _ fix: String) -> MarketDataError {
            MarketDataError(.invalidUniverse, file: specificationPath, field: "members[\(k)].\(field)", message: message, fix: fix)
        }
        guard !spec.members.isEmpty else {
            throw MarketDataError(
                .invalidUniverse, file: specificationPath, field: "members", message: "the universe has no members",
                fix: "list at least two members")
        }
        guard spec.frequency == .monthly else {
            throw MarketDataError(
                .invalidUniverse, file: specificationPath, field: "frequency",
                message: "only monthly universes are supported, not \(spec.frequency)", fix: "set \"frequency\": \"monthly\"")
        }
        let r = spec.ratingRule
        guard r.months >= 12, r.upperBounds.count == 4, zip(r.upperBounds, r.upperBounds.dropFirst()).allSatisfy({ $0 < $1 }),
            r.upperBounds.allSatisfy({ $0 > 0 })
        else {
            throw MarketDataError(
                .invalidUniverse, file: specificationPath, field: "ratingRule",
                message: "the rating rule needs at least 12 months and four increasing positive bounds",
                fix: "for example \"months\": 36, \"upperBounds\": [0.03, 0.08, 0.15, 0.25]")
        }
        var tables: [String: PriceTable] = [:]
        var files: [String] = []
        func table(_ file: String, _ kind: SeriesKind) throws(MarketDataError) -> PriceTable {
            let key = file + "\u{0}" + kind.rawValue
            if let t = tables[key] { return t }
            let t = try SeriesFile.read(path: URL(fileURLWithPath: folder).appendingPathComponent(file).path, kind: kind)
            tables[key] = t
            if !files.contains(file) { files.append(file) }
            return t
        }
        var seen = Set<String>()
        var series: [(symbol: String, byMonth: [Int: Double])] = []
        var coverage: [String: ClosedRange<MarketDate>] = [:]
        var yields: [String: [MarketDate: Double]] = [:]
        for (k, m) in spec.members.enumerated() {
            guard seen.insert(m.symbol).inserted else {
                throw bad(k, "symbol", "symbol \(m.symbol) is listed twice", "give every member its own symbol")
            }
            guard m.expenseRatio >= 0 && m.expenseRatio < 0.05 else {
                throw bad(k, "expenseRatio", "expense ratio \(m.expenseRatio) is outside 0 to 5%", "write it as a fraction: 0.0005 is 5 bp")
            }
            guard m.lotSize > 0 && m.lotSize.isFinite else {
                throw bad(k, "lotSize", "lot size \(m.lotSize) is not positive", "use 1 for whole units or a step such as 0.001")
            }
            let s = m.source
            let path = URL(fileURLWithPath: folder).appendingPathComponent(s.file).path
            let t = try table(s.file, s.kind)
            func column(_ name: String, _ field: String) throws(MarketDataError) -> Int {
                guard let j = t.index(of: name) else {
                    throw bad(
                        k, field, "\(path) has no column \(name) (it has \(t.symbols.joined(separator: ", ")))",
                        "name a column of the file")
                }
                return j
            }
            var levels: PriceTable
            switch s.kind {
            case .prices:
                guard let names = s.columns, names.count == 1 else {
                    throw bad(k, "source.columns", "a price member names exactly one column", "for example \"columns\": [\"MSCIW_USD\"]")
                }
                let j = try column(names[0], "source.columns")
                var v = Array(t.prices(atColumn: j))
                if let fx = s.divideBy {
                    let f = try column(fx, "source.divideBy")
                    let rates = t.prices(atColumn: f)
                    for i in v.indices { v[i] /= rates[rates.startIndex + i] }
                }
                levels = PriceTable(unchecked: [m.symbol], dates: t.dates, values: v)
            case .returns, .percentReturns:
                guard let names = s.columns, !names.isEmpty else {
                    throw bad(
                        k, "source.columns", "a return member names one or more columns (summed)",
                        "for example \"columns\": [\"Mkt_RF\", \"RF\"]")
                }
                var v = [Double](repeating: 0, count: t.rowCount)
                for name in names {
                    let j = try column(name, "source.columns")
                    let c = t.prices(atColumn: j)
                    for i in v.indices { v[i] += c[c.startIndex + i] }
                }
                let r = PriceTable(unchecked: [m.symbol], dates: t.dates, values: v)
                levels = try SeriesFile.indexLevels(fromReturns: r, source: path)
            case .yields, .percentYields:
                guard let maturity = s.maturity else {
                    throw bad(k, "source.maturity", "a yield member states the bond's maturity in years", "for example \"maturity\": 10")
                }
                let r = try BondReturns.fromYields(t, maturities: [maturity], frequency: .monthly, source: path)
                let j = t.symbols.firstIndex { BondReturns.maturity(ofColumn: $0).map { Swift.abs($0 - maturity) < 1e-9 } ?? false }!
                var monthly: [MarketDate: Double] = [:]
                for i in 0..<t.rowCount where !t[i, j].isNaN {
                    let d = t.dates[i]
                    monthly[monthEnd(d.year * 12 + d.month - 1)] = t[i, j]  // rows ascend: the month's last yield wins
                }
                yields[m.symbol] = monthly
                let named = PriceTable(unchecked: [m.symbol], dates: r.dates, values: r.values)
                levels = try SeriesFile.indexLevels(fromReturns: named, source: path)
            }
            // Key every value by its calendar month; a month appears once in monthly data.
            var byMonth: [Int: Double] = [:]
            for (i, d) in levels.dates.enumerated() where !levels[i, 0].isNaN {
                let key = d.year * 12 + d.month - 1
                if byMonth[key] != nil {
                    throw MarketDataError(
                        .invalidUniverse, file: path, field: m.symbol, date: d,
                        message: "two values fall in the month of \(d)", fix: "supply monthly data (one row a month), or sample it first")
                }
                byMonth[key] = levels[i, 0]
            }
            guard let lo = byMonth.keys.min(), let hi = byMonth.keys.max() else {
                throw bad(k, "source", "\(path) has no data for \(m.symbol)", "check the columns")
            }
            coverage[m.symbol] = monthEnd(lo)...monthEnd(hi)
            series.append((m.symbol, byMonth))
        }
        let start = series.map { $0.byMonth.keys.min()! }.max()!
        let end = series.map { $0.byMonth.keys.max()! }.min()!
        guard end - start >= 12 else {
            throw MarketDataError(
                .invalidUniverse, file: specificationPath, field: "members",
                message:
                    "the members share \(Swift.max(0, end - start + 1)) months (\(coverage.map { "\($0.key) \($0.value.lowerBound)..\($0.value.upperBound)" }.sorted().joined(separator: "; ")))",
                fix: "choose members whose histories overlap by at least a year")
        }
        let months = end - start + 1
        var values = [Double](repeating: .nan, count: months * series.count)
        for (j, s) in series.enumerated() {
            for i in 0..<months {
                guard let v = s.byMonth[start + i] else {
                    throw MarketDataError(
                        .invalidUniverse, file: specificationPath, field: s.symbol, date: monthEnd(start + i),
                        message: "\(s.symbol) has no value for \(monthEnd(start + i)), inside the period all members cover",
                        fix: "fill the gap in the member's source, or leave the member out")
                }
                // Each member's level is 100 on the first common month: the unit price of
                // the fund that tracks it (only ratios of levels are ever read otherwise).
                values[i + j * months] = v / s.byMonth[start]! * 100
            }
        }
        let dates = (0..<months).map { monthEnd(start + $0) }
        return AssetUniverse(
            specification: spec, levels: PriceTable(unchecked: series.map(\.symbol), dates: dates, values: values), coverage: coverage,
            yields: yields, inputFiles: files)
    }

    /// The calendar end of a month keyed `year * 12 + month - 1`.
    static func monthEnd(_ key: Int) -> MarketDate {
        let y = key / 12
        let m = key % 12 + 1
        return MarketDate(year: y, month: m, day: MarketDate.daysIn(month: m, year: y))!
    }

    /// The product catalogue on a date: every member with the rating its own last
    /// ``UniverseRatingRule/months`` monthly returns up to `date` give (no later data are
    /// read). A member with fewer returns than that is rated R5 until it has them; cash is R1.
    public func catalog(asOf date: MarketDate) -> ProductCatalog {
        let rule = specification.ratingRule
        let bands = RatingRule(description: rule.description, start: levels.dates.first!, end: date, upperBounds: rule.upperBounds)
        let last = levels.lastIndex(onOrBefore: date) ?? -1
        var products: [Product] = []
        for (j, m) in specification.members.enumerated() {
            var rating = ProductRiskRating.r5
            var sigma: Double?
            if last >= rule.months {
                var r: [Double] = []
                for i in (last - rule.months + 1)...last { r.append(levels[i, j] / levels[i - 1, j] - 1) }
                let mean = r.reduce(0, +) / Double(r.count)
                let variance = r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(r.count - 1)
                sigma = (variance * 12).squareRoot()
                rating = bands.rating(forVolatility: sigma!)
            }
            if m.assetClass == "cash" { rating = .r1 }
            products.append(
                Product(
                    symbol: m.symbol, name: m.name, assetClass: m.assetClass, currency: specification.currency, lotSize: m.lotSize,
                    riskRating: rating, ratedVolatility: sigma.map { ($0 * 10_000).rounded() / 10_000 }, expenseRatio: m.expenseRatio))
        }
        return ProductCatalog(version: "\(specification.version)@\(date)", ratingRule: bands, products: products)
    }
}

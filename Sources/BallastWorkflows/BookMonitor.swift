import BallastAudit
import BallastBacktest
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import Crypto
import Dispatch
import Foundation

// MARK: - Results

/// A line of the book that could not be monitored, with its line number: never skipped
/// silently, always counted.
public struct MonitorProblem: Sendable, Codable, Equatable {
    /// What went wrong.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Not an account: bad JSON, an unknown or missing field, a line too long.
        case malformed
        /// An account that breaks a rule of account files (cash to the cent, whole lots, a last
        /// rebalance after the date, negative quantities, no value).
        case invalid
        /// The account's model is not among the targets (or it names none).
        case unknownModel = "unknown-model"
        /// A held or targeted product has no price on the date.
        case missingPrice = "missing-price"
        /// The account's customer file exists but cannot be read or profiled.
        case customerFile = "customer-file"
    }

    /// The line of the book (1-based).
    public var line: Int
    /// The account id, when it can be read.
    public var accountId: String?
    /// The kind of problem.
    public var kind: Kind
    /// What is wrong and how to fix it, naming the field.
    public var message: String

    /// A problem from values.
    public init(line: Int, accountId: String?, kind: Kind, message: String) {
        self.line = line
        self.accountId = accountId
        self.kind = kind
        self.message = message
    }
}

/// The distribution of drift across accounts: quantiles and a histogram.
///
/// Quantiles are nearest-rank (the `ceil(q n)`-th smallest drift) read from a histogram of
/// 10,000 bins of 0.0001 (0.01 percentage points), so that memory does not grow with the
/// book: each is the middle of its bin, kept within the smallest and largest drift, hence
/// within 0.00005 of the exact value. The maximum is exact, the mean to 1e-12 (sums are kept
/// in integers, so every figure is the same whatever the block size or the number of workers).
public struct DriftDistribution: Sendable, Codable, Equatable {
    /// One bar of the histogram: accounts with `lower <= drift < upper` (`upper` `nil`: no
    /// upper bound).
    public struct Bin: Sendable, Codable, Equatable {
        /// Lower edge (fraction).
        public var lower: Double
        /// Upper edge (fraction), `nil` for the last, open bin.
        public var upper: Double?
        /// Accounts in the bin.
        public var count: Int
    }

    /// Accounts measured.
    public var accounts: Int
    /// Mean drift (`nil` without accounts).
    public var mean: Double?
    /// Quantiles by name: `p10`, `p25`, `p50`, `p75`, `p90`, `p95`, `p99` (empty without accounts).
    public var quantiles: [String: Double]
    /// The largest drift (`nil` without accounts).
    public var max: Double?
    /// Bars of 1 percentage point from 0 to 25%, then one for 25% and above.
    public var histogram: [Bin]

    /// The quantile levels reported, with their names.
    public static let levels: [(name: String, q: Double)] = [
        ("p10", 0.10), ("p25", 0.25), ("p50", 0.50), ("p75", 0.75), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99),
    ]
}

/// The figures of a group of accounts: a model, or a risk level.
public struct MonitorGroup: Sendable, Codable, Equatable {
    /// The model id or the level label (`unknown`: accounts whose level is not known).
    public var name: String
    /// Accounts measured.
    public var accounts: Int
    /// Their total value.
    public var value: Double
    /// Accounts whose plan would rebalance them (the policy's trigger fires).
    public var outOfBand: Int
    /// `outOfBand / accounts` (`nil` without accounts).
    public var outOfBandShare: Double?
    /// Mean drift.
    public var meanDrift: Double?
    /// Median drift (nearest rank, to 0.0001, as ``DriftDistribution``).
    public var medianDrift: Double?
    /// 90th percentile of drift (as the median).
    public var p90Drift: Double?
    /// The largest drift.
    public var maxDrift: Double?
    /// Accounts holding products rated above their level's limit.
    public var suitabilityExceptions: Int
    /// Mean ex-ante tracking error of the accounts against their model: `√(dᵀ Σ d)` with `d`
    /// the weights' deviations and `Σ` the annualised covariance of the products' returns over
    /// the year before the date (`nil` without a price history).
    public var trackingError: Double? = nil
    /// Dispersion of the accounts' returns: the standard deviation across the accounts of the
    /// trailing-year return of each account's current holdings (cash at 0; `nil` without a
    /// price history or with fewer than two accounts).
    public var returnDispersion: Double? = nil
}

/// The figures of one product across the accounts that hold it or whose model targets it.
public struct MonitorProduct: Sendable, Codable, Equatable {
    /// The product's symbol.
    public var symbol: String
    /// Its rating in the catalogue (`nil`: not in the catalogue).
    public var rating: String?
    /// Accounts holding it or targeting it.
    public var accounts: Int
    /// Accounts holding it.
    public var holders: Int
    /// Accounts in which it is outside its own band (`DriftReview.outsideBand`).
    public var outsideBand: Int
    /// `outsideBand / accounts`.
    public var outsideBandShare: Double?
    /// Mean of `|w - w*|` over ``accounts``.
    public var meanAbsoluteDeviation: Double?
    /// Accounts holding it above their level's rating limit.
    public var aboveLevel: Int
}

/// An account that holds products rated above its level's limit, or products not in the
/// catalogue (whose suitability cannot be shown).
public struct SuitabilityException: Sendable, Codable, Equatable {
    /// The line of the book.
    public var line: Int
    /// The account's id.
    public var accountId: String
    /// The level the account is held to (the customer's profile, else its model's level).
    public var level: String
    /// The level's highest product rating.
    public var limit: String
    /// The products above the limit, as `SYMBOL R4` (`SYMBOL unrated` when not in the catalogue).
    public var products: [String]
}

/// A customer whose re-assessment is due within the horizon or overdue.
public struct Reassessment: Sendable, Codable, Equatable {
    /// The line of the book.
    public var line: Int
    /// The account's id.
    public var accountId: String
    /// The customer's pseudonym (never the raw id).
    public var customerRef: String
    /// The profile's level.
    public var level: String
    /// When the profile must be re-assessed.
    public var reassessBy: MarketDate
    /// `overdue` (before the date) or `due` (within the horizon).
    public var status: String
}

/// What the customer files of the book's accounts say (with a customer folder).
public struct MonitorCustomers: Sendable, Codable, Equatable {
    /// Accounts with a customer file that was profiled.
    public var profiled = 0
    /// Accounts without a customer file in the folder.
    public var withoutFile = 0
    /// Profiled customers whose file records no `profiledOn` date: their profile is taken as of
    /// the monitor's date, so their re-assessment cannot be due.
    public var undated = 0
    /// Re-assessments due on or after the date and within ``horizonDays`` days of it.
    public var reassessmentsDue = 0
    /// Re-assessments whose date has passed.
    public var reassessmentsOverdue = 0
    /// Accounts whose model's level is above their customer's profile level.
    public var levelAboveProfile = 0
    /// Profile flags, by flag, over the profiled customers.
    public var flags: [String: Int] = [:]
    /// The horizon of "due", in days.
    public var horizonDays = 30
    /// The due and overdue customers, in line order (at most the monitor's list limit).
    public var reassessments: [Reassessment] = []
    /// Due and overdue customers beyond the list limit.
    public var reassessmentsNotListed = 0
}

/// The figures of a monitor run over a book (``BookMonitor/run(input:)``).
public struct BookMonitorResult: Sendable, Codable, Equatable {
    /// The date of the prices and targets.
    public var asOf: MarketDate
    /// The policy's trigger (what "out of band" means in this run).
    public var trigger: String
    /// Lines read (blank lines are not counted).
    public var lines: Int
    /// Accounts measured (lines without a problem).
    public var accounts: Int
    /// Their total value.
    public var value: Double
    /// SHA-256 of the book's bytes, hex.
    public var inputDigest: String
    /// The drift distribution over the accounts.
    public var drift: DriftDistribution
    /// Accounts whose plan would rebalance them.
    public var outOfBand: Int
    /// `outOfBand / accounts`.
    public var outOfBandShare: Double?
    /// By model id, sorted.
    public var byModel: [MonitorGroup]
    /// By risk level (the customer's profile level with a customer folder, else the model's
    /// level; `unknown` for models that are not levels), sorted.
    public var byLevel: [MonitorGroup]
    /// By product, sorted by symbol.
    public var byProduct: [MonitorProduct]
    /// Accounts with suitability exceptions.
    public var suitabilityExceptions: Int
    /// The exceptions, in line order (at most the list limit).
    public var suitabilityList: [SuitabilityException]
    /// Exceptions beyond the list limit.
    public var suitabilityNotListed: Int
    /// Accounts without a level (their model is not a level and no customer file says it):
    /// their suitability is not checked.
    public var withoutLevel: Int
    /// What the customer files say (`nil` without a customer folder).
    public var customers: MonitorCustomers?
    /// Lines that could not be monitored.
    public var problems: Int
    /// Problems by kind.
    public var problemsByKind: [String: Int]
    /// The problems, in line order (at most the list limit).
    public var problemList: [MonitorProblem]
    /// Problems beyond the list limit.
    public var problemsNotListed: Int
    /// The book's mean ex-ante tracking error against the models (``MonitorGroup/trackingError``).
    public var trackingError: Double? = nil
    /// The dispersion of the accounts' returns over the book (``MonitorGroup/returnDispersion``;
    /// across levels, so the levels' own are the ones to compare).
    public var returnDispersion: Double? = nil
}

// MARK: - The monitor

/// Monitors a book of accounts (JSON Lines, one account per line, as `rebalance --accounts`
/// reads it) against its models on a date: drift, its distribution, the share out of band
/// (the planner's trigger, `RebalancePlanner.review(_:toward:at:asOf:)`), by model, level and
/// product; suitability exceptions; and, with customer files, re-assessments due and profile
/// flags.
///
/// The book is streamed in blocks of ``blockSize`` bytes, each block's lines measured in
/// parallel over ``jobs`` workers; memory does not grow with the book (histograms of fixed
/// size, lists cut at ``listLimit``). Every line that cannot be measured is counted and listed
/// with its line number.
public struct BookMonitor: Sendable {
    /// Policy (what is out of band), lot sizes and cash symbol, as for rebalancing.
    public var planner: RebalancePlanner
    /// Model id to target weights.
    public var targets: [String: [String: Double]]
    /// Symbol to price on ``asOf``.
    public var prices: [String: Double]
    /// The date of the prices.
    public var asOf: MarketDate
    /// The products and their ratings (suitability).
    public var catalog: ProductCatalog
    /// The risk levels with their rating limits.
    public var levels: RiskLevels
    /// Where the customer files are, if given.
    public var customers: CustomerFolder?
    /// Worker threads (default: the number of cores).
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Bytes read per block (default 4 MiB).
    public var blockSize = 4 << 20
    /// The longest line measured, in bytes (default 1 MiB); a longer line is a problem and its
    /// bytes are dropped as they are read.
    public var maxLineBytes = 1 << 20
    /// How many problems, exceptions and re-assessments are listed (each kind); the rest are
    /// counted (default 1000).
    public var listLimit = 1000
    /// Where each measured account's figures go, if anywhere: a JSON Lines file written by
    /// ``run(input:)``, one line per account in book order, `{"accountId", "drift", "level",
    /// "line", "model", "outOfBand", "outsideBand", "suitability", "value"}` (sorted keys;
    /// `level` `null` when not known, `suitability` the products above the level).
    public var accountFigures: String?
    /// The price history for each account's tracking error and the dispersion of returns
    /// (``MonitorGroup/trackingError``, ``MonitorGroup/returnDispersion``); `nil`: not measured.
    public var riskHistory: PriceTable?

    /// The customer files of a book: `DIRECTORY/ACCOUNT-ID.json`, profiled as `ballast
    /// profile` does, as of their `profiledOn` date.
    public struct CustomerFolder: Sendable {
        /// The folder.
        public var directory: String
        /// The questionnaire the files answer.
        public var questionnaire: Questionnaire
        /// The market index, for the behaviour signals.
        public var market: PriceTable
        /// The product prices, for the behaviour signals.
        public var prices: PriceTable
        /// The pseudonymisation key's bytes.
        public var pseudonymKey: [UInt8]
        /// Days ahead within which a re-assessment counts as due (default 30).
        public var horizonDays = 30

        /// A folder of customer files with what profiling them needs.
        public init(directory: String, questionnaire: Questionnaire, market: PriceTable, prices: PriceTable, pseudonymKey: [UInt8]) {
            self.directory = directory
            self.questionnaire = questionnaire
            self.market = market
            self.prices = prices
            self.pseudonymKey = pseudonymKey
        }
    }

    /// A monitor of books against `targets` at `prices` on `asOf`.
    public init(
        planner: RebalancePlanner, targets: [String: [String: Double]], prices: [String: Double], asOf: MarketDate,
        catalog: ProductCatalog, levels: RiskLevels
    ) {
        self.planner = planner
        self.targets = targets
        self.prices = prices
        self.asOf = asOf
        self.catalog = catalog
        self.levels = levels
    }

    /// Monitors the book in `input`.
    ///
    /// - Throws: ``BatchRebalanceError`` when the book cannot be opened or read.
    /// - Complexity: O(lines x holdings); memory O(models + products + ``listLimit``), not the
    ///   book's size.
    public func run(input: BatchInput) throws -> BookMonitorResult {
        let fd: Int32
        switch input {
        case .standardInput: fd = 0
        case .file(let path):
            fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw BatchRebalanceError("\(path): cannot read the accounts (\(String(cString: strerror(errno))))") }
        }
        defer { if fd != 0 { close(fd) } }
        let context = Context(self)
        let workers = Swift.max(1, jobs)
        let tallies = (0..<workers).map { _ in TallyBox(Tally(context)) }
        var figures: FileHandle?
        if let path = accountFigures {
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw BatchRebalanceError(
                    "\(path): cannot write the account figures (\(String(cString: strerror(errno)))); choose a file in a folder you may write to"
                )
            }
            figures = h
            for t in tallies { t.tally.figures = [] }
        }
        defer { try? figures?.close() }
        var hasher = SHA256()
        var data: [UInt8] = []
        data.reserveCapacity(blockSize + 1024)
        var nextLine = 1
        var skipping = false
        var ended = false
        while !ended {
            let got: Int
            do { got = try readBlock(fd, into: &data, upTo: blockSize) } catch {
                let name = if case .file(let path) = input { path } else { "standard input" }
                throw BatchRebalanceError("\(name): \(error); give the book, a JSON Lines file with one account per line")
            }
            let fresh = data.count - got
            data.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[fresh...])) }
            ended = got == 0
            var start = 0
            if skipping {
                // The rest of an over-long line: dropped up to its line end.
                guard let nl = data.firstIndex(of: 10) else {
                    data.removeAll(keepingCapacity: true)
                    continue
                }
                start = nl + 1
                skipping = false
            }
            let end = ended ? data.count : (data.lastIndex(of: 10).map { $0 + 1 } ?? start)
            // The lines of the block: (start, end without the line end, line number).
            var lines: [(Int, Int, Int)] = []
            var k = start
            while k < end {
                var e = k
                while e < end && data[e] != 10 { e += 1 }
                var trimmed = e
                if trimmed > k && data[trimmed - 1] == 13 { trimmed -= 1 }
                if trimmed - k > maxLineBytes {
                    tallies[0].tally.problem(line: nextLine, id: nil, .malformed, Self.tooLong(maxLineBytes))
                } else if trimmed > k {
                    lines.append((k, trimmed, nextLine))
                }
                nextLine += 1
                k = e + 1
            }
            if !lines.isEmpty {
                let chunk = (lines.count + workers - 1) / workers
                let lines = lines
                data.withUnsafeBufferPointer { whole in
                    // Read only, while `data` is not changed.
                    nonisolated(unsafe) let buffer = whole
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        let from = w * chunk
                        let to = Swift.min(lines.count, from + chunk)
                        guard from < to else { return }
                        let box = tallies[w]
                        for (s, e, n) in lines[from..<to] {
                            box.tally.measure(UnsafeBufferPointer(rebasing: buffer[s..<e]), line: n, context: context)
                        }
                    }
                }
            }
            if let figures {
                // Each worker measured a contiguous run of the block's lines: in worker order
                // they are in book order.
                for t in tallies where !(t.tally.figures ?? []).isEmpty {
                    do { try figures.write(contentsOf: t.tally.figures!) } catch {
                        throw BatchRebalanceError(
                            "\(accountFigures!): cannot write the account figures (\(reason(of: error))); free some space or choose another file"
                        )
                    }
                    t.tally.figures!.removeAll(keepingCapacity: true)
                }
            }
            data.removeSubrange(0..<end)
            if data.count > maxLineBytes {
                // A line longer than the limit: counted now, its bytes dropped as they come.
                tallies[0].tally.problem(line: nextLine, id: nil, .malformed, Self.tooLong(maxLineBytes))
                nextLine += 1
                data.removeAll(keepingCapacity: true)
                skipping = true
            }
        }
        var total = tallies[0].tally
        for t in tallies.dropFirst() { total.merge(t.tally) }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return total.result(context, inputDigest: digest)
    }

    static func tooLong(_ limit: Int) -> String {
        "the line is longer than \(limit) bytes, the longest line measured; split the account or raise the limit (--max-line-bytes)"
    }

    /// Monitors the accounts of `text`, one per line (a small book in memory, for tests and
    /// services).
    ///
    /// - Complexity: as ``run(input:)``.
    public func run(lines text: String) -> BookMonitorResult {
        let context = Context(self)
        var tally = Tally(context)
        var n = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            n += 1
            var bytes = Array(line.utf8)
            if bytes.last == 13 { bytes.removeLast() }
            if bytes.isEmpty { continue }
            bytes.withUnsafeBufferPointer { tally.measure($0, line: n, context: context) }
        }
        let digest = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        return tally.result(context, inputDigest: digest)
    }
}

// MARK: - Counting

/// What every line needs, prepared once.
struct Context: Sendable {
    let monitor: BookMonitor
    let ratings: [String: ProductRiskRating]
    let levelByLabel: [String: LevelParameters]
    /// The model's level label, when the model id is a level.
    let modelLevel: [String: String]
    let modelNames: String
    /// The byte-level kernel for plain lines (`nil` when the policy or targets keep every line
    /// on the general path), with its symbols and model ids.
    let fast: BatchPlanner?
    let fastSymbols: [String]
    let fastModels: [String]
    /// The products with a full year of prices before the date: their index in `covariance`
    /// (annualised, row-major) and their return over the year.
    let riskIndex: [String: Int]
    let covariance: [Double]
    let yearReturn: [Double]

    init(_ m: BookMonitor) {
        (riskIndex, covariance, yearReturn) = Self.trailingYear(m.riskHistory, asOf: m.asOf)
        monitor = m
        fast = try? BatchPlanner(planner: m.planner, targets: m.targets, prices: m.prices, asOf: m.asOf)
        fastSymbols = fast?.symbols ?? []
        fastModels = fast?.modelNames ?? []
        var r: [String: ProductRiskRating] = [:]
        for p in m.catalog.products where r[p.symbol] == nil { r[p.symbol] = p.riskRating }
        ratings = r
        levelByLabel = Dictionary(m.levels.levels.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        var ml: [String: String] = [:]
        for id in m.targets.keys where levelByLabel[id] != nil { ml[id] = id }
        modelLevel = ml
        modelNames = m.targets.keys.sorted().joined(separator: ", ")
    }

    /// The annualised sample covariance of simple returns over the rows of the year ending on
    /// `asOf` (products with a price on every one of them), and each product's return over it.
    static func trailingYear(_ table: PriceTable?, asOf: MarketDate) -> ([String: Int], [Double], [Double]) {
        guard let t = table else { return ([:], [], []) }
        let rows = t.dates.indices.filter { t.dates[$0] <= asOf && t.dates[$0].dayNumber > asOf.dayNumber - 366 }
        guard rows.count >= 3 else { return ([:], [], []) }
        var symbols: [Int] = []
        for j in t.symbols.indices where rows.allSatisfy({ t[$0, j].isFinite && t[$0, j] > 0 }) { symbols.append(j) }
        let n = rows.count - 1
        var returns: [[Double]] = symbols.map { j in (1...n).map { t[rows[$0], j] / t[rows[$0 - 1], j] - 1 } }
        let means = returns.map { $0.reduce(0, +) / Double(n) }
        for k in returns.indices { returns[k] = returns[k].map { $0 - means[k] } }
        let k = symbols.count
        let periods = t.inferredFrequency.periodsPerYear
        var cov = [Double](repeating: 0, count: k * k)
        for a in 0..<k {
            for b in a..<k {
                var v = 0.0
                for r in 0..<n { v += returns[a][r] * returns[b][r] }
                cov[a * k + b] = v / Double(n - 1) * periods
                cov[b * k + a] = cov[a * k + b]
            }
        }
        let year = symbols.map { t[rows.last!, $0] / t[rows.first!, $0] - 1 }
        return (Dictionary(uniqueKeysWithValues: symbols.enumerated().map { (t.symbols[$1], $0) }), cov, year)
    }

    /// An account's ex-ante tracking error against its model and its holdings' return over the
    /// year (`nil` when no price history was given or a weighted product has none).
    func risk(_ positions: [Tally.Position], cashWeight: Double) -> (trackingError: Double, yearReturn: Double)? {
        guard !riskIndex.isEmpty else { return nil }
        let k = yearReturn.count
        var index: [Int] = []
        var deviation: [Double] = []
        var r = 0.0
        for p in positions where p.weight != 0 || p.target != 0 {
            guard let i = riskIndex[p.symbol] else { return nil }
            index.append(i)
            deviation.append(p.weight - p.target)
            r += p.weight * yearReturn[i]
        }
        var v = 0.0
        for a in index.indices {
            for b in index.indices { v += deviation[a] * deviation[b] * covariance[index[a] * k + index[b]] }
        }
        return (Swift.max(v, 0).squareRoot(), r)
    }
}

/// Drift counts in bins of 0.0001 from 0 to 1 (drift 1 in the last).
struct FineHistogram {
    static let bins = 10_000
    var counts: [Int] = []
    var n = 0
    /// The sum in units of 1e-12, in integers so that the mean is the same whatever the order
    /// of the accounts (blocks, workers).
    var sum = 0
    var low = Double.infinity
    var high = -Double.infinity

    mutating func add(_ d: Double) {
        if counts.isEmpty { counts = Array(repeating: 0, count: Self.bins + 1) }
        counts[Swift.min(Self.bins, Swift.max(0, Int(d * Double(Self.bins))))] += 1
        n += 1
        sum += fixedPoint(d)
        low = Swift.min(low, d)
        high = Swift.max(high, d)
    }

    mutating func merge(_ o: FineHistogram) {
        guard o.n > 0 else { return }
        if counts.isEmpty { counts = Array(repeating: 0, count: Self.bins + 1) }
        for i in counts.indices { counts[i] += o.counts[i] }
        n += o.n
        sum += o.sum
        low = Swift.min(low, o.low)
        high = Swift.max(high, o.high)
    }

    /// Nearest-rank quantile: the middle of the bin holding the `ceil(q n)`-th smallest value,
    /// within the smallest and largest values.
    func quantile(_ q: Double) -> Double? {
        guard n > 0 else { return nil }
        let rank = Swift.max(1, Int((q * Double(n)).rounded(.up)))
        var seen = 0
        for (b, c) in counts.enumerated() {
            seen += c
            if seen >= rank { return Swift.min(high, Swift.max(low, (Double(b) + 0.5) / Double(Self.bins))) }
        }
        return high
    }

    var mean: Double? { n > 0 ? Double(sum) / 1e12 / Double(n) : nil }
}

/// A fraction from 0 to 1 (or a little above) in integer units of 1e-12: sums of a million of
/// them stay exact and independent of their order.
@inline(__always)
func fixedPoint(_ x: Double) -> Int { Int((x * 1e12).rounded()) }

struct GroupTally {
    var drift = FineHistogram()
    /// Cents.
    var value = 0
    var outOfBand = 0
    var exceptions = 0
    /// Accounts with a tracking error, its sum, and the sums of their year's return and of its
    /// square (units of 1e-12: the same whatever the order of the accounts).
    var risked = 0
    var trackingError = 0
    var returns = 0
    var squares = 0

    mutating func merge(_ o: GroupTally) {
        drift.merge(o.drift)
        value += o.value
        outOfBand += o.outOfBand
        exceptions += o.exceptions
        risked += o.risked
        trackingError += o.trackingError
        returns += o.returns
        squares += o.squares
    }

    /// Mean tracking error and the dispersion (sample standard deviation) of the returns.
    var riskFigures: (Double?, Double?) {
        guard risked > 0 else { return (nil, nil) }
        let n = Double(risked)
        let te = Double(trackingError) / 1e12 / n
        guard risked > 1 else { return (te, nil) }
        let mean = Double(returns) / 1e12 / n
        let variance = (Double(squares) / 1e12 - n * mean * mean) / (n - 1)
        return (te, Swift.max(variance, 0).squareRoot())
    }

    func figures(_ name: String) -> MonitorGroup {
        MonitorGroup(
            name: name, accounts: drift.n, value: Double(value) / 100, outOfBand: outOfBand,
            outOfBandShare: drift.n > 0 ? Double(outOfBand) / Double(drift.n) : nil, meanDrift: drift.mean,
            medianDrift: drift.quantile(0.5), p90Drift: drift.quantile(0.9), maxDrift: drift.n > 0 ? drift.high : nil,
            suitabilityExceptions: exceptions, trackingError: riskFigures.0, returnDispersion: riskFigures.1)
    }
}

struct ProductTally {
    var accounts = 0
    var holders = 0
    var outside = 0
    /// Units of 1e-12.
    var deviation = 0
    var aboveLevel = 0

    mutating func merge(_ o: ProductTally) {
        accounts += o.accounts
        holders += o.holders
        outside += o.outside
        deviation += o.deviation
        aboveLevel += o.aboveLevel
    }
}

/// A worker's tally, in a box so that each worker mutates its own.
final class TallyBox: @unchecked Sendable {
    var tally: Tally
    init(_ t: Tally) { tally = t }
}

/// A list cut at a limit, keeping the first items by line (each worker sees its lines in
/// increasing order, so the first `limit` of the merged lists are the book's first).
struct Capped<T> {
    var items: [T] = []
    var dropped = 0
    let limit: Int

    mutating func add(_ t: T) {
        if items.count < limit { items.append(t) } else { dropped += 1 }
    }

    mutating func merge(_ o: Capped<T>, line: (T) -> Int) {
        let all = (items + o.items).sorted { line($0) < line($1) }
        items = Array(all.prefix(limit))
        dropped += o.dropped + all.count - items.count
    }
}

struct Tally {
    var lines = 0
    var all = GroupTally()
    var byModel: [String: GroupTally] = [:]
    var byLevel: [String: GroupTally] = [:]
    var byProduct: [String: ProductTally] = [:]
    var problems: Capped<MonitorProblem>
    var problemKinds: [String: Int] = [:]
    var exceptions: Capped<SuitabilityException>
    var withoutLevel = 0
    var customers = MonitorCustomers()
    var reassessments: Capped<Reassessment>
    var scratch = BatchPlanner.Scratch()
    /// The account figures of the current block, as JSON lines (`nil`: not asked for).
    var figures: [UInt8]?

    init(_ c: Context) {
        problems = Capped(limit: c.monitor.listLimit)
        exceptions = Capped(limit: c.monitor.listLimit)
        reassessments = Capped(limit: c.monitor.listLimit)
        customers.horizonDays = c.monitor.customers?.horizonDays ?? 30
    }

    mutating func problem(line: Int, id: String?, _ kind: MonitorProblem.Kind, _ message: String) {
        lines += 1
        problemKinds[kind.rawValue, default: 0] += 1
        problems.add(MonitorProblem(line: line, accountId: id, kind: kind, message: message))
    }

    static func message(_ e: RebalanceError) -> String { (e.field.map { "\($0): " } ?? "") + e.message }

    /// One held or targeted product of a measured account.
    struct Position {
        var symbol: String
        var weight: Double
        var target: Double
        var held: Bool
        var outside: Bool
    }

    mutating func measure(_ bytes: UnsafeBufferPointer<UInt8>, line: Int, context c: borrowing Context) {
        // Plain lines by the byte-level kernel (the same figures to the bit), the rest by the
        // strict reader, which names what is wrong. (No copies of the shared values per line:
        // their reference counts would be contended between the workers.)
        if let r = c.fast?.review(line: bytes, scratch: &scratch) {
            let positions = r.positions.map {
                Position(symbol: c.fastSymbols[$0.index], weight: $0.weight, target: $0.target, held: $0.held, outside: $0.outsideBand)
            }
            record(
                line: line, id: r.accountId, model: c.fastModels[r.model], value: r.value, drift: r.drift, outOfBand: r.outOfBand,
                positions: positions, context: c)
            return
        }
        let m = c.monitor
        let account: Account
        do throws(RebalanceError) { account = try Account.decode(json: bytes) } catch {
            let id = error.accountId ?? BatchRebalancer.readableId(String(decoding: bytes, as: UTF8.self))
            problem(line: line, id: id, .malformed, Self.message(error))
            return
        }
        do throws(RebalanceError) {
            try account.validate(asOf: m.asOf, lotSizes: m.planner.lotSizes, fractionalDecimals: m.planner.policy.fractionalDecimals)
        } catch {
            problem(line: line, id: account.id, .invalid, Self.message(error))
            return
        }
        guard let modelId = account.model else {
            problem(line: line, id: account.id, .unknownModel, "model: required (a model id or a level such as C3)")
            return
        }
        guard let target = m.targets[modelId] else {
            problem(line: line, id: account.id, .unknownModel, "model \(modelId) is unknown; known models: \(c.modelNames)")
            return
        }
        let review: DriftReview
        do throws(RebalanceError) { review = try m.planner.review(account, toward: target, at: m.prices, asOf: m.asOf) } catch {
            let missing = error.field?.hasPrefix("prices.") == true
            problem(
                line: line, id: account.id, missing ? .missingPrice : .invalid,
                Self.message(error) + (missing ? "; give a price for it (--prices, --price-map) or correct the holding" : ""))
            return
        }
        let outside = Set(review.outsideBand)
        let positions = review.weights.filter { $0.key != m.planner.cashSymbol }.sorted { $0.key < $1.key }.map { s, w in
            Position(symbol: s, weight: w, target: target[s] ?? 0, held: (account.holdings[s] ?? 0) > 0, outside: outside.contains(s))
        }
        record(
            line: line, id: account.id, model: modelId, value: review.value, drift: review.drift, outOfBand: review.outOfBand,
            positions: positions, context: c)
    }

    /// Counts a measured account: its customer, suitability, groups and products.
    mutating func record(
        line: Int, id: String, model modelId: String, value: Double, drift: Double, outOfBand: Bool, positions: [Position],
        context c: borrowing Context
    ) {
        // The customer's profile, when there is a file for the account.
        var profile: RiskProfile?
        if let folder = c.monitor.customers {
            switch Self.profile(id, folder: folder, context: c) {
            case .none: customers.withoutFile += 1
            case .failure(let message):
                problem(line: line, id: id, .customerFile, message)
                return
            case .profile(let p, let dated):
                profile = p
                customers.profiled += 1
                if !dated { customers.undated += 1 }
                for f in p.flags { customers.flags[f.rawValue, default: 0] += 1 }
                if let ml = c.modelLevel[modelId], let l = c.levelByLabel[ml], l.level > p.level { customers.levelAboveProfile += 1 }
                let days = p.reassessBy.dayNumber - c.monitor.asOf.dayNumber
                if days <= customers.horizonDays {
                    if days < 0 { customers.reassessmentsOverdue += 1 } else { customers.reassessmentsDue += 1 }
                    reassessments.add(
                        Reassessment(
                            line: line, accountId: id, customerRef: p.customerRef, level: p.label, reassessBy: p.reassessBy,
                            status: days < 0 ? "overdue" : "due"))
                }
            }
        }
        lines += 1
        let levelLabel = profile?.label ?? c.modelLevel[modelId]
        // Suitability: held products above the level's limit, or not rated at all.
        var exception = false
        if let levelLabel, let level = c.levelByLabel[levelLabel] {
            var above: [String] = []
            for p in positions where p.held {
                let r = c.ratings[p.symbol]
                guard r == nil || r! > level.maxProductRating else { continue }
                above.append(p.symbol + (r.map { " \($0)" } ?? " unrated"))
                byProduct[p.symbol, default: ProductTally()].aboveLevel += 1
            }
            if !above.isEmpty {
                exception = true
                exceptions.add(
                    SuitabilityException(
                        line: line, accountId: id, level: levelLabel, limit: level.maxProductRating.description, products: above))
            }
        } else {
            withoutLevel += 1
        }
        let risk = c.risk(positions, cashWeight: 0)
        func add(_ g: inout GroupTally) {
            if let risk {
                g.risked += 1
                g.trackingError += fixedPoint(risk.trackingError)
                g.returns += fixedPoint(risk.yearReturn)
                g.squares += fixedPoint(risk.yearReturn * risk.yearReturn)
            }
            g.drift.add(drift)
            g.value += Int((value * 100).rounded())
            if outOfBand { g.outOfBand += 1 }
            if exception { g.exceptions += 1 }
        }
        if figures != nil {
            var suitability: [String] = []
            if let levelLabel, let level = c.levelByLabel[levelLabel] {
                for p in positions where p.held {
                    if let r = c.ratings[p.symbol] {
                        if r > level.maxProductRating { suitability.append("\(p.symbol) \(r)") }
                    } else {
                        suitability.append("\(p.symbol) unrated")
                    }
                }
            }
            var t = "{\"accountId\":" + jsonString(id) + ",\"drift\":\(drift),\"level\":" + (levelLabel.map(jsonString) ?? "null")
            t += ",\"line\":\(line),\"model\":" + jsonString(modelId) + ",\"outOfBand\":\(outOfBand),\"outsideBand\":["
            t += positions.filter(\.outside).map { jsonString($0.symbol) }.joined(separator: ",") + "],\"suitability\":["
            t += suitability.map(jsonString).joined(separator: ",") + "],\"value\":\(value)}\n"
            figures!.append(contentsOf: t.utf8)
        }
        add(&all)
        add(&byModel[modelId, default: GroupTally()])
        add(&byLevel[levelLabel ?? "unknown", default: GroupTally()])
        for p in positions {
            var t = byProduct[p.symbol, default: ProductTally()]
            t.accounts += 1
            if p.held { t.holders += 1 }
            if p.outside { t.outside += 1 }
            t.deviation += fixedPoint(abs(p.weight - p.target))
            byProduct[p.symbol] = t
        }
    }

    enum CustomerOutcome {
        case none
        case failure(String)
        case profile(RiskProfile, dated: Bool)
    }

    /// The profile of the account's customer file, as of its `profiledOn` date.
    static func profile(_ id: String, folder: BookMonitor.CustomerFolder, context c: Context) -> CustomerOutcome {
        // Only plain ids name a file: nothing outside the folder is read.
        guard !id.isEmpty, !id.contains("/"), !id.hasPrefix(".") else { return .none }
        let path = folder.directory + "/" + id + ".json"
        guard FileManager.default.fileExists(atPath: path) else { return .none }
        let m = c.monitor
        do throws(ProfilingError) {
            let customer = try CustomerFile.read(path: path, questionnaire: folder.questionnaire, catalog: m.catalog, asOf: m.asOf)
            let day = customer.profiledOn ?? m.asOf
            var signals: BehaviourSignals?
            if customer.behaviour != nil || !customer.holdings.isEmpty {
                signals = BehaviourAnalyzer(market: folder.market, prices: [folder.prices], catalog: m.catalog).signals(
                    for: customer, asOf: day)
            }
            let p = RiskProfiler(questionnaire: folder.questionnaire, levels: m.levels).profile(
                customer, behaviour: signals, asOf: day,
                pseudonym: Privacy.pseudonym(of: customer.id, key: SymmetricKey(data: folder.pseudonymKey)))
            return .profile(p, dated: customer.profiledOn != nil)
        } catch {
            return .failure("customer file: \(error)")
        }
    }

    mutating func merge(_ o: Tally) {
        lines += o.lines
        all.merge(o.all)
        for (k, v) in o.byModel { byModel[k, default: GroupTally()].merge(v) }
        for (k, v) in o.byLevel { byLevel[k, default: GroupTally()].merge(v) }
        for (k, v) in o.byProduct { byProduct[k, default: ProductTally()].merge(v) }
        problems.merge(o.problems, line: \.line)
        for (k, v) in o.problemKinds { problemKinds[k, default: 0] += v }
        exceptions.merge(o.exceptions, line: \.line)
        withoutLevel += o.withoutLevel
        reassessments.merge(o.reassessments, line: \.line)
        customers.profiled += o.customers.profiled
        customers.withoutFile += o.customers.withoutFile
        customers.undated += o.customers.undated
        customers.reassessmentsDue += o.customers.reassessmentsDue
        customers.reassessmentsOverdue += o.customers.reassessmentsOverdue
        customers.levelAboveProfile += o.customers.levelAboveProfile
        for (k, v) in o.customers.flags { customers.flags[k, default: 0] += v }
    }

    func result(_ c: Context, inputDigest: String) -> BookMonitorResult {
        let h = all.drift
        var bins: [DriftDistribution.Bin] = []
        for b in 0...25 {
            let from = b * 100
            let to = b == 25 ? FineHistogram.bins + 1 : from + 100
            let count = h.counts.isEmpty ? 0 : h.counts[from..<to].reduce(0, +)
            bins.append(DriftDistribution.Bin(lower: Double(b) / 100, upper: b == 25 ? nil : Double(b + 1) / 100, count: count))
        }
        var quantiles: [String: Double] = [:]
        for (name, q) in DriftDistribution.levels { if let v = h.quantile(q) { quantiles[name] = v } }
        let distribution = DriftDistribution(
            accounts: h.n, mean: h.mean, quantiles: quantiles, max: h.n > 0 ? h.high : nil, histogram: bins)
        let products = byProduct.sorted { $0.key < $1.key }.map { s, p in
            MonitorProduct(
                symbol: s, rating: c.ratings[s]?.description, accounts: p.accounts, holders: p.holders, outsideBand: p.outside,
                outsideBandShare: p.accounts > 0 ? Double(p.outside) / Double(p.accounts) : nil,
                meanAbsoluteDeviation: p.accounts > 0 ? Double(p.deviation) / 1e12 / Double(p.accounts) : nil, aboveLevel: p.aboveLevel)
        }
        var cust: MonitorCustomers?
        if c.monitor.customers != nil {
            var x = customers
            x.reassessments = reassessments.items
            x.reassessmentsNotListed = reassessments.dropped
            cust = x
        }
        let problemCount = problemKinds.values.reduce(0, +)
        var result = BookMonitorResult(
            asOf: c.monitor.asOf, trigger: c.monitor.planner.policy.triggerDescription, lines: lines, accounts: h.n,
            value: Double(all.value) / 100, inputDigest: inputDigest, drift: distribution, outOfBand: all.outOfBand,
            outOfBandShare: h.n > 0 ? Double(all.outOfBand) / Double(h.n) : nil,
            byModel: byModel.sorted { $0.key < $1.key }.map { $0.value.figures($0.key) },
            byLevel: byLevel.sorted { $0.key < $1.key }.map { $0.value.figures($0.key) }, byProduct: products,
            suitabilityExceptions: all.exceptions, suitabilityList: exceptions.items, suitabilityNotListed: exceptions.dropped,
            withoutLevel: withoutLevel, customers: cust, problems: problemCount, problemsByKind: problemKinds,
            problemList: problems.items, problemsNotListed: problems.dropped)
        (result.trackingError, result.returnDispersion) = all.riskFigures
        return result
    }
}

extension RebalancePolicy {
    /// The trigger in words, as monitor reports state it (`5-25: 5.00% absolute or 25.00% relative band`).
    public var triggerDescription: String {
        func pct(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        switch trigger {
        case .absoluteBand: return "absolute-band: \(pct(absoluteBand)) band"
        case .relativeBand: return "relative-band: \(pct(relativeBand)) of each target"
        case .fiveTwentyFive: return "5-25: \(pct(absoluteBand)) absolute or \(pct(relativeBand)) relative band"
        case .portfolioDrift: return "portfolio-drift: drift above \(pct(driftThreshold))"
        case .calendar: return "calendar: \(period.rawValue) rebalance due"
        case .calendarAndThreshold:
            return
                "calendar-and-threshold: \(period.rawValue) review with an asset outside \(pct(absoluteBand)) or \(pct(relativeBand)) relative"
        }
    }
}

// MARK: - Alerts

/// A figure of a monitor run that alert rules can watch (``AlertRule/metric``).
public enum MonitorMetric: String, Sendable, Codable, CaseIterable {
    /// Accounts measured (in the scope).
    case accounts
    /// Accounts out of band (for a product: accounts in which it is outside its band).
    case outOfBand
    /// Share of accounts out of band (for a product: of the accounts holding or targeting it).
    case outOfBandShare
    /// Mean drift.
    case meanDrift
    /// Median drift.
    case medianDrift
    /// 90th percentile of drift.
    case p90Drift
    /// 95th percentile of drift (book only).
    case p95Drift
    /// 99th percentile of drift (book only).
    case p99Drift
    /// The largest drift.
    case maxDrift
    /// Accounts with suitability exceptions (for a product: accounts holding it above their level).
    case suitabilityExceptions
    /// Share of accounts with suitability exceptions.
    case suitabilityExceptionShare
    /// Mean `|w - w*|` of a product (product only).
    case meanAbsoluteDeviation
    /// Lines that could not be monitored (book only).
    case problems
    /// Share of lines that could not be monitored (book only).
    case problemShare
    /// Accounts without a level, whose suitability is not checked (book only).
    case withoutLevel
    /// Re-assessments due within the horizon (book only, with customer files).
    case reassessmentsDue
    /// Re-assessments overdue (book only, with customer files).
    case reassessmentsOverdue
    /// Accounts whose model's level is above the customer's profile (book only, with customer files).
    case levelAboveProfile
    /// Mean ex-ante tracking error against the model (with a price history).
    case trackingError
    /// Standard deviation of the accounts' trailing-year holdings returns (with a price history).
    case returnDispersion

    /// Whether the figure is a share or a drift (shown as a percentage) rather than a count.
    public var isFraction: Bool {
        switch self {
        case .accounts, .outOfBand, .suitabilityExceptions, .problems, .withoutLevel, .reassessmentsDue, .reassessmentsOverdue,
            .levelAboveProfile:
            false
        default: true
        }
    }

    /// The metrics a level or model scope has.
    public static let groupMetrics: [MonitorMetric] = [
        .accounts, .outOfBand, .outOfBandShare, .meanDrift, .medianDrift, .p90Drift, .maxDrift, .suitabilityExceptions,
        .suitabilityExceptionShare, .trackingError, .returnDispersion,
    ]
    /// The metrics a product scope has.
    public static let productMetrics: [MonitorMetric] = [
        .accounts, .outOfBand, .outOfBandShare, .suitabilityExceptions, .meanAbsoluteDeviation,
    ]
}

/// A threshold over a figure of a monitor run: fires when the figure is above `above` or
/// below `below` (strictly). A figure that is undefined (a share of no accounts) does not fire.
public struct AlertRule: Sendable, Codable, Equatable {
    /// A name for the alert (default: the rule as text).
    public var name: String?
    /// The figure watched.
    public var metric: MonitorMetric
    /// Only the accounts of this risk level (as in ``BookMonitorResult/byLevel``).
    public var level: String?
    /// Only the accounts of this model.
    public var model: String?
    /// Only this product (its figures in ``BookMonitorResult/byProduct``).
    public var product: String?
    /// Fires when the figure is strictly above this.
    public var above: Double?
    /// Fires when the figure is strictly below this.
    public var below: Double?

    /// A rule from values.
    public init(
        name: String? = nil, metric: MonitorMetric, level: String? = nil, model: String? = nil, product: String? = nil,
        above: Double? = nil, below: Double? = nil
    ) {
        self.name = name
        self.metric = metric
        self.level = level
        self.model = model
        self.product = product
        self.above = above
        self.below = below
    }

    /// The scope in words: `book`, `level C3`, `model growth`, `product USEQ`.
    public var scope: String {
        if let level { return "level \(level)" }
        if let model { return "model \(model)" }
        if let product { return "product \(product)" }
        return "book"
    }

    /// The rule as text: `outOfBandShare of level C3 above 0.2`.
    public var text: String {
        var t = "\(metric.rawValue) of \(scope)"
        if let above { t += " above \(above)" }
        if let below { t += " below \(below)" }
        return t
    }
}

/// A rules file that cannot be used, with the file, the rule and the field.
public struct AlertRulesError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// An error with its message.
    public init(_ description: String) { self.description = description }
}

/// The outcome of one rule on one run.
public struct AlertOutcome: Sendable, Codable, Equatable {
    /// The rule's name (or its text).
    public var name: String
    /// The rule.
    public var rule: AlertRule
    /// The figure (`nil`: undefined in this run, such as a share of no accounts).
    public var value: Double?
    /// Whether the alert fired.
    public var fired: Bool
    /// The figure with what it is made of and the threshold, in words.
    public var evidence: String
}

/// Alert rules: `{"rules": [{"name": "...", "metric": "outOfBandShare", "level": "C3", "above": 0.2}, ...]}`.
public enum MonitorAlerts {
    /// The fields of a rule.
    public static let fieldNames = ["above", "below", "level", "metric", "model", "name", "product"]

    /// Reads and checks a rules file: every problem at once, each with the rule's index and field.
    ///
    /// - Throws: ``AlertRulesError`` naming the file, `rules[K].FIELD` and the fix.
    public static func read(path: String) throws(AlertRulesError) -> [AlertRule] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlertRulesError("\(path): no such file or it cannot be read; give a rules file such as Examples/monitor/alerts.json")
        }
        return try decode(data, source: path)
    }

    /// Decodes and checks rules JSON (see ``read(path:)``).
    public static func decode(_ data: Data, source: String = "<rules>") throws(AlertRulesError) -> [AlertRule] {
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            let detail = ((error as NSError).userInfo["NSDebugDescription"] as? String).map { ": " + $0 } ?? ""
            throw AlertRulesError("\(source): not valid JSON\(detail)")
        }
        guard let object = root as? [String: Any], let list = object["rules"] as? [Any] else {
            throw AlertRulesError(
                "\(source): expected an object {\"rules\": [{\"metric\": \"outOfBandShare\", \"level\": \"C3\", \"above\": 0.2}, ...]}")
        }
        var issues: [String] = []
        for key in object.keys.sorted() where key != "rules" && key != "description" {
            issues.append("\(key): unknown field; a rules file has rules and description")
        }
        var rules: [AlertRule] = []
        let metrics = MonitorMetric.allCases.map(\.rawValue).joined(separator: ", ")
        for (k, item) in list.enumerated() {
            let at = "rules[\(k)]"
            guard let r = item as? [String: Any] else {
                issues.append("\(at): must be an object such as {\"metric\": \"outOfBandShare\", \"above\": 0.2}")
                continue
            }
            for key in r.keys.sorted() where !fieldNames.contains(key) {
                issues.append("\(at).\(key): unknown field; the fields of a rule are \(fieldNames.joined(separator: ", "))")
            }
            func text(_ key: String) -> String? {
                guard let v = r[key], !(v is NSNull) else { return nil }
                guard let s = v as? String, !s.isEmpty else {
                    issues.append("\(at).\(key): must be text")
                    return nil
                }
                return s
            }
            func number(_ key: String) -> Double? {
                guard let v = r[key], !(v is NSNull) else { return nil }
                guard let n = v as? NSNumber, type(of: v) != Bool.self, n.doubleValue.isFinite else {
                    issues.append("\(at).\(key): must be a number (a share as a fraction: 0.2 for 20%)")
                    return nil
                }
                return n.doubleValue
            }
            let name = text("name")
            let level = text("level")
            let model = text("model")
            let product = text("product")
            let above = number("above")
            let below = number("below")
            guard let metricText = text("metric") else {
                if r["metric"] == nil { issues.append("\(at).metric: required; one of \(metrics)") }
                continue
            }
            guard let metric = MonitorMetric(rawValue: metricText) else {
                issues.append("\(at).metric: \(metricText) is not a figure of monitor; use one of \(metrics)")
                continue
            }
            if above == nil && below == nil { issues.append("\(at): give a threshold, above or below") }
            if [level, model, product].compactMap({ $0 }).count > 1 {
                issues.append("\(at): give at most one scope: level, model or product")
            }
            if level != nil || model != nil, !MonitorMetric.groupMetrics.contains(metric) {
                issues.append(
                    "\(at).metric: \(metric.rawValue) is a figure of the whole book; a level or model has "
                        + MonitorMetric.groupMetrics.map(\.rawValue).joined(separator: ", "))
            }
            if product != nil, !MonitorMetric.productMetrics.contains(metric) {
                issues.append(
                    "\(at).metric: a product has " + MonitorMetric.productMetrics.map(\.rawValue).joined(separator: ", "))
            }
            if metric == .meanAbsoluteDeviation && product == nil { issues.append("\(at).product: required for meanAbsoluteDeviation") }
            rules.append(
                AlertRule(name: name, metric: metric, level: level, model: model, product: product, above: above, below: below))
        }
        if !issues.isEmpty { throw AlertRulesError("\(source):\n  " + issues.joined(separator: "\n  ")) }
        return rules
    }

    /// Evaluates every rule on a run, in the rules' order.
    public static func evaluate(_ rules: [AlertRule], on result: BookMonitorResult) -> [AlertOutcome] {
        rules.map { rule in
            let (value, basis) = result.figure(rule.metric, level: rule.level, model: rule.model, product: rule.product)
            var firedAbove = false
            var firedBelow = false
            if let v = value, let a = rule.above { firedAbove = v > a }
            if let v = value, let b = rule.below { firedBelow = v < b }
            let fired = firedAbove || firedBelow
            func show(_ x: Double) -> String {
                rule.metric.isFraction ? String(format: "%.2f%%", x * 100) : (x == x.rounded() ? String(Int64(x)) : "\(x)")
            }
            var evidence = "\(rule.metric.rawValue) of \(rule.scope) is " + (value.map(show) ?? "undefined")
            if let basis { evidence += " (\(basis))" }
            var thresholds: [String] = []
            if let a = rule.above { thresholds.append((firedAbove ? "above " : "not above ") + show(a)) }
            if let b = rule.below { thresholds.append((firedBelow ? "below " : "not below ") + show(b)) }
            evidence += ", " + thresholds.joined(separator: " and ")
            if value == nil { evidence += ": nothing to compare in this run" }
            return AlertOutcome(name: rule.name ?? rule.text, rule: rule, value: value, fired: fired, evidence: evidence)
        }
    }
}

extension BookMonitorResult {
    /// A figure of the run, with what it is made of in words (`50 of 200 accounts`); `nil` when
    /// it is undefined or the scope has no accounts.
    public func figure(_ metric: MonitorMetric, level: String? = nil, model: String? = nil, product: String? = nil) -> (
        Double?, String?
    ) {
        func share(_ part: Int, _ whole: Int, _ noun: String) -> (Double?, String?) {
            (whole > 0 ? Double(part) / Double(whole) : nil, "\(part) of \(whole) \(noun)")
        }
        if let product {
            guard let p = byProduct.first(where: { $0.symbol == product }) else { return (nil, "no account holds or targets \(product)") }
            switch metric {
            case .accounts: return (Double(p.accounts), nil)
            case .outOfBand: return (Double(p.outsideBand), "of \(p.accounts) accounts")
            case .outOfBandShare: return share(p.outsideBand, p.accounts, "accounts outside the band")
            case .suitabilityExceptions: return (Double(p.aboveLevel), "of \(p.holders) holders")
            case .meanAbsoluteDeviation: return (p.meanAbsoluteDeviation, "over \(p.accounts) accounts")
            default: return (nil, nil)
            }
        }
        if level != nil || model != nil {
            let groups = level != nil ? byLevel : byModel
            let name = level ?? model!
            guard let g = groups.first(where: { $0.name == name }) else { return (nil, "no accounts") }
            switch metric {
            case .accounts: return (Double(g.accounts), nil)
            case .outOfBand: return (Double(g.outOfBand), "of \(g.accounts) accounts")
            case .outOfBandShare: return share(g.outOfBand, g.accounts, "accounts")
            case .meanDrift: return (g.meanDrift, "over \(g.accounts) accounts")
            case .medianDrift: return (g.medianDrift, "over \(g.accounts) accounts")
            case .p90Drift: return (g.p90Drift, "over \(g.accounts) accounts")
            case .maxDrift: return (g.maxDrift, nil)
            case .suitabilityExceptions: return (Double(g.suitabilityExceptions), "of \(g.accounts) accounts")
            case .suitabilityExceptionShare: return share(g.suitabilityExceptions, g.accounts, "accounts")
            case .trackingError: return (g.trackingError, "mean over \(g.accounts) accounts")
            case .returnDispersion: return (g.returnDispersion, "across \(g.accounts) accounts")
            default: return (nil, nil)
            }
        }
        switch metric {
        case .accounts: return (Double(accounts), nil)
        case .outOfBand: return (Double(outOfBand), "of \(accounts) accounts")
        case .outOfBandShare: return share(outOfBand, accounts, "accounts")
        case .meanDrift: return (drift.mean, "over \(accounts) accounts")
        case .medianDrift: return (drift.quantiles["p50"], "over \(accounts) accounts")
        case .p90Drift: return (drift.quantiles["p90"], "over \(accounts) accounts")
        case .p95Drift: return (drift.quantiles["p95"], "over \(accounts) accounts")
        case .p99Drift: return (drift.quantiles["p99"], "over \(accounts) accounts")
        case .maxDrift: return (drift.max, nil)
        case .suitabilityExceptions: return (Double(suitabilityExceptions), "of \(accounts) accounts")
        case .suitabilityExceptionShare: return share(suitabilityExceptions, accounts, "accounts")
        case .trackingError: return (trackingError, "mean over \(accounts) accounts")
        case .returnDispersion: return (returnDispersion, "across \(accounts) accounts")
        case .meanAbsoluteDeviation: return (nil, nil)
        case .problems: return (Double(problems), "of \(lines) lines")
        case .problemShare: return share(problems, lines, "lines")
        case .withoutLevel: return (Double(withoutLevel), "of \(accounts) accounts")
        case .reassessmentsDue:
            return customers.map { (Double($0.reassessmentsDue), "of \($0.profiled) profiled") } ?? (nil, "no customer files")
        case .reassessmentsOverdue:
            return customers.map { (Double($0.reassessmentsOverdue), "of \($0.profiled) profiled") } ?? (nil, "no customer files")
        case .levelAboveProfile:
            return customers.map { (Double($0.levelAboveProfile), "of \($0.profiled) profiled") } ?? (nil, "no customer files")
        }
    }
}

// MARK: - History

/// The summary figures of a run, as its audit record keeps them: the book's figures, and each
/// level's, by metric name. `ballast monitor --since DATE` compares a run with the summary of
/// the last earlier run.
public struct MonitorSummary: Sendable, Codable, Equatable {
    /// The date of the run's prices.
    public var asOf: MarketDate
    /// The book's figures by metric name (undefined figures left out).
    public var book: [String: Double]
    /// Each level's figures by metric name.
    public var byLevel: [String: [String: Double]]

    /// The summary of a run.
    public init(_ r: BookMonitorResult) {
        asOf = r.asOf
        var b: [String: Double] = [:]
        for m in MonitorMetric.allCases where m != .meanAbsoluteDeviation {
            if let v = r.figure(m).0 { b[m.rawValue] = v }
        }
        book = b
        var levels: [String: [String: Double]] = [:]
        for g in r.byLevel {
            var f: [String: Double] = [:]
            for m in MonitorMetric.groupMetrics { if let v = r.figure(m, level: g.name).0 { f[m.rawValue] = v } }
            levels[g.name] = f
        }
        byLevel = levels
    }

    /// How a figure moved between two runs.
    public struct Change: Sendable, Codable, Equatable {
        /// `book` or the level's label.
        public var scope: String
        /// The metric.
        public var metric: String
        /// The earlier run's value (`nil`: not defined then).
        public var previous: Double?
        /// This run's value (`nil`: not defined now).
        public var current: Double?
    }

    /// Every figure of this run or `earlier`, with both values, book first then by level.
    public func changes(since earlier: MonitorSummary) -> [Change] {
        var out: [Change] = []
        for m in MonitorMetric.allCases where book[m.rawValue] != nil || earlier.book[m.rawValue] != nil {
            out.append(Change(scope: "book", metric: m.rawValue, previous: earlier.book[m.rawValue], current: book[m.rawValue]))
        }
        for level in Set(byLevel.keys).union(earlier.byLevel.keys).sorted() {
            for m in MonitorMetric.groupMetrics {
                let a = earlier.byLevel[level]?[m.rawValue]
                let b = byLevel[level]?[m.rawValue]
                if a != nil || b != nil { out.append(Change(scope: level, metric: m.rawValue, previous: a, current: b)) }
            }
        }
        return out
    }
}

/// What a monitor run's audit record holds as its outputs: the summary and the alerts that fired.
public struct MonitorAuditOutputs: Sendable, Codable, Equatable {
    /// The run's summary figures.
    public var summary: MonitorSummary
    /// The names of the alerts that fired.
    public var alertsFired: [String]

    /// Outputs from values.
    public init(summary: MonitorSummary, alertsFired: [String]) {
        self.summary = summary
        self.alertsFired = alertsFired
    }

    /// The audit command of monitor runs.
    public static let command = AuditCommand.monitor

    /// The last monitor run of `book` (its `accounts` parameter) recorded on or before `date`
    /// (UTC) in `trail`, with its outputs; `nil` when there is none.
    ///
    /// - Throws: `AuditError` when the trail cannot be read or the record's
    ///   outputs are not a monitor summary.
    public static func latest(in trail: AuditTrail, onOrBefore date: MarketDate, book: String) throws(AuditError) -> (
        record: AuditRecord, outputs: MonitorAuditOutputs
    )? {
        let end = MarketDate(dayNumber: date.dayNumber + 1).description
        guard let r = try trail.latest(command: command, before: end, parameter: ("accounts", book)) else { return nil }
        guard let o = try? JSONDecoder().decode(MonitorAuditOutputs.self, from: Data(r.entry.outputs.utf8)) else {
            throw AuditError(
                "\(trail.path): record \(r.id) is a monitor run whose outputs are not a monitor summary (the database was edited)")
        }
        return (r, o)
    }
}

// MARK: - Model performance

/// How a model did against the benchmark over a trailing window: a back-test of the model
/// (``BacktestSetup``, by default held and rebalanced monthly as `backtest --strategy level:N`
/// runs it) ending on the monitor's date.
public struct ModelPerformance: Sendable, Codable, Equatable {
    /// The model's name (a level's label).
    public var model: String
    /// The window in years.
    public var years: Int
    /// The window's first and last dates (the prices' dates).
    public var start, end: MarketDate
    /// The model's total return over the window.
    public var totalReturn: Double
    /// The model's annualised volatility (`nil` when undefined).
    public var volatility: Double?
    /// The model's maximum drawdown (negative, on the wealth path including the start).
    public var maxDrawdown: Double
    /// The benchmark's name (`nil` without a benchmark).
    public var benchmark: String?
    /// The benchmark's total return.
    public var benchmarkTotalReturn: Double?
    /// The benchmark's annualised volatility.
    public var benchmarkVolatility: Double?
    /// The benchmark's maximum drawdown.
    public var benchmarkMaxDrawdown: Double?
    /// Annualised turnover of the model's rebalancing (BallastBacktest's `MetricConventions.turnover`).
    public var turnover: Double? = nil
    /// Cost drag: the costs charged per year as a fraction of the mean portfolio value (the
    /// request's costs; 0 without costs).
    public var costDrag: Double? = nil

    /// The performance of each model over each window ending on `asOf`, by back-test.
    ///
    /// - Parameters:
    ///   - models: each model's name and its strategy text (``StrategyChoice``, such as `level:3`).
    ///   - years: the windows, in years (1 and 3 by default).
    ///   - asOf: the last day of every window.
    ///   - setup: the back-tests' inputs (prices, the investment process, levels, catalogue).
    ///   - request: the back-test's settings (benchmark, rebalancing, costs, prices); its
    ///     strategy, start and end are set here.
    /// - Throws: the back-test's errors (a window before the data, a first decision that fails).
    /// - Complexity: one back-test per model and window.
    public static func measure(
        models: [(name: String, strategy: String)], years: [Int] = [1, 3], asOf: MarketDate, setup: BacktestSetup,
        request: BacktestRequest
    ) throws -> [ModelPerformance] {
        var out: [ModelPerformance] = []
        for (name, strategy) in models {
            for y in years {
                var r = request
                r.strategy = strategy
                r.start = asOf.adding(months: -12 * y)
                r.end = asOf
                let (_, result) = try setup.run(r)
                let m = result.metrics
                let bench = result.benchmarkMetrics
                let meanValue = result.values.isEmpty ? 0 : result.values.reduce(0, +) / Double(result.values.count)
                let span = Double((result.dates.last ?? asOf).dayNumber - (result.dates.first ?? asOf).dayNumber) / 365.25
                var p =
                    ModelPerformance(
                        model: name, years: y, start: result.dates.first ?? asOf, end: result.dates.last ?? asOf,
                        totalReturn: m.totalReturn, volatility: m.annualVolatility, maxDrawdown: m.maxDrawdown,
                        benchmark: bench == nil ? nil : result.benchmark?.name, benchmarkTotalReturn: bench?.totalReturn,
                        benchmarkVolatility: bench?.annualVolatility, benchmarkMaxDrawdown: bench?.maxDrawdown)
                p.turnover = result.turnover
                p.costDrag = meanValue > 0 && span > 0 ? result.totalCosts / meanValue / span : nil
                out.append(p)
            }
        }
        return out
    }
}

/// `s` as a JSON string (quotes, backslashes and control characters escaped).
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

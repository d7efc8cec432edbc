import BallastAudit
import BallastLinearAlgebra
import BallastMarketData
import BallastRiskModels
import Foundation

/// A problem with the investment process's inputs: an assumptions specification, a set of
/// assumptions, an investment policy. Says what, where (file and field) and how to fix it.
public struct InvestmentProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, when there is one.
    public var file: String?
    /// The field (a JSON path such as `views[1].confidence`), when known.
    public var field: String?
    /// What is wrong.
    public var message: String
    /// How to fix it.
    public var fix: String

    /// Creates an error.
    public init(file: String? = nil, field: String? = nil, message: String, fix: String) {
        self.file = file
        self.field = field
        self.message = message
        self.fix = fix
    }

    /// `file: field: message; fix`.
    public var description: String {
        var place = [file, field.map { "field \($0)" }].compactMap { $0 }.joined(separator: ": ")
        if !place.isEmpty { place += ": " }
        return place + message + "; " + fix
    }
}

/// Reads and decodes one of the investment process's JSON files (a specification, a set of
/// assumptions, a policy), with errors naming the file and the field; returns the value and
/// the bytes read (for their digest).
func decodeProcessFile<T: Decodable>(_ type: T.Type, path: String, missingFix: String, fieldFix: String)
    throws(InvestmentProcessError) -> (T, Data)
{
    guard let data = FileManager.default.contents(atPath: path) else {
        throw InvestmentProcessError(file: path, message: "no such file or it cannot be read", fix: missingFix)
    }
    do {
        return (try JSONDecoder().decode(T.self, from: data), data)
    } catch let e as DecodingError {
        let (field, what) = describe(e)
        throw InvestmentProcessError(file: path, field: field.isEmpty ? nil : field, message: what, fix: fieldFix)
    } catch {
        throw InvestmentProcessError(file: path, message: "not valid JSON", fix: "check the file's syntax")
    }
}

/// How a set of capital-market assumptions is made: the rule, written in a file
/// (`market-data/multi-asset/assumptions.json` for the bundled universe), applied to the
/// universe's data up to a date. The same rule builds the live assumptions and, at every
/// decision date of a back-test or a validation, the assumptions one would have had then.
public struct AssumptionsSpecification: Sendable, Codable, Equatable {
    /// A name for reports.
    public var name: String
    /// The version of the assumptions it produces (with the as-of date appended).
    public var version: String
    /// Who is responsible for the assumptions.
    public var author: String
    /// The universe specification, relative to this file's folder.
    public var universe: String
    /// Months of returns up to the date (at most; default 240).
    public var windowMonths: Int?
    /// The fewest months the window may have (default 60).
    public var minimumMonths: Int?
    /// The covariance estimator on monthly returns (default `ledoit-wolf`).
    public var covariance: CovarianceMethodName?
    /// How expected returns are formed.
    public var expectedReturns: ExpectedReturnsSpecification

    /// Covariance estimators for assumptions.
    public enum CovarianceMethodName: String, Sendable, Codable, CaseIterable {
        /// Ledoit-Wolf shrinkage toward a constant correlation (PyPortfolioOpt's
        /// `ledoit_wolf("constant_correlation")`): each member keeps its own variance, which
        /// matters when variances differ a hundredfold, as between bills and oil.
        case ledoitWolf = "ledoit-wolf"
        /// Oracle approximating shrinkage.
        case oas
        /// The sample covariance.
        case sample
    }

    /// The months of the window, with its default.
    public var effectiveWindowMonths: Int { windowMonths ?? 240 }
    /// The fewest months, with its default.
    public var effectiveMinimumMonths: Int { minimumMonths ?? 60 }
}

/// How expected returns are formed.
public struct ExpectedReturnsSpecification: Sendable, Codable, Equatable {
    /// The method.
    public var method: Method
    /// Market-capitalisation weights of the members (for `equilibrium`), by symbol; they are
    /// normalised to sum to 1.
    public var marketWeights: [String: Double]?
    /// Where the market weights come from, in a sentence (required with `equilibrium`).
    public var marketWeightsSource: String?
    /// The market's risk aversion `delta` (`pi = delta Sigma w`); give this or
    /// ``marketSharpeRatio``.
    public var riskAversion: Double?
    /// The market portfolio's Sharpe ratio; `delta` is then `SR / sigma_m`, so that the
    /// market's excess return is `SR sigma_m`.
    public var marketSharpeRatio: Double?
    /// Black-Litterman's `tau` (default 0.05).
    public var tau: Double?
    /// Annual risk-free rate; `nil` for the cash member's return over the last 12 months.
    public var riskFreeRate: Double?
    /// The member whose returns are cash (default: the member of class `cash`).
    public var cashMember: String?
    /// Black-Litterman views (for `equilibrium`).
    public var views: [View]?
    /// The market member for `capm` (default: the first equity member).
    public var capmMarket: String?

    /// Expected-return methods.
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// Reverse optimisation from market weights, blended with views by Black-Litterman.
        case equilibrium
        /// The historical arithmetic mean of the window (annualised x 12).
        case historicalMean = "historical-mean"
        /// Jorion's Bayes-Stein (James-Stein) shrinkage of the historical mean toward the
        /// minimum-variance portfolio's mean.
        case jamesStein = "james-stein"
        /// CAPM: `rf + beta (E[r_m] - rf)` against the market member.
        case capm
    }

    /// A view: an absolute return for one member, the spread of one over another, or, for a
    /// member made from par yields, "it earns its current yield" (the yield at the as-of date,
    /// so that the rule gives each decision date the yield of that date).
    public struct View: Sendable, Codable, Equatable {
        /// `absolute`, `relative` or `yield`.
        public var kind: Kind
        /// For an absolute or a yield view: the member.
        public var asset: String?
        /// For a relative view: the member expected to do better.
        public var long: String?
        /// For a relative view: the member expected to do worse.
        public var short: String?
        /// The expected annual return (absolute) or spread (relative), a fraction; for a yield
        /// view, filled in with the yield used when the assumptions are built.
        public var expectedReturn: Double?
        /// Idzorek's confidence, from 0 (ignore the view) to 1 (certain).
        public var confidence: Double
        /// Why, in a sentence.
        public var rationale: String?

        /// The kinds of view.
        public enum Kind: String, Sendable, Codable {
            /// One member's return.
            case absolute
            /// One member's return over another's.
            case relative
            /// A bond member earns its par yield at the as-of date.
            case yield
        }
    }
}

/// A versioned set of capital-market assumptions: expected returns and covariance per
/// member of a universe, with everything needed to reproduce and govern them (inputs'
/// digests, method, parameters, window, author, approval).
public struct CapitalMarketAssumptions: Sendable, Codable, Equatable {
    /// The file format, `ballast-assumptions-v1`.
    public var format: String
    /// The assumptions' name.
    public var name: String
    /// The version: the specification's version and the as-of date.
    public var version: String
    /// Who is responsible.
    public var author: String
    /// The date of the last data used.
    public var asOf: MarketDate
    /// The universe's name and version.
    public var universe: String
    /// The files read, with their SHA-256 digests (the specification, the universe, the data).
    public var inputs: [Input]
    /// The estimation window of monthly returns.
    public var window: EstimationWindow
    /// How the numbers were made.
    public var method: Method
    /// Per member: class, expected return, volatility, and the equilibrium and historical
    /// figures beside them.
    public var assets: [Asset]
    /// Annualised covariance, in the order of ``assets``.
    public var covariance: [[Double]]
    /// The approval block: `draft` until approved.
    public var approval: Approval
    /// SHA-256 of the assumptions' content (everything but the approval and this digest).
    public var digest: String

    /// An input file and its digest.
    public struct Input: Sendable, Codable, Equatable {
        /// The path as given (relative to the specification's folder for data files).
        public var file: String
        /// SHA-256 of its bytes.
        public var sha256: String
    }

    /// The method and its parameters.
    public struct Method: Sendable, Codable, Equatable {
        /// The covariance estimator.
        public var covariance: String
        /// The shrinkage intensity, where the estimator has one.
        public var shrinkage: Double?
        /// The expected-return method.
        public var expectedReturns: String
        /// `delta`, for equilibrium.
        public var riskAversion: Double?
        /// `tau`, for equilibrium.
        public var tau: Double?
        /// The annual risk-free rate used.
        public var riskFreeRate: Double
        /// How the risk-free rate was set.
        public var riskFreeRateSource: String
        /// The market weights, normalised, for equilibrium.
        public var marketWeights: [String: Double]?
        /// Their source.
        public var marketWeightsSource: String?
        /// The views applied.
        public var views: [ExpectedReturnsSpecification.View]?
    }

    /// One member's assumptions.
    public struct Asset: Sendable, Codable, Equatable {
        /// The member's symbol.
        public var symbol: String
        /// Its asset class.
        public var assetClass: String
        /// The expected annual return used by the model menu (arithmetic, a fraction).
        public var expectedReturn: Double
        /// Annualised volatility.
        public var volatility: Double
        /// The equilibrium (prior) return, for equilibrium.
        public var equilibriumReturn: Double?
        /// The window's historical mean, for comparison.
        public var historicalMean: Double
    }

    /// The approval block.
    public struct Approval: Sendable, Codable, Equatable {
        /// `draft` or `approved`.
        public var status: Status
        /// Who approved.
        public var approvedBy: String?
        /// When (ISO 8601).
        public var approvedAt: String?
        /// A note.
        public var note: String?

        /// The approval states.
        public enum Status: String, Sendable, Codable {
            /// Built, not yet approved.
            case draft
            /// Approved for use in advice.
            case approved
        }

        /// An approval block.
        public init(status: Status, approvedBy: String? = nil, approvedAt: String? = nil, note: String? = nil) {
            self.status = status
            self.approvedBy = approvedBy
            self.approvedAt = approvedAt
            self.note = note
        }
    }

    /// The symbols, in order.
    public var symbols: [String] { assets.map(\.symbol) }

    /// The covariance as a matrix.
    public var covarianceMatrix: Matrix { Matrix(rowMajor: covariance) }

    /// The assumptions as a distribution for the optimiser (monthly data, annualised).
    public func distribution() throws(RiskModelError) -> ReturnDistribution {
        try ReturnDistribution(
            assets: symbols, expectedReturns: assets.map(\.expectedReturn), covariance: covarianceMatrix, periodsPerYear: 12)
    }

    /// The digest of the content: the canonical JSON (sorted keys) of the assumptions with an
    /// empty approval and digest.
    public var contentDigest: String {
        var copy = self
        copy.approval = Approval(status: .draft)
        copy.digest = ""
        return AuditEntry.digest(try! Self.encoder.encode(copy))
    }

    /// The encoder of assumptions files: pretty, sorted keys.
    public static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// Reads an assumptions file and checks its digest.
    ///
    /// - Throws: ``InvestmentProcessError`` for an unreadable or malformed file, or one whose
    ///   content no longer matches its digest (edited after it was built).
    public static func read(path: String) throws(InvestmentProcessError) -> CapitalMarketAssumptions {
        let (a, _) = try decodeProcessFile(
            CapitalMarketAssumptions.self, path: path, missingFix: "check the path; `ballast assumptions build` writes one",
            fieldFix: "rebuild the file with `ballast assumptions build`")
        guard a.format == "ballast-assumptions-v1" else {
            throw InvestmentProcessError(
                file: path, field: "format", message: "format `\(a.format)` is not ballast-assumptions-v1",
                fix: "rebuild the file with this version of ballast")
        }
        guard a.contentDigest == a.digest else {
            throw InvestmentProcessError(
                file: path, field: "digest",
                message: "the assumptions' content does not match their digest: the file was changed after it was built",
                fix: "rebuild the assumptions with `ballast assumptions build` (and approve them again) instead of editing numbers by hand")
        }
        return a
    }
}

/// Builds capital-market assumptions from a specification and a universe.
public struct AssumptionsBuilder: Sendable {
    /// The rule.
    public var specification: AssumptionsSpecification
    /// The universe it applies to.
    public var universe: AssetUniverse
    /// Digests of the files read (specification, universe, data), recorded in every result.
    public var inputs: [CapitalMarketAssumptions.Input]
    /// Where the specification came from, for messages.
    public var source: String

    /// A builder from a specification file: reads it, the universe it names, and the data.
    ///
    /// - Throws: ``InvestmentProcessError`` or `MarketDataError` naming the file and field.
    public init(path: String) throws {
        let (spec, data) = try decodeProcessFile(
            AssumptionsSpecification.self, path: path,
            missingFix: "check the path; the bundled specification is market-data/multi-asset/assumptions.json",
            fieldFix: "correct the specification at that field")
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let universePath = spec.universe.hasPrefix("/") ? spec.universe : folder.appendingPathComponent(spec.universe).path
        let universe = try AssetUniverse.load(path: universePath)
        let universeFolder = URL(fileURLWithPath: universePath).deletingLastPathComponent()
        var inputs = [CapitalMarketAssumptions.Input(file: URL(fileURLWithPath: path).lastPathComponent, sha256: AuditEntry.digest(data))]
        // Every input is digested; an input that cannot be read is an error, never an empty digest.
        func digest(_ file: String, at full: String) throws(InvestmentProcessError) -> CapitalMarketAssumptions.Input {
            guard let d = AuditEntry.digest(file: full) else {
                throw InvestmentProcessError(file: full, message: "cannot be read", fix: "check that the file exists and may be read")
            }
            return .init(file: file, sha256: d)
        }
        inputs.append(try digest(spec.universe, at: universePath))
        for f in universe.inputFiles { inputs.append(try digest(f, at: universeFolder.appendingPathComponent(f).path)) }
        try self.init(specification: spec, universe: universe, inputs: inputs, source: path)
    }

    /// A builder from values (the inputs' digests as the caller computed them).
    ///
    /// - Throws: ``InvestmentProcessError`` for a specification that does not fit the universe.
    public init(
        specification: AssumptionsSpecification, universe: AssetUniverse, inputs: [CapitalMarketAssumptions.Input] = [],
        source: String = "<assumptions>"
    ) throws(InvestmentProcessError) {
        self.specification = specification
        self.universe = universe
        self.inputs = inputs
        self.source = source
        try validate()
    }

    func fail(_ field: String, _ message: String, _ fix: String) -> InvestmentProcessError {
        InvestmentProcessError(file: source, field: field, message: message, fix: fix)
    }

    /// Checks the specification against the universe.
    func validate() throws(InvestmentProcessError) {
        let s = specification
        let symbols = Set(universe.levels.symbols)
        guard s.effectiveMinimumMonths >= 24, s.effectiveWindowMonths >= s.effectiveMinimumMonths else {
            throw fail(
                "windowMonths", "the window (\(s.effectiveWindowMonths) months, at least \(s.effectiveMinimumMonths)) is too short",
                "use at least 24 months, and a window no shorter than minimumMonths")
        }
        let e = s.expectedReturns
        if let rf = e.riskFreeRate, !(rf > -0.05 && rf < 0.3) {
            throw fail(
                "expectedReturns.riskFreeRate", "risk-free rate \(rf) is outside -5% to 30% a year", "write it as a fraction: 0.02 is 2%")
        }
        if let c = e.cashMember, !symbols.contains(c) {
            throw fail(
                "expectedReturns.cashMember", "\(c) is not a member of the universe", "name a member such as \(cashSymbol ?? "TBILLS")")
        }
        if e.riskFreeRate == nil && cashSymbol == nil {
            throw fail(
                "expectedReturns.riskFreeRate", "no risk-free rate is given and the universe has no cash member",
                "give riskFreeRate, or a cash member in the universe")
        }
        switch e.method {
        case .equilibrium:
            guard let w = e.marketWeights, !w.isEmpty else {
                throw fail("expectedReturns.marketWeights", "equilibrium returns need market weights", "give a weight for every member")
            }
            for sym in w.keys.sorted() where !symbols.contains(sym) {
                throw fail("expectedReturns.marketWeights.\(sym)", "\(sym) is not a member of the universe", "use the universe's symbols")
            }
            for sym in universe.levels.symbols where w[sym] == nil {
                throw fail("expectedReturns.marketWeights", "\(sym) has no market weight", "give every member a weight (0 for none)")
            }
            if let bad = w.sorted(by: { $0.key < $1.key }).first(where: { !($0.value >= 0) }) {
                throw fail("expectedReturns.marketWeights.\(bad.key)", "weight \(bad.value) is negative", "market weights are 0 or more")
            }
            guard w.values.reduce(0, +) > 0 else {
                throw fail("expectedReturns.marketWeights", "the market weights sum to 0", "give the members' market values or shares")
            }
            guard let src = e.marketWeightsSource, !src.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw fail(
                    "expectedReturns.marketWeightsSource", "the source of the market weights is not stated",
                    "say where the weights come from, so that the committee can check them")
            }
            switch (e.riskAversion, e.marketSharpeRatio) {
            case (let d?, nil) where d > 0 && d < 50: break
            case (nil, let sr?) where sr > 0 && sr < 2: break
            default:
                throw fail(
                    "expectedReturns.riskAversion", "give either riskAversion (0 to 50) or marketSharpeRatio (0 to 2), not both",
                    "for example \"marketSharpeRatio\": 0.35")
            }
            if let t = e.tau, !(t > 0 && t <= 1) {
                throw fail("expectedReturns.tau", "tau \(t) is outside (0, 1]", "use a small value such as 0.05")
            }
            for (k, v) in (e.views ?? []).enumerated() {
                let f = "expectedReturns.views[\(k)]"
                guard v.confidence >= 0 && v.confidence <= 1 else {
                    throw fail(f + ".confidence", "confidence \(v.confidence) is outside 0 to 1", "write it as a fraction: 0.5 is 50%")
                }
                if v.kind == .yield {
                    guard let a = v.asset, universe.yields[a] != nil else {
                        throw fail(
                            f + ".asset", "a yield view names a member made from par yields (\(v.asset ?? "none given"))",
                            "name one of \(universe.yields.keys.sorted().joined(separator: ", "))")
                    }
                    if v.expectedReturn != nil {
                        throw fail(
                            f + ".expectedReturn", "a yield view takes its return from the yield at the date",
                            "leave expectedReturn out of a yield view")
                    }
                } else {
                    guard let r = v.expectedReturn, r.isFinite && abs(r) < 0.5 else {
                        throw fail(
                            f + ".expectedReturn", "\(v.expectedReturn.map { "\($0)" } ?? "no return") is not a plausible annual return",
                            "write it as a fraction: 0.05 is 5%")
                    }
                }
                let named = v.kind == .relative ? [v.long, v.short] : [v.asset]
                for n in named {
                    guard let n, symbols.contains(n) else {
                        throw fail(
                            f, "the view names \(n ?? "no member") (\(v.kind == .absolute ? "asset" : "long and short"))",
                            "name members of the universe: \(universe.levels.symbols.joined(separator: ", "))")
                    }
                }
                if v.kind == .relative && v.long == v.short {
                    throw fail(f, "a relative view needs two different members", "name a long and a short member")
                }
            }
        case .capm:
            if let m = e.capmMarket, !symbols.contains(m) {
                throw fail("expectedReturns.capmMarket", "\(m) is not a member of the universe", "name the market member")
            }
        case .historicalMean, .jamesStein: break
        }
    }

    /// The cash member: the specification's, or the universe's member of class `cash`.
    var cashSymbol: String? {
        specification.expectedReturns.cashMember ?? universe.specification.members.first { $0.assetClass == "cash" }?.symbol
    }

    /// The monthly returns of the window ending on `date` (the last month on or before it).
    public func window(asOf date: MarketDate) throws -> ReturnSeries {
        let levels = universe.levels
        guard let last = levels.lastIndex(onOrBefore: date) else {
            throw fail("asOf", "the universe starts on \(levels.dates[0]), after \(date)", "choose a date from \(levels.dates[0]) on")
        }
        let months = min(specification.effectiveWindowMonths, last)
        guard months >= specification.effectiveMinimumMonths else {
            throw fail(
                "asOf", "only \(months) monthly returns up to \(date) (the rule needs \(specification.effectiveMinimumMonths))",
                "choose a date at least \(specification.effectiveMinimumMonths) months after \(levels.dates[0])")
        }
        let table = levels.selectingRows((last - months)..<(last + 1))
        return try table.returns(periodsPerYear: 12)
    }

    /// The assumptions as of `date` (default: the universe's last common date), from data up
    /// to that date only.
    ///
    /// - Throws: ``InvestmentProcessError`` for a window too short, `RiskModelError` for an
    ///   estimation failure.
    public func build(asOf date: MarketDate? = nil) throws -> CapitalMarketAssumptions {
        let returns = try window(asOf: date ?? universe.lastCommonDate)
        // The assumptions are dated by the last month of data they use, never later.
        let day = returns.dates.last!
        let symbols = returns.symbols
        let n = symbols.count
        let s = specification
        let estimate: CovarianceEstimate
        switch s.covariance ?? .ledoitWolf {
        case .ledoitWolf: estimate = try LedoitWolfCovariance(target: .constantCorrelation).estimate(returns)
        case .oas: estimate = try OracleApproximatingCovariance().estimate(returns)
        case .sample: estimate = try SampleCovariance().estimate(returns)
        }
        var sigma = estimate.matrix
        sigma.symmetrize()
        let historical = try MeanReturn().estimate(returns)
        let e = s.expectedReturns
        // The risk-free rate: stated, or the cash member's last 12 months compounded.
        let rf: Double
        let rfSource: String
        if let r = e.riskFreeRate {
            rf = r
            rfSource = "stated in the specification"
        } else {
            let j = symbols.firstIndex(of: cashSymbol!)!
            let column = Array(returns.column(j))
            let last12 = column.suffix(12)
            rf = last12.reduce(1) { $0 * (1 + $1) } - 1
            rfSource = "\(cashSymbol!) over the 12 months to \(returns.dates.last!)"
        }
        var mu = historical
        var prior: [Double]?
        var method = CapitalMarketAssumptions.Method(
            covariance: estimate.method.description, shrinkage: estimate.shrinkage, expectedReturns: e.method.rawValue, riskAversion: nil,
            tau: nil, riskFreeRate: rf, riskFreeRateSource: rfSource, marketWeights: nil, marketWeightsSource: nil, views: nil)
        switch e.method {
        case .historicalMean:
            break
        case .jamesStein:
            mu = Self.bayesStein(mean: historical, covariance: sigma, observations: returns.observationCount)
        case .capm:
            let marketSymbol = e.capmMarket ?? universe.specification.members.first { $0.assetClass.hasSuffix("equity") }!.symbol
            let j = symbols.firstIndex(of: marketSymbol)!
            let market = ReturnSeries(symbols: [marketSymbol], dates: returns.dates, values: Array(returns.column(j)), periodsPerYear: 12)
            mu = try CAPMReturn(market: market, riskFreeRate: rf, compounding: false).estimate(returns)
        case .equilibrium:
            let raw = e.marketWeights!
            let total = symbols.reduce(0) { $0 + raw[$1]! }  // in the universe's order: the same sum every run
            let w = symbols.map { raw[$0]! / total }
            let delta: Double
            if let d = e.riskAversion {
                delta = d
            } else {
                let variance = zip(w, sigma.times(w)).reduce(0) { $0 + $1.0 * $1.1 }
                delta = e.marketSharpeRatio! / variance.squareRoot()
            }
            let tau = e.tau ?? 0.05
            let model = BlackLitterman(covariance: sigma, marketWeights: w, riskAversion: delta, tau: tau, riskFreeRate: rf)
            prior = model.priorReturns
            mu = prior!
            if var views = e.views, !views.isEmpty {
                var picks: [[Double]] = []
                for k in views.indices {
                    let v = views[k]
                    var row = [Double](repeating: 0, count: n)
                    if v.kind == .yield {
                        let monthly = universe.yields[v.asset!]!
                        guard let y = monthly.filter({ $0.key <= returns.dates.last! }).max(by: { $0.key < $1.key })?.value else {
                            throw fail("expectedReturns.views[\(k)]", "\(v.asset!) has no yield up to \(day)", "choose a later date")
                        }
                        views[k].expectedReturn = y
                        row[symbols.firstIndex(of: v.asset!)!] = 1
                    } else if v.kind == .absolute {
                        row[symbols.firstIndex(of: v.asset!)!] = 1
                    } else {
                        row[symbols.firstIndex(of: v.long!)!] = 1
                        row[symbols.firstIndex(of: v.short!)!] = -1
                    }
                    picks.append(row)
                }
                let posterior = try model.posterior(
                    BlackLittermanViews(picks: picks, returns: views.map { $0.expectedReturn! }, confidences: views.map(\.confidence)))
                mu = posterior.expectedReturns
                method.views = views
            }
            method.riskAversion = delta
            method.tau = tau
            method.marketWeights = Dictionary(uniqueKeysWithValues: zip(symbols, w))
            method.marketWeightsSource = e.marketWeightsSource
            method.expectedReturns = (e.views ?? []).isEmpty ? "equilibrium" : "equilibrium with Black-Litterman views"
        }
        // Stored to 12 significant digits: the last bits of a BLAS reduction can differ from
        // run to run (thread splits), and a governed file must be byte-identical when its inputs are.
        let r12 = Self.significant12
        let vols = sigma.diagonal.map { r12(max($0, 0).squareRoot()) }
        let assets = (0..<n).map { j in
            CapitalMarketAssumptions.Asset(
                symbol: symbols[j], assetClass: universe.member(symbols[j])?.assetClass ?? "other", expectedReturn: r12(mu[j]),
                volatility: vols[j], equilibriumReturn: prior.map { r12($0[j]) }, historicalMean: r12(historical[j]))
        }
        method.riskFreeRate = r12(method.riskFreeRate)
        method.riskAversion = method.riskAversion.map(r12)
        let window = EstimationWindow(start: returns.dates.first!, end: returns.dates.last!, observations: returns.observationCount)
        var result = CapitalMarketAssumptions(
            format: "ballast-assumptions-v1", name: s.name, version: "\(s.version)@\(day)", author: s.author, asOf: day,
            universe: "\(universe.specification.name) \(universe.specification.version)", inputs: inputs, window: window,
            method: method, assets: assets, covariance: (0..<n).map { i in (0..<n).map { r12(sigma[i, $0]) } },
            approval: .init(status: .draft), digest: "")
        result.digest = result.contentDigest
        return result
    }

    /// `x` rounded to 12 significant digits.
    static func significant12(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        return Double(String(format: "%.11e", x)) ?? x
    }

    /// Jorion's (1986) Bayes-Stein estimator: the sample mean shrunk toward the mean of the
    /// minimum-variance portfolio, `mu0`, with intensity
    /// `w = (N + 2) / ((N + 2) + T (mu - mu0 1)ᵀ Sigma⁻¹ (mu - mu0 1))`, all on annualised
    /// figures scaled back to periods (`T` observations).
    static func bayesStein(mean: [Double], covariance: Matrix, observations t: Int) -> [Double] {
        let n = mean.count
        guard let chol = try? Cholesky(covariance) else { return mean }
        let ones = [Double](repeating: 1, count: n)
        let inverseOnes = chol.solve(ones)
        let denominator = inverseOnes.reduce(0, +)
        let mu0 = zip(inverseOnes, mean).reduce(0) { $0 + $1.0 * $1.1 } / denominator
        let d = mean.map { $0 - mu0 }
        let q = zip(d, chol.solve(d)).reduce(0) { $0 + $1.0 * $1.1 }
        // Annualised mean and covariance: the quadratic form scales with 1/12 per period.
        let quadratic = Double(t) * q / 12
        let w = Double(n + 2) / (Double(n + 2) + quadratic)
        return mean.map { (1 - w) * $0 + w * mu0 }
    }
}

/// The change of one member's assumptions between two sets.
public struct AssumptionChange: Sendable, Codable, Equatable {
    /// The member.
    public var symbol: String
    /// Its class.
    public var assetClass: String
    /// Expected return before and after (nil where the member is absent).
    public var expectedReturn: [Double?]
    /// Volatility before and after.
    public var volatility: [Double?]
}

/// What changed between two sets of assumptions.
public struct AssumptionsDiff: Sendable, Codable, Equatable {
    /// The two versions.
    public var versions: [String]
    /// Per member, in the order of the second set, then members only in the first.
    public var changes: [AssumptionChange]
    /// Method and parameter fields that differ, as `field: before -> after`.
    public var methodChanges: [String]

    /// Compares `a` (before) with `b` (after).
    public init(_ a: CapitalMarketAssumptions, _ b: CapitalMarketAssumptions) {
        versions = [a.version, b.version]
        var out: [AssumptionChange] = []
        let before = Dictionary(uniqueKeysWithValues: a.assets.map { ($0.symbol, $0) })
        let after = Set(b.symbols)
        for x in b.assets {
            let o = before[x.symbol]
            out.append(
                .init(
                    symbol: x.symbol, assetClass: x.assetClass, expectedReturn: [o?.expectedReturn, x.expectedReturn],
                    volatility: [o?.volatility, x.volatility]))
        }
        for x in a.assets where !after.contains(x.symbol) {
            out.append(
                .init(
                    symbol: x.symbol, assetClass: x.assetClass, expectedReturn: [x.expectedReturn, nil], volatility: [x.volatility, nil]))
        }
        changes = out
        var m: [String] = []
        func note<T: Equatable>(_ name: String, _ x: T, _ y: T) { if x != y { m.append("\(name): \(x) -> \(y)") } }
        note("window", "\(a.window.start)..\(a.window.end)", "\(b.window.start)..\(b.window.end)")
        note("covariance", a.method.covariance, b.method.covariance)
        note("expected returns", a.method.expectedReturns, b.method.expectedReturns)
        note(
            "risk aversion", a.method.riskAversion.map { String(format: "%.4f", $0) } ?? "-",
            b.method.riskAversion.map { String(format: "%.4f", $0) } ?? "-")
        note("tau", a.method.tau.map { "\($0)" } ?? "-", b.method.tau.map { "\($0)" } ?? "-")
        note("risk-free rate", String(format: "%.4f", a.method.riskFreeRate), String(format: "%.4f", b.method.riskFreeRate))
        note("views", a.method.views?.count ?? 0, b.method.views?.count ?? 0)
        note("approval", a.approval.status.rawValue, b.approval.status.rawValue)
        methodChanges = m
    }
}

extension CapitalMarketAssumptions {
    /// What was done to a set of assumptions, for the audit trail.
    public enum AuditAction: String, Sendable, Codable {
        /// Built from a specification.
        case build = "assumptions build"
        /// Approved.
        case approve = "assumptions approve"
    }

    /// The audit record of building or approving these assumptions: the inputs' digests, the
    /// parameters as given, and as outputs the version, the content digest and the approval.
    public func auditEntry(_ action: AuditAction, engineVersion: String, parameters: [String: String] = [:]) -> AuditEntry {
        struct Outputs: Encodable {
            let version: String
            let asOf: String
            let digest: String
            let approval: Approval
            let expectedReturns: [String: Double]
        }
        var inputDigests: [String: String] = [:]
        for i in inputs { inputDigests[i.file] = i.sha256 }
        let outputs = Outputs(
            version: version, asOf: asOf.description, digest: digest, approval: approval,
            expectedReturns: Dictionary(uniqueKeysWithValues: assets.map { ($0.symbol, $0.expectedReturn) }))
        return AuditEntry(
            command: AuditCommand(rawValue: action.rawValue), engineVersion: engineVersion, inputs: inputDigests, parameters: parameters,
            outputs: AuditDigest.canonicalJSON(outputs))
    }
}

extension CapitalMarketAssumptions {
    /// The assumptions approved by `approver` with `note`, stamped with `time`: the numbers and
    /// their digest do not change. An approval is a record: approved assumptions are never
    /// approved again (a change needs a new version).
    ///
    /// - Parameters:
    ///   - approver: who approves (a person or a committee).
    ///   - note: a note for the record.
    ///   - time: when (default now).
    ///   - file: the file the assumptions came from, for messages.
    /// - Throws: ``InvestmentProcessError`` when they are approved already.
    public func approved(by approver: String, note: String?, at time: Date = Date(), file: String) throws(InvestmentProcessError)
        -> CapitalMarketAssumptions
    {
        if approval.status == .approved {
            throw InvestmentProcessError(
                file: file, field: "approval",
                message:
                    "\(version) is already approved by \(approval.approvedBy ?? "someone") at \(approval.approvedAt ?? "an unrecorded time")",
                fix: "build a new version with `ballast assumptions build` to change anything; the approval stays as recorded")
        }
        var a = self
        a.approval = .init(status: .approved, approvedBy: approver, approvedAt: ISO8601DateFormatter().string(from: time), note: note)
        return a
    }

    /// The file's text: the JSON written by `assumptions build` and `approve`, with a final newline.
    public var fileText: String {
        get throws { String(decoding: try CapitalMarketAssumptions.encoder.encode(self), as: UTF8.self) + "\n" }
    }
}

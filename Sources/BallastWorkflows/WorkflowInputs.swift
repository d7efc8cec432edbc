import BallastLinearAlgebra
import BallastMarketData
import BallastProfiling
import Crypto
import Foundation

/// The product universes Ballast advises on.
public enum ProductUniverse: String, Sendable, Codable, CaseIterable {
    /// The investment process's multi-asset universe: the model menu from governed
    /// capital-market assumptions.
    case multiAsset = "multi-asset"
    /// The stock demonstration universe (20 US stocks and 5 factor ETFs), the level models
    /// estimated on the spot.
    case stocks
}

/// The files a workflow reads, by the names a user gives them, with the bundled defaults, and
/// how they are found and checked: the one place the commands and an embedding service take
/// their inputs from.
///
/// Every path goes through ``resolve`` before it is opened, so that a service can map the
/// bundled names (`market-data/catalog.json`) to its own storage, and the command line to the
/// bundled data folder (``BundledData``).
public struct WorkflowInputs: Sendable {
    /// The questionnaire definition.
    public var questionnaire = "profiles/questionnaire-v1.json"
    /// The risk levels' parameters.
    public var levels = "profiles/levels.json"
    /// The product catalogue of the stock universe (ratings, lot sizes).
    public var catalog = "market-data/catalog.json"
    /// The pseudonymisation key file (unless `BALLAST_PSEUDONYM_KEY` is set); empty when no
    /// home folder is known, which ``pseudonymKey()`` reports.
    public var keyFile: String =
        ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 + "/.ballast/pseudonym.key" }
        ?? ""
    /// The market index: behaviour signals and the default benchmark.
    public var market = "market-data/sp500_index.csv"
    /// The capital-market assumptions specification of the multi-asset universe.
    public var assumptionsSpecification = "market-data/multi-asset/assumptions.json"
    /// The investment policy of the multi-asset universe.
    public var investmentPolicy = "market-data/multi-asset/policy.json"
    /// Whether the policy's resampling is kept (`false`: plain mean-variance).
    public var resampling = true
    /// The universe; `nil`: the multi-asset universe, or the stocks when ``prices`` are given.
    public var universe: ProductUniverse?
    /// Product price files of the stock universe; empty: ``stockPrices``.
    public var prices: [String] = []
    /// How price files are checked.
    public var priceCheck = PriceCheck()
    /// A user's name of a file to the path to open.
    public var resolve: @Sendable (String) throws -> String = { $0 }

    /// The stock universe's bundled price files (the 20 stocks and the 5 factor ETFs).
    public static let stockPrices = [stockPriceFile, "market-data/factors_etf5.csv"]
    /// The stock universe's share prices (20 US stocks), the default of the analytics commands.
    public static let stockPriceFile = "market-data/sp500_20.csv"

    /// The bundled defaults, paths as given.
    public init() {}

    /// The universe in effect.
    public var effectiveUniverse: ProductUniverse { universe ?? (prices.isEmpty ? .multiAsset : .stocks) }

    /// The stock universe's price files in effect.
    public var stockPriceFiles: [String] { prices.isEmpty ? Self.stockPrices : prices }

    /// Checks that the universe and the price files agree.
    ///
    /// - Throws: ``WorkflowInputError`` when price files are given for the multi-asset universe.
    public func validate() throws(WorkflowInputError) {
        if universe == .multiAsset && !prices.isEmpty {
            throw WorkflowInputError(
                "--prices replaces the multi-asset universe's data; give --universe stocks with price files, or your own universe through --spec"
            )
        }
    }

    /// The questionnaire.
    public func loadQuestionnaire() throws -> Questionnaire { try Questionnaire.read(path: try resolve(questionnaire)) }
    /// The levels file.
    public func loadLevels() throws -> RiskLevels { try RiskLevels.read(path: try resolve(levels)) }
    /// The stock universe's catalogue.
    public func loadCatalog() throws -> ProductCatalog { try ProductCatalog.read(path: try resolve(catalog)) }
    /// The pseudonymisation key (see `Privacy.pseudonymKey(keyFile:environment:)`).
    public func pseudonymKey() throws -> SymmetricKey { try Privacy.pseudonymKey(keyFile: keyFile) }

    /// The assumptions builder and the investment policy (resampling dropped when
    /// ``resampling`` is off).
    public func loadProcessInputs() throws -> (AssumptionsBuilder, InvestmentPolicy) {
        // Small problems, draws in parallel: BLAS threads would only contend with them.
        BLASThreads.set(1)
        let builder = try AssumptionsBuilder(path: try resolve(assumptionsSpecification))
        var p = try InvestmentPolicy.read(path: try resolve(investmentPolicy))
        if !resampling { p.resampling = nil }
        return (builder, p)
    }

    /// The investment process of the multi-asset universe, whatever the universe in effect.
    public func loadProcess() throws -> InvestmentProcess {
        let (builder, policy) = try loadProcessInputs()
        return InvestmentProcess(assumptions: builder, policy: policy)
    }

    /// The investment process when the multi-asset universe is in effect, else `nil`.
    public func process() throws -> InvestmentProcess? { effectiveUniverse == .multiAsset ? try loadProcess() : nil }

    /// Reads, checks and joins price files (named as the user gives them).
    ///
    /// - Returns: the files and the warnings of the price check.
    public func loadPrices(_ paths: [String]) throws -> (set: PriceFileSet, warnings: [String]) {
        try priceCheck.load(paths.map(resolve))
    }

    /// The levels in effect: the process's limits on the multi-asset universe, the file's
    /// otherwise.
    public func levels(for process: InvestmentProcess?) throws -> RiskLevels {
        let base = try loadLevels()
        return try process.map { try $0.levels(base) } ?? base
    }

    /// The parameters of an audit record that name the universe and its inputs.
    public var universeParameters: [String: String] {
        var p = ["universe": effectiveUniverse.rawValue]
        if effectiveUniverse == .multiAsset {
            p["assumptionsSpecification"] = assumptionsSpecification
            p["investmentPolicy"] = investmentPolicy
        }
        return p
    }

    /// The prices and models of plans on `asOf`: the process's universe, the price files,
    /// or a price map (`{symbol: price}`) with the universe's history.
    public func planMarket(asOf: MarketDate?, priceMap: String? = nil) throws -> PlanMarket {
        let process = try process()
        let files = try stockPriceFiles.map(resolve)
        let origin: PlanMarket.Source =
            if let priceMap {
                .priceMap(try resolve(priceMap), process: process, history: files)
            } else if let process {
                .process(process)
            } else {
                .files(files)
            }
        return try PlanMarket.load(origin, asOf: asOf, check: priceCheck)
    }

    /// A back-test setup reading these inputs (prices through the price check, the process,
    /// the levels and the catalogue).
    public var backtestSetup: BacktestSetup {
        let inputs = self
        return BacktestSetup(
            sources: .init(
                resolve: inputs.resolve, prices: { try inputs.loadPrices($0).set.table }, process: { try inputs.loadProcess() },
                levels: { try inputs.loadLevels() }, catalog: { try inputs.loadCatalog() }))
    }
}

/// Inputs that cannot be used together, with the fix.
public struct WorkflowInputError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// An error with its message.
    public init(_ description: String) { self.description = description }
}

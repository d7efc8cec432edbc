import BallastBacktest
import BallastMarketData
import BallastOptimization
import BallastProfiling
import Foundation
import Synchronization

/// The investment process as one rule: a universe, the rule that turns its data into
/// capital-market assumptions, and the investment policy that turns assumptions into the
/// model menu, with a review schedule.
///
/// The menu in force on a date is the one built at the last review on or before it. Reviews
/// fall every ``reviewMonths`` months from the first month with enough history for the
/// assumptions (the specification's `minimumMonths`); at each, the assumptions are built from
/// the data up to that month only and the menu against the previous review's menu, so that
/// the policy's turnover limit holds from one review to the next. `recommend`, `rebalance`,
/// `models`, the level back-test and `models validate` all walk these reviews, so the model a
/// customer is sold on a date is the model the back-test held on that date.
///
/// The problems are small (a few assets) and the resampling's draws run on every core: BLAS
/// threads only contend with them, so a caller that walks reviews does best with
/// `BLASThreads.set(1)` (the command-line tool sets it). The results do not depend on it.
public struct InvestmentProcess: Sendable {
    /// The assumptions rule and its universe.
    public var assumptions: AssumptionsBuilder { didSet { cache = ReviewCache() } }
    /// The investment policy.
    public var policy: InvestmentPolicy { didSet { cache = ReviewCache() } }
    /// Months between reviews (default 12).
    public var reviewMonths: Int { didSet { cache = ReviewCache() } }
    /// The reviews walked so far (shared by copies until one of them changes a property).
    private var cache = ReviewCache()

    /// A process from values.
    public init(assumptions: AssumptionsBuilder, policy: InvestmentPolicy, reviewMonths: Int = 12) {
        self.assumptions = assumptions
        self.policy = policy
        self.reviewMonths = reviewMonths
    }

    /// Reads the assumptions specification (and the universe and data it names) and the policy.
    ///
    /// - Throws: ``InvestmentProcessError`` or `MarketDataError` naming the file and field.
    public init(specification: String, policy: String, reviewMonths: Int = 12) throws {
        self.init(
            assumptions: try AssumptionsBuilder(path: specification), policy: try InvestmentPolicy.read(path: policy),
            reviewMonths: reviewMonths)
    }

    /// The universe.
    public var universe: AssetUniverse { assumptions.universe }

    /// The products' prices: each member's index level, 100 on the universe's first month
    /// (the unit price of the fund that tracks it).
    public var prices: PriceTable { universe.levels }

    /// The universe's last common date: the default date of every command.
    public var lastDate: MarketDate { universe.lastCommonDate }

    /// The product catalogue on `date` (ratings from data up to it).
    public func catalog(asOf date: MarketDate) -> ProductCatalog { universe.catalog(asOf: date) }

    /// The catalogue in force on `date`: product ratings are re-assessed at each review, with
    /// the menu, and hold until the next (before the first review, the ratings of `date`).
    public func catalogInForce(asOf date: MarketDate) -> ProductCatalog {
        universe.catalog(asOf: reviewDates(through: date).last ?? date)
    }

    /// The review dates on or before `date`.
    public func reviewDates(through date: MarketDate) -> [MarketDate] {
        reviewRows(through: date).map { prices.dates[$0] }
    }

    func reviewRows(through date: MarketDate) -> [Int] {
        guard let last = prices.lastIndex(onOrBefore: date) else { return [] }
        let first = assumptions.specification.effectiveMinimumMonths
        guard first <= last else { return [] }
        return Array(stride(from: first, through: last, by: reviewMonths))
    }

    /// The reviews up to `date`, each with its assumptions, catalogue and menu.
    ///
    /// - Parameters:
    ///   - date: the last date; the reviews on or before it are walked.
    ///   - progress: called after each review with (done, total).
    /// - Throws: ``InvestmentProcessError`` when there is no review by `date` or a menu cannot
    ///   be built (the message names the review date); `RiskModelError` for an estimation failure.
    public func reviews(through date: MarketDate, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> [MenuReview] {
        let rows = reviewRows(through: date)
        // Reviews depend only on the data up to their date: a walk that reached this far is reused.
        if let last = rows.last, let known = cache.walked.withLock({ $0 }),
            let k = known.firstIndex(where: { $0.date == prices.dates[last] })
        {
            progress?(k + 1, k + 1)
            return Array(known[...k])
        }
        guard !rows.isEmpty else {
            let first = assumptions.specification.effectiveMinimumMonths
            let earliest = first < prices.rowCount ? prices.dates[first].description : "a date the universe does not reach"
            throw InvestmentProcessError(
                field: "asOf",
                message:
                    "the first review of the model menu is on \(earliest) (\(first) months of data after \(prices.dates[0])); there is no menu on \(date)",
                fix: "choose a date from \(earliest) on")
        }
        var out: [MenuReview] = []
        var previous: ModelMenu?
        for (k, i) in rows.enumerated() {
            let day = prices.dates[i]
            do {
                let a = try assumptions.build(asOf: day)
                let catalog = universe.catalog(asOf: day)
                let (menu, results) = try ModelMenuBuilder(assumptions: a, policy: policy, catalog: catalog, previous: previous)
                    .buildWithResults()
                out.append(MenuReview(assumptions: a, catalog: catalog, menu: menu, results: results))
                previous = menu
            } catch let e as InvestmentProcessError {
                throw InvestmentProcessError(file: e.file, field: e.field, message: "at the review of \(day): " + e.message, fix: e.fix)
            }
            progress?(k + 1, rows.count)
        }
        cache.walked.withLock { known in
            if (known?.count ?? 0) < out.count { known = out }
        }
        return out
    }

    /// The review in force on `date`: the last one on or before it.
    ///
    /// - Throws: what ``reviews(through:progress:)`` throws.
    public func review(asOf date: MarketDate) throws -> MenuReview {
        try reviews(through: date).last!
    }

    /// The review in force on `asOf`, or on the universe's last common date when `nil`, with
    /// the date it was resolved to (the last price date on or before `asOf`).
    ///
    /// - Throws: `MarketDataError` for a date outside the prices; what ``review(asOf:)`` throws.
    public func reviewInForce(asOf: MarketDate?) throws -> (review: MenuReview, date: MarketDate) {
        let day = try prices.resolveAsOf(asOf).date
        return (try review(asOf: day), day)
    }

    /// Builds a menu as `ballast models build` does: from approved (or draft) assumptions read
    /// from `assumptionsFile`, or from assumptions built from data up to `asOf`, against the
    /// menu in `previousMenuFile` for the turnover limit.
    ///
    /// - Parameters:
    ///   - asOf: build the assumptions from data up to this date (default: the last common date).
    ///   - assumptionsFile: an assumptions file to use instead of building them.
    ///   - previousMenuFile: the previous menu, for the turnover limit.
    ///   - warning: told when the assumptions file is a draft, not approved for advice.
    /// - Throws: ``InvestmentProcessError`` for a bad file; what building throws.
    public func buildMenu(
        asOf: MarketDate? = nil, assumptionsFile: String? = nil, previousMenuFile: String? = nil, warning: (String) -> Void = { _ in }
    ) throws -> ModelMenu {
        let a: CapitalMarketAssumptions
        if let assumptionsFile {
            a = try CapitalMarketAssumptions.read(path: assumptionsFile)
            if a.approval.status != .approved {
                warning("\(assumptionsFile) is a draft; approve it with `ballast assumptions approve` before it is used for advice")
            }
        } else {
            a = try assumptions.build(asOf: asOf)
        }
        let prior = try previousMenuFile.map { path throws(InvestmentProcessError) in try ModelMenu.read(path: path) }
        return try ModelMenuBuilder(assumptions: a, policy: policy, catalog: assumptions.universe.catalog(asOf: a.asOf), previous: prior)
            .build()
    }

    /// The policy's level `level` (1 to 5).
    ///
    /// - Throws: ``InvestmentProcessError`` when the policy has no such level.
    public func policyLevel(_ level: Int) throws(InvestmentProcessError) -> InvestmentPolicy.Level {
        guard let l = policy.levels.first(where: { $0.level == level }) else {
            throw InvestmentProcessError(
                field: "levels", message: "the policy has no level \(level)", fix: "list every level of the questionnaire in the policy")
        }
        return l
    }

    /// A profiling level with the policy's limits for it: the policy's volatility cap, rating
    /// limit and cash floor replace the levels file's, so that suitability is checked against
    /// the limits the model was built under.
    ///
    /// - Throws: ``InvestmentProcessError`` when the policy has no such level.
    public func parameters(_ base: LevelParameters) throws(InvestmentProcessError) -> LevelParameters {
        let l = try policyLevel(base.level)
        var p = base
        p.volatilityCap = l.volatilityCap
        p.maxProductRating = l.maxProductRating
        p.minCashShare = l.cashFloor
        p.maxRiskyShare = 1 - l.cashFloor
        return p
    }

    /// The levels with the policy's limits (see ``parameters(_:)``): what a profile under the
    /// process shows and what suitability is checked against.
    ///
    /// - Throws: ``InvestmentProcessError`` when the policy lacks one of the levels.
    public func levels(_ base: RiskLevels) throws(InvestmentProcessError) -> RiskLevels {
        var out = base
        for k in out.levels.indices { out.levels[k] = try parameters(out.levels[k]) }
        return out
    }

    /// A one-line description: `Ballast house view on Ballast multi-asset universe, reviewed every 12 months`.
    public var description: String {
        "\(assumptions.specification.name) \(assumptions.specification.version), \(policy.name) \(policy.version), reviewed every \(reviewMonths) months"
    }
}

/// The reviews an ``InvestmentProcess`` has walked, kept for its copies.
final class ReviewCache: Sendable {
    let walked = Mutex<[MenuReview]?>(nil)
}

/// One review of the investment process: the assumptions built on its date, the catalogue's
/// ratings then, and the menu built from them.
public struct MenuReview: Sendable {
    /// The assumptions (dated by the review's last month of data).
    public var assumptions: CapitalMarketAssumptions
    /// The products and their ratings on the review date.
    public var catalog: ProductCatalog
    /// The menu.
    public var menu: ModelMenu
    /// The optimiser's result for each level, in the order of `menu.portfolios`.
    public var results: [OptimizationResult]

    /// The review date.
    public var date: MarketDate { menu.asOf }

    /// The portfolio of `level`.
    ///
    /// - Throws: ``InvestmentProcessError`` when the menu has no such level.
    public func portfolio(level: Int) throws(InvestmentProcessError) -> (MenuPortfolio, OptimizationResult) {
        guard let k = menu.portfolios.firstIndex(where: { $0.level == level }) else {
            throw InvestmentProcessError(field: "levels", message: "the menu has no level \(level)", fix: "choose a level of the policy")
        }
        return (menu.portfolios[k], results[k])
    }
}

/// A level of the model menu in a back-test: at each decision date, the weights of the menu
/// of the last review on or before it (each review's menu built from data up to its date
/// only), as ``InvestmentProcess`` defines the menu in force.
public struct MenuReviewStrategy: AllocationStrategy {
    /// The level (1 to 5).
    public var level: Int
    /// The reviews, oldest first.
    public var reviews: [MenuReview]
    /// The process, for the name.
    public var processName: String

    /// The strategy for `level` over `reviews`.
    public init(level: Int, reviews: [MenuReview], processName: String) {
        self.level = level
        self.reviews = reviews
        self.processName = processName
    }

    /// `level C3 of the model menu (…)`.
    public var name: String { "level C\(level) of the model menu (\(processName))" }

    /// The weights in force on the history's date; throws before the first review.
    public func targetWeights(history: PriceHistory) throws -> [String: Double] {
        guard let review = reviews.last(where: { $0.date <= history.date }) else {
            throw BacktestError(
                "there is no review of the model menu by \(history.date); the first is on \(reviews.first?.date.description ?? "no date")")
        }
        return try review.portfolio(level: level).0.weights
    }
}

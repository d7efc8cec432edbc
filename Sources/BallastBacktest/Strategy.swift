import BallastMarketData
import BallastOptimization
import BallastRiskModels
import Foundation

/// Decides target weights at a rebalancing date from the past alone.
///
/// Weights are fractions of the portfolio by symbol; the cash symbol (`CASH`) may appear and
/// whatever the weights leave over stays in cash. A thrown error is recorded in the result
/// with its reason, and the simulator keeps the previous weights.
public protocol AllocationStrategy: Sendable {
    /// A short name for tables and reports.
    var name: String { get }
    func targetWeights(history: PriceHistory) throws -> [String: Double]
}

/// The same weight in every symbol that has a price on the decision date.
public struct EqualWeight: AllocationStrategy {
    /// Restrict to these symbols (`nil`: every symbol of the price table).
    public var universe: [String]?

    /// Equal weights over `universe`, or over every symbol when `nil`.
    public init(universe: [String]? = nil) { self.universe = universe }

    /// `equal weight`.
    public var name: String { "equal weight" }

    /// `1/n` for each of the `n` symbols (of the universe) that have a price on the decision date.
    public func targetWeights(history: PriceHistory) throws -> [String: Double] {
        let names = history.tradable.filter { universe?.contains($0) ?? true }
        guard !names.isEmpty else { throw BacktestError("no symbol has a price on \(history.date)") }
        return Dictionary(uniqueKeysWithValues: names.map { ($0, 1 / Double(names.count)) })
    }
}

/// Fixed target weights.
public struct FixedWeights: AllocationStrategy {
    /// Symbol to weight; `CASH` may appear.
    public var weights: [String: Double]
    /// The name used in tables and reports.
    public var label: String

    /// Fixed weights with a display name.
    public init(_ weights: [String: Double], name: String = "fixed weights") {
        self.weights = weights
        self.label = name
    }

    /// The display name.
    public var name: String { label }

    /// The weights, after checking that every weighted symbol has a price on the decision date.
    public func targetWeights(history: PriceHistory) throws -> [String: Double] {
        for (s, w) in weights where s != BacktestResult.cashColumn && w > 0 && history.price(s) == nil {
            throw BacktestError("\(s) has no price on \(history.date)")
        }
        return weights
    }
}

/// A mean-variance portfolio re-optimised at each decision on a trailing window.
public struct MeanVarianceStrategy: AllocationStrategy {
    /// What to optimise (minimum volatility, maximum Sharpe, maximum utility, ...).
    public var objective: PortfolioObjective
    /// Bounds, groups and linear constraints, as for `MeanVarianceProblem`.
    public var constraints: PortfolioConstraints
    /// How returns and covariance are estimated (its start and end are ignored: the window is).
    public var estimation: RiskModelConfiguration
    /// Trailing window in rows (trading days).
    public var window: Int
    /// Restrict to these symbols (`nil`: every symbol with a price over the window).
    public var universe: [String]?

    /// A strategy; the window defaults to 252 trading days.
    public init(
        objective: PortfolioObjective, constraints: PortfolioConstraints = PortfolioConstraints(),
        estimation: RiskModelConfiguration = RiskModelConfiguration(), window: Int = 252, universe: [String]? = nil
    ) {
        self.objective = objective
        self.constraints = constraints
        self.estimation = estimation
        self.window = window
        self.universe = universe
    }

    /// For example `minimum volatility on a 252-day window`.
    public var name: String { "\(objective) on a \(window)-day window" }

    /// Estimates the distribution on the trailing window (assets with prices on every row of it) and solves the problem.
    public func targetWeights(history: PriceHistory) throws -> [String: Double] {
        guard history.rowCount > window else {
            throw BacktestError("only \(history.rowCount - 1) returns before \(history.date); the window needs \(window)")
        }
        var table = history.trailing(window + 1)
        // Assets with a price on every row of the window, and tradable now.
        let complete = table.symbols.indices.filter { j in
            (universe?.contains(table.symbols[j]) ?? true) && table.prices(atColumn: j).allSatisfy { $0.isFinite && $0 > 0 }
        }
        guard complete.count >= 1 else { throw BacktestError("no asset has prices over the whole window before \(history.date)") }
        table = try table.selecting(symbols: complete.map { table.symbols[$0] })
        var config = estimation
        config.start = nil
        config.end = nil
        let distribution = try config.estimate(prices: table)
        let result = try MeanVarianceProblem(distribution: distribution, objective: objective, constraints: constraints).solve()
        var weights: [String: Double] = [:]
        for (s, w) in zip(result.assets, result.weights) where abs(w) > 1e-12 { weights[s] = w }
        return weights
    }
}

/// A problem with a back-test's set-up or a strategy's decision.
public struct BacktestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, and where.
    public var message: String
    /// An error with its message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

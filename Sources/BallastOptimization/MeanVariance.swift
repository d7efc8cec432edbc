import BallastLinearAlgebra
import BallastMarketData
import BallastRiskModels
import Foundation

/// What a mean-variance optimisation maximises or minimises.
public enum PortfolioObjective: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Minimum variance `wᵀΣw`.
    case minimumVolatility
    /// Maximum Sharpe ratio `(μᵀw - rf) / sqrt(wᵀΣw)`, solved exactly by the homogenising
    /// transformation (Cornuejols & Tütüncü, *Optimization Methods in Finance*, §8.2).
    case maximumSharpe(riskFreeRate: Double)
    /// Maximum quadratic utility `μᵀw - (λ/2) wᵀΣw`.
    case maximumUtility(riskAversion: Double)
    /// Minimum variance subject to `μᵀw ≥ target`.
    case efficientReturn(targetReturn: Double)
    /// Maximum return subject to `sqrt(wᵀΣw) ≤ target`.
    case efficientRisk(targetVolatility: Double)

    /// A readable name, e.g. `maximum Sharpe (rf 0.02)`.
    public var description: String {
        switch self {
        case .minimumVolatility: "min-volatility"
        case .maximumSharpe: "max-sharpe"
        case .maximumUtility: "max-utility"
        case .efficientReturn: "efficient-return"
        case .efficientRisk: "efficient-risk"
        }
    }
}

/// A group of assets whose total weight is bounded (e.g. an asset class).
public struct AssetGroup: Sendable, Codable, Equatable {
    /// A name for messages.
    public var name: String
    /// The symbols in the group.
    public var members: [String]
    /// Smallest total weight of the members (`nil`: no minimum).
    public var minimum: Double?
    /// Largest total weight of the members (`nil`: no maximum).
    public var maximum: Double?

    /// A group constraint `minimum ≤ Σ members ≤ maximum`.
    public init(name: String, members: [String], minimum: Double? = nil, maximum: Double? = nil) {
        self.name = name
        self.members = members
        self.minimum = minimum
        self.maximum = maximum
    }
}

/// A general linear constraint `lower ≤ Σ coefficient_i w_i ≤ upper`.
public struct LinearConstraint: Sendable, Codable, Equatable {
    /// A name for messages.
    public var name: String
    /// Symbol to coefficient; absent symbols have 0.
    public var coefficients: [String: Double]
    /// Smallest value of `Σ coefficient x weight` (`nil`: none).
    public var lower: Double?
    /// Largest value of `Σ coefficient x weight` (`nil`: none).
    public var upper: Double?

    /// A linear constraint `lower ≤ Σ coefficient x weight ≤ upper`.
    public init(name: String, coefficients: [String: Double], lower: Double? = nil, upper: Double? = nil) {
        self.name = name
        self.coefficients = coefficients
        self.lower = lower
        self.upper = upper
    }
}

/// The constraints of a mean-variance problem. Weights are fractions of the portfolio and
/// sum to one (the budget).
public struct PortfolioConstraints: Sendable, Codable, Equatable {
    /// Bounds for every asset without its own entry (default long-only, `0...1`).
    public var defaultLower = 0.0
    /// Upper bound of every asset without its own (default 1).
    public var defaultUpper = 1.0
    /// Per-asset bounds that override the default.
    public var lowerBounds: [String: Double] = [:]
    /// Per-asset upper bounds, overriding `defaultUpper`.
    public var upperBounds: [String: Double] = [:]
    /// Group constraints.
    public var groups: [AssetGroup] = []
    /// General linear constraints.
    public var linear: [LinearConstraint] = []
    /// L2 regulariser `γ Σ w²` added to the objective (PyPortfolioOpt's `L2_reg`), which
    /// spreads weights over more assets.
    public var l2Regularization = 0.0
    /// Current weights, for the turnover limit and the proportional cost.
    public var currentWeights: [String: Double]?
    /// `Σ |w - w0| ≤ turnoverLimit`.
    public var turnoverLimit: Double?
    /// Proportional cost `κ Σ |w - w0|` subtracted from the return (as a fraction).
    public var proportionalCost: Double?
    /// Adds a risk-free cash asset with this symbol, zero variance and the risk-free rate
    /// as its expected return (for objectives without a rate, `cashRate`).
    public var cashSymbol: String?
    /// Expected return of the cash asset when the objective names no risk-free rate.
    public var cashRate = 0.0
    /// The smallest weight a result may hold (default 0: any). With a positive value, every
    /// asset whose optimal weight is below it (and whose lower bound is 0) is excluded and
    /// the problem solved again, until every weight is 0 or at least this: solver dust and
    /// negligible positions never become holdings. When a re-solve is infeasible, the small
    /// weights are set to 0 and the rest scaled to the budget instead (and a warning says so).
    public var minimumWeight = 0.0

    /// Long-only, fully invested, no other constraint.
    public init() {}
}

/// A mean-variance problem failed for a reason the user can act on.
public struct OptimizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem, for programs that react to it.
    public enum Code: String, Sendable, Codable {
        /// The bounds cannot hold together with the budget.
        case infeasibleBounds = "infeasible-bounds"
        /// A group's limits cannot be met by its members' bounds.
        case infeasibleGroup = "infeasible-group"
        /// The general constraints admit no portfolio.
        case infeasibleConstraints = "infeasible-constraints"
        /// A constraint names an asset the distribution does not have.
        case unknownAsset = "unknown-asset"
        /// The target return or volatility is outside the attainable range.
        case targetOutOfRange = "target-out-of-range"
        /// Maximum Sharpe with no asset above the risk-free rate.
        case noReturnAboveRiskFree = "no-return-above-risk-free"
        /// The covariance has a negative eigenvalue.
        case notPositiveSemidefinite = "not-positive-semidefinite"
        /// A parameter is out of its domain (e.g. a non-positive risk aversion).
        case invalidParameter = "invalid-parameter"
        /// The solver stopped without an optimum.
        case solverFailure = "solver-failure"
    }

    /// What kind of problem this is.
    public var code: Code
    /// What is wrong.
    public var message: String
    /// How to fix it.
    public var fix: String

    /// An error with its message and fix.
    public init(_ code: Code, message: String, fix: String) {
        self.code = code
        self.message = message
        self.fix = fix
    }

    /// The message and the fix.
    public var description: String { message + "; " + fix }
}

/// Diagnostics of the solve behind a result.
public struct SolverDiagnostics: Sendable, Codable, Equatable {
    /// Solver iterations.
    public var iterations: Int
    /// Number of QP solves (several for efficient risk and maximum Sharpe).
    public var solves: Int
    /// Largest KKT residual (stationarity, feasibility, complementarity) at the solution,
    /// absolute (in the units of the covariance and the returns).
    public var kktResidual: Double
    /// The same residuals relative to the problem's scale
    /// (``QuadraticProgram/relativeKKTResidual(of:)``); a result is optimal only when this
    /// is at most ``QPOptions/acceptanceTolerance``.
    public var relativeKKTResidual: Double
    /// Largest violation of the constraints.
    public var primalResidual: Double
    /// Largest stationarity residual.
    public var dualResidual: Double
    /// Duality gap at the solution.
    public var dualityGap: Double
    /// Whether the active-set polish refined the interior-point solution.
    public var polished: Bool
}

/// An optimal portfolio and its statistics.
public struct OptimizationResult: Sendable, Equatable {
    /// Optimal, or why not.
    public var status: QPStatus
    /// The objective solved.
    public var objective: PortfolioObjective
    /// The assets, in the order of the distribution (plus the cash asset, if any, last).
    public var assets: [String]
    /// Weights in the order of `assets`; they sum to one.
    public var weights: [Double]
    /// Annualised expected return `μᵀw` (including cash at its rate).
    public var expectedReturn: Double
    /// Annualised volatility `sqrt(wᵀΣw)`.
    public var volatility: Double
    /// `(expectedReturn - rf) / volatility` with ``riskFreeRate``; `nil` when the volatility
    /// is zero or numerically zero (see ``MeanVarianceProblem/solve()``).
    public var sharpeRatio: Double?
    /// The risk-free rate of the Sharpe ratio: the objective's own for maximum Sharpe, the
    /// problem's ``MeanVarianceProblem/riskFreeRate`` otherwise.
    public var riskFreeRate: Double
    /// How the solver got there.
    public var diagnostics: SolverDiagnostics
    /// Warnings worth showing (e.g. more assets than observations).
    public var warnings: [String]

    /// The weight of an asset (0 when absent).
    public func weight(of asset: String) -> Double {
        assets.firstIndex(of: asset).map { weights[$0] } ?? 0
    }
}

/// A mean-variance portfolio problem: a `ReturnDistribution`, an objective and constraints.
public struct MeanVarianceProblem: Sendable {
    /// Expected returns and covariance.
    public var distribution: ReturnDistribution
    /// What to optimise.
    public var objective: PortfolioObjective
    /// Bounds, groups, linear constraints, costs, cash.
    public var constraints: PortfolioConstraints
    /// Solver tolerances and iteration limits.
    public var options: QPOptions
    /// The annual risk-free rate of the reported Sharpe ratio for objectives that name none
    /// (`nil`: the cash asset's rate, `constraints.cashRate`). Maximum Sharpe always uses the
    /// rate it names.
    public var reportingRiskFreeRate: Double?

    /// A problem; `constraints` default to long-only and fully invested.
    ///
    /// - Parameters:
    ///   - distribution: expected returns and covariance.
    ///   - objective: what to optimise.
    ///   - constraints: bounds, groups, linear constraints, costs, cash.
    ///   - options: solver tolerances and iteration limits.
    ///   - riskFreeRate: the rate of the reported Sharpe ratio for objectives other
    ///     than maximum Sharpe (`nil`: `constraints.cashRate`).
    public init(
        distribution: ReturnDistribution, objective: PortfolioObjective, constraints: PortfolioConstraints = PortfolioConstraints(),
        options: QPOptions = QPOptions(), riskFreeRate: Double? = nil
    ) {
        self.distribution = distribution
        self.objective = objective
        self.constraints = constraints
        self.options = options
        self.reportingRiskFreeRate = riskFreeRate
    }

    /// The risk-free rate of the Sharpe ratio: the objective's own for maximum Sharpe, else
    /// ``reportingRiskFreeRate``, else the cash asset's rate.
    public var riskFreeRate: Double {
        if case .maximumSharpe(let rf) = objective { return rf }
        return reportingRiskFreeRate ?? constraints.cashRate
    }

    /// Solves the problem.
    ///
    /// - Throws: ``OptimizationError`` explaining infeasible bounds or groups, targets outside
    ///   the attainable range, maximum Sharpe without an asset above the risk-free rate, a
    ///   covariance that is not positive semidefinite, or a solver failure.
    public func solve() throws(OptimizationError) -> OptimizationResult {
        var result = try solveOnce(constraints)
        let floor = constraints.minimumWeight
        guard floor > 0 else { return result }
        var c = constraints
        for _ in 0..<result.assets.count {
            let dust = result.assets.indices.filter { k in
                let lower = c.lowerBounds[result.assets[k]] ?? c.defaultLower
                return result.weights[k] != 0 && abs(result.weights[k]) < floor && lower <= 0
            }
            if dust.isEmpty { break }
            for k in dust {
                c.lowerBounds[result.assets[k]] = 0
                c.upperBounds[result.assets[k]] = 0
            }
            do {
                result = try solveOnce(c)
            } catch {
                // Excluding them leaves no feasible portfolio: drop them and scale the rest.
                var w = result.weights
                for k in dust { w[k] = 0 }
                let total = w.reduce(0, +)
                if total > 0 { w = w.map { $0 / total } }
                let model = try PortfolioModel(distribution: distribution, constraints: constraints, riskFreeRate: riskFreeRate)
                result.weights = w
                result.expectedReturn = model.expectedReturn(w)
                result.volatility = model.volatility(w)
                result.sharpeRatio = model.sharpeRatio(w, riskFreeRate: result.riskFreeRate)
                result.warnings.append(
                    "weights below \(formatted(floor)) were set to 0 and the others scaled to the budget, since excluding those assets leaves no feasible portfolio (\(error.message))"
                )
                break
            }
        }
        return result
    }

    /// One solve of the problem under `constraints`.
    func solveOnce(_ constraints: PortfolioConstraints) throws(OptimizationError) -> OptimizationResult {
        let model = try PortfolioModel(distribution: distribution, constraints: constraints, riskFreeRate: riskFreeRate)
        var warnings = distribution.warnings
        if let observations = distribution.window?.observations, observations < distribution.assets.count {
            warnings.append(
                "\(distribution.assets.count) assets but only \(observations) observations: the sample covariance is singular; prefer a shrinkage estimator"
            )
        }
        let outcome: (weights: [Double], solution: QPSolution, solves: Int)
        switch objective {
        case .minimumVolatility:
            outcome = try model.solveUtility(returnWeight: 0, riskWeight: 1, options: options)
        case .maximumUtility(let lambda):
            guard lambda > 0, lambda.isFinite else {
                throw OptimizationError(
                    .invalidParameter, message: "risk aversion \(lambda) is not positive", fix: "use a positive risk aversion such as 1")
            }
            outcome = try model.solveUtility(returnWeight: 1, riskWeight: lambda, options: options)
        case .efficientReturn(let target):
            outcome = try model.solveEfficientReturn(target: target, options: options)
        case .efficientRisk(let target):
            outcome = try model.solveEfficientRisk(target: target, options: options)
        case .maximumSharpe(let rf):
            outcome = try model.solveMaximumSharpe(riskFreeRate: rf, options: options)
        }
        let s = outcome.solution
        guard s.status == .optimal, s.relativeKKTResidual <= options.acceptanceTolerance else {
            throw OptimizationError(
                .solverFailure,
                message:
                    "the \(objective) solve did not reach the required accuracy: relative KKT residual \(String(format: "%.2e", s.relativeKKTResidual)) above the tolerance \(String(format: "%.0e", options.acceptanceTolerance)) (absolute residuals: primal \(String(format: "%.2e", s.primalResidual)), dual \(String(format: "%.2e", s.dualResidual)), gap \(String(format: "%.2e", s.dualityGap)); status \(s.status.rawValue))",
                fix:
                    "check the prices for outliers (ballast data inspect FILE) and the covariance's condition number (ballast risk-model); repair the covariance, use a shrinkage estimator or add L2 regularisation"
            )
        }
        let w = outcome.weights
        let ret = model.expectedReturn(w)
        let vol = model.volatility(w)
        let rf = riskFreeRate
        return OptimizationResult(
            status: s.status, objective: objective, assets: model.assets, weights: w, expectedReturn: ret, volatility: vol,
            sharpeRatio: model.sharpeRatio(w, riskFreeRate: rf), riskFreeRate: rf,
            diagnostics: SolverDiagnostics(
                iterations: s.iterations, solves: outcome.solves, kktResidual: s.kktResidual,
                relativeKKTResidual: s.relativeKKTResidual, primalResidual: s.primalResidual,
                dualResidual: s.dualResidual, dualityGap: s.dualityGap, polished: s.polished),
            warnings: warnings)
    }
}

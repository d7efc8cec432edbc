import BallastLinearAlgebra

/// A dense convex quadratic program
///
///     minimise    ½ xᵀ P x + qᵀ x
///     subject to  A x = b
///                 l ≤ C x ≤ u
///                 lb ≤ x ≤ ub
///
/// `P` must be symmetric positive semidefinite. Infinite entries of `l`, `u`, `lb`, `ub` mean
/// "no bound". Bounds on single variables are kept apart from the general rows `C` because
/// the solver treats them in O(n) instead of as dense rows.
public struct QuadraticProgram: Sendable, Equatable {
    /// `n x n` symmetric positive semidefinite.
    public var P: Matrix
    /// Linear term, `n` values.
    public var q: [Double]
    /// Equality rows `A` (`m_e x n`) and right-hand side `b`.
    public var A: Matrix
    /// Right-hand side of the equality rows.
    public var b: [Double]
    /// Two-sided inequality rows `C` (`m_c x n`) with lower and upper limits (±infinity
    /// where absent).
    public var C: Matrix
    /// Lower limits of the inequality rows.
    public var lower: [Double]
    /// Upper limits of the inequality rows.
    public var upper: [Double]
    /// Variable bounds (±infinity where absent).
    public var lowerBounds: [Double]
    /// Upper bounds of the variables (+infinity where absent).
    public var upperBounds: [Double]

    /// Creates a program with `n` variables and no constraints.
    public init(P: Matrix, q: [Double]) {
        precondition(P.isSquare && P.rows == q.count, "QuadraticProgram: P is \(P.rows)x\(P.columns) but q has \(q.count) entries")
        let n = q.count
        self.P = P
        self.q = q
        self.A = Matrix(rows: 0, columns: n)
        self.b = []
        self.C = Matrix(rows: 0, columns: n)
        self.lower = []
        self.upper = []
        self.lowerBounds = [Double](repeating: -.infinity, count: n)
        self.upperBounds = [Double](repeating: .infinity, count: n)
    }

    /// Number of variables.
    public var variableCount: Int { q.count }

    /// Appends equality rows.
    public mutating func addEqualities(_ rows: [[Double]], _ rhs: [Double]) {
        precondition(rows.count == rhs.count && rows.allSatisfy { $0.count == variableCount }, "addEqualities: shapes differ")
        A = Matrix(rowMajor: A.rowArrays + rows)
        if A.rows == 0 { A = Matrix(rows: 0, columns: variableCount) }
        b += rhs
    }

    /// Appends two-sided inequality rows `lower ≤ row·x ≤ upper`.
    public mutating func addInequalities(_ rows: [[Double]], lower lo: [Double], upper hi: [Double]) {
        precondition(
            rows.count == lo.count && rows.count == hi.count && rows.allSatisfy { $0.count == variableCount },
            "addInequalities: shapes differ")
        C = Matrix(rowMajor: C.rowArrays + rows)
        if C.rows == 0 { C = Matrix(rows: 0, columns: variableCount) }
        lower += lo
        upper += hi
    }

    /// The objective `½ xᵀ P x + qᵀ x`.
    public func objective(at x: [Double]) -> Double {
        let px = P.times(x)
        var v = 0.0
        for i in x.indices { v += x[i] * (0.5 * px[i] + q[i]) }
        return v
    }
}

/// How a solve ended.
public enum QPStatus: String, Sendable, Codable, Equatable {
    /// Converged: residuals and duality gap within tolerance.
    case optimal
    /// The constraints admit no point (detected from diverging multipliers).
    case infeasible
    /// The objective decreases without limit.
    case unbounded
    /// The iteration cap was reached before convergence; the point is the best found and is
    /// not to be taken as optimal.
    case iterationLimit = "iteration-limit"
    /// A factorisation failed (e.g. `P` not positive semidefinite).
    case numericalError = "numerical-error"
}

/// Solver settings, with documented defaults.
public struct QPOptions: Sendable, Equatable {
    /// Iteration cap of the interior-point phase (default 100; well-posed problems of a few
    /// hundred variables converge in 10-25 iterations).
    public var maxIterations = 100
    /// Relative tolerance on the primal and dual residuals and on the complementarity gap
    /// for the interior-point phase (default 1e-9). The polish then takes the solution to
    /// machine precision on the identified active set.
    public var tolerance = 1e-9
    /// The largest relative KKT residual (``QPSolution/relativeKKTResidual``) a portfolio
    /// result may have and still be called optimal (default 1e-8, ten times the convergence
    /// tolerance). A solve above it is reported as a failure with its residuals, never as a
    /// portfolio.
    public var acceptanceTolerance = 1e-8
    /// Solve the KKT system on the active set after the interior-point phase (default true).
    /// The polished point is kept only if it is feasible and its multipliers have the right
    /// signs; otherwise the interior-point point stands and `polished` is false.
    public var polish = true
    /// Diagonal regularisation added to `P + Gᵀ D G` in the Newton systems, relative to its
    /// largest diagonal entry (default 1e-13). Keeps singular `P` (e.g. a cash asset)
    /// factorable; the polish removes its effect on the result.
    public var regularization = 1e-13
    /// A starting point for the interior-point phase (e.g. the solution of a neighbouring
    /// problem in a parametric sweep); `nil` starts from the middle of the bounds.
    public var initialPoint: [Double]?

    /// An empty program (set the fields, then solve).
    public init() {}
}

/// The result of a solve: the point, the multipliers and the diagnostics.
public struct QPSolution: Sendable, Equatable {
    /// Whether the solve reached an optimum, proved infeasibility or unboundedness, or stopped.
    public var status: QPStatus
    /// The primal point.
    public var x: [Double]
    /// Multipliers of `A x = b`.
    public var equalityMultipliers: [Double]
    /// Multipliers of `C x ≤ u` (≥ 0) and of `l ≤ C x` (≥ 0).
    public var upperMultipliers: [Double]
    /// Multipliers of `l ≤ C x` (≥ 0).
    public var lowerMultipliers: [Double]
    /// Multipliers of `x ≤ ub` and `lb ≤ x` (≥ 0).
    public var upperBoundMultipliers: [Double]
    /// Multipliers of `lb ≤ x` (≥ 0).
    public var lowerBoundMultipliers: [Double]
    /// Interior-point iterations.
    public var iterations: Int
    /// `max |A x - b|` and the largest violation of the inequalities and bounds.
    public var primalResidual: Double
    /// `max |P x + q + Aᵀ y + (multiplier terms)|` (stationarity).
    public var dualResidual: Double
    /// Complementarity `Σ slack · multiplier` (the duality gap).
    public var dualityGap: Double
    /// The objective value.
    public var objective: Double
    /// Whether the active-set polish was applied.
    public var polished: Bool

    /// The largest of the three KKT residuals (absolute).
    public var kktResidual: Double { Swift.max(primalResidual, dualResidual, abs(dualityGap)) }
    /// The largest of the three KKT residuals, each relative to the size of the data it is
    /// computed from (``QuadraticProgram/relativeKKTResidual(of:)``): what
    /// ``QPOptions/acceptanceTolerance`` is compared with. `infinity` until a solver sets it.
    public var relativeKKTResidual = Double.infinity
}

extension QuadraticProgram {
    /// The KKT residuals of `s` relative to the problem's scale, the largest of
    /// - primal: `primalResidual / (1 + max(‖b‖∞, ‖l, u, lb, ub‖∞ over finite entries, ‖x‖∞))`,
    /// - dual: `dualResidual / (1 + max(‖q‖∞, max|P_ij| ‖x‖∞))`,
    /// - gap: `|dualityGap| / (1 + |objective|)` (the solution's ``QPSolution/objective``, which
    ///   the solvers set to the objective at `x`),
    /// as interior-point codes measure convergence (Nocedal & Wright, §16.6; OSQP's scaled
    /// criteria). Comparable across problems whatever the units of the covariance.
    public func relativeKKTResidual(of s: QPSolution) -> Double {
        func finiteMax(_ v: [Double]) -> Double { v.lazy.filter(\.isFinite).map(abs).max() ?? 0 }
        let xNorm = finiteMax(s.x)
        let primalScale =
            1 + Swift.max(finiteMax(b), finiteMax(lower), finiteMax(upper), finiteMax(lowerBounds), finiteMax(upperBounds), xNorm)
        let dualScale = 1 + Swift.max(finiteMax(q), P.maxMagnitude * xNorm)
        // The solvers set the objective at `x` (one product with P fewer per solve).
        let gapScale = 1 + abs(s.objective.isFinite ? s.objective : objective(at: s.x))
        return Swift.max(s.primalResidual / primalScale, s.dualResidual / dualScale, abs(s.dualityGap) / gapScale)
    }
}

import BallastLinearAlgebra
import Foundation

/// Primal active-set solver for programs with equalities and variable bounds only:
///
///     minimise ½ xᵀ P x + qᵀ x   subject to   A x = b,  lb ≤ x ≤ ub.
///
/// This is the shape of most portfolio problems (budget, bounds, at most one more equality),
/// whose optimum has few variables strictly inside their bounds. Starting from a feasible
/// point with few free variables (a vertex), each iteration solves the equality-constrained
/// problem over the free variables by a Cholesky factorisation of `P_FF` and the small Schur
/// complement of `A_F`, then either steps to a blocking bound (fixing that variable) or,
/// at a stationary point, frees the fixed variable whose multiplier has the wrong sign
/// (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithm 16.3). The cost per
/// iteration is O(k³ + n k) for `k` free variables instead of the interior point's O(n³),
/// and the result is exact on its active set, multipliers included.
///
/// Returns `nil` (so that the caller falls back to the interior-point solver) when `P_FF`
/// is not positive definite, the iteration cap is reached, or the start is infeasible.
struct ActiveSetSolver {
    var maxIterations = 2000

    func solve(_ problem: QuadraticProgram, start: [Double]) -> QPSolution? {
        let n = problem.variableCount
        let m = problem.A.rows
        guard problem.C.rows == 0, start.count == n else { return nil }
        let p = problem
        var x = start
        let scale = Swift.max(1, p.P.elements.map(abs).max() ?? 1, p.q.map(abs).max() ?? 1)
        let tolerance = 1e-12 * scale
        // Feasibility of the start.
        for j in 0..<n where x[j] < p.lowerBounds[j] - 1e-12 || x[j] > p.upperBounds[j] + 1e-12 { return nil }
        let ax = m > 0 ? p.A.times(x) : []
        for i in 0..<m where abs(ax[i] - p.b[i]) > 1e-10 * (1 + abs(p.b[i])) { return nil }
        // Working set: 0 free, -1 at lower, +1 at upper.
        var state = [Int](repeating: 0, count: n)
        for j in 0..<n {
            if x[j] <= p.lowerBounds[j] { state[j] = -1 } else if x[j] >= p.upperBounds[j] { state[j] = 1 }
        }
        var gradient = p.P.times(x)
        for j in 0..<n { gradient[j] += p.q[j] }
        var lambda = [Double](repeating: 0, count: m)
        var iterations = 0
        var previousFreed = -1
        while iterations < maxIterations {
            iterations += 1
            let free = (0..<n).filter { state[$0] == 0 }
            let k = free.count
            var step = [Double](repeating: 0, count: k)
            if k > 0 {
                var pff = Matrix(rows: k, columns: k)
                p.P.elements.withUnsafeBufferPointer { src in
                    pff.elements.withUnsafeMutableBufferPointer { dst in
                        for (b, j) in free.enumerated() {
                            let column = j * n
                            for (a, i) in free.enumerated() { dst[a + b * k] = src[i + column] }
                        }
                    }
                }
                guard let chol = try? Cholesky(pff) else { return nil }
                // KKT over F: P_FF d + A_Fᵀ λ = -g_F, A_F d = 0.
                let gF = free.map { -gradient[$0] }
                let u = chol.solve(gF)
                if m > 0 {
                    var af = Matrix(rows: m, columns: k)
                    for (a, j) in free.enumerated() { for i in 0..<m { af[i, a] = p.A[i, j] } }
                    let v = chol.solve(af.transposed)  // k x m
                    var schur = Matrix.product(af, v)
                    schur.symmetrize()
                    let rhs = af.times(u)
                    if let sc = try? Cholesky(schur) {
                        lambda = sc.solve(rhs)
                    } else if let solved = try? leastSquares(schur, Matrix(rows: m, columns: 1, columnMajor: rhs)) {
                        lambda = solved.elements
                    } else {
                        return nil
                    }
                    let correction = v.times(lambda)
                    for a in 0..<k { step[a] = u[a] - correction[a] }
                } else {
                    step = u
                }
            } else if m > 0 {
                // Every variable fixed: the multipliers of A come from least squares on the
                // reduced gradient of the fixed variables, taken over those with a choice.
                lambda = [Double](repeating: 0, count: m)
            }
            let stepNorm = step.map(abs).max() ?? 0
            let xNorm = Swift.max(1, x.map(abs).max() ?? 1)
            if stepNorm <= 1e-13 * xNorm {
                // Stationary on the working set: check the multipliers of the fixed variables.
                // Reduced gradient r_j = g_j + A_jᵀ λ; at a lower bound it must be ≥ 0, at an
                // upper bound ≤ 0.
                var worst = -1
                var worstValue = tolerance
                var atv = [Double](repeating: 0, count: n)
                if m > 0 { atv = p.A.times(lambda, transposed: true) }
                if k == 0 && m > 0 {
                    // Fit λ on the fixed variables (all of them) by least squares so that the
                    // multipliers are as balanced as the vertex allows.
                    lambda = vertexMultipliers(p, gradient: gradient, state: state) ?? lambda
                    atv = p.A.times(lambda, transposed: true)
                }
                for j in 0..<n where state[j] != 0 {
                    let r = gradient[j] + atv[j]
                    let violation = state[j] < 0 ? -r : r
                    if violation > worstValue && !(p.lowerBounds[j] == p.upperBounds[j]) {
                        worstValue = violation
                        worst = j
                    }
                }
                if worst < 0 {
                    return finish(p, x: x, lambda: lambda, gradient: gradient, state: state, iterations: iterations)
                }
                if worst == previousFreed && k == 0 { return nil }
                state[worst] = 0
                previousFreed = worst
                continue
            }
            // Step to the first blocking bound.
            var alpha = 1.0
            var blocking = -1
            var blockingSide = 0
            for (a, j) in free.enumerated() {
                let d = step[a]
                if d < 0 && p.lowerBounds[j].isFinite {
                    let t = (p.lowerBounds[j] - x[j]) / d
                    if t < alpha {
                        alpha = Swift.max(t, 0)
                        blocking = j
                        blockingSide = -1
                    }
                } else if d > 0 && p.upperBounds[j].isFinite {
                    let t = (p.upperBounds[j] - x[j]) / d
                    if t < alpha {
                        alpha = Swift.max(t, 0)
                        blocking = j
                        blockingSide = 1
                    }
                }
            }
            var dx = [Double](repeating: 0, count: n)
            for (a, j) in free.enumerated() { dx[j] = alpha * step[a] }
            for j in free { x[j] += dx[j] }
            // g += P dx, using only the free columns.
            p.P.elements.withUnsafeBufferPointer { src in
                gradient.withUnsafeMutableBufferPointer { g in
                    for j in free where dx[j] != 0 {
                        let dj = dx[j]
                        let column = src.baseAddress! + j * n
                        for i in 0..<n { g[i] += column[i] * dj }
                    }
                }
            }
            if blocking >= 0 {
                x[blocking] = blockingSide < 0 ? p.lowerBounds[blocking] : p.upperBounds[blocking]
                state[blocking] = blockingSide
            }
        }
        return nil
    }

    /// Least-squares multipliers for a vertex (no free variable): minimise the reduced
    /// gradients of the variables at bounds that are not pinned (lb < ub).
    func vertexMultipliers(_ p: QuadraticProgram, gradient: [Double], state: [Int]) -> [Double]? {
        let m = p.A.rows
        let rows = (0..<p.variableCount).filter { state[$0] != 0 }
        guard rows.count >= m else { return nil }
        var a = Matrix(rows: rows.count, columns: m)
        var b = Matrix(rows: rows.count, columns: 1)
        for (r, j) in rows.enumerated() {
            for i in 0..<m { a[r, i] = p.A[i, j] }
            b[r, 0] = -gradient[j]
        }
        return (try? leastSquares(a, b))?.elements
    }

    /// Builds the solution with exact residuals and the bound multipliers.
    func finish(_ p: QuadraticProgram, x: [Double], lambda: [Double], gradient: [Double], state: [Int], iterations: Int) -> QPSolution {
        let n = p.variableCount
        let m = p.A.rows
        let atv = m > 0 ? p.A.times(lambda, transposed: true) : [Double](repeating: 0, count: n)
        var lowerM = [Double](repeating: 0, count: n)
        var upperM = [Double](repeating: 0, count: n)
        // Bound multipliers from the working set, clipped to their sign: a wrong-signed one
        // shows up in the stationarity residual below.
        for j in 0..<n {
            let r = gradient[j] + atv[j]
            switch state[j] {
            case -1: lowerM[j] = Swift.max(r, 0)
            case 1: upperM[j] = Swift.max(-r, 0)
            default: break
            }
        }
        // Recompute the gradient from scratch for the reported residual.
        let px = p.P.times(x)
        var stationarity = 0.0
        for j in 0..<n {
            let r = px[j] + p.q[j] + atv[j] - lowerM[j] + upperM[j]
            stationarity = Swift.max(stationarity, abs(r))
        }
        var primal = 0.0
        let ax = m > 0 ? p.A.times(x) : []
        for i in 0..<m { primal = Swift.max(primal, abs(ax[i] - p.b[i])) }
        for j in 0..<n {
            primal = Swift.max(primal, p.lowerBounds[j] - x[j], x[j] - p.upperBounds[j])
        }
        var solution = QPSolution(
            status: .optimal, x: x, equalityMultipliers: lambda, upperMultipliers: [], lowerMultipliers: [], upperBoundMultipliers: upperM,
            lowerBoundMultipliers: lowerM, iterations: iterations, primalResidual: primal, dualResidual: stationarity,
            dualityGap: 0, objective: p.objective(at: x), polished: true)
        solution.relativeKKTResidual = p.relativeKKTResidual(of: solution)
        return solution
    }
}

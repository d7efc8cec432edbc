import BallastLinearAlgebra
import Foundation

/// Dense primal-dual interior-point solver for ``QuadraticProgram`` with Mehrotra's
/// predictor-corrector, followed by an active-set polish.
///
/// Method: the inequalities and bounds are written `G x + s = h`, `s ≥ 0` with multipliers
/// `z ≥ 0`. Each iteration solves the Newton system reduced to
/// `(P + Gᵀ D G) dx + Aᵀ dy = f`, `A dx = g` with `D = Z S⁻¹`, by a Cholesky factorisation of
/// `P + Gᵀ D G` (bounds add only to its diagonal) and a Cholesky factorisation of the small
/// Schur complement `A (P + Gᵀ D G)⁻¹ Aᵀ`; the same factors serve the predictor and the
/// corrector (Mehrotra 1992; Nocedal & Wright, *Numerical Optimization*, 2nd ed., §16.6). No
/// inverse is formed. The polish (as in OSQP, Stellato et al. 2020, §4) takes the constraints
/// whose multiplier exceeds their slack as active and solves the equality-constrained KKT
/// system on them by LU; it is kept only if the result is feasible and the multipliers have
/// the right signs, which makes the reported solution exact to rounding on that active set.
///
/// Deterministic: no randomness, fixed operation order.
public struct InteriorPointSolver: Sendable {
    /// Tolerances and iteration limits.
    public var options: QPOptions

    /// A solver with these options.
    public init(options: QPOptions = QPOptions()) { self.options = options }

    /// Solves a program.
    ///
    /// - Complexity: O(iterations x (n³/3 + m n²)) for `n` variables and `m` general rows.
    public func solve(_ problem: QuadraticProgram) -> QPSolution {
        // Variables with equal bounds are fixed: solve over the others (an interior point
        // cannot live inside an empty interval), then put them back with their multipliers.
        let n = problem.variableCount
        let fixed = (0..<n).filter { problem.lowerBounds[$0] == problem.upperBounds[$0] }
        if fixed.isEmpty {
            var work = Workspace(problem)
            var solution = work.run(options)
            solution.relativeKKTResidual = problem.relativeKKTResidual(of: solution)
            return solution
        }
        let free = (0..<n).filter { problem.lowerBounds[$0] != problem.upperBounds[$0] }
        var xFixed = [Double](repeating: 0, count: n)
        for j in fixed { xFixed[j] = problem.lowerBounds[j] }
        let pxFixed = problem.P.times(xFixed)
        var reduced = QuadraticProgram(
            P: Matrix(rowMajor: free.map { i in free.map { j in problem.P[i, j] } }).ifEmpty(rows: free.count),
            q: free.map { problem.q[$0] + pxFixed[$0] })
        for (a, j) in free.enumerated() {
            reduced.lowerBounds[a] = problem.lowerBounds[j]
            reduced.upperBounds[a] = problem.upperBounds[j]
        }
        if problem.A.rows > 0 {
            let shift = problem.A.times(xFixed)
            reduced.addEqualities(
                (0..<problem.A.rows).map { r in free.map { problem.A[r, $0] } }, (0..<problem.A.rows).map { problem.b[$0] - shift[$0] })
        }
        if problem.C.rows > 0 {
            let shift = problem.C.times(xFixed)
            reduced.addInequalities(
                (0..<problem.C.rows).map { r in free.map { problem.C[r, $0] } },
                lower: (0..<problem.C.rows).map { problem.lower[$0] - shift[$0] },
                upper: (0..<problem.C.rows).map { problem.upper[$0] - shift[$0] })
        }
        var options = self.options
        options.initialPoint = options.initialPoint.map { start in free.map { start[$0] } }
        var work = Workspace(reduced)
        let r = work.run(options)
        // Expand, with the fixed variables' bound multipliers from stationarity.
        var x = xFixed
        for (a, j) in free.enumerated() { x[j] = r.x[a] }
        var lowerB = [Double](repeating: 0, count: n)
        var upperB = [Double](repeating: 0, count: n)
        for (a, j) in free.enumerated() {
            lowerB[j] = r.lowerBoundMultipliers[a]
            upperB[j] = r.upperBoundMultipliers[a]
        }
        let px = problem.P.times(x)
        let aty = problem.A.rows > 0 ? problem.A.times(r.equalityMultipliers, transposed: true) : [Double](repeating: 0, count: n)
        let ctz =
            problem.C.rows > 0
            ? problem.C.times(zip(r.upperMultipliers, r.lowerMultipliers).map { $0 - $1 }, transposed: true)
            : [Double](repeating: 0, count: n)
        for j in fixed {
            let g = px[j] + problem.q[j] + aty[j] + ctz[j]
            if g >= 0 { lowerB[j] = g } else { upperB[j] = -g }
        }
        var solution = QPSolution(
            status: r.status, x: x, equalityMultipliers: r.equalityMultipliers, upperMultipliers: r.upperMultipliers,
            lowerMultipliers: r.lowerMultipliers,
            upperBoundMultipliers: upperB, lowerBoundMultipliers: lowerB, iterations: r.iterations, primalResidual: r.primalResidual,
            dualResidual: r.dualResidual, dualityGap: r.dualityGap, objective: problem.objective(at: x), polished: r.polished)
        solution.relativeKKTResidual = problem.relativeKKTResidual(of: solution)
        return solution
    }
}

extension Matrix {
    /// `self`, or an empty `rows x rows` matrix when built from no rows.
    fileprivate func ifEmpty(rows: Int) -> Matrix { self.rows == rows && columns == rows ? self : Matrix(rows: rows, columns: rows) }
}

// MARK: - Internal form

/// One inequality row of `G x ≤ h`: either a general row (index into C, sign) or a bound.
private enum Row {
    case general(index: Int, sign: Double)
    case bound(variable: Int, sign: Double)
}

private struct Workspace {
    let problem: QuadraticProgram
    let n: Int
    let me: Int
    /// Dense rows of G (sign applied) and their right-hand sides.
    var gDense: Matrix
    var hDense: [Double]
    var denseRows: [Row] = []
    /// Bound rows: variable, sign, rhs.
    var boundVariable: [Int] = []
    var boundSign: [Double] = []
    var hBound: [Double] = []
    var boundRows: [Row] = []

    init(_ p: QuadraticProgram) {
        problem = p
        n = p.variableCount
        me = p.A.rows
        var rows: [[Double]] = []
        var h: [Double] = []
        for i in 0..<p.C.rows {
            let r = p.C.row(i)
            if p.upper[i].isFinite {
                rows.append(r)
                h.append(p.upper[i])
                denseRows.append(.general(index: i, sign: 1))
            }
            if p.lower[i].isFinite {
                rows.append(r.map { -$0 })
                h.append(-p.lower[i])
                denseRows.append(.general(index: i, sign: -1))
            }
        }
        gDense = rows.isEmpty ? Matrix(rows: 0, columns: n) : Matrix(rowMajor: rows)
        hDense = h
        for j in 0..<n {
            if p.upperBounds[j].isFinite {
                boundVariable.append(j)
                boundSign.append(1)
                hBound.append(p.upperBounds[j])
                boundRows.append(.bound(variable: j, sign: 1))
            }
            if p.lowerBounds[j].isFinite {
                boundVariable.append(j)
                boundSign.append(-1)
                hBound.append(-p.lowerBounds[j])
                boundRows.append(.bound(variable: j, sign: -1))
            }
        }
    }

    var md: Int { hDense.count }
    var mb: Int { hBound.count }
    var m: Int { md + mb }

    /// G x (dense part first, then bounds).
    func gTimes(_ x: [Double]) -> [Double] {
        var out = md > 0 ? gDense.times(x) : []
        out.reserveCapacity(m)
        for k in 0..<mb { out.append(boundSign[k] * x[boundVariable[k]]) }
        return out
    }

    /// Gᵀ z.
    func gTransposeTimes(_ z: [Double]) -> [Double] {
        var out = md > 0 ? gDense.times(Array(z[0..<md]), transposed: true) : [Double](repeating: 0, count: n)
        for k in 0..<mb { out[boundVariable[k]] += boundSign[k] * z[md + k] }
        return out
    }

    var h: [Double] { hDense + hBound }

    // MARK: Newton system

    struct Factors {
        let cholesky: Cholesky
        let aTransposeSolved: Matrix  // H⁻¹ Aᵀ (n x me)
        let schur: Cholesky?  // A H⁻¹ Aᵀ
    }

    /// Factors H = P + Gᵀ D G + δ I and the Schur complement.
    func factor(d: [Double], regularization: Double) -> Factors? {
        var hm = problem.P
        if md > 0 {
            var scaled = gDense
            for i in 0..<md {
                let w = d[i].squareRoot()
                for j in 0..<n { scaled.elements[i + j * md] *= w }
            }
            hm = hm + scaled.gram()
        }
        for k in 0..<mb {
            let j = boundVariable[k]
            hm[j, j] += d[md + k]
        }
        let scale = Swift.max(1, hm.diagonal.map(abs).max() ?? 1)
        var delta = regularization * scale
        for _ in 0..<6 {
            var reg = hm
            for j in 0..<n { reg[j, j] += delta }
            if let c = try? Cholesky(reg) {
                if me == 0 { return Factors(cholesky: c, aTransposeSolved: Matrix(rows: n, columns: 0), schur: nil) }
                let x = c.solve(problem.A.transposed)
                var s = Matrix.product(problem.A, x)
                s.symmetrize()
                let sScale = Swift.max(1e-300, s.diagonal.map(abs).max() ?? 1)
                for i in 0..<me { s[i, i] += 1e-15 * sScale }
                if let sc = try? Cholesky(s) { return Factors(cholesky: c, aTransposeSolved: x, schur: sc) }
            }
            delta = Swift.max(delta * 100, 1e-12 * scale)
        }
        return nil
    }

    /// Solves the reduced Newton system for right-hand sides f (n) and g (me).
    func solve(_ f: Matrix, _ g: [Double], _ fac: Factors) -> (dx: [Double], dy: [Double]) {
        let hf = fac.cholesky.solve(f).elements
        guard me > 0, let schur = fac.schur else { return (hf, []) }
        let ahf = problem.A.times(hf)
        let rhs = (0..<me).map { ahf[$0] - g[$0] }
        let dy = schur.solve(rhs)
        let correction = fac.aTransposeSolved.times(dy)
        return ((0..<n).map { hf[$0] - correction[$0] }, dy)
    }

    // MARK: Main loop

    mutating func run(_ options: QPOptions) -> QPSolution {
        let p = problem
        let hv = h
        var x = [Double](repeating: 0, count: n)
        // Start inside the bounds where both are finite.
        for j in 0..<n {
            let lo = p.lowerBounds[j]
            let hi = p.upperBounds[j]
            if lo.isFinite && hi.isFinite {
                x[j] = 0.5 * (lo + hi)
            } else if lo.isFinite {
                x[j] = lo + 1
            } else if hi.isFinite {
                x[j] = hi - 1
            }
        }
        var y = [Double](repeating: 0, count: me)
        var s: [Double]
        var z: [Double]
        if let warm = options.initialPoint, warm.count == n, warm.allSatisfy(\.isFinite) {
            // Warm start near a previous solution: its slacks, floored so that the iterates
            // stay interior, and multipliers that put every pair on a common centring level.
            x = warm
            let gx = gTimes(x)
            let floor = 1e-4 * (1 + (hv.filter(\.isFinite).map(abs).max() ?? 0))
            s = (0..<m).map { Swift.max(hv[$0] - gx[$0], floor) }
            z = s.map { floor / $0 }
        } else {
            let gx0 = gTimes(x)
            s = (0..<m).map { Swift.max(hv[$0] - gx0[$0], 1) }
            z = [Double](repeating: 1, count: m)
        }
        let qNorm = p.q.map(abs).max() ?? 0
        let bNorm = p.b.map(abs).max() ?? 0
        let hNorm = hv.filter(\.isFinite).map(abs).max() ?? 0
        let pNorm = p.P.elements.map(abs).max() ?? 0
        var status = QPStatus.iterationLimit
        var iterations = 0

        for iteration in 0..<options.maxIterations {
            iterations = iteration
            let px = p.P.times(x)
            let aty = me > 0 ? p.A.times(y, transposed: true) : [Double](repeating: 0, count: n)
            let gtz = gTransposeTimes(z)
            var rd = [Double](repeating: 0, count: n)
            for j in 0..<n { rd[j] = px[j] + p.q[j] + aty[j] + gtz[j] }
            let ax = me > 0 ? p.A.times(x) : []
            let rp = (0..<me).map { ax[$0] - p.b[$0] }
            let gx = gTimes(x)
            let ri = (0..<m).map { gx[$0] + s[$0] - hv[$0] }
            let mu = m > 0 ? zip(s, z).reduce(0) { $0 + $1.0 * $1.1 } / Double(m) : 0
            let xNorm = x.map(abs).max() ?? 0
            let primal = Swift.max(rp.map(abs).max() ?? 0, ri.map(abs).max() ?? 0)
            let dual = rd.map(abs).max() ?? 0
            let objScale = 1 + abs(p.objective(at: x))
            if primal <= options.tolerance * (1 + Swift.max(bNorm, hNorm, xNorm))
                && dual <= options.tolerance * (1 + Swift.max(qNorm, pNorm * xNorm))
                && mu * Double(Swift.max(m, 1)) <= options.tolerance * objScale
            {
                status = .optimal
                break
            }
            // Divergence: multipliers exploding while the primal residual stays put means the
            // constraints cannot be met; the point running away means the objective has no floor.
            let zMax = z.max() ?? 0
            let yMax = y.map(abs).max() ?? 0
            if Swift.max(zMax, yMax) > 1e12 * (1 + qNorm + pNorm) && primal > 1e-6 * (1 + Swift.max(bNorm, hNorm)) {
                status = .infeasible
                break
            }
            if xNorm > 1e12 * (1 + bNorm + hNorm) {
                status = .unbounded
                break
            }
            let d = (0..<m).map { z[$0] / s[$0] }
            guard let fac = factor(d: d, regularization: options.regularization) else {
                status = .numericalError
                break
            }
            func direction(_ rc: [Double]) -> (dx: [Double], dy: [Double], ds: [Double], dz: [Double]) {
                // f = -rd - Gᵀ S⁻¹ (Z ri - rc)
                let w = (0..<m).map { (z[$0] * ri[$0] - rc[$0]) / s[$0] }
                let gtw = gTransposeTimes(w)
                let f = Matrix(rows: n, columns: 1, columnMajor: (0..<n).map { -rd[$0] - gtw[$0] })
                let (dx, dy) = solve(f, rp.map { -$0 }, fac)
                let gdx = gTimes(dx)
                let ds = (0..<m).map { -ri[$0] - gdx[$0] }
                let dz = (0..<m).map { d[$0] * gdx[$0] + w[$0] }
                return (dx, dy, ds, dz)
            }
            func maxStep(_ v: [Double], _ dv: [Double]) -> Double {
                var a = 1.0
                for k in v.indices where dv[k] < 0 { a = Swift.min(a, -v[k] / dv[k]) }
                return a
            }
            // Predictor (affine scaling).
            let affine = direction((0..<m).map { s[$0] * z[$0] })
            let alphaAff = Swift.min(maxStep(s, affine.ds), maxStep(z, affine.dz))
            var muAff = 0.0
            for k in 0..<m { muAff += (s[k] + alphaAff * affine.ds[k]) * (z[k] + alphaAff * affine.dz[k]) }
            muAff /= Double(Swift.max(m, 1))
            let sigma = m > 0 && mu > 0 ? pow(muAff / mu, 3) : 0
            // Corrector with centring.
            let step = direction((0..<m).map { s[$0] * z[$0] + affine.ds[$0] * affine.dz[$0] - sigma * mu })
            let alpha = Swift.min(1, 0.99 * Swift.min(maxStep(s, step.ds), maxStep(z, step.dz)))
            for j in 0..<n { x[j] += alpha * step.dx[j] }
            for i in 0..<me { y[i] += alpha * step.dy[i] }
            for k in 0..<m {
                s[k] = Swift.max(s[k] + alpha * step.ds[k], 1e-300)
                z[k] = Swift.max(z[k] + alpha * step.dz[k], 1e-300)
            }
            iterations = iteration + 1
        }

        var solution = assemble(x: x, y: y, z: z, status: status, iterations: iterations, polished: false)
        if options.polish && (status == .optimal || status == .iterationLimit),
            let polishedSolution = polish(x: x, s: s, z: z, iterations: iterations)
        {
            if polishedSolution.kktResidual <= Swift.max(solution.kktResidual, 1e-12) || status != .optimal {
                solution = polishedSolution
                if status == .iterationLimit && polishedSolution.kktResidual <= options.tolerance { solution.status = .optimal }
            }
        }
        return solution
    }

    /// Maps internal multipliers back to the program's rows and computes the residuals.
    func assemble(x: [Double], y: [Double], z: [Double], status: QPStatus, iterations: Int, polished: Bool) -> QPSolution {
        let p = problem
        var upperM = [Double](repeating: 0, count: p.C.rows)
        var lowerM = [Double](repeating: 0, count: p.C.rows)
        var upperB = [Double](repeating: 0, count: n)
        var lowerB = [Double](repeating: 0, count: n)
        for (k, row) in (denseRows + boundRows).enumerated() {
            switch row {
            case .general(let i, let sign): if sign > 0 { upperM[i] = z[k] } else { lowerM[i] = z[k] }
            case .bound(let j, let sign): if sign > 0 { upperB[j] = z[k] } else { lowerB[j] = z[k] }
            }
        }
        let px = p.P.times(x)
        let aty = me > 0 ? p.A.times(y, transposed: true) : [Double](repeating: 0, count: n)
        let gtz = gTransposeTimes(z)
        var dual = 0.0
        for j in 0..<n {
            let stationarity: Double = px[j] + p.q[j] + aty[j] + gtz[j]
            dual = Swift.max(dual, abs(stationarity))
        }
        let ax = me > 0 ? p.A.times(x) : []
        var primal = 0.0
        for i in 0..<me { primal = Swift.max(primal, abs(ax[i] - p.b[i])) }
        let gx = gTimes(x)
        let hv = h
        var gap = 0.0
        for k in 0..<m {
            let slack = hv[k] - gx[k]
            if -slack > primal { primal = -slack }
            gap += Swift.max(slack, 0) * z[k]
        }
        return QPSolution(
            status: status, x: x, equalityMultipliers: y, upperMultipliers: upperM, lowerMultipliers: lowerM, upperBoundMultipliers: upperB,
            lowerBoundMultipliers: lowerB, iterations: iterations, primalResidual: primal, dualResidual: dual, dualityGap: gap,
            objective: p.objective(at: x), polished: polished)
    }

    /// Solves the KKT system on the active set; nil if it is singular or its answer is not
    /// a valid optimum (infeasible point or wrong-signed multiplier).
    ///
    /// Variables at an active bound are fixed and eliminated; the equality rows and the active
    /// general rows, restricted to the free variables, are reduced to an independent set
    /// (rows that depend on earlier ones are dropped, with a zero multiplier, which handles
    /// the degenerate vertices of linear programs); the KKT system over the free variables is
    /// solved by LU with one step of iterative refinement; the bound multipliers then follow
    /// from stationarity.
    func polish(x: [Double], s: [Double], z: [Double], iterations: Int) -> QPSolution? {
        let p = problem
        let hv = h
        // Fixed variables: value and the internal bound row that fixes them.
        var fixedRow = [Int?](repeating: nil, count: n)
        for k in 0..<mb where z[md + k] > s[md + k] {
            let j = boundVariable[k]
            if let other = fixedRow[j], z[md + other] >= z[md + k] { continue }
            fixedRow[j] = k
        }
        // Candidate rows: equalities first, then active general rows by decreasing multiplier.
        var candidates: [(coefficients: [Double], rhs: Double, source: Int)] = []  // source: -1-i equality i, else dense row
        for i in 0..<me { candidates.append((p.A.row(i), p.b[i], -1 - i)) }
        let activeDense = (0..<md).filter { z[$0] > s[$0] }.sorted { z[$0] > z[$1] }
        for r in activeDense { candidates.append((gDense.row(r), hv[r], r)) }
        // The rows restricted to the free variables must be independent. When one depends on
        // the others (a degenerate vertex: more active constraints than variables), free the
        // least active fixed variable that the row involves, and try again; a row that no
        // freed variable can rescue is dropped with a zero multiplier.
        var kept: [(coefficients: [Double], rhs: Double, source: Int)] = []
        var free: [Int] = []
        var resolved = false
        for _ in 0...(n + 1) {
            free = (0..<n).filter { fixedRow[$0] == nil }
            var basis: [[Double]] = []
            kept = []
            var dependent: (coefficients: [Double], rhs: Double, source: Int)?
            for c in candidates {
                var v = free.map { c.coefficients[$0] }
                let norm = (v.reduce(0) { $0 + $1 * $1 }).squareRoot()
                for q in basis {
                    let dot = zip(q, v).reduce(0) { $0 + $1.0 * $1.1 }
                    for t in v.indices { v[t] -= dot * q[t] }
                }
                let residual = (v.reduce(0) { $0 + $1 * $1 }).squareRoot()
                if norm == 0 || residual <= 1e-10 * norm {
                    dependent = c
                    break
                }
                basis.append(v.map { $0 / residual })
                kept.append(c)
            }
            guard let row = dependent else {
                resolved = true
                break
            }
            // The least active fixed variable the row involves.
            let involved = (0..<n).filter { fixedRow[$0] != nil && row.coefficients[$0] != 0 }
            if let j = involved.min(by: { z[md + fixedRow[$0]!] < z[md + fixedRow[$1]!] }) {
                fixedRow[j] = nil
            } else {
                candidates.removeAll { $0.source == row.source }
                if row.source < 0 { return nil }  // an equality no variable can satisfy
            }
        }
        if !resolved { return nil }
        var xp = x
        for j in 0..<n { if let k = fixedRow[j] { xp[j] = boundSign[k] * hBound[k] } }
        let nf = free.count
        let r = kept.count
        let size = nf + r
        var k = Matrix(rows: size, columns: size)
        var rhs = [Double](repeating: 0, count: size)
        let pxFixed = p.P.times((0..<n).map { fixedRow[$0] == nil ? 0 : xp[$0] })
        for (a, j) in free.enumerated() {
            for (b, i) in free.enumerated() { k[b, a] = p.P[i, j] }
            rhs[a] = -p.q[j] - pxFixed[j]
        }
        for (row, c) in kept.enumerated() {
            var value = c.rhs
            for j in 0..<n where fixedRow[j] != nil { value -= c.coefficients[j] * xp[j] }
            for (a, j) in free.enumerated() {
                k[nf + row, a] = c.coefficients[j]
                k[a, nf + row] = c.coefficients[j]
            }
            rhs[nf + row] = value
        }
        var sol = [Double](repeating: 0, count: size)
        if size > 0 {
            guard let solved = try? solveLinearSystem(k, Matrix(rows: size, columns: 1, columnMajor: rhs)) else { return nil }
            sol = solved.elements
            let residual = k.times(sol)
            let correction = Matrix(rows: size, columns: 1, columnMajor: (0..<size).map { rhs[$0] - residual[$0] })
            if let step = try? solveLinearSystem(k, correction) { for i in 0..<size { sol[i] += step.elements[i] } }
        }
        for (a, j) in free.enumerated() { xp[j] = sol[a] }
        var yp = [Double](repeating: 0, count: me)
        var zp = [Double](repeating: 0, count: m)
        let tolerance = 1e-9 * Swift.max(1, p.P.elements.map(abs).max() ?? 1, p.q.map(abs).max() ?? 1)
        for (row, c) in kept.enumerated() {
            // KKT: P x + q + Aᵀ y + Gᵀ z = 0 with the sign convention of the system above
            // (P x + [rows]ᵀ λ = -q), so the multiplier is λ itself.
            let lambda = sol[nf + row]
            if c.source < 0 {
                yp[-1 - c.source] = lambda
            } else {
                if lambda < -tolerance { return nil }
                zp[c.source] = Swift.max(lambda, 0)
            }
        }
        // Bound multipliers from stationarity on the fixed variables.
        let px = p.P.times(xp)
        let aty = me > 0 ? p.A.times(yp, transposed: true) : [Double](repeating: 0, count: n)
        let gtz = md > 0 ? gDense.times(Array(zp[0..<md]), transposed: true) : [Double](repeating: 0, count: n)
        for j in 0..<n {
            guard let kRow = fixedRow[j] else { continue }
            let g: Double = px[j] + p.q[j] + aty[j] + gtz[j]
            let multiplier = -g / boundSign[kRow]
            if multiplier < -tolerance { return nil }
            zp[md + kRow] = Swift.max(multiplier, 0)
        }
        let gx = gTimes(xp)
        let hScale = 1 + (hv.map(abs).max() ?? 0)
        for i in 0..<m where gx[i] - hv[i] > 1e-10 * hScale { return nil }
        return assemble(x: xp, y: yp, z: zp, status: .optimal, iterations: iterations, polished: true)
    }
}

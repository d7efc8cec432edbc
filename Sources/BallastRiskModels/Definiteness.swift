import BallastLinearAlgebra
import Foundation

/// What the definiteness check found about a covariance matrix.
public struct CovarianceDiagnostics: Sendable, Equatable, Codable {
    /// `true` when a Cholesky factorisation succeeds.
    public var isPositiveDefinite: Bool
    /// Smallest eigenvalue.
    public var minEigenvalue: Double
    /// Largest eigenvalue.
    public var maxEigenvalue: Double
    /// 2-norm condition number `max|λ| / min|λ|`; `.infinity` when the matrix is singular.
    public var conditionNumber: Double
    /// Set when the matrix is singular or nearly so (see ``nearSingularityThreshold``): which
    /// assets cause it and how to fix it, in words. `nil` otherwise, or when the check ran
    /// without asset names.
    public var nearSingularity: String? = nil

    /// Condition number above which a covariance counts as nearly singular: beyond it fewer
    /// than four significant digits of an optimal portfolio survive double precision.
    public static let nearSingularityThreshold = 1e12

    /// Checks a matrix as ``check(_:)`` does and, when it is nearly singular (the smallest
    /// eigenvalue at most `n ε λmax`, where it may even be slightly negative, or a condition
    /// number above ``nearSingularityThreshold``), names the assets
    /// behind it in ``nearSingularity``: zero-variance assets, pairs with a correlation of ±1
    /// to eight digits (duplicated columns), or else the assets that carry the eigenvector of
    /// the smallest eigenvalue (a near linear combination).
    ///
    /// - Complexity: O(N³).
    public static func check(_ covariance: Matrix, assets: [String]) throws(RiskModelError) -> CovarianceDiagnostics {
        precondition(assets.count == covariance.rows, "one name per row: \(assets.count) names, \(covariance.rows) rows")
        var d = try check(covariance)
        let n = covariance.rows
        let top = Swift.max(abs(d.maxEigenvalue), 1e-300)
        let singular =
            d.minEigenvalue <= Double(n) * Double.ulpOfOne * top || !d.conditionNumber.isFinite
            || d.conditionNumber > nearSingularityThreshold
        guard singular, n > 0 else { return d }
        var causes: [String] = []
        let variances = (0..<n).map { covariance[$0, $0] }
        let positive = variances.filter { $0 > 0 }.sorted()
        let typical = positive.isEmpty ? 0 : positive[positive.count / 2]
        let flat = (0..<n).filter { variances[$0] <= Double.ulpOfOne * typical }
        if !flat.isEmpty {
            causes.append("\(flat.map { assets[$0] }.joined(separator: ", ")) \(flat.count == 1 ? "has" : "have") no variance")
        }
        var pairs: [String] = []
        for j in 0..<n where !flat.contains(j) {
            for i in 0..<j where !flat.contains(i) {
                let rho = covariance[i, j] / (variances[i] * variances[j]).squareRoot()
                if abs(rho) >= 1 - 1e-8 {
                    pairs.append("\(assets[i]) and \(assets[j]) (correlation \(String(format: "%.8f", rho)))")
                }
            }
        }
        if !pairs.isEmpty {
            causes.append(
                (pairs.count > 5
                    ? pairs.prefix(5).joined(separator: ", ") + " and \(pairs.count - 5) more pairs" : pairs.joined(separator: ", "))
                    + " are perfectly correlated, as duplicated columns are")
        }
        if causes.isEmpty, let eig = try? SymmetricEigendecomposition(covariance, computeVectors: true), let vectors = eig.vectors {
            // The smallest eigenvalue's eigenvector: the combination of assets with (almost) no risk.
            let v = (0..<n).map { vectors[$0, 0] }
            // The largest components, until they carry 90% of the vector (at least two).
            let order = (0..<n).sorted { abs(v[$0]) > abs(v[$1]) }
            var involved: [Int] = []
            var carried = 0.0
            for i in order where involved.count < 2 || carried < 0.9 {
                involved.append(i)
                carried += v[i] * v[i]
            }
            causes.append(
                "\(involved.prefix(8).map { assets[$0] }.joined(separator: ", ")) are nearly a linear combination of each other (more assets than observations does this too)"
            )
        }
        let cond = d.conditionNumber.isFinite ? String(format: "%.2g", d.conditionNumber) : "infinite"
        d.nearSingularity =
            "the covariance is numerically singular (condition number \(cond), smallest eigenvalue \(String(format: "%.2g", d.minEigenvalue))): "
            + causes.joined(separator: "; ")
            + "; drop the duplicated or redundant assets, or use a shrinkage estimator (--covariance ledoit-wolf or oas)"
        return d
    }

    /// Checks a symmetric matrix: Cholesky for definiteness, `syevd` (values only) for the
    /// spectrum and the condition number.
    ///
    /// - Throws: ``RiskModelError`` when the matrix holds non-finite values or the
    ///   eigenvalue iteration fails.
    /// - Complexity: O(N³).
    public static func check(_ covariance: Matrix) throws(RiskModelError) -> CovarianceDiagnostics {
        let pd: Bool
        do {
            _ = try Cholesky(covariance)
            pd = true
        } catch .notPositiveDefinite {
            pd = false
        } catch {
            throw RiskModelError.from(error)
        }
        let eig: SymmetricEigendecomposition
        do { eig = try SymmetricEigendecomposition(covariance, computeVectors: false) } catch { throw RiskModelError.from(error) }
        let lo = eig.values.first ?? 0
        let hi = eig.values.last ?? 0
        let absMin = eig.values.map(abs).min() ?? 0
        let absMax = eig.values.map(abs).max() ?? 0
        let cond = absMin > 0 && pd ? absMax / absMin : .infinity
        return CovarianceDiagnostics(isPositiveDefinite: pd, minEigenvalue: lo, maxEigenvalue: hi, conditionNumber: cond)
    }
}

/// How to repair a covariance that is not positive definite.
public enum CovarianceRepairMethod: String, Sendable, Codable, CaseIterable {
    /// Raise every eigenvalue below a floor to the floor and rebuild `V diag(λ) Vᵀ`
    /// (PyPortfolioOpt's "spectral" fix clips at 0; Ballast clips at a small positive floor
    /// so the result is positive definite, not merely semidefinite).
    case eigenvalueClipping = "clip"
    /// Higham's (2002) nearest correlation matrix by alternating projections with Dykstra's
    /// correction, applied to the correlation matrix; the variances are kept.
    case nearestCorrelation = "higham"
}

/// What a repair changed.
public struct CovarianceRepairReport: Sendable, Equatable, Codable {
    /// The method used.
    public var method: CovarianceRepairMethod
    /// Smallest eigenvalue before and after.
    public var minEigenvalueBefore: Double
    /// Smallest eigenvalue after the repair.
    public var minEigenvalueAfter: Double
    /// Number of eigenvalues raised (clipping) or of iterations (nearest correlation).
    public var eigenvaluesRaised: Int
    /// Iterations used (Higham's method).
    public var iterations: Int
    /// Largest absolute change of an entry.
    public var maxAbsoluteChange: Double
    /// Frobenius norm of the change, relative to the Frobenius norm of the input.
    public var relativeFrobeniusChange: Double
}

/// Explicit repair of a covariance matrix that is not positive definite.
public enum CovarianceRepair {
    /// The default floor for eigenvalue clipping, relative to the largest eigenvalue.
    ///
    /// 1e-10 keeps the condition number below 1e10, which Cholesky and the optimiser handle
    /// with about six correct digits left; lower it only if you know the consequences.
    public static let defaultRelativeFloor = 1e-10

    /// Repairs `covariance`; a positive-definite input comes back unchanged.
    ///
    /// - Parameters:
    ///   - covariance: a symmetric matrix.
    ///   - method: clipping (default) or nearest correlation.
    ///   - relativeFloor: smallest eigenvalue kept, relative to the largest.
    ///   - maxIterations: iteration limit of Higham's alternating projections.
    /// - Returns: the repaired matrix and a report, or the input and `nil` when it was already
    ///   positive definite.
    /// - Throws: ``RiskModelError`` for non-finite input, a non-positive variance (nearest
    ///   correlation), or a failed eigen-decomposition.
    public static func repair(
        _ covariance: Matrix, method: CovarianceRepairMethod = .eigenvalueClipping, relativeFloor: Double = defaultRelativeFloor,
        maxIterations: Int = 200
    ) throws(RiskModelError) -> (matrix: Matrix, report: CovarianceRepairReport?) {
        let before = try CovarianceDiagnostics.check(covariance)
        if before.isPositiveDefinite && before.minEigenvalue > relativeFloor * before.maxEigenvalue {
            return (covariance, nil)
        }
        var repaired: Matrix
        var raised = 0
        var iterations = 0
        switch method {
        case .eigenvalueClipping:
            (repaired, raised) = try clip(covariance, relativeFloor: relativeFloor)
        case .nearestCorrelation:
            let n = covariance.rows
            let d = covariance.diagonal
            if let k = d.firstIndex(where: { !($0 > 0) }) {
                throw RiskModelError(
                    .zeroVariance, asset: "#\(k)", message: "variance \(d[k]) is not positive, so no correlation matrix exists",
                    fix: "drop the asset or use eigenvalue clipping")
            }
            let s = d.map { $0.squareRoot() }
            var corr = covariance
            for j in 0..<n { for i in 0..<n { corr[i, j] /= s[i] * s[j] } }
            var y = corr
            var correction = Matrix(rows: n, columns: n)
            var x = corr
            for it in 1...maxIterations {
                iterations = it
                let r = y - correction
                (x, _) = try clip(r, relativeFloor: 0, absoluteFloor: 0)
                correction = x - r
                let previous = y
                y = x
                for i in 0..<n { y[i, i] = 1 }
                let change = (y - previous).elements.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if change < 1e-12 * Double(n) { break }
            }
            // Final step: clip at the floor so the result is positive definite, and restore
            // the unit diagonal by rescaling.
            (x, raised) = try clip(y, relativeFloor: relativeFloor)
            let dd = x.diagonal.map { $0.squareRoot() }
            for j in 0..<n { for i in 0..<n { x[i, j] = x[i, j] / (dd[i] * dd[j]) * s[i] * s[j] } }
            x.symmetrize()
            repaired = x
        }
        let after = try CovarianceDiagnostics.check(repaired)
        let diff = repaired - covariance
        let norm = covariance.elements.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (
            repaired,
            CovarianceRepairReport(
                method: method, minEigenvalueBefore: before.minEigenvalue, minEigenvalueAfter: after.minEigenvalue,
                eigenvaluesRaised: raised, iterations: iterations, maxAbsoluteChange: diff.elements.map(abs).max() ?? 0,
                relativeFrobeniusChange: norm > 0 ? diff.elements.reduce(0) { $0 + $1 * $1 }.squareRoot() / norm : 0)
        )
    }

    static func clip(_ a: Matrix, relativeFloor: Double, absoluteFloor: Double? = nil) throws(RiskModelError) -> (Matrix, Int) {
        let eig: SymmetricEigendecomposition
        do { eig = try SymmetricEigendecomposition(a) } catch { throw RiskModelError.from(error) }
        let floor = absoluteFloor ?? relativeFloor * Swift.max(eig.values.last ?? 0, 0)
        let raised = eig.values.filter { $0 < floor }.count
        return (eig.reconstruct { Swift.max($0, floor) }, raised)
    }
}

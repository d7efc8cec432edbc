import CBallastLAPACK
import Foundation

/// A failure of a linear-algebra routine caused by the data (never by a wrong call).
///
/// LAPACK reports problems through an integer `info`. A negative value means an argument was
/// wrong: that is a bug in Ballast and stops the program with a message naming the routine and
/// the argument. A positive value is a property of the data and becomes one of these cases,
/// with zero-based indices and a sentence a user can act on.
public enum LinearAlgebraError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `potrf` found that the leading minor of order `order` (1-based order, so the failing
    /// pivot is at zero-based index `order - 1`) is not positive.
    case notPositiveDefinite(routine: String, pivot: Int)
    /// `gels` found a zero diagonal element of the triangular factor: the matrix does not
    /// have full rank; `column` is zero-based.
    case rankDeficient(routine: String, column: Int)
    /// An LU factorisation met an exactly zero pivot at zero-based index `pivot`: the matrix
    /// is singular.
    case singular(routine: String, pivot: Int)
    /// An eigenvalue routine failed to converge (`count` off-diagonal elements did not vanish).
    case noConvergence(routine: String, count: Int)
    /// The input held a NaN or an infinity at zero-based `(row, column)`.
    case nonFiniteInput(routine: String, row: Int, column: Int)

    /// The error with the routine and argument named.
    public var description: String {
        switch self {
        case .notPositiveDefinite(let routine, let pivot):
            return
                "\(routine): the matrix is not positive definite (the leading minor ending at index \(pivot) is not positive); repair it (eigenvalue clipping or nearest correlation) or remove redundant assets"
        case .singular(let routine, let pivot):
            return "\(routine): the matrix is singular (zero pivot at index \(pivot)); remove redundant rows or columns"
        case .rankDeficient(let routine, let column):
            return
                "\(routine): the matrix does not have full column rank (column \(column) depends on the others); remove the redundant column"
        case .noConvergence(let routine, let count):
            return
                "\(routine): the eigenvalue iteration did not converge (\(count) off-diagonal elements did not vanish); check the input for extreme values"
        case .nonFiniteInput(let routine, let row, let column):
            return "\(routine): the input holds a NaN or infinite value at (\(row), \(column)); clean the data first"
        }
    }
}

// MARK: - The funnel

/// The one place that interprets LAPACK's `info`.
@inline(__always)
func checkArgumentInfo(_ info: Int32, routine: String, argumentNames: [String]) {
    if info < 0 {
        let index = Int(-info)
        let name = index <= argumentNames.count ? argumentNames[index - 1] : "#\(index)"
        preconditionFailure("\(routine): illegal value for argument \(index) (\(name)); this is a bug in Ballast")
    }
}

func requireFinite(_ m: Matrix, routine: String) throws(LinearAlgebraError) {
    // The fast check first; the position only when something is not finite.
    guard !m.isFinite else { return }
    if let k = m.elements.firstIndex(where: { !$0.isFinite }) {
        throw .nonFiniteInput(routine: routine, row: k % Swift.max(m.rows, 1), column: k / Swift.max(m.rows, 1))
    }
}

private let uploLower = Int8(UInt8(ascii: "L"))
private let vectorsJob = Int8(UInt8(ascii: "V"))
private let valuesJob = Int8(UInt8(ascii: "N"))
private let noTranspose = Int8(UInt8(ascii: "N"))

/// Thread control for the BLAS library.
public enum BLASThreads {
    /// Sets the number of threads OpenBLAS uses (1 pins it to one core).
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(Swift.max(1, count)))
    }

    /// The number of threads OpenBLAS uses now.
    public static var current: Int { Int(openblas_get_num_threads()) }
}

// MARK: - BLAS level 2 and 3

extension Matrix {
    /// General matrix product `alpha * op(A) * op(B)` (BLAS `dgemm`).
    ///
    /// - Parameters:
    ///   - a: left factor.
    ///   - transposeA: use `Aᵀ` instead of `A`.
    ///   - b: right factor.
    ///   - transposeB: use `Bᵀ` instead of `B`.
    ///   - alpha: scale applied to the product.
    /// - Precondition: inner dimensions agree.
    /// - Complexity: O(m n k).
    public static func product(
        _ a: Matrix, transposed transposeA: Bool = false, _ b: Matrix, transposed transposeB: Bool = false,
        alpha: Double = 1
    ) -> Matrix {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows
        let n = transposeB ? b.rows : b.columns
        precondition(k == kb, "gemm: inner dimensions differ: op(A) is \(m)x\(k), op(B) is \(kb)x\(n)")
        var c = Matrix(rows: m, columns: n)
        if m == 0 || n == 0 || k == 0 { return c }
        a.elements.withUnsafeBufferPointer { pa in
            b.elements.withUnsafeBufferPointer { pb in
                c.elements.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(
                        CblasColMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, pa.baseAddress, Int32(Swift.max(1, a.rows)),
                        pb.baseAddress, Int32(Swift.max(1, b.rows)), 0, pc.baseAddress, Int32(Swift.max(1, m)))
                }
            }
        }
        return c
    }

    /// Matrix-vector product `alpha * op(A) x` (BLAS `dgemv`).
    ///
    /// - Precondition: `x.count` equals the columns of `op(A)`.
    /// - Complexity: O(rows x columns).
    public func times(_ x: [Double], transposed: Bool = false, alpha: Double = 1) -> [Double] {
        let outCount = transposed ? columns : rows
        let inCount = transposed ? rows : columns
        precondition(x.count == inCount, "gemv: op(A) is \(outCount)x\(inCount) but x has \(x.count) elements")
        var y = [Double](repeating: 0, count: outCount)
        if outCount == 0 || inCount == 0 { return y }
        elements.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    cblas_dgemv(
                        CblasColMajor, transposed ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), alpha,
                        pa.baseAddress, Int32(Swift.max(1, rows)), px.baseAddress, 1, 0, py.baseAddress, 1)
                }
            }
        }
        return y
    }

    /// The Gram matrix `alpha * Aᵀ A` (BLAS `dsyrk`), returned full and exactly symmetric.
    ///
    /// For a returns matrix laid out `observations x assets` this is the cross-product
    /// matrix of the assets. `syrk` does half the work of `gemm` and writes the upper
    /// triangle, which is then mirrored.
    ///
    /// - Complexity: O(rows x columns²) / 2.
    public func gram(alpha: Double = 1) -> Matrix {
        let n = columns
        var c = Matrix(rows: n, columns: n)
        if n == 0 { return c }
        if rows == 0 { return c }
        elements.withUnsafeBufferPointer { pa in
            c.elements.withUnsafeMutableBufferPointer { pc in
                cblas_dsyrk(
                    CblasColMajor, CblasUpper, CblasTrans, Int32(n), Int32(rows), alpha, pa.baseAddress,
                    Int32(Swift.max(1, rows)), 0, pc.baseAddress, Int32(n))
            }
        }
        c.mirrorUpperToLower()
        return c
    }

    /// The Gram matrix of the column-centred matrix, `alpha * Xcᵀ Xc` with
    /// `Xc = X - 1 mᵀ` and `m` the column means, together with the means; one pass over `X`.
    ///
    /// The classic shifted-data algorithm: each column is first shifted by a provisional
    /// mean `a` (the mean of the first block of rows), blocks of shifted rows are accumulated
    /// with BLAS `dsyrk` while the shifted column sums `s` are kept, and the exact result
    /// follows from `Xcᵀ Xc = (X - 1aᵀ)ᵀ(X - 1aᵀ) - T d dᵀ` with `d = s / T` (one `dsyr`).
    /// Because `a` is already close to the mean, `d` is small and the correction cancels
    /// nothing of substance. Blocks stay in cache, so the cost is one `syrk` plus one read
    /// of `X`.
    ///
    /// - Parameters:
    ///   - alpha: scale applied to the product (e.g. `1 / (T - 1)`).
    ///   - blockRows: rows per block (default 256: a block of 500 columns is 1 MB).
    /// - Returns: the full, exactly symmetric matrix and the column means, or `nil` as soon as
    ///   a block holds a NaN (missing data needs a pairwise method instead).
    /// - Complexity: O(rows x columns²) / 2.
    public func centredGram(alpha: Double = 1, blockRows: Int = 256) -> (gram: Matrix, means: [Double])? {
        precondition(blockRows > 0, "centredGram: blockRows must be positive")
        let n = columns
        let t = rows
        var c = Matrix(rows: n, columns: n)
        if n == 0 || t == 0 { return nil }
        let block = Swift.min(blockRows, t)
        var buffer = [Double](repeating: 0, count: block * n)
        var provisional = [Double](repeating: 0, count: n)
        var sums = [Double](repeating: 0, count: n)
        let complete = elements.withUnsafeBufferPointer { src -> Bool in
            for j in 0..<n {
                var a = 0.0
                for i in 0..<block { a += src[j * t + i] }
                provisional[j] = a / Double(block)
            }
            return buffer.withUnsafeMutableBufferPointer { buf in
                c.elements.withUnsafeMutableBufferPointer { pc -> Bool in
                    var start = 0
                    while start < t {
                        let k = Swift.min(block, t - start)
                        for j in 0..<n {
                            let s = shiftedCopy(
                                from: src.baseAddress! + j * t + start, to: buf.baseAddress! + j * k, count: k, shift: provisional[j])
                            sums[j] += s
                            if s.isNaN { return false }
                        }
                        cblas_dsyrk(
                            CblasColMajor, CblasUpper, CblasTrans, Int32(n), Int32(k), alpha, buf.baseAddress, Int32(k), start == 0 ? 0 : 1,
                            pc.baseAddress, Int32(n))
                        start += k
                    }
                    let d = sums.map { $0 / Double(t) }
                    d.withUnsafeBufferPointer { pd in
                        cblas_dsyr(CblasColMajor, CblasUpper, Int32(n), -Double(t) * alpha, pd.baseAddress, 1, pc.baseAddress, Int32(n))
                    }
                    return true
                }
            }
        }
        guard complete else { return nil }
        c.mirrorUpperToLower()
        let means = (0..<n).map { provisional[$0] + sums[$0] / Double(t) }
        return (c, means)
    }

    /// `self + other`.
    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(
            lhs.rows == rhs.rows && lhs.columns == rhs.columns, "+: shapes differ: \(lhs.rows)x\(lhs.columns) vs \(rhs.rows)x\(rhs.columns)"
        )
        var m = lhs
        for k in m.elements.indices { m.elements[k] += rhs.elements[k] }
        return m
    }

    /// `self - other`.
    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(
            lhs.rows == rhs.rows && lhs.columns == rhs.columns, "-: shapes differ: \(lhs.rows)x\(lhs.columns) vs \(rhs.rows)x\(rhs.columns)"
        )
        var m = lhs
        for k in m.elements.indices { m.elements[k] -= rhs.elements[k] }
        return m
    }

    /// `A * B` (BLAS `dgemm`).
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix { product(lhs, rhs) }
}

// MARK: - Cholesky

/// The Cholesky factorisation `A = L Lᵀ` of a symmetric positive-definite matrix
/// (LAPACK `dpotrf`), used to check definiteness and to solve systems without forming an
/// inverse (`dpotrs`).
public struct Cholesky: Sendable {
    /// The lower-triangular factor `L`; the strict upper triangle is zero.
    public let lower: Matrix

    /// Factors `a`, reading its lower triangle.
    ///
    /// - Throws: ``LinearAlgebraError/notPositiveDefinite(routine:pivot:)`` with the zero-based
    ///   index of the first non-positive pivot, or ``LinearAlgebraError/nonFiniteInput(routine:row:column:)``.
    /// - Precondition: `a` is square.
    /// - Complexity: O(n³ / 3).
    public init(_ a: Matrix) throws(LinearAlgebraError) {
        precondition(a.isSquare, "potrf: needs a square matrix, got \(a.rows)x\(a.columns)")
        try requireFinite(a, routine: "dpotrf")
        var l = a
        let n = a.rows
        if n > 0 {
            let info = l.elements.withUnsafeMutableBufferPointer { p in
                LAPACKE_dpotrf(LAPACK_COL_MAJOR, uploLower, Int32(n), p.baseAddress, Int32(n))
            }
            checkArgumentInfo(info, routine: "dpotrf", argumentNames: ["matrix_layout", "uplo", "n", "a", "lda"])
            if info > 0 { throw .notPositiveDefinite(routine: "dpotrf", pivot: Int(info) - 1) }
            // Zero the unused (strict upper) triangle so that `lower` is exactly L.
            for j in 1..<Swift.max(1, n) {
                for i in 0..<j { l.elements[i + j * n] = 0 }
            }
        }
        self.lower = l
    }

    /// Order of the factored matrix.
    public var order: Int { lower.rows }

    /// Solves `A X = B` for `X` (LAPACK `dpotrs`).
    ///
    /// - Precondition: `b.rows == order`.
    /// - Complexity: O(n² k) for `k` right-hand sides.
    public func solve(_ b: Matrix) -> Matrix {
        precondition(b.rows == order, "potrs: A is \(order)x\(order) but B has \(b.rows) rows")
        var x = b
        if order == 0 || b.columns == 0 { return x }
        let info = lower.elements.withUnsafeBufferPointer { pl in
            x.elements.withUnsafeMutableBufferPointer { px in
                LAPACKE_dpotrs(
                    LAPACK_COL_MAJOR, uploLower, Int32(order), Int32(b.columns), pl.baseAddress, Int32(order),
                    px.baseAddress, Int32(order))
            }
        }
        checkArgumentInfo(info, routine: "dpotrs", argumentNames: ["matrix_layout", "uplo", "n", "nrhs", "a", "lda", "b", "ldb"])
        return x
    }

    /// Solves `A x = b` for one right-hand side.
    public func solve(_ b: [Double]) -> [Double] {
        solve(Matrix(rows: b.count, columns: 1, columnMajor: b)).elements
    }

    /// `log det A = 2 Σ log Lᵢᵢ`.
    public var logDeterminant: Double {
        lower.diagonal.reduce(0) { $0 + 2 * log($1) }
    }
}

// MARK: - Symmetric eigendecomposition

/// The eigendecomposition `A = V diag(w) Vᵀ` of a symmetric matrix (LAPACK `dsyevd`,
/// divide and conquer), eigenvalues in ascending order.
public struct SymmetricEigendecomposition: Sendable {
    /// Eigenvalues in ascending order.
    public let values: [Double]
    /// Orthonormal eigenvectors, one per column, in the order of `values`; `nil` when only
    /// values were requested.
    public let vectors: Matrix?

    /// Decomposes `a`, reading its lower triangle.
    ///
    /// - Parameters:
    ///   - a: a symmetric matrix.
    ///   - computeVectors: also compute the eigenvectors (default `true`).
    /// - Throws: ``LinearAlgebraError/noConvergence(routine:count:)`` or
    ///   ``LinearAlgebraError/nonFiniteInput(routine:row:column:)``.
    /// - Complexity: O(n³).
    public init(_ a: Matrix, computeVectors: Bool = true) throws(LinearAlgebraError) {
        precondition(a.isSquare, "syevd: needs a square matrix, got \(a.rows)x\(a.columns)")
        try requireFinite(a, routine: "dsyevd")
        let n = a.rows
        var v = a
        var w = [Double](repeating: 0, count: n)
        if n > 0 {
            let info = v.elements.withUnsafeMutableBufferPointer { pa in
                w.withUnsafeMutableBufferPointer { pw in
                    LAPACKE_dsyevd(
                        LAPACK_COL_MAJOR, computeVectors ? vectorsJob : valuesJob, uploLower, Int32(n), pa.baseAddress, Int32(n),
                        pw.baseAddress)
                }
            }
            checkArgumentInfo(info, routine: "dsyevd", argumentNames: ["matrix_layout", "jobz", "uplo", "n", "a", "lda", "w"])
            if info > 0 { throw .noConvergence(routine: "dsyevd", count: Int(info)) }
        }
        self.values = w
        self.vectors = computeVectors ? v : nil
    }

    /// Rebuilds `V diag(f(w)) Vᵀ` with transformed eigenvalues (e.g. clipped at a floor).
    ///
    /// - Precondition: the decomposition holds eigenvectors.
    public func reconstruct(transformingValues transform: (Double) -> Double) -> Matrix {
        guard let v = vectors else { preconditionFailure("reconstruct needs eigenvectors; decompose with computeVectors: true") }
        let n = values.count
        // Scale each column of V by sqrt of the new eigenvalue is not possible for negatives,
        // so form (V D) Vᵀ with one gemm.
        var vd = v
        for j in 0..<n {
            let d = transform(values[j])
            for i in 0..<n { vd.elements[i + j * n] *= d }
        }
        var r = Matrix.product(vd, transposed: false, v, transposed: true)
        r.symmetrize()
        return r
    }
}

// MARK: - General linear systems

/// Solves the square system `A X = B` by LU factorisation with partial pivoting (LAPACK
/// `dgesv`).
///
/// - Throws: ``LinearAlgebraError/singular(routine:pivot:)`` with the zero-based index of the
///   zero pivot, or ``LinearAlgebraError/nonFiniteInput(routine:row:column:)``.
/// - Precondition: `a` is square and `b.rows == a.rows`.
/// - Complexity: O(n³ + n² k).
public func solveLinearSystem(_ a: Matrix, _ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    precondition(a.isSquare, "gesv: needs a square matrix, got \(a.rows)x\(a.columns)")
    precondition(b.rows == a.rows, "gesv: A is \(a.rows)x\(a.columns) but B has \(b.rows) rows")
    try requireFinite(a, routine: "dgesv")
    try requireFinite(b, routine: "dgesv")
    let n = a.rows
    var lu = a
    var x = b
    if n == 0 || b.columns == 0 { return x }
    var pivots = [Int32](repeating: 0, count: n)
    let info = lu.elements.withUnsafeMutableBufferPointer { pa in
        x.elements.withUnsafeMutableBufferPointer { pb in
            pivots.withUnsafeMutableBufferPointer { pp in
                LAPACKE_dgesv(
                    LAPACK_COL_MAJOR, Int32(n), Int32(b.columns), pa.baseAddress, Int32(n), pp.baseAddress, pb.baseAddress, Int32(n))
            }
        }
    }
    checkArgumentInfo(info, routine: "dgesv", argumentNames: ["matrix_layout", "n", "nrhs", "a", "lda", "ipiv", "b", "ldb"])
    if info > 0 { throw .singular(routine: "dgesv", pivot: Int(info) - 1) }
    return x
}

// MARK: - Least squares

/// Least-squares solution of `min ||A x - b||₂` for a full-rank tall matrix (LAPACK `dgels`,
/// QR factorisation).
///
/// - Parameters:
///   - a: `m x n` with `m >= n` and full column rank.
///   - b: `m x k` right-hand sides.
/// - Returns: the `n x k` solution.
/// - Throws: ``LinearAlgebraError/rankDeficient(routine:column:)`` when `A` does not have
///   full rank, ``LinearAlgebraError/nonFiniteInput(routine:row:column:)``.
/// - Complexity: O(m n² + m n k).
public func leastSquares(_ a: Matrix, _ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    precondition(a.rows == b.rows, "gels: A has \(a.rows) rows but B has \(b.rows)")
    precondition(a.rows >= a.columns, "gels: this wrapper solves over-determined systems; A is \(a.rows)x\(a.columns)")
    try requireFinite(a, routine: "dgels")
    try requireFinite(b, routine: "dgels")
    let m = a.rows
    let n = a.columns
    let k = b.columns
    var af = a
    var bf = b
    if n == 0 || k == 0 { return Matrix(rows: n, columns: k) }
    let info = af.elements.withUnsafeMutableBufferPointer { pa in
        bf.elements.withUnsafeMutableBufferPointer { pb in
            LAPACKE_dgels(
                LAPACK_COL_MAJOR, noTranspose, Int32(m), Int32(n), Int32(k), pa.baseAddress, Int32(Swift.max(1, m)), pb.baseAddress,
                Int32(Swift.max(1, m)))
        }
    }
    checkArgumentInfo(info, routine: "dgels", argumentNames: ["matrix_layout", "trans", "m", "n", "nrhs", "a", "lda", "b", "ldb"])
    if info > 0 { throw .rankDeficient(routine: "dgels", column: Int(info) - 1) }
    var x = Matrix(rows: n, columns: k)
    for j in 0..<k {
        for i in 0..<n { x.elements[i + j * n] = bf.elements[i + j * m] }
    }
    return x
}

/// Writes `from[i] - shift` to `to[i]` for `i < count` and returns the sum of what it wrote.
///
/// Four independent partial sums let the additions overlap instead of waiting on each other.
@inline(__always)
func shiftedCopy(from: UnsafePointer<Double>, to: UnsafeMutablePointer<Double>, count: Int, shift: Double) -> Double {
    var s0 = 0.0
    var s1 = 0.0
    var s2 = 0.0
    var s3 = 0.0
    var i = 0
    while i + 4 <= count {
        let v0 = from[i] - shift
        let v1 = from[i + 1] - shift
        let v2 = from[i + 2] - shift
        let v3 = from[i + 3] - shift
        to[i] = v0
        to[i + 1] = v1
        to[i + 2] = v2
        to[i + 3] = v3
        s0 += v0
        s1 += v1
        s2 += v2
        s3 += v3
        i += 4
    }
    while i < count {
        let v = from[i] - shift
        to[i] = v
        s0 += v
        i += 1
    }
    return (s0 + s1) + (s2 + s3)
}

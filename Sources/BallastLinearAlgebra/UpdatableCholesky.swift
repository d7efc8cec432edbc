import CBallastLAPACK
import Foundation

/// A Cholesky factor `A = L Lᵀ` that follows `A` as rows and columns are appended or removed,
/// in O(k²) per change instead of O(k³) for a new factorisation.
///
/// Appending a row/column solves one triangular system for the new row of `L`; removing row
/// and column `p` deletes row `p` of `L` and restores the triangle with Givens rotations
/// (Golub & Van Loan, *Matrix Computations*, 4th ed., §6.5.4). Used where a symmetric system
/// changes by one variable at a time, as in the critical line algorithm.
public struct UpdatableCholesky: Sendable {
    /// The lower-triangular factor, `order x order`, column-major with stride `capacity`.
    private var l: [Double]
    private var capacity: Int
    /// Current order `k`.
    public private(set) var order: Int

    /// An empty factor (order 0).
    public init(capacity: Int = 16) {
        self.capacity = Swift.max(1, capacity)
        self.l = [Double](repeating: 0, count: self.capacity * self.capacity)
        self.order = 0
    }

    /// Factors `a` from scratch.
    ///
    /// - Throws: ``LinearAlgebraError/notPositiveDefinite(routine:pivot:)``.
    public init(_ a: Matrix) throws(LinearAlgebraError) {
        let c = try Cholesky(a)
        self.init(capacity: a.rows)
        order = a.rows
        for j in 0..<order { for i in j..<order { l[i + j * capacity] = c.lower[i, j] } }
    }

    private mutating func grow() {
        let newCapacity = capacity * 2
        var bigger = [Double](repeating: 0, count: newCapacity * newCapacity)
        for j in 0..<order { for i in j..<order { bigger[i + j * newCapacity] = l[i + j * capacity] } }
        l = bigger
        capacity = newCapacity
    }

    /// Appends a variable: `cross` holds its entries against the current ones (`order` values)
    /// and `diagonal` its own variance.
    ///
    /// - Throws: ``LinearAlgebraError/notPositiveDefinite(routine:pivot:)`` when the enlarged
    ///   matrix is not positive definite (the factor is left unchanged).
    public mutating func append(cross: [Double], diagonal: Double) throws(LinearAlgebraError) {
        precondition(cross.count == order, "append: \(cross.count) cross terms for order \(order)")
        if order == capacity { grow() }
        let k = order
        // Solve L r = cross by forward substitution.
        var r = cross
        for i in 0..<k {
            var s = r[i]
            for j in 0..<i { s -= l[i + j * capacity] * r[j] }
            r[i] = s / l[i + i * capacity]
        }
        let d2 = diagonal - r.reduce(0) { $0 + $1 * $1 }
        guard d2 > 1e-14 * Swift.max(abs(diagonal), 1e-300) else { throw .notPositiveDefinite(routine: "cholesky-append", pivot: k) }
        for j in 0..<k { l[k + j * capacity] = r[j] }
        l[k + k * capacity] = d2.squareRoot()
        for i in (k + 1)..<capacity { l[i + k * capacity] = 0 }
        order = k + 1
    }

    /// Removes variable `p` (its row and column).
    public mutating func remove(at p: Int) {
        precondition(p >= 0 && p < order, "remove: index \(p) outside 0..<\(order)")
        let k = order
        // Delete row p: the rows below move up one; each keeps one entry right of its
        // diagonal (upper Hessenberg from row p on).
        for i in p..<(k - 1) {
            for j in 0...(i + 1) { l[i + j * capacity] = l[(i + 1) + j * capacity] }
        }
        for j in 0..<k { l[(k - 1) + j * capacity] = 0 }
        let n = k - 1
        // Rotate columns j and j+1 to clear the entry (j, j+1); the last column ends at zero.
        for j in p..<n {
            let a = l[j + j * capacity]
            let b = l[j + (j + 1) * capacity]
            if b == 0 { continue }
            let r = (a * a + b * b).squareRoot()
            let c = a / r
            let s = b / r
            for i in j..<n {
                let x = l[i + j * capacity]
                let y = l[i + (j + 1) * capacity]
                l[i + j * capacity] = c * x + s * y
                l[i + (j + 1) * capacity] = -s * x + c * y
            }
        }
        for i in 0..<capacity { l[i + n * capacity] = 0 }
        order = n
        // Keep the diagonal positive.
        for j in 0..<n where l[j + j * capacity] < 0 {
            for i in j..<n { l[i + j * capacity] = -l[i + j * capacity] }
        }
    }

    /// Solves `A X = B` for `B` with `order` rows (two triangular solves, BLAS `dtrsm`).
    public func solve(_ b: Matrix) -> Matrix {
        precondition(b.rows == order, "solve: B has \(b.rows) rows for order \(order)")
        var x = b
        if order == 0 || b.columns == 0 { return x }
        l.withUnsafeBufferPointer { pl in
            x.elements.withUnsafeMutableBufferPointer { px in
                cblas_dtrsm(
                    CblasColMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, Int32(order), Int32(b.columns), 1, pl.baseAddress,
                    Int32(capacity), px.baseAddress, Int32(order))
                cblas_dtrsm(
                    CblasColMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit, Int32(order), Int32(b.columns), 1, pl.baseAddress,
                    Int32(capacity), px.baseAddress, Int32(order))
            }
        }
        return x
    }

    /// The factor as a matrix (for tests and inspection).
    public var lower: Matrix {
        var m = Matrix(rows: order, columns: order)
        for j in 0..<order { for i in j..<order { m[i, j] = l[i + j * capacity] } }
        return m
    }
}

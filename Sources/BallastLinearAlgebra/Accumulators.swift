import CBallastLAPACK

/// Accumulates `Σ_b X_bᵀ X_b` over blocks of rows `X_b` (BLAS `dsyrk` with `beta = 1`), so that
/// a Gram matrix can be built while streaming data that is never held whole.
public struct SymmetricAccumulator: Sendable {
    /// Order of the result (the number of columns of each block).
    public let order: Int
    private var upper: Matrix
    private var started = false

    /// Creates an accumulator for blocks with `order` columns.
    public init(order: Int) {
        self.order = order
        self.upper = Matrix(rows: order, columns: order)
    }

    /// Adds `alpha Xᵀ X` for a block stored column-major with `rows` rows (`lda = rows`).
    ///
    /// - Precondition: `block.count >= rows * order`.
    /// - Complexity: O(rows x order²) / 2.
    public mutating func add(_ block: [Double], rows: Int, alpha: Double = 1) {
        precondition(block.count >= rows * order, "SymmetricAccumulator: block holds \(block.count) values, needs \(rows * order)")
        guard rows > 0, order > 0 else { return }
        let n = order
        let beta: Double = started ? 1 : 0
        block.withUnsafeBufferPointer { pb in
            upper.elements.withUnsafeMutableBufferPointer { pc in
                cblas_dsyrk(
                    CblasColMajor, CblasUpper, CblasTrans, Int32(n), Int32(rows), alpha, pb.baseAddress, Int32(rows), beta, pc.baseAddress,
                    Int32(n))
            }
        }
        started = true
    }

    /// The accumulated matrix, full and exactly symmetric.
    public var result: Matrix {
        var c = upper
        c.mirrorUpperToLower()
        return c
    }
}

/// Accumulates `Σ_b A_bᵀ B_b` over blocks of rows (BLAS `dgemm` with `beta = 1`).
public struct ProductAccumulator: Sendable {
    /// Number of columns of each block (the result is `order x order`).
    public let order: Int
    private var sum: Matrix
    private var started = false

    /// Creates an accumulator for blocks with `order` columns.
    public init(order: Int) {
        self.order = order
        self.sum = Matrix(rows: order, columns: order)
    }

    /// Adds `Aᵀ B` for two blocks stored column-major with `rows` rows each.
    ///
    /// - Precondition: both blocks hold at least `rows * order` values.
    /// - Complexity: O(rows x order²).
    public mutating func add(_ a: [Double], _ b: [Double], rows: Int) {
        precondition(a.count >= rows * order && b.count >= rows * order, "ProductAccumulator: blocks too small for \(rows)x\(order)")
        guard rows > 0, order > 0 else { return }
        let n = order
        let beta: Double = started ? 1 : 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                sum.elements.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(
                        CblasColMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(n), Int32(rows), 1, pa.baseAddress, Int32(rows),
                        pb.baseAddress,
                        Int32(rows), beta, pc.baseAddress, Int32(n))
                }
            }
        }
        started = true
    }

    /// The accumulated `order x order` matrix.
    public var result: Matrix { sum }
}

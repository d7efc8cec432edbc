import CBallastLAPACK
import Foundation

/// A dense matrix of `Double` values stored in **column-major** order.
///
/// Element `(i, j)` lives at `elements[i + j * rows]`, which is the layout BLAS and LAPACK
/// expect with `CblasColMajor` / `LAPACK_COL_MAJOR`, so no hidden transposes happen when a
/// matrix crosses into C. A matrix of returns is laid out `observations x assets`: each
/// asset's series is one contiguous column.
///
/// `Matrix` is a value type backed by an array, so copies are cheap until one is mutated
/// (copy-on-write).
public struct Matrix: Sendable, Equatable, Hashable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements in column-major order. Mutate values freely; keeping `elements.count == rows * columns` is the caller's duty.
    public var elements: [Double]

    /// Creates a matrix filled with one value.
    ///
    /// - Precondition: `rows >= 0` and `columns >= 0`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must be non-negative, got \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.elements = Array(repeating: value, count: rows * columns)
    }

    /// Creates a matrix from elements in column-major order.
    ///
    /// - Precondition: `elements.count == rows * columns`.
    public init(rows: Int, columns: Int, columnMajor elements: [Double]) {
        precondition(
            rows >= 0 && columns >= 0 && elements.count == rows * columns,
            "Matrix \(rows)x\(columns) needs \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// Creates a matrix from an array of rows (the natural way to write a literal).
    ///
    /// - Precondition: every row has the same length.
    public init(rowMajor rowArrays: [[Double]]) {
        let r = rowArrays.count
        let c = rowArrays.first?.count ?? 0
        var elements = [Double](repeating: 0, count: r * c)
        for (i, row) in rowArrays.enumerated() {
            precondition(row.count == c, "Row \(i) has \(row.count) elements, expected \(c)")
            for j in 0..<c { elements[i + j * r] = row[j] }
        }
        self.init(rows: r, columns: c, columnMajor: elements)
    }

    /// Creates a matrix whose columns are the given arrays.
    ///
    /// - Precondition: every column has the same length.
    public init(columnArrays: [[Double]]) {
        let c = columnArrays.count
        let r = columnArrays.first?.count ?? 0
        var elements = [Double]()
        elements.reserveCapacity(r * c)
        for (j, column) in columnArrays.enumerated() {
            precondition(column.count == r, "Column \(j) has \(column.count) elements, expected \(r)")
            elements.append(contentsOf: column)
        }
        self.init(rows: r, columns: c, columnMajor: elements)
    }

    /// The `n x n` identity matrix.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.elements[i + i * n] = 1 }
        return m
    }

    /// A square matrix with `values` on the diagonal.
    public static func diagonal(_ values: [Double]) -> Matrix {
        let n = values.count
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m.elements[i + i * n] = values[i] }
        return m
    }

    /// `true` when the matrix has as many rows as columns.
    public var isSquare: Bool { rows == columns }

    /// Element access by row and column (zero-based).
    public subscript(row: Int, column: Int) -> Double {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Index (\(row), \(column)) outside \(rows)x\(columns)")
            return elements[row + column * rows]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns, "Index (\(row), \(column)) outside \(rows)x\(columns)")
            elements[row + column * rows] = newValue
        }
    }

    /// Column `j` as an array.
    public func column(_ j: Int) -> [Double] {
        precondition(j >= 0 && j < columns, "Column \(j) outside 0..<\(columns)")
        return Array(elements[(j * rows)..<((j + 1) * rows)])
    }

    /// Row `i` as an array.
    ///
    /// - Complexity: O(columns), strided.
    public func row(_ i: Int) -> [Double] {
        precondition(i >= 0 && i < rows, "Row \(i) outside 0..<\(rows)")
        return (0..<columns).map { elements[i + $0 * rows] }
    }

    /// The rows as nested arrays (row-major), handy for JSON output.
    public var rowArrays: [[Double]] { (0..<rows).map(row) }

    /// The main diagonal.
    public var diagonal: [Double] {
        (0..<Swift.min(rows, columns)).map { elements[$0 + $0 * rows] }
    }

    /// The transpose.
    ///
    /// - Complexity: O(rows x columns).
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        for j in 0..<columns {
            for i in 0..<rows { t.elements[j + i * columns] = elements[i + j * rows] }
        }
        return t
    }

    /// The largest |element| (BLAS `idamax`, vectorised); 0 for an empty matrix. The elements
    /// must be finite (`idamax` does not order NaN).
    ///
    /// - Complexity: O(rows x columns).
    public var maxMagnitude: Double {
        guard !elements.isEmpty else { return 0 }
        return elements.withUnsafeBufferPointer { e in
            e[Int(cblas_idamax(Int32(e.count), e.baseAddress!, 1))].magnitude
        }
    }

    /// Largest absolute element-wise difference from another matrix of the same shape.
    public func maxAbsDifference(_ other: Matrix) -> Double {
        precondition(rows == other.rows && columns == other.columns, "Shapes differ: \(rows)x\(columns) vs \(other.rows)x\(other.columns)")
        var m = 0.0
        for k in elements.indices { m = Swift.max(m, abs(elements[k] - other.elements[k])) }
        return m
    }

    /// Copies the upper triangle onto the lower one, making the matrix exactly symmetric.
    ///
    /// BLAS `syrk` writes only one triangle; call this after it.
    public mutating func mirrorUpperToLower() {
        precondition(isSquare, "mirrorUpperToLower needs a square matrix, got \(rows)x\(columns)")
        let n = rows
        // Tiles of 32 x 32 keep both the rows read and the columns written in cache.
        let tile = 32
        elements.withUnsafeMutableBufferPointer { a in
            var jj = 0
            while jj < n {
                let jEnd = Swift.min(jj + tile, n)
                var ii = jj
                while ii < n {
                    let iEnd = Swift.min(ii + tile, n)
                    for j in jj..<jEnd {
                        for i in Swift.max(ii, j + 1)..<Swift.max(Swift.max(ii, j + 1), iEnd) { a[i + j * n] = a[j + i * n] }
                    }
                    ii += tile
                }
                jj += tile
            }
        }
    }

    /// Replaces the matrix by `(A + Aᵀ) / 2`, removing rounding asymmetry.
    public mutating func symmetrize() {
        precondition(isSquare, "symmetrize needs a square matrix, got \(rows)x\(columns)")
        let n = rows
        for j in 0..<n {
            for i in (j + 1)..<Swift.max(j + 1, n) {
                let v = 0.5 * (elements[i + j * n] + elements[j + i * n])
                elements[i + j * n] = v
                elements[j + i * n] = v
            }
        }
    }

    /// `true` when every element is finite.
    public var isFinite: Bool { elements.withUnsafeBufferPointer { Matrix.allFinite($0) } }

    /// Whether every value is finite, in one branch-free pass: `x * 0` is 0 for a finite `x`
    /// and NaN for an infinite or NaN one, and a NaN stays in the sums.
    @inlinable
    public static func allFinite(_ b: UnsafeBufferPointer<Double>) -> Bool {
        var (a0, a1, a2, a3) = (0.0, 0.0, 0.0, 0.0)
        var k = 0
        while k + 4 <= b.count {
            a0 += b[k] * 0
            a1 += b[k + 1] * 0
            a2 += b[k + 2] * 0
            a3 += b[k + 3] * 0
            k += 4
        }
        while k < b.count {
            a0 += b[k] * 0
            k += 1
        }
        return (a0 + a1) + (a2 + a3) == 0
    }

    /// Scales every element in place.
    public mutating func scale(by factor: Double) {
        for k in elements.indices { elements[k] *= factor }
    }

    /// Returns `alpha * self`.
    public func scaled(by factor: Double) -> Matrix {
        var m = self
        m.scale(by: factor)
        return m
    }
}

extension Matrix: CustomStringConvertible {
    /// The matrix, row by row, for debugging.
    public var description: String {
        var s = "Matrix \(rows)x\(columns)\n"
        for i in 0..<Swift.min(rows, 12) {
            s += (0..<Swift.min(columns, 8)).map { String(format: "%12.6g", self[i, $0]) }.joined(separator: " ")
            s += columns > 8 ? " ...\n" : "\n"
        }
        if rows > 12 { s += "...\n" }
        return s
    }
}

import BallastLinearAlgebra
import BallastTestSupport
import Foundation
import Testing

/// A random `rows x columns` matrix with standard normal entries.
func randomMatrix(_ rows: Int, _ columns: Int, _ g: inout SeededGenerator) -> Matrix {
    Matrix(rows: rows, columns: columns, columnMajor: (0..<(rows * columns)).map { _ in g.normal() })
}

/// A random symmetric positive-definite matrix `BᵀB + n I`.
func randomSPD(_ n: Int, _ g: inout SeededGenerator) -> Matrix {
    let b = randomMatrix(n + 3, n, &g)
    var a = b.gram()
    for i in 0..<n { a[i, i] += Double(n) }
    return a
}

/// Reference triple loop for `op(A) op(B)`.
func naiveProduct(_ a: Matrix, _ ta: Bool, _ b: Matrix, _ tb: Bool) -> Matrix {
    let oa = ta ? a.transposed : a
    let ob = tb ? b.transposed : b
    var c = Matrix(rows: oa.rows, columns: ob.columns)
    for i in 0..<oa.rows {
        for j in 0..<ob.columns {
            var s = 0.0
            for k in 0..<oa.columns { s += oa[i, k] * ob[k, j] }
            c[i, j] = s
        }
    }
    return c
}

/// Relative size of a residual matrix against the scale of the reference.
func relative(_ residual: Matrix, _ scale: Matrix) -> Double {
    let r = residual.elements.map(abs).max() ?? 0
    let s = scale.elements.map(abs).max() ?? 1
    return r / max(s, 1e-300)
}

@Suite("BLAS and LAPACK wrappers")
struct LinearAlgebraTests {
    @Test("the largest magnitude is the largest |element|, negative or positive", arguments: [(1, 1), (3, 7), (50, 40)])
    func maxMagnitude(_ shape: (Int, Int)) {
        var g = SeededGenerator(seed: UInt64(shape.0 * 100 + shape.1))
        var a = randomMatrix(shape.0, shape.1, &g)
        #expect(a.maxMagnitude == a.elements.map(abs).max()!)
        a.elements[a.elements.count / 2] = -1e6
        #expect(a.maxMagnitude == 1e6)
        #expect(Matrix(rows: 0, columns: 0).maxMagnitude == 0)
    }

    @Test("the branch-free finiteness check agrees with a naive one for every position and kind of bad value")
    func finiteness() {
        #expect(Matrix(rows: 0, columns: 0).isFinite)
        for n in [1, 3, 4, 5, 17] {
            var m = Matrix(rows: n, columns: 1, repeating: 0)
            for k in 0..<n { m.elements[k] = [-0.0, 1e308, -1e308, 5e-324, 2.5][k % 5] }
            #expect(m.isFinite)
            for bad in [Double.nan, .infinity, -.infinity] {
                for k in 0..<n {
                    var x = m
                    x.elements[k] = bad
                    #expect(!x.isFinite && x.isFinite == x.elements.allSatisfy(\.isFinite), "n \(n), position \(k), \(bad)")
                }
            }
        }
    }

    @Test("gemm, gemv and syrk agree with a triple loop", arguments: [(1, 1, 1), (3, 5, 4), (17, 9, 31), (64, 33, 20)])
    func products(_ shape: (Int, Int, Int)) {
        var g = SeededGenerator(seed: UInt64(shape.0 * 1000 + shape.1 * 10 + shape.2))
        let (m, k, n) = shape
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = ta ? randomMatrix(k, m, &g) : randomMatrix(m, k, &g)
            let b = tb ? randomMatrix(n, k, &g) : randomMatrix(k, n, &g)
            let c = Matrix.product(a, transposed: ta, b, transposed: tb)
            let ref = naiveProduct(a, ta, b, tb)
            #expect(relative(c - ref, ref) < 1e-13, "gemm ta=\(ta) tb=\(tb)")
        }
        let a = randomMatrix(m, k, &g)
        let x = (0..<k).map { _ in g.normal() }
        let y = a.times(x)
        let yRef = naiveProduct(a, false, Matrix(rows: k, columns: 1, columnMajor: x), false)
        #expect(relative(Matrix(rows: m, columns: 1, columnMajor: y) - yRef, yRef) < 1e-13)
        let gram = a.gram(alpha: 0.5)
        let gramRef = naiveProduct(a, true, a, false).scaled(by: 0.5)
        #expect(relative(gram - gramRef, gramRef) < 1e-13)
        #expect(gram == gram.transposed, "syrk result must be exactly symmetric")
    }

    @Test("Cholesky: L Lᵀ = A and A x = b on seeded random SPD matrices", arguments: 1...12)
    func cholesky(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let n = 1 + seed * 4
        let a = randomSPD(n, &g)
        let c = try Cholesky(a)
        let l = c.lower
        for j in 0..<n {
            for i in 0..<j { #expect(l[i, j] == 0, "upper triangle of L must be zero") }
        }
        #expect(relative(Matrix.product(l, transposed: false, l, transposed: true) - a, a) < 1e-13)
        let b = randomMatrix(n, 3, &g)
        let x = c.solve(b)
        #expect(relative(a * x - b, b) < 1e-10)
    }

    @Test("Cholesky names the failing pivot of an indefinite matrix")
    func notPositiveDefinite() {
        let a = Matrix(rowMajor: [[4, 2, 0], [2, 1, 0], [0, 0, 3]])  // singular leading 2x2
        #expect(throws: LinearAlgebraError.notPositiveDefinite(routine: "dpotrf", pivot: 1)) { try Cholesky(a) }
        let b = Matrix(rowMajor: [[1, 0], [0, -1]])
        #expect(throws: LinearAlgebraError.notPositiveDefinite(routine: "dpotrf", pivot: 1)) { try Cholesky(b) }
        let c = Matrix(rowMajor: [[-1]])
        do {
            _ = try Cholesky(c)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("not positive definite"))
            #expect(error.description.contains("repair"))
        }
    }

    @Test("non-finite input is refused before LAPACK sees it")
    func nonFinite() {
        var a = Matrix.identity(3)
        a[2, 1] = .nan
        #expect(throws: LinearAlgebraError.nonFiniteInput(routine: "dpotrf", row: 2, column: 1)) { try Cholesky(a) }
        a[2, 1] = .infinity
        #expect(throws: LinearAlgebraError.nonFiniteInput(routine: "dsyevd", row: 2, column: 1)) {
            try SymmetricEigendecomposition(a)
        }
    }

    @Test("eigendecomposition: V diag(w) Vᵀ = A, Vᵀ V = I, ascending values", arguments: 1...10)
    func eigen(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(100 + seed))
        let n = seed * 5
        let b = randomMatrix(n, n, &g)
        var a = b + b.transposed  // symmetric, indefinite
        a.symmetrize()
        let e = try SymmetricEigendecomposition(a)
        let v = try #require(e.vectors)
        #expect(zip(e.values, e.values.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(relative(e.reconstruct { $0 } - a, a) < 1e-12)
        let vtv = Matrix.product(v, transposed: true, v)
        #expect(relative(vtv - Matrix.identity(n), Matrix.identity(n)) < 1e-12)
        let valuesOnly = try SymmetricEigendecomposition(a, computeVectors: false)
        #expect(valuesOnly.vectors == nil)
        #expect(TestSupport.maxRelativeError(valuesOnly.values, e.values) < 1e-12)
    }

    @Test("least squares: normal equations hold; rank deficiency is reported", arguments: 1...6)
    func leastSquaresProperty(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(200 + seed))
        let (m, n) = (10 + seed * 7, 2 + seed)
        let a = randomMatrix(m, n, &g)
        let b = randomMatrix(m, 2, &g)
        let x = try leastSquares(a, b)
        let residual = b - a * x
        let normal = Matrix.product(a, transposed: true, residual)  // Aᵀ r = 0
        #expect(relative(normal, Matrix.product(a, transposed: true, b)) < 1e-11)
        // Exactly determined and consistent: recovers x.
        let square = randomMatrix(n, n, &g)
        let xTrue = randomMatrix(n, 1, &g)
        let solved = try leastSquares(square, square * xTrue)
        #expect(relative(solved - xTrue, xTrue) < 1e-8)
    }

    @Test("least squares reports a zero column as rank deficiency")
    func rankDeficient() {
        let a = Matrix(rowMajor: [[1, 0], [2, 0], [3, 0]])
        let b = Matrix(rowMajor: [[1], [2], [3]])
        #expect(throws: LinearAlgebraError.rankDeficient(routine: "dgels", column: 1)) { try leastSquares(a, b) }
    }

    @Test("centred Gram matches centring then syrk, even for data far from zero", arguments: [(0.0, 1.0), (1e4, 1e-2), (-3e6, 5.0)])
    func centredGram(_ location: (Double, Double)) throws {
        var g = SeededGenerator(seed: 99)
        let (t, n) = (1000, 7)  // 1000 rows: several blocks of 256 and a partial one
        var x = randomMatrix(t, n, &g)
        for k in x.elements.indices { x.elements[k] = location.0 + location.1 * x.elements[k] + Double(k / t) }
        let (gram, means) = try #require(x.centredGram(alpha: 1.0 / Double(t - 1)))
        var centred = x
        for j in 0..<n {
            let m = x.column(j).reduce(0, +) / Double(t)
            #expect(abs(means[j] - m) <= 1e-12 * max(1, abs(m)))
            for i in 0..<t { centred[i, j] -= m }
        }
        let reference = centred.gram(alpha: 1.0 / Double(t - 1))
        #expect(relative(gram - reference, reference) < 1e-11, "location \(location.0), scale \(location.1)")
        #expect(gram == gram.transposed)
        x[700, 3] = .nan
        #expect(x.centredGram() == nil, "a NaN must be reported, not folded into the result")
    }

    @Test("empty and 1x1 shapes")
    func edgeShapes() throws {
        let empty = Matrix(rows: 0, columns: 0)
        #expect(try Cholesky(empty).order == 0)
        #expect(try SymmetricEigendecomposition(empty).values.isEmpty)
        #expect(Matrix(rows: 5, columns: 0).gram().rows == 0)
        let one = Matrix(rowMajor: [[4]])
        #expect(try Cholesky(one).lower[0, 0] == 2)
        #expect(try Cholesky(one).solve([8]) == [2])
    }

    @Test("matrix layout is column-major and literals read row by row")
    func layout() {
        let m = Matrix(rowMajor: [[1, 2, 3], [4, 5, 6]])
        #expect(m.elements == [1, 4, 2, 5, 3, 6])
        #expect(m.row(1) == [4, 5, 6])
        #expect(m.column(2) == [3, 6])
        #expect(m.transposed.rowArrays == [[1, 4], [2, 5], [3, 6]])
        #expect(Matrix(columnArrays: [[1, 4], [2, 5], [3, 6]]) == m)
    }

    @Test("thread control round-trips")
    func threads() {
        let before = BLASThreads.current
        BLASThreads.set(1)
        #expect(BLASThreads.current == 1)
        BLASThreads.set(before)
    }
}

@Suite("Updatable Cholesky")
struct UpdatableCholeskyTests {
    @Test("appending and removing variables matches a fresh factorisation", arguments: 1...6)
    func randomWalk(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(300 + seed))
        let n = 12
        let full = randomSPD(n, &g)
        var members: [Int] = []
        var factor = UpdatableCholesky(capacity: 2)
        for _ in 0..<60 {
            let outside = (0..<n).filter { !members.contains($0) }
            if !outside.isEmpty && (members.isEmpty || Bool.random(using: &g)) {
                let j = outside.randomElement(using: &g)!
                try factor.append(cross: members.map { full[$0, j] }, diagonal: full[j, j])
                members.append(j)
            } else {
                let p = Int.random(in: 0..<members.count, using: &g)
                factor.remove(at: p)
                members.remove(at: p)
            }
            var sub = Matrix(rows: members.count, columns: members.count)
            for (b, j) in members.enumerated() { for (a, i) in members.enumerated() { sub[a, b] = full[i, j] } }
            let l = factor.lower
            #expect(relative(Matrix.product(l, transposed: false, l, transposed: true) - sub, sub) < 1e-12)
            if !members.isEmpty {
                let rhs = Matrix(rows: members.count, columns: 1, columnMajor: (0..<members.count).map { _ in g.normal() })
                #expect(relative(sub * factor.solve(rhs) - rhs, rhs) < 1e-10)
            }
        }
    }

    @Test("appending a dependent variable is refused and leaves the factor intact")
    func dependent() throws {
        var f = try UpdatableCholesky(Matrix(rowMajor: [[4, 2], [2, 3]]))
        #expect(throws: LinearAlgebraError.self) { try f.append(cross: [4, 2], diagonal: 4) }  // a copy of the first variable
        #expect(f.order == 2)
    }
}

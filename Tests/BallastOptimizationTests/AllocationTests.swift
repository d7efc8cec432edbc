import BallastMarketData
import BallastTestSupport
import Foundation
import Testing

@testable import BallastOptimization

@Suite("Discrete allocation")
struct AllocationTests {
    /// Exhaustive optimum of Σ|w_i V - x_i p_i| + leftover over whole lots, for tiny cases.
    func bruteForce(_ w: [Double], _ p: [Double], _ v: Double) -> Double {
        var best = Double.infinity
        func go(_ i: Int, _ spent: Double, _ err: Double) {
            if i == w.count {
                best = min(best, err + (v - spent))
                return
            }
            var k = 0
            while spent + Double(k) * p[i] <= v + 1e-9 {
                go(i + 1, spent + Double(k) * p[i], err + abs(w[i] * v - Double(k) * p[i]))
                k += 1
            }
        }
        go(0, 0, 0)
        return best
    }

    @Test("never overspends, whole lots, and reaches the exhaustive optimum on small cases", arguments: 1...25)
    func smallCases(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let n = 3
        var raw = (0..<n).map { _ in Double.random(in: 0.05..<1, using: &g) }
        let total = raw.reduce(0, +)
        raw = raw.map { $0 / total }
        let prices = (0..<n).map { _ in (Double.random(in: 5..<400, using: &g) * 100).rounded() / 100 }
        let amount = Double(Int.random(in: 500...3000, using: &g))
        let symbols = ["A", "B", "C"]
        let a = try DiscreteAllocation.allocate(
            weights: Dictionary(uniqueKeysWithValues: zip(symbols, raw)), prices: Dictionary(uniqueKeysWithValues: zip(symbols, prices)),
            amount: amount)
        #expect(a.leftover >= -1e-9)
        #expect(abs(a.invested + a.leftover - amount) < 1e-9)
        for (_, q) in a.quantities { #expect(q == q.rounded()) }
        let optimum = bruteForce(raw, prices, amount)
        #expect(a.misallocation <= optimum + 1e-6, "misallocation \(a.misallocation) vs optimum \(optimum)")
    }

    @Test("lot sizes and fractional quantities")
    func lotsAndFractions() throws {
        let lots = try DiscreteAllocation.allocate(
            weights: ["A": 0.5, "B": 0.5], prices: ["A": 10, "B": 3], amount: 1000, lotSizes: ["A": 100, "B": 10])
        #expect(lots.quantities["A"].map { $0.truncatingRemainder(dividingBy: 100) == 0 } ?? true)
        #expect(lots.quantities["B"].map { $0.truncatingRemainder(dividingBy: 10) == 0 } ?? true)
        let fractional = try DiscreteAllocation.allocate(
            weights: ["A": 0.5, "B": 0.5], prices: ["A": 333.33, "B": 77.7], amount: 1000, granularity: .fractional(decimals: 3))
        #expect(fractional.leftover >= 0 && fractional.leftover < 0.34)
        #expect(fractional.misallocation < 1)
    }

    @Test("a cash weight is kept as cash")
    func cashWeight() throws {
        let a = try DiscreteAllocation.allocate(weights: ["A": 0.6, "CASH": 0.4], prices: ["A": 10], amount: 1000)
        #expect(a.quantities["A"] == 60)
        #expect(abs(a.leftover - 400) < 1e-9)
        #expect(a.misallocation < 1e-9)
    }

    @Test("bad input is refused with a reason")
    func errors() {
        #expect(throws: OptimizationError.self) { try DiscreteAllocation.allocate(weights: ["A": 1], prices: [:], amount: 100) }
        #expect(throws: OptimizationError.self) { try DiscreteAllocation.allocate(weights: ["A": 1], prices: ["A": 1], amount: -5) }
    }
}

import BallastTestSupport
import Foundation
import Testing

@testable import BallastMarketData

@Suite("Cost model")
struct CostModelTests {
    // 10 bps, 1.00 fixed, 5.00 minimum, 2 bps of impact per million traded.
    let model = CostModel(basisPoints: 10, fixed: 1, minimum: 5, impactBasisPointsPerMillion: 2)

    @Test(
        "hand-computed charges: floor, proportional, fixed and impact parts",
        arguments: [
            (0.0, 0.0),  // no trade, no charge
            (1_000.0, 5.0),  // 1.00 + 1.00 = 2.00, below the 5.00 floor
            (100_000.0, 103.0),  // 10 bps = 100, impact 0.2 bps (2 per million x 0.1 million) = 2, plus 1 fixed
            (1_000_000.0, 1_201.0),  // 12 bps of 1,000,000 = 1,200, plus 1 fixed
            (-1_000_000.0, 1_201.0),  // sells cost the same as buys
        ])
    func charges(_ value: Double, _ expected: Double) {
        #expect(abs(model.cost(ofTrade: value) - expected) < 1e-9, "\(value)")
        #expect(model.cost(ofTradeCents: Int64((value * 100).rounded())) == Int64((expected * 100).rounded()), "\(value) in cents")
    }

    @Test("the optimiser's linear rate is the proportional part only")
    func proportionalRate() {
        #expect(model.proportionalRate == 0.001)
        #expect(CostModel().cost(ofTrade: 1e6) == 0)
    }
}

import Foundation
import Testing

@testable import BallastMarketData

@Suite("Money in integer cents")
struct MoneyTests {
    @Test("sums are exact where doubles drift: ten times 0.10 is 1.00, a million cents are 10000.00")
    func exactSums() {
        let tenth: Money = 0.10
        #expect((0..<10).reduce(Money.zero) { a, _ in a + tenth } == 1)
        #expect((0..<10).reduce(0.0) { a, _ in a + 0.1 } != 1)  // the drift Money avoids
        #expect((0..<1_000_000).reduce(Money.zero) { a, _ in a + Money(cents: 1) }.description == "10000.00")
    }

    @Test(
        "amounts round to the cent, halves away from zero",
        arguments: [
            (1.005, 101), (-1.005, -101), (0.004, 0), (-0.004, 0), (2.5, 250), (1234.56, 123_456), (-0.015, -2),
        ])
    func rounding(amount: Double, cents: Int64) {
        // 1.005 and -0.015 are not exact in binary; they round as their nearest double times 100 does.
        let expected = Int64((amount * 100).rounded(.toNearestOrAwayFromZero))
        #expect(Money(amount).cents == expected)
        #expect(abs(expected - cents) <= 1)
    }

    @Test("text has two decimals and a sign", arguments: [(0, "0.00"), (5, "0.05"), (-5, "-0.05"), (123_456, "1234.56"), (-100, "-1.00")])
    func text(cents: Int64, text: String) { #expect(Money(cents: cents).description == text) }

    @Test("JSON is a plain number with at most two decimals, and reads back to the same cents")
    func json() throws {
        struct Box: Codable, Equatable { var amount: Money }
        for c: Int64 in [0, 1, 10, 99, 12_345, -250, 987_654_321] {
            let data = try JSONEncoder().encode(Box(amount: Money(cents: c)))
            let text = String(decoding: data, as: UTF8.self)
            let number = try #require(text.split(separator: ":").last?.dropLast())
            #expect(Double(String(number)).map { ($0 * 100).rounded() } == Double(c), "\(text)")
            #expect(!number.contains("e") && (number.split(separator: ".").dropFirst().first?.count ?? 0) <= 2, "\(text)")
            #expect(try JSONDecoder().decode(Box.self, from: data) == Box(amount: Money(cents: c)))
        }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Box.self, from: Data(#"{"amount": 1e300}"#.utf8)) }
    }
}

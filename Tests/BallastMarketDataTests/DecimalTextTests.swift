import BallastMarketData
import Foundation
import Testing

/// The one decimal reader against the standard library's `Double(String)`, which is correctly
/// rounded: every accepted text must give exactly the same double (bit for bit, sign of zero
/// included), and the texts each grammar refuses must be refused.
@Suite struct DecimalTextTests {
    func json(_ s: String) -> Double? { DecimalText.parse(s, syntax: .json) }
    func plain(_ s: String) -> Double? { DecimalText.parse(s, syntax: .plain) }

    func expectSame(_ text: String, _ syntax: DecimalText.Syntax, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Double(text)
        let got = DecimalText.parse(text, syntax: syntax)
        #expect(
            got?.bitPattern == expected?.bitPattern, "\(text): \(String(describing: got)) vs \(String(describing: expected))",
            sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        "0", "-0", "0.0", "-0.0", "1", "123.45", "0.1", "0.3", "2.675", "1e5", "1E+05", "1e-5", "-2.5e-3", "9007199254740993",
        "123456789012345", "1234567890123456", "12345678901234567890123", "0.000000000000000000000000001",
        "1.7976931348623157e308", "1.7976931348623159e308", "2.2250738585072014e-308", "4.9e-324", "2e-324", "1e400",
        "0.1000000000000000055511151231257827", "999999999999999.9", "1000000000000000000000", "10000000000000000000000",
        "100000000000000000000000", "1e22", "1e23", "123e-22", "123e-23", "7.2057594037927933e16", "1e00000000000000000001",
    ])
    func edgeCases(_ text: String) {
        expectSame(text, .json)
        expectSame(text, .plain)
    }

    @Test func randomDecimalsMatchTheStandardLibrary() {
        var rng = SeededGenerator(seed: 20_261_202)
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...25, using: &rng)
            var text = Bool.random(using: &rng) ? "-" : ""
            var mantissa = String(Int.random(in: 1...9, using: &rng))
            for _ in 1..<digits { mantissa += String(Int.random(in: 0...9, using: &rng)) }
            // A point after 1 ... digits - 1 digits, or none (JSON needs digits on both sides).
            let point = Int.random(in: 1...digits, using: &rng)
            if point < digits {
                let cut = mantissa.index(mantissa.startIndex, offsetBy: point)
                mantissa = String(mantissa[..<cut]) + "." + String(mantissa[cut...])
            }
            text += mantissa
            if Int.random(in: 0..<3, using: &rng) == 0 { text += "e" + String(Int.random(in: -40...40, using: &rng)) }
            expectSame(text, .json)
            expectSame(text, .plain)
        }
    }

    @Test(arguments: ["", "-", "+1", "01", "1.", ".5", "1e", "1e+", "--1", "1.2.3", "nan", "inf", "0x1p3", " 1", "1 ", "1,5"])
    func jsonRefuses(_ text: String) {
        #expect(json(text) == nil, "\(text)")
    }

    @Test(arguments: ["", "-", "+", ".", "1e", "e5", "--1", "1.2.3", "nan", "inf", "Infinity", "0x1p3", " 1", "1 ", "1,5"])
    func plainRefuses(_ text: String) {
        #expect(plain(text) == nil, "\(text)")
    }

    @Test func plainAcceptsWhatSpreadsheetsWrite() {
        #expect(plain("+1.5") == 1.5)
        #expect(plain("5.") == 5)
        #expect(plain(".5") == 0.5)
        #expect(plain("007") == 7)
    }

    @Test func scanStopsAtTheFirstByteAfterTheNumber() {
        var text = "12.5,7"
        text.withUTF8 { b in
            let r = DecimalText.scan(b, from: 0, syntax: .plain)
            #expect(r?.value == 12.5)
            #expect(r?.end == 4)
        }
    }
}

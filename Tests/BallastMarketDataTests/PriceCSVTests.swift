import BallastMarketData
import BallastTestSupport
import Foundation
import Testing

/// One malformed input and what the reader must say about it.
struct BadCSV: CustomTestStringConvertible, Sendable {
    let label: String
    let text: String
    let code: MarketDataError.Code
    let line: Int?
    let column: Int?
    /// Words the message must contain.
    let mentions: [String]

    var testDescription: String { label }
}

let badInputs: [BadCSV] = [
    BadCSV(label: "empty file", text: "", code: .emptyFile, line: nil, column: nil, mentions: ["empty", "header"]),
    BadCSV(label: "only blank lines", text: "\n\n  \n", code: .emptyFile, line: nil, column: nil, mentions: ["empty"]),
    BadCSV(label: "header only", text: "date,A,B\n", code: .headerOnly, line: 1, column: nil, mentions: ["no rows"]),
    BadCSV(label: "header without date", text: "day,A\n2020-01-02,1\n", code: .badHeader, line: 1, column: 1, mentions: ["date"]),
    BadCSV(label: "header without symbols", text: "date\n2020-01-02\n", code: .badHeader, line: 1, column: nil, mentions: ["symbols"]),
    BadCSV(label: "empty symbol", text: "date,A,,B\n2020-01-02,1,2,3\n", code: .badHeader, line: 1, column: 3, mentions: ["no symbol"]),
    BadCSV(
        label: "duplicate symbol", text: "date,A,B,A\n2020-01-02,1,2,3\n", code: .duplicateSymbol, line: 1, column: 4,
        mentions: ["A", "columns 2 and 4"]),
    BadCSV(
        label: "ragged short row", text: "date,A,B\n2020-01-02,1,2\n2020-01-03,1\n", code: .raggedRow, line: 3, column: 3,
        mentions: ["2 fields", "3"]),
    BadCSV(label: "ragged long row", text: "date,A,B\n2020-01-02,1,2,3\n", code: .raggedRow, line: 2, column: 4, mentions: ["4 fields"]),
    BadCSV(
        label: "US date", text: "date,A\n01/02/2020,1\n", code: .invalidDate, line: 2, column: 1,
        mentions: ["not an ISO date", "YYYY-MM-DD"]),
    BadCSV(
        label: "impossible date", text: "date,A\n2021-02-29,1\n", code: .invalidDate, line: 2, column: 1,
        mentions: ["not a real calendar date"]),
    BadCSV(label: "month 13", text: "date,A\n2021-13-01,1\n", code: .invalidDate, line: 2, column: 1, mentions: ["calendar"]),
    BadCSV(label: "date with time", text: "date,A\n2021-01-04T00:00,1\n", code: .invalidDate, line: 2, column: 1, mentions: ["ISO"]),
    BadCSV(
        label: "duplicate date", text: "date,A\n2020-01-02,1\n2020-01-02,2\n", code: .duplicateDate, line: 3, column: 1,
        mentions: ["twice", "lines 2 and 3"]),
    BadCSV(
        label: "unordered dates", text: "date,A\n2020-01-03,1\n2020-01-02,2\n", code: .unorderedDate, line: 3, column: 1, mentions: ["sort"]
    ),
    BadCSV(
        label: "text price", text: "date,A,B\n2020-01-02,1,abc\n", code: .invalidNumber, line: 2, column: 3,
        mentions: ["abc", "B", "2020-01-02"]),
    BadCSV(
        label: "thousands separator", text: "date,A\n2020-01-02,\"1,000\"\n", code: .raggedRow, line: 2, column: 3, mentions: ["fields"]),
    BadCSV(label: "NaN literal", text: "date,A\n2020-01-02,NaN\n", code: .nonFiniteNumber, line: 2, column: 2, mentions: ["empty"]),
    BadCSV(label: "inf literal", text: "date,A\n2020-01-02,inf\n", code: .nonFiniteNumber, line: 2, column: 2, mentions: ["not a price"]),
    BadCSV(label: "overflow", text: "date,A\n2020-01-02,1e400\n", code: .nonFiniteNumber, line: 2, column: 2, mentions: ["overflows"]),
    BadCSV(label: "zero price", text: "date,A\n2020-01-02,0\n", code: .nonPositivePrice, line: 2, column: 2, mentions: ["not positive"]),
    BadCSV(label: "negative price", text: "date,A\n2020-01-02,-3.5\n", code: .nonPositivePrice, line: 2, column: 2, mentions: ["-3.5"]),
    BadCSV(label: "hex number", text: "date,A\n2020-01-02,0x1p3\n", code: .invalidNumber, line: 2, column: 2, mentions: ["not a number"]),
    BadCSV(label: "two decimal points", text: "date,A\n2020-01-02,1.2.3\n", code: .invalidNumber, line: 2, column: 2, mentions: ["1.2.3"]),
    BadCSV(label: "binary", text: "\u{0}\u{1}\u{2}PK\n", code: .badHeader, line: 1, column: nil, mentions: ["binary"]),
]

@Suite("Price CSV reader")
struct PriceCSVTests {
    @Test("every malformed input gets a precise error", arguments: badInputs)
    func malformed(_ bad: BadCSV) {
        do {
            let t = try PriceCSV.parse(bad.text, source: "prices.csv")
            Issue.record("accepted malformed input, got \(t.rowCount) rows")
        } catch {
            #expect(error.code == bad.code)
            #expect(error.file == "prices.csv")
            #expect(error.line == bad.line)
            #expect(error.column == bad.column)
            for word in bad.mentions { #expect(error.description.contains(word), "message `\(error)` should mention \(word)") }
            #expect(!error.fix.isEmpty)
            if let line = bad.line { #expect(error.description.hasPrefix("prices.csv:\(line)")) }
        }
    }

    @Test("BOM, CRLF, quotes, spaces and blank lines are accepted")
    func tolerant() throws {
        let text = "\u{FEFF}\"date\", A ,B\r\n2020-01-02, 1.5 ,\"2\"\r\n\r\n2020-01-03,,2.25\r\n"
        let t = try PriceCSV.parse(text)
        #expect(t.symbols == ["A", "B"])
        #expect(t.dates.map(\.description) == ["2020-01-02", "2020-01-03"])
        #expect(t[0, 0] == 1.5)
        #expect(t[1, 0].isNaN)
        #expect(t[1, 1] == 2.25)
        #expect(try PriceCSV.parse("DATE,X\n2020-01-02,3").rowCount == 1)  // no final newline
    }

    @Test(
        "numbers are parsed exactly as strtod does",
        arguments: [
            "0.264", "549.225", "4.0", "1e3", "2.5E-2", "123456789012345678", "0.000000000000000000000001234", "+7",
            "1.7976931348623157e308", "4.9e-324",
        ])
    func numbers(_ s: String) throws {
        let t = try PriceCSV.parse("date,A\n2020-01-02,\(s)\n")
        #expect(t[0, 0] == strtod(s, nil))
    }

    @Test("seeded random decimals parse exactly as strtod, whatever their length", arguments: 1...4)
    func randomDecimals(_ seed: Int) throws {
        var g = SeededGenerator(seed: UInt64(seed))
        let columns = 13
        let newline = seed % 2 == 0 ? "\r\n" : "\n"
        var text = "date," + (0..<columns).map { "C\($0)" }.joined(separator: ",") + newline
        var expected: [[Double]] = []
        var day = MarketDate(iso: "2000-01-03")!
        for _ in 0..<300 {
            var row: [Double] = []
            var fields: [String] = []
            for _ in 0..<columns {
                let digits = Int.random(in: 1...17, using: &g)
                let decimals = Int.random(in: 0...min(digits, 9), using: &g)
                var s = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
                if s.allSatisfy({ $0 == "0" }) { s = "1" + s.dropFirst() }
                if decimals > 0 && decimals < s.count { s.insert(".", at: s.index(s.endIndex, offsetBy: -decimals)) }
                if Int.random(in: 0..<20, using: &g) == 0 {
                    fields.append("")
                    row.append(.nan)
                } else {
                    fields.append(s)
                    row.append(strtod(s, nil))
                }
            }
            text += day.description + "," + fields.joined(separator: ",") + newline
            expected.append(row)
            day = day.adding(days: 1)
        }
        let t = try PriceCSV.parse(text)
        #expect(t.rowCount == 300)
        for i in 0..<300 {
            for j in 0..<columns {
                let e = expected[i][j]
                if e.isNaN { #expect(t[i, j].isNaN) } else { #expect(t[i, j] == e, "row \(i) column \(j)") }
            }
        }
    }

    @Test(
        "the bundled files load completely",
        arguments: [("sp500_20.csv", 8313, 20), ("factors_etf5.csv", 2264, 5), ("sp500_index.csv", 8313, 1)])
    func bundled(_ file: (String, Int, Int)) throws {
        let t = try PriceCSV.read(path: TestSupport.path("market-data/" + file.0))
        #expect(t.rowCount == file.1)
        #expect(t.symbolCount == file.2)
        #expect(!t.values.contains { $0.isNaN || $0 <= 0 })
        #expect(t.dates.first?.description.hasPrefix(file.0 == "factors_etf5.csv" ? "2014" : "1990") == true)
    }

    @Test("a missing file names the path and where the bundled data is")
    func missingFile() {
        #expect {
            try PriceCSV.read(path: "/nonexistent/prices.csv")
        } throws: { error in
            guard let e = error as? MarketDataError else { return false }
            return e.code == .unreadableFile && e.description.contains("/nonexistent/prices.csv") && e.description.contains("market-data")
        }
    }

    @Test("format then parse round-trips, missing values included")
    func roundTrip() throws {
        let text = "date,A,B\n2020-01-02,1.5,\n2020-01-03,,2.25\n"
        let t = try PriceCSV.parse(text)
        #expect(PriceCSV.format(t) == text)
    }

    @Test("10,000 columns parse")
    func wide() throws {
        let n = 10_000
        let header = "date," + (0..<n).map { "S\($0)" }.joined(separator: ",")
        let row = "2020-01-02," + (0..<n).map { _ in "1.25" }.joined(separator: ",")
        let t = try PriceCSV.parse(header + "\n" + row + "\n")
        #expect(t.symbolCount == n)
        #expect(t[0, n - 1] == 1.25)
    }
}

@Suite("Windows, returns and resampling")
struct WindowTests {
    let table = try! PriceCSV.parse(
        """
        date,A,B
        2020-01-30,10,20
        2020-01-31,11,
        2020-02-03,12,22
        2020-02-04,,23
        2020-02-05,13.2,24
        """)

    @Test func inclusiveWindow() throws {
        let w = try table.window(start: MarketDate(iso: "2020-01-31"), end: MarketDate(iso: "2020-02-04"))
        #expect(w.dates.map(\.description) == ["2020-01-31", "2020-02-03", "2020-02-04"])
        let open = try table.window(start: MarketDate(iso: "2020-02-01"))
        #expect(open.rowCount == 3)
    }

    @Test func windowErrors() {
        #expect(throws: MarketDataError.self) { try table.window(start: MarketDate(iso: "2021-01-01")) }
        do {
            _ = try table.window(start: MarketDate(iso: "2020-03-01"), end: MarketDate(iso: "2020-02-01"))
            Issue.record("accepted start after end")
        } catch {
            #expect(error.code == .invalidWindow)
        }
        do {
            _ = try table.window(end: MarketDate(iso: "2019-01-01"))
            Issue.record("accepted an empty window")
        } catch {
            #expect(error.code == .emptyWindow)
            #expect(error.fix.contains("2020-01-30 to 2020-02-05"))
        }
    }

    @Test func returnsNeverBridgeGaps() throws {
        let r = try table.returns(periodsPerYear: 252)
        #expect(r.observationCount == 4)
        #expect(abs(r[0, 0] - 0.1) < 1e-15)
        #expect(r[0, 1].isNaN)  // B missing on 01-31
        #expect(r[1, 1].isNaN)  // B's return into 02-03 spans a gap
        #expect(r[3, 0].isNaN)  // A's return into 02-05 spans a gap
        #expect(r.presentCounts == [2, 2])
        #expect(r.applying(.dropRows).observationCount == 0)
        let l = try table.returns(kind: .log, periodsPerYear: 252)
        #expect(abs(l[0, 0] - Foundation.log(1.1)) < 1e-15)
    }

    @Test func resampleMonthlyAndWeekly() throws {
        let m = table.resampled(to: .monthly)
        #expect(m.dates.map(\.description) == ["2020-01-31", "2020-02-05"])
        #expect(m[0, 1] == 20)  // last present price of B in January
        #expect(m[1, 0] == 13.2)
        let w = table.resampled(to: .weekly)  // Thu 01-30, Fri 01-31 | Mon 02-03 .. Wed 02-05
        #expect(w.dates.map(\.description) == ["2020-01-31", "2020-02-05"])
    }

    @Test func returnsNeedTwoRows() throws {
        let one = try table.window(end: MarketDate(iso: "2020-01-30"))
        #expect(throws: MarketDataError.self) { try one.returns(periodsPerYear: 252) }
    }

    @Test("merging joins on dates and leaves gaps missing")
    func merge() throws {
        let other = try PriceCSV.parse("date,C\n2020-01-29,5\n2020-01-31,6\n2020-02-06,7\n")
        let m = try table.merged(with: other)
        #expect(m.symbols == ["A", "B", "C"])
        #expect(
            m.dates.map(\.description) == [
                "2020-01-29", "2020-01-30", "2020-01-31", "2020-02-03", "2020-02-04", "2020-02-05", "2020-02-06",
            ])
        #expect(m[0, 0].isNaN && m[0, 2] == 5)
        #expect(m[2, 0] == 11 && m[2, 2] == 6)
        #expect(m[1, 2].isNaN)
        #expect(throws: MarketDataError.self) { try table.merged(with: table) }
    }

    @Test func unknownSymbolListsTheKnownOnes() {
        do {
            _ = try table.selecting(symbols: ["A", "ZZZ"])
            Issue.record("accepted an unknown symbol")
        } catch {
            #expect(error.code == .unknownSymbol)
            #expect(error.fix.contains("A, B"))
        }
    }
}

@Suite("Calendar dates")
struct MarketDateTests {
    @Test func knownDays() {
        #expect(MarketDate(iso: "1970-01-01")?.dayNumber == 0)
        #expect(MarketDate(iso: "2000-03-01")?.dayNumber == 11017)
        #expect(MarketDate(iso: "2022-12-28")?.isoWeekday == 3)
        #expect(MarketDate(iso: "1990-01-01")?.isoWeekday == 1)
        #expect(MarketDate(iso: "2024-02-29") != nil)
        #expect(MarketDate(iso: "2100-02-29") == nil)
        #expect(MarketDate(iso: "2000-02-29") != nil)
        #expect(MarketDate(iso: "2020-1-02") == nil)
    }

    @Test("day numbers round-trip through text for every day 1900-2100")
    func roundTrip() {
        var d = MarketDate(iso: "1900-01-01")!
        let end = MarketDate(iso: "2100-12-31")!
        var previous = d.dayNumber - 1
        while d <= end {
            #expect(d.dayNumber == previous + 1)
            #expect(MarketDate(iso: d.description) == d)
            previous = d.dayNumber
            d = d.adding(days: 1)
        }
    }

    @Test func addingMonthsClamps() {
        #expect(MarketDate(iso: "2021-01-31")!.adding(months: 1).description == "2021-02-28")
        #expect(MarketDate(iso: "2020-11-30")!.adding(months: 3).description == "2021-02-28")
        #expect(MarketDate(iso: "2020-05-15")!.adding(months: -6).description == "2019-11-15")
    }
}

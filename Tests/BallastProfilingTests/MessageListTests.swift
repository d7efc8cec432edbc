import BallastMarketData
import Foundation
import Testing

@testable import BallastProfiling

@Suite("Capped problem lists")
struct MessageListTests {
    @Test("a file with 3,300,010 problems lists the first 20 and says how many more, in a message of bounded size")
    func profilingErrorCapped() {
        let issues = (1...3_300_010).map { ProfilingIssue("holdings.S\($0)", "not a number") }
        let text = ProfilingError(file: "big.json", issues).description
        let lines = text.split(separator: "\n")
        #expect(lines.first == "big.json: 3,300,010 problems")
        #expect(lines.count == 22, "the head, 20 problems and the count of the rest")
        #expect(lines.last == "  - and 3,299,990 more")
        #expect(text.utf8.count < 2_000)
        #expect(ProfilingError(file: "small.json", Array(issues.prefix(3))).description.split(separator: "\n").count == 4)
    }

    @Test(
        "lists up to the limit are shown whole; numbers are grouped by thousands",
        arguments: [
            (0, "0"), (999, "999"), (1000, "1,000"), (3_299_990, "3,299,990"), (-12_345, "-12,345"),
        ])
    func grouping(_ n: Int, _ text: String) {
        #expect(MessageList.grouped(n) == text)
    }

    @Test("joined: whole up to the limit, then the first items and the count of the rest")
    func joined() {
        let items = (1...25).map { "p\($0)" }
        #expect(MessageList.joined(Array(items.prefix(20)), separator: "; ") == items.prefix(20).joined(separator: "; "))
        #expect(MessageList.joined(items, separator: "; ") == items.prefix(20).joined(separator: "; ") + "; and 5 more")
    }
}

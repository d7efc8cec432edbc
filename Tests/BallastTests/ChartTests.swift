import Ballast
import Foundation
import Testing

@Suite("Charts")
struct ChartTests {
    /// The value-axis labels of a bar chart, bottom to top.
    func axisLabels(_ svg: String) -> [String] {
        svg.components(separatedBy: "text-anchor=\"end\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }

    @Test("a histogram of small counts has whole-number ticks, each label once", arguments: [1.0, 2, 3, 7, 13])
    func countTicks(_ largest: Double) {
        let svg = Chart.bars(labels: ["a", "b", "c"], values: [largest, 1, 0], format: { String(format: "%.0f", $0) }, counts: true)
        let labels = axisLabels(svg)
        #expect(labels.count >= 2 && Set(labels).count == labels.count, "\(labels)")
        #expect(labels.allSatisfy { Double($0).map { $0 == $0.rounded() } == true })
        #expect(Double(labels.last!)! >= largest)
    }
}

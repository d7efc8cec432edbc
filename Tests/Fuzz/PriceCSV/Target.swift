// libFuzzer target: the price-file reader must return a table or a MarketDataError, never crash.
import BallastMarketData
import Foundation

/// One input: libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    if let table = try? PriceCSV.parse(data, source: "fuzz") {
        // A table that was accepted is consistent: ascending dates, finite positive prices or NaN.
        precondition(zip(table.dates, table.dates.dropFirst()).allSatisfy { $0 < $1 }, "dates out of order")
        precondition(table.values.allSatisfy { $0.isNaN || ($0.isFinite && $0 > 0) }, "a bad price was accepted")
    }
    return 0
}

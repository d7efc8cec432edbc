// libFuzzer target: the customer decoder must return a file or a ProfilingError, never crash.
import BallastMarketData
import BallastProfiling
import Foundation

let questionnaire = try! Questionnaire.read(path: "profiles/questionnaire-v1.json")
let catalog = try! ProductCatalog.read(path: "market-data/catalog.json")
let levels = try! RiskLevels.read(path: "profiles/levels.json")

/// One input: libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    let asOf = MarketDate(iso: "2022-12-28")!
    if let customer = try? CustomerFile.parse(data, source: "fuzz", questionnaire: questionnaire, catalog: catalog, asOf: asOf) {
        // An accepted customer can be profiled.
        let p = RiskProfiler(questionnaire: questionnaire, levels: levels).profile(
            customer, behaviour: nil, asOf: asOf, pseudonym: "cust-fuzz")
        precondition((1...5).contains(p.level) && p.willingness.isFinite && p.capacity.isFinite, "bad profile")
    }
    return 0
}

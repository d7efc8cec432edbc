// libFuzzer target: the questionnaire and levels decoders must return a value or an error.
import BallastProfiling
import Foundation

/// One input: libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let data = Data(bytes: start, count: count)
    _ = try? JSONDecoder().decode(Questionnaire.self, from: data)
    _ = try? JSONDecoder().decode(RiskLevels.self, from: data)
    return 0
}

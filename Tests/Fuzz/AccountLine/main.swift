// The entry point: libFuzzer's driver over `fuzz` (Target.swift).
import FuzzDriver

runFuzzer { data, count in
    guard let data else { return 0 }
    return fuzz(UnsafeRawPointer(data), count)
}

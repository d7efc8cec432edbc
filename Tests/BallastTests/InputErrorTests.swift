import Ballast
import Foundation
import Testing

@Suite("The user's errors are told apart from faults")
struct InputErrorTests {
    /// The error `body` throws.
    func thrown(_ body: () throws -> Void) -> (any Error)? {
        do {
            try body()
            return nil
        } catch { return error }
    }

    @Test("bad prices, a bad policy file, missing rules and a missing bounds file throw errors that are the user's to fix")
    func inputErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-input-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let policy = dir.appendingPathComponent("policy.json").path
        try Data(#"{"absoluteBand": -1}"#.utf8).write(to: URL(fileURLWithPath: policy))
        let cases: [(String, () throws -> Void)] = [
            ("empty prices", { _ = try PriceCSV.parse("", source: "p.csv") }),
            ("missing price file", { _ = try PriceCSV.read(path: dir.appendingPathComponent("none.csv").path) }),
            ("policy out of range", { try RebalancePolicy.read(path: policy).validate() }),
            ("missing alert rules", { _ = try MonitorAlerts.read(path: dir.appendingPathComponent("none.json").path) }),
            (
                "missing bounds file",
                {
                    var c = ConstraintSpecification()
                    c.boundsFile = dir.appendingPathComponent("none.csv").path
                    _ = try c.constraints(cashRate: 0, resolve: { $0 })
                }
            ),
        ]
        for (name, body) in cases {
            let error = thrown(body)
            #expect(error != nil, "\(name): no error")
            if let error {
                #expect(error is any BallastInputError, "\(name): \(type(of: error)) is not the user's error")
                #expect(!"\(error)".isEmpty)
            }
        }
        // A fault of the caller's own is not.
        struct Own: Error {}
        #expect(!(Own() is any BallastInputError))
    }
}

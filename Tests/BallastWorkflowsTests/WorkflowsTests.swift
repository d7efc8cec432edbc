import BallastTestSupport
import Foundation
import Logging
import Testing

@testable import BallastWorkflows

@Suite("Workflows")
struct WorkflowsTests {
    @Test("the default logger is labelled and discards everything below critical")
    func silentLogger() {
        #expect(BallastWorkflows.silentLogger.label == "ballast.workflows")
        #expect(BallastWorkflows.silentLogger.logLevel == .critical)
    }
}

@Suite("Bundled data")
struct BundledDataTests {
    @Test("an installed layout (bin/ballast with share/ballast) is found before the source tree")
    func installedLayout() throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-prefix-\(getpid())").path
        try? FileManager.default.removeItem(atPath: prefix)
        try FileManager.default.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/share/ballast/market-data", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: prefix + "/share/ballast/profiles", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: prefix + "/share/ballast/market-data/catalog.json"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: prefix + "/share/ballast/profiles/levels.json"))
        let found = try BundledData.locate(environment: [:], executable: prefix + "/bin/ballast")
        #expect(found.root == URL(fileURLWithPath: prefix + "/share/ballast").path)
        // Without it, the source tree this was built from.
        let tree = try BundledData.locate(environment: [:], executable: "/nonexistent/bin/ballast")
        #expect(tree.root == TestSupport.root.path)
        // A named folder must hold the data.
        #expect(throws: BundledDataError.self) { try BundledData.locate(explicit: prefix, environment: [:]) }
        // A name that is not in the working directory is read from the data folder; others as given.
        try Data("{}".utf8).write(to: URL(fileURLWithPath: prefix + "/share/ballast/only-here-\(getpid()).json"))
        #expect(found.resolve("only-here-\(getpid()).json") == found.root + "/only-here-\(getpid()).json")
        #expect(found.resolve("missing-everywhere.json") == "missing-everywhere.json")
        #expect(found.resolve("/etc/hostname") == "/etc/hostname")
    }
}

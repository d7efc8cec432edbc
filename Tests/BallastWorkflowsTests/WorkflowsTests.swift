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

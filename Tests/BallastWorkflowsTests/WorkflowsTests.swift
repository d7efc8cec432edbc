import BallastTestSupport
import Foundation
import Logging
import Testing

@testable import BallastWorkflows

@Suite("Workflows")
struct WorkflowsTests {
    @Test("the default logger is labelled and logs at info and above")
    func silentLogger() {
        #expect(BallastWorkflows.silentLogger.label == "ballast.workflows")
        #expect(BallastWorkflows.silentLogger.logLevel == .info)
    }
}

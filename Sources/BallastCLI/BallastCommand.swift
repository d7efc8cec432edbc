import ArgumentParser
import Ballast
import Foundation

/// The `ballast` command-line tool.
@main
struct BallastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballast",
        abstract: "Ballast: a portfolio engine for risk profiling, optimisation, rebalancing and back-testing.",
        discussion: help("ballast"),
        version: BallastVersion.current,
        subcommands: [
            RecommendCommand.self, ProfileCommand.self, ModelsCommand.self, QuestionnaireCommand.self, RebalanceCommand.self,
            MonitorCommand.self, GenerateAccountsCommand.self,
            RiskModelCommand.self,
            OptimizeCommand.self,
            FrontierCommand.self, BacktestCommand.self, AuditCommand.self, DataCommand.self, AssumptionsCommand.self,
        ]
    )

    /// Parses and runs the command, mapping usage errors to exit code 2 (ArgumentParser's
    /// default is 64, EX_USAGE) so that every Ballast command has the same documented codes.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}

import ArgumentParser
import Ballast
import Foundation

/// The `ballast` command-line tool.
@main
struct BallastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballast",
        abstract: "Ballast: a portfolio engine for risk profiling, optimisation, rebalancing and back-testing.",
        discussion: """
            Results go to standard output, messages to standard error.

            EXIT CODES
              0  success
              1  the input or the data cannot support the request (bad file, bad window, estimation failure);
                 the message says what, where and how to fix it
              2  usage error (unknown option, invalid value)
              3  internal error (a bug: please report it with the command line)
              4  monitor: at least one alert fired

            Colour: error and warning prefixes on standard error are coloured on a terminal, never
            when NO_COLOR is set or output is redirected. Shell completion: ballast
            --generate-completion-script bash|zsh|fish (see the README).

            EXAMPLES
              ballast recommend profiles/customers/balanced-saver.json
              ballast risk-model --covariance ledoit-wolf --start 2018-01-01
              ballast optimize --start 2018-01-01 --objective max-sharpe
              ballast data inspect market-data/factors_etf5.csv
            """,
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

import BallastAudit
import BallastBacktest
import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRebalancing
import BallastRiskModels
import Logging

/// The application layer of Ballast: the jobs the `ballast` command line runs, as library
/// calls a service can make with the same results.
///
/// Each workflow takes a request value and returns a result value; none prints or exits.
/// Where a service plugs in its own parts (a checkpoint store, an audit sink, a price source)
/// the workflow takes a protocol; what it would otherwise only print (fallbacks, progress)
/// goes to the `Logger` it is given.
public enum BallastWorkflows {
    /// The logger workflows use when none is given: it discards everything.
    public static let silentLogger = Logger(label: "ballast.workflows", factory: { _ in SwiftLogNoOpLogHandler() })
}

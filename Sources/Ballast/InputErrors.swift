/// An error that is the user's to fix: a malformed or missing file, a value out of range, data
/// that cannot support the request, an impossible constraint. Its description says what,
/// where and how to fix it, in the user's terms.
///
/// Every such error type of the library conforms, so that a caller can tell them from its own
/// faults without listing the types: the command line prints them as `error: …` and exits 1;
/// a service answers them as a bad request (HTTP 400 or 422) rather than a server error.
///
/// ```swift
/// do { try request.run() } catch let e as any BallastInputError { reply(422, e.description) }
/// ```
public protocol BallastInputError: Error, CustomStringConvertible {}

extension MarketDataError: BallastInputError {}
extension RiskModelError: BallastInputError {}
extension LinearAlgebraError: BallastInputError {}
extension OptimizationError: BallastInputError {}
extension ProfilingError: BallastInputError {}
extension RebalanceError: BallastInputError {}
extension TargetWeightsError: BallastInputError {}
extension BundledDataError: BallastInputError {}
extension ReportFileError: BallastInputError {}
extension PlanMarketError: BallastInputError {}
extension ConstraintFileError: BallastInputError {}
extension SyntheticBookError: BallastInputError {}
extension AuditError: BallastInputError {}
extension BatchRebalanceError: BallastInputError {}
extension BacktestError: BallastInputError {}
extension BacktestSetupError: BallastInputError {}
extension AlertRulesError: BallastInputError {}
extension InvestmentProcessError: BallastInputError {}
extension WorkflowInputError: BallastInputError {}
extension PathClashError: BallastInputError {}
extension SettingProblem: BallastInputError {}
extension RebalancePolicy.Problem: BallastInputError {}

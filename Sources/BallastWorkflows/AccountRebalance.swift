import BallastAudit
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import Crypto
import Foundation

/// One account's plan (`ballast rebalance --account FILE`): the account read and checked, its
/// model's target on the date, the plan, and its audit record with the account named only by
/// its pseudonymous reference.
public struct AccountRebalance {
    /// The market of the plan: prices, date, history and the process.
    public var market: PlanMarket
    /// The products (lots, ratings).
    public var catalog: ProductCatalog
    /// The risk levels (for the stock level models).
    public var levels: RiskLevels
    /// The policy.
    public var policy: RebalancePolicy
    /// A models file `{model: {symbol: weight}}` instead of the levels' models.
    public var modelsFile: String?
    /// The pre-trade controls the plan is checked against (`nil`: none).
    public var controls: PlanControls?

    /// A rebalancer for one account.
    public init(market: PlanMarket, catalog: ProductCatalog, levels: RiskLevels, policy: RebalancePolicy, modelsFile: String? = nil) {
        self.market = market
        self.catalog = catalog
        self.levels = levels
        self.policy = policy
        self.modelsFile = modelsFile
    }

    /// The plan for the account in `data` (read from `source`, named in messages).
    ///
    /// - Returns: the account, the plan and the target weights it trades toward.
    /// - Throws: ``PlanMarketError`` naming the file and the field for a bad account, an
    ///   unknown model or a model without target; the planner's errors.
    public func plan(_ data: Data, source: String) throws -> (account: Account, plan: RebalancePlan, target: [String: Double]) {
        func bad(_ error: RebalanceError) -> PlanMarketError {
            PlanMarketError("\(source): " + (error.field.map { "\($0): " } ?? "") + error.message)
        }
        let account: Account
        do throws(RebalanceError) { account = try Account.decode(json: data) } catch { throw bad(error) }
        do throws(RebalanceError) {
            try account.validate(asOf: market.day, lotSizes: catalog.lotSizes, fractionalDecimals: policy.fractionalDecimals)
        } catch { throw bad(error) }
        guard let modelId = account.model else { throw PlanMarketError("\(source): model: required (a model id or a level such as C3)") }
        if modelsFile == nil && !(1...5).map({ "C\($0)" }).contains(modelId) {
            throw PlanMarketError("\(source): model \(modelId) is not a level (C1-C5); give a models file for other model ids")
        }
        let targets = try market.targets(models: modelsFile, levels: levels, catalog: catalog, only: modelsFile == nil ? modelId : nil)
        guard let target = targets[modelId] else {
            throw PlanMarketError(
                "\(modelsFile ?? "models"): has no model \(modelId); it has \(targets.keys.sorted().joined(separator: ", "))")
        }
        var planner = RebalancePlanner(policy: policy, lotSizes: catalog.lotSizes)
        planner.controls = controls
        let plan = try planner.plan(
            for: account, toward: target, at: market.prices, asOf: market.day)
        return (account, plan, target)
    }

    /// The shared inputs' digests of a rebalance record: the prices, the models, the policy
    /// and the catalogue.
    public func auditInputs(targets: [String: [String: Double]]) -> [String: String] {
        [
            "prices": AuditDigest.json(market.prices), "models": AuditDigest.json(targets), "policy": AuditDigest.json(policy),
            "catalog": AuditDigest.json(catalog),
        ]
    }

    /// The audit record of a plan: the account named by its pseudonymous reference (`acct-…`,
    /// never its id, in the plan and the notes), the inputs' digests with the account's bytes,
    /// the parameters, the plan and its notes.
    public func auditEntry(
        account: Account, data: Data, plan: RebalancePlan, target: [String: Double], parameters: [String: String], key: SymmetricKey
    ) -> AuditEntry {
        let reference = "acct-" + Privacy.pseudonym(of: "account:" + account.id, key: key).dropFirst(5)
        var recorded = plan
        recorded.accountId = reference
        return AuditEntry(
            command: "rebalance", engineVersion: BallastVersion.current, accountRef: String(reference),
            inputs: auditInputs(targets: [account.model ?? "": target]).merging(["account": AuditEntry.digest(data)]) { $1 },
            parameters: parameters, outputs: recorded.jsonLine,
            warnings: plan.notes.map { $0.replacingOccurrences(of: account.id, with: String(reference)) })
    }
}

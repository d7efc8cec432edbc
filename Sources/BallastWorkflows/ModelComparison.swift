import BallastBacktest
import BallastMarketData
import BallastRebalancing
import Foundation

/// Champion and challenger: what switching a book from the current model portfolios to
/// candidate ones would do, before anyone approves it (`ballast models compare`).
///
/// For every account of the book (each on a model id both files define): whether it is out of
/// band against its current model and against the candidate, and the plan that trades it to the
/// candidate under the policy (trades, turnover, traded value, costs). For every model: the
/// volatility and the return of both weightings over the year before the date (the annualised
/// sample covariance of the products' returns, as the monitor's tracking error), and both
/// back-tested over the validation period (rebalanced monthly, fractional, no costs).
public struct ModelComparisonRequest: Sendable {
    /// The current model portfolios: a JSON object of model id to `{symbol: weight}`.
    public var current: String
    /// The candidate model portfolios, in the same form.
    public var candidate: String
    /// The book: accounts as JSON Lines.
    public var accounts: String
    /// The date, the prices and the policy, as for rebalancing (its `models` is not used).
    public var market = RebalanceRequest()
    /// The validation period of the back-tests, in years before the date (default 3; 0: none).
    public var backtestYears = 3
    /// Problem lines listed (the rest are counted).
    public var listLimit = 100

    /// A comparison of two model files over a book.
    public init(current: String, candidate: String, accounts: String) {
        (self.current, self.candidate, self.accounts) = (current, candidate, accounts)
    }

    /// Reads the book and both model files and compares them.
    ///
    /// - Throws: ``PlanMarketError`` for a missing book; the model files' and the prices' errors.
    /// - Complexity: O(lines x holdings) plans, two per account; memory O(the book's text).
    public func run(_ inputs: WorkflowInputs) throws -> ModelComparison {
        let m = try inputs.planMarket(asOf: market.asOf, priceMap: market.priceMap)
        let catalog = try m.catalog ?? inputs.loadCatalog()
        let known = Set(m.prices.keys)
        let now = try TargetWeights.read(models: try inputs.resolve(current), known: known)
        let next = try TargetWeights.read(models: try inputs.resolve(candidate), known: known)
        guard let data = FileManager.default.contents(atPath: accounts) else {
            throw PlanMarketError("--accounts \(accounts): no such file; give the book (JSON Lines, one account per line)")
        }
        let planner = RebalancePlanner(policy: market.policy, lotSizes: catalog.lotSizes)
        var tallies: [String: ModelChange] = [:]
        var problems: [MonitorProblem] = []
        var problemCount = 0
        var lines = 0
        func problem(_ line: Int, _ id: String?, _ kind: MonitorProblem.Kind, _ message: String) {
            problemCount += 1
            if problems.count < listLimit { problems.append(MonitorProblem(line: line, accountId: id, kind: kind, message: message)) }
        }
        for (k, raw) in data.split(separator: 10, omittingEmptySubsequences: false).enumerated() {
            let text = String(decoding: raw, as: UTF8.self)
            guard !text.allSatisfy(\.isWhitespace) else { continue }
            lines += 1
            let line = k + 1
            let account: Account
            do throws(RebalanceError) {
                account = try Account.decode(json: raw)
                try account.validate(asOf: m.day, lotSizes: planner.lotSizes, fractionalDecimals: planner.policy.fractionalDecimals)
            } catch {
                problem(line, error.accountId, .invalid, (error.field.map { "\($0): " } ?? "") + error.message)
                continue
            }
            guard let model = account.model, let a = now[model], let b = next[model] else {
                let name = account.model ?? "(none)"
                problem(
                    line, account.id, .unknownModel,
                    "model \(name) is not in both files; current: \(now.keys.sorted().joined(separator: ", ")); candidate: \(next.keys.sorted().joined(separator: ", "))"
                )
                continue
            }
            do throws(RebalanceError) {
                let before = try planner.review(account, toward: a, at: m.prices, asOf: m.day)
                let after = try planner.review(account, toward: b, at: m.prices, asOf: m.day)
                let plan = try planner.plan(for: account, toward: b, at: m.prices, asOf: m.day)
                var t = tallies[model] ?? ModelChange(model: model)
                t.accounts += 1
                if before.outOfBand { t.outOfBandNow += 1 }
                if after.outOfBand { t.outOfBandAgainstCandidate += 1 }
                if !plan.trades.isEmpty { t.trading += 1 }
                t.turnover += plan.turnover
                t.tradedValue += plan.trades.reduce(Money(cents: 0)) { $0 + $1.value }.amount
                t.estimatedCost += plan.estimatedCost.amount
                tallies[model] = t
            } catch {
                problem(line, account.id, .invalid, (error.field.map { "\($0): " } ?? "") + error.message)
            }
        }
        // Risk and return of both weightings over the year before the date, and back-tests.
        let (index, covariance, yearReturn) = Context.trailingYear(m.history, asOf: m.day)
        func figures(_ w: [String: Double]) -> (Double?, Double?) {
            var pairs: [(Int, Double)] = []
            for (s, x) in w where s != planner.cashSymbol && x != 0 {
                guard let i = index[s] else { return (nil, nil) }
                pairs.append((i, x))
            }
            let k = yearReturn.count
            var v = 0.0
            var r = 0.0
            for (i, x) in pairs {
                r += x * yearReturn[i]
                for (j, y) in pairs { v += x * y * covariance[i * k + j] }
            }
            return (Swift.max(v, 0).squareRoot(), r)
        }
        func backtest(_ w: [String: Double]) -> BacktestFigures? {
            guard backtestYears > 0 else { return nil }
            let symbols = w.keys.filter { $0 != planner.cashSymbol && w[$0]! > 0 }.sorted()
            guard let table = try? m.history.selecting(symbols: symbols) else { return nil }
            var run = Backtest(prices: table, strategy: FixedWeights(w))
            run.start = m.day.adding(months: -12 * backtestYears)
            run.end = m.day
            guard let result = try? run.run() else { return nil }
            let x = result.metrics
            return BacktestFigures(
                start: result.dates.first ?? m.day, totalReturn: x.totalReturn, volatility: x.annualVolatility, maxDrawdown: x.maxDrawdown)
        }
        var models: [ModelChange] = []
        for (name, t) in tallies.sorted(by: { $0.key < $1.key }) {
            var c = t
            (c.volatilityCurrent, c.trailingReturnCurrent) = figures(now[name]!)
            (c.volatilityCandidate, c.trailingReturnCandidate) = figures(next[name]!)
            (c.backtestCurrent, c.backtestCandidate) = (backtest(now[name]!), backtest(next[name]!))
            c.weightChange =
                Set(now[name]!.keys).union(next[name]!.keys).reduce(0.0) {
                    $0 + abs((next[name]![$1] ?? 0) - (now[name]![$1] ?? 0))
                } / 2
            models.append(c)
        }
        var book = ModelChange(model: "book")
        for t in models {
            book.accounts += t.accounts
            book.outOfBandNow += t.outOfBandNow
            book.outOfBandAgainstCandidate += t.outOfBandAgainstCandidate
            book.trading += t.trading
            book.turnover += t.turnover
            book.tradedValue += t.tradedValue
            book.estimatedCost += t.estimatedCost
        }
        return ModelComparison(
            asOf: m.day, current: current, candidate: candidate, book: accounts, lines: lines, problems: problemCount,
            problemList: problems, models: models, total: book, warnings: m.warnings)
    }
}

/// A model's figures in a comparison: the accounts on it, what trading them to the candidate
/// would do, and both weightings' risk, return and back-test.
public struct ModelChange: Sendable, Codable, Equatable {
    /// The model id (`book` for the totals).
    public var model: String
    /// Accounts on it.
    public var accounts = 0
    /// Accounts out of band against the current model.
    public var outOfBandNow = 0
    /// Accounts out of band against the candidate: the ones the policy would trade after the switch.
    public var outOfBandAgainstCandidate = 0
    /// Accounts whose plan toward the candidate trades.
    public var trading = 0
    /// The sum of the plans' turnover (divide by ``accounts`` for the mean).
    public var turnover = 0.0
    /// The value of every trade, in the account currency.
    public var tradedValue = 0.0
    /// The plans' estimated costs under the policy.
    public var estimatedCost = 0.0
    /// Half the sum of the absolute weight changes between the two models.
    public var weightChange: Double?
    /// Annualised volatility of the current weights over the year before the date.
    public var volatilityCurrent: Double?
    /// The same for the candidate's.
    public var volatilityCandidate: Double?
    /// The current weights' return over that year (cash at 0).
    public var trailingReturnCurrent: Double?
    /// The candidate's.
    public var trailingReturnCandidate: Double?
    /// The current weights back-tested over the validation period.
    public var backtestCurrent: BacktestFigures?
    /// The candidate's.
    public var backtestCandidate: BacktestFigures?

    /// An empty tally for `model`.
    public init(model: String) { self.model = model }
}

/// A back-test's headline figures.
public struct BacktestFigures: Sendable, Codable, Equatable {
    /// Its first date.
    public var start: MarketDate
    /// Total return.
    public var totalReturn: Double
    /// Annualised volatility (`nil` when undefined).
    public var volatility: Double?
    /// Maximum drawdown.
    public var maxDrawdown: Double
}

/// What `ballast models compare` prints.
public struct ModelComparison: Sendable, Codable, Equatable {
    /// The date of the prices.
    public var asOf: MarketDate
    /// The current and the candidate model files, as named.
    public var current: String
    /// The candidate's file.
    public var candidate: String
    /// The book, as named.
    public var book: String
    /// Non-blank lines read.
    public var lines: Int
    /// Lines not compared (bad account, a model not in both files).
    public var problems: Int
    /// The first of them, with their line numbers.
    public var problemList: [MonitorProblem]
    /// Each model's figures.
    public var models: [ModelChange]
    /// The book's totals (risk and back-test figures are per model).
    public var total: ModelChange
    /// A stale date, implausible prices.
    public var warnings: [String]
}

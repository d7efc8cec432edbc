import BallastMarketData
import Foundation

/// Plans account lines of a batch book straight from bytes to bytes.
///
/// Everything that is the same for every account is prepared once: the symbol universe (the
/// priced symbols, sorted), each model's target as an array over it, lot units, and the JSON
/// text of every symbol and price. Each line is then parsed without intermediate strings,
/// planned by the same rules as ``RebalancePlanner/plan(for:toward:at:asOf:)`` and written as
/// the same bytes as ``RebalancePlan/jsonLine``.
///
/// A line that is not a plain account (escapes, unknown keys or symbols, duplicate holdings,
/// an unknown model, anything ``Account/decode(json:)`` or ``Account/validate(asOf:lotSizes:fractionalDecimals:)``
/// would refuse) or whose plan fails is not handled here: ``plan(line:into:scratch:)`` returns
/// `nil` and the caller takes the general path, which names the problem.
public struct BatchPlanner: Sendable {
    /// What a planned line came to.
    public struct Outcome: Sendable {
        /// Rebalanced, within band, cash flow only, or error.
        public var status: PlanStatus
        /// The account's id, as in the line.
        public var accountId: String
        /// Traded value / 2 / account value.
        public var turnover: Double
        /// Costs of the plan's trades.
        public var estimatedCost: Double
        /// The value of the plan's trades, in the account currency.
        public var tradedValue: Double
    }

    struct Model: Sendable {
        var name: [UInt8]
        /// Target weight by universe index (0 when absent).
        var weight: [Double]
        /// Whether the symbol is a key of the target (even with weight 0).
        var member: [Bool]
        var cash: Double
        /// The risk level of a model named like one (`C3`: 3), for the level control.
        var level: Int?
    }

    let planner: RebalancePlanner
    let asOf: MarketDate
    let names: [String]
    let nameJSON: [[UInt8]]
    let priceText: [[UInt8]]
    let price: [Double]
    let unit: [Double]
    /// Lot size by universe index, and whether the policy plans fractional quantities.
    let lot: [Double]
    let fractional: Bool
    let cashJSON: [UInt8]
    /// How many universe symbols sort before the cash symbol (where cash goes among the weights).
    let cashRank: Int
    let models: [Model]
    /// Trigger texts as JSON strings: by kind (absolute, relative, 5/25 absolute, 5/25
    /// relative) and universe index, and the fixed ones.
    let bandTriggerJSON: [[[UInt8]]]
    let fixedTriggerJSON: [RebalancePlanner.Trigger: [UInt8]]
    /// Open-addressing table from a symbol's hash to its universe index (-1: empty).
    let slots: [Int32]
    let symbolBytes: [[UInt8]]

    /// Prepares a batch run.
    ///
    /// - Parameters:
    ///   - planner: the policy, lot sizes and cash symbol.
    ///   - targets: model id to target weights (the cash symbol may appear).
    ///   - prices: symbol to price at `asOf`; non-positive or non-finite prices are left out
    ///     (accounts that need them get an error from the general path).
    ///   - asOf: the date of the prices (calendar triggers count from each account's last rebalance).
    /// - Throws: ``RebalanceError`` when the policy has a problem.
    public init(planner: RebalancePlanner, targets: [String: [String: Double]], prices: [String: Double], asOf: MarketDate)
        throws(RebalanceError)
    {
        if let p = planner.policy.problems.first { throw RebalanceError(field: "policy", p) }
        self.planner = planner
        self.asOf = asOf
        let universe = prices.filter { $0.value > 0 && $0.value.isFinite && $0.key != planner.cashSymbol }.keys.sorted()
        names = universe
        func quoted(_ s: String) -> [UInt8] {
            let sink = ByteSink(capacity: 64)
            sink.withWriter { $0.string(s) }
            return Array(sink.bytes)
        }
        nameJSON = universe.map(quoted)
        bandTriggerJSON = [
            RebalancePlanner.Trigger.absoluteBand(0), .relativeBand(0), .fiveTwentyFiveAbsolute(0), .fiveTwentyFiveRelative(0),
        ].map { kind in universe.map { quoted(kind.text(symbol: $0, policy: planner.policy)) } }
        var fixed: [RebalancePlanner.Trigger: [UInt8]] = [:]
        for t in [RebalancePlanner.Trigger.none, .calendar, .calendarAndThreshold] {
            fixed[t] = quoted(t.text(symbol: "", policy: planner.policy))
        }
        fixedTriggerJSON = fixed
        cashJSON = quoted(planner.cashSymbol)
        price = universe.map { prices[$0]! }
        priceText = price.map(JSONLineWriter.shortestText)
        unit = universe.map { planner.unit(for: $0) }
        lot = universe.map { planner.lotSizes[$0] ?? 1 }
        fractional = planner.policy.fractionalDecimals != nil
        cashRank = universe.filter { $0 < planner.cashSymbol }.count
        let index = Dictionary(uniqueKeysWithValues: universe.enumerated().map { ($1, $0) })
        var models: [Model] = []
        for (name, target) in targets.sorted(by: { $0.key < $1.key }) {
            // Targets that are invalid or name an unpriced symbol stay with the general path.
            guard (try? RebalancePlanner.checkTarget(target, accountId: nil)) != nil,
                target.keys.allSatisfy({ $0 == planner.cashSymbol || index[$0] != nil })
            else { continue }
            var m = Model(
                name: Array(name.utf8), weight: Array(repeating: 0, count: universe.count),
                member: Array(repeating: false, count: universe.count), cash: target[planner.cashSymbol] ?? 0,
                level: PlanControls.level(ofModel: name))
            for (s, w) in target where s != planner.cashSymbol {
                m.weight[index[s]!] = w
                m.member[index[s]!] = true
            }
            models.append(m)
        }
        self.models = models
        symbolBytes = universe.map { Array($0.utf8) }
        var size = 64
        while size < universe.count * 4 { size *= 2 }
        var slots = [Int32](repeating: -1, count: size)
        for (k, s) in symbolBytes.enumerated() {
            var h = s.withUnsafeBufferPointer { Self.hash($0[...]) } & (size - 1)
            while slots[h] >= 0 { h = (h + 1) & (size - 1) }
            slots[h] = Int32(k)
        }
        self.slots = slots
    }

    @inline(__always)
    static func hash(_ b: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    func lookup(_ b: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var h = Self.hash(b) & (slots.count - 1)
        while true {
            let k = Int(slots[h])
            if k < 0 { return nil }
            if symbolBytes[k].count == b.count
                && symbolBytes[k].withUnsafeBytes({ memcmp($0.baseAddress!, b.base.baseAddress! + b.startIndex, b.count) == 0 })
            {
                return k
            }
            h = (h + 1) & (slots.count - 1)
        }
    }

    /// Per-worker scratch space, reused from line to line.
    public struct Scratch {
        var held: [Double] = []
        var present: [Bool] = []
        var symbols: [String] = []
        var index: [Int] = []
        var accountHeld: [Double] = []
        var targetWeight: [Double] = []
        var prices: [Double] = []
        var units: [Double] = []
        /// Empty scratch space (sized on first use).
        public init() {}
    }

    /// Plans one line and appends its plan (without a newline) to `out`.
    ///
    /// - Returns: the outcome, or `nil` when the line needs the general path (nothing is
    ///   appended then).
    public func plan(line: UnsafeBufferPointer<UInt8>, into out: ByteSink, scratch: inout Scratch) -> Outcome? {
        let u = names.count
        if scratch.held.count != u {
            scratch.held = Array(repeating: 0, count: u)
            scratch.present = Array(repeating: false, count: u)
        }
        defer {
            for i in 0..<u where scratch.present[i] {
                scratch.present[i] = false
                scratch.held[i] = 0
            }
        }
        var parser = LineParser(bytes: line)
        guard let account = parser.account(self, held: &scratch.held, present: &scratch.present) else { return nil }
        // The account checks of the general path (Account.validate): a line that fails them is
        // left to it, which names the problem.
        guard Account.isCents(account.cash), Account.isCents(account.flow) else { return nil }
        if let last = account.lastRebalance, last > asOf { return nil }
        if !fractional {
            for i in 0..<u where scratch.present[i] {
                guard Account.isWholeLots(scratch.held[i], lotSize: lot[i]) else { return nil }
            }
        }
        let model = models[account.model]
        scratch.symbols.removeAll(keepingCapacity: true)
        scratch.index.removeAll(keepingCapacity: true)
        scratch.accountHeld.removeAll(keepingCapacity: true)
        scratch.targetWeight.removeAll(keepingCapacity: true)
        scratch.prices.removeAll(keepingCapacity: true)
        scratch.units.removeAll(keepingCapacity: true)
        for i in 0..<u where scratch.present[i] || model.member[i] {
            scratch.symbols.append(names[i])
            scratch.index.append(i)
            scratch.accountHeld.append(scratch.held[i])
            scratch.targetWeight.append(model.weight[i])
            scratch.prices.append(price[i])
            scratch.units.append(unit[i])
        }
        let index = scratch.index
        guard
            let core = try? planner.planCore(
                id: account.id, symbols: scratch.symbols, price: scratch.prices, unit: scratch.units, held: scratch.accountHeld,
                targetWeight: scratch.targetWeight,
                targetCash: model.cash, cash: account.cash, flow: account.flow, lastRebalance: account.lastRebalance, asOf: asOf,
                level: model.level)
        else { return nil }
        out.withWriter { w in
            w.key("{\"accountId\":")
            w.string(account.id)
            w.key(",\"cashAfter\":")
            w.cents(core.cashAfter)
            w.key(",\"cashBefore\":")
            w.cents(core.cashBefore)
            w.key(",\"driftAfter\":")
            w.fraction(core.driftAfter)
            w.key(",\"driftBefore\":")
            w.fraction(core.driftBefore)
            w.key(",\"estimatedCost\":")
            w.cents(core.costs)
            w.key(",\"notes\":[")
            for (k, note) in core.notes.enumerated() {
                if k > 0 { w.byte(44) }
                w.string(note)
            }
            w.key("],\"status\":")
            w.string(core.status.rawValue)
            w.key(",\"trades\":[")
            for (k, t) in core.trades.enumerated() {
                if k > 0 { w.byte(44) }
                let i = index[t.asset]
                w.trade(
                    symbol: { $0.raw(nameJSON[i]) }, side: t.side, quantity: t.quantity, price: { $0.raw(priceText[i]) },
                    value: t.value,
                    cost: t.cost, reason: t.reason)
            }
            w.key("],\"trigger\":")
            switch core.trigger {
            case .absoluteBand(let a): w.raw(bandTriggerJSON[0][index[a]])
            case .relativeBand(let a): w.raw(bandTriggerJSON[1][index[a]])
            case .fiveTwentyFiveAbsolute(let a): w.raw(bandTriggerJSON[2][index[a]])
            case .fiveTwentyFiveRelative(let a): w.raw(bandTriggerJSON[3][index[a]])
            case .none, .calendar, .calendarAndThreshold: w.raw(fixedTriggerJSON[core.trigger]!)
            default: w.string(core.trigger.text(symbol: "", policy: planner.policy))
            }
            w.key(",\"turnover\":")
            w.fraction(core.turnover)
            w.key(",\"weightsAfter\":")
            let start = w.count
            writeWeights(&w, index: index, values: core.valueAfter, cash: core.cashAfter, total: core.totalAfter)
            let end = w.count
            w.key(",\"weightsBefore\":")
            if core.trades.isEmpty && core.cashAfter == core.cashBefore {
                // Nothing traded: the same weights, already written once.
                w.repeatBytes(start..<end)
            } else {
                writeWeights(&w, index: index, values: core.valueBefore, cash: core.cashBefore, total: core.totalBefore)
            }
            w.byte(125)
        }
        var traded: Cents = 0
        for t in core.trades { traded += t.value }
        return Outcome(
            status: core.status, accountId: account.id, turnover: core.turnover, estimatedCost: RebalancePlanner.money(core.costs),
            tradedValue: RebalancePlanner.money(traded))
    }

    /// What ``review(line:scratch:)`` found in a plain account line: the figures of
    /// ``RebalancePlanner/review(_:toward:at:asOf:)``, by index into ``symbols``.
    public struct LineReview: Sendable {
        /// One held or targeted product of the account.
        public struct Position: Sendable {
            /// Index into ``BatchPlanner/symbols``.
            public var index: Int
            /// Its weight in the account (fraction of the value, cash included).
            public var weight: Double
            /// Its target weight.
            public var target: Double
            /// Whether the account holds a positive quantity.
            public var held: Bool
            /// Whether it is outside its band (``DriftReview/outsideBand``).
            public var outsideBand: Bool
        }

        /// The account's id.
        public var accountId: String
        /// Index into ``BatchPlanner/modelNames``.
        public var model: Int
        /// The account's value before any cash flow.
        public var value: Double
        /// ``DriftReview/drift``.
        public var drift: Double
        /// ``DriftReview/outOfBand``.
        public var outOfBand: Bool
        /// The held or targeted products, in symbol order.
        public var positions: [Position]
    }

    /// The priced symbols (cash excluded), sorted: what ``LineReview/Position/index`` indexes.
    public var symbols: [String] { names }

    /// The model ids the fast path knows, sorted: what ``LineReview/model`` indexes.
    public var modelNames: [String] { models.map { String(decoding: $0.name, as: UTF8.self) } }

    /// Reviews one line as ``RebalancePlanner/review(_:toward:at:asOf:)`` reviews the account it
    /// holds (the same drift to the bit and the same trigger), without planning trades.
    ///
    /// - Returns: the review, or `nil` when the line needs the general path (the same lines as
    ///   ``plan(line:into:scratch:)`` declines, and accounts with no value).
    /// - Complexity: O(line length + symbols).
    public func review(line: UnsafeBufferPointer<UInt8>, scratch: inout Scratch) -> LineReview? {
        let u = names.count
        if scratch.held.count != u {
            scratch.held = Array(repeating: 0, count: u)
            scratch.present = Array(repeating: false, count: u)
        }
        defer {
            for i in 0..<u where scratch.present[i] {
                scratch.present[i] = false
                scratch.held[i] = 0
            }
        }
        var parser = LineParser(bytes: line)
        guard let account = parser.account(self, held: &scratch.held, present: &scratch.present) else { return nil }
        guard Account.isCents(account.cash), account.cash >= 0, account.cash < 1e13 else { return nil }
        if let last = account.lastRebalance, last > asOf { return nil }
        let model = models[account.model]
        var value: [Cents] = []
        var target: [Double] = []
        var index: [Int] = []
        for i in 0..<u where scratch.present[i] || model.member[i] {
            let q = scratch.held[i]
            guard q >= 0, q.isFinite, q * price[i] < 1e13 else { return nil }
            if !fractional && !Account.isWholeLots(q, lotSize: lot[i]) { return nil }
            value.append(RebalancePlanner.cents(q * price[i]))
            target.append(model.weight[i])
            index.append(i)
        }
        let cash = RebalancePlanner.cents(account.cash)
        let total = value.reduce(0, +) + cash
        guard total > 0 else { return nil }
        // The drift and the bands exactly as RebalancePlanner.review computes them.
        var drift = abs(RebalancePlanner.fraction(cash, of: total) - model.cash)
        var positions: [LineReview.Position] = []
        positions.reserveCapacity(index.count)
        for k in index.indices {
            let w = RebalancePlanner.fraction(value[k], of: total)
            drift += abs(w - target[k])
            let b = planner.breaches(value: value[k], total: total, target: target[k])
            let out =
                switch planner.policy.trigger {
                case .absoluteBand, .portfolioDrift, .calendar: b.absolute
                case .relativeBand: b.relative
                case .fiveTwentyFive, .calendarAndThreshold: b.absolute || b.relative
                }
            positions.append(
                LineReview.Position(index: index[k], weight: w, target: target[k], held: scratch.held[index[k]] > 0, outsideBand: out))
        }
        drift /= 2
        let fired = planner.firedTrigger(
            value: value, total: total, targetWeight: target, drift: drift, lastRebalance: account.lastRebalance, asOf: asOf)
        return LineReview(
            accountId: account.id, model: account.model, value: RebalancePlanner.money(total), drift: drift, outOfBand: fired != nil,
            positions: positions)
    }

    /// Writes `{"SYM":w,...}` with the cash symbol in its sorted place among the assets.
    private func writeWeights(_ w: inout JSONLineWriter, index: [Int], values: [Cents], cash: Cents, total: Cents) {
        w.byte(123)
        // Entry k is asset k, except that cash comes first among the symbols sorting after it.
        let cashAt = index.firstIndex { $0 >= cashRank } ?? index.count
        for k in 0...index.count {
            if k > 0 { w.byte(44) }
            let asset = k < cashAt ? k : k - 1
            if k == cashAt {
                w.raw(cashJSON)
                w.byte(58)
                w.fraction(RebalancePlanner.fraction(cash, of: total))
            } else {
                w.raw(nameJSON[index[asset]])
                w.byte(58)
                w.fraction(RebalancePlanner.fraction(values[asset], of: total))
            }
        }
        w.byte(125)
    }
}

/// A parsed account line, holdings already placed in the scratch arrays.
private struct ParsedAccount {
    var id: String
    var model: Int
    var cash: Double
    var flow: Double
    var lastRebalance: MarketDate?
}

private struct LineParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    @inline(__always) mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 13 { i += 1 }
    }

    @inline(__always) mutating func expect(_ c: UInt8) -> Bool {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { return false }
        i += 1
        return true
    }

    /// A string without escapes, as a range of the line.
    mutating func stringRange() -> Range<Int>? {
        skipSpace()
        guard i < bytes.count, bytes[i] == 34 else { return nil }
        i += 1
        let start = i
        while i < bytes.count, bytes[i] != 34 {
            if bytes[i] == 92 || bytes[i] < 0x20 { return nil }
            i += 1
        }
        guard i < bytes.count else { return nil }
        i += 1
        return start..<(i - 1)
    }

    /// A JSON number, correctly rounded (``DecimalText``, the price files' reader too).
    @inline(__always)
    mutating func number() -> Double? {
        skipSpace()
        guard let (v, end) = DecimalText.scan(bytes, from: i, syntax: .json), v.isFinite else { return nil }
        i = end
        return v
    }

    mutating func account(_ batch: BatchPlanner, held: inout [Double], present: inout [Bool]) -> ParsedAccount? {
        guard expect(123) else { return nil }
        var id: String?
        var model: Int?
        var cash: Double?
        var flow = 0.0
        var last: MarketDate?
        var seen: UInt8 = 0
        repeat {
            guard let key = stringRange(), expect(58) else { return nil }
            let k = UnsafeBufferPointer(rebasing: bytes[key])
            func isKey(_ name: StaticString) -> Bool {
                k.count == name.utf8CodeUnitCount && memcmp(k.baseAddress!, name.utf8Start, k.count) == 0
            }
            let bit: UInt8
            if isKey("id") {
                bit = 1
                guard let r = stringRange() else { return nil }
                id = String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
            } else if isKey("model") {
                bit = 2
                guard let r = stringRange() else { return nil }
                let name = bytes[r]
                guard
                    let m = batch.models.firstIndex(where: { m in
                        m.name.count == name.count
                            && m.name.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress! + r.lowerBound, r.count) == 0 }
                    })
                else { return nil }
                model = m
            } else if isKey("cash") {
                bit = 4
                guard let v = number() else { return nil }
                cash = v
            } else if isKey("holdings") {
                bit = 8
                guard expect(123) else { return nil }
                if !expect(125) {
                    repeat {
                        guard let r = stringRange(), expect(58), let q = number(), let s = batch.lookup(bytes[r]), !present[s] else {
                            return nil
                        }
                        present[s] = true
                        held[s] = q
                    } while expect(44)
                    guard expect(125) else { return nil }
                }
            } else if isKey("cashFlow") {
                bit = 16
                guard expect(123), let r = stringRange(), r.count == 6,
                    memcmp(bytes.baseAddress! + r.lowerBound, ("amount" as StaticString).utf8Start, 6) == 0,
                    expect(58), let a = number(), expect(125)
                else { return nil }
                flow = a
            } else if isKey("lastRebalance") {
                bit = 32
                guard let r = stringRange(), let d = MarketDate.parseISO(bytes[r]) else { return nil }
                last = d
            } else {
                return nil  // unknown keys: the general path decides
            }
            if seen & bit != 0 { return nil }  // duplicate keys too
            seen |= bit
        } while expect(44)
        guard expect(125) else { return nil }
        skipSpace()
        guard i == bytes.count, seen & 8 != 0, let id, let model, let cash else { return nil }
        return ParsedAccount(id: id, model: model, cash: cash, flow: flow, lastRebalance: last)
    }
}

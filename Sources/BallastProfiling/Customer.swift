import BallastMarketData
import Foundation

#if canImport(Glibc)
    import Glibc
#else
    import Darwin
#endif

/// Personal data: never needed to compute anything, never printed unmasked.
public struct PersonalData: Sendable, Equatable, Codable {
    /// Full name.
    public var name: String?
    /// National identity number.
    public var nationalId: String?
    /// Phone number.
    public var phone: String?
    /// E-mail address.
    public var email: String?
    /// Postal address.
    public var address: String?

    /// Personal data (never used in computations; masked when shown).
    public init(name: String? = nil, nationalId: String? = nil, phone: String? = nil, email: String? = nil, address: String? = nil) {
        self.name = name
        self.nationalId = nationalId
        self.phone = phone
        self.email = email
        self.address = address
    }

    /// Every raw value present (for leak checks).
    public var rawValues: [String] { [name, nationalId, phone, email, address].compactMap { $0 } }
}

/// Financial facts from the customer (amounts in the account currency).
public struct FinancialFacts: Sendable, Equatable, Codable {
    /// Annual income (account currency).
    public var annualIncome: Double?
    /// Liquid assets (account currency).
    public var liquidAssets: Double?
    /// Amount to invest (account currency); a new customer with no holdings and no cash
    /// gets a purchase plan for it.
    public var investableAmount: Double?

    /// Facts from values.
    public init(annualIncome: Double? = nil, liquidAssets: Double? = nil, investableAmount: Double? = nil) {
        self.annualIncome = annualIncome
        self.liquidAssets = liquidAssets
        self.investableAmount = investableAmount
    }
}

/// A trade in the customer's history.
public struct CustomerTrade: Sendable, Equatable, Codable {
    /// Buy or sell.
    public enum Side: String, Sendable, Codable { case buy, sell }
    /// Trade date.
    public var date: MarketDate
    /// Product traded.
    public var symbol: String
    /// Buy or sell.
    public var side: Side
    /// Quantity (positive).
    public var quantity: Double
    /// Price per unit.
    public var price: Double
}

/// Account history used for behaviour signals.
public struct BehaviourHistory: Sendable, Equatable, Codable {
    /// Past trades, in date order.
    public var trades: [CustomerTrade]
    /// Dates on which the customer looked at the account.
    public var accountViews: [MarketDate]

    /// A behaviour history.
    public init(trades: [CustomerTrade] = [], accountViews: [MarketDate] = []) {
        self.trades = trades
        self.accountViews = accountViews
    }
}

/// A customer file (`profiles/customers/*.json`).
public struct CustomerFile: Sendable, Equatable, Codable {
    /// The customer's id (pseudonymised before it is shown or stored).
    public var id: String
    /// What the sample demonstrates (free text, optional).
    public var demonstrates: String?
    /// Personal data, if given (never needed for computing).
    public var personal: PersonalData?
    /// Date of birth (age band checks).
    public var birthDate: MarketDate?
    /// Item id to option id.
    public var answers: [String: String]
    /// Income, liquid assets and the amount to invest, if given.
    public var financial: FinancialFacts?
    /// Symbol to quantity.
    public var holdings: [String: Double]
    /// Cash in the account (account currency).
    public var cash: Double
    /// Products the customer asks for explicitly (suitability is checked against them).
    public var requestedProducts: [String]
    /// Past trades and account views, for the behaviour signals.
    public var behaviour: BehaviourHistory?
    /// The date the money is for (retirement, a purchase), if the customer has one: the
    /// investment policy's glide path lowers the level as it approaches.
    public var goalDate: MarketDate?
    /// The date the customer answered the questionnaire, if recorded: the profile is as of
    /// this date, and its re-assessment date counts from it (`ballast monitor`).
    public var profiledOn: MarketDate?

    /// A customer from values (no validation; ``read(path:questionnaire:catalog:asOf:)`` validates files).
    public init(
        id: String, answers: [String: String], holdings: [String: Double] = [:], cash: Double = 0, personal: PersonalData? = nil,
        birthDate: MarketDate? = nil, financial: FinancialFacts? = nil, requestedProducts: [String] = [],
        behaviour: BehaviourHistory? = nil,
        demonstrates: String? = nil, goalDate: MarketDate? = nil
    ) {
        self.goalDate = goalDate
        self.id = id
        self.answers = answers
        self.holdings = holdings
        self.cash = cash
        self.personal = personal
        self.birthDate = birthDate
        self.financial = financial
        self.requestedProducts = requestedProducts
        self.behaviour = behaviour
        self.demonstrates = demonstrates
    }

    /// Reads, decodes and validates a customer file against a questionnaire and a catalogue,
    /// reporting every problem at once with its field path.
    ///
    /// - Throws: ``ProfilingError``.
    public static func read(path: String, questionnaire: Questionnaire, catalog: ProductCatalog?, asOf: MarketDate) throws(ProfilingError)
        -> CustomerFile
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfilingError(file: path, [ProfilingIssue("(file)", "no such file or it cannot be read")])
        }
        return try parse(data, source: path, questionnaire: questionnaire, catalog: catalog, asOf: asOf)
    }

    /// Parses and validates customer JSON.
    public static func parse(
        _ data: Data, source: String = "<customer>", questionnaire q: Questionnaire, catalog: ProductCatalog?, asOf: MarketDate
    ) throws(ProfilingError) -> CustomerFile {
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch {
            // Foundation's message names the character and where it is ("around line 1, column 41").
            let detail = ((error as NSError).userInfo["NSDebugDescription"] as? String).map { ": " + $0 } ?? ""
            throw ProfilingError(
                file: source,
                [ProfilingIssue("(root)", data.isEmpty ? "the file is empty; a customer file is a JSON object" : "not valid JSON\(detail)")]
            )
        }
        guard let root = any as? [String: Any] else {
            throw ProfilingError(
                file: source, [ProfilingIssue("(root)", "not a JSON object; a customer file is {\"id\": ..., \"answers\": {...}, ...}")])
        }
        var issues: [ProfilingIssue] = []
        let known: Set<String> = [
            "id", "demonstrates", "personal", "birthDate", "answers", "financial", "holdings", "cash", "requestedProducts", "behaviour",
            "goalDate", "profiledOn",
        ]
        for key in root.keys.sorted() where !known.contains(key) {
            issues.append(ProfilingIssue(key, "unknown field; the fields are \(known.sorted().joined(separator: ", "))"))
        }
        func string(_ v: Any?, _ path: String, required: Bool = false) -> String? {
            guard let v, !(v is NSNull) else {
                if required { issues.append(ProfilingIssue(path, "is required")) }
                return nil
            }
            guard let s = v as? String else {
                issues.append(ProfilingIssue(path, "must be a string"))
                return nil
            }
            return s
        }
        func number(_ v: Any?, _ path: String, nonNegative: Bool = true) -> Double? {
            guard let v, !(v is NSNull) else { return nil }
            guard type(of: v) != Bool.self, let n = v as? NSNumber else {
                issues.append(ProfilingIssue(path, "must be a number"))
                return nil
            }
            let d = n.doubleValue
            if !d.isFinite {
                issues.append(ProfilingIssue(path, "must be a finite number"))
                return nil
            }
            if nonNegative && d < 0 { issues.append(ProfilingIssue(path, "must not be negative (got \(d))")) }
            if abs(d) >= 1e13 {
                issues.append(ProfilingIssue(path, "\(d) is beyond the amounts Ballast handles (below 10^13); check the units"))
                return nil
            }
            return d
        }
        func date(_ v: Any?, _ path: String, required: Bool = false) -> MarketDate? {
            guard let s = string(v, path, required: required) else { return nil }
            guard let d = MarketDate(iso: s) else {
                issues.append(ProfilingIssue(path, "`\(s)` is not a date; write YYYY-MM-DD"))
                return nil
            }
            if d > asOf { issues.append(ProfilingIssue(path, "\(d) is in the future (as of \(asOf))")) }
            return d
        }
        func symbolKnown(_ s: String, _ path: String) {
            if let catalog, catalog.product(s) == nil {
                issues.append(ProfilingIssue(path, "\(s) is not in the product catalogue"))
            }
        }
        let id = string(root["id"], "id", required: true) ?? ""
        if root["id"] != nil && id.isEmpty { issues.append(ProfilingIssue("id", "must not be empty")) }
        var personal: PersonalData?
        if let p = root["personal"], !(p is NSNull) {
            if let obj = p as? [String: Any] {
                personal = PersonalData(
                    name: string(obj["name"], "personal.name"), nationalId: string(obj["nationalId"], "personal.nationalId"),
                    phone: string(obj["phone"], "personal.phone"), email: string(obj["email"], "personal.email"),
                    address: string(obj["address"], "personal.address"))
            } else {
                issues.append(ProfilingIssue("personal", "must be an object"))
            }
        }
        let birth = date(root["birthDate"], "birthDate")
        // Answers.
        var answers: [String: String] = [:]
        if let a = root["answers"] {
            if let obj = a as? [String: Any] {
                for (itemId, value) in obj {
                    let path = "answers.\(itemId)"
                    guard let item = q.item(itemId) else {
                        issues.append(
                            ProfilingIssue(
                                path, "unknown item; questionnaire \(q.id) v\(q.version) has \(q.items.map(\.id).joined(separator: ", "))"))
                        continue
                    }
                    guard let optionId = value as? String else {
                        issues.append(ProfilingIssue(path, "must be an option id (a string) such as \"\(item.options.first?.id ?? "a")\""))
                        continue
                    }
                    guard item.option(optionId) != nil else {
                        issues.append(
                            ProfilingIssue(
                                path, "option \(optionId) is not offered; choose one of \(item.options.map(\.id).joined(separator: ", "))"))
                        continue
                    }
                    answers[itemId] = optionId
                }
            } else {
                issues.append(ProfilingIssue("answers", "must be an object mapping item ids to option ids"))
            }
        } else {
            issues.append(ProfilingIssue("answers", "is required"))
        }
        if root["answers"] is [String: Any] {
            for item in q.items where item.required && (root["answers"] as? [String: Any])?[item.id] == nil {
                issues.append(ProfilingIssue("answers.\(item.id)", "required answer is missing"))
            }
        }
        var financial: FinancialFacts?
        if let f = root["financial"], !(f is NSNull) {
            if let obj = f as? [String: Any] {
                financial = FinancialFacts(
                    annualIncome: number(obj["annualIncome"], "financial.annualIncome"),
                    liquidAssets: number(obj["liquidAssets"], "financial.liquidAssets"),
                    investableAmount: number(obj["investableAmount"], "financial.investableAmount"))
            } else {
                issues.append(ProfilingIssue("financial", "must be an object"))
            }
        }
        var holdings: [String: Double] = [:]
        if let h = root["holdings"], !(h is NSNull) {
            if let obj = h as? [String: Any] {
                for (s, v) in obj {
                    symbolKnown(s, "holdings.\(s)")
                    if let q = number(v, "holdings.\(s)") { holdings[s] = q }
                }
            } else {
                issues.append(ProfilingIssue("holdings", "must be an object mapping symbols to quantities"))
            }
        }
        let cash = number(root["cash"], "cash") ?? 0
        var requested: [String] = []
        if let r = root["requestedProducts"], !(r is NSNull) {
            if let list = r as? [Any] {
                for (k, v) in list.enumerated() {
                    if let s = string(v, "requestedProducts[\(k)]") {
                        symbolKnown(s, "requestedProducts[\(k)]")
                        requested.append(s)
                    }
                }
            } else {
                issues.append(ProfilingIssue("requestedProducts", "must be a list of symbols"))
            }
        }
        var behaviour: BehaviourHistory?
        if let b = root["behaviour"], !(b is NSNull) {
            if let obj = b as? [String: Any] {
                var trades: [CustomerTrade] = []
                if let list = obj["trades"] as? [Any] {
                    for (k, t) in list.enumerated() {
                        let path = "behaviour.trades[\(k)]"
                        guard let tobj = t as? [String: Any] else {
                            issues.append(ProfilingIssue(path, "must be an object {date, symbol, side, quantity, price}"))
                            continue
                        }
                        let d = date(tobj["date"], path + ".date", required: true)
                        let s = string(tobj["symbol"], path + ".symbol", required: true)
                        if let s { symbolKnown(s, path + ".symbol") }
                        let sideText = string(tobj["side"], path + ".side", required: true)
                        let side = sideText.flatMap(CustomerTrade.Side.init(rawValue:))
                        if sideText != nil && side == nil { issues.append(ProfilingIssue(path + ".side", "must be buy or sell")) }
                        let qty = number(tobj["quantity"], path + ".quantity")
                        let price = number(tobj["price"], path + ".price")
                        if tobj["quantity"] == nil { issues.append(ProfilingIssue(path + ".quantity", "is required")) }
                        if tobj["price"] == nil { issues.append(ProfilingIssue(path + ".price", "is required")) }
                        if let d, let s, let side, let qty, let price {
                            trades.append(CustomerTrade(date: d, symbol: s, side: side, quantity: qty, price: price))
                        }
                    }
                } else if obj["trades"] != nil {
                    issues.append(ProfilingIssue("behaviour.trades", "must be a list of trades"))
                }
                var views: [MarketDate] = []
                if let list = obj["accountViews"] as? [Any] {
                    for (k, v) in list.enumerated() { if let d = date(v, "behaviour.accountViews[\(k)]") { views.append(d) } }
                } else if obj["accountViews"] != nil {
                    issues.append(ProfilingIssue("behaviour.accountViews", "must be a list of dates"))
                }
                behaviour = BehaviourHistory(trades: trades.sorted { $0.date < $1.date }, accountViews: views.sorted())
            } else {
                issues.append(ProfilingIssue("behaviour", "must be an object {trades, accountViews}"))
            }
        }
        // The goal lies ahead (or has just passed): a date, not checked against the as-of date.
        var goal: MarketDate?
        if let g = string(root["goalDate"], "goalDate") {
            goal = MarketDate(iso: g)
            if goal == nil { issues.append(ProfilingIssue("goalDate", "`\(g)` is not a date; write YYYY-MM-DD")) }
        }
        let profiled = date(root["profiledOn"], "profiledOn")
        if !issues.isEmpty { throw ProfilingError(file: source, issues.sorted { $0.path < $1.path }) }
        var customer = CustomerFile(
            id: id, answers: answers, holdings: holdings, cash: cash, personal: personal, birthDate: birth, financial: financial,
            requestedProducts: requested, behaviour: behaviour, demonstrates: root["demonstrates"] as? String, goalDate: goal)
        customer.profiledOn = profiled
        return customer
    }
}

extension CustomerFile {
    /// The JSON of a new customer file as `ballast questionnaire` writes it: the id, the
    /// answers (items in their natural order, q2 before q10), no holdings, no cash, and the
    /// investable amount when given; keys sorted, pretty-printed.
    public static func newFileJSON(id: String, answers: [String: String], investableAmount: Double?) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes]
        func json(_ v: some Encodable) throws -> String { String(decoding: try e.encode(v), as: UTF8.self) }
        let items = try answers.keys.sorted { $0.compare($1, options: .numeric) == .orderedAscending }.map {
            "    \(try json($0)) : \(try json(answers[$0]!))"
        }
        var text = "{\n  \"answers\" : {\n" + items.joined(separator: ",\n") + "\n  },\n  \"cash\" : 0,\n"
        if let investableAmount { text += "  \"financial\" : {\n    \"investableAmount\" : \(try json(investableAmount))\n  },\n" }
        text += "  \"holdings\" : {},\n  \"id\" : \(try json(id))\n}"
        return Data(text.utf8)
    }

    /// A new customer file's text (``newFileJSON(id:answers:investableAmount:)`` and a newline),
    /// read back through the checks of every customer file first, so that no file is written
    /// that `recommend` would refuse.
    ///
    /// - Throws: ``ProfilingError`` listing every problem (answers, amount, id).
    public static func newFileText(
        id: String, answers: [String: String], investableAmount: Double?, questionnaire: Questionnaire, asOf: MarketDate
    ) throws -> String {
        let data = try newFileJSON(id: id, answers: answers, investableAmount: investableAmount)
        _ = try parse(data, source: "answers", questionnaire: questionnaire, catalog: nil, asOf: asOf)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes a customer file readable and writable by its owner only: it holds personal data,
    /// so it is created with mode 0600 (never readable by others, even for a moment).
    ///
    /// - Throws: ``ProfilingError`` naming the path and the system's reason.
    public static func write(_ text: String, to path: String) throws(ProfilingError) {
        func failure(_ code: Int32) -> ProfilingError {
            ProfilingError(
                file: path,
                [ProfilingIssue("file", "cannot be written (\(String(cString: strerror(code)))); choose a folder you may write to")])
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(errno) }
        // A file that existed keeps its mode through O_CREAT: make it owner-only before writing.
        if fchmod(fd, 0o600) != 0 {
            let code = errno
            close(fd)
            throw failure(code)
        }
        var code: Int32 = 0
        var bytes = text
        bytes.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                #if canImport(Glibc)
                    let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                #else
                    let n = Darwin.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                #endif
                if n < 0 {
                    if errno == EINTR { continue }
                    code = errno
                    return
                }
                offset += n
            }
        }
        if close(fd) != 0 && code == 0 { code = errno }
        if code != 0 {
            unlink(path)
            throw failure(code)
        }
    }
}

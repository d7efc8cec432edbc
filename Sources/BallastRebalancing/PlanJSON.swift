import Foundation

extension RebalancePlan {
    /// The plan as one line of JSON with sorted keys — the same document `JSONEncoder` with
    /// `.sortedKeys` writes, without its generic machinery (batch runs write millions).
    public var jsonLine: String {
        var s = "{"
        s.reserveCapacity(256 + 160 * trades.count + 40 * (weightsAfter.count + weightsBefore.count))
        s += "\"accountId\":" + jsonString(accountId)
        s += ",\"cashAfter\":" + jsonNumber(cashAfter)
        s += ",\"cashBefore\":" + jsonNumber(cashBefore)
        s += ",\"driftAfter\":" + jsonNumber(driftAfter)
        s += ",\"driftBefore\":" + jsonNumber(driftBefore)
        s += ",\"estimatedCost\":" + jsonNumber(estimatedCost)
        s += ",\"notes\":[" + notes.map(jsonString).joined(separator: ",") + "]"
        s += ",\"status\":" + jsonString(status.rawValue)
        s += ",\"trades\":["
        s += trades.map { t in
            "{\"cost\":\(jsonNumber(t.cost)),\"price\":\(jsonNumber(t.price)),\"quantity\":\(jsonNumber(t.quantity)),\"reason\":\(jsonString(t.reason)),\"side\":\"\(t.side.rawValue)\",\"symbol\":\(jsonString(t.symbol)),\"value\":\(jsonNumber(t.value))}"
        }.joined(separator: ",")
        s += "],\"trigger\":" + jsonString(trigger)
        s += ",\"turnover\":" + jsonNumber(turnover)
        s += ",\"weightsAfter\":" + jsonObject(weightsAfter)
        s += ",\"weightsBefore\":" + jsonObject(weightsBefore)
        return s + "}"
    }
}

func jsonNumber(_ x: Double) -> String {
    guard x.isFinite else { return "null" }
    if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
    return String(x)
}

func jsonString(_ text: String) -> String {
    // Most strings need no escaping: copy them as they are.
    if !text.utf8.contains(where: { $0 < 0x20 || $0 == 34 || $0 == 92 }) { return "\"" + text + "\"" }
    var out = "\""
    for u in text.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

func jsonObject(_ d: [String: Double]) -> String {
    "{" + d.keys.sorted().map { jsonString($0) + ":" + jsonNumber(d[$0]!) }.joined(separator: ",") + "}"
}

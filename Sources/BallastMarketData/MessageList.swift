/// Lists of problems in messages, capped so that a file with millions of bad entries gives a
/// message a person can read: the first `limit` items, then `and 3,299,990 more`.
public enum MessageList {
    /// The number of items a message lists before it counts the rest (20).
    public static let defaultLimit = 20

    /// The first `limit` of `items` joined by `separator`, then `and N more` (N with thousands
    /// separators) when there are more.
    ///
    /// - Complexity: O(`limit`), whatever the number of items.
    public static func joined(_ items: [String], separator: String, limit: Int = defaultLimit) -> String {
        guard items.count > limit else { return items.joined(separator: separator) }
        return (items.prefix(max(0, limit)) + ["and \(grouped(items.count - max(0, limit))) more"]).joined(separator: separator)
    }

    /// `n` with a comma every three digits (`3,299,990`).
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = n < 0 ? "-" : ""
        for (k, c) in digits.enumerated() {
            if k > 0 && (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return out
    }
}

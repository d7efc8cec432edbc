import BallastMarketData
import Foundation

extension Account {
    /// Parses one account line of a batch book without `JSONDecoder`'s generic machinery.
    ///
    /// Accepts exactly the account schema (`id`, `model`, `cash`, `holdings`, `cashFlow`,
    /// `lastRebalance`; unknown keys are skipped). Returns `nil` when the line is not a plain
    /// account object, so that the caller can fall back to `JSONDecoder` for a precise error.
    public static func fastParse(_ line: String) -> Account? {
        var text = line
        return text.withUTF8 { bytes -> Account? in
            var p = FastJSON(bytes: bytes)
            return p.account()
        }
    }
}

private struct FastJSON {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
    }

    mutating func expect(_ c: UInt8) -> Bool {
        skipSpace()
        guard i < bytes.count, bytes[i] == c else { return false }
        i += 1
        return true
    }

    mutating func string() -> String? {
        skipSpace()
        guard i < bytes.count, bytes[i] == 34 else { return nil }
        i += 1
        let start = i
        while i < bytes.count, bytes[i] != 34 {
            if bytes[i] == 92 { return nil }  // escapes: leave to the full decoder
            i += 1
        }
        guard i < bytes.count else { return nil }
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        i += 1
        return s
    }

    mutating func number() -> Double? {
        skipSpace()
        let start = i
        while i < bytes.count,
            (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 45 || bytes[i] == 43 || bytes[i] == 46 || bytes[i] == 101 || bytes[i] == 69
        {
            i += 1
        }
        guard i > start else { return nil }
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let v = Double(s), v.isFinite else { return nil }
        return v
    }

    mutating func account() -> Account? {
        guard expect(123) else { return nil }
        var id: String?
        var model: String?
        var cash: Double?
        var holdings: [String: Double] = [:]
        var flow: CashFlow?
        var last: MarketDate?
        if expect(125) { return nil }
        repeat {
            guard let key = string(), expect(58) else { return nil }
            switch key {
            case "id":
                guard let v = string() else { return nil }
                id = v
            case "model":
                guard let v = string() else { return nil }
                model = v
            case "cash":
                guard let v = number() else { return nil }
                cash = v
            case "lastRebalance":
                guard let v = string(), let d = MarketDate(iso: v) else { return nil }
                last = d
            case "holdings":
                guard expect(123) else { return nil }
                if !expect(125) {
                    repeat {
                        guard let s = string(), expect(58), let q = number() else { return nil }
                        holdings[s] = q
                    } while expect(44)
                    guard expect(125) else { return nil }
                }
            case "cashFlow":
                guard expect(123), let k = string(), k == "amount", expect(58), let a = number(), expect(125) else { return nil }
                flow = CashFlow(amount: a)
            default:
                return nil  // unknown keys: the full decoder decides
            }
        } while expect(44)
        guard expect(125) else { return nil }
        skipSpace()
        guard i == bytes.count, let id, let cash else { return nil }
        return Account(id: id, model: model, cash: cash, holdings: holdings, cashFlow: flow, lastRebalance: last)
    }
}

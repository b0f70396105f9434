import Foundation

/// Any JSON value, for configs stored as text but exported as nested JSON. Encoding with sorted keys
/// gives one canonical text per value, so a config survives export and import byte for byte.
public enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses JSON text.
    public static func parse(_ text: String) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) } catch {
            throw LedgerError.invalid("not valid JSON: \(text.prefix(80))", hint: "\(error)")
        }
    }

    /// Canonical text: sorted keys, no extra whitespace.
    public var canonicalText: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(self)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// Flattens nested objects to dotted keys ("optimizer.adamw._0.beta2"), for config differences.
    public func flattened(prefix: String = "") -> [String: String] {
        switch self {
        case .object(let o):
            var out: [String: String] = [:]
            for (k, v) in o { out.merge(v.flattened(prefix: prefix.isEmpty ? k : prefix + "." + k)) { $1 } }
            return out
        case .array(let a):
            var out: [String: String] = [:]
            for (i, v) in a.enumerated() { out.merge(v.flattened(prefix: prefix + "[\(i)]")) { $1 } }
            return out
        default:
            return [prefix: canonicalText]
        }
    }
}

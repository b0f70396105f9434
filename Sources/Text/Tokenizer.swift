import Foundation

/// What an experiment needs of a tokenizer: text to ids and back, and the vocabulary size a model is
/// built with. The byte-level BPE tokenizer and the character codec both satisfy it.
public protocol Tokenizer: Sendable {
    /// Number of distinct ids (a model's `vocab_size`).
    var vocabSize: Int { get }
    /// The ids of `text`.
    func encode(_ text: String) -> [Int32]
    /// The text of `ids`; throws on an id outside the vocabulary.
    func decode(_ ids: [Int32]) throws -> String
}

extension BPETokenizer: Tokenizer {
    public func encode(_ text: String) -> [Int32] { encode(text, allowSpecial: false) }
}

/// Characters as tokens: each UTF-8 byte of ASCII text is one id (vocabulary 128). Exact string answers
/// need no tokenizer subtleties, and a model's output is read character by character.
public struct CharTokenizer: Tokenizer, Codable, Equatable {
    public var vocabSize: Int { 128 }
    public init() {}

    /// Refuses text with a byte outside ASCII (it would otherwise alias another character).
    public func validate(_ text: String) throws {
        if let b = text.utf8.first(where: { $0 >= 128 }) {
            throw TextError.tokenizer("byte 0x\(String(b, radix: 16)) is not ASCII", hint: "the character codec reads ASCII text only")
        }
    }

    /// The ids of `text`; bytes outside ASCII are folded into 0-127 (call `validate` first to refuse them).
    public func encode(_ text: String) -> [Int32] { text.utf8.map { Int32($0 & 0x7F) } }

    public func decode(_ ids: [Int32]) throws -> String {
        if let bad = ids.first(where: { $0 < 0 || $0 >= 128 }) {
            throw TextError.tokenizer("id \(bad) is outside the character vocabulary 0..<128", hint: "the ids come from another tokenizer")
        }
        return String(decoding: ids.map { UInt8($0) }, as: UTF8.self)
    }

    /// The id of an ASCII character (e.g. the newline that ends an answer).
    public func id(_ c: Character) -> Int32 { Int32(c.asciiValue ?? 0) }
}

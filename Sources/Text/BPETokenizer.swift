import Foundation

/// A byte-level BPE tokenizer (GPT-2's scheme): ids 0-255 are the bytes, then one id per learned merge,
/// then special tokens. Encoding splits text into chunks (`PreTokenizer`) and applies merges by rank
/// inside each chunk; decoding concatenates bytes, so `decodeBytes(encode(b)) == b` for any bytes,
/// valid UTF-8 or not.
public final class BPETokenizer: @unchecked Sendable {
    /// Merges in rank order: merge r joins tokens (a, b) into id 256 + r.
    public let merges: [(Int32, Int32)]
    /// Special tokens (e.g. "<|endoftext|>") and their ids, after the merges.
    public let specialTokens: [String: Int32]
    /// Bytes of every non-special id.
    let tokenBytes: [[UInt8]]
    let mergeRank: [UInt64: Int32]
    private var cache: [ArraySlice<UInt8>: [Int32]] = [:]
    private let lock = NSLock()

    public var vocabSize: Int { 256 + merges.count + specialTokens.count }

    public init(merges: [(Int32, Int32)], specialTokens: [String] = []) throws {
        self.merges = merges
        var bytes = (0..<256).map { [UInt8($0)] }
        var ranks: [UInt64: Int32] = [:]
        for (r, (a, b)) in merges.enumerated() {
            guard a >= 0, b >= 0, Int(a) < bytes.count, Int(b) < bytes.count else {
                throw TextError.tokenizer("merge \(r) refers to token \(max(a, b)) before it exists", hint: "the merges list is damaged")
            }
            bytes.append(bytes[Int(a)] + bytes[Int(b)])
            ranks[BPETokenizer.key(a, b)] = Int32(r)
        }
        tokenBytes = bytes
        mergeRank = ranks
        var specials: [String: Int32] = [:]
        for (i, s) in specialTokens.enumerated() { specials[s] = Int32(256 + merges.count + i) }
        self.specialTokens = specials
    }

    @inline(__always) static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    // MARK: Encode / decode

    /// Ids of `text`'s UTF-8 bytes. With `allowSpecial`, occurrences of special-token strings become their
    /// ids; otherwise they are encoded as ordinary text.
    public func encode(_ text: String, allowSpecial: Bool = false) -> [Int32] {
        guard allowSpecial, !specialTokens.isEmpty else { return encode(bytes: Array(text.utf8)) }
        var out: [Int32] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            var first: (Range<Substring.Index>, Int32)?
            for (s, id) in specialTokens {
                if let r = rest.range(of: s), first == nil || r.lowerBound < first!.0.lowerBound { first = (r, id) }
            }
            guard let (r, id) = first else { out += encode(bytes: Array(rest.utf8)); break }
            out += encode(bytes: Array(rest[..<r.lowerBound].utf8))
            out.append(id)
            rest = rest[r.upperBound...]
        }
        return out
    }

    /// Ids of arbitrary bytes.
    public func encode(bytes: [UInt8]) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3)
        bytes.withUnsafeBufferPointer { buf in
            PreTokenizer.split(buf) { r in out += encodeChunk(bytes[r]) }
        }
        return out
    }

    func encodeChunk(_ chunk: ArraySlice<UInt8>) -> [Int32] {
        lock.lock()
        if let hit = cache[chunk] { lock.unlock(); return hit }
        lock.unlock()
        var ids = chunk.map { Int32($0) }
        // Repeatedly merge the adjacent pair of lowest rank.
        while ids.count > 1 {
            var best: Int32 = .max, at = -1
            for i in 0..<(ids.count - 1) {
                if let r = mergeRank[BPETokenizer.key(ids[i], ids[i + 1])], r < best { best = r; at = i }
            }
            if at < 0 { break }
            let merged = 256 + best
            let (a, b) = merges[Int(best)]
            var out: [Int32] = []
            out.reserveCapacity(ids.count)
            var i = 0
            while i < ids.count {
                if i < ids.count - 1 && ids[i] == a && ids[i + 1] == b { out.append(merged); i += 2 } else { out.append(ids[i]); i += 1 }
            }
            ids = out
        }
        lock.lock()
        if cache.count < 1_000_000 { cache[chunk] = ids }
        lock.unlock()
        return ids
    }

    /// The exact bytes of ids (special tokens give their UTF-8 text). Throws on an id outside the vocabulary.
    public func decodeBytes(_ ids: [Int32]) throws -> [UInt8] {
        var out: [UInt8] = []
        let specialText = Dictionary(uniqueKeysWithValues: specialTokens.map { ($0.value, $0.key) })
        for id in ids {
            if id >= 0 && Int(id) < tokenBytes.count { out += tokenBytes[Int(id)] }
            else if let s = specialText[id] { out += Array(s.utf8) }
            else { throw TextError.tokenizer("id \(id) is outside the vocabulary 0..<\(vocabSize)", hint: "the ids were made with another tokenizer") }
        }
        return out
    }

    /// Decoded text; invalid UTF-8 becomes U+FFFD (use `decodeBytes` for an exact round trip).
    public func decode(_ ids: [Int32]) throws -> String { String(decoding: try decodeBytes(ids), as: UTF8.self) }

    // MARK: Save / load

    struct FileFormat: Codable {
        var format: String
        var version: Int
        var merges: [[Int32]]
        var special_tokens: [String]
    }

    /// Saves the merges and special tokens as JSON.
    public func save(to url: URL) throws {
        let specials = specialTokens.sorted { $0.value < $1.value }.map(\.key)
        let f = FileFormat(format: "datalab-bpe", version: 1, merges: merges.map { [$0.0, $0.1] }, special_tokens: specials)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try enc.encode(f).write(to: url, options: .atomic)
    }

    /// Loads a tokenizer saved by `save`.
    public static func load(from url: URL) throws -> BPETokenizer {
        let f: FileFormat
        do { f = try JSONDecoder().decode(FileFormat.self, from: Data(contentsOf: url)) } catch {
            throw TextError.tokenizer("cannot read \(url.path): \(error)", hint: "the file is not a tokenizer saved by this project")
        }
        guard f.format == "datalab-bpe", f.version == 1 else {
            throw TextError.tokenizer("\(url.lastPathComponent) has format \(f.format) v\(f.version)", hint: "expected datalab-bpe v1")
        }
        guard f.merges.allSatisfy({ $0.count == 2 }) else { throw TextError.tokenizer("a merge is not a pair", hint: "the file is damaged") }
        return try BPETokenizer(merges: f.merges.map { ($0[0], $0[1]) }, specialTokens: f.special_tokens)
    }
}

import Foundation
import XCTest
@testable import Text

final class BPETests: XCTestCase {
    let corpus = Array("""
    def add(a, b):
        return a + b

    def multiply(a, b):
        return a * b

    The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs.
    Überraschung: naïve café — 東京 🚀 12345 67890
    """.utf8)

    func testRoundTripOnUTF8AndInvalidBytes() throws {
        let tok = try BPETrainer.train(corpus: Array(repeating: corpus, count: 20).flatMap { $0 }, vocabSize: 400)
        XCTAssertGreaterThan(tok.merges.count, 50)
        for text in ["def add(a, b):\n    return a + b", "  leading  and trailing  ", "", "東京 🚀 café", "\n\n\t x"] {
            XCTAssertEqual(try tok.decode(tok.encode(text)), text)
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            XCTAssertEqual(try tok.decodeBytes(tok.encode(bytes: bytes)), bytes)
        }
        // Merges compress the training text.
        XCTAssertLessThan(tok.encode(bytes: corpus).count, corpus.count / 2)
    }

    func testSpecialTokensAndErrors() throws {
        let tok = try BPETrainer.train(corpus: corpus, vocabSize: 300, specialTokens: ["<|endoftext|>"])
        let eot = tok.specialTokens["<|endoftext|>"]!
        XCTAssertEqual(Int(eot), tok.vocabSize - 1)
        let ids = tok.encode("a<|endoftext|>b", allowSpecial: true)
        XCTAssertTrue(ids.contains(eot))
        XCTAssertFalse(tok.encode("a<|endoftext|>b").contains(eot))
        XCTAssertEqual(try tok.decode(ids), "a<|endoftext|>b")
        XCTAssertThrowsError(try tok.decode([Int32(tok.vocabSize)]))
        XCTAssertThrowsError(try BPETrainer.train(corpus: corpus, vocabSize: 100))
    }

    func testSaveLoadAndDeterminism() throws {
        let a = try BPETrainer.train(corpus: corpus, vocabSize: 320)
        let b = try BPETrainer.train(corpus: corpus, vocabSize: 320)
        XCTAssertTrue(a.merges.elementsEqual(b.merges, by: ==))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try a.save(to: url)
        let c = try BPETokenizer.load(from: url)
        XCTAssertEqual(c.encode("return a * b"), a.encode("return a * b"))
        try Data("{}".utf8).write(to: url)
        XCTAssertThrowsError(try BPETokenizer.load(from: url))
    }

    /// The merges are those a naive trainer (recount every pair after every merge) finds.
    func testIncrementalCountsMatchNaiveRecount() throws {
        let text = Array("aaabdaaabac aaab aab xyzxyz xyz ab ab ab".utf8)
        let fast = try BPETrainer.train(corpus: text, vocabSize: 256 + 8, specialTokens: [], minFrequency: 2)
        var words: [([Int32], Int)] = []
        var freq: [ArraySlice<UInt8>: Int] = [:]
        for c in PreTokenizer.chunks(text) { freq[c, default: 0] += 1 }
        for (c, n) in freq where c.count > 1 { words.append((c.map { Int32($0) }, n)) }
        var naive: [(Int32, Int32)] = []
        for m in 0..<fast.merges.count {
            var counts: [UInt64: Int] = [:]
            for (w, n) in words { for i in 0..<max(w.count - 1, 0) { counts[BPETokenizer.key(w[i], w[i + 1]), default: 0] += n } }
            let best = counts.max { x, y in x.value < y.value || (x.value == y.value && x.key > y.key) }!
            let a = Int32(best.key >> 32), b = Int32(best.key & 0xFFFF_FFFF)
            naive.append((a, b))
            words = words.map { (w, n) in
                var out: [Int32] = []; var i = 0
                while i < w.count { if i < w.count - 1 && w[i] == a && w[i + 1] == b { out.append(Int32(256 + m)); i += 2 } else { out.append(w[i]); i += 1 } }
                return (out, n)
            }
        }
        XCTAssertTrue(fast.merges.elementsEqual(naive, by: ==), "\(fast.merges) vs \(naive)")
    }

    func testTokenFileRoundTripAndTruncation() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID()).bin")
        defer { try? FileManager.default.removeItem(at: url) }
        try TokenFile.write([0, 1, 65535, 300], to: url)
        XCTAssertEqual(try TokenFile.read(url), [0, 1, 65535, 300])
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try TokenFile.read(url))
    }
}

import Foundation
import XCTest
import Tensor
@testable import Models

final class GenerationTests: XCTestCase {
    /// Greedy decoding without a cache: re-run the whole prefix for every new token.
    func naiveGreedy(_ model: GPT, _ prompt: [Int32], _ n: Int) throws -> [Int32] {
        var seq = prompt
        var out: [Int32] = []
        for _ in 0..<n {
            let (logits, _) = try Autograd.withNoGrad { try model.forward(seq, batch: 1) }
            let V = model.config.vocabSize
            let last = logits.array.suffix(V)
            let id = Int32(last.indices.max { last[$0] < last[$1] }! - last.startIndex)
            out.append(id); seq.append(id)
        }
        return out
    }

    func testKVCacheMatchesFullRecomputeBatched() throws {
        for cfg in [GPTConfig(blockSize: 24, vocabSize: 29, nLayer: 2, nHead: 2, nEmbd: 16),
                    GPTConfig(blockSize: 24, vocabSize: 29, nLayer: 2, nHead: 2, nEmbd: 16, bias: false, rotaryDim: 4, parallelBlock: true)] {
            let model = try GPT(config: cfg, seed: 5)
            // Larger weights so the greedy path is not flat.
            for p in model.parameters { for i in 0..<p.count { p.data[i] *= 20 } }
            let prompts: [[Int32]] = [[1, 2, 3], [7], [4, 5, 6, 7, 8, 9]]
            let gens = try model.generate(prompts: prompts, GenerationConfig(maxNewTokens: 6))
            for (p, g) in zip(prompts, gens) {
                XCTAssertEqual(g.tokens, try naiveGreedy(model, p, 6), "rotary=\(cfg.usesRotary) prompt \(p)")
                XCTAssertEqual(g.finish, .maxTokens)
            }
        }
    }

    func testStopTokensContextAndSampling() throws {
        let model = try GPT(config: GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 1, nEmbd: 8), seed: 1)
        let greedy = try model.generate(prompts: [[1, 2]], GenerationConfig(maxNewTokens: 20))[0]
        XCTAssertEqual(greedy.finish, .contextFull)
        XCTAssertEqual(greedy.tokens.count, 7)   // 2 prompt + 6 fill the 8 positions, the 7th token is emitted from the last
        let stop = greedy.tokens[1]
        let stopped = try model.generate(prompts: [[1, 2]], GenerationConfig(maxNewTokens: 20, stopTokens: [stop]))[0]
        XCTAssertEqual(stopped.finish, .stopToken)
        XCTAssertEqual(stopped.tokens.last, stop)
        let s1 = try model.generate(prompts: [[3]], GenerationConfig(maxNewTokens: 5, temperature: 1.5, topK: 3, seed: 4))
        let s2 = try model.generate(prompts: [[3]], GenerationConfig(maxNewTokens: 5, temperature: 1.5, topK: 3, seed: 4))
        XCTAssertEqual(s1, s2, "seeded sampling is reproducible")
        XCTAssertThrowsError(try model.generate(prompts: [[99]], GenerationConfig(maxNewTokens: 1)))
        XCTAssertThrowsError(try model.generate(prompts: [[]], GenerationConfig(maxNewTokens: 1)))
    }
}

final class BadInputTests: XCTestCase {
    func testInvalidConfigsNameTheProblem() {
        let bad: [(GPTConfig, String)] = [
            (GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 3, nEmbd: 8), "divisible"),
            (GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 0, nHead: 1, nEmbd: 8), "n_layer"),
            (GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 1, nEmbd: 8, rotaryDim: 3), "rotary_dim"),
            (GPTConfig(blockSize: 8, vocabSize: 100_000, nLayer: 1, nHead: 1, nEmbd: 8), "vocab_size"),
        ]
        for (cfg, word) in bad {
            XCTAssertThrowsError(try GPT(config: cfg, seed: 0)) { XCTAssertTrue("\($0)".contains(word), "\($0)") }
        }
    }

    func testMalformedCheckpoints() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bad-ckpt-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try GPT(config: GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 1, nEmbd: 8), seed: 0)
        let good = dir.appendingPathComponent("good.safetensors")
        try model.save(to: good)
        let bytes = try Data(contentsOf: good)
        let url = dir.appendingPathComponent("x.safetensors")
        func expectError(_ data: Data, _ word: String, line: UInt = #line) throws {
            try data.write(to: url)
            XCTAssertThrowsError(try GPT.load(from: url), line: line) { XCTAssertTrue("\($0)".contains(word), "\($0)", line: line) }
        }
        try expectError(bytes.prefix(bytes.count - 10), "truncated")
        try expectError(Data(), "truncated")
        // A missing tensor and a wrong shape: rewrite the file without / with a reshaped tensor.
        let (tensors, meta) = try SafeTensors.read(good)
        func write(_ t: [String: SafeTensors.Entry]) throws -> Data {
            let names = t.keys.sorted()
            let flat = names.flatMap { t[$0]!.values }
            try flat.withUnsafeBufferPointer { buf in
                var off = 0
                var entries: [(String, [Int], UnsafeBufferPointer<Float>)] = []
                for n in names {
                    let c = t[n]!.values.count
                    entries.append((n, t[n]!.shape, UnsafeBufferPointer(rebasing: buf[off..<(off + c)])))
                    off += c
                }
                try SafeTensors.write(entries, metadata: meta, to: url)
            }
            return try Data(contentsOf: url)
        }
        var missing = tensors; missing["transformer.h.0.mlp.c_fc.weight"] = nil
        try expectError(try write(missing), "missing tensor transformer.h.0.mlp.c_fc.weight")
        var reshaped = tensors; reshaped["transformer.ln_f.weight"] = SafeTensors.Entry(shape: [2, 4], values: reshaped["transformer.ln_f.weight"]!.values)
        try expectError(try write(reshaped), "shape")
        var extra = tensors; extra["foo"] = SafeTensors.Entry(shape: [1], values: [0])
        try expectError(try write(extra), "unexpected tensor foo")
    }

    func testOutOfVocabularyIds() throws {
        let model = try GPT(config: GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 1, nEmbd: 8), seed: 0)
        XCTAssertThrowsError(try model.forward([1, 2, 11], batch: 1)) { XCTAssertTrue("\($0)".contains("vocabulary"), "\($0)") }
        XCTAssertThrowsError(try evaluateLoss(model, ids: [1, 2, 3, 40, 1, 2, 3, 4, 5, 6, 7, 8])) { XCTAssertTrue("\($0)".contains("40"), "\($0)") }
        XCTAssertThrowsError(try evaluateLoss(model, ids: [1, 2]))
        XCTAssertThrowsError(try model.forward(Array(repeating: 1, count: 9), batch: 1)) { XCTAssertTrue("\($0)".contains("block_size"), "\($0)") }
    }
}

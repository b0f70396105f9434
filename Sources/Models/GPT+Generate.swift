import Foundation
import Tensor

/// How to sample continuations.
public struct GenerationConfig: Codable, Equatable, Sendable {
    public var maxNewTokens: Int
    /// 0 is greedy decoding (argmax); otherwise logits are divided by it before sampling.
    public var temperature: Float = 0
    /// Sample only among the k most likely tokens (nil: all).
    public var topK: Int? = nil
    /// Generation of a sequence ends after it emits one of these (the stop token is kept in the output).
    public var stopTokens: Set<Int32> = []
    public var seed: UInt64 = 0

    public init(maxNewTokens: Int, temperature: Float = 0, topK: Int? = nil, stopTokens: Set<Int32> = [], seed: UInt64 = 0) {
        self.maxNewTokens = maxNewTokens; self.temperature = temperature; self.topK = topK; self.stopTokens = stopTokens; self.seed = seed
    }
}

/// Why a sequence's generation ended.
public enum FinishReason: String, Codable, Sendable {
    case stopToken, maxTokens, contextFull
}

/// One prompt's continuation.
public struct Generation: Codable, Equatable, Sendable {
    public var tokens: [Int32]
    public var finish: FinishReason
}

extension GPT {
    /// Continues each prompt (batched, with a KV cache: each new token costs one position, not a re-run of
    /// the prefix). Prompts may differ in length; each ends at a stop token, after `maxNewTokens`, or when
    /// its context reaches block_size.
    public func generate(prompts: [[Int32]], _ gen: GenerationConfig) throws -> [Generation] {
        guard !prompts.isEmpty else { return [] }
        if let bad = prompts.firstIndex(where: { $0.isEmpty }) { throw ModelError.input("prompt \(bad) is empty", hint: "give at least one token") }
        for p in prompts {
            if p.count > config.blockSize { throw ModelError.input("a prompt of \(p.count) tokens exceeds block_size \(config.blockSize)", hint: "crop prompts to the context length") }
            if let bad = p.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw ModelError.input("token id \(bad) outside the vocabulary 0..<\(config.vocabSize)", hint: "use the model's tokenizer")
            }
        }
        if gen.maxNewTokens < 0 { throw ModelError.input("maxNewTokens is \(gen.maxNewTokens)", hint: "use 0 or more") }
        if let k = gen.topK, k < 1 { throw ModelError.input("topK is \(k)", hint: "use 1 or more, or nil") }
        return Autograd.withNoGrad { decode(prompts, gen) }
    }

    private func decode(_ prompts: [[Int32]], _ gen: GenerationConfig) -> [Generation] {
        let S = prompts.count, T = config.blockSize, C = config.nEmbd
        let kCache = blocks.map { _ in Tensor.zeros([S, T, C]) }, vCache = blocks.map { _ in Tensor.zeros([S, T, C]) }
        var rng = RNG(seed: gen.seed)
        var out = prompts.map { _ in Generation(tokens: [], finish: .maxTokens) }
        var length = prompts.map(\.count)
        var active = Array(0..<S)
        if gen.maxNewTokens == 0 { return out }
        // Prefill: every prompt position at once; logits of each prompt's last position.
        var rows: [(seq: Int, pos: Int, id: Int32)] = []
        for (s, p) in prompts.enumerated() { for (i, id) in p.enumerated() { rows.append((s, i, id)) } }
        var logits = step(rows, kCache, vCache)
        var lastRow = [Int](repeating: 0, count: S)
        for (r, row) in rows.enumerated() { lastRow[row.seq] = r }
        var pick = active.map { lastRow[$0] }
        while !active.isEmpty {
            var next: [(seq: Int, pos: Int, id: Int32)] = []
            var still: [Int] = []
            for (k, s) in active.enumerated() {
                let id = sample(logits.data + pick[k] * config.vocabSize, gen, &rng)
                out[s].tokens.append(id)
                if gen.stopTokens.contains(id) { out[s].finish = .stopToken; continue }
                if out[s].tokens.count >= gen.maxNewTokens { out[s].finish = .maxTokens; continue }
                if length[s] >= T { out[s].finish = .contextFull; continue }
                next.append((s, length[s], id))
                length[s] += 1
                still.append(s)
            }
            active = still
            if active.isEmpty { break }
            logits = step(next, kCache, vCache)
            pick = Array(0..<next.count)
        }
        return out
    }

    /// One forward pass over rows at given positions, writing their keys and values into the caches.
    /// Returns logits [rows, V].
    private func step(_ rows: [(seq: Int, pos: Int, id: Int32)], _ kCache: [Tensor], _ vCache: [Tensor]) -> Tensor {
        let C = config.nEmbd, T = config.blockSize
        let seqs = rows.map(\.seq), positions = rows.map(\.pos)
        var x = embedding(wte, ids: rows.map(\.id))                        // [R, C]
        if let wpe { x = x + embedding(wpe, ids: positions.map { Int32($0) }) }
        for (l, block) in blocks.enumerated() {
            let h = block.ln1(x)
            let qkv = block.cAttn(h)                                       // [R, 3C]
            if let r = config.rotaryDim, r > 0 {
                rotaryInPlace(qkv, positions: positions, heads: config.nHead, rotaryDim: r, base: config.rotaryBase ?? 10000)
            }
            for (i, row) in rows.enumerated() {
                let dst = (row.seq * T + row.pos) * C
                (kCache[l].data + dst).update(from: qkv.data + i * 3 * C + C, count: C)
                (vCache[l].data + dst).update(from: qkv.data + i * 3 * C + 2 * C, count: C)
            }
            let a = block.attnProj(cachedAttention(qkv, kCache: kCache[l], vCache: vCache[l], seqs: seqs, positions: positions, heads: config.nHead))
            if config.isParallel {
                x = x + a + mlp(block, h)
            } else {
                x = x + a
                x = x + mlp(block, block.ln2!(x))
            }
        }
        return linear(lnF(x), wte)                                          // [R, V]
    }

    private func sample(_ logits: UnsafeMutablePointer<Float>, _ gen: GenerationConfig, _ rng: inout RNG) -> Int32 {
        let V = config.vocabSize
        if gen.temperature <= 0 {
            var best = 0
            for i in 1..<V where logits[i] > logits[best] { best = i }
            return Int32(best)
        }
        var scaled = (0..<V).map { logits[$0] / gen.temperature }
        if let k = gen.topK, k < V {
            let threshold = scaled.sorted(by: >)[k - 1]
            for i in 0..<V where scaled[i] < threshold { scaled[i] = -.infinity }
        }
        let m = scaled.max()!
        var probs = scaled.map { Foundation.exp($0 - m) }
        let z = probs.reduce(0, +)
        for i in 0..<V { probs[i] /= z }
        let u = rng.uniform()
        var acc: Float = 0
        for i in 0..<V { acc += probs[i]; if u < acc { return Int32(i) } }
        return Int32(probs.lastIndex(where: { $0 > 0 }) ?? V - 1)
    }
}

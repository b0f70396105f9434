import Foundation
import Tensor

// A decoder-only transformer with nanoGPT's `GPT` layout and math (model.py), read from the leaves up:
// LayerNorm, attention, MLP, block, model. phi-1's options (rotary positions, parallel attention and
// MLP) are switches in `GPTConfig`.

/// LayerNorm with an optional bias (nanoGPT's LayerNorm; PyTorch's nn.LayerNorm has no bias=False before 2.1).
public struct LayerNormParams {
    public let weight: Tensor          // [C]
    public let bias: Tensor?           // [C]
    public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, weight: weight, bias: bias, eps: 1e-5) }
}

/// nn.Linear: weight [out, in], optional bias [out].
public struct LinearParams {
    public let weight: Tensor
    public let bias: Tensor?
    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight, bias) }
}

/// One transformer block's parameters.
public struct BlockParams {
    public let ln1: LayerNormParams
    public let cAttn: LinearParams      // [3C, C]: q | k | v
    public let attnProj: LinearParams   // [C, C]
    public let ln2: LayerNormParams?    // absent in a parallel block
    public let cFc: LinearParams        // [4C, C]
    public let mlpProj: LinearParams    // [C, 4C]
}

/// The model: parameters named as nanoGPT's state_dict, and the forward pass.
public final class GPT {
    public let config: GPTConfig
    public let wte: Tensor              // [V, C], tied to lm_head
    public let wpe: Tensor?             // [block_size, C]; nil with rotary positions
    public let blocks: [BlockParams]
    public let lnF: LayerNormParams
    /// Every parameter with its nanoGPT name, in state_dict order (lm_head.weight is wte and not listed).
    public let namedParameters: [(name: String, tensor: Tensor)]

    /// A freshly initialised model, as nanoGPT's `_init_weights`: N(0, 0.02) for Linear and Embedding
    /// weights, N(0, 0.02/sqrt(2 n_layer)) for the residual projections (GPT-2 paper), zero biases,
    /// unit LayerNorm weights.
    public convenience init(config: GPTConfig, seed: UInt64) throws {
        try config.validate()
        var rng = RNG(seed: seed)
        let projStd = 0.02 / Float(2 * config.nLayer).squareRoot()
        var values: [String: Tensor] = [:]
        for (name, shape) in GPT.parameterShapes(config) {
            let t: Tensor
            if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name.hasSuffix("ln_f.weight") {
                t = Tensor.full(1, shape)
            } else if name.hasSuffix(".bias") {
                t = Tensor.zeros(shape)
            } else {
                t = Tensor.normal(shape, std: name.hasSuffix("c_proj.weight") ? projStd : 0.02, rng: &rng)
            }
            values[name] = t
        }
        try self.init(config: config, parameters: values)
    }

    /// A model over given parameters (e.g. loaded from a checkpoint); shapes are checked against the config.
    public init(config: GPTConfig, parameters: [String: Tensor]) throws {
        try config.validate()
        self.config = config
        var named: [(String, Tensor)] = []
        for (name, shape) in GPT.parameterShapes(config) {
            guard let t = parameters[name] else {
                throw ModelError.checkpoint("missing tensor \(name)", hint: "the checkpoint does not match its config (n_layer \(config.nLayer), bias \(config.bias), rotary \(config.usesRotary), parallel \(config.isParallel))")
            }
            guard t.shape == shape else {
                throw ModelError.checkpoint("tensor \(name) has shape \(t.shape), expected \(shape)", hint: "the checkpoint does not match its config")
            }
            t.name = name
            t.requiresGrad = true
            named.append((name, t))
        }
        let p = Dictionary(uniqueKeysWithValues: named)
        namedParameters = named
        wte = p["transformer.wte.weight"]!
        wpe = p["transformer.wpe.weight"]
        func ln(_ prefix: String) -> LayerNormParams { LayerNormParams(weight: p[prefix + ".weight"]!, bias: p[prefix + ".bias"]) }
        func lin(_ prefix: String) -> LinearParams { LinearParams(weight: p[prefix + ".weight"]!, bias: p[prefix + ".bias"]) }
        blocks = (0..<config.nLayer).map { i in
            let h = "transformer.h.\(i)."
            return BlockParams(ln1: ln(h + "ln_1"), cAttn: lin(h + "attn.c_attn"), attnProj: lin(h + "attn.c_proj"),
                               ln2: config.isParallel ? nil : ln(h + "ln_2"), cFc: lin(h + "mlp.c_fc"), mlpProj: lin(h + "mlp.c_proj"))
        }
        lnF = ln("transformer.ln_f")
    }

    /// nanoGPT's parameter names and shapes for a config, in state_dict order.
    public static func parameterShapes(_ c: GPTConfig) -> [(String, [Int])] {
        let C = c.nEmbd
        var out: [(String, [Int])] = [("transformer.wte.weight", [c.vocabSize, C])]
        if !c.usesRotary { out.append(("transformer.wpe.weight", [c.blockSize, C])) }
        func ln(_ p: String) { out.append((p + ".weight", [C])); if c.bias { out.append((p + ".bias", [C])) } }
        func lin(_ p: String, _ o: Int, _ i: Int) { out.append((p + ".weight", [o, i])); if c.bias { out.append((p + ".bias", [o])) } }
        for i in 0..<c.nLayer {
            let h = "transformer.h.\(i)."
            ln(h + "ln_1")
            lin(h + "attn.c_attn", 3 * C, C)
            lin(h + "attn.c_proj", C, C)
            if !c.isParallel { ln(h + "ln_2") }
            lin(h + "mlp.c_fc", 4 * C, C)
            lin(h + "mlp.c_proj", C, 4 * C)
        }
        ln("transformer.ln_f")
        return out
    }

    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// Number of parameters (the tied lm_head counted once); `nonEmbedding` leaves out the position
    /// embedding, as nanoGPT's `get_num_params` (the count used for FLOPs).
    public func parameterCount(nonEmbedding: Bool = false) -> Int {
        namedParameters.reduce(0) { $0 + (nonEmbedding && $1.name == "transformer.wpe.weight" ? 0 : $1.tensor.count) }
    }

    /// Training FLOPs per token (PaLM appendix B, nanoGPT's estimate_mfu): 6N + 12 L C T.
    public func trainFlopsPerToken(contextLength T: Int) -> Double {
        6 * Double(parameterCount(nonEmbedding: true)) + 12 * Double(config.nLayer * config.nEmbd * T)
    }

    /// Forward-only FLOPs per token: 2N + 4 L C T.
    public func inferenceFlopsPerToken(contextLength T: Int) -> Double {
        2 * Double(parameterCount(nonEmbedding: true)) + 4 * Double(config.nLayer * config.nEmbd * T)
    }

    // MARK: Forward

    /// Causal self-attention sublayer: c_attn -> (rotary) -> fused attention -> c_proj.
    func attention(_ block: BlockParams, _ h: Tensor) -> Tensor {
        var qkv = block.cAttn(h)                                          // [B, T, 3C]
        if let r = config.rotaryDim, r > 0 {
            qkv = rotary(qkv, heads: config.nHead, rotaryDim: r, base: config.rotaryBase ?? 10000)
        }
        let y = causalSelfAttention(qkv, heads: config.nHead)             // [B, T, C]
        return block.attnProj(y)                                          // [B, T, C]
    }

    /// MLP sublayer: c_fc -> GELU -> c_proj.
    func mlp(_ block: BlockParams, _ h: Tensor) -> Tensor {
        block.mlpProj(gelu(block.cFc(h)))                                 // [B, T, 4C] -> [B, T, C]
    }

    /// Logits for token ids [B, T] (row-major, B*T ids), and the mean cross-entropy when targets are
    /// given (targets equal to `ignoreIndex` carry no loss). Dropout applies when `rng` is given and
    /// config.dropout > 0. Ids must lie in 0..<vocab_size and T <= block_size (checked: throws).
    public func forward(_ ids: [Int32], batch B: Int, targets: [Int32]? = nil, ignoreIndex: Int32 = -1,
                        rng: UnsafeMutablePointer<RNG>? = nil) throws -> (logits: Tensor, loss: Tensor?) {
        guard B > 0, ids.count % B == 0, !ids.isEmpty else {
            throw ModelError.input("\(ids.count) token ids do not split into \(B) sequences", hint: "pass batch * length ids")
        }
        let T = ids.count / B
        guard T <= config.blockSize else {
            throw ModelError.input("sequence length \(T) exceeds block_size \(config.blockSize)", hint: "crop the context to the last \(config.blockSize) tokens")
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw ModelError.input("token id \(bad) outside the vocabulary 0..<\(config.vocabSize)", hint: "the tokens were made with another tokenizer")
        }
        if let targets {
            guard targets.count == ids.count else { throw ModelError.input("\(targets.count) targets for \(ids.count) ids", hint: "one target per position") }
            if let bad = targets.first(where: { $0 != ignoreIndex && ($0 < 0 || Int($0) >= config.vocabSize) }) {
                throw ModelError.input("target id \(bad) outside the vocabulary 0..<\(config.vocabSize)", hint: "use \(ignoreIndex) for positions without loss")
            }
        }
        let C = config.nEmbd
        func drop(_ x: Tensor) -> Tensor {
            guard let rng, config.dropout > 0 else { return x }
            return dropout(x, p: config.dropout, rng: &rng.pointee)
        }
        var x = embedding(wte, ids: ids, batchShape: [B, T])                  // [B, T, C]
        if let wpe {
            x = x + embedding(wpe, ids: (0..<Int32(T)).map { $0 })              // + [T, C]
        }
        x = drop(x)
        for block in blocks {
            let h = block.ln1(x)                                               // [B, T, C]
            if config.isParallel {
                x = x + drop(attention(block, h)) + drop(mlp(block, h))
            } else {
                x = x + drop(attention(block, h))
                x = x + drop(mlp(block, block.ln2!(x)))
            }
        }
        x = lnF(x)                                                             // [B, T, C]
        let logits = linear(x, wte)                                            // [B, T, V]  (tied lm_head)
        let loss = targets.map { crossEntropy(logits, targets: $0, ignoreIndex: ignoreIndex) }
        return (logits, loss)
    }
}

import Foundation

/// A model configuration, with nanoGPT's `GPTConfig` field names in JSON (`block_size`, `vocab_size`,
/// `n_layer`, `n_head`, `n_embd`, `dropout`, `bias`) plus this project's options, each absent meaning
/// nanoGPT's behaviour:
/// - `rotary_dim`: rotary position embeddings on the first `rotary_dim` dimensions of each head
///   instead of learned positions (phi-1 uses 32 of 64);
/// - `rotary_base`: the RoPE base (10,000);
/// - `parallel_block`: attention and MLP read one LayerNorm and add in parallel (phi-1, GPT-J).
public struct GPTConfig: Codable, Equatable, Hashable, Sendable {
    public var blockSize: Int
    public var vocabSize: Int
    public var nLayer: Int
    public var nHead: Int
    public var nEmbd: Int
    /// Dropout on embeddings and residual branches during training (nanoGPT's `dropout`; attention
    /// probabilities are not dropped, since attention is fused).
    public var dropout: Float
    /// Biases in Linear and LayerNorm layers (nanoGPT's default True, GPT-2's layout).
    public var bias: Bool
    public var rotaryDim: Int?
    public var rotaryBase: Float?
    public var parallelBlock: Bool?

    enum CodingKeys: String, CodingKey {
        case blockSize = "block_size", vocabSize = "vocab_size", nLayer = "n_layer", nHead = "n_head"
        case nEmbd = "n_embd", dropout, bias, rotaryDim = "rotary_dim", rotaryBase = "rotary_base"
        case parallelBlock = "parallel_block"
    }

    public init(blockSize: Int, vocabSize: Int, nLayer: Int, nHead: Int, nEmbd: Int, dropout: Float = 0,
                bias: Bool = true, rotaryDim: Int? = nil, rotaryBase: Float? = nil, parallelBlock: Bool? = nil) {
        self.blockSize = blockSize; self.vocabSize = vocabSize; self.nLayer = nLayer; self.nHead = nHead
        self.nEmbd = nEmbd; self.dropout = dropout; self.bias = bias; self.rotaryDim = rotaryDim
        self.rotaryBase = rotaryBase; self.parallelBlock = parallelBlock
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        blockSize = try c.decode(Int.self, forKey: .blockSize)
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        nLayer = try c.decode(Int.self, forKey: .nLayer)
        nHead = try c.decode(Int.self, forKey: .nHead)
        nEmbd = try c.decode(Int.self, forKey: .nEmbd)
        // nanoGPT's defaults for the two fields its GPTConfig defaults.
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0
        bias = try c.decodeIfPresent(Bool.self, forKey: .bias) ?? true
        rotaryDim = try c.decodeIfPresent(Int.self, forKey: .rotaryDim)
        rotaryBase = try c.decodeIfPresent(Float.self, forKey: .rotaryBase)
        parallelBlock = try c.decodeIfPresent(Bool.self, forKey: .parallelBlock)
    }

    public var headDim: Int { nEmbd / max(nHead, 1) }
    public var usesRotary: Bool { (rotaryDim ?? 0) > 0 }
    public var isParallel: Bool { parallelBlock ?? false }

    /// Checks every constraint the model relies on; throws a `ModelError.invalidConfig` that names it.
    public func validate() throws {
        func fail(_ what: String, _ hint: String) throws { throw ModelError.invalidConfig(what, hint: hint) }
        if nLayer < 1 { try fail("n_layer is \(nLayer)", "a model needs at least one layer") }
        if nHead < 1 { try fail("n_head is \(nHead)", "use at least one head") }
        if nEmbd < 1 { try fail("n_embd is \(nEmbd)", "use a positive width") }
        if nEmbd % nHead != 0 {
            let near = (1...nHead).reversed().first { nEmbd % $0 == 0 } ?? 1
            try fail("n_embd \(nEmbd) is not divisible by n_head \(nHead)", "choose n_head dividing n_embd, e.g. \(near)")
        }
        if vocabSize < 2 { try fail("vocab_size is \(vocabSize)", "a vocabulary needs at least two tokens") }
        if vocabSize > 65_536 { try fail("vocab_size \(vocabSize) exceeds 65,536", "token files hold uint16 ids") }
        if blockSize < 1 { try fail("block_size is \(blockSize)", "use a positive context length") }
        if !(dropout >= 0 && dropout < 1) { try fail("dropout is \(dropout)", "dropout must lie in [0, 1)") }
        if let r = rotaryDim, r != 0 {
            if r < 0 || r % 2 != 0 || r > headDim { try fail("rotary_dim \(r) with head size \(headDim)", "rotary_dim must be even and at most n_embd / n_head") }
        }
        if let b = rotaryBase, !(b > 1) { try fail("rotary_base is \(b)", "use a base above 1 (10000 is usual)") }
    }

    /// JSON with nanoGPT's key names (what a checkpoint stores).
    public func json() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self)
    }
}

extension GPTConfig {
    // The four configurations of the PyTorch reference benchmark (../shared/bench/torch_gpt.py), each
    // sized to span 0.1M-12M parameters, the range this project's experiments train.
    /// A: 0.14M parameters; the smallest experiment models.
    public static let benchA = GPTConfig(blockSize: 128, vocabSize: 512, nLayer: 2, nHead: 2, nEmbd: 64)
    /// B: 0.87M parameters.
    public static let benchB = GPTConfig(blockSize: 128, vocabSize: 512, nLayer: 4, nHead: 4, nEmbd: 128)
    /// C: 4.9M parameters.
    public static let benchC = GPTConfig(blockSize: 256, vocabSize: 512, nLayer: 6, nHead: 8, nEmbd: 256)
    /// D: 12.3M parameters with a 4,096-token BPE vocabulary.
    public static let benchD = GPTConfig(blockSize: 256, vocabSize: 4096, nLayer: 6, nHead: 6, nEmbd: 384)
}

/// Errors of the Models layer, each with what went wrong and how to fix it.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String, hint: String)
    case checkpoint(String, hint: String)
    case input(String, hint: String)

    public var description: String {
        switch self {
        case .invalidConfig(let what, let hint): return "invalid model config: \(what) (\(hint))"
        case .checkpoint(let what, let hint): return "bad checkpoint: \(what) (\(hint))"
        case .input(let what, let hint): return "bad input: \(what) (\(hint))"
        }
    }
}

import Foundation
import Tensor
import CKernels

/// An optimizer updates parameters from their gradients. Its state is a set of named fp32 buffers plus
/// a step count, so that a checkpoint saves and restores it exactly.
public protocol Optimizer: AnyObject {
    /// One update of every parameter that has a gradient, at learning rate `lr`, with gradients
    /// multiplied by `gradScale` first (the clipping coefficient).
    func step(lr: Float, gradScale: Float)
    /// Completed steps.
    var stepCount: Int { get }
    /// State buffers by name, for checkpoints.
    func stateTensors() -> [(String, Tensor)]
    /// Restores state saved by `stateTensors` at step `step`; throws if a buffer is missing or misshapen.
    func loadState(_ tensors: [String: Tensor], step: Int) throws
}

/// Errors from the Training layer: what went wrong and a hint.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
    case nonFiniteLoss(step: Int, value: Float)
    case checkpoint(String, hint: String)
    case config(String, hint: String)
    case data(String, hint: String)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let step, let value):
            return "training stopped: the loss is \(value) at step \(step) (lower the learning rate, raise warmup, or clip gradients; the last checkpoint is intact)"
        case .checkpoint(let what, let hint): return "bad training checkpoint: \(what) (\(hint))"
        case .config(let what, let hint): return "invalid training config: \(what) (\(hint))"
        case .data(let what, let hint): return "bad training data: \(what) (\(hint))"
        }
    }
}

/// Global gradient norm (the 2-norm of all gradients together, as torch.nn.utils.clip_grad_norm_) and the
/// coefficient that scales it to at most `maxNorm`: min(1, maxNorm / (norm + 1e-6)). maxNorm <= 0: no clip.
public func clipCoefficient(_ params: [Tensor], maxNorm: Float) -> (norm: Float, scale: Float) {
    var total = 0.0
    for p in params { if let g = p.gradStorage { total += k_sumsq(g.pointer, g.count) } }
    let norm = Float(total.squareRoot())
    guard maxNorm > 0 else { return (norm, 1) }
    return (norm, min(1, maxNorm / (norm + 1e-6)))
}

/// AdamW (Loshchilov & Hutter) as torch.optim.AdamW, with nanoGPT's grouping: weight decay on parameters
/// of rank >= 2 (matmul weights and embeddings) only, none on biases and LayerNorm weights.
public final class AdamW: Optimizer {
    public struct Config: Codable, Equatable, Sendable {
        public var beta1: Float = 0.9
        /// 0.95 rather than PyTorch's 0.999: nanoGPT's and GPT-3's choice for stable small-batch training.
        public var beta2: Float = 0.95
        public var eps: Float = 1e-8
        public var weightDecay: Float = 0.1
        public init(beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8, weightDecay: Float = 0.1) {
            self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        }
    }

    public let config: Config
    public let params: [Tensor]
    let m: [Storage], v: [Storage]
    public private(set) var stepCount = 0

    public init(_ params: [Tensor], config: Config = Config()) {
        self.params = params
        self.config = config
        m = params.map { Storage(zeros: $0.count) }
        v = params.map { Storage(zeros: $0.count) }
    }

    public func step(lr: Float, gradScale: Float = 1) {
        stepCount += 1
        let t = Float(stepCount)
        let bc1 = 1 - powf(config.beta1, t), bc2 = 1 - powf(config.beta2, t)
        let c = config
        let jobs = params.indices.filter { params[$0].gradStorage != nil }
        Parallel.forEach(jobs.count) { j in
            let i = jobs[j], p = params[i]
            let wd = p.rank >= 2 ? c.weightDecay : 0
            k_adamw(p.data, p.gradStorage!.pointer, m[i].pointer, v[i].pointer, p.count, lr, c.beta1, c.beta2, c.eps, wd,
                    bc1, bc2.squareRoot(), gradScale)
        }
    }

    public func stateTensors() -> [(String, Tensor)] {
        params.indices.flatMap { i -> [(String, Tensor)] in
            let n = params[i].name ?? "p\(i)"
            return [("adamw.m.\(n)", Tensor(shape: params[i].shape, storage: m[i])), ("adamw.v.\(n)", Tensor(shape: params[i].shape, storage: v[i]))]
        }
    }

    public func loadState(_ tensors: [String: Tensor], step: Int) throws {
        for i in params.indices {
            let n = params[i].name ?? "p\(i)"
            for (key, buf) in [("adamw.m.\(n)", m[i]), ("adamw.v.\(n)", v[i])] {
                guard let t = tensors[key], t.count == buf.count else {
                    throw TrainingError.checkpoint("optimizer state \(key) missing or misshapen", hint: "the checkpoint belongs to another model or optimizer")
                }
                buf.pointer.update(from: t.data, count: t.count)
            }
        }
        stepCount = step
    }
}

/// Adafactor (Shazeer & Stern 2018), as torch.optim.Adafactor, the optimizer Flan finetuned with:
/// no first moment; the second moment of a matrix kept as row and column averages (O(n + m) memory);
/// relative step size rho_t = min(lr, 1/sqrt(t)) scaled by max(eps2, RMS(param)); update clipped to RMS d;
/// beta2_t = 1 - t^beta2Decay.
public final class Adafactor: Optimizer {
    public struct Config: Codable, Equatable, Sendable {
        public var beta2Decay: Float = -0.8
        /// Floor of the second-moment estimate; nil is the dtype's epsilon (PyTorch's default).
        public var eps1: Float? = nil
        public var eps2: Float = 1e-3
        public var clipThreshold: Float = 1.0
        public var weightDecay: Float = 0
        public init(beta2Decay: Float = -0.8, eps1: Float? = nil, eps2: Float = 1e-3, clipThreshold: Float = 1, weightDecay: Float = 0) {
            self.beta2Decay = beta2Decay; self.eps1 = eps1; self.eps2 = eps2; self.clipThreshold = clipThreshold; self.weightDecay = weightDecay
        }
    }

    public let config: Config
    public let params: [Tensor]
    let row: [Storage?], col: [Storage?], variance: [Storage?]
    public private(set) var stepCount = 0

    public init(_ params: [Tensor], config: Config = Config()) {
        self.params = params
        self.config = config
        // Factored along the last two dimensions, as PyTorch: rows = count / lastDim, cols = lastDim.
        row = params.map { $0.rank >= 2 ? Storage(zeros: $0.count / $0.lastDim) : nil }
        col = params.map { $0.rank >= 2 ? Storage(zeros: $0.lastDim) : nil }
        variance = params.map { $0.rank >= 2 ? nil : Storage(zeros: $0.count) }
    }

    public func step(lr: Float, gradScale: Float = 1) {
        stepCount += 1
        let t = Float(stepCount)
        let oneMinusBeta2 = powf(t, config.beta2Decay)
        let rho = min(lr, 1 / t.squareRoot())
        let eps1 = config.eps1 ?? Float.ulpOfOne
        for (i, p) in params.enumerated() {
            guard let gs = p.gradStorage else { continue }
            let n = p.count
            let g = (0..<n).map { gs.pointer[$0] * gradScale }
            var sq = 0.0
            for j in 0..<n { sq += Double(p.data[j]) * Double(p.data[j]) }
            let alpha = max(config.eps2, Float(sq.squareRoot()) / Float(n).squareRoot()) * rho
            if config.weightDecay != 0 {
                let d = 1 - lr * config.weightDecay
                for j in 0..<n { p.data[j] *= d }
            }
            var update = [Float](repeating: 0, count: n)
            if let r = row[i], let c = col[i] {
                let cols = p.lastDim, rows = n / cols
                for a in 0..<rows {
                    var s: Float = 0
                    for b in 0..<cols { s += g[a * cols + b] * g[a * cols + b] }
                    r.pointer[a] += oneMinusBeta2 * (s / Float(cols) - r.pointer[a])
                }
                for b in 0..<cols {
                    var s: Float = 0
                    for a in 0..<rows { s += g[a * cols + b] * g[a * cols + b] }
                    c.pointer[b] += oneMinusBeta2 * (s / Float(rows) - c.pointer[b])
                }
                var rowMean: Float = 0
                for a in 0..<rows { rowMean += r.pointer[a] }
                rowMean = max(rowMean / Float(rows), eps1)
                for a in 0..<rows { for b in 0..<cols {
                    let v = max(r.pointer[a] * c.pointer[b] / rowMean, eps1 * eps1)
                    update[a * cols + b] = g[a * cols + b] / v.squareRoot()
                } }
            } else if let v = variance[i] {
                for j in 0..<n {
                    v.pointer[j] += oneMinusBeta2 * (g[j] * g[j] - v.pointer[j])
                    update[j] = g[j] / max(v.pointer[j], eps1 * eps1).squareRoot()
                }
            }
            var us = 0.0
            for j in 0..<n { us += Double(update[j]) * Double(update[j]) }
            let denom = max(1, Float(us.squareRoot()) / (Float(n).squareRoot() * config.clipThreshold))
            let stepSize = alpha / denom
            for j in 0..<n { p.data[j] -= stepSize * update[j] }
        }
    }

    public func stateTensors() -> [(String, Tensor)] {
        params.indices.flatMap { i -> [(String, Tensor)] in
            let n = params[i].name ?? "p\(i)"
            var out: [(String, Tensor)] = []
            if let r = row[i] { out.append(("adafactor.row.\(n)", Tensor(shape: [r.count], storage: r))) }
            if let c = col[i] { out.append(("adafactor.col.\(n)", Tensor(shape: [c.count], storage: c))) }
            if let v = variance[i] { out.append(("adafactor.var.\(n)", Tensor(shape: [v.count], storage: v))) }
            return out
        }
    }

    public func loadState(_ tensors: [String: Tensor], step: Int) throws {
        let mine = stateTensors()
        for (key, t) in mine {
            guard let src = tensors[key], src.count == t.count else {
                throw TrainingError.checkpoint("optimizer state \(key) missing or misshapen", hint: "the checkpoint belongs to another model or optimizer")
            }
            t.data.update(from: src.data, count: t.count)
        }
        stepCount = step
    }
}

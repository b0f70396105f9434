import Foundation

/// Learning-rate schedules, as a closed set. Steps count from 0.
public enum LRSchedule: Codable, Equatable, Sendable {
    /// The same rate every step.
    case constant(lr: Float)
    /// Linear warmup from lr/(warmup+1) to lr over `warmup` steps, then linear decay to `minLR` at `total`
    /// (phi-1's schedule).
    case warmupLinear(lr: Float, warmup: Int, total: Int, minLR: Float)
    /// Linear warmup, then cosine decay to `minLR` at `total` (nanoGPT's `get_lr`).
    case warmupCosine(lr: Float, warmup: Int, total: Int, minLR: Float)

    /// The rate at step `step`.
    public func lr(at step: Int) -> Float {
        switch self {
        case .constant(let lr): return lr
        case .warmupLinear(let lr, let warmup, let total, let minLR):
            if step < warmup { return lr * Float(step + 1) / Float(warmup + 1) }
            if step >= total { return minLR }
            let ratio = Float(step - warmup) / Float(max(total - warmup, 1))
            return lr + (minLR - lr) * ratio
        case .warmupCosine(let lr, let warmup, let total, let minLR):
            if step < warmup { return lr * Float(step + 1) / Float(warmup + 1) }
            if step >= total { return minLR }
            let ratio = Double(step - warmup) / Double(max(total - warmup, 1))
            return minLR + Float(0.5 * (1 + cos(Double.pi * ratio))) * (lr - minLR)
        }
    }
}

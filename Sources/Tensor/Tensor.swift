import Foundation

/// An fp32 tensor: a shape over a contiguous row-major `Storage`, plus what reverse-mode autodiff needs
/// (the gradient, and for a result of an op, its inputs and gradient rule).
///
/// Ops are functions on tensors (`linear(x, w, b)`, `gelu(x)`, ...). When gradients are enabled and an
/// input requires them, the op records a node; `backward()` on a scalar walks the recorded graph in
/// reverse topological order and then releases it.
public final class Tensor: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let storage: Storage
    /// Whether gradients flow to this tensor (parameters, and results of ops on them).
    public var requiresGrad: Bool
    /// Gradient buffer, same count as `storage`; nil until the first backward contribution.
    public internal(set) var gradStorage: Storage?
    /// A label for error messages and checkpoints.
    public var name: String?

    // Autodiff node: inputs and the rule that moves this tensor's gradient into theirs.
    var parents: [Tensor] = []
    var backwardRule: ((Tensor) -> Void)?

    public init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        let n = shape.reduce(1, *)
        guard n == storage.count else {
            fatalError("Tensor: shape \(shape) holds \(n) values but the storage has \(storage.count)")
        }
        self.shape = shape
        self.count = n
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor from values; `values.count` must equal the product of `shape`.
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(values), requiresGrad: requiresGrad)
    }

    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, storage: Storage(zeros: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    public static func empty(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(uninitialized: shape.reduce(1, *)))
    }

    public static func full(_ value: Float, _ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        let t = empty(shape)
        t.storage.pointer.update(repeating: value, count: t.count)
        t.requiresGrad = requiresGrad
        return t
    }

    /// Samples N(mean, std^2) from `rng`.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float, rng: inout RNG, requiresGrad: Bool = false) -> Tensor {
        let t = empty(shape)
        for i in 0..<t.count { t.storage.pointer[i] = mean + std * rng.normal() }
        t.requiresGrad = requiresGrad
        return t
    }

    @inline(__always) public var data: UnsafeMutablePointer<Float> { storage.pointer }
    public var array: [Float] { storage.array }
    public var rank: Int { shape.count }
    /// The single value of a one-element tensor.
    public var item: Float { data[0] }
    /// The last dimension (the "feature" dimension of a [..., C] activation).
    public var lastDim: Int { shape.last ?? 1 }
    /// The number of rows of size `lastDim`.
    public var rows: Int { lastDim == 0 ? 0 : count / lastDim }

    /// The gradient as a tensor that shares the gradient buffer (nil if none has arrived).
    public var grad: Tensor? {
        guard let g = gradStorage else { return nil }
        return Tensor(shape: shape, storage: g)
    }

    /// Sets (or clears) the gradient buffer.
    public func setGrad(_ g: Storage?) {
        if let g { precondition(g.count == count, "gradient count \(g.count) != tensor count \(count)") }
        gradStorage = g
    }

    /// Drops the gradient (the next backward writes a fresh one).
    public func zeroGrad() { gradStorage = nil }

    /// A copy that is a leaf (no graph), with the same values.
    public func detached() -> Tensor {
        let s = Storage(uninitialized: count)
        s.pointer.update(from: data, count: count)
        return Tensor(shape: shape, storage: s)
    }

    /// Copies values from `other` (same count) without touching the graph.
    public func copyValues(from other: Tensor) {
        precondition(other.count == count, "copyValues: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = array.prefix(8).map { String(format: "%.5g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape)\(name.map { " " + $0 } ?? ""): [\(head)\(count > 8 ? ", ..." : "")])"
    }
}

/// Stops with a message naming the failed shape contract. Ops check their shapes with this (a
/// programming error, like a wrong shape passed between layers); user input (configs, checkpoints,
/// token files) is validated at the edge and reported as thrown errors.
@inline(__always)
func shapeCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("shape error: " + message()) }
}

import Foundation

/// Reverse-mode autodiff: gradient mode, node recording, and the backward walk.
public enum Autograd {
    nonisolated(unsafe) static var enabled = true

    /// Whether ops record nodes right now.
    public static var isEnabled: Bool { enabled }

    /// Runs `body` with recording off (inference, evaluation, optimizer updates).
    public static func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
        let saved = enabled
        enabled = false
        defer { enabled = saved }
        return try body()
    }
}

extension Tensor {
    /// Records `out` as the result of an op on `inputs` with gradient rule `rule` (which reads
    /// `out.gradStorage` and adds into the inputs' gradients). Does nothing when no input needs a gradient.
    @inline(__always)
    static func record(_ out: Tensor, _ inputs: [Tensor], _ rule: @escaping (Tensor) -> Void) {
        guard Autograd.enabled, inputs.contains(where: { $0.requiresGrad }) else { return }
        out.requiresGrad = true
        out.parents = inputs
        out.backwardRule = rule
    }

    /// The gradient buffer to write this tensor's gradient into: `acc` false means it is fresh and
    /// must be fully overwritten, true means add into it. Nil when the tensor needs no gradient.
    @inline(__always)
    func gradTarget() -> (pointer: UnsafeMutablePointer<Float>, acc: Bool)? {
        guard requiresGrad else { return nil }
        if let g = gradStorage { return (g.pointer, true) }
        let g = Storage(uninitialized: count)
        gradStorage = g
        return (g.pointer, false)
    }

    /// Like `gradTarget`, but a fresh buffer is zeroed (for rules that scatter or write in part).
    @inline(__always)
    func gradTargetZeroed() -> UnsafeMutablePointer<Float>? {
        guard requiresGrad else { return nil }
        if let g = gradStorage { return g.pointer }
        let g = Storage(zeros: count)
        gradStorage = g
        return g.pointer
    }

    /// Back-propagates from this scalar (seed gradient 1, or `seed` times `count` ones), then releases
    /// the graph: intermediate gradients and saved activations are freed; leaves keep their gradients,
    /// added to what they held (gradient accumulation).
    public func backward(seed: Float = 1) {
        shapeCheck(requiresGrad, "backward() on a tensor that does not require a gradient")
        // Topological order by an iterative depth-first search.
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            if !visited.insert(ObjectIdentifier(t)).inserted { continue }
            stack.append((t, true))
            for p in t.parents where p.requiresGrad && !visited.contains(ObjectIdentifier(p)) {
                stack.append((p, false))
            }
        }
        let g = Storage(uninitialized: count)
        g.pointer.update(repeating: seed, count: count)
        if let existing = gradStorage {
            for i in 0..<count { g.pointer[i] += existing.pointer[i] }
        }
        gradStorage = g
        for t in order.reversed() {
            if let rule = t.backwardRule, t.gradStorage != nil { rule(t) }
        }
        for t in order where t.backwardRule != nil {
            t.backwardRule = nil
            t.parents = []
            t.gradStorage = nil
        }
    }
}

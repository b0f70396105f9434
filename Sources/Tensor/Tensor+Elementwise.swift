import Foundation
import CKernels

// MARK: Broadcasting

/// NumPy broadcasting of two shapes (aligned at the right; a dimension of 1 stretches). Nil if incompatible.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let n = max(a.count, b.count)
    var out = [Int](repeating: 1, count: n)
    for i in 0..<n {
        let da = i < n - a.count ? 1 : a[i - (n - a.count)]
        let db = i < n - b.count ? 1 : b[i - (n - b.count)]
        if da != db && da != 1 && db != 1 { return nil }
        out[i] = max(da, db)
    }
    return out
}

/// Strides of `shape` read as a broadcast operand of `outShape` (0 along stretched dimensions).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let n = outShape.count
    var strides = [Int](repeating: 0, count: n)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let o = i + (n - shape.count)
        strides[o] = shape[i] == 1 ? 0 : s
        s *= shape[i]
    }
    return strides
}

/// Calls body(outIndex, aIndex, bIndex) for every element of the broadcast result, in order.
func forEachBroadcast(_ outShape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
    let n = outShape.count
    let total = outShape.reduce(1, *)
    var idx = [Int](repeating: 0, count: n)
    var ia = 0, ib = 0
    for o in 0..<total {
        body(o, ia, ib)
        var d = n - 1
        while d >= 0 {
            idx[d] += 1; ia += sa[d]; ib += sb[d]
            if idx[d] < outShape[d] { break }
            ia -= sa[d] * outShape[d]; ib -= sb[d] * outShape[d]; idx[d] = 0
            d -= 1
        }
    }
}

enum BroadcastKind { case same, suffix, general }

func broadcastKind(_ a: [Int], _ b: [Int]) -> BroadcastKind {
    if a == b { return .same }
    if b.count <= a.count && Array(a.suffix(b.count)) == b { return .suffix }
    return .general
}

/// Adds the gradient of a broadcast result `g` (shape out) into operand gradient `dst` of shape `shape`.
func reduceBroadcastGrad(_ dst: UnsafeMutablePointer<Float>, acc: Bool, shape: [Int], _ g: UnsafePointer<Float>, outShape: [Int]) {
    let n = shape.reduce(1, *), total = outShape.reduce(1, *)
    if shape == outShape {
        if acc { for i in 0..<n { dst[i] += g[i] } } else { dst.update(from: g, count: n) }
    } else if let trimmed = Optional(Array(shape.drop(while: { $0 == 1 }))), Array(outShape.suffix(trimmed.count)) == trimmed {
        // Row broadcast ([C] or [1, T, C] against [B, T, C]): column sums over the leading rows.
        columnSums(dst, acc: acc, g, rows: total / max(n, 1), cols: n)
    } else {
        if !acc { dst.update(repeating: 0, count: n) }
        let s = broadcastStrides(shape, to: outShape)
        let zero = [Int](repeating: 0, count: outShape.count)
        forEachBroadcast(outShape, s, zero) { o, i, _ in dst[i] += g[o] }
    }
}

// MARK: Add and multiply (broadcasting)

/// Element-wise sum with broadcasting.
public func + (a: Tensor, b: Tensor) -> Tensor {
    guard let shape = broadcastShape(a.shape, b.shape) else { fatalError("shape error: cannot broadcast \(a.shape) and \(b.shape)") }
    if a.shape != shape && b.shape == shape { return b + a }
    let y = Tensor.empty(shape)
    switch broadcastKind(a.shape, b.shape) {
    case .same:
        for i in 0..<y.count { y.data[i] = a.data[i] + b.data[i] }
    case .suffix:
        let m = b.count
        for r in 0..<(y.count / max(m, 1)) {
            let ya = y.data + r * m, aa = a.data + r * m
            for j in 0..<m { ya[j] = aa[j] + b.data[j] }
        }
    case .general:
        forEachBroadcast(shape, broadcastStrides(a.shape, to: shape), broadcastStrides(b.shape, to: shape)) { o, i, j in
            y.data[o] = a.data[i] + b.data[j]
        }
    }
    Tensor.record(y, [a, b]) { y in
        let g = y.gradStorage!.pointer
        if let (da, acc) = a.gradTarget() { reduceBroadcastGrad(da, acc: acc, shape: a.shape, g, outShape: shape) }
        if let (db, acc) = b.gradTarget() { reduceBroadcastGrad(db, acc: acc, shape: b.shape, g, outShape: shape) }
    }
    return y
}

/// Element-wise product with broadcasting.
public func * (a: Tensor, b: Tensor) -> Tensor {
    guard let shape = broadcastShape(a.shape, b.shape) else { fatalError("shape error: cannot broadcast \(a.shape) and \(b.shape)") }
    let y = Tensor.empty(shape)
    let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
    if a.shape == b.shape {
        for i in 0..<y.count { y.data[i] = a.data[i] * b.data[i] }
    } else {
        forEachBroadcast(shape, sa, sb) { o, i, j in y.data[o] = a.data[i] * b.data[j] }
    }
    Tensor.record(y, [a, b]) { y in
        let g = y.gradStorage!.pointer
        // d(a*b)/da = b, reduced over a's broadcast dimensions (and symmetrically for b).
        let tmp = Storage(uninitialized: y.count)
        if let (da, acc) = a.gradTarget() {
            forEachBroadcast(shape, sa, sb) { o, _, j in tmp.pointer[o] = g[o] * b.data[j] }
            reduceBroadcastGrad(da, acc: acc, shape: a.shape, tmp.pointer, outShape: shape)
        }
        if let (db, acc) = b.gradTarget() {
            forEachBroadcast(shape, sa, sb) { o, i, _ in tmp.pointer[o] = g[o] * a.data[i] }
            reduceBroadcastGrad(db, acc: acc, shape: b.shape, tmp.pointer, outShape: shape)
        }
    }
    return y
}

/// x * s for a constant s.
public func * (x: Tensor, s: Float) -> Tensor {
    let y = Tensor.empty(x.shape)
    for i in 0..<x.count { y.data[i] = x.data[i] * s }
    Tensor.record(y, [x]) { y in
        let g = y.gradStorage!.pointer
        if let (dx, acc) = x.gradTarget() {
            if acc { for i in 0..<x.count { dx[i] += g[i] * s } } else { for i in 0..<x.count { dx[i] = g[i] * s } }
        }
    }
    return y
}

/// a - b (composed: a + b * -1).
public func - (a: Tensor, b: Tensor) -> Tensor { a + b * -1 }

// MARK: Shape and reductions

/// The same values under a new shape of equal count (a copy; gradients reshape back).
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    shapeCheck(shape.reduce(1, *) == x.count, "reshape \(x.shape) to \(shape)")
    let y = Tensor.empty(shape)
    y.data.update(from: x.data, count: x.count)
    Tensor.record(y, [x]) { y in
        if let (dx, acc) = x.gradTarget() { reduceBroadcastGrad(dx, acc: acc, shape: [x.count], y.gradStorage!.pointer, outShape: [y.count]) }
    }
    return y
}

/// Sum of all elements, as a one-element tensor.
public func sum(_ x: Tensor) -> Tensor {
    var s: Double = 0
    for i in 0..<x.count { s += Double(x.data[i]) }
    let y = Tensor([Float(s)], shape: [1])
    Tensor.record(y, [x]) { y in
        let g = y.gradStorage!.pointer[0]
        if let (dx, acc) = x.gradTarget() {
            if acc { for i in 0..<x.count { dx[i] += g } } else { dx.update(repeating: g, count: x.count) }
        }
    }
    return y
}

/// Mean of all elements (composed).
public func mean(_ x: Tensor) -> Tensor { sum(x) * (1 / Float(max(x.count, 1))) }

// MARK: GELU and dropout

/// Exact GELU, x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), as nn.GELU() and nanoGPT.
public func gelu(_ x: Tensor) -> Tensor {
    let y = Tensor.empty(x.shape)
    let parts = Parallel.ranges(x.count, parts: x.count > 1 << 15 ? Parallel.threads : 1, align: 64)
    Parallel.forEach(parts.count) { i in
        let r = parts[i]
        k_gelu_forward(y.data + r.lowerBound, x.data + r.lowerBound, r.count)
    }
    Tensor.record(y, [x]) { y in
        guard let (dx, acc) = x.gradTarget() else { return }
        let dy = y.gradStorage!.pointer
        Parallel.forEach(parts.count) { i in
            let r = parts[i]
            k_gelu_backward(dx + r.lowerBound, acc ? 1 : 0, x.data + r.lowerBound, dy + r.lowerBound, r.count)
        }
    }
    return y
}

/// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p). The mask
/// comes from `rng`, drawn in element order, so a seed fixes it. p = 0 returns x itself.
public func dropout(_ x: Tensor, p: Float, rng: inout RNG) -> Tensor {
    if p <= 0 { return x }
    shapeCheck(p < 1, "dropout probability \(p) must be below 1")
    let scale = 1 / (1 - p)
    let mask = Storage(uninitialized: x.count)
    for i in 0..<x.count { mask.pointer[i] = rng.uniform() < p ? 0 : scale }
    let y = Tensor.empty(x.shape)
    for i in 0..<x.count { y.data[i] = x.data[i] * mask.pointer[i] }
    Tensor.record(y, [x]) { y in
        guard let (dx, acc) = x.gradTarget() else { return }
        let g = y.gradStorage!.pointer
        if acc { for i in 0..<x.count { dx[i] += g[i] * mask.pointer[i] } } else { for i in 0..<x.count { dx[i] = g[i] * mask.pointer[i] } }
    }
    return y
}

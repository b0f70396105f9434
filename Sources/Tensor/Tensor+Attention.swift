import Foundation
import CKernels

/// Per-thread scratch for the attention kernels, kept between calls.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()
    private var buffers: [Storage] = []
    private let lock = NSLock()

    /// One buffer of at least `count` floats for each of `n` workers.
    func buffers(_ n: Int, count: Int) -> [Storage] {
        lock.lock(); defer { lock.unlock() }
        if buffers.count < n || buffers.contains(where: { $0.count < count }) {
            buffers = (0..<n).map { _ in Storage(uninitialized: count) }
        }
        return Array(buffers.prefix(n))
    }
}

/// Causal multi-head self-attention on the packed output of c_attn.
/// qkv: [B, T, 3C] laid out as q | k | v, each split into `heads` heads of C/heads; returns [B, T, C]
/// (heads concatenated, before c_proj), softmax(q k^T / sqrt(hd) + causal mask) v per head.
///
/// Fused: one kernel per (batch, head) computes scores block by block, never the masked upper blocks,
/// and keeps only a row log-sum-exp [B, H, T] for backward, which recomputes the probabilities.
public func causalSelfAttention(_ qkv: Tensor, heads: Int) -> Tensor {
    shapeCheck(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "attention: qkv must be [B, T, 3C], got \(qkv.shape)")
    let B = qkv.shape[0], T = qkv.shape[1], C = qkv.shape[2] / 3
    shapeCheck(heads > 0 && C % heads == 0, "attention: C=\(C) not divisible by \(heads) heads")
    let y = Tensor.empty([B, T, C])                       // [B, T, C]
    let lse = Storage(uninitialized: B * heads * T)       // [B, H, T]
    let pairs = B * heads
    let workers = min(Parallel.threads, pairs)
    let scratchCount = k_attention_scratch(T)
    let scratch = ScratchPool.shared.buffers(workers, count: scratchCount)
    let parts = Parallel.ranges(pairs, parts: workers)
    Parallel.forEach(parts.count) { i in
        k_attention_forward(y.data, lse.pointer, qkv.data, B, T, C, heads, parts[i].lowerBound, parts[i].upperBound, scratch[i].pointer)
    }
    Tensor.record(y, [qkv]) { y in
        guard let (dqkv, acc) = qkv.gradTarget() else { return }
        let dy = y.gradStorage!.pointer
        let scratch = ScratchPool.shared.buffers(workers, count: scratchCount)
        Parallel.forEach(parts.count) { i in
            k_attention_backward(dqkv, acc ? 1 : 0, dy, qkv.data, y.data, lse.pointer, B, T, C, heads,
                                 parts[i].lowerBound, parts[i].upperBound, scratch[i].pointer)
        }
    }
    return y
}

/// Rotary position embedding (RoFormer; the GPT-NeoX "rotate half" layout used by phi-1) applied to the
/// q and k parts of a packed qkv [B, T, 3C]: in each head, the first `rotaryDim` dimensions are rotated
/// in pairs (i, i + rotaryDim/2) by angle pos * base^(-2i/rotaryDim); v passes through.
public func rotary(_ qkv: Tensor, heads: Int, rotaryDim: Int, base: Float = 10000, positionOffset: Int = 0) -> Tensor {
    shapeCheck(qkv.rank == 3 && qkv.shape[2] % 3 == 0, "rotary: qkv must be [B, T, 3C], got \(qkv.shape)")
    let B = qkv.shape[0], T = qkv.shape[1], C = qkv.shape[2] / 3, hd = C / heads
    shapeCheck(rotaryDim % 2 == 0 && rotaryDim > 0 && rotaryDim <= hd, "rotary: rotary_dim \(rotaryDim) must be even and in 2...\(hd)")
    let half = rotaryDim / 2
    let table = RotaryTable.shared.table(positions: positionOffset + T, half: half, base: base)
    let cosT = table.cos, sinT = table.sin
    let y = Tensor.empty(qkv.shape)
    y.data.update(from: qkv.data, count: qkv.count)
    func rotate(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, sign: Float) {
        Parallel.forEach(B) { b in
            for t in 0..<T {
                let row = (b * T + t) * 3 * C
                let cs = cosT + (positionOffset + t) * half, sn = sinT + (positionOffset + t) * half
                for part in 0..<2 {                      // q, then k
                    for h in 0..<heads {
                        let o = row + part * C + h * hd
                        for i in 0..<half {
                            let x1 = src[o + i], x2 = src[o + i + half]
                            let c = cs[i], s = sign * sn[i]
                            dst[o + i] = x1 * c - x2 * s
                            dst[o + i + half] = x2 * c + x1 * s
                        }
                    }
                }
            }
        }
    }
    rotate(y.data, qkv.data, sign: 1)
    Tensor.record(y, [qkv]) { y in
        guard let (dx, acc) = qkv.gradTarget() else { return }
        // The rotation is orthogonal: its gradient is the inverse rotation of the incoming gradient.
        let g = y.gradStorage!.pointer
        let tmp = Storage(uninitialized: qkv.count)
        tmp.pointer.update(from: g, count: qkv.count)
        rotate(tmp.pointer, g, sign: -1)
        if acc { for i in 0..<qkv.count { dx[i] += tmp.pointer[i] } } else { dx.update(from: tmp.pointer, count: qkv.count) }
    }
    return y
}

/// Cached cos/sin tables [positions, half] for rotary embeddings.
final class RotaryTable: @unchecked Sendable {
    static let shared = RotaryTable()
    private var cache: [String: (cos: Storage, sin: Storage)] = [:]
    private let lock = NSLock()

    func table(positions: Int, half: Int, base: Float) -> (cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>) {
        lock.lock(); defer { lock.unlock() }
        let key = "\(half):\(base)"
        if let t = cache[key], t.cos.count >= positions * half { return (t.cos.pointer, t.sin.pointer) }
        let n = max(positions, 256)
        let c = Storage(uninitialized: n * half), s = Storage(uninitialized: n * half)
        for p in 0..<n {
            for i in 0..<half {
                // Angles in double then rounded, as inv_freq = base^(-2i/rotaryDim) in fp32 times position.
                let invFreq = Float(1.0 / pow(Double(base), Double(2 * i) / Double(2 * half)))
                let angle = Float(p) * invFreq
                c.pointer[p * half + i] = Foundation.cos(angle)
                s.pointer[p * half + i] = Foundation.sin(angle)
            }
        }
        cache[key] = (c, s)
        return (c.pointer, s.pointer)
    }
}

// MARK: Inference with a KV cache (no autodiff)

/// Rotates, in place, the q and k parts of rows of a packed qkv [R, 3C], row r at position `positions[r]`
/// (rotary embedding for incremental decoding; same rotation as `rotary`).
public func rotaryInPlace(_ qkv: Tensor, positions: [Int], heads: Int, rotaryDim: Int, base: Float = 10000) {
    let C = qkv.lastDim / 3, hd = C / heads, half = rotaryDim / 2
    shapeCheck(positions.count == qkv.rows, "rotaryInPlace: \(positions.count) positions for \(qkv.rows) rows")
    let table = RotaryTable.shared.table(positions: (positions.max() ?? 0) + 1, half: half, base: base)
    let d = qkv.data
    for (r, pos) in positions.enumerated() {
        let cs = table.cos + pos * half, sn = table.sin + pos * half
        for part in 0..<2 { for h in 0..<heads {
            let o = r * 3 * C + part * C + h * hd
            for i in 0..<half {
                let x1 = d[o + i], x2 = d[o + i + half]
                d[o + i] = x1 * cs[i] - x2 * sn[i]
                d[o + i + half] = x2 * cs[i] + x1 * sn[i]
            }
        } }
    }
}

/// Attention of query rows against a KV cache. qkv: [R, 3C] (only q is read); kCache, vCache: [S, maxT, C];
/// row r belongs to sequence `seqs[r]` at position `positions[r]` and attends to cache positions 0...position.
/// Returns [R, C].
public func cachedAttention(_ qkv: Tensor, kCache: Tensor, vCache: Tensor, seqs: [Int], positions: [Int], heads: Int) -> Tensor {
    let C = qkv.lastDim / 3, hd = C / heads, maxT = kCache.shape[1]
    let R = qkv.rows
    let y = Tensor.zeros([R, C])
    let scale = 1 / Float(hd).squareRoot()
    Parallel.forEach(R) { r in
        var scores = [Float](repeating: 0, count: positions[r] + 1)
        let base = seqs[r] * maxT * C
        for h in 0..<heads {
            let q = qkv.data + r * 3 * C + h * hd
            var m = -Float.infinity
            for j in 0...positions[r] {
                let k = kCache.data + base + j * C + h * hd
                var s: Float = 0
                for d in 0..<hd { s += q[d] * k[d] }
                scores[j] = s * scale
                m = max(m, scores[j])
            }
            var z: Float = 0
            for j in 0...positions[r] { scores[j] = Foundation.exp(scores[j] - m); z += scores[j] }
            let out = y.data + r * C + h * hd
            for j in 0...positions[r] {
                let p = scores[j] / z, v = vCache.data + base + j * C + h * hd
                for d in 0..<hd { out[d] += p * v[d] }
            }
        }
    }
    return y
}

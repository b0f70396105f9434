import Foundation
import CKernels

/// Rows per chunk for row-wise kernels: fixed, so partial sums (LayerNorm's dW) are reduced in the
/// same order whatever the thread count.
let rowChunk = 64

/// nn.LayerNorm over the last dimension: (x - mean) / sqrt(var + eps) * weight + bias, biased variance.
/// x: [..., C]; weight, bias: [C] or nil.
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
    let C = x.lastDim, rows = x.rows
    if let weight { shapeCheck(weight.count == C, "layerNorm: weight \(weight.shape) for C=\(C)") }
    if let bias { shapeCheck(bias.count == C, "layerNorm: bias \(bias.shape) for C=\(C)") }
    let y = Tensor.empty(x.shape)
    let mean = Storage(uninitialized: rows), rstd = Storage(uninitialized: rows)
    let chunks = (rows + rowChunk - 1) / rowChunk
    Parallel.forEach(chunks) { c in
        let r0 = c * rowChunk, n = min(rowChunk, rows - r0)
        k_layernorm_forward(y.data + r0 * C, mean.pointer + r0, rstd.pointer + r0, x.data + r0 * C,
                            weight?.data, bias?.data, n, C, eps)
    }
    var inputs = [x]
    if let weight { inputs.append(weight) }
    if let bias { inputs.append(bias) }
    Tensor.record(y, inputs) { y in
        let dy = y.gradStorage!.pointer
        let dxT = x.gradTarget()
        let wantW = weight?.requiresGrad ?? false, wantB = bias?.requiresGrad ?? false
        let partW = wantW ? Storage(uninitialized: chunks * C) : nil
        let partB = wantB ? Storage(uninitialized: chunks * C) : nil
        // dx is always computed (x is an activation); a scratch buffer if x needs no gradient.
        let scratch = dxT == nil ? Storage(uninitialized: x.count) : nil
        let dx = dxT?.pointer ?? scratch!.pointer
        let acc: Int32 = (dxT?.acc ?? false) ? 1 : 0
        Parallel.forEach(chunks) { c in
            let r0 = c * rowChunk, n = min(rowChunk, rows - r0)
            k_layernorm_backward(dx + r0 * C, acc, partW.map { $0.pointer + c * C }, partB.map { $0.pointer + c * C },
                                 dy + r0 * C, x.data + r0 * C, mean.pointer + r0, rstd.pointer + r0, weight?.data, n, C)
        }
        if let weight, let partW, let (dw, acc) = weight.gradTarget() { columnSums(dw, acc: acc, partW.pointer, rows: chunks, cols: C) }
        if let bias, let partB, let (db, acc) = bias.gradTarget() { columnSums(db, acc: acc, partB.pointer, rows: chunks, cols: C) }
    }
    return y
}

/// Softmax over the last dimension.
public func softmax(_ x: Tensor) -> Tensor {
    let C = x.lastDim, rows = x.rows
    let y = Tensor.empty(x.shape)
    let chunks = (rows + rowChunk - 1) / rowChunk
    Parallel.forEach(chunks) { c in
        let r0 = c * rowChunk, n = min(rowChunk, rows - r0)
        k_softmax_forward(y.data + r0 * C, x.data + r0 * C, n, C)
    }
    Tensor.record(y, [x]) { y in
        guard let (dx, acc) = x.gradTarget() else { return }
        let dy = y.gradStorage!.pointer
        Parallel.forEach(chunks) { c in
            let r0 = c * rowChunk, n = min(rowChunk, rows - r0)
            k_softmax_backward(dx + r0 * C, acc ? 1 : 0, y.data + r0 * C, dy + r0 * C, n, C)
        }
    }
    return y
}

/// Mean cross-entropy of logits [..., V] against integer targets (one per row). Rows whose target is
/// `ignoreIndex` carry no loss and do not count in the mean (F.cross_entropy(..., ignore_index=)); if
/// every row is ignored the loss is 0. Targets must lie in 0..<V or equal ignoreIndex.
public func crossEntropy(_ logits: Tensor, targets: [Int32], ignoreIndex: Int32 = -1) -> Tensor {
    let V = logits.lastDim, rows = logits.rows
    shapeCheck(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows of \(logits.shape)")
    for t in targets where t != ignoreIndex {
        shapeCheck(t >= 0 && Int(t) < V, "crossEntropy: target \(t) outside the vocabulary 0..<\(V)")
    }
    let tg = targets
    let losses = Storage(uninitialized: rows), lse = Storage(uninitialized: rows)
    let chunks = (rows + rowChunk - 1) / rowChunk
    tg.withUnsafeBufferPointer { tp in
        Parallel.forEach(chunks) { c in
            let r0 = c * rowChunk, n = min(rowChunk, rows - r0)
            k_crossentropy_forward(losses.pointer + r0, lse.pointer + r0, logits.data + r0 * V, tp.baseAddress! + r0, n, V, ignoreIndex)
        }
    }
    let kept = tg.reduce(0) { $0 + ($1 == ignoreIndex ? 0 : 1) }
    var total = 0.0
    for r in 0..<rows { total += Double(losses.pointer[r]) }
    let y = Tensor([kept == 0 ? 0 : Float(total / Double(kept))], shape: [1])
    Tensor.record(y, [logits]) { y in
        guard let (dl, acc) = logits.gradTarget() else { return }
        let scale = kept == 0 ? 0 : y.gradStorage!.pointer[0] / Float(kept)
        tg.withUnsafeBufferPointer { tp in
            Parallel.forEach(chunks) { c in
                let r0 = c * rowChunk, n = min(rowChunk, rows - r0)
                k_crossentropy_backward(dl + r0 * V, acc ? 1 : 0, logits.data + r0 * V, lse.pointer + r0, tp.baseAddress! + r0,
                                        n, V, ignoreIndex, scale)
            }
        }
    }
    return y
}

/// Embedding lookup: rows of `table` [N, C] at `ids` -> [ids.count, C], or `batchShape + [C]` (e.g.
/// [B, T, C]). The gradient is a scatter-add into the table. Ids must lie in 0..<N.
public func embedding(_ table: Tensor, ids: [Int32], batchShape: [Int]? = nil) -> Tensor {
    let C = table.lastDim, N = table.shape[0]
    for id in ids { shapeCheck(id >= 0 && Int(id) < N, "embedding: id \(id) outside 0..<\(N)") }
    let lead = batchShape ?? [ids.count]
    shapeCheck(lead.reduce(1, *) == ids.count, "embedding: \(ids.count) ids for shape \(lead)")
    let y = Tensor.empty(lead + [C])
    for (r, id) in ids.enumerated() { (y.data + r * C).update(from: table.data + Int(id) * C, count: C) }
    Tensor.record(y, [table]) { y in
        guard let dt = table.gradTargetZeroed() else { return }
        let g = y.gradStorage!.pointer
        // Rows in order, so repeated ids add up in the same order every time.
        for (r, id) in ids.enumerated() {
            let d = dt + Int(id) * C, s = g + r * C
            for j in 0..<C { d[j] += s[j] }
        }
    }
    return y
}

import Foundation

/// Sums the rows of a [rows, cols] matrix into `dst` [cols] (added when `acc`). Split over columns, so
/// every column is summed in row order whatever the thread count.
func columnSums(_ dst: UnsafeMutablePointer<Float>, acc: Bool, _ src: UnsafePointer<Float>, rows: Int, cols: Int) {
    let parts = Parallel.ranges(cols, parts: rows * cols > 1 << 16 ? Parallel.threads : 1, align: 16)
    Parallel.forEach(parts.count) { i in
        let r = parts[i]
        let d = dst + r.lowerBound
        if !acc { d.update(repeating: 0, count: r.count) }
        for row in 0..<rows {
            let s = src + row * cols + r.lowerBound
            for j in 0..<r.count { d[j] += s[j] }
        }
    }
}

/// nn.Linear: y = x W^T + b.  x: [..., in], weight: [out, in], bias: [out] -> [..., out].
public func linear(_ x: Tensor, _ weight: Tensor, _ bias: Tensor? = nil) -> Tensor {
    let inF = x.lastDim, outF = weight.shape[0]
    shapeCheck(weight.rank == 2 && weight.shape[1] == inF, "linear: x \(x.shape) with weight \(weight.shape)")
    if let bias { shapeCheck(bias.count == outF, "linear: bias \(bias.shape) for \(outF) outputs") }
    let n = x.rows
    let y = Tensor.empty(Array(x.shape.dropLast()) + [outF])      // [..., out]
    if let bias {
        for r in 0..<n { (y.data + r * outF).update(from: bias.data, count: outF) }
    }
    BLAS.gemm(transA: false, transB: true, m: n, n: outF, k: inF, alpha: 1, a: x.data, lda: inF,
              b: weight.data, ldb: inF, beta: bias == nil ? 0 : 1, c: y.data, ldc: outF)
    Tensor.record(y, bias.map { [x, weight, $0] } ?? [x, weight]) { y in
        let dy = y.gradStorage!.pointer
        if let (dx, acc) = x.gradTarget() {            // dx = dy W        [n, in]
            BLAS.gemm(transA: false, transB: false, m: n, n: inF, k: outF, alpha: 1, a: dy, lda: outF,
                      b: weight.data, ldb: inF, beta: acc ? 1 : 0, c: dx, ldc: inF)
        }
        if let (dw, acc) = weight.gradTarget() {       // dW = dy^T x      [out, in]
            BLAS.gemm(transA: true, transB: false, m: outF, n: inF, k: n, alpha: 1, a: dy, lda: outF,
                      b: x.data, ldb: inF, beta: acc ? 1 : 0, c: dw, ldc: inF)
        }
        if let bias, let (db, acc) = bias.gradTarget() {
            columnSums(db, acc: acc, dy, rows: n, cols: outF)
        }
    }
    return y
}

/// Matrix product, optionally batched: a [M, K] (or [Bt, M, K]) times b [K, N] (or [Bt, K, N]), with
/// `transposeA`/`transposeB` reading a as [.., K, M] and b as [.., N, K]. Result [M, N] or [Bt, M, N].
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    shapeCheck(a.rank == b.rank && (a.rank == 2 || a.rank == 3), "matmul: ranks of \(a.shape) and \(b.shape)")
    let batched = a.rank == 3
    let bt = batched ? a.shape[0] : 1
    if batched { shapeCheck(b.shape[0] == bt, "matmul: batch of \(a.shape) vs \(b.shape)") }
    let ar = a.shape.suffix(2).map { $0 }, br = b.shape.suffix(2).map { $0 }
    let m = transposeA ? ar[1] : ar[0], k = transposeA ? ar[0] : ar[1]
    let kb = transposeB ? br[1] : br[0], n = transposeB ? br[0] : br[1]
    shapeCheck(k == kb, "matmul: inner dimensions of \(a.shape)\(transposeA ? "^T" : "") and \(b.shape)\(transposeB ? "^T" : "")")
    let c = Tensor.empty(batched ? [bt, m, n] : [m, n])
    let lda = ar[1], ldb = br[1]
    let sa = m * k, sb = k * n, sc = m * n
    for i in 0..<bt {
        BLAS.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: 1, a: a.data + i * sa, lda: lda,
                  b: b.data + i * sb, ldb: ldb, beta: 0, c: c.data + i * sc, ldc: n)
    }
    Tensor.record(c, [a, b]) { c in
        let dc = c.gradStorage!.pointer
        if let (da, acc) = a.gradTarget() {
            for i in 0..<bt {
                // dA = dC op(B)^T, stored in A's layout (transposed when A was read transposed)
                if transposeA {   // A is [K, M]: dA = op(B) dC^T
                    BLAS.gemm(transA: transposeB, transB: true, m: k, n: m, k: n, alpha: 1, a: b.data + i * sb, lda: ldb,
                              b: dc + i * sc, ldb: n, beta: acc ? 1 : 0, c: da + i * sa, ldc: lda)
                } else {
                    BLAS.gemm(transA: false, transB: !transposeB, m: m, n: k, k: n, alpha: 1, a: dc + i * sc, lda: n,
                              b: b.data + i * sb, ldb: ldb, beta: acc ? 1 : 0, c: da + i * sa, ldc: lda)
                }
            }
        }
        if let (db, acc) = b.gradTarget() {
            for i in 0..<bt {
                if transposeB {   // B is [N, K]: dB = dC^T op(A)
                    BLAS.gemm(transA: true, transB: transposeA, m: n, n: k, k: m, alpha: 1, a: dc + i * sc, lda: n,
                              b: a.data + i * sa, ldb: lda, beta: acc ? 1 : 0, c: db + i * sb, ldc: ldb)
                } else {          // dB = op(A)^T dC
                    BLAS.gemm(transA: !transposeA, transB: false, m: k, n: n, k: m, alpha: 1, a: a.data + i * sa, lda: lda,
                              b: dc + i * sc, ldb: n, beta: acc ? 1 : 0, c: db + i * sb, ldc: ldb)
                }
            }
        }
    }
    return c
}

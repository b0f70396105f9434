import Foundation

/// Simple, obviously-correct reference kernels (plain loops, double accumulation), kept beside the
/// fast ones and used by the tests to check them (as llm.c keeps a reference next to each kernel).
public enum Reference {
    /// C[M, N] = A[M, K] B[K, N].
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
            c[i * n + j] = Float(s)
        } }
        return c
    }

    public static func gelu(_ x: [Float]) -> [Float] {
        x.map { v in Float(0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))) }
    }

    public static func layerNorm(_ x: [Float], rows: Int, cols: Int, weight: [Float]?, bias: [Float]?, eps: Double = 1e-5) -> [Float] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let mu = row.reduce(0, +) / Double(cols)
            let v = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(cols)
            for i in 0..<cols {
                var o = (row[i] - mu) / (v + eps).squareRoot()
                if let weight { o *= Double(weight[i]) }
                if let bias { o += Double(bias[i]) }
                y[r * cols + i] = Float(o)
            }
        }
        return y
    }

    public static func softmax(_ x: [Float], rows: Int, cols: Int) -> [Float] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
            let m = row.max() ?? 0
            let e = row.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            for i in 0..<cols { y[r * cols + i] = Float(e[i] / s) }
        }
        return y
    }

    /// Mean cross-entropy over rows whose target is not `ignoreIndex`.
    public static func crossEntropy(_ logits: [Float], targets: [Int32], vocab: Int, ignoreIndex: Int32 = -1) -> Float {
        var total = 0.0, n = 0
        for (r, t) in targets.enumerated() where t != ignoreIndex {
            let row = logits[(r * vocab)..<((r + 1) * vocab)].map(Double.init)
            let m = row.max() ?? 0
            let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
            total += lse - row[Int(t)]
            n += 1
        }
        return n == 0 ? 0 : Float(total / Double(n))
    }

    /// Causal attention on packed qkv [B, T, 3C] with `heads` heads, materialising every [T, T] score matrix.
    public static func causalAttention(_ qkv: [Float], b B: Int, t T: Int, c C: Int, heads H: Int) -> [Float] {
        let hd = C / H, scale = 1 / Double(hd).squareRoot()
        var y = [Float](repeating: 0, count: B * T * C)
        for b in 0..<B { for h in 0..<H { for i in 0..<T {
            var scores = [Double](repeating: 0, count: i + 1)
            for j in 0...i {
                var s = 0.0
                for d in 0..<hd { s += Double(qkv[(b * T + i) * 3 * C + h * hd + d]) * Double(qkv[(b * T + j) * 3 * C + C + h * hd + d]) }
                scores[j] = s * scale
            }
            let m = scores.max()!
            let e = scores.map { Foundation.exp($0 - m) }
            let z = e.reduce(0, +)
            for d in 0..<hd {
                var o = 0.0
                for j in 0...i { o += e[j] / z * Double(qkv[(b * T + j) * 3 * C + 2 * C + h * hd + d]) }
                y[(b * T + i) * C + h * hd + d] = Float(o)
            }
        } } }
        return y
    }
}

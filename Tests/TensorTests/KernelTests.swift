import XCTest
import CKernels
@testable import Tensor

/// Fast kernels against the simple reference kernels, and against PyTorch's values (ops_golden).
final class KernelTests: XCTestCase {
    func testExpAndErfcAccuracy() {
        let xs = stride(from: Float(-80), through: 80, by: 0.37).map { $0 }
        var out = [Float](repeating: 0, count: xs.count)
        k_exp(&out, xs, xs.count)
        for (x, y) in zip(xs, out) {
            let ref = Foundation.exp(Double(x))
            XCTAssertLessThan(abs(Double(y) - ref) / ref, 3e-7, "exp(\(x))")
        }
        let zs = stride(from: Float(-5), through: 5, by: 0.01).map { $0 }
        var e = [Float](repeating: 0, count: zs.count)
        k_erfc(&e, zs, zs.count)
        for (z, y) in zip(zs, e) {
            let ref = erfc(Double(z))
            XCTAssertLessThan(abs(Double(y) - ref) / ref, 4e-6, "erfc(\(z))")
        }
    }

    func testGemmSplitMatchesReference() {
        // Large enough to be split across threads; odd sizes.
        let m = 131, k = 67, n = 97
        let a = randomTensor([m, k], seed: 1, requiresGrad: false), b = randomTensor([k, n], seed: 2, requiresGrad: false)
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        for threads in [1, 2, 3] {
            Parallel.threads = threads
            let c = matmul(a, b)
            assertClose(c.array, Reference.matmul(a.array, b.array, m: m, k: k, n: n), atol: 1e-4, "gemm threads=\(threads)")
        }
        XCTAssertTrue(BLAS.sgemmSelfCheck())
    }

    func testKernelsMatchReference() {
        let x = randomTensor([9, 77], seed: 3, requiresGrad: false), w = randomTensor([77], seed: 4), b = randomTensor([77], seed: 5)
        assertClose(layerNorm(x, weight: w, bias: b).array, Reference.layerNorm(x.array, rows: 9, cols: 77, weight: w.array, bias: b.array), "layerNorm")
        assertClose(gelu(x).array, Reference.gelu(x.array), atol: 1e-6, "gelu")
        assertClose(softmax(x).array, Reference.softmax(x.array, rows: 9, cols: 77), atol: 1e-6, "softmax")
        let targets: [Int32] = [0, 76, -1, 5, 3, -1, 9, 10, 11]
        XCTAssertEqual(crossEntropy(x, targets: targets).item, Reference.crossEntropy(x.array, targets: targets, vocab: 77), accuracy: 1e-5)
        let qkv = randomTensor([2, 150, 3 * 24], seed: 6, requiresGrad: false)   // two 128-row blocks, ragged last
        assertClose(causalSelfAttention(qkv, heads: 3).array, Reference.causalAttention(qkv.array, b: 2, t: 150, c: 24, heads: 3), atol: 1e-5, "attention")
        let wide = randomTensor([1, 150, 3 * 128], seed: 7, requiresGrad: false)  // hd 64: three 64-row blocks
        assertClose(causalSelfAttention(wide, heads: 2).array, Reference.causalAttention(wide.array, b: 1, t: 150, c: 128, heads: 2), atol: 1e-5, "attention hd 64")
    }

    func testAgainstPyTorch() throws {
        let g = try fixture("ops_golden")
        func t(_ k: String, grad: Bool = true) -> Tensor { Tensor(g[k]!.values, shape: g[k]!.shape, requiresGrad: grad) }

        let gx = t("gelu.x")
        let gy = gelu(gx)
        assertClose(gy.array, g["gelu.y"]!.values, atol: 1e-6, "gelu vs torch")
        sum(gy).backward()
        assertClose(gx.grad!.array, g["gelu.dx"]!.values, atol: 1e-6, "gelu grad vs torch")

        let lx = t("ln.x"), lw = t("ln.w"), lb = t("ln.b")
        let ly = layerNorm(lx, weight: lw, bias: lb)
        assertClose(ly.array, g["ln.y"]!.values, "layerNorm vs torch")
        sum(ly * t("ln.dy", grad: false)).backward()
        assertClose(lx.grad!.array, g["ln.dx"]!.values, atol: 1e-5, "layerNorm dx vs torch")
        assertClose(lw.grad!.array, g["ln.dw"]!.values, atol: 1e-5, "layerNorm dw vs torch")
        assertClose(lb.grad!.array, g["ln.db"]!.values, atol: 1e-5, "layerNorm db vs torch")

        let sx = t("softmax.x")
        let sy = softmax(sx)
        assertClose(sy.array, g["softmax.y"]!.values, atol: 1e-6, "softmax vs torch")
        sum(sy * t("softmax.dy", grad: false)).backward()
        assertClose(sx.grad!.array, g["softmax.dx"]!.values, atol: 1e-6, "softmax grad vs torch")

        let logits = t("ce.logits")
        let loss = crossEntropy(logits, targets: g["ce.targets"]!.values.map { Int32($0) })
        XCTAssertEqual(loss.item, g["ce.loss"]!.values[0], accuracy: 1e-5)
        loss.backward()
        assertClose(logits.grad!.array, g["ce.dlogits"]!.values, atol: 1e-6, "cross-entropy grad vs torch")

        let qkv = t("attn.qkv")
        let y = causalSelfAttention(qkv, heads: Int(g["attn.heads"]!.values[0]))
        assertClose(y.array, g["attn.y"]!.values, atol: 1e-5, "attention vs torch sdpa")
        sum(y * t("attn.dy", grad: false)).backward()
        assertClose(qkv.grad!.array, g["attn.dqkv"]!.values, atol: 1e-5, "attention grad vs torch sdpa")
    }

    func testGradientAccumulatesAcrossBackwardCalls() {
        let w = randomTensor([3], seed: 7)
        sum(w * w).backward()
        let once = w.grad!.array
        sum(w * w).backward()
        assertClose(w.grad!.array, once.map { 2 * $0 }, atol: 1e-6, "accumulated gradient")
    }

    func testNoGradRecordsNothing() {
        let w = randomTensor([3], seed: 8)
        let y = Autograd.withNoGrad { w * w }
        XCTAssertFalse(y.requiresGrad)
    }

    func testSafeTensorsRoundTripAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.safetensors")
        let v: [Float] = [1, 2, 3, 4, 5, 6]
        try v.withUnsafeBufferPointer { try SafeTensors.write([("x", [2, 3], $0)], metadata: ["k": "v"], to: url) }
        let (t, m) = try SafeTensors.read(url)
        XCTAssertEqual(t["x"], SafeTensors.Entry(shape: [2, 3], values: v))
        XCTAssertEqual(m["k"], "v")
        let bytes = try Data(contentsOf: url)
        XCTAssertThrowsError(try SafeTensors.parse(bytes.prefix(bytes.count - 3))) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        XCTAssertThrowsError(try SafeTensors.parse(Data([1, 2, 3])))
        XCTAssertThrowsError(try SafeTensors.parse(Data(String(repeating: "\u{ff}", count: 20).utf8)))
        var wrongType = bytes
        let r = try XCTUnwrap(wrongType.range(of: Data("F32".utf8)))
        wrongType.replaceSubrange(r, with: Data("I32".utf8))
        XCTAssertThrowsError(try SafeTensors.parse(wrongType)) { XCTAssertTrue("\($0)".contains("dtype"), "\($0)") }
    }
}

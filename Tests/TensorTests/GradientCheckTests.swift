import XCTest
@testable import Tensor

/// Finite-difference checks of every primitive's gradient rule.
final class GradientCheckTests: XCTestCase {
    func testLinear() {
        let x = randomTensor([2, 3, 5], seed: 1), w = randomTensor([4, 5], seed: 2), b = randomTensor([4], seed: 3)
        gradCheck([x, w, b], "linear") { linear($0[0], $0[1], $0[2]) }
        gradCheck([x, w], "linear without bias") { linear($0[0], $0[1]) }
    }

    func testMatmulAllTransposes() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomTensor(ta ? [4, 3] : [3, 4], seed: 4), b = randomTensor(tb ? [5, 4] : [4, 5], seed: 5)
            gradCheck([a, b], "matmul ta=\(ta) tb=\(tb)") { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
        }
        let a = randomTensor([2, 3, 4], seed: 6), b = randomTensor([2, 4, 2], seed: 7)
        gradCheck([a, b], "batched matmul") { matmul($0[0], $0[1]) }
    }

    func testBroadcastAddMul() {
        let a = randomTensor([2, 3, 4], seed: 8), b = randomTensor([3, 4], seed: 9), c = randomTensor([2, 1, 4], seed: 10)
        gradCheck([a, b], "add suffix broadcast") { $0[0] + $0[1] }
        gradCheck([a, c], "add general broadcast") { $0[0] + $0[1] }
        gradCheck([a, b], "mul suffix broadcast") { $0[0] * $0[1] }
        gradCheck([a, c], "mul general broadcast") { $0[0] * $0[1] }
        gradCheck([a, a], "add same tensor twice") { $0[0] + $0[1] }
    }

    func testEmbeddingScatterAdd() {
        let table = randomTensor([6, 3], seed: 11)
        gradCheck([table], "embedding with repeated ids") { embedding($0[0], ids: [1, 4, 1, 0, 4, 4]) }
    }

    func testLayerNorm() {
        let x = randomTensor([3, 70], seed: 12), w = randomTensor([70], seed: 13), b = randomTensor([70], seed: 14)
        gradCheck([x, w, b], "layerNorm") { layerNorm($0[0], weight: $0[1], bias: $0[2]) }
        gradCheck([x], "layerNorm without affine") { layerNorm($0[0], weight: nil, bias: nil) }
    }

    func testGELU() {
        let x = randomTensor([50], seed: 15, scale: 2)
        gradCheck([x], "gelu") { gelu($0[0]) }
    }

    func testSoftmax() {
        let x = randomTensor([3, 7], seed: 16)
        gradCheck([x], "softmax") { softmax($0[0]) }
    }

    func testCrossEntropyWithIgnoreMask() {
        let logits = randomTensor([5, 6], seed: 17, scale: 2)
        gradCheck([logits], "crossEntropy") { crossEntropy($0[0], targets: [2, -1, 0, 5, -1]) }
    }

    func testCausalAttentionAcrossRowBlocks() {
        // Both block sizes of the fused kernel, and more than one block each.
        let qkv = randomTensor([1, 70, 12], seed: 18)          // hd 2: blocks of 128 rows
        gradCheck([qkv], eps: 1e-2, "attention") { causalSelfAttention($0[0], heads: 2) }
        let wide = randomTensor([1, 140, 3 * 64], seed: 23, scale: 0.3)   // hd 64: blocks of 64 rows, three of them
        gradCheck([wide], eps: 1e-2, atol: 3e-3, "attention, hd 64") { causalSelfAttention($0[0], heads: 1) }
    }

    func testRotary() {
        let qkv = randomTensor([2, 5, 24], seed: 19)
        gradCheck([qkv], "rotary") { rotary($0[0], heads: 2, rotaryDim: 4) }
    }

    func testDropoutUsesItsMask() {
        let x = randomTensor([40], seed: 20)
        gradCheck([x], "dropout") { var rng = RNG(seed: 5); return dropout($0[0], p: 0.3, rng: &rng) }
    }

    func testReshapeSumMean() {
        let x = randomTensor([2, 6], seed: 21)
        gradCheck([x], "reshape") { reshape($0[0], [3, 4]) }
        gradCheck([x], "mean") { mean($0[0]) }
    }

    /// The checker itself: a rule that is off by a factor must be caught by the numeric estimate.
    func testNumericEstimateCatchesAWrongRule() {
        let x = randomTensor([4], seed: 22)
        let y = sum(x * x)
        y.backward()
        let analytic = x.grad!.array
        let eps: Float = 1e-2
        let numeric = (0..<4).map { i -> Float in
            let s = x.data[i]
            x.data[i] = s + eps; let up = x.array.reduce(0) { $0 + $1 * $1 }
            x.data[i] = s - eps; let down = x.array.reduce(0) { $0 + $1 * $1 }
            x.data[i] = s
            return (up - down) / (2 * eps)
        }
        XCTAssertLessThan(maxDiff(analytic, numeric).value, 1e-2)
        XCTAssertGreaterThan(maxDiff(analytic.map { $0 * 1.5 }, numeric).value, 1e-2)
    }
}

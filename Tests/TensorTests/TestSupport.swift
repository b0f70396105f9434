import Foundation
import XCTest
@testable import Tensor
@_exported import TestSupport

func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1, requiresGrad: Bool = true) -> Tensor {
    var rng = RNG(seed: seed)
    return Tensor.normal(shape, std: scale, rng: &rng, requiresGrad: requiresGrad)
}

/// Finite-difference gradient check of `f` with respect to each input: compares the autodiff gradient of
/// L = sum(f(inputs) * R) (R a fixed random projection) with central differences of L in double.
func gradCheck(_ inputs: [Tensor], eps: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2, _ what: String,
               file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
    let out0 = Autograd.withNoGrad { f(inputs) }
    var rng = RNG(seed: 99)
    let proj = (0..<out0.count).map { _ in rng.normal() }
    func objective() -> Double {
        let y = Autograd.withNoGrad { f(inputs) }
        var s = 0.0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(proj[i]) }
        return s
    }
    for t in inputs { t.zeroGrad() }
    let y = f(inputs)
    let loss = sum(y * Tensor(proj, shape: y.shape))
    loss.backward()
    for (k, t) in inputs.enumerated() where t.requiresGrad {
        guard let g = t.grad?.array else { XCTFail("\(what): input \(k) got no gradient", file: file, line: line); continue }
        var numeric = [Float](repeating: 0, count: t.count)
        for i in 0..<t.count {
            let saved = t.data[i]
            t.data[i] = saved + eps; let up = objective()
            t.data[i] = saved - eps; let down = objective()
            t.data[i] = saved
            numeric[i] = Float((up - down) / (2 * Double(eps)))
        }
        assertClose(g, numeric, atol: atol, rtol: rtol, "\(what): d/d input \(k)", file: file, line: line)
    }
}

/// Loads a fixture file of this test bundle.
func fixture(_ name: String) throws -> [String: SafeTensors.Entry] {
    guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
        throw XCTSkip("fixture \(name) missing; run scripts/make_golden.py")
    }
    return try SafeTensors.read(url).tensors
}

import Foundation
import XCTest
import TestSupport
import Tensor
import Models
@testable import Training

func fixture(_ name: String) throws -> [String: SafeTensors.Entry] {
    guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
        throw XCTSkip("fixture \(name) missing; run scripts/make_golden.py")
    }
    return try SafeTensors.read(url).tensors
}


/// Short trajectories recorded from torch.optim (scripts/make_golden.py): same gradients in, same
/// parameters out, step by step.
final class OptimizerGoldenTests: XCTestCase {
    func t(_ g: [String: SafeTensors.Entry], _ k: String) -> Tensor { Tensor(g[k]!.values, shape: g[k]!.shape, requiresGrad: true) }

    func testAdamWWithClippingAndScheduleMatchesPyTorch() throws {
        let g = try fixture("adamw_golden")
        let w = t(g, "w0"), b = t(g, "b0")
        let opt = AdamW([w, b], config: .init(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1))
        let schedule = LRSchedule.warmupCosine(lr: 1e-2, warmup: 2, total: 6, minLR: 1e-3)
        for s in 0..<6 {
            w.setGrad(Storage(g["gw\(s)"]!.values)); b.setGrad(Storage(g["gb\(s)"]!.values))
            let lr = schedule.lr(at: s)
            XCTAssertEqual(lr, g["lr\(s)"]!.values[0], accuracy: 1e-9, "lr at step \(s)")
            let (norm, scale) = clipCoefficient([w, b], maxNorm: 1)
            XCTAssertEqual(norm, g["norm\(s)"]!.values[0], accuracy: 1e-4 * norm, "grad norm at step \(s)")
            opt.step(lr: lr, gradScale: scale)
            assertClose(w.array, g["w\(s + 1)"]!.values, atol: 2e-6, rtol: 0, "AdamW w after step \(s + 1)")
            assertClose(b.array, g["b\(s + 1)"]!.values, atol: 2e-6, rtol: 0, "AdamW b (no decay) after step \(s + 1)")
        }
    }

    func testAdafactorMatchesPyTorch() throws {
        let g = try fixture("adafactor_golden")
        let w = t(g, "w0"), b = t(g, "b0")
        let opt = Adafactor([w, b], config: .init(weightDecay: 0.01))
        for s in 0..<6 {
            w.setGrad(Storage(g["gw\(s)"]!.values)); b.setGrad(Storage(g["gb\(s)"]!.values))
            opt.step(lr: 1e-2, gradScale: 1)
            assertClose(w.array, g["w\(s + 1)"]!.values, atol: 2e-6, rtol: 0, "Adafactor w after step \(s + 1)")
            assertClose(b.array, g["b\(s + 1)"]!.values, atol: 2e-6, rtol: 0, "Adafactor b after step \(s + 1)")
        }
    }

    func testSchedules() {
        let lin = LRSchedule.warmupLinear(lr: 1, warmup: 4, total: 10, minLR: 0)
        XCTAssertEqual(lin.lr(at: 0), 0.2, accuracy: 1e-6)
        XCTAssertEqual(lin.lr(at: 4), 1, accuracy: 1e-6)
        XCTAssertEqual(lin.lr(at: 7), 0.5, accuracy: 1e-6)
        XCTAssertEqual(lin.lr(at: 10), 0)
        XCTAssertEqual(LRSchedule.constant(lr: 0.3).lr(at: 99), 0.3)
        let cos = LRSchedule.warmupCosine(lr: 1, warmup: 0, total: 10, minLR: 0.1)
        XCTAssertEqual(cos.lr(at: 5), 0.55, accuracy: 1e-6)
    }
}

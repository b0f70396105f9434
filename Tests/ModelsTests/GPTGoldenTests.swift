import Foundation
import XCTest
import TestSupport
import Tensor
@testable import Models

func fixtureURL(_ name: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures") else {
        throw XCTSkip("fixture \(name) missing; run scripts/make_golden.py")
    }
    return url
}


/// A tiny GPT built and run by PyTorch (scripts/make_golden.py, nanoGPT's model): the same parameters
/// loaded here must give the same logits, loss and parameter gradients.
final class GPTGoldenTests: XCTestCase {
    func check(_ name: String) throws {
        let (tensors, metadata) = try SafeTensors.read(try fixtureURL(name))
        let params = tensors.filter { !$0.key.hasPrefix("golden.") && !$0.key.hasPrefix("grad.") }
        let model = try GPT.fromSafeTensors(params, metadata: metadata, name: name)
        let ids = tensors["golden.ids"]!.values.map { Int32($0) }
        let targets = tensors["golden.targets"]!.values.map { Int32($0) }
        let (logits, loss) = try model.forward(ids, batch: tensors["golden.ids"]!.shape[0], targets: targets)
        assertClose(logits.array, tensors["golden.logits"]!.values, atol: 2e-5, rtol: 0, "\(name) logits")
        XCTAssertEqual(loss!.item, tensors["golden.loss"]!.values[0], accuracy: 2e-6, "\(name) loss")
        loss!.backward()
        for (pname, p) in model.namedParameters {
            // PyTorch reports the tied weight's gradient under both names; ours lives on wte.
            let key = pname == "transformer.wte.weight" ? "grad.transformer.wte.weight" : "grad." + pname
            guard let golden = tensors[key] else { XCTFail("no golden gradient for \(pname)"); continue }
            assertClose(p.grad!.array, golden.values, atol: 2e-5, rtol: 0, "\(name) grad \(pname)")
        }
    }

    func testLearnedPositionsWithBias() throws { try check("gpt_learned") }
    func testRotaryParallelNoBias() throws { try check("gpt_rotary") }

    func testSaveLoadRoundTrip() throws {
        let model = try GPT(config: GPTConfig(blockSize: 8, vocabSize: 11, nLayer: 1, nHead: 2, nEmbd: 8), seed: 3)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gpt-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url)
        let back = try GPT.load(from: url)
        XCTAssertEqual(back.config, model.config)
        for ((n1, t1), (n2, t2)) in zip(model.namedParameters, back.namedParameters) {
            XCTAssertEqual(n1, n2)
            XCTAssertEqual(t1.array, t2.array, n1)
        }
    }
}

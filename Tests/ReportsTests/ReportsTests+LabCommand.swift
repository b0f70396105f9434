import Foundation
import XCTest

/// The `lab` executable on hostile input (issue 17's crashes): it answers with a message and an exit
/// status, never a trap, and what it prints as JSON stays JSON.
extension ReportsTests {
    func lab(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lab").path
        guard FileManager.default.isExecutableFile(atPath: exe) else { throw XCTSkip("the lab executable is not built next to the tests (\(exe))") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(["LAB_BLAS_AUTO": "0"]) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A config too large for the machine is refused before anything is allocated, with the estimate.
    func testInitRefusesAConfigThatCannotFit() throws {
        for big in ["\"block_size\":1000000000,\"n_layer\":2,\"n_embd\":64", "\"block_size\":64,\"n_layer\":100000000,\"n_embd\":64",
                    "\"block_size\":64,\"n_layer\":2,\"n_embd\":1000000"] {
            let r = try lab(["init", "--config", "{\(big),\"vocab_size\":512,\"n_head\":2}", "--out", root + "/big.safetensors"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.err.contains("more than this machine's"), r.err)
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/big.safetensors"))
        }
        let ok = try lab(["init", "--config", "{\"block_size\":32,\"vocab_size\":64,\"n_layer\":1,\"n_head\":2,\"n_embd\":16}", "--out", root + "/small.safetensors"])
        XCTAssertEqual(ok.status, 0, ok.err)
    }

    /// A checkpoint with NaN weights gives a non-finite loss: the output is still JSON (null), and the verb fails.
    func testLossOfANaNCheckpointIsJSONAndFails() throws {
        let ckpt = root + "/nan.safetensors"
        XCTAssertEqual(try lab(["init", "--config", "{\"block_size\":16,\"vocab_size\":64,\"n_layer\":1,\"n_head\":2,\"n_embd\":16}", "--out", ckpt]).status, 0)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: ckpt)))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        let entry = try XCTUnwrap(header["transformer.h.0.mlp.c_fc.weight"] as? [String: Any])
        let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
        for i in (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1]) { bytes[i] = 0xFF }   // one layer's weights NaN
        try Data(bytes).write(to: URL(fileURLWithPath: ckpt))
        let tokens = (0..<200).flatMap { i -> [UInt8] in [UInt8(i % 64), 0] }
        try Data(tokens).write(to: URL(fileURLWithPath: root + "/t.bin"))
        let r = try lab(["loss", ckpt, root + "/t.bin"])
        XCTAssertNotEqual(r.status, 0)
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        XCTAssertTrue(json?["loss"] is NSNull, r.out)
        XCTAssertTrue(r.err.contains("not finite"), r.err)
    }
}

import ArgumentParser
import Foundation
import Models

/// `lab init`: a freshly initialised model checkpoint from a config.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a freshly initialised model (nanoGPT's init) as a safetensors checkpoint.",
        discussion: "The config is JSON with nanoGPT's GPTConfig keys, e.g. '{\"block_size\":128,\"vocab_size\":512,\"n_layer\":2,\"n_head\":2,\"n_embd\":64}', or one of the bench presets A, B, C, D."
    )

    @Option(name: .long, help: "Model config: JSON (nanoGPT GPTConfig keys) or a preset A, B, C, D.")
    var config: String

    @Option(name: .long, help: "Initialisation seed.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Output path (.safetensors).")
    var out: String

    func run() throws {
        let cfg: GPTConfig
        if let preset = ["A": GPTConfig.benchA, "B": .benchB, "C": .benchC, "D": .benchD][config.uppercased()] {
            cfg = preset
        } else {
            do { cfg = try JSONDecoder().decode(GPTConfig.self, from: Data(config.utf8)) } catch {
                throw ValidationError("--config is neither a preset (A-D) nor GPTConfig JSON: \(error)")
            }
        }
        do {
            try cfg.validate()
        } catch let e as ModelError {
            throw ValidationError("\(e)")
        }
        do { try MemoryEstimate.checkInit(cfg) } catch { throw ValidationError("\(error)") }
        do {
            let model = try GPT(config: cfg, seed: seed)
            try model.save(to: URL(fileURLWithPath: out))
            print("wrote \(out): \(model.parameterCount()) parameters (estimated before allocating: \(Int(MemoryEstimate.parameters(cfg)))), config \(cfg.json())")
        } catch let e as ModelError {
            throw ValidationError("\(e)")
        }
    }
}

import Foundation
import Tensor
import Models

/// A training checkpoint is a directory of three files, replaced together:
/// - `model.safetensors`: the model, loadable by `GPT.load`, `lab loss` and PyTorch (nanoGPT names);
/// - `optimizer.safetensors`: the optimizer's state buffers;
/// - `trainer.json`: step, dropout RNG, data-source position, optimizer step count and the train config.
struct TrainerState: Codable {
    var step: Int
    var optimizerStep: Int
    var dropoutRNG: RNG
    var data: BatchSourceState
    var evalData: BatchSourceState?
    var config: TrainConfig
}

extension Trainer {
    /// Writes the checkpoint into a fresh sibling directory, then swaps it in, so an interrupted save
    /// never leaves a half-written checkpoint where the last good one was.
    public func saveCheckpoint(to dir: URL) throws {
        let fm = FileManager.default
        let tmp = dir.deletingLastPathComponent().appendingPathComponent(".\(dir.lastPathComponent).tmp-\(getpid())")
        try? fm.removeItem(at: tmp)
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        try model.save(to: tmp.appendingPathComponent("model.safetensors"), metadata: ["step": "\(step)"])
        let opt = optimizer.stateTensors().map { ($0.0, $0.1.shape, UnsafeBufferPointer(start: $0.1.data, count: $0.1.count)) }
        try SafeTensors.write(opt, metadata: [:], to: tmp.appendingPathComponent("optimizer.safetensors"))
        let state = TrainerState(step: step, optimizerStep: optimizer.stepCount, dropoutRNG: dropoutRNG, data: data.state,
                                 evalData: evalData?.state, config: config)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(state).write(to: tmp.appendingPathComponent("trainer.json"), options: .atomic)
        if fm.fileExists(atPath: dir.path) {
            let old = dir.deletingLastPathComponent().appendingPathComponent(".\(dir.lastPathComponent).old-\(getpid())")
            try? fm.removeItem(at: old)
            try fm.moveItem(at: dir, to: old)
            try fm.moveItem(at: tmp, to: dir)
            try? fm.removeItem(at: old)
        } else {
            try fm.createDirectory(at: dir.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fm.moveItem(at: tmp, to: dir)
        }
    }

    /// Restores parameters, optimizer state, RNG and data position from a checkpoint directory, so that
    /// `run` continues exactly as the uninterrupted run would have.
    public func resume(from dir: URL) throws {
        let stateURL = dir.appendingPathComponent("trainer.json")
        let state: TrainerState
        do { state = try JSONDecoder().decode(TrainerState.self, from: Data(contentsOf: stateURL)) } catch {
            throw TrainingError.checkpoint("cannot read \(stateURL.path): \(error)", hint: "the directory is not a complete training checkpoint")
        }
        let saved: GPT
        do { saved = try GPT.load(from: dir.appendingPathComponent("model.safetensors")) } catch {
            throw TrainingError.checkpoint("\(error)", hint: "model.safetensors is damaged")
        }
        guard saved.config == model.config else {
            throw TrainingError.checkpoint("the checkpoint's model config differs from this run's", hint: "resume with the same model config")
        }
        for ((_, dst), (_, src)) in zip(model.namedParameters, saved.namedParameters) { dst.copyValues(from: src) }
        let optTensors: [String: SafeTensors.Entry]
        do { optTensors = try SafeTensors.read(dir.appendingPathComponent("optimizer.safetensors")).tensors } catch {
            throw TrainingError.checkpoint("\(error)", hint: "optimizer.safetensors is damaged")
        }
        try optimizer.loadState(optTensors.mapValues { Tensor($0.values, shape: $0.shape) }, step: state.optimizerStep)
        try data.restore(state.data)
        if let e = state.evalData, let evalData { try evalData.restore(e) }
        dropoutRNG = state.dropoutRNG
        step = state.step
    }
}

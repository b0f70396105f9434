import Foundation
import Tensor

extension GPT {
    /// Saves the parameters as F32 safetensors with nanoGPT's names (`lm_head.weight` written too, equal to
    /// `transformer.wte.weight`, so `GPT.load_state_dict(safetensors.torch.load_file(path))` works in
    /// PyTorch) and the config as JSON under `__metadata__["config"]`.
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        var meta = metadata
        meta["config"] = config.json()
        meta["format"] = "pt"
        var entries = namedParameters.map { ($0.name, $0.tensor.shape, UnsafeBufferPointer(start: $0.tensor.data, count: $0.tensor.count)) }
        entries.append(("lm_head.weight", wte.shape, UnsafeBufferPointer(start: wte.data, count: wte.count)))
        try SafeTensors.write(entries, metadata: meta, to: url)
    }

    /// Loads a model saved by `save` or exported from nanoGPT (see scripts/nanogpt_export.py): the config
    /// comes from `__metadata__["config"]`, every parameter must be present with the right shape, and a
    /// stored `lm_head.weight` must equal `transformer.wte.weight` (the heads are tied).
    public static func load(from url: URL) throws -> GPT {
        let tensors: [String: SafeTensors.Entry], metadata: [String: String]
        do { (tensors, metadata) = try SafeTensors.read(url) } catch let e as SafeTensorsError {
            throw ModelError.checkpoint(e.message, hint: e.hint)
        }
        return try fromSafeTensors(tensors, metadata: metadata, name: url.lastPathComponent)
    }

    /// Builds a model from parsed safetensors content (see `load`).
    public static func fromSafeTensors(_ tensors: [String: SafeTensors.Entry], metadata: [String: String], name: String) throws -> GPT {
        guard let configJSON = metadata["config"] else {
            throw ModelError.checkpoint("\(name) has no \"config\" in its __metadata__", hint: "save the model config as JSON (nanoGPT GPTConfig field names) under __metadata__[\"config\"]")
        }
        let config: GPTConfig
        do { config = try JSONDecoder().decode(GPTConfig.self, from: Data(configJSON.utf8)) } catch {
            throw ModelError.checkpoint("\(name): the config is not valid JSON for GPTConfig: \(error)", hint: "required keys: block_size, vocab_size, n_layer, n_head, n_embd")
        }
        try config.validate()
        let expected = Set(GPT.parameterShapes(config).map(\.0))
        var params: [String: Tensor] = [:]
        for (key, entry) in tensors {
            if expected.contains(key) {
                params[key] = Tensor(entry.values, shape: entry.shape)
            } else if key == "lm_head.weight" {
                continue
            } else if key.hasSuffix(".attn.bias") && entry.shape.count == 4 {
                continue   // nanoGPT's causal-mask buffer (present when PyTorch lacks flash attention)
            } else {
                throw ModelError.checkpoint("\(name) has an unexpected tensor \(key)", hint: "it does not belong to a model with this config")
            }
        }
        if let head = tensors["lm_head.weight"], let wte = tensors["transformer.wte.weight"], head != wte {
            throw ModelError.checkpoint("\(name): lm_head.weight differs from transformer.wte.weight", hint: "this engine ties the output head to the token embedding, as nanoGPT")
        }
        return try GPT(config: config, parameters: params)
    }
}

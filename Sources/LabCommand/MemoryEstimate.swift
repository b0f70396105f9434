import Foundation
import Models

/// What a model config needs in memory, estimated from its shape alone (nothing is allocated), so that a
/// config that cannot fit is refused with numbers instead of ending in an allocation failure or the
/// kernel's out-of-memory killer. Counted in Double, so no product can wrap.
enum MemoryEstimate {
    /// Parameters of `c`, as the GPT counts them (tied lm_head once).
    static func parameters(_ c: GPTConfig) -> Double {
        let C = Double(c.nEmbd), V = Double(c.vocabSize), T = Double(c.blockSize), L = Double(c.nLayer)
        let b = c.bias ? 1.0 : 0.0
        let ln = C + b * C
        var block = ln                                  // ln_1
        block += 3 * C * C + b * 3 * C                  // attn.c_attn
        block += C * C + b * C                          // attn.c_proj
        if !c.isParallel { block += ln }                // ln_2
        block += 4 * C * C + b * 4 * C                  // mlp.c_fc
        block += 4 * C * C + b * C                      // mlp.c_proj
        return V * C + (c.usesRotary ? 0 : T * C) + L * block + ln
    }

    /// Refuses a config whose fp32 weights (twice: the model and the checkpoint buffer written from it)
    /// exceed the machine's physical memory.
    static func checkInit(_ c: GPTConfig, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) throws {
        let bytes = parameters(c) * 4 * 2
        if bytes > Double(physicalMemory) {
            throw EstimateError(message: String(format: "this config has %.3g parameters and needs about %.3g GB to initialise and save, more than this machine's %.3g GB of memory",
                                                parameters(c), bytes / 1e9, Double(physicalMemory) / 1e9))
        }
    }

    struct EstimateError: Error, CustomStringConvertible {
        var message: String
        var description: String { message + " (use a smaller block_size, n_embd, n_layer or vocab_size)" }
    }
}

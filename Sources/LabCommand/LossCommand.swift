import ArgumentParser
import Foundation
import Models
import Tensor
import Text

/// `lab loss CHECKPOINT TOKENS.bin`: mean next-token cross-entropy of a checkpoint on a token file.
struct LossCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loss",
        abstract: "Mean next-token cross-entropy of a checkpoint on a uint16 token file, as JSON.",
        discussion: """
        TOKENS.bin holds little-endian uint16 ids (nanoGPT's format). It is cut into consecutive windows of \
        block_size + 1 tokens (the remainder is dropped); every window predicts its last block_size tokens. \
        Prints {"loss": L, "tokens": N}, L the mean over all N predicted positions. Compare with PyTorch: \
        scripts/check_torch.py loss CHECKPOINT TOKENS.bin.
        """
    )

    @Argument(help: "A safetensors checkpoint (nanoGPT parameter names, config in __metadata__).")
    var checkpoint: String

    @Argument(help: "A token file of little-endian uint16 ids.")
    var tokens: String

    @Option(name: .long, help: "Windows per forward pass.")
    var batch: Int = 8

    @Option(name: .long, help: "Worker threads (default: all CPUs).")
    var threads: Int?

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        if let threads { Parallel.threads = max(1, threads) }
        // Errors (a malformed checkpoint, an id outside the vocabulary, a truncated file) say what is wrong
        // and how to fix it; ArgumentParser prints them and exits with status 1.
        let model = try GPT.load(from: URL(fileURLWithPath: checkpoint))
        let ids = try TokenFile.read(URL(fileURLWithPath: tokens))
        let result = try evaluateLoss(model, ids: ids, batch: batch)
        guard result.loss.isFinite else {
            // JSON has no NaN or Inf: print null (still JSON), say why, and fail.
            print("{\"loss\": null, \"tokens\": \(result.tokens)}")
            throw ValidationError("the loss is not finite (\(result.loss)): the checkpoint's weights hold NaN or Inf")
        }
        print("{\"loss\": \(result.loss), \"tokens\": \(result.tokens)}")
    }
}

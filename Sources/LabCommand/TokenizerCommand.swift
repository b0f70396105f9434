import ArgumentParser
import Foundation
import Text

/// `lab tokenizer`: train a byte-level BPE tokenizer, and encode files into nanoGPT token files.
struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Train a byte-level BPE tokenizer or encode text into uint16 token files.",
        subcommands: [Train.self, Encode.self]
    )

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Learn BPE merges from text files; prints the time it took.")
        @Option(help: "Vocabulary size (256 bytes + merges + special tokens).") var vocab: Int = 4096
        @Option(help: "Output tokenizer file (JSON).") var out: String
        @Option(help: "Stop reading input after this many bytes (0: no limit).") var maxBytes: Int = 0
        @Argument(help: "Text files to learn from.") var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one input file") }
            if vocab > 65_536 { throw ValidationError("--vocab above 65,536 does not fit uint16 token files") }
        }

        func run() throws {
            var corpus: [UInt8] = []
            for f in files {
                guard let d = FileManager.default.contents(atPath: f) else { throw ValidationError("cannot read \(f)") }
                corpus += d
                if maxBytes > 0 && corpus.count >= maxBytes { corpus = Array(corpus.prefix(maxBytes)); break }
            }
            let t0 = Date()
            let tok: BPETokenizer
            do {
                tok = try BPETrainer.train(corpus: corpus, vocabSize: vocab) { done, total in
                    FileHandle.standardError.write(Data("\rmerges \(done)/\(total)".utf8))
                }
            } catch let e as TextError { throw ValidationError("\(e)") }
            FileHandle.standardError.write(Data("\n".utf8))
            let dt = Date().timeIntervalSince(t0)
            try tok.save(to: URL(fileURLWithPath: out))
            print(String(format: "trained %d merges on %.1f MB in %.1f s; wrote %@", tok.merges.count, Double(corpus.count) / 1e6, dt, out))
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Encode text files into one token file (little-endian uint16), separated by <|endoftext|>.")
        @Option(help: "Tokenizer file from `lab tokenizer train`.") var tokenizer: String
        @Option(help: "Output token file (.bin).") var out: String
        @Argument(help: "Text files to encode.") var files: [String]

        func run() throws {
            let tok: BPETokenizer
            do { tok = try BPETokenizer.load(from: URL(fileURLWithPath: tokenizer)) } catch { throw ValidationError("\(error)") }
            guard tok.vocabSize <= 65_536 else { throw ValidationError("vocabulary of \(tok.vocabSize) does not fit uint16") }
            var ids: [UInt16] = []
            for f in files {
                guard let d = FileManager.default.contents(atPath: f) else { throw ValidationError("cannot read \(f)") }
                ids += tok.encode(bytes: Array(d)).map { UInt16($0) }
                if let eot = tok.specialTokens["<|endoftext|>"] { ids.append(UInt16(eot)) }
            }
            try TokenFile.write(ids, to: URL(fileURLWithPath: out))
            print("wrote \(ids.count) tokens to \(out)")
        }
    }
}

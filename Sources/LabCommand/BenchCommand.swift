import ArgumentParser
import Foundation
import Lab
import Ledger
import Models
import Tensor
import Training

/// `lab bench`: training and inference throughput of the four reference configurations.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training and inference tokens/s, GFLOP/s and peak memory.",
        discussion: """
        Configurations are those of ../shared/bench/torch_gpt.py (A: d64 L2 H2 ctx128 B32; B: d128 L4 H4 \
        ctx128 B32; C: d256 L6 H8 ctx256 B16; D: d384 L6 H6 ctx256 B16 vocab 4096). Each configuration runs \
        in its own process, so that its peak memory is its own. Run PyTorch's reference in the same sitting \
        with the same --threads and compare ratios.
        """
    )

    @Option(name: .long, help: "Configurations to run: any of A, B, C, D, comma-separated.")
    var config: String = "A,B,C,D"

    @Option(name: .long, help: "Worker threads (default: all CPUs).")
    var threads: Int?

    @Option(name: .long, help: "Timed steps per repetition.")
    var steps: Int = 30

    @Option(name: .long, help: "Untimed warm-up steps.")
    var warmup: Int = 5

    @Option(name: .long, help: "Repetitions (the median is reported).")
    var reps: Int = 3

    @Flag(name: .long, help: "Print one JSON object per configuration instead of a table.")
    var json = false

    @Flag(name: .long, help: "Benchmark the ledger instead: sustained metric rows/s into a real SQLite ledger.")
    var ledger = false

    @Option(name: .long, help: "Metric rows for --ledger.")
    var rows: Int = 1_000_000

    @Option(name: .long, help: "Ledger file for --ledger (default: a temporary file, removed afterwards).")
    var db: String?

    func validate() throws {
        let known = Set(Benchmark.configurations.map(\.name))
        for c in names where !known.contains(c) { throw ValidationError("unknown configuration '\(c)'; choose from A, B, C, D") }
        if rows < 1 { throw ValidationError("--rows must be at least 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if steps < 1 || reps < 1 || warmup < 0 { throw ValidationError("--steps and --reps must be positive, --warmup not negative") }
    }

    var names: [String] { config.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() } }

    func run() throws {
        if let threads { Parallel.threads = threads }
        if ledger { return try runLedger() }
        var results: [BenchmarkResult] = []
        if names.count == 1 {
            let c = Benchmark.configurations.first { $0.name == names[0] }!
            let r = try Benchmark.run(name: c.name, config: c.config, batch: c.batch, steps: steps, warmup: warmup, reps: reps) { line in
                if !json { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            results.append(r)
        } else {
            for name in names {
                results.append(try runChild(name))
            }
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            for r in results { print(String(decoding: try enc.encode(r), as: UTF8.self)) }
        } else {
            printTable(results)
        }
    }

    func runLedger() throws {
        let path = db ?? NSTemporaryDirectory() + "lab-ledger-bench-\(UUID().uuidString).sqlite"
        defer { if db == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }
        let r = try LedgerBenchmark.run(try Ledger(path: path), rows: rows, engine: .current)
        if json { print(try Format.json(r)) } else {
            print(String(format: "ledger: %d metric rows in a real SQLite file: %.0f rows/s sustained (logged to committed); %.0f ns per log call on the training thread",
                         r.rows, r.rowsPerS, r.logCallNs))
        }
    }

    /// Runs one configuration in a child process of this executable and reads its JSON line.
    func runChild(_ name: String) throws -> BenchmarkResult {
        FileHandle.standardError.write(Data("config \(name) ...\n".utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        var args = ["bench", "--config", name, "--json", "--steps", "\(steps)", "--warmup", "\(warmup)", "--reps", "\(reps)"]
        if let threads { args += ["--threads", "\(threads)"] }
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("benchmark of \(name) failed (exit \(p.terminationStatus))") }
        return try JSONDecoder().decode(BenchmarkResult.self, from: data)
    }

    func printTable(_ results: [BenchmarkResult]) {
        guard let first = results.first else { return }
        print("BLAS core \(first.blasCore), kernels \(first.kernelISA), \(first.threads) threads; sgemm \(String(format: "%.0f", first.sgemmGflops)) GFLOP/s")
        print("config  params   train tok/s  train GFLOP/s  ms/step  infer tok/s  peak RSS")
        for r in results {
            print(String(format: "%-6@  %6.2fM  %11.0f  %13.1f  %7.1f  %11.0f  %6.0f MiB", r.config as NSString, Double(r.params) / 1e6,
                         r.trainTokensPerS, r.gflops, r.msPerStep, r.inferTokensPerS, Double(r.peakRSSBytes) / 1_048_576))
        }
    }
}

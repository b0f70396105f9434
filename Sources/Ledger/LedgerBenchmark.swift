import Foundation

/// Sustained metric throughput: `rows` points logged through a real run into a real ledger file.
public struct LedgerBenchmarkResult: Codable, Sendable {
    public var rows: Int
    /// Rows per second from the first `log` call until every row is committed (the run finished).
    public var rowsPerS: Double
    /// Mean cost of one `log` call on the caller's thread (the training loop's share), nanoseconds.
    public var logCallNs: Double
    public var runID: String

    enum CodingKeys: String, CodingKey {
        case rows, rowsPerS = "metric_rows_per_s", logCallNs = "log_call_ns", runID = "run_id"
    }
}

public enum LedgerBenchmark {
    /// Logs `rows` points (4 keys, consecutive steps) into a new run of `ledger`, then finishes it.
    /// `engine` is recorded in the run's environment, as for any run.
    public static func run(_ ledger: Ledger, rows: Int, engine: RunEnvironment.Engine, experiment: String = "ledger-bench",
                           cell: String = "bench") throws -> LedgerBenchmarkResult {
        struct Config: Codable { var rows: Int }
        let spec = try Ledger.RunSpec(experiment: experiment, cell: cell, seed: 0, config: Config(rows: rows), engine: engine)
        let run = try ledger.startRun(spec, warn: { _ in })
        let keys: [MetricKey] = [.trainLoss, .learningRate, .gradNorm, .tokensPerSecond]
        let t0 = DispatchTime.now().uptimeNanoseconds
        for i in 0..<rows { run.log(keys[i % 4], step: i / 4, Double(i) * 0.5) }
        let t1 = DispatchTime.now().uptimeNanoseconds
        try run.finish(summary: ["rows": Double(rows)])
        let t2 = DispatchTime.now().uptimeNanoseconds
        return LedgerBenchmarkResult(rows: rows, rowsPerS: Double(rows) / (Double(t2 - t0) / 1e9),
                                     logCallNs: Double(t1 - t0) / Double(max(rows, 1)), runID: run.id)
    }
}

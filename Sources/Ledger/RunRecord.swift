import Foundation

/// A run's status. `crashed` is never stored: it is how a `running` run reads once its process is gone
/// (same host and the pid is dead, or no heartbeat for `Ledger.heartbeatTimeout`).
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running, finished, failed, crashed
}

/// One run, as stored and as exported (the JSON Lines record, with metrics, artifacts and the patch).
public struct RunRecord: Codable, Equatable, Sendable {
    public var id: String
    public var experiment: String
    /// A stable key of the grid cell (e.g. "tasks=64,size=B").
    public var cell: String
    public var seed: Int64
    public var parentID: String?
    /// The resolved, typed config as canonical JSON.
    public var config: JSONValue
    /// What the user overrode on the command line, as given.
    public var overrides: [String: String]
    public var status: RunStatus
    public var error: String?
    public var startedAt: Double
    public var endedAt: Double?
    public var heartbeatAt: Double?
    public var host: String
    public var pid: Int32
    public var code: CodeState
    public var environment: RunEnvironment
    /// Final summaries (e.g. "eval_loss", "heldout_em").
    public var summary: [String: Double]
    /// How to run this cell again, if the experiment said (absent in records from before migration 002).
    public var rerun: RerunSpec?

    enum CodingKeys: String, CodingKey {
        case id, experiment, cell, seed, parentID = "parent_id", config, overrides, status, error
        case startedAt = "started_at", endedAt = "ended_at", heartbeatAt = "heartbeat_at", host, pid, code
        case environment, summary, rerun
    }

    /// Wall time from start to end (or to now for a running run), seconds.
    public var duration: Double? { (endedAt ?? heartbeatAt).map { $0 - startedAt } }
}

/// How to run one cell again from a checkout of the run's commit: what `lab reproduce` executes, and how
/// closely each final metric must match.
public struct RerunSpec: Codable, Equatable, Sendable {
    /// The command line, run from the repository root (e.g. `["swift", "run", "exp-task-scaling", "--only", ...]`).
    /// `lab reproduce` adds `LAB_DB` and `LAB_PARENT_RUN` to its environment; the experiment records its
    /// run with that parent.
    public var command: [String]
    /// Absolute tolerance per final metric; a metric not listed must be bit-identical.
    public var tolerances: [String: Double]
    /// Final metrics that are not expected to reproduce (wall time, throughput); reported, not compared.
    public var ignored: [String]

    public init(command: [String], tolerances: [String: Double] = [:], ignored: [String] = []) {
        self.command = command; self.tolerances = tolerances; self.ignored = ignored
    }
}

extension RerunSpec {
    /// The run a reproduction names as its parent: `LAB_PARENT_RUN`, set by `lab reproduce`.
    public static var reproductionParent: String? {
        ProcessInfo.processInfo.environment["LAB_PARENT_RUN"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// One point of a metric series. A repeated (run, key, step) keeps the last value written.
public struct MetricPoint: Codable, Equatable, Sendable {
    public var key: String
    public var step: Int64
    public var value: Double
    public init(key: String, step: Int64, value: Double) { self.key = key; self.step = step; self.value = value }
}

/// A file a run produced (checkpoint, generated data set), with its size and SHA-256 at logging time.
///
/// From `Ledger.artifacts(_:)` the path is absolute (usable here). In an exported record it is portable:
/// relative to the ledger's directory or to the repository root, as `relativeTo` says, or absolute when
/// the file lay outside both (see `Ledger.portable`). Records exported before this field hold absolute
/// paths and import as they are.
public struct Artifact: Codable, Equatable, Sendable {
    public var path: String
    public var kind: String
    public var size: Int64
    public var sha256: String
    /// What a relative `path` is relative to; nil for an absolute path.
    public var relativeTo: Base?

    /// The directory a relative artifact path starts from.
    public enum Base: String, Codable, Sendable {
        /// The directory holding the ledger file (e.g. `artifacts/<experiment>/<run>/model.safetensors`).
        case ledger
        /// The root of the run's git working tree.
        case repository
    }

    public init(path: String, kind: String, size: Int64, sha256: String, relativeTo: Base? = nil) {
        self.path = path; self.kind = kind; self.size = size; self.sha256 = sha256; self.relativeTo = relativeTo
    }

    enum CodingKeys: String, CodingKey { case path, kind, size, sha256, relativeTo = "relative_to" }
}

/// The JSON Lines unit of `lab export` / `lab import`: a run with everything that belongs to it.
public struct ExportedRun: Codable, Equatable, Sendable {
    public var run: RunRecord
    public var metrics: [MetricPoint]
    public var artifacts: [Artifact]
    /// The uncommitted diff the run was made with (its SHA-256 is `run.code.diffSHA256`).
    public var patch: String?

    public init(run: RunRecord, metrics: [MetricPoint], artifacts: [Artifact], patch: String?) {
        self.run = run; self.metrics = metrics; self.artifacts = artifacts; self.patch = patch
    }
}

/// Metric names used across experiments (typed, so a misspelt key is a compile error).
public struct MetricKey: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public static let trainLoss: MetricKey = "train_loss"
    public static let evalLoss: MetricKey = "eval_loss"
    public static let learningRate: MetricKey = "lr"
    public static let gradNorm: MetricKey = "grad_norm"
    public static let tokensPerSecond: MetricKey = "tokens_per_s"
}

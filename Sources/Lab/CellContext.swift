import Foundation
import Ledger
import Models

/// What a cell's body gets: its run in the ledger, its parents by role, a directory for its artifacts,
/// and progress reporting.
public final class CellContext {
    public let run: RunHandle
    public let cell: GridCell
    public let grid: GridName
    /// `<ledger directory>/artifacts/<experiment>/<run id>`, created.
    public let directory: URL
    let parents: [ParentRole: RunRecord]
    let ledger: Ledger
    let report: (Int, Int, String) -> Void

    init(run: RunHandle, ledger: Ledger, cell: GridCell, grid: GridName, parents: [ParentRole: RunRecord], directory: URL,
         report: @escaping (Int, Int, String) -> Void) {
        self.run = run; self.ledger = ledger; self.cell = cell; self.grid = grid; self.parents = parents; self.directory = directory
        self.report = report
    }

    public var seed: Int { cell.seed }

    /// Reports progress inside the cell (printed at most every few seconds, with the cell's and the grid's ETA).
    public func progress(step: Int, of total: Int, _ message: String) { report(step, total, message) }

    /// The finished run that plays `role` for this cell.
    public func parent(_ role: ParentRole) throws -> ParentRun {
        guard let r = parents[role] else {
            throw LabError.cell("cell \(cell.key) has no \(role) parent", hint: "name it in `plan.add(..., parents: [.\(role): key])`")
        }
        return ParentRun(record: r, ledger: ledger)
    }

    /// Saves `model` as this run's checkpoint artifact (what a child cell's `parent(.base).model()` loads).
    @discardableResult
    public func saveCheckpoint(_ model: GPT) throws -> URL {
        let path = directory.appendingPathComponent("model.safetensors")
        try model.save(to: path)
        try run.addArtifact(path: path.path, kind: "checkpoint")
        return path
    }
}

/// A parent cell's finished run: its final metrics and its artifacts, checked by hash before use.
public struct ParentRun {
    public let record: RunRecord
    let ledger: Ledger

    /// The parent's final metrics.
    public var summary: [String: Double] { record.summary }

    /// One of the parent's final metrics; throws, naming what the parent reports, when it has no such key
    /// (a renamed metric must not turn silently into a missing value).
    public func metric(_ key: String) throws -> Double {
        guard let v = record.summary[key] else {
            throw LabError.cell("the parent run \(record.id.prefix(8)) (\(record.cell)) reports no '\(key)'",
                                hint: "it reports: \(record.summary.keys.sorted().joined(separator: ", "))")
        }
        return v
    }

    /// The path of the parent's artifact of `kind`, after checking that it still has its recorded SHA-256.
    public func artifact(_ kind: String) throws -> URL {
        let r = record
        guard let a = try ledger.artifacts(r.id).first(where: { $0.kind == kind }) else {
            throw LabError.cell("run \(r.id.prefix(8)) (\(r.cell)) has no \(kind) artifact", hint: "rerun it with --force --only '\(r.cell)'")
        }
        guard FileManager.default.fileExists(atPath: a.path) else {
            throw LabError.cell("the \(kind) of run \(r.id.prefix(8)) (\(r.cell)) is gone: \(a.path)", hint: "rerun that cell with --force --only '\(r.cell)'")
        }
        guard SHA256.file(a.path)?.hash == a.sha256 else {
            throw LabError.cell("the \(kind) of run \(r.id.prefix(8)) changed since it was recorded: \(a.path)", hint: "rerun that cell with --force --only '\(r.cell)'")
        }
        return URL(fileURLWithPath: a.path)
    }

    /// The parent's checkpoint, loaded.
    public func model() throws -> GPT { try GPT.load(from: try artifact("checkpoint")) }
}

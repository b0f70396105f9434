import Foundation
import Ledger

/// `lab reproduce RUN`: checks out the run's commit into a temporary git worktree, applies its stored
/// uncommitted diff, runs its recorded command there (which builds that revision, e.g. `swift run ...`)
/// with `LAB_DB` set to this ledger and `LAB_PARENT_RUN` to the run, then compares every final metric of
/// the new run with the original's.
public enum Reproduce {
    public struct Comparison: Sendable {
        public var key: String
        public var original: Double?
        public var reproduced: Double?
        /// 0 means bit-identical; nil means not compared (declared non-deterministic).
        public var tolerance: Double?
        public var ok: Bool
    }

    public struct Outcome: Sendable {
        public var original: RunRecord
        public var reproduction: RunRecord
        public var comparisons: [Comparison]
        public var passed: Bool { comparisons.allSatisfy(\.ok) }
        public var exact: Bool { comparisons.allSatisfy { !$0.ok || $0.tolerance == nil || $0.original?.bitPattern == $0.reproduced?.bitPattern } }
        public var verdict: String {
            if !passed { return "NOT reproduced: \(comparisons.filter { !$0.ok }.map(\.key).joined(separator: ", ")) differ" }
            return exact ? "reproduced exactly (every compared metric bit-identical)" : "reproduced within the declared tolerances"
        }
    }

    /// Compares final metrics as the original run's rerun spec declares.
    public static func compare(_ a: RunRecord, _ b: RunRecord) -> [Comparison] {
        let spec = a.rerun ?? RerunSpec(command: [])
        return Set(a.summary.keys).union(b.summary.keys).sorted().map { key in
            let x = a.summary[key], y = b.summary[key]
            if spec.ignored.contains(key) { return Comparison(key: key, original: x, reproduced: y, tolerance: nil, ok: true) }
            let tol = spec.tolerances[key] ?? 0
            var ok = false
            if let x, let y {
                ok = tol == 0 ? x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN) : abs(x - y) <= tol
            }
            return Comparison(key: key, original: x, reproduced: y, tolerance: tol, ok: ok)
        }
    }

    /// Runs `command` in `directory` with `extraEnv`, streaming its output; returns the exit status.
    static func execute(_ command: [String], in directory: String, extraEnv: [String: String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.environment = ProcessInfo.processInfo.environment.merging(extraEnv) { $1 }
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func git(_ args: [String], in dir: String) throws {
        let status = try execute(["git", "-C", dir] + args, in: dir, extraEnv: [:])
        if status != 0 { throw ReportError.input("git \(args.joined(separator: " ")) failed (exit \(status))", hint: "is git installed and the commit present?") }
    }

    /// Reproduces run `id`. `root` is the repository the worktree is made from; `keep` leaves the worktree.
    public static func run(_ id: String, ledger: Ledger, root: String, keep: Bool = false, say: (String) -> Void) throws -> Outcome {
        let original = try ledger.run(id)
        guard original.status == .finished else {
            throw ReportError.input("run \(original.id.prefix(8)) is \(original.status.rawValue)", hint: "only a finished run can be reproduced")
        }
        guard let rerun = original.rerun, !rerun.command.isEmpty else {
            throw ReportError.input("run \(original.id.prefix(8)) did not record how to run it again", hint: "it predates rerun records or its experiment does not declare one")
        }
        guard let commit = original.code.commit else {
            throw ReportError.input("run \(original.id.prefix(8)) was made outside a git repository", hint: "there is no commit to check out")
        }
        let history = try GitHistory(at: root)
        guard history.commitExists(commit) else {
            throw ReportError.input("commit \(commit.prefix(12)) of run \(original.id.prefix(8)) is not in \(root)", hint: "fetch it, or reproduce from the clone that made it")
        }
        if !original.code.untracked.isEmpty {
            say("warning: the run had \(original.code.untracked.count) untracked files (e.g. \(original.code.untracked[0].path)); their contents were not stored, so the worktree lacks them")
        }
        let base = NSTemporaryDirectory() + "lab-reproduce-\(original.id.prefix(8))-\(getpid())"
        let worktree = base + "/worktree"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        say("checking out \(commit.prefix(12)) into \(worktree)")
        try git(["worktree", "add", "--detach", worktree, commit], in: root)
        defer {
            if keep { say("worktree kept at \(worktree)") } else {
                try? git(["worktree", "remove", "--force", worktree], in: root)
                try? FileManager.default.removeItem(atPath: base)
            }
        }
        if let sha = original.code.diffSHA256 {
            guard let patch = try ledger.patch(sha) else {
                throw ReportError.input("the run's uncommitted diff \(sha.prefix(12)) is not in the ledger", hint: "import its records with the patch")
            }
            let patchFile = base + "/run.patch"
            try Data(patch.utf8).write(to: URL(fileURLWithPath: patchFile))
            say("applying the run's uncommitted diff (\(patch.utf8.count) bytes)")
            try git(["apply", "--whitespace=nowarn", patchFile], in: worktree)
        }
        let started = Date().timeIntervalSince1970
        say("running: \(rerun.command.joined(separator: " "))")
        // The child runs in the worktree: a relative ledger path would name a file inside it (and vanish with it).
        let ledgerPath = URL(fileURLWithPath: ledger.path).standardizedFileURL.path
        let status = try execute(rerun.command, in: worktree, extraEnv: ["LAB_DB": ledgerPath, "LAB_PARENT_RUN": original.id])
        guard status == 0 else {
            throw ReportError.input("the reproduction command exited with status \(status)", hint: "rerun with --keep to inspect the worktree")
        }
        guard let child = try ledger.runs(Ledger.Filter(parentID: original.id)).filter({ $0.startedAt >= started - 1 }).last else {
            throw ReportError.input("the command finished but recorded no run with parent \(original.id.prefix(8))", hint: "does the experiment honour LAB_PARENT_RUN?")
        }
        guard child.status == .finished else {
            throw ReportError.input("the reproduction run \(child.id.prefix(8)) is \(child.status.rawValue)\(child.error.map { ": \($0)" } ?? "")", hint: "see `lab show \(child.id.prefix(8))`")
        }
        return Outcome(original: original, reproduction: child, comparisons: compare(original, child))
    }
}

import Foundation

/// Where artifact paths are anchored, so that a run record reads the same on every clone and machine.
///
/// Stored and exported, an artifact's path is relative to the ledger's directory when the file is
/// inside it (checkpoints under `<ledger dir>/artifacts/...`, `relative_to: "ledger"`), else relative
/// to the run's repository root when inside it (`relative_to: "repository"`), else absolute (no
/// `relative_to`: a file outside both is a machine path, and the record says so by being absolute).
/// `Ledger.artifacts(_:)` resolves them back to absolute paths against this ledger's directory and the
/// run's repository root (for an imported run, which carries no root: the repository holding this
/// ledger, else the one holding the current directory).
extension Ledger {
    /// The absolute, standardised directory of `path` (relative paths are taken from the current directory).
    static func absoluteDirectory(of path: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
    }

    /// `path` made absolute (against the current directory) and standardised.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// `path` relative to `base` when it lies strictly inside it (also comparing with symlinks resolved).
    static func relative(_ path: String, inside base: String) -> String? {
        func strip(_ p: String, _ b: String) -> String? {
            let b = b.hasSuffix("/") ? b : b + "/"
            return p.hasPrefix(b) && p.count > b.count ? String(p.dropFirst(b.count)) : nil
        }
        if let r = strip(path, base) { return r }
        let rp = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let rb = URL(fileURLWithPath: base).resolvingSymlinksInPath().path
        return strip(rp, rb)
    }

    /// The repository root relative artifacts of a run are anchored at: the run's own root when it has
    /// one (runs made here), else the repository holding this ledger, else the one holding the current
    /// directory. Without a trailing slash; nil when there is none.
    func repositoryRoot(runRoot: String?) -> String? {
        let root = runRoot ?? ledgerRepositoryRoot ?? GitRepository.open(containing: FileManager.default.currentDirectoryPath)?.workdir
        return root.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
    }

    /// The portable form of `artifact` (see the type's comment) for a run whose repository root is `runRoot`.
    /// An artifact already relative is returned as it is; an absolute one is made relative when it can be.
    func portable(_ artifact: Artifact, runRoot: String?) -> Artifact {
        guard artifact.relativeTo == nil, artifact.path.hasPrefix("/") else { return artifact }
        var out = artifact
        let path = Ledger.absolute(artifact.path)
        out.path = path
        if let r = Ledger.relative(path, inside: directory) {
            out.path = r; out.relativeTo = .ledger
        } else if let root = repositoryRoot(runRoot: runRoot), let r = Ledger.relative(path, inside: root) {
            out.path = r; out.relativeTo = .repository
        }
        return out
    }

    /// `artifact` with an absolute path, resolved against this ledger's directory or the run's repository
    /// root. A repository-relative path with no repository to resolve against is returned relative.
    func resolved(_ artifact: Artifact, runRoot: String?) -> Artifact {
        var out = artifact
        switch artifact.relativeTo {
        case .ledger?:
            out.path = directory + "/" + artifact.path
        case .repository?:
            guard let root = repositoryRoot(runRoot: runRoot) else { return artifact }
            out.path = root + "/" + artifact.path
        case nil:
            return artifact
        }
        out.relativeTo = nil
        return out
    }
}

import Foundation

/// The exact code a run executed, read through libgit2 (never by shelling out to git): HEAD commit,
/// branch (or detached), the origin remote without credentials, whether the tree is dirty, the
/// uncommitted diff against HEAD (staged and unstaged together) and every untracked file that is not
/// ignored, with its SHA-256. Outside a repository, `isRepository` is false and everything else empty.
public struct CodeState: Codable, Equatable, Sendable {
    public var isRepository: Bool
    /// Working-tree root on the machine that made the run (with a trailing slash). A machine path: runs
    /// read from this ledger have it, exported records (`Ledger.exportRun`) and imported runs do not (nil);
    /// nothing that reads a record depends on it.
    public var root: String?
    public var commit: String?
    /// Branch name, or nil when HEAD is detached (or unborn).
    public var branch: String?
    public var detached: Bool
    public var remoteURL: String?
    public var dirty: Bool
    /// SHA-256 of the patch text (the patch itself is stored content-addressed in the ledger's blobs).
    public var diffSHA256: String?
    public var diffBytes: Int
    public var untracked: [UntrackedFile]

    public struct UntrackedFile: Codable, Equatable, Sendable {
        public var path: String
        public var sha256: String
        public var size: Int
    }

    public static let none = CodeState(isRepository: false, root: nil, commit: nil, branch: nil, detached: false, remoteURL: nil,
                                       dirty: false, diffSHA256: nil, diffBytes: 0, untracked: [])

    /// Short commit with a dirty mark, e.g. "3f2a1bc*".
    public var shortCommit: String {
        guard let c = commit else { return isRepository ? "(no commit)" : "(no git)" }
        return String(c.prefix(8)) + (dirty ? "*" : "")
    }
}

/// A code state and the patch text it refers to.
public struct CapturedCode: Sendable {
    public var state: CodeState
    public var patch: String?

    /// The code state of the repository containing `directory` now (what a run started there would record).
    public static func current(at directory: String = FileManager.default.currentDirectoryPath) throws -> CapturedCode {
        try Git.capture(at: directory)
    }
}

extension Git {
    /// Reads the code state of the repository containing `path` (searching upwards); `CodeState.none`
    /// outside a repository.
    static func capture(at path: String) throws -> CapturedCode {
        guard let repo = GitRepository.open(containing: path) else { return CapturedCode(state: .none, patch: nil) }
        var state = CodeState.none
        state.isRepository = true
        state.root = repo.workdir

        // HEAD commit and branch.
        let head = try repo.head()
        state.commit = head.commit
        state.branch = head.branch
        state.detached = head.detached

        // Remote URL, credentials stripped.
        state.remoteURL = repo.remoteURL("origin").map(stripCredentials)

        // Untracked, not ignored files (with hashes).
        let entries = try repo.status()
        for e in entries where e.untracked {
            if let (hash, size) = SHA256.file((state.root ?? "") + e.path) {
                state.untracked.append(.init(path: e.path, sha256: hash, size: size))
            }
        }
        state.untracked.sort { $0.path < $1.path }

        // The diff of index and working tree against HEAD's tree, as one patch.
        var patch: String?
        if entries.contains(where: \.trackedChange) { patch = try repo.patchAgainst(commit: state.commit) }
        if let patch, !patch.isEmpty {
            state.dirty = true
            state.diffSHA256 = SHA256.hex(Array(patch.utf8))
            state.diffBytes = patch.utf8.count
        }
        if !state.untracked.isEmpty { state.dirty = true }
        return CapturedCode(state: state, patch: patch)
    }
}

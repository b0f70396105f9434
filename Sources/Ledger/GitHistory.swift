import Foundation

/// Questions about a repository's history that the audit asks of a run's commit, through libgit2:
/// does the commit exist here, is it an ancestor of HEAD, and which files under given paths differ
/// between it and HEAD.
public final class GitHistory {
    let repo: GitRepository
    /// The working directory (with a trailing slash), or nil for a bare repository.
    public var root: String? { repo.workdir }

    /// Opens the repository containing `path` (searching upwards).
    public init(at path: String) throws {
        guard let r = GitRepository.open(containing: path) else {
            throw LedgerError.git("\(path) is not inside a git repository\(Git.lastError.map { " (\($0))" } ?? "")",
                                  hint: "run from a clone of the project")
        }
        repo = r
    }

    /// The full id of HEAD's commit, or nil on an unborn branch.
    public func head() -> String? { repo.headID() }

    /// Whether `commit` (a full 40-hex id) is a commit object in this repository.
    public func commitExists(_ commit: String) -> Bool { repo.commitExists(commit) }

    /// Whether `commit` is HEAD or one of its ancestors.
    public func isAncestorOfHead(_ commit: String) -> Bool {
        guard let headHex = head(), Git.oid(commit) != nil else { return false }
        if headHex == commit.lowercased() { return true }
        return repo.isDescendant(headHex, of: commit)
    }

    /// Files that differ between the trees of `from` and `to` (commit ids), limited to `paths` (a path
    /// names a file, or a folder with a trailing slash), sorted.
    public func changedFiles(from: String, to: String, paths: [String]) throws -> [String] {
        try repo.changedPaths(from: from, to: to).filter { s in
            paths.contains(where: { $0.hasSuffix("/") ? s.hasPrefix($0) : s == $0 })
        }.sorted()
    }

    /// The contents of the file at `path` (relative to the repository root) as committed in `commit`; nil
    /// when the commit has no such file.
    public func file(at commit: String, path: String) throws -> Data? { try repo.file(at: commit, path: path) }
}

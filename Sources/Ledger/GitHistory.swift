import CGit2
import Foundation

/// Questions about a repository's history that the audit asks of a run's commit, through libgit2:
/// does the commit exist here, is it an ancestor of HEAD, and which files under given paths differ
/// between it and HEAD.
public final class GitHistory {
    let repo: OpaquePointer
    /// The working directory (with a trailing slash), or nil for a bare repository.
    public let root: String?

    /// Opens the repository containing `path` (searching upwards).
    public init(at path: String) throws {
        _ = Git.initialized
        var r: OpaquePointer?
        let rc = git_repository_open_ext(&r, path, 0, nil)
        guard rc == 0, let r else {
            throw LedgerError.git("\(path) is not inside a git repository", hint: "run from a clone of the project")
        }
        repo = r
        root = git_repository_workdir(r).map { String(cString: $0) }
    }

    deinit { git_repository_free(repo) }

    /// The full id of HEAD's commit, or nil on an unborn branch.
    public func head() -> String? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, repo, "HEAD") == 0 else { return nil }
        return withUnsafePointer(to: &oid) { Git.oidString($0) }
    }

    func oid(_ hex: String) -> git_oid? {
        var oid = git_oid()
        guard hex.count == 40, git_oid_fromstr(&oid, hex) == 0 else { return nil }
        return oid
    }

    /// Whether `commit` (a full 40-hex id) is a commit object in this repository.
    public func commitExists(_ commit: String) -> Bool {
        guard var id = oid(commit) else { return false }
        var c: OpaquePointer?
        guard git_commit_lookup(&c, repo, &id) == 0 else { return false }
        git_commit_free(c)
        return true
    }

    /// Whether `commit` is HEAD or one of its ancestors.
    public func isAncestorOfHead(_ commit: String) -> Bool {
        guard let headHex = head(), var h = oid(headHex), var c = oid(commit) else { return false }
        if headHex == commit.lowercased() { return true }
        return git_graph_descendant_of(repo, &h, &c) == 1
    }

    /// Files that differ between the trees of `from` and `to` (commit ids), limited to `paths` (a path
    /// names a file, or a folder with a trailing slash), sorted.
    public func changedFiles(from: String, to: String, paths: [String]) throws -> [String] {
        func tree(_ hex: String) throws -> OpaquePointer {
            guard var id = oid(hex) else { throw LedgerError.git("'\(hex)' is not a full commit id", hint: "use a 40-hex id") }
            var c: OpaquePointer?
            try Git.check(git_commit_lookup(&c, repo, &id), "reading commit \(hex.prefix(8))")
            defer { git_commit_free(c) }
            var t: OpaquePointer?
            try Git.check(git_commit_tree(&t, c), "reading the tree of \(hex.prefix(8))")
            return t!
        }
        let a = try tree(from), b = try tree(to)
        defer { git_tree_free(a); git_tree_free(b) }
        var opts = git_diff_options()
        git_diff_options_init(&opts, UInt32(GIT_DIFF_OPTIONS_VERSION))
        var diff: OpaquePointer?
        try Git.check(git_diff_tree_to_tree(&diff, repo, a, b, &opts), "diffing \(from.prefix(8))..\(to.prefix(8))")
        defer { git_diff_free(diff) }
        var out = Set<String>()
        for i in 0..<git_diff_num_deltas(diff) {
            guard let d = git_diff_get_delta(diff, i)?.pointee else { continue }
            for p in [d.old_file.path, d.new_file.path] {
                guard let p else { continue }
                let s = String(cString: p)
                if paths.contains(where: { $0.hasSuffix("/") ? s.hasPrefix($0) : s == $0 }) { out.insert(s) }
            }
        }
        return out.sorted()
    }
}

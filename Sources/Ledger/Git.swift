import CGit2
import Foundation

/// The one place the ledger calls libgit2: a repository handle that frees itself, error translation
/// from `git_error_last`, and library initialisation. `CodeState` (what a run records) and `GitHistory`
/// (what the audit asks) are written against this file only.
///
/// libgit2 is initialised once per process, on first use, and deliberately never shut down: its
/// shutdown frees global state that a repository open on another thread may still use, and the process
/// exit releases it anyway.
enum Git {
    static let initialized: Bool = { git_libgit2_init(); return true }()

    /// Throws `LedgerError.git` with libgit2's last error message when `rc` is negative.
    static func check(_ rc: Int32, _ what: String) throws {
        guard rc >= 0 else {
            throw LedgerError.git("\(what): \(lastError ?? "error \(rc)")", hint: "is this a valid git repository?")
        }
    }

    /// libgit2's message for the last failed call on this thread, if any.
    static var lastError: String? {
        git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } }
    }

    /// An object id as 40 hex digits.
    static func oidString(_ oid: UnsafePointer<git_oid>) -> String {
        var out = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&out, 41, oid)
        return String(cString: out)
    }

    /// Parses a full 40-hex object id.
    static func oid(_ hex: String) -> git_oid? {
        var oid = git_oid()
        guard hex.count == 40, git_oid_fromstr(&oid, hex) == 0 else { return nil }
        return oid
    }

    /// "https://user:token@host/x.git" -> "https://host/x.git"; scp-style "git@host:x" is kept.
    static func stripCredentials(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<hostEnd].lastIndex(of: "@") else { return url }
        return String(url[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
    }
}

/// An open repository (freed when the last reference goes). Every method is one libgit2 question.
final class GitRepository {
    private let handle: OpaquePointer
    /// The working directory with a trailing slash, or nil for a bare repository.
    let workdir: String?

    private init(_ handle: OpaquePointer) {
        self.handle = handle
        workdir = git_repository_workdir(handle).map { String(cString: $0) }
    }

    deinit { git_repository_free(handle) }

    /// The repository containing `path` (searching upwards), or nil when there is none (or it cannot be
    /// opened: libgit2's message is then `Git.lastError`).
    static func open(containing path: String) -> GitRepository? {
        _ = Git.initialized
        var r: OpaquePointer?
        guard git_repository_open_ext(&r, path, 0, nil) == 0, let r else { return nil }
        return GitRepository(r)
    }

    // MARK: HEAD and references

    /// HEAD's commit id, its branch (nil when detached) and whether it is detached; all nil/false on an
    /// unborn branch or a missing HEAD.
    func head() throws -> (commit: String?, branch: String?, detached: Bool) {
        var ref: OpaquePointer?
        let rc = git_repository_head(&ref, handle)
        guard rc == 0, let ref else {
            if rc != GIT_EUNBORNBRANCH.rawValue && rc != GIT_ENOTFOUND.rawValue { try Git.check(rc, "reading HEAD") }
            return (nil, nil, false)
        }
        defer { git_reference_free(ref) }
        let commit = git_reference_target(ref).map { Git.oidString($0) }
        let detached = git_repository_head_detached(handle) == 1
        let branch = detached ? nil : git_reference_shorthand(ref).map { String(cString: $0) }
        return (commit, branch, detached)
    }

    /// HEAD's commit id, or nil on an unborn branch.
    func headID() -> String? {
        var oid = git_oid()
        guard git_reference_name_to_id(&oid, handle, "HEAD") == 0 else { return nil }
        return withUnsafePointer(to: &oid) { Git.oidString($0) }
    }

    /// The URL of remote `name`, or nil when there is no such remote.
    func remoteURL(_ name: String) -> String? {
        var remote: OpaquePointer?
        guard git_remote_lookup(&remote, handle, name) == 0, let remote else { return nil }
        defer { git_remote_free(remote) }
        return git_remote_url(remote).map { String(cString: $0) }
    }

    // MARK: Commits

    /// Whether `hex` (a full id) names a commit object here.
    func commitExists(_ hex: String) -> Bool {
        guard var id = Git.oid(hex) else { return false }
        var c: OpaquePointer?
        guard git_commit_lookup(&c, handle, &id) == 0 else { return false }
        git_commit_free(c)
        return true
    }

    /// Whether commit `a` descends from commit `b` (both full ids; false when either is unknown).
    func isDescendant(_ a: String, of b: String) -> Bool {
        guard var x = Git.oid(a), var y = Git.oid(b) else { return false }
        return git_graph_descendant_of(handle, &x, &y) == 1
    }

    /// The tree of commit `hex`, freed after `body`.
    private func withTree<T>(of hex: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        guard var id = Git.oid(hex) else { throw LedgerError.git("'\(hex)' is not a full commit id", hint: "use a 40-hex id") }
        var c: OpaquePointer?
        try Git.check(git_commit_lookup(&c, handle, &id), "reading commit \(hex.prefix(8))")
        defer { git_commit_free(c) }
        var t: OpaquePointer?
        try Git.check(git_commit_tree(&t, c), "reading the tree of \(hex.prefix(8))")
        guard let t else { throw LedgerError.git("commit \(hex.prefix(8)) has no tree", hint: "the repository may be damaged") }
        defer { git_tree_free(t) }
        return try body(t)
    }

    /// The bytes of the file at `path` (relative to the root) in commit `hex`'s tree; nil when absent.
    func file(at hex: String, path: String) throws -> Data? {
        try withTree(of: hex) { tree in
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, tree, path) == 0, let entry else { return nil }
            defer { git_tree_entry_free(entry) }
            var blob: OpaquePointer?
            guard git_blob_lookup(&blob, handle, git_tree_entry_id(entry)) == 0, let blob else { return nil }
            defer { git_blob_free(blob) }
            guard let raw = git_blob_rawcontent(blob) else { return Data() }
            return Data(bytes: raw, count: Int(git_blob_rawsize(blob)))
        }
    }

    // MARK: Status and diffs

    /// One entry of the working-tree status.
    struct StatusEntry {
        var path: String
        /// New in the working tree and neither tracked nor ignored.
        var untracked: Bool
        /// A tracked file differs from HEAD (in the index or the working tree).
        var trackedChange: Bool
    }

    /// The status of index and working tree against HEAD, untracked files listed one by one.
    func status() throws -> [StatusEntry] {
        var opts = git_status_options()
        git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION))
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
        var list: OpaquePointer?
        try Git.check(git_status_list_new(&list, handle, &opts), "reading the status")
        defer { git_status_list_free(list) }
        var out: [StatusEntry] = []
        for i in 0..<git_status_list_entrycount(list) {
            guard let e = git_status_byindex(list, i)?.pointee else { continue }
            if e.status.rawValue & GIT_STATUS_WT_NEW.rawValue != 0, let d = e.index_to_workdir, let p = d.pointee.new_file.path {
                out.append(StatusEntry(path: String(cString: p), untracked: true, trackedChange: false))
            } else if e.status.rawValue != GIT_STATUS_CURRENT.rawValue && e.status.rawValue & GIT_STATUS_IGNORED.rawValue == 0 {
                let delta = e.head_to_index ?? e.index_to_workdir
                let path = delta.flatMap { $0.pointee.new_file.path ?? $0.pointee.old_file.path }.map { String(cString: $0) } ?? ""
                out.append(StatusEntry(path: path, untracked: false, trackedChange: true))
            }
        }
        return out
    }

    /// The diff of index and working tree against the tree of `commit` (nil: the empty tree) as one
    /// patch, binary files included; nil when empty.
    func patchAgainst(commit: String?) throws -> String? {
        func diff(_ tree: OpaquePointer?) throws -> String? {
            var diff: OpaquePointer?
            var dopts = git_diff_options()
            git_diff_options_init(&dopts, UInt32(GIT_DIFF_OPTIONS_VERSION))
            dopts.flags = GIT_DIFF_SHOW_BINARY.rawValue
            try Git.check(git_diff_tree_to_workdir_with_index(&diff, handle, tree, &dopts), "diffing against HEAD")
            defer { git_diff_free(diff) }
            var buf = git_buf()
            try Git.check(git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH), "formatting the diff")
            defer { git_buf_dispose(&buf) }
            guard let ptr = buf.ptr, buf.size > 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: ptr, count: buf.size), as: UTF8.self)
        }
        guard let commit else { return try diff(nil) }
        return try withTree(of: commit) { try diff($0) }
    }

    /// Paths (old and new sides) of every file that differs between the trees of commits `from` and `to`.
    func changedPaths(from: String, to: String) throws -> Set<String> {
        try withTree(of: from) { a in
            try withTree(of: to) { b in
                var opts = git_diff_options()
                git_diff_options_init(&opts, UInt32(GIT_DIFF_OPTIONS_VERSION))
                var diff: OpaquePointer?
                try Git.check(git_diff_tree_to_tree(&diff, handle, a, b, &opts), "diffing \(from.prefix(8))..\(to.prefix(8))")
                defer { git_diff_free(diff) }
                var out = Set<String>()
                for i in 0..<git_diff_num_deltas(diff) {
                    guard let d = git_diff_get_delta(diff, i)?.pointee else { continue }
                    for p in [d.old_file.path, d.new_file.path] { if let p { out.insert(String(cString: p)) } }
                }
                return out
            }
        }
    }
}

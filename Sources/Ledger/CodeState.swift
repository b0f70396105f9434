import Foundation
import CGit2

/// The exact code a run executed, read through libgit2 (never by shelling out to git): HEAD commit,
/// branch (or detached), the origin remote without credentials, whether the tree is dirty, the
/// uncommitted diff against HEAD (staged and unstaged together) and every untracked file that is not
/// ignored, with its SHA-256. Outside a repository, `isRepository` is false and everything else empty.
public struct CodeState: Codable, Equatable, Sendable {
    public var isRepository: Bool
    /// Working-tree root.
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

enum Git {
    static let initialized: Bool = { git_libgit2_init(); return true }()

    static func check(_ rc: Int32, _ what: String) throws {
        guard rc >= 0 else {
            let msg = git_error_last().map { String(cString: $0.pointee.message) } ?? "error \(rc)"
            throw LedgerError.git("\(what): \(msg)", hint: "is this a valid git repository?")
        }
    }

    /// Reads the code state of the repository containing `path` (searching upwards).
    static func capture(at path: String) throws -> CapturedCode {
        _ = initialized
        var repo: OpaquePointer?
        let rc = git_repository_open_ext(&repo, path, 0, nil)
        if rc == GIT_ENOTFOUND.rawValue || repo == nil { return CapturedCode(state: .none, patch: nil) }
        try check(rc, "opening the repository at \(path)")
        defer { git_repository_free(repo) }
        var state = CodeState.none
        state.isRepository = true
        if let wd = git_repository_workdir(repo) { state.root = String(cString: wd) }

        // HEAD commit and branch.
        var head: OpaquePointer?
        let hrc = git_repository_head(&head, repo)
        if hrc == 0, let head {
            defer { git_reference_free(head) }
            if let oid = git_reference_target(head) { state.commit = oidString(oid) }
            state.detached = git_repository_head_detached(repo) == 1
            if !state.detached, let name = git_reference_shorthand(head) { state.branch = String(cString: name) }
        } else if hrc != GIT_EUNBORNBRANCH.rawValue && hrc != GIT_ENOTFOUND.rawValue {
            try check(hrc, "reading HEAD")
        }

        // Remote URL, credentials stripped.
        var remote: OpaquePointer?
        if git_remote_lookup(&remote, repo, "origin") == 0, let remote {
            if let u = git_remote_url(remote) { state.remoteURL = stripCredentials(String(cString: u)) }
            git_remote_free(remote)
        }

        // Untracked, not ignored files (with hashes).
        var opts = git_status_options()
        git_status_options_init(&opts, UInt32(GIT_STATUS_OPTIONS_VERSION))
        opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
        var list: OpaquePointer?
        try check(git_status_list_new(&list, repo, &opts), "reading the status")
        defer { git_status_list_free(list) }
        var trackedChange = false
        for i in 0..<git_status_list_entrycount(list) {
            guard let e = git_status_byindex(list, i)?.pointee else { continue }
            if e.status.rawValue & GIT_STATUS_WT_NEW.rawValue != 0, let d = e.index_to_workdir,
               let p = d.pointee.new_file.path {
                let rel = String(cString: p)
                let full = (state.root ?? "") + rel
                if let (hash, size) = SHA256.file(full) { state.untracked.append(.init(path: rel, sha256: hash, size: size)) }
            } else if e.status.rawValue != GIT_STATUS_CURRENT.rawValue && e.status.rawValue & GIT_STATUS_IGNORED.rawValue == 0 {
                trackedChange = true
            }
        }
        state.untracked.sort { $0.path < $1.path }

        // The diff of index and working tree against HEAD's tree, as one patch.
        var patch: String?
        if trackedChange {
            var tree: OpaquePointer?
            if let commitHex = state.commit {
                var oid = git_oid()
                try check(git_oid_fromstr(&oid, commitHex), "parsing the HEAD id")
                var commit: OpaquePointer?
                try check(git_commit_lookup(&commit, repo, &oid), "reading the HEAD commit")
                defer { git_commit_free(commit) }
                try check(git_commit_tree(&tree, commit), "reading the HEAD tree")
            }
            defer { if let tree { git_tree_free(tree) } }
            var diff: OpaquePointer?
            var dopts = git_diff_options()
            git_diff_options_init(&dopts, UInt32(GIT_DIFF_OPTIONS_VERSION))
            dopts.flags = GIT_DIFF_SHOW_BINARY.rawValue
            try check(git_diff_tree_to_workdir_with_index(&diff, repo, tree, &dopts), "diffing against HEAD")
            defer { git_diff_free(diff) }
            var buf = git_buf()
            try check(git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH), "formatting the diff")
            defer { git_buf_dispose(&buf) }
            if let ptr = buf.ptr, buf.size > 0 {
                patch = String(decoding: UnsafeRawBufferPointer(start: ptr, count: buf.size), as: UTF8.self)
            }
        }
        if let patch, !patch.isEmpty {
            state.dirty = true
            state.diffSHA256 = SHA256.hex(Array(patch.utf8))
            state.diffBytes = patch.utf8.count
        }
        if !state.untracked.isEmpty { state.dirty = true }
        return CapturedCode(state: state, patch: patch)
    }

    static func oidString(_ oid: UnsafePointer<git_oid>) -> String {
        var out = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&out, 41, oid)
        return String(cString: out)
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

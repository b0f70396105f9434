import Foundation

/// A contiguous fp32 buffer. Buffers come from, and return to, a size-keyed pool: a training step
/// allocates the same activation sizes every time, so after the first step no memory is mapped or
/// faulted in again (glibc would `mmap`/`munmap` every buffer above its threshold).
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Uninitialized storage of `count` floats.
    public init(uninitialized count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.acquire(count)
    }

    /// Zero-filled storage of `count` floats.
    public convenience init(zeros count: Int) {
        self.init(uninitialized: count)
        pointer.initialize(repeating: 0, count: count)
    }

    public convenience init(_ values: [Float]) {
        self.init(uninitialized: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { BufferPool.shared.release(pointer, count) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
    public var array: [Float] { Array(buffer) }
}

/// The pool behind `Storage`. Thread-safe; `trim()` gives every idle buffer back to the system.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private let lock = NSLock()
    /// Floats currently held idle in the pool.
    public private(set) var idleFloats = 0
    /// Buffers allocated from the system (pool misses) so far.
    public private(set) var systemAllocations = 0

    func acquire(_ count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        if var list = free[count], let p = list.popLast() {
            free[count] = list
            idleFloats -= count
            lock.unlock()
            return p
        }
        systemAllocations += 1
        lock.unlock()
        let bytes = max(count, 1) * 4
        if bytes >= BufferPool.hugePage {
            // Large activations: 2 MiB-aligned and marked for transparent huge pages (the kernel's default
            // here is "madvise"), which spares the TLB a walk per 4 KiB on every pass over them.
            var p: UnsafeMutableRawPointer?
            if posix_memalign(&p, BufferPool.hugePage, bytes) == 0, let p {
                _ = madvise(p, bytes, BufferPool.madviseHugePage)
                return p.bindMemory(to: Float.self, capacity: max(count, 1))
            }
        }
        // 64-byte alignment: AVX-512 loads and OpenBLAS's packing like it.
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func release(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        lock.lock()
        free[count, default: []].append(p)
        idleFloats += count
        lock.unlock()
    }

    static let hugePage = 2 << 20
    #if os(Linux)
    static let madviseHugePage: Int32 = 14   // MADV_HUGEPAGE
    #else
    static let madviseHugePage: Int32 = 0    // MADV_NORMAL elsewhere
    #endif

    /// Frees every idle buffer.
    public func trim() {
        lock.lock()
        for (count, list) in free {
            for p in list {
                if count * 4 >= BufferPool.hugePage { Foundation.free(p) } else { UnsafeMutableRawPointer(p).deallocate() }
            }
        }
        free.removeAll()
        idleFloats = 0
        lock.unlock()
    }
}

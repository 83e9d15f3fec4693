#if canImport(Glibc)
import Glibc
#endif

/// The set of paths an extraction has seen, each with one flag (a regular file, so a valid hard-link
/// target), packed for archives of a million entries: every path's bytes in one array, its end and
/// flag in one integer, and an open-addressing index of 4-byte slots — about 40 bytes a path of 20
/// characters, where a `[String: Bool]` spends over 100 (a heap string and a hash bucket each).
///
/// Hashing is Swift's `Hasher`, seeded per process, as `Dictionary`'s: an archive cannot choose
/// names that collide.
struct PathTable: Sendable {
    /// Every path's UTF-8 bytes, one after another.
    private var bytes: [UInt8] = []
    /// For each path in insertion order: its end in `bytes`, shifted left once, with the flag in bit 0.
    private var ends: [UInt64] = []
    /// Open addressing, linear probing: 0 is empty, else the index in `ends` plus one.
    private var slots: [UInt32] = Array(repeating: 0, count: 64)

    /// The paths held.
    var count: Int { ends.count }

    /// Adds `path` with `flag`; false (and no change) when it is already held.
    mutating func insert(_ path: String, flag: Bool) -> Bool {
        var path = path
        return path.withUTF8 { key in
            let (slot, found) = find(key)
            if found != nil { return false }
            guard ends.count < Int(UInt32.max) else { preconditionFailure("more than 4 billion paths") }
            bytes.append(contentsOf: key)
            ends.append(UInt64(bytes.count) << 1 | (flag ? 1 : 0))
            slots[slot] = UInt32(ends.count)
            if ends.count * 2 > slots.count { grow() }
            return true
        }
    }

    /// The flag of `path`, or nil when it is not held.
    func flag(of path: String) -> Bool? {
        var path = path
        return path.withUTF8 { key in find(key).entry.map { ends[$0] & 1 == 1 } }
    }

    /// Where `key` is (its entry) or would go (the empty slot reached).
    private func find(_ key: UnsafeBufferPointer<UInt8>) -> (slot: Int, entry: Int?) {
        let mask = slots.count - 1
        var slot = Self.hash(key) & mask
        while true {
            let held = Int(slots[slot])
            if held == 0 { return (slot, nil) }
            if matches(key, entry: held - 1) { return (slot, held - 1) }
            slot = (slot + 1) & mask
        }
    }

    private func matches(_ key: UnsafeBufferPointer<UInt8>, entry: Int) -> Bool {
        let start = entry == 0 ? 0 : Int(ends[entry - 1] >> 1)
        let end = Int(ends[entry] >> 1)
        guard end - start == key.count else { return false }
        return bytes.withUnsafeBufferPointer { all in
            key.isEmpty || memcmp(all.baseAddress! + start, key.baseAddress!, key.count) == 0
        }
    }

    /// Doubles the index and puts every entry back.
    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            for entry in ends.indices {
                let end = Int(ends[entry] >> 1)
                var slot = Self.hash(UnsafeBufferPointer(rebasing: all[start..<end])) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = UInt32(entry + 1)
                start = end
            }
        }
    }

    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(key))
        return hasher.finalize()
    }
}

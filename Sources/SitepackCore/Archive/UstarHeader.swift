/// The 512-byte ustar header of one entry, written exactly as libarchive's restricted-pax writer
/// writes it when no pax extension is needed — uid/gid 0, empty owner names, octal fields with
/// libarchive's separators, a trailing `/` on folder names, long names split at a `/` into
/// `prefix` and `name`. ``encode(into:path:kind:mode:mtime:)`` answers false for an entry that
/// would need a pax extension (a non-ASCII or unsplittable name, a long link target, 8 GiB or
/// more, an mtime outside 0..<2^31-1); ``TarStreamWriter`` then asks libarchive for those bytes.
enum UstarHeader {
    /// A header's size, and the unit entry data is padded to.
    static let size = 512

    /// The type byte and the fields that depend on the kind.
    enum Kind {
        case file(size: Int64)
        case directory
        case symlink(target: UnsafeRawBufferPointer)
    }

    /// Fills `header` (512 bytes) for the entry, or answers false (leaving it undefined) when the
    /// entry needs a pax extension.
    static func encode(into header: UnsafeMutableRawBufferPointer, path: UnsafeRawBufferPointer, kind: Kind,
                       mode: UInt32, mtime: Int64) -> Bool {
        guard mtime >= 0, mtime < 0x7fff_ffff, isPlainASCII(path), !path.isEmpty else { return false }
        let isDirectory: Bool
        let size: Int64
        let typeFlag: UInt8
        switch kind {
        case .file(let fileSize):
            guard fileSize >= 0, fileSize < (1 << 33) else { return false }
            (isDirectory, size, typeFlag) = (false, fileSize, UInt8(ascii: "0"))
        case .directory:
            (isDirectory, size, typeFlag) = (true, 0, UInt8(ascii: "5"))
        case .symlink(let target):
            guard target.count <= 100, isPlainASCII(target) else { return false }
            (isDirectory, size, typeFlag) = (false, 0, UInt8(ascii: "2"))
        }
        // libarchive gives every folder name a trailing '/' before deciding how it fits.
        let slash = isDirectory && path[path.count - 1] != UInt8(ascii: "/")
        let length = path.count + (slash ? 1 : 0)
        func byte(_ index: Int) -> UInt8 { index < path.count ? path[index] : UInt8(ascii: "/") }

        var split = 0  // the index of the '/' between prefix and name, or 0 when the name fits whole
        if length > 100 {
            // libarchive: strchr(path + length - 101, '/'), never an empty prefix.
            var found: Int?
            for index in (length - 101)..<length where byte(index) == UInt8(ascii: "/") {
                found = index
                break
            }
            if found == 0 {
                found = nil
                for index in 1..<length where byte(index) == UInt8(ascii: "/") {
                    found = index
                    break
                }
            }
            guard let at = found, at != length - 1, at <= 155 else { return false }
            split = at
        }

        template.withUnsafeBytes { header.copyMemory(from: $0) }
        if split == 0 {
            for index in 0..<length { header[index] = byte(index) }
        } else {
            for index in 0..<split { header[prefixOffset + index] = byte(index) }
            for index in (split + 1)..<length { header[index - split - 1] = byte(index) }
        }
        writeOctal(Int64(mode & 0o7777), into: header, at: 100, digits: 6)
        writeOctal(size, into: header, at: 124, digits: 11)
        writeOctal(mtime, into: header, at: 136, digits: 11)
        header[156] = typeFlag
        if case .symlink(let target) = kind {
            for index in 0..<target.count { header[157 + index] = target[index] }
        }
        // The checksum is taken with its own field as eight spaces (the template's), then written
        // as six digits and a NUL, leaving the template's final space.
        var checksum: Int64 = 0
        for index in 0..<Self.size { checksum += Int64(header[index]) }
        writeOctal(checksum, into: header, at: 148, digits: 6)
        header[154] = 0
        return true
    }

    private static let prefixOffset = 345

    /// What every header starts from: zeros, with the fields libarchive always fills.
    private static let template: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: size)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { bytes[offset + index] = byte }
        }
        put("000000 ", at: 100)        // mode (overwritten), then " \0"
        put("000000 ", at: 108)        // uid
        put("000000 ", at: 116)        // gid
        put("00000000000 ", at: 124)   // size (overwritten)
        put("00000000000 ", at: 136)   // mtime (overwritten)
        put("        ", at: 148)       // checksum, as spaces while summing
        put("ustar", at: 257)          // magic "ustar\0"
        put("00", at: 263)             // version
        put("000000 ", at: 329)        // devmajor
        put("000000 ", at: 337)        // devminor
        return bytes
    }()

    private static func writeOctal(_ value: Int64, into header: UnsafeMutableRawBufferPointer, at offset: Int, digits: Int) {
        var rest = value
        for index in stride(from: offset + digits - 1, through: offset, by: -1) {
            header[index] = UInt8(ascii: "0") + UInt8(rest & 7)
            rest >>= 3
        }
    }

    /// Bytes 1–127 only: libarchive writes a pax `path`/`linkpath` for anything else.
    private static func isPlainASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte == 0 || byte >= 0x80 { return false }
        return true
    }
}

private import CSitepackZlib

/// The compressor sitepack builds with, as recorded in manifests.
public enum DeflateLibrary {
    /// `libdeflate`'s version string, e.g. `1.14`.
    public static var libdeflateVersion: String { String(cString: sitepack_libdeflate_version()) }
    /// zlib's version string, e.g. `1.2.13`.
    public static var zlibVersion: String { String(cString: sitepack_zlib_version()) }

    /// CRC-32 (the gzip trailer's check value) of `bytes`, continuing from `crc`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        libdeflate_crc32(crc, bytes.baseAddress, bytes.count)
    }
}

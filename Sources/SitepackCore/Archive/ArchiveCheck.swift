private import CSitepackArchive

/// The one funnel for libarchive return codes: anything below `ARCHIVE_OK` becomes a
/// ``SitepackError`` carrying libarchive's own message (`archive_error_string`).
@discardableResult
func checkArchive(_ result: Int32, _ archive: OpaquePointer, _ context: @autoclosure () -> String,
                  code: SitepackError.Code = .archive, warningsAreErrors: Bool = true) throws -> Int32 {
    if result == ARCHIVE_OK || result == ARCHIVE_EOF || (result == ARCHIVE_WARN && !warningsAreErrors) { return result }
    if result >= 0 { return result }
    let text = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error \(result)"
    throw SitepackError(code, "\(context()): \(text)")
}

extension SitepackError.Code {
    /// libarchive reported an error while reading or writing an archive.
    public static let archive = SitepackError.Code("archive")
    /// Compressed or archive data that cannot be decoded.
    public static let corruptArchive = SitepackError.Code("corrupt-archive")
}

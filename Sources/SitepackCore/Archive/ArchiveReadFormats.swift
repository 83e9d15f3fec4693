/// Which formats and filters a reader accepts.
public enum ArchiveReadFormats: Sendable {
    /// What Mesos enables: every format and every filter (`format_all` + `filter_all`).
    case everything
    /// Strict mode: tar (ustar/pax/gnu) and zip, with gzip, bzip2 or xz compression or none.
    case tarZipCompressed
    /// The tar format alone, no decompression filter (the input is already an inflated tar stream).
    case tarOnly
}

/// What an extraction wrote.
public struct ExtractionSummary: Sendable, Equatable {
    /// Entries written (files, folders, links).
    public var entries: Int = 0
    /// Regular files written.
    public var files: Int = 0
    /// Bytes of file data written.
    public var bytes: Int64 = 0
    /// Entries whose setuid/setgid/sticky bits were dropped.
    public var defusedSpecialBits: [String] = []
    /// The top-level names moved into the destination.
    public var topLevelNames: [String] = []
}

public import Foundation

/// Decodes RecordIO framing (`<decimal length>\n<length bytes>`, mesos.md §3.3) from a byte stream
/// that arrives in pieces: a record may be split across chunks, and one chunk may hold several.
///
/// A length prefix larger than ``maximumRecordSize`` is refused before anything is allocated for it,
/// so a hostile or broken peer cannot make the reader reserve gigabytes.
public struct RecordIODecoder: Sendable {
    /// The largest record accepted, in bytes.
    public let maximumRecordSize: Int
    /// The default limit: 16 MiB, far above any event Mesos sends for one framework's offers.
    public static let defaultMaximumRecordSize = 16 * 1024 * 1024

    /// Bytes received but not yet returned as a record.
    private var pending: [UInt8] = []
    /// Where the unread part of `pending` starts.
    private var start = 0

    /// A decoder refusing records above `maximumRecordSize` bytes.
    public init(maximumRecordSize: Int = RecordIODecoder.defaultMaximumRecordSize) {
        self.maximumRecordSize = maximumRecordSize
    }

    /// Whether bytes of an unfinished record are held (a stream ending now ends mid-record).
    public var hasPartialRecord: Bool { start < pending.count }

    /// The bytes held that are not a complete record yet.
    public var pendingBytes: ArraySlice<UInt8> { pending[start...] }

    /// Adds `bytes` and returns every record they complete, in order.
    /// Throws a ``SitepackError`` (`mesos.recordio`) when the framing is broken or a length is too large.
    public mutating func decode(_ bytes: some Sequence<UInt8>) throws -> [Data] {
        pending.append(contentsOf: bytes)
        var records: [Data] = []
        while let record = try next() { records.append(record) }
        // Drop what was consumed once it is most of the buffer, so the buffer never grows with the stream.
        if start > 0 && start >= pending.count / 2 {
            pending.removeFirst(start)
            start = 0
        }
        return records
    }

    /// The next complete record, or nil when more bytes are needed.
    private mutating func next() throws -> Data? {
        var index = start
        var length = 0
        var digits = 0
        while index < pending.count {
            let byte = pending[index]
            if byte == UInt8(ascii: "\n") { break }
            guard (48...57).contains(byte) else {
                throw SitepackError(.recordIO, "the event stream is not RecordIO: expected a decimal record length, found byte 0x\(String(byte, radix: 16)) after \(digits) digits")
            }
            // Overflow checked: with a limit near Int.max, `9999999999999999999` trapped.
            let (tens, overflowedTimes) = length.multipliedReportingOverflow(by: 10)
            let (next, overflowedPlus) = tens.addingReportingOverflow(Int(byte - 48))
            digits += 1
            guard !overflowedTimes, !overflowedPlus, next <= maximumRecordSize, digits <= 20 else {
                throw SitepackError(.recordIO, "the event stream announces a record of more than \(maximumRecordSize) bytes: refused (not a Mesos event stream, or a broken one)")
            }
            length = next
            index += 1
        }
        guard index < pending.count else { return nil }
        guard digits > 0 else {
            throw SitepackError(.recordIO, "the event stream is not RecordIO: a record length is empty")
        }
        let body = index + 1
        guard pending.count - body >= length else { return nil }
        start = body + length
        return Data(pending[body ..< body + length])
    }
}

extension SitepackError.Code {
    /// A RecordIO stream with broken framing or an oversized record.
    public static let recordIO = SitepackError.Code("mesos.recordio")
}

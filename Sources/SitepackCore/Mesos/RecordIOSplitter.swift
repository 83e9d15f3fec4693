import Foundation

/// Splits a whole saved RecordIO stream (`<decimal length>\n<length bytes>`…) into its records,
/// through the one RecordIO reader, ``RecordIODecoder``.
enum RecordIOSplitter {
    /// The records, or nil when `data` does not start like a RecordIO stream (digits, then a
    /// newline) or does not frame exactly. Whitespace after the last record (a saved file's final
    /// newline) is allowed.
    static func records(in data: Data) -> [Data]? {
        if let records = whole(data) { return records }
        let whitespace: Set<UInt8> = [9, 10, 13, 32]
        let trimmed = data.prefix(data.count - data.reversed().prefix(while: { whitespace.contains($0) }).count)
        guard trimmed.count < data.count else { return nil }
        return whole(Data(trimmed))
    }

    /// The records when `data` frames exactly, else nil.
    private static func whole(_ data: Data) -> [Data]? {
        var decoder = RecordIODecoder()
        guard let records = try? decoder.decode(data), !records.isEmpty, !decoder.hasPartialRecord else { return nil }
        return records
    }
}

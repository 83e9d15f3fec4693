import Foundation

/// Splits RecordIO framing: records of `<decimal length>\n<length bytes>`.
enum RecordIOSplitter {
    /// The records, or nil when `data` does not start like a RecordIO stream (digits, then a
    /// newline) or does not frame exactly.
    static func records(in data: Data) -> [Data]? {
        let bytes = [UInt8](data)
        var index = 0
        var records: [Data] = []
        while index < bytes.count {
            var length = 0
            var digits = 0
            while index < bytes.count, (48...57).contains(bytes[index]), digits < 10 {
                length = length * 10 + Int(bytes[index] - 48)
                index += 1
                digits += 1
            }
            guard digits > 0, index < bytes.count, bytes[index] == UInt8(ascii: "\n") else {
                // Trailing whitespace after the last record is fine; anything else is not RecordIO.
                return records.isEmpty || bytes[index...].contains(where: { ![9, 10, 13, 32].contains($0) }) ? nil : records
            }
            index += 1
            guard index + length <= bytes.count else { return nil }
            records.append(Data(bytes[index ..< index + length]))
            index += length
        }
        return records.isEmpty ? nil : records
    }
}

// Fuzz target (c): RecordIODecoder, which reads the master's SUBSCRIBE stream as it arrives.
//
// Input: byte 0 picks the record-size limit, byte 1 the chunk size the stream arrives in, the rest is
// the stream. Beyond not crashing: the records, the error (or not) and what is left pending must be the
// same whether the stream arrives whole or in chunks; no record is over the limit; and the records with
// their framing re-read by a plain reference decoder are the stream's prefix.
import Foundation
import SitepackCore

private let limits = [0, 1, 10, 1_000, RecordIODecoder.defaultMaximumRecordSize, Int.max / 10, Int.max]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecordIO(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limit = limits[Int(bytes[0]) % limits.count]
    let chunk = Int(bytes[1]) % 64 + 1
    let stream = Array(bytes[2...])

    let whole = decode(stream, chunk: stream.count + 1, limit: limit)
    let pieces = decode(stream, chunk: chunk, limit: limit)
    // Records decoded before an error are lost with it, so they are compared only when neither failed.
    if whole.failed != pieces.failed || (!whole.failed && (whole.records != pieces.records || whole.pending != pieces.pending)) {
        fatalError("the stream decodes differently whole (\(whole.records.count) records, failed \(whole.failed), \(whole.pending.count) pending) and in \(chunk)-byte chunks (\(pieces.records.count), \(pieces.failed), \(pieces.pending.count))")
    }
    for record in whole.records where record.count > limit {
        fatalError("a record of \(record.count) bytes passed the limit of \(limit)")
    }
    guard !whole.failed else { return 0 }
    // The decoder accepted every length prefix it read (digits only), so the reference may trust them.
    let reference = referenceRecords(stream, limit: limit)
    if reference.records != whole.records {
        fatalError("the decoder found \(whole.records.count) records, the reference \(reference.records.count)")
    }
    if Array(stream[reference.consumed...]) != whole.pending {
        fatalError("the decoder holds \(whole.pending.count) pending bytes, the reference \(stream.count - reference.consumed)")
    }
    return 0
}

private struct Outcome {
    var records: [Data] = []
    var failed = false
    var pending: [UInt8] = []
}

private func decode(_ stream: [UInt8], chunk: Int, limit: Int) -> Outcome {
    var decoder = RecordIODecoder(maximumRecordSize: limit)
    var outcome = Outcome()
    var offset = 0
    repeat {
        let end = min(stream.count, offset + chunk)
        do {
            outcome.records += try decoder.decode(stream[offset..<end])
        } catch is SitepackError {
            outcome.failed = true
            return outcome
        } catch {
            fatalError("RecordIODecoder threw something other than a SitepackError: \(error)")
        }
        offset = end
    } while offset < stream.count
    outcome.pending = Array(decoder.pendingBytes)
    if decoder.hasPartialRecord != !outcome.pending.isEmpty { fatalError("hasPartialRecord disagrees with pendingBytes") }
    return outcome
}

/// The framing read the plainest way, over the whole stream: records up to the first incomplete one.
private func referenceRecords(_ stream: [UInt8], limit: Int) -> (records: [Data], consumed: Int) {
    var records: [Data] = []
    var index = 0
    while let newline = stream[index...].firstIndex(of: UInt8(ascii: "\n")) {
        guard let length = Int(String(decoding: stream[index..<newline], as: UTF8.self)), length >= 0, length <= limit,
              stream.count - (newline + 1) >= length else { break }
        records.append(Data(stream[(newline + 1)..<(newline + 1 + length)]))
        index = newline + 1 + length
    }
    return (records, index)
}

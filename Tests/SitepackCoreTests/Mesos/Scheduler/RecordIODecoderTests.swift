import Foundation
@testable import SitepackCore
import Testing

/// The incremental RecordIO reader (mesos.md §3.3): chunk boundaries anywhere, lengths in bytes, and a
/// length prefix above the limit refused before anything is allocated.
@Suite("RecordIODecoder: records split and merged across chunks")
struct RecordIODecoderTests {
    static func framed(_ records: [String]) -> [UInt8] {
        records.flatMap { Array("\($0.utf8.count)\n".utf8) + Array($0.utf8) }
    }

    @Test("a stream fed one byte at a time gives the same records as fed whole")
    func byteByByte() throws {
        let records = [#"{"type":"SUBSCRIBED"}"#, #"{"type":"HEARTBEAT"}"#, "{\"message\":\"h\u{e9}llo \u{1F310}\"}"]
        let stream = Self.framed(records)
        var decoder = RecordIODecoder()
        var got: [Data] = []
        for byte in stream { got += try decoder.decode([byte]) }
        #expect(got.map { String(decoding: $0, as: UTF8.self) } == records)
        #expect(!decoder.hasPartialRecord)
        var whole = RecordIODecoder()
        #expect(try whole.decode(stream) == got)
    }

    @Test("records merged into one chunk and split across the next come out in order")
    func mergedAndSplit() throws {
        let stream = Self.framed(["a", "bb", "ccc", "dddd"])
        var decoder = RecordIODecoder()
        let first = try decoder.decode(stream[0..<9])   // "1\na2\nbb3\nc"
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == ["a", "bb"])
        #expect(decoder.hasPartialRecord)
        let rest = try decoder.decode(stream[9...])
        #expect(rest.map { String(decoding: $0, as: UTF8.self) } == ["ccc", "dddd"])
    }

    @Test("a length above the limit is an error at once, before its bytes arrive")
    func oversizedLength() {
        var decoder = RecordIODecoder(maximumRecordSize: 1024)
        #expect(throws: SitepackError.self) { try decoder.decode(Array("1025\n".utf8)) }
        var huge = RecordIODecoder()
        let error = #expect(throws: SitepackError.self) { try huge.decode(Array("99999999999999999999999".utf8)) }
        #expect(error?.code == .recordIO)
    }

    @Test("an HTML page or a missing length is not RecordIO")
    func notRecordIO() {
        var decoder = RecordIODecoder()
        #expect(throws: SitepackError.self) { try decoder.decode(Array("<html>".utf8)) }
        var empty = RecordIODecoder()
        #expect(throws: SitepackError.self) { try empty.decode(Array("\n{}".utf8)) }
    }

    @Test("a saved stream with a final newline still splits (the one RecordIO reader behind OfferDocument)")
    func splitterUsesTheDecoder() {
        let saved = Data(Self.framed(["{}", "[]"]) + Array("\n".utf8))
        #expect(RecordIOSplitter.records(in: saved)?.count == 2)
        #expect(RecordIOSplitter.records(in: Data("{\"type\":\"OFFERS\"}".utf8)) == nil)
        #expect(RecordIOSplitter.records(in: Data("5\nab".utf8)) == nil)
    }
}

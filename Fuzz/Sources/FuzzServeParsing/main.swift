// Fuzz target (b): what `serve` parses from a request before it touches the disk — the request target
// (RequestPath, then the artifact route), Range, the conditional headers and HTTP dates.
//
// The input is text, one field per line (missing lines are absent headers):
//   1 request target   2 Range   3 If-Range   4 If-Match   5 If-None-Match
//   6 If-Modified-Since   7 If-Unmodified-Since
// Every field is also tried as each of the others' values through HTTPDate and ByteRangeRequest.
// Beyond not crashing, the results must keep their promises: no `.`/`..`/empty segment and no `/`,
// NUL, backslash or control character in a segment; a range inside the representation; an HTTP date
// that prints and parses back to itself.
import Foundation
import SitepackCore

/// Representation lengths each Range is read against, from empty to the largest a file can claim.
private let lengths: [Int64] = [0, 1, 2, 100, 1 << 20, Int64.max - 1, Int64.max]
private let etag = "\"5e1c8a3c-1f4\""
private let lastModified: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServeParsing(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let fields = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }

    if let target = field(0) { checkTarget(target) }
    for value in fields {
        checkDate(value)
        for length in lengths { checkRange(ByteRangeRequest(header: value, length: length), length: length, header: value) }
    }
    for isGet in [true, false] {
        let request = ConditionalOutcome.Request(isGet: isGet, ifMatch: field(3), ifNoneMatch: field(4), ifModifiedSince: field(5),
                                                 ifUnmodifiedSince: field(6), ifRange: field(2), range: field(1))
        for length in lengths {
            let outcome = ConditionalOutcome(request: request, etag: etag, lastModified: lastModified, length: length)
            switch outcome {
            case .partial(let slice):
                if !isGet { fatalError("a HEAD request got a partial answer \(slice)") }
                checkSlice(slice, length: length, header: field(1) ?? "")
            case .unsatisfiable where !isGet:
                fatalError("a HEAD request got 416")
            default:
                break
            }
        }
    }
    return 0
}

private func checkTarget(_ target: String) {
    // The address readers `task`, `check` and `fetch` apply to artifact and binary URLs.
    if let address = ArtifactAddress.parse(urlPath: target), !target.hasSuffix(address.urlPath()) {
        fatalError("\(target.debugDescription) read as \(address), which is not its suffix")
    }
    _ = BinaryAddress.parse(urlPath: target)
    guard let path = try? RequestPath(target: target) else { return }
    for segment in path.segments {
        if segment.isEmpty || segment == "." || segment == ".." { fatalError("\(target.debugDescription) gave the segment \(segment.debugDescription)") }
        if segment.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7f }) {
            fatalError("\(target.debugDescription) gave the segment \(segment.debugDescription)")
        }
    }
    if path.trailingSlash && path.segments.isEmpty { fatalError("\(target.debugDescription): a trailing slash without segments") }
    let relative = path.relativePath
    // Split as bytes: a segment may start with a combining mark, which Character-wise merges with the `/` before it.
    if relative.hasPrefix("/") || relative.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).count != max(path.segments.count, 1) {
        fatalError("\(target.debugDescription): relative path \(relative.debugDescription) does not match its segments")
    }
    _ = path.hasHiddenSegment
    if let route = ArtifactAddress.target(segments: path.segments) {
        switch route {
        case .version(let address, let file):
            // The digest is kept lower-case; the rest of the address is exactly the request's.
            let expected = "/\(path.segments[0])/\(path.segments[1])/\(path.segments[2].lowercased())/\(path.segments[3])"
            if address.urlPath(file) != expected { fatalError("\(target.debugDescription) routed to \(address.urlPath(file))") }
        case .latest(let name, let file):
            if ArtifactAddress.latestPath(name: name, file: file) != "/" + path.segments.joined(separator: "/") {
                fatalError("\(target.debugDescription) routed to the latest of \(name)/\(file)")
            }
        }
    }
}

private func checkRange(_ request: ByteRangeRequest, length: Int64, header: String) {
    switch request {
    case .partial(let slice): checkSlice(slice, length: length, header: header)
    case .unsatisfiable, .whole: break
    }
}

private func checkSlice(_ slice: Range<Int64>, length: Int64, header: String) {
    if slice.isEmpty || slice.lowerBound < 0 || slice.upperBound > length {
        fatalError("Range \(header.debugDescription) on \(length) bytes gave \(slice)")
    }
}

private func checkDate(_ text: String) {
    guard let seconds = HTTPDate.parse(text) else { return }
    if seconds < 0 { fatalError("\(text.debugDescription) parsed to \(seconds), before 1970") }
    // Years up to 9999 print as a four-digit IMF-fixdate and must read back as the same second
    // (the 60th second of a minute is the next minute's first, so compare after formatting once).
    guard seconds <= 253_402_300_799 else { return }
    let printed = HTTPDate.format(seconds)
    guard let again = HTTPDate.parse(printed), HTTPDate.format(again) == printed else {
        fatalError("\(text.debugDescription) parsed to \(seconds), printed as \(printed.debugDescription), which does not parse back")
    }
}

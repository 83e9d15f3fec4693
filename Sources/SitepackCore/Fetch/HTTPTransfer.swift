private import CSitepackCurl
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP(S) GET with libcurl, set up exactly as the Mesos fetcher's `net::download`
/// (stout net.hpp): the URL, `FOLLOWLOCATION`, and when a stall timeout is given
/// `LOW_SPEED_LIMIT = 1` byte/s over `LOW_SPEED_TIME` seconds. No user agent, no extra headers,
/// no `Accept-Encoding`, no `FAILONERROR` (an error body arrives like any body), libcurl's TLS
/// defaults. Success is decided as Mesos does: the final response code, after redirects, is 200.
///
/// The only importer of CSitepackCurl. Bytes go to a sink as they arrive, so the caller can hash
/// (and write) them while the transfer runs.
public struct HTTPTransfer: Sendable {
    /// How a transfer ended.
    public enum Outcome: Sendable, Equatable {
        /// The final response was 200: the body went to the sink.
        case ok(bytes: Int64)
        /// The final response was another status (the body went to the sink too, as with Mesos).
        case httpStatus(Int, bytes: Int64)
        /// libcurl failed (DNS, connect, TLS, stall, reset): retryable.
        case transportError(String)
    }

    /// The URL.
    public var url: String
    /// Abort when under 1 byte/s for this many seconds (Mesos's `--fetcher_stall_timeout`, 60 s default).
    public var stallTimeoutSeconds: Int

    /// Describes a transfer.
    public init(url: String, stallTimeoutSeconds: Int = 60) {
        self.url = url
        self.stallTimeoutSeconds = stallTimeoutSeconds
    }

    // MARK: Uploads (sitepack publish; not part of what the Mesos fetcher does)

    /// A request body, which makes the transfer a `PUT` (and turns redirects off: a body is sent once).
    public enum RequestBody: Sendable {
        /// A file streamed from disk (opened for each run), `length` bytes.
        case file(path: String, length: Int64)
        /// Bytes given whole (a small file).
        case bytes([UInt8])
    }

    /// The body to `PUT`, if any; nil for the fetcher's `GET`.
    public var body: RequestBody?
    /// Extra request header lines (`Name: value`), sent only with a ``body``.
    public var headers: [String] = []
    /// Called with the total of body bytes handed to libcurl so far.
    public var onUploadProgress: (@Sendable (Int64) -> Void)?

    /// Describes a `PUT` of `body` with extra `headers`.
    public init(put url: String, body: RequestBody, headers: [String], stallTimeoutSeconds: Int = 60,
                onUploadProgress: (@Sendable (Int64) -> Void)? = nil) {
        self.url = url
        self.stallTimeoutSeconds = stallTimeoutSeconds
        self.body = body
        self.headers = headers
        self.onUploadProgress = onUploadProgress
    }

    private final class Context {
        let sink: (UnsafeRawBufferPointer) throws -> Void
        let onStart: (Int64?) -> Void
        let curl: UnsafeMutableRawPointer
        var started = false
        var error: (any Error)?
        var bytes: Int64 = 0
        /// The upload's source: a descriptor, or bytes and how far they were sent.
        var uploadDescriptor: Int32 = -1
        var uploadBytes: [UInt8] = []
        var uploadOffset = 0
        var uploaded: Int64 = 0
        var onUploadProgress: (@Sendable (Int64) -> Void)?
        init(_ curl: UnsafeMutableRawPointer, onStart: @escaping (Int64?) -> Void, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
            self.curl = curl
            self.onStart = onStart
            self.sink = sink
        }
    }

    private static let globalInit: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Runs the transfer once; a sink error aborts it and is rethrown. `onStart` gets the final
    /// response's Content-Length (nil when absent) before its first body byte.
    public func run(onStart: @escaping (Int64?) -> Void = { _ in },
                    sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Outcome {
        guard Self.globalInit, let curl = curl_easy_init() else {
            throw SitepackError(.io, "cannot initialise libcurl")
        }
        defer { curl_easy_cleanup(curl) }
        let context = Context(curl, onStart: onStart, sink: sink)
        let unmanaged = Unmanaged.passRetained(context)
        defer { unmanaged.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        defer { if context.uploadDescriptor >= 0 { close(context.uploadDescriptor) } }
        if let body {
            let length: Int64
            switch body {
            case .file(let path, let size):
                context.uploadDescriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard context.uploadDescriptor >= 0 else {
                    throw SitepackError(.io, "cannot open \(path) to upload it: \(String(cString: strerror(errno)))")
                }
                length = size
            case .bytes(let bytes):
                context.uploadBytes = bytes
                length = Int64(bytes.count)
            }
            context.onUploadProgress = onUploadProgress
            for line in headers { headerList = curl_slist_append(headerList, line) }
            _ = sitepack_curl_setopt_long(curl, CURLOPT_UPLOAD, 1)
            _ = sitepack_curl_setopt_off(curl, CURLOPT_INFILESIZE_LARGE, curl_off_t(length))
            _ = sitepack_curl_setopt_pointer(curl, CURLOPT_HTTPHEADER, headerList)
            _ = sitepack_curl_setopt_pointer(curl, CURLOPT_READDATA, unmanaged.toOpaque())
            _ = sitepack_curl_setopt_data_cb(curl, CURLOPT_READFUNCTION) { data, size, count, user in
                let context = Unmanaged<Context>.fromOpaque(user!).takeUnretainedValue()
                let capacity = size * count
                var given = 0
                if context.uploadDescriptor >= 0 {
                    let got = read(context.uploadDescriptor, data, capacity)
                    guard got >= 0 else { return Int(CURL_READFUNC_ABORT) }
                    given = got
                } else {
                    given = min(capacity, context.uploadBytes.count - context.uploadOffset)
                    context.uploadBytes.withUnsafeBytes { raw in
                        if given > 0 { data?.update(from: raw.baseAddress!.advanced(by: context.uploadOffset).assumingMemoryBound(to: CChar.self), count: given) }
                    }
                    context.uploadOffset += given
                }
                context.uploaded += Int64(given)
                context.onUploadProgress?(context.uploaded)
                return given
            }
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            _ = sitepack_curl_setopt_string(curl, CURLOPT_URL, url)
            _ = sitepack_curl_setopt_long(curl, CURLOPT_FOLLOWLOCATION, body == nil ? 1 : 0)
            if stallTimeoutSeconds > 0 {
                _ = sitepack_curl_setopt_long(curl, CURLOPT_LOW_SPEED_LIMIT, 1)
                _ = sitepack_curl_setopt_long(curl, CURLOPT_LOW_SPEED_TIME, stallTimeoutSeconds)
            }
            _ = sitepack_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            _ = sitepack_curl_setopt_pointer(curl, CURLOPT_WRITEDATA, unmanaged.toOpaque())
            _ = sitepack_curl_setopt_data_cb(curl, CURLOPT_WRITEFUNCTION) { data, size, count, user in
                let context = Unmanaged<Context>.fromOpaque(user!).takeUnretainedValue()
                let length = size * count
                if !context.started {
                    context.started = true
                    var total: curl_off_t = -1
                    _ = sitepack_curl_getinfo_off(context.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &total)
                    context.onStart(total >= 0 ? Int64(total) : nil)
                }
                do {
                    try context.sink(UnsafeRawBufferPointer(start: data, count: length))
                    context.bytes += Int64(length)
                    return length
                } catch {
                    context.error = error
                    return 0  // makes libcurl stop with CURLE_WRITE_ERROR
                }
            }
            return curl_easy_perform(curl)
        }
        if let error = context.error { throw error }
        guard code == CURLE_OK else {
            let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .transportError(code == CURLE_OPERATION_TIMEDOUT
                ? "\(text) (the server sent less than 1 byte/s for \(stallTimeoutSeconds) s, the stall timeout)" : text)
        }
        var status = 0
        _ = sitepack_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return status == 200 ? .ok(bytes: context.bytes) : .httpStatus(status, bytes: context.bytes)
    }

    /// What the Mesos fetcher cache's size probe saw (stout's `net::contentLength`, mesos.md §1.3): a
    /// HEAD with `FOLLOWLOCATION` and `NOBODY`, nothing else set.
    public struct SizeProbe: Sendable, Equatable {
        /// The final response's status (Mesos does not look at it).
        public var status: Int
        /// `CURLINFO_CONTENT_LENGTH_DOWNLOAD`: nil when the answer had no Content-Length (Mesos: an error).
        public var contentLength: Int64?
    }

    /// Sends the HEAD the agent sends before it downloads a `cache: true` URI; a libcurl failure is
    /// returned as `.failure(message)` (the agent then bypasses the cache).
    public func sizeProbe() throws -> Result<SizeProbe, TransportFailure> {
        guard Self.globalInit, let curl = curl_easy_init() else {
            throw SitepackError(.io, "cannot initialise libcurl")
        }
        defer { curl_easy_cleanup(curl) }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            _ = sitepack_curl_setopt_string(curl, CURLOPT_URL, url)
            _ = sitepack_curl_setopt_long(curl, CURLOPT_FOLLOWLOCATION, 1)
            _ = sitepack_curl_setopt_long(curl, CURLOPT_NOBODY, 1)
            _ = sitepack_curl_setopt_pointer(curl, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            return curl_easy_perform(curl)
        }
        guard code == CURLE_OK else {
            let detail = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return .failure(TransportFailure(message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail))
        }
        var status = 0
        var length: curl_off_t = -1
        _ = sitepack_curl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        _ = sitepack_curl_getinfo_off(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length)
        return .success(SizeProbe(status: status, contentLength: length >= 0 ? Int64(length) : nil))
    }

    /// libcurl's description of a failed transfer.
    public struct TransportFailure: Error, Sendable, Equatable {
        /// The message.
        public var message: String
    }

    /// The libcurl version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.11 …`.
    public static var libcurlVersion: String { String(cString: curl_version()) }
}

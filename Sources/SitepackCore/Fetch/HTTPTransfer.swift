private import CSitepackCurl

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

    private final class Context {
        let sink: (UnsafeRawBufferPointer) throws -> Void
        let onStart: (Int64?) -> Void
        let curl: UnsafeMutableRawPointer
        var started = false
        var error: (any Error)?
        var bytes: Int64 = 0
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
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            _ = sitepack_curl_setopt_string(curl, CURLOPT_URL, url)
            _ = sitepack_curl_setopt_long(curl, CURLOPT_FOLLOWLOCATION, 1)
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

    /// The libcurl version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.11 …`.
    public static var libcurlVersion: String { String(cString: curl_version()) }
}

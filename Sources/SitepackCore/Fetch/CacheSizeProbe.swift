/// The HEAD a Mesos agent sends before it downloads a `cache: true` URI, and what the agent makes of
/// the answer (mesos.md §1.7, §1.3; src/slave/containerizer/fetcher.cpp): it reserves cache space for
/// `Content-Length`, so a missing or zero length makes it bypass the cache (download on every launch),
/// and a length other than the GET's body breaks its space accounting (the entry is dropped after use;
/// in Mesos ≤ 1.11 a smaller body can abort the agent). The status is not looked at.
public struct CacheSizeProbe: Sendable, Codable, Equatable {
    /// The final HEAD status, nil when the request failed.
    public var status: Int?
    /// The Content-Length HEAD gave, nil when it gave none (or failed).
    public var contentLength: Int64?
    /// libcurl's message when the HEAD failed.
    public var failure: String?
    /// The URL probed.
    public var url: String

    enum CodingKeys: String, CodingKey {
        case status, failure, url
        case contentLength = "content_length"
    }

    /// Sends the HEAD.
    static func probe(_ url: String) throws -> CacheSizeProbe {
        switch try HTTPTransfer(url: url).sizeProbe() {
        case .success(let answer):
            return CacheSizeProbe(status: answer.status, contentLength: answer.contentLength, failure: nil, url: url)
        case .failure(let failure):
            return CacheSizeProbe(status: nil, contentLength: nil, failure: failure.message, url: url)
        }
    }

    /// Whether the agent would give up on the cache for this URI (no usable size).
    public var bypassesCache: Bool { failure != nil || (contentLength ?? 0) <= 0 }

    /// What is wrong with the answer for the agent's cache, if anything.
    public var problem: String? {
        if let failure {
            return "HEAD \(url) failed (\(failure)): a Mesos agent sizes cache: true URIs with HEAD and, when that fails, downloads them uncached on every launch"
        }
        guard let contentLength else {
            return "HEAD \(url) answered \(status ?? 0) with no Content-Length: a Mesos agent then bypasses its fetcher cache and downloads the artifact on every launch; the server must answer HEAD with the GET's Content-Length"
        }
        if contentLength == 0 {
            return "HEAD \(url) answered \(status ?? 0) with Content-Length: 0: a Mesos agent takes 0 as an error and bypasses its fetcher cache; the server must answer HEAD with the GET's Content-Length"
        }
        return nil
    }

    /// The warning when the downloaded size differs from what HEAD promised.
    public func mismatch(downloaded: Int64) -> String? {
        guard let contentLength, contentLength > 0, contentLength != downloaded else { return nil }
        return "HEAD \(url) answered \(status ?? 0) with Content-Length \(contentLength), but the GET sent \(downloaded) bytes: a Mesos agent's fetcher cache reserves the HEAD size, drops the entry after use when more arrives, and Mesos ≤ 1.11 can abort the agent when less arrives (MESOS accounting bug, mesos.md §1.7); the server must answer HEAD and GET with the same length"
    }
}

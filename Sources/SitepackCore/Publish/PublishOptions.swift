/// What `sitepack publish` copies, and where.
public struct PublishOptions: Sendable {
    /// Where the versions go.
    public enum Destination: Sendable, Equatable {
        /// Another store on a local (or mounted) file system.
        case store(String)
        /// A running `sitepack serve --publish-token-file F`, by its origin (`http://host:port`).
        case server(String)

        /// `http://…` or `https://…` is a server; anything else a folder.
        public init(parsing text: String) {
            let lower = text.lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                var origin = text
                while origin.hasSuffix("/") { origin.removeLast() }
                self = .server(origin)
            } else {
                self = .store(text)
            }
        }
    }

    /// Which versions of the source store.
    public enum Selection: Sendable, Equatable {
        /// The store's newest version: the one a build added last (what `DIR/content.tar.gz` links to).
        case newest
        /// Every version of every site, oldest first, so each site's newest stays its newest.
        case all
        /// The newest version of one site.
        case site(String)
        /// One version.
        case version(ArtifactAddress)
    }

    /// The source store (the output folder of `sitepack build`).
    public var source: String
    /// Where to publish.
    public var destination: Destination
    /// The server's publish token (for a ``Destination/server(_:)``).
    public var token: PublishToken?
    /// Which versions.
    public var selection: Selection
    /// How many times a failed upload is tried again (transport errors, 5xx but 507), with doubling pauses.
    public var retries: Int
    /// The first pause between tries, in seconds.
    public var retryDelay: Double
    /// Show progress on stderr (only drawn on a terminal).
    public var showProgress: Bool

    /// Options with the defaults: the newest version, 4 retries from 0.5 s.
    public init(source: String, destination: Destination, token: PublishToken? = nil, selection: Selection = .newest,
                retries: Int = 4, retryDelay: Double = 0.5, showProgress: Bool = false) {
        self.source = source
        self.destination = destination
        self.token = token
        self.selection = selection
        self.retries = retries
        self.retryDelay = retryDelay
        self.showProgress = showProgress
    }
}

/// What `sitepack publish` did.
public struct PublishResult: Sendable {
    /// One published version.
    public struct Item: Sendable {
        /// The version.
        public var address: ArtifactAddress
        /// Where agents get it: the immutable URL on the server, or the archive's path in the destination store.
        public var location: String
        /// Size of `content.tar.gz`.
        public var bytes: Int64
        /// The destination already held these bytes (nothing was copied; it was made its site's newest again).
        public var unchanged: Bool
    }

    /// The versions, in the order they were published.
    public var items: [Item]
}

extension SitepackError.Code {
    /// `publish` could not select, copy or upload a version.
    public static let publish = SitepackError.Code("publish")
    /// The server refused the publish token (missing or wrong).
    public static let publishAuth = SitepackError.Code("publish.auth")
}

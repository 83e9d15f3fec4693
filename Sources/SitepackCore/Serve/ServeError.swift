extension SitepackError.Code {
    /// The server could not bind its address or port.
    public static let serveBind = SitepackError.Code("serve.bind")
    /// The folder to serve is missing or not a folder.
    public static let serveRoot = SitepackError.Code("serve.root")
}

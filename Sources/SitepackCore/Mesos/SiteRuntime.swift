/// What serves the extracted site inside the task, and what the agent must have for it.
///
/// Every runtime serves `$MESOS_SANDBOX/site` (where the fetcher extracts the archive's `site/`
/// folder), never the sandbox root with its `stdout`, `stderr` and the archive itself.
public enum SiteRuntime: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Python's `http.server` on the agent (the tutorial's approach, serving the site folder).
    case python
    /// BusyBox `httpd` on the agent.
    case busybox
    /// sitepack itself, fetched from the artifact server at its content-addressed URL
    /// (`/bin/<sha256>/sitepack`, ``BinaryAddress``) as a second, cached URI.
    case sitepack
    /// The `nginx` Docker image with the site folder mounted read-only, via the Docker containerizer.
    case dockerNginx = "docker-nginx"

    /// The nginx image's document root, where the site folder is mounted.
    public static let nginxHTMLRoot = "/usr/share/nginx/html"
    /// The port nginx listens on inside its container.
    public static let nginxContainerPort: UInt64 = 80

    public var description: String { rawValue }

    /// The shell command (`CommandInfo.value`, run as `/bin/sh -c`), or nil when the Docker
    /// image's own entrypoint runs (`shell: false`, no value).
    public var shellCommand: String? {
        switch self {
        case .python: return #"cd "$MESOS_SANDBOX/site" && exec python3 -m http.server "$PORT0" --bind 0.0.0.0"#
        case .busybox: return #"busybox httpd -f -p "$PORT0" -h "$MESOS_SANDBOX/site""#
        case .sitepack: return #"./sitepack serve site --port "$PORT0""#
        case .dockerNginx: return nil
        }
    }

    /// The URL the sitepack binary is fetched from: `<artifact origin>/bin/<sha256>/sitepack`, the
    /// artifact server's content-addressed URL for the binary with that digest.
    public static func binaryURL(for artifact: ArtifactURL, binary: BinaryAddress) -> String {
        binary.url(origin: artifact.origin)
    }

    /// The artifact server's `/bin/sitepack`: a mutable alias (a redirect, for people). Tasks never
    /// fetch it: a serve upgraded mid-deploy would hand two agents different binaries.
    @available(*, deprecated, message: "a mutable URL; tasks use binaryURL(for:binary:), the content-addressed /bin/<sha256>/sitepack")
    public static func binaryURL(for artifact: ArtifactURL) -> String {
        artifact.origin + BinaryAddress.aliasPath
    }

    /// What an agent needs to run this runtime (printed in docs and `--help`).
    public var agentRequirements: String {
        switch self {
        case .python:
            return "python3 on the agent's PATH (the command executor runs the task on the host); curl for the HTTP health check"
        case .busybox:
            return "a busybox binary with the httpd applet on the agent's PATH; curl for the HTTP health check"
        case .sitepack:
            return "nothing on PATH: the agent downloads sitepack from the artifact server's /bin/<sha256>/sitepack (which must serve that build: by default the one running task), once per agent thanks to the fetcher cache, so the binary must run on the agent (same OS/architecture, its shared libraries present, or a --static-swift-stdlib build); curl for the HTTP health check"
        case .dockerNginx:
            return "an agent started with --containerizers=docker,mesos, a Docker CLI (>= 1.8) and daemon that can pull the nginx image, the Docker bridge network; curl for the HTTP health check (run inside the container's network namespace)"
        }
    }
}

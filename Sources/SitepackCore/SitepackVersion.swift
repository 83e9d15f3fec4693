/// sitepack's own version, recorded in manifests and printed by `--version`.
public enum SitepackVersion {
    /// The version string; part of the reproducibility contract (same input + same version ⇒ same bytes).
    public static let current = "0.1.0"
}

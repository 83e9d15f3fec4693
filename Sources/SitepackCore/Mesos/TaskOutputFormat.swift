/// What `sitepack task` prints.
public enum TaskOutputFormat: String, Sendable, CaseIterable {
    /// The full v1 scheduler ACCEPT call body.
    case accept
    /// Just the TaskInfo.
    case taskinfo
    /// The equivalent Marathon app definition.
    case marathon
}

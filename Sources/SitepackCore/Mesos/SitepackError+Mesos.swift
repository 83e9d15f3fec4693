extension SitepackError.Code {
    /// Text that is not JSON at all; the message carries the parser's words, line and column.
    public static let malformedJSON = SitepackError.Code("task.malformed-json")
    /// JSON that is not an offer (or a list of offers); the message names the missing field.
    public static let notAnOffer = SitepackError.Code("task.not-an-offer")
    /// Every offer lacks something the task needs; the message lists each offer and what it lacks.
    public static let noOfferFits = SitepackError.Code("task.no-offer-fits")
    /// An artifact URL or flag value Mesos would not handle as intended (not extracted, stale
    /// cache, invalid task id); refused before anything reaches a master. A usage error (exit 2).
    public static let taskArgumentRefused = SitepackError.Code(
        "task.argument-refused",
        exitStatus: SitepackError.ExitStatus.usage
    )
}

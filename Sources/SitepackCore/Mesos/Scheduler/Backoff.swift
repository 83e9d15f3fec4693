/// Exponential backoff with full jitter between reconnection attempts: 0.5 s, 1 s, 2 s … capped at 15 s,
/// each delay drawn uniformly from its upper half, so many frameworks a master dropped do not come back
/// in step.
public struct Backoff: Sendable {
    /// The first delay's ceiling, in seconds.
    public var initial: Double
    /// The largest delay, in seconds.
    public var maximum: Double
    private var attempt = 0

    /// Creates a backoff.
    public init(initial: Double = 0.5, maximum: Double = 15) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The next delay in seconds; `random` returns a value in 0..<1 (injectable for tests).
    public mutating func next(random: () -> Double = { Double.random(in: 0..<1) }) -> Double {
        let ceiling = min(maximum, initial * Double(1 << min(attempt, 20)))
        attempt += 1
        return ceiling / 2 + ceiling / 2 * random()
    }

    /// Back to the first delay (after a success).
    public mutating func reset() { attempt = 0 }
}

/// An agent attribute (mesos.proto `Attribute`): a name and a typed value.
///
/// An agent started with `--attributes='rack:r2d2;pod:demo,dev'` offers `rack` as TEXT `r2d2`
/// and `pod` as TEXT `demo,dev`: Mesos's value parser only makes a SET from `{…}`, and an
/// attribute may not be a SET at all (see docs/task.md).
public struct OfferAttribute: Sendable, Equatable {
    /// The attribute's name.
    public var name: String
    /// The value as the offer typed it.
    public var value: Value

    /// A typed attribute value.
    public enum Value: Sendable, Equatable {
        /// A number (`Value.Scalar`).
        case scalar(Double)
        /// Ranges of integers (`Value.Ranges`).
        case ranges([ValueRange])
        /// A set of strings (`Value.Set`); agents never produce it, but JSON may.
        case set([String])
        /// Free text (`Value.Text`).
        case text(String)
    }

    /// Creates an attribute.
    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    /// The value as Mesos prints it: `r2d2`, `3`, `[1-4]`, `{a, b}`.
    public var valueDescription: String {
        switch value {
        case .scalar(let number): return ScalarQuantity.text(milli: ScalarQuantity.milli(number))
        case .ranges(let ranges): return ValueRange.describe(ranges)
        case .set(let items): return "{" + items.joined(separator: ", ") + "}"
        case .text(let text): return text
        }
    }
}

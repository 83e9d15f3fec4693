/// Mesos keeps scalars as fixed point with three decimals (values.cpp `convertToFixed`);
/// sitepack does its resource arithmetic the same way so 0.1 + 0.2 is exactly 0.3.
public enum ScalarQuantity {
    /// The value in thousandths, rounded half away from zero like `std::llround`; kept within
    /// ±``largestMilli`` (NaN is 0), so an offer's absurd scalar (`1e300`) cannot trap the conversion
    /// and a million of them cannot overflow a sum.
    public static func milli(_ value: Double) -> Int64 {
        guard !value.isNaN else { return 0 }
        let scaled = (value * 1000).rounded(.toNearestOrAwayFromZero)
        return Int64(max(-Double(largestMilli), min(Double(largestMilli), scaled)))
    }

    /// The largest amount in thousandths: 10^12 whole units (a trillion CPUs, an exabyte in MB).
    public static let largestMilli: Int64 = 1_000_000_000_000_000

    /// Thousandths back to a Double with at most three decimals.
    public static func value(milli: Int64) -> Double {
        Double(milli / 1000) + Double(milli % 1000) / 1000
    }

    /// The JSON number for an amount: an integer when whole (`100`), otherwise a decimal (`0.2`).
    static func json(milli: Int64) -> MesosJSON {
        milli % 1000 == 0 ? .integer(milli / 1000) : .number(value(milli: milli))
    }

    /// `0.2`, `100`, `4930` — the amount as a person writes it (no exponent, no trailing zeros).
    public static func text(milli: Int64) -> String {
        let sign = milli < 0 ? "-" : ""
        let magnitude = milli.magnitude
        var fraction = String(magnitude % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(magnitude / 1000) + (fraction.isEmpty ? "" : "." + fraction)
    }
}

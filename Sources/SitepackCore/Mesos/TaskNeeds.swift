/// What a site task asks of an offer: amounts, one port, attribute constraints.
public struct TaskNeeds: Sendable, Equatable {
    /// CPUs (`cpus` scalar).
    public var cpus: Double
    /// Memory in MB (`mem` scalar).
    public var mem: Double
    /// Disk in MB (`disk` scalar), or nil to ask for none.
    public var disk: Double?
    /// A specific port, or nil for the lowest offered one.
    public var port: UInt64?
    /// Attribute constraints, all of which must hold.
    public var constraints: [AttributeConstraint]

    /// Creates the needs.
    public init(cpus: Double, mem: Double, disk: Double? = nil, port: UInt64? = nil, constraints: [AttributeConstraint] = []) {
        self.cpus = cpus
        self.mem = mem
        self.disk = disk
        self.port = port
        self.constraints = constraints
    }

    /// `cpus 0.2, mem 100, 1 port, rack:r2d2`.
    public var summary: String {
        var parts = ["cpus \(ScalarQuantity.text(milli: ScalarQuantity.milli(cpus)))", "mem \(ScalarQuantity.text(milli: ScalarQuantity.milli(mem)))"]
        if let disk { parts.append("disk \(ScalarQuantity.text(milli: ScalarQuantity.milli(disk)))") }
        parts.append(port.map { "port \($0)" } ?? "1 port")
        parts += constraints.map(\.description)
        return parts.joined(separator: ", ")
    }
}

/// Picks the first offer that fits a task and carves the task's resources out of it.
public enum OfferMatcher {
    /// The result of trying one offer.
    public enum Fit: Sendable, Equatable {
        /// The offer fits.
        case fits(Placement)
        /// What the offer lacks, one phrase each.
        case lacks([String])
    }

    /// The first offer that fits, or a ``SitepackError`` (`task.no-offer-fits`) listing each
    /// offer with what it lacks.
    public static func place(_ needs: TaskNeeds, in offers: [Offer]) throws -> Placement {
        var report: [String] = []
        for offer in offers {
            switch fit(needs, offer) {
            case .fits(let placement):
                return placement
            case .lacks(let lacks):
                report.append("  offer \(offer.id) (agent \(offer.hostname)): " + lacks.joined(separator: "; "))
            }
        }
        let noun = offers.count == 1 ? "the offer does not fit" : "none of the \(offers.count) offers fits"
        throw SitepackError(
            .noOfferFits,
            "\(noun) the task (\(needs.summary)):\n" + report.joined(separator: "\n")
        )
    }

    /// Tries one offer.
    public static func fit(_ needs: TaskNeeds, _ offer: Offer) -> Fit {
        var lacks: [String] = []
        var carved: [MesosJSON] = []

        var scalars: [(String, Double)] = [("cpus", needs.cpus), ("mem", needs.mem)]
        if let disk = needs.disk { scalars.append(("disk", disk)) }
        for (name, amount) in scalars {
            switch carveScalar(name, milli: ScalarQuantity.milli(amount), from: offer) {
            case .success(let pieces): carved += pieces
            case .failure(let lack): lacks.append(lack.text)
            }
        }

        var chosenPort: UInt64?
        switch pickPort(needs.port, from: offer) {
        case .success(let (port, resource)):
            chosenPort = port
            carved.append(resource.carved(port: port))
        case .failure(let lack):
            lacks.append(lack.text)
        }

        for constraint in needs.constraints {
            if let mismatch = constraint.mismatch(in: offer.attributes) { lacks.append(mismatch) }
        }

        guard lacks.isEmpty, let port = chosenPort else { return .lacks(lacks) }
        return .fits(Placement(offer: offer, port: port, resources: carved))
    }

    struct Lack: Error { var text: String }

    /// Takes `milli` thousandths of `name` from the offer's carvable SCALAR resources, in offer
    /// order, splitting across several (e.g. reserved then unreserved) when one is not enough.
    static func carveScalar(_ name: String, milli wanted: Int64, from offer: Offer) -> Result<[MesosJSON], Lack> {
        let candidates = offer.resources.filter { $0.name == name && $0.type == "SCALAR" && $0.isCarvable }
        // Kept within ±largestMilli as it adds up, so no number of resources overflows the sum.
        let bound = ScalarQuantity.largestMilli
        let available = candidates.reduce(Int64(0)) { max(-bound, min(bound, $0 + ScalarQuantity.milli($1.scalar ?? 0))) }
        guard available >= wanted else {
            let offered = candidates.isEmpty ? "none offered" : "\(ScalarQuantity.text(milli: available)) offered"
            return .failure(Lack(text: "\(name): \(ScalarQuantity.text(milli: wanted)) needed, \(offered)"))
        }
        var remaining = wanted
        var pieces: [MesosJSON] = []
        for resource in candidates where remaining > 0 {
            let take = min(remaining, ScalarQuantity.milli(resource.scalar ?? 0))
            guard take > 0 else { continue }
            pieces.append(resource.carved(scalar: take))
            remaining -= take
        }
        return .success(pieces)
    }

    /// An offered range and the resource it belongs to.
    struct OfferedRange {
        var range: ValueRange
        var resource: OfferedResource
    }

    /// The requested port if an offered range holds it, else the lowest offered port (never 0).
    static func pickPort(_ requested: UInt64?, from offer: Offer) -> Result<(UInt64, OfferedResource), Lack> {
        var all: [OfferedRange] = []
        for resource in offer.resources where resource.name == "ports" && resource.type == "RANGES" && resource.isCarvable {
            for range in resource.ranges ?? [] where range.end >= 1 && range.begin <= 65535 {
                all.append(OfferedRange(range: range, resource: resource))
            }
        }
        all.sort { $0.range < $1.range }
        guard !all.isEmpty else {
            return .failure(Lack(text: "ports: no ports offered"))
        }
        let offered = ValueRange.describe(all.map { $0.range })
        if let requested {
            if let hit = all.first(where: { $0.range.contains(requested) }) {
                return .success((requested, hit.resource))
            }
            return .failure(Lack(text: "port \(requested) is not offered (offered ports: \(offered))"))
        }
        let lowest = all[0]
        return .success((max(lowest.range.begin, 1), lowest.resource))
    }
}

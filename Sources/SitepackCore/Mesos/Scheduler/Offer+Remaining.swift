extension Offer {
    /// What is left of the offer once `placement` (a fit of `needs`) is carved from it: the scalars
    /// taken in the order ``OfferMatcher`` takes them, and the chosen port removed from its range,
    /// so several tasks can be placed on one offer without over-committing it.
    func remaining(after placement: Placement, needs: TaskNeeds) -> Offer {
        var offer = self
        var scalars: [(String, Int64)] = [("cpus", ScalarQuantity.milli(needs.cpus)), ("mem", ScalarQuantity.milli(needs.mem))]
        if let disk = needs.disk { scalars.append(("disk", ScalarQuantity.milli(disk))) }
        for (name, wanted) in scalars {
            var left = wanted
            for index in offer.resources.indices where left > 0 {
                let resource = offer.resources[index]
                guard resource.name == name, resource.type == "SCALAR", resource.isCarvable else { continue }
                let have = ScalarQuantity.milli(resource.scalar ?? 0)
                let take = min(left, max(have, 0))  // a negative amount gives nothing (and cannot grow `left`)
                offer.resources[index].scalar = ScalarQuantity.value(milli: have - take)
                left -= take
            }
        }
        let port = placement.port
        if let index = offer.resources.firstIndex(where: { $0.name == "ports" && $0.type == "RANGES" && $0.isCarvable && ($0.ranges ?? []).contains { $0.contains(port) } }) {
            offer.resources[index].ranges = (offer.resources[index].ranges ?? []).flatMap { range -> [ValueRange] in
                guard range.contains(port) else { return [range] }
                var pieces: [ValueRange] = []
                if range.begin < port { pieces.append(ValueRange(begin: range.begin, end: port - 1)) }
                if port < range.end { pieces.append(ValueRange(begin: port + 1, end: range.end)) }
                return pieces
            }
        }
        return offer
    }
}

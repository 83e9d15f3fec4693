/// The one rule for site names, shared by every command: whatever `build` accepts, `serve`, `task`,
/// `fetch`, `gc` and the store accept too. A name is a URL path segment (`/sites/<name>/…`), a store
/// folder and an archive's top folder; the DNS-safe forms Mesos and Marathon need (task id prefix,
/// discovery name, Marathon app id) are derived from it with ``dnsLabel(_:)``, never asked of the user.
public enum SiteName {
    /// The longest name accepted, in bytes.
    public static let maximumLength = 200

    /// Letters, digits, `.`, `_`, `-`; not starting with a dot (so never `.`, `..` or a dotfile); 1 to 200 bytes.
    public static func isValid(_ text: String) -> Bool {
        guard let first = text.utf8.first, first != UInt8(ascii: "."), text.utf8.count <= maximumLength else { return false }
        return text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// Returns `name` if it is valid, else throws an error that says what `role` (e.g. `--name`) must hold.
    public static func validated(_ name: String, as role: String) throws -> String {
        guard isValid(name) else {
            throw SitepackError(.invalidInput, "\(role) \"\(name)\" can't be used as a site name: use 1-\(maximumLength) letters, digits, '.', '_' or '-', not starting with '.'")
        }
        return name
    }

    /// The DNS label form of a name (RFC 1123: 1-63 of `a-z`, `0-9`, `-`, not starting or ending with
    /// `-`): lower-cased, every other character becomes `-`, runs of `-` collapse, ends trimmed.
    /// A name with no letter or digit becomes `site`.
    public static func dnsLabel(_ name: String) -> String {
        var label: [UInt8] = []
        label.reserveCapacity(min(name.utf8.count, 63))
        for byte in name.utf8 {
            let lower = (65...90).contains(byte) ? byte + 32 : byte
            let keep = (97...122).contains(lower) || (48...57).contains(lower)
            if keep {
                label.append(lower)
            } else if let last = label.last, last != UInt8(ascii: "-") {
                label.append(UInt8(ascii: "-"))
            }
        }
        if label.count > 63 { label.removeLast(label.count - 63) }
        while label.last == UInt8(ascii: "-") { label.removeLast() }
        return label.isEmpty ? "site" : String(decoding: label, as: UTF8.self)
    }
}

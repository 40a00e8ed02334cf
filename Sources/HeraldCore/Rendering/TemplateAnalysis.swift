extension Template {
    /// Every variable or section name the template reads, with the paths it may resolve
    /// to: inside `{{#app}}`, `{{name}}` may be `app.name` or `name`.
    public var variableCandidates: [(name: String, candidates: [String])] {
        var result: [(String, [String])] = []
        func walk(_ nodes: [Node], scopes: [String]) {
            for node in nodes {
                switch node {
                case .text, .partial: break
                case .variable(let name, _):
                    if !name.components.isEmpty { result.append((name.text, Self.candidates(name.text, scopes))) }
                case .section(let name, _, let children):
                    if !name.components.isEmpty { result.append((name.text, Self.candidates(name.text, scopes))) }
                    walk(children, scopes: scopes + [name.text])
                case .parent(_, _, let blocks): for block in blocks.values { walk(block.nodes, scopes: scopes) }
                case .block(let block): walk(block.nodes, scopes: scopes)
                }
            }
        }
        walk(nodes, scopes: [])
        return result
    }

    private static func candidates(_ name: String, _ scopes: [String]) -> [String] {
        var result: [String] = []
        var prefix = scopes
        while !prefix.isEmpty {
            result.append((prefix + [name]).joined(separator: "."))
            prefix.removeLast()
        }
        return result + [name]
    }
}

/// The template variables Clerk is known to send (../shared/reference/clerk-svix.md §5),
/// and Herald's own `message.*`. Used by `herald check` to flag likely typos.
public enum ClerkVariables {
    /// Paths known to exist (certain) or documented for some slugs.
    public static let known: Set<String> = [
        "app", "app.name", "app.domain_name", "app.url", "app.logo_image_url", "app.logo_url",
        "otp_code", "requested_at", "requested_by", "requested_from",
        "theme", "theme.primary_color", "theme.button_text_color", "theme.show_clerk_branding",
        "user", "user.public_metadata", "user.public_metadata_fallback",
        "action_url", "magic_link", "ttl_minutes",
        "invitation", "invitation.expires_in_days", "invitation.public_metadata",
        "inviter", "inviter.name", "inviter_name", "org", "org.name", "org.logo_image_url",
        "greeting_name", "primary_email_address", "new_email_address",
        "message", "message.to", "message.slug", "message.channel", "message.locale", "message.clerk_id",
    ]
    /// Objects whose members are the user's own (anything below them is accepted).
    public static let openObjects = ["user.public_metadata.", "invitation.public_metadata."]

    public static func isKnown(_ path: String) -> Bool {
        known.contains(path) || openObjects.contains { path.hasPrefix($0) }
    }
}

/// SMS length in segments: GSM-7 (160 characters in one segment, 153 per part when
/// split; the extension characters count twice) or, with any other character, UCS-2
/// (70, then 67 per part; characters outside the BMP count twice).
public struct SMSLength: Sendable, Equatable {
    public enum Encoding: String, Sendable { case gsm7 = "GSM-7", ucs2 = "UCS-2" }
    public var encoding: Encoding
    public var units: Int
    public var segments: Int

    static let basic: Set<Unicode.Scalar> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
            .unicodeScalars)
    static let extended: Set<Unicode.Scalar> = Set("^{}\\[~]|€\u{0C}".unicodeScalars)

    public init(_ text: String) {
        var gsmUnits = 0
        var isGSM = true
        for scalar in text.unicodeScalars {
            if Self.basic.contains(scalar) {
                gsmUnits += 1
            } else if Self.extended.contains(scalar) {
                gsmUnits += 2
            } else {
                isGSM = false
                break
            }
        }
        if isGSM {
            encoding = .gsm7
            units = gsmUnits
            segments = gsmUnits <= 160 ? 1 : (gsmUnits + 152) / 153
        } else {
            encoding = .ucs2
            units = text.utf16.count
            segments = units <= 70 ? 1 : (units + 66) / 67
        }
    }
}

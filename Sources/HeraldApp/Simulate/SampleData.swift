import HeraldCore

/// Sample events for previews and checks: Clerk's documented shape, with the variables
/// the other slugs are expected to carry added, so every shipped template can be shown.
enum SampleData {
    static let extraVariables: [String: JSONValue] = [
        "magic_link": .string("https://accounts.example.com/v1/verify?token=sample-token"),
        "ttl_minutes": .int(10),
        "action_url": .string("https://accounts.example.com/v1/tickets/accept?ticket=sample-ticket"),
        "invitation": .object(["expires_in_days": .int(7), "public_metadata": .object([:])]),
        "inviter": .object(["name": .string("Ana Silva")]),
        "inviter_name": .string("Ana Silva"),
        "org": .object(["name": .string("Example Org"), "logo_image_url": .string("https://img.example.com/org.png")]),
        "greeting_name": .string("Sam"),
        "primary_email_address": .string("user@example.com"),
        "new_email_address": .string("new-address@example.com"),
    ]

    /// The built-in sample event for `channel`, with `slug` set and the extra variables.
    static func event(channel: Channel, slug: String?) -> JSONValue {
        let source = channel == .email ? SampleEvents.email : SampleEvents.sms
        guard case .object(var root) = try? JSONValue.parse(Array(source.utf8)), case .object(var data) = root["data"] else {
            return .null
        }
        if let slug { data["slug"] = .string(slug) }
        if case .object(var variables) = data["data"] {
            for (key, value) in extraVariables where variables[key] == nil { variables[key] = value }
            data["data"] = .object(variables)
        }
        root["data"] = .object(data)
        return .object(root)
    }

    /// Sets `value` at a dotted `path` inside the event's template variables.
    static func setVariable(_ event: JSONValue, path: String, value: JSONValue) -> JSONValue {
        guard case .object(var root) = event, case .object(var data) = root["data"] else { return event }
        let variables = data["data"] ?? .object([:])
        data["data"] = set(variables, path.split(separator: ".").map(String.init)[...], value)
        root["data"] = .object(data)
        return .object(root)
    }

    private static func set(_ target: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue) -> JSONValue {
        guard let first = path.first else { return value }
        var members: [String: JSONValue] = [:]
        if case .object(let existing) = target { members = existing }
        members[first] = set(members[first] ?? .null, path.dropFirst(), value)
        return .object(members)
    }
}

/// How a message reaches its recipient.
public enum Channel: String, Sendable, CaseIterable, Codable {
    case email
    case sms
}

import Foundation
public import HeraldCore

/// Authorization header values.
public enum Credentials {
    /// `Basic base64(user:password)`.
    public static func basic(_ user: String, _ password: String) -> HTTPField {
        HTTPField("Authorization", "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }

    public static func bearer(_ token: String) -> HTTPField {
        HTTPField("Authorization", "Bearer " + token)
    }
}

import HeraldCore

/// What the SES and SNS URLs share (../shared/reference/providers.md sections 5, 5.1, 14):
/// `scheme://ACCESS_KEY_ID:SECRET_ACCESS_KEY@default?region=eu-west-1`, the key checked, the
/// region required and checked (it becomes part of a host name), the public endpoint
/// `https://{prefix}.{region}.amazonaws.com` unless `?endpoint=` or a host is given.
///
/// Only long-term keys: temporary (STS) credentials need a session token and expire within
/// hours, and a URL in the environment cannot be refreshed, so an `ASIA…` key or a
/// `?session_token=` is refused with the reason rather than failing at the first send.
struct AWSAccess: Sendable {
    let name: String
    let credentials: AWSCredentials
    let region: String
    /// Without a trailing slash.
    let base: String
    /// The signing name (`ses`, `sns`).
    let service: String

    /// `known`: the provider's own options; `prefix`: the endpoint prefix (`email` for SES).
    init(_ url: ProviderURL, known: [String], prefix: String, service: String) throws(ProviderURLError) {
        let options = try ProviderOptions(url, known: ["region", "session_token"] + known)
        name = options.name
        if url.option("session_token") != nil {
            throw .invalid(
                "temporary credentials (a session token) are not supported: they expire and Herald cannot refresh them; "
                    + "use an IAM user's access key (AKIA...) allowed \(service):\(service == "ses" ? "SendEmail" : "Publish")")
        }
        let keyID = try options.user("the access key id (AKIA...)")
        guard (16...128).contains(keyID.count), keyID.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
            throw .invalid("the access key id before the : must be upper-case letters and digits, such as AKIA followed by 16 more")
        }
        if keyID.hasPrefix("ASIA") {
            throw .invalid(
                "the access key is a temporary one (ASIA...), which needs a session token and expires: use an IAM user's access key (AKIA...)")
        }
        let secret = try options.password("the secret access key (encode % as %25 if it has one)")
        guard secret.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw .invalid("the secret access key must be printable ASCII without spaces")
        }
        credentials = AWSCredentials(accessKeyID: keyID, secretAccessKey: secret)
        region = try Self.checkedRegion(options.required("region", "the AWS region, such as eu-west-1"))
        self.service = service
        // China's partition has its own domain; every other region is under amazonaws.com.
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        base = try options.base(default: "https://\(prefix).\(region).\(suffix)")
    }

    /// `eu-west-1`, `us-gov-west-1`: lower-case letters, digits and single dashes, starting with
    /// a letter.
    static func checkedRegion(_ text: String) throws(ProviderURLError) -> String {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count <= 40, parts.count >= 2, parts.allSatisfy({ !$0.isEmpty }), text.first?.isLetter == true,
            text.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
        else {
            throw .invalid("region must be an AWS region such as eu-west-1 (lower-case letters, digits and dashes)")
        }
        return text
    }

    /// How the request is signed when it leaves.
    var signing: RequestSigning { .awsSigV4(credentials: credentials, region: region, service: service) }
}

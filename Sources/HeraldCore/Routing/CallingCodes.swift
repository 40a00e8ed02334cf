/// E.164 calling codes to ISO 3166 countries (stub: filled in by the routing work).
public enum CallingCodes {
    /// The country of an E.164 number (`+15145550123` is CA), nil when unknown or shared
    /// beyond telling.
    public static func country(of number: String) -> String? {
        nil
    }
}

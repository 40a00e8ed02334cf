public import HeraldCore

extension ProviderOptions {
    /// A credential that is the whole user part (`resend://KEY@default`): a `:` after it
    /// is a mistake (a user name where none belongs), said without showing either part.
    public func soleKey(_ what: String, example: String) throws(ProviderURLError) -> String {
        let key = try user(what)
        guard url.password == nil else { throw .invalid("give the key alone before the @: \(example)") }
        return key
    }
}

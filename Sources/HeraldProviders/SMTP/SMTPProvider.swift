import HeraldCore

/// `smtp://user:password@host:587[/ehlo][?disable_starttls=true]` and `smtps://...:465`.
enum SMTPProvider {
    static func make(_ url: ProviderURL, _ channel: Channel, _ environment: ProviderEnvironment) throws(ProviderURLError) -> ProviderDefinition {
        let options = try ProviderOptions(url, known: ["disable_starttls"])
        var parsable = url.original
        // SMTPSettings knows only its own option; the common ones are read here.
        if let question = parsable.firstIndex(of: "?") {
            let kept = url.options.filter { !ProviderOptions.common.contains($0.name) }
            parsable = String(parsable[..<question]) + (kept.isEmpty ? "" : "?" + kept.map { "\($0.name)=\($0.value)" }.joined(separator: "&"))
        }
        do {
            var settings = try SMTPSettings(parsing: parsable, ehloName: environment.ehloName)
            settings.caFile = environment.smtpCAFile
            return .smtp(name: url.option("name") == nil ? "smtp" : options.name, settings)
        } catch {
            throw .invalid(error.description)
        }
    }
}

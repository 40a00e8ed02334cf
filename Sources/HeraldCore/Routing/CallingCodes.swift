/// E.164 calling codes to ISO 3166-1 alpha-2 countries, for routing rules by country
/// (`"country": ["US", "CA"]`).
///
/// The longest prefix wins: the ITU's country codes (one, two or three digits), and inside a
/// code that several territories share, the national prefixes that belong to one of them
/// (`+7 7` is Kazakhstan, `+39 06 698` the Vatican). `+1` (the North American Numbering
/// Plan) is resolved by its three-digit area code: Canada's, the Caribbean and Atlantic
/// members', and the US territories' have their own countries; every other area code,
/// non-geographic ones (toll-free 8XX, 900, 5XX) included, is the US.
///
/// Where a shared code cannot be told apart by prefix, every number counts as the code's
/// main territory (``countedAs``): `+590` is Guadeloupe (GP) for Saint Barthélemy and Saint
/// Martin too, whose numbers come from the same blocks; `+61` is Australia for the Cocos
/// and Christmas Islands; `+212` is Morocco; `+500` the Falklands. Territories without an
/// ISO 3166-1 code of their own take the codes libphonenumber and the SMS providers use:
/// `AC` (Ascension, `+247`), `TA` (Tristan da Cunha, `+290 8`), `XK` (Kosovo, `+383`).
/// International networks (`+800`, `+808`, `+870`, `+881`..`+883`, `+888`, `+979`) and
/// spare codes have no country.
///
/// Sources: the ITU's list of E.164 country codes (the Annex to the ITU Operational
/// Bulletin), NANPA's area code assignments, and for the national prefixes inside shared
/// codes the national numbering plans as libphonenumber's `PhoneNumberMetadata.xml` gives
/// them. The table is Herald's own; every fixed-line and mobile example number of that file
/// (google/libphonenumber at f7e3e88, July 2026) resolves to its territory, but for the
/// shared codes above and the mobiles of Åland, Svalbard and the Vatican, which are Finnish,
/// Norwegian and Italian numbers.
public enum CallingCodes {
    /// The country of an E.164 number (`+15145550123` is CA), nil when the number is not
    /// E.164 or its code belongs to no country.
    public static func country(of number: String) -> String? {
        guard Recipient.isValidPhone(number) else { return nil }
        let digits = String(number.dropFirst())
        if digits.hasPrefix("1") { return northAmerican(digits.dropFirst()) }
        var length = min(digits.count, longestPrefix)
        while length > 0 {
            if let country = prefixes[String(digits.prefix(length))] { return country }
            length -= 1
        }
        return nil
    }

    /// Every country ``country(of:)`` can return.
    public static let countries: Set<String> = Set(prefixes.values).union(northAmericanAreas.values).union([northAmericanDefault])

    /// ISO 3166-1 codes of territories whose numbers cannot be told apart from another's,
    /// with the country they count as: a routing rule names that one instead.
    public static let countedAs: [String: (country: String, code: String)] = [
        "BL": ("GP", "+590"), "MF": ("GP", "+590"), "CC": ("AU", "+61"), "CX": ("AU", "+61"), "EH": ("MA", "+212"),
        "GS": ("FK", "+500"), "UM": ("US", "+1"),
    ]

    /// A NANP number after its `1`: exactly ten digits, the area code first (2 to 9).
    static func northAmerican(_ national: Substring) -> String? {
        guard national.count == 10, let first = national.first, first != "0", first != "1" else { return nil }
        return northAmericanAreas[String(national.prefix(3))] ?? northAmericanDefault
    }

    static let northAmericanDefault = "US"

    /// Every prefix of the table: the ITU's codes outside zone 1, and the national prefixes
    /// of territories inside a shared code.
    static let prefixes: [String: String] = {
        var table = worldCodes
        for (prefix, country) in sharedCodeTerritories { table[prefix] = country }
        return table
    }()

    static let longestPrefix = prefixes.keys.map(\.count).max() ?? 3

    /// Territories inside a code they share, by the national prefixes that are theirs
    /// alone; the rest of the code is its main territory (in ``worldCodes``).
    static let sharedCodeTerritories: [String: String] = [
        // +7: Russia, and Kazakhstan's zones 6 and 7 (its numbers are all +7 7 today).
        "76": "KZ", "77": "KZ",
        // +39: Italy, and the Vatican's exchange in Rome's 06 (the ITU's +379 is unused).
        "3906698": "VA",
        // +44: the Crown Dependencies, by Ofcom's ranges (fixed lines and mobile blocks).
        "441481": "GG", "447781": "GG", "447839": "GG", "4479111": "GG", "4479117": "GG",
        "441534": "JE", "447509": "JE", "4477003": "JE", "4477007": "JE", "4477008": "JE", "447797": "JE", "447829": "JE",
        "447937": "JE",
        "441624": "IM", "447524": "IM", "447624": "IM", "447924": "IM", "4474576": "IM",
        // +47 79: Svalbard's fixed lines (its mobiles are Norwegian numbers).
        "4779": "SJ",
        // +262: Réunion, and Mayotte's 269 (fixed), 639 (mobile) and 7093.
        "262269": "YT", "262639": "YT", "2627093": "YT",
        // +290: Saint Helena, and Tristan da Cunha's 8.
        "2908": "TA",
        // +358 18: the Åland Islands' fixed lines (mobiles are Finnish numbers).
        "35818": "AX",
        // +599: Curaçao (9), and the Caribbean Netherlands: Sint Eustatius 3, Saba 4, Bonaire 7.
        "5993": "BQ", "5994": "BQ", "5997": "BQ",
    ]
}

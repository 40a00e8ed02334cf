extension CallingCodes {
    /// The area codes of `+1` that are not the US's, by country (NANPA's assignments;
    /// Canada's from the CNA as well). Any other area code is the US.
    static let northAmericanAreas: [String: String] = {
        var table: [String: String] = [:]
        for (country, areas) in northAmericanMembers {
            for area in areas.split(separator: " ") { table[String(area)] = country }
        }
        return table
    }()

    /// Country, area codes.
    static let northAmericanMembers: [(String, String)] = [
        // Canada: every province's and territory's geographic codes, overlays included
        // (through 2024: 257, 263, 354, 368, 382, 428, 468, 474, 584, 683, 742, 753, 879,
        // 942), and the Canadian non-geographic 600, 622 and 633.
        (
            "CA",
            "204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 403 416 418 428 431 437 438 450 468 474 "
                + "506 514 519 548 579 581 584 587 600 604 613 622 633 639 647 672 683 705 709 742 753 778 780 782 "
                + "807 819 825 867 873 879 902 905 942"
        ),
        // The Caribbean and Atlantic members.
        ("AG", "268"),  // Antigua and Barbuda
        ("AI", "264"),  // Anguilla
        ("BB", "246"),  // Barbados
        ("BM", "441"),  // Bermuda
        ("BS", "242"),  // Bahamas
        ("DM", "767"),  // Dominica
        ("DO", "809 829 849"),  // Dominican Republic
        ("GD", "473"),  // Grenada
        ("JM", "658 876"),  // Jamaica
        ("KN", "869"),  // Saint Kitts and Nevis
        ("KY", "345"),  // Cayman Islands
        ("LC", "758"),  // Saint Lucia
        ("MS", "664"),  // Montserrat
        ("SX", "721"),  // Sint Maarten
        ("TC", "649"),  // Turks and Caicos Islands
        ("TT", "868"),  // Trinidad and Tobago
        ("VC", "784"),  // Saint Vincent and the Grenadines
        ("VG", "284"),  // British Virgin Islands
        // The US territories with ISO codes of their own.
        ("AS", "684"),  // American Samoa
        ("GU", "671"),  // Guam
        ("MP", "670"),  // Northern Mariana Islands
        ("PR", "787 939"),  // Puerto Rico
        ("VI", "340"),  // US Virgin Islands
    ]
}

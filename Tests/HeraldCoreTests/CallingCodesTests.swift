@testable import HeraldCore
import Testing

@Suite struct CallingCodesTests {
    @Test(arguments: [
        // Europe, one code each.
        ("+447400123456", "GB"), ("+442079460321", "GB"), ("+353851234567", "IE"), ("+33612345678", "FR"), ("+4915123456789", "DE"),
        ("+34612345678", "ES"), ("+351912345678", "PT"), ("+420601123456", "CZ"), ("+421912123456", "SK"), ("+423661234567", "LI"),
        ("+38349123456", "XK"), ("+3546101234", "IS"),
        // Elsewhere.
        ("+61412345678", "AU"), ("+6421123456", "NZ"), ("+819012345678", "JP"), ("+8613812345678", "CN"), ("+85291234567", "HK"),
        ("+886912345678", "TW"), ("+919812345678", "IN"), ("+971501234567", "AE"), ("+972501234567", "IL"), ("+201001234567", "EG"),
        ("+27821234567", "ZA"), ("+2348031234567", "NG"), ("+5511912345678", "BR"), ("+5215512345678", "MX"), ("+5068312345", "CR"),
        ("+2474123", "AC"),
    ] as [(String, String)])
    func countries(_ number: String, _ country: String) {
        #expect(CallingCodes.country(of: number) == country)
    }

    @Test(arguments: [
        // NANP: the US, by default, toll-free and premium numbers too.
        ("+12125550123", "US"), ("+14155550123", "US"), ("+13055550123", "US"), ("+19075550123", "US"), ("+18085550123", "US"),
        ("+18005550123", "US"), ("+18885550123", "US"), ("+19005550123", "US"),
        // Canada, across the provinces and territories.
        ("+15145550123", "CA"), ("+14165550123", "CA"), ("+16045550123", "CA"), ("+14035550123", "CA"), ("+13065550123", "CA"),
        ("+12045550123", "CA"), ("+15065550123", "CA"), ("+19025550123", "CA"), ("+17095550123", "CA"), ("+18675550123", "CA"),
        ("+18195550123", "CA"), ("+12635550123", "CA"), ("+19425550123", "CA"), ("+16005550123", "CA"),
        // The Caribbean and Atlantic members.
        ("+18765550123", "JM"), ("+16585550123", "JM"), ("+18095550123", "DO"), ("+18295550123", "DO"), ("+18495550123", "DO"),
        ("+12425550123", "BS"), ("+12465550123", "BB"), ("+18685550123", "TT"), ("+14415550123", "BM"), ("+12685550123", "AG"),
        ("+12645550123", "AI"), ("+17675550123", "DM"), ("+14735550123", "GD"), ("+18695550123", "KN"), ("+13455550123", "KY"),
        ("+17585550123", "LC"), ("+16645550123", "MS"), ("+17215550123", "SX"), ("+16495550123", "TC"), ("+17845550123", "VC"),
        ("+12845550123", "VG"),
        // The US territories.
        ("+17875550123", "PR"), ("+19395550123", "PR"), ("+16715550123", "GU"), ("+13405550123", "VI"), ("+16845550123", "AS"),
        ("+16705550123", "MP"),
    ] as [(String, String)])
    func northAmerica(_ number: String, _ country: String) {
        #expect(CallingCodes.country(of: number) == country)
    }

    @Test func everyCanadianAreaCodeIsCanada() {
        let canada = """
            204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 403 416 418 428 431 437 438 450 468 474 506 514 519 548 \
            579 581 584 587 600 604 613 622 633 639 647 672 683 705 709 742 753 778 780 782 807 819 825 867 873 879 902 905 942
            """.split(separator: " ")
        for area in canada { #expect(CallingCodes.country(of: "+1\(area)5550123") == "CA", "\(area)") }
        #expect(CallingCodes.northAmericanAreas.values.filter { $0 == "CA" }.count == canada.count)
    }

    @Test(arguments: [
        // The longest prefix wins inside a shared code.
        ("+74951234567", "RU"), ("+79161234567", "RU"), ("+77011234567", "KZ"), ("+77172123456", "KZ"), ("+76001234567", "KZ"),
        ("+390612345678", "IT"), ("+393123456789", "IT"), ("+390669812345", "VA"), ("+3790123456", "VA"),
        ("+441534123456", "JE"), ("+447797123456", "JE"), ("+447700312345", "JE"), ("+447700112345", "GB"),
        ("+441481123456", "GG"), ("+447781123456", "GG"), ("+441624123456", "IM"), ("+447624123456", "IM"), ("+441612345678", "GB"),
        ("+4791234567", "NO"), ("+4779012345", "SJ"), ("+358401234567", "FI"), ("+358181234567", "AX"),
        ("+262262123456", "RE"), ("+262692123456", "RE"), ("+262269601234", "YT"), ("+262639012345", "YT"),
        ("+59997123456", "CW"), ("+5997171234", "BQ"), ("+5994161234", "BQ"), ("+5993181234", "BQ"),
        ("+29022123", "SH"), ("+2908123", "TA"),
        // +590 is shared beyond telling: Saint Barthélemy's and Saint Martin's numbers count as Guadeloupe.
        ("+590690001234", "GP"), ("+590590271234", "GP"), ("+590590871234", "GP"),
        // Morocco and Western Sahara; Australia and its islands.
        ("+212528812345", "MA"), ("+61891621234", "AU"),
    ] as [(String, String)])
    func longestPrefix(_ number: String, _ country: String) {
        #expect(CallingCodes.country(of: number) == country)
    }

    @Test(arguments: [
        "", "+", "15145550123", "0015145550123", "++15145550123", "+1 514 555 0123", "+1-514-555-0123", "+1514555O123", "+44abc123456",
        "+447911l23456", "+٤٤٧٩١١١٢٣٤٥٦", "+４４７９１１１２３４５６", "+44", "+4479", "+123456", "+0447911123456",
        "+1514555012", "+151455501234", "+10145550123", "+11145550123", "+1234567890123456",
        // International networks and spare codes have no country.
        "+80012345678", "+88234567890", "+8812345678", "+97912345678", "+2101234567", "+99912345678", "+38812345678",
    ])
    func noCountry(_ number: String) {
        #expect(CallingCodes.country(of: number) == nil)
    }

    @Test func theTableIsConsistent() {
        let world = Set(CallingCodes.worldCodes.keys)
        // The ITU's codes are prefix-free; shared-code prefixes refine one of them.
        for code in world { #expect(!world.contains { $0 != code && $0.hasPrefix(code) }, "\(code)") }
        for prefix in CallingCodes.sharedCodeTerritories.keys {
            #expect(!world.contains(prefix) && world.contains { prefix.hasPrefix($0) }, "\(prefix)")
        }
        let areas = CallingCodes.northAmericanMembers.flatMap { $0.1.split(separator: " ") }
        #expect(areas.count == CallingCodes.northAmericanAreas.count)  // no area code twice
        #expect(areas.allSatisfy { $0.count == 3 && $0.first != "0" && $0.first != "1" })
        #expect(CallingCodes.countries.allSatisfy { $0.utf8.count == 2 && $0.utf8.allSatisfy { (65...90).contains($0) } })
        #expect(CallingCodes.countries.count == 240)
        for (territory, counted) in CallingCodes.countedAs {
            #expect(!CallingCodes.countries.contains(territory) && CallingCodes.countries.contains(counted.country), "\(territory)")
        }
    }
}

import Testing

@testable import HeraldApp

/// `herald serve` raises glibc's trim threshold, unless the operator tuned it.
@Suite struct HeapTrimmingTests {
    @Test func appliedByDefault() {
        #expect(HeapTrimming.apply(environment: [:]))
        #expect(HeapTrimming.apply(environment: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"]))
    }

    @Test(arguments: [
        ["MALLOC_TRIM_THRESHOLD_": "131072"],
        ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"],
        ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0"],
    ])
    func operatorsOwnSettingWins(environment: [String: String]) {
        #expect(!HeapTrimming.apply(environment: environment))
    }
}

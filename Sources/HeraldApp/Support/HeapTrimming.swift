/// How much freed memory at the top of a malloc arena glibc keeps before giving it back
/// to the kernel. glibc's default, 128 KiB, makes the store's thread and the workers
/// return and refault the same few hundred kilobytes after every batch: an madvise, a
/// TLB shootdown on every core and page faults each time, ~8% of the CPU per delivered
/// message. 4 MiB per arena (at most 8 arenas per core) stops that churn and stays small.
enum HeapTrimming {
    static let threshold: Int32 = 4 << 20
    /// `M_TRIM_THRESHOLD` of glibc's <malloc.h>, which Swift's Glibc module leaves out.
    static let trimThresholdParameter: Int32 = -1

    /// Applies ``threshold`` unless the operator tuned malloc's trimming themselves
    /// (`MALLOC_TRIM_THRESHOLD_`, or `trim_threshold` in `GLIBC_TUNABLES`). Returns
    /// whether it was applied.
    @discardableResult
    static func apply(environment: [String: String]) -> Bool {
        if environment["MALLOC_TRIM_THRESHOLD_"] != nil { return false }
        if let tunables = environment["GLIBC_TUNABLES"], tunables.contains("trim_threshold") { return false }
        return mallopt(trimThresholdParameter, threshold) == 1
    }
}

/// glibc's `int mallopt(int param, int value)`, declared by hand for the same reason.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

//! Helpers shared by the fuzz targets in `fuzz_targets/`.

/// Known, reported core issues to step over while fuzzing for others: comma-separated ids in
/// the `DBTOKEN_FUZZ_KNOWN` environment variable (the ids are listed in fuzz/RESULTS.md).
/// CI sets none, so an open issue fails the hardening stage until the core is fixed.
pub fn known(id: &str) -> bool {
    static KNOWN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KNOWN
        .get_or_init(|| std::env::var("DBTOKEN_FUZZ_KNOWN").unwrap_or_default())
        .split(',')
        .any(|k| k.trim() == id)
}

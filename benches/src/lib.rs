//! Benchmarks live in `benches/tokens.rs`.

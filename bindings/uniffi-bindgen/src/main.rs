//! `uniffi-bindgen`, built from the workspace so that its version always equals the one
//! `dbtoken-uniffi` links (a mismatch produces bindings whose checksums the library rejects).
//!
//! ```sh
//! cargo run --release -p dbtoken-uniffi-bindgen -- generate \
//!     --library target/release/libdbtoken_uniffi.so --language kotlin --out-dir out/
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}

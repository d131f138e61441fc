//! `dbtoken::url_encode` against a reference encoder written here from RFC 3986: the unreserved
//! characters `A-Z a-z 0-9 - . _ ~` stay, every other byte of the UTF-8 becomes `%XX` with
//! upper-case hex. Output, `url_encoded_len` and the buffer-size error must all agree.
#![no_main]

use dbtoken::{Error, url_encode, url_encode_string, url_encoded_len};
use libfuzzer_sys::fuzz_target;

fn reference(input: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for b in input.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            write!(out, "%{b:02X}").expect("writing to a String");
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    // Invalid UTF-8 is replaced (U+FFFD) so that every input exercises the encoder.
    let input = String::from_utf8_lossy(data);
    let expected = reference(&input);

    assert_eq!(url_encoded_len(&input), expected.len());
    assert_eq!(url_encode_string(&input), expected);

    let mut buf = vec![0u8; expected.len()];
    assert_eq!(url_encode(&input, &mut buf), Ok(expected.as_str()));
    // A larger buffer: same text, the rest untouched.
    let mut big = vec![0xAAu8; expected.len() + 5];
    assert_eq!(url_encode(&input, &mut big), Ok(expected.as_str()));
    assert!(big[expected.len()..].iter().all(|&b| b == 0xAA));
    // Any smaller buffer: an error, never a panic or a cut token.
    if !expected.is_empty() {
        for short in [expected.len() - 1, expected.len() / 2, 0] {
            let mut small = vec![0u8; short];
            assert_eq!(url_encode(&input, &mut small), Err(Error::BufferTooSmall));
        }
    }
});

//! Byte-level helpers: RFC 3986 encoding, hex, decimal, dates, and the output cursor.

use crate::Error;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 3986 unreserved characters: `A-Z a-z 0-9 - . _ ~`.
#[inline]
pub(crate) fn is_unreserved(b: u8) -> bool {
    UNRESERVED.get(usize::from(b)).copied().unwrap_or(false)
}

#[allow(clippy::indexing_slicing)] // const evaluation: an out-of-range index fails the build
const UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b'~';
        i += 1;
    }
    t
};

/// Length of `input` after RFC 3986 percent-encoding.
#[inline]
pub(crate) fn encoded_len(input: &[u8]) -> usize {
    input
        .iter()
        .map(|&b| if is_unreserved(b) { 1 } else { 3 })
        .sum()
}

/// The three bytes `%XX` for `b`.
#[inline]
pub(crate) fn pct(b: u8) -> [u8; 3] {
    let hi = HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
    let lo = HEX_UPPER.get(usize::from(b & 15)).copied().unwrap_or(b'0');
    [b'%', hi, lo]
}

/// Lower-case hex digit of `n` (0–15), without a table or a branch: `'0' + n`, plus the gap
/// from `'9' + 1` to `'a'` (39) when `n` > 9.
#[inline]
const fn hex_digit(n: u8) -> u8 {
    n + b'0' + ((9u8.wrapping_sub(n) >> 7) * 39)
}

/// Lower-case hex of a 32-byte digest.
#[inline]
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (pair, &b) in out.as_chunks_mut::<2>().0.iter_mut().zip(bytes) {
        *pair = [hex_digit(b >> 4), hex_digit(b & 15)];
    }
    out
}

/// Value of one ASCII hex digit (either case).
#[inline]
pub(crate) const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decimal digits of `n` (at most 20), right-aligned; returns the used tail.
pub(crate) struct Decimal {
    buf: [u8; 20],
    start: usize,
}

impl Decimal {
    pub(crate) fn new(mut n: u64) -> Self {
        let mut buf = [b'0'; 20];
        let mut i = buf.len();
        loop {
            i = i.saturating_sub(1);
            if let Some(slot) = buf.get_mut(i) {
                // `n % 10` < 10, so the cast is lossless.
                *slot = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        Decimal { buf, start: i }
    }
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or(&[])
    }
}

/// Largest Unix time we sign: 9999-12-31T23:59:59Z.
pub(crate) const MAX_UNIX_TIME: u64 = 253_402_300_799;

/// `YYYYMMDDTHHMMSSZ` for a Unix time (UTC). Caller checks `t <= MAX_UNIX_TIME`.
pub(crate) fn amz_date(t: u64) -> [u8; 16] {
    let days = t / 86_400;
    let secs = t % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = *b"00000000T000000Z";
    put_digits(&mut out, 0, y, 4);
    put_digits(&mut out, 4, m, 2);
    put_digits(&mut out, 6, d, 2);
    put_digits(&mut out, 9, hh, 2);
    put_digits(&mut out, 11, mm, 2);
    put_digits(&mut out, 13, ss, 2);
    out
}

fn put_digits(out: &mut [u8], at: usize, mut v: u64, width: usize) {
    for i in (0..width).rev() {
        if let Some(slot) = out.get_mut(at.saturating_add(i)) {
            *slot = b'0' + (v % 10) as u8;
        }
        v /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`, unsigned because we never sign before 1970).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days.saturating_add(719_468);
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Inverse of [`amz_date`]: parses `YYYYMMDDTHHMMSSZ`.
pub(crate) fn parse_amz_date(s: &[u8]) -> Option<u64> {
    let [
        y0,
        y1,
        y2,
        y3,
        mo0,
        mo1,
        d0,
        d1,
        b'T',
        h0,
        h1,
        mi0,
        mi1,
        s0,
        s1,
        b'Z',
    ] = *s
    else {
        return None;
    };
    let num = |ds: &[u8]| -> Option<u64> {
        ds.iter().try_fold(0u64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u64::from(c - b'0'))
        })
    };
    let y = num(&[y0, y1, y2, y3])?;
    let m = num(&[mo0, mo1])?;
    let d = num(&[d0, d1])?;
    let (hh, mm, ss) = (num(&[h0, h1])?, num(&[mi0, mi1])?, num(&[s0, s1])?);
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d == 0
        || hh > 23
        || mm > 59
        || ss > 59
    {
        return None;
    }
    let days = days_from_civil(y, m, d)?;
    let t = days * 86_400 + hh * 3600 + mm * 60 + ss;
    // Reject impossible dates such as 20230230.
    (amz_date(t) == *<&[u8; 16]>::try_from(s).ok()?).then_some(t)
}

fn days_from_civil(y: u64, m: u64, d: u64) -> Option<u64> {
    let y = if m <= 2 { y.checked_sub(1)? } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).checked_sub(719_468)
}

/// A write cursor over the caller's buffer. Every write is bounds-checked and fails with
/// [`Error::BufferTooSmall`]; nothing allocates.
pub(crate) struct Cursor<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Cursor<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
    #[inline]
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(Error::BufferTooSmall)?;
        self.buf
            .get_mut(self.pos..end)
            .ok_or(Error::BufferTooSmall)?
            .copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }
    /// Writes `input` lower-cased (ASCII).
    pub(crate) fn put_lower(&mut self, input: &[u8]) -> Result<(), Error> {
        let end = self
            .pos
            .checked_add(input.len())
            .ok_or(Error::BufferTooSmall)?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(Error::BufferTooSmall)?;
        for (d, s) in dst.iter_mut().zip(input) {
            *d = s.to_ascii_lowercase();
        }
        self.pos = end;
        Ok(())
    }
    /// Writes `input` RFC 3986-encoded.
    pub(crate) fn put_encoded(&mut self, input: &[u8]) -> Result<(), Error> {
        let dst = self.buf.get_mut(self.pos..).ok_or(Error::BufferTooSmall)?;
        let mut out = dst.iter_mut();
        let mut n = 0usize;
        for &b in input {
            if is_unreserved(b) {
                *out.next().ok_or(Error::BufferTooSmall)? = b;
                n += 1;
            } else {
                for c in pct(b) {
                    *out.next().ok_or(Error::BufferTooSmall)? = c;
                }
                n += 3;
            }
        }
        self.pos += n;
        Ok(())
    }
    /// The bytes written so far.
    pub(crate) fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or(&[])
    }
    /// Bytes in `range` of what was written.
    pub(crate) fn slice(&self, from: usize, to: usize) -> &[u8] {
        self.written().get(from..to).unwrap_or(&[])
    }
    pub(crate) fn into_written(self) -> &'b [u8] {
        let pos = self.pos;
        let buf: &'b [u8] = self.buf;
        buf.get(..pos).unwrap_or(&[])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for (t, s) in [
            (0u64, "19700101T000000Z"),
            (951_782_400, "20000229T000000Z"),
            (946_684_799, "19991231T235959Z"),
            (1_709_164_800, "20240229T000000Z"),
            (MAX_UNIX_TIME, "99991231T235959Z"),
        ] {
            assert_eq!(&amz_date(t), s.as_bytes());
            assert_eq!(parse_amz_date(s.as_bytes()), Some(t));
        }
        assert_eq!(parse_amz_date(b"20230230T000000Z"), None);
        assert_eq!(parse_amz_date(b"2023023T0000000Z"), None);
    }

    #[test]
    fn hex() {
        for n in 0..16u8 {
            assert_eq!(hex_digit(n), b"0123456789abcdef"[usize::from(n)]);
        }
        let bytes: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0xa5);
        let mut want = [0u8; 64];
        for (i, b) in bytes.iter().enumerate() {
            want[2 * i] = b"0123456789abcdef"[usize::from(b >> 4)];
            want[2 * i + 1] = b"0123456789abcdef"[usize::from(b & 15)];
        }
        assert_eq!(hex32(&bytes), want);
    }

    #[test]
    fn decimal() {
        assert_eq!(Decimal::new(0).as_bytes(), b"0");
        assert_eq!(Decimal::new(900).as_bytes(), b"900");
        assert_eq!(Decimal::new(u64::MAX).as_bytes(), b"18446744073709551615");
    }
}

//! Time arguments (`--signing-time`, `--now`) and RFC 3339 output.

use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses Unix seconds (`1705322096`) or RFC 3339 (`2024-01-15T12:34:56Z`, any offset).
pub fn parse_time(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<u64>()
            .map_err(|_| "Unix seconds out of range".to_owned());
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
        "expected Unix seconds (1705322096) or RFC 3339 (2024-01-15T12:34:56Z)".to_owned()
    })?;
    u64::try_from(t.unix_timestamp()).map_err(|_| "times before 1970 are not supported".to_owned())
}

/// The current time in Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Unix seconds of a `SystemTime`, rounded down (0 before the epoch).
pub fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `2024-01-15T12:34:56Z`, or the number itself when it is outside what RFC 3339 can show.
pub fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_time("1705322096"), Ok(1_705_322_096));
        assert_eq!(parse_time("2024-01-15T12:34:56Z"), Ok(1_705_322_096));
        assert_eq!(parse_time("2024-01-15T13:34:56+01:00"), Ok(1_705_322_096));
        assert!(parse_time("1969-12-31T23:59:59Z").is_err());
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("").is_err());
        assert_eq!(rfc3339(1_705_322_096), "2024-01-15T12:34:56Z");
    }
}

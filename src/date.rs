//! Dates of posts: the three forms authors write (`2023-06-08T06:14:00+08:00`,
//! `2023-06-08 06:14` in the site timezone, `2023-06-08`), resolved to a
//! moment with its offset.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// Parse a date as written in front matter; dates without an offset are in `tz`.
pub fn parse(text: &str, tz: FixedOffset) -> Result<DateTime<FixedOffset>, String> {
    let s = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d);
    }
    // RFC 3339 with a space instead of `T`, or without seconds.
    for fmt in ["%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z", "%Y-%m-%d %H:%M:%S %:z", "%Y-%m-%d %H:%M %:z"] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return Ok(d);
        }
    }
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| d.and_time(NaiveTime::MIN)));
    match naive {
        Some(n) => tz.from_local_datetime(&n).single().ok_or_else(|| format!("`{s}` does not exist in timezone {tz}")),
        None => Err(format!("`{s}` is not a date; write `2023-06-08`, `2023-06-08 06:14` or `2023-06-08T06:14:00+08:00`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz8() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn three_forms() {
        assert_eq!(parse("2023-06-08T06:14:00+08:00", tz8()).unwrap().to_rfc3339(), "2023-06-08T06:14:00+08:00");
        assert_eq!(parse("2023-06-08 06:14", tz8()).unwrap().to_rfc3339(), "2023-06-08T06:14:00+08:00");
        assert_eq!(parse("2023-06-08", tz8()).unwrap().to_rfc3339(), "2023-06-08T00:00:00+08:00");
        assert_eq!(parse("2023-06-07T22:14:00Z", tz8()).unwrap().to_rfc3339(), "2023-06-07T22:14:00+00:00");
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse("2023-13-01", tz8()).is_err());
        assert!(parse("2023-02-30", tz8()).is_err());
        assert!(parse("yesterday", tz8()).unwrap_err().contains("is not a date"));
        assert!(parse("2023-06-08T06:14:00+25:00", tz8()).is_err());
    }
}

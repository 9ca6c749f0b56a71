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
        None => Err(diagnose(s)),
    }
}

/// Why `s` is not a date: the part that is wrong, when the shape is right.
fn diagnose(s: &str) -> String {
    let forms = "write `2023-06-08`, `2023-06-08 06:14` or `2023-06-08T06:14:00+08:00`";
    let b = s.as_bytes();
    let shaped = |t: &[u8], pattern: &str| {
        t.len() >= pattern.len() && pattern.bytes().zip(t).all(|(p, c)| if p == b'9' { c.is_ascii_digit() } else { p == *c })
    };
    if !shaped(b, "9999-99-99") {
        return format!("`{s}` is not a date; {forms}");
    }
    let day = &s[..10];
    if NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() {
        return format!("there is no day {day} in the calendar");
    }
    let rest = &s[10..];
    let Some(time) = rest.strip_prefix(['T', ' ']).filter(|t| shaped(t.as_bytes(), "99:99")) else {
        return format!("`{s}` is not a date; {forms}");
    };
    let hm = &time[..5];
    let (h, m): (u32, u32) = (hm[..2].parse().unwrap_or(99), hm[3..].parse().unwrap_or(99));
    let sec_ok = match time[5..].strip_prefix(':') {
        Some(t) if shaped(t.as_bytes(), "99") => t[..2].parse::<u32>().is_ok_and(|v| v < 60),
        _ => true,
    };
    if h > 23 || m > 59 || !sec_ok {
        return format!("{} is not a time of day", time.split(['+', '-', 'Z', ' ']).next().unwrap_or(time));
    }
    if let Some(i) = time.find(['+', '-']) {
        let offset = &time[i..];
        if crate::config::parse_offset(offset).is_none() {
            return format!("`{offset}` is not a UTC offset; write it like `+08:00`, `-05:00` or `Z`");
        }
    }
    format!("`{s}` is not a date; {forms}")
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

    #[test]
    fn says_which_part_is_wrong() {
        assert_eq!(parse("2023-02-30", tz8()).unwrap_err(), "there is no day 2023-02-30 in the calendar");
        assert_eq!(parse("2023-02-03 25:00", tz8()).unwrap_err(), "25:00 is not a time of day");
        assert_eq!(parse("2023-02-03T10:00:61+08:00", tz8()).unwrap_err(), "10:00:61 is not a time of day");
        assert_eq!(parse("2023-02-03T10:00:00+25:00", tz8()).unwrap_err(), "`+25:00` is not a UTC offset; write it like `+08:00`, `-05:00` or `Z`");
        assert!(parse("2023-06-08 6pm", tz8()).unwrap_err().contains("is not a date; write"));
        assert!(parse("06/08/2023", tz8()).unwrap_err().contains("is not a date; write"));
    }
}

//! Dates of posts: the three forms authors write (`2023-06-08T06:14:00+08:00`,
//! `2023-06-08 06:14` in the site's time zone, `2023-06-08`), resolved to a
//! moment with its offset; and the site's time zone, a fixed offset or an IANA
//! zone whose offset changes with daylight saving.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

/// The site's time zone: a fixed offset (`+08:00`, `UTC`) or an IANA zone
/// (`Asia/Shanghai`, `America/New_York`), whose offset depends on the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Fixed(FixedOffset),
    Named(chrono_tz::Tz),
}

impl From<FixedOffset> for Zone {
    fn from(offset: FixedOffset) -> Zone {
        Zone::Fixed(offset)
    }
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset"))
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Zone::Fixed(o) => write!(f, "{o}"),
            Zone::Named(tz) => f.write_str(tz.name()),
        }
    }
}

impl Zone {
    /// `+08:00`, `-0500`, `UTC`, `Z`, or an IANA name such as `Asia/Shanghai`;
    /// else why not, with the nearest zone name.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let s = text.trim();
        if let Some(offset) = crate::config::parse_offset(s) {
            return Ok(Zone::Fixed(offset));
        }
        if let Ok(tz) = s.parse::<chrono_tz::Tz>() {
            return Ok(Zone::Named(tz));
        }
        Err(format!(
            "timezone `{s}` is neither an offset like `+08:00`, `-05:00` or `UTC` nor an IANA time zone like `Asia/Shanghai`{}",
            zone_hint(s)
        ))
    }

    /// The moment the local date and time `local` names in this zone. A time
    /// that happens twice (clocks set back) is its first occurrence; one that
    /// never happens (clocks set forward) is an error.
    pub fn resolve(&self, local: &NaiveDateTime) -> Result<DateTime<FixedOffset>, String> {
        let found = match self {
            Zone::Fixed(o) => o.from_local_datetime(local).map(|d| d.fixed_offset()),
            Zone::Named(tz) => tz.from_local_datetime(local).map(|d| d.fixed_offset()),
        };
        match found {
            LocalResult::Single(d) | LocalResult::Ambiguous(d, _) => Ok(d),
            LocalResult::None => Err(format!(
                "{} does not exist in {self}: the clocks skip it when daylight saving time begins; write the time after the change, or an offset",
                local.format("%Y-%m-%d %H:%M")
            )),
        }
    }

    /// The moment `t` on this zone's clock.
    pub fn at<T: TimeZone>(&self, t: &DateTime<T>) -> DateTime<FixedOffset> {
        match self {
            Zone::Fixed(o) => t.with_timezone(o),
            Zone::Named(tz) => t.with_timezone(tz).fixed_offset(),
        }
    }
}

/// "did you mean" for a zone name: the same name in other case, a close
/// name, or the zone of a city written alone (`Shanghai`, `new york`).
fn zone_hint(s: &str) -> String {
    let names = || chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    if let Some(name) = names().find(|n| n.eq_ignore_ascii_case(s)) {
        return format!(" (did you mean `{name}`?)");
    }
    let hint = crate::error::did_you_mean(s, names());
    if !hint.is_empty() {
        return hint;
    }
    let city = |n: &str| n.rsplit('/').next().unwrap_or(n).replace('_', " ").to_lowercase();
    let wanted = city(s);
    let by_city: std::collections::BTreeMap<String, &str> = names().filter(|n| n.contains('/')).map(|n| (city(n), n)).collect();
    let hint = crate::error::did_you_mean(&wanted, by_city.keys().map(String::as_str));
    match hint.split('`').nth(1).and_then(|c| by_city.get(c)) {
        Some(name) => format!(" (did you mean `{name}`?)"),
        None => String::new(),
    }
}

/// A date as written: the moment, and whether the author gave a time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub at: DateTime<FixedOffset>,
    /// False for `2023-06-08`, which is midnight in the site's zone but shown as the day alone.
    pub has_time: bool,
}

/// Parse a date as written in front matter; dates without an offset are in `tz`.
pub fn parse(text: &str, tz: impl Into<Zone>) -> Result<DateTime<FixedOffset>, String> {
    parse_written(text, tz).map(|w| w.at)
}

/// [`parse`], keeping whether a time of day was written.
pub fn parse_written(text: &str, tz: impl Into<Zone>) -> Result<Written, String> {
    let tz = tz.into();
    let s = text.trim();
    let timed = |at| Ok(Written { at, has_time: true });
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return timed(d);
    }
    // RFC 3339 with a space instead of `T`, or without seconds.
    for fmt in ["%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z", "%Y-%m-%d %H:%M:%S %:z", "%Y-%m-%d %H:%M %:z"] {
        if let Ok(d) = DateTime::parse_from_str(s, fmt) {
            return timed(d);
        }
    }
    if let Some(n) = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(s, fmt).ok())
    {
        return tz.resolve(&n).map(|at| Written { at, has_time: true });
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        // Midnight, or the first moment of the day where the clocks skip midnight.
        Ok(day) => (0..24)
            .find_map(|h| tz.resolve(&day.and_time(NaiveTime::from_hms_opt(h, 0, 0)?)).ok())
            .map(|at| Written { at, has_time: false })
            .ok_or_else(|| format!("`{s}` does not exist in {tz}")),
        Err(_) => Err(diagnose(s)),
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

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    #[test]
    fn iana_zones_follow_daylight_saving() {
        let ny = zone("America/New_York");
        assert_eq!(parse("2023-07-01 09:00", ny).unwrap().to_rfc3339(), "2023-07-01T09:00:00-04:00");
        assert_eq!(parse("2023-01-15 09:00", ny).unwrap().to_rfc3339(), "2023-01-15T09:00:00-05:00");
        // The last minute before the change, and the first after (2023-03-12 02:00 → 03:00).
        assert_eq!(parse("2023-03-12 01:59", ny).unwrap().to_rfc3339(), "2023-03-12T01:59:00-05:00");
        assert_eq!(parse("2023-03-12 03:00", ny).unwrap().to_rfc3339(), "2023-03-12T03:00:00-04:00");
        assert!(parse("2023-03-12 02:30", ny).unwrap_err().contains("does not exist in America/New_York"));
        // 01:30 happens twice on 2023-11-05: the first, still daylight time.
        assert_eq!(parse("2023-11-05 01:30", ny).unwrap().to_rfc3339(), "2023-11-05T01:30:00-04:00");
        assert_eq!(parse("2023-11-05 03:00", ny).unwrap().to_rfc3339(), "2023-11-05T03:00:00-05:00");
        assert_eq!(parse("2023-06-08", zone("Asia/Shanghai")).unwrap().to_rfc3339(), "2023-06-08T00:00:00+08:00");
        // An offset written in the date wins over the zone.
        assert_eq!(parse("2023-07-01T09:00:00+02:00", ny).unwrap().to_rfc3339(), "2023-07-01T09:00:00+02:00");
        // Where midnight is skipped (Santiago, 2023-09-03), a day is its first hour.
        assert_eq!(parse("2023-09-03", zone("America/Santiago")).unwrap().to_rfc3339(), "2023-09-03T01:00:00-03:00");
    }

    #[test]
    fn zones_parse_with_suggestions() {
        assert_eq!(zone("+08:00"), Zone::Fixed(tz8()));
        assert_eq!(zone("UTC").to_string(), "+00:00");
        assert_eq!(zone("Asia/Shanghai").to_string(), "Asia/Shanghai");
        assert!(Zone::parse("Asia/Shangai").unwrap_err().ends_with("(did you mean `Asia/Shanghai`?)"));
        assert!(Zone::parse("asia/shanghai").unwrap_err().ends_with("(did you mean `Asia/Shanghai`?)"));
        assert!(Zone::parse("Mars").unwrap_err().starts_with("timezone `Mars` is neither an offset"));
        assert!(Zone::parse("Shanghai").unwrap_err().ends_with("(did you mean `Asia/Shanghai`?)"));
        assert!(Zone::parse("new york").unwrap_err().ends_with("(did you mean `America/New_York`?)"));
        let utc = chrono::DateTime::parse_from_rfc3339("2023-07-01T12:00:00Z").unwrap();
        assert_eq!(zone("America/New_York").at(&utc).to_rfc3339(), "2023-07-01T08:00:00-04:00");
    }

    #[test]
    fn days_are_written_without_a_time() {
        assert!(!parse_written("2023-06-08", tz8()).unwrap().has_time);
        assert!(parse_written("2023-06-08 00:00", tz8()).unwrap().has_time);
        assert!(parse_written("2023-06-08T06:14:00+08:00", tz8()).unwrap().has_time);
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

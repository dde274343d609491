//! The value casts beyond the storage classes: date-times, dates, Unix timestamps, a
//! closed set of strings, and decimals kept as text. Each reads a stored value into the
//! attribute's form and checks and normalizes a caller's value before it is bound — a
//! value the cast can't take is an error before any SQL, never stored as given.
//!
//! | cast                 | stored as                          | attribute          |
//! |----------------------|------------------------------------|--------------------|
//! | `Column::datetime`   | TEXT `2026-12-04T09:30:00.000Z` (UTC, milliseconds, as `created_at`) | that text |
//! | `Column::date`       | TEXT `2026-12-04`                  | that text          |
//! | `Column::unix_timestamp` | INTEGER seconds since the epoch    | the integer        |
//! | `Column::one_of(&[..])` | TEXT, one of the listed values     | that text          |
//! | `Column::decimal(scale)` | TEXT with exactly `scale` decimals (`"12.50"`), no float rounding | that text |
//!
//! A date-time is accepted as RFC 3339 with any offset (converted to UTC), as
//! `YYYY-MM-DD HH:MM:SS[.fff]` or `YYYY-MM-DD` (taken as UTC), or as Unix seconds.
//! `get_as::<chrono::DateTime<Utc>>` reads a date-time attribute. Each cast is a
//! [`Conversion`] the column points at, so only an app that declares one links it.
//! This module only converts values.

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

use crate::error::{OrmError, Result};

use crate::model::column::Conversion;
use crate::value::SqlValue;

/// [`Column::datetime`](crate::model::Column::datetime)'s cast.
pub(crate) const DATETIME: Conversion = Conversion {
    name: "datetime",
    read: read_datetime,
    write: |v, _| write_datetime(v).map(SqlValue::Text),
};
/// [`Column::date`](crate::model::Column::date)'s cast.
pub(crate) const DATE: Conversion = Conversion {
    name: "date",
    read: read_date,
    write: |v, _| write_date(v).map(SqlValue::Text),
};
/// [`Column::unix_timestamp`](crate::model::Column::unix_timestamp)'s cast.
pub(crate) const UNIX: Conversion = Conversion {
    name: "unix_timestamp",
    read: |v| v,
    write: |v, _| write_unix(v).map(SqlValue::Integer),
};
/// [`Column::one_of`](crate::model::Column::one_of)'s cast.
pub(crate) const ONE_OF: Conversion = Conversion {
    name: "one_of",
    read: |v| v,
    write: |v, column| write_one_of(v, column.allowed).map(SqlValue::Text),
};
/// [`Column::decimal`](crate::model::Column::decimal)'s cast (stored text is already normalized by its writes).
pub(crate) const DECIMAL: Conversion = Conversion {
    name: "decimal",
    read: |v| v,
    write: |v, column| write_decimal(v, column.scale).map(SqlValue::Text),
};

fn refuse(value: &Value, what: &str) -> OrmError {
    OrmError::InvalidAttributes(format!("{value} is not {what}"))
}

/// A caller's or a stored value as a UTC date-time.
fn parse_datetime(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => Utc.timestamp_opt(n.as_i64()?, 0).single(),
        Value::String(s) => parse_text(s.trim().as_bytes()),
        _ => None,
    }
}

/// `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fff…]]` and an
/// offset (`Z`, `±HH:MM`, `±HHMM`; none means UTC). Parsed by hand rather than with
/// chrono's format parsers, which would add ~20 KiB to every Worker (this cast is
/// reachable from every read).
fn parse_text(s: &[u8]) -> Option<DateTime<Utc>> {
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = s.get(range)?;
        digits.iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    if s.get(4) != Some(&b'-') || s.get(7) != Some(&b'-') {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    if s.len() == 10 {
        return Some(date.and_hms_opt(0, 0, 0)?.and_utc());
    }
    if !matches!(s.get(10), Some(b'T' | b't' | b' ')) || s.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (number(11..13)?, number(14..16)?);
    let mut i = 16;
    let mut second = 0;
    if s.get(i) == Some(&b':') {
        second = number(17..19)?;
        i = 19;
    }
    let mut nanos = 0u32;
    if s.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + u32::from(s[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub((i - start) as u32));
    }
    let time = date.and_hms_nano_opt(hour, minute, second, nanos)?;
    let offset_seconds: i64 = match &s[i..] {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let hm: Vec<u8> = rest.iter().copied().filter(|b| *b != b':').collect();
            if hm.len() != 4 || !hm.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let value = |i: usize| i64::from(hm[i] - b'0');
            let seconds = (value(0) * 10 + value(1)) * 3600 + (value(2) * 10 + value(3)) * 60;
            if *sign == b'+' {
                seconds
            } else {
                -seconds
            }
        }
        _ => return None,
    };
    let utc = time.and_utc() - chrono::TimeDelta::try_seconds(offset_seconds)?;
    Some(utc)
}

fn datetime_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `YYYY-MM-DD` of a UTC date-time.
fn date_text(t: DateTime<Utc>) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", t.year(), t.month(), t.day())
}

/// The stored form of a `DateTime` attribute.
pub(crate) fn write_datetime(value: &Value) -> Result<String> {
    parse_datetime(value)
        .map(datetime_text)
        .ok_or_else(|| refuse(value, "a date-time"))
}

/// The stored form of a `Date` attribute.
pub(crate) fn write_date(value: &Value) -> Result<String> {
    parse_datetime(value)
        .map(date_text)
        .ok_or_else(|| refuse(value, "a date"))
}

/// The stored form of a `UnixTimestamp` attribute.
pub(crate) fn write_unix(value: &Value) -> Result<i64> {
    parse_datetime(value)
        .map(|t| t.timestamp())
        .ok_or_else(|| refuse(value, "a date-time or Unix timestamp"))
}

/// The stored form of a `OneOf` attribute.
pub(crate) fn write_one_of(value: &Value, allowed: &[&str]) -> Result<String> {
    match value.as_str() {
        Some(s) if allowed.contains(&s) => Ok(s.to_string()),
        _ => Err(refuse(value, &format!("one of {allowed:?}"))),
    }
}

/// `value` (a number or numeric text) as text with exactly `scale` decimals, rounded
/// half away from zero on the digits themselves (no float).
pub(crate) fn write_decimal(value: &Value, scale: u8) -> Result<String> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return Err(refuse(value, "a decimal")),
    };
    decimal(&text, usize::from(scale)).ok_or_else(|| refuse(value, "a decimal"))
}

fn decimal(text: &str, scale: usize) -> Option<String> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    // Digits of int + the first `scale` decimals, as a number to round.
    let mut kept: Vec<u8> = int.bytes().map(|b| b - b'0').collect();
    let mut fraction: Vec<u8> = frac.bytes().map(|b| b - b'0').collect();
    let round_up = fraction.get(scale).is_some_and(|&d| d >= 5);
    fraction.resize(scale, 0);
    kept.extend(&fraction);
    if round_up {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, 1);
                break;
            }
            i -= 1;
            if kept[i] == 9 {
                kept[i] = 0;
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let split = kept.len() - scale;
    let int_digits: String = kept[..split].iter().map(|d| char::from(b'0' + d)).collect();
    let int_digits = match int_digits.trim_start_matches('0') {
        "" => "0".to_string(),
        trimmed => trimmed.to_string(),
    };
    let frac_digits: String = kept[split..].iter().map(|d| char::from(b'0' + d)).collect();
    let zero = int_digits == "0" && frac_digits.bytes().all(|b| b == b'0');
    let sign = if negative && !zero { "-" } else { "" };
    Some(match scale {
        0 => format!("{sign}{int_digits}"),
        _ => format!("{sign}{int_digits}.{frac_digits}"),
    })
}

/// A stored date-time as the attribute (normalized; an unreadable one as stored).
pub(crate) fn read_datetime(value: Value) -> Value {
    match parse_datetime(&value) {
        Some(t) => Value::String(datetime_text(t)),
        None => value,
    }
}

/// A stored date as the attribute.
pub(crate) fn read_date(value: Value) -> Value {
    match parse_datetime(&value) {
        Some(t) => Value::String(date_text(t)),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_round_on_digits() {
        let d = |v: Value, s| write_decimal(&v, s).unwrap();
        assert_eq!(d(json!("12.5"), 2), "12.50");
        assert_eq!(d(json!("0.125"), 2), "0.13");
        assert_eq!(d(json!("-0.004"), 2), "0.00");
        assert_eq!(d(json!("9.995"), 2), "10.00");
        assert_eq!(d(json!(3), 0), "3");
        assert_eq!(
            d(json!("123456789012345678901234.5"), 1),
            "123456789012345678901234.5"
        );
        for bad in [
            json!("1e5"),
            json!("abc"),
            json!("."),
            json!(true),
            json!("1.2.3"),
        ] {
            assert!(write_decimal(&bad, 2).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes_normalize_to_utc_milliseconds() {
        assert_eq!(
            write_datetime(&json!("2026-12-04T10:30:00+01:00")).unwrap(),
            "2026-12-04T09:30:00.000Z"
        );
        assert_eq!(
            write_datetime(&json!("2026-12-04 09:30:00")).unwrap(),
            "2026-12-04T09:30:00.000Z"
        );
        assert_eq!(
            write_datetime(&json!(0)).unwrap(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            write_date(&json!("2026-12-04T23:30:00-02:00")).unwrap(),
            "2026-12-05"
        );
        assert_eq!(write_unix(&json!("1970-01-02")).unwrap(), 86_400);
        assert_eq!(
            write_datetime(&json!("2026-12-04T09:30:05.1234567-0230")).unwrap(),
            "2026-12-04T12:00:05.123Z"
        );
        assert_eq!(
            write_datetime(&json!("2026-12-04T09:30")).unwrap(),
            "2026-12-04T09:30:00.000Z"
        );
        for bad in [
            "yesterday",
            "2026-02-30",
            "2026-12-04T25:00:00Z",
            "2026-12-04T09:30:00+1",
            "2026-12-04T09:30:00.Z",
            "2026-12-04X",
        ] {
            assert!(write_datetime(&json!(bad)).is_err(), "{bad}");
        }
        assert!(write_one_of(&json!("x"), &["a", "b"]).is_err());
    }
}

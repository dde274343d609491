//! Timestamp values: ISO-8601 UTC text with milliseconds (`2026-11-24T08:30:00.123Z`),
//! the form of JS `Date.toISOString()`, so rows written by the TS original and by this
//! crate sort and compare alike. On wasm32 the clock is JS `Date` (chrono `wasmbind`).

/// The current time as stored in `created_at` / `updated_at` / `deleted_at`.
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_iso_utc() {
        let t = super::now_timestamp();
        assert_eq!(t.len(), 24, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}

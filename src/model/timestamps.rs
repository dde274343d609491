//! Timestamp values: ISO-8601 UTC text with milliseconds (`2026-11-24T08:30:00.123Z`),
//! the form of JS `Date.toISOString()`, so rows written by the TS original and by this
//! crate sort and compare alike. On wasm32 the clock is JS `Date` (chrono `wasmbind`).

/// The current time as stored in `created_at` / `updated_at` / `deleted_at`.
pub fn now_timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether writes of model `M` stamp `created_at` / `updated_at` here:
/// [`ModelDef::TIMESTAMPS`](crate::ModelDef::TIMESTAMPS), unless the code runs inside
/// [`Model::without_timestamps`](crate::Model::without_timestamps) for `M`.
pub(crate) fn uses_timestamps<M: crate::ModelDef>() -> bool {
    M::TIMESTAMPS && !untimed(std::any::TypeId::of::<M>())
}

/// Whether `model`'s timestamps are off in the current request scope.
#[inline(never)]
fn untimed(model: std::any::TypeId) -> bool {
    match crate::Orm::current() {
        Ok(orm) => orm.is_untimed(model),
        Err(_) => false,
    }
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

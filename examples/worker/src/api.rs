//! JSON responses and errors, and the input checks that run before anything is written.

use std::collections::HashMap;

use roost_orm::OrmError;
use serde_json::{json, Map, Value};
use worker::{Request, Response};

/// An error a handler returns: an HTTP status and a JSON body
/// `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Machine-readable code.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 422: the request body is not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(422, "validation_failed", message)
    }

    /// 404 for a resource.
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }

    /// The JSON response.
    pub fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        match Response::from_json(&body) {
            Ok(r) => r.with_status(self.status),
            Err(_) => Response::error(self.message, self.status)
                .unwrap_or_else(|_| Response::empty().unwrap().with_status(500)),
        }
    }
}

impl From<OrmError> for ApiError {
    fn from(e: OrmError) -> Self {
        match &e {
            OrmError::ModelNotFound { model, .. } => ApiError::not_found(model),
            OrmError::TenantNotResolved { .. } => {
                ApiError::new(404, "unknown_organization", e.to_string())
            }
            OrmError::UnknownColumn { .. }
            | OrmError::InvalidAttributes(_)
            | OrmError::InvalidOperator(_)
            | OrmError::InvalidDirection(_)
            | OrmError::InvalidIdentifier(_)
            | OrmError::InvalidPagination { .. }
            | OrmError::InvalidCursor(_)
            | OrmError::Decode { .. } => ApiError::invalid(e.to_string()),
            OrmError::MassAssignment { .. } => ApiError::new(422, "mass_assignment", e.to_string()),
            OrmError::Database { message, .. } if is_constraint(message) => {
                ApiError::new(409, "constraint_failed", message.clone())
            }
            _ => ApiError::new(500, "internal_error", e.to_string()),
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::new(500, "internal_error", e.to_string())
    }
}

fn is_constraint(message: &str) -> bool {
    message.contains("constraint failed") || message.contains("SQLITE_CONSTRAINT")
}

/// The request's query parameters (the last of a repeated name wins). Read from the
/// URL text with `form_urlencoded`: `Request::url()` would parse the whole URL with the
/// `url` crate, whose IDNA tables alone weigh tens of KiB in the wasm.
pub fn query_params(req: &Request) -> HashMap<String, String> {
    let url = req.inner().url();
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// A JSON response with a status.
pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// The body as a JSON object, or 400/422.
pub fn object(text: &str) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::new(400, "invalid_json", format!("Body is not JSON: {e}")))?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::invalid("Body must be a JSON object")),
    }
}

/// Fail on keys outside `allowed`.
pub fn only(input: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    let unknown: Vec<&str> = input
        .keys()
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "Unknown field(s): {}; allowed: {}",
            unknown.join(", "),
            allowed.join(", ")
        )))
    }
}

/// A string field of `min..=max` characters (after trimming).
pub fn text(
    input: &Map<String, Value>,
    key: &str,
    min: usize,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match input.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            let n = s.chars().count();
            if n < min || n > max {
                Err(ApiError::invalid(format!(
                    "{key} must have {min} to {max} characters, got {n}"
                )))
            } else {
                Ok(Some(s.to_string()))
            }
        }
        Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
    }
}

/// A positive integer field.
pub fn id_field(input: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match input.get(key) {
        None => Ok(None),
        Some(v) => match v.as_i64() {
            Some(i) if i > 0 => Ok(Some(i)),
            _ => Err(ApiError::invalid(format!(
                "{key} must be a positive integer"
            ))),
        },
    }
}

/// A boolean field.
pub fn flag(input: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match input.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::invalid(format!("{key} must be true or false"))),
    }
}

/// A path segment that must be a positive integer id.
pub fn path_id(segment: &str) -> Result<i64, ApiError> {
    match segment.parse::<i64>() {
        Ok(i) if i > 0 => Ok(i),
        _ => Err(ApiError::new(
            400,
            "invalid_id",
            format!("{segment:?} is not a valid id"),
        )),
    }
}

/// A positive integer query parameter with a default and a maximum.
pub fn query_number(
    value: Option<&str>,
    name: &str,
    default: u64,
    max: u64,
) -> Result<u64, ApiError> {
    match value {
        None => Ok(default),
        Some(v) => match v.parse::<u64>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::invalid(format!(
                "{name} must be an integer from 1 to {max}"
            ))),
        },
    }
}

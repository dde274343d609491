//! Shared fixtures of the cursor-pagination tests: the seeded posts and a crafted
//! cursor.
#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use roost_orm::prelude::*;
use serde_json::{json, Value};

use crate::common::Post;

/// 23 posts: views `i % 4` (each value shared by several rows), status one of three,
/// published on every third.
pub async fn seed() {
    for i in 1..=23i64 {
        let status = ["a", "b", "c"][(i % 3) as usize];
        Post::create(json!({
            "title": format!("post {i:02}"),
            "views": i % 4,
            "status": status,
            "published": i % 3 == 0,
        }))
        .await
        .unwrap();
    }
}

/// A cursor's text from its JSON payload, as a client could craft one.
pub fn craft(payload: Value) -> String {
    URL_SAFE_NO_PAD.encode(payload.to_string())
}

pub fn ids<M: ModelDef>(rows: &[Instance<M>]) -> Vec<i64> {
    rows.iter()
        .map(|r| r.get_as::<i64>("id").unwrap())
        .collect()
}

//! [`MigrationError`]: why a migrations folder could not be read or applied.

use crate::error::OrmError;

/// What went wrong while reading or applying migrations.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The migrations folder or one of its files could not be read.
    #[error("Cannot read migrations at {path}: {message}")]
    Io {
        /// The folder or file.
        path: String,
        /// The operating system's message.
        message: String,
    },

    /// A migrations table name that is not a plain SQL identifier.
    #[error("Invalid migrations table name {0:?}: expected [A-Za-z_][A-Za-z0-9_]*")]
    InvalidTable(String),

    /// Creating or reading the migrations table failed.
    #[error("Cannot read the migrations table: {0}")]
    Table(OrmError),

    /// A migration file failed: it was rolled back whole and nothing after it ran.
    #[error("Migration {name} failed and was rolled back: {source}")]
    Failed {
        /// The file name, e.g. `0002_create_posts.sql`.
        name: String,
        /// The database's error.
        source: OrmError,
    },
}

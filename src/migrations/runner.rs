//! [`Migrations`]: a set of migration files and the runner that applies them.

use serde_json::Value;

use crate::executor::{Executor, Statement};
use crate::migrations::error::MigrationError;
use crate::migrations::source::{self, Migration};
use crate::migrations::split::split_sql;
use crate::value::SqlValue;

/// wrangler's default migrations table (`migrations_table` in `wrangler.toml` changes it).
pub const DEFAULT_MIGRATIONS_TABLE: &str = "d1_migrations";

/// A row of the migrations table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Row id (the order migrations were applied in).
    pub id: i64,
    /// File name.
    pub name: String,
    /// When it was applied (SQLite `CURRENT_TIMESTAMP`, `YYYY-MM-DD HH:MM:SS` UTC).
    pub applied_at: String,
}

/// An ordered set of migrations (wrangler's order) and the table that records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    list: Vec<Migration>,
    table: String,
}

impl Migrations {
    /// Migrations from `(file name, SQL)` pairs, e.g. embedded with `include_str!` for a
    /// Worker. Names not ending in `.sql` are ignored, as wrangler ignores such files.
    pub fn from_sources<N, S>(sources: impl IntoIterator<Item = (N, S)>) -> Self
    where
        N: Into<String>,
        S: Into<String>,
    {
        let mut list: Vec<Migration> = sources
            .into_iter()
            .map(|(n, s)| Migration::new(n, s))
            .filter(|m| m.name.ends_with(".sql"))
            .collect();
        source::sort(&mut list);
        Migrations {
            list,
            table: DEFAULT_MIGRATIONS_TABLE.to_string(),
        }
    }

    /// Every `*.sql` file of a folder (not recursive), e.g. the project's `migrations/`.
    pub fn from_dir(dir: impl AsRef<std::path::Path>) -> Result<Self, MigrationError> {
        let dir = dir.as_ref();
        let io = |path: &std::path::Path, e: std::io::Error| MigrationError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let entry = entry.map_err(|e| io(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".sql") || entry.file_type().map_err(|e| io(dir, e))?.is_dir() {
                continue;
            }
            let path = entry.path();
            let sql = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            sources.push((name, sql));
        }
        Ok(Self::from_sources(sources))
    }

    /// Record applied migrations in `table` instead of `d1_migrations` (wrangler's
    /// `migrations_table` setting).
    pub fn table(mut self, table: impl Into<String>) -> Result<Self, MigrationError> {
        let table = table.into();
        let valid = table
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(MigrationError::InvalidTable(table));
        }
        self.table = table;
        Ok(self)
    }

    /// The migrations, in the order they apply.
    pub fn migrations(&self) -> &[Migration] {
        &self.list
    }

    /// The migrations table's name.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Create the migrations table if it is missing — wrangler's DDL, word for word.
    async fn init_table<E: Executor + ?Sized>(&self, db: &E) -> Result<(), MigrationError> {
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {}(\n\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n\t\tname       TEXT UNIQUE,\n\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n);",
            self.table
        );
        db.run(&Statement::new(sql, Vec::new()))
            .await
            .map_err(MigrationError::Table)?;
        Ok(())
    }

    /// The rows of the migrations table, in the order applied (creating the table if
    /// missing, as wrangler's `migrations list` does).
    pub async fn applied<E: Executor + ?Sized>(
        &self,
        db: &E,
    ) -> Result<Vec<AppliedMigration>, MigrationError> {
        self.init_table(db).await?;
        let sql = format!(
            "SELECT id, name, applied_at FROM {} ORDER BY id",
            self.table
        );
        let result = db
            .run(&Statement::new(sql, Vec::new()))
            .await
            .map_err(MigrationError::Table)?;
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        Ok(result
            .iter_rows()
            .map(|row| AppliedMigration {
                id: row.first().and_then(Value::as_i64).unwrap_or(0),
                name: row.get(1).map(text).unwrap_or_default(),
                applied_at: row.get(2).map(text).unwrap_or_default(),
            })
            .collect())
    }

    /// The migrations whose names are not in the migrations table, in order.
    pub async fn pending<E: Executor + ?Sized>(
        &self,
        db: &E,
    ) -> Result<Vec<&Migration>, MigrationError> {
        let applied = self.applied(db).await?;
        Ok(self
            .list
            .iter()
            .filter(|m| !applied.iter().any(|a| a.name == m.name))
            .collect())
    }

    /// Apply the pending migrations, each as one batch (one transaction) holding its
    /// statements and the row recording it. Returns the names applied now (empty when
    /// everything was applied already). A failing file is rolled back whole and stops the
    /// run with [`MigrationError::Failed`]; the files before it stay applied.
    pub async fn apply<E: Executor + ?Sized>(&self, db: &E) -> Result<Vec<String>, MigrationError> {
        let pending = self.pending(db).await?;
        let mut done = Vec::with_capacity(pending.len());
        for migration in pending {
            let statements = self.statements_of(migration);
            db.batch(&statements)
                .await
                .map_err(|source| MigrationError::Failed {
                    name: migration.name.clone(),
                    source,
                })?;
            tracing::info!(target: "roost_orm::migrations", name = %migration.name, "applied");
            done.push(migration.name.clone());
        }
        Ok(done)
    }

    /// What wrangler sends for one file: the file's text with the recording `INSERT`
    /// appended, split into statements.
    fn statements_of(&self, migration: &Migration) -> Vec<Statement> {
        let text = format!(
            "{}\n\t\t\t\t\t\t\t\tINSERT INTO {} (name)\n\t\t\t\t\t\t\t\tvalues ('{}');\n\t\t\t\t\t\t",
            migration.sql,
            self.table,
            migration.name.replace('\'', "''")
        );
        split_sql(&text)
            .into_iter()
            .map(|sql| Statement::new(sql, Vec::<SqlValue>::new()))
            .collect()
    }
}

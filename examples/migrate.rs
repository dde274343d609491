//! Apply a wrangler-format migrations folder to an embedded SQLite file, recording it in
//! `d1_migrations` as `wrangler d1 migrations apply` does.
//!
//! ```text
//! cargo run --example migrate -- DB_FILE [MIGRATIONS_DIR] [--check]
//! ```
//!
//! With `--check` nothing is applied: the command lists the pending files and exits 1
//! when there are any (the end-to-end tests run it on the database wrangler migrated, to
//! show both runners agree).

use roost_orm::migrations::Migrations;
use roost_orm::SqliteExecutor;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    args.retain(|a| a != "--check");
    let Some(db_path) = args.first() else {
        eprintln!("usage: migrate DB_FILE [MIGRATIONS_DIR] [--check]");
        std::process::exit(2);
    };
    let dir = args.get(1).map(String::as_str).unwrap_or("migrations");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        let db = SqliteExecutor::open(db_path).map_err(|e| e.to_string())?;
        let migrations = Migrations::from_dir(dir).map_err(|e| e.to_string())?;
        if check {
            let pending = migrations.pending(&db).await.map_err(|e| e.to_string())?;
            for m in &pending {
                println!("pending: {}", m.name);
            }
            let applied = migrations.applied(&db).await.map_err(|e| e.to_string())?;
            println!("{} applied, {} pending", applied.len(), pending.len());
            return Ok(pending.is_empty());
        }
        let applied = migrations.apply(&db).await.map_err(|e| e.to_string())?;
        for name in &applied {
            println!("applied: {name}");
        }
        println!("{} applied now", applied.len());
        Ok::<bool, String>(true)
    });
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

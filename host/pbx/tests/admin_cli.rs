//! `pbx admin`: a tenant, an extension and a flow set up from the command
//! line in a real SQLite data directory, then read back; bad input is
//! refused with a message that says what to do.
//!
//! Needs the reference flow built (`scripts/build-flows.sh`, which
//! `scripts/test.sh` runs first).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

fn auto_attendant() -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/flow/auto_attendant.wasm");
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-flows.sh first",
        path.display()
    );
    path
}

fn pbx(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pbx"))
        .arg("admin")
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .output()
        .expect("pbx runs")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = pbx(data, args);
    assert!(
        out.status.success(),
        "pbx admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(data: &Path, args: &[&str]) -> String {
    let out = pbx(data, args);
    assert!(!out.status.success(), "pbx admin {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn tenant_extension_and_flow_set_up_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    ok(
        data,
        &[
            "tenant",
            "create",
            "acme",
            "--language",
            "fr",
            "--time-zone",
            "Europe/Paris",
        ],
    );
    assert!(ok(data, &["tenant", "list"]).contains("acme\tfr\tEurope/Paris"));
    assert!(
        data.join("pbx.db").exists(),
        "SQLite database in the data directory"
    );

    ok(
        data,
        &[
            "extension",
            "add",
            "--tenant",
            "acme",
            "1001",
            "--password",
            "s3cret-pw",
            "--name",
            "Alice",
        ],
    );
    assert!(ok(data, &["extension", "list", "--tenant", "acme"]).contains("1001\tAlice"));
    let dup = refused(
        data,
        &[
            "extension",
            "add",
            "--tenant",
            "acme",
            "1001",
            "--password",
            "x1y2z3w4",
        ],
    );
    assert!(
        dup.to_lowercase().contains("1001") || dup.contains("exists"),
        "{dup}"
    );

    let flow = auto_attendant();
    let flow = flow.to_str().unwrap();
    let up = ok(
        data,
        &[
            "flow",
            "upload",
            "--tenant",
            "acme",
            "main",
            flow,
            "--activate",
        ],
    );
    assert!(
        up.contains("uploaded main version 1") && up.contains("activated"),
        "{up}"
    );
    ok(data, &["flow", "upload", "--tenant", "acme", "main", flow]);
    let list = ok(data, &["flow", "list", "--tenant", "acme"]);
    assert!(list.contains("main\tversion 1 (active)"), "{list}");
    assert!(list.contains("main\tversion 2\t"), "{list}");
    ok(data, &["flow", "activate", "--tenant", "acme", "main", "2"]);
    assert!(ok(data, &["flow", "list", "--tenant", "acme"]).contains("main\tversion 2 (active)"));

    // A file that is not a component is refused with the reason.
    let junk = data.join("junk.wasm");
    std::fs::write(&junk, b"not wasm at all").unwrap();
    let why = refused(
        data,
        &[
            "flow",
            "upload",
            "--tenant",
            "acme",
            "main",
            junk.to_str().unwrap(),
        ],
    );
    assert!(why.contains("refused"), "{why}");
    // Unknown tenant and version say how to find the right one.
    let why = refused(data, &["extension", "list", "--tenant", "nobody"]);
    assert!(why.contains("pbx admin tenant list"), "{why}");
    let why = refused(data, &["flow", "activate", "--tenant", "acme", "main", "9"]);
    assert!(why.contains("pbx admin flow list"), "{why}");
    assert!(ok(data, &["calls", "list", "--tenant", "acme"]).contains("0 of 0 calls"));
}

#[test]
fn superadmin_created_from_the_command_line_without_a_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let out = ok(
        data,
        &[
            "superadmin",
            "create",
            "root@example.com",
            "--password",
            "long-enough-pw",
        ],
    );
    assert!(out.contains("created superadmin root@example.com"), "{out}");
    assert!(out.contains("  password: long-enough-pw"), "{out}");
    let token = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("API token: "))
        .unwrap_or_else(|| panic!("no token line in {out}"));
    assert!(token.starts_with("pbx_"), "{token}");
    // No tenant is made: `pbx serve` still seeds the demo tenant on its
    // first start, which it recognises by an empty tenant list.
    assert_eq!(ok(data, &["tenant", "list"]), "");

    // A random password when none is given; user names stay unique;
    // short passwords are refused.
    let out = ok(data, &["superadmin", "create", "ops"]);
    let password = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no password line in {out}"));
    assert_eq!(password.len(), 20, "{out}");
    let why = refused(data, &["superadmin", "create", "ops"]);
    assert!(why.contains("already exists"), "{why}");
    let why = refused(
        data,
        &["superadmin", "create", "short", "--password", "tiny"],
    );
    assert!(why.contains("password"), "{why}");
}

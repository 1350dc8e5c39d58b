//! Guest components on disk.

use std::path::PathBuf;

/// The cargo target directory: `$CARGO_TARGET_DIR`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

fn read_built(path: PathBuf) -> Vec<u8> {
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => panic!(
            "guest component {} is missing ({e}): run scripts/build-flows.sh first",
            path.display()
        ),
    }
}

/// `NAME.wasm` as built by `cargo build --profile flow --target wasm32-wasip2`,
/// e.g. `guest_wasm("hostile_flow")`.
pub fn guest_wasm(name: &str) -> Vec<u8> {
    read_built(
        target_dir()
            .join("wasm32-wasip2/flow")
            .join(format!("{name}.wasm")),
    )
}

/// A variant copied under `flow-fixtures/`, e.g.
/// `fixture_wasm("hostile_describe_traps")`.
pub fn fixture_wasm(name: &str) -> Vec<u8> {
    read_built(
        target_dir()
            .join("flow-fixtures")
            .join(format!("{name}.wasm")),
    )
}

/// The misbehaving test flow.
pub fn hostile_wasm() -> Vec<u8> {
    guest_wasm("hostile_flow")
}

/// The reference auto-attendant.
pub fn auto_attendant_wasm() -> Vec<u8> {
    guest_wasm("auto_attendant")
}

/// A WAT fixture of `tests/fixtures/`, as text.
pub fn wat_fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

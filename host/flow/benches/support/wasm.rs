//! Guest components.

use std::path::PathBuf;

/// Bytes of a guest component built with the `flow` profile, looked up in
/// `$CARGO_TARGET_DIR`, the target directory this bench binary was built
/// in, then `<workspace>/target`.
pub fn guest_wasm(file: &str) -> Vec<u8> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(dir.into());
    }
    // <target>/release/deps/flow_runtime-<hash>
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.ancestors().nth(3)
    {
        dirs.push(dir.to_path_buf());
    }
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let candidates: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join("wasm32-wasip2/flow").join(file))
        .collect();
    candidates
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .unwrap_or_else(|| {
            panic!(
                "guest component {file} not found (looked at {candidates:?}); \
                 run scripts/build-flows.sh first \
                 (cargo build --profile flow --target wasm32-wasip2 -p hostile-flow -p auto-attendant)"
            )
        })
}

pub fn hostile_wasm() -> Vec<u8> {
    guest_wasm("hostile_flow.wasm")
}

pub fn auto_attendant_wasm() -> Vec<u8> {
    guest_wasm("auto_attendant.wasm")
}

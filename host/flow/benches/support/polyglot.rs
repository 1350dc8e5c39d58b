//! The reference auto-attendant built in every guest language
//! (`scripts/test-polyglot.sh` writes them under `<target>/polyglot`).

use std::path::PathBuf;

/// Where the polyglot components are: `$PBX_POLYGLOT_DIR`, else
/// `$CARGO_TARGET_DIR/polyglot`, else `<workspace>/target/polyglot`.
fn polyglot_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PBX_POLYGLOT_DIR") {
        return dir.into();
    }
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("polyglot")
}

/// (language, component bytes) of every polyglot build present, in a
/// fixed order; the Rust one comes from the caller.
pub fn polyglot_components() -> Vec<(&'static str, Vec<u8>)> {
    const FILES: &[(&str, &str)] = &[
        ("C", "c/auto_attendant.wasm"),
        ("C++", "cpp/auto_attendant.wasm"),
        ("Zig", "zig/auto_attendant.wasm"),
        ("Go", "go/auto_attendant.wasm"),
        ("JavaScript (QuickJS)", "js/auto_attendant_qjs.wasm"),
        ("JavaScript (SpiderMonkey)", "js/auto_attendant.wasm"),
        ("Python", "python/auto_attendant.wasm"),
    ];
    let dir = polyglot_dir();
    FILES
        .iter()
        .filter_map(|(lang, file)| std::fs::read(dir.join(file)).ok().map(|b| (*lang, b)))
        .collect()
}

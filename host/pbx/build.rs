//! Embeds what `pbx flow new` writes into a new call-flow project: the
//! repository's WIT contract, each language's guest SDK and build helpers,
//! and the project templates (`src/cmd/scaffold/templates/`). The repository
//! files stay the one source of truth: this script lists them at build time
//! and generates `$OUT_DIR/scaffold_files.rs`, a table of
//! `(path relative to the workspace, include_bytes!(absolute path))`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Files and directories (relative to the workspace root) that scaffolds
/// copy from. A missing entry is skipped, so a language whose SDK is not in
/// this checkout simply has no files (`pbx flow new` then says so).
const SOURCES: &[&str] = &[
    "Cargo.toml",
    "wit",
    "guest-sdk/Cargo.toml",
    "guest-sdk/src",
    "guest-sdk/python",
    "guest-sdk/js",
    "guest-sdk/go",
    "guest-sdk/c",
    "guest-sdk/cpp",
    "guest-sdk/zig",
    "scripts/lib/apt.sh",
    "scripts/python/build.sh",
    "scripts/js/build.sh",
    "scripts/go/build.sh",
    "scripts/go/adapter_realloc.py",
    "scripts/c/build.sh",
    "scripts/c/lib.sh",
    "scripts/cpp/build.sh",
    "scripts/zig/build.sh",
    "host/pbx/src/cmd/scaffold/templates",
];

/// Never embedded: caches and build output that may sit in the source tree.
fn skipped(path: &Path) -> bool {
    path.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("__pycache__" | "node_modules" | "target" | "zig-cache" | ".zig-cache")
        )
    }) || path.extension().is_some_and(|e| e == "pyc")
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
    let abs = root.join(rel);
    if skipped(rel) {
        return;
    }
    if abs.is_file() {
        out.push(rel.to_path_buf());
    } else if let Ok(entries) = std::fs::read_dir(&abs) {
        for entry in entries.flatten() {
            walk(root, &rel.join(entry.file_name()), out);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .and_then(Path::parent)
        .expect("host/pbx sits two levels under the workspace root")
        .to_path_buf();
    let mut files = Vec::new();
    for source in SOURCES {
        // Watch the entry even when missing, so adding it later rebuilds.
        println!("cargo::rerun-if-changed={}", root.join(source).display());
        walk(&root, Path::new(source), &mut files);
    }
    files.sort();
    let mut code =
        String::from("/// Embedded repository files: (workspace-relative path, contents).\n");
    code.push_str("pub static FILES: &[(&str, &[u8])] = &[\n");
    for rel in &files {
        let rel_str = rel
            .to_str()
            .expect("repository paths are UTF-8")
            .replace('\\', "/");
        let abs = root.join(rel);
        writeln!(
            code,
            "    ({rel_str:?}, include_bytes!({:?})),",
            abs.to_str().expect("repository paths are UTF-8")
        )
        .expect("writing to a String");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("scaffold_files.rs");
    std::fs::write(&out, code).expect("writing scaffold_files.rs");
}

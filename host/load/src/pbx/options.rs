//! What a benchmark's `pbx serve` is started with, and where its pieces
//! are found on a developer machine or CI runner.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};

/// Options of [`super::PbxProcess::spawn`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpawnOptions {
    /// The `pbx` executable.
    pub pbx_bin: PathBuf,
    /// The built-in sounds (`--sounds`), a directory with `en/`.
    pub sounds: PathBuf,
    /// The built flow templates (`--templates`, holding
    /// `office_hours.wasm` for the demo tenant); `pbx serve`'s own default
    /// when `None`.
    pub templates: Option<PathBuf>,
    /// RTP port range (`--rtp-ports MIN-MAX`).
    pub rtp_ports: (u16, u16),
    /// More arguments for `pbx serve` (e.g. `--md5-only`).
    pub extra_args: Vec<String>,
    /// A data directory to use and keep (it must be empty or not exist);
    /// a temporary one, removed on drop, when `None`.
    pub keep_dir: Option<PathBuf>,
}

/// The RTP port range [`SpawnOptions::locate`] picks: `pbx serve`'s
/// default, below Linux's ephemeral ports (32768-60999), where the load
/// generator's own sockets land.
pub const DEFAULT_RTP_PORTS: (u16, u16) = (20000, 29999);

/// The instruction given when the `pbx` binary is missing.
pub const BUILD_PBX: &str = "build it with `cargo build --release -p pbx`";

impl SpawnOptions {
    /// Options found from the environment:
    ///
    /// - `pbx`: `$PBX_BIN` if set, else next to the running executable
    ///   (`target/release/pbx` beside `target/release/pbx-load`; for a test
    ///   binary in `target/<profile>/deps`, its profile directory, then
    ///   `target/release`);
    /// - sounds: `$PBX_SOUNDS_DIR` if set, else the first directory from
    ///   the current one upwards that holds `sounds/en`;
    /// - templates: `$CARGO_TARGET_DIR/wasm32-wasip2/flow`, else
    ///   `<target>/wasm32-wasip2/flow` with `<target>` derived from the
    ///   executable's path; `None` when neither exists.
    ///
    /// Errors say how to build or point at what is missing.
    pub fn locate() -> Result<SpawnOptions> {
        let exe = std::env::current_exe()?;
        Ok(SpawnOptions {
            pbx_bin: locate_pbx(&exe)?,
            sounds: locate_sounds(&std::env::current_dir()?)?,
            templates: locate_templates(&exe),
            rtp_ports: DEFAULT_RTP_PORTS,
            extra_args: Vec::new(),
            keep_dir: None,
        })
    }
}

/// The profile directories (`target/release`, `target/debug`) the
/// executable `exe` may belong to, nearest first.
fn profile_dirs(exe: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let Some(mut dir) = exe.parent() else {
        return dirs;
    };
    if dir
        .file_name()
        .is_some_and(|n| n == "deps" || n == "examples")
    {
        dirs.push(dir.to_path_buf());
        match dir.parent() {
            Some(up) => dir = up,
            None => return dirs,
        }
    }
    dirs.push(dir.to_path_buf());
    if let Some(target) = dir.parent() {
        let release = target.join("release");
        if !dirs.contains(&release) {
            dirs.push(release);
        }
    }
    dirs
}

/// The target directory holding the executable `exe` (the parent of its
/// profile directory).
fn target_dir_of(exe: &Path) -> Option<PathBuf> {
    let dirs = profile_dirs(exe);
    let profile = dirs.iter().find(|d| {
        !d.file_name()
            .is_some_and(|n| n == "deps" || n == "examples")
    })?;
    profile.parent().map(Path::to_path_buf)
}

fn locate_pbx(exe: &Path) -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("PBX_BIN").filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        if !bin.is_file() {
            bail!("PBX_BIN={} is not a file; {BUILD_PBX}", bin.display());
        }
        return Ok(bin);
    }
    let name = format!("pbx{}", std::env::consts::EXE_SUFFIX);
    let candidates: Vec<PathBuf> = profile_dirs(exe).iter().map(|d| d.join(&name)).collect();
    if let Some(found) = candidates.iter().find(|c| c.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
    bail!(
        "the `pbx` binary is not next to {} (looked at {}): {BUILD_PBX} (same CARGO_TARGET_DIR), or set PBX_BIN",
        exe.display(),
        looked.join(", ")
    )
}

fn locate_sounds(cwd: &Path) -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PBX_SOUNDS_DIR").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if !dir.join("en").is_dir() {
            bail!(
                "PBX_SOUNDS_DIR={} has no `en` directory: build the sounds with scripts/build-sounds.sh",
                dir.display()
            );
        }
        return Ok(dir);
    }
    match cwd
        .ancestors()
        .map(|d| d.join("sounds"))
        .find(|s| s.join("en").is_dir())
    {
        Some(dir) => Ok(dir),
        None => bail!(
            "no `sounds/en` in {} or above: build the sounds with scripts/build-sounds.sh, or set PBX_SOUNDS_DIR",
            cwd.display()
        ),
    }
}

fn locate_templates(exe: &Path) -> Option<PathBuf> {
    let from_env = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .map(|t| PathBuf::from(t).join("wasm32-wasip2/flow"));
    let from_exe = target_dir_of(exe).map(|t| t.join("wasm32-wasip2/flow"));
    [from_env, from_exe]
        .into_iter()
        .flatten()
        .find(|d| d.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_dirs_of_a_binary_and_of_a_test() {
        assert_eq!(
            profile_dirs(Path::new("/t/release/pbx-load")),
            vec![PathBuf::from("/t/release")]
        );
        assert_eq!(
            profile_dirs(Path::new("/t/debug/deps/pbx_process-1234")),
            vec![
                PathBuf::from("/t/debug/deps"),
                PathBuf::from("/t/debug"),
                PathBuf::from("/t/release")
            ]
        );
        assert_eq!(
            target_dir_of(Path::new("/t/debug/deps/pbx_process-1234")),
            Some(PathBuf::from("/t"))
        );
        assert_eq!(
            target_dir_of(Path::new("/t/release/pbx-load")),
            Some(PathBuf::from("/t"))
        );
    }

    #[test]
    fn missing_pbx_says_how_to_build_it() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("release/pbx-load");
        let e = locate_pbx(&exe).unwrap_err().to_string();
        if std::env::var_os("PBX_BIN").is_none() {
            assert!(e.contains("cargo build --release -p pbx"), "{e}");
        }
    }

    #[test]
    fn sounds_found_upwards() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sounds/en")).unwrap();
        let deep = dir.path().join("host/load");
        std::fs::create_dir_all(&deep).unwrap();
        if std::env::var_os("PBX_SOUNDS_DIR").is_none() {
            assert_eq!(locate_sounds(&deep).unwrap(), dir.path().join("sounds"));
            let e = locate_sounds(Path::new("/")).unwrap_err().to_string();
            assert!(e.contains("build-sounds.sh"), "{e}");
        }
    }
}

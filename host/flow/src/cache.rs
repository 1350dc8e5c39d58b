//! Compiled code cached on disk, keyed by the component's content hash.
//!
//! Compiling a component takes milliseconds for a small Rust flow and
//! seconds for a JavaScript or Python one; loading the precompiled copy
//! takes a fraction of that. The key also carries the engine's
//! compatibility hash (wasmtime version, target, settings), so an upgraded
//! PBX never loads code compiled for another configuration.

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of precompiled components.
#[derive(Debug, Clone)]
pub struct CodeCache {
    dir: PathBuf,
    engine_tag: String,
}

/// The SHA-256 of a component's bytes, in hex: its identity everywhere
/// (cache, flow versions, audio-like content addressing in the store).
pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl CodeCache {
    /// A cache in `dir` (created if missing) for `engine`'s configuration.
    pub fn new(dir: impl Into<PathBuf>, engine: &Engine) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Ok(CodeCache {
            dir,
            engine_tag: format!("{:016x}", hasher.finish()),
        })
    }

    fn path_for(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}-{}.cwasm", self.engine_tag))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Load the compiled component for `hash` from disk, or compile `bytes`
    /// and store the result. Returns the component and whether it came
    /// from the cache. A damaged cache file is recompiled, not fatal.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        hash: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, bool)> {
        let path = self.path_for(hash);
        if path.exists() {
            // SAFETY: the file was written by `Component::serialize` of an
            // engine with the same compatibility hash (it is in the name),
            // in a directory only the PBX writes to.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "discarding unusable compiled flow");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        let compiled = component.serialize()?;
        // Write then rename, so a crash never leaves half a file behind.
        static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp{}-{seq}", std::process::id()));
        if std::fs::write(&tmp, compiled).is_ok() && std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        Ok((component, false))
    }
}

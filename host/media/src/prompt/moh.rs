//! Music-on-hold classes: a folder of files played in order or at random.
//! The position of each caller lives in the leg (see the engine), so a
//! caller put back on hold continues where they left off.

use std::path::Path;
use std::sync::Arc;

use super::Prompt;
use crate::error::{MediaError, Result};

/// How a class moves from one file to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MohOrder {
    /// Files in name order, then from the start.
    InOrder,
    /// A random file each time one ends.
    Random,
}

/// A loaded class.
#[derive(Debug)]
pub struct MohClass {
    /// Class name ("default", ...).
    pub name: Arc<str>,
    /// Files, sorted by name.
    pub files: Vec<Arc<Prompt>>,
    /// Order of play.
    pub order: MohOrder,
}

impl MohClass {
    /// Loads every audio file (`.wav`, `.mp3`, `.flac`, `.ogg`) of `dir`, sorted by name.
    pub fn load(name: &str, dir: &Path, order: MohOrder) -> Result<MohClass> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| MediaError::Audio {
                path: dir.to_path_buf(),
                reason: format!("cannot list the music-on-hold folder: {e}"),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                    ["wav", "mp3", "flac", "ogg"]
                        .iter()
                        .any(|k| x.eq_ignore_ascii_case(k))
                })
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(MediaError::Audio {
                path: dir.to_path_buf(),
                reason: "the music-on-hold folder holds no .wav, .mp3, .flac or .ogg file; add at least one".into(),
            });
        }
        let files = paths
            .iter()
            .map(|p| Prompt::load(p).map(Arc::new))
            .collect::<Result<_>>()?;
        Ok(MohClass {
            name: name.into(),
            files,
            order,
        })
    }

    /// The file after `current`.
    pub fn next_file(&self, current: usize) -> usize {
        match self.order {
            MohOrder::InOrder => (current + 1) % self.files.len(),
            MohOrder::Random => fastrand::usize(..self.files.len()),
        }
    }
}

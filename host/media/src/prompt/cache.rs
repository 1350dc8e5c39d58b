//! Loaded prompts shared by every call: a file is decoded and converted
//! once, then every leg that plays it shares the same [`Prompt`] (and so
//! the same encoded frames). Files are addressed by path; the product
//! stores audio by content hash, so a path never changes content and the
//! cache needs no invalidation beyond [`PromptCache::forget`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::Prompt;
use crate::codec::Codec;
use crate::error::Result;

/// The cache. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct PromptCache {
    /// A std Mutex: held for a map look-up or insert only; loading happens
    /// outside it (two callers may load the same file at once, the first
    /// insert wins and the other copy is dropped).
    map: Mutex<HashMap<PathBuf, Arc<Prompt>>>,
    /// Codecs to encode for as soon as a prompt is loaded.
    codecs: Vec<Codec>,
}

impl PromptCache {
    /// A cache that pre-encodes every prompt for `codecs` when it loads it,
    /// so that no `play` ever waits for an encoder.
    pub fn new(codecs: &[Codec]) -> Self {
        PromptCache {
            map: Mutex::new(HashMap::new()),
            codecs: codecs.to_vec(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Prompt>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The prompt of `path`, loaded (and pre-encoded) on first use.
    pub fn get(&self, path: &Path) -> Result<Arc<Prompt>> {
        if let Some(p) = self.lock().get(path) {
            return Ok(p.clone());
        }
        let prompt = Arc::new(Prompt::load(path)?);
        for c in &self.codecs {
            prompt.encoded(*c)?;
        }
        Ok(self
            .lock()
            .entry(path.to_path_buf())
            .or_insert(prompt)
            .clone())
    }

    /// Drops a prompt (its file was deleted); legs playing it keep their copy.
    pub fn forget(&self, path: &Path) {
        self.lock().remove(path);
    }

    /// Number of prompts held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_once_and_shares() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.wav");
        super::super::wav::write(&path, &[100; 800], 8000, 1).unwrap();
        let cache = PromptCache::new(&[Codec::Pcmu, Codec::Opus]);
        let a = cache.get(&path).unwrap();
        let b = cache.get(&path).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(
            &a.encoded(Codec::Pcmu).unwrap(),
            &b.encoded(Codec::Pcmu).unwrap()
        ));
        assert_eq!(cache.len(), 1);
        cache.forget(&path);
        assert!(cache.is_empty());
        assert!(cache.get(&dir.path().join("missing.wav")).is_err());
    }
}

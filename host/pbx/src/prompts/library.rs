//! [`PromptLibrary`]: from (tenant, language, name) to a file, and from a
//! list of names to a playlist of decoded prompts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use pbx_media::prompt::cache::PromptCache;
use pbx_media::prompt::moh::MohClass;
use pbx_media::prompt::{Playlist, Prompt};

use super::PromptError;
use super::moh;
use super::names::{check_name, check_tenant, language_chain, normalize_language};

/// Extension of every prompt file: tenant uploads are stored as WAV by the
/// media engine's upload step, and the build script writes WAV.
const EXT: &str = "wav";

/// The prompts a call can play: the built-in sounds and every tenant's own
/// recordings, with one shared cache of decoded audio.
///
/// Lookup order for `resolve(tenant, language, name)`: for each language of
/// the chain (the call's tag, the tag shortened to its primary subtag, then
/// the library's default language), the tenant's folder first, then the
/// built-in one. So a tenant's "en" recording beats the built-in "en" one,
/// and a built-in French prompt beats a tenant's English one for a French
/// call.
///
/// Resolutions are remembered (a map look-up per name after the first
/// call); the decoded audio is held by the [`PromptCache`]. When a tenant's
/// prompt files change, call [`PromptLibrary::forget_tenant`]. Cheap to
/// share behind an `Arc`.
#[derive(Debug)]
pub struct PromptLibrary {
    /// `sounds/` as written by `scripts/build-sounds.sh`.
    builtin_dir: PathBuf,
    /// `<data_dir>/prompts`: one folder per tenant id.
    tenants_dir: PathBuf,
    /// Normalised default language, last in every chain.
    default_language: String,
    /// Decoded (and pre-encoded) prompts, shared with whatever else plays
    /// files in this process.
    cache: Arc<PromptCache>,
    /// "tenant/language/name" -> file. A std RwLock: held for a map
    /// look-up or insert only, never across file-system calls. Only names
    /// that resolved are kept, so a flow asking for made-up names cannot
    /// grow it.
    resolved: RwLock<HashMap<String, PathBuf>>,
}

impl PromptLibrary {
    /// The default language of a new library.
    pub const DEFAULT_LANGUAGE: &'static str = "en";

    /// A library over the built-in sounds in `builtin_dir` (the folder
    /// `scripts/build-sounds.sh` wrote, `sounds/` by default) and the
    /// tenant prompts under `<data_dir>/prompts/`, loading audio through
    /// `cache`. Nothing is read until the first look-up; call
    /// [`PromptLibrary::check`] at start-up to fail early.
    pub fn new(
        builtin_dir: impl Into<PathBuf>,
        data_dir: impl AsRef<Path>,
        cache: Arc<PromptCache>,
    ) -> PromptLibrary {
        PromptLibrary {
            builtin_dir: builtin_dir.into(),
            tenants_dir: data_dir.as_ref().join("prompts"),
            default_language: Self::DEFAULT_LANGUAGE.to_owned(),
            cache,
            resolved: RwLock::new(HashMap::new()),
        }
    }

    /// The same library with another default language (the last resort of
    /// every look-up), e.g. "fr".
    pub fn with_default_language(mut self, language: &str) -> Result<PromptLibrary, PromptError> {
        self.default_language = normalize_language(language)?;
        self.forget_all();
        Ok(self)
    }

    /// The default language, normalised ("en").
    pub fn default_language(&self) -> &str {
        &self.default_language
    }

    /// The built-in sounds folder.
    pub fn builtin_dir(&self) -> &Path {
        &self.builtin_dir
    }

    /// The shared cache of decoded prompts.
    pub fn cache(&self) -> &Arc<PromptCache> {
        &self.cache
    }

    /// Checks that the built-in sounds exist for the default language (at
    /// least one `.wav` in `<builtin_dir>/<default language>/`). Meant for
    /// start-up, so that a missing `scripts/build-sounds.sh` run is reported
    /// once and clearly rather than as `not-found` on every call.
    pub fn check(&self) -> Result<(), PromptError> {
        let dir = self.builtin_dir.join(&self.default_language);
        let has_wav = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .any(|e| e.path().extension().is_some_and(|x| x == EXT))
            })
            .unwrap_or(false);
        if has_wav {
            Ok(())
        } else {
            Err(PromptError::BuiltinMissing(dir))
        }
    }

    /// Loads every built-in prompt of `languages` (folder names such as
    /// "en") into the cache, so that no call waits for a first decode: a
    /// prompt is decoded and resampled synchronously on first use, which
    /// for a long prompt takes milliseconds. Meant for start-up, off the
    /// async workers (e.g. in `spawn_blocking`). Returns how many prompts
    /// were loaded; a language without a folder loads none.
    pub fn preload_builtin(&self, languages: &[&str]) -> Result<usize, PromptError> {
        let mut loaded = 0;
        for language in languages {
            let dir = self.builtin_dir.join(normalize_language(language)?);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
                if path.extension().is_none_or(|x| x != EXT) {
                    continue;
                }
                let name = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                self.cache.get(&path).map_err(|source| PromptError::Audio {
                    name,
                    path,
                    source,
                })?;
                loaded += 1;
            }
        }
        Ok(loaded)
    }

    /// Where a tenant's recording of `name` in `language` is stored:
    /// `<data_dir>/prompts/<tenant-id>/<language>/<name>.wav` (the language
    /// folder in lower case). For the code that stores uploads; call
    /// [`PromptLibrary::forget_tenant`] after writing or deleting it.
    pub fn tenant_prompt_path(
        &self,
        tenant_id: &str,
        language: &str,
        name: &str,
    ) -> Result<PathBuf, PromptError> {
        check_tenant(tenant_id)?;
        check_name(name)?;
        let language = normalize_language(language)?;
        Ok(self
            .tenants_dir
            .join(tenant_id)
            .join(language)
            .join(format!("{name}.{EXT}")))
    }

    /// The file to play for `name` on a call of `tenant_id` in `language`
    /// (a tag such as "en-GB"; empty means the default language).
    ///
    /// Tries, for each language of the chain (exact tag, shorter tags down
    /// to the primary subtag, default language), the tenant's file, then
    /// the built-in one. Fails with [`PromptError::InvalidName`],
    /// [`PromptError::InvalidTenant`] or [`PromptError::InvalidLanguage`]
    /// before touching the file system when an argument could not name a
    /// file, and with [`PromptError::NotFound`] when no file exists.
    pub fn resolve(
        &self,
        tenant_id: &str,
        language: &str,
        name: &str,
    ) -> Result<PathBuf, PromptError> {
        check_tenant(tenant_id)?;
        check_name(name)?;
        let key = format!("{tenant_id}/{language}/{name}");
        if let Some(path) = self.read_resolved().get(&key) {
            return Ok(path.clone());
        }
        let file = format!("{name}.{EXT}");
        let tenant_dir = self.tenants_dir.join(tenant_id);
        for lang in language_chain(language, &self.default_language)? {
            for root in [&tenant_dir, &self.builtin_dir] {
                let path = root.join(&lang).join(&file);
                if path.is_file() {
                    self.write_resolved().insert(key, path.clone());
                    return Ok(path);
                }
            }
        }
        Err(PromptError::NotFound(name.to_owned()))
    }

    /// The decoded prompt for `name` (see [`PromptLibrary::resolve`]),
    /// loaded through the shared cache.
    pub fn load(
        &self,
        tenant_id: &str,
        language: &str,
        name: &str,
    ) -> Result<Arc<Prompt>, PromptError> {
        let path = self.resolve(tenant_id, language, name)?;
        self.cache.get(&path).map_err(|source| PromptError::Audio {
            name: name.to_owned(),
            path,
            source,
        })
    }

    /// The playlist for `names`, in order, for a call of `tenant_id` in
    /// `language`. Fails on the first name that is invalid, missing or
    /// unreadable, so a call never plays half a sentence.
    pub fn playlist(
        &self,
        tenant_id: &str,
        language: &str,
        names: &[String],
    ) -> Result<Playlist, PromptError> {
        let items = names
            .iter()
            .map(|name| self.load(tenant_id, language, name))
            .collect::<Result<_, _>>()?;
        Ok(Playlist { items })
    }

    /// Forgets what is remembered about `tenant_id`'s prompts: the
    /// resolutions and the decoded audio of its own files. Call it after a
    /// tenant's prompt is uploaded, replaced or deleted; calls already
    /// playing keep their copy.
    pub fn forget_tenant(&self, tenant_id: &str) {
        let prefix = format!("{tenant_id}/");
        let tenant_dir = self.tenants_dir.join(tenant_id);
        let mut resolved = self.write_resolved();
        resolved.retain(|key, path| {
            if !key.starts_with(&prefix) {
                return true;
            }
            if path.starts_with(&tenant_dir) {
                self.cache.forget(path);
            }
            false
        });
    }

    /// Forgets every resolution and the decoded audio of every tenant file
    /// (used when the default language changes). Decoded built-in audio
    /// stays in the cache: regenerated built-ins are heard after a restart.
    pub fn forget_all(&self) {
        let mut resolved = self.write_resolved();
        for path in resolved.values() {
            // Keeping every cached tenant file reachable from a resolution
            // is what lets forget_tenant drop stale audio later.
            if path.starts_with(&self.tenants_dir) {
                self.cache.forget(path);
            }
        }
        resolved.clear();
    }

    /// The built-in music-on-hold class `class` ("default"), loaded from
    /// `<builtin_dir>/moh/<class>/` (see [`moh::moh_class`]).
    pub fn moh_class(&self, class: &str) -> Result<MohClass, PromptError> {
        moh::moh_class(&self.builtin_dir, class)
    }

    fn read_resolved(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, PathBuf>> {
        self.resolved.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_resolved(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, PathBuf>> {
        self.resolved.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbx_media::prompt::wav;

    const TENANT: &str = "0190c6f4-9f3a-7c2e-8d1b-3e4f5a6b7c8d";

    /// Writes a 0.1 s prompt whose every sample is `level`, so a test can
    /// tell which file was loaded.
    fn put(path: &Path, level: i16) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        wav::write(path, &[level; 800], 8000, 1).unwrap();
    }

    fn setup() -> (tempfile::TempDir, PromptLibrary) {
        let tmp = tempfile::tempdir().unwrap();
        let sounds = tmp.path().join("sounds");
        let data = tmp.path().join("data");
        put(&sounds.join("en/hello.wav"), 100);
        put(&sounds.join("fr/hello.wav"), 200);
        put(&sounds.join("en/only-en.wav"), 300);
        let lib = PromptLibrary::new(&sounds, &data, Arc::new(PromptCache::default()));
        (tmp, lib)
    }

    #[test]
    fn falls_back_from_region_to_primary_to_default() {
        let (tmp, lib) = setup();
        let sounds = tmp.path().join("sounds");
        assert_eq!(
            lib.resolve(TENANT, "fr-CA", "hello").unwrap(),
            sounds.join("fr/hello.wav")
        );
        assert_eq!(
            lib.resolve(TENANT, "fr", "only-en").unwrap(),
            sounds.join("en/only-en.wav")
        );
        assert_eq!(
            lib.resolve(TENANT, "de", "hello").unwrap(),
            sounds.join("en/hello.wav")
        );
        assert_eq!(
            lib.resolve(TENANT, "", "hello").unwrap(),
            sounds.join("en/hello.wav")
        );
        let fr = PromptLibrary::new(&sounds, tmp.path(), Arc::new(PromptCache::default()))
            .with_default_language("FR")
            .unwrap();
        assert_eq!(
            fr.resolve(TENANT, "de", "hello").unwrap(),
            sounds.join("fr/hello.wav")
        );
        assert!(matches!(
            lib.resolve(TENANT, "en", "missing"),
            Err(PromptError::NotFound(n)) if n == "missing"
        ));
    }

    #[test]
    fn tenant_files_override_after_forget_tenant() {
        let (_tmp, lib) = setup();
        assert_eq!(lib.load(TENANT, "en", "hello").unwrap().pcm8[400], 100);
        let own = lib.tenant_prompt_path(TENANT, "EN", "hello").unwrap();
        assert!(own.ends_with(format!("prompts/{TENANT}/en/hello.wav")));
        put(&own, 1000);
        // Remembered until told: a look-up stays a map look-up.
        assert_eq!(lib.load(TENANT, "en", "hello").unwrap().pcm8[400], 100);
        lib.forget_tenant(TENANT);
        assert_eq!(lib.resolve(TENANT, "en-US", "hello").unwrap(), own);
        assert_eq!(lib.load(TENANT, "en", "hello").unwrap().pcm8[400], 1000);
        // Re-recorded under the same name: forget_tenant drops the old audio.
        put(&own, 2000);
        lib.forget_tenant(TENANT);
        assert_eq!(lib.load(TENANT, "en", "hello").unwrap().pcm8[400], 2000);
        // Another tenant still hears the built-in prompt.
        assert_eq!(lib.load("other", "en", "hello").unwrap().pcm8[400], 100);
    }

    #[test]
    fn playlist_keeps_order_and_stops_at_the_first_bad_name() {
        let (_tmp, lib) = setup();
        let names: Vec<String> = ["hello", "only-en", "hello"].map(String::from).into();
        let p = lib.playlist(TENANT, "fr", &names).unwrap();
        let levels: Vec<i16> = p.items.iter().map(|x| x.pcm8[400]).collect();
        assert_eq!(levels, [200, 300, 200]);
        assert!(
            Arc::ptr_eq(&p.items[0], &p.items[2]),
            "decoded once, shared"
        );
        let bad: Vec<String> = ["hello", "../../etc/passwd"].map(String::from).into();
        assert!(matches!(
            lib.playlist(TENANT, "en", &bad),
            Err(PromptError::InvalidName(_))
        ));
        assert!(matches!(
            lib.resolve("../x", "en", "hello"),
            Err(PromptError::InvalidTenant(_))
        ));
        assert!(matches!(
            lib.resolve(TENANT, "../en", "hello"),
            Err(PromptError::InvalidLanguage(_))
        ));
    }

    #[test]
    fn unreadable_file_and_missing_builtins_say_what_to_do() {
        let (tmp, lib) = setup();
        std::fs::write(tmp.path().join("sounds/en/broken.wav"), b"not audio").unwrap();
        let e = lib.load(TENANT, "en", "broken").unwrap_err();
        assert!(
            matches!(e, PromptError::Audio { ref name, .. } if name == "broken"),
            "{e}"
        );
        assert!(lib.check().is_ok());
        std::fs::remove_file(tmp.path().join("sounds/en/broken.wav")).unwrap();
        assert_eq!(lib.preload_builtin(&["en", "fr", "de"]).unwrap(), 3);
        assert_eq!(lib.cache().len(), 3);
        assert!(matches!(
            lib.preload_builtin(&["../x"]),
            Err(PromptError::InvalidLanguage(_))
        ));
        let empty = PromptLibrary::new(
            tmp.path().join("nowhere"),
            tmp.path(),
            Arc::new(PromptCache::default()),
        );
        let e = empty.check().unwrap_err().to_string();
        assert!(e.contains("scripts/build-sounds.sh"), "{e}");
    }
}

//! The prompt library's error type. Each message says what to change.

use std::path::PathBuf;

use pbx_media::MediaError;

/// Why a prompt could not be found or loaded.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The name is not a valid prompt name. Names are checked before any
    /// path is built, so a name can never reach outside the prompt folders.
    #[error(
        "invalid prompt name {0:?}: use 1-64 characters of a-z, 0-9, '-' and '_' (e.g. \"office-welcome\")"
    )]
    InvalidName(String),
    /// The tenant id cannot name a folder.
    #[error("invalid tenant id {0:?}: expected 1-64 characters of A-Z, a-z, 0-9, '-' and '_'")]
    InvalidTenant(String),
    /// The language is not a language tag.
    #[error(
        "invalid language {0:?}: use a language tag such as \"en\", \"fr\" or \"en-GB\" (letters, digits and '-', at most 35 characters)"
    )]
    InvalidLanguage(String),
    /// No file for this name in the tenant's prompts or the built-in
    /// sounds, in any language of the fallback chain. The call model maps
    /// this to the contract's `not-found` error.
    #[error(
        "no prompt named {0:?} in the tenant's prompts or the built-in sounds; upload it or check the name"
    )]
    NotFound(String),
    /// The file exists but cannot be used as audio.
    #[error("prompt {name:?} ({path}) cannot be played: {source}")]
    Audio {
        /// The prompt name.
        name: String,
        /// The file that was tried.
        path: PathBuf,
        /// What the media engine said about it.
        source: MediaError,
    },
    /// The built-in sounds folder is missing or holds no prompts for the
    /// default language.
    #[error(
        "the built-in sounds are missing: {0} holds no prompts; run scripts/build-sounds.sh (or pass the folder it wrote)"
    )]
    BuiltinMissing(PathBuf),
    /// A music-on-hold class could not be loaded.
    #[error("music-on-hold class {class:?} cannot be loaded: {source}")]
    Moh {
        /// The class name.
        class: String,
        /// What the media engine said about its folder.
        source: MediaError,
    },
}

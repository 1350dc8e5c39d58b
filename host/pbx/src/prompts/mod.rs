//! The prompt library: how a flow's prompt names ("office-welcome",
//! "digit-7") become audio for a call.
//!
//! Two places hold prompts, both as 8 or 16 kHz mono WAV files named
//! `<name>.wav` in a folder per language:
//!
//! - the built-in sounds, generated at build time by
//!   `scripts/build-sounds.sh` into `sounds/<lang>/` (see `docs/sounds.md`);
//! - each tenant's own recordings, under
//!   `<data_dir>/prompts/<tenant-id>/<lang>/`, which override the built-in
//!   prompt of the same name.
//!
//! [`PromptLibrary::resolve`] picks the file for a tenant, a call language
//! and a name (exact language, then its primary subtag, then the library's
//! default language); [`PromptLibrary::playlist`] turns a list of names
//! into a [`pbx_media::prompt::Playlist`] through a shared
//! [`pbx_media::prompt::cache::PromptCache`], so a prompt is decoded once
//! per process. [`say`] spells digits and numbers as lists of prompt names,
//! and [`moh`] loads music-on-hold classes from the built-in sounds.
//!
//! This module knows files and names only: nothing of SIP, flows or the
//! database.

pub mod error;
pub mod library;
pub mod moh;
pub mod names;
pub mod say;

pub use error::PromptError;
pub use library::PromptLibrary;
pub use moh::{DEFAULT_MOH_CLASS, moh_class};
pub use say::{digits_names, number_names};

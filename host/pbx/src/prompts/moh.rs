//! Music on hold from the built-in sounds: `<sounds>/moh/<class>/` holds
//! the files of one class; `scripts/build-sounds.sh` writes the "default"
//! class (and "opsound" with `--with-opsound`).

use std::path::Path;

use pbx_media::prompt::moh::{MohClass, MohOrder};

use super::PromptError;
use super::names::check_name;

/// The class a call gets when neither the flow nor the queue names one.
pub const DEFAULT_MOH_CLASS: &str = "default";

/// Loads the music-on-hold class `class` from `<sounds_dir>/moh/<class>/`,
/// files played in name order. The class name follows the prompt-name rule
/// (1-64 characters of a-z, 0-9, '-', '_'), so it cannot leave the folder.
/// Load each class once and share it: this decodes every file.
pub fn moh_class(sounds_dir: &Path, class: &str) -> Result<MohClass, PromptError> {
    check_name(class)?;
    MohClass::load(
        class,
        &sounds_dir.join("moh").join(class),
        MohOrder::InOrder,
    )
    .map_err(|source| PromptError::Moh {
        class: class.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbx_media::prompt::wav;

    #[test]
    fn loads_a_class_in_name_order_and_refuses_bad_names() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("moh").join(DEFAULT_MOH_CLASS);
        std::fs::create_dir_all(&dir).unwrap();
        wav::write(&dir.join("b.wav"), &[2; 1600], 8000, 1).unwrap();
        wav::write(&dir.join("a.wav"), &[1; 800], 8000, 1).unwrap();
        let class = moh_class(tmp.path(), DEFAULT_MOH_CLASS).unwrap();
        assert_eq!(&*class.name, "default");
        let names: Vec<&str> = class.files.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(class.next_file(1), 0);
        assert!(matches!(
            moh_class(tmp.path(), "../moh"),
            Err(PromptError::InvalidName(_))
        ));
        let e = moh_class(tmp.path(), "jazz").unwrap_err();
        assert!(
            matches!(e, PromptError::Moh { ref class, .. } if class == "jazz"),
            "{e}"
        );
    }
}

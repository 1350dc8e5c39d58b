//! The built-in sounds and the prompt library, end to end: runs
//! `scripts/build-sounds.sh` into a temporary folder, checks that every
//! prompt the product relies on is there as telephony audio, and that the
//! library resolves, loads and spells with them. Needs espeak-ng and sox
//! (the script installs them); without espeak-ng the test fails and says
//! how to get it, rather than passing without checking anything.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use pbx::prompts::{
    DEFAULT_MOH_CLASS, PromptError, PromptLibrary, digits_names, moh_class, number_names,
};
use pbx_media::prompt::cache::PromptCache;
use pbx_media::prompt::wav;

const TENANT: &str = "0190c6f4-9f3a-7c2e-8d1b-3e4f5a6b7c8d";

/// Spoken prompts every language must have (flows and templates use them).
const PROMPTS: &[&str] = &[
    "office-welcome",
    "office-menu",
    "office-closed",
    "office-holiday",
    "office-closure",
    "office-night",
    "office-incident",
    "office-invalid",
    "office-timeout",
    "office-goodbye",
    "office-transfer",
    "enter-pin",
    "night-switch-on",
    "night-switch-off",
    "technical-difficulties",
    "vm-unavailable",
    "vm-busy",
    "vm-saved",
];

/// Words that say-digits and say-number put together.
fn words(lang: &str) -> Vec<String> {
    let mut names: Vec<String> = (0..10).map(|d| format!("digit-{d}")).collect();
    names.extend(["star", "hash", "minus"].map(String::from));
    names.extend(["num-hundred", "num-thousand", "num-million", "num-billion"].map(String::from));
    if lang == "fr" {
        names.extend((0..100).map(|n| format!("num-{n}")));
    } else {
        names.push("and".into());
        names.extend(
            (0..20)
                .chain((20..=90).step_by(10))
                .map(|n| format!("num-{n}")),
        );
    }
    names
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build_sounds(out: &Path) -> String {
    let found = Command::new("sh")
        .args(["-c", "command -v espeak-ng"])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "espeak-ng is not installed, so the built-in sounds cannot be checked: run \
         scripts/build-sounds.sh once (it installs espeak-ng and sox from Debian, as root \
         or with sudo), then run this test again"
    );
    let run = Command::new("bash")
        .arg(repo_root().join("scripts/build-sounds.sh"))
        .arg(out)
        .output()
        .expect("run scripts/build-sounds.sh");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "scripts/build-sounds.sh failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    stdout
}

/// Format, samples and level of a WAV file; asserts 8 kHz mono 16-bit PCM.
fn telephony_samples(path: &Path) -> Vec<i16> {
    let reader = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("{}: not a WAV file: {e}", path.display()));
    let spec = reader.spec();
    assert_eq!(
        (
            spec.sample_rate,
            spec.channels,
            spec.bits_per_sample,
            spec.sample_format
        ),
        (8000, 1, 16, hound::SampleFormat::Int),
        "{}: expected 8 kHz mono 16-bit PCM",
        path.display()
    );
    reader
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: truncated: {e}", path.display()))
}

fn rms(x: &[i16]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

fn peak(x: &[i16]) -> i32 {
    x.iter().map(|&v| i32::from(v).abs()).max().unwrap_or(0)
}

/// Milliseconds before the first sample louder than -50 dBFS (the level
/// at which the build script trims the synthesiser's own silence).
fn lead_in_ms(x: &[i16]) -> usize {
    x.iter()
        .position(|&v| i32::from(v).abs() > 100)
        .unwrap_or(x.len())
        / 8
}

fn mtimes(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.path(), e.metadata().unwrap().modified().unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn built_in_sounds_are_complete_telephony_audio() {
    let tmp = tempfile::tempdir().unwrap();
    let sounds = tmp.path().join("sounds");
    build_sounds(&sounds);

    for lang in ["en", "fr"] {
        let dir = sounds.join(lang);
        for name in PROMPTS {
            let pcm = telephony_samples(&dir.join(format!("{name}.wav")));
            let ms = pcm.len() / 8;
            assert!((600..30_000).contains(&ms), "{lang}/{name}: {ms} ms");
            assert!(rms(&pcm) > 1000.0, "{lang}/{name} is (nearly) silent");
            assert!(
                peak(&pcm) > 16_000 && peak(&pcm) < 32_767,
                "{lang}/{name}: peak {}",
                peak(&pcm)
            );
            // The synthesiser's silence is trimmed to a consistent lead-in.
            let lead = lead_in_ms(&pcm);
            assert!(
                (130..=170).contains(&lead),
                "{lang}/{name}: lead-in {lead} ms"
            );
        }
        for name in words(lang) {
            let pcm = telephony_samples(&dir.join(format!("{name}.wav")));
            assert!(pcm.len() / 8 < 2000, "{lang}/{name}: too long for a word");
            assert!(rms(&pcm) > 1000.0, "{lang}/{name} is (nearly) silent");
            assert!(
                lead_in_ms(&pcm) <= 50,
                "{lang}/{name}: a word must start at once"
            );
        }
        // The beep: 250 ms of a 1 kHz tone (about 500 zero crossings).
        let beep = telephony_samples(&dir.join("beep.wav"));
        assert_eq!(beep.len(), 2000, "{lang}/beep length");
        let crossings = beep.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
        assert!(
            (480..=520).contains(&crossings),
            "{lang}/beep: {crossings} zero crossings"
        );
        assert!(rms(&beep[200..1800]) > 10_000.0);
    }

    // Music on hold: one 20-30 s loop, loaded as the default class.
    let moh_dir = sounds.join("moh").join(DEFAULT_MOH_CLASS);
    let loop_pcm = telephony_samples(&moh_dir.join("chords.wav"));
    assert!((20..=30).contains(&(loop_pcm.len() / 8000)), "moh length");
    for second in loop_pcm.chunks(8000) {
        assert!(rms(second) > 300.0, "music on hold has a silent second");
    }
    let class = moh_class(&sounds, DEFAULT_MOH_CLASS).unwrap();
    assert_eq!(class.files.len(), 1);
    assert_eq!(class.files[0].duration_ms(), loop_pcm.len() as u64 / 8);

    // The library resolves and loads every name, in both languages.
    let data = tmp.path().join("data");
    let lib = PromptLibrary::new(&sounds, &data, Arc::new(PromptCache::default()));
    lib.check().unwrap();
    assert!(lib.moh_class(DEFAULT_MOH_CLASS).is_ok());
    for lang in ["en", "fr"] {
        let mut names: Vec<String> = PROMPTS.iter().map(|s| s.to_string()).collect();
        names.extend(words(lang));
        names.push("beep".into());
        for name in &names {
            let path = lib.resolve(TENANT, lang, name).unwrap();
            assert_eq!(path, sounds.join(lang).join(format!("{name}.wav")));
        }
    }
    // Loading decodes and resamples every file (slow in a debug build), so
    // it is done for English, the required language; French numbers are
    // loaded below.
    let mut en: Vec<String> = PROMPTS.iter().map(|s| s.to_string()).collect();
    en.extend(words("en"));
    en.push("beep".into());
    let playlist = lib.playlist(TENANT, "en", &en).unwrap();
    assert_eq!(playlist.items.len(), en.len());
    for (item, name) in playlist.items.iter().zip(&en) {
        assert_eq!(&item.name, name);
        assert!(item.duration_ms() > 50, "{name}");
    }
    // Every number spoken in either language exists as prompts.
    for lang in ["en-GB", "fr-FR"] {
        for n in [
            0,
            7,
            13,
            20,
            21,
            71,
            80,
            99,
            100,
            101,
            110,
            999,
            1000,
            1001,
            1_000_000,
            -5,
            123_456_789,
            i64::MAX,
            i64::MIN,
        ] {
            let names = number_names(lang, n);
            let folder = sounds.join(&lang[..2]);
            for name in &names {
                let path = lib.resolve(TENANT, lang, name).unwrap();
                assert!(
                    path.starts_with(&folder),
                    "{lang} {n}: {name} from {path:?}"
                );
            }
            let p = lib
                .playlist(TENANT, lang, &names)
                .unwrap_or_else(|e| panic!("{lang} {n}: {e}"));
            assert_eq!(p.items.len(), names.len());
        }
    }
    let digits = lib
        .playlist(TENANT, "en", &digits_names("0123456789*#"))
        .unwrap();
    assert_eq!(digits.items.len(), 12);
    assert!(matches!(
        lib.playlist(TENANT, "en", &["office-welcome".into(), "no-such-prompt".into()]),
        Err(PromptError::NotFound(n)) if n == "no-such-prompt"
    ));

    // A second run changes nothing and says so.
    let before = mtimes(&sounds.join("en"));
    let again = build_sounds(&sounds);
    assert!(
        again.contains(" 0 made"),
        "second run regenerated files: {again}"
    );
    assert_eq!(mtimes(&sounds.join("en")), before);
}

/// Writes a 0.2 s prompt whose samples all equal `level`, so the test can
/// tell which file the library picked.
fn put(path: &Path, level: i16) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    wav::write(path, &[level; 1600], 8000, 1).unwrap();
}

#[test]
fn tenant_prompts_override_and_languages_fall_back() {
    let tmp = tempfile::tempdir().unwrap();
    let sounds = tmp.path().join("sounds");
    let data = tmp.path().join("data");
    put(&sounds.join("en/office-welcome.wav"), 100);
    put(&sounds.join("fr/office-welcome.wav"), 200);
    put(&sounds.join("en/vm-saved.wav"), 300);
    let lib = PromptLibrary::new(&sounds, &data, Arc::new(PromptCache::default()));
    let level = |lang: &str, name: &str| lib.load(TENANT, lang, name).unwrap().pcm8[800];

    // Language fallback: exact, primary subtag, default.
    assert_eq!(level("fr-CA", "office-welcome"), 200);
    assert_eq!(level("fr", "vm-saved"), 300);
    assert_eq!(level("de-AT", "office-welcome"), 100);

    // The tenant's own recording, where the upload code would put it.
    let own = lib
        .tenant_prompt_path(TENANT, "en", "office-welcome")
        .unwrap();
    assert_eq!(
        own,
        data.join("prompts")
            .join(TENANT)
            .join("en/office-welcome.wav")
    );
    put(&own, 1000);
    let own_gb = lib.tenant_prompt_path(TENANT, "en-GB", "vm-saved").unwrap();
    put(&own_gb, 2000);
    lib.forget_tenant(TENANT);
    assert_eq!(level("en", "office-welcome"), 1000);
    assert_eq!(
        level("en-GB", "office-welcome"),
        1000,
        "en-GB falls back to the tenant's en"
    );
    assert_eq!(level("en-GB", "vm-saved"), 2000);
    assert_eq!(
        level("en", "vm-saved"),
        300,
        "the en-GB recording is not used for en"
    );
    // A French call hears the built-in French prompt, not the tenant's English one.
    assert_eq!(level("fr", "office-welcome"), 200);
    // Other tenants keep the built-in prompts.
    assert_eq!(
        lib.load("another-tenant", "en", "office-welcome")
            .unwrap()
            .pcm8[800],
        100
    );

    // Names from a flow never leave the prompt folders.
    for bad in ["../en/office-welcome", "office-welcome.wav", "Office", ""] {
        assert!(
            matches!(
                lib.resolve(TENANT, "en", bad),
                Err(PromptError::InvalidName(_))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        lib.resolve(TENANT, "en", "office-missing"),
        Err(PromptError::NotFound(_))
    ));
}

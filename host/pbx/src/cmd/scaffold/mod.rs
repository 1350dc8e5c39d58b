//! `pbx flow new`: create a call-flow project in any supported language.
//!
//! A project is self-contained: the flow's source (a small but complete
//! flow: greeting, two-key menu, dial, voicemail, trace events, three
//! parameters), `build.sh` (installs its toolchain and builds
//! `build/NAME.wasm`), scenarios that pass with `pbx flow test`, a README,
//! and copies of the WIT contract and the language's SDK. Everything comes
//! from files built into the binary (`embedded`), which are the
//! repository's own WIT, SDKs and templates.

mod embedded;
mod lang;
mod render;

pub use lang::Lang;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What to create.
#[derive(Clone, Debug)]
pub struct Options {
    /// The `--lang` value as given.
    pub lang: String,
    /// The project's name: its directory and the flow's name.
    pub name: String,
    /// The directory the project goes in (`DIR/NAME`); the current one when
    /// `None`.
    pub dir: Option<PathBuf>,
    /// Write into an existing non-empty directory, replacing the files the
    /// scaffold writes (others are left alone).
    pub force: bool,
}

/// A created project.
#[derive(Debug)]
pub struct Project {
    /// Its directory.
    pub dir: PathBuf,
    /// The language.
    pub lang: Lang,
    /// The files written, relative to `dir`, sorted.
    pub files: Vec<String>,
}

/// Why a project could not be created.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// `--lang` is not a known language.
    #[error("unknown language '{0}': use one of {known}", known = lang::known())]
    UnknownLang(String),
    /// The name is not made of a-z, 0-9 and '-'.
    #[error("invalid flow name '{name}': {why}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The target directory exists and is not empty.
    #[error("{} exists and is not empty: choose another name or --dir, or pass --force to write over it", .0.display())]
    NotEmpty(PathBuf),
    /// The target exists and is not a directory.
    #[error("{} exists and is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// This build of pbx has no SDK or template for the language.
    #[error(
        "the {0} scaffold is not in this build of pbx (its SDK or templates were missing when pbx was built)"
    )]
    Unavailable(&'static str),
    /// A template refers to a value that does not exist (a bug of pbx).
    #[error("template {file} uses @@{key}@@, which has no value")]
    Template {
        /// The template file.
        file: String,
        /// The unknown placeholder.
        key: String,
    },
    /// Writing the project failed.
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Check a flow name: 1-64 characters of a-z, 0-9 and '-', starting with a
/// letter, not ending with '-', without "--".
pub fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let why = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 64 {
        Some("it is longer than 64 characters")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some("use only lowercase letters a-z, digits 0-9 and '-'")
    } else if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some("it must start with a letter a-z")
    } else if name.ends_with('-') || name.contains("--") {
        Some("'-' must separate words: not at the end, not doubled")
    } else {
        None
    };
    match why {
        Some(why) => Err(ScaffoldError::InvalidName {
            name: name.to_string(),
            why,
        }),
        None => Ok(()),
    }
}

/// Names cargo refuses for a package (Rust keywords and the standard
/// crates), so refused for a Rust project.
const RUST_RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc-macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// Every file of a project, rendered, as (project-relative path, bytes).
/// Nothing is written; [`scaffold`] writes them.
pub fn files(lang: Lang, name: &str) -> Result<Vec<(String, Vec<u8>)>, ScaffoldError> {
    check_name(name)?;
    if lang == Lang::Rust && RUST_RESERVED.contains(&name) {
        return Err(ScaffoldError::InvalidName {
            name: name.to_string(),
            why: "it is a Rust keyword or standard crate, which cargo refuses as a package name",
        });
    }
    let mut vars = render::Vars::new();
    let put = |vars: &mut render::Vars, k: &str, v: &str| {
        vars.insert(k.to_string(), v.to_string());
    };
    put(&mut vars, "name", name);
    put(&mut vars, "crate", &name.replace('-', "_"));
    put(&mut vars, "Camel", &render::camel(name));
    put(&mut vars, "lang", lang.name());
    put(&mut vars, "lang_title", lang.title());
    put(&mut vars, "source", lang.source());
    put(&mut vars, "toolchain", lang.toolchain());
    if let Some(script) = lang.repo_build_script().and_then(embedded::text) {
        vars.extend(render::versions(script));
    }
    if let Some(dep) = embedded::text("Cargo.toml").and_then(render::wit_bindgen_dep) {
        put(&mut vars, "WIT_BINDGEN_DEP", &dep);
    }

    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |path: String, bytes: Vec<u8>| match out.iter_mut().find(|(p, _)| *p == path) {
        Some(existing) => existing.1 = bytes,
        None => out.push((path, bytes)),
    };
    let [common, own] = lang.templates();
    if embedded::under(&own).next().is_none() {
        return Err(ScaffoldError::Unavailable(lang.title()));
    }
    for &(from, to) in lang.copies() {
        let mut any = false;
        for (rest, bytes) in embedded::under(from) {
            any = true;
            let path = if to.is_empty() || to.ends_with('/') {
                format!("{to}{rest}")
            } else {
                to.to_string()
            };
            add(path, bytes.to_vec());
        }
        if !any {
            return Err(ScaffoldError::Unavailable(lang.title()));
        }
    }
    for dir in [common, own] {
        for (rest, bytes) in embedded::under(&dir) {
            let text = String::from_utf8_lossy(bytes);
            let rendered = render::render(&text, &vars).map_err(|key| ScaffoldError::Template {
                file: format!("{dir}{rest}"),
                key,
            })?;
            add(rest.to_string(), rendered.into_bytes());
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Create the project `DIR/NAME` (see [`Options`]).
pub fn scaffold(opts: &Options) -> Result<Project, ScaffoldError> {
    let lang =
        Lang::parse(&opts.lang).ok_or_else(|| ScaffoldError::UnknownLang(opts.lang.clone()))?;
    // Everything is rendered (and the name checked) before the disk is touched.
    let files = files(lang, &opts.name)?;
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."))
        .join(&opts.name);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Io { path, source }
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(ScaffoldError::NotADirectory(dir));
        }
        let empty = std::fs::read_dir(&dir).map_err(io(&dir))?.next().is_none();
        if !empty && !opts.force {
            return Err(ScaffoldError::NotEmpty(dir));
        }
    }
    for (rel, bytes) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, bytes).map_err(io(&path))?;
        if rel.ends_with(".sh") {
            make_executable(&path).map_err(io(&path))?;
        }
    }
    Ok(Project {
        dir,
        lang,
        files: files.into_iter().map(|(p, _)| p).collect(),
    })
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// `pbx flow new`: create the project and say what to do next. Exits 0 on
/// success, 2 on bad input or a write error.
pub fn run(opts: Options) -> ExitCode {
    match scaffold(&opts) {
        Ok(project) => {
            let d = project.dir.display();
            println!(
                "created {d} ({} flow, {} files)",
                project.lang.title(),
                project.files.len()
            );
            println!("next:");
            println!("  cd {d}");
            println!("  ./build.sh");
            println!("  pbx flow test build/{}.wasm scenarios/*.toml", opts.name);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

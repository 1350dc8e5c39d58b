//! `pbx flow new`: the Rust project it creates builds outside the workspace
//! and passes its own scenarios; every language's project has its flow,
//! build script, scenarios, README and verbatim copies of the repository's
//! WIT contract and SDK; bad input is refused with a clear message.
//!
//! The other languages' projects are built and simulated by
//! `scripts/test-flow-new.sh` (it needs their toolchains).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace().join("target"),
    }
}

fn pbx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pbx"))
        .args(args)
        .output()
        .expect("pbx runs")
}

fn new_project(dir: &Path, lang: &str, name: &str) -> Output {
    pbx(&[
        "flow",
        "new",
        "--lang",
        lang,
        "--dir",
        dir.to_str().unwrap(),
        "--",
        name,
    ])
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The languages whose SDK this checkout has; C, C++ and Zig come with
/// their SDKs.
fn available(lang: &str) -> bool {
    let sdk = match lang {
        "rust" => "guest-sdk/src",
        other => &format!("guest-sdk/{other}"),
    };
    workspace().join(sdk).is_dir()
}

const LANGS: [(&str, &str, &str); 7] = [
    ("rust", "src/lib.rs", "sdk/src"),
    ("c", "flow.c", "sdk"),
    ("cpp", "flow.cpp", "sdk"),
    ("zig", "flow.zig", "sdk/zig"),
    ("go", "flow.go", "sdk"),
    ("js", "app.js", "sdk"),
    ("python", "app.py", "sdk"),
];

#[test]
fn every_language_gets_a_complete_self_contained_project() {
    let tmp = tempfile::tempdir().unwrap();
    for (lang, source, sdk_dir) in LANGS {
        let name = format!("desk-{lang}");
        let out = new_project(tmp.path(), lang, &name);
        if !available(lang) {
            assert_eq!(out.status.code(), Some(2), "{lang}: {}", stderr(&out));
            assert!(
                stderr(&out).contains("not in this build"),
                "{lang}: {}",
                stderr(&out)
            );
            continue;
        }
        assert_ok(&out, &format!("pbx flow new --lang {lang}"));
        let project = tmp.path().join(&name);

        // The flow, named after the project, with the menu and voicemail.
        let code = std::fs::read_to_string(project.join(source)).unwrap();
        assert!(
            code.contains(&format!("\"{name}\"")) || code.contains(&format!("'{name}'")),
            "{lang}: flow name"
        );
        for word in [
            "greeting",
            "extension",
            "ring-seconds",
            "menu-choice",
            "dial-outcome",
        ] {
            assert!(code.contains(word), "{lang}: {source} lacks {word}");
        }

        // build.sh: executable, and pinned to the repository's tool versions.
        let build = project.join("build.sh");
        assert!(
            std::fs::metadata(&build).unwrap().permissions().mode() & 0o111 != 0,
            "{lang}: build.sh not executable"
        );
        let script = std::fs::read_to_string(&build).unwrap();
        assert!(
            script.contains(&format!("build/{name}.wasm")),
            "{lang}: build.sh output"
        );
        if lang != "rust" {
            let repo_script =
                std::fs::read_to_string(workspace().join(format!("scripts/{lang}/build.sh")))
                    .unwrap();
            for line in repo_script
                .lines()
                .filter(|l| l.contains("_VERSION=") && !l.contains(' '))
            {
                let (key, _) = line.split_once('=').unwrap();
                if script.contains(&format!("{key}=")) {
                    assert!(script.contains(line), "{lang}: build.sh should pin {line}");
                }
            }
        }

        // No placeholder is left in any file.
        for file in files_under(&project) {
            let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
            let leftover =
                text.split("@@").skip(1).step_by(2).any(|k| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            assert!(
                !leftover,
                "{lang}: a placeholder is left in {}",
                file.display()
            );
        }

        // The README tells how to build, test and upload.
        let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
        for needle in [
            "./build.sh",
            &format!("pbx flow test build/{name}.wasm scenarios/*.toml"),
            "/versions",
        ] {
            assert!(readme.contains(needle), "{lang}: README lacks {needle}");
        }

        // The WIT contract and the SDK are the repository's, byte for byte.
        let wit = std::fs::read_dir(workspace().join("wit")).unwrap();
        for entry in wit {
            let path = entry.unwrap().path();
            let copy = project.join("wit").join(path.file_name().unwrap());
            assert_eq!(
                std::fs::read(&path).unwrap(),
                std::fs::read(&copy).unwrap_or_default(),
                "{lang}: {}",
                copy.display()
            );
        }
        let repo_sdk = match lang {
            "rust" => workspace().join("guest-sdk/src"),
            other => workspace().join(format!("guest-sdk/{other}")),
        };
        for file in files_under(&repo_sdk) {
            if file
                .components()
                .any(|c| c.as_os_str() == "__pycache__" || c.as_os_str() == "node_modules")
            {
                continue;
            }
            let rel = file.strip_prefix(&repo_sdk).unwrap();
            let copy = project.join(sdk_dir).join(rel);
            assert_eq!(
                std::fs::read(&file).unwrap(),
                std::fs::read(&copy).unwrap_or_default(),
                "{lang}: {}",
                copy.display()
            );
        }

        // The scenarios parse.
        let scenarios: Vec<PathBuf> = files_under(&project.join("scenarios"));
        assert!(scenarios.len() >= 2, "{lang}: scenarios");
        for s in &scenarios {
            pbx_simulator::Scenario::load(s)
                .unwrap_or_else(|e| panic!("{lang}: {}: {e}", s.display()));
        }
    }
}

#[test]
fn the_rust_project_builds_outside_the_workspace_and_passes_its_scenarios() {
    let tmp = tempfile::tempdir().unwrap();
    let name = "scaffold-check";
    assert_ok(&new_project(tmp.path(), "rust", name), "pbx flow new");
    let project = tmp.path().join(name);
    let cargo_toml = std::fs::read_to_string(project.join("Cargo.toml")).unwrap();
    assert!(cargo_toml.contains("[workspace]") && cargo_toml.contains("path = \"sdk\""));

    // Its own target directory, kept between runs beside the workspace's.
    let out = Command::new(project.join("build.sh"))
        .env("CARGO_TARGET_DIR", target_dir().join("flow-new"))
        .output()
        .expect("build.sh runs");
    assert_ok(&out, "build.sh");
    let wasm = project.join(format!("build/{name}.wasm"));
    assert!(wasm.exists(), "{} was not built", wasm.display());

    let describe = pbx(&["flow", "describe", "--json", wasm.to_str().unwrap()]);
    assert_ok(&describe, "pbx flow describe");
    let doc: serde_json::Value = serde_json::from_slice(&describe.stdout).unwrap();
    assert_eq!(doc["name"], name);
    let params: Vec<&str> = doc["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(params, ["greeting", "extension", "ring-seconds"]);

    let mut args = vec![
        "flow".to_string(),
        "test".into(),
        "--quiet".into(),
        wasm.to_str().unwrap().into(),
    ];
    let scenarios = files_under(&project.join("scenarios"));
    args.extend(scenarios.iter().map(|s| s.to_str().unwrap().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let test = pbx(&args);
    assert_ok(&test, "pbx flow test");
    let stdout = String::from_utf8_lossy(&test.stdout);
    assert!(
        stdout.contains(&format!("{} passed, 0 failed", scenarios.len())),
        "{stdout}"
    );

    // A scenario that expects something else fails: the scenarios check.
    let wrong = project.join("scenarios/no-answer.toml");
    let text = std::fs::read_to_string(&wrong)
        .unwrap()
        .replace("box = \"101\"", "box = \"999\"");
    std::fs::write(&wrong, text).unwrap();
    let test = pbx(&[
        "flow",
        "test",
        "--quiet",
        wasm.to_str().unwrap(),
        wrong.to_str().unwrap(),
    ]);
    assert_eq!(
        test.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
}

#[test]
fn unknown_languages_are_refused_with_the_known_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = new_project(tmp.path(), "cobol", "desk");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unknown language 'cobol'"), "{err}");
    assert!(err.contains("rust, c, cpp, zig, go, js, python"), "{err}");
    assert!(!tmp.path().join("desk").exists());
}

#[test]
fn invalid_names_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "Desk",
        "my_flow",
        "1desk",
        "-desk",
        "desk-",
        "de--sk",
        "des k",
        "dé",
        &"a".repeat(65),
    ] {
        let out = new_project(tmp.path(), "rust", name);
        assert_eq!(out.status.code(), Some(2), "{name:?} accepted");
        assert!(
            stderr(&out).contains("invalid flow name"),
            "{name:?}: {}",
            stderr(&out)
        );
    }
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );
    assert_ok(&new_project(tmp.path(), "rust", "desk-2"), "a valid name");
}

#[test]
fn an_existing_directory_needs_force() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("desk");

    // Empty: fine.
    std::fs::create_dir(&project).unwrap();
    assert_ok(
        &new_project(tmp.path(), "python", "desk"),
        "into an empty directory",
    );

    // Not empty: refused, and nothing changed.
    std::fs::write(project.join("app.py"), "# mine\n").unwrap();
    std::fs::write(project.join("notes.txt"), "keep me\n").unwrap();
    let out = new_project(tmp.path(), "python", "desk");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(project.join("app.py")).unwrap(),
        "# mine\n"
    );

    // --force: the scaffold's files are rewritten, other files stay.
    let dir = tmp.path().to_str().unwrap();
    let out = pbx(&[
        "flow", "new", "--lang", "python", "--dir", dir, "--force", "desk",
    ]);
    assert_ok(&out, "--force");
    assert!(
        std::fs::read_to_string(project.join("app.py"))
            .unwrap()
            .contains("Handler")
    );
    assert_eq!(
        std::fs::read_to_string(project.join("notes.txt")).unwrap(),
        "keep me\n"
    );

    // A file in the way is refused even with --force.
    std::fs::write(tmp.path().join("plain"), "x").unwrap();
    let out = pbx(&[
        "flow", "new", "--lang", "js", "--dir", dir, "--force", "plain",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
}

//! The repository files built into the binary (see `host/pbx/build.rs`):
//! the WIT contract, the guest SDKs, the build helpers and the project
//! templates under `templates/`.

include!(concat!(env!("OUT_DIR"), "/scaffold_files.rs"));

/// The embedded files whose workspace-relative path starts with `prefix`
/// (a directory ending in `/`, or one exact file), with the path after it.
pub fn under(prefix: &str) -> impl Iterator<Item = (&'static str, &'static [u8])> + '_ {
    FILES.iter().filter_map(move |(path, bytes)| {
        if prefix.ends_with('/') {
            path.strip_prefix(prefix).map(|rest| (rest, *bytes))
        } else if *path == prefix {
            Some((file_name(path), *bytes))
        } else {
            None
        }
    })
}

/// One embedded file's contents, as text.
pub fn text(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .and_then(|(_, b)| std::str::from_utf8(b).ok())
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

//! Checks that an upload is a `pbx:flow` component this host can run,
//! before anything of it executes, with a message naming the problem.

use crate::bindings::{CONTRACT_PACKAGE, CONTRACT_VERSION, FlowDescription, ParamKind, Value};
use crate::error::UploadError;
use crate::params::{type_of, value_type_of};
use wasmtime::Engine;
use wasmtime::component::Component;

/// What kind of WebAssembly binary `bytes` is, from its 8-byte header.
pub fn check_header(bytes: &[u8]) -> Result<(), UploadError> {
    if bytes.len() < 8 || &bytes[0..4] != b"\0asm" {
        return Err(UploadError::NotWasm);
    }
    // Bytes 6-7 are the layer: 0 for core modules, 1 for components.
    if bytes[6] == 0 && bytes[7] == 0 {
        return Err(UploadError::CoreModule);
    }
    Ok(())
}

/// Check the compiled component's imports and exports against the contract.
pub fn check_world(engine: &Engine, component: &Component) -> Result<(), UploadError> {
    let ty = component.component_type();
    let package = format!("{CONTRACT_PACKAGE}/");
    for (name, _) in ty.imports(engine) {
        if let Some(rest) = name.strip_prefix(&package) {
            match rest.split_once('@') {
                Some((_, version)) if version == CONTRACT_VERSION => {}
                _ => {
                    return Err(UploadError::IncompatibleContract {
                        import: name.to_string(),
                        supported: CONTRACT_VERSION,
                    });
                }
            }
        } else if !name.starts_with("wasi:") {
            return Err(UploadError::WrongWorld(format!(
                "it imports `{name}`, which this PBX does not provide (a flow may import only pbx:flow/* and WASI)"
            )));
        }
    }
    let handler = format!("{CONTRACT_PACKAGE}/handler@{CONTRACT_VERSION}");
    if ty.get_export(engine, &handler).is_none() {
        let found: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
        if let Some(other) = found
            .iter()
            .find(|n| n.starts_with(&format!("{CONTRACT_PACKAGE}/handler@")))
        {
            return Err(UploadError::IncompatibleContract {
                import: other.clone(),
                supported: CONTRACT_VERSION,
            });
        }
        return Err(UploadError::WrongWorld(format!(
            "it does not export `{handler}` (it exports {found:?}); build it for the `flow` world of wit/"
        )));
    }
    Ok(())
}

/// Check what `describe` returned: names, kinds and defaults that the API
/// and portal can rely on.
pub fn check_description(d: &FlowDescription) -> Result<(), UploadError> {
    let bad = |m: String| Err(UploadError::Describe(m));
    let name_ok = !d.name.is_empty()
        && d.name.len() <= 64
        && d.name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return bad(format!(
            "name `{}` must be 1-64 characters of a-z, 0-9, '-'",
            d.name
        ));
    }
    if d.version.is_empty() || d.version.len() > 32 {
        return bad("version must be 1-32 characters, e.g. \"1.0.0\"".into());
    }
    let mut seen = std::collections::HashSet::new();
    for p in &d.params {
        let ok = !p.name.is_empty()
            && p.name.len() <= 64
            && p.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return bad(format!(
                "parameter name `{}` must be 1-64 characters of a-z, 0-9, '-'",
                p.name
            ));
        }
        if !seen.insert(p.name.as_str()) {
            return bad(format!("parameter `{}` is declared twice", p.name));
        }
        if let Some(default) = &p.default {
            check_default(&p.name, p.kind, default)?;
        }
    }
    Ok(())
}

fn check_default(name: &str, kind: ParamKind, default: &Value) -> Result<(), UploadError> {
    let expected = value_type_of(kind);
    if type_of(default) != expected {
        return Err(UploadError::Describe(format!(
            "default of parameter `{name}` is {}, but its kind needs {expected}",
            type_of(default)
        )));
    }
    Ok(())
}

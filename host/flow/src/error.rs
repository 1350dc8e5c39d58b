//! Errors of the flow runtime's public operations, each saying what to do.

/// Why an uploaded component was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Over the size limit.
    #[error(
        "the flow is {size} bytes, over the limit of {limit} bytes: strip debug info (e.g. `wasm-tools strip`) or raise the limit"
    )]
    TooLarge {
        /// Size of the upload.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// Not WebAssembly at all.
    #[error(
        "this is not a WebAssembly file (no \\0asm header): upload the .wasm component your build produced"
    )]
    NotWasm,
    /// A core module, not a component.
    #[error(
        "this is a core WebAssembly module, not a component: build for wasm32-wasip2, or wrap it with `wasm-tools component new`"
    )]
    CoreModule,
    /// The component does not compile.
    #[error("the component failed to compile: {0}")]
    Compile(String),
    /// Written against another version of the contract.
    #[error(
        "the flow imports `{import}`, but this PBX implements pbx:flow@{supported}: rebuild the flow against wit/ of this release"
    )]
    IncompatibleContract {
        /// The offending import or export.
        import: String,
        /// The version this host implements.
        supported: &'static str,
    },
    /// Not a flow: missing the handler export, or imports things the PBX
    /// does not provide.
    #[error("not a pbx:flow component: {0}")]
    WrongWorld(String),
    /// `describe` trapped, timed out or returned nonsense.
    #[error("the flow's describe() failed: {0}")]
    Describe(String),
}

/// Errors of registry operations.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The flow name is not known for the tenant.
    #[error("tenant `{tenant}` has no flow named `{name}`: upload it first")]
    UnknownFlow {
        /// Tenant.
        tenant: String,
        /// Flow name.
        name: String,
    },
    /// The version number is not known for the flow.
    #[error("flow `{name}` has no version {version}; known versions: {known:?}")]
    UnknownVersion {
        /// Flow name.
        name: String,
        /// Requested version.
        version: u32,
        /// Versions that exist.
        known: Vec<u32>,
    },
    /// Invalid flow name.
    #[error("flow names are 1-64 characters of a-z, 0-9, '-' and '_', got `{0}`")]
    BadName(String),
    /// The upload was refused.
    #[error(transparent)]
    Upload(#[from] UploadError),
}

//! A `pbx serve` child process on a fresh data directory, for benchmarks
//! that measure the real server.
//!
//! Start-up: `pbx admin superadmin create` makes a superadmin and its API
//! token in the empty store (it makes no tenant, so `pbx serve`, which
//! seeds the demo tenant when the store has no tenant, still does); then
//! `pbx serve` starts on free loopback ports with `RUST_LOG=warn`, its
//! standard output and log going to files in the data directory. It is
//! ready once it printed `ready;` and `GET /api/v1/me` answers 200 with
//! the demo tenant's token it printed. On drop it gets SIGTERM, then
//! SIGKILL after 2 s.

use super::admin::Admin;
use super::options::SpawnOptions;
use super::ports::free_port;
use anyhow::{Context, Result, anyhow, bail};
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the API may take to come up.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a SIGTERM may take before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(2);
/// The digest realm `pbx serve` authenticates in (its default).
pub const REALM: &str = "pbx";
/// The user name of the superadmin made before start.
pub const SUPERADMIN: &str = "load-superadmin";
/// The demo tenant `pbx serve` seeds on first start.
pub const DEMO_TENANT: &str = "demo";

/// Standard output of `pbx serve` (credentials, the ready line).
const STDOUT_FILE: &str = "serve.out";
/// Standard error of `pbx serve` (its log, at `warn`).
const LOG_FILE: &str = "pbx.log";

/// The data directory: temporary (removed on drop) or kept.
enum DataDir {
    Temp(tempfile::TempDir),
    Kept(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Temp(t) => t.path(),
            DataDir::Kept(p) => p,
        }
    }
}

/// A running `pbx serve`, killed on drop.
pub struct PbxProcess {
    /// Its SIP address (UDP and TCP).
    pub sip: SocketAddr,
    /// Its admin API address (`http://{api}/api/v1`).
    pub api: SocketAddr,
    /// Its digest realm.
    pub realm: String,
    /// The RTP port range it was given.
    pub rtp_ports: (u16, u16),
    /// The demo tenant admin's API token (role `tenant_admin`).
    pub demo_token: String,
    /// A superadmin's API token (tenants and their limits).
    pub superadmin_token: String,
    child: Child,
    // Declared last: removed after the child is gone.
    dir: DataDir,
}

impl PbxProcess {
    /// Makes a superadmin in a fresh data directory, starts `pbx serve`
    /// on it and waits (at most [`START_TIMEOUT`]) until its API answers.
    /// Errors carry the tail of the process's output.
    pub async fn spawn(opts: SpawnOptions) -> Result<PbxProcess> {
        let dir = match &opts.keep_dir {
            Some(path) => {
                std::fs::create_dir_all(path)
                    .with_context(|| format!("creating {}", path.display()))?;
                if std::fs::read_dir(path)?.next().is_some() {
                    bail!(
                        "{} is not empty: the PBX needs a fresh data directory",
                        path.display()
                    );
                }
                DataDir::Kept(path.clone())
            }
            None => DataDir::Temp(
                tempfile::Builder::new()
                    .prefix("pbx-load-")
                    .tempdir()
                    .context("creating a data directory")?,
            ),
        };
        let superadmin_token = make_superadmin(&opts.pbx_bin, dir.path()).await?;

        let sip_port = free_port(&[])?;
        let api_port = free_port(&[sip_port])?;
        let sip = SocketAddr::from((Ipv4Addr::LOCALHOST, sip_port));
        let api = SocketAddr::from((Ipv4Addr::LOCALHOST, api_port));
        let out = File::create(dir.path().join(STDOUT_FILE))?;
        let log = File::create(dir.path().join(LOG_FILE))?;
        let mut cmd = Command::new(&opts.pbx_bin);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--sip")
            .arg(sip.to_string())
            .arg("--api")
            .arg(api.to_string())
            .arg("--rtp-ports")
            .arg(format!("{}-{}", opts.rtp_ports.0, opts.rtp_ports.1))
            .arg("--sounds")
            .arg(&opts.sounds);
        if let Some(templates) = &opts.templates {
            cmd.arg("--templates").arg(templates);
        }
        cmd.args(&opts.extra_args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", opts.pbx_bin.display()))?;
        let mut pbx = PbxProcess {
            sip,
            api,
            realm: REALM.to_string(),
            rtp_ports: opts.rtp_ports,
            demo_token: String::new(),
            superadmin_token,
            child,
            dir,
        };
        pbx.wait_ready().await?;
        Ok(pbx)
    }

    /// Waits for the ready line and the demo token, then for the API.
    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("pbx serve exited early ({status}):\n{}", self.log_tail(40));
            }
            let out = std::fs::read_to_string(self.dir.path().join(STDOUT_FILE))?;
            if out.lines().any(|l| l.starts_with("ready;")) {
                self.demo_token = token_in(&out).ok_or_else(|| {
                    anyhow!(
                        "pbx serve printed no demo `API token:` line (was the data directory fresh?):\n{}",
                        self.log_tail(40)
                    )
                })?;
                break;
            }
            if Instant::now() > deadline {
                bail!(
                    "pbx serve was not ready within {START_TIMEOUT:?}:\n{}",
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let admin = self.admin();
        loop {
            let err = match admin.me().await {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            if Instant::now() > deadline {
                bail!(
                    "the API on {} did not answer within {START_TIMEOUT:?}: {err:#}\n{}",
                    self.api,
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its data directory (SQLite database, flows, `serve.out`,
    /// `pbx.log`).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The last `n` lines of its standard output and of its log, for error
    /// messages.
    pub fn log_tail(&self, n: usize) -> String {
        let mut text = String::new();
        for name in [STDOUT_FILE, LOG_FILE] {
            let path = self.dir.path().join(name);
            let body = std::fs::read_to_string(&path).unwrap_or_default();
            let lines: Vec<&str> = body.lines().collect();
            let tail = &lines[lines.len().saturating_sub(n)..];
            text.push_str(&format!(
                "--- {} (last {} lines)\n",
                path.display(),
                tail.len()
            ));
            for line in tail {
                text.push_str(line);
                text.push('\n');
            }
        }
        text
    }

    /// An admin API client with the demo tenant admin's token.
    pub fn admin(&self) -> Admin {
        Admin::new(self.api, &self.demo_token)
    }

    /// An admin API client with the superadmin's token.
    pub fn superadmin(&self) -> Admin {
        Admin::new(self.api, &self.superadmin_token)
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it: SIGTERM, then SIGKILL after [`STOP_GRACE`]. Idempotent.
    pub fn stop(&mut self) {
        if !self.is_running() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if !self.is_running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PbxProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The value of the first `API token:` line of `out`.
fn token_in(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.trim().strip_prefix("API token:"))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// A random password of 24 letters and digits (from the process id and
/// the clock: it only guards a throw-away benchmark server).
fn throwaway_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < 24 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        out.push_str(&format!("{:x}", h.finish()));
    }
    out.truncate(24);
    out
}

/// Runs `pbx admin superadmin create` on `data_dir`; the token it printed.
async fn make_superadmin(pbx: &Path, data_dir: &Path) -> Result<String> {
    let out = tokio::process::Command::new(pbx)
        .arg("admin")
        .arg("--data-dir")
        .arg(data_dir)
        .args(["superadmin", "create", SUPERADMIN, "--password"])
        .arg(throwaway_password())
        .args(["--token-name", "pbx-load"])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .with_context(|| format!("running {} admin", pbx.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!(
            "`pbx admin superadmin create` failed ({}): {stderr}{stdout} (is {} older than this pbx-load? rebuild with `cargo build --release -p pbx`)",
            out.status,
            pbx.display()
        );
    }
    token_in(&stdout).ok_or_else(|| {
        anyhow!("`pbx admin superadmin create` printed no `API token:` line: {stdout}{stderr}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_line_parsed() {
        let out = "demo tenant created\n  API admin: demo-admin / x\n  API token: pbx_abc\n";
        assert_eq!(token_in(out).as_deref(), Some("pbx_abc"));
        assert_eq!(token_in("ready; Ctrl-C stops\n"), None);
        assert_eq!(throwaway_password().len(), 24);
    }
}

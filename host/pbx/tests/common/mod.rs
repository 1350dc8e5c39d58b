//! Helpers shared by the end-to-end tests of flow-driven calls: the `pbx
//! serve` process ([`pbx_proc`]), its admin API ([`api`]), the soft phones
//! that call it ([`pjsua2`], [`baresip`]), the steps of a call test
//! ([`calls`]) and the audio checks on what the phones recorded
//! ([`audio`]). Each test binary uses a part of them.
//!
//! Running them (they fail, never skip, when something is missing):
//!
//! ```sh
//! scripts/install-test-peers.sh   # baresip, pjsua2 (venv), espeak-ng, sox
//! scripts/build-sounds.sh         # sounds/en/*.wav, the prompts listened for
//! scripts/build-flows.sh          # office_hours.wasm, hostile_flow.wasm
//! cargo test -p pbx --test e2e_audio --test e2e_ivr --test e2e_routing \
//!     --test e2e_voicemail --test e2e_flows
//! ```
//!
//! Environment: `PBX_E2E_KEEP=1` keeps every temp directory (the PBX's
//! data and `pbx.log`, the phones' logs and recordings) and prints their
//! paths; `PBX_E2E_LOG` sets the PBX's `RUST_LOG` (default `info`);
//! `PBX_SOUNDS_DIR` points at other prompts; `PJSUA2_PYTHON` and
//! `PBX_TEST_PEERS_DIR` at another pjsua2 venv. `--nocapture` shows the
//! prompt-match scores and each caller's RTP statistics.
#![allow(dead_code)]

pub mod api;
pub mod audio;
pub mod baresip;
pub mod calls;
pub mod pbx_proc;
pub mod pjsua2;

use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a program (a phone, the PBX) gets to do one expected thing.
/// Generous: the machines running these tests are small and shared.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A throwaway directory, removed on drop unless `PBX_E2E_KEEP` is set
/// (then its path is printed, to look at recordings and logs).
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new directory under the system's temp dir, named after `prefix`
    /// and `tag`, unique within and across processes.
    pub fn new(prefix: &str, tag: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir =
            std::env::temp_dir().join(format!("{prefix}-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("PBX_E2E_KEEP").is_some() {
            eprintln!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// baresip's module directory: `BARESIP_MODULE_PATH`, else where Debian
/// or a local build puts `account.so`.
pub fn baresip_module_path() -> String {
    if let Ok(path) = std::env::var("BARESIP_MODULE_PATH") {
        return path;
    }
    ["/usr/lib/baresip/modules", "/usr/local/lib/baresip/modules"]
        .into_iter()
        .find(|p| std::path::Path::new(p).join("account.so").exists())
        .unwrap_or("/usr/lib/baresip/modules")
        .to_string()
}

/// A port free on 127.0.0.1 for UDP and TCP, and TCP on the next port
/// (baresip binds both, and TLS on the next port when built with it).
pub fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if port < u16::MAX
            && TcpListener::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port + 1)).is_ok()
        {
            return port;
        }
    }
}

/// A free range of `len` consecutive even-started UDP ports on 127.0.0.1
/// (RTP and RTCP pairs), below the kernel's ephemeral range so that no
/// phone's socket takes one while the PBX runs. Randomised per process.
pub fn free_rtp_range(len: u16) -> (u16, u16) {
    use std::hash::{BuildHasher, RandomState};
    let seed = RandomState::new().hash_one(std::process::id());
    // 20000-31999: under Linux's default ephemeral range (32768-60999).
    for attempt in 0..200u64 {
        let start = (20000 + (seed.wrapping_add(attempt * 7919) % 12000) as u16) & !1;
        if start + len > 32000 {
            continue;
        }
        let all_free = (start..start + len).all(|p| UdpSocket::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return (start, start + len - 1);
        }
    }
    panic!("no free range of {len} UDP ports between 20000 and 32000 on 127.0.0.1");
}

/// Poll `done` every 50 ms until it holds or `patience` runs out.
pub async fn wait_for(patience: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

/// The workspace's root directory.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

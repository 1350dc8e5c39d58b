//! Helpers shared by the end-to-end tests that drive third-party programs
//! (baresip, sipvicious): throwaway directories, free ports, polling.
//! Each test binary uses a part of them.
#![allow(dead_code)]

pub mod baresip;
pub mod pbx;
pub mod registrar;

use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a third-party program gets to do what is expected of it.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A throwaway directory, removed on drop.
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
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
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
pub mod linphone;
pub mod pjsua2;

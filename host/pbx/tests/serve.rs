//! `pbx serve` on a fresh data directory: it creates the demo tenant and
//! prints credentials; an extension registers with them over SIP, the
//! admin API answers with the printed token, and a restart keeps both the
//! tenant and the phone's registration.

use pbx_sip::auth::client::{ClientAnswer, authorization, select_challenge};
use pbx_sip::message::{Response, SipMessage, parse_datagram};
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, UdpSocket as StdUdp};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::net::UdpSocket;

/// A free loopback port for both UDP and TCP.
fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if StdUdp::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

struct Pbx {
    child: Child,
    lines: Vec<String>,
    sip: SocketAddr,
    api: SocketAddr,
}

impl Drop for Pbx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `pbx serve` and read its output up to "ready".
fn serve(data: &Path) -> Pbx {
    let (sip, api) = (free_port(), free_port());
    let sip: SocketAddr = format!("127.0.0.1:{sip}").parse().unwrap();
    let api: SocketAddr = format!("127.0.0.1:{api}").parse().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pbx"))
        .args(["serve", "--md5-only", "--data-dir"])
        .arg(data)
        .args(["--sip", &sip.to_string(), "--api", &api.to_string()])
        // The built-in sounds scripts/build-sounds.sh wrote.
        .arg("--sounds")
        .arg(
            std::env::var_os("PBX_SOUNDS_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sounds")),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("pbx starts");
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for line in out.lines() {
        let line = line.unwrap();
        let ready = line.starts_with("ready");
        lines.push(line);
        if ready {
            break;
        }
    }
    assert!(
        lines.last().is_some_and(|l| l.starts_with("ready")),
        "pbx serve did not get ready: {lines:?}"
    );
    Pbx {
        child,
        lines,
        sip,
        api,
    }
}

fn after(lines: &[String], prefix: &str) -> String {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
        .trim()
        .to_string()
}

async fn response(phone: &UdpSocket) -> Response {
    let mut buf = vec![0u8; 65536];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), phone.recv(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        if let Ok(SipMessage::Response(r)) = parse_datagram(&buf[..n])
            && r.status >= 200
        {
            return r;
        }
    }
}

/// A number unique within this test process.
fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// REGISTER 1001 with `password`; the final status.
async fn register(pbx: SocketAddr, phone: &UdpSocket, password: &str) -> u16 {
    register_as(pbx, phone, "1001", password).await
}

/// REGISTER `user` with `password`; the final status.
async fn register_as(pbx: SocketAddr, phone: &UdpSocket, user: &str, password: &str) -> u16 {
    let port = phone.local_addr().unwrap().port();
    // A new branch per attempt: a reused one would be a retransmission.
    let attempt: u64 = rand_suffix();
    let request = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:{pbx} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKs{attempt}x{cseq};rport\r\n\
             Max-Forwards: 70\r\nFrom: <sip:{user}@{pbx}>;tag=s\r\nTo: <sip:{user}@{pbx}>\r\n\
             Call-ID: serve-test-{attempt}\r\nCSeq: {cseq} REGISTER\r\nContact: <sip:{user}@127.0.0.1:{port}>\r\n\
             Expires: 600\r\n{auth}Content-Length: 0\r\n\r\n"
        )
    };
    phone.send_to(request(1, "").as_bytes(), pbx).await.unwrap();
    let challenge = response(phone).await;
    assert_eq!(challenge.status, 401);
    let parsed = select_challenge(challenge.headers.get_all("WWW-Authenticate")).unwrap();
    let uri = format!("sip:{pbx}");
    let value = authorization(
        &parsed,
        &ClientAnswer {
            username: user,
            password,
            method: "REGISTER",
            uri: &uri,
            nc: 1,
            cnonce: "c",
        },
    )
    .unwrap();
    let auth = format!("Authorization: {value}\r\n");
    phone
        .send_to(request(2, &auth).as_bytes(), pbx)
        .await
        .unwrap();
    response(phone).await.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_creates_the_demo_and_phones_register_with_the_printed_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let pbx = serve(dir.path());
    let password = after(&pbx.lines, "SIP extension 1001 password");
    let token = after(&pbx.lines, "API token:");
    assert!(
        pbx.lines.iter().any(|l| l.contains("3 extensions")),
        "{:?}",
        pbx.lines
    );

    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert_eq!(register(pbx.sip, &phone, "wrong-password").await, 403);
    assert_eq!(register(pbx.sip, &phone, &password).await, 200);

    let client = reqwest::Client::new();
    let tenants = client
        .get(format!("http://{}/api/v1/tenants", pbx.api))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let status = tenants.status();
    let body = tenants.text().await.unwrap();
    assert!(
        status.is_success() && body.contains("demo"),
        "{status} {body}"
    );

    // An extension created through the API registers at once, without a
    // restart (the SIP side reads credentials from the routing cache).
    let tenants: serde_json::Value = serde_json::from_str(&body).unwrap();
    let tenant = tenants["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        register_as(pbx.sip, &phone, "1004", "new-secret-1004").await,
        403
    );
    let created = client
        .post(format!(
            "http://{}/api/v1/tenants/{tenant}/extensions",
            pbx.api
        ))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "number": "1004",
            "display_name": "New hire",
            "sip_username": "1004",
            "sip_password": "new-secret-1004",
            "voicemail_pin": null,
            "class_of_service": "national",
            "pickup_group": null,
            "call_group": null,
            "forwarding": [],
            "personal_flow_id": null,
            "personal_flow_params": null,
            "language": null
        }))
        .send()
        .await
        .unwrap();
    let status = created.status();
    assert!(
        status.is_success(),
        "{status} {}",
        created.text().await.unwrap()
    );
    let mut registered = 0;
    for _ in 0..50 {
        registered = register_as(pbx.sip, &phone, "1004", "new-secret-1004").await;
        if registered == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(registered, 200, "the new extension could not register");
    drop(pbx);

    // A restart: the same tenant and credentials, from the store.
    let again = serve(dir.path());
    assert_eq!(after(&again.lines, "SIP extension 1001 password"), password);
    let status = register(again.sip, &phone, &password).await;
    assert_eq!(status, 200);
}

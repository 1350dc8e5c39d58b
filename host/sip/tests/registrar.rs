//! The registrar's REGISTER rules (RFC 3261 section 10) through its
//! public API, with simulated time. Persistence is tested in
//! `tests/registrar_persistence.rs`.

mod common;

use common::registrar::*;
use pbx_sip::message::Response;
use pbx_sip::registrar::{Binding, RegistrarConfig};

fn contacts(resp: &Response) -> Vec<&str> {
    resp.headers.get_all("Contact").collect()
}

fn contact_uris(bindings: &[Binding]) -> Vec<&str> {
    bindings.iter().map(|b| b.contact.as_str()).collect()
}

#[tokio::test]
async fn first_registration_gets_default_expiry_and_is_routable() {
    let (reg, store) = registrar();
    let resp = send(&reg, "c1", 1, &["<sip:100@10.0.0.5:5060>"], None, 0).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        contacts(&resp),
        vec!["<sip:100@10.0.0.5:5060>;expires=3600"]
    );
    assert_eq!(
        resp.headers.get("Date"),
        Some("Tue, 14 Nov 2023 22:13:20 GMT")
    );
    assert!(resp.headers.to_tag().is_some());
    let found = reg.lookup(AOR, at(10));
    assert_eq!(found.len(), 1);
    let b = &found[0];
    assert_eq!(b.aor, AOR);
    assert_eq!(b.source, source());
    assert_eq!(b.transport, "TCP");
    assert_eq!(b.user_agent.as_deref(), Some("TestPhone/1.0"));
    assert_eq!(b.expires_at, at(3600));
    assert_eq!((b.call_id.as_str(), b.cseq), ("c1", 1));
    assert_eq!(store.len(), 1);
    assert!(reg.lookup("sip:200@pbx.example.com", at(10)).is_empty());
}

#[tokio::test]
async fn expires_header_param_and_maximum() {
    let (reg, _) = registrar();
    let req = register(
        "c1",
        1,
        &[
            "<sip:a@10.0.0.5>",
            "<sip:b@10.0.0.5>;expires=300",
            "<sip:c@10.0.0.5>;expires=99999",
        ],
        Some("600"),
    );
    let resp = reg.handle(&req, AOR, source(), at(0)).await;
    assert_eq!(
        contacts(&resp),
        vec![
            "<sip:a@10.0.0.5>;expires=600",
            "<sip:b@10.0.0.5>;expires=300",
            "<sip:c@10.0.0.5>;expires=7200",
        ]
    );
    // A malformed value counts as the default (RFC 3261 20.19).
    let req = register("c2", 1, &["<sip:d@10.0.0.5>;expires=soon"], None);
    let resp = reg.handle(&req, AOR, source(), at(0)).await;
    assert!(contacts(&resp).contains(&"<sip:d@10.0.0.5>;expires=3600"));
}

#[tokio::test]
async fn too_brief_interval_gets_423_with_min_expires() {
    let (reg, store) = registrar();
    let req = register(
        "c1",
        1,
        &["<sip:a@10.0.0.5>", "<sip:b@10.0.0.5>;expires=30"],
        None,
    );
    let resp = reg.handle(&req, AOR, source(), at(0)).await;
    assert_eq!(resp.status, 423);
    assert_eq!(resp.reason, "Interval Too Brief");
    assert_eq!(resp.headers.get("Min-Expires"), Some("60"));
    assert!(store.is_empty(), "nothing applied");
    let resp = send(&reg, "c1", 2, &["<sip:a@10.0.0.5>"], Some("59"), 0).await;
    assert_eq!(resp.status, 423);
    // Exactly the minimum is fine; zero is a removal, never 423.
    let resp = send(&reg, "c1", 3, &["<sip:a@10.0.0.5>"], Some("60"), 0).await;
    assert_eq!(resp.status, 200);
    let resp = send(&reg, "c1", 4, &["<sip:a@10.0.0.5>"], Some("0"), 0).await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn several_contacts_listed_with_remaining_time() {
    let (reg, _) = registrar();
    send(&reg, "phone", 1, &["<sip:100@10.0.0.5>"], None, 0).await;
    let resp = send(
        &reg,
        "softphone",
        1,
        &["<sip:100@10.0.0.9:5070>;q=0.5"],
        Some("1800"),
        100,
    )
    .await;
    assert_eq!(
        contacts(&resp),
        vec![
            "<sip:100@10.0.0.5>;expires=3500",
            "<sip:100@10.0.0.9:5070>;expires=1800;q=0.5",
        ]
    );
    assert_eq!(reg.lookup(AOR, at(200)).len(), 2);
    // Two contacts in one header line.
    let resp = send(
        &reg,
        "desk",
        1,
        &["<sip:x@10.0.0.7>, \"Y, Z\" <sip:y@10.0.0.7>"],
        None,
        100,
    )
    .await;
    assert_eq!(contacts(&resp).len(), 4);
}

#[tokio::test]
async fn refresh_updates_the_same_binding() {
    let (reg, store) = registrar();
    send(&reg, "c1", 1, &["<sip:100@Phone.example:5060>"], None, 0).await;
    // The same contact (host case differs: still the same URI), later CSeq.
    let resp = send(
        &reg,
        "c1",
        2,
        &["<sip:100@phone.EXAMPLE:5060>"],
        Some("120"),
        1_000,
    )
    .await;
    assert_eq!(
        contacts(&resp),
        vec!["<sip:100@phone.EXAMPLE:5060>;expires=120"]
    );
    let resp = send(
        &reg,
        "c1",
        3,
        &["<sip:100@phone.EXAMPLE:5060>"],
        None,
        1_010,
    )
    .await;
    assert_eq!(
        contacts(&resp),
        vec!["<sip:100@phone.EXAMPLE:5060>;expires=3600"]
    );
    let found = reg.lookup(AOR, at(1_010));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].cseq, 3);
    assert_eq!(
        store.len(),
        1,
        "the row under the old spelling was replaced"
    );
}

#[tokio::test]
async fn same_call_id_with_old_cseq_fails_with_500_and_changes_nothing() {
    let (reg, store) = registrar();
    send(&reg, "c1", 5, &["<sip:a@10.0.0.5>"], None, 0).await;
    for cseq in [5, 4] {
        // A new contact alongside the out-of-order one: neither applies.
        let req = register(
            "c1",
            cseq,
            &["<sip:new@10.0.0.5>", "<sip:a@10.0.0.5>;expires=0"],
            None,
        );
        let resp = reg.handle(&req, AOR, source(), at(10)).await;
        assert_eq!(resp.status, 500, "cseq {cseq}");
        assert!(resp.headers.get("Warning").is_some());
    }
    assert_eq!(
        contact_uris(&reg.lookup(AOR, at(10))),
        vec!["sip:a@10.0.0.5"]
    );
    assert_eq!(store.len(), 1);
    // Another Call-ID (the phone rebooted) may have any CSeq.
    let resp = send(&reg, "c2", 1, &["<sip:a@10.0.0.5>"], Some("600"), 20).await;
    assert_eq!(resp.status, 200);
    assert_eq!(reg.lookup(AOR, at(20))[0].call_id, "c2");
}

#[tokio::test]
async fn expires_zero_removes_one_contact() {
    let (reg, store) = registrar();
    send(
        &reg,
        "c1",
        1,
        &["<sip:a@10.0.0.5>", "<sip:b@10.0.0.5>"],
        None,
        0,
    )
    .await;
    let resp = send(&reg, "c1", 2, &["<sip:a@10.0.0.5>;expires=0"], None, 5).await;
    assert_eq!(resp.status, 200);
    assert_eq!(contacts(&resp), vec!["<sip:b@10.0.0.5>;expires=3595"]);
    assert_eq!(store.len(), 1);
    // Removing an unknown contact is not an error.
    let resp = send(&reg, "c1", 3, &["<sip:zzz@10.0.0.5>"], Some("0"), 6).await;
    assert_eq!(resp.status, 200);
    assert_eq!(contacts(&resp).len(), 1);
}

#[tokio::test]
async fn star_with_expires_zero_removes_everything() {
    let (reg, store) = registrar();
    send(
        &reg,
        "c1",
        1,
        &["<sip:a@10.0.0.5>", "<sip:b@10.0.0.5>"],
        None,
        0,
    )
    .await;
    for (req, why) in [
        (register("c1", 2, &["*"], None), "no Expires"),
        (register("c1", 2, &["*"], Some("60")), "non-zero Expires"),
        (
            register("c1", 2, &["*", "<sip:a@10.0.0.5>"], Some("0")),
            "other contacts",
        ),
        (
            register("c1", 2, &["*, <sip:a@10.0.0.5>"], Some("0")),
            "other contacts, one line",
        ),
    ] {
        let resp = reg.handle(&req, AOR, source(), at(1)).await;
        assert_eq!(resp.status, 400, "{why}");
    }
    // Same Call-ID and a CSeq not above the bindings': refused.
    let resp = send(&reg, "c1", 1, &["*"], Some("0"), 1).await;
    assert_eq!(resp.status, 500);
    assert_eq!(reg.lookup(AOR, at(1)).len(), 2);
    let resp = send(&reg, "c1", 2, &["*"], Some("0"), 1).await;
    assert_eq!(resp.status, 200);
    assert!(contacts(&resp).is_empty());
    assert!(reg.lookup(AOR, at(1)).is_empty());
    assert!(store.is_empty());
}

#[tokio::test]
async fn query_without_contact_lists_bindings_unchanged() {
    let (reg, _) = registrar();
    let resp = send(&reg, "q", 1, &[], None, 0).await;
    assert_eq!(resp.status, 200);
    assert!(contacts(&resp).is_empty());
    send(&reg, "c1", 1, &["<sip:a@10.0.0.5>"], None, 0).await;
    let resp = send(&reg, "q", 1, &[], None, 600).await;
    assert_eq!(contacts(&resp), vec!["<sip:a@10.0.0.5>;expires=3000"]);
    assert_eq!(
        reg.lookup(AOR, at(600))[0].call_id,
        "c1",
        "a query changes nothing"
    );
}

#[tokio::test]
async fn contact_cap_refuses_or_replaces_oldest() {
    let strict = RegistrarConfig {
        max_contacts: 2,
        replace_oldest: false,
        ..RegistrarConfig::default()
    };
    let (reg, _) = registrar_with(strict.clone());
    for (i, c) in ["<sip:a@10.0.0.5>", "<sip:b@10.0.0.5>"].iter().enumerate() {
        let resp = send(&reg, c, 1, &[c], None, i as u64).await;
        assert_eq!(resp.status, 200);
    }
    let resp = send(&reg, "c3", 1, &["<sip:c@10.0.0.5>"], None, 5).await;
    assert_eq!(resp.status, 403);
    // Refreshing an existing one is still fine at the cap.
    let resp = send(&reg, "c4", 1, &["<sip:a@10.0.0.5>"], None, 5).await;
    assert_eq!(resp.status, 200);

    let (reg, store) = registrar_with(RegistrarConfig {
        replace_oldest: true,
        ..strict
    });
    send(&reg, "c1", 1, &["<sip:a@10.0.0.5>"], Some("600"), 0).await;
    send(&reg, "c2", 1, &["<sip:b@10.0.0.5>"], None, 1).await;
    let resp = send(&reg, "c3", 1, &["<sip:c@10.0.0.5>"], None, 2).await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        contact_uris(&reg.lookup(AOR, at(2))),
        vec!["sip:b@10.0.0.5", "sip:c@10.0.0.5"],
        "the binding closest to lapsing made room"
    );
    assert_eq!(store.len(), 2);
    // A single request with more contacts than allowed is refused.
    let resp = send(
        &reg,
        "c9",
        1,
        &["<sip:x@1.1.1.1>", "<sip:y@1.1.1.1>", "<sip:z@1.1.1.1>"],
        None,
        3,
    )
    .await;
    assert_eq!(resp.status, 403);
}
#[tokio::test]
async fn instance_id_replaces_the_old_contact_of_the_same_device() {
    let (reg, store) = registrar();
    let inst = "+sip.instance=\"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>\"";
    send(
        &reg,
        "boot1",
        1,
        &[&format!("<sip:100@10.0.0.5:5060>;{inst}")],
        None,
        0,
    )
    .await;
    let resp = send(
        &reg,
        "boot2",
        1,
        &[&format!("<sip:100@10.0.0.5:6000>;{inst}")],
        None,
        50,
    )
    .await;
    assert_eq!(
        contacts(&resp),
        vec![format!("<sip:100@10.0.0.5:6000>;expires=3600;{inst}")]
    );
    assert_eq!(store.len(), 1, "the old row is gone from the store too");
    // RFC 5626: another reg-id of the same instance is another flow.
    send(
        &reg,
        "boot2",
        2,
        &[&format!("<sip:100@10.0.0.5:6000>;{inst};reg-id=1")],
        None,
        60,
    )
    .await;
    let resp = send(
        &reg,
        "boot2",
        3,
        &[&format!("<sip:100@10.0.0.5:6001>;{inst};reg-id=2")],
        None,
        60,
    )
    .await;
    assert_eq!(contacts(&resp).len(), 2);
}

#[tokio::test]
async fn malformed_requests_get_400() {
    let (reg, store) = registrar();
    for contact in ["<sip:a@10.0.0.5", "not a uri", "<sip:a@10.0.0.5>;q=2"] {
        let resp = send(&reg, "c1", 1, &[contact], None, 0).await;
        assert_eq!(resp.status, 400, "{contact}");
    }
    let mut no_call_id = register("c1", 1, &["<sip:a@10.0.0.5>"], None);
    no_call_id.headers.remove("Call-ID");
    assert_eq!(
        reg.handle(&no_call_id, AOR, source(), at(0)).await.status,
        400
    );
    assert!(store.is_empty());
}

#[test]
fn registrar_futures_can_be_spawned() {
    // No std lock is held across an await: handle/purge/load are Send.
    fn assert_send<T: Send>(_: &T) {}
    let (reg, _) = registrar();
    let req = register("c1", 1, &[], None);
    assert_send(&reg.handle(&req, AOR, source(), at(0)));
    assert_send(&reg.purge(at(0)));
    assert_send(&reg.load(at(0)));
}

//! Dialog layer (RFC 3261 section 12), PRACK (RFC 3262) and session
//! timers (RFC 4028).

use bytes::Bytes;
use pbx_sip::dialog::prack::{
    ProvisionalEvent, RAck, RSeqGenerator, RSeqTracker, RSeqVerdict, ReliableProvisional,
    answer_prack, make_reliable, prack_for, requires_100rel, supports_100rel,
};
use pbx_sip::dialog::session_timer::{
    Refresher, SessionExpires, UasDecision, UasPolicy, expire_after, format_min_se,
    min_se_from_422, negotiate_uas, parse_min_se, refresh_after,
};
use pbx_sip::dialog::{
    Dialog, DialogRole, DialogState, Dialogs, IncomingRequest, LocalEndpoint, UacOutcome,
    cancel_for, new_tag,
};
use pbx_sip::message::{Method, Request, Response, SipMessage, parse_datagram};
use pbx_sip::transaction::TimerConfig;
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn local() -> LocalEndpoint {
    LocalEndpoint {
        contact: "sip:pbx@10.0.0.9:5060".into(),
        transport: "UDP".into(),
        sent_by: "10.0.0.9:5060".into(),
    }
}

fn req(text: &str) -> Request {
    match parse_datagram(text.replace('\n', "\r\n").as_bytes()).expect("parses") {
        SipMessage::Request(r) => r,
        other => panic!("not a request: {other:?}"),
    }
}

fn resp(text: &str) -> Response {
    match parse_datagram(text.replace('\n', "\r\n").as_bytes()).expect("parses") {
        SipMessage::Response(r) => r,
        other => panic!("not a response: {other:?}"),
    }
}

/// An INVITE from Alice through p1 then p2 (p2 nearest us), as a UAS sees it.
fn incoming_invite(extra: &str) -> Request {
    req(&format!(
        "INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinv1
Max-Forwards: 68
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
From: \"Alice\" <sip:alice@example.com>;tag=atag
To: <sip:bob@example.com>
Call-ID: call-1@10.0.0.1
CSeq: 314 INVITE
Contact: <sip:alice@10.0.0.1:5060>
{extra}Content-Length: 0

"
    ))
}

/// An INVITE we send.
fn our_invite() -> Request {
    req("INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKours
Max-Forwards: 70
From: <sip:pbx@example.com>;tag=ltag
To: <sip:bob@example.com>
Call-ID: out-1@10.0.0.9
CSeq: 10 INVITE
Contact: <sip:pbx@10.0.0.9:5060>
Content-Length: 0

")
}

/// A response to [`our_invite`] from the fork with `tag`, via p1 (nearest
/// us) and p2 (nearest the UAS), with Record-Route `rr` (top first).
fn answer(status: u16, tag: &str, contact: &str, rr: &[&str]) -> Response {
    let rr: String = rr.iter().map(|r| format!("Record-Route: {r}\n")).collect();
    resp(&format!(
        "SIP/2.0 {status} X
Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKours
{rr}From: <sip:pbx@example.com>;tag=ltag
To: <sip:bob@example.com>;tag={tag}
Call-ID: out-1@10.0.0.9
CSeq: 10 INVITE
Contact: <{contact}>
Content-Length: 0

"
    ))
}

fn header<'a>(r: &'a Request, name: &str) -> Vec<&'a str> {
    r.headers.get_all(name).collect()
}

#[test]
fn uas_dialog_early_then_confirmed_with_route_set_as_received() {
    let invite = incoming_invite("");
    let tag = new_tag();
    assert_ne!(tag, new_tag(), "tags are random");
    let ringing = invite.response(180, "Ringing", Some(&tag));
    let mut d = Dialog::uas(&invite, &ringing, local()).unwrap();
    assert_eq!(d.role(), DialogRole::Uas);
    assert_eq!(d.state(), DialogState::Early);
    assert_eq!(d.id().call_id, "call-1@10.0.0.1");
    assert_eq!(d.id().local_tag, tag);
    assert_eq!(d.id().remote_tag, "atag");
    assert_eq!(d.remote_seq(), Some(314));
    assert_eq!(d.local_seq(), None);
    assert_eq!(d.remote_target(), "sip:alice@10.0.0.1:5060");
    assert_eq!(
        d.route_set().values(),
        ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    );
    d.on_response_sent(&invite.response(200, "OK", Some(&tag)));
    assert_eq!(d.state(), DialogState::Confirmed);

    // A 100 or a 1xx without tag creates nothing.
    assert!(Dialog::uas(&invite, &invite.response(100, "Trying", None), local()).is_err());
    assert!(Dialog::uas(&invite, &invite.response(180, "Ringing", None), local()).is_err());
}

#[test]
fn uas_bye_headers() {
    let invite = incoming_invite("");
    let ok = invite.response(200, "OK", Some("btag"));
    let mut d = Dialog::uas(&invite, &ok, local()).unwrap();
    let bye = d.bye(ms(5));
    assert_eq!(bye.method, Method::Bye);
    assert_eq!(
        bye.uri, "sip:alice@10.0.0.1:5060",
        "loose routing keeps the target"
    );
    assert_eq!(
        header(&bye, "Route"),
        ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    );
    assert_eq!(
        bye.headers.get("From"),
        Some("<sip:bob@example.com>;tag=btag")
    );
    assert_eq!(
        bye.headers.get("To"),
        Some("\"Alice\" <sip:alice@example.com>;tag=atag")
    );
    assert_eq!(bye.headers.call_id(), Some("call-1@10.0.0.1"));
    assert_eq!(bye.headers.max_forwards(), Some(70));
    let via = bye.headers.top_via().unwrap();
    assert_eq!(via.sent_by, "10.0.0.9:5060");
    assert!(via.is_rfc3261());
    assert!(
        bye.headers.get("Contact").is_none(),
        "BYE is no target refresh"
    );
    let (seq, m) = bye.headers.cseq().unwrap();
    assert_eq!(m, Method::Bye);
    assert!((1..1 << 31).contains(&seq));
    let next = d.request(Method::Info, ms(6));
    assert_eq!(
        next.headers.cseq().unwrap().0,
        seq + 1,
        "local CSeq increments"
    );
    assert_ne!(
        next.headers.top_via().unwrap().branch,
        via.branch,
        "fresh branch"
    );
    assert_eq!(d.last_request_at(), Some(ms(6)));
}

#[test]
fn uac_dialog_reverses_record_route_and_acks_2xx() {
    let invite = our_invite();
    let ok = answer(
        200,
        "r1",
        "sip:bob@10.0.0.2",
        &["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"],
    );
    let mut d = Dialog::uac(&invite, &ok, local()).unwrap();
    assert_eq!(d.role(), DialogRole::Uac);
    assert_eq!(d.state(), DialogState::Confirmed);
    assert_eq!(d.id().local_tag, "ltag");
    assert_eq!(d.id().remote_tag, "r1");
    assert_eq!(d.local_seq(), Some(10));
    assert_eq!(
        d.route_set().values(),
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );

    let ack = d.ack_for_2xx(&ok).unwrap();
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(ack.uri, "sip:bob@10.0.0.2");
    assert_eq!(ack.headers.get("CSeq"), Some("10 ACK"));
    assert_eq!(
        header(&ack, "Route"),
        ["<sip:p1.example.com;lr>", "<sip:p2.example.com;lr>"]
    );
    assert_eq!(ack.headers.to_tag(), Some("r1"));
    assert_eq!(ack.headers.from_tag(), Some("ltag"));
    assert_ne!(
        ack.headers.top_via().unwrap().branch.as_deref(),
        Some("z9hG4bKours")
    );
    assert_eq!(d.local_seq(), Some(10), "ACK takes no new CSeq");
    assert!(d.ack_for_2xx(&answer(180, "r1", "sip:x@y", &[])).is_err());

    let bye = d.bye(ms(0));
    assert_eq!(bye.headers.get("CSeq"), Some("11 BYE"));
}

#[test]
fn strict_router_goes_in_request_uri_and_target_last() {
    let invite = our_invite();
    let ok = answer(
        200,
        "r1",
        "sip:bob@10.0.0.2",
        &["<sip:p2.example.com;lr>", "<sip:p1.example.com>"],
    );
    let mut d = Dialog::uac(&invite, &ok, local()).unwrap();
    let bye = d.bye(ms(0));
    assert_eq!(bye.uri, "sip:p1.example.com");
    assert_eq!(
        header(&bye, "Route"),
        ["<sip:p2.example.com;lr>", "<sip:bob@10.0.0.2>"]
    );
}

#[test]
fn reinvite_for_hold_refreshes_target_and_carries_body() {
    let invite = our_invite();
    let ok = answer(200, "r1", "sip:bob@10.0.0.2", &[]);
    let mut d = Dialog::uac(&invite, &ok, local()).unwrap();
    let sdp = Bytes::from_static(b"v=0\r\na=sendonly\r\n");
    let re = d.reinvite(sdp.clone(), "application/sdp", ms(1));
    assert_eq!(re.method, Method::Invite);
    assert_eq!(
        re.uri, "sip:bob@10.0.0.2",
        "no route set: straight to target"
    );
    assert!(header(&re, "Route").is_empty());
    assert_eq!(re.headers.get("CSeq"), Some("11 INVITE"));
    assert_eq!(re.headers.get("Contact"), Some("<sip:pbx@10.0.0.9:5060>"));
    assert_eq!(re.headers.get("Content-Type"), Some("application/sdp"));
    assert_eq!(re.body, sdp);

    // Its 2xx moves the peer: target refresh.
    let mut ok2 = answer(200, "r1", "sip:bob@10.0.0.77", &[]);
    ok2.headers.set("CSeq", "11 INVITE");
    d.on_response_received(&ok2);
    assert_eq!(d.remote_target(), "sip:bob@10.0.0.77");
    assert_eq!(
        d.ack_for_2xx(&ok2).unwrap().headers.get("CSeq"),
        Some("11 ACK")
    );
}

fn in_dialog(method: &str, cseq: u32, to_tag: &str, contact: Option<&str>) -> Request {
    let contact = contact
        .map(|c| format!("Contact: <{c}>\n"))
        .unwrap_or_default();
    req(&format!(
        "{method} sip:bob@10.0.0.9 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{method}{cseq}
Max-Forwards: 70
From: <sip:alice@example.com>;tag=atag
To: <sip:bob@example.com>;tag={to_tag}
Call-ID: call-1@10.0.0.1
CSeq: {cseq} {method}
{contact}Content-Length: 0

"
    ))
}

fn uas_dialogs() -> Dialogs {
    let invite = incoming_invite("");
    let ok = invite.response(200, "OK", Some("btag"));
    let mut set = Dialogs::new();
    set.insert(Dialog::uas(&invite, &ok, local()).unwrap());
    set
}

#[test]
fn in_dialog_requests_match_and_lower_cseq_gets_500() {
    let mut set = uas_dialogs();
    let id = match set.receive_request(&in_dialog("INFO", 315, "btag", None)) {
        IncomingRequest::InDialog(id) => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(set.get(&id).unwrap().remote_seq(), Some(315));
    match set.receive_request(&in_dialog("INFO", 314, "btag", None)) {
        IncomingRequest::Reject(r) => assert_eq!(r.status, 500),
        other => panic!("{other:?}"),
    }
    assert_eq!(set.get(&id).unwrap().remote_seq(), Some(315));
    // The ACK for the 2xx carries the INVITE's (lower) CSeq: accepted.
    assert!(matches!(
        set.receive_request(&in_dialog("ACK", 314, "btag", None)),
        IncomingRequest::InDialog(_)
    ));
    assert_eq!(
        set.receive_request(&incoming_invite("")),
        IncomingRequest::OutOfDialog
    );
}

#[test]
fn unknown_to_tag_gets_481_and_ack_is_discarded() {
    let mut set = uas_dialogs();
    match set.receive_request(&in_dialog("BYE", 400, "nope", None)) {
        IncomingRequest::Reject(r) => {
            assert_eq!(r.status, 481);
            assert_eq!(r.headers.to_tag(), Some("nope"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        set.receive_request(&in_dialog("ACK", 400, "nope", None)),
        IncomingRequest::Discard
    );
}

#[test]
fn target_refresh_request_updates_remote_target_and_bye_ends() {
    let mut set = uas_dialogs();
    let IncomingRequest::InDialog(id) = set.receive_request(&in_dialog(
        "UPDATE",
        320,
        "btag",
        Some("sip:alice@192.0.2.5"),
    )) else {
        panic!("not matched");
    };
    assert_eq!(set.get(&id).unwrap().remote_target(), "sip:alice@192.0.2.5");
    // INFO is not a target refresh: its Contact is ignored.
    set.receive_request(&in_dialog(
        "INFO",
        321,
        "btag",
        Some("sip:evil@203.0.113.1"),
    ));
    assert_eq!(set.get(&id).unwrap().remote_target(), "sip:alice@192.0.2.5");
    set.receive_request(&in_dialog("BYE", 322, "btag", None));
    assert_eq!(set.get(&id).unwrap().state(), DialogState::Terminated);
    assert!(matches!(
        set.receive_request(&in_dialog("INFO", 323, "btag", None)),
        IncomingRequest::Reject(r) if r.status == 481
    ));
}

#[test]
fn forking_first_2xx_confirms_and_ends_the_other_early_dialog() {
    let invite = our_invite();
    let mut set = Dialogs::new();
    let l = local();
    let a = answer(180, "fa", "sip:bob@10.0.0.2", &[]);
    let b = answer(183, "fb", "sip:bob@10.0.0.3", &[]);
    let UacOutcome::Early(ida) = set.uac_response(&invite, &a, &l).unwrap() else {
        panic!()
    };
    let UacOutcome::Early(idb) = set.uac_response(&invite, &b, &l).unwrap() else {
        panic!()
    };
    assert_ne!(ida, idb);
    assert_eq!(set.len(), 2);
    assert_eq!(set.get(&ida).unwrap().state(), DialogState::Early);

    let ok_b = answer(200, "fb", "sip:bob@10.0.0.3", &["<sip:p1.example.com;lr>"]);
    match set.uac_response(&invite, &ok_b, &l).unwrap() {
        UacOutcome::Confirmed { id, losers } => {
            assert_eq!(id, idb);
            assert_eq!(losers.len(), 1);
            assert_eq!(losers[0].id(), &ida);
            assert_eq!(losers[0].state(), DialogState::Terminated);
        }
        other => panic!("{other:?}"),
    }
    let winner = set.get(&idb).unwrap();
    assert_eq!(winner.state(), DialogState::Confirmed);
    assert_eq!(
        winner.route_set().values(),
        ["<sip:p1.example.com;lr>"],
        "route set recomputed from the 2xx"
    );
    assert!(set.get(&ida).is_none());
    assert_eq!(
        set.uac_response(&invite, &ok_b, &l).unwrap(),
        UacOutcome::Retransmitted2xx(idb.clone())
    );

    // A late 2xx from the other fork: ACK then BYE it.
    let ok_a = answer(200, "fa", "sip:bob@10.0.0.2", &[]);
    let UacOutcome::ExtraFork(mut extra) = set.uac_response(&invite, &ok_a, &l).unwrap() else {
        panic!("expected an extra fork")
    };
    assert_eq!(extra.ack_for_2xx(&ok_a).unwrap().uri, "sip:bob@10.0.0.2");
    let bye = extra.bye(ms(0));
    assert_eq!(bye.headers.to_tag(), Some("fa"));
    assert_eq!(set.len(), 1, "the extra fork is not kept");
}

#[test]
fn failed_invite_ends_early_dialogs_and_cancel_matches_invite() {
    let invite = our_invite();
    let mut set = Dialogs::new();
    set.uac_response(&invite, &answer(180, "fa", "sip:a@h", &[]), &local())
        .unwrap();
    match set
        .uac_response(&invite, &answer(486, "fa", "sip:a@h", &[]), &local())
        .unwrap()
    {
        UacOutcome::Failed { ended } => assert_eq!(ended.len(), 1),
        other => panic!("{other:?}"),
    }
    assert!(set.is_empty());

    let cancel = cancel_for(&invite).unwrap();
    assert_eq!(cancel.method, Method::Cancel);
    assert_eq!(cancel.uri, invite.uri);
    assert_eq!(cancel.headers.get("CSeq"), Some("10 CANCEL"));
    assert_eq!(cancel.headers.top_via(), invite.headers.top_via());
    assert_eq!(cancel.headers.to_tag(), None);
}

#[test]
fn in_dialog_481_response_terminates() {
    let invite = our_invite();
    let ok = answer(200, "r1", "sip:bob@10.0.0.2", &[]);
    let mut set = Dialogs::new();
    set.insert(Dialog::uac(&invite, &ok, local()).unwrap());
    let mut gone = ok.clone();
    gone.status = 481;
    gone.headers.set("CSeq", "11 INFO");
    let id = set.receive_response(&gone).unwrap();
    assert_eq!(set.get(&id).unwrap().state(), DialogState::Terminated);
}

#[test]
fn session_expires_parse_and_format() {
    let se = SessionExpires::parse("1800 ; refresher=UAS").unwrap();
    assert_eq!(se.interval, Duration::from_secs(1800));
    assert_eq!(se.refresher, Some(Refresher::Uas));
    assert_eq!(se.to_string(), "1800;refresher=uas");
    assert_eq!(SessionExpires::parse("90").unwrap().refresher, None);
    assert!(SessionExpires::parse("abc").is_none());
    assert_eq!(parse_min_se("120;x=1"), Some(Duration::from_secs(120)));
    assert_eq!(format_min_se(Duration::from_secs(90)), "90");
}

#[test]
fn session_timer_uas_negotiation() {
    let policy = UasPolicy {
        min_se: Duration::from_secs(120),
        preferred: Duration::from_secs(1800),
    };
    let small = incoming_invite("Supported: timer\nSession-Expires: 100\n");
    match negotiate_uas(&small, &policy) {
        UasDecision::Reject(r) => {
            assert_eq!(r.status, 422);
            assert_eq!(r.headers.get("Min-SE"), Some("120"));
            assert_eq!(min_se_from_422(&r), Some(Duration::from_secs(120)));
        }
        other => panic!("{other:?}"),
    }
    let big = incoming_invite("Supported: timer\nSession-Expires: 7200\n");
    assert_eq!(
        negotiate_uas(&big, &policy),
        UasDecision::Accept {
            session_expires: SessionExpires {
                interval: Duration::from_secs(1800),
                refresher: Some(Refresher::Uac),
            },
            require_timer: true,
        }
    );
    let asked = incoming_invite("Supported: timer\nx: 600;refresher=uas\n");
    let UasDecision::Accept {
        session_expires, ..
    } = negotiate_uas(&asked, &policy)
    else {
        panic!()
    };
    assert_eq!(session_expires.interval, Duration::from_secs(600));
    assert_eq!(session_expires.refresher, Some(Refresher::Uas));
    let legacy = incoming_invite("");
    assert_eq!(
        negotiate_uas(&legacy, &policy),
        UasDecision::Accept {
            session_expires: SessionExpires {
                interval: Duration::from_secs(1800),
                refresher: Some(Refresher::Uas),
            },
            require_timer: false,
        }
    );
}

#[test]
fn session_timer_refresh_and_expiry_times() {
    assert_eq!(
        refresh_after(Duration::from_secs(1800)),
        Duration::from_secs(900)
    );
    assert_eq!(
        expire_after(Duration::from_secs(1800)),
        Duration::from_secs(1768)
    );
    assert_eq!(
        expire_after(Duration::from_secs(90)),
        Duration::from_secs(60)
    );
}

#[test]
fn prack_option_tags_rseq_and_rack() {
    let req100 = incoming_invite("Require: 100rel\n");
    assert!(requires_100rel(&req100.headers));
    let sup = incoming_invite("Supported: timer, 100rel\n");
    assert!(supports_100rel(&sup.headers));
    assert!(!requires_100rel(&sup.headers));
    assert!(!supports_100rel(&incoming_invite("").headers));

    let mut g = RSeqGenerator::starting_at(7);
    assert_eq!((g.next_rseq(), g.next_rseq()), (7, 8));
    let r = RSeqGenerator::new().next_rseq();
    assert!((1..1 << 31).contains(&r));

    let rack = RAck::parse("7 314 INVITE").unwrap();
    assert_eq!(
        (rack.rseq, rack.cseq, rack.method.clone()),
        (7, 314, Method::Invite)
    );
    assert_eq!(rack.to_string(), "7 314 INVITE");
    assert!(RAck::parse("7 314").is_none());

    let mut t = RSeqTracker::default();
    assert_eq!(t.check(7), RSeqVerdict::New);
    assert_eq!(t.check(7), RSeqVerdict::Retransmission);
    assert_eq!(t.check(9), RSeqVerdict::OutOfOrder);
    assert_eq!(t.check(8), RSeqVerdict::New);
}

#[test]
fn prack_matches_its_provisional_and_retransmission_schedule() {
    let invite = incoming_invite("Require: 100rel\n");
    let mut p183 = invite.response(183, "Session Progress", Some("btag"));
    make_reliable(&mut p183, 7);
    p183.headers.push("Contact", "<sip:pbx@10.0.0.9:5060>");
    assert_eq!(p183.headers.get("RSeq"), Some("7"));
    assert_eq!(p183.headers.get("Require"), Some("100rel"));

    let mut rel = ReliableProvisional::new(p183.clone(), &TimerConfig::default(), ms(0)).unwrap();
    let mut sends = Vec::new();
    let mut probe = rel.clone();
    let mut gave_up = None;
    while let Some(at) = probe.next_deadline() {
        match probe.poll(at) {
            Some(ProvisionalEvent::Retransmit(_)) => sends.push(at.as_millis()),
            Some(ProvisionalEvent::GaveUp) => gave_up = Some(at),
            None => panic!("idle deadline"),
        }
    }
    assert_eq!(sends, [500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(gave_up, Some(ms(32_000)));

    // The UAC side builds the PRACK in its early dialog.
    let mut uac = Dialog::uac(&our_invite(), &answer(183, "r1", "sip:b@h", &[]), local()).unwrap();
    let mut foreign = prack_for(&mut uac, &p183, ms(0)).unwrap();
    assert_eq!(foreign.headers.get("RAck"), Some("7 314 INVITE"));
    assert_eq!(foreign.headers.get("CSeq"), Some("11 PRACK"));

    let mut wrong = foreign.clone();
    wrong.headers.set("RAck", "8 314 INVITE");
    assert_eq!(
        answer_prack(&wrong, std::slice::from_mut(&mut rel)).status,
        481
    );
    assert!(!rel.is_finished());
    foreign.headers.set("To", "<sip:bob@example.com>;tag=btag");
    let ok = answer_prack(&foreign, std::slice::from_mut(&mut rel));
    assert_eq!(ok.status, 200);
    assert!(rel.is_finished());
    assert_eq!(rel.poll(ms(40_000)), None, "no retransmission after PRACK");
}

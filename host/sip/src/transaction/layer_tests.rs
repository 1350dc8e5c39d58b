//! Tests of [`TransactionLayer`](super::TransactionLayer): matching,
//! dispatch, strays, CANCEL, the RFC 2543 fallback and the timer queue, all
//! with simulated time.

use super::test_support::*;
use super::*;
use crate::message::{Method, Request, SipMessage};
use std::time::Duration;

fn layer() -> TransactionLayer {
    TransactionLayer::new(TimerConfig::default())
}

fn sends(out: &[LayerAction]) -> Vec<SipMessage> {
    out.iter()
        .filter_map(|a| match a {
            LayerAction::Send { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn statuses(out: &[LayerAction]) -> Vec<u16> {
    sends(out)
        .into_iter()
        .filter_map(|m| match m {
            SipMessage::Response(r) => Some(r.status),
            _ => None,
        })
        .collect()
}

fn methods(out: &[LayerAction]) -> Vec<Method> {
    sends(out)
        .into_iter()
        .filter_map(|m| match m {
            SipMessage::Request(r) => Some(r.method),
            _ => None,
        })
        .collect()
}

fn events(out: &[LayerAction]) -> Vec<(TransactionKey, TuEvent)> {
    out.iter()
        .filter_map(|a| match a {
            LayerAction::ToTu { key, event } => Some((key.clone(), event.clone())),
            _ => None,
        })
        .collect()
}

fn terminated_keys(out: &[LayerAction]) -> Vec<TransactionKey> {
    out.iter()
        .filter_map(|a| match a {
            LayerAction::Terminated(k) => Some(k.clone()),
            _ => None,
        })
        .collect()
}

/// Deliver a request; returns the key the TU was given (if a new one).
fn incoming(l: &mut TransactionLayer, r: &Request, now: Duration) -> Vec<LayerAction> {
    l.handle_incoming(SipMessage::Request(r.clone()), now)
}

fn new_request_key(out: &[LayerAction]) -> TransactionKey {
    match &events(out)[..] {
        [(key, TuEvent::Request(_))] => key.clone(),
        other => panic!("expected one new request, got {other:?}"),
    }
}

/// Poll at each deadline until idle or `until`; returns (time, actions).
fn run_until(l: &mut TransactionLayer, until: Duration) -> Vec<(Duration, LayerAction)> {
    let mut all = Vec::new();
    while let Some(at) = l.next_deadline().filter(|at| *at <= until) {
        all.extend(l.poll_timers(at).into_iter().map(|a| (at, a)));
    }
    all
}

#[test]
fn invite_client_retransmits_on_a_and_times_out_on_b() {
    let mut l = layer();
    let (key, out) = l.start_client(request(Method::Invite), ms(0)).unwrap();
    assert_eq!(methods(&out), vec![Method::Invite]);
    assert_eq!(l.next_deadline(), Some(ms(500)));
    let log = run_until(&mut l, ms(100_000));
    let resend_times: Vec<_> = log
        .iter()
        .filter(|(_, a)| matches!(a, LayerAction::Send { .. }))
        .map(|(t, _)| *t)
        .collect();
    let expected: Vec<_> = [500, 1500, 3500, 7500, 15500, 31500]
        .into_iter()
        .map(ms)
        .collect();
    assert_eq!(resend_times, expected);
    let (t, last) = log.last().unwrap();
    assert_eq!(
        (*t, last),
        (ms(32_000), &LayerAction::Terminated(key.clone()))
    );
    assert!(log.contains(&(
        ms(32_000),
        LayerAction::ToTu {
            key,
            event: TuEvent::Timeout
        }
    )));
    assert!(l.is_empty());
    assert_eq!(l.next_deadline(), None);
}

#[test]
fn reliable_via_disables_retransmission() {
    let mut l = layer();
    let req = request_via(Method::Invite, "TCP", "z9hG4bKtcp");
    let _ = l.start_client(req, ms(0)).unwrap();
    assert_eq!(l.next_deadline(), Some(ms(32_000)), "only Timer B");
    let inbound = request_via(Method::Message, "TLS", "z9hG4bKtls");
    let key = new_request_key(&incoming(&mut l, &inbound, ms(0)));
    let out = l.respond(&key, response(&inbound, 200), ms(10)).unwrap();
    assert_eq!(terminated_keys(&out), vec![key], "Timer J is zero on TLS");
}

#[test]
fn late_poll_sends_one_retransmission_not_a_burst() {
    let mut l = layer();
    let _ = l.start_client(request(Method::Options), ms(0)).unwrap();
    let out = l.poll_timers(ms(9_000));
    assert_eq!(methods(&out), vec![Method::Options]);
    assert_eq!(
        l.next_deadline(),
        Some(ms(10_000)),
        "E rescheduled from now"
    );
}

#[test]
fn responses_reach_their_client_transaction_and_k_ends_it() {
    let mut l = layer();
    let (key, _) = l.start_client(request(Method::Options), ms(0)).unwrap();
    let ok = response(l.request(&key).unwrap(), 200);
    let out = l.handle_incoming(SipMessage::Response(ok.clone()), ms(100));
    assert_eq!(
        events(&out),
        vec![(key.clone(), TuEvent::Final(ok.clone()))]
    );
    let again = l.handle_incoming(SipMessage::Response(ok), ms(200));
    assert!(again.is_empty(), "retransmitted response absorbed");
    assert_eq!(l.next_deadline(), Some(ms(5_100)), "Timer K = T4");
    assert_eq!(l.poll_timers(ms(5_100)), vec![LayerAction::Terminated(key)]);
}

#[test]
fn invite_client_acks_4xx_through_the_layer() {
    let mut l = layer();
    let (key, _) = l.start_client(request(Method::Invite), ms(0)).unwrap();
    let notfound = response(l.request(&key).unwrap(), 404);
    let out = l.handle_incoming(SipMessage::Response(notfound.clone()), ms(50));
    let [SipMessage::Request(ack)] = &sends(&out)[..] else {
        panic!("expected one ACK: {out:?}")
    };
    assert_eq!(ack.method, Method::Ack);
    assert_eq!(
        ack.headers.top_via().unwrap().branch.as_deref(),
        Some("z9hG4bKtest1")
    );
    assert_eq!(ack.headers.to_tag(), Some("ttag"));
    assert_eq!(events(&out), vec![(key, TuEvent::Final(notfound))]);
}

#[test]
fn stray_response_is_reported_not_matched() {
    let mut l = layer();
    let _ = l.start_client(request(Method::Invite), ms(0)).unwrap();
    let other = request_via(Method::Invite, "UDP", "z9hG4bKother");
    let stray = response(&other, 200);
    let out = l.handle_incoming(SipMessage::Response(stray.clone()), ms(10));
    assert_eq!(out, vec![LayerAction::StrayResponse(stray)]);
    // Same branch but the CSeq method of a CANCEL: also no match.
    let cancel_resp = response(&cancel_for(&request(Method::Invite)), 200);
    let out = l.handle_incoming(SipMessage::Response(cancel_resp), ms(10));
    assert!(matches!(&out[..], [LayerAction::StrayResponse(_)]));
    assert_eq!(l.len(), 1);
}

#[test]
fn invite_server_100_retransmission_g_and_ack_through_the_layer() {
    let mut l = layer();
    let invite = request(Method::Invite);
    let key = new_request_key(&incoming(&mut l, &invite, ms(0)));
    assert_eq!(l.next_deadline(), Some(ms(200)));
    assert_eq!(statuses(&l.poll_timers(ms(200))), vec![100]);
    let again = incoming(&mut l, &invite, ms(500));
    assert_eq!(statuses(&again), vec![100]);
    assert!(events(&again).is_empty(), "retransmission absorbed");
    let out = l.respond(&key, response(&invite, 486), ms(1_000)).unwrap();
    assert_eq!(statuses(&out), vec![486]);
    assert_eq!(statuses(&l.poll_timers(ms(1_500))), vec![486], "Timer G");
    let out = incoming(&mut l, &ack_for(&invite, "ttag"), ms(1_600));
    assert!(out.is_empty(), "ACK for the 486 is absorbed");
    assert!(l.contains(&key), "Confirmed, waiting for Timer I");
    assert_eq!(l.next_deadline(), Some(ms(6_600)));
    assert_eq!(l.poll_timers(ms(6_600)), vec![LayerAction::Terminated(key)]);
}

#[test]
fn invite_server_h_timeout_without_ack() {
    let mut l = layer();
    let invite = request(Method::Invite);
    let key = new_request_key(&incoming(&mut l, &invite, ms(0)));
    let _ = l.respond(&key, response(&invite, 480), ms(0)).unwrap();
    let log = run_until(&mut l, ms(100_000));
    assert!(log.contains(&(
        ms(32_000),
        LayerAction::ToTu {
            key: key.clone(),
            event: TuEvent::Timeout
        }
    )));
    assert_eq!(log.last().unwrap().1, LayerAction::Terminated(key));
}

#[test]
fn ack_for_2xx_is_a_stray_ack_for_the_dialog_layer() {
    let mut l = layer();
    let invite = request(Method::Invite);
    let key = new_request_key(&incoming(&mut l, &invite, ms(0)));
    let out = l.respond(&key, response(&invite, 200), ms(10)).unwrap();
    assert_eq!(terminated_keys(&out), vec![key]);
    let mut ack = ack_for(&invite, "ttag");
    ack.headers
        .set("Via", "SIP/2.0/UDP a.example:5060;branch=z9hG4bKnewtx");
    let out = incoming(&mut l, &ack, ms(20));
    assert_eq!(out, vec![LayerAction::StrayAck(ack)]);
    assert!(l.is_empty());
}

#[test]
fn non_invite_server_absorbs_retransmissions_until_j() {
    let mut l = layer();
    let reg = request(Method::Register);
    let key = new_request_key(&incoming(&mut l, &reg, ms(0)));
    assert!(
        incoming(&mut l, &reg, ms(400)).is_empty(),
        "Trying: discarded"
    );
    let _ = l.respond(&key, response(&reg, 200), ms(500)).unwrap();
    let again = incoming(&mut l, &reg, ms(900));
    assert_eq!(statuses(&again), vec![200]);
    assert!(events(&again).is_empty());
    assert_eq!(l.next_deadline(), Some(ms(32_500)));
    assert_eq!(
        l.poll_timers(ms(32_500)),
        vec![LayerAction::Terminated(key)]
    );
    // After J the same request is new again.
    let out = incoming(&mut l, &reg, ms(33_000));
    assert!(matches!(&events(&out)[..], [(_, TuEvent::Request(_))]));
}

#[test]
fn cancel_matches_invite_server_transaction() {
    let mut l = layer();
    let invite = request(Method::Invite);
    let invite_key = new_request_key(&incoming(&mut l, &invite, ms(0)));
    let cancel = cancel_for(&invite);
    let out = incoming(&mut l, &cancel, ms(300));
    let [
        (
            cancel_key,
            TuEvent::CancelFor {
                invite: target,
                cancel: got,
            },
        ),
    ] = &events(&out)[..]
    else {
        panic!("expected CancelFor: {out:?}")
    };
    assert_eq!(target, &invite_key);
    assert_eq!(got, &cancel);
    assert_ne!(cancel_key, &invite_key);
    assert_eq!(cancel_key.method(), &Method::Cancel);
    // The TU answers both; the INVITE then waits for its ACK.
    let out = l
        .respond(cancel_key, response(&cancel, 200), ms(310))
        .unwrap();
    assert_eq!(statuses(&out), vec![200]);
    let out = l
        .respond(&invite_key, response(&invite, 487), ms(310))
        .unwrap();
    assert_eq!(statuses(&out), vec![487]);
    assert!(incoming(&mut l, &ack_for(&invite, "ttag"), ms(320)).is_empty());
    // A retransmitted CANCEL gets its 200 again and is not reported twice.
    let out = incoming(&mut l, &cancel, ms(400));
    assert_eq!(statuses(&out), vec![200]);
    assert!(events(&out).is_empty());
}

#[test]
fn cancel_without_invite_is_a_plain_request() {
    let mut l = layer();
    let cancel = cancel_for(&request(Method::Invite));
    let out = incoming(&mut l, &cancel, ms(0));
    assert!(matches!(&events(&out)[..], [(_, TuEvent::Request(r))] if r == &cancel));
}

#[test]
fn rfc2543_branchless_requests_match_by_fallback() {
    let mut l = layer();
    let mut invite = request(Method::Invite);
    invite.headers.set("Via", "SIP/2.0/UDP old.example:5060");
    let key = new_request_key(&incoming(&mut l, &invite, ms(0)));
    assert!(key.is_legacy());
    let again = incoming(&mut l, &invite, ms(300));
    assert!(
        events(&again).is_empty(),
        "retransmission matched without a branch"
    );
    assert_eq!(statuses(&again), vec![100]);
    let _ = l.respond(&key, response(&invite, 486), ms(400)).unwrap();
    // An ACK with another To tag is not for our 486.
    let wrong = ack_for(&invite, "someone-else");
    assert_eq!(
        incoming(&mut l, &wrong, ms(450)),
        vec![LayerAction::StrayAck(wrong)]
    );
    // The right ACK is absorbed: Confirmed, so INVITE retransmissions get
    // nothing and Timer G no longer fires.
    assert!(incoming(&mut l, &ack_for(&invite, "ttag"), ms(500)).is_empty());
    assert!(incoming(&mut l, &invite, ms(600)).is_empty());
    assert_eq!(l.next_deadline(), Some(ms(5_500)), "Timer I, not G");
}

#[test]
fn start_client_adds_a_branch_and_rejects_bad_requests() {
    let mut l = layer();
    let mut req = request(Method::Options);
    req.headers.set("Via", "SIP/2.0/UDP a.example:5060;rport");
    let (key, out) = l.start_client(req, ms(0)).unwrap();
    let via = l.request(&key).unwrap().headers.top_via().unwrap();
    assert!(via.is_rfc3261());
    assert_eq!(via.param("rport"), Some(None));
    assert_eq!(
        sends(&out)[0],
        SipMessage::Request(l.request(&key).unwrap().clone())
    );

    assert!(l.start_client(request(Method::Options), ms(0)).is_ok());
    assert_eq!(
        l.start_client(request(Method::Options), ms(0)).unwrap_err(),
        TransactionError::Exists
    );
    assert!(matches!(
        l.start_client(request(Method::Ack), ms(0)),
        Err(TransactionError::InvalidRequest(_))
    ));
    let mut no_via = request(Method::Options);
    no_via.headers.remove("Via");
    assert!(l.start_client(no_via, ms(0)).is_err());
    let old = request_via(Method::Options, "UDP", "1234");
    assert!(l.start_client(old, ms(0)).is_err(), "no magic cookie");
}

#[test]
fn respond_errors_name_the_problem() {
    let mut l = layer();
    let (client, _) = l.start_client(request(Method::Invite), ms(0)).unwrap();
    let resp = response(&request(Method::Invite), 200);
    assert_eq!(
        l.respond(&client, resp.clone(), ms(0)),
        Err(TransactionError::NotServer)
    );
    let reg = request(Method::Register);
    let key = new_request_key(&incoming(&mut l, &reg, ms(0)));
    let _ = l.respond(&key, response(&reg, 200), ms(0)).unwrap();
    assert!(matches!(
        l.respond(&key, response(&reg, 200), ms(0)),
        Err(TransactionError::ResponseRejected { status: 200, .. })
    ));
    let _ = l.poll_timers(ms(40_000));
    assert_eq!(
        l.respond(&key, resp, ms(40_000)),
        Err(TransactionError::NotFound)
    );
}

#[test]
fn timer_fired_ignores_timers_that_are_not_armed() {
    let mut l = layer();
    let (key, _) = l.start_client(request(Method::Invite), ms(0)).unwrap();
    let ringing = response(l.request(&key).unwrap(), 180);
    let _ = l.handle_incoming(SipMessage::Response(ringing), ms(100));
    assert!(l.timer_fired(&key, Timer::A, ms(500)).is_empty());
    assert!(l.timer_fired(&key, Timer::B, ms(32_000)).is_empty());
    assert_eq!(l.next_deadline(), None, "Proceeding has no timers");
    assert!(l.contains(&key));
}

#[test]
fn timer_fired_drives_an_armed_timer() {
    let mut l = layer();
    let (key, _) = l.start_client(request(Method::Options), ms(0)).unwrap();
    let out = l.timer_fired(&key, Timer::F, ms(32_000));
    assert_eq!(events(&out), vec![(key.clone(), TuEvent::Timeout)]);
    assert_eq!(terminated_keys(&out), vec![key]);
    assert_eq!(
        l.next_deadline(),
        None,
        "Timer E dropped with the transaction"
    );
}

#[test]
fn transport_error_reports_and_terminates() {
    let mut l = layer();
    let (key, _) = l.start_client(request(Method::Invite), ms(0)).unwrap();
    let out = l.transport_error(&key, ms(1));
    assert_eq!(events(&out), vec![(key.clone(), TuEvent::TransportError)]);
    assert_eq!(terminated_keys(&out), vec![key]);
    assert!(l.is_empty() && l.next_deadline().is_none());
}

#[test]
fn request_and_response_with_same_branch_do_not_collide() {
    let mut l = layer();
    let (client, _) = l.start_client(request(Method::Options), ms(0)).unwrap();
    // The same request looped back to us is a server transaction.
    let out = incoming(&mut l, &request(Method::Options), ms(1));
    let server = new_request_key(&out);
    assert_ne!(client, server);
    assert_eq!(l.len(), 2);
}

#[test]
fn client_cancel_and_invite_share_a_branch_but_not_a_transaction() {
    let mut l = layer();
    let invite = request(Method::Invite);
    let (inv_key, _) = l.start_client(invite.clone(), ms(0)).unwrap();
    let _ = l.handle_incoming(SipMessage::Response(response(&invite, 180)), ms(100));
    let cancel = cancel_for(&invite);
    let (can_key, out) = l.start_client(cancel.clone(), ms(200)).unwrap();
    assert_ne!(inv_key, can_key);
    assert_eq!(methods(&out), vec![Method::Cancel]);
    let ok = response(&cancel, 200);
    let out = l.handle_incoming(SipMessage::Response(ok.clone()), ms(300));
    assert_eq!(events(&out), vec![(can_key, TuEvent::Final(ok))]);
    let terminated = response(&invite, 487);
    let out = l.handle_incoming(SipMessage::Response(terminated.clone()), ms(310));
    assert_eq!(methods(&out), vec![Method::Ack]);
    assert_eq!(events(&out), vec![(inv_key, TuEvent::Final(terminated))]);
}

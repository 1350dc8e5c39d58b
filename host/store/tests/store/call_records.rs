//! Call records: the batched writer, search and CSV export; registrations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{TimeZone, Utc};
use pbx_store::{
    CallLeg, CallRecord, CallRecordId, CallRecordQuery, CallRecordWriter, Direction, Outcome, Page,
    Registration, TenantId, WriterConfig,
};

use crate::common::{on_each, tenant};

pub fn record(tenant: TenantId, i: i64, caller: &str, outcome: Outcome) -> CallRecord {
    let start = Utc
        .timestamp_millis_opt(1_780_000_000_000 + i * 60_000)
        .unwrap();
    CallRecord {
        id: CallRecordId::new(),
        tenant_id: tenant,
        call_id: format!("call-{i}"),
        direction: if i % 2 == 0 {
            Direction::Inbound
        } else {
            Direction::Outbound
        },
        caller: caller.into(),
        caller_name: Some("Caller".into()),
        dialled: "+33123456789".into(),
        did: Some("+33123456789".into()),
        started_at: start,
        answered_at: (outcome == Outcome::Answered).then(|| start + chrono::Duration::seconds(3)),
        ended_at: start + chrono::Duration::seconds(30),
        outcome,
        hangup_cause: "BYE".into(),
        flow_name: Some("main-ivr".into()),
        flow_version: Some(3),
        legs: vec![CallLeg {
            target: "100".into(),
            started_at: start,
            answered_at: None,
            ended_at: start + chrono::Duration::seconds(20),
            outcome: Outcome::NoAnswer,
        }],
        trace: serde_json::json!([{"event": "menu", "digit": "1"}]),
    }
}

#[tokio::test]
async fn the_writer_batches_and_search_filters() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let writer = CallRecordWriter::spawn(store.clone(), WriterConfig::default());
        let mut first = None;
        for i in 0..300 {
            let outcome = if i % 3 == 0 {
                Outcome::Answered
            } else {
                Outcome::NoAnswer
            };
            let caller = if i < 10 {
                "+33600000001"
            } else {
                "+33600000002"
            };
            let rec = record(a, i, caller, outcome);
            first.get_or_insert(rec.clone());
            writer.try_record(rec).unwrap();
        }
        writer
            .try_record(record(b, 0, "+33600000001", Outcome::Answered))
            .unwrap();
        let stats = writer.shutdown().await;
        assert_eq!(stats.written, 301);
        assert_eq!(stats.failed + stats.refused, 0);
        assert!(stats.batches < 301, "records share transactions: {stats:?}");

        let first = first.unwrap();
        assert_eq!(store.get_call_record(a, first.id).await.unwrap(), first);
        assert!(store.get_call_record(b, first.id).await.is_err());
        let all = store
            .search_call_records(a, &CallRecordQuery::default(), Page::first(5))
            .await
            .unwrap();
        assert_eq!(all.total, 300);
        assert_eq!(all.items[0].call_id, "call-299", "newest first");
        let q = CallRecordQuery {
            number: Some("+33600000001".into()),
            ..Default::default()
        };
        assert_eq!(
            store
                .search_call_records(a, &q, Page::default())
                .await
                .unwrap()
                .total,
            10
        );
        let q = CallRecordQuery {
            outcome: Some(Outcome::Answered),
            direction: Some(Direction::Inbound),
            ..Default::default()
        };
        // i % 3 == 0 and i % 2 == 0: i % 6 == 0, 50 of 300.
        assert_eq!(
            store
                .search_call_records(a, &q, Page::default())
                .await
                .unwrap()
                .total,
            50
        );
        let q = CallRecordQuery {
            from: Some(first.started_at + chrono::Duration::minutes(100)),
            to: Some(first.started_at + chrono::Duration::minutes(110)),
            ..Default::default()
        };
        assert_eq!(
            store
                .search_call_records(a, &q, Page::default())
                .await
                .unwrap()
                .total,
            10
        );
        let q = CallRecordQuery {
            flow_name: Some("other".into()),
            ..Default::default()
        };
        assert_eq!(
            store
                .search_call_records(a, &q, Page::default())
                .await
                .unwrap()
                .total,
            0
        );

        let q = CallRecordQuery {
            number: Some("+33600000001".into()),
            ..Default::default()
        };
        let csv = store.export_call_records_csv(a, &q).await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 11);
        assert!(lines[0].starts_with("call_id,direction,caller"));
        assert!(
            lines[1].starts_with("call-9,outbound,+33600000001,Caller,"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("main-ivr,3"), "{}", lines[1]);
    })
    .await;
}

#[tokio::test]
async fn a_bad_record_does_not_lose_its_batch() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let writer = CallRecordWriter::spawn(
            store.clone(),
            WriterConfig {
                retry_after: Duration::from_millis(1),
                ..Default::default()
            },
        );
        writer
            .try_record(record(a, 1, "+331", Outcome::Answered))
            .unwrap();
        writer
            .try_record(record(TenantId::new(), 2, "+331", Outcome::Answered))
            .unwrap();
        writer
            .try_record(record(a, 3, "+331", Outcome::Answered))
            .unwrap();
        let stats = writer.shutdown().await;
        assert_eq!((stats.written, stats.failed), (2, 1), "{stats:?}");
    })
    .await;
}

#[tokio::test]
async fn a_full_queue_refuses_instead_of_waiting() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let writer = CallRecordWriter::spawn(
            store.clone(),
            WriterConfig {
                capacity: 2,
                ..Default::default()
            },
        );
        let mut refused = 0;
        for i in 0..200 {
            if writer
                .try_record(record(a, i, "+331", Outcome::Answered))
                .is_err()
            {
                refused += 1;
            }
        }
        let stats = writer.shutdown().await;
        assert!(refused > 0);
        assert_eq!(stats.refused, refused);
        assert_eq!(stats.written + stats.refused, 200);
    })
    .await;
}

#[tokio::test]
async fn registrations_upsert_list_and_expire() {
    on_each(|store| async move {
        let at = |s: u64| UNIX_EPOCH + Duration::from_secs(1_780_000_000 + s);
        let reg = Registration {
            aor: "sip:100@acme.example".into(),
            contact: "sip:100@10.0.0.5:5060".into(),
            expires_at: at(3600),
            q: Some(500),
            call_id: "c1".into(),
            cseq: 1,
            instance_id: Some("<urn:uuid:1>".into()),
            reg_id: Some(1),
            source: "203.0.113.7:40123".into(),
            transport: "UDP".into(),
            user_agent: Some("Phone/1".into()),
            updated_at: at(0),
        };
        store.upsert_registration(&reg).await.unwrap();
        let refreshed = Registration {
            cseq: 2,
            expires_at: at(7200),
            q: None,
            ..reg.clone()
        };
        store.upsert_registration(&refreshed).await.unwrap();
        let other = Registration {
            contact: "sip:100@10.0.0.6".into(),
            expires_at: at(10),
            ..reg.clone()
        };
        store.upsert_registration(&other).await.unwrap();
        let list = store.list_registrations(&reg.aor).await.unwrap();
        assert_eq!(list, vec![refreshed.clone(), other.clone()]);
        assert_eq!(store.purge_expired_registrations(at(100)).await.unwrap(), 1);
        assert_eq!(
            store.load_registrations().await.unwrap(),
            vec![refreshed.clone()]
        );
        store
            .remove_registration(&reg.aor, &reg.contact)
            .await
            .unwrap();
        store.upsert_registration(&other).await.unwrap();
        store.remove_registrations(&reg.aor).await.unwrap();
        assert!(store.load_registrations().await.unwrap().is_empty());

        // A batch of changes applies in order, in one transaction.
        use pbx_store::repo::registrations::RegistrationChange as Change;
        let third = Registration {
            contact: "sip:100@10.0.0.7".into(),
            ..reg.clone()
        };
        store
            .apply_registration_changes(&[
                Change::Upsert(reg.clone()),
                Change::Upsert(other.clone()),
                Change::Remove {
                    aor: reg.aor.clone(),
                    contact: reg.contact.clone(),
                },
                Change::Upsert(refreshed.clone()),
                Change::Upsert(third.clone()),
                Change::Remove {
                    aor: reg.aor.clone(),
                    contact: other.contact.clone(),
                },
            ])
            .await
            .unwrap();
        assert_eq!(
            store.list_registrations(&reg.aor).await.unwrap(),
            vec![refreshed.clone(), third.clone()]
        );
        store
            .apply_registration_changes(&[Change::RemoveAll {
                aor: reg.aor.clone(),
            }])
            .await
            .unwrap();
        assert!(store.load_registrations().await.unwrap().is_empty());
        let _ = SystemTime::now();
    })
    .await;
}

//! Voicemail and recording metadata.

use chrono::{TimeZone, Utc};
use pbx_store::{
    ExtensionId, Page, Recording, RecordingId, StoreError, VoicemailId, VoicemailMessage,
};

use crate::common::{on_each, tenant};
use crate::tenants::extension;

#[tokio::test]
async fn voicemail_boxes_are_per_extension_and_tenant() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let ext = store
            .create_extension("admin", a, &extension("100"))
            .await
            .unwrap();
        let msg = |i: i64, ext: ExtensionId, tenant| VoicemailMessage {
            id: VoicemailId::new(),
            tenant_id: tenant,
            extension_id: ext,
            call_id: Some(format!("c{i}")),
            caller: "+33600".into(),
            caller_name: None,
            received_at: Utc.timestamp_millis_opt(1_780_000_000_000 + i).unwrap(),
            duration_ms: 12_000,
            sha256: "ab".repeat(32),
            size: 96_000,
            heard: false,
        };
        let m1 = msg(1, ext.id, a);
        let m2 = msg(2, ext.id, a);
        store.insert_voicemail(&m1).await.unwrap();
        store.insert_voicemail(&m2).await.unwrap();
        // Another tenant cannot drop a message into a's extension.
        assert!(matches!(
            store.insert_voicemail(&msg(3, ext.id, b)).await,
            Err(StoreError::NotFound { .. })
        ));
        let list = store
            .list_voicemail(a, ext.id, Page::default())
            .await
            .unwrap();
        assert_eq!(list.items, vec![m2.clone(), m1.clone()]);
        store.mark_voicemail_heard(a, m1.id, true).await.unwrap();
        assert!(matches!(
            store.mark_voicemail_heard(b, m1.id, true).await,
            Err(StoreError::NotFound { .. })
        ));
        let list = store
            .list_voicemail(a, ext.id, Page::default())
            .await
            .unwrap();
        assert!(list.items[1].heard && !list.items[0].heard);
        store.delete_voicemail(a, m2.id).await.unwrap();
        // Deleting the extension empties its box.
        store.delete_extension("admin", a, ext.id).await.unwrap();
        assert_eq!(
            store
                .list_voicemail(a, ext.id, Page::default())
                .await
                .unwrap()
                .total,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn recordings_are_listed_per_call() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let rec = |call: &str, label: Option<&str>| Recording {
            id: RecordingId::new(),
            tenant_id: a,
            call_id: call.into(),
            started_at: Utc.timestamp_millis_opt(1_780_000_000_000).unwrap(),
            duration_ms: 5_000,
            sha256: "cd".repeat(32),
            size: 40_000,
            label: label.map(Into::into),
        };
        let r1 = rec("call-1", Some("greeting"));
        store.insert_recording(&r1).await.unwrap();
        store.insert_recording(&rec("call-2", None)).await.unwrap();
        assert_eq!(store.get_recording(a, r1.id).await.unwrap(), r1);
        assert_eq!(
            store
                .list_recordings(a, Some("call-1"), Page::default())
                .await
                .unwrap()
                .items,
            vec![r1.clone()]
        );
        assert_eq!(
            store
                .list_recordings(a, None, Page::default())
                .await
                .unwrap()
                .total,
            2
        );
        let b = tenant(&store, "b").await;
        assert!(matches!(
            store.get_recording(b, r1.id).await,
            Err(StoreError::NotFound { .. })
        ));
        store.delete_recording(a, r1.id).await.unwrap();
        assert!(matches!(
            store.delete_recording(a, r1.id).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

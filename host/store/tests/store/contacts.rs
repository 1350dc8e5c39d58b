//! Contacts: shared and private visibility, CSV import with per-row errors,
//! CSV export.

use pbx_store::{ContactSpec, Page, Role, StoreError, UserSpec};

use crate::common::{on_each, tenant};

#[tokio::test]
async fn private_contacts_are_seen_by_their_owner_only() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let mk = |name: &str| UserSpec {
            tenant_id: Some(a),
            username: name.into(),
            display_name: name.into(),
            role: Role::User,
            disabled: false,
        };
        let alice = store
            .create_user("root", &mk("alice"), "long enough!")
            .await
            .unwrap()
            .id;
        let bob = store
            .create_user("root", &mk("bob"), "long enough!")
            .await
            .unwrap()
            .id;
        let shared = ContactSpec {
            owner_id: None,
            name: "Supplier".into(),
            number: "+33111".into(),
            email: None,
            company: Some("S".into()),
            tags: vec!["priority".into()],
        };
        let private = ContactSpec {
            owner_id: Some(alice),
            name: "Mum".into(),
            number: "+33222".into(),
            email: Some("m@x.fr".into()),
            company: None,
            tags: vec![],
        };
        store.create_contact("alice", a, &shared).await.unwrap();
        let p = store.create_contact("alice", a, &private).await.unwrap();
        assert_eq!(
            store
                .list_contacts(a, Some(alice), Page::default())
                .await
                .unwrap()
                .total,
            2
        );
        assert_eq!(
            store
                .list_contacts(a, Some(bob), Page::default())
                .await
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            store
                .list_contacts(a, None, Page::default())
                .await
                .unwrap()
                .total,
            1
        );
        assert!(matches!(
            store.get_contact(a, Some(bob), p.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.delete_contact("bob", a, Some(bob), p.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            store
                .find_contact_by_number(a, "+33111")
                .await
                .unwrap()
                .unwrap()
                .spec
                .tags,
            ["priority"]
        );
        assert!(
            store
                .find_contact_by_number(a, "+33222")
                .await
                .unwrap()
                .is_none(),
            "private ones are not looked up"
        );
        let bad = ContactSpec {
            tags: vec!["two words".into()],
            ..shared
        };
        assert!(matches!(
            store.create_contact("x", a, &bad).await,
            Err(StoreError::Invalid { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn csv_import_reports_bad_rows_and_export_round_trips() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let csv = "name,number,email,company,tags\n\
                   Alice,+33100,alice@x.fr,ACME,priority;vip\n\
                   Bob,not-a-number,,,\n\
                   \"Carol, Jr\",+33300,,,\n\
                   Dave,+33400,no-at-sign,,\n";
        let report = store.import_contacts_csv("admin", a, None, csv).await.unwrap();
        assert_eq!(report.created.len(), 2);
        assert_eq!(report.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 5]);
        assert!(report.errors[0].message.contains("number"), "{:?}", report.errors[0]);
        assert_eq!(report.created[0].spec.tags, ["priority", "vip"]);
        let out = store.export_contacts_csv(a, None).await.unwrap();
        assert_eq!(out, "name,number,email,company,tags\nAlice,+33100,alice@x.fr,ACME,priority;vip\n\"Carol, Jr\",+33300,,,\n");
        // Re-importing the export gives the same contacts in another tenant.
        let b = tenant(&store, "b").await;
        let again = store.import_contacts_csv("admin", b, None, &out).await.unwrap();
        assert!(again.errors.is_empty());
        assert_eq!(store.export_contacts_csv(b, None).await.unwrap(), out);
        let err = store.import_contacts_csv("admin", a, None, "who,what\nx,y\n").await.unwrap_err();
        assert!(err.to_string().contains("name,number"), "{err}");
    })
    .await;
}

//! Users, roles, argon2 passwords and hashed API tokens.

use pbx_store::{Page, Role, StoreError, TOKEN_PREFIX, UserSpec};

use crate::common::{on_each, tenant};

fn user(tenant: Option<pbx_store::TenantId>, name: &str, role: Role) -> UserSpec {
    UserSpec {
        tenant_id: tenant,
        username: name.into(),
        display_name: name.into(),
        role,
        disabled: false,
    }
}

#[tokio::test]
async fn passwords_are_hashed_and_verified() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let u = store
            .create_user(
                "root",
                &user(Some(a), "alice@a", Role::TenantAdmin),
                "a long password",
            )
            .await
            .unwrap();
        let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(u.id.to_string())
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("a long password"));
        assert_eq!(
            store
                .verify_password("alice@a", "a long password")
                .await
                .unwrap(),
            Some(u.clone())
        );
        assert_eq!(
            store
                .verify_password("alice@a", "wrong password")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            store
                .verify_password("nobody", "a long password")
                .await
                .unwrap(),
            None
        );
        store
            .set_password("root", Some(a), u.id, "another long one")
            .await
            .unwrap();
        assert!(
            store
                .verify_password("alice@a", "another long one")
                .await
                .unwrap()
                .is_some()
        );
        let short = store
            .set_password("root", Some(a), u.id, "short")
            .await
            .unwrap_err();
        assert!(short.to_string().contains("at least 10"), "{short}");
        // Disabled users cannot log in.
        let mut spec = u.spec.clone();
        spec.disabled = true;
        store
            .update_user("root", Some(a), u.id, &spec)
            .await
            .unwrap();
        assert_eq!(
            store
                .verify_password("alice@a", "another long one")
                .await
                .unwrap(),
            None
        );
    })
    .await;
}

#[tokio::test]
async fn roles_and_tenants_go_together_and_scopes_hold() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let err = store
            .create_user(
                "root",
                &user(Some(a), "x", Role::Superadmin),
                "long enough!",
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }));
        let err = store
            .create_user("root", &user(None, "y", Role::Agent), "long enough!")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }));
        let root = store
            .create_user(
                "root",
                &user(None, "root", Role::Superadmin),
                "long enough!",
            )
            .await
            .unwrap();
        let agent = store
            .create_user("root", &user(Some(a), "agent", Role::Agent), "long enough!")
            .await
            .unwrap();
        assert!(matches!(
            store.get_user(Some(b), agent.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.get_user(Some(a), root.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.get_user(None, agent.id).await.unwrap(), agent);
        assert_eq!(
            store
                .list_users(Some(a), Page::default())
                .await
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            store.list_users(None, Page::default()).await.unwrap().total,
            2
        );
        let dup = store
            .create_user("root", &user(Some(b), "agent", Role::User), "long enough!")
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Conflict { .. }));
        assert!(matches!(
            store.delete_user("x", Some(b), agent.id).await,
            Err(StoreError::NotFound { .. })
        ));
        store.delete_user("x", Some(a), agent.id).await.unwrap();
        // The superadmin's creation is in the global audit log, not a tenant's.
        let global = store.list_global_audit(Page::default()).await.unwrap();
        assert_eq!(global.total, 1);
        assert_eq!(global.items[0].entity_id, root.id.to_string());
        assert!(
            store
                .list_audit(a, Page::default())
                .await
                .unwrap()
                .items
                .iter()
                .all(|r| r.entity_id != root.id.to_string())
        );
    })
    .await;
}

#[tokio::test]
async fn tokens_are_shown_once_stored_hashed_and_revocable() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let u = store
            .create_user(
                "root",
                &user(Some(a), "bot", Role::Accounting),
                "long enough!",
            )
            .await
            .unwrap();
        let new = store
            .create_token("root", Some(a), u.id, "billing", None)
            .await
            .unwrap();
        assert!(new.secret.starts_with(TOKEN_PREFIX));
        assert!(new.secret.starts_with(&new.token.prefix));
        let stored: String = sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = $1")
            .bind(new.token.id.to_string())
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_ne!(stored, new.secret);
        let (who, token) = store
            .authenticate_token(&new.secret)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(who.id, u.id);
        assert!(token.last_used_at.is_some());
        assert!(
            store
                .authenticate_token("pbx_0000")
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.authenticate_token("garbage").await.unwrap().is_none());
        let listed = store
            .list_tokens(Some(a), u.id, Page::default())
            .await
            .unwrap();
        assert_eq!(listed.items[0].last_used_at, token.last_used_at);
        store
            .delete_token("root", Some(a), u.id, new.token.id)
            .await
            .unwrap();
        assert!(
            store
                .authenticate_token(&new.secret)
                .await
                .unwrap()
                .is_none()
        );
        let past = chrono::Utc::now() - chrono::Duration::hours(1);
        assert!(matches!(
            store
                .create_token("root", Some(a), u.id, "old", Some(past))
                .await,
            Err(StoreError::Invalid { .. })
        ));
    })
    .await;
}

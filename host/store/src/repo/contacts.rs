//! Contacts: the tenant's shared directory and each user's private
//! contacts, with tags (e.g. `priority`) that flows can act on.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::{Result, StoreError};
use crate::ids::{ContactId, TenantId, UserId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::time::Timestamp;
use crate::validate;

/// What a user sets on a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSpec {
    /// `None` for a shared contact; the creator's id for a private one.
    pub owner_id: Option<UserId>,
    /// Name shown and announced.
    pub name: String,
    /// Phone number, as callers present it (e.g. `+33123456789`).
    pub number: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Company.
    pub company: Option<String>,
    /// Free tags such as `priority` or `vip`: letters, digits, `-` and `_`.
    pub tags: Vec<String>,
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its fields.
    #[serde(flatten)]
    pub spec: ContactSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for Contact {
    type Spec = ContactSpec;
    const TABLE: &'static str = "contacts";
    const KIND: ChangeKind = ChangeKind::Contact;
    const NAME: &'static str = "contact";
    const COLUMNS: &'static [&'static str] =
        &["owner_id", "name", "number", "email", "company", "tags"];
    const ORDER: &'static str = "name, id";
    const CONFLICT: &'static str = "the contact's owner does not exist";

    fn validate(s: &ContactSpec) -> Result<()> {
        validate::name("name", &s.name)?;
        validate::number("number", &s.number)?;
        if let Some(email) = &s.email
            && !email.contains('@')
        {
            return Err(StoreError::invalid(
                "email",
                format!("{email:?} is not an e-mail address"),
            ));
        }
        for tag in &s.tags {
            if tag.is_empty()
                || !tag
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                return Err(StoreError::invalid(
                    "tags",
                    format!("{tag:?}: use letters, digits, - and _ only, e.g. priority"),
                ));
            }
        }
        Ok(())
    }

    fn args(s: &ContactSpec) -> Result<Vec<Arg>> {
        Ok(vec![
            s.owner_id.map(|o| o.to_string()).into(),
            s.name.clone().into(),
            s.number.clone().into(),
            s.email.clone().into(),
            s.company.clone().into(),
            row::to_json(&s.tags)?.into(),
        ])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: ContactSpec {
                owner_id: row::opt_parsed(r, "owner_id")?,
                name: row::text(r, "name")?,
                number: row::text(r, "number")?,
                email: row::opt_text(r, "email")?,
                company: row::opt_text(r, "company")?,
                tags: row::json(r, "tags")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

/// Shared contacts plus those private to `viewer`.
fn visible(viewer: Option<UserId>) -> (&'static str, Vec<Arg>) {
    match viewer {
        Some(v) => (
            "owner_id IS NULL OR owner_id = $2",
            vec![v.to_string().into()],
        ),
        None => ("owner_id IS NULL", vec![]),
    }
}

impl Store {
    /// Creates a contact; a private one's owner must be a user of `tenant`.
    pub async fn create_contact(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &ContactSpec,
    ) -> Result<Contact> {
        if let Some(owner) = spec.owner_id {
            self.get_user(Some(tenant), owner).await.map_err(|_| {
                StoreError::invalid("owner_id", format!("no user {owner} in this tenant"))
            })?;
        }
        crud::create(self, actor, tenant, ContactId::new().to_string(), spec).await
    }

    /// One contact of `tenant`, if `viewer` may see it (shared, or theirs).
    pub async fn get_contact(
        &self,
        tenant: TenantId,
        viewer: Option<UserId>,
        id: ContactId,
    ) -> Result<Contact> {
        let c: Contact = crud::get(self, tenant, &id.to_string()).await?;
        match c.spec.owner_id {
            Some(owner) if Some(owner) != viewer => Err(StoreError::not_found("contact", id)),
            _ => Ok(c),
        }
    }

    /// The contacts `viewer` sees (shared ones and their own), by name.
    pub async fn list_contacts(
        &self,
        tenant: TenantId,
        viewer: Option<UserId>,
        page: Page,
    ) -> Result<Paged<Contact>> {
        let (filter, args) = visible(viewer);
        crud::list(self, tenant, Some(filter), args, page).await
    }

    /// The shared contact with this number (caller-name look-up).
    pub async fn find_contact_by_number(
        &self,
        tenant: TenantId,
        number: &str,
    ) -> Result<Option<Contact>> {
        let page = crud::list::<Contact>(
            self,
            tenant,
            Some("owner_id IS NULL AND number = $2"),
            vec![number.into()],
            Page::first(1),
        )
        .await?;
        Ok(page.items.into_iter().next())
    }

    /// Replaces a contact `viewer` may see.
    pub async fn update_contact(
        &self,
        actor: &str,
        tenant: TenantId,
        viewer: Option<UserId>,
        id: ContactId,
        spec: &ContactSpec,
    ) -> Result<Contact> {
        self.get_contact(tenant, viewer, id).await?;
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Deletes a contact `viewer` may see.
    pub async fn delete_contact(
        &self,
        actor: &str,
        tenant: TenantId,
        viewer: Option<UserId>,
        id: ContactId,
    ) -> Result<()> {
        self.get_contact(tenant, viewer, id).await?;
        crud::delete::<Contact>(self, actor, tenant, &id.to_string()).await
    }

    /// Every contact `viewer` sees, for exports.
    pub(crate) async fn all_contacts(
        &self,
        tenant: TenantId,
        viewer: Option<UserId>,
    ) -> Result<Vec<Contact>> {
        let mut out = Vec::new();
        let mut page = Page::first(Page::MAX_LIMIT);
        loop {
            let p = self.list_contacts(tenant, viewer, page).await?;
            let n = p.items.len();
            out.extend(p.items);
            if n < page.limit as usize {
                return Ok(out);
            }
            page.offset += n as u64;
        }
    }
}

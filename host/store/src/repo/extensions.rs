//! Extensions: the phones and users of a tenant, with their SIP
//! credentials, voicemail, class of service, groups, forwarding and
//! personal flow.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::{Result, StoreError};
use crate::ids::{ExtensionId, FlowId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::text_enum::text_enum;
use crate::time::Timestamp;
use crate::validate;

text_enum! {
    /// Which numbers an extension may call, each class including the ones
    /// before it (`national` may also call `mobile`, `local`, `internal`
    /// and `emergency` numbers).
    ClassOfService {
        /// Emergency services only.
        Emergency = "emergency",
        /// Other extensions of the tenant.
        Internal = "internal",
        /// Local numbers.
        Local = "local",
        /// Mobile numbers.
        Mobile = "mobile",
        /// National numbers.
        National = "national",
        /// Everything, international included.
        International = "international",
    }
}

impl ClassOfService {
    /// Whether an extension of this class may use a route of class `route`.
    pub fn allows(&self, route: ClassOfService) -> bool {
        *self >= route
    }
}

text_enum! {
    /// When a forwarding rule applies.
    ForwardCondition {
        /// Always, before ringing the extension.
        Immediate = "immediate",
        /// The extension is busy.
        Busy = "busy",
        /// Nobody answered within the rule's delay.
        NoAnswer = "no_answer",
        /// The extension is not registered.
        Unavailable = "unavailable",
        /// Do not disturb is on: calls go to the destination without ringing.
        Dnd = "dnd",
    }
}

text_enum! {
    /// Which callers a forwarding rule applies to.
    CallerScope {
        /// Every caller.
        All = "all",
        /// Callers from the tenant's own extensions.
        Internal = "internal",
        /// Callers from outside (trunks).
        External = "external",
    }
}

/// One forwarding rule of an extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardingRule {
    /// When it applies.
    pub condition: ForwardCondition,
    /// To whom.
    pub callers: CallerScope,
    /// Where calls go: a number, an extension, or `voicemail`.
    pub destination: String,
    /// Seconds of ringing before forwarding, for `no_answer` (5 to 300).
    pub delay_secs: Option<u32>,
    /// Off rules are kept but ignored.
    pub enabled: bool,
}

/// What an admin sets on an extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtensionSpec {
    /// Number dialled to reach it, unique in the tenant, e.g. `100`.
    pub number: String,
    /// Name shown on phones.
    pub display_name: String,
    /// SIP digest user name, unique in the tenant.
    pub sip_username: String,
    /// SIP digest password. Stored as given, because digest
    /// authentication needs it; protect the database accordingly.
    pub sip_password: String,
    /// Voicemail PIN (4 to 12 digits), `None` for no voicemail access.
    pub voicemail_pin: Option<String>,
    /// Which numbers it may call.
    pub class_of_service: ClassOfService,
    /// Pickup group: members may pick up each other's ringing calls.
    pub pickup_group: Option<String>,
    /// Call group: rings together for group calls.
    pub call_group: Option<String>,
    /// Forwarding rules, tried in order.
    pub forwarding: Vec<ForwardingRule>,
    /// A personal flow run for calls to this extension (follow-me,
    /// camp-on...).
    pub personal_flow_id: Option<FlowId>,
    /// The parameters given to the personal flow.
    pub personal_flow_params: serde_json::Value,
    /// Language of prompts for this extension; the tenant's when `None`.
    pub language: Option<String>,
}

/// A stored extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// Its id.
    pub id: ExtensionId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: ExtensionSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for Extension {
    type Spec = ExtensionSpec;
    const TABLE: &'static str = "extensions";
    const KIND: ChangeKind = ChangeKind::Extension;
    const NAME: &'static str = "extension";
    const COLUMNS: &'static [&'static str] = &[
        "number",
        "display_name",
        "sip_username",
        "sip_password",
        "voicemail_pin",
        "class_of_service",
        "pickup_group",
        "call_group",
        "forwarding",
        "personal_flow_id",
        "personal_flow_params",
        "language",
    ];
    const ORDER: &'static str = "number, id";
    const CONFLICT: &'static str = "an extension with this number or SIP user name already exists in the tenant, \
         or the personal flow does not exist: choose another number or user name";
    const LIMIT: Option<(&'static str, &'static str)> = Some(("max_extensions", "extensions"));

    fn validate(s: &ExtensionSpec) -> Result<()> {
        validate::number("number", &s.number)?;
        validate::name("display_name", &s.display_name)?;
        validate::name("sip_username", &s.sip_username)?;
        if s.sip_password.len() < 8 {
            return Err(StoreError::invalid(
                "sip_password",
                "is shorter than 8 characters: use a longer, random password",
            ));
        }
        if let Some(pin) = &s.voicemail_pin
            && (!(4..=12).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(StoreError::invalid("voicemail_pin", "use 4 to 12 digits"));
        }
        for rule in &s.forwarding {
            validate::name("forwarding.destination", &rule.destination)?;
            match (rule.condition, rule.delay_secs) {
                (ForwardCondition::NoAnswer, Some(d)) if (5..=300).contains(&d) => {}
                (ForwardCondition::NoAnswer, _) => {
                    return Err(StoreError::invalid(
                        "forwarding.delay_secs",
                        "a no_answer rule needs a delay of 5 to 300 seconds",
                    ));
                }
                (_, Some(_)) => {
                    return Err(StoreError::invalid(
                        "forwarding.delay_secs",
                        "only no_answer rules take a delay: remove it",
                    ));
                }
                _ => {}
            }
        }
        if let Some(lang) = &s.language {
            validate::language("language", lang)?;
        }
        Ok(())
    }

    fn args(s: &ExtensionSpec) -> Result<Vec<Arg>> {
        Ok(vec![
            s.number.clone().into(),
            s.display_name.clone().into(),
            s.sip_username.clone().into(),
            s.sip_password.clone().into(),
            s.voicemail_pin.clone().into(),
            s.class_of_service.as_str().into(),
            s.pickup_group.clone().into(),
            s.call_group.clone().into(),
            row::to_json(&s.forwarding)?.into(),
            s.personal_flow_id.map(|f| f.to_string()).into(),
            row::to_json(&s.personal_flow_params)?.into(),
            s.language.clone().into(),
        ])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: ExtensionSpec {
                number: row::text(r, "number")?,
                display_name: row::text(r, "display_name")?,
                sip_username: row::text(r, "sip_username")?,
                sip_password: row::text(r, "sip_password")?,
                voicemail_pin: row::opt_text(r, "voicemail_pin")?,
                class_of_service: row::parsed(r, "class_of_service")?,
                pickup_group: row::opt_text(r, "pickup_group")?,
                call_group: row::opt_text(r, "call_group")?,
                forwarding: row::json(r, "forwarding")?,
                personal_flow_id: row::opt_parsed(r, "personal_flow_id")?,
                personal_flow_params: row::json(r, "personal_flow_params")?,
                language: row::opt_text(r, "language")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates an extension; fails with `LimitReached` past the tenant's
    /// `max_extensions`.
    pub async fn create_extension(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &ExtensionSpec,
    ) -> Result<Extension> {
        self.check_personal_flow(tenant, spec).await?;
        crud::create(self, actor, tenant, ExtensionId::new().to_string(), spec).await
    }

    /// One extension of `tenant`.
    pub async fn get_extension(&self, tenant: TenantId, id: ExtensionId) -> Result<Extension> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// The extension of `tenant` with this number.
    pub async fn find_extension_by_number(
        &self,
        tenant: TenantId,
        number: &str,
    ) -> Result<Extension> {
        let page = crud::list::<Extension>(
            self,
            tenant,
            Some("number = $2"),
            vec![number.into()],
            Page::first(1),
        )
        .await?;
        page.items
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::not_found("extension number", number))
    }

    /// `tenant`'s extensions by number.
    pub async fn list_extensions(&self, tenant: TenantId, page: Page) -> Result<Paged<Extension>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Replaces an extension's settings.
    pub async fn update_extension(
        &self,
        actor: &str,
        tenant: TenantId,
        id: ExtensionId,
        spec: &ExtensionSpec,
    ) -> Result<Extension> {
        self.check_personal_flow(tenant, spec).await?;
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// The personal flow must be the same tenant's (the foreign key only
    /// proves it exists somewhere).
    async fn check_personal_flow(&self, tenant: TenantId, spec: &ExtensionSpec) -> Result<()> {
        if let Some(flow) = spec.personal_flow_id {
            self.get_flow(tenant, flow).await.map_err(|_| {
                StoreError::invalid("personal_flow_id", format!("no flow {flow} in this tenant"))
            })?;
        }
        Ok(())
    }

    /// Deletes an extension (its voicemail goes with it); fails with
    /// `Conflict` while an inbound route targets it.
    pub async fn delete_extension(
        &self,
        actor: &str,
        tenant: TenantId,
        id: ExtensionId,
    ) -> Result<()> {
        crud::delete::<Extension>(self, actor, tenant, &id.to_string()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_include_the_ones_before_them() {
        assert!(ClassOfService::International.allows(ClassOfService::Mobile));
        assert!(ClassOfService::National.allows(ClassOfService::National));
        assert!(!ClassOfService::Internal.allows(ClassOfService::Local));
        assert!(ClassOfService::Internal.allows(ClassOfService::Emergency));
    }

    #[test]
    fn stored_names_round_trip_and_unknown_ones_list_the_choices() {
        for c in ClassOfService::ALL {
            assert_eq!(c.as_str().parse::<ClassOfService>().unwrap(), *c);
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        let err = "worldwide"
            .parse::<ClassOfService>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("emergency, internal, local, mobile, national, international"),
            "{err}"
        );
    }
}

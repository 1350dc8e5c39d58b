//! Holiday calendars: named lists of holidays (fixed dates, yearly dates,
//! Easter-relative feasts), typed with `pbx_calendar` and stored one row
//! per holiday. Schedules refer to calendars by name.

use chrono::NaiveDate;
use pbx_calendar::{Holiday, HolidayCalendar, HolidayRule};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::change::{Action, ChangeKind};
use crate::crud;
use crate::error::{Result, StoreError};
use crate::ids::{CalendarId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql;
use crate::store::Store;
use crate::time::{Timestamp, now, to_ms};
use crate::validate;

/// What an admin sets on a holiday calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarSpec {
    /// Unique name in the tenant, e.g. `france`; schedules list it.
    pub name: String,
    /// The holidays, in order.
    pub holidays: HolidayCalendar,
}

/// A stored holiday calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCalendar {
    /// Its id.
    pub id: CalendarId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: CalendarSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

const CONFLICT: &str = "a holiday calendar with this name already exists in the tenant";

fn validate(spec: &CalendarSpec) -> Result<()> {
    validate::name("name", &spec.name)?;
    spec.holidays
        .validate()
        .map_err(|e| StoreError::invalid("holidays", e.to_string()))
}

async fn insert_holidays(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    cal: &str,
    holidays: &HolidayCalendar,
) -> Result<()> {
    for (pos, h) in holidays.holidays.iter().enumerate() {
        let (kind, date, month, day, easter) = match h.rule {
            HolidayRule::Fixed { date } => (
                "fixed",
                Some(date.format("%Y-%m-%d").to_string()),
                None,
                None,
                None,
            ),
            HolidayRule::Yearly { month, day } => (
                "yearly",
                None,
                Some(i64::from(month)),
                Some(i64::from(day)),
                None,
            ),
            HolidayRule::Easter { offset_days } => {
                ("easter", None, None, None, Some(i64::from(offset_days)))
            }
        };
        sqlx::query(
            "INSERT INTO holidays (id, tenant_id, calendar_id, position, name, rule_kind, fixed_date, \
             month, day, easter_offset) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(tenant.to_string())
        .bind(cal)
        .bind(pos as i64)
        .bind(h.name.as_str())
        .bind(kind)
        .bind(date)
        .bind(month)
        .bind(day)
        .bind(easter)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// The calendar row without its holidays.
fn head_from_row(r: &AnyRow) -> Result<StoredCalendar> {
    Ok(StoredCalendar {
        id: row::parsed(r, "id")?,
        tenant_id: row::parsed(r, "tenant_id")?,
        spec: CalendarSpec {
            name: row::text(r, "name")?,
            holidays: HolidayCalendar::default(),
        },
        created_at: row::ts(r, "created_at")?,
        updated_at: row::ts(r, "updated_at")?,
    })
}

fn holiday_from_row(r: &AnyRow) -> Result<Holiday> {
    let bad = |what: &str| StoreError::Database(format!("holiday row: {what}"));
    let rule = match row::text(r, "rule_kind")?.as_str() {
        "fixed" => HolidayRule::Fixed {
            date: NaiveDate::parse_from_str(
                &row::opt_text(r, "fixed_date")?.ok_or_else(|| bad("no date"))?,
                "%Y-%m-%d",
            )
            .map_err(|e| bad(&e.to_string()))?,
        },
        "yearly" => HolidayRule::Yearly {
            month: row::opt_int(r, "month")?.ok_or_else(|| bad("no month"))? as u32,
            day: row::opt_int(r, "day")?.ok_or_else(|| bad("no day"))? as u32,
        },
        "easter" => HolidayRule::Easter {
            offset_days: row::opt_int(r, "easter_offset")?.ok_or_else(|| bad("no offset"))? as i32,
        },
        other => return Err(bad(&format!("unknown rule {other:?}"))),
    };
    Ok(Holiday {
        name: row::text(r, "name")?,
        rule,
    })
}

impl Store {
    async fn load_calendar<'e, E>(
        &self,
        exec: E,
        mut head: StoredCalendar,
    ) -> Result<StoredCalendar>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        let rows = sqlx::query("SELECT * FROM holidays WHERE calendar_id = $1 ORDER BY position")
            .bind(head.id.to_string())
            .fetch_all(exec)
            .await?;
        head.spec.holidays =
            HolidayCalendar::new(rows.iter().map(holiday_from_row).collect::<Result<_>>()?);
        Ok(head)
    }

    async fn calendar_in_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
        tenant: TenantId,
        id: CalendarId,
    ) -> Result<StoredCalendar> {
        let head = sqlx::query("SELECT * FROM holiday_calendars WHERE id = $1 AND tenant_id = $2")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::not_found("holiday calendar", id))?;
        self.load_calendar(&mut **tx, head_from_row(&head)?).await
    }

    /// Creates a holiday calendar.
    pub async fn create_calendar(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &CalendarSpec,
    ) -> Result<StoredCalendar> {
        validate(spec)?;
        let id = CalendarId::new();
        let t = to_ms(&now());
        let mut tx = self.begin().await?;
        crud::ensure_tenant(&mut tx, tenant).await?;
        sqlx::query("INSERT INTO holiday_calendars (id, tenant_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .bind(spec.name.as_str())
            .bind(t)
            .bind(t)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        insert_holidays(&mut tx, tenant, &id.to_string(), &spec.holidays).await?;
        let created = self.calendar_in_tx(&mut tx, tenant, id).await?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::Calendar,
            id.to_string(),
            Action::Create,
            None::<&StoredCalendar>,
            Some(&created),
        )
        .await?;
        Ok(created)
    }

    /// Creates a calendar from an iCalendar file (`VEVENT`s become fixed
    /// or yearly holidays, see `pbx_calendar::HolidayCalendar::from_ical`).
    pub async fn import_calendar_ical(
        &self,
        actor: &str,
        tenant: TenantId,
        name: &str,
        ical: &str,
    ) -> Result<StoredCalendar> {
        let holidays = HolidayCalendar::from_ical(ical)
            .map_err(|e| StoreError::invalid("ical", e.to_string()))?;
        self.create_calendar(
            actor,
            tenant,
            &CalendarSpec {
                name: name.to_string(),
                holidays,
            },
        )
        .await
    }

    /// One calendar of `tenant`.
    pub async fn get_calendar(&self, tenant: TenantId, id: CalendarId) -> Result<StoredCalendar> {
        let mut tx = self.begin_read().await?;
        let cal = self.calendar_in_tx(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(cal)
    }

    /// `tenant`'s calendars by name.
    pub async fn list_calendars(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paged<StoredCalendar>> {
        let heads = sql::fetch_page(
            self.pool(),
            "FROM holiday_calendars WHERE tenant_id = $1",
            "name, id",
            vec![tenant.to_string().into()],
            page,
            head_from_row,
        )
        .await?;
        let mut items = Vec::with_capacity(heads.items.len());
        for head in heads.items {
            items.push(self.load_calendar(self.pool(), head).await?);
        }
        Ok(Paged {
            items,
            total: heads.total,
            limit: heads.limit,
            offset: heads.offset,
        })
    }

    /// Replaces a calendar's name and holidays.
    pub async fn update_calendar(
        &self,
        actor: &str,
        tenant: TenantId,
        id: CalendarId,
        spec: &CalendarSpec,
    ) -> Result<StoredCalendar> {
        validate(spec)?;
        let mut tx = self.begin().await?;
        let before = self.calendar_in_tx(&mut tx, tenant, id).await?;
        sqlx::query("UPDATE holiday_calendars SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(spec.name.as_str())
            .bind(to_ms(&now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        sqlx::query("DELETE FROM holidays WHERE calendar_id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        insert_holidays(&mut tx, tenant, &id.to_string(), &spec.holidays).await?;
        let after = self.calendar_in_tx(&mut tx, tenant, id).await?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::Calendar,
            id.to_string(),
            Action::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
        Ok(after)
    }

    /// Deletes a calendar (schedules naming it then ignore the name).
    pub async fn delete_calendar(
        &self,
        actor: &str,
        tenant: TenantId,
        id: CalendarId,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = self.calendar_in_tx(&mut tx, tenant, id).await?;
        sqlx::query("DELETE FROM holiday_calendars WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::Calendar,
            id.to_string(),
            Action::Delete,
            Some(&before),
            None::<&StoredCalendar>,
        )
        .await
    }
}

//! Office-hours schedules: weekly ranges (several per day), the holiday
//! calendars that close the office, and exceptional closures. Typed with
//! `pbx_calendar::Schedule`, stored relationally (one row per range,
//! calendar name and closure).

use chrono::{NaiveDate, Weekday};
use pbx_calendar::{Closure, Schedule, TimeRange, WeeklyHours};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::change::{Action, ChangeKind};
use crate::crud;
use crate::error::{Result, StoreError};
use crate::ids::{ScheduleId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql;
use crate::store::Store;
use crate::time::{Timestamp, now, to_ms};
use crate::validate;

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// What an admin sets on a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    /// Unique name in the tenant, e.g. `switchboard`.
    pub name: String,
    /// Hours, holiday calendar names and closures.
    pub schedule: Schedule,
}

/// A stored schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSchedule {
    /// Its id.
    pub id: ScheduleId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: ScheduleSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

const CONFLICT: &str = "a schedule with this name already exists in the tenant";

fn head_from_row(r: &AnyRow) -> Result<StoredSchedule> {
    Ok(StoredSchedule {
        id: row::parsed(r, "id")?,
        tenant_id: row::parsed(r, "tenant_id")?,
        spec: ScheduleSpec {
            name: row::text(r, "name")?,
            schedule: Schedule::default(),
        },
        created_at: row::ts(r, "created_at")?,
        updated_at: row::ts(r, "updated_at")?,
    })
}

fn validate(spec: &ScheduleSpec) -> Result<()> {
    validate::name("name", &spec.name)?;
    // Calendar names are checked when the schedule is evaluated: a
    // calendar may be created after the schedule that names it.
    spec.schedule
        .validate(|_| true)
        .map_err(|e| StoreError::invalid("schedule", e.to_string()))
}

async fn insert_parts(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: ScheduleId,
    s: &Schedule,
) -> Result<()> {
    let (t, sid) = (tenant.to_string(), id.to_string());
    for (day_index, day) in WEEK.iter().enumerate() {
        for (pos, range) in s.hours.ranges(*day).iter().enumerate() {
            sqlx::query("INSERT INTO schedule_ranges (schedule_id, tenant_id, weekday, position, time_range) VALUES ($1, $2, $3, $4, $5)")
                .bind(sid.as_str())
                .bind(t.as_str())
                .bind(day_index as i64)
                .bind(pos as i64)
                .bind(range.to_string())
                .execute(&mut **tx)
                .await?;
        }
    }
    for (pos, name) in s.holiday_calendars.iter().enumerate() {
        sqlx::query("INSERT INTO schedule_calendars (schedule_id, tenant_id, position, calendar_name) VALUES ($1, $2, $3, $4)")
            .bind(sid.as_str())
            .bind(t.as_str())
            .bind(pos as i64)
            .bind(name.as_str())
            .execute(&mut **tx)
            .await?;
    }
    for (pos, c) in s.closures.iter().enumerate() {
        sqlx::query("INSERT INTO closures (schedule_id, tenant_id, position, from_date, to_date, message) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(sid.as_str())
            .bind(t.as_str())
            .bind(pos as i64)
            .bind(c.from.format("%Y-%m-%d").to_string())
            .bind(c.to.format("%Y-%m-%d").to_string())
            .bind(c.message.as_str())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn delete_parts(tx: &mut Transaction<'static, Any>, id: ScheduleId) -> Result<()> {
    for table in ["schedule_ranges", "schedule_calendars", "closures"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE schedule_id = $1"))
            .bind(id.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn date(col: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| StoreError::Database(format!("column {col}: {e}")))
}

async fn load_parts(
    tx: &mut Transaction<'static, Any>,
    mut head: StoredSchedule,
) -> Result<StoredSchedule> {
    let sid = head.id.to_string();
    let ranges = sqlx::query(
        "SELECT * FROM schedule_ranges WHERE schedule_id = $1 ORDER BY weekday, position",
    )
    .bind(sid.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let mut days: [Vec<TimeRange>; 7] = Default::default();
    for r in &ranges {
        let day = row::int(r, "weekday")?;
        let range: TimeRange = row::text(r, "time_range")?
            .parse()
            .map_err(|e| StoreError::Database(format!("stored time range: {e}")))?;
        days.get_mut(day as usize)
            .ok_or_else(|| StoreError::Database(format!("weekday {day} out of range")))?
            .push(range);
    }
    let mut hours = WeeklyHours::new();
    for (day, ranges) in WEEK.iter().zip(days) {
        hours.set(*day, ranges);
    }
    let calendars = sqlx::query(
        "SELECT calendar_name FROM schedule_calendars WHERE schedule_id = $1 ORDER BY position",
    )
    .bind(sid.as_str())
    .fetch_all(&mut **tx)
    .await?;
    let closures = sqlx::query("SELECT * FROM closures WHERE schedule_id = $1 ORDER BY position")
        .bind(sid.as_str())
        .fetch_all(&mut **tx)
        .await?;
    head.spec.schedule = Schedule {
        hours,
        holiday_calendars: calendars
            .iter()
            .map(|r| row::text(r, "calendar_name"))
            .collect::<Result<_>>()?,
        closures: closures
            .iter()
            .map(|r| {
                Ok(Closure {
                    from: date("from_date", &row::text(r, "from_date")?)?,
                    to: date("to_date", &row::text(r, "to_date")?)?,
                    message: row::text(r, "message")?,
                })
            })
            .collect::<Result<_>>()?,
    };
    Ok(head)
}

async fn schedule_in_tx(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: ScheduleId,
) -> Result<StoredSchedule> {
    let head = sqlx::query("SELECT * FROM schedules WHERE id = $1 AND tenant_id = $2")
        .bind(id.to_string())
        .bind(tenant.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found("schedule", id))?;
    load_parts(tx, head_from_row(&head)?).await
}

impl Store {
    /// Creates a schedule.
    pub async fn create_schedule(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &ScheduleSpec,
    ) -> Result<StoredSchedule> {
        validate(spec)?;
        let id = ScheduleId::new();
        let t = to_ms(&now());
        let mut tx = self.begin().await?;
        crud::ensure_tenant(&mut tx, tenant).await?;
        sqlx::query("INSERT INTO schedules (id, tenant_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .bind(spec.name.as_str())
            .bind(t)
            .bind(t)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        insert_parts(&mut tx, tenant, id, &spec.schedule).await?;
        let created = schedule_in_tx(&mut tx, tenant, id).await?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::Schedule,
            id.to_string(),
            Action::Create,
            None::<&StoredSchedule>,
            Some(&created),
        )
        .await?;
        Ok(created)
    }

    /// One schedule of `tenant`.
    pub async fn get_schedule(&self, tenant: TenantId, id: ScheduleId) -> Result<StoredSchedule> {
        let mut tx = self.begin_read().await?;
        let s = schedule_in_tx(&mut tx, tenant, id).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// `tenant`'s schedules by name.
    pub async fn list_schedules(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paged<StoredSchedule>> {
        let heads = sql::fetch_page(
            self.pool(),
            "FROM schedules WHERE tenant_id = $1",
            "name, id",
            vec![tenant.to_string().into()],
            page,
            head_from_row,
        )
        .await?;
        let mut tx = self.begin_read().await?;
        let mut items = Vec::with_capacity(heads.items.len());
        for head in heads.items {
            items.push(load_parts(&mut tx, head).await?);
        }
        tx.commit().await?;
        Ok(Paged {
            items,
            total: heads.total,
            limit: heads.limit,
            offset: heads.offset,
        })
    }

    /// Replaces a schedule.
    pub async fn update_schedule(
        &self,
        actor: &str,
        tenant: TenantId,
        id: ScheduleId,
        spec: &ScheduleSpec,
    ) -> Result<StoredSchedule> {
        validate(spec)?;
        let mut tx = self.begin().await?;
        let before = schedule_in_tx(&mut tx, tenant, id).await?;
        sqlx::query("UPDATE schedules SET name = $1, updated_at = $2 WHERE id = $3")
            .bind(spec.name.as_str())
            .bind(to_ms(&now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        delete_parts(&mut tx, id).await?;
        insert_parts(&mut tx, tenant, id, &spec.schedule).await?;
        let after = schedule_in_tx(&mut tx, tenant, id).await?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::Schedule,
            id.to_string(),
            Action::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
        Ok(after)
    }

    /// Deletes a schedule.
    pub async fn delete_schedule(
        &self,
        actor: &str,
        tenant: TenantId,
        id: ScheduleId,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let before = schedule_in_tx(&mut tx, tenant, id).await?;
        sqlx::query("DELETE FROM schedules WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::Schedule,
            id.to_string(),
            Action::Delete,
            Some(&before),
            None::<&StoredSchedule>,
        )
        .await
    }
}

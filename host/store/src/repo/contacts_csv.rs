//! CSV import and export of contacts.
//!
//! Columns: `name,number,email,company,tags`, with a header row; tags are
//! separated by `;` inside their cell (`priority;vip`). Import keeps going
//! past bad rows and reports each one with its line number.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::ids::{TenantId, UserId};
use crate::repo::contacts::{Contact, ContactSpec};
use crate::store::Store;

/// The header written on export and expected on import.
pub const CONTACTS_CSV_HEADER: [&str; 5] = ["name", "number", "email", "company", "tags"];

/// One row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// Line in the file (1 is the header).
    pub line: u64,
    /// What is wrong with it and how to fix it.
    pub message: String,
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Contacts created.
    pub created: Vec<Contact>,
    /// Rows skipped.
    pub errors: Vec<RowError>,
}

#[derive(Deserialize)]
struct CsvRow {
    name: String,
    number: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    tags: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Store {
    /// Imports contacts from CSV text as shared contacts (`owner` `None`)
    /// or private ones of `owner`. Good rows are created even when others
    /// fail; a missing or wrong header fails the whole import.
    pub async fn import_contacts_csv(
        &self,
        actor: &str,
        tenant: TenantId,
        owner: Option<UserId>,
        csv_text: &str,
    ) -> Result<ImportReport> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(csv_text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| StoreError::invalid("csv", format!("unreadable header: {e}")))?
            .clone();
        for required in ["name", "number"] {
            if !headers.iter().any(|h| h == required) {
                return Err(StoreError::invalid(
                    "csv",
                    format!(
                        "the header has no {required:?} column: start the file with {}",
                        CONTACTS_CSV_HEADER.join(",")
                    ),
                ));
            }
        }
        let mut report = ImportReport {
            created: vec![],
            errors: vec![],
        };
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    report.errors.push(RowError {
                        line,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            let row: CsvRow = match record.deserialize(Some(&headers)) {
                Ok(r) => r,
                Err(e) => {
                    report.errors.push(RowError {
                        line,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let spec = ContactSpec {
                owner_id: owner,
                name: row.name,
                number: row.number,
                email: non_empty(row.email),
                company: non_empty(row.company),
                tags: row
                    .tags
                    .unwrap_or_default()
                    .split(';')
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .collect(),
            };
            match self.create_contact(actor, tenant, &spec).await {
                Ok(c) => report.created.push(c),
                Err(e @ (StoreError::Invalid { .. } | StoreError::Conflict { .. })) => {
                    report.errors.push(RowError {
                        line,
                        message: e.to_string(),
                    })
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Exports the contacts `viewer` sees as CSV (header included).
    pub async fn export_contacts_csv(
        &self,
        tenant: TenantId,
        viewer: Option<UserId>,
    ) -> Result<String> {
        let contacts = self.all_contacts(tenant, viewer).await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let err = |e: csv::Error| StoreError::Database(format!("writing CSV: {e}"));
        w.write_record(CONTACTS_CSV_HEADER).map_err(err)?;
        for c in contacts {
            let s = c.spec;
            w.write_record([
                s.name,
                s.number,
                s.email.unwrap_or_default(),
                s.company.unwrap_or_default(),
                s.tags.join(";"),
            ])
            .map_err(err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| StoreError::Database(format!("writing CSV: {e}")))?;
        String::from_utf8(bytes).map_err(|e| StoreError::Database(format!("CSV is not UTF-8: {e}")))
    }
}

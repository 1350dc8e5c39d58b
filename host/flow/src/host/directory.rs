//! `pbx:flow/directory`: extensions, blocked numbers and contacts.

use crate::bindings::Error;
use crate::bindings::directory::{Contact, Extension, Host};
use crate::state::FlowState;

impl Host for FlowState {
    async fn by_number(&mut self, number: String) -> Result<Option<Extension>, Error> {
        let result = match self.tenant() {
            Ok(t) => t.extension(&number).await,
            Err(e) => Err(e),
        };
        self.traced(
            "directory",
            "by-number",
            format!("{number:?}"),
            format!("{result:?}"),
        );
        result
    }

    async fn by_name(&mut self, query: String, limit: u32) -> Result<Vec<Extension>, Error> {
        let args = format!("{query:?}, {limit}");
        let result = match self.tenant() {
            Ok(t) => t.extensions_by_name(&query, limit.min(100)).await,
            Err(e) => Err(e),
        };
        self.traced("directory", "by-name", args, format!("{result:?}"));
        result
    }

    async fn is_blocked(&mut self, number: String) -> Result<bool, Error> {
        let result = match self.tenant() {
            Ok(t) => t.is_blocked(&number).await,
            Err(e) => Err(e),
        };
        self.traced(
            "directory",
            "is-blocked",
            format!("{number:?}"),
            format!("{result:?}"),
        );
        result
    }

    async fn contact_by_number(&mut self, number: String) -> Result<Option<Contact>, Error> {
        let result = match self.tenant() {
            Ok(t) => t.contact(&number).await,
            Err(e) => Err(e),
        };
        self.traced(
            "directory",
            "contact-by-number",
            format!("{number:?}"),
            format!("{result:?}"),
        );
        result
    }
}

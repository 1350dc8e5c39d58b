//! `pbx:flow/kv`: the tenant's small key-value store. Sizes are checked
//! here so every backend enforces the same contract.

use crate::bindings::Error;
use crate::bindings::pbx::flow::kv::Host;
use crate::state::FlowState;

/// Longest key, in bytes.
pub const MAX_KEY: usize = 256;
/// Longest value, in bytes.
pub const MAX_VALUE: usize = 64 * 1024;

fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(Error::InvalidArgument(format!(
            "keys are 1-{MAX_KEY} bytes, got {}",
            key.len()
        )));
    }
    Ok(())
}

impl Host for FlowState {
    async fn get(&mut self, key: String) -> Result<Option<String>, Error> {
        let result = match (check_key(&key), self.tenant()) {
            (Ok(()), Ok(t)) => t.kv_get(&key).await,
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        self.traced("kv", "get", format!("{key:?}"), format!("{result:?}"));
        result
    }

    async fn set(&mut self, key: String, value: String, ttl: Option<u32>) -> Result<(), Error> {
        let args = format!("{key:?}, {value:?}, ttl={ttl:?}");
        let result = if value.len() > MAX_VALUE {
            Err(Error::InvalidArgument(format!(
                "values are at most {MAX_VALUE} bytes, got {}",
                value.len()
            )))
        } else {
            match (check_key(&key), self.tenant()) {
                (Ok(()), Ok(t)) => t.kv_set(&key, &value, ttl).await,
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        };
        self.traced("kv", "set", args, format!("{result:?}"));
        result
    }

    async fn delete(&mut self, key: String) -> Result<bool, Error> {
        let result = match (check_key(&key), self.tenant()) {
            (Ok(()), Ok(t)) => t.kv_delete(&key).await,
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        self.traced("kv", "delete", format!("{key:?}"), format!("{result:?}"));
        result
    }

    async fn increment(&mut self, key: String, delta: i64, ttl: Option<u32>) -> Result<i64, Error> {
        let args = format!("{key:?}, {delta}, ttl={ttl:?}");
        let result = match (check_key(&key), self.tenant()) {
            (Ok(()), Ok(t)) => t.kv_increment(&key, delta, ttl).await,
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        self.traced("kv", "increment", args, format!("{result:?}"));
        result
    }
}

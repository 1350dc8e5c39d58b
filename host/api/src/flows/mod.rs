//! The flow lifecycle: upload (validated by the flow runtime), versions
//! with their `describe` metadata, the simulator run server-side,
//! activation, rollback, deletion of unused versions, and routes created
//! from a template flow and parameters checked against its schema.

pub mod describe;
pub mod routes;
pub mod simulate;
pub mod template;
pub mod upload;
pub mod validate;

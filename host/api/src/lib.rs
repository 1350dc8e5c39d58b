//! Admin REST API (`/api/v1`), its OpenAPI document, authentication and the web portal.

//! Storage of the PBX: schema, migrations and repositories over sqlx (SQLite by default, PostgreSQL for several nodes).

-- The per-tenant key-value store behind the flows' `pbx:flow/kv` interface.
-- expires_at is BIGINT milliseconds since the Unix epoch, NULL for never.
CREATE TABLE tenant_kv (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires_at BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- From here on, the database's functions are defined once each, in prisma/sql/<name>.sql, and the
-- migration runner applies those files after the migrations (scripts/lib/migrations.ts). This
-- migration drops the two signatures that change; their files create them anew:
-- kv_put no longer claims Idempotency-Keys (idempotency_claim does, for both paths) and says why
-- it refused; agent_kv_put acts on the decisions the application took, while principal_stamp
-- shows them current.
DROP FUNCTION IF EXISTS "kv_put"(TEXT, TEXT, TEXT, JSONB, INTEGER, TEXT, INTEGER, TIMESTAMPTZ, "actor_type", TEXT, TEXT,
                                 TEXT, TEXT, TEXT, JSONB, TEXT, TEXT, TEXT, TIMESTAMPTZ);
DROP FUNCTION IF EXISTS "agent_kv_put"(TEXT, TIMESTAMPTZ, INTEGER, INTEGER, INTEGER, TEXT, TEXT, JSONB, INTEGER, TEXT,
                                       INTEGER, TEXT, TEXT, TEXT, JSONB, TEXT, TEXT, TIMESTAMPTZ);

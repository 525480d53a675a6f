"""The database's own refusals that keep the audit trail append-only.

On PostgreSQL: no UPDATE or DELETE of an event (migration 0002), no TRUNCATE of the
events or of the chain head, and the head only moves forward (its id stays, its last id
grows). SQLite has no TRUNCATE (a bare DELETE is refused instead) and no way to stop
whoever holds the file from dropping a trigger; there the guards stop the application
and its mistakes, and the anchors outside the database (hms.audit.anchors) stop the rest.
"""

from __future__ import annotations

_TABLES = ("audit_auditevent", "audit_chainhead")

_POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
CREATE OR REPLACE FUNCTION audit_head_moves_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.id <> OLD.id OR NEW.last_id <= OLD.last_id THEN
        RAISE EXCEPTION 'audit_chainhead only moves forward: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE OR DELETE ON audit_chainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_moves_forward();
"""

_POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_head_moves_forward ON audit_chainhead;
DROP FUNCTION IF EXISTS audit_refuse_truncate();
DROP FUNCTION IF EXISTS audit_head_moves_forward();
"""

# name: (when it fires, the refusal)
_SQLITE_TRIGGERS = {
    "audit_event_no_update": (
        "BEFORE UPDATE ON audit_auditevent",
        "audit_auditevent is append-only: UPDATE refused",
    ),
    "audit_event_no_delete": (
        "BEFORE DELETE ON audit_auditevent",
        "audit_auditevent is append-only: DELETE refused",
    ),
    "audit_head_no_delete": (
        "BEFORE DELETE ON audit_chainhead",
        "audit_chainhead only moves forward: DELETE refused",
    ),
    "audit_head_moves_forward": (
        "BEFORE UPDATE ON audit_chainhead WHEN NEW.id <> OLD.id OR NEW.last_id <= OLD.last_id",
        "audit_chainhead only moves forward: UPDATE refused",
    ),
}
_SQLITE_CREATE = [
    f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
    for name, (when, refusal) in _SQLITE_TRIGGERS.items()
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS]


def create_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_POSTGRESQL_CREATE]
    if vendor == "sqlite":
        return list(_SQLITE_CREATE)
    return []


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_POSTGRESQL_DROP]
    if vendor == "sqlite":
        return list(_SQLITE_DROP)
    return []


def lift_statements(vendor: str) -> list[str]:
    """What a table owner (or whoever holds the SQLite file) runs to switch every guard
    off, as an attacker with those rights could: the anchors are what still catch it."""
    if vendor == "postgresql":
        return [f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in _TABLES]
    return drop_statements(vendor)


def restore_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in _TABLES]
    return create_statements(vendor)

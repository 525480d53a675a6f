"""The database's own refusals that keep the audit trail append-only.

On PostgreSQL: no UPDATE or DELETE of an event (migration 0002), no TRUNCATE of the
events or of the chain head, and the head only moves forward (its id stays, its last id
grows); nor a TRUNCATE of the index of the patients each read showed (its UPDATE and
DELETE are refused since migration 0004), which the auditor's search by patient reads.
SQLite has no TRUNCATE (a bare DELETE is refused instead) and no way to stop
whoever holds the file from dropping a trigger; there the guards stop the application
and its mistakes, and the anchors outside the database (hms.audit.anchors) stop the rest.
"""

from __future__ import annotations

_INDEX = "audit_auditeventpatient"
_TABLES = ("audit_auditevent", "audit_chainhead", _INDEX)

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


# The index of patients shown (migration 0006).
_POSTGRESQL_INDEX_CREATE = f"""
CREATE TRIGGER audit_patient_shown_no_truncate BEFORE TRUNCATE ON {_INDEX}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""
_POSTGRESQL_INDEX_DROP = f"DROP TRIGGER IF EXISTS audit_patient_shown_no_truncate ON {_INDEX};"
_SQLITE_INDEX_TRIGGERS = {
    f"audit_patient_shown_no_{verb.lower()}": (
        f"BEFORE {verb} ON {_INDEX}",
        f"{_INDEX} is append-only: {verb} refused",
    )
    for verb in ("UPDATE", "DELETE")
}


def _sqlite_create(triggers: dict[str, tuple[str, str]]) -> list[str]:
    return [
        f"CREATE TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{refusal}'); END"
        for name, (when, refusal) in triggers.items()
    ]


def _sqlite_drop(triggers: dict[str, tuple[str, str]]) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name}" for name in triggers]


def index_create_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_POSTGRESQL_INDEX_CREATE]
    if vendor == "sqlite":
        return _sqlite_create(_SQLITE_INDEX_TRIGGERS)
    return []


def index_drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_POSTGRESQL_INDEX_DROP]
    if vendor == "sqlite":
        return _sqlite_drop(_SQLITE_INDEX_TRIGGERS)
    return []


def create_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_POSTGRESQL_CREATE]
    if vendor == "sqlite":
        return _sqlite_create(_SQLITE_TRIGGERS)
    return []


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_POSTGRESQL_DROP]
    if vendor == "sqlite":
        return _sqlite_drop(_SQLITE_TRIGGERS)
    return []


def lift_statements(vendor: str) -> list[str]:
    """What a table owner (or whoever holds the SQLite file) runs to switch every guard
    off, as an attacker with those rights could: the anchors are what still catch it."""
    if vendor == "postgresql":
        return [f"ALTER TABLE {table} DISABLE TRIGGER USER" for table in _TABLES]
    return [*drop_statements(vendor), *index_drop_statements(vendor)]


def restore_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in _TABLES]
    return [*create_statements(vendor), *index_create_statements(vendor)]

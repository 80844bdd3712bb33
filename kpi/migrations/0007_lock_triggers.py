"""Locks the database itself enforces (issue #12, item 3; docs/locks.md).

The models and services refuse these writes first with a friendly message; the triggers are the last line for
every path that skips Python: queryset .update() and .delete(), bulk_update, raw SQL, a psql or sqlite3 shell.
Each trigger raises an integrity error (SQLite RAISE(ABORT), PostgreSQL SQLSTATE 23514 check_violation), which
Django surfaces as django.db.IntegrityError, with a Vietnamese message.

The definitions are kept here, frozen with the migration, and read by name elsewhere only by the test suite
(tests/conftest.py re-creates them around SQLite's DELETE-based flush; tests/test_db_locks.py checks that
every one of them still exists once all migrations have run — on SQLite, a later migration that remakes one of
these tables drops its triggers silently, and that test is what notices).
"""

from django.db import migrations

APPROVED_RUBRIC = (
    "Bộ tiêu chí này đã được dùng cho phiếu KPI đã phê duyệt: không thể sửa hay xóa (kể cả nội dung, mức đạt, "
    "minh chứng). Hãy tạo phiên bản mới của bộ tiêu chí."
)
APPROVED_RUBRIC_INSERT = (
    "Bộ tiêu chí này đã được dùng cho phiếu KPI đã phê duyệt: không thể thêm nhóm hay tiêu chí. Hãy tạo phiên "
    "bản mới của bộ tiêu chí."
)
APPROVED_CARD = "Phiếu KPI đã được phê duyệt: không thể sửa. Lãnh đạo cần mở lại phiếu (ghi lý do) trước."
APPROVED_ENTRY = "Phiếu KPI đã được phê duyệt: không thể thêm, sửa hay xóa dòng chấm điểm."
APPROVED_LINK = "Phiếu KPI đã được phê duyệt: không thể gắn hay gỡ minh chứng."
SENT_LINK = (
    "Phiếu KPI đã nộp hoặc đã thẩm định: không thể gỡ minh chứng cho đến khi phiếu được trả lại hoặc mở lại."
)
APPROVED_EVIDENCE = "Minh chứng đang gắn với phiếu KPI đã được phê duyệt: không thể sửa hay xóa."
SENT_EVIDENCE = (
    "Minh chứng đang gắn với phiếu KPI đã nộp hoặc đã thẩm định: không thể xóa cho đến khi phiếu được trả lại."
)

# SQL fragments, written once for both databases (plain SQL both SQLite and PostgreSQL read the same way).


def _card_of_entry(entry: str) -> str:
    return f"(SELECT c.state FROM kpi_scorecard c JOIN kpi_scoreentry e ON e.scorecard_id = c.id WHERE e.id = {entry})"


def _evidence_on_cards(evidence: str, states: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM kpi_scoreentry_evidence l JOIN kpi_scoreentry e ON e.id = l.scoreentry_id "
        f"JOIN kpi_scorecard c ON c.id = e.scorecard_id WHERE l.evidence_id = {evidence} AND c.state IN ({states}))"
    )


def _rubric_approved(rubric: str) -> str:
    return f"EXISTS (SELECT 1 FROM kpi_scorecard c WHERE c.rubric_id = {rubric} AND c.state = 'approved')"


def _group_approved(group: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM kpi_rubricgroup g JOIN kpi_scorecard c ON c.rubric_id = g.rubric_id "
        f"WHERE g.id = {group} AND c.state = 'approved')"
    )


# The one way out of "approved": scorecard_reopen, which writes the approved → reviewed Transition first and
# then saves the card (kpi.services._move). So a card may leave "approved" only for "reviewed", as itself
# (same unit, rubric and month), and only when such a transition is newer than the card's latest approval.
REOPENED = (
    "NEW.state = 'reviewed' AND NEW.unit_id = OLD.unit_id AND NEW.rubric_id = OLD.rubric_id "
    "AND NEW.month = OLD.month AND EXISTS (SELECT 1 FROM kpi_transition t WHERE t.scorecard_id = OLD.id "
    "AND t.from_state = 'approved' AND t.to_state = 'reviewed' AND t.id > COALESCE((SELECT MAX(a.id) "
    "FROM kpi_transition a WHERE a.scorecard_id = OLD.id AND a.to_state = 'approved'), 0))"
)

# (trigger name, table, event, condition on OLD/NEW, message). Every trigger is BEFORE … FOR EACH ROW.
TRIGGERS = [
    # a. approved scorecards; the card's plan is its rubric's plan
    ("scorecard_approved_locked_upd", "kpi_scorecard", "UPDATE", f"OLD.state = 'approved' AND NOT ({REOPENED})",
     APPROVED_CARD),
    ("scorecard_approved_locked_del", "kpi_scorecard", "DELETE", "OLD.state = 'approved'",
     "Phiếu KPI đã được phê duyệt: không thể xóa."),
    ("scorecard_plan_is_rubric_plan_ins", "kpi_scorecard", "INSERT",
     "NEW.plan_id <> (SELECT r.plan_id FROM kpi_rubric r WHERE r.id = NEW.rubric_id)",
     "Kế hoạch của phiếu KPI phải là kế hoạch của bộ tiêu chí phiếu dùng."),
    ("scorecard_plan_is_rubric_plan_upd", "kpi_scorecard", "UPDATE",
     "NEW.plan_id <> (SELECT r.plan_id FROM kpi_rubric r WHERE r.id = NEW.rubric_id)",
     "Kế hoạch của phiếu KPI phải là kế hoạch của bộ tiêu chí phiếu dùng."),
    # The other side of the same rule: a rubric that cards were scored on stays in its plan.
    ("rubric_plan_fixed_once_scored_upd", "kpi_rubric", "UPDATE",
     "NEW.plan_id <> OLD.plan_id AND EXISTS (SELECT 1 FROM kpi_scorecard c WHERE c.rubric_id = OLD.id)",
     "Bộ tiêu chí đã được dùng để chấm điểm: không thể chuyển sang kế hoạch khác."),
    # An approved card's history is part of what was approved (and the reopen rule above reads it).
    ("transition_approved_locked_upd", "kpi_transition", "UPDATE",
     "(SELECT state FROM kpi_scorecard WHERE id = OLD.scorecard_id) = 'approved' "
     "OR (SELECT state FROM kpi_scorecard WHERE id = NEW.scorecard_id) = 'approved'",
     "Lịch sử chuyển trạng thái của phiếu KPI đã phê duyệt không thể sửa hay xóa."),
    ("transition_approved_locked_del", "kpi_transition", "DELETE",
     "(SELECT state FROM kpi_scorecard WHERE id = OLD.scorecard_id) = 'approved'",
     "Lịch sử chuyển trạng thái của phiếu KPI đã phê duyệt không thể sửa hay xóa."),
    # b. entries of an approved card
    ("scoreentry_approved_locked_ins", "kpi_scoreentry", "INSERT",
     "(SELECT state FROM kpi_scorecard WHERE id = NEW.scorecard_id) = 'approved'", APPROVED_ENTRY),
    ("scoreentry_approved_locked_upd", "kpi_scoreentry", "UPDATE",
     "(SELECT state FROM kpi_scorecard WHERE id = OLD.scorecard_id) = 'approved' "
     "OR (SELECT state FROM kpi_scorecard WHERE id = NEW.scorecard_id) = 'approved'", APPROVED_ENTRY),
    ("scoreentry_approved_locked_del", "kpi_scoreentry", "DELETE",
     "(SELECT state FROM kpi_scorecard WHERE id = OLD.scorecard_id) = 'approved'", APPROVED_ENTRY),
    # c. evidence attached to entries: nothing on an approved card; no detaching from a sent one
    ("scoreentry_evidence_approved_locked_ins", "kpi_scoreentry_evidence", "INSERT",
     f"{_card_of_entry('NEW.scoreentry_id')} = 'approved'", APPROVED_LINK),
    ("scoreentry_evidence_approved_locked_upd", "kpi_scoreentry_evidence", "UPDATE",
     f"{_card_of_entry('OLD.scoreentry_id')} = 'approved' OR {_card_of_entry('NEW.scoreentry_id')} = 'approved'",
     APPROVED_LINK),
    # Changing a link row moves evidence off its entry: the same as detaching it.
    ("scoreentry_evidence_sent_locked_upd", "kpi_scoreentry_evidence", "UPDATE",
     f"{_card_of_entry('OLD.scoreentry_id')} IN ('submitted', 'reviewed')", SENT_LINK),
    ("scoreentry_evidence_approved_locked_del", "kpi_scoreentry_evidence", "DELETE",
     f"{_card_of_entry('OLD.scoreentry_id')} = 'approved'", APPROVED_LINK),
    ("scoreentry_evidence_sent_locked_del", "kpi_scoreentry_evidence", "DELETE",
     f"{_card_of_entry('OLD.scoreentry_id')} IN ('submitted', 'reviewed')", SENT_LINK),
    # d. the evidence rows themselves
    ("evidence_approved_locked_upd", "tasks_evidence", "UPDATE", _evidence_on_cards("OLD.id", "'approved'"),
     APPROVED_EVIDENCE),
    ("evidence_sent_soft_delete_locked", "tasks_evidence", "UPDATE",
     "OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL AND "
     + _evidence_on_cards("OLD.id", "'submitted', 'reviewed'"), SENT_EVIDENCE),
    ("evidence_approved_locked_del", "tasks_evidence", "DELETE", _evidence_on_cards("OLD.id", "'approved'"),
     APPROVED_EVIDENCE),
    ("evidence_sent_locked_del", "tasks_evidence", "DELETE",
     _evidence_on_cards("OLD.id", "'submitted', 'reviewed'"), SENT_EVIDENCE),
    # e. a rubric version that an approved card was scored on, with its groups and criteria
    ("rubric_approved_locked_upd", "kpi_rubric", "UPDATE", _rubric_approved("OLD.id"), APPROVED_RUBRIC),
    ("rubric_approved_locked_del", "kpi_rubric", "DELETE", _rubric_approved("OLD.id"), APPROVED_RUBRIC),
    ("rubricgroup_approved_locked_ins", "kpi_rubricgroup", "INSERT", _rubric_approved("NEW.rubric_id"),
     APPROVED_RUBRIC_INSERT),
    ("rubricgroup_approved_locked_upd", "kpi_rubricgroup", "UPDATE",
     f"{_rubric_approved('OLD.rubric_id')} OR {_rubric_approved('NEW.rubric_id')}", APPROVED_RUBRIC),
    ("rubricgroup_approved_locked_del", "kpi_rubricgroup", "DELETE", _rubric_approved("OLD.rubric_id"),
     APPROVED_RUBRIC),
    ("criterion_approved_locked_ins", "kpi_criterion", "INSERT", _group_approved("NEW.group_id"),
     APPROVED_RUBRIC_INSERT),
    ("criterion_approved_locked_upd", "kpi_criterion", "UPDATE",
     f"{_group_approved('OLD.group_id')} OR {_group_approved('NEW.group_id')}", APPROVED_RUBRIC),
    ("criterion_approved_locked_del", "kpi_criterion", "DELETE", _group_approved("OLD.group_id"),
     APPROVED_RUBRIC),
    # f. the Nhật ký is append-only
    ("auditentry_append_only_upd", "plans_auditentry", "UPDATE", "TRUE",
     "Nhật ký chỉ được ghi thêm: không thể sửa."),
    ("auditentry_append_only_del", "plans_auditentry", "DELETE", "TRUE",
     "Nhật ký chỉ được ghi thêm: không thể xóa."),
]  # fmt: skip

NAMES = [name for name, *_ in TRIGGERS]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sqlite(name, table, event, condition, message) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {event} ON {table} FOR EACH ROW WHEN ({condition}) "
        f"BEGIN SELECT RAISE(ABORT, {_literal(message)}); END"
    ]


def _postgresql(name, table, event, condition, message) -> list[str]:
    # PostgreSQL allows no subquery in a trigger's WHEN: the condition is tested in the function instead.
    returned = "OLD" if event == "DELETE" else "NEW"
    return [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF {condition} THEN RAISE EXCEPTION USING MESSAGE = {_literal(message)}, ERRCODE = '23514', "
        f"TABLE = '{table}', CONSTRAINT = '{name}'; END IF; RETURN {returned}; END $$",
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
    ]


def _statements(vendor: str, drop: bool) -> list[str]:
    if vendor not in ("sqlite", "postgresql"):
        raise RuntimeError(f"Các khóa dữ liệu (kpi 0007) chỉ viết cho SQLite và PostgreSQL, không cho “{vendor}”.")
    statements = []
    for name, table, event, condition, message in TRIGGERS:
        if not drop:
            statements += (_sqlite if vendor == "sqlite" else _postgresql)(name, table, event, condition, message)
        elif vendor == "sqlite":
            statements.append(f"DROP TRIGGER IF EXISTS {name}")
        else:
            statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    return statements


def create_triggers(connection):
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, drop=False):
            cursor.execute(sql)


def drop_triggers(connection):
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, drop=True):
            cursor.execute(sql)


def forwards(apps, schema_editor):
    create_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0006_one_card_per_plan_constraints"),
        ("plans", "0005_profile_title_audit"),
        ("tasks", "0004_evidence"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

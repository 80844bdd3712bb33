"""What scorecards make of an evidence file, plugged into tasks' removal service (tasks never imports kpi).

Registered from KpiConfig.ready(): evidence behind a sent card (submitted, reviewed, approved) cannot be removed
until the card is returned or reopened — the database refuses it too (kpi 0007) —, the confirmation page lists
the cards a file is attached to, and a removal detaches it from draft cards and records it on each of them.
"""

from __future__ import annotations

from kpi.models import Scorecard, ScoreEntry
from plans.audit import audit_record
from plans.models import AuditEntry

State = Scorecard.State


def _attachments(evidence) -> list[tuple[Scorecard, list[ScoreEntry]]]:
    """The cards the evidence is attached to, each with its entries that carry it, oldest month first."""
    entries = (
        ScoreEntry.objects.filter(evidence=evidence)
        .select_related("scorecard__unit", "criterion")
        .order_by("scorecard__month", "scorecard__unit__name", "group__order", "criterion__order", "id")
    )
    cards: dict[int, tuple[Scorecard, list[ScoreEntry]]] = {}
    for entry in entries:
        cards.setdefault(entry.scorecard_id, (entry.scorecard, []))[1].append(entry)
    return list(cards.values())


def _describe(card: Scorecard, entries: list[ScoreEntry], *, with_state: bool) -> str:
    keys = ", ".join(entry.adhoc_title if entry.is_adhoc else entry.key for entry in entries)
    state = f" {card.get_state_display().lower()}" if with_state else ""
    return f"phiếu KPI tháng {card.month_label} của {card.unit.name}{state} (tiêu chí {keys})"


def refuse_removal(evidence) -> str | None:
    sent = [(card, entries) for card, entries in _attachments(evidence) if card.state != State.DRAFT]
    if not sent:
        return None
    approved = any(card.state == State.APPROVED for card, _ in sent)
    return (
        "Minh chứng đang gắn với "
        + "; ".join(_describe(card, entries, with_state=True) for card, entries in sent)
        + ". Chỉ xóa được sau khi phiếu được trả lại"
        + (" (phiếu đã phê duyệt: sau khi lãnh đạo mở lại rồi trả lại)." if approved else ".")
    )


def uses(evidence) -> list[str]:
    lines = []
    for card, entries in _attachments(evidence):
        text = _describe(card, entries, with_state=False)
        lines.append(f"{text[0].upper()}{text[1:]} — {card.get_state_display()}")
    return lines


def detach_and_record(evidence, by):
    """After the soft delete: a draft card no longer counts the file as its evidence (it could be sent on a
    hidden file otherwise), and each card's Nhật ký says the file went. The guard let only drafts through."""
    for card, entries in _attachments(evidence):
        ScoreEntry.evidence.through.objects.filter(
            evidence=evidence, scoreentry__in=[entry.pk for entry in entries]
        ).delete()
        audit_record(
            action=AuditEntry.Action.EVIDENCE_REMOVE, by=by, obj=card, unit=card.unit,
            summary=f"Gỡ minh chứng “{evidence.label}” khỏi {_describe(card, entries, with_state=False)}: "
            "minh chứng đã bị xóa.",
            file_name=evidence.original_name, file_sha256=evidence.sha256,
            details={"evidence_id": evidence.pk, "entries": [entry.pk for entry in entries]},
        )  # fmt: skip


def register():
    from tasks import services

    for registry, rule in (
        (services.EVIDENCE_REMOVAL_GUARDS, refuse_removal),
        (services.EVIDENCE_USES, uses),
        (services.EVIDENCE_REMOVED_HOOKS, detach_and_record),
    ):
        if rule not in registry:  # ready() may run more than once (tests, reloads)
            registry.append(rule)

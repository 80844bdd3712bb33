"""What a backup must bring back, read the same way from the original and from the restored system: the
month's `kpi_summary --json`, every card's history as its page lists it, the Nhật ký, and every evidence file's
bytes. Imported by tests/test_backup.py in the test process and run in the restored system's own process."""

from __future__ import annotations

import hashlib
import io
import json

from django.core.management import call_command


def snapshot(month: str = "2026-03") -> dict:
    from kpi.models import Scorecard
    from kpi.selectors import card_history
    from plans.models import AuditEntry
    from tasks.models import Evidence

    summary = io.StringIO()
    call_command("kpi_summary", "--month", month, "--json", stdout=summary)
    histories = {
        f"{card.unit.code} {card.month:%Y-%m}": [
            [
                event.at.isoformat(),
                str(event.who or ""),
                event.title,
                [list(c) for c in event.changes],
                event.reason,
            ]
            for event in card_history(card)
        ]
        for card in Scorecard.objects.select_related("unit").order_by("unit__code", "month")
    }
    audit = [
        [e.at.isoformat(), e.action, str(e.by or ""), e.object_repr, e.summary, e.file_sha256]
        for e in AuditEntry.objects.order_by("id")
    ]
    files = {}
    for evidence in Evidence.objects.exclude(file="").order_by("token"):
        with evidence.file.open("rb") as handle:
            files[evidence.file.name] = [evidence.sha256, hashlib.sha256(handle.read()).hexdigest()]
    return {"summary": json.loads(summary.getvalue()), "histories": histories, "audit": audit, "files": files}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(snapshot(), ensure_ascii=False))

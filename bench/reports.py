"""Benchmark the reports (issues "Reports" and 17): one scorecard PDF against WeasyPrint alone on the same
HTML, a 60-unit ward bundle (reports.bundle) against WeasyPrint alone on the same 61 documents, and a city-size
Excel month (126 wards × 60 units) from generated data, with peak memory.

    .venv/bin/python bench/reports.py            # SQLite, fresh temporary database
    DATABASE_URL=postgres://… .venv/bin/python bench/reports.py

Generated data is deterministic (random.Random(7)) and written with bulk inserts; not a test.
"""

import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if "DATABASE_URL" not in os.environ:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402

from kpi.models import Criterion, Rubric, Scorecard, ScoreEntry  # noqa: E402
from kpi.scoring import Result  # noqa: E402
from kpi.seed import load_seed_data  # noqa: E402
from plans.models import OrgUnit  # noqa: E402
from plans.text import normalize_name  # noqa: E402
from reports.documents import scorecard_document  # noqa: E402
from reports.exports import REGISTRY, pdf_context  # noqa: E402
from reports.pdf import html_to_pdf  # noqa: E402

MONTH = date(2026, 3, 1)
RESULTS = [Result.DONE] * 6 + [Result.LATE, Result.PARTIAL, Result.NOT_DONE, Result.NOT_APPLICABLE]


def generate(wards: int, units_per_ward: int, rubric: Rubric, rng: random.Random, first: int = 0):
    city = OrgUnit.objects.get(code="HN")
    criteria = list(Criterion.objects.filter(group__rubric=rubric).select_related("group"))
    created = []
    for w in range(first, first + wards):
        ward = OrgUnit(kind=OrgUnit.Kind.WARD, code=f"GW{w:03d}", name=f"Phường Thử {w:03d}", parent=city)
        ward.save()
        units = [
            OrgUnit(kind=OrgUnit.Kind.SCHOOL if u % 3 == 0 else OrgUnit.Kind.DEPARTMENT, code=f"GW{w:03d}-U{u:02d}",
                    name=f"Đơn vị {u:02d} phường {w:03d}", parent=ward, ward=ward, path=f"{ward.path}/GW{w:03d}-U{u:02d}",
                    name_key=normalize_name(f"Đơn vị {u:02d} phường {w:03d}"))
            for u in range(units_per_ward)
        ]  # fmt: skip
        created += OrgUnit.objects.bulk_create(units)
    rubric.units.add(*created)
    states = [
        Scorecard.State.APPROVED,
        Scorecard.State.REVIEWED,
        Scorecard.State.SUBMITTED,
        Scorecard.State.DRAFT,
    ]
    picks = [(rng.choice(states), rng.random() > 0.2) for _ in created]
    # Nothing can be added to an approved card (kpi 0007): approved cards are written "reviewed" and approved
    # once their entries are in.
    cards = Scorecard.objects.bulk_create(
        [Scorecard(unit=u, rubric=rubric, plan_id=rubric.plan_id, month=MONTH,
                   state=Scorecard.State.REVIEWED if state == Scorecard.State.APPROVED else state,
                   submitted_on_time=on_time)
         for u, (state, on_time) in zip(created, picks, strict=True)], batch_size=2000,
    )  # fmt: skip
    entries = []
    for card in cards:
        for c in criteria:
            result = rng.choice(RESULTS)
            ratio = Decimal(rng.randint(1, 9)) / 10 if result == Result.PARTIAL else None
            reason = "Trong tháng không phát sinh nhiệm vụ này." if result == Result.NOT_APPLICABLE else ""
            entries.append(ScoreEntry(scorecard=card, criterion=c, group=c.group, result=result, ratio=ratio,
                                      na_reason=reason, na_accepted=bool(reason)))  # fmt: skip
        if len(entries) > 20000:
            ScoreEntry.objects.bulk_create(entries, batch_size=5000)
            entries = []
    ScoreEntry.objects.bulk_create(entries, batch_size=5000)
    # Approved cards carry their snapshot, as approval would have left it (the first ward's; the others are
    # only counted by the city workbook).
    from kpi.selectors import scorecard_score

    first_ward = {unit.pk for unit in created[:units_per_ward]}
    approved = [
        card for card, (state, _) in zip(cards, picks, strict=True) if state == Scorecard.State.APPROVED
    ]
    for card in approved:
        if card.unit_id in first_ward:
            score = scorecard_score(card)
            Scorecard.objects.filter(pk=card.pk).update(
                state=Scorecard.State.APPROVED, approved_total=score.total, approved_rank=score.rank or ""
            )
    Scorecard.objects.filter(pk__in=[card.pk for card in approved if card.unit_id not in first_ward]).update(
        state=Scorecard.State.APPROVED
    )
    return created


def measure(label, func, repeat=1, memory=True):
    """Time without tracing (tracemalloc slows Python several times), then one traced run for peak memory."""
    start = time.perf_counter()
    for _ in range(repeat):
        result = func()
    elapsed = (time.perf_counter() - start) / repeat
    peak = ""
    if memory:
        tracemalloc.start()
        func()
        peak = f"   peak Python memory {tracemalloc.get_traced_memory()[1] / 2**20:7.1f} MiB"
        tracemalloc.stop()
    # The machine is shared: the load average beside each figure says how much of it this run had.
    print(f"{label:<58} {elapsed:8.2f} s{peak}   load {os.getloadavg()[0]:.1f}")
    return result


def bench_bundle(ward):
    """The ward's bundle (summary + 60 scorecards) against WeasyPrint alone on the very same 61 HTML
    documents, one after the other in this process; then the bundle itself, with one worker and with the
    default pool, end to end (data, HTML, PDF, ZIP)."""
    from reports.bundle import bundle_documents, default_workers, ward_bundle

    start = time.perf_counter()
    documents = bundle_documents(ward, MONTH)
    print(
        f"{'bundle: data + HTML of ' + str(len(documents)) + ' documents':<58} {time.perf_counter() - start:8.2f} s"
    )
    htmls = [html for _, html in documents]
    workers = default_workers()
    data = measure(f"ward bundle ZIP, {workers} workers (data + HTML + PDF + ZIP)",
                   lambda: ward_bundle(ward, MONTH, workers=workers), memory=False)  # fmt: skip
    measure("ward bundle ZIP, 1 worker (data + HTML + PDF + ZIP)", lambda: ward_bundle(ward, MONTH, workers=1),
            memory=False)  # fmt: skip
    measure(f"WeasyPrint alone, the same {len(htmls)} HTML documents, serial", lambda: [html_to_pdf(h) for h in htmls],
            memory=False)  # fmt: skip
    print(f"bundle ZIP {len(data) / 2**20:.1f} MiB, {len(documents)} PDFs")


def main():
    call_command("migrate", verbosity=0)
    load_seed_data()
    rubric = Rubric.objects.get(plan__number="29-KH/ĐU")
    rng = random.Random(7)
    start = time.perf_counter()
    generate(1, 60, rubric, rng)
    print(
        f"generated 1 ward × 60 units in {time.perf_counter() - start:.1f} s ({os.environ['DATABASE_URL'].split(':')[0]})"
    )

    card = Scorecard.objects.filter(unit__code="GW000-U01").select_related("unit", "rubric__plan").get()
    doc = scorecard_document(card)
    html = render_to_string("reports/scorecard.html", pdf_context(doc, draft=doc.is_draft))
    measure("one scorecard PDF, WeasyPrint alone on the same HTML", lambda: html_to_pdf(html), repeat=5)
    measure("one scorecard PDF, whole export (data + HTML + PDF)",
            lambda: REGISTRY["scorecard_pdf"]().render({"scorecard": card}), repeat=5)  # fmt: skip

    ward = OrgUnit.objects.get(code="GW000")
    # The ward summary of a synthetic ward: its units belong to the 29-KH/ĐU rubric of phường Long Biên, so
    # the summary is taken over that rubric's units in this ward.
    from reports import documents

    original = documents.latest_rubrics
    documents.latest_rubrics = lambda ward=None: [rubric]
    try:
        bench_bundle(ward)
    finally:
        documents.latest_rubrics = original

    start = time.perf_counter()
    generate(125, 60, rubric, rng, first=1)
    print(f"generated 125 more wards × 60 units in {time.perf_counter() - start:.1f} s: "
          f"{Scorecard.objects.count()} cards, {ScoreEntry.objects.count()} entries")  # fmt: skip
    city = OrgUnit.objects.get(code="HN")
    _, _, data = measure("city-size Excel month (126 × 60 units, write-only)",
                         lambda: REGISTRY["city_month_xlsx"]().render({"city": city, "month": MONTH}))  # fmt: skip
    print(
        f"city workbook {len(data) / 2**20:.1f} MiB; process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()

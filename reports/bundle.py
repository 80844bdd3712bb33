"""A ward's month as one ZIP: every unit's scorecard PDF and the ward summary PDF.

Called by the export_ward_bundle command and by the reminders' bundle job (a plain function: no request, no
user; the caller checks access). Layout and font subsetting are WeasyPrint's and take about half a second a
scorecard, nearly all of it CPU, so the documents are rendered by a pool of worker processes, one per core:
the data and the HTML are built here (they need the database, a few milliseconds each), and the workers
turn HTML into PDF with nothing but WeasyPrint and the fonts. Measured in bench/reports.py and
docs/performance.md, beside WeasyPrint alone on the same HTML.

The workers are started with "forkserver", not "fork": a forked child would share this process's database
socket, and closing it there would end the parent's connection (or a test's transaction).
"""

from __future__ import annotations

import os
import zipfile
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from io import BytesIO
from multiprocessing import get_context

from django.template.loader import render_to_string

from kpi.models import Scorecard
from plans.models import OrgUnit
from reports.documents import Issuer, scorecard_document, ward_summary
from reports.exports import _slug, pdf_context
from reports.pdf import render_many


def bundle_documents(ward: OrgUnit, month: date, issuer: Issuer | None = None) -> list[tuple[str, str]]:
    """(file name, HTML) of every document of the bundle: the ward summary first, then one scorecard per
    unit that has a card, in the summary's order."""
    summary = ward_summary(ward, month, issuer)
    documents = [
        (f"tong-hop-kpi-{month:%Y-%m}-{_slug(ward.code)}.pdf",
         render_to_string("reports/ward_summary.html", pdf_context(summary))),
    ]  # fmt: skip
    plans = [rubric.plan_id for rubric, *_ in summary.blocks]
    units = [line.unit for _, lines, _, _ in summary.blocks for line in lines]
    cards = {
        card.unit_id: card
        for card in Scorecard.objects.filter(month=month, rubric__plan_id__in=plans, unit__in=units)
        .select_related("unit")
        .order_by("rubric__version")  # the newest version wins, as in the summary
    }
    for unit in units:
        card = cards.pop(unit.pk, None)
        if card is None:
            continue
        doc = scorecard_document(card, issuer)
        html = render_to_string("reports/scorecard.html", pdf_context(doc, draft=doc.is_draft))
        documents.append((f"phieu-kpi/phieu-kpi-{month:%Y-%m}-{_slug(unit.code)}.pdf", html))
    return documents


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 4))


def render_documents(htmls: list[str], workers: int | None = None) -> list[bytes]:
    """PDF of each HTML, in order. One worker renders in this process; more share the list in chunks of
    about equal size (interleaved, since scorecards of a month are about the same length)."""
    workers = workers or default_workers()
    if workers <= 1 or len(htmls) <= 1:
        return render_many(htmls)
    workers = min(workers, len(htmls))
    shares = [htmls[index::workers] for index in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver")) as pool:
        results = list(pool.map(render_many, shares))
    pdfs: list[bytes] = [b""] * len(htmls)
    for index, result in enumerate(results):
        pdfs[index::workers] = result
    return pdfs


def ward_bundle(
    ward: OrgUnit, month: date, *, issuer: Issuer | None = None, workers: int | None = None
) -> bytes:
    """The ZIP of the ward's month, as bytes."""
    buffer = BytesIO()
    write_ward_bundle(ward, month, buffer, issuer=issuer, workers=workers)
    return buffer.getvalue()


def write_ward_bundle(ward: OrgUnit, month: date, target, *, issuer: Issuer | None = None,
                      workers: int | None = None) -> int:  # fmt: skip
    """Write the ZIP to a path or a binary file; returns the number of documents in it."""
    documents = bundle_documents(ward, month, issuer)
    pdfs = render_documents([html for _, html in documents], workers)
    # PDFs are compressed inside already (streams and fonts): stored, not deflated again.
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for (name, _), pdf in zip(documents, pdfs, strict=True):
            archive.writestr(zipfile.ZipInfo(name, date_time=(month.year, month.month, 1, 0, 0, 0)), pdf)
    return len(documents)

"""Phòng VH-XH's and the leaders' pages: the review queue, the review page, approval and reopening, a card's
full history, and the live score preview that both the self-assessment and the review forms call."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kpi.access import CARD_ACTIONS, card_actions, get_scorecard_or_404, visible_scorecards
from kpi.entry_forms import form_id, form_version, preview, read_inputs
from kpi.models import LockedError, Scorecard
from kpi.months import MonthError, parse_month, previous_month
from kpi.scoring import Rank, Result, ScoringError, round2
from kpi.selectors import card_history, claimed_entries, ordered_entries, review_queue, score_entries
from kpi.services import (
    EntryInput,
    WorkflowError,
    scorecard_approve,
    scorecard_reopen,
    scorecard_return,
    scorecard_review,
    scorecard_update_entries,
)
from plans.access import EVERYONE, LEADERS, REVIEWERS, UNIT_STAFF, WARD_READERS, has_role, role_required
from plans.audit import audit_entries_for
from plans.formatting import vn_decimal

State = Scorecard.State


def month_from(request):
    """The month asked for (?month=2026-03); last month by default, since this month's cards are still being
    written. A bad one is a 404, not a guess. (The dashboards use it too.)"""
    text = request.GET.get("month")
    if not text:
        return previous_month(timezone.localdate().replace(day=1))
    try:
        return parse_month(text)
    except MonthError as exc:
        raise Http404 from exc


@role_required(*WARD_READERS)
def queue(request):
    """Cards of the month by state and unit, late ones marked; leaders approve reviewed ones from here."""
    month = month_from(request)
    state = request.GET.get("state", "")
    if state and state not in State.values and state != "missing":
        raise Http404
    rows = review_queue(request.user, month, today=timezone.localdate())
    counts = {value: 0 for value in [*State.values, "missing"]}
    for row in rows:
        counts[row.state] += 1
    shown = [row for row in rows if not state or row.state == state]
    page = Paginator(shown, 100).get_page(request.GET.get("page"))
    wards = sorted({row.unit.ward for row in rows if row.unit.ward_id}, key=lambda w: w.path)
    return TemplateResponse(
        request,
        "kpi/queue.html",
        {
            "month": month, "previous": previous_month(month), "state": state, "page": page,
            "counts": [(value, label, counts[value]) for value, label in [*State.choices, ("missing", "Chưa có phiếu")]],
            "total": len(rows), "wards": wards, "can_approve": has_role(request.user, *CARD_ACTIONS["approve"].roles),
        },
    )  # fmt: skip


@role_required(*REVIEWERS)
def review(request, pk: int):
    """Phòng VH-XH's review: the unit's claim beside the reviewed points, a reason wherever they differ."""
    card = get_scorecard_or_404(request.user, pk)
    if "review" not in card_actions(request.user, card):
        messages.info(request, f"Phiếu đang “{card.get_state_display()}”: không thẩm định được.")
        return redirect("scorecard", pk=card.pk)
    entries = ordered_entries(card, with_evidence=True)
    posted = request.POST if request.method == "POST" else None
    if posted is not None:
        inputs, problems = read_inputs(entries, posted, review=True)
        version = form_version(posted)
        try:
            if version is None:
                problems.append("Phiếu gửi lên thiếu số phiên bản: hãy tải lại trang.")
            if problems:
                raise WorkflowError(" ".join(problems))
            card = scorecard_update_entries(
                scorecard=card, by=request.user, entries=inputs, review=True, version=version
            )
            if "done" in posted:
                scorecard_review(scorecard=card, by=request.user, reason=posted.get("note", ""))
                return _after_review(request, card)
            messages.success(request, "Đã lưu điểm thẩm định.")
            return redirect("review", pk=card.pk)
        except (WorkflowError, LockedError) as exc:
            messages.error(request, str(exc))  # nothing was written: the form keeps what was typed
    score = score_entries(card.rubric, entries)
    items = {item.key: item for item in score.items}
    claimed = claimed_entries(card)
    groups = []
    for group in card.rubric.groups.order_by("order"):
        rows = []
        for entry in (e for e in entries if e.group_id == group.pk):

            def value(name, default, pk=entry.pk):
                return posted.get(f"{name}-{pk}", default) if posted else default

            rows.append({
                "entry": entry, "item": items[str(entry.pk)], "claimed": claimed.get(entry.pk),
                "result": value("result", entry.result),
                "ratio": value("ratio", f"{entry.ratio * 100:.0f}" if entry.ratio is not None else ""),
                "points": value("points", vn_decimal(entry.reviewed_points) if entry.reviewed_points is not None else ""),
                "reason": value("reason", entry.review_reason),
                "na_ok": (f"na-ok-{entry.pk}" in posted) if posted else entry.na_accepted,
                "evidence": [ev for ev in entry.evidence.all() if ev.deleted_at is None],
            })  # fmt: skip
        groups.append((group, rows))
    return TemplateResponse(
        request,
        "kpi/review.html",
        {
            "card": card, "groups": groups, "score": score, "results": Result.choices,
            "rank": Rank(score.rank).label if score.rank else score.rank_label,
        },
    )  # fmt: skip


def _after_review(request, card):
    """On to the next card of the month still waiting for review (the reviewer works through a list), or
    back to the month's queue when none is left."""
    waiting = [
        row.card
        for row in review_queue(request.user, card.month, today=timezone.localdate())
        if row.state == State.SUBMITTED and row.card.pk != card.pk
    ]
    done = f"Đã thẩm định phiếu của {card.unit.name}."
    if waiting:
        messages.success(request, f"{done} Phiếu tiếp theo chờ thẩm định: {waiting[0].unit.name}.")
        return redirect("review", pk=waiting[0].pk)
    messages.success(request, f"{done} Không còn phiếu nào chờ thẩm định trong tháng {card.month:%m/%Y}.")
    return redirect(reverse("review_queue") + f"?month={card.month:%Y-%m}")


# The buttons of a card's page: action (a row of kpi.access.CARD_ACTIONS) -> (service, needs a reason, message).
BUTTONS = {
    "return": (scorecard_return, True, "Đã trả lại phiếu cho đơn vị."),
    "approve": (scorecard_approve, False, "Đã phê duyệt phiếu."),
    "reopen": (scorecard_reopen, True, "Đã mở lại phiếu."),
    "review": (scorecard_review, False, "Đã thẩm định phiếu."),
}
# The URL keeps its older word for the review confirmation.
URL_ACTIONS = {"return": "return", "approve": "approve", "reopen": "reopen", "reviewed": "review"}


@role_required(*WARD_READERS)
@require_POST
def card_action(request, pk: int, action: str):
    """Return (with a reason), approve, reopen (with a reason) one card; who may is CARD_ACTIONS' answer."""
    if action not in URL_ACTIONS:
        raise Http404
    action = URL_ACTIONS[action]
    card = get_scorecard_or_404(request.user, pk)
    if not has_role(request.user, *CARD_ACTIONS[action].roles):
        raise PermissionDenied
    service, needs_reason, done = BUTTONS[action]
    kwargs = {"reason": request.POST.get("reason", "")} if needs_reason else {}
    if "\x00" in kwargs.get("reason", ""):
        messages.error(request, "Lý do có ký tự không hợp lệ.")
        return redirect("scorecard", pk=card.pk)
    try:
        service(scorecard=card, by=request.user, **kwargs)
    except (WorkflowError, LockedError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("scorecard", pk=card.pk)


@role_required(*LEADERS)
@require_POST
def approve_many(request):
    """Approve every reviewed card ticked in the queue; each is approved on its own, so one refusal (say,
    a card returned meanwhile) does not hold back the others, and each refusal is named."""
    ids = [pk for pk in map(form_id, request.POST.getlist("card")) if pk is not None]
    cards = visible_scorecards(request.user).filter(pk__in=ids).select_related("unit").order_by("unit__path")
    approved = 0
    for card in cards:
        try:
            scorecard_approve(scorecard=card, by=request.user)
            approved += 1
        except WorkflowError as exc:
            messages.error(request, f"{card.unit.name}: {exc}")
    if approved:
        messages.success(request, f"Đã phê duyệt {approved} phiếu.")
    elif not ids:
        messages.error(request, "Chưa chọn phiếu nào để phê duyệt.")
    # Back to the queue page the leader was on; only a path on this site, never an address given from outside.
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("review_queue")
    return redirect(back)


@role_required(*EVERYONE)
def history(request, pk: int):
    card = get_scorecard_or_404(request.user, pk)
    return TemplateResponse(
        request,
        "kpi/history.html",
        {"card": card, "events": card_history(card), "audit": audit_entries_for(card)},
    )


@role_required(*EVERYONE)
@require_POST
def score_preview(request, pk: int):
    """The engine's total for what is typed, before it is saved (the forms call it as the user types)."""
    card = get_scorecard_or_404(request.user, pk)
    actions = card_actions(request.user, card)
    reviewing = "review" in actions
    if not ({"save", "review"} & actions):
        raise PermissionDenied
    entries = ordered_entries(card)
    inputs, problems = read_inputs(entries, request.POST, review=reviewing)
    if problems:
        return JsonResponse({"error": " ".join(problems)})
    try:
        result = preview(card, entries, inputs, review=reviewing)
    except ScoringError as exc:
        return JsonResponse({"error": str(exc)})
    return JsonResponse(
        {
            "total": vn_decimal(result.total) if result.total is not None else "—",
            "rank": Rank(result.rank).label if result.rank else result.rank_label,
            # Beside "còn N tiêu chí chưa chấm" the rank says nothing new until every criterion is chosen.
            "rank_note": ""
            if result.unassessed
            else (Rank(result.rank).label if result.rank else result.rank_label),
            "applicable": vn_decimal(result.applicable),
            "items": {
                item.key: vn_decimal(round2(item.achieved)) if item.applicable else "—"
                for item in result.items
            },
        }
    )


@role_required(*UNIT_STAFF)
@require_POST
def evidence_for_card(request, pk: int):
    """Upload evidence from the self-assessment page: stored for the unit (all files or none, checked by
    content) and, if a criterion is chosen, attached to it at once."""
    from tasks.forms import EvidenceForm
    from tasks.services import TaskError, evidence_add_link, evidence_upload

    card = get_scorecard_or_404(request.user, pk)
    if "attach_evidence" not in card_actions(request.user, card):
        raise PermissionDenied
    form = EvidenceForm(request.POST, request.FILES, prefix="e")
    back = redirect("scorecard", pk=card.pk)
    if request.headers.get("X-Requested-With") == "fetch":
        return _evidence_in_background(request, card, form)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Minh chứng chưa được lưu: {error}")
        return back
    data = form.cleaned_data
    meta = {"doc_number": data["doc_number"], "doc_date": data["doc_date"], "summary": data["summary"]}
    entry = (
        card.entries.select_related("criterion").filter(pk=form_id(request.POST.get("entry")) or 0).first()
    )
    try:
        stored = evidence_upload(unit=card.unit, by=request.user, files=data["files"], **meta)
        if data["url"]:
            stored.append(evidence_add_link(unit=card.unit, by=request.user, url=data["url"], **meta))
        if entry is not None and entry.criterion_id and stored:
            attached = [ev.pk for ev in entry.evidence.all()] + [ev.pk for ev in stored]
            scorecard_update_entries(
                scorecard=card, by=request.user, version=card.version,
                entries={entry.criterion.code: EntryInput(entry.result, ratio=entry.ratio, evidence_ids=attached)},
            )  # fmt: skip
    except (TaskError, WorkflowError, LockedError) as exc:
        messages.error(request, str(exc))
        return back
    where = f" và gắn vào tiêu chí {entry.key}" if entry is not None and entry.criterion_id else ""
    messages.success(request, f"Đã lưu {len(stored)} minh chứng{where}.")
    if entry is not None:
        return redirect(reverse("scorecard", args=[card.pk]) + f"#tieu-chi-{entry.pk}")
    return back


def _evidence_in_background(request, card, form):
    """The self-assessment page's upload under a criterion, sent by its script while the officer goes on
    typing: the files are stored for the unit and described back; the page ticks them under the criterion and
    its autosave attaches them. Attaching here would change the card's version under the open form, and the
    form's next save would then be refused as someone else's."""
    from django.template.loader import render_to_string

    from tasks.services import TaskError, evidence_upload

    if not form.is_valid():
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return JsonResponse({"error": "Minh chứng chưa được lưu: " + " ".join(errors)})
    entry = (
        card.entries.filter(pk=form_id(request.POST.get("entry")) or 0).values_list("pk", flat=True).first()
    )
    if entry is None:
        return JsonResponse({"error": "Không rõ tiêu chí để gắn minh chứng: hãy tải lại trang."})
    data = form.cleaned_data
    try:
        stored = evidence_upload(
            unit=card.unit, by=request.user, files=data["files"], doc_number=data["doc_number"],
            doc_date=data["doc_date"], summary=data["summary"],
        )  # fmt: skip
    except TaskError as exc:
        return JsonResponse({"error": str(exc)})
    return JsonResponse(
        {
            "message": f"Đã tải lên {len(stored)} minh chứng.",
            "evidence": [
                {
                    "id": ev.pk,
                    "html": render_to_string(
                        "kpi/_evidence_choice.html", {"ev": ev, "entry_pk": entry, "checked": True}
                    ),
                }
                for ev in stored
            ],
        }
    )

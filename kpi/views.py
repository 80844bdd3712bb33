from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kpi.access import card_actions, get_scorecard_or_404
from kpi.models import Scorecard
from kpi.months import previous_month
from kpi.services import months_offered, scorecard_get_or_create, submission_deadline, submission_opens
from plans.access import EVERYONE, UNIT_STAFF, profile_of, role_required
from tasks.selectors import BUCKETS, my_work


@role_required(*EVERYONE)
def home(request):
    """Việc của tôi: the tasks of the user's unit by urgency, and the unit's KPI cards to send."""
    profile = profile_of(request.user)
    today = timezone.localdate()
    if profile is None:
        return TemplateResponse(request, "kpi/home.html", {"profile": None})
    unit = profile.unit
    buckets = my_work(unit, today)
    months = [previous_month(today.replace(day=1)), today.replace(day=1)]
    cards = []
    for rubric in unit.rubrics.select_related("plan").order_by("plan_id", "-version"):
        if any(r.plan_id == rubric.plan_id for r, _, _ in cards):
            continue  # the newest version of each plan's rubric
        offered = months_offered(rubric, today)
        for month in (m for m in months if m in offered):
            card = Scorecard.objects.filter(unit=unit, month=month, rubric__plan=rubric.plan).first()
            cards.append((rubric, month, card))
    return TemplateResponse(
        request,
        "kpi/home.html",
        {
            "profile": profile, "unit": unit, "today": today,
            "buckets": [(key, label, buckets[key]) for key, label in BUCKETS],
            "cards": [(r, m, c, submission_deadline(r, m)) for r, m, c in cards],
        },
    )  # fmt: skip


def _month_for_unit(profile, month: str):
    """The newest rubric of the unit and the month asked for, or 404: a month that is not a month, before the
    rubric's first month or still in the future is never offered (and never gets a card)."""
    from kpi.months import MonthError, parse_month

    try:
        first_day = parse_month(month)
    except MonthError as exc:
        raise Http404 from exc
    rubric = profile.unit.rubrics.select_related("plan").order_by("-version").first() if profile else None
    if rubric is None or first_day not in months_offered(rubric, timezone.localdate()):
        raise Http404
    return rubric, first_day


@role_required(*UNIT_STAFF)
def self_assessment_month(request, month: str):
    """Tự chấm tháng MM/YYYY of the user's unit. Opening it never makes a card: the unit's existing card is
    shown, or a page to start one, and the card is made by that POST."""
    profile = profile_of(request.user)
    rubric, first_day = _month_for_unit(profile, month)
    card = Scorecard.objects.filter(unit=profile.unit, plan_id=rubric.plan_id, month=first_day).first()
    if card is None and request.method == "POST":
        card = scorecard_get_or_create(unit=profile.unit, rubric=rubric, month=first_day)
        messages.success(request, f"Đã lập phiếu tháng {first_day:%m/%Y}: chọn kết quả cho từng tiêu chí.")
    if card is not None:
        return redirect("scorecard", pk=card.pk)
    return TemplateResponse(
        request,
        "kpi/start.html",
        {
            "unit": profile.unit, "rubric": rubric, "month": first_day,
            "deadline": submission_deadline(rubric, first_day), "opens": submission_opens(rubric, first_day),
            "criteria": rubric.groups.order_by("order").prefetch_related("criteria"),
        },
    )  # fmt: skip


@role_required(*EVERYONE)
def scorecard_page(request, pk: int):
    from kpi.entry_forms import form_version, read_inputs
    from kpi.models import LockedError
    from kpi.scoring import Rank, Result
    from kpi.selectors import criterion_work, ordered_entries, score_entries
    from kpi.services import WorkflowError, scorecard_submit, scorecard_update_entries
    from tasks.forms import EvidenceForm

    card = get_scorecard_or_404(request.user, pk)
    actions = card_actions(request.user, card)
    editable = "save" in actions
    entries = ordered_entries(card, with_evidence=True)
    posted = request.POST if request.method == "POST" and editable else None
    if posted is not None:
        inputs, problems = read_inputs(entries, posted, review=False)
        version = form_version(posted)
        try:
            if version is None:
                problems.append("Phiếu gửi lên thiếu số phiên bản: hãy tải lại trang.")
            if problems:
                raise WorkflowError(" ".join(problems))
            with transaction.atomic():  # a refused submit keeps nothing of its save: the page keeps it
                card = scorecard_update_entries(
                    scorecard=card, by=request.user, entries=inputs, version=version
                )
                if "submit" in posted:
                    scorecard_submit(scorecard=card, by=request.user)
            if "submit" in posted:
                messages.success(request, f"Đã nộp phiếu tháng {card.month:%m/%Y}.")
            else:
                messages.success(request, "Đã lưu nháp.")
            return redirect("scorecard", pk=card.pk)
        except (WorkflowError, LockedError) as exc:
            messages.error(request, str(exc))  # nothing was written: the form keeps what was typed
            card.refresh_from_db()
    score = score_entries(card.rubric, entries)
    work = criterion_work(card.rubric, card.unit, card.month)
    own_evidence = list(card.unit.evidence.filter(deleted_at__isnull=True).order_by("-uploaded_at")[:200])
    attached = {e.pk: {ev.pk for ev in e.evidence.all()} for e in entries}
    items = {item.key: item for item in score.items}
    groups = []
    for group in card.rubric.groups.order_by("order"):
        rows = []
        for entry in (e for e in entries if e.group_id == group.pk):

            def value(name, default, pk=entry.pk):
                # After a refused save the form shows what was typed, not what is stored.
                return posted.get(f"{name}-{pk}", default) if posted else default

            rows.append({
                "entry": entry, "item": items[str(entry.pk)],
                "result": value("result", entry.result),
                "ratio": value("ratio", f"{entry.ratio * 100:.0f}" if entry.ratio is not None else ""),
                "comment": value("comment", entry.comment), "note": value("note", entry.evidence_note),
                "na_reason": value("na", entry.na_reason),
                "attached": {int(v) for v in posted.getlist(f"ev-{entry.pk}") if v.isdecimal() and v.isascii()}
                if posted else attached[entry.pk],
                "work": work.get(entry.criterion_id, []) if entry.criterion_id else [],
            })  # fmt: skip
        groups.append((group, rows))
    newest = card.plan.rubrics.order_by("-version").first()
    return TemplateResponse(
        request,
        "kpi/scorecard.html",
        {
            "card": card, "editable": editable, "actions": actions,
            "buttons": actions & {"review", "return", "approve", "reopen"}, "groups": groups, "score": score,
            "evidence": own_evidence, "results": Result.choices,
            "rank": Rank(score.rank).label if score.rank else score.rank_label,
            "deadline": submission_deadline(card.rubric, card.month),
            "opens": submission_opens(card.rubric, card.month),
            "newer_rubric": newest if "move_rubric" in actions and newest.pk != card.rubric_id else None,
            "transitions": card.transitions.select_related("by").order_by("at"),
            "upload_form": EvidenceForm(prefix="e") if "attach_evidence" in actions else None,
        },
    )  # fmt: skip


@role_required(*EVERYONE)
@require_POST
def scorecard_move(request, pk: int):
    """Move a draft to the newest version of its plan's rubric (explicit: a new version never takes over a
    card by itself)."""
    from kpi.entry_forms import form_version
    from kpi.services import WorkflowError, scorecard_move_to_rubric

    card = get_scorecard_or_404(request.user, pk)
    newest = card.plan.rubrics.order_by("-version").first()
    try:
        scorecard_move_to_rubric(
            scorecard=card, by=request.user, rubric=newest, version=form_version(request.POST) or -1
        )
    except WorkflowError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Đã chuyển phiếu sang {newest}.")
    return redirect("scorecard", pk=card.pk)

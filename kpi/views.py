from django.contrib.auth.decorators import login_required
from django.template.response import TemplateResponse
from django.utils import timezone

from kpi.access import card_actions, get_scorecard_or_404
from kpi.models import Scorecard
from kpi.months import previous_month
from kpi.services import submission_deadline
from plans.access import profile_of
from tasks.selectors import BUCKETS, my_work


@login_required
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
        for month in months:
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


@login_required
def self_assessment_month(request, month: str):
    """Tự chấm tháng MM/YYYY of the user's unit: its card for the month, made on first visit."""
    from django.http import Http404
    from django.shortcuts import redirect

    from kpi.months import MonthError, parse_month
    from kpi.services import scorecard_get_or_create

    profile = profile_of(request.user)
    try:
        first_day = parse_month(month)
    except MonthError as exc:
        raise Http404 from exc
    if profile is None:
        raise Http404
    rubric = profile.unit.rubrics.order_by("-version").first()
    if rubric is None:
        raise Http404
    card = Scorecard.objects.filter(unit=profile.unit, month=first_day, rubric__plan=rubric.plan).first()
    card = card or scorecard_get_or_create(unit=profile.unit, rubric=rubric, month=first_day)
    return redirect("scorecard", pk=card.pk)


@login_required
def scorecard_page(request, pk: int):
    from django.contrib import messages
    from django.shortcuts import redirect

    from kpi.entry_forms import read_inputs
    from kpi.models import LockedError
    from kpi.scoring import Rank, Result
    from kpi.selectors import criterion_work, ordered_entries, score_entries
    from kpi.services import WorkflowError, scorecard_submit, scorecard_update_entries
    from tasks.forms import EvidenceForm

    card = get_scorecard_or_404(request.user, pk)
    actions = card_actions(request.user, card)
    editable = "edit" in actions
    entries = ordered_entries(card, with_evidence=True)
    posted = request.POST if request.method == "POST" and editable else None
    if posted is not None:
        inputs, problems = read_inputs(entries, posted, review=False)
        try:
            if problems:
                raise WorkflowError(" ".join(problems))
            version = int(posted.get("version", "0"))
            card = scorecard_update_entries(scorecard=card, by=request.user, entries=inputs, version=version)
            if "submit" in posted:
                scorecard_submit(scorecard=card, by=request.user)
                messages.success(request, f"Đã nộp phiếu tháng {card.month:%m/%Y}.")
            else:
                messages.success(request, "Đã lưu nháp.")
            return redirect("scorecard", pk=card.pk)
        except (WorkflowError, LockedError) as exc:
            messages.error(request, str(exc))  # nothing was written: the form keeps what was typed
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
                "attached": {int(v) for v in posted.getlist(f"ev-{entry.pk}")} if posted else attached[entry.pk],
                "work": work.get(entry.criterion_id, []) if entry.criterion_id else [],
            })  # fmt: skip
        groups.append((group, rows))
    return TemplateResponse(
        request,
        "kpi/scorecard.html",
        {
            "card": card, "editable": editable, "actions": actions, "buttons": actions - {"edit"}, "groups": groups, "score": score, "evidence": own_evidence,
            "results": Result.choices, "rank": Rank(score.rank).label if score.rank else score.rank_label,
            "deadline": submission_deadline(card.rubric, card.month),
            "transitions": card.transitions.select_related("by").order_by("at"),
            "upload_form": EvidenceForm(prefix="e") if editable else None,
        },
    )  # fmt: skip

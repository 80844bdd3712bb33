from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from kpi.access import card_actions, get_scorecard_or_404
from kpi.entry_forms import form_id
from kpi.models import Scorecard
from kpi.months import previous_month
from kpi.services import (
    GAPS,
    SubmissionLine,
    months_offered,
    scorecard_get_or_create,
    submission_deadline,
    submission_gaps,
    submission_opens,
)
from plans.access import EVERYONE, UNIT_STAFF, profile_of, role_required
from tasks.selectors import BUCKETS, my_work

HOME_STATUSES = [
    ("week", "Cần làm tuần này"),  # overdue, or due in the next seven days
    ("this_month", "Đến hạn tháng này"),
    ("soon", "Sắp đến hạn"),
    ("ongoing", "Đang thực hiện"),
    ("done", "Đã hoàn thành"),
]


def task_label(task) -> str:
    """The task's line: the documents often number the content itself ("1.1. Các tồn tại…"), and then the
    code in front would number it twice."""
    import re

    title = task.title
    if re.match(r"^\s*[0-9IVXivx]+(\.[0-9]+)*\.?\s", title):
        return title
    return f"{task.code.rstrip('.')}. {title}"


def plan_label(plan) -> str:
    """A plan as people name it: its number and a short title (a draft has no number yet)."""
    title = plan.title if len(plan.title) <= 70 else plan.title[:67].rsplit(" ", 1)[0] + "…"
    return f"{plan.number or 'Dự thảo'} — {title}"


def _home_tasks(unit, today, request):
    """The unit's tasks in the home page's sections, filtered as asked (plan, status, group, words), each task
    once: a sub-task the unit also has is shown under its appendix row, not as a second item."""
    from datetime import timedelta

    from plans.text import strip_diacritics

    def fold(text):  # a search typed without diacritics still finds the task
        return strip_diacritics(text).lower()

    buckets = my_work(unit, today)
    week_end = today + timedelta(days=7)
    placed = []  # (section, task, role, status)
    for key, _ in BUCKETS:
        for task, role, status in buckets[key]:
            section = key
            if key == "overdue" or (key != "done" and status.due and status.due <= week_end):
                section = "week"
            placed.append((section, task, role, status))
    plans = sorted({t.plan for _, t, _, _ in placed}, key=lambda p: (p.number or "~", p.code))
    groups = sorted({t.group for _, t, _, _ in placed if t.group_id}, key=lambda g: (g.plan_id, g.order))
    chosen = {
        "plan": request.GET.get("plan", ""), "status": request.GET.get("status", ""),
        "group": request.GET.get("group", ""), "q": request.GET.get("q", "").strip(),
    }  # fmt: skip
    words = fold(chosen["q"]).split()
    shown = [
        row
        for row in placed
        if (not chosen["plan"] or str(row[1].plan_id) == chosen["plan"])
        and (not chosen["status"] or row[0] == chosen["status"])
        and (not chosen["group"] or str(row[1].group_id) == chosen["group"])
        and all(w in fold(f"{row[1].code} {row[1].content}") for w in words)
    ]
    ids = {task.pk for _, task, _, _ in shown}
    children: dict[int, list] = {}
    for row in shown:
        if row[1].parent_id in ids:
            children.setdefault(row[1].parent_id, []).append(row)
    sections = []
    for key, label in HOME_STATUSES:
        items = [
            {"task": task, "role": role, "status": status, "label": task_label(task),
             "subtasks": [{"task": c[1], "status": c[3], "label": task_label(c[1])}
                          for c in children.get(task.pk, [])]}
            for section, task, role, status in shown
            if section == key and task.parent_id not in ids
        ]  # fmt: skip
        if items:  # an empty section is not shown at all
            sections.append((key, label, items))
    return {
        "sections": sections, "chosen": chosen, "filtered": any(chosen.values()),
        "plans": [(p.pk, plan_label(p)) for p in plans],
        "groups": [(g.pk, f"{g.code}. {g.title}"[:80]) for g in groups],
        "statuses": HOME_STATUSES, "task_count": len(placed),
    }  # fmt: skip


@role_required(*EVERYONE)
def home(request):
    """Việc của tôi: what needs action this week first (returned cards, cards to send, overdue and near
    tasks), then the unit's other tasks by urgency, filterable; and every month's card with its result."""
    profile = profile_of(request.user)
    today = timezone.localdate()
    if profile is None:
        return TemplateResponse(request, "kpi/home.html", {"profile": None})
    unit = profile.unit
    months = [previous_month(today.replace(day=1)), today.replace(day=1)]
    to_send = []  # this month and last: the cards to start or send
    rubrics = []
    for rubric in unit.rubrics.select_related("plan").order_by("plan_id", "-version"):
        if any(r.plan_id == rubric.plan_id for r in rubrics):
            continue  # the newest version of each plan's rubric
        rubrics.append(rubric)
    history = list(
        Scorecard.objects.filter(unit=unit, plan__in=[r.plan_id for r in rubrics]).order_by("-month")
    )
    by_month = {(c.plan_id, c.month): c for c in history}
    for rubric in rubrics:
        offered = months_offered(rubric, today)
        for month in (m for m in months if m in offered):
            card = by_month.get((rubric.plan_id, month))
            if card is None or card.state == Scorecard.State.DRAFT:
                to_send.append((month, card, submission_deadline(rubric, month)))
    returned = {t.scorecard_id for t in _returned(history)}
    return TemplateResponse(
        request,
        "kpi/home.html",
        {
            "profile": profile, "unit": unit, "today": today, "to_send": to_send,
            "returned": returned, "history": history, **_home_tasks(unit, today, request),
        },
    )  # fmt: skip


def _returned(cards):
    """The last transition of each draft card that went back to the unit (Trả lại, or Mở lại then Trả lại)."""
    from kpi.models import Transition

    drafts = [c.pk for c in cards if c.state == Scorecard.State.DRAFT]
    last = {}
    for t in Transition.objects.filter(scorecard__in=drafts).order_by("at"):
        last[t.scorecard_id] = t
    return [t for t in last.values() if t.from_state != Scorecard.State.DRAFT]


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


# The result choices as the self-assessment page offers them: large buttons, so the words are short; the
# full label stays the button's accessible name. "Chưa chấm" is the starting state, not a choice to make.
SHORT_RESULTS = {
    "done": "Hoàn thành",
    "late": "Chậm",
    "partial": "Một phần",
    "late_partial": "Chậm, một phần",
    "not_done": "Không hoàn thành",
    "not_applicable": "Không áp dụng",
}


def _wants_json(request) -> bool:
    """The page's own scripts (autosave, background upload) ask with this header and get JSON back; a plain
    form post gets the page or a redirect, so everything works without JavaScript."""
    return request.headers.get("X-Requested-With") == "fetch"


def _upload_per_entry(request, card, entries, inputs) -> int:
    """Files chosen under a criterion (`file-<pk>`) are stored for the unit and attached to that criterion by
    the same save: without JavaScript, "Lưu nháp" uploads and keeps everything typed in one step."""
    from tasks.services import evidence_upload

    stored = 0
    for entry in entries:
        files = [f for f in request.FILES.getlist(f"file-{entry.pk}") if f]
        if not files or entry.criterion_id is None or entry.criterion.code not in inputs:
            continue
        new = evidence_upload(unit=card.unit, by=request.user, files=files)
        given = inputs[entry.criterion.code]
        given.evidence_ids = [*given.evidence_ids, *(ev.pk for ev in new)]
        stored += len(new)
    return stored


def _typed_gaps(rows) -> list[tuple[str, str]]:
    """What keeps the card from being sent, from what the page shows (typed or stored), by the services' own
    rule (kpi.services.submission_gaps): the confirmation lists it before anything is posted."""
    return submission_gaps(
        SubmissionLine(
            key=row["entry"].key, result=row["result"], na_reason=row["na_reason"] or "",
            has_ratio=bool(str(row["ratio"]).strip()),
            has_evidence=bool(row["attached_evidence"]) or bool((row["note"] or "").strip()),
            by_rubric=row["entry"].na_by_rubric,
        )
        for row in rows
    )  # fmt: skip


@role_required(*EVERYONE)
def scorecard_page(request, pk: int):
    from django.http import JsonResponse

    from kpi.entry_forms import form_version, preview, read_inputs
    from kpi.models import LockedError
    from kpi.scoring import Rank, Result, ScoringError
    from kpi.selectors import criterion_work, ordered_entries, score_entries
    from kpi.services import WorkflowError, scorecard_submit, scorecard_update_entries
    from plans.formatting import vn_decimal
    from tasks.services import TaskError

    card = get_scorecard_or_404(request.user, pk)
    actions = card_actions(request.user, card)
    editable = "save" in actions
    entries = ordered_entries(card, with_evidence=True)
    posted = request.POST if request.method == "POST" and editable else None
    if request.method == "POST" and not editable and _wants_json(request):
        return JsonResponse({"error": f"Phiếu đang “{card.get_state_display()}”: không sửa được."})
    typed = None  # what was typed, when a save was refused: the page scores and shows that, not the store
    if posted is not None:
        inputs, problems = read_inputs(entries, posted, review=False)
        version = form_version(posted)
        try:
            if version is None:
                problems.append("Phiếu gửi lên thiếu số phiên bản: hãy tải lại trang.")
            if problems:
                raise WorkflowError(" ".join(problems))
            with transaction.atomic():  # a refused submit keeps nothing of its save: the page keeps it
                uploaded = _upload_per_entry(request, card, entries, inputs)
                card = scorecard_update_entries(
                    scorecard=card, by=request.user, entries=inputs, version=version
                )
                if "submit" in posted:
                    scorecard_submit(scorecard=card, by=request.user)
            if _wants_json(request):
                saved_at = timezone.localtime()
                return JsonResponse({"version": card.version, "saved": f"Đã tự lưu lúc {saved_at:%H:%M}"})
            if "submit" in posted:
                messages.success(request, f"Đã nộp phiếu tháng {card.month:%m/%Y}.")
            else:
                messages.success(
                    request, "Đã lưu nháp." + (f" Đã lưu {uploaded} minh chứng." if uploaded else "")
                )
            return redirect("scorecard", pk=card.pk)
        except (WorkflowError, LockedError, TaskError) as exc:
            if _wants_json(request):
                return JsonResponse({"error": str(exc)})
            messages.error(request, str(exc))  # nothing was written: the form keeps what was typed
            card.refresh_from_db()
            if not problems:
                typed = inputs
    score = None
    if typed is not None:
        try:
            score = preview(card, entries, typed, review=False)
        except ScoringError:
            score = None
    if score is None:
        score = score_entries(card.rubric, entries)
    work = criterion_work(card.rubric, card.unit, card.month)
    own_evidence = list(card.unit.evidence.filter(deleted_at__isnull=True).order_by("-uploaded_at")[:200])
    by_pk = {ev.pk: ev for ev in own_evidence}
    items = {item.key: item for item in score.items}
    groups, all_rows = [], []
    for group in card.rubric.groups.order_by("order"):
        rows = []
        for entry in (e for e in entries if e.group_id == group.pk):

            def value(name, default, pk=entry.pk):
                # After a refused save the form shows what was typed, not what is stored.
                return posted.get(f"{name}-{pk}", default) if posted else default

            stored_evidence = [ev for ev in entry.evidence.all() if ev.deleted_at is None]
            if posted:
                chosen = {form_id(v) for v in posted.getlist(f"ev-{entry.pk}")}
                attached = [by_pk[i] for i in chosen if i in by_pk]
            else:
                attached = stored_evidence
            attached_ids = {ev.pk for ev in attached}
            rows.append({
                "entry": entry, "item": items[str(entry.pk)],
                "result": value("result", entry.result),
                "ratio": value("ratio", f"{entry.ratio * 100:.0f}" if entry.ratio is not None else ""),
                "comment": value("comment", entry.comment), "note": value("note", entry.evidence_note),
                "na_reason": value("na", entry.na_reason),
                "attached_evidence": attached,
                "other_evidence": [ev for ev in own_evidence if ev.pk not in attached_ids],
                "work": work.get(entry.criterion_id, []) if entry.criterion_id else [],
            })  # fmt: skip
        groups.append((group, rows))
        all_rows.extend(rows)
    newest = card.plan.rubrics.order_by("-version").first()
    # 7.1 may stay "Chưa chấm": the system proposes it on submission, so it is not counted as left to do.
    gaps = _typed_gaps(all_rows)
    return TemplateResponse(
        request,
        "kpi/scorecard.html",
        {
            "card": card, "editable": editable, "actions": actions,
            "buttons": actions & {"review", "return", "approve", "reopen"}, "groups": groups, "score": score,
            "results": [(v, SHORT_RESULTS[v], label) for v, label in Result.choices if v in SHORT_RESULTS],
            "rank": Rank(score.rank).label if score.rank else score.rank_label,
            "total": vn_decimal(score.total) if score.total is not None else "—",
            "rank_note": "" if score.unassessed else (Rank(score.rank).label if score.rank else score.rank_label),
            "unassessed": sum(1 for _, gap in gaps if gap == "unassessed"),
            "missing": [f"{key}: {GAPS[gap]}" for key, gap in gaps] if editable else [],
            "deadline": submission_deadline(card.rubric, card.month),
            "opens": submission_opens(card.rubric, card.month),
            "newer_rubric": newest if "move_rubric" in actions and newest.pk != card.rubric_id else None,
            "transitions": card.transitions.select_related("by").order_by("at"),
            "can_attach": "attach_evidence" in actions,
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

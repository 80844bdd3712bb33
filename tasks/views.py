from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from tasks.access import acting_unit, get_task_or_404
from tasks.forms import CompletionForm, ProgressForm
from tasks.services import TaskError, task_record_progress
from tasks.status import plan_start, status_at


@login_required
def task_detail(request, pk: int):
    task = get_task_or_404(request.user, pk)
    unit, role = acting_unit(request.user, task)
    progress_form = ProgressForm(prefix="p")
    completion_form = CompletionForm(prefix="c")
    if request.method == "POST" and unit is not None:
        completing = "complete" in request.POST
        form = (
            CompletionForm(request.POST, prefix="c") if completing else ProgressForm(request.POST, prefix="p")
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                task_record_progress(
                    task=task, by=request.user, unit=unit,
                    reported_on=data["completed_on"] if completing else data["reported_on"],
                    percent=100 if completing else data["percent"],
                    note=data["deliverable"] if completing else data["note"],
                )  # fmt: skip
            except TaskError as exc:
                # Shown at the top too: a coordinating unit has no completion form to show it beside.
                form.add_error(None, str(exc))
                messages.error(request, str(exc))
            else:
                messages.success(request, "Đã báo cáo hoàn thành." if completing else "Đã cập nhật tiến độ.")
                return redirect("task", pk=task.pk)
        if completing:
            completion_form = form
        else:
            progress_form = form
    schedule = task.parsed_schedule()
    progress = task.progress.select_related("unit", "created_by").order_by("-reported_on", "-id")
    return TemplateResponse(
        request,
        "tasks/task_detail.html",
        {
            "task": task, "schedule": schedule, "unit": unit, "role": role,
            "status": status_at(schedule, list(progress), timezone.localdate(), since=plan_start(task.plan)),
            "progress": progress, "progress_form": progress_form, "completion_form": completion_form,
            "lead_units": task.lead_units.all(), "coordinating_units": task.coordinating_units.all(),
        },
    )  # fmt: skip

"""The Nhật ký of criterion edits made in the admin (allowed only while no month is scored on the rubric):
who changed which criterion, which fields, to what. A rubric in use is never edited (a new version is made),
so this is the record of how a rubric came to read as it does when its first month is scored."""

from __future__ import annotations

from contextlib import contextmanager

from plans.audit import Action, audit_record


def _unit(criterion):
    return criterion.group.rubric.plan.issuer


def record_criterion_edit(request, criterion, form, *, added: bool = False):
    if not form.changed_data:
        return
    labels = [str(form.fields[name].label or name) for name in form.changed_data if name in form.fields]
    audit_record(
        action=Action.CRITERION_EDIT,
        by=request.user,
        obj=criterion,
        unit=_unit(criterion),
        summary=f"{'Thêm' if added else 'Sửa'} tiêu chí {criterion.code}: {', '.join(labels)}.",
        details={
            "fields": {
                name: _text(form.cleaned_data.get(name)) for name in form.changed_data if name in form.fields
            }
        },
    )


@contextmanager
def record_criterion_formset(request, formset):
    """Wrap the save of a group's criteria: what each form changed is read before the save (a deleted
    criterion loses its id), recorded after it."""
    deleted = [(form.instance, form.instance.pk) for form in formset.deleted_forms if form.instance.pk]
    changed = [
        (form, form.instance.pk is None)
        for form in formset.forms
        if form not in formset.deleted_forms and form.has_changed()
    ]
    yield
    for form, added in changed:
        record_criterion_edit(request, form.instance, form, added=added)
    for criterion, pk in deleted:
        criterion.pk = pk  # the row is gone; the entry still names which one it was
        audit_record(
            action=Action.CRITERION_EDIT, by=request.user, obj=criterion, unit=_unit(criterion),
            summary=f"Xóa tiêu chí {criterion.code}.",
        )  # fmt: skip


def _text(value) -> str | list[str]:
    if hasattr(value, "all") and hasattr(value, "model"):
        return [str(item) for item in value.all()]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return "" if value is None else str(value)

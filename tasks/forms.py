from django import forms
from django.utils import timezone

from plans.fields import NOTE_MAX, SUMMARY_MAX, PlainTextFormField, limit_help


class ProgressForm(forms.Form):
    reported_on = forms.DateField(label="Ngày", input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))  # fmt: skip
    percent = forms.IntegerField(label="Tiến độ (%)", min_value=0, max_value=99,
                                 help_text="Từ 0 đến 99; khi xong, dùng “Báo cáo hoàn thành”.")  # fmt: skip
    note = PlainTextFormField(label="Nội dung đã làm", widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=NOTE_MAX, help_text=limit_help(NOTE_MAX))  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"reported_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_reported_on(self):
        day = self.cleaned_data["reported_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("Ngày báo cáo không được sau hôm nay.")
        return day


class CompletionForm(forms.Form):
    completed_on = forms.DateField(label="Ngày hoàn thành", input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))  # fmt: skip
    deliverable = PlainTextFormField(
        label="Sản phẩm đã hoàn thành",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX,
        help_text=f"Số, ký hiệu, ngày, trích yếu của văn bản/biên bản… đã ban hành. {limit_help(NOTE_MAX)}",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"completed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean_completed_on(self):
        day = self.cleaned_data["completed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("Ngày hoàn thành không được sau hôm nay.")
        return day


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.jpg,.jpeg,.png,.heic,image/*"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        # Every file, empty ones included, goes to tasks.uploads.check_upload: one check, one kind of message
        # that names the file.
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class EvidenceForm(forms.Form):
    files = MultipleFileField(
        label="Tệp (chọn được nhiều tệp; chụp ảnh bằng điện thoại cũng được)", required=False
    )
    url = forms.URLField(label="Hoặc đường dẫn", required=False, assume_scheme="https", max_length=500,
                         help_text=limit_help(500))  # fmt: skip
    doc_number = PlainTextFormField(label="Số, ký hiệu", required=False, max_length=100)
    doc_date = forms.DateField(label="Ngày ban hành", required=False, input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))  # fmt: skip
    summary = PlainTextFormField(label="Trích yếu", required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                 max_length=SUMMARY_MAX, help_text=limit_help(SUMMARY_MAX))  # fmt: skip

    def clean(self):
        data = super().clean()
        if not data.get("files") and not data.get("url"):
            raise forms.ValidationError("Chọn ít nhất một tệp hoặc nhập một đường dẫn.")
        return data

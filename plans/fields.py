"""Free text that people type or paste (comments, reasons, notes, summaries): bounded, and safe for every
place it goes — PostgreSQL refuses a NUL byte in text, and openpyxl refuses the other C0 control characters,
so one stray character used to make a card's Excel, and the whole ward's summary Excel, fail.

In the model field, so every route that writes it agrees (the pages, the admin, imports, services):
- validation (forms, the admin, services' full_clean/clean_fields) refuses a NUL byte with a message, and
  text over the field's limit, naming the limit;
- saving replaces what validation lets through: a vertical tab or form feed (Word's Shift+Enter and page
  break, pasted) becomes a line break, the other C0 controls are dropped, and a NUL that reached a save
  without validation is dropped too rather than failing the request.
Tab, line feed and carriage return are ordinary text and stay.
"""

from __future__ import annotations

import re

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models

# Limits, in characters: a long comment is a paragraph or two; nobody writes a report into a reason box, and
# a bounded text keeps every report's rendering time bounded.
COMMENT_MAX = 2000
REASON_MAX = 1000
NOTE_MAX = 2000
SUMMARY_MAX = 1000
TITLE_MAX = 500

NUL_MESSAGE = "Nội dung có ký tự rỗng (NUL, thường do chép từ một tệp hỏng): hãy xóa ký tự đó hoặc gõ lại đoạn văn rồi lưu."
LINE_BREAKS = re.compile(r"[\x0b\x0c]")
CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """The text with line-break controls as line breaks and other C0 controls (and DEL) removed."""
    return CONTROLS.sub("", LINE_BREAKS.sub("\n", value))


def refuse_nul(value):
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")


def length_limit(limit: int) -> validators.MaxLengthValidator:
    return validators.MaxLengthValidator(
        limit, message=f"Tối đa {limit:,} ký tự (đang có %(show_value)s ký tự).".replace(",", ".")
    )


class PlainTextFormField(forms.CharField):
    """Django's CharField, with its NUL refusal in Vietnamese (Django's own message is untranslated)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, validators.ProhibitNullCharactersValidator)
        ]
        self.validators.append(refuse_nul)
        if self.max_length is not None:
            self.validators = [v for v in self.validators if not isinstance(v, validators.MaxLengthValidator)]
            self.validators.append(length_limit(self.max_length))


def limit_help(limit: int) -> str:
    return f"Tối đa {limit:,} ký tự.".replace(",", ".")


class PlainTextField(models.TextField):
    """A TextField with a required limit that is enforced (TextField's max_length alone only sizes the form
    field) and the cleaning described above. The column stays `text`: the limit is the application's."""

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.extend([refuse_nul, length_limit(max_length)])

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = clean_text(value)
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        # Every write to the database passes here, the ones that skip pre_save too (bulk_update, update()).
        value = super().get_prep_value(value)
        return clean_text(value) if isinstance(value, str) else value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PlainTextFormField, **kwargs})

"""Collective phrases that appendices of other wards use and the seed does not list, so that a new ward's plan
resolves them from its first import. Added only where missing: a phrase an administrator already defined (or
changed) is left as it is, and reversing removes nothing an administrator may have come to rely on."""

from django.db import migrations

from plans.text import normalize_name

PHRASES = [
    ("Các chi, Đảng bộ trực thuộc", ["party_cell"], ""),
    ("Các chi bộ, đảng bộ trực thuộc", ["party_cell"], ""),
    ("Các chi bộ trực thuộc", ["party_cell"], ""),
    ("Các cơ sở giáo dục công lập", ["school"], ""),
    ("Các trường công lập", ["school"], ""),
    ("Ban điều hành các khu phố", ["residential_group"], ""),
    ("Ban điều hành các tổ dân phố", ["residential_group"], ""),
    ("Các khu phố", ["residential_group"], ""),
]


def add_phrases(apps, schema_editor):
    CollectiveAlias = apps.get_model("plans", "CollectiveAlias")
    for text, kinds, level in PHRASES:
        CollectiveAlias.objects.get_or_create(
            normalized=normalize_name(text), defaults={"text": text, "kinds": kinds, "school_level": level}
        )


class Migration(migrations.Migration):
    dependencies = [("plans", "0005_profile_title_audit")]

    operations = [migrations.RunPython(add_phrases, migrations.RunPython.noop)]

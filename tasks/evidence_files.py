"""An evidence file lives as long as a row refers to it.

Removing evidence in the app only hides it (tasks.services.evidence_delete): the row and the file stay. A row
deleted for good (the admin, a cleanup, a cascade) takes its file with it, once the deletion has committed — a
deletion rolled back must find its file still there — and only when no other row names the same file.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete

log = logging.getLogger(__name__)


def remove_unreferenced_file(sender, instance, using, **kwargs):
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage

    def remove():
        if sender.objects.using(using).filter(file=name).exists():
            return
        storage.delete(name)
        log.info("Removed evidence file %s: its row was deleted", name)

    transaction.on_commit(remove, using=using)


def connect():
    from tasks.models import Evidence

    post_delete.connect(remove_unreferenced_file, sender=Evidence, dispatch_uid="evidence_file_cleanup")

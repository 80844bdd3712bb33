from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Báo cáo"

    def ready(self):
        from django.db.models.signals import post_save

        from kpi.models import Transition

        # A returned card is told to its unit at once, not at the next daily run. Listening here keeps the
        # dependency one way: kpi records the return and knows nothing of notifications.
        post_save.connect(card_returned, sender=Transition, dispatch_uid="reports.card_returned")


def card_returned(sender, instance, created, raw=False, **kwargs):
    if not created or raw:
        return
    from django.db import transaction

    from reports.models import EmailPreference
    from reports.notify import notify
    from reports.reminders import is_return, returned_messages

    if not is_return(instance):
        return
    for message in returned_messages(instance):
        notification = notify(message)
        if notification is None:
            continue
        if EmailPreference.objects.filter(user=message.user, returned_at_once=True).exists():
            # After the return is committed: the worker must find the notification it is asked to send.
            transaction.on_commit(lambda pk=notification.pk: _send_now(pk))


def _send_now(pk: int):
    from reports.jobs import enqueue

    enqueue("reports.mail.send_now", pk, name=f"thu-ngay-{pk}")

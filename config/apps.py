from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The project itself, as an app, for running the service: the backup, restore and log-pruning commands
    and the security log. It sits above the domain apps (plans ← tasks ← kpi ← reports) and has no models of
    its own: what it keeps is in the Nhật ký (plans.AuditEntry) and django-axes' tables."""

    name = "config"
    label = "project"
    verbose_name = "Vận hành"

    def ready(self):
        from config import security_log

        security_log.connect()

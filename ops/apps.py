from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the service: backups and restores, the security log. No models of its own: what it keeps is
    in the Nhật ký (plans.AuditEntry) and django-axes' tables."""

    name = "ops"
    verbose_name = "Vận hành"

    def ready(self):
        from ops import security_log

        security_log.connect()

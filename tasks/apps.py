from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = "Nhiệm vụ"

    def ready(self):
        from tasks import evidence_files

        evidence_files.connect()

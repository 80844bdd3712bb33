from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = "Kế hoạch và đơn vị"

    def ready(self):
        from plans import datasets  # noqa: F401  (registers the units and indicators tables)

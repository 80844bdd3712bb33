from django.apps import AppConfig


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = "Chấm điểm KPI"

    def ready(self):
        from kpi import (
            datasets,  # noqa: F401  (registers the rubric table)
            evidence_rules,
        )

        # Evidence behind a sent card stays: tasks' removal service asks kpi through its registry.
        evidence_rules.register()

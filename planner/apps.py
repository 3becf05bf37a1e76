from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlannerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "planner"
    verbose_name = "Injection planning and reference data"

    def ready(self):
        from planner.roles import sync_roles

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="planner.sync_roles")
        # Each visit on the chart and the visit page shows its injection plan (patients never imports planner).
        from patients.chart import register_visit_summary_provider
        from planner.visit_summaries import plan_summaries

        register_visit_summary_provider(plan_summaries)

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PlannerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "planner"
    verbose_name = "Injection planning and reference data"

    def ready(self):
        # The admin screens live with the reference data they edit; the project root holds no admin.py
        # for Django's autodiscovery to find, so they are registered here.
        from patients.chart import register_chart_section_provider
        from planner.access.roles import sync_roles
        from planner.documents.chart_sections import outcomes_section
        from planner.reference import admin, cycle_admin  # noqa: F401

        post_migrate.connect(sync_roles, sender=self, dispatch_uid="planner.sync_roles")
        # Each visit on the chart and the visit page shows its injection plan (patients never imports planner).
        from patients.chart import register_visit_summary_provider
        from planner.documents.visit_summaries import plan_summaries

        register_visit_summary_provider(plan_summaries)
        # The patient chart shows the outcome trends and the last cycles (patients never imports planner).
        register_chart_section_provider(outcomes_section)
        from planner.cycle.history import non_response_section

        register_chart_section_provider(non_response_section)  # the secondary non-response flag
        # Conditions, medicines and toxin given elsewhere, at the top of the chart (issue 14).
        from planner.conditions.records import conditions_section

        register_chart_section_provider(conditions_section)
        # The chart is kept rendered under, among others, the reference version its sections were built at.
        from patients.chart import register_chart_version_source
        from planner.reference.version import chart_token

        register_chart_version_source(chart_token)
        # The posture form refuses the contradictions of the reference data (patients never imports planner).
        from patients.posture import register_contradiction_source
        from planner.reference.posture_rules import posture_contradictions

        register_contradiction_source(posture_contradictions)
        # The worklist's due dates follow a corrected visit date in the same transaction (patients never
        # imports planner); signing keeps them itself (planner.plans.services.session_sign).
        from patients.services import register_visit_date_listener
        from planner.clinic.worklist import visit_date_changed

        register_visit_date_listener(visit_date_changed)

        self._bump_reference_version_on_every_change()

    def _bump_reference_version_on_every_change(self):
        """Every save, delete and many-to-many change of a reference row bumps the reference version in
        its own transaction, so every worker's next safety check reloads (planner.reference.version)."""
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from planner.models import ReferenceRow
        from planner.reference.version import bump

        def bump_after_m2m_change(action, **kwargs):
            if action.startswith("post_"):
                bump()

        for model in self.get_models():
            if not issubclass(model, ReferenceRow):
                continue
            uid = f"planner.reference_version.{model._meta.model_name}"
            post_save.connect(bump, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(bump, sender=model, dispatch_uid=f"{uid}.delete")
            for field in model._meta.local_many_to_many:
                # weak=False: the receiver is a local function, which a weak reference would let go.
                m2m_changed.connect(
                    bump_after_m2m_change,
                    sender=field.remote_field.through,
                    weak=False,
                    dispatch_uid=f"{uid}.{field.name}",
                )

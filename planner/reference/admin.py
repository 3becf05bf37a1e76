"""Reference admin screens: list, search, filter and edit every reference table, its history, and
CSV import (with a preview before confirming) and export.

Only staff holding the curation permissions get in. A signed-in user who is not staff (a nurse, a
neurologist) gets 403 on every URL of these screens, not the admin's login page: they are signed
in, and this is simply not theirs. Nothing is deleted here: rows are deactivated.
"""

import json
import re
from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ManyToManyField
from django.template.loader import render_to_string
from django.urls import URLPattern
from django.utils import timezone
from import_export import widgets
from import_export.admin import ImportExportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV
from import_export.resources import ModelResource, modelresource_factory
from simple_history.admin import SimpleHistoryAdmin

from patients.audit.csvsafe import safe_cell
from planner import models as ref
from planner.clinic.worklist import resettle_due_dates
from planner.reference import numbers
from planner.reference.forms import ProductAdminForm, SourcedAdminForm
from planner.reference.loader import TABLE_BY_MODEL, current_values, fingerprint

# --- CSV import and export: natural keys (codes) instead of database ids ----------------------


class CodeWidget(widgets.ForeignKeyWidget):
    """A related row by its code ("SCM"), refusing a code that names nothing."""

    def __init__(self, model):
        super().__init__(model, field="code")

    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip()
        if not code:
            return None
        try:
            return self.model.objects.get(code=code)
        except self.model.DoesNotExist:
            raise ValueError(f"no {self.model._meta.verbose_name} has the code {code!r}.") from None


class CodesWidget(widgets.ManyToManyWidget):
    """Several related rows by code, separated by commas ("S6a, S14"); unknown codes are refused."""

    def __init__(self, model):
        super().__init__(model, separator=",", field="code")

    def clean(self, value, row=None, **kwargs):
        codes = [code.strip() for code in str(value or "").split(",") if code.strip()]
        found = {item.code: item for item in self.model.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            noun = self.model._meta.verbose_name_plural if len(unknown) > 1 else self.model._meta.verbose_name
            raise ValueError(f"no {noun} with the code {', '.join(unknown)}.")
        return [found[code] for code in codes]

    def render(self, value, obj=None, **kwargs):
        return ", ".join(sorted(item.code for item in value.all())) if value is not None else ""


class StrictBooleanWidget(widgets.BooleanWidget):
    """true/false, 1/0, yes/no (any case); empty is "not given". Anything else ("maybe") is refused:
    import-export's own widget reads every unknown word as false, which silently deactivated rows."""

    WORDS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def clean(self, value, row=None, **kwargs):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text == "":
            return None
        if text not in self.WORDS:
            raise ValueError(f"{str(value)[:40]!r} is not true or false (write true/false, 1/0 or yes/no).")
        return self.WORDS[text]


class StrictNumberWidget(widgets.Widget):
    """A number as a spreadsheet writes it: digits with at most one point. No exponent, no thousands
    separator, no infinity; the model's validators then check the range."""

    integer = False

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if text == "":
            return None
        pattern = r"-?\d{1,12}" if self.integer else r"-?\d{1,12}(\.\d{1,6})?"
        if not re.fullmatch(pattern, text):
            kind = "a whole number" if self.integer else "a number such as 12.5"
            raise ValueError(f"{text[:40]!r} is not {kind}.")
        return int(text) if self.integer else Decimal(text)


class StrictIntegerWidget(StrictNumberWidget):
    integer = True


class VialSizesWidget(widgets.Widget):
    """Vial sizes as "50, 100" (or a JSON list "[50, 100]"), each within planner.reference.numbers."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().removeprefix("[").removesuffix("]")
        try:
            return numbers.vial_sizes(part.strip() for part in text.split(",") if part.strip())
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from None

    def render(self, value, obj=None, **kwargs):
        return json.dumps(value)  # as the export always wrote it: "[50, 100]"


STRICT_WIDGETS = {
    "BooleanField": StrictBooleanWidget,
    "DecimalField": StrictNumberWidget,
    "IntegerField": StrictIntegerWidget,
    "SmallIntegerField": StrictIntegerWidget,
    "PositiveIntegerField": StrictIntegerWidget,
    "PositiveSmallIntegerField": StrictIntegerWidget,
}


class ReferenceResource(ModelResource):
    """Columns are the loader's fields for the table, keyed by its natural key."""

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        # Strict booleans and numbers, vial sizes by the rules: never a silent guess or a traceback.
        if getattr(f, "name", None) == "vial_sizes":
            return VialSizesWidget
        internal = f.get_internal_type() if callable(getattr(f, "get_internal_type", None)) else ""
        return STRICT_WIDGETS.get(internal) or super().widget_from_django_field(f, default)

    def before_import(self, dataset, **kwargs):
        # Two rows with the same natural key would silently import as one (the second wins): refuse the file.
        key = self._meta.import_id_fields
        if not all(name in dataset.headers for name in key):
            missing = ", ".join(name for name in key if name not in dataset.headers)
            raise ValueError(f"The file has no column {missing}: every row needs its {', '.join(key)}.")
        first_row = {}
        for number, row in enumerate(dataset.dict, start=1):
            values = tuple(str(row[name] or "").strip() for name in key)
            if values in first_row:
                raise ValueError(
                    f"Rows {first_row[values]} and {number} (lines {first_row[values] + 1} and {number + 1} of the "
                    f"file) have the same {', '.join(key)} ({', '.join(values)}): give each row once. "
                    "Nothing was imported."
                )
            first_row[values] = number

    def export_field(self, field, instance, **kwargs):
        # A name or note starting like a spreadsheet formula is exported as text; numbers stay numbers.
        value = super().export_field(field, instance, **kwargs)
        return value if isinstance(field.widget, widgets.NumberWidget) else safe_cell(value)

    def after_import(self, dataset, result, **kwargs):
        # In the import's transaction (rolled back with a dry run): the worklist's due dates follow the limits.
        resettle_due_dates()

    def before_import_row(self, row, **kwargs):
        # The natural key is read before any validation: name the column when it cannot be.
        for name in self._meta.import_id_fields:
            try:
                self.fields[name].clean(row)
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None

    def import_instance(self, instance, row, **kwargs):
        table = TABLE_BY_MODEL[self._meta.model]
        before = current_values(table, instance) if instance.pk else None
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        related = {}
        for name in table.m2m:
            field = self.fields[name]
            if field.column_name not in row:
                continue
            try:
                related[name] = field.clean(row)
            except ValueError as error:
                errors[name] = ValidationError(str(error), code="invalid")
        if isinstance(instance, ref.Sourced) and not errors:
            try:
                instance.clean_related(related)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
        if before is not None and isinstance(instance, ref.Sourced):
            after = {name: value for name, value in before.items() if name in table.m2m} | {
                name: sorted(item.code for item in items) for name, items in related.items()
            }
            for name in (*table.fields, "is_active"):
                value = getattr(instance, name)
                after[name] = value.code if table.relation(name) and value is not None else value
            if fingerprint(before) != fingerprint(after):
                instance.reviewed_by = None  # a review vouches for the values it saw
                instance.reviewed_at = None


def resource_for(model):
    table = TABLE_BY_MODEL[model]
    custom = {}
    for name in (*table.fields, *table.m2m):
        related = table.relation(name)
        if related is None:
            continue
        many = isinstance(model._meta.get_field(name), ManyToManyField)
        widget = (CodesWidget if many else CodeWidget)(related)
        custom[name] = Field(attribute=name, column_name=name, widget=widget)
    columns = [*table.fields, *table.m2m, "is_active"]
    if issubclass(model, ref.Sourced):
        custom["reviewed_by"] = Field(attribute="reviewed_by__username", column_name="reviewed_by", readonly=True)
        custom["reviewed_at"] = Field(attribute="reviewed_at", column_name="reviewed_at", readonly=True)
        columns += ["reviewed_by", "reviewed_at"]
    return modelresource_factory(
        model,
        resource_class=ReferenceResource,
        meta_options={
            "fields": columns,
            "export_order": columns,
            "import_id_fields": list(table.key),
            "clean_model_instances": True,
            "skip_unchanged": True,
            "report_skipped": True,
        },
        custom_fields=custom,
    )


# --- the admin screens ----------------------------------------------------------------------

# Submitted ids that are not numbers the database can hold (only a hand-made request sends one)
# crashed Django's autocomplete widgets and, on SQLite, the many-to-many field: a 500 instead of
# "Select a valid choice". Found by tests/test_fuzz_forms.py.
MAX_ID = 2**63 - 1


def _usable_id(value):
    text = str(value)
    return text.isdigit() and int(text) <= MAX_ID


class _ShowsOnlyUsableIds:
    """When the form comes back with errors, the widget looks up the submitted ids to show them
    again; ids the database cannot hold are left out (the field says they are not valid)."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [item for item in value if _usable_id(item)], attr)


class ReferenceAutocompleteSelect(_ShowsOnlyUsableIds, AutocompleteSelect):
    pass


class ReferenceAutocompleteSelectMultiple(_ShowsOnlyUsableIds, AutocompleteSelectMultiple):
    pass


class ReferenceRowsField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for item in value:
            if not _usable_id(item):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super()._check_values(value)


def _refuse_signed_in_non_staff(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.user.is_authenticated and not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return guarded


@admin.action(description="Deactivate the selected rows (kept for the records that use them)")
def deactivate(modeladmin, request, queryset):
    _set_active(modeladmin, request, queryset, False)


@admin.action(description="Activate the selected rows")
def activate(modeladmin, request, queryset):
    _set_active(modeladmin, request, queryset, True)


def _set_active(modeladmin, request, queryset, active):
    changed = 0
    for row in queryset.filter(is_active=not active):
        row.is_active = active
        row.save()  # one history record per row, with the user
        changed += 1
    resettle_due_dates()  # a product or limit (de)activated can move the worklist's due dates
    modeladmin.message_user(request, f"{changed} row(s) {'activated' if active else 'deactivated'}.", messages.SUCCESS)


@admin.action(description="Mark the selected rows as reviewed by me against their sources")
def mark_reviewed(modeladmin, request, queryset):
    now = timezone.now()
    for row in queryset:
        row.reviewed_by, row.reviewed_at = request.user, now
        row.save()
    modeladmin.message_user(request, f"{len(queryset)} row(s) marked as reviewed by you.", messages.SUCCESS)


class ReferenceAdmin(ImportExportMixin, SimpleHistoryAdmin):
    object_history_list_template = "admin/planner/object_history_list.html"
    import_formats = [CSV]
    export_formats = [CSV]
    actions = [deactivate, activate]
    list_per_page = 50

    def get_urls(self):
        return [
            URLPattern(url.pattern, _refuse_signed_in_non_staff(url.callback), url.default_args, url.name)
            if isinstance(url, URLPattern)
            else url
            for url in super().get_urls()
        ]

    def get_resource_classes(self, request):
        return [resource_for(self.model)]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # In the change form's transaction: a product's minimum interval moves the worklist's due dates.
        resettle_due_dates()

    def has_delete_permission(self, request, obj=None):
        return False  # clinical records point at these rows: deactivate instead

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", ReferenceAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request):
            kwargs.setdefault(
                "widget", ReferenceAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
            )
        kwargs.setdefault("form_class", ReferenceRowsField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SourcedAdmin(ReferenceAdmin):
    form = SourcedAdminForm
    actions = [mark_reviewed, deactivate, activate]
    readonly_fields = ["reviewed_by", "reviewed_at"]
    autocomplete_fields = ["sources"]
    provenance = (
        "Where it comes from",
        {"fields": ["sources", "verification", "reviewed_by", "reviewed_at", "mark_reviewed", "is_active"]},
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewed_by").prefetch_related("sources")

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("mark_reviewed"):
            obj.reviewed_by, obj.reviewed_at = request.user, timezone.now()
        elif change and form.values_changed:
            obj.reviewed_by = obj.reviewed_at = None
        super().save_model(request, obj, form, change)

    @admin.display(description="sources")
    def source_codes(self, obj):
        return ", ".join(source.code for source in obj.sources.all())

    @admin.display(description="review")
    def review(self, obj):
        if obj.reviewed_by is None:
            return "not reviewed"
        name = obj.reviewed_by.get_full_name() or obj.reviewed_by.get_username()
        return f"{name}, {timezone.localtime(obj.reviewed_at):%Y-%m-%d}"

    @admin.display(description="verification", ordering="verification")
    def flag(self, obj):
        css = {"verified": "verified", "computed": "computed", "partly_verified": "partly"}.get(
            obj.verification, "unverified"
        )
        context = {"css": css, "label": obj.get_verification_display()}
        return render_to_string("admin/planner/includes/verification_flag.html", context)


@admin.register(ref.Source)
class SourceAdmin(ReferenceAdmin):
    list_display = ["code", "citation", "url", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "citation", "url"]


@admin.register(ref.Muscle)
class MuscleAdmin(SourcedAdmin):
    list_display = ["code", "name", "group", "depth", "guidance", "flag", "review", "is_active"]
    list_filter = ["group", "depth", "guidance", "verification", "is_active"]
    search_fields = ["code", "name", "notes", "caution"]
    fieldsets = [
        (None, {"fields": ["code", "name", "group", "depth", "guidance", "notes", "caution"]}),
        SourcedAdmin.provenance,
    ]


@admin.register(ref.PosturePattern)
class PosturePatternAdmin(SourcedAdmin):
    list_display = ["code", "name", "plane", "level", "directions", "flag", "review", "is_active"]
    list_filter = ["level", "plane", "directions", "verification", "is_active"]
    search_fields = ["code", "name", "definition"]
    fieldsets = [
        (None, {"fields": ["code", "name", "plane", "level", "directions", "joints", "definition"]}),
        SourcedAdmin.provenance,
    ]


@admin.register(ref.PatternComponent)
class PatternComponentAdmin(SourcedAdmin):
    list_display = ["combined", "component", "side", "flag", "review", "is_active"]
    list_filter = ["combined", "side", "verification", "is_active"]
    list_select_related = ["combined", "component", "reviewed_by"]
    autocomplete_fields = ["combined", "component", "sources"]
    search_fields = ["combined__code", "combined__name", "component__code", "component__name"]
    fieldsets = [(None, {"fields": ["combined", "component", "side"]}), SourcedAdmin.provenance]


@admin.register(ref.SuggestionRule)
class SuggestionRuleAdmin(SourcedAdmin):
    list_display = ["pattern", "muscle", "side", "priority", "needs_review", "flag", "review", "is_active"]
    list_filter = ["pattern", "priority", "side", "needs_review", "verification", "is_active", "muscle"]
    list_select_related = ["pattern", "muscle", "reviewed_by"]
    autocomplete_fields = ["pattern", "muscle", "sources"]
    search_fields = ["pattern__code", "pattern__name", "muscle__code", "muscle__name", "note"]
    fieldsets = [
        (None, {"fields": ["pattern", "muscle", "side", "priority", "needs_review", "note"]}),
        SourcedAdmin.provenance,
    ]


@admin.register(ref.Product)
class ProductAdmin(SourcedAdmin):
    form = ProductAdminForm
    list_display = [
        "code",
        "brand_name",
        "generic_name",
        "toxin_type",
        "form",
        "vial_sizes",
        "flag",
        "review",
        "is_active",
    ]
    list_filter = ["toxin_type", "form", "verification", "is_active"]
    search_fields = ["code", "brand_name", "generic_name"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "generic_name",
                    "brand_name",
                    "toxin_type",
                    "vial_sizes",
                    "form",
                    "form_note",
                    "concentration_units_per_ml",
                    "presentation_note",
                    "notes",
                ]
            },
        ),
        SourcedAdmin.provenance,
    ]


@admin.register(ref.ProductLimit)
class ProductLimitAdmin(SourcedAdmin):
    list_display = [
        "product",
        "kind",
        "jurisdiction",
        "shown_value",
        "clinic_policy",
        "flag",
        "source_codes",
        "review",
        "is_active",
    ]
    list_filter = ["product", "kind", "jurisdiction", "clinic_policy", "verification", "is_active"]
    list_select_related = ["product", "reviewed_by"]
    autocomplete_fields = ["product", "sources"]
    search_fields = ["product__code", "product__brand_name", "kind", "note"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "product",
                    "kind",
                    "jurisdiction",
                    "value",
                    "value_upper",
                    "period_weeks",
                    "note",
                    "clinic_policy",
                ]
            },
        ),
        SourcedAdmin.provenance,
    ]

    @admin.display(description="value")
    def shown_value(self, obj):
        return obj.display_value


@admin.register(ref.DoseGuideline)
class DoseGuidelineAdmin(SourcedAdmin):
    list_display = [
        "product",
        "muscle",
        "kind",
        "min_units",
        "max_units",
        "median_units",
        "flag",
        "source_codes",
        "review",
        "is_active",
    ]
    list_filter = ["product", "kind", "verification", "is_active", "muscle"]
    list_select_related = ["product", "muscle", "reviewed_by"]
    autocomplete_fields = ["product", "muscle", "sources"]
    search_fields = ["product__code", "product__brand_name", "muscle__code", "muscle__name", "context", "note"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "product",
                    "muscle",
                    "kind",
                    ("min_units", "max_units"),
                    "median_units",
                    ("iqr_low", "iqr_high"),
                    "iqr_verification",
                    ("per_site_min", "per_site_max"),
                    "typical_sites",
                    "per",
                    "context",
                    "note",
                ],
                "description": "Every dose is in units of the chosen product, and only of that product.",
            },
        ),
        SourcedAdmin.provenance,
    ]


@admin.register(ref.DiluentVolume)
class DiluentVolumeAdmin(SourcedAdmin):
    list_display = [
        "product",
        "vial_units",
        "diluent_ml",
        "units_per_0_1_ml",
        "flag",
        "source_codes",
        "review",
        "is_active",
    ]
    list_filter = ["product", "verification", "is_active"]
    list_select_related = ["product", "reviewed_by"]
    autocomplete_fields = ["product", "sources"]
    search_fields = ["product__code", "product__brand_name", "note"]
    fieldsets = [(None, {"fields": ["product", "vial_units", "diluent_ml", "note"]}), SourcedAdmin.provenance]

    @admin.display(description="units per 0.1 mL (computed)")
    def units_per_0_1_ml(self, obj):
        return obj.strength_text


@admin.register(ref.Caution)
class CautionAdmin(SourcedAdmin):
    list_display = [
        "code",
        "text",
        "muscle",
        "pattern",
        "threshold_units",
        "clinic_policy",
        "flag",
        "source_codes",
        "review",
        "is_active",
    ]
    list_filter = ["products", "muscle", "pattern", "clinic_policy", "verification", "is_active"]
    list_select_related = ["muscle", "pattern", "reviewed_by"]
    autocomplete_fields = ["products", "muscle", "pattern", "sources"]
    search_fields = ["code", "text"]
    fieldsets = [
        (None, {"fields": ["code", "text", "products", "muscle", "pattern", "threshold_units", "clinic_policy"]}),
        SourcedAdmin.provenance,
    ]


# --- clinic-policy thresholds (issue 13) ----------------------------------------------------


@admin.register(ref.PolicySetting)
class PolicySettingAdmin(SourcedAdmin):
    """Thresholds no label publishes: the reference admin sets them, with history and CSV import/export."""

    list_display = ["code", "value", "note", "flag", "source_codes", "review", "is_active"]
    list_filter = ["verification", "is_active"]
    list_select_related = ["reviewed_by"]
    search_fields = ["code", "note"]
    fieldsets = [
        (
            None,
            {
                "fields": ["code", "value", "note"],
                "description": "Clinic policy: every setting here is the clinic's choice, not a sourced figure. "
                "Say in the note why the value is what it is.",
            },
        ),
        SourcedAdmin.provenance,
    ]


# --- conditions, medicines and posture contradictions (issue 14) ----------------------------------------


@admin.register(ref.ConditionCode)
class ConditionCodeAdmin(SourcedAdmin):
    list_display = ["code", "name", "kind", "level", "per_product", "clinic_policy", "flag", "source_codes", "review"]
    list_filter = ["kind", "level", "clinic_policy", "verification", "is_active"]
    list_select_related = ["reviewed_by"]
    autocomplete_fields = ["products", "sources"]
    search_fields = ["code", "name", "message"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "level", "products", "per_product", "message", "clinic_policy"]}),
        SourcedAdmin.provenance,
    ]


@admin.register(ref.PostureContradiction)
class PostureContradictionAdmin(SourcedAdmin):
    list_display = ["first", "second", "relation", "reason", "clinic_policy", "flag", "source_codes", "review"]
    list_filter = ["relation", "clinic_policy", "verification", "is_active"]
    list_select_related = ["reviewed_by"]
    search_fields = ["first", "second", "reason"]
    fieldsets = [
        (None, {"fields": ["first", "second", "relation", "reason", "clinic_policy"]}),
        SourcedAdmin.provenance,
    ]


# The end-of-cycle reference tables have their admin pages in their own module.
from planner.reference import cycle_admin  # noqa: E402, F401

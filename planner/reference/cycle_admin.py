"""Admin pages for the end-of-cycle reference tables (billing codes, vial prices, handout text, policy).

Same rules as every reference table (planner.reference.admin.SourcedAdmin): sources, verification, review,
history, CSV import and export, deactivation instead of deletion.
"""

from django.contrib import admin

from planner.models.cycle import BillingCode, HandoutText, ResponsePolicy, VialPrice
from planner.reference.admin import SourcedAdmin


@admin.register(BillingCode)
class BillingCodeAdmin(SourcedAdmin):
    list_display = [
        "code",
        "kind",
        "description",
        "product",
        "billing_unit",
        "flag",
        "source_codes",
        "review",
        "is_active",
    ]
    list_filter = ["kind", "verification", "is_active"]
    list_select_related = ["product", "reviewed_by"]
    search_fields = ["code", "description", "note"]
    autocomplete_fields = ["product", "sources"]
    fieldsets = [
        (
            None,
            {
                "fields": ["code", "kind", "description", "product", "billing_unit", "note"],
                "description": "A drug code's billing unit is a number of that same product's units: "
                "units are never converted between products.",
            },
        ),
        SourcedAdmin.provenance,
    ]


@admin.register(VialPrice)
class VialPriceAdmin(SourcedAdmin):
    list_display = ["product", "vial_units", "price", "currency", "ndc", "flag", "review", "is_active"]
    list_filter = ["product", "verification", "is_active"]
    list_select_related = ["product", "reviewed_by"]
    search_fields = ["product__brand_name", "ndc", "note"]
    autocomplete_fields = ["product", "sources"]
    fieldsets = [
        (
            None,
            {
                "fields": ["product", "vial_units", "price", "currency", "ndc", "note"],
                "description": "What the clinic pays per vial (optional): the figures show drug and "
                "discarded costs once prices exist.",
            },
        ),
        SourcedAdmin.provenance,
    ]


@admin.register(HandoutText)
class HandoutTextAdmin(SourcedAdmin):
    list_display = ["code", "section", "product", "position", "text", "flag", "source_codes", "review", "is_active"]
    list_filter = ["section", "product", "verification", "is_active"]
    list_select_related = ["product", "reviewed_by"]
    search_fields = ["code", "text"]
    autocomplete_fields = ["product", "sources"]
    fieldsets = [
        (
            None,
            {
                "fields": ["code", "section", "product", "position", "text"],
                "description": "Plain language, short sentences: a test keeps the handout at reading grade 8 "
                "or below. {clinic_phone} and {next_due} are filled in when the handout is made.",
            },
        ),
        SourcedAdmin.provenance,
    ]


@admin.register(ResponsePolicy)
class ResponsePolicyAdmin(SourcedAdmin):
    list_display = ["code", "value", "note", "flag", "source_codes", "review", "is_active"]
    list_filter = ["verification", "is_active"]
    list_select_related = ["reviewed_by"]
    search_fields = ["code", "note"]
    fieldsets = [
        (
            None,
            {
                "fields": ["code", "value", "note", "clinic_policy"],
                "description": "Clinic policy: these thresholds are the clinic's choice, not sourced figures.",
            },
        ),
        SourcedAdmin.provenance,
    ]

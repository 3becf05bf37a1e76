from django.urls import path

from patients.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_report, name="report"),
    path("export.csv", views.audit_report_csv, name="report_csv"),
]

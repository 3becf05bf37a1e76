from django.urls import path

from planner.clinic import views

app_name = "clinic"

urlpatterns = [
    path("", views.worklist_page, name="worklist"),
    path("figures/", views.clinic_figures, name="figures"),
    path("exports/", views.export_page, name="exports"),
    path("exports/<slug:kind>.csv", views.export_csv, name="export_csv"),
    path("patients/<int:pk>/summary/", views.patient_summary, name="patient_summary"),
    path("patients/<int:pk>/summary.pdf", views.patient_summary_pdf, name="patient_summary_pdf"),
    path("patients/<int:pk>/fhir.json", views.patient_fhir, name="patient_fhir"),
]

from django.urls import path

from patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("register/", views.patient_register, name="patient_register"),
    path("<int:pk>/", views.patient_chart, name="patient_chart"),
    path("<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("<int:pk>/deactivate/", views.patient_deactivate, name="patient_deactivate"),
    path("<int:pk>/reactivate/", views.patient_reactivate, name="patient_reactivate"),
    path("<int:pk>/visits/book/", views.visit_book, name="visit_book"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/status/", views.visit_status, name="visit_status"),
    path("visits/<int:pk>/posture/", views.posture_record, name="posture_record"),
    path("visits/<int:pk>/twstrs/", views.twstrs_record, name="twstrs_record"),
    path("visits/<int:pk>/tsui/", views.tsui_record, name="tsui_record"),
    path("visits/<int:pk>/pain/", views.outcome_record, name="outcome_record"),
    path("visits/<int:pk>/side-effects/new/", views.adverse_event_add, name="adverse_event_add"),
    path("side-effects/<int:pk>/edit/", views.adverse_event_edit, name="adverse_event_edit"),
]

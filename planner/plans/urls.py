from django.urls import path

from planner.cycle.urls import urlpatterns as cycle_urls
from planner.plans import views

app_name = "plans"

urlpatterns = [
    path("visit/<int:visit_id>/", views.plan_for_visit, name="for_visit"),
    path("<int:pk>/", views.plan_editor, name="editor"),
    path("<int:pk>/prepare/", views.plan_prepare, name="prepare"),
    path("<int:pk>/sign/", views.plan_sign, name="sign"),
    path("<int:pk>/amend/", views.plan_amend, name="amend"),
    path("<int:pk>/record/", views.plan_record, name="record"),
    path("<int:pk>/record.pdf", views.plan_record_pdf, name="record_pdf"),
    *cycle_urls,
]

"""The end-of-cycle pages, under plans/<session>/ (namespace "plans")."""

from django.urls import path

from planner.cycle import views as cycle_views

urlpatterns = [
    path("<int:pk>/response/", cycle_views.response_record, name="response"),
    path("<int:pk>/handout/", cycle_views.handout, name="handout"),
    path("<int:pk>/handout.pdf", cycle_views.handout_pdf, name="handout_pdf"),
]

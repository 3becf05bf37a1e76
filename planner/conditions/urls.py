from django.urls import path

from planner.conditions import views

app_name = "conditions"

urlpatterns = [
    path("patient/<int:pk>/add/", views.condition_add, name="add"),
    path("<int:pk>/end/", views.condition_end, name="end"),
    path("patient/<int:pk>/outside-dose/", views.outside_dose_add, name="outside_dose_add"),
    path("outside-dose/<int:pk>/remove/", views.outside_dose_remove, name="outside_dose_remove"),
]

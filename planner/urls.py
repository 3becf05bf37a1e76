from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from planner.access import two_factor, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("session/keep-alive/", views.keep_alive, name="keep_alive"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("patients/", include("patients.urls")),
    path("reference/", include("planner.reference.urls")),
    path("plans/", include("planner.plans.urls")),
    path("conditions/", include("planner.conditions.urls")),
    path("clinic/", include("planner.clinic.urls")),
    path("audit/", include("patients.audit.urls")),
    path("admin/", admin.site.urls),
]

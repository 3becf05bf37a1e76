from django.urls import path

from planner.reference import views

app_name = "reference"

urlpatterns = [
    path("", views.index, name="index"),
    path("muscles/", views.muscle_list, name="muscles"),
    path("products/", views.product_list, name="products"),
    path("products/<str:code>/", views.product_detail, name="product"),
    path("sources/", views.source_list, name="sources"),
]

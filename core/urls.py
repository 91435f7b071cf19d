from django.urls import path

from . import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("health/validation/", views.health_validation, name="health-validation"),
    path("metrics", views.metrics, name="metrics"),
]

from django.urls import path

from . import views

urlpatterns = [
    path(views.HEALTH_PATH.lstrip("/"), views.health, name="health"),
    path("health/validation/", views.health_validation, name="health-validation"),
    path("metrics", views.metrics, name="metrics"),
]

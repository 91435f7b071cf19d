from django.urls import path

from oversight import endpoints as views
from oversight import pages as ops_views

urlpatterns = [
    path(views.HEALTH_PATH.lstrip("/"), views.health, name="health"),
    path("health/validation/", views.health_validation, name="health-validation"),
    path("metrics", views.metrics, name="metrics"),
    path("ops/health/", ops_views.health, name="ops-health"),
    path("ops/health/run/", ops_views.run_check_now, name="ops-health-run"),
    path("ops/integrity/", ops_views.integrity, name="ops-integrity"),
    path("ops/operations/", ops_views.operations, name="ops-operations"),
]

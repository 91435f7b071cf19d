from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The operator's layer: integrity checks, monitoring, health endpoints, operator
    pages and the two commands. It has no models of its own (its tables belong to
    ``core``) and sits above every other app."""

    name = "oversight"

    def ready(self):
        from oversight import checks  # noqa: F401 - registers the system checks

from django.apps import AppConfig


class ConstraintsRollbackConfig(AppConfig):
    name = "core.constraints_rollback"
    label = "constraints_rollback"
    verbose_name = "Validation constraints rolled back"

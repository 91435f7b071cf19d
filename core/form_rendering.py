"""How forms are drawn (django-bootstrap5's field renderer, set in settings.BOOTSTRAP5).

A refused form marks the fields that are wrong and nothing else: Bootstrap's green
"valid" tick on the other fields of a bound form would tell someone whose sign-in
failed that their password was right."""

from django_bootstrap5.renderers import FieldRenderer


class FieldRendererWithoutTicks(FieldRenderer):
    def get_server_side_validation_classes(self) -> str:
        return "is-invalid" if self.field_errors else ""

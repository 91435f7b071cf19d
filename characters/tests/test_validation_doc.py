"""docs/design/data_validation.md lists every constraint the models declare, by name."""

import re

from django.apps import apps
from django.conf import settings

DOC = settings.BASE_DIR / "docs" / "design" / "data_validation.md"


def test_the_design_doc_names_every_constraint_and_no_other():
    declared = {
        constraint.name
        for app in ("characters", "game")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
    }
    listed = set(re.findall(r"^\| `((?:characters|game)_\w+)` \|", DOC.read_text(), re.MULTILINE))

    assert listed == declared

"""Scenes: saving one from its form, finishing it. (Awarding its XP is
``game.operations.xp.award_scene_xp``.)"""

from django.core.exceptions import ValidationError
from django.db import transaction

from game.models import Scene
from game.operations.xp import already_awarded


def save_scene(*, form) -> Scene:
    """Save a validated scene form (the scene and its participants) in one transaction:
    a participant refused by the chronicle check leaves no half-saved scene.

    An existing scene is locked first and saved field by field: the form was filled in
    from a copy read before, and meanwhile the scene may have been finished or awarded
    in another request. Writing the whole copy back would reopen it, or clear
    ``xp_given`` so that its XP could be awarded twice; a scene whose XP was given is
    refused instead.
    """
    with transaction.atomic():
        scene = form.instance
        if scene.pk is None:
            return form.save()
        current = Scene.objects.select_for_update().filter(pk=scene.pk).first()
        if current is None:
            raise ValidationError("This scene no longer exists.", code="unknown_scene")
        if current.xp_given:
            raise already_awarded(current)
        scene = form.save(commit=False)
        scene.save(update_fields=[name for name in form.Meta.fields if name != "participants"])
        form.save_m2m()
        return scene


def finish_scene(*, scene_id: int) -> bool:
    """Mark the scene finished (its XP can then be awarded). False if it already was."""
    with transaction.atomic():
        scene = Scene.objects.select_for_update().get(pk=scene_id)
        if scene.finished:
            return False
        scene.finished = True
        scene.save(update_fields=["finished"])
        return True

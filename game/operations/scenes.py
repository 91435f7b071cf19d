"""Scenes: saving one from its form, finishing it. (Awarding its XP is
``game.operations.xp.award_scene_xp``.)"""

from django.db import transaction

from game.models import Scene


def save_scene(*, form) -> Scene:
    """Save a validated scene form (the scene and its participants) in one transaction:
    a participant refused by the chronicle check leaves no half-saved scene."""
    with transaction.atomic():
        return form.save()


def finish_scene(*, scene_id: int) -> bool:
    """Mark the scene finished (its XP can then be awarded). False if it already was."""
    with transaction.atomic():
        scene = Scene.objects.select_for_update().get(pk=scene_id)
        if scene.finished:
            return False
        scene.finished = True
        scene.save(update_fields=["finished"])
        return True

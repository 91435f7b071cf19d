"""Every path that touches character rows follows the one lock order: a randomized mix of
scene creation and edits, awards, spends, withdrawals, approvals, status changes,
willpower and sheet edits, run by six threads with their own PostgreSQL connections,
ends without one deadlock and without one error.

Scenes saved with participants used to deadlock with awards: the new participant rows'
foreign keys are checked at COMMIT, taking ``FOR KEY SHARE`` on the character rows in
insertion order (a Python set's order, not primary-key order), while an award locks the
same rows ``FOR UPDATE`` in primary-key order. The review saw 9 deadlocks, each an HTTP
500, in 60 seconds of six threads.
"""

import random
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.utils import timezone

from characters.models import Human, Status
from game.models import Scene, SpendStatus, XPSpendingRequest
from game.operations import lifecycle
from game.operations import scenes as scene_operations
from game.operations.xp import approve_xp_spend, award_scene_xp, withdraw_xp_spend
from game.pages.storyteller import SceneForm
from tests.support import ledger_sum

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6
OPERATIONS_PER_THREAD = 80
CHARACTERS = 12
TRAITS = ("brawl", "dodge", "alertness", "athletics")


def deadlocks_so_far() -> int:
    """The database's deadlock counter (PostgreSQL's statistics; a backend's count is
    flushed when it exits, and every worker's connection is closed before this is read)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


class Mix:
    """The operations a table of players and storytellers runs at once, as the pages run
    them. A refusal (ValidationError, PermissionDenied) is an ordinary answer; anything
    else — a deadlock, an IntegrityError — is an error the test reports."""

    def __init__(self, storyteller, chronicle, characters, drafts):
        self.storyteller = storyteller
        self.chronicle = chronicle
        self.characters = characters
        self.drafts = drafts
        self.errors: list[str] = []
        self.done: dict[str, int] = {}
        self.lock = threading.Lock()

    def scene_form(self, rng, scene=None):
        approved = list(
            Human.objects.filter(
                pk__in=[c.pk for c in self.characters], status=Status.APPROVED
            ).values_list("pk", flat=True)
        )
        chosen = rng.sample(approved, min(len(approved), rng.randint(2, 6)))
        data = {
            "chronicle": self.chronicle.pk,
            "name": f"Scene {rng.randint(1, 10**6)}",
            "date_played": timezone.localdate().isoformat(),
            "participants": chosen,
        }
        return SceneForm(data, instance=scene, user=self.storyteller)

    def create_scene(self, rng):
        form = self.scene_form(rng)
        if form.is_valid():  # a participant retired meanwhile: the form says so
            scene_operations.save_scene(form=form)

    def open_scene(self) -> Scene | None:
        """A random scene of the chronicle whose XP was not given yet."""
        return Scene.objects.filter(chronicle=self.chronicle, xp_given=False).order_by("?").first()

    def edit_scene(self, rng):
        scene = self.open_scene()
        if scene is None:
            return self.create_scene(rng)
        form = self.scene_form(rng, scene)
        if form.is_valid():
            scene_operations.save_scene(form=form)

    def award(self, rng):
        scene = self.open_scene()
        if scene is None:
            return self.create_scene(rng)
        scene_operations.finish_scene(scene_id=scene.pk)
        scene.refresh_from_db()
        awards = {pk: rng.randint(0, 3) for pk in scene.participants.values_list("pk", flat=True)}
        award_scene_xp(scene=scene, character_awards=awards, by=self.storyteller)

    def spend(self, rng):
        character = Human.objects.get(pk=rng.choice(self.characters).pk)
        character.spend_xp(rng.choice(TRAITS))

    def decide(self, rng):
        pending = (
            XPSpendingRequest.objects.filter(
                character__in=self.characters, status=SpendStatus.PENDING
            )
            .order_by("?")
            .first()
        )
        if pending is None:
            return self.spend(rng)
        character = Human.objects.get(pk=pending.character_id)
        if rng.random() < 0.3:
            withdraw_xp_spend(character=character, request_id=pending.pk, by=character.owner)
        else:
            approve_xp_spend(
                character=character,
                request_id=pending.pk,
                trait_property_name=pending.trait_name,
                new_value=pending.new_value,
                approver=self.storyteller,
            )

    def move(self, rng):
        character = Human.objects.get(pk=rng.choice(self.characters).pk)
        target = Status.RETIRED if character.status == Status.APPROVED else Status.APPROVED
        lifecycle.change_status(character_id=character.pk, status=target, by=self.storyteller)

    def willpower(self, rng):
        character = rng.choice(self.characters)
        lifecycle.restore_willpower(character_id=character.pk, by=self.storyteller)

    def edit_sheet(self, rng):
        from game.pages.sheet_forms import SheetForm

        draft = Human.objects.get(pk=rng.choice(self.drafts).pk)
        blank = SheetForm(instance=draft)
        data = {name: blank.initial.get(name, getattr(draft, name, "")) for name in blank.fields}
        data.update(wits=rng.randint(1, 3), version=draft.version)
        form = SheetForm({k: "" if v is None else v for k, v in data.items()}, instance=draft)
        if form.is_valid():
            lifecycle.save_sheet(form=form, by=draft.owner)

    OPERATIONS = (
        ("create_scene", 4),
        ("edit_scene", 4),
        ("award", 4),
        ("spend", 3),
        ("decide", 3),
        ("move", 1),
        ("willpower", 1),
        ("edit_sheet", 1),
    )

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        names = [name for name, weight in self.OPERATIONS for _ in range(weight)]
        try:
            for _ in range(OPERATIONS_PER_THREAD):
                name = rng.choice(names)
                try:
                    getattr(self, name)(rng)
                except (ValidationError, PermissionDenied):
                    pass
                except Exception as error:  # noqa: BLE001 - reported to the test
                    with self.lock:
                        self.errors.append(f"{name}: {type(error).__name__}: {error}")
                with self.lock:
                    self.done[name] = self.done.get(name, 0) + 1
        finally:
            connections.close_all()


def test_a_random_mix_of_every_writer_ends_without_a_deadlock_or_an_error(
    make_human, make_user, chronicle, storyteller, player
):
    # Characters whose primary keys are spread out, so that a set of them is not iterated
    # in primary-key order (small integers hash to themselves).
    for index in range(20):
        make_human(name=f"Extra {index}", status=Status.UNFINISHED)
    characters = [make_human(name=f"Player {i}", xp=40) for i in range(CHARACTERS)]
    drafts = [make_human(name=f"Draft {i}", status=Status.UNFINISHED) for i in range(3)]
    mix = Mix(storyteller, chronicle, characters, drafts)
    before = deadlocks_so_far()

    threads = [threading.Thread(target=mix.run, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
        assert not thread.is_alive(), "a worker did not finish"

    assert mix.errors == []
    assert sum(mix.done.values()) == THREADS * OPERATIONS_PER_THREAD
    assert mix.done.get("award", 0) > 0 and mix.done.get("create_scene", 0) > 0
    assert deadlocks_so_far() == before
    for character in Human.objects.filter(pk__in=[c.pk for c in characters]):
        assert character.xp == ledger_sum(character) >= 0, character
    assert Scene.objects.filter(chronicle=chronicle, xp_given=True).exists()


def test_a_scene_form_opened_before_the_award_cannot_undo_it(make_human, chronicle, storyteller):
    """The form was filled in from a copy read before the scene was finished and
    awarded: saving it is refused and the award stays (it once wrote ``xp_given=False``
    back, so the scene's XP could be awarded a second time)."""
    ada, bea = make_human(name="Ada"), make_human(name="Bea")
    scene = Scene.objects.create(chronicle=chronicle, name="Rooftops")
    scene.participants.set([ada])
    stale = Scene.objects.get(pk=scene.pk)
    data = {
        "chronicle": chronicle.pk,
        "name": "Rooftops, renamed",
        "date_played": timezone.localdate().isoformat(),
        "participants": [ada.pk, bea.pk],
    }
    form = SceneForm(data, instance=stale, user=storyteller)
    assert form.is_valid(), form.errors
    scene_operations.finish_scene(scene_id=scene.pk)
    award_scene_xp(scene=Scene.objects.get(pk=scene.pk), character_awards={ada.pk: 2})

    with pytest.raises(ValidationError, match="already awarded"):
        scene_operations.save_scene(form=form)
    scene.refresh_from_db()
    assert (scene.name, scene.finished, scene.xp_given) == ("Rooftops", True, True)
    assert list(scene.participants.values_list("pk", flat=True)) == [ada.pk]


def test_a_scene_finished_meanwhile_stays_finished_after_an_edit(
    make_human, chronicle, storyteller
):
    ada = make_human(name="Ada")
    scene = Scene.objects.create(chronicle=chronicle, name="Rooftops")
    data = {
        "chronicle": chronicle.pk,
        "name": "Rooftops, renamed",
        "date_played": timezone.localdate().isoformat(),
        "participants": [ada.pk],
    }
    form = SceneForm(data, instance=Scene.objects.get(pk=scene.pk), user=storyteller)
    assert form.is_valid(), form.errors
    scene_operations.finish_scene(scene_id=scene.pk)
    scene_operations.save_scene(form=form)
    scene.refresh_from_db()
    assert (scene.name, scene.finished) == ("Rooftops, renamed", True)
    assert scene.finished_at is not None
    assert list(scene.participants.values_list("pk", flat=True)) == [ada.pk]

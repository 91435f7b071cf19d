"""Who may see and do what: the one place tg answers it.

Views, templates, the admin and the XP operations all ask this module; nothing else
decides a permission. The roles, from the least to the most trusted:

- **anonymous**: sees nothing but the login and invitation pages;
- **player**: a member of a chronicle (``ChronicleMembership``) or the owner of a
  character in it: sees the chronicle, its public roster and the full sheet of their
  own characters only;
- **storyteller** of a chronicle: its head storyteller, or a user with an
  ``STRelationship`` for it (any game line): sees every sheet of the chronicle,
  decides its XP requests and characters; scene actions further need the scene's
  game line (the head storyteller has every line);
- **head storyteller**: also manages the chronicle's storytellers and invitations;
- **operator**: a member of the ``operators`` group (``OPERATORS_GROUP``): reads the
  operator pages (health, integrity, operations) and nothing else more than a player;
- **superuser**: everything, everywhere.

``is_staff`` alone grants nothing here: it only opens the admin. Nobody decides an XP
request of, or adjusts the XP of, a character they own (the self-decision rule),
unless ``TG_ALLOW_SELF_DECISIONS`` is on, in which case the decision is recorded as
self-decided. ``docs/permissions.md`` has the table of roles and actions.

Objects a user may not see are simply absent from the scoped querysets, so views
answer 404 for them and never reveal that they exist.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from characters.models import Character, Human, Status
from game.models import Chronicle, ChronicleMembership, Scene, STRelationship


def is_signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_superuser(user) -> bool:
    return is_signed_in(user) and bool(user.is_superuser)


# The auth group whose members are operators (created by core's migration 0003).
OPERATORS_GROUP = "operators"


def is_operator(user) -> bool:
    """May ``user`` read the operator pages? Superusers, and members of the operators group.

    Staff status alone does not make an operator. The answer is kept on the user object
    for the rest of the request: the page and the navigation ask it once between them.
    """
    if not is_signed_in(user):
        return False
    if is_superuser(user):
        return True
    return _roles(user)[0]


# Who may start a chronicle (settings.TG_CHRONICLE_STARTERS): "anyone" signed in, or
# only those "allowed": superusers, operators, and accounts given the permission below
# (``manage.py chronicle_starters --allow NAME``), directly or through a group.
START_CHRONICLE_PERMISSION = "game.add_chronicle"


def may_start_chronicle(user) -> bool:
    if not is_signed_in(user):
        return False
    if settings.TG_CHRONICLE_STARTERS == "anyone" or is_superuser(user):
        return True
    operator, starter = _roles(user)
    return operator or starter


def _roles(user) -> tuple[bool, bool]:
    """(an operator?, given leave to start chronicles?) in one query, kept on the user
    object for the rest of the request: the page and the navigation ask it once."""
    cached = getattr(user, "_tg_roles", None)
    if cached is None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Permission

        app, codename = START_CHRONICLE_PERMISSION.split(".")
        leave = Permission.objects.filter(content_type__app_label=app, codename=codename)
        row = (
            get_user_model()
            .objects.filter(pk=user.pk)
            .annotate(
                operator=Exists(
                    user.groups.through.objects.filter(
                        user_id=OuterRef("pk"), group__name=OPERATORS_GROUP
                    )
                ),
                starter=Exists(leave.filter(user=OuterRef("pk")))
                | Exists(leave.filter(group__user=OuterRef("pk"))),
            )
            .values_list("operator", "starter")
            .first()
        )
        cached = (bool(row[0]), bool(row[1])) if row else (False, False)
        user._tg_roles = cached
    return cached


def storyteller_q(user, prefix: str = "") -> Q:
    """Rows (chronicles, or rows reaching a chronicle through ``prefix``) ``user`` storytells.

    ``prefix`` is the lookup path to the chronicle, e.g. ``"chronicle__"`` for characters.
    """

    if not is_signed_in(user):
        return Q(pk__in=[])
    chronicle_pk = OuterRef(f"{prefix}pk" if prefix == "" else f"{prefix[:-2]}_id")
    assistant = STRelationship.objects.filter(user=user, chronicle=chronicle_pk)
    return Q(**{f"{prefix}head_st": user}) | Q(Exists(assistant))


def member_q(user, prefix: str = "") -> Q:
    """Chronicles (through ``prefix``) where ``user`` is a member or owns a character."""

    if not is_signed_in(user):
        return Q(pk__in=[])
    chronicle_pk = OuterRef(f"{prefix}pk" if prefix == "" else f"{prefix[:-2]}_id")
    membership = ChronicleMembership.objects.filter(user=user, chronicle=chronicle_pk)
    owns = Character.objects.filter(owner=user, chronicle=chronicle_pk)
    return Q(Exists(membership)) | Q(Exists(owns))


def storyteller_scope_q(user, prefix: str = "") -> Q:
    """Rows (through ``prefix``) of the chronicles ``user`` storytells, as a filter: every
    row for a superuser, none for someone not signed in. For counts and querysets that
    combine it with other conditions; ``storytold_by`` is the chronicles themselves."""
    if is_superuser(user):
        return Q()
    return storyteller_q(user, prefix)


def scoped(queryset: QuerySet, user, rule: Callable[[], Q]) -> QuerySet:
    """The one shape of every scoped queryset: nothing for someone not signed in,
    everything for a superuser, else the rows ``rule()`` admits."""
    if not is_signed_in(user):
        return queryset.none()
    if is_superuser(user):
        return queryset
    return queryset.filter(rule())


def self_decisions_allowed() -> bool:
    return bool(settings.TG_ALLOW_SELF_DECISIONS)


def is_own(user, owner_id: int | None) -> bool:
    """The self-decision rule, the one copy: may ``user`` not take a storyteller decision
    (approve, deny, adjust, award, a storyteller's status move) on a character owned by
    ``owner_id`` because it is their own? True when it is theirs and
    ``TG_ALLOW_SELF_DECISIONS`` is off."""
    return (
        owner_id is not None
        and owner_id == getattr(user, "pk", None)
        and not self_decisions_allowed()
    )


def may_restore_willpower(user, character) -> bool:
    """A storyteller of the character's chronicle restores its temporary willpower — never
    on their own character: a full pool is worth as much at the table as XP, so it is a
    storyteller decision like any other (``is_own``)."""
    return is_storyteller(user, character.chronicle_id) and not is_own(user, character.owner_id)


# --- Chronicles ----------------------------------------------------------------------


def storytold_by(user, queryset: QuerySet[Chronicle] | None = None) -> QuerySet[Chronicle]:
    """Chronicles ``user`` storytells (head or assistant of any game line)."""
    queryset = Chronicle.objects.all() if queryset is None else queryset
    return scoped(queryset, user, lambda: storyteller_q(user))


def chronicles_visible_to(user, queryset: QuerySet[Chronicle] | None = None) -> QuerySet[Chronicle]:
    """Chronicles ``user`` storytells or belongs to (a member, or the owner of a character)."""
    queryset = Chronicle.objects.all() if queryset is None else queryset
    return scoped(queryset, user, lambda: storyteller_q(user) | member_q(user))


def is_storyteller(user, chronicle: Chronicle | int | None) -> bool:
    """Does ``user`` storytell this chronicle (head, an assistant of any line, superuser)?"""

    if chronicle is None or not is_signed_in(user):
        return False
    if is_superuser(user):
        return True
    chronicle_id = chronicle if isinstance(chronicle, int) else chronicle.pk
    return Chronicle.objects.filter(pk=chronicle_id).filter(storyteller_q(user)).exists()


def is_head_storyteller(user, chronicle: Chronicle) -> bool:
    return is_superuser(user) or (is_signed_in(user) and chronicle.head_st_id == user.pk)


def is_head_storyteller_of(user, chronicle_id: int | None) -> bool:

    if is_superuser(user):
        return True
    if chronicle_id is None or not is_signed_in(user):
        return False
    return Chronicle.objects.filter(pk=chronicle_id, head_st=user).exists()


# --- Characters ----------------------------------------------------------------------


def sheets_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Characters whose full sheet ``user`` may see: their own, and every character of a
    chronicle they storytell."""
    queryset = Character.objects.all() if queryset is None else queryset
    return scoped(queryset, user, lambda: Q(owner=user) | storyteller_q(user, "chronicle__"))


def characters_listed_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """Characters ``user`` may at least see the public card of (name, concept, status,
    player): the full-sheet ones plus every character of a chronicle they belong to."""
    queryset = Character.objects.all() if queryset is None else queryset
    return scoped(
        queryset,
        user,
        lambda: Q(owner=user) | storyteller_q(user, "chronicle__") | member_q(user, "chronicle__"),
    )


def may_see_sheet(user, character: Character) -> bool:
    if not is_signed_in(user):
        return False
    if is_superuser(user) or character.owner_id == user.pk:
        return True
    return is_storyteller(user, character.chronicle_id)


def decide(user, *, chronicle_id: int | None, owner_id: int | None, action: str) -> bool:
    """May ``user`` take a storyteller decision (approve, deny, adjust, award) on a
    character of ``chronicle_id`` owned by ``owner_id``? Raises ``PermissionDenied``
    naming the rule; returns whether the decision is self-decided.

    ``action`` completes the refusal: "Only a storyteller of the character's chronicle
    may {action}."
    """
    if not is_signed_in(user):
        raise PermissionDenied(f"Sign in as a storyteller of the chronicle to {action}.")
    if not is_storyteller(user, chronicle_id):
        raise PermissionDenied(f"Only a storyteller of the character's chronicle may {action}.")
    if is_own(user, owner_id):
        raise PermissionDenied(
            f"You cannot {action} for your own character: another storyteller of the "
            "chronicle decides."
        )
    return owner_id is not None and owner_id == user.pk


def to_decide_q(user, prefix: str = "") -> Q:
    """What ``user`` may be asked to decide as a storyteller, as far as ownership goes:
    not their own characters (``prefix`` leads to the character), unless
    ``TG_ALLOW_SELF_DECISIONS`` is on. Queues, counts and badges use it, so that they
    list exactly what ``decide`` would let this user decide."""
    if self_decisions_allowed():
        return Q()
    return ~Q(**{f"{prefix}owner": user})


def characters_to_decide(queryset: QuerySet, user) -> QuerySet:
    """Characters of the chronicles ``user`` storytells (every chronicle for a superuser)
    whose storyteller decisions ``user`` may take: not their own, unless self-decisions
    are allowed. A character ``user`` only plays elsewhere is never among them."""
    return queryset.filter(storyteller_scope_q(user, "chronicle__")).filter(to_decide_q(user))


# --- Scenes --------------------------------------------------------------------------


def scenes_run_by(user, queryset: QuerySet[Scene] | None = None) -> QuerySet[Scene]:
    """Scenes ``user`` may run (edit, finish, award): the head storyteller's chronicles,
    and an assistant's for their game lines (a scene with no game line: any line). The
    same rule as ``may_run_scene``, as a filter."""
    queryset = Scene.objects.all() if queryset is None else queryset
    return scoped(queryset, user, lambda: _runs_scenes_q(user))


def _runs_scenes_q(user) -> Q:
    line = STRelationship.objects.filter(
        user=user, chronicle=OuterRef("chronicle_id"), gameline=OuterRef("gameline_id")
    )
    any_line = STRelationship.objects.filter(user=user, chronicle=OuterRef("chronicle_id"))
    return Q(chronicle__head_st=user) | Q(Exists(line)) | Q(Exists(any_line), gameline__isnull=True)


def may_run_scene(user, scene: Scene) -> bool:
    """May ``user`` run ``scene`` (saved or not yet: its chronicle and game line decide)?
    The head storyteller runs every scene of the chronicle; an assistant those of their
    game lines, and a scene without a game line if they storytell any line there."""
    if not is_signed_in(user):
        return False
    if is_superuser(user) or scene.chronicle.head_st_id == user.pk:
        return True
    lines = STRelationship.objects.filter(user=user, chronicle_id=scene.chronicle_id)
    if scene.gameline_id is None:
        return lines.exists()
    return lines.filter(gameline_id=scene.gameline_id).exists()


# --- Character status moves ------------------------------------------------------------

# Who may make which move (the state machine itself is characters.ALLOWED_TRANSITIONS).
PLAYER_MOVES = {
    (Status.UNFINISHED, Status.SUBMITTED),
    (Status.SUBMITTED, Status.UNFINISHED),
    (Status.UNFINISHED, Status.RETIRED),
    (Status.APPROVED, Status.RETIRED),
}
STORYTELLER_MOVES = {
    (Status.SUBMITTED, Status.APPROVED),
    (Status.SUBMITTED, Status.UNFINISHED),
    (Status.APPROVED, Status.RETIRED),
    (Status.APPROVED, Status.DECEASED),
    (Status.RETIRED, Status.APPROVED),
}
# Every role move is one the state machine allows (a test holds them to it). The one
# move the machine allows that no role is offered, Submitted -> Retired, is left out
# on purpose: a submitted character waits for its storyteller's answer; its player
# takes it back to Unfinished first, then retires it.


def status_moves(user, character: Character) -> set[str]:
    """The statuses ``user`` may move ``character`` to from where it is now."""
    if not is_signed_in(user):
        return set()
    moves: set[str] = set()
    own = character.owner_id == user.pk
    if own:
        moves |= {new for old, new in PLAYER_MOVES if old == character.status}
    if is_storyteller(user, character.chronicle_id) and not is_own(user, character.owner_id):
        moves |= {new for old, new in STORYTELLER_MOVES if old == character.status}
    return moves


# --- Lookups for views: 404 outside the user's scope -----------------------------------


def character_for(user, pk: int, *, model=None):
    """The character ``pk`` if ``user`` may at least see its card, else 404.

    Returns ``(character, full)``: ``full`` tells whether the whole sheet may be shown.
    """

    model = model or Human
    character = get_object_or_404(
        characters_listed_for(user, model.objects.select_related("owner", "chronicle")), pk=pk
    )
    return character, may_see_sheet(user, character)


def own_character(user, pk: int, *, model=None):
    """A character of ``user``'s own: 404 when they cannot see it, 403 when they can but
    it is someone else's (a storyteller looking at a player's sheet)."""
    character, _ = character_for(user, pk, model=model)
    if character.owner_id != user.pk:
        raise PermissionDenied("Only the character's player can do this.")
    return character


def chronicle_for(user, pk: int):
    """A chronicle ``user`` belongs to or storytells, else 404."""

    return get_object_or_404(chronicles_visible_to(user), pk=pk)

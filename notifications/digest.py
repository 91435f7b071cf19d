"""The storyteller's daily digest: what waits for them, per chronicle they storytell.

``waiting_for(user)`` builds the digest as plain data in four queries whatever the
size of the chronicles; ``send_digests()`` mails it to every storyteller who wants it,
at most once a day (``NotificationPreferences.last_digest_on``), and not at all on a day
when nothing waits. ``send_storyteller_digest`` (the management command) runs it from
cron and prints the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, Min, Q
from django.urls import reverse

from notifications.mail import deliver, site_url
from notifications.models import NotificationPreferences

NAMES_SHOWN = 10  # characters and scenes named per chronicle; the rest are counted


@dataclass
class ChronicleWaiting:
    """What waits for one storyteller in one chronicle."""

    name: str
    link: str
    submitted: list[tuple[str, str]] = field(default_factory=list)  # (name, link)
    pending: int = 0
    oldest_pending: datetime | None = None
    scenes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.submitted or self.pending or self.scenes)

    @property
    def submitted_more(self) -> int:
        """Submitted characters beyond the ``NAMES_SHOWN`` first, counted not named."""
        return max(0, len(self.submitted) - NAMES_SHOWN)

    @property
    def scenes_more(self) -> int:
        return max(0, len(self.scenes) - NAMES_SHOWN)


@dataclass
class Digest:
    chronicles: list[ChronicleWaiting]

    @property
    def submitted(self) -> int:
        return sum(len(c.submitted) for c in self.chronicles)

    @property
    def pending(self) -> int:
        return sum(c.pending for c in self.chronicles)

    @property
    def scenes(self) -> int:
        return sum(len(c.scenes) for c in self.chronicles)

    @property
    def empty(self) -> bool:
        return not self.chronicles

    def subject(self) -> str:
        """'tg: 2 characters to approve, 3 XP requests, 1 scene without XP'."""
        parts = []
        if self.submitted:
            parts.append(_count(self.submitted, "character") + " to approve")
        if self.pending:
            parts.append(_count(self.pending, "XP request"))
        if self.scenes:
            parts.append(_count(self.scenes, "scene") + " without XP")
        return "tg: " + ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def waiting_for(user) -> Digest:
    """What waits for ``user`` in the chronicles they storytell — as head storyteller or
    through a storyteller relationship; a superuser is not sent every chronicle. Their
    own characters' requests and submissions are left out: another storyteller decides
    them. Scenes are those whose XP ``user`` may award (their game lines)."""
    from characters.models import Character, Status
    from game import permissions
    from game.models import Chronicle, Scene, SpendStatus, XPSpendingRequest

    chronicles = {
        c.pk: ChronicleWaiting(c.name, site_url(reverse("chronicle", args=[c.pk])))
        for c in Chronicle.objects.filter(permissions.storyteller_q(user)).order_by("name")
    }
    if not chronicles:
        return Digest([])
    ids = list(chronicles)
    for pk, name, chronicle_id in (
        Character.objects.filter(chronicle_id__in=ids, status=Status.SUBMITTED)
        .exclude(owner=user)
        .order_by("name", "pk")
        .values_list("pk", "name", "chronicle_id")
    ):
        chronicles[chronicle_id].submitted.append(
            (name, site_url(reverse("character-sheet", args=[pk])))
        )
    for row in (
        XPSpendingRequest.objects.filter(
            character__chronicle_id__in=ids, status=SpendStatus.PENDING
        )
        .exclude(character__owner=user)
        .order_by()
        .values("character__chronicle_id")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    ):
        waiting = chronicles[row["character__chronicle_id"]]
        waiting.pending, waiting.oldest_pending = row["count"], row["oldest"]
    scenes = Scene.objects.filter(chronicle_id__in=ids, finished=True, xp_given=False)
    for name, chronicle_id in (
        permissions.scenes_run_by(user, scenes)
        .order_by("finished_at", "name")
        .values_list("name", "chronicle_id")
    ):
        chronicles[chronicle_id].scenes.append(name)
    return Digest([c for c in chronicles.values() if not c.empty])


def storytellers():
    """Active people with an e-mail address who storytell at least one chronicle."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(headed_chronicles__isnull=False) | Q(st_relationships__isnull=False))
        .distinct()
        .order_by("username")
    )


SENT, NOTHING, ALREADY, OFF, FAILED, WOULD_SEND = (
    "sent",
    "nothing waiting",
    "already sent today",
    "turned off",
    "failed",
    "would send",
)


def send_digest(user, *, today: date, dry_run: bool = False) -> str:
    """Send ``user`` today's digest if they want one, have none yet today and something
    waits. Returns what happened (one of the outcomes above).

    The day is claimed before the mail is sent, by a conditional UPDATE: two runs at
    once (a cron line doubled by mistake) cannot both send. A mail that fails gives the
    day back, so the next run tries again.
    """
    preferences = NotificationPreferences.current(user)
    if not preferences.digest:
        return OFF
    if preferences.last_digest_on == today:
        return ALREADY
    digest = waiting_for(user)
    if digest.empty:
        return NOTHING
    if dry_run:
        return WOULD_SEND
    if preferences.pk is None:
        preferences, _ = NotificationPreferences.objects.get_or_create(user=user)
    previous = preferences.last_digest_on
    claimed = (
        NotificationPreferences.objects.filter(pk=preferences.pk, digest=True)
        .exclude(last_digest_on=today)
        .update(last_digest_on=today)
    )
    if not claimed:
        return ALREADY
    sent = deliver(
        to=user.email,
        subject=digest.subject(),
        template="notifications/storyteller_digest.txt",
        context={
            "user": user,
            "digest": digest,
            "today": today,
            "names_shown": NAMES_SHOWN,
            "preferences": site_url(reverse("account")),
        },
    )
    if not sent:
        NotificationPreferences.objects.filter(pk=preferences.pk, last_digest_on=today).update(
            last_digest_on=previous
        )
        return FAILED
    return SENT

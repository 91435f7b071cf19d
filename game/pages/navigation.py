"""The navigation every page shows: the user's sections and what waits for them.

Computed per request, lazily (only when a template reads it), in at most four
queries whatever the size of the data (the operator link: one at most, none for a
superuser or when the page already asked), and never cached across users: a count
belongs to the user who sees it.
"""

from functools import cached_property

from django.db.models import Count, Q

from characters.models import Character, Status
from game import permissions
from game.models import SpendStatus, XPSpendingRequest


class Navigation:
    def __init__(self, user):
        self.user = user

    @cached_property
    def is_operator(self) -> bool:
        """Show the operator pages' "Health" link (``permissions.is_operator``)."""
        return permissions.is_operator(self.user)

    @cached_property
    def is_storyteller(self) -> bool:
        return permissions.storytold_by(self.user).exists()

    @cached_property
    def _requests(self) -> dict:
        to_decide = Q(pk__in=[])
        if self.is_storyteller:
            to_decide = permissions.storyteller_scope_q(
                self.user, "character__chronicle__"
            ) & permissions.to_decide_q(self.user, "character__")
        return XPSpendingRequest.objects.filter(status=SpendStatus.PENDING).aggregate(
            mine=Count("pk", filter=Q(character__owner=self.user)),
            to_decide=Count("pk", filter=to_decide),
        )

    @property
    def my_pending(self) -> int:
        return self._requests["mine"]

    @property
    def requests_to_decide(self) -> int:
        return self._requests["to_decide"]

    @cached_property
    def characters_to_approve(self) -> int:
        if not self.is_storyteller:
            return 0
        return permissions.characters_to_decide(
            Character.objects.filter(status=Status.SUBMITTED), self.user
        ).count()

    @property
    def waiting(self) -> int:
        """Everything waiting on this user: the badge."""
        return self.requests_to_decide + self.characters_to_approve


def navigation(request):
    user = getattr(request, "user", None)
    if not permissions.is_signed_in(user):
        return {}
    return {"nav": Navigation(user)}

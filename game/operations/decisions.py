"""A storyteller's batch decision: approve or deny many XP requests at once, each in its
own transaction (``game.operations.xp``), so one refusal never blocks the others."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError

from game import permissions
from game.models import XPSpendingRequest
from game.operations import xp
from game.operations.errors import error_text


@dataclass
class BatchSummary:
    """What a batch decision did, one request at a time."""

    done: list = field(default_factory=list)
    already: list = field(default_factory=list)
    stale: list = field(default_factory=list)
    refused: list = field(default_factory=list)

    def lines(self, verb: str) -> list[str]:
        """One clause per outcome, without a final full stop (the page joins them)."""
        parts = []
        if self.done:
            parts.append(f"{len(self.done)} {verb}")
        for request, message in self.already:
            parts.append(f"{request.character}'s {request.trait_display}: {message.rstrip('.')}")
        if self.stale:
            names = ", ".join(f"{r.character}'s {r.trait_display}" for r in self.stale)
            parts.append(f"{len(self.stale)} stale, left pending: {names} (deny them)")
        for request, message in self.refused:
            parts.append(f"{request.character}'s {request.trait_display}: {message.rstrip('.')}")
        return parts


def decide_requests(*, user, request_ids, approve: bool, reason: str = "") -> BatchSummary:
    """Approve or deny each request in its own transaction; one refusal never blocks the
    others. Requests outside ``user``'s chronicles are ignored (they do not exist here)."""
    summary = BatchSummary()
    requests = (
        XPSpendingRequest.objects.filter(pk__in=request_ids)
        .filter(permissions.storyteller_scope_q(user, "character__chronicle__"))
        .select_related("character")
    )
    for request in sorted(requests, key=lambda r: r.pk):
        try:
            if approve:
                xp.approve_xp_spend(
                    character=request.character,
                    request_id=request.pk,
                    trait_property_name=request.trait_name,
                    new_value=request.new_value,
                    approver=user,
                )
            else:
                xp.deny_xp_spend(
                    character=request.character,
                    request_id=request.pk,
                    approver=user,
                    reason=reason,
                )
        except ValidationError as error:
            if error.code == "already_processed":
                summary.already.append((request, error_text(error)))
            elif error.code == "stale_request":
                summary.stale.append(request)
            else:
                summary.refused.append((request, error_text(error)))
        except PermissionDenied as error:
            summary.refused.append((request, error_text(error)))
        else:
            summary.done.append(request)
    return summary


@dataclass
class MixedSummary:
    """What a queue's per-row decisions did: the approvals, then the denials."""

    approved: BatchSummary
    denied: BatchSummary

    @property
    def all_done(self) -> bool:
        parts = (self.approved, self.denied)
        return not any(s.already or s.stale or s.refused for s in parts)

    def lines(self) -> list[str]:
        return self.approved.lines("approved") + self.denied.lines("denied")


def decide_each(*, user, approve_ids, deny_reasons: dict[int, str]) -> MixedSummary:
    """The queue's per-row decisions in one go: approve ``approve_ids``, deny each of
    ``deny_reasons`` with its own reason. Each request in its own transaction, as
    ``decide_requests``: one refusal never blocks the others. A request named in both
    is denied only (the safer of the two: it refunds)."""
    approve_ids = [pk for pk in approve_ids if pk not in deny_reasons]
    approved = decide_requests(user=user, request_ids=approve_ids, approve=True)
    denied = BatchSummary()
    by_reason: dict[str, list[int]] = {}
    for pk, reason in deny_reasons.items():
        by_reason.setdefault(reason, []).append(pk)
    for reason, ids in by_reason.items():
        part = decide_requests(user=user, request_ids=ids, approve=False, reason=reason)
        denied.done += part.done
        denied.already += part.already
        denied.stale += part.stale
        denied.refused += part.refused
    return MixedSummary(approved, denied)

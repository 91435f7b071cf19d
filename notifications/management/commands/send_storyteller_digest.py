"""Send each storyteller their daily digest of what waits for them (run daily by cron)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications import digest


class Command(BaseCommand):
    help = (
        "E-mail every storyteller who wants it the digest of what waits for them: "
        "submitted characters, pending XP requests and finished scenes without XP, per "
        "chronicle. At most one digest per person per day; nothing is sent to someone "
        "for whom nothing waits. Exit status: 0 when every due digest was sent (or "
        "nothing was due), 1 when at least one could not be sent (see the log; the next "
        "run tries them again)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say who would get a digest today; send nothing and record nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        today = timezone.localdate()
        outcomes = {
            user.get_username(): digest.send_digest(user, today=today, dry_run=dry_run)
            for user in digest.storytellers()
        }
        if options["verbosity"] > 1:
            for username, outcome in outcomes.items():
                self.stdout.write(f"{username}: {outcome}")
        self.stdout.write(self.summary(today, list(outcomes.values()), dry_run))
        failed = sum(1 for outcome in outcomes.values() if outcome == digest.FAILED)
        if failed:
            raise CommandError(
                f"{failed} digest{'s' if failed != 1 else ''} could not be sent "
                "(logged by tg.notifications); the next run tries again.",
                returncode=1,
            )

    @staticmethod
    def summary(today, outcomes: list[str], dry_run: bool) -> str:
        """'Storyteller digests for 2026-11-26: 2 sent, 1 nothing waiting, …'."""
        order = ([digest.WOULD_SEND] if dry_run else [digest.SENT, digest.FAILED]) + [
            digest.NOTHING,
            digest.ALREADY,
            digest.OFF,
        ]
        counts = ", ".join(f"{outcomes.count(outcome)} {outcome}" for outcome in order)
        label = " (dry run: nothing sent)" if dry_run else ""
        return f"Storyteller digests for {today.isoformat()}{label}: {counts}."

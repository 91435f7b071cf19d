"""Who may start a chronicle when TG_CHRONICLE_STARTERS=allowed.

    manage.py chronicle_starters                 # list them
    manage.py chronicle_starters --allow NAME    # let an account start chronicles
    manage.py chronicle_starters --revoke NAME   # take that leave back

Operators and superusers may always start one; with TG_CHRONICLE_STARTERS=anyone (the
default) every signed-in account may, and this list changes nothing until the setting
is "allowed". Exit 0 on success, 2 (one ``CommandError:`` line) for an unknown account.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import CommandError
from django.db.models import Q

from game.permissions import OPERATORS_GROUP, START_CHRONICLE_PERMISSION
from oversight.management.base import EXIT_COULD_NOT_CHECK, OperatorCommand


class Command(OperatorCommand):
    help = "List, allow or revoke the accounts that may start a chronicle."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--allow", metavar="USERNAME", help="Let this account start one.")
        group.add_argument("--revoke", metavar="USERNAME", help="Take that leave back.")

    def handle(self, *args, allow=None, revoke=None, **options):
        permission = Permission.objects.get(
            content_type__app_label="game", codename="add_chronicle"
        )
        User = get_user_model()
        name = allow or revoke
        if name:
            user = User.objects.filter(username=name).first()
            if user is None:
                raise CommandError(
                    f"there is no account {name!r}.", returncode=EXIT_COULD_NOT_CHECK
                )
            if allow:
                user.user_permissions.add(permission)
                self.stdout.write(f"{name} may start chronicles.")
            else:
                user.user_permissions.remove(permission)
                user = User.objects.get(pk=user.pk)  # permissions are cached per object
                if user.is_superuser or user.groups.filter(name=OPERATORS_GROUP).exists():
                    self.stdout.write(f"{name} may still start chronicles: an operator.")
                elif user.has_perm(START_CHRONICLE_PERMISSION):
                    groups = ", ".join(
                        user.groups.filter(permissions=permission).values_list("name", flat=True)
                    )
                    self.stdout.write(
                        f"{name} may still start chronicles: through the group(s) {groups}."
                    )
                else:
                    self.stdout.write(f"{name} may no longer start chronicles.")
        else:
            allowed = (
                User.objects.filter(
                    Q(user_permissions=permission) | Q(groups__permissions=permission)
                )
                .distinct()
                .order_by("username")
            )
            for user in allowed:
                self.stdout.write(user.get_username())
        if settings.TG_CHRONICLE_STARTERS == "anyone":
            self.stderr.write(
                "Note: TG_CHRONICLE_STARTERS is 'anyone': every signed-in account may start "
                "a chronicle, whatever this list says."
            )

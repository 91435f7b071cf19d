"""The admin is a superuser's tool, and nobody else's.

The storytellers' work has pages of their own, each asking ``game.permissions``. The
admin's forms know nothing of chronicles: a storyteller with the admin's model
permissions could approve their own character, raise dots without XP, move a character
into a chronicle they do not run or make themselves a storyteller elsewhere. So the
admin opens for active superusers only; ``is_staff`` and model permissions open nothing
here (docs/permissions.md). A signed-in user who is not a superuser sees the admin's own
"not authorised" sign-in page.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class SuperuserAdminSite(admin.AdminSite):
    site_header = "tg administration"
    site_title = "tg admin"
    index_title = "Superuser administration"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class SuperuserAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`SuperuserAdminSite` as ``admin.site``."""

    default_site = "core.admin_site.SuperuserAdminSite"

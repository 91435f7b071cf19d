"""Every page's URL: players, storytellers, chronicles and the character sheet."""

from django.urls import path, re_path

from characters.models import Status
from game.pages import chronicle, player, sheet, storyteller

STATUS = "|".join(Status.values)

urlpatterns = [
    path("", player.dashboard, name="dashboard"),
    path("scenes/", player.my_scenes, name="my-scenes"),
    path("chronicles/<int:pk>/", player.chronicle, name="chronicle"),
    path("chronicles/<int:pk>/invitations/", player.invitations, name="invitations"),
    path("chronicles/<int:pk>/storytellers/", storyteller.storytellers, name="storytellers"),
    path("chronicles/<int:pk>/report/", chronicle.report, name="chronicle-report"),
    path("chronicles/<int:pk>/audit/", chronicle.audit_trail, name="chronicle-audit"),
    path("chronicles/<int:pk>/audit.csv", chronicle.audit_csv, name="chronicle-audit-csv"),
    path("invite/<str:token>/", player.invitation, name="invitation"),
    path("characters/<int:pk>/xp/", player.history, name="xp-history"),
    path("characters/<int:pk>/xp.csv", player.history_csv, name="xp-history-csv"),
    path("characters/<int:pk>/xp/spend/", player.spend, name="xp-spend"),
    path(
        "characters/<int:pk>/xp/requests/<int:request_id>/withdraw/",
        player.withdraw,
        name="xp-withdraw",
    ),
    path("st/", storyteller.dashboard, name="st-dashboard"),
    path("st/requests/", storyteller.queue, name="st-queue"),
    path("st/requests/<int:pk>/", storyteller.request_page, name="st-request"),
    path("st/characters/", storyteller.approvals, name="st-approvals"),
    path(
        "st/characters/<int:pk>/decide/",
        storyteller.approval_decision,
        name="st-approval-decision",
    ),
    path("st/scenes/", storyteller.scenes, name="st-scenes"),
    path("st/scenes/new/", storyteller.scene_edit, name="st-scene-new"),
    path("st/scenes/<int:pk>/edit/", storyteller.scene_edit, name="st-scene-edit"),
    path("st/scenes/<int:pk>/finish/", storyteller.scene_finish, name="st-scene-finish"),
    path("st/scenes/<int:pk>/award/", storyteller.scene_award, name="st-scene-award"),
    path("characters/<int:pk>/xp/adjust/", storyteller.adjust, name="xp-adjust"),
    path(
        "characters/<int:pk>/willpower/restore/",
        storyteller.restore_willpower,
        name="willpower-restore",
    ),
    path("chronicles/new/", player.chronicle_start, name="chronicle-start"),
    path("accounts/signup/", player.signup, name="signup"),
    path("accounts/", player.account, name="account"),
    path("accounts/address/<str:token>/", player.confirm_address, name="confirm-address"),
    path("characters/new/", sheet.create, name="character-create"),
    path("characters/<int:pk>/", sheet.sheet, name="character-sheet"),
    path("characters/<int:pk>/edit/", sheet.edit, name="character-edit"),
    re_path(
        rf"^characters/(?P<pk>[0-9]+)/status/(?P<status>{STATUS})/$",
        sheet.change_status,
        name="character-status",
    ),
    re_path(
        rf"^characters/(?P<pk>[0-9]+)/status/(?P<status>{STATUS})/confirm/$",
        sheet.status_confirm,
        name="character-status-confirm",
    ),
]

from django.urls import path

from . import chronicle_views, storytelling, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("scenes/", views.my_scenes, name="my-scenes"),
    path("chronicles/<int:pk>/", views.chronicle, name="chronicle"),
    path("chronicles/<int:pk>/invitations/", views.invitations, name="invitations"),
    path("chronicles/<int:pk>/storytellers/", storytelling.storytellers, name="storytellers"),
    path("chronicles/<int:pk>/report/", chronicle_views.report, name="chronicle-report"),
    path("chronicles/<int:pk>/audit/", chronicle_views.audit_trail, name="chronicle-audit"),
    path("chronicles/<int:pk>/audit.csv", chronicle_views.audit_csv, name="chronicle-audit-csv"),
    path("invite/<str:token>/", views.invitation, name="invitation"),
    path("characters/<int:pk>/xp/", views.history, name="xp-history"),
    path("characters/<int:pk>/xp.csv", views.history_csv, name="xp-history-csv"),
    path("characters/<int:pk>/xp/spend/", views.spend, name="xp-spend"),
    path(
        "characters/<int:pk>/xp/requests/<int:request_id>/withdraw/",
        views.withdraw,
        name="xp-withdraw",
    ),
    path("st/", storytelling.dashboard, name="st-dashboard"),
    path("st/requests/", storytelling.queue, name="st-queue"),
    path("st/requests/<int:pk>/", storytelling.request_page, name="st-request"),
    path("st/characters/", storytelling.approvals, name="st-approvals"),
    path(
        "st/characters/<int:pk>/decide/",
        storytelling.approval_decision,
        name="st-approval-decision",
    ),
    path("st/scenes/", storytelling.scenes, name="st-scenes"),
    path("st/scenes/new/", storytelling.scene_edit, name="st-scene-new"),
    path("st/scenes/<int:pk>/edit/", storytelling.scene_edit, name="st-scene-edit"),
    path("st/scenes/<int:pk>/finish/", storytelling.scene_finish, name="st-scene-finish"),
    path("st/scenes/<int:pk>/award/", storytelling.scene_award, name="st-scene-award"),
    path("characters/<int:pk>/xp/adjust/", storytelling.adjust, name="xp-adjust"),
    path(
        "characters/<int:pk>/willpower/restore/",
        storytelling.restore_willpower,
        name="willpower-restore",
    ),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", views.account, name="account"),
]

from django.urls import path

from . import chronicle_views, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("scenes/", views.my_scenes, name="my-scenes"),
    path("chronicles/<int:pk>/", views.chronicle, name="chronicle"),
    path("chronicles/<int:pk>/invitations/", views.invitations, name="invitations"),
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
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/", views.account, name="account"),
]

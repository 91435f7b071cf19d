from django.urls import path, re_path

from . import views
from .models import Status

STATUS = "|".join(Status.values)

urlpatterns = [
    path("characters/new/", views.create, name="character-create"),
    path("characters/<int:pk>/", views.sheet, name="character-sheet"),
    path("characters/<int:pk>/edit/", views.edit, name="character-edit"),
    re_path(
        rf"^characters/(?P<pk>[0-9]+)/status/(?P<status>{STATUS})/$",
        views.change_status,
        name="character-status",
    ),
    re_path(
        rf"^characters/(?P<pk>[0-9]+)/status/(?P<status>{STATUS})/confirm/$",
        views.status_confirm,
        name="character-status-confirm",
    ),
]

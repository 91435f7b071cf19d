from django.urls import path

from . import views

urlpatterns = [
    path("accounts/notifications/", views.preferences, name="notification-preferences"),
]

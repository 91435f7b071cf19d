from django.urls import path

from notifications import views

urlpatterns = [
    path("accounts/notifications/", views.preferences, name="notification-preferences"),
]

from django.contrib import admin

from notifications.models import NotificationPreferences


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "decisions", "digest", "last_digest_on"]
    list_filter = ["decisions", "digest"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    readonly_fields = ["last_digest_on"]

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("channels/new/", views.channel_create, name="channel_create"),
    path("channels/<int:channel_id>/test/", views.channel_test, name="channel_test"),
    path("channels/<int:channel_id>/enabled/", views.channel_enable, name="channel_enable"),
    path("channels/<int:channel_id>/remove/", views.channel_remove, name="channel_remove"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:rule_id>/", views.rule_update, name="rule_update"),
    path("rules/<int:rule_id>/enabled/", views.rule_enable, name="rule_enable"),
    path("rules/<int:rule_id>/remove/", views.rule_remove, name="rule_remove"),
]

from django.urls import path

from . import views

app_name = "users"
urlpatterns = [
    path("", views.user_list, name="list"),
    path("invite/", views.invite_create, name="invite"),
    path("invites/<int:invite_id>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("<int:user_id>/role/", views.user_role, name="role"),
    path("<int:user_id>/remove/", views.user_remove, name="remove"),
    # The invitee's page: no login (they have none yet); the token in the link is the key.
    path("join/<str:token>/", views.join, name="join"),
]

from django.urls import path

from . import views

app_name = "updates"
urlpatterns = [
    path("", views.updates_page, name="page"),
    path("settings/", views.policy_save, name="settings"),
    path("check/", views.check_now, name="check"),
]

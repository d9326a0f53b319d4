from django.urls import path

from . import views

app_name = "configs"
urlpatterns = [
    path("", views.config_list, name="list"),
    path("create/", views.config_create, name="create"),
    path("<str:config_id>/", views.config_detail, name="detail"),
    path("<str:config_id>/remove/", views.config_remove, name="remove"),
]

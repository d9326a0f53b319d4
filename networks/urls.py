from django.urls import path

from . import views

app_name = "networks"
urlpatterns = [
    path("", views.network_list, name="list"),
    path("create/", views.network_create, name="create"),
    path("<str:network_id>/", views.network_detail, name="detail"),
    path("<str:network_id>/remove/", views.network_remove, name="remove"),
]

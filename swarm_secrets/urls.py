from django.urls import path

from . import views

app_name = "swarm_secrets"
urlpatterns = [
    path("", views.secret_list, name="list"),
    path("create/", views.secret_create, name="create"),
    path("<str:secret_id>/", views.secret_detail, name="detail"),
    path("<str:secret_id>/rotate/", views.secret_rotate, name="rotate"),
    path("<str:secret_id>/remove/", views.secret_remove, name="remove"),
]

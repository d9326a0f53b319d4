from django.urls import path

from . import views

app_name = "nodes"
urlpatterns = [
    path("", views.node_list, name="list"),
    path("<str:node_id>/", views.node_detail, name="detail"),
    path("<str:node_id>/availability/", views.node_availability, name="availability"),
    path("<str:node_id>/role/", views.node_role, name="role"),
    path("<str:node_id>/labels/", views.node_labels, name="labels"),
    path("<str:node_id>/remove/", views.node_remove, name="remove"),
]

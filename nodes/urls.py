from django.urls import path

from . import views

app_name = "nodes"
urlpatterns = [
    path("", views.node_list, name="list"),
]

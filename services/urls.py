from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("", views.service_list, name="list"),
    path("new/", views.service_create, name="create"),
    path("<str:service_id>/", views.service_detail, name="detail"),
    path("<str:service_id>/edit/", views.service_update, name="update"),
    path("<str:service_id>/scale/", views.service_scale, name="scale"),
    path("<str:service_id>/redeploy/", views.service_redeploy, name="redeploy"),
    path("<str:service_id>/rollback/", views.service_rollback, name="rollback"),
    path("<str:service_id>/remove/", views.service_remove, name="remove"),
]

from django.urls import path

from . import job_views, views

app_name = "services"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("services/", views.service_list, name="list"),
    path("services/new/", job_views.service_create, name="create"),
    path("services/<str:service_id>/", views.service_detail, name="detail"),
    path("services/<str:service_id>/edit/", job_views.service_update, name="update"),
    path("services/<str:service_id>/scale/", job_views.service_scale, name="scale"),
    path("services/<str:service_id>/redeploy/", job_views.service_redeploy, name="redeploy"),
    path("services/<str:service_id>/rollback/", job_views.service_rollback, name="rollback"),
    path("services/<str:service_id>/remove/", job_views.service_remove, name="remove"),
    path("nodes/", views.node_list, name="nodes"),
    path("jobs/", job_views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", job_views.job_detail, name="job"),
]

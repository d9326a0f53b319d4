from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("services/", views.service_list, name="list"),
    path("services/<str:service_id>/", views.service_detail, name="detail"),
    path("services/<str:service_id>/scale/", views.service_scale, name="scale"),
    path("nodes/", views.node_list, name="nodes"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
]

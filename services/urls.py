from django.urls import path

from . import views

app_name = "services"
urlpatterns = [
    path("services/", views.service_list, name="list"),
    path("services/<str:service_id>/scale/", views.service_scale, name="scale"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
]

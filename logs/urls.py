from django.urls import path

from . import views

app_name = "logs"
urlpatterns = [
    path("services/<str:service_id>/", views.service_page, name="service"),
    path("services/<str:service_id>/download", views.service_download, name="service_download"),
    path("tasks/<str:task_id>/", views.task_page, name="task"),
    path("tasks/<str:task_id>/download", views.task_download, name="task_download"),
]

from django.urls import path

from logs.consumers import LogConsumer

from . import consumers

websocket_urlpatterns = [
    path("ws/swarm/", consumers.SwarmConsumer.as_asgi()),
    path("ws/services/", consumers.ServiceListConsumer.as_asgi()),
    path("ws/services/<str:service_id>/", consumers.ServiceConsumer.as_asgi()),
    path("ws/jobs/", consumers.JobsConsumer.as_asgi()),
    path("ws/jobs/<int:job_id>/", consumers.JobConsumer.as_asgi()),
    path("ws/logs/services/<str:service_id>/", LogConsumer.as_asgi()),
    path("ws/logs/tasks/<str:task_id>/", LogConsumer.as_asgi()),
]

from django.urls import path

from . import views

app_name = "hooks"
urlpatterns = [
    path("", views.hook_list, name="list"),
    path("create/<str:service_id>/", views.hook_create, name="create"),
    path("<int:hook_id>/", views.hook_detail, name="detail"),
    path("<int:hook_id>/rotate/", views.hook_rotate, name="rotate"),
    path("<int:hook_id>/enable/", views.hook_enable, name="enable"),
    path("<int:hook_id>/remove/", views.hook_remove, name="remove"),
    # The hook itself, called by CI: its key is random URL-safe text, never a number alone.
    path("<str:key>/", views.hook_call, name="call"),
]

from django.urls import path

from . import views

app_name = "stacks"
urlpatterns = [
    path("", views.stack_list, name="list"),
    # A stack's name never starts with "_" (stacks.compose.STACK_NAME): this is no stack's page.
    path("_deploy/", views.stack_deploy, name="deploy"),
    path("<str:name>/", views.stack_detail, name="detail"),
    path("<str:name>/update/", views.stack_update, name="update"),
    path("<str:name>/rollback/<int:deploy_id>/", views.stack_rollback, name="rollback"),
    path("<str:name>/remove/", views.stack_remove, name="remove"),
]

from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("activate/", views.activate, name="activate"),
    path("setup/", views.setup, name="setup"),
    path("setup/<str:step>/", views.setup, name="setup_step"),
    path("account/password/", views.password_change, name="password_change"),
    path("account/password/changed/", views.password_changed, name="password_changed"),
]

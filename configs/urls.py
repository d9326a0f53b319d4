app_name = "configs"

urlpatterns: list = []

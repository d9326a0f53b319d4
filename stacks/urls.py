app_name = "stacks"

urlpatterns: list = []

app_name = "swarm_secrets"

urlpatterns: list = []

from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from accounts import views as accounts_views
from accounts.access import activation_not_required

from . import health, views

# URL prefix = app = template folder: /services/ is services/ and templates/services/, and so on.
urlpatterns = [
    path("", views.overview, name="overview"),
    path("healthz", health.healthz, name="healthz"),
    path("metrics", include("metrics.urls")),
    # Browsers ask for /favicon.ico whatever the page links: send them to the SVG (lazy: static files resolve late).
    path(
        "favicon.ico",
        activation_not_required(RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"))),
        name="favicon",
    ),
    path("i18n/setlang/", accounts_views.set_language, name="set_language"),
    path("i18n/js/", accounts_views.javascript_catalog, name="javascript-catalog"),
    path("login/", accounts_views.login_view, name="login"),
    path("logout/", accounts_views.logout_view, name="logout"),
    path("", include("accounts.urls")),
    path("services/", include("services.urls")),
    path("nodes/", include("nodes.urls")),
    path("jobs/", include("jobs.urls")),
    path("updates/", include("updates.urls")),
    path("logs/", include("logs.urls")),
    path("stacks/", include("stacks.urls")),
    path("networks/", include("networks.urls")),
    # swarm_secrets/ and templates/swarm_secrets/: a package named "secrets" would hide Python's own.
    path("secrets/", include("swarm_secrets.urls")),
    path("configs/", include("configs.urls")),
    path("users/", include("users.urls")),
    # The JSON API (api/v1/) and the pages where users make their tokens (api/tokens/).
    path("api/", include("api.urls")),
    path("hooks/", include("hooks.urls")),
    path("notifications/", include("notifications.urls")),
]

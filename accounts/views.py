from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.i18n import JavaScriptCatalog
from django.views.i18n import set_language as django_set_language

from updates import policy

from . import activation, sessions, wizard
from .access import activation_not_required
from .forms import ActivationForm, LanguageForm, UpdatesForm
from .models import Installation
from .roles import admin_required

# In the session, between the link and the activation.
ACTIVATION_TOKEN = "swarmdeck.activation_token"  # noqa: S105 - a session key, not a secret


@activation_not_required
def set_language(request):
    """Django's language switch (cookie), plus the logged-in user's stored preference."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        wizard.language_choose(user=request.user, language=language)
    return response


javascript_catalog = activation_not_required(JavaScriptCatalog.as_view())


@activation_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def activate(request):
    if activation.is_activated():
        return redirect("overview" if request.user.is_authenticated else "login")
    if "token" in request.GET:
        # The printed link's token moves into the session at once: the address bar, the history, the
        # access log and the links of the page (the language bar's "next") never show it again.
        request.session[ACTIVATION_TOKEN] = request.GET["token"]
        return redirect("accounts:activate")
    token = request.session.get(ACTIVATION_TOKEN, "")
    if request.method == "POST":
        form = ActivationForm(request.POST)
        if not form.is_valid():
            return _credentials_show(request, token, form)
        try:
            user = activation.panel_activate(
                raw_token=token, nonce=form.cleaned_data["nonce"], username=form.cleaned_data["username"]
            )
        except activation.AlreadyActivated:
            return redirect("login")
        except activation.StalePage:
            messages.error(request, _("These credentials were replaced by newer ones; use the ones shown now."))
            return redirect("accounts:activate")
        except activation.InvalidToken:
            if activation.is_activated():  # a concurrent submit won the race
                return redirect("login")
            return _token_needed(request, token)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("accounts:setup")
    return _credentials_show(request, token, ActivationForm())


def _credentials_show(request, token: str, form: ActivationForm):
    """The page with fresh credentials: a form shown again (a bad user name) gets new ones too, as
    the password of the page before is no longer known here."""
    if not activation.setup_token_valid(token):
        return _token_needed(request, token)
    credentials = activation.credentials_generate(raw_token=token)
    if not form.is_bound:
        form = ActivationForm(initial={"username": credentials.username})
    return render(request, "accounts/activate.html", {"credentials": credentials, "form": form})


def _token_needed(request, token):
    return render(request, "accounts/token_needed.html", {"token_given": bool(token)}, status=403)


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = getattr(getattr(form.get_user(), "profile", None), "language", "")
        if language:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
        return response


login_view = login_not_required(LoginView.as_view())


def locked_out(request, original_response=None, credentials=None):
    """django-axes calls this instead of the login view while a lock holds."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


logout_view = auth_views.LogoutView.as_view()


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_changed")

    def form_valid(self, form):
        response = super().form_valid(form)  # keeps this session, under a new key
        sessions.sessions_end(user_id=form.user.pk, keep=self.request.session.session_key)
        return response


password_change = PasswordChangeView.as_view()


@require_GET
def password_changed(request):
    messages.success(request, _("Your password was changed."))
    return redirect("overview")


@admin_required
@require_http_methods(["GET", "POST"])
def setup(request, step: str | None = None):
    installation = Installation.objects.get()
    if step is None:
        return redirect("accounts:setup_step", step=wizard.resume_step(installation))
    if step not in wizard.STEPS:
        return redirect("accounts:setup")
    if request.method == "POST":
        return _setup_post(request, installation, step)
    context = {}
    if step == "language":
        context["form"] = LanguageForm(initial={"language": translation.get_language()})
    elif step == "updates":
        auto_update = policy.auto_update_get()
        context["form"] = UpdatesForm(initial={"auto_update": auto_update.enabled})
        context["auto_update"] = auto_update
    elif step == "docker":
        context["check"] = wizard.docker_check()
    return _render_step(request, step, **context)


def _render_step(request, step: str, **context):
    context.update(step=step, steps=wizard.STEPS, number=wizard.STEPS.index(step) + 1)
    return render(request, "setup/wizard.html", context)


def _setup_post(request, installation: Installation, step: str):
    action = request.POST.get("action", "next")
    if action == "skip":
        wizard.finish(installation)
        return redirect("overview")
    if action == "back":
        return redirect("accounts:setup_step", step=wizard.previous_step(step))
    if step == "language":
        form = LanguageForm(request.POST)
        if not form.is_valid():
            return _render_step(request, step, form=form)
        language = form.cleaned_data["language"]
        wizard.language_choose(user=request.user, language=language)
        translation.activate(language)
    elif step == "updates":
        form = UpdatesForm(request.POST)
        if not form.is_valid():
            return _render_step(request, step, form=form)
        if not policy.auto_update_get().fixed:
            policy.auto_update_set(enabled=form.cleaned_data["auto_update"])
    following = wizard.next_step(installation, step)
    if following is None:
        messages.success(request, _("Swarmdeck is ready."))
        response = redirect("overview")
    else:
        response = redirect("accounts:setup_step", step=following)
    if step == "language":
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax")
    return response

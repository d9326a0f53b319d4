"""The team: users and their roles, and the invites that bring new ones in (admins only), and the
page where an invitee joins."""

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Role, admin_required, role_of

from . import invites, members
from .forms import InviteForm, JoinForm, RoleForm
from .models import Invite


@admin_required
@require_GET
def user_list(request):
    users = get_user_model().objects.select_related("profile").order_by("-is_active", "username")
    pending = Invite.objects.filter(
        used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("created_by")
    rows = [(user, role_of(user) if user.is_active else None) for user in users]
    return render(request, "users/list.html", {"rows": rows, "pending": pending, "roles": Role.choices})


@admin_required
@never_cache  # the answer shows the link, once
@require_http_methods(["GET", "POST"])
def invite_create(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        invite, token = invites.invite_create(created_by=request.user, **form.cleaned_data)
        link = request.build_absolute_uri(reverse("users:join", args=[token]))
        # Shown once, on this answer only: the database keeps the token's hash.
        return render(request, "users/invite_created.html", {"invite": invite, "link": link})
    return render(request, "users/invite.html", {"form": form})


@admin_required
@require_POST
def invite_revoke(request, invite_id: int):
    if invites.invite_revoke(invite_id):
        messages.success(request, _("The invite was revoked; its link no longer works."))
    return redirect("users:list")


@admin_required
@require_POST
def user_role(request, user_id: int):
    user = get_object_or_404(get_user_model(), id=user_id, is_active=True)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
    else:
        try:
            members.member_role_set(user_id=user.id, role=form.cleaned_data["role"])
        except members.LastAdmin:
            messages.error(request, _("The last admin cannot be demoted: make another user an admin first."))
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {"user": user.get_username(), "role": Role(form.cleaned_data["role"]).label},
            )
    return redirect("users:list")


@admin_required
@require_http_methods(["GET", "POST"])
def user_remove(request, user_id: int):
    user = get_object_or_404(get_user_model(), id=user_id, is_active=True)
    if request.method == "POST":
        try:
            members.member_remove(user_id=user.id, by=request.user)
        except members.NotYourself:
            messages.error(request, _("You cannot remove yourself; another admin can."))
        except members.LastAdmin:
            messages.error(request, _("The last admin cannot be removed: make another user an admin first."))
        else:
            messages.success(
                request, _("%(user)s was removed and logged out everywhere.") % {"user": user.get_username()}
            )
        return redirect("users:list")
    return render(request, "users/remove.html", {"member": user})


@login_not_required
@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def join(request, token: str):
    try:
        invite = invites.invite_usable(token)
    except invites.InviteUnusable:
        return render(request, "users/join_unusable.html", status=410)
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invites.invite_accept(
                token=token, username=form.cleaned_data["username"], password=form.cleaned_data["password1"]
            )
        except invites.InviteUnusable:
            return render(request, "users/join_unusable.html", status=410)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! You joined as %(role)s.") % {"role": Role(invite.role).label})
        return redirect("overview")
    return render(request, "users/join.html", {"form": form, "invite": invite})

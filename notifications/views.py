"""The notifications page (channels, rules, open incidents, the history of deliveries) and its
forms; admins only, since a channel URL holds credentials and the rules decide who is woken up."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import admin_required

from . import selectors
from .forms import ChannelForm, RuleForm
from .incidents import delivery_test_queue
from .models import Channel, Rule


@admin_required
@require_GET
def notification_list(request):
    return render(request, "notifications/list.html", selectors.notifications_page())


@admin_required
@sensitive_post_parameters("url")
@require_http_methods(["GET", "POST"])
def channel_create(request):
    form = ChannelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = form.save()
        messages.success(request, _("Channel {name} added.").format(name=channel.name))
        return redirect("notifications:list")
    return render(request, "notifications/channel_form.html", {"form": form})


@admin_required
@require_POST
def channel_test(request, channel_id: int):
    channel = get_object_or_404(Channel, id=channel_id)
    delivery_test_queue(channel_id=channel.id)
    messages.info(
        request,
        _("A test notification to {name} is queued: its line in the history says how it went.").format(
            name=channel.name
        ),
    )
    return redirect("notifications:list")


@admin_required
@require_POST
def channel_enable(request, channel_id: int):
    Channel.objects.filter(id=channel_id).update(enabled=request.POST.get("enabled") == "1")
    return redirect("notifications:list")


@admin_required
@require_http_methods(["GET", "POST"])
def channel_remove(request, channel_id: int):
    channel = get_object_or_404(Channel, id=channel_id)
    if request.method == "POST":
        channel.delete()
        messages.success(request, _("Channel {name} removed.").format(name=channel.name))
        return redirect("notifications:list")
    return render(request, "notifications/remove.html", {"object": channel, "is_channel": True})


@admin_required
@require_http_methods(["GET", "POST"])
def rule_create(request):
    return _rule_form(request, Rule())


@admin_required
@require_http_methods(["GET", "POST"])
def rule_update(request, rule_id: int):
    return _rule_form(request, get_object_or_404(Rule, id=rule_id))


def _rule_form(request, rule: Rule):
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        messages.success(request, _("Rule {name} saved.").format(name=rule.name))
        return redirect("notifications:list")
    return render(request, "notifications/rule_form.html", {"form": form, "rule": rule})


@admin_required
@require_POST
def rule_enable(request, rule_id: int):
    Rule.objects.filter(id=rule_id).update(enabled=request.POST.get("enabled") == "1")
    return redirect("notifications:list")


@admin_required
@require_http_methods(["GET", "POST"])
def rule_remove(request, rule_id: int):
    rule = get_object_or_404(Rule, id=rule_id)
    if request.method == "POST":
        rule.delete()
        messages.success(request, _("Rule {name} removed.").format(name=rule.name))
        return redirect("notifications:list")
    return render(request, "notifications/remove.html", {"object": rule, "is_channel": False})

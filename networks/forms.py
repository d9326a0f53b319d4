"""The network form: every value is checked against Docker's rules and the networks as read now, so
what the engine would refuse (a bad name, a gateway outside its subnet) or silently accept although
it breaks routing (a subnet overlapping another network's) is a form error and no job."""

from __future__ import annotations

import ipaddress
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

import engine
from engine.networks import JOB_LABEL, PREDEFINED

# swarmkit's rule for a network's name (controlapi validateAnnotations), as the engine answers
# "name must be valid as a DNS name component" / "name must be 63 characters or fewer".
NETWORK_NAME = re.compile(r"^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$")
MAX_NAME = 63
LABEL_KEY = re.compile(r"^[^\s=]+$")
MAX_LABELS = 64 * 1024
# The smallest overlay subnet that holds its gateway and a few tasks (network, gateway, broadcast).
LONGEST_PREFIX = 29


class NetworkCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=MAX_NAME,
        error_messages={
            "required": _("Enter the network's name."),
            "max_length": _("A network's name has at most 63 characters."),
        },
        help_text=_("Letters and digits, with '-' or '_' between them; services find each other by name on it."),
    )
    attachable = forms.BooleanField(
        label=_("Attachable"),
        required=False,
        help_text=_("Plain containers (docker run --network) may join it too, besides services."),
    )
    encrypted = forms.BooleanField(
        label=_("Encrypted"),
        required=False,
        help_text=_("The traffic between nodes is encrypted (IPsec); it costs some speed."),
    )
    internal = forms.BooleanField(
        label=_("Internal"),
        required=False,
        help_text=_("No route out of the network: its services reach each other only."),
    )
    subnet = forms.CharField(
        label=_("Subnet"),
        required=False,
        max_length=43,
        help_text=_("An IPv4 subnet such as 10.20.0.0/24. Empty: Swarm picks a free /24 of 10.0.0.0/8."),
    )
    gateway = forms.CharField(
        label=_("Gateway"),
        required=False,
        max_length=39,
        help_text=_("An address inside the subnet. Empty: its first address."),
    )
    labels = forms.CharField(
        label=_("Labels"),
        required=False,
        max_length=MAX_LABELS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One KEY=VALUE per line."),
    )

    def __init__(self, *args, networks: list[engine.NetworkSnapshot], **kwargs) -> None:
        """``networks``: every network as read now, whose names and subnets are taken."""
        super().__init__(*args, **kwargs)
        self.networks = networks

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not NETWORK_NAME.match(name):
            raise ValidationError(
                _(
                    "Use letters and digits, with '-' or '_' only between them (no dots, no spaces); "
                    "it starts and ends with a letter or digit."
                ),
                code="name",
            )
        if name.lower() in PREDEFINED:
            raise ValidationError(
                _("“{name}” is the name of one of Docker's own networks.").format(name=name), code="predefined"
            )
        # The swarm's names are unique whatever their case: "Front" is taken by "front".
        taken = next((network.name for network in self.networks if network.name.lower() == name.lower()), None)
        if taken:
            raise ValidationError(_("A network named “{name}” already exists.").format(name=taken), code="taken")
        return name

    def clean_subnet(self) -> ipaddress.IPv4Network | None:
        text = self.cleaned_data["subnet"].strip()
        if not text:
            return None
        try:
            subnet = ipaddress.ip_network(text, strict=False) if "/" in text else None
        except ValueError:
            subnet = None
        if not isinstance(subnet, ipaddress.IPv4Network):
            raise ValidationError(
                _("“{value}” is not an IPv4 subnet; write it as ADDRESS/BITS, e.g. 10.20.0.0/24.").format(value=text),
                code="subnet",
            )
        if str(subnet) != text:
            raise ValidationError(
                _("“{value}” has bits set after its prefix: the subnet is {subnet}.").format(value=text, subnet=subnet),
                code="subnet_host_bits",
            )
        if subnet.prefixlen > LONGEST_PREFIX:
            raise ValidationError(
                _("/{bits} is too small for a network: use /{longest} or a shorter prefix.").format(
                    bits=subnet.prefixlen, longest=LONGEST_PREFIX
                ),
                code="subnet_small",
            )
        return subnet

    def clean_gateway(self) -> ipaddress.IPv4Address | None:
        text = self.cleaned_data["gateway"].strip()
        if not text:
            return None
        try:
            gateway = ipaddress.ip_address(text)
        except ValueError:
            gateway = None
        if not isinstance(gateway, ipaddress.IPv4Address):
            raise ValidationError(_("“{value}” is not an IPv4 address.").format(value=text), code="gateway")
        return gateway

    def clean_labels(self) -> dict[str, str]:
        labels: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["labels"].splitlines(), start=1):
            if not line.strip():
                continue
            key, _equals, value = line.strip().partition("=")
            if not LABEL_KEY.match(key):
                raise ValidationError(
                    _("Line {line}: write a label as KEY=VALUE, with a key that has no spaces.").format(line=number),
                    code="label",
                )
            if key in labels:
                raise ValidationError(
                    _("Line {line}: {key} is given twice.").format(line=number, key=key), code="twice"
                )
            if key == JOB_LABEL:
                raise ValidationError(
                    _("Line {line}: {key} is the panel's own label.").format(line=number, key=key), code="reserved"
                )
            labels[key] = value
        return labels

    def clean(self) -> dict:
        cleaned = super().clean()
        subnet, gateway = cleaned.get("subnet"), cleaned.get("gateway")
        if gateway is not None and "subnet" not in self.errors:
            if subnet is None:
                self.add_error("gateway", _("A gateway needs a subnet: write the subnet too."))
            elif gateway not in subnet or gateway in (subnet.network_address, subnet.broadcast_address):
                self.add_error(
                    "gateway",
                    _("{gateway} is not an address of the subnet {subnet}.").format(gateway=gateway, subnet=subnet),
                )
        if subnet is not None:
            overlapping = self._overlapping(subnet)
            if overlapping:
                self.add_error(
                    "subnet",
                    _("{subnet} overlaps the subnet {other} of the network {name}.").format(
                        subnet=subnet, other=overlapping[1], name=overlapping[0].name
                    ),
                )
        return cleaned

    def _overlapping(self, subnet: ipaddress.IPv4Network) -> tuple[engine.NetworkSnapshot, str] | None:
        """The first network whose subnet shares addresses with ``subnet`` (the engine accepts such a
        network, and then neither routes right)."""
        for network in self.networks:
            for text in network.subnets:
                try:
                    other = ipaddress.ip_network(text, strict=False)
                except ValueError:
                    continue
                if other.version == subnet.version and other.overlaps(subnet):
                    return network, text
        return None

    def network_values(self) -> dict:
        """The cleaned values as a create job stores them (JSON-ready)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "attachable": data["attachable"],
            "encrypted": data["encrypted"],
            "internal": data["internal"],
            "subnet": str(data["subnet"]) if data["subnet"] else "",
            "gateway": str(data["gateway"]) if data["gateway"] else "",
            "labels": data["labels"],
        }


class NetworkRemoveForm(forms.Form):
    """The removal's confirmation: refused, in words, for the engine's own networks and a network
    services are on (the engine would refuse it too, naming one service's id only)."""

    confirm = forms.BooleanField(widget=forms.HiddenInput, initial=True)

    def __init__(self, *args, network: engine.NetworkSnapshot, services: list[engine.NetworkUser], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.network, self.services = network, services

    def clean(self) -> dict:
        cleaned = super().clean()
        refusal = removal_refusal(self.network, self.services)
        if refusal:
            raise ValidationError(refusal, code="refused")
        return cleaned


def removal_refusal(network: engine.NetworkSnapshot, services: list[engine.NetworkUser]) -> str:
    """Why the network cannot be removed, in words; "" when it can."""
    if not network.removable:
        words = _("{name} belongs to Docker itself (or to one node, or to the routing mesh); it is never removed here.")
        return str(words).format(name=network.name)
    if services:
        names = ", ".join(user.service_name for user in services)
        return str(
            _("Services use {name}: {services}. Remove them from the network (or remove them) first.").format(
                name=network.name, services=names
            )
        )
    return ""

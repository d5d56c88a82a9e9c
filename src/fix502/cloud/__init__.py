"""Cloud security groups: one provider-neutral model, one provider interface, one set of checks.

Layout
======

``model.py``
    ``SecurityGroup`` (provider, account, region, group_id, name, vpc, rules, tags), ``Rule`` (direction
    ingress/egress, action allow/deny, priority — None on AWS —, protocol tcp/udp/icmp/icmpv6/all,
    port_from/port_to inclusive with 0-65535 for "all ports", ``Peer`` = CIDR | group | prefix list,
    description, rule_id; ``rule.managed`` is True when the description holds ``MANAGED_MARK``
    = "managed-by: fix502"), ``Instance``, ``LoadBalancer``/``TargetGroup``/``Target``, ``CallStats`` and
    ``Change`` (changed, before/after rule lines, ``diff()`` in Ansible's shape).
``provider.py``
    ``Provider`` protocol (``name``, ``region``, ``account``, ``stats``, ``list_groups``,
    ``list_instances``, ``list_load_balancers``, ``ensure_ingress``, ``revoke_ingress``) and
    ``ProviderConfig`` (provider, region, account label, profile, endpoint_url, credentials, retry,
    options). ``Credentials`` hides its values from repr; without it each SDK's standard chain is used.
``base.py``
    ``ProviderBase``, what the providers share: retried calls, ``list_groups``/``list_instances`` over the
    provider's ``_find_groups``/``_find_instances``, batches of IDs, and the ingress change flow.
``retry.py``
    ``call(operation, func, is_throttle=..., policy=..., stats=...)``: every API call of every provider
    goes through it (turn the SDK's own retries off); ``ThrottledError`` when it gives up,
    ``CloudError`` for other API failures (one line: provider, region, operation, the API's code and
    message — never a credential), ``SdkMissingError`` when the SDK is not installed.
``aws.py`` / ``aliyun.py`` / ``tencent.py``
    ``AwsProvider`` / ``AliyunProvider`` / ``TencentProvider``: each a ``ProviderBase`` with
    ``from_config(config: ProviderConfig) -> Provider``. The module imports its SDK lazily inside
    ``from_config`` (or at import, raising ``SdkMissingError`` with the pip extra to install) so that
    ``import fix502.cloud`` works without any SDK.
``checks.py``, ``audit.py``, ``config.py``
    the CLD checks on the neutral model, the audit that runs them over several (account, region) pairs
    concurrently, and the ``cloud.yml`` tier configuration.
``inventory.py``
    the tiers, instances and groups an Ansible inventory's host variables name, and the backend ports of
    the host audit's reports (``fix502 cloud -i``, the playbook's ``fix502.gateway.cloud_audit``).

Conventions for providers
=========================

* Normalise everything into the model: Alibaba ``PortRange`` "-1/-1" and Tencent "ALL" → 0-65535;
  Alibaba ``Policy`` accept/drop and Tencent ``Action`` ACCEPT/DROP → allow/deny; Alibaba ``Priority``
  (1 wins over 100) and Tencent ``PolicyIndex`` (0 first) → ``priority`` where a lower number wins.
  Tencent address templates and Alibaba prefix lists → ``Peer.prefix_list``.
* ``list_groups`` must return rules of both directions; filters are pushed to the API.
* ``ensure_ingress``/``revoke_ingress`` compare with ``Rule.same_as`` and return a ``Change`` with the
  group's ingress lines before and after (``model.rule_lines``); check mode sends no mutating call.
* Count every attempt in ``stats`` (``retry.call`` does it for you).
"""

from __future__ import annotations

import importlib
from typing import Any

from fix502.cloud.model import (
    MANAGED_MARK,
    Action,
    Change,
    Direction,
    Instance,
    LoadBalancer,
    Peer,
    PeerKind,
    Rule,
    SecurityGroup,
)
from fix502.cloud.provider import Credentials, Provider, ProviderConfig
from fix502.cloud.retry import CloudError, RetryPolicy, SdkMissingError, ThrottledError

# provider name → (module, class, pip extra)
PROVIDERS: dict[str, tuple[str, str, str]] = {
    "aws": ("fix502.cloud.aws", "AwsProvider", "aws"),
    "aliyun": ("fix502.cloud.aliyun", "AliyunProvider", "aliyun"),
    "tencent": ("fix502.cloud.tencent", "TencentProvider", "tencent"),
}


def open_provider(config: ProviderConfig) -> Provider:
    """The provider client for one (provider, region); raises CloudError/SdkMissingError with one line."""
    try:
        module_name, class_name, extra = PROVIDERS[config.provider]
    except KeyError:
        names = ", ".join(sorted(PROVIDERS))
        raise CloudError(f"unknown cloud provider {config.provider!r} (expected one of: {names})") from None
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise SdkMissingError(
            f"provider {config.provider}: cannot load {module_name} ({exc}); "
            f"install the SDK with: pip install 'fix502[{extra}]'"
        ) from None
    cls: Any = getattr(module, class_name)
    provider: Provider = cls.from_config(config)
    return provider


__all__ = [
    "MANAGED_MARK",
    "PROVIDERS",
    "Action",
    "Change",
    "CloudError",
    "Credentials",
    "Direction",
    "Instance",
    "LoadBalancer",
    "Peer",
    "PeerKind",
    "Provider",
    "ProviderConfig",
    "RetryPolicy",
    "Rule",
    "SdkMissingError",
    "SecurityGroup",
    "ThrottledError",
    "open_provider",
]

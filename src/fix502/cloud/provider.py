"""The interface every cloud provider implements, and how one is configured."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from fix502.cloud.model import CallStats, Change, Instance, LoadBalancer, Rule, SecurityGroup
from fix502.cloud.retry import RetryPolicy


@dataclass(frozen=True)
class Credentials:
    """Explicit credentials (from a module's no_log options). Never printed: repr hides them.

    Leave them out and each SDK's standard chain is used (environment, shared profile, instance role).
    """

    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return "Credentials(<hidden>)"


@dataclass(frozen=True)
class ProviderConfig:
    """Where one provider client points: a provider name, one region, and optionally how to sign in.

    ``endpoint_url`` sends every call to another endpoint (moto, the tests' emulators): for AWS the
    boto3 ``endpoint_url``; for Alibaba Cloud and Tencent Cloud a ``http://host:port`` the provider
    uses instead of the service's domain. ``account`` is the account ID the client is meant for: reports
    name it instead of asking STS who the caller is, and :meth:`Provider.check_account` compares the
    caller's account with it. ``profile`` is a named profile of the SDK's standard chain;
    ``assume_role_arn`` (AWS) a role the chain's credentials assume first.
    """

    provider: str
    region: str
    account: str | None = None
    profile: str | None = None
    assume_role_arn: str | None = None
    endpoint_url: str | None = None
    credentials: Credentials | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Provider-specific knobs (e.g. {"verify": "false"}), never secrets.
    options: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """One provider, one account, one region. Implementations must be safe to use from one thread
    each (the audit gives every (account, region) its own instance and its own thread).

    Every list method paginates through the whole result and makes as few calls as the API allows
    (filters go to the API, not to a loop of per-item calls). Every call goes through
    :func:`fix502.cloud.retry.call` and is counted in :attr:`stats`.
    """

    name: str  # "aws", "aliyun", "tencent"
    region: str
    stats: CallStats

    @property
    def account(self) -> str:
        """The account ID the credentials belong to, or the configured label."""
        ...

    def caller_account(self) -> str:
        """The account ID the credentials belong to, always asked of the provider (STS
        GetCallerIdentity), whatever the configuration names."""
        ...

    def check_account(self, expected: str) -> None:
        """Raise CloudError (one line naming both accounts) unless the credentials belong to ``expected``."""
        ...

    def list_groups(
        self,
        *,
        group_ids: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        vpc: str | None = None,
    ) -> list[SecurityGroup]:
        """Security groups with their ingress AND egress rules. No filter: every group of the region.
        ``tags`` match all given key=value pairs (a value of "*" matches any value of that key)."""
        ...

    def list_instances(
        self,
        *,
        instance_ids: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        vpc: str | None = None,
    ) -> list[Instance]:
        """Instances (running or not) and the groups attached to them, for tier discovery."""
        ...

    def list_load_balancers(self) -> list[LoadBalancer]:
        """Load balancers with their target groups and target health; [] where not supported."""
        ...

    def ensure_ingress(self, group_id: str, rule: Rule, *, check_mode: bool = False) -> Change:
        """Make sure ``rule`` (direction ingress) exists in the group. An existing rule that is
        :meth:`Rule.same_as` it counts as present (changed=False). A new rule gets the rule's
        description, which the caller has marked with MANAGED_MARK; where the provider has rule tags
        it also tags it ``managed-by=fix502``. In check mode nothing is sent that changes state."""
        ...

    def revoke_ingress(self, group_id: str, rule: Rule, *, check_mode: bool = False) -> Change:
        """Remove the ingress rule that is :meth:`Rule.same_as` ``rule``; changed=False when absent."""
        ...

"""What the provider classes share: their state, retried calls, ID batches, and the ingress change flow.

A provider subclasses :class:`ProviderBase`, sets ``name``, overrides :meth:`ProviderBase._error_code`
(its SDK's error code, for the throttle test) and either the four hooks of the ingress flow
(``_one_group``, ``_effective``, ``_authorize``, ``_revoke``) or ``ensure_ingress``/``revoke_ingress``
themselves where its API changes rules another way (Tencent Cloud's ordered policies).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from fix502.cloud.model import CallStats, Change, Direction, Instance, Rule, SecurityGroup, rule_lines
from fix502.cloud.provider import ProviderConfig
from fix502.cloud.retry import CloudError, call, is_throttle_code

T = TypeVar("T")
B = TypeVar("B")


def chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def id_batches(base: B, ids: Iterable[str] | None, size: int, narrow: Callable[[B, list[str]], B]) -> list[B]:
    """The requests that together cover ``ids``, at most ``size`` IDs each, built on ``base`` by ``narrow``:
    ``[base]`` when ``ids`` is None (no filter), ``[]`` when it is empty (nothing to ask for)."""
    if ids is None:
        return [base]
    return [narrow(base, chunk) for chunk in chunks(sorted(set(ids)), size)]


def tag_filters(tags: Mapping[str, str] | None, vpc: str | None = None) -> list[dict[str, Any]]:
    """EC2-style ``Filters`` (AWS, Tencent Cloud) for tags (a value of "*" matches any value of the key)
    and, when given, the VPC."""
    filters: list[dict[str, Any]] = []
    for key, value in (tags or {}).items():
        if value == "*":
            filters.append({"Name": "tag-key", "Values": [key]})
        else:
            filters.append({"Name": f"tag:{key}", "Values": [value]})
    if vpc:
        filters.append({"Name": "vpc-id", "Values": [vpc]})
    return filters


def filter_batches(
    base: list[dict[str, Any]], name: str, ids: Iterable[str] | None, size: int
) -> list[list[dict[str, Any]]]:
    """:func:`id_batches` for EC2-style filters: ``base`` plus a filter ``name`` of at most ``size`` IDs."""
    return id_batches(base, ids, size, lambda filters, chunk: [*filters, {"Name": name, "Values": chunk}])


class ProviderBase:
    """One provider client: one account, one region."""

    name = ""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.region = config.region
        self.stats = CallStats()
        self._account = config.account
        self._lock = threading.Lock()

    def _where(self) -> str:
        return f"{self.name} {self._account or '?'}/{self.region}"

    def caller_account(self) -> str:
        """The account ID the credentials belong to, asked of the provider every time."""
        raise NotImplementedError

    @property
    def account(self) -> str:
        """The configured account ID, else the caller's (asked once)."""
        with self._lock:
            known = self._account
        if known is None:
            known = self.caller_account()
            with self._lock:
                self._account = known
        return known

    def check_account(self, expected: str) -> None:
        """CloudError unless the credentials belong to account ``expected`` (before any change)."""
        actual = self.caller_account()
        if actual != str(expected).strip():
            how = (
                f"profile {self.config.profile!r}" if self.config.profile else "the default credential chain"
            )
            if self.config.assume_role_arn:
                how += f" assuming {self.config.assume_role_arn}"
            raise CloudError(
                f"{self.name} {self.region}: refusing to change anything: the credentials ({how}) belong to "
                f"account {actual}, not to account {expected} that the change is for"
            )

    @staticmethod
    def _error_code(exc: BaseException) -> str | None:
        """The API error code of an exception of the provider's SDK; None for any other exception."""
        return None

    def _throttle_code(self, exc: BaseException) -> str | None:
        code = self._error_code(exc)
        return code if code is not None and is_throttle_code(code) else None

    def _retry(self, operation: str, func: Callable[[], T]) -> T:
        """``func`` through :func:`fix502.cloud.retry.call`: counted, and retried when throttled."""
        return call(
            operation, func, is_throttle=self._throttle_code, policy=self.config.retry, stats=self.stats
        )

    def _require_ingress(self, rule: Rule) -> None:
        if rule.direction is not Direction.INGRESS:
            raise CloudError(f"{self.name}: only ingress rules can be changed: {rule.describe()}")

    # -- lists: the provider yields what the API answers, each ID is kept once ---------------------------

    def _find_groups(
        self, group_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[tuple[str, Callable[[], SecurityGroup]]]:
        """Each group the filters select: its ID and how to read it whole (called once an ID)."""
        raise NotImplementedError

    def _find_instances(
        self, instance_ids: Iterable[str] | None, tags: Mapping[str, str] | None, vpc: str | None
    ) -> Iterator[Instance]:
        raise NotImplementedError

    def list_groups(
        self,
        *,
        group_ids: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        vpc: str | None = None,
    ) -> list[SecurityGroup]:
        groups: dict[str, SecurityGroup] = {}
        for group_id, read in self._find_groups(group_ids, tags, vpc):
            if group_id not in groups:
                groups[group_id] = read()
        return list(groups.values())

    def list_instances(
        self,
        *,
        instance_ids: Iterable[str] | None = None,
        tags: Mapping[str, str] | None = None,
        vpc: str | None = None,
    ) -> list[Instance]:
        found: dict[str, Instance] = {}
        for instance in self._find_instances(instance_ids, tags, vpc):
            found[instance.instance_id] = instance
        return list(found.values())

    # -- the ingress flow of providers that read a whole group and add or remove one rule ---------------

    def _one_group(self, group_id: str) -> SecurityGroup:
        raise NotImplementedError

    def _effective(self, rule: Rule) -> Rule:
        """The rule as the provider will store it (a default priority filled in); raise when it cannot."""
        return rule

    def _authorize(self, group_id: str, rule: Rule) -> None:
        raise NotImplementedError

    def _revoke(self, group_id: str, rule: Rule, present: list[Rule]) -> None:
        """Remove ``present``, the group's rules that are :meth:`Rule.same_as` ``rule``."""
        raise NotImplementedError

    def ensure_ingress(self, group_id: str, rule: Rule, *, check_mode: bool = False) -> Change:
        self._require_ingress(rule)
        group = self._one_group(group_id)
        before = rule_lines(group.ingress)
        if any(existing.same_as(rule) for existing in group.ingress):
            return Change(False, group_id, rule, before, before, check_mode, "the rule is present")
        effective = self._effective(rule)
        after = rule_lines([*group.ingress, effective])
        if not check_mode:
            self._authorize(group_id, effective)
        return Change(True, group_id, effective, before, after, check_mode, "rule added")

    def revoke_ingress(self, group_id: str, rule: Rule, *, check_mode: bool = False) -> Change:
        self._require_ingress(rule)
        group = self._one_group(group_id)
        before = rule_lines(group.ingress)
        present = [existing for existing in group.ingress if existing.same_as(rule)]
        if not present:
            return Change(False, group_id, rule, before, before, check_mode, "the rule is absent")
        after = rule_lines([r for r in group.ingress if not r.same_as(rule)])
        if not check_mode:
            self._revoke(group_id, rule, present)
        return Change(True, group_id, rule, before, after, check_mode, "rule removed")

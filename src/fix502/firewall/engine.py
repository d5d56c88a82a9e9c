"""Follow a packet through one base chain: jumps, gotos, returns, the policy at the end.

A rule whose match cannot be told (a rate limit, an ipset, a mark) is followed both ways: when
both ways end in the same verdict, that is the verdict; otherwise the outcome is ``unknown`` and
names that rule. The number of such forks is bounded, and so is the depth of jumps.
"""

from __future__ import annotations

from dataclasses import dataclass

from fix502.firewall.model import BLOCKED, Action, FilterPoint, Outcome, Packet, Rule

MAX_FORKS = 256
MAX_DEPTH = 64


@dataclass
class _Budget:
    forks: int = MAX_FORKS


def evaluate_point(point: FilterPoint, packet: Packet) -> Outcome:
    if point.unreadable:
        return Outcome("unknown", None, point.unreadable)
    if point.base not in point.chains:
        return Outcome("unknown", None, f"{point.label}: no chain {point.base}")
    return _run(point, point.base, 0, (), packet, _Budget(), (point.base,))


def _policy(point: FilterPoint, path: tuple[str, ...]) -> Outcome:
    chain = point.chains[point.base]
    policy = (chain.policy or "accept").lower()
    if policy in ("accept", "drop"):
        return Outcome("accept" if policy == "accept" else "drop", chain.policy_ref, "", path)
    return Outcome("unknown", chain.policy_ref, f"policy {policy}", path)


def _run(
    point: FilterPoint,
    chain_name: str,
    index: int,
    stack: tuple[tuple[str, int], ...],
    packet: Packet,
    budget: _Budget,
    path: tuple[str, ...],
) -> Outcome:
    rules = point.chains[chain_name].rules
    position = index
    while position < len(rules):
        rule = rules[position]
        matched, why, action = rule.judge(packet)
        if matched is False or action.kind == "continue":
            position += 1
            continue
        if matched is None:
            budget.forks -= 1
            if budget.forks < 0:
                return Outcome("unknown", rule.ref, "too many rules whose match cannot be told", path)
            taken = _apply(point, chain_name, position, rule, action, stack, packet, budget, path)
            skipped = _run(point, chain_name, position + 1, stack, packet, budget, path)
            return _merge(taken, skipped, rule, why)
        return _apply(point, chain_name, position, rule, action, stack, packet, budget, path)
    return _leave(point, stack, packet, budget, path)


def _leave(
    point: FilterPoint,
    stack: tuple[tuple[str, int], ...],
    packet: Packet,
    budget: _Budget,
    path: tuple[str, ...],
) -> Outcome:
    """The end of a chain or a return: back to the rule after the last jump, or the policy."""
    if not stack:
        return _policy(point, path)
    caller, next_index = stack[-1]
    return _run(point, caller, next_index, stack[:-1], packet, budget, (*path, caller))


def _apply(
    point: FilterPoint,
    chain_name: str,
    position: int,
    rule: Rule,
    action: Action,
    stack: tuple[tuple[str, int], ...],
    packet: Packet,
    budget: _Budget,
    path: tuple[str, ...],
) -> Outcome:
    kind = action.kind
    if kind in ("accept", "drop", "reject"):
        return Outcome(kind, rule.ref, action.detail, path)
    if kind == "unknown":
        return Outcome("unknown", rule.ref, action.detail, path)
    if kind == "return":
        return _leave(point, stack, packet, budget, path)
    target = action.target or ""
    if target not in point.chains:
        return Outcome("unknown", rule.ref, f"it jumps to {target!r}, a chain that is not listed", path)
    if len(stack) >= MAX_DEPTH:
        return Outcome("unknown", rule.ref, f"jumps nested deeper than {MAX_DEPTH}", path)
    if kind == "jump":
        stack = (*stack, (chain_name, position + 1))
    return _run(point, target, 0, stack, packet, budget, (*path, target))


def _merge(taken: Outcome, skipped: Outcome, rule: Rule, why: str) -> Outcome:
    """The outcome when the rule matches and when it does not: the same verdict, or unknown."""
    # The same verdict both ways: name the rule that decides when this one does not match, since
    # the matches that cannot be told (a routing header, a rate limit) rarely hold for a plain SYN.
    if taken.verdict == skipped.verdict and taken.verdict != "unknown":
        return skipped
    if taken.verdict in BLOCKED and skipped.verdict in BLOCKED:
        return skipped
    for either in (taken, skipped):
        if either.verdict == "unknown":
            return either
    reason = f"cannot tell whether {why}" if why else "cannot tell whether it matches"
    return Outcome(
        "unknown", rule.ref, f"{reason}: {taken.verdict} if it does, {skipped.verdict} if not", taken.path
    )

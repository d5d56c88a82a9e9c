#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: firewall_rule
short_description: Let one TCP port through the host firewall, with the tool that manages it
version_added: 0.1.0
description:
  - Adds one rule that accepts TCP connections to O(port), from O(source) (or from anyone) and on
    O(interface) (or on any), with the tool the host's firewall is managed with; the rule carries the
    comment O(comment).
  - V(iptables) (either backend, by O(binary)) and V(nft) insert the rule right before the rule that
    stops the connection (O(before), O(handle)), or append it to the chain when its policy stops it;
    when that rule is no longer there (the firewall changed since the audit) the module fails and
    changes nothing.
  - V(ufw) adds (or, with O(position), inserts) a ufw rule; when ufw says it would replace an existing
    rule instead, the module fails and changes nothing. V(firewalld) adds a rich rule to O(zone),
    permanent and at runtime.
  - Idempotent; supports check mode and diff (the chain's rules before and after).
  - Refuses a port of O(protected_ports) (SSH's), and refuses to open a port to every source unless
    O(allow_any_source) is set.
  - Does not make the rule persistent across reboots for iptables and nft; the role
    fix502.gateway.firewall does that the way the host persists its rules.
author: fix502 developers (@fix502)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
options:
  tool:
    description: The tool that manages the chain that stops the connection.
    type: str
    required: true
    choices: [iptables, nft, ufw, firewalld]
  port:
    description: The TCP port to let through.
    type: int
    required: true
  family:
    description: The IP version of O(source) (and of the rule, for V(firewalld) and an nft inet table).
    type: int
    choices: [4, 6]
    default: 4
  source:
    description: The only address the connections may come from (no prefix length); anyone when not set.
    type: str
  interface:
    description: The only interface the connections may come in on (C(lo) for a local backend).
    type: str
  allow_any_source:
    description: Must be true to open O(port) without O(source), as for a port nginx serves to clients.
    type: bool
    default: false
  protected_ports:
    description: Ports this module never opens or touches (SSH's).
    type: list
    elements: int
    default: [22]
  comment:
    description: The comment the rule carries.
    type: str
    default: fix502
  binary:
    description:
      - V(iptables) only. The iptables command of the backend the chain lives in, as in
        C(iptables-nft), C(iptables-legacy), C(ip6tables).
      - Defaults to C(iptables) (C(ip6tables) for O(family=6)).
    type: str
  table:
    description: V(iptables) and V(nft). The table of the chain.
    type: str
    default: filter
  chain:
    description: V(iptables) and V(nft). The chain that stops the connection.
    type: str
    default: INPUT
  before:
    description:
      - V(iptables) only. The rule that stops the connection, as C(iptables -S) prints it; the new rule
        goes right before it. Appended to the chain when empty (the chain's policy stops it).
    type: str
    default: ""
  nft_family:
    description: V(nft) only. The family of O(table).
    type: str
    choices: [ip, ip6, inet]
    default: inet
  handle:
    description:
      - V(nft) only. The handle of the rule that stops the connection; the new rule goes right before it.
        Appended to the chain when not set.
    type: int
  position:
    description: V(ufw) only. The number (as C(ufw status numbered) shows) to insert the rule at.
    type: int
  zone:
    description: V(firewalld) only. The zone of the rich rule; the default zone when not set.
    type: str
"""

EXAMPLES = r"""
- name: Let nginx reach its backend on 127.0.0.1:8000 despite an iptables REJECT on port 8000
  fix502.gateway.firewall_rule:
    tool: iptables
    binary: iptables-nft
    port: 8000
    source: 127.0.0.1
    interface: lo
    before: -A INPUT -p tcp -m tcp --dport 8000 -j REJECT --reject-with icmp-port-unreachable

- name: Open port 80 to clients in an nftables chain whose policy drops
  fix502.gateway.firewall_rule:
    tool: nft
    nft_family: inet
    table: filter
    chain: input
    port: 80
    allow_any_source: true
"""

RETURN = r"""
tool:
  description: O(tool), for filtering registered results.
  returned: always
  type: str
  sample: iptables
rule:
  description: The rule, in the tool's own words.
  returned: always
  type: str
  sample: -s 127.0.0.1/32 -i lo -p tcp -m tcp --dport 8000 -m comment --comment fix502 -j ACCEPT
command:
  description: The command that adds it (run only when the rule was missing and not in check mode).
  returned: always
  type: list
  elements: str
  sample: [iptables-nft, -w, -t, filter, -I, INPUT, "3", -s, 127.0.0.1/32]
statement:
  description: V(nft) only. The statement given to C(nft -f -) (checked with C(nft -c) in check mode).
  returned: when O(tool=nft) and the rule was missing
  type: str
  sample: insert rule inet filter input position 7 iifname "lo" tcp dport 8000 accept comment "fix502"
persist_line:
  description:
    - V(nft) only. The statement that adds the same rule when the ruleset is loaded from a file, with
      the rule's position as an index in the chain.
  returned: when O(tool=nft)
  type: str
  sample: insert rule inet filter input index 2 iifname "lo" tcp dport 8000 accept comment "fix502"
"""

import json
import shlex

from ansible.module_utils.basic import AnsibleModule


def _run(module, argv, data=None, check_rc=True):
    rc, out, err = module.run_command(argv, data=data, environ_update={"LC_ALL": "C", "LANG": "C"})
    if check_rc and rc != 0:
        module.fail_json(msg="%s failed (exit %s): %s" % (" ".join(argv), rc, (err or out).strip()[:500]))
    return rc, out, err


def _binary(module, name):
    path = module.get_bin_path(name, opt_dirs=["/usr/sbin", "/sbin"])
    if not path:
        module.fail_json(msg="%s is not installed on this host" % name)
    return path


def _words(text):
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


# iptables ------------------------------------------------------------------------------------


def iptables_spec(params):
    spec = []
    if params["source"]:
        spec += ["-s", "%s/%d" % (params["source"], 128 if params["family"] == 6 else 32)]
    if params["interface"]:
        spec += ["-i", params["interface"]]
    spec += ["-p", "tcp", "-m", "tcp", "--dport", str(params["port"])]
    spec += ["-m", "comment", "--comment", params["comment"], "-j", "ACCEPT"]
    return spec


def do_iptables(module, params, result):
    binary = _binary(module, params["binary"] or ("ip6tables" if params["family"] == 6 else "iptables"))
    base = [binary, "-w", "-t", params["table"]]
    spec = iptables_spec(params)
    result["rule"] = " ".join(shlex.quote(w) for w in spec)
    _rc, listing, _err = _run(module, [*base, "-S", params["chain"]])
    lines = listing.splitlines()
    rules = [line for line in lines if line.startswith("-A %s " % params["chain"])]
    rc, _out, _err = _run(module, [*base, "-C", params["chain"], *spec], check_rc=False)
    if rc == 0:
        result["command"] = []
        return
    if rc != 1:
        module.fail_json(
            msg="%s -C %s failed (exit %s): %s" % (binary, params["chain"], rc, _err.strip()[:300])
        )
    if params["before"]:
        wanted = _words(params["before"])
        found = [i for i, line in enumerate(rules) if _words(line) == wanted]
        if not found:
            module.fail_json(
                msg="the rule %r is no longer in chain %s of table %s: the firewall changed since the audit, "
                "audit again" % (params["before"], params["chain"], params["table"])
            )
        position = found[0] + 1
        command = [*base, "-I", params["chain"], str(position), *spec]
        new_rules = [*rules[: found[0]], "-A %s %s" % (params["chain"], result["rule"]), *rules[found[0] :]]
    else:
        command = [*base, "-A", params["chain"], *spec]
        new_rules = [*rules, "-A %s %s" % (params["chain"], result["rule"])]
    result["command"] = command
    result["changed"] = True
    head = [line for line in lines if not line.startswith("-A ")]
    header = "%s -t %s -S %s" % (params["binary"] or "iptables", params["table"], params["chain"])
    result["diff"] = dict(
        before="\n".join(head + rules) + "\n",
        after="\n".join(head + new_rules) + "\n",
        before_header=header,
        after_header=header,
    )
    if not module.check_mode:
        _run(module, command)


# nft -----------------------------------------------------------------------------------------


def nft_expression(params):
    parts = []
    if params["interface"]:
        parts.append("iifname %s" % json.dumps(params["interface"]))
    if params["source"]:
        parts.append("%s saddr %s" % ("ip6" if params["family"] == 6 else "ip", params["source"]))
    elif params["nft_family"] == "inet":
        parts.append("meta nfproto %s" % ("ipv6" if params["family"] == 6 else "ipv4"))
    parts.append("tcp dport %d accept comment %s" % (params["port"], json.dumps(params["comment"])))
    return " ".join(parts)


def _nft_rules(module, nft, params):
    argv = [nft, "-j", "list", "chain", params["nft_family"], params["table"], params["chain"]]
    _rc, out, _err = _run(module, argv)
    try:
        items = json.loads(out).get("nftables", [])
    except (ValueError, AttributeError):
        module.fail_json(msg="%s printed no JSON" % " ".join(argv))
    return [item["rule"] for item in items if isinstance(item, dict) and "rule" in item]


def _nft_matches(rule):
    found = {}
    for statement in rule.get("expr") or []:
        body = statement.get("match") if isinstance(statement, dict) else None
        if not isinstance(body, dict) or body.get("op", "==") != "==":
            continue
        left = body.get("left") or {}
        if "payload" in left:
            key = "%s %s" % (left["payload"].get("protocol"), left["payload"].get("field"))
        elif "meta" in left:
            key = left["meta"].get("key")
        else:
            continue
        found[key] = body.get("right")
    return found


def is_our_nft_rule(rule, params):
    if rule.get("comment") != params["comment"]:
        return False
    if not any(isinstance(s, dict) and "accept" in s for s in rule.get("expr") or []):
        return False
    matches = _nft_matches(rule)
    if matches.get("tcp dport") != params["port"]:
        return False
    if params["interface"] and matches.get("iifname") != params["interface"]:
        return False
    if params["source"]:
        key = "ip6 saddr" if params["family"] == 6 else "ip saddr"
        if matches.get(key) != params["source"]:
            return False
    return True


def do_nft(module, params, result):
    nft = _binary(module, "nft")
    expression = nft_expression(params)
    result["rule"] = expression
    where = "%s %s %s" % (params["nft_family"], params["table"], params["chain"])
    rules = _nft_rules(module, nft, params)
    handles = [rule.get("handle") for rule in rules]
    ours = [i for i, rule in enumerate(rules) if is_our_nft_rule(rule, params)]
    if ours:
        result["command"] = []
        result["persist_line"] = _persist_line(where, ours[0], expression, params, len(rules))
        return
    if params["handle"] is not None:
        if params["handle"] not in handles:
            module.fail_json(
                msg="no rule with handle %d in chain %s: the firewall changed since the audit, audit again"
                % (params["handle"], where)
            )
        index = handles.index(params["handle"])
        statement = "insert rule %s position %d %s" % (where, params["handle"], expression)
    else:
        index = len(rules)
        statement = "add rule %s %s" % (where, expression)
    result["persist_line"] = _persist_line(where, index, expression, params, len(rules))
    result["command"] = [nft, "-f", "-"]
    result["statement"] = statement
    result["changed"] = True
    _rc, listing, _err = _run(module, [nft, "-a", "list", "chain", *where.split()])
    after = []
    marker = "# handle %d" % params["handle"] if params["handle"] is not None else None
    inserted = False
    lines = listing.splitlines()
    for number, line in enumerate(lines):
        closing = line.strip() == "}" and number + 1 < len(lines) and lines[number + 1].strip() == "}"
        if not inserted and ((marker and line.rstrip().endswith(marker)) or (marker is None and closing)):
            indent = "\t\t"
            after.append(indent + expression)
            inserted = True
        after.append(line)
    header = "nft list chain %s" % where
    result["diff"] = dict(
        before=listing, after="\n".join(after) + "\n", before_header=header, after_header=header
    )
    if module.check_mode:
        _run(module, [nft, "-c", "-f", "-"], data=statement + "\n")
    else:
        _run(module, [nft, "-f", "-"], data=statement + "\n")


def _persist_line(where, index, expression, params, count):
    if params["handle"] is None and index >= count:
        return "add rule %s %s" % (where, expression)
    return "insert rule %s index %d %s" % (where, index, expression)


# ufw -----------------------------------------------------------------------------------------


def ufw_words(params):
    words = ["allow"]
    if params["interface"]:
        words += ["in", "on", params["interface"]]
    words += ["proto", "tcp"]
    if params["source"]:
        words += ["from", params["source"]]
    words += ["to", "any", "port", str(params["port"]), "comment", params["comment"]]
    return words


UFW_RULES = {4: "/etc/ufw/user.rules", 6: "/etc/ufw/user6.rules"}


def ufw_tuples(params):
    """The ``### tuple ###`` ufw writes for the rule, by rules file: action, proto, dport, dst, sport, src,
    direction (with the interface)."""
    direction = "in_%s" % params["interface"] if params["interface"] else "in"
    families = [params["family"]] if params["source"] else [4, 6]
    tuples = {}
    for family in families:
        anywhere = "::/0" if family == 6 else "0.0.0.0/0"
        tuples[family] = [
            "allow",
            "tcp",
            str(params["port"]),
            anywhere,
            "any",
            params["source"] or anywhere,
            direction,
        ]
    return tuples


def ufw_existing(path):
    """The tuples of a ufw rules file, without their comments."""
    found = []
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith("### tuple ###"):
                    words = [w for w in line.split()[3:] if not w.startswith("comment=")]
                    found.append(words)
    except OSError:
        pass
    return found


def do_ufw(module, params, result):
    ufw = _binary(module, "ufw")
    words = ufw_words(params)
    if params["position"]:
        words = ["insert", str(params["position"]), *words]
    result["rule"] = " ".join(shlex.quote(w) for w in words)
    missing = False
    for family, wanted in ufw_tuples(params).items():
        existing = ufw_existing(UFW_RULES[family])
        if wanted in existing:
            continue
        clash = [t for t in existing if t[1:] == wanted[1:]]
        if clash:
            module.fail_json(
                msg="ufw has a %s rule for the same connections; it would replace it rather than add `ufw %s`"
                % (clash[0][0], result["rule"])
            )
        missing = True
    if not missing:
        return
    result["command"] = [ufw, *words]
    result["changed"] = True
    _rc, before, _err = _run(module, [ufw, "status", "numbered"])
    if module.check_mode:
        after = before.rstrip("\n") + "\n(to add) ufw %s\n" % result["rule"]
    else:
        _rc, out, _err = _run(module, [ufw, *words])
        if "updated" in out.replace("Rules updated", ""):
            module.fail_json(msg="ufw replaced a rule instead of adding one: %s" % out.strip())
        _rc, after, _err = _run(module, [ufw, "status", "numbered"])
    result["diff"] = dict(before=before, after=after, before_header="ufw status", after_header="ufw status")


# firewalld -----------------------------------------------------------------------------------


def rich_rule(params):
    source = ' source address="%s"' % params["source"] if params["source"] else ""
    return 'rule family="%s"%s port port="%d" protocol="tcp" accept' % (
        "ipv6" if params["family"] == 6 else "ipv4",
        source,
        params["port"],
    )


def do_firewalld(module, params, result):
    cmd = _binary(module, "firewall-cmd")
    zone = params["zone"]
    if not zone:
        _rc, out, _err = _run(module, [cmd, "--get-default-zone"])
        zone = out.strip()
    rich = rich_rule(params)
    result["rule"] = rich
    missing = []
    for scope in (["--permanent"], []):
        rc, _out, _err = _run(
            module, [cmd, *scope, "--zone=%s" % zone, "--query-rich-rule=%s" % rich], check_rc=False
        )
        if rc != 0:
            missing.append(scope)
    if not missing:
        result["command"] = []
        return
    _rc, before, _err = _run(module, [cmd, "--permanent", "--zone=%s" % zone, "--list-rich-rules"])
    result["command"] = [cmd, "--permanent", "--zone=%s" % zone, "--add-rich-rule=%s" % rich]
    result["changed"] = True
    result["diff"] = dict(
        before=before,
        after=before.rstrip("\n") + ("\n" if before.strip() else "") + rich + "\n",
        before_header="firewall-cmd --zone=%s --list-rich-rules" % zone,
        after_header="firewall-cmd --zone=%s --list-rich-rules" % zone,
    )
    if not module.check_mode:
        for scope in missing:
            _run(module, [cmd, *scope, "--zone=%s" % zone, "--add-rich-rule=%s" % rich])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            tool=dict(type="str", required=True, choices=["iptables", "nft", "ufw", "firewalld"]),
            port=dict(type="int", required=True),
            family=dict(type="int", choices=[4, 6], default=4),
            source=dict(type="str"),
            interface=dict(type="str"),
            allow_any_source=dict(type="bool", default=False),
            protected_ports=dict(type="list", elements="int", default=[22]),
            comment=dict(type="str", default="fix502"),
            binary=dict(type="str"),
            table=dict(type="str", default="filter"),
            chain=dict(type="str", default="INPUT"),
            before=dict(type="str", default=""),
            nft_family=dict(type="str", choices=["ip", "ip6", "inet"], default="inet"),
            handle=dict(type="int"),
            position=dict(type="int"),
            zone=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, tool=params["tool"], rule="", command=[])
    if not 0 < params["port"] < 65536:
        module.fail_json(msg="port %d is out of range 1-65535" % params["port"], **result)
    if params["port"] in params["protected_ports"]:
        module.fail_json(msg="port %d is SSH's: fix502 never changes rules for it" % params["port"], **result)
    if not params["source"] and not params["allow_any_source"]:
        module.fail_json(
            msg="refusing to open port %d to every source: give source, or allow_any_source for a port "
            "nginx serves to clients" % params["port"],
            **result,
        )
    if params["source"] in ("0.0.0.0", "::", "0.0.0.0/0", "::/0"):
        module.fail_json(
            msg="source %s is every address: give the proxy's address" % params["source"], **result
        )
    {"iptables": do_iptables, "nft": do_nft, "ufw": do_ufw, "firewalld": do_firewalld}[params["tool"]](
        module, params, result
    )
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

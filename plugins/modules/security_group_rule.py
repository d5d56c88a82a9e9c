#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: security_group_rule
short_description: Ensure one least-privilege ingress rule in an AWS, Alibaba or Tencent Cloud security group
version_added: 0.1.0
description:
  - Adds (O(state=present)) or removes (O(state=absent)) exactly one ingress rule of one security group,
    through the provider's SDK. Runs on the controller, like the amazon.aws modules
    (delegated to C(localhost), or a local connection).
  - A rule that allows the same traffic from the same source already counts as present; a second run
    changes nothing.
  - "Rules it adds carry the description C(managed-by: fix502) (and, on AWS, the tag C(managed-by=fix502))."
  - It refuses to open any port but O(public_ports) to C(0.0.0.0/0) or C(::/0), and refuses to touch a
    rule whose ports include 22 (SSH) or 3389 (RDP).
  - Credentials come from the SDK's standard chain (environment, shared profile, instance role), or the
    named O(profile) of it, unless O(access_key) and O(secret_key) are given. They are never logged or
    returned. On AWS, O(assume_role_arn) makes those credentials assume a role first.
  - With O(account), the module first asks the provider who the caller is (STS GetCallerIdentity on every
    provider) and refuses to do anything when the credentials belong to another account; the error names
    both accounts.
  - Needs the C(fix502) Python package and the provider's SDK (C(boto3), C(aliyun-python-sdk-ecs) or
    C(tencentcloud-sdk-python-vpc)) on the controller.
author: fix502 developers (@fix502)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the group and reports what would change; sends no call that changes it.
  diff_mode:
    support: full
    details: The group's ingress rules before and after, one line each.
  platform:
    platforms: posix
requirements:
  - fix502
  - the provider's SDK, boto3 (aws), aliyun-python-sdk-ecs (aliyun) or tencentcloud-sdk-python-vpc (tencent)
options:
  provider:
    description: The cloud provider.
    type: str
    required: true
    choices: [aws, aliyun, tencent]
  region:
    description: The region of the security group.
    type: str
    required: true
  group_id:
    description: The security group to change.
    type: str
    required: true
  state:
    description: Whether the rule should be there.
    type: str
    choices: [present, absent]
    default: present
  protocol:
    description: The rule's protocol.
    type: str
    choices: [tcp, udp]
    default: tcp
  port:
    description: The port the rule allows (the first of the range when O(to_port) is given).
    type: int
    required: true
  to_port:
    description: The last port of the range; defaults to O(port).
    type: int
  cidr:
    description: The source as an IPv4 or IPv6 CIDR.
    type: str
  source_group:
    description: The source as another security group (the proxy tier's, for a backend port).
    type: str
  prefix_list:
    description:
      - The source as a prefix list (AWS C(pl-)), an Alibaba Cloud prefix list or a Tencent Cloud address
        template.
    type: str
  priority:
    description:
      - The rule's priority on Alibaba Cloud (1-100, 1 first) or Tencent Cloud (its position, 0 first).
      - Not allowed on AWS, which has no priorities.
    type: int
  description:
    description: "More text for the rule's description, after C(managed-by: fix502)."
    type: str
    default: ""
  public_ports:
    description: The only ports that may be opened to C(0.0.0.0/0) or C(::/0).
    type: list
    elements: int
    default: [80, 443]
  endpoint_url:
    description: Send the API calls to this endpoint instead of the provider's (an emulator, a VPC endpoint).
    type: str
  profile:
    description:
      - A named profile of the SDK's standard credential chain (AWS shared config, Alibaba Cloud credentials
        file or CLI profile, Tencent Cloud credentials file); the audit's findings carry the one it used.
    type: str
  assume_role_arn:
    description:
      - AWS only. A role the chain's credentials (or O(profile)'s) assume first, with STS AssumeRole.
    type: str
  account:
    description:
      - The account ID the group belongs to (what the audit's finding names). Before anything is read or
        changed, the account of the credentials is asked of the provider (STS GetCallerIdentity) and the
        module fails when it differs.
      - Left out, no check is made.
    type: str
  access_key:
    description: Access key ID; leave it out to use the SDK's standard chain.
    type: str
  secret_key:
    description: Secret access key, with O(access_key).
    type: str
  security_token:
    description: A temporary session (STS) token, with O(access_key).
    type: str
"""

EXAMPLES = r"""
- name: Let the proxy tier reach the backend on 8080, and nothing else
  fix502.gateway.security_group_rule:
    provider: aws
    region: eu-west-1
    group_id: sg-0backend
    port: 8080
    source_group: sg-0proxy
  delegate_to: localhost

- name: Open HTTPS to the world on the web tier
  fix502.gateway.security_group_rule:
    provider: aliyun
    region: cn-hangzhou
    group_id: sg-bp1web
    port: 443
    cidr: 0.0.0.0/0
    priority: 1
  delegate_to: localhost

- name: Remove a rule that opened the backend port to everyone
  fix502.gateway.security_group_rule:
    provider: tencent
    region: ap-guangzhou
    group_id: sg-backend
    port: 8080
    cidr: 0.0.0.0/0
    state: absent
  delegate_to: localhost
"""

RETURN = r"""
rule:
  description: The rule, in fix502's provider-neutral form.
  returned: always
  type: dict
  sample:
    direction: ingress
    action: allow
    protocol: tcp
    port_from: 8080
    port_to: 8080
    peer: {kind: group, value: sg-0proxy}
    description: "managed-by: fix502"
before:
  description: The group's ingress rules before, one line each.
  returned: always
  type: list
  elements: str
after:
  description: The group's ingress rules after (what they would be, in check mode).
  returned: always
  type: list
  elements: str
message:
  description: What was done.
  returned: always
  type: str
  sample: rule added
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

PROTECTED_PORTS = {22: "SSH", 3389: "RDP"}

try:
    from fix502.cloud import (
        MANAGED_MARK,
        CloudError,
        Credentials,
        Peer,
        ProviderConfig,
        Rule,
        open_provider,
    )

    HAS_FIX502 = True
    FIX502_IMPORT_ERROR = None
except ImportError as exc:  # the controller's Python has no fix502
    HAS_FIX502 = False
    FIX502_IMPORT_ERROR = exc


def _peer(module):
    params = module.params
    try:
        if params["cidr"]:
            return Peer.cidr(params["cidr"])
    except ValueError:
        module.fail_json(msg="cidr %r is not an IP address or CIDR" % params["cidr"])
    if params["source_group"]:
        return Peer.group(params["source_group"])
    return Peer.prefix_list(params["prefix_list"])


def _refusal(params, peer, low, high):
    """Why the module will not do this, or None."""
    for port, name in sorted(PROTECTED_PORTS.items()):
        if low <= port <= high:
            return "refusing to change a rule for port %d (%s): fix502 never changes SSH or RDP access" % (
                port,
                name,
            )
    if params["state"] == "present" and peer.is_world:
        public = set(params["public_ports"])
        closed = [p for p in range(low, high + 1) if p not in public]
        if closed:
            return (
                "refusing to open port %d to %s: only %s may be opened to the world; allow a backend port "
                "from the proxy tier's group (source_group) instead"
                % (closed[0], peer.value, ", ".join(str(p) for p in sorted(public)) or "no port")
            )
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            provider=dict(type="str", required=True, choices=["aws", "aliyun", "tencent"]),
            region=dict(type="str", required=True),
            group_id=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            protocol=dict(type="str", choices=["tcp", "udp"], default="tcp"),
            port=dict(type="int", required=True),
            to_port=dict(type="int"),
            cidr=dict(type="str"),
            source_group=dict(type="str"),
            prefix_list=dict(type="str"),
            priority=dict(type="int"),
            description=dict(type="str", default=""),
            public_ports=dict(type="list", elements="int", default=[80, 443]),
            endpoint_url=dict(type="str"),
            profile=dict(type="str"),
            assume_role_arn=dict(type="str"),
            account=dict(type="str"),
            access_key=dict(type="str", no_log=True),
            secret_key=dict(type="str", no_log=True),
            security_token=dict(type="str", no_log=True),
        ),
        mutually_exclusive=[["cidr", "source_group", "prefix_list"]],
        required_one_of=[["cidr", "source_group", "prefix_list"]],
        required_together=[["access_key", "secret_key"]],
        supports_check_mode=True,
    )
    if not HAS_FIX502:
        module.fail_json(
            msg=missing_required_lib("fix502 (pip install 'fix502[%s]')" % module.params["provider"]),
            exception=str(FIX502_IMPORT_ERROR),
        )
    params = module.params
    low = params["port"]
    high = params["to_port"] if params["to_port"] is not None else low
    if not 1 <= low <= high <= 65535:
        module.fail_json(msg="bad port range %s-%s (1-65535, port <= to_port)" % (low, high))
    if params["provider"] == "aws" and params["priority"] is not None:
        module.fail_json(msg="priority: AWS security groups have no rule priorities")
    if params["provider"] != "aws" and params["assume_role_arn"]:
        module.fail_json(msg="assume_role_arn: only for provider aws, not %s" % params["provider"])
    peer = _peer(module)
    refusal = _refusal(params, peer, low, high)
    if refusal:
        module.fail_json(msg=refusal)
    text = params["description"].strip()
    description = MANAGED_MARK if not text else "%s %s" % (MANAGED_MARK, text)
    rule = Rule.ingress(
        params["protocol"], (low, high), peer, description=description, priority=params["priority"]
    )
    credentials = None
    if params["access_key"]:
        credentials = Credentials(params["access_key"], params["secret_key"], params["security_token"])
    config = ProviderConfig(
        provider=params["provider"],
        region=params["region"],
        account=params["account"],
        profile=params["profile"],
        assume_role_arn=params["assume_role_arn"],
        endpoint_url=params["endpoint_url"],
        credentials=credentials,
    )
    try:
        provider = open_provider(config)
        if params["account"]:
            provider.check_account(params["account"])
        if params["state"] == "present":
            change = provider.ensure_ingress(params["group_id"], rule, check_mode=module.check_mode)
        else:
            change = provider.revoke_ingress(params["group_id"], rule, check_mode=module.check_mode)
    except CloudError as exc:
        module.fail_json(msg=str(exc))
    result = dict(
        changed=change.changed,
        rule=rule.to_dict(),
        before=list(change.before),
        after=list(change.after),
        message=change.message,
    )
    if module._diff:
        result["diff"] = change.diff()
    module.exit_json(**result)


if __name__ == "__main__":
    main()

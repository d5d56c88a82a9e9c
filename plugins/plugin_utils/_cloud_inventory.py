# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the aliyun_ecs and tencent_cvm inventory plugins share: options to a provider per region,
instance records to host variables, host names, and the constructed groups."""

from __future__ import annotations

import re

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable

try:
    from fix502.cloud import Credentials, ProviderConfig, open_provider
    from fix502.cloud.retry import CloudError
except ImportError as import_error:  # the Python package is a controller requirement
    FIX502_IMPORT_ERROR = import_error  # type: ImportError | None
else:
    FIX502_IMPORT_ERROR = None


def unwrap(value):
    """Alibaba Cloud wraps lists in a one-key object ({"IpAddress": [...]}): keep the list."""
    if isinstance(value, dict):
        if len(value) == 1:
            (inner,) = value.values()
            if isinstance(inner, list):
                return [unwrap(v) for v in inner]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def snake(record):
    """API field names in snake_case, as amazon.aws.aws_ec2 gives boto3's."""
    return camel_dict_to_snake_dict(record)


class CloudInventoryBase(BaseInventoryPlugin, Constructable):
    """Subclasses set PROVIDER and FILE_SUFFIXES and implement ``records`` and ``hostvars``."""

    PROVIDER = ""
    FILE_SUFFIXES = ()

    def verify_file(self, path):
        if not super().verify_file(path):
            return False
        return path.endswith(self.FILE_SUFFIXES)

    def records(self, provider, filters):
        raise NotImplementedError

    def hostvars(self, record, region):
        raise NotImplementedError

    def instance_hostvars(self, record, region, tags, private, public, **extra):
        """The host variables of an instance record: its fields in snake_case, then ``tags`` (a dict),
        ``security_group_ids``, the first private and public address, ``extra``, ``region`` and the
        ``fix502_cloud_*`` variables the cloud audit reads."""
        groups = list(record.get("SecurityGroupIds") or [])
        hostvars = snake({k: v for k, v in record.items() if k not in ("Tags", "SecurityGroupIds")})
        hostvars.update(
            tags=tags,
            security_group_ids=groups,
            private_ip_address=private[0] if private else None,
            public_ip_address=public[0] if public else None,
            **extra,
        )
        hostvars.update(
            region=region,
            fix502_cloud_provider=self.PROVIDER,
            fix502_cloud_region=region,
            fix502_cloud_instance_id=record["InstanceId"],
            fix502_cloud_security_groups=groups,
        )
        return hostvars

    def _provider_config(self, region):
        access_key = self.get_option("access_key")
        secret_key = self.get_option("secret_key")
        if bool(access_key) != bool(secret_key):
            raise AnsibleParserError(f"{self.NAME}: give both access_key and secret_key, or neither")
        credentials = None
        if access_key:
            credentials = Credentials(access_key, secret_key, self.get_option("security_token") or None)
        return ProviderConfig(
            provider=self.PROVIDER,
            region=region,
            account=self.get_option("account") or None,
            profile=self.get_option("profile") or None,
            endpoint_url=self.get_option("endpoint_url") or None,
            credentials=credentials,
        )

    def _hostname(self, hostvars):
        for name in self.get_option("hostnames"):
            value = hostvars.get(name)
            if isinstance(value, list):
                value = value[0] if value else None
            if value:
                return str(value)
        return None

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        if FIX502_IMPORT_ERROR is not None:
            raise AnsibleError(
                f"{self.NAME} needs the fix502 Python package on the controller: {FIX502_IMPORT_ERROR}"
            )
        self._read_config_data(path)
        regions = self.get_option("regions")
        if not regions:
            raise AnsibleParserError(f"{path}: regions: give at least one region")
        filters = self.get_option("filters") or {}
        strict = self.get_option("strict")
        for region in regions:
            try:
                provider = open_provider(self._provider_config(region))
                records = self.records(provider, filters)
            except CloudError as exc:  # one line, never a credential
                raise AnsibleError(f"{path}: {exc}") from None
            for record in records:
                hostvars = self.hostvars(record, region)
                hostname = self._hostname(hostvars)
                if not hostname:
                    continue
                host = self.inventory.add_host(hostname)
                for key, value in hostvars.items():
                    self.inventory.set_variable(host, key, value)
                self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
                self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
                self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)


def tag_filter_name(key):
    """``tag:env`` → ``env``; None for a filter that is not about a tag."""
    match = re.match(r"^tag:(.+)$", key)
    return match.group(1) if match else None

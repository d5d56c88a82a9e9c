"""moto's standalone server, with DescribeSecurityGroups paginated the way EC2 paginates it.

moto answers DescribeSecurityGroups with every group in one response whatever MaxResults says; EC2 pages
it (MaxResults 5-1000, an opaque NextToken, MaxResults refused together with GroupIds or GroupNames).
This wraps moto's handler with that behaviour so the tests and the bench see real pages. Everything else
is moto's server unchanged.

Run: python tests/cloud_aws/moto_paging.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import base64
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidParameterCombination, InvalidParameterValueError
from moto.ec2.responses.security_groups import SecurityGroups
from moto.server import main

_describe = SecurityGroups.describe_security_groups


def _token(group_id: str) -> str:
    return base64.urlsafe_b64encode(group_id.encode()).decode()


def _after(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except ValueError:
        raise InvalidParameterValueError(token) from None


def describe_security_groups(self: Any) -> ActionResult:
    max_results = self._get_param("MaxResults")
    token = self._get_param("NextToken")
    if max_results is None and token is None:
        return _describe(self)
    if self._get_param("GroupIds", []) or self._get_param("GroupNames", []):
        raise InvalidParameterCombination(
            "The parameter groupIdsSet cannot be used with the parameter maxResults"
        )
    size = int(max_results) if max_results is not None else 1000
    if not 5 <= size <= 1000:
        raise InvalidParameterValueError(str(max_results))
    groups = sorted(_describe(self).result["SecurityGroups"], key=lambda g: g.id)
    start = 0
    if token:
        last = _after(token)
        start = next((i for i, g in enumerate(groups) if g.id > last), len(groups))
    page = groups[start : start + size]
    result: dict[str, Any] = {"SecurityGroups": page}
    if start + size < len(groups):
        result["NextToken"] = _token(page[-1].id)
    return ActionResult(result)


SecurityGroups.describe_security_groups = describe_security_groups  # type: ignore[method-assign]

if __name__ == "__main__":
    main()

"""How long the cloud audit of 5,000 security groups takes next to a bare paginated listing of them,
and that its API calls grow with pages, not with groups.

Starts moto's standalone server (tests/cloud_aws/moto_paging.py: moto with DescribeSecurityGroups
paginated like EC2) on 127.0.0.1 and a free port, creates N security groups (default 5000) in one VPC,
each with an ingress rule (every 50th opens 6379 to the world, so CLD003 has work), plus a web and a
backend tier. Then, in the same run, alternately, ROUNDS times each:

* the baseline: boto3's paginator over DescribeSecurityGroups (1000 per page), every page read;
* the full audit: ``fix502.cloud.audit.audit_region`` with every CLD check over every group
  (``audit_all_groups``), the tiers resolved, the load balancers listed.

Prints the best time of each, their ratio (target: at most 1.3), and the API calls of the audit at
pages of 1000 and of 500: the difference is exactly the difference in pages. Exits 1 when the call
count does not follow the pages.

Usage: python bench/bench_cloud_audit.py [GROUPS] [ROUNDS]   (default 5000 3)

Last run (python 3.11, 2 CPUs shared with other work):

    created 5000 security groups with a rule each in 104.6 s
    listing: 5002 groups in 6 pages, best of 3: 2.39 s
    audit:   105 findings, 8 API calls (6 pages of groups), best of 3: 2.58 s
    ratio audit/listing: 1.08x (target <= 1.3x): met
    pages of 500: 13 API calls (11 pages of groups)
    calls grow with pages, not groups: yes
"""

from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3

from fix502.catalogue import select
from fix502.cloud import ProviderConfig, open_provider
from fix502.cloud.audit import audit_region
from fix502.cloud.config import CloudConfig, TierSpec

REPO = Path(__file__).resolve().parents[1]
REGION = "eu-west-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_moto(log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests/cloud_aws/moto_paging.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=2):
                return url, proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"moto did not start; see {log}") from None
            time.sleep(0.2)


def populate(ec2: Any, count: int) -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]

    def one(i: int) -> str:
        group: str = ec2.create_security_group(GroupName=f"bench-{i}", Description="bench", VpcId=vpc)[
            "GroupId"
        ]
        port, cidr = (6379, "0.0.0.0/0") if i % 50 == 0 else (8080 + i % 7, f"10.40.{i % 250}.0/24")
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}
            ],
        )
        return group

    # one at a time: moto's backend is not safe for concurrent writes
    return vpc, [one(i) for i in range(count)]


def bare_listing(ec2: Any) -> tuple[float, int, int]:
    start = time.perf_counter()
    pages = groups = 0
    for page in ec2.get_paginator("describe_security_groups").paginate(PaginationConfig={"PageSize": 1000}):
        pages += 1
        groups += len(page["SecurityGroups"])
    return time.perf_counter() - start, pages, groups


def full_audit(url: str, config: CloudConfig, page_size: int) -> tuple[float, int, int, int]:
    start = time.perf_counter()
    provider = open_provider(
        ProviderConfig("aws", REGION, endpoint_url=url, options={"page_size": str(page_size)})
    )
    result = audit_region(provider, config, select(["cloud"]), "en")
    elapsed = time.perf_counter() - start
    pages = result.stats.by_operation.get("DescribeSecurityGroups", 0)
    return elapsed, result.stats.calls, pages, len(result.report.findings)


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_EC2_METADATA_DISABLED": "true"}
    )
    with tempfile.TemporaryDirectory(prefix="fix502-bench-cloud-") as tmp:
        url, proc = start_moto(Path(tmp) / "moto.log")
        try:
            ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=url)
            t0 = time.perf_counter()
            _, ids = populate(ec2, count)
            print(f"created {count} security groups with a rule each in {time.perf_counter() - t0:.1f} s")
            config = CloudConfig(
                regions=(REGION,),
                endpoint_url=url,
                audit_all_groups=True,
                tiers={"web": TierSpec(groups=(ids[1],)), "backend": TierSpec(groups=(ids[2],))},
                backend_ports=(8080,),
            )
            listing: list[float] = []
            audits: list[float] = []
            for _ in range(rounds):
                seconds, pages, listed = bare_listing(ec2)
                listing.append(seconds)
                seconds, calls, audit_pages, findings = full_audit(url, config, 1000)
                audits.append(seconds)
            _, calls_500, pages_500, _ = full_audit(url, config, 500)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    best_list, best_audit = min(listing), min(audits)
    ratio = best_audit / best_list
    print(f"listing: {listed} groups in {pages} pages, best of {rounds}: {best_list:.2f} s")
    print(
        f"audit:   {findings} findings, {calls} API calls ({audit_pages} pages of groups), "
        f"best of {rounds}: {best_audit:.2f} s"
    )
    print(f"ratio audit/listing: {ratio:.2f}x (target <= 1.3x): {'met' if ratio <= 1.3 else 'NOT met'}")
    print(f"pages of 500: {calls_500} API calls ({pages_500} pages of groups)")
    expected_pages = math.ceil(listed / 1000), math.ceil(listed / 500)
    grows_with_pages = (
        audit_pages,
        pages_500,
    ) == expected_pages and calls_500 - calls == pages_500 - audit_pages
    print(f"calls grow with pages, not groups: {'yes' if grows_with_pages else 'NO'}")
    return 0 if grows_with_pages else 1


if __name__ == "__main__":
    sys.exit(main())

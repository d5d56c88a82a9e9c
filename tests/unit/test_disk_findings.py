"""RES001 and RES002 as the role disk_relief reads them: auto-fixable where logs are, and where they are."""

from __future__ import annotations

from typing import Any

from fix502 import catalogue
from fix502.engine import judge_host

DUMP = """# configuration file /etc/nginx/nginx.conf:
events {}
http {
    access_log /srv/weblogs/access.log;
    server {
        listen 80;
        root /srv/www;
    }
}
"""


def fs(mount: str, used_percent: float, inodes_used_percent: float = 1.0) -> dict[str, Any]:
    size = 1 << 30
    avail = int(size * (100 - used_percent) / 100)
    return {
        "mount": mount,
        "device": "/dev/test",
        "fstype": "ext4",
        "size_bytes": size,
        "avail_bytes": avail,
        "used_percent": used_percent,
        "inodes_total": 1000,
        "inodes_free": int(1000 * (100 - inodes_used_percent) / 100),
        "inodes_used_percent": inodes_used_percent,
    }


def findings(filesystems: list[dict[str, Any]], backends: list[dict[str, Any]]) -> list[Any]:
    collected = {
        "schema": 1,
        "nginx": {"dump": DUMP, "prefix": "/etc/nginx/", "configure_arguments": ""},
        "filesystems": filesystems,
        "backend_services": backends,
    }
    checks = catalogue.select(["RES001,RES002"])
    return judge_host("web1", collected, checks).report.findings


def test_a_full_filesystem_with_logs_is_fixed_by_disk_relief_and_names_its_log_dirs() -> None:
    found = findings(
        [fs("/", 20), fs("/srv", 99), fs("/srv/www", 95), fs("/var/log", 50)],
        [{"name": "app", "listen": "127.0.0.1:8000", "log_file": "/srv/app/logs/app.log"}],
    )
    by_mount = {f.evidence.path: f for f in found if f.id == "RES001"}
    assert set(by_mount) == {"/srv", "/srv/www"}
    logs = by_mount["/srv"]
    assert logs.autofix is True and logs.fixed_by == "fix502.gateway.disk_relief"
    # nginx's access_log directory and the backend's own log directory, both on /srv.
    assert dict(logs.evidence.values)["log_dirs"] == "/srv/app/logs:/srv/weblogs"
    # A filesystem holding only the web root: compressing logs cannot help, a person must look.
    web = by_mount["/srv/www"]
    assert web.autofix is False and "log_dirs" not in dict(web.evidence.values)


def test_inodes_running_out_are_offered_to_disk_relief() -> None:
    [inodes] = findings([fs("/", 20), fs("/var/log", 10, inodes_used_percent=99)], [])
    assert inodes.id == "RES002" and inodes.autofix is True
    assert inodes.fixed_by == "fix502.gateway.disk_relief"
    assert inodes.evidence.path == "/var/log"

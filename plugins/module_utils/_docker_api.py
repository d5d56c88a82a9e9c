# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Docker Engine API over its unix socket, standard library only; private to this collection.

Docker and podman (its compat API, ``podman system service``) answer the same HTTP/1.1 requests on
a unix socket. Every request has a time limit and a cap on the bytes read. containers() is the
collector's part: the engines that answer and, for each container, what tells why nginx may get
502 from it (state, exit code, OOM kill, restarts, restart policy, published ports, the ports it
listens on inside its own network namespace). The fix module uses Engine for the rest.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import stat
import time

from http.client import HTTPConnection
from urllib.parse import quote, urlencode

from ansible_collections.fix502.gateway.plugins.module_utils._sockets import parse_proc_net_tcp

DEFAULT_SOCKETS = ("/var/run/docker.sock", "/run/podman/podman.sock")
# Caps: the list of all containers, one container's inspect, and how many containers are inspected.
LIST_MAX_BYTES = 8 << 20
INSPECT_MAX_BYTES = 2 << 20
MAX_CONTAINERS = 500
_NETNS_MAX_BYTES = 4 << 20


class EngineError(Exception):
    """A request that failed: no answer, a time limit, too many bytes, or an HTTP error status."""

    def __init__(self, message, status=None, body=None):
        Exception.__init__(self, message)
        self.message = message
        self.status = status
        self.body = body


class _UnixHTTPConnection(HTTPConnection):
    def __init__(self, path, timeout):
        HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.unix_path)
        except Exception:
            sock.close()
            raise
        self.sock = sock


def is_socket(path):
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


class Engine(object):
    """One engine's API on one unix socket. Each request opens its own connection."""

    def __init__(self, path, timeout=10.0, deadline=None):
        self.path = path
        self.timeout = float(timeout)
        self.deadline = deadline  # a time.monotonic() value no request may outlive

    def _time_left(self):
        if self.deadline is None:
            return self.timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise EngineError("%s: gave up at the time limit" % self.path)
        return min(self.timeout, left)

    def request(
        self, method, path, query=None, body=None, max_bytes=INSPECT_MAX_BYTES, timeout=None, raw=False
    ):
        """(status, parsed JSON or text, or None when empty; the bytes when raw). Raises EngineError on
        any failure and on a status of 400 or more."""
        if query:
            path = path + "?" + urlencode(query)
        limit = self._time_left() if timeout is None else timeout
        conn = _UnixHTTPConnection(self.path, limit)
        headers = {"Host": "localhost", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif method == "POST":
            payload = b""
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read(max_bytes + 1)
            status = response.status
        except socket.timeout:
            raise EngineError(
                "%s %s on %s: no answer within %g s" % (method, path, self.path, round(limit, 1))
            ) from None
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise EngineError("%s %s on %s: %s" % (method, path, self.path, reason)) from None
        except Exception as exc:  # http.client's own errors (bad status line, incomplete read)
            raise EngineError("%s %s on %s: %s" % (method, path, self.path, exc)) from None
        finally:
            conn.close()
        if len(data) > max_bytes:
            raise EngineError(
                "%s %s on %s: answer larger than %d bytes" % (method, path, self.path, max_bytes)
            )
        if raw and status < 400:
            return status, data
        text = data.decode("utf-8", "replace")
        parsed = None
        if text.strip():
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
        if status >= 400:
            message = parsed.get("message") if isinstance(parsed, dict) else text.strip()
            raise EngineError(
                "%s %s: %s %s" % (method, path, status, (message or "").strip()[:300]),
                status=status,
                body=parsed,
            )
        return status, parsed

    def get(self, path, query=None, max_bytes=INSPECT_MAX_BYTES):
        return self.request("GET", path, query=query, max_bytes=max_bytes)[1]

    def post(self, path, query=None, body=None, timeout=None):
        return self.request("POST", path, query=query, body=body, timeout=timeout)

    def logs_tail(self, ref, lines=20):
        """The last lines a container wrote (stdout and stderr), as text; empty when unknown."""
        try:
            data = self.request(
                "GET",
                "/containers/%s/logs" % quote(ref, safe=""),
                query={"stdout": "1", "stderr": "1", "tail": str(lines)},
                max_bytes=256 << 10,
                raw=True,
            )[1]
        except EngineError:
            return ""
        return demux(data).decode("utf-8", "replace")

    def version(self):
        return self.get("/version")

    def inspect(self, ref):
        return self.get("/containers/%s/json" % quote(ref, safe=""))


def demux(data):
    """The payload of a multiplexed log stream (8-byte frame headers), or data as it is (a TTY)."""
    if not data or data[0:1] not in (b"\x00", b"\x01", b"\x02") or data[1:4] != b"\x00\x00\x00":
        return data
    out = bytearray()
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset + 4 : offset + 8], "big")
        out.extend(data[offset + 8 : offset + 8 + size])
        offset += 8 + size
    return bytes(out)


def engine_product(version):
    """Which engine answers, podman or docker, from the components /version names."""
    for component in (version or {}).get("Components") or []:
        if "podman" in str(component.get("Name", "")).lower():
            return "podman"
    return "docker"


def describe_engine(path, version):
    return {
        "socket": path,
        "product": engine_product(version),
        "version": str((version or {}).get("Version") or "") or None,
        "api_version": str((version or {}).get("ApiVersion") or "") or None,
    }


def _port_key(key):
    """'8000/tcp' -> (8000, 'tcp'); None when it is not a port."""
    number, _sep, protocol = str(key).partition("/")
    try:
        return int(number), protocol or "tcp"
    except ValueError:
        return None


def port_bindings(mapping):
    """The {'8000/tcp': [{'HostIp': .., 'HostPort': ..}] or None} of PortBindings or Ports as a list.

    A container port that is exposed but not published gets one entry with host_port null.
    """
    out = []
    for key in sorted((mapping or {}).keys()):
        parsed = _port_key(key)
        if parsed is None:
            continue
        bindings = mapping.get(key) or [None]
        for binding in bindings:
            host_port = None
            host_ip = ""
            if binding:
                host_ip = binding.get("HostIp") or ""
                try:
                    host_port = int(binding.get("HostPort") or 0) or None
                except ValueError:
                    host_port = None
            entry = {
                "container_port": parsed[0],
                "protocol": parsed[1],
                "host_ip": host_ip,
                "host_port": host_port,
            }
            if entry not in out:
                out.append(entry)
    return out


def container_addresses(network_settings):
    found = []
    settings = network_settings or {}
    candidates = [settings.get("IPAddress"), settings.get("GlobalIPv6Address")]
    for network in (settings.get("Networks") or {}).values():
        candidates.extend([(network or {}).get("IPAddress"), (network or {}).get("GlobalIPv6Address")])
    for address in candidates:
        if address and address not in found:
            found.append(address)
    return found


def netns_listeners(pid):
    """The TCP ports a process's network namespace listens on, read from /proc/PID/net/tcp{,6}.

    None when they cannot be read (no such process, not allowed).
    """
    if not pid:
        return None
    found = []
    readable = False
    for name, family in (("tcp", 4), ("tcp6", 6)):
        path = "/proc/%d/net/%s" % (pid, name)
        try:
            with open(path, "rb") as handle:
                text = handle.read(_NETNS_MAX_BYTES).decode("ascii", "replace")
        except OSError:
            continue
        readable = True
        for address, port, _family, _inode in parse_proc_net_tcp(text, family):
            entry = {"address": address, "port": port}
            if entry not in found:
                found.append(entry)
    if not readable:
        return None
    return sorted(found, key=lambda e: (e["port"], e["address"]))


def summarize(inspect, engine_socket):
    """What the controller judges of one container, from GET /containers/{id}/json."""
    state = inspect.get("State") or {}
    config = inspect.get("Config") or {}
    host_config = inspect.get("HostConfig") or {}
    network_settings = inspect.get("NetworkSettings") or {}
    policy = host_config.get("RestartPolicy") or {}
    running = bool(state.get("Running")) and state.get("Status") != "paused"
    network_mode = host_config.get("NetworkMode") or ""
    pid = state.get("Pid") or 0
    listening = None
    if running and network_mode != "host":
        listening = netns_listeners(pid)
    exposed = []
    for key in sorted((config.get("ExposedPorts") or {}).keys()):
        parsed = _port_key(key)
        if parsed is not None:
            exposed.append({"port": parsed[0], "protocol": parsed[1]})
    return {
        "engine": engine_socket,
        "id": inspect.get("Id"),
        "name": str(inspect.get("Name") or "").lstrip("/"),
        "image": config.get("Image") or inspect.get("Image"),
        "image_id": inspect.get("Image"),
        "state": state.get("Status") or ("running" if running else "unknown"),
        "running": running,
        "exit_code": state.get("ExitCode"),
        "oom_killed": bool(state.get("OOMKilled")),
        "error": state.get("Error") or "",
        "started_at": state.get("StartedAt"),
        "finished_at": state.get("FinishedAt"),
        "restart_count": int(inspect.get("RestartCount") or 0),
        "restart_policy": {
            "name": policy.get("Name") or "",
            "maximum_retry_count": int(policy.get("MaximumRetryCount") or 0),
        },
        "auto_remove": bool(host_config.get("AutoRemove")),
        "network_mode": network_mode,
        "port_bindings": port_bindings(host_config.get("PortBindings")),
        "ports": port_bindings(network_settings.get("Ports")) if running else [],
        "exposed": exposed,
        "addresses": container_addresses(network_settings),
        "labels": dict(config.get("Labels") or {}),
        "pid": pid or None,
        "listening": listening,
    }


def candidate_sockets(paths):
    """The paths that are unix sockets, each engine once (docker.sock is often a link to podman's)."""
    seen = set()
    out = []
    for path in paths:
        if not is_socket(path):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        out.append(path)
    return out


def containers(socket_paths, timeout, max_containers=MAX_CONTAINERS):
    """The engines answering on socket_paths and all their containers, inspected.

    Returns ({"engines": [...], "items": [...]}, problems). A socket that does not exist is no
    problem (no engine there); one that exists but does not answer is.
    """
    problems = []
    engines = []
    items = []
    seen_ids = set()
    deadline = time.monotonic() + timeout
    for path in candidate_sockets(socket_paths):
        engine = Engine(path, timeout=timeout, deadline=deadline)
        try:
            version = engine.version()
            listed = engine.get("/containers/json", query={"all": "1"}, max_bytes=LIST_MAX_BYTES)
        except EngineError as exc:
            problems.append({"source": path, "message": exc.message})
            continue
        engines.append(describe_engine(path, version if isinstance(version, dict) else {}))
        if not isinstance(listed, list):
            problems.append({"source": path, "message": "GET /containers/json did not return a list"})
            continue
        for entry in listed:
            container_id = (entry or {}).get("Id")
            if not container_id or container_id in seen_ids:
                continue
            if len(items) >= max_containers:
                problems.append(
                    {
                        "source": path,
                        "message": "more than %d containers: the others were not inspected" % max_containers,
                    }
                )
                break
            seen_ids.add(container_id)
            try:
                inspected = engine.inspect(container_id)
            except EngineError as exc:
                if exc.status == 404:
                    continue  # removed between the list and the inspect
                problems.append({"source": path, "message": exc.message})
                if time.monotonic() >= deadline:
                    break
                continue
            if isinstance(inspected, dict):
                items.append(summarize(inspected, path))
    items.sort(key=lambda c: (c["name"], c["id"]))
    return {"engines": engines, "items": items}, problems

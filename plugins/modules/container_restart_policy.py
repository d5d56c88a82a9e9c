#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fix502 developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: container_restart_policy
short_description: Give a Docker or podman container a restart policy, and start it when it is down
version_added: 0.1.0
description:
  - Talks to the Docker Engine API on a unix socket (Docker, or podman's C(podman system service)), with
    the standard library only.
  - Sets the restart policy of the container O(name) to O(restart_policy) and, with O(state=started),
    starts it when it is not running.
  - The policy is changed in place with C(POST /containers/{id}/update) where the engine allows it (Docker).
  - An engine that cannot change the policy of an existing container (podman before 5 answers 404 to
    C(update)) needs the container to be recreated, which O(recreate=true) allows. The new container has
    the same name, image, command, environment, labels, ports, networks and mounts, and uses the old
    container's volumes, anonymous ones included. The old container is stopped and kept, renamed
    C(NAME-fix502-SHORTID), with its own files (nothing is deleted); the new one carries the label
    C(fix502.gateway.replaces) naming it. When the new container does not start, the old one is put back.
  - Nothing is done when the container already has the policy and, with O(state=started), runs.
author: fix502 developers (@fix502)
extends_documentation_fragment:
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the container and reports what would change; no request changes anything.
  diff_mode:
    support: full
    details: The restart policy and the state before and after.
  platform:
    platforms: posix
options:
  name:
    description: Name or ID of the container.
    type: str
    required: true
  socket:
    description:
      - The engine's API socket, for example C(/run/podman/podman.sock) for podman.
    type: path
    default: /var/run/docker.sock
  restart_policy:
    description:
      - The restart policy the container must have.
      - When not set, the container keeps its policy (use it with O(state=started) to only start it).
    type: str
    choices: ["no", always, unless-stopped, on-failure]
  maximum_retry_count:
    description:
      - How many times the engine restarts the container, with O(restart_policy=on-failure); 0 is no limit.
    type: int
    default: 0
  state:
    description:
      - V(present) leaves the container running or not as it is (a recreated container is started when the
        old one was running).
      - V(started) also starts it when it has exited or was never started.
    type: str
    choices: [present, started]
    default: present
  recreate:
    description:
      - Recreate the container when the engine cannot change its restart policy in place.
      - A running container is stopped for that, so its service is down for the few seconds the new one takes
        to start.
    type: bool
    default: false
  stop_timeout:
    description: Seconds the engine gives the old container to stop before it kills it, when recreating.
    type: int
    default: 10
  timeout:
    description: Time limit in seconds of each request to the engine.
    type: int
    default: 30
notes:
  - Containers run by a systemd unit (podman's label C(PODMAN_SYSTEMD_UNIT)) or started with C(--rm) are
    refused with a message. Their unit, not the engine, restarts the former; C(--rm) excludes a restart
    policy.
  - A container created by Docker Compose gets its policy back from the Compose file the next time it is
    recreated from it; put C(restart) there as well.
seealso:
  - name: Docker Engine API, container update
    description: The request that changes a restart policy in place.
    link: https://docs.docker.com/reference/api/engine/
"""

EXAMPLES = r"""
- name: Keep the shop's API container running
  fix502.gateway.container_restart_policy:
    name: shop-api
    restart_policy: unless-stopped
    state: started
  become: true

- name: The same on podman 4, whose containers must be recreated to change their policy
  fix502.gateway.container_restart_policy:
    name: shop-api
    socket: /run/podman/podman.sock
    state: started
    recreate: true
  become: true
"""

RETURN = r"""
container:
  description: The container when the module ends, as M(fix502.gateway.collect) describes containers.
  returned: always
  type: dict
  contains:
    id:
      description: Its full ID; a new one after a recreation.
      type: str
      returned: always
    name:
      description: Its name.
      type: str
      returned: always
      sample: shop-api
    state:
      description: The engine's C(State.Status).
      type: str
      returned: always
      sample: running
    restart_policy:
      description: C(name) and C(maximum_retry_count).
      type: dict
      returned: always
      sample: {"name": "unless-stopped", "maximum_retry_count": 0}
    running:
      description: Whether it runs.
      type: bool
      returned: always
    port_bindings:
      description:
        - Its published ports, C(container_port), C(protocol), C(host_ip) and C(host_port) (null when the
          port is exposed but not published).
      type: list
      elements: dict
      returned: always
      sample: [{"container_port": 8000, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 18000}]
method:
  description:
    - How the policy was changed, C(update) (in place) or C(recreate); null when it was not changed (and in
      check mode).
  returned: always
  type: str
  sample: update
replaced:
  description: The name the old container was given and kept under, when it was recreated.
  returned: when recreated
  type: str
  sample: shop-api-fix502-25000ba5ae22
started:
  description: Whether the module started the container (or would have, in check mode).
  returned: always
  type: bool
"""

import contextlib
import time
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fix502.gateway.plugins.module_utils._docker_api import (
    Engine,
    EngineError,
    is_socket,
    summarize,
)

REPLACES_LABEL = "fix502.gateway.replaces"
# How long a started container must stay up to count as started.
SETTLE_SECONDS = 1.0
# Keys of an inspected HostConfig the create request does not take back as they are.
_HOST_CONFIG_DROP = ("ContainerIDFile", "ConsoleSize", "KernelMemory", "KernelMemoryTCP")
# update answers these when the engine has no such request or no such field.
_UPDATE_UNSUPPORTED = (404, 405, 501)


class ModuleError(Exception):
    pass


def policy_of(inspected):
    policy = (inspected.get("HostConfig") or {}).get("RestartPolicy") or {}
    return {
        "name": policy.get("Name") or "",
        "maximum_retry_count": int(policy.get("MaximumRetryCount") or 0),
    }


def wanted_policy(params):
    if params["restart_policy"] is None:
        return None
    retries = params["maximum_retry_count"] if params["restart_policy"] == "on-failure" else 0
    return {"name": params["restart_policy"], "maximum_retry_count": retries}


def same_policy(have, want):
    names = ("", "no")
    if want["name"] in names:
        return have["name"] in names
    return have["name"] == want["name"] and have["maximum_retry_count"] == want["maximum_retry_count"]


def is_running(inspected):
    state = inspected.get("State") or {}
    return bool(state.get("Running")) and not state.get("Paused")


def view(inspected):
    return {
        "restart_policy": policy_of(inspected)["name"] or "no",
        "state": (inspected.get("State") or {}).get("Status") or "unknown",
    }


def api_policy(want):
    return {"Name": want["name"], "MaximumRetryCount": want["maximum_retry_count"]}


def _ulimit_name(name):
    """podman's inspect says RLIMIT_NOFILE where create takes nofile."""
    name = str(name)
    if name.upper().startswith("RLIMIT_"):
        return name[len("RLIMIT_") :].lower()
    return name


def _mount_bind(mount):
    """A Mounts entry of inspect as a Binds string, or None when the create request gets it otherwise."""
    kind = mount.get("Type")
    dest = mount.get("Destination")
    if not dest:
        return None
    if kind == "volume" and mount.get("Name"):
        source = mount["Name"]
    elif kind == "bind" and mount.get("Source"):
        source = mount["Source"]
    else:
        return None
    return "%s:%s%s" % (source, dest, "" if mount.get("RW", True) else ":ro")


def create_body(old, want, engine):
    """The create request that gives a new container the old one's configuration and want's policy."""
    old_id = old["Id"]
    config = dict(old.get("Config") or {})
    if config.get("Hostname") == old_id[:12]:
        config.pop("Hostname")  # the engine's default, the old ID: the new one gets its own
        config["Env"] = [e for e in config.get("Env") or [] if e != "HOSTNAME=" + old_id[:12]]
    labels = dict(config.get("Labels") or {})
    labels[REPLACES_LABEL] = old_id
    config["Labels"] = labels
    config["Image"] = _same_image(old, engine)
    host_config = dict((k, v) for k, v in (old.get("HostConfig") or {}).items() if k not in _HOST_CONFIG_DROP)
    if host_config.get("Runtime") == "oci":
        host_config.pop("Runtime")  # podman's placeholder, not a runtime name
    host_config["RestartPolicy"] = api_policy(want)
    host_config["Ulimits"] = [
        dict(u, Name=_ulimit_name(u.get("Name"))) for u in host_config.get("Ulimits") or []
    ] or None
    # Every mount of the old container by name or path, anonymous volumes included, so that the new
    # one sees the same data; HostConfig.Mounts would mount them twice.
    binds = []
    for mount in old.get("Mounts") or []:
        bind = _mount_bind(mount)
        if bind and bind not in binds:
            binds.append(bind)
    tmpfs_only = [m for m in host_config.get("Mounts") or [] if (m or {}).get("Type") == "tmpfs"]
    host_config["Binds"] = binds or None
    host_config["Mounts"] = tmpfs_only or None
    config["HostConfig"] = host_config
    networks = _endpoints(old)
    first = host_config.get("NetworkMode")
    if first not in networks:
        first = next(iter(sorted(networks)), None)
    if first is not None:
        config["NetworkingConfig"] = {"EndpointsConfig": {first: networks[first]}}
    others = dict((k, v) for k, v in networks.items() if k != first)
    return config, others


def _same_image(old, engine):
    """The image by name when the name still means the old container's image, else by ID."""
    name = (old.get("Config") or {}).get("Image")
    image_id = old.get("Image")
    if name and image_id:
        try:
            found = engine.get("/images/%s/json" % quote(name, safe=""))
        except EngineError:
            found = None
        if isinstance(found, dict) and _bare(found.get("Id")) == _bare(image_id):
            return name
    return image_id or name


def _bare(image_id):
    return str(image_id or "").split(":", 1)[-1]


def _endpoints(old):
    """The networks to connect the new container to, without the old ID among the aliases."""
    mode = (old.get("HostConfig") or {}).get("NetworkMode") or ""
    if mode in ("host", "none") or mode.startswith("container:") or mode.startswith("ns:"):
        return {}
    out = {}
    short = old["Id"][:12]
    for name, network in ((old.get("NetworkSettings") or {}).get("Networks") or {}).items():
        network = network or {}
        endpoint = {"Aliases": [a for a in network.get("Aliases") or [] if a != short] or None}
        if network.get("IPAMConfig"):
            endpoint["IPAMConfig"] = network["IPAMConfig"]
        out[name] = endpoint
    return out


def free_name(engine, base):
    candidate = base
    for attempt in range(1, 100):
        try:
            engine.inspect(candidate)
        except EngineError as exc:
            if exc.status == 404:
                return candidate
            raise
        candidate = "%s-%d" % (base, attempt)
    raise ModuleError("no free name like %s" % base)


def recreate(engine, old, want, stop_timeout, start):
    """Replace old by a container with want's policy; returns (new inspect, name the old one kept)."""
    name = str(old.get("Name") or "").lstrip("/")
    old_id = old["Id"]
    was_running = is_running(old)
    body, other_networks = create_body(old, want, engine)
    kept_as = free_name(engine, "%s-fix502-%s" % (name, old_id[:12]))
    engine.post("/containers/%s/rename" % old_id, query={"name": kept_as})
    new_id = None
    try:
        created = engine.post("/containers/create", query={"name": name}, body=body)[1]
        new_id = created["Id"]
        for network, endpoint in sorted(other_networks.items()):
            engine.post(
                "/networks/%s/connect" % quote(network, safe=""),
                body={"Container": new_id, "EndpointConfig": endpoint},
            )
        if was_running:
            engine.post(
                "/containers/%s/stop" % old_id, query={"t": str(stop_timeout)}, timeout=stop_timeout + 30
            )
        if was_running or start:
            start_container(engine, new_id)
    except (EngineError, ModuleError, KeyError, TypeError) as exc:
        _put_back(engine, old_id, name, new_id, was_running)
        message = exc.message if isinstance(exc, EngineError) else str(exc)
        raise ModuleError("recreating %s failed, the old container is back: %s" % (name, message)) from None
    return engine.inspect(new_id), kept_as


def _put_back(engine, old_id, name, new_id, was_running):
    """Undo a recreation: remove the new container (it holds nothing yet), the old one gets its name back."""
    if new_id:
        with contextlib.suppress(EngineError):
            engine.request("DELETE", "/containers/%s" % new_id, query={"force": "1"})
    try:
        engine.post("/containers/%s/rename" % old_id, query={"name": name})
        if was_running and not is_running(engine.inspect(old_id)):
            engine.post("/containers/%s/start" % old_id)
    except EngineError:
        pass


def start_container(engine, ref):
    """Start it and see it stay up for SETTLE_SECONDS; a container that exits at once is a failure."""
    engine.post("/containers/%s/start" % quote(ref, safe=""))
    deadline = time.monotonic() + SETTLE_SECONDS
    after = engine.inspect(ref)
    while is_running(after) and time.monotonic() < deadline:
        time.sleep(0.1)
        after = engine.inspect(ref)
    if not is_running(after) and not (after.get("State") or {}).get("Restarting"):
        state = after.get("State") or {}
        tail = engine.logs_tail(ref).strip().splitlines()[-5:]
        raise ModuleError(
            "%s exited right after its start with code %s%s"
            % (
                str(after.get("Name") or ref).lstrip("/"),
                state.get("ExitCode"),
                (": " + " | ".join(tail)) if tail else "",
            )
        )


def update_in_place(engine, old, want):
    """True when the engine changed the policy in place; False when it cannot."""
    try:
        engine.post("/containers/%s/update" % old["Id"], body={"RestartPolicy": api_policy(want)})
    except EngineError as exc:
        if exc.status in _UPDATE_UNSUPPORTED:
            return False
        raise
    return same_policy(policy_of(engine.inspect(old["Id"])), want)


def refuse(old, want):
    """Why the policy of this container must not be changed here, or None."""
    labels = (old.get("Config") or {}).get("Labels") or {}
    unit = labels.get("PODMAN_SYSTEMD_UNIT")
    if unit:
        return "it is run by the systemd unit %s: give the unit a restart policy instead" % unit
    if (old.get("HostConfig") or {}).get("AutoRemove") and want["name"] not in ("", "no"):
        return "it was started with --rm, which excludes a restart policy"
    return None


def run(module):
    params = module.params
    if not is_socket(params["socket"]):
        raise ModuleError("%s is not a container engine's socket" % params["socket"])
    for name in ("timeout", "stop_timeout"):
        if params[name] <= 0:
            raise ModuleError("%s must be greater than 0, got %d" % (name, params[name]))
    engine = Engine(params["socket"], timeout=params["timeout"])
    try:
        old = engine.inspect(params["name"])
    except EngineError as exc:
        if exc.status == 404:
            raise ModuleError("no container %s on %s" % (params["name"], params["socket"])) from None
        raise
    want = wanted_policy(params)
    before = view(old)
    state = (old.get("State") or {}).get("Status")
    need_policy = want is not None and not same_policy(policy_of(old), want)
    need_start = (
        params["state"] == "started"
        and not is_running(old)
        and not (old.get("State") or {}).get("Restarting")
    )
    if need_start and state in ("paused", "dead", "removing"):
        raise ModuleError("%s is %s and cannot be started here" % (params["name"], state))
    if need_policy:
        reason = refuse(old, want)
        if reason:
            raise ModuleError("%s keeps its restart policy: %s" % (params["name"], reason))
    result = {"changed": need_policy or need_start, "method": None, "started": need_start}
    if module.check_mode or not result["changed"]:
        after = dict(before)
        if need_policy:
            after["restart_policy"] = want["name"]
        if need_start:
            after["state"] = "running"
        result["container"] = summarize(old, params["socket"])
        result["diff"] = {"before": before, "after": after}
        return result
    current = old
    if need_policy:
        if update_in_place(engine, old, want):
            result["method"] = "update"
            current = engine.inspect(old["Id"])
        elif params["recreate"]:
            current, kept_as = recreate(engine, old, want, params["stop_timeout"], need_start)
            result["method"] = "recreate"
            result["replaced"] = kept_as
        else:
            version = engine.version() or {}
            raise ModuleError(
                "the engine on %s (%s) cannot change the restart policy of an existing container; "
                "recreate=true recreates %s with it"
                % (params["socket"], version.get("Version"), params["name"])
            )
    if need_start and not is_running(current):
        start_container(engine, current["Id"])
    current = engine.inspect(current["Id"])
    result["container"] = summarize(current, params["socket"])
    result["diff"] = {"before": before, "after": view(current)}
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            socket=dict(type="path", default="/var/run/docker.sock"),
            restart_policy=dict(type="str", choices=["no", "always", "unless-stopped", "on-failure"]),
            maximum_retry_count=dict(type="int", default=0),
            state=dict(type="str", choices=["present", "started"], default="present"),
            recreate=dict(type="bool", default=False),
            stop_timeout=dict(type="int", default=10),
            timeout=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except ModuleError as exc:
        module.fail_json(msg=str(exc))
    except EngineError as exc:
        module.fail_json(msg=exc.message)
    container = result["container"]
    result["container"] = dict(
        (k, container[k]) for k in ("id", "name", "state", "restart_policy", "running", "port_bindings")
    )
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

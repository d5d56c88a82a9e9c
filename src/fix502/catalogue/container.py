"""Checks of the container category: the Docker and podman containers nginx proxies to."""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = (
    "container",
    Text(
        en="Containers: the Docker and podman containers behind nginx",
        zh="容器：nginx 后端的 Docker 和 podman 容器",
    ),
)

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="CNT001",
        severity=Severity.CRITICAL,
        category="container",
        title=Text(en="A container nginx proxies to is not running", zh="nginx 转发到的容器没有运行"),
        cause=Text(
            en=(
                "Container {container} (image {image}) is {state}{exit}: nginx proxies to {target}{reach}, so "
                "every request routed there gets 502 Bad Gateway."
            ),
            zh=(
                "容器 {container}（镜像 {image}）处于 {state} 状态{exit_zh}：nginx 转发到 {target}{reach_zh}，"
                "所有被转发到这里的请求都会得到 502 Bad Gateway。"
            ),
        ),
        fix=Text(
            en=(
                "Start it: `{cli} start {container}`, and read why it stopped: `{cli} logs --tail 100 {container}`. "
                "Give it a restart policy (CNT003) so that it comes back by itself next time."
            ),
            zh=(
                "启动它：`{cli} start {container}`，并查看停止原因：`{cli} logs --tail 100 {container}`。"
                "为它设置重启策略（CNT003），下次就能自动恢复。"
            ),
        ),
        autofix=True,
        fixed_by="fix502.gateway.restart_policy",
        autofix_when=Text(
            en="when it has exited or was never started (a dead container needs a person)",
            zh="当容器已退出或从未启动时（dead 状态的容器需要人工处理）",
        ),
    ),
    CheckDef(
        id="CNT002",
        severity=Severity.HIGH,
        category="container",
        title=Text(en="A container nginx proxies to keeps restarting", zh="nginx 转发到的容器反复重启"),
        cause=Text(
            en=(
                "Container {container} (image {image}) is {state} and has been restarted {restarts} time(s){exit}: "
                "it crashes soon after it starts, so nginx finds {target} down most of the time and answers 502."
            ),
            zh=(
                "容器 {container}（镜像 {image}）处于 {state} 状态，已被重启 {restarts} 次{exit_zh}：它启动后很快崩溃，"
                "nginx 大部分时间连不上 {target}，返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Read why it exits: `{cli} logs --tail 100 {container}`. Usual causes are a bad configuration, a "
                "missing dependency (database, cache, file), too little memory (OOMKilled) or the port already "
                "taken. Restarting it again will not help until that is fixed."
            ),
            zh=(
                "查看退出原因：`{cli} logs --tail 100 {container}`。常见原因是配置错误、依赖（数据库、缓存、文件）缺失、"
                "内存不足（OOMKilled）或端口被占用。问题解决之前再次重启也无济于事。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="CNT003",
        severity=Severity.MEDIUM,
        category="container",
        title=Text(
            en="A container nginx proxies to has no restart policy", zh="nginx 转发到的容器没有重启策略"
        ),
        cause=Text(
            en=(
                "Container {container} (image {image}) has restart policy {policy}: when it exits, is killed "
                "or the engine restarts, nothing starts it again, and nginx answers 502 on {target} until "
                "someone does."
            ),
            zh=(
                "容器 {container}（镜像 {image}）的重启策略为 {policy}：它退出、被杀或容器引擎重启后不会被再次启动，"
                "在有人手动启动之前 nginx 访问 {target} 一直返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Give it one: `docker update --restart unless-stopped {container}`. podman before 5 cannot change "
                "it in place: recreate the container with `--restart unless-stopped` (fix502 does that and keeps the "
                "old container, stopped, under another name). With Compose, also set `restart: unless-stopped` in "
                "the Compose file."
            ),
            zh=(
                "设置重启策略：`docker update --restart unless-stopped {container}`。podman 5 之前的版本不能直接修改，"
                "需要用 `--restart unless-stopped` 重新创建容器（fix502 会这样做，并把旧容器停止后改名保留）。"
                "使用 Compose 时，还要在 Compose 文件中设置 `restart: unless-stopped`。"
            ),
        ),
        autofix=True,
        fixed_by="fix502.gateway.restart_policy",
        autofix_when=Text(
            en=(
                "when it was not started with `--rm`; with podman before 5 the container is recreated "
                "(`restart_policy_container_recreate`), so not when nginx proxies to its address"
            ),
            zh=(
                "当容器不是用 `--rm` 启动时；podman 5 之前的版本会重新创建容器（`restart_policy_container_recreate`），"
                "因此 nginx 直接转发到容器地址时不会自动修复"
            ),
        ),
    ),
    CheckDef(
        id="CNT004",
        severity=Severity.CRITICAL,
        category="container",
        title=Text(
            en="A container's port does not lead where nginx proxies to",
            zh="容器的端口与 nginx 转发的目标不一致",
        ),
        cause=Text(
            en=(
                "nginx proxies to {target} ({directive} at {where}), but container {container} (image {image}) "
                "{mismatch}: the connections never reach its server, and nginx answers 502."
            ),
            zh=(
                "nginx 把请求转发到 {target}（{where} 的 {directive}），但容器 {container}（镜像 {image}）"
                "{mismatch_zh}：连接到不了容器里的服务，nginx 返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Make the two agree: publish the container port its server listens on at the port nginx uses "
                "(`-p {host_port}:PORT`, which means recreating the container), make the server listen on all "
                "addresses (0.0.0.0) inside the container, or point nginx at the port the container publishes."
            ),
            zh=(
                "让两者一致：把容器内服务监听的端口发布到 nginx 使用的端口（`-p {host_port}:端口`，需要重新创建容器），"
                "让容器内的服务监听所有地址（0.0.0.0），或者让 nginx 转发到容器实际发布的端口。"
            ),
        ),
        autofix=False,
    ),
)

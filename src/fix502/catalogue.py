"""The one catalogue of checks: every finding fix502 reports is defined here, once.

Each definition carries its stable ID, default severity, category, and the title, cause and
fix in plain English and Chinese. Cause and fix are templates: the engine fills the
``{placeholders}`` from what it saw on the host. docs/checks.md is generated from this file.
"""

from __future__ import annotations

from dataclasses import dataclass

from fix502.model import Severity

LANGS = ("en", "zh")

CATEGORIES: dict[str, tuple[str, str]] = {
    "resources": ("Resources: disk, inodes, memory", "资源：磁盘、inode、内存"),
    "upstream": ("Upstreams: the backends nginx proxies to", "上游：nginx 代理到的后端"),
}


@dataclass(frozen=True)
class Text:
    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class CheckDef:
    id: str
    severity: Severity
    category: str
    title: Text
    cause: Text
    fix: Text
    autofix: bool
    fixed_by: str | None = None
    autofix_when: Text | None = None

    @property
    def anchor(self) -> str:
        return self.id.lower()

    @property
    def doc(self) -> str:
        return f"docs/checks.md#{self.anchor}"


CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="RES001",
        severity=Severity.HIGH,
        category="resources",
        title=Text(
            en="A filesystem that nginx or its backends write to is almost full",
            zh="nginx 或后端写入的文件系统空间即将耗尽",
        ),
        cause=Text(
            en=(
                "{mount} is {used_percent}% full ({avail} free of {size}) and holds {holds}. "
                "When it fills up, nginx cannot buffer request and response bodies to its temp files "
                "or write its logs, and backends that write there fail: requests end in 502 or 500."
            ),
            zh=(
                "{mount} 已用 {used_percent}%（共 {size}，剩余 {avail}），其中存放着{holds_zh}。"
                "磁盘写满后，nginx 无法把请求和响应体缓冲到临时文件，也无法写日志；"
                "写入这里的后端也会出错，请求最终返回 502 或 500。"
            ),
        ),
        fix=Text(
            en=(
                "Free space on {mount}: rotate and compress large logs (never delete ones you need), "
                "clear old temp files, or grow the filesystem. The largest files: "
                "`du -xah {mount} | sort -h | tail -20`."
            ),
            zh=(
                "释放 {mount} 上的空间：轮转并压缩大日志（不要删除仍需要的日志），清理旧的临时文件，"
                "或扩容文件系统。查找最大的文件：`du -xah {mount} | sort -h | tail -20`。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="RES002",
        severity=Severity.HIGH,
        category="resources",
        title=Text(
            en="A filesystem that nginx or its backends write to is running out of inodes",
            zh="nginx 或后端写入的文件系统 inode 即将耗尽",
        ),
        cause=Text(
            en=(
                "{mount} has used {used_percent}% of its inodes ({free} of {total} left) and holds {holds}. "
                "With no inode left no new file can be created, even with free space: nginx temp files, "
                "sockets, sessions and uploads fail, and requests end in 502 or 500."
            ),
            zh=(
                "{mount} 的 inode 已用 {used_percent}%（共 {total}，剩余 {free}），其中存放着{holds_zh}。"
                "inode 用尽后即使还有空间也无法创建新文件：nginx 临时文件、套接字、会话和上传都会失败，"
                "请求最终返回 502 或 500。"
            ),
        ),
        fix=Text(
            en=(
                "Find the directories with the most files (`du -x --inodes {mount} | sort -n | tail -20`); "
                "usually a cache or session directory that is never cleaned. Clean it up on a schedule, "
                "or rebuild the filesystem with more inodes."
            ),
            zh=(
                "找出文件数最多的目录（`du -x --inodes {mount} | sort -n | tail -20`），"
                "通常是从未清理的缓存或会话目录。定期清理，或以更多 inode 重建文件系统。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="RES003",
        severity=Severity.MEDIUM,
        category="resources",
        title=Text(en="The host is short of memory", zh="主机内存不足"),
        cause=Text(
            en=(
                "Only {available} of {total} memory is available ({available_percent}%), {swap}. "
                "Under memory pressure the kernel kills processes, often the largest backend, "
                "and nginx answers 502 until it is back."
            ),
            zh=(
                "可用内存仅 {available}（共 {total}，{available_percent}%），{swap_zh}。"
                "内存紧张时内核会杀掉进程（往往是占用最多的后端），在其恢复之前 nginx 返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Find what uses the memory (`ps aux --sort=-rss | head`), limit backend workers "
                "(php-fpm pm.max_children, gunicorn workers) to what fits, add swap as a buffer, "
                "or move to a larger instance."
            ),
            zh=(
                "查看内存占用（`ps aux --sort=-rss | head`），把后端工作进程数（php-fpm pm.max_children、"
                "gunicorn workers）限制在内存可承受的范围内，添加 swap 作为缓冲，或升级实例规格。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="RES004",
        severity=Severity.HIGH,
        category="resources",
        title=Text(en="The kernel's OOM killer has killed processes", zh="内核 OOM killer 杀死了进程"),
        cause=Text(
            en=(
                "The kernel ran out of memory and killed {count} process(es): {processes}. "
                "A killed backend leaves nginx with nothing to talk to, so it answers 502 "
                "until the backend is restarted."
            ),
            zh=(
                "内核内存耗尽，杀死了 {count} 个进程：{processes}。后端被杀后 nginx 无法连接上游，"
                "在后端重启之前一直返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Give the killed service a restart policy (systemd `Restart=on-failure`) so it comes back, "
                "then stop it from outgrowing the host: fewer workers, a memory limit (`MemoryMax=`) "
                "that restarts only it, swap, or more memory."
            ),
            zh=(
                "为被杀的服务设置重启策略（systemd `Restart=on-failure`）使其自动恢复，再防止其内存超出主机："
                "减少工作进程、设置只影响该服务的内存上限（`MemoryMax=`）、添加 swap 或增加内存。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="UPS001",
        severity=Severity.CRITICAL,
        category="upstream",
        title=Text(
            en="nginx proxies to a backend that is not listening",
            zh="nginx 代理的后端没有在监听",
        ),
        cause=Text(
            en=(
                "nginx sends requests to {target} ({directive} at {where}), but nothing on this host is "
                "listening there{service}. {impact}"
            ),
            zh=(
                "nginx 把请求转发到 {target}（{where} 的 {directive}），但本机没有任何进程在那里监听{service_zh}。{impact_zh}"
            ),
        ),
        fix=Text(
            en=(
                "Start the backend that should listen on {target} and give it a restart policy so it comes "
                "back by itself. If it runs but listens elsewhere, make its address and nginx's "
                "{directive} agree."
            ),
            zh=(
                "启动应在 {target} 监听的后端服务，并为其设置重启策略以便自动恢复。"
                "如果服务在运行但监听在别的地址，请让它的地址与 nginx 的 {directive} 保持一致。"
            ),
        ),
        autofix=True,
        fixed_by="fix502.gateway.backend_recovery",
        autofix_when=Text(
            en="when the backend is declared in `fix502_backend_services` (systemd unit or start command)",
            zh="当后端已在 `fix502_backend_services` 中声明（systemd 单元或启动命令）时",
        ),
    ),
)

BY_ID: dict[str, CheckDef] = {c.id: c for c in CHECKS}


def select(selectors: list[str] | None) -> list[CheckDef]:
    """Checks named by ID or category; all of them when ``selectors`` is empty.

    Raises ValueError naming the first selector that is neither an ID nor a category.
    """
    if not selectors:
        return list(CHECKS)
    chosen: dict[str, CheckDef] = {}
    for raw in selectors:
        for item in (part.strip() for part in raw.split(",")):
            if not item:
                continue
            if item.upper() in BY_ID:
                chosen[item.upper()] = BY_ID[item.upper()]
            elif item.lower() in CATEGORIES:
                chosen.update({c.id: c for c in CHECKS if c.category == item.lower()})
            else:
                known = ", ".join([*BY_ID, *CATEGORIES])
                raise ValueError(f"unknown check or category {item!r} (known: {known})")
    return [c for c in CHECKS if c.id in chosen]

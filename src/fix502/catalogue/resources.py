"""Checks of the resources category: disk, inodes, memory, OOM kills."""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = ("resources", Text(en="Resources: disk, inodes, memory", zh="资源：磁盘、inode、内存"))

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
)

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
        autofix=True,
        fixed_by="fix502.gateway.disk_relief",
        autofix_when=Text(
            en=(
                "when the filesystem holds logs: rotated logs are gzipped, oversized active ones rotated into "
                "a gzip and truncated, the journal vacuumed and `disk_relief_temp_dirs` cleaned; no log is "
                "deleted, so space taken by other data is left to you"
            ),
            zh=(
                "当该文件系统存放日志时：已轮转的日志被 gzip 压缩，过大的活动日志被轮转为 gzip 后截断，"
                "journal 被清理，`disk_relief_temp_dirs` 中的旧文件被删除；不会删除任何日志，"
                "其他数据占用的空间需要你来处理"
            ),
        ),
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
        autofix=True,
        fixed_by="fix502.gateway.disk_relief",
        autofix_when=Text(
            en="when the files are old files in a directory listed in `disk_relief_temp_dirs`",
            zh="当这些文件是 `disk_relief_temp_dirs` 所列目录中的旧文件时",
        ),
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
        id="RES005",
        severity=Severity.MEDIUM,
        category="resources",
        title=Text(
            en="The host is overloaded: its load average is far above its CPU count",
            zh="主机过载：负载均值远高于 CPU 数量",
        ),
        cause=Text(
            en=(
                "The 5-minute load average is {load5} on {cpus} CPU(s), {per_cpu} per CPU (1 minute: {load1}, "
                "15 minutes: {load15}; {runnable} runnable now).{cpu_pressure} Processes wait for a CPU, or for "
                "the disk, which the load average counts too: backends answer late, nginx's timeouts expire (504) "
                "and a backend whose accept queue overflows refuses connections (502)."
            ),
            zh=(
                "5 分钟负载均值为 {load5}，共 {cpus} 个 CPU，每个 CPU {per_cpu}（1 分钟：{load1}，15 分钟：{load15}；"
                "当前可运行 {runnable} 个）。{cpu_pressure_zh}进程在等待 CPU，或等待磁盘（负载均值同样把它计算在内）："
                "后端响应变慢，nginx 超时（504），后端的 accept 队列溢出后拒绝连接（502）。"
            ),
        ),
        fix=Text(
            en=(
                "Find what uses the CPUs (`top -o %CPU`, `ps aux --sort=-%cpu | head`) or waits on the disk "
                "(`vmstat 1`: the `b` and `wa` columns); run no more backend workers than the CPUs can serve, move "
                "batch jobs off-peak or elsewhere, or add CPUs."
            ),
            zh=(
                "找出占用 CPU 的进程（`top -o %CPU`、`ps aux --sort=-%cpu | head`）或等待磁盘的进程"
                "（`vmstat 1` 的 `b` 和 `wa` 列）；后端工作进程数不要超过 CPU 能承担的数量，把批处理任务移到低峰期"
                "或其他主机，或增加 CPU。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="RES006",
        severity=Severity.MEDIUM,
        category="resources",
        title=Text(en="Processes stall waiting for memory", zh="进程因等待内存而停滞"),
        cause=Text(
            en=(
                "Over the last minute some tasks were stalled waiting for memory {some}% of the time, and all of "
                "them at once {full}% of the time (/proc/pressure/memory), with {available} of {total} available "
                "and {swap}. The kernel is reclaiming memory under pressure{no_swap}: backends slow to a crawl, "
                "nginx's timeouts expire (504, 502), and the OOM killer is next."
            ),
            zh=(
                "在最近一分钟内，有 {some}% 的时间部分任务在等待内存，{full}% 的时间所有任务同时在等待"
                "（/proc/pressure/memory）；可用内存 {available}（共 {total}），{swap_zh}。内核正在内存压力下回收内存"
                "{no_swap_zh}：后端慢得几乎停止，nginx 超时（504、502），接下来就是 OOM killer。"
            ),
        ),
        fix=Text(
            en=(
                "Find what uses the memory (`ps aux --sort=-rss | head`), run no more backend workers than fit "
                "(php-fpm pm.max_children, gunicorn workers), add swap as a buffer, or add memory."
            ),
            zh=(
                "查看内存占用（`ps aux --sort=-rss | head`），后端工作进程数以内存能容纳为限"
                "（php-fpm pm.max_children、gunicorn workers），添加 swap 作为缓冲，或增加内存。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="RES007",
        severity=Severity.HIGH,
        category="resources",
        title=Text(
            en="A process nginx relies on is close to its open-file limit",
            zh="nginx 依赖的进程接近其打开文件数上限",
        ),
        cause=Text(
            en=(
                "{process} (pid {pid}, {role}{unit}) has {count} files open of its soft limit of {limit} "
                '({used_percent}%){others}. At the limit, accept() and connect() fail with "Too many open '
                'files": {impact}'
            ),
            zh=(
                "{process}（pid {pid}，{role_zh}{unit_zh}）已打开 {count} 个文件，软限制为 {limit}（{used_percent}%）"
                '{others_zh}。达到上限后 accept() 和 connect() 会以 "Too many open files" 失败：{impact_zh}'
            ),
        ),
        fix=Text(
            en=(
                "Raise its limit: {raise_how} If the count keeps growing while the traffic does not, look for a "
                "leak (`ls /proc/{pid}/fd | wc -l` over time, `lsof -p {pid}`)."
            ),
            zh=(
                "提高它的上限：{raise_how_zh}如果打开文件数在流量不变时持续增长，请排查泄漏"
                "（定期执行 `ls /proc/{pid}/fd | wc -l`，`lsof -p {pid}`）。"
            ),
        ),
        autofix=False,
    ),
)

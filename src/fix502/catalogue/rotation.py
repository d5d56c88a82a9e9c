"""Checks of the rotation category: logrotate's rules for the logs nginx and the backends write, and the journal.

A log nobody rotates fills its filesystem, and a full filesystem is a classic cause of 500s and 502s
(nginx cannot buffer a request body or a response, a backend cannot write). The rules are read with
logrotate's own reading rules (src/fix502/logrotate.py), so a rule logrotate skips counts as no rule.
"""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = (
    "rotation",
    Text(en="Log rotation: logrotate's rules and the journal", zh="日志轮转：logrotate 规则与 journal"),
)
FIXED_BY = "fix502.gateway.logrotate"

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="LRT001",
        severity=Severity.MEDIUM,
        category="rotation",
        title=Text(
            en="A log nginx or a backend writes has no logrotate rule",
            zh="nginx 或后端写入的日志没有 logrotate 规则",
        ),
        cause=Text(
            en=(
                "{path} ({size}, written by {writer}) matches no rule logrotate reads from {config}: nothing "
                "rotates it, so it grows until {mount} is full, and then nginx can no longer buffer requests "
                "and responses nor the backend write, and clients get 500 and 502."
            ),
            zh=(
                "{path}（{size}，由{writer_zh}写入）不匹配 logrotate 从 {config} 读到的任何规则：没有东西轮转它，"
                "它会一直增长直到 {mount} 写满，届时 nginx 无法缓冲请求和响应，后端也无法写入，客户端收到 500 和 502。"
            ),
        ),
        fix=Text(
            en=(
                "Add a rule, for example `{rule_file}`: the log's path, then a block with `daily`, "
                "`maxsize 100M`, `rotate 14`, `compress`, `delaycompress`, `missingok`, `notifempty` and "
                "{reopen}; check it with `logrotate -d {rule_file}`."
            ),
            zh=(
                "添加一条规则，例如 `{rule_file}`：日志路径，然后是包含 `daily`、`maxsize 100M`、`rotate 14`、"
                "`compress`、`delaycompress`、`missingok`、`notifempty` 以及{reopen_zh}的块；"
                "用 `logrotate -d {rule_file}` 检查。"
            ),
        ),
        autofix=True,
        fixed_by=FIXED_BY,
        autofix_when=Text(
            en=(
                "when the configuration includes /etc/logrotate.d, where the rule is written, and the log is not "
                "on a filesystem emptied at boot (/tmp, /var/tmp, /dev/shm, /run)"
            ),
            zh="当配置包含写入规则的 /etc/logrotate.d 目录，且日志不在开机即清空的位置（/tmp、/var/tmp、/dev/shm、/run）时",
        ),
    ),
    CheckDef(
        id="LRT002",
        severity=Severity.LOW,
        category="rotation",
        title=Text(
            en="A logrotate rule has neither a size nor a time limit",
            zh="logrotate 规则既没有大小限制也没有时间限制",
        ),
        cause=Text(
            en=(
                "The rule at {rule} (for {logs}) sets no interval (daily, weekly, ...) and no size, and neither "
                "do the global settings before it: logrotate falls back on its built-in default and rotates a "
                "log only once it is over 1 MB, whenever it happens to run. Nobody chose that limit."
            ),
            zh=(
                "{rule} 处的规则（用于 {logs}）没有设置周期（daily、weekly 等）也没有设置大小，其前面的全局设置也没有："
                "logrotate 只能使用内置默认值，在日志超过 1 MB 后、在它碰巧运行时才轮转。这个限制没有人选择过。"
            ),
        ),
        fix=Text(
            en="Give the rule in {file} an interval and a size cap, for example `daily` and `maxsize 100M`.",
            zh="给 {file} 中的规则加上周期和大小上限，例如 `daily` 和 `maxsize 100M`。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="LRT003",
        severity=Severity.MEDIUM,
        category="rotation",
        title=Text(en="A logrotate rule keeps no old log", zh="logrotate 规则不保留任何旧日志"),
        cause=Text(
            en=(
                "The rule at {rule} (for {logs}) has rotate 0 ({rotate_where}): each rotation deletes the old "
                "log at once, so the lines written before an incident are gone when they are needed."
            ),
            zh=(
                "{rule} 处的规则（用于 {logs}）为 rotate 0（{rotate_where_zh}）：每次轮转都会立即删除旧日志，"
                "需要排查故障时，之前写下的日志已经不在了。"
            ),
        ),
        fix=Text(
            en="Keep old logs, compressed: `rotate 14` and `compress` in the rule in {file}.",
            zh="保留压缩后的旧日志：在 {file} 的规则中加上 `rotate 14` 和 `compress`。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="LRT004",
        severity=Severity.LOW,
        category="rotation",
        title=Text(en="A logrotate rule does not compress old logs", zh="logrotate 规则不压缩旧日志"),
        cause=Text(
            en=(
                "The rule at {rule} (for {logs}) keeps {rotate} old log(s) uncompressed ({compress_where}): "
                "they take their full size, several times the log's, on the log's filesystem."
            ),
            zh=(
                "{rule} 处的规则（用于 {logs}）保留 {rotate} 份未压缩的旧日志（{compress_where_zh}）："
                "它们按原大小占用日志所在的文件系统，是日志本身的数倍。"
            ),
        ),
        fix=Text(
            en=(
                "Add `compress` to the rule in {file}, with `delaycompress` when the program may still write to "
                "the file just rotated."
            ),
            zh="在 {file} 的规则中加上 `compress`；如果程序可能仍在写刚轮转的文件，再加上 `delaycompress`。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="LRT005",
        severity=Severity.HIGH,
        category="rotation",
        title=Text(
            en="nginx's logs are rotated without telling nginx to reopen them",
            zh="轮转 nginx 日志后没有通知 nginx 重新打开日志",
        ),
        cause=Text(
            en=(
                "The rule at {rule} rotates {logs}, but it has no postrotate that makes nginx reopen its logs "
                "(`nginx -s reopen`, `kill -USR1` to the master, `invoke-rc.d nginx rotate`) and no copytruncate: "
                "after the rename nginx keeps writing into the rotated file, the new log stays empty, and the "
                "space of a rotated log that is compressed or deleted is not freed while nginx holds it open."
            ),
            zh=(
                "{rule} 处的规则轮转 {logs}，但既没有让 nginx 重新打开日志的 postrotate（`nginx -s reopen`、向主进程发送 "
                "`kill -USR1`、`invoke-rc.d nginx rotate`），也没有 copytruncate：改名后 nginx 继续写入被轮转的文件，"
                "新日志一直为空；被压缩或删除的旧日志因 nginx 仍打开着它，其空间不会释放。"
            ),
        ),
        fix=Text(
            en=(
                "Add to the rule in {file}: `sharedscripts`, then `postrotate`, the line "
                '`[ ! -f {pid_file} ] || kill -USR1 "$(cat {pid_file})"` and `endscript`.'
            ),
            zh=(
                "在 {file} 的规则中加上 `sharedscripts`，然后是 `postrotate`、"
                '`[ ! -f {pid_file} ] || kill -USR1 "$(cat {pid_file})"` 这一行和 `endscript`。'
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="LRT006",
        severity=Severity.MEDIUM,
        category="rotation",
        title=Text(en="A log file is very large", zh="日志文件过大"),
        cause=Text(
            en="{path} is {size}, over the {threshold} limit, on {mount} ({used_percent}% used): {detail}",
            zh="{path} 大小为 {size}，超过 {threshold} 的上限，位于 {mount}（已用 {used_percent}%）：{detail_zh}",
        ),
        fix=Text(
            en="{action} Never delete a log that may be needed: compress it, or move it to a larger filesystem.",
            zh="{action_zh}不要删除可能还需要的日志：压缩它，或移到更大的文件系统。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="LRT007",
        severity=Severity.LOW,
        category="rotation",
        title=Text(
            en="journald's disk use has no limit of its own", zh="journald 没有设置自己的磁盘用量上限"
        ),
        cause=Text(
            en=(
                "No {key} is set in {files}: the journal, {usage} now in {journal_dir}, may grow to journald's "
                "default cap, 10% of its filesystem and at most 4 GiB ({cap} on {mount}), space the logs of nginx "
                "and the backends may need."
            ),
            zh=(
                "{files} 中没有设置 {key}：journal 目前在 {journal_dir} 中占用 {usage}，可以一直增长到 journald 的默认上限，"
                "即所在文件系统的 10%、最多 4 GiB（{mount} 上为 {cap}），挤占 nginx 和后端日志可能需要的空间。"
            ),
        ),
        fix=Text(
            en=(
                "Cap it with a drop-in, `/etc/systemd/journald.conf.d/size.conf` holding `[Journal]` and "
                "`{key}=500M`, then `systemctl restart systemd-journald`; `journalctl --vacuum-size=500M` frees "
                "space at once."
            ),
            zh=(
                "用 drop-in 限制它：创建 `/etc/systemd/journald.conf.d/size.conf`，内容为 `[Journal]` 和 `{key}=500M`，"
                "然后执行 `systemctl restart systemd-journald`；`journalctl --vacuum-size=500M` 可立即释放空间。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="LRT008",
        severity=Severity.MEDIUM,
        category="rotation",
        title=Text(en="logrotate finds an error in its configuration", zh="logrotate 配置中有错误"),
        cause=Text(
            en="logrotate reads {where} and reports: {message}. {effect}",
            zh="logrotate 读取 {where} 时报告：{message}。{effect_zh}",
        ),
        fix=Text(
            en="Correct it, then check the whole configuration with `logrotate -d {config}` (it changes nothing).",
            zh="改正后用 `logrotate -d {config}` 检查整个配置（该命令不做任何修改）。",
        ),
        autofix=False,
    ),
)

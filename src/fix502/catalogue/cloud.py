"""Checks of the cloud category: security groups and load balancers in front of the site (``fix502 cloud``).

They judge the provider-neutral model of fix502.cloud, so AWS, Alibaba Cloud and Tencent Cloud share
them. ``{where}`` is ``provider:account/region``; ``{rule}`` is one rule as
``ingress allow tcp 443 from 0.0.0.0/0``.
"""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = (
    "cloud",
    Text(en="Cloud: security groups and load balancers", zh="云：安全组和负载均衡"),
)

FIXED_BY = "fix502.gateway.cloud_security_group"

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="CLD001",
        severity=Severity.HIGH,
        category="cloud",
        title=Text(
            en="The site's port is not reachable from where its clients are",
            zh="客户端所在的地址访问不到站点端口",
        ),
        cause=Text(
            en=(
                "Security group {group} ({where}) of the web tier lets nothing in on TCP {port} from {source}, "
                "where the site's clients (or the CDN/load balancer in front) are: their connections time out "
                "before they reach the site, and a load balancer or CDN in front answers 502/504."
            ),
            zh=(
                "Web 层的安全组 {group}（{where}）没有放行来自 {source} 的 TCP {port}，而站点的客户端"
                "（或前面的 CDN/负载均衡）就在那里：连接在到达站点之前就超时，前面的负载均衡或 CDN 返回 502/504。"
            ),
        ),
        fix=Text(
            en=(
                "Allow exactly that in {group}: `{rule}`, and nothing wider. The role "
                "fix502.gateway.cloud_security_group adds it with the description `managed-by: fix502`."
            ),
            zh=(
                "在 {group} 中只放行这一条：`{rule}`，不要放得更宽。角色 fix502.gateway.cloud_security_group "
                "会添加它，并带上描述 `managed-by: fix502`。"
            ),
        ),
        autofix=True,
        fixed_by=FIXED_BY,
    ),
    CheckDef(
        id="CLD002",
        severity=Severity.HIGH,
        category="cloud",
        title=Text(
            en="The backend's port is not open to the proxy tier",
            zh="后端端口没有对代理层开放",
        ),
        cause=Text(
            en=(
                "Security group {group} ({where}) of the backend tier does not let the proxy tier ({proxy}) in "
                "on TCP {port}: nginx or the load balancer cannot connect to the backend (connect() timed "
                "out) and answers 502 or 504."
            ),
            zh=(
                "后端层的安全组 {group}（{where}）没有放行来自代理层（{proxy}）的 TCP {port}："
                "nginx 或负载均衡连不上后端（connect() 超时），返回 502 或 504。"
            ),
        ),
        fix=Text(
            en=(
                "Allow the port from the proxy tier only: `{rule}` in {group}. Never open it to 0.0.0.0/0. "
                "The role fix502.gateway.cloud_security_group adds exactly this rule."
            ),
            zh=(
                "只对代理层放行这个端口：在 {group} 中添加 `{rule}`。绝不要对 0.0.0.0/0 开放。"
                "角色 fix502.gateway.cloud_security_group 只添加这一条规则。"
            ),
        ),
        autofix=True,
        fixed_by=FIXED_BY,
    ),
    CheckDef(
        id="CLD003",
        severity=Severity.HIGH,
        category="cloud",
        title=Text(
            en="A backend, database or cache port is open to the whole Internet",
            zh="后端、数据库或缓存端口对整个互联网开放",
        ),
        cause=Text(
            en=(
                "Security group {group} ({where}) has `{rule}`, which opens {ports} to everyone: a backend, "
                "database or cache reachable from the Internet can be attacked directly, and the traffic "
                "it lets in can exhaust it so the proxy in front answers 502."
            ),
            zh=(
                "安全组 {group}（{where}）中有 `{rule}`，它把 {ports} 对所有人开放：可从互联网直接访问的"
                "后端、数据库或缓存会被直接攻击，放进来的流量也可能把它压垮，导致前面的代理返回 502。"
            ),
        ),
        fix=Text(
            en=(
                "Allow the port from the proxy tier's group only (CLD002), then remove `{rule}` from {group}. "
                "fix502 removes it only when you turn that on (cloud_security_group_remove_world_open: true)."
            ),
            zh=(
                "先只对代理层的安全组放行该端口（CLD002），再从 {group} 删除 `{rule}`。"
                "只有明确打开 cloud_security_group_remove_world_open: true 时 fix502 才会删除它。"
            ),
        ),
        autofix=True,
        fixed_by=FIXED_BY,
        autofix_when=Text(
            en=(
                "only with cloud_security_group_remove_world_open: true, and never for a rule that also "
                "opens 22, 3389 or a web port"
            ),
            zh="仅当 cloud_security_group_remove_world_open: true 时，且不会处理同时开放 22、3389 或 Web 端口的规则",
        ),
    ),
    CheckDef(
        id="CLD004",
        severity=Severity.HIGH,
        category="cloud",
        title=Text(
            en="Egress rules stop the proxy tier from reaching the backends",
            zh="出方向规则阻止代理层访问后端",
        ),
        cause=Text(
            en=(
                "Security group {group} ({where}) of the proxy tier has no egress rule that lets it connect "
                "to the backends ({destination}) on TCP {port}: every connection nginx or the load balancer "
                "opens to them is dropped, and it answers 502 or 504."
            ),
            zh=(
                "代理层的安全组 {group}（{where}）没有任何出方向规则允许它连接后端（{destination}）的 TCP {port}："
                "nginx 或负载均衡发往后端的每个连接都被丢弃，返回 502 或 504。"
            ),
        ),
        fix=Text(
            en=(
                "Add an egress rule to {group} allowing TCP {port} to the backend tier's group or addresses "
                "({destination}). Egress rules are not changed automatically."
            ),
            zh="在 {group} 中添加出方向规则，允许到后端层安全组或地址（{destination}）的 TCP {port}。出方向规则不会自动修改。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="CLD005",
        severity=Severity.MEDIUM,
        category="cloud",
        title=Text(
            en="A deny rule with a higher priority shadows an allow rule",
            zh="高优先级的拒绝规则遮蔽了允许规则",
        ),
        cause=Text(
            en=(
                "In security group {group} ({where}) the rule `{deny}` is evaluated before `{rule}` and covers "
                "all of its traffic: the allow never takes effect, so what it was meant to let in is dropped "
                "(a proxy or load balancer sending it answers 502/504)."
            ),
            zh=(
                "安全组 {group}（{where}）中的规则 `{deny}` 先于 `{rule}` 生效并覆盖了它的全部流量："
                "这条允许规则永远不起作用，它本应放行的流量被丢弃（经过的代理或负载均衡返回 502/504）。"
            ),
        ),
        fix=Text(
            en=(
                "Give the allow rule a priority that wins over the deny rule's ({deny_priority}), or narrow "
                "the deny rule; if the allow is obsolete, remove it."
            ),
            zh="给允许规则设置比拒绝规则（{deny_priority}）更优先的优先级，或缩小拒绝规则的范围；如果这条允许规则已经没用，删除它。",
        ),
        autofix=False,
    ),
    CheckDef(
        id="CLD006",
        severity=Severity.MEDIUM,
        category="cloud",
        title=Text(
            en="A target group's health check does not test what serves the traffic",
            zh="目标组的健康检查没有检查实际提供服务的端口或协议",
        ),
        cause=Text(
            en=(
                "Target group {target_group} ({where}) sends traffic with {protocol} to port {port} but checks "
                "health with {hc_protocol} on port {hc_port}: targets look healthy while the backend fails "
                "(502), or unhealthy while it works (503)."
            ),
            zh=(
                "目标组 {target_group}（{where}）用 {protocol} 把流量发到端口 {port}，却用 {hc_protocol} "
                "检查端口 {hc_port} 的健康状况：后端出错时目标仍显示健康（502），后端正常时却显示不健康（503）。"
            ),
        ),
        fix=Text(
            en=(
                "Check the port and protocol that serve the traffic: `aws elbv2 modify-target-group "
                "--target-group-arn {arn} --health-check-port traffic-port --health-check-protocol {protocol}`."
            ),
            zh=(
                "检查实际提供服务的端口和协议：`aws elbv2 modify-target-group --target-group-arn {arn} "
                "--health-check-port traffic-port --health-check-protocol {protocol}`。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="CLD007",
        severity=Severity.HIGH,
        category="cloud",
        title=Text(en="A target group has unhealthy or stopped targets", zh="目标组中有不健康或已停止的目标"),
        cause=Text(
            en=(
                "Target group {target_group} ({where}) has {count} target(s) of {total} that take no traffic, "
                "unhealthy or stopped: {targets}. The load balancer stops sending them traffic; when none is "
                "left healthy it answers 502/503."
            ),
            zh=(
                "目标组 {target_group}（{where}）的 {total} 个目标中有 {count} 个不接收流量（不健康或已停止）："
                "{targets}。负载均衡不再向它们转发流量；一个健康的都没有时返回 502/503。"
            ),
        ),
        fix=Text(
            en=(
                "Find out why ({reasons}). `Target.InvalidState`: the instance is stopped or terminated; start "
                "it, or deregister it. Otherwise the health check fails: the backend is down, the backend's "
                "security group does not let the load balancer in (CLD002), or the health check's port, "
                "protocol or path is wrong (CLD006)."
            ),
            zh=(
                "查明原因（{reasons}）。`Target.InvalidState`：实例已停止或已终止，请启动它或将其注销。"
                "其他原因说明健康检查失败：后端没有运行、后端的安全组没有放行负载均衡（CLD002），"
                "或者健康检查的端口、协议或路径不对（CLD006）。"
            ),
        ),
        autofix=False,
    ),
    CheckDef(
        id="CLD008",
        severity=Severity.MEDIUM,
        category="cloud",
        title=Text(
            en="The load balancer keeps idle connections longer than the backend",
            zh="负载均衡的空闲连接保持时间比后端更长",
        ),
        cause=Text(
            en=(
                "Load balancer {load_balancer} ({where}) keeps idle connections for {idle}s, but the backend "
                "closes them after {keepalive}s: now and then the load balancer sends a request on a "
                "connection the backend has just closed and answers 502 (the classic intermittent ALB 502)."
            ),
            zh=(
                "负载均衡 {load_balancer}（{where}）的空闲连接保持 {idle} 秒，而后端 {keepalive} 秒后就关闭连接："
                "负载均衡时不时会在后端刚关闭的连接上发送请求，于是返回 502（典型的 ALB 间歇性 502）。"
            ),
        ),
        fix=Text(
            en=(
                "Make the backend's keep-alive longer than the idle timeout (nginx: `keepalive_timeout "
                "{suggested}s;`), or lower the idle timeout below {keepalive}s: `aws elbv2 "
                "modify-load-balancer-attributes --load-balancer-arn {arn} --attributes "
                "Key=idle_timeout.timeout_seconds,Value={lower}`."
            ),
            zh=(
                "把后端的 keep-alive 设得比空闲超时更长（nginx：`keepalive_timeout {suggested}s;`），"
                "或把空闲超时降到 {keepalive} 秒以下：`aws elbv2 modify-load-balancer-attributes "
                "--load-balancer-arn {arn} --attributes Key=idle_timeout.timeout_seconds,Value={lower}`。"
            ),
        ),
        autofix=False,
    ),
)

"""nginx passes to FastCGI, uwsgi and gRPC backends without what the protocol needs; unreadable configs."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from fix502.checks import Hit, judges
from fix502.checks.context import HostContext
from fix502.checks.nginx_common import evidence, where
from fix502.model import Evidence, Severity
from fix502.nginx_scope import Pass, ProxyModel


def _unreadable_includes(model: ProxyModel, word: str) -> bool:
    """Whether an include that could not be read looks like the parameter file of ``word`` (fastcgi, uwsgi)."""
    for problem in model.config.problems:
        if "cannot be read" in problem.message and word in posixpath.basename(problem.message.split()[2]):
            return True
    return False


def _hit(item: Pass, detail: str, detail_zh: str, hint: str, hint_zh: str, severity: Severity) -> Hit:
    return Hit(
        "NGX010",
        {"detail": detail, "detail_zh": detail_zh, "hint": hint, "hint_zh": hint_zh},
        evidence(item.directive, ("target", item.directive.first_arg())),
        severity=severity,
    )


def _fastcgi(model: ProxyModel) -> Iterator[Hit]:
    if _unreadable_includes(model, "fastcgi"):
        return  # its parameter file is missing from the checkout: NGX013 says so, and nothing can be judged
    for item in model.of("fastcgi_pass"):
        at, target = where(item.directive), item.directive.first_arg()
        level, params = item.scoped.nearest_list("fastcgi_param")
        if not params:
            yield _hit(
                item,
                f"fastcgi_pass at {at} sends requests to {target} without any fastcgi_param: the backend gets "
                "no SCRIPT_FILENAME, REQUEST_METHOD or QUERY_STRING, cannot tell which script to run, and "
                "answers with errors, empty pages or 502.",
                f"{at} 的 fastcgi_pass 把请求发往 {target}，却没有任何 fastcgi_param：后端收不到 SCRIPT_FILENAME、"
                "REQUEST_METHOD、QUERY_STRING，无法确定要执行的脚本，只能返回错误、空白页或 502。",
                "Add `include fastcgi.conf;` (or `include fastcgi_params;` and "
                "`fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;`) in this location. "
                "A location with any fastcgi_param of its own inherits none from the server or http level.",
                "在该 location 中加入 `include fastcgi.conf;`（或 `include fastcgi_params;` 加上 "
                "`fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;`）。"
                "只要 location 自己有任何 fastcgi_param，就不会继承 server 或 http 级别的 fastcgi_param。",
                Severity.HIGH,
            )
        elif not any(p.first_arg() == "SCRIPT_FILENAME" for p in params):
            source = f"{level.name} block at {where(level)}" if level is not None else at
            yield _hit(
                item,
                f"fastcgi_pass at {at} sends FastCGI parameters (from the {source}), but none of them is "
                'SCRIPT_FILENAME: PHP-FPM answers "Primary script unknown" (File not found.), and other '
                "FastCGI servers cannot tell which script to run. Debian's fastcgi_params does not set it; "
                "fastcgi.conf does.",
                f"{at} 的 fastcgi_pass 发送了 FastCGI 参数（来自 {source}），但其中没有 SCRIPT_FILENAME：PHP-FPM 会返回 "
                '"Primary script unknown"（File not found.），其他 FastCGI 服务也无法确定要执行的脚本。'
                "Debian 的 fastcgi_params 不设置它，fastcgi.conf 会设置。",
                "Add `fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;` next to the other "
                "fastcgi_param lines, or include fastcgi.conf instead of fastcgi_params.",
                "在其他 fastcgi_param 旁边加入 `fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;`，"
                "或用 fastcgi.conf 代替 fastcgi_params。",
                Severity.MEDIUM,
            )


def _uwsgi(model: ProxyModel) -> Iterator[Hit]:
    if _unreadable_includes(model, "uwsgi"):
        return
    for item in model.of("uwsgi_pass"):
        if item.scoped.nearest_list("uwsgi_param")[1]:
            continue
        at, target = where(item.directive), item.directive.first_arg()
        yield _hit(
            item,
            f"uwsgi_pass at {at} sends requests to {target} without any uwsgi_param: the application gets no "
            "request method, path or query string and fails, and the client gets 502 or 500.",
            f"{at} 的 uwsgi_pass 把请求发往 {target}，却没有任何 uwsgi_param：应用收不到请求方法、路径和查询字符串而出错，"
            "客户端得到 502 或 500。",
            "Add `include uwsgi_params;` in this location; a location with any uwsgi_param of its own "
            "inherits none from the levels above.",
            "在该 location 中加入 `include uwsgi_params;`；只要 location 自己有任何 uwsgi_param，就不会继承上层的 uwsgi_param。",
            Severity.HIGH,
        )


def _grpc(model: ProxyModel) -> Iterator[Hit]:
    for item in model.of("grpc_pass"):
        server = item.scoped.enclosing("server")
        if server is None:
            continue
        listens_h2 = any("http2" in d.args[1:] for d in server.children("listen"))
        switch = item.scoped.nearest("http2")
        if listens_h2 or (switch is not None and switch.first_arg() == "on"):
            continue
        at = where(item.directive)
        yield _hit(
            item,
            f"grpc_pass at {at} is in a server (at {where(server)}) that does not accept HTTP/2: no `http2` "
            "on its listen lines and no `http2 on`. gRPC runs only over HTTP/2, so every call fails.",
            f"{at} 的 grpc_pass 所在的 server（位于 {where(server)}）不接受 HTTP/2：listen 上没有 `http2`，也没有 `http2 on`。"
            "gRPC 只能运行在 HTTP/2 之上，因此每个调用都会失败。",
            "Enable HTTP/2 on this server: `http2 on;` (nginx 1.25.1 or later) or `http2` on its listen "
            "lines (older versions).",
            "为该 server 启用 HTTP/2：`http2 on;`（nginx 1.25.1 及以上），或在 listen 上加 `http2`（更早版本）。",
            Severity.HIGH,
        )


@judges("NGX010")
def protocol_needs(ctx: HostContext) -> Iterator[Hit]:
    model = ctx.proxy_model
    if model is None:
        return
    yield from _fastcgi(model)
    yield from _uwsgi(model)
    yield from _grpc(model)


@judges("NGX013")
def unreadable_config(ctx: HostContext) -> Iterator[Hit]:
    config = ctx.nginx
    if config is None:
        return
    for problem in config.problems:
        at = f"{problem.file}:{problem.line}" if problem.line else problem.file
        message = problem.message.removesuffix(f" in {at}")  # crossplane repeats where
        yield Hit(
            "NGX013",
            {"where": at, "message": message},
            Evidence(file=problem.file or None, line=problem.line, values=(("message", message),)),
        )

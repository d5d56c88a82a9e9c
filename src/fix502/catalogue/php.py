"""Checks of the php category: php-fpm's pools and how nginx reaches them."""

from __future__ import annotations

from fix502.catalogue.text import CheckDef, Text
from fix502.model import Severity

CATEGORY = (
    "php",
    Text(en="php-fpm: the pools nginx passes PHP to", zh="php-fpm：nginx 转发 PHP 请求的进程池"),
)

CHECKS: tuple[CheckDef, ...] = (
    CheckDef(
        id="PHP001",
        severity=Severity.CRITICAL,
        category="php",
        title=Text(
            en="nginx passes PHP to an address no php-fpm pool listens on",
            zh="nginx 把 PHP 请求发往一个没有任何 php-fpm 进程池监听的地址",
        ),
        cause=Text(
            en=(
                "fastcgi_pass at {where} sends PHP requests to {target}, but no php-fpm pool on this host "
                "listens there and nothing else does: {closest}{others}. Every PHP request gets 502 Bad Gateway."
            ),
            zh=(
                "{where} 的 fastcgi_pass 把 PHP 请求发往 {target}，但本机没有任何 php-fpm 进程池（也没有其他进程）"
                "在那里监听：{closest_zh}{others_zh}。所有 PHP 请求都会得到 502 Bad Gateway。"
            ),
        ),
        fix=Text(
            en=(
                "Make both sides name the same address: either set `listen = {pool_listen}` in {pool_where} and "
                "restart php-fpm, or write `fastcgi_pass {pool_pass};` at {where} and reload nginx. When the "
                "socket moves, keep listen.owner, listen.group and listen.mode such that nginx's user may connect."
            ),
            zh=(
                "让两边使用同一个地址：要么在 {pool_where} 中设置 `listen = {pool_listen}` 并重启 php-fpm，"
                "要么在 {where} 写 `fastcgi_pass {pool_pass};` 并重载 nginx。套接字位置改变时，"
                "请保持 listen.owner、listen.group 和 listen.mode 让 nginx 的用户能够连接。"
            ),
        ),
        autofix=False,
    ),
)

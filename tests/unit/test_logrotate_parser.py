"""The logrotate parser, judged against the real logrotate.

Each configuration is parsed twice: by ``fix502.logrotate`` and by ``logrotate -d`` (debug mode only
prints what it would do). The rules logrotate keeps (their pattern text, criterion and rotation count,
and the logs it considers) and the errors it reports must be exactly the parser's. The configurations are
Debian's real rule files (those of the fleet's image, in data/logrotate-debian12, from the packages
logrotate 3.21.0, nginx-common 1.22.1, php8.2-fpm 8.2, apt, dpkg, ufw), this machine's own
/etc/logrotate.conf, and cases written to hit logrotate's quirks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ansible_collections.fix502.gateway.plugins.module_utils._logrotate import read_logrotate

from fix502.logrotate import (
    BLOCK,
    FILE,
    IGNORED_FILE,
    LINE,
    REST_OF_BLOCK,
    UNKNOWN,
    CollectedSource,
    FilesystemSource,
    LogrotateConfig,
    glob_match,
    parse,
    parse_collected,
    popt_split,
    reopens_logs,
)

LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"
DEBIAN = Path(__file__).resolve().parent / "data" / "logrotate-debian12"
AS_ROOT = os.geteuid() == 0

pytestmark = pytest.mark.skipif(not os.path.exists(LOGROTATE), reason="logrotate is not installed")

# "(N rotations)", "(no old logs will be kept)" for 0, nothing at all for rotate -1.
_RULE = re.compile(
    r"rotating pattern: (?P<pattern>.*?) (?P<crit>after (?P<days>\d+) days|weekly|monthly|yearly|hourly"
    r"|(?P<bytes>\d+) bytes) (?:\((?:(?P<rotations>\d+) rotations|(?P<none>no old logs will be kept))\))?",
    re.S,
)


@dataclass
class RealRule:
    pattern: str
    criterium: str
    rotations: int
    considered: list[str] = field(default_factory=list)


@dataclass
class RealRun:
    rules: list[RealRule]
    errors: list[str]
    output: str


def logrotate_debug(config: Path, state_dir: Path) -> RealRun:
    """What the real logrotate makes of a configuration, from ``logrotate -d``."""
    done = subprocess.run(
        [LOGROTATE, "-d", "-s", str(state_dir / "status"), str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "LC_ALL": "C", "HOME": "/root"},
    )
    output = done.stderr + done.stdout
    rules: list[RealRule] = []
    matches = list(_RULE.finditer(output))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(output)
        if match.group("days"):
            criterium = "daily" if match.group("days") == "1" else f"after {match.group('days')} days"
        elif match.group("bytes"):
            criterium = f"size {match.group('bytes')}"
        else:
            criterium = match.group("crit")
        rules.append(
            RealRule(
                pattern=match.group("pattern").strip(),
                criterium=criterium,
                rotations=int(match.group("rotations") or 0)
                if match.group("rotations") or match.group("none")
                else -1,
                considered=re.findall(r"^considering log (.*)$", output[match.end() : end], re.M),
            )
        )
    errors = [line[len("error: ") :] for line in output.splitlines() if line.startswith("error: ")]
    return RealRun(rules, errors, output)


def criterium_text(config: LogrotateConfig, index: int) -> str:
    settings = config.rules[index].settings
    if settings.criterium == "size":
        return f"size {settings.threshold}"
    return settings.criterium


def assert_same_as_logrotate(config: LogrotateConfig, real: RealRun, *, considered: bool = True) -> None:
    ours = [
        (rule.raw.strip(), criterium_text(config, i), rule.settings.rotate)
        for i, rule in enumerate(config.rules)
    ]
    theirs = [(rule.pattern, rule.criterium, rule.rotations) for rule in real.rules]
    assert ours == theirs, real.output
    if considered:
        assert [rule.files for rule in config.rules] == [rule.considered for rule in real.rules], real.output


def write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def logs(directory: Path, *names: str) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    created = []
    for name in names:
        (directory / name).write_text("a line\n", encoding="utf-8")
        created.append(str(directory / name))
    return created


def both(tmp_path: Path, main: Path, known: list[str]) -> tuple[LogrotateConfig, RealRun]:
    config = parse(FilesystemSource(), str(main), known_files=known, as_root=AS_ROOT)
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    return config, logrotate_debug(main, state)


def error_messages(config: LogrotateConfig) -> list[str]:
    return [p.message for p in config.problems if p.effect != "warning"]


def test_debian_rule_files_parse_as_logrotate_reads_them(tmp_path: Path) -> None:
    etc = tmp_path / "etc"
    shutil.copytree(DEBIAN / "etc", etc)
    main = etc / "logrotate.conf"
    main.write_text(main.read_text().replace("include /etc/logrotate.d", f"include {etc}/logrotate.d"))
    for path in [main, *etc.joinpath("logrotate.d").iterdir()]:
        path.chmod(0o644)
    config, real = both(tmp_path, main, [])
    assert_same_as_logrotate(config, real, considered=False)
    assert config.problems == []
    assert [Path(f).name for f in config.files_read] == [
        "logrotate.conf",
        "alternatives",
        "apt",
        "btmp",
        "dpkg",
        "nginx",
        "php8.2-fpm",
        "ufw",
        "wtmp",
    ]

    nginx = next(rule for rule in config.rules if rule.patterns == ("/var/log/nginx/*.log",))
    assert nginx.location.line == 1 and nginx.location.file.endswith("/logrotate.d/nginx")
    settings = nginx.settings
    assert (settings.criterium, settings.rotate) == ("daily", 14)
    assert {"compress", "delaycompress", "missingok", "sharedscripts", "create"} <= settings.flags
    assert "ifempty" not in settings.flags
    assert settings.values["create_mode"] == "0640" and settings.values["create_user"] == "www-data"
    assert settings.scripts["postrotate"].text.strip() == "invoke-rc.d nginx rotate >/dev/null 2>&1"
    assert settings.scripts["postrotate"].location.line == 15
    assert reopens_logs(settings.scripts["postrotate"].text)
    assert not reopens_logs(settings.scripts["prerotate"].text)
    assert str(settings.origin("rotate")).endswith("logrotate.d/nginx:4")

    # apt sets no create of its own: it comes from the globals of logrotate.conf, line 12.
    apt = next(rule for rule in config.rules if rule.patterns == ("/var/log/apt/term.log",))
    assert "create" in apt.settings.flags
    assert apt.settings.origin("create") == type(apt.location)(str(main), 12)
    # ufw writes its path and its { on two lines.
    ufw = next(rule for rule in config.rules if rule.patterns == ("/var/log/ufw.log",))
    assert ufw.location.line == 1 and ufw.settings.criterium == "weekly"
    # wtmp rotates monthly but only past 1 MB.
    wtmp = next(rule for rule in config.rules if rule.patterns == ("/var/log/wtmp",))
    assert wtmp.settings.minsize == 1024 * 1024 and "compress" not in wtmp.settings.flags
    php = next(rule for rule in config.rules if rule.patterns == ("/var/log/php8.2-fpm.log",))
    assert "php8.2-fpm-reopenlogs" in php.settings.scripts["postrotate"].text


def test_this_machines_own_configuration_as_the_collector_reads_it(tmp_path: Path) -> None:
    """The real /etc/logrotate.conf, read by the collector's code, parsed from what it returns."""
    collected, problems = read_logrotate("/etc/logrotate.conf", 500, 2 * 1024 * 1024)
    assert problems == []
    config = parse_collected(collected)
    assert config is not None
    real = logrotate_debug(Path("/etc/logrotate.conf"), tmp_path)
    assert_same_as_logrotate(config, real, considered=False)
    assert config.directories == ["/etc/logrotate.d"]
    assert error_messages(config) == real.errors == []


def test_globals_reach_only_the_blocks_after_them_and_included_files_change_them(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log", "b.log", "c.log")
    d = tmp_path
    write(d / "inc" / "one", f"rotate 9\n{d}/logs/b.log {{\n}}\n")
    main = write(
        d / "main.conf",
        f"weekly\n{d}/logs/a.log {{\n  rotate 2\n}}\nmonthly\ninclude {d}/inc\n{d}/logs/c.log {{\n}}\n",
    )
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    a, b, c = config.rules
    assert (a.settings.criterium, a.settings.rotate) == ("weekly", 2)
    assert (b.settings.criterium, b.settings.rotate) == ("monthly", 9)
    # rotate 9 was set at the top of an included file: it is a global for what follows.
    assert (c.settings.criterium, c.settings.rotate) == ("monthly", 9)
    assert str(c.settings.origin("rotate")) == f"{d}/inc/one:1"


def test_paths_quotes_several_lines_comments_and_one_line_blocks(tmp_path: Path) -> None:
    known = logs(tmp_path / "my logs", "x.log", "y.log") + logs(tmp_path / "l", "p.log", "q.log", ".h.log")
    d = tmp_path
    main = write(
        d / "main.conf",
        f"\"{d}/my logs/x.log\" '{d}/my logs/y.log'\n"
        "# a comment between the paths and the brace\n"
        "{\n  daily compress missingok\n  rotate=3\n}\n"
        f"{d}/l/*.log {{ hourly }}\n"
        f"{d}/l/[pq].log {{ yearly }}\n",
    )
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    first, star, klass = config.rules
    assert first.patterns == (f"{d}/my logs/x.log", f"{d}/my logs/y.log")
    assert {"compress", "missingok"} <= first.settings.flags and first.settings.rotate == 3
    # * does not match a leading dot; the class pattern finds p and q already taken: duplicates.
    assert star.files == [f"{d}/l/p.log", f"{d}/l/q.log"]
    assert klass.files == []
    [duplicate] = [p for p in config.problems if p.effect != "warning"]
    assert duplicate.message.startswith(f"duplicate log entry for {d}/l/p.log (already rotated by ")
    assert duplicate.location.line == 8
    # logrotate loses count of the lines of a path list written over several lines: it says 9.
    assert [error.split(" ", 1)[1] for error in real.errors] == [f"duplicate log entry for {d}/l/p.log"]
    assert [p for p in config.problems if p.effect == "warning"] == []


def test_a_value_takes_the_rest_of_its_line_and_an_error_swallows_the_next_block(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log", "b.log", "c.log")
    d = tmp_path
    main = write(
        d / "main.conf",
        f"{d}/logs/a.log {{\n  rotate 4 }}\n  {d}/logs/b.log {{\n  daily\n}}\n"
        f"{d}/logs/c.log {{\n  weekly\n}}\n",
    )
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    assert [rule.patterns for rule in config.rules] == [(f"{d}/logs/c.log",)]
    [problem] = config.problems
    assert problem.message == "bad rotation count '4 }'" and problem.effect == BLOCK
    assert problem.location.line == 2
    assert [e.split(" ", 1)[1] for e in real.errors if "rotation" in e] == ["bad rotation count '4 }'"]


def test_an_error_at_the_top_of_a_file_ends_it_and_undoes_its_globals(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log", "b.log", "c.log", "d.log")
    d = tmp_path
    write(d / "inc" / "bad", f"compress\n{d}/logs/a.log {{\n}}\nrotate x\n{d}/logs/b.log {{\n}}\n")
    write(d / "inc" / "worse", f"{d}/logs/c.log {{\n  weekly 9\n}}\n")
    main = write(d / "main.conf", f"include {d}/inc\n{d}/logs/d.log {{\n}}\n")
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    a, last = config.rules
    # a.log's block was read before the error: it stays, with the compress set above it.
    assert "compress" in a.settings.flags
    # The file's globals are undone: d.log does not get compress.
    assert "compress" not in last.settings.flags
    assert [(p.message, p.effect) for p in config.problems] == [
        ("bad rotation count 'x'", FILE),
        ("bad weekly directive ' 9'", FILE),
    ]


def test_an_unclosed_block_is_kept_and_include_works_inside_a_block(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log", "b.log", "c.log")
    d = tmp_path
    write(d / "settings.inc", "rotate 7\ncompress\n")
    write(d / "inc" / "open", f"{d}/logs/b.log {{\n  daily\n  rotate 3\n")
    write(d / "inc" / "open-bad", f"{d}/logs/c.log {{\n  daily\n  rotate x\n  compress\n")
    main = write(
        d / "main.conf",
        f"{d}/logs/a.log {{\n  include {d}/settings.inc\n  monthly\n}}\ninclude {d}/inc\n",
    )
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    a, b, c = config.rules
    assert (a.settings.rotate, "compress" in a.settings.flags) == (7, True)
    assert (b.settings.rotate, b.closed) == (3, False)
    # The error's block is never closed, so logrotate keeps it, without what came after the error.
    assert (c.settings.rotate, "compress" in c.settings.flags) == (0, False)
    assert [(p.message, p.effect) for p in config.problems if p.effect != "warning"] == [
        ("bad rotation count 'x'", REST_OF_BLOCK)
    ]


def test_taboo_files_hidden_files_and_tabooext(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", *(f"{n}.log" for n in "abcdefg"))
    d = tmp_path
    inc = d / "inc"
    for index, name in enumerate(
        ["x.dpkg-old", "y~", "z.bak", ".hidden", "ok", "w.rpmsave", "v.foo", "u.ucf-dist"]
    ):
        write(inc / name, f"{d}/logs/{'abcdefg'[index % 7]}.log {{\n  daily\n}}\n")
    main = write(d / "main.conf", f"tabooext + .foo\ninclude {d}/inc\n")
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    assert sorted(Path(f).name for f in config.files_read) == [".hidden", "main.conf", "ok"]


def test_sizes_criteria_and_counts(tmp_path: Path) -> None:
    names = [f"{n}.log" for n in "abcdefghij"]
    known = logs(tmp_path / "logs", *names)
    d = tmp_path
    body = [
        "size 10k",
        "size 2M\n  rotate -1",
        "size 1G",
        "size 0x10",
        "size 010",
        "daily\n  size 100",
        "size 100\n  weekly\n  maxsize 5M\n  minsize 1k",
        "hourly",
        "size 10 M",
        "size 5X",
    ]
    text = "".join(f"{d}/logs/{name} {{\n  {lines}\n}}\n" for name, lines in zip(names, body, strict=True))
    main = write(d / "main.conf", text)
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    thresholds = [(r.settings.criterium, r.settings.threshold) for r in config.rules]
    assert thresholds[:5] == [
        ("size", 10240),
        ("size", 2 << 20),
        ("size", 1 << 30),
        ("size", 16),
        ("size", 8),
    ]
    assert config.rules[1].settings.rotate == -1
    assert (config.rules[6].settings.maxsize, config.rules[6].settings.minsize) == (5 << 20, 1024)
    assert [p.message for p in config.problems] == ["bad size '10 '", "unknown unit 'X'"]


def test_scripts_unknown_keywords_glued_braces_and_stray_lines(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log", "b.log", "c.log", "d.log")
    d = tmp_path
    main = write(
        d / "main.conf",
        f"{d}/logs/a.log {{\n"
        "  postrotate\n"
        "    if [ -f /run/x.pid ]; then { kill -USR1 $(cat /run/x.pid); }; fi\n"
        "  endscript\n"
        "  frobnicate 3\n"
        "}\n"
        f"{d}/logs/b.log {{\n"
        "  su nobody\n"
        "}\n"
        f"{d}/logs/c.log {{\n"
        "  daily}\n"
        "  lastaction\n"
        "    }\n"
        "  endscript\n"
        "}\n"
        "{\n"
        f"{d}/logs/d.log {{\n"
        "}\n",
    )
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    [a] = config.rules
    assert a.settings.scripts["postrotate"].text == (
        "\n    if [ -f /run/x.pid ]; then { kill -USR1 $(cat /run/x.pid); }; fi\n"
    )
    assert reopens_logs(a.settings.scripts["postrotate"].text)
    assert [(p.message, p.effect, p.location.line) for p in config.problems] == [
        ("unknown option 'frobnicate' -- ignoring line", LINE, 5),
        ("no group for su", BLOCK, 8),
        # "daily}": the brace glued to the keyword is an error, and the } inside the script does not end
        # the skipping; the } at the start of line 15 does.
        ("keyword 'daily' not properly separated, found 0x7d", BLOCK, 11),
        # A stray { at the top of the file ends the file: d.log is never read.
        ("lines must begin with a keyword or a filename (possibly in double quotes)", FILE, 16),
    ]
    assert [error.split(" ", 1)[1] for error in real.errors if error.startswith(str(main))] == [
        "unknown option 'frobnicate' -- ignoring line",
        "no group for su",
        "keyword 'daily' not properly separated, found 0x7d",
        "lines must begin with a keyword or a filename (possibly in double quotes)",
    ]


@pytest.mark.skipif(not AS_ROOT, reason="logrotate checks the owner and mode of its files only as root")
def test_files_writable_by_others_are_ignored(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log", "b.log")
    d = tmp_path
    write(d / "inc" / "open", f"{d}/logs/a.log {{\n  daily\n}}\n", mode=0o664)
    write(d / "inc" / "fine", f"{d}/logs/b.log {{\n  daily\n}}\n")
    main = write(d / "main.conf", f"include {d}/inc\n")
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    [problem] = config.problems
    assert problem.effect == IGNORED_FILE and problem.location.file == f"{d}/inc/open"
    assert any("writable by group or others" in error for error in real.errors)


def test_missing_include_and_missing_brace(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log")
    d = tmp_path
    write(d / "inc" / "nobrace", f"{d}/logs/a.log\n  daily\n")
    main = write(d / "main.conf", f"include {d}/nowhere\ninclude {d}/inc\n")
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    assert [(p.location.line, p.effect) for p in config.problems] == [(1, LINE), (1, FILE)]
    assert config.problems[0].message == f"cannot stat {d}/nowhere: No such file or directory"
    assert config.problems[1].message == "missing '{' after log files definition"


def test_relative_includes_and_ignoreduplicates(tmp_path: Path) -> None:
    known = logs(tmp_path / "logs", "a.log", "b.log", "c.log")
    d = tmp_path
    # logrotate reads a directory's files from inside it: a relative include there is relative to it.
    write(d / "inc" / "one", "include ../more/two\n")
    write(d / "more" / "two", f"{d}/logs/a.log {{\n  ignoreduplicates\n  monthly\n}}\n")
    main = write(
        d / "main.conf",
        f"include {d}/inc\n{d}/logs/*.log {{\n  weekly\n}}\n{d}/logs/c.log {{\n  daily\n}}\n",
    )
    config, real = both(tmp_path, main, known)
    assert_same_as_logrotate(config, real)
    first, star, last = config.rules
    assert first.location.file == f"{d}/more/two"
    # a.log is quietly left to its first rule; c.log, claimed by the glob, is a duplicate for the last.
    assert star.files == [f"{d}/logs/b.log", f"{d}/logs/c.log"] and last.files == []
    assert [p.message.split(" (")[0] for p in config.problems] == [f"duplicate log entry for {d}/logs/c.log"]
    assert config.rule_for(f"{d}/logs/a.log") is first and config.rule_for(f"{d}/logs/c.log") is star
    # The collector follows the same includes, so the controller sees the same rules.
    collected, problems = read_logrotate(str(main), 10, 1 << 20)
    assert problems == []
    again = parse_collected(collected, known)
    assert again is not None
    assert [(r.location, r.files) for r in again.rules] == [(r.location, r.files) for r in config.rules]


def test_collected_source_reads_what_the_collector_returned(tmp_path: Path) -> None:
    d = tmp_path
    write(d / "inc" / "site", f"{d}/logs/*.log {{\n  daily\n}}\n")
    write(d / "inc" / "site.dpkg-old", "this is not read\n")
    main = write(d / "main.conf", f"rotate 5\ninclude {d}/inc\n")
    collected, problems = read_logrotate(str(main), 10, 4096)
    assert problems == []
    assert [(e["path"], e["kind"]) for e in collected["paths"]] == [
        (str(main), "file"),
        (f"{d}/inc", "directory"),
        (f"{d}/inc/site", "file"),
    ]
    assert collected["paths"][1]["entries"] == ["site", "site.dpkg-old"]
    config = parse(CollectedSource(collected["paths"]), str(main), known_files=[f"{d}/logs/app.log"])
    [rule] = config.rules
    assert rule.files == [f"{d}/logs/app.log"] and rule.settings.rotate == 5
    assert config.rule_for(f"{d}/logs/app.log") is rule and config.rule_for(f"{d}/other.log") is None


def test_the_collectors_bounds_are_named() -> None:
    collected, problems = read_logrotate(str(DEBIAN / "etc" / "logrotate.conf"), 1, 10)
    assert collected["truncated"] and problems
    config = parse_collected(collected)
    assert config is not None
    assert any("cut by the collector" in p.message and p.effect == UNKNOWN for p in config.problems)


def test_popt_split_and_glob_match() -> None:
    assert popt_split('/a/b "/c d/e" \'/f\\"g\' /h\\ i') == ["/a/b", "/c d/e", '/f\\"g', "/h i"]
    assert popt_split('"/a\\"b"') == ['/a"b']
    assert popt_split('"/a\\*b"') == ["/a\\*b"]
    assert popt_split("/a\\") is None
    assert glob_match("/var/log/*.log", "/var/log/x.log")
    assert not glob_match("/var/log/*.log", "/var/log/sub/x.log")
    assert not glob_match("/var/log/*.log", "/var/log/.x.log")
    assert glob_match("/var/log/.*.log", "/var/log/.x.log")
    assert glob_match("/var/*/*.log", "/var/log/x.log")
    assert glob_match("/a/[!x]?.log", "/a/yz.log") and not glob_match("/a/[!x]?.log", "/a/xz.log")
    assert glob_match("/a/\\*.log", "/a/*.log") and not glob_match("/a/\\*.log", "/a/b.log")


@pytest.mark.parametrize(
    ("script", "reopens"),
    [
        ("invoke-rc.d nginx rotate >/dev/null 2>&1", True),
        ("[ -s /run/nginx.pid ] && kill -USR1 `cat /run/nginx.pid`", True),
        ("kill -s USR1 $(cat /var/run/nginx.pid)", True),
        ("/usr/sbin/nginx -c /etc/nginx/nginx.conf -s reopen", True),
        ("systemctl reload nginx.service", True),
        ("systemctl kill -s USR1 nginx", True),
        ("start-stop-daemon --stop --signal USR1 --quiet --pidfile /run/nginx.pid", True),
        ("service nginx reload > /dev/null", True),
        ("# nginx -s reopen\ntrue", False),
        ("run-parts /etc/logrotate.d/httpd-prerotate", False),
        ("systemctl reload php8.2-fpm", False),
        ("gzip -9 /var/log/nginx/*.1", False),
    ],
)
def test_which_scripts_reopen_nginx_logs(script: str, reopens: bool) -> None:
    assert reopens_logs(script) is reopens

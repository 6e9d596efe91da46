"""systemd services, sockets and timers from ``collect.sh services``: ``systemctl show -p …`` (``unit NAME``
sections) and ``systemctl cat`` (``unit-text NAME`` sections). Pure parsing, secrets redacted."""

from __future__ import annotations

import re
import shlex

from planner.discovery import parse
from planner.discovery.redact import redact_argv, redact_env, redact_text
from planner.models.discovery import ServiceUnit

UNIT_TEXT_MAX = 65536
KINDS = {"service", "timer", "socket"}
_UNIT_NAME = re.compile(r"[A-Za-z0-9:_.@\\-]{1,256}")
_TIMER_KEYS = ("OnCalendar", "OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec")
_DIGITS = re.compile(r"[0-9]{1,12}")


def service_units(text: str) -> list[ServiceUnit]:
    """One ``ServiceUnit`` per ``unit NAME`` section (the text from its ``unit-text NAME`` section)."""
    shows: dict[str, str] = {}
    texts: dict[str, str] = {}
    for name, arg, body in parse.sections(text):
        if name in {"unit", "unit-text"} and _UNIT_NAME.fullmatch(arg) and arg.rsplit(".", 1)[-1] in KINDS:
            (shows if name == "unit" else texts)[arg] = body
    return [unit(name, show, texts.get(name)) for name, show in shows.items()]


def properties(show: str) -> dict[str, list[str]]:
    """``Key=Value`` lines of ``systemctl show``; a key may repeat (``Listen``, ``EnvironmentFiles``)."""
    values: dict[str, list[str]] = {}
    for line in show.split("\n"):
        key, sep, value = line.partition("=")
        if sep and key.isidentifier():
            values.setdefault(key, []).append(value)
    return values


def unit(name: str, show: str, text: str | None) -> ServiceUnit:
    props = properties(show)

    def one(key: str) -> str | None:
        value = (props.get(key) or [""])[0].strip()
        return value or None

    settings = unit_settings(text or "")
    main_pid = one("MainPID")
    pid = int(main_pid) if main_pid and _DIGITS.fullmatch(main_pid) and int(main_pid) > 0 else None
    exec_start = [specifiers(arg, name) for arg in first_exec_start(settings.get("ExecStart", []))]
    exec_start = exec_start or _show_exec_start(one("ExecStart"))
    triggers = [item for value in props.get("Triggers", []) for item in value.split()]
    if not triggers and one("Unit") and name.endswith(".timer"):
        triggers = [one("Unit") or ""]
    schedule = "; ".join(f"{key}={value}" for key in _TIMER_KEYS for value in settings.get(key, []) if value)
    if not schedule and one("TimersCalendar"):
        schedule = "; ".join(re.findall(r"OnCalendar=[^;}]+", one("TimersCalendar") or "")).strip() or ""
    unit_text, text_cut = None, False
    if text:  # an empty section: systemctl cat failed or timed out
        unit_text = redact_text(text[:UNIT_TEXT_MAX])[0]
        text_cut = len(text.encode()) >= UNIT_TEXT_MAX
    return ServiceUnit(
        name=name, kind=name.rsplit(".", 1)[-1], active=one("ActiveState"), sub=one("SubState"),
        exec_start=redact_argv(exec_start), user=one("User"), group=one("Group"),
        working_directory=one("WorkingDirectory"), environment=redact_env(environment(props.get("Environment", []))),
        environment_files=[value.split(" (ignore_errors=", 1)[0].strip() for value in props.get("EnvironmentFiles", [])
                           if value.strip()],
        main_pid=pid, fragment_path=one("FragmentPath"), unit_text=unit_text, unit_text_truncated=text_cut,
        listen=[value.rsplit(" (", 1)[0].strip() for value in props.get("Listen", []) if value.strip()],
        triggers=[item for item in triggers if item], schedule=schedule or None)


def unit_settings(text: str) -> dict[str, list[str]]:
    """``Key=Value`` settings of a unit's files in the order ``systemctl cat`` shows them (main file, then
    drop-ins), with backslash continuation lines joined; comments and section headers skipped."""
    settings: dict[str, list[str]] = {}
    pending = ""
    for raw in text.split("\n"):
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, sep, value = line.partition("=")
        if sep and key.strip().isidentifier():
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def first_exec_start(values: list[str]) -> list[str]:
    """argv of the first ``ExecStart=`` after the last reset (an empty ``ExecStart=`` in a drop-in)."""
    current: list[str] = []
    for value in values:
        if not value:
            current = []
        else:
            current.append(value)
    if not current:
        return []
    command = current[0].lstrip("@-:+!")
    try:
        return shlex.split(command)
    except ValueError:  # unbalanced quotes: words as they are
        return command.split()


def specifiers(text: str, name: str) -> str:
    """The unit-name specifiers of a unit file value expanded (``%i`` ``%I`` ``%n`` ``%N`` ``%p`` ``%P`` ``%%``);
    others (host, user, directories) are left as written."""
    stem = name.rsplit(".", 1)[0]
    prefix, _, instance = stem.partition("@")
    values = {"i": instance, "I": _unescape(instance), "n": name, "N": stem, "p": prefix, "P": _unescape(prefix),
              "%": "%"}
    return re.sub(r"%([A-Za-z%])", lambda m: values.get(m[1], m[0]), text)


def _unescape(text: str) -> str:
    """systemd's unit-name unescaping: ``-`` is ``/``, ``\\xNN`` a byte."""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m[1], 16)), text.replace("-", "/"))


def _show_exec_start(value: str | None) -> list[str]:
    """argv from ``systemctl show``'s ``{ path=… ; argv[]=… ; ignore_errors=… }`` (arguments space-joined)."""
    if not value:
        return []
    match = re.search(r"argv\[\]=(.*?) ; ignore_errors=", value)
    return match[1].split() if match else []


def environment(values: list[str]) -> dict[str, str]:
    """``Environment=`` of ``systemctl show``: assignments separated by spaces, quoted when they hold one."""
    result: dict[str, str] = {}
    for value in values:
        try:
            words = shlex.split(value)
        except ValueError:
            words = value.split()
        for word in words:
            name, sep, setting = word.partition("=")
            if sep and name:
                result[name] = setting
    return result

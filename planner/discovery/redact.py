"""Secrets out of guest text before anything is stored (minimal version; helper "robust" owns the full pattern list).

A value is secret when its key name ends in a secret word (``password``, ``passwd``, ``pass``, ``secret``,
``token``, ``key`` of api/access/private keys, ``auth``) or it is the password of a ``scheme://user:pass@host``
URL. Secret values become ``<redacted>``; key names stay so people can see what was there.
"""

from __future__ import annotations

import re

REDACTED = "<redacted>"
SECRET_NAME = re.compile(r"(?:password|passwd|passphrase|pass|pwd|secret|token|credentials?|auth"
                         r"|(?:api|access|secret|private|auth)[-_.]?key|apikey)$", re.IGNORECASE)
NOT_SECRET = {"pwd", "oldpwd", "bypass", "compass", "passthrough"}
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):([^\s@/]+)@")
_ASSIGN = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)=([^\s&;'\"]+)")
_QUOTED = re.compile(r"(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]+)(\s*=\s*)([\"'])(.*?)\3")
_LINE = re.compile(r"^(\s*(?:export\s+)?)([A-Za-z0-9_.-]+)(\s*[=:]\s*|\s+)(\S(?:.*\S)?)\s*$")


def secret_name(name: str) -> bool:
    bare = name.strip("'\"").lstrip("-")
    bare = bare[1:] if name.startswith("-D") else bare
    return bool(bare) and bare.lower() not in NOT_SECRET and SECRET_NAME.search(bare) is not None


def _inline(text: str) -> str:
    text = _URL.sub(lambda m: f"{m[1]}:{REDACTED}@", text)
    return _ASSIGN.sub(lambda m: f"{m[1]}={REDACTED}" if secret_name(m[1]) else m[0], text)


def redact_argv(argv: list[str]) -> list[str]:
    """Arguments with secret values replaced (``--password=x``, ``--password x``, URL passwords)."""
    result = [_inline(arg) for arg in argv]
    for index, arg in enumerate(argv[:-1]):
        if arg.startswith("-") and "=" not in arg and secret_name(arg) and not argv[index + 1].startswith("-"):
            result[index + 1] = REDACTED
    return result


def redact_env(env: dict[str, str]) -> dict[str, str]:
    """Secret-named variables become ``<redacted>``; others keep their value with URL passwords redacted."""
    return {name: REDACTED if secret_name(name) and value else _inline(value) for name, value in env.items()}


def redact_text(text: str) -> tuple[str, list[str]]:
    """Config text with secret values replaced, and the key names found holding one (in order, once)."""
    flagged: list[str] = []

    def quoted(match: re.Match[str]) -> str:
        if not secret_name(match[1]) or not match[4]:
            return match[0]
        if match[1] not in flagged:
            flagged.append(match[1])
        return f"{match[1]}{match[2]}{match[3]}{REDACTED}{match[3]}"

    text = _QUOTED.sub(quoted, text)
    lines = []
    for line in text.split("\n"):
        match = _LINE.match(line)
        if match and secret_name(match[2]) and REDACTED not in line and not line.lstrip().startswith(("#", ";")):
            if match[2] not in flagged:
                flagged.append(match[2])
            line = f"{match[1]}{match[2]}{match[3]}{REDACTED}"
        elif (redacted := _inline(line)) != line:
            for name in [m[1] for m in _ASSIGN.finditer(line) if secret_name(m[1])] or ["url password"]:
                if name not in flagged:
                    flagged.append(name)
            line = redacted
        lines.append(line)
    return "\n".join(lines), flagged

"""Secrets out of guest text before anything is stored: command lines, environments and config-file text.

Discovery reads what runs on a guest, and command lines carry credentials (``mysql -pSecret``,
``--password=…``, ``postgres://user:pass@db/app``, ``PGPASSWORD=… psql``). Everything here runs on the
controller, before a document is stored, printed or logged; a secret value becomes ``<redacted>``, its key name
stays so people can see what was there. The patterns (documented in docs/discovery.md, "Redaction"):

* ``NAME=VALUE`` (``--db-password=x``, ``-Dspring.datasource.password=x``, ``PGPASSWORD=x``, ``?token=x``) and
  ``--NAME VALUE`` where NAME ends in a secret word (:data:`SECRET_NAME`);
* the short options that take a password: ``-pSECRET`` of the MySQL/MariaDB clients, ``-a`` of ``redis-cli``,
  ``-p`` of ``sshpass``, ``-u user:pass`` / ``--user user:pass`` of ``curl``;
* the password of ``scheme://user:pass@host`` URLs (and ``//user:pass@server/share``);
* ``Authorization:`` / ``Proxy-Authorization:`` header values (the scheme word kept) and ``X-Api-Key:``,
  ``X-Auth-Token:``, ``Cookie:`` headers;
* in config text also ``key = value``, ``key: value``, ``key value`` lines, quoted ``key="value"`` attributes,
  ``<password>…</password>`` elements, PHP ``define('DB_PASSWORD', '…')`` and PEM private-key blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable

REDACTED = "<redacted>"

_WORDS = (r"password|passwd|passphrase|pass|[a-z0-9]+[-_.]?pwd|secret|token|credentials?|auth"
          r"|(?:api|access|secret|private|auth|encryption|signing|master|license)[-_.]?key|apikey")
SECRET_NAME = re.compile(rf"(?:{_WORDS})$", re.IGNORECASE)
"""A key name is secret when it ends in one of these words (``db_password``, ``keyStorePass``, ``GITHUB_TOKEN``,
``client_secret``, ``MYSQL_PWD``, ``masterauth``, ``X_API_KEY``); ``PWD``/``OLDPWD`` (directories) are not."""
NOT_SECRET = {"bypass", "compass", "overpass", "underpass", "surpass", "trespass", "oldpwd", "pwd", "passthrough"}
_NAME = r"[A-Za-z0-9_.$-]*"
# NAME=VALUE inside any token (options, env assignments, URL query parameters, Java -D properties).
_ASSIGN = re.compile(rf"(?<![A-Za-z0-9_.$-])({_NAME})(=)([^\s&;'\"]+)")
_URL_USERINFO = re.compile(r"((?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^\s:/@]*):([^\s@/]+)@")
_HEADER = re.compile(r"(?i)\b(authorization|proxy-authorization)((?:\s*:\s*|\s+)[\"']?)"
                     r"(?:(bearer|basic|token|digest|negotiate|apikey)(\s+))?([^\s'\"]+)")
_KEY_HEADER = re.compile(r"(?i)\b(x-api-key|x-auth-token|cookie)(\s*:\s*)([^\s'\"][^'\"]*)")
MYSQL_CLIENTS = re.compile(r"^(mysql[a-z_-]*|mariadb[a-z_-]*)$")
"""Programs whose ``-pVALUE`` is a password (``mysql``, ``mysqldump``, ``mysqladmin``, ``mariadb-dump``...)."""
SHORT_PASSWORD = {"redis-cli": "-a", "sshpass": "-p", "keydb-cli": "-a"}
"""Programs whose short option takes a password as the next argument."""
_SHELL_BREAK = {";", "|", "||", "&&", "&"}
_MYSQL_P = re.compile(r"^(['\"]?-p)[^;|&'\"]+")


def secret_name(name: str) -> bool:
    """Whether a key / option / variable name (dashes, ``-D``, ``$`` and quotes ignored) names a secret."""
    bare = name.strip("'\"$").lstrip("-")
    if name.startswith("-D") and not name.startswith("--"):
        bare = name[2:]
    if bare.lower() in NOT_SECRET or not bare:
        return False
    if bare.lower().endswith("pass") and bare.lower().rsplit("_", 1)[-1].rsplit(".", 1)[-1] in NOT_SECRET:
        return False
    return SECRET_NAME.search(bare) is not None


def _inline(text: str) -> str:
    """The patterns that need no neighbouring token: assignments, URL passwords, auth headers."""
    text = _HEADER.sub(lambda m: f"{m[1]}{m[2]}{(m[3] or '') + (m[4] or '')}{REDACTED}", text)
    text = _KEY_HEADER.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)
    text = _URL_USERINFO.sub(lambda m: f"{m[1]}:{REDACTED}@", text)
    return _ASSIGN.sub(lambda m: f"{m[1]}={REDACTED}" if secret_name(m[1]) else m[0], text)


def _program(token: str) -> str:
    return token.strip("'\"").rsplit("/", 1)[-1]


def _known_program(name: str) -> bool:
    return bool(MYSQL_CLIENTS.match(name)) or name in SHORT_PASSWORD or name == "curl"


def _redact_tokens(tokens: list[str]) -> list[str]:
    """Token rules: ``--password VALUE``, ``-pVALUE`` (MySQL clients), ``-a VALUE`` (redis-cli), ``curl -u``.

    The program is the last known one named so far (``sudo -u backup mysqldump -p…``, a cron line's command),
    until a shell separator."""
    result = list(tokens)
    program = ""
    for index, token in enumerate(tokens):
        bare = token.strip("'\"")
        if _known_program(_program(bare)):
            program = _program(bare)
            continue
        if bare in _SHELL_BREAK:
            program = ""
            continue
        following = index + 1 < len(tokens)
        if MYSQL_CLIENTS.match(program) and bare.startswith("-p") and len(bare) > 2 and not bare.startswith("--"):
            result[index] = _MYSQL_P.sub(rf"\g<1>{REDACTED}", token, count=1)
        elif following and SHORT_PASSWORD.get(program) == bare:
            result[index + 1] = REDACTED
        elif following and program == "curl" and bare in {"-u", "--user", "--proxy-user", "-U"} and ":" in tokens[
                index + 1]:
            user = tokens[index + 1].split(":", 1)[0]
            result[index + 1] = f"{user}:{REDACTED}"
        elif (following and bare.startswith("-") and "=" not in bare and secret_name(bare)
              and not tokens[index + 1].startswith("-")):
            result[index + 1] = REDACTED
        if bare.endswith(tuple(_SHELL_BREAK)):
            program = ""
    return result


def redact_argv(argv: list[str]) -> list[str]:
    """An argument vector with secret values replaced; an argument holding a shell command line
    (``sh -c '…'``) is redacted as a command line itself."""
    inline = [redact_args(arg) if any(ch.isspace() for ch in arg) else _inline(arg) for arg in argv]
    return _redact_tokens(inline)


def redact_args(args: str) -> str:
    """A command line as one string (``ps`` args, a unit's ``ExecStart``) with secret values replaced.
    Whitespace is kept as it was."""
    parts = re.split(r"(\s+)", _inline(args))
    words = parts[0::2]
    redacted = _redact_tokens(words) if words else words
    parts[0::2] = redacted
    return "".join(parts)


def redact_env(env: dict[str, str]) -> dict[str, str]:
    """Environment variables: secret-named ones become ``<redacted>``; the others keep their value with URL
    passwords and inline assignments redacted (``DATABASE_URL=postgres://u:<redacted>@db/app``)."""
    return {name: REDACTED if secret_name(name) and value else _inline(value) for name, value in env.items()}


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END \1-----|\Z)", re.DOTALL)
_ELEMENT = re.compile(rf"<({_NAME})(\s[^>]*)?>([^<]+)</\1>")
_QUOTED = re.compile(rf"(?<![A-Za-z0-9_.$-])([\"']?)({_NAME})\1(\s*(?:=>|[=:])\s*)([\"'])(.*?)\4")
_PHP_DEFINE = re.compile(r"(define\(\s*)([\"'])([A-Za-z0-9_]+)\2(\s*,\s*)([\"'])(.*?)\5")
_LINE = re.compile(rf"^(\s*(?:export\s+|set\s+)?)({_NAME})(\s*[=:]\s*|\s+)(\S(?:.*\S)?)(\s*)$")


def redact_text(text: str) -> tuple[str, list[str]]:
    """Config-file text with secret values replaced, and the key names found holding one (in order, once)."""
    flagged: list[str] = []

    def flag(name: str) -> None:
        if name not in flagged:
            flagged.append(name)

    def pem(match: re.Match[str]) -> str:
        flag(match[1].lower())
        return f"-----BEGIN {match[1]}-----\n{REDACTED}\n-----END {match[1]}-----"

    def element(match: re.Match[str]) -> str:
        if not secret_name(match[1]):
            return match[0]
        flag(match[1])
        return f"<{match[1]}{match[2] or ''}>{REDACTED}</{match[1]}>"

    def quoted(match: re.Match[str]) -> str:
        if not secret_name(match[2]) or not match[5]:
            return match[0]
        flag(match[2])
        return f"{match[1]}{match[2]}{match[1]}{match[3]}{match[4]}{REDACTED}{match[4]}"

    def define(match: re.Match[str]) -> str:
        if not secret_name(match[3]) or not match[6]:
            return match[0]
        flag(match[3])
        return f"{match[1]}{match[2]}{match[3]}{match[2]}{match[4]}{match[5]}{REDACTED}{match[5]}"

    text = _PEM.sub(pem, text)
    text = _PHP_DEFINE.sub(define, text)
    text = _ELEMENT.sub(element, text)
    text = _QUOTED.sub(quoted, text)
    lines = []
    for line in text.split("\n"):
        match = _LINE.match(line)
        if match and secret_name(match[2]) and REDACTED not in match[4] and not match[4].startswith(("#", "//")):
            flag(match[2])
            end = ";" if match[4].endswith(";") else ""
            line = f"{match[1]}{match[2]}{match[3]}{REDACTED}{end}{match[5]}"
        lines.append(_flagging_inline(line, flag))
    return "\n".join(lines), flagged


def _flagging_inline(line: str, flag: Callable[[str], None]) -> str:
    """``_inline`` on one line, flagging what it redacted (headers, URL passwords, assignments)."""
    redacted = _inline(line)
    if redacted != line:
        for match in _HEADER.finditer(line):
            flag(match[1])
        for match in _KEY_HEADER.finditer(line):
            flag(match[1])
        if _URL_USERINFO.search(line):
            flag("url password")
        for match in _ASSIGN.finditer(line):
            if secret_name(match[1]):
                flag(match[1])
    return redacted

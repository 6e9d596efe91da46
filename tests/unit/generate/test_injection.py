"""Injection safety: hostile VM names, paths, argv, environment values, user names and config text never change
what a generated Dockerfile says. A small Dockerfile parser (line continuations, comments, no heredocs) reads every
generated file back; the instruction list must be exactly the intended one and the values exactly the inputs."""

from __future__ import annotations

import json
import re
import shlex
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.generate import GenerateOptions, generate
from planner.models import Estate, Vm
from planner.models.discovery import AppPath, ConfigFile, GuestDiscovery, Listener, Process
from planner.render.escape import one_line

NASTY = ["\n", "\r\n", "\\", "\\\n", '"', "'", "$", "${HOME}", "`id`", "$(reboot)", ";", "&&", "|", "#", "\u2028",
         "\u0085", "\x00", "\x1b[31m", "<<EOF", "\nRUN rm -rf /\n", "\\\nUSER root", '"]\nCMD ["sh"]', "# escape=`",
         "{{ 7*7 }}", "{% raw %}", "@@LISTEN_ADDRESS@@", "127.0.88.1", " ", "\t", "ü", "🙂", "*", "..", "/"]
hostile = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=6)), min_size=1, max_size=6).map("".join)
hostile_path = st.lists(hostile, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
env_names = st.one_of(st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True), hostile)

INSTRUCTIONS = {"FROM", "LABEL", "ARG", "RUN", "COPY", "WORKDIR", "ENV", "USER", "EXPOSE", "VOLUME", "HEALTHCHECK",
                "ENTRYPOINT", "CMD", "ADD", "ONBUILD", "SHELL", "STOPSIGNAL", "MAINTAINER"}


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction: comments and blank lines dropped, ``\\`` continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending: list[str] = []
    for line in text.split("\n"):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue  # Docker drops comment lines inside a continuation
        body = line.rstrip()
        if body.endswith("\\"):
            pending.append(body[:-1])
            continue
        pending.append(body)
        logical = " ".join(pending).strip()
        pending = []
        keyword, _, arguments = logical.partition(" ")
        assert keyword.upper() in INSTRUCTIONS, f"not an instruction: {logical!r}"
        instructions.append((keyword.upper(), arguments.strip()))
    assert not pending, "the file ends inside a continuation"
    return instructions


def raw_words(arguments: str) -> list[str]:
    """Words as BuildKit's heredoc scan sees them (quotes kept): none may start with ``<<``."""
    return re.findall(r"""(?:'[^']*'|"(?:\\.|[^"\\])*"|[^\s'"])+""", arguments)


def docker_unquote(value: str) -> str:
    assert value.startswith('"') and value.endswith('"'), value
    return re.sub(r"\\(.)", r"\1", value[1:-1])


def _guest(vm_name, argv, cwd, env, user, config_path, config_text, data_path) -> GuestDiscovery:
    return GuestDiscovery(
        host=vm_name, vm=vm_name, reached_address="127.0.88.1", addresses=["127.0.88.1"],
        processes=[Process(pid=10, ppid=1, user=user, uid=1500, gid=1500, comm="svc", exe="/opt/svc/bin/svc",
                           args=" ".join(argv), argv=["/opt/svc/bin/svc", *argv], cwd=cwd, environment=env)],
        listeners=[Listener(protocol="tcp", address="127.0.88.1", port=4000, process="svc", pid=10)],
        config_files=[ConfigFile(path=config_path, server="svc", content=config_text)],
        app_paths=[AppPath(path=data_path, kind="data", server="svc", pid=10, is_data=True)])


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(vm_name=hostile, argv=st.lists(hostile, max_size=4), cwd=hostile_path,
       env=st.dictionaries(env_names, hostile, max_size=3), user=hostile, config_path=hostile_path,
       config_text=hostile, data_path=hostile_path)
def test_hostile_facts_never_change_the_dockerfile(vm_name, argv, cwd, env, user, config_path, config_text,
                                                   data_path):
    guest = _guest(vm_name, argv, cwd, env, user, config_path, config_text, data_path)
    estate = Estate(collected_at=datetime.now(UTC), vms=[Vm(name=vm_name, source="vc", moid="vm-1")])
    with tempfile.TemporaryDirectory() as tmp:
        result = generate(estate, [guest], GenerateOptions(output=Path(tmp)))
        [image] = result.images
        folder = Path(tmp) / image["dir"]
        assert folder.parent == Path(tmp) / "images" and re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", image["name"])
        dockerfile = (folder / "Dockerfile").read_text(encoding="utf-8")
        entrypoint = folder / "planner-entrypoint.sh"
        script = entrypoint.read_text(encoding="utf-8") if entrypoint.exists() else None
        manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    check_dockerfile(dockerfile, image, vm_name, argv, env)
    if script is not None:
        check_entrypoint(script, manifest, dockerfile)


def check_dockerfile(text: str, image: dict, vm_name: str, argv: list[str], env: dict[str, str]) -> None:
    instructions = parse_dockerfile(text)
    keywords = [keyword for keyword, _ in instructions]
    expected = ["FROM", "LABEL", *(["COPY"] if "COPY" in keywords else []), *(["COPY"] * (keywords.count("COPY") > 1)),
                "RUN", *(["WORKDIR"] if "WORKDIR" in keywords else []), *(["ENV"] if "ENV" in keywords else []),
                "USER", "EXPOSE", *(["VOLUME"] if image["volumes"] else []), "HEALTHCHECK",
                *(["ENTRYPOINT"] if "ENTRYPOINT" in keywords else []), "CMD"]
    assert keywords == expected, keywords
    values = dict(instructions)
    assert values["FROM"] == "debian:bookworm-slim" and values["USER"].split(":")[0].isdigit()
    assert values["EXPOSE"] == "4000/tcp"
    command = json.loads(values["CMD"])
    assert command[0] == "/opt/svc/bin/svc" and len(command) == len(argv) + 1
    for given_arg, arg in zip(argv, command[1:], strict=True):  # the exact argv; only the VM's address tokenised
        assert _untoken(arg) == _untoken(given_arg)
    label = dict(re.findall(r'([\w.-]+)=("(?:\\.|[^"\\])*")', values["LABEL"]))
    assert docker_unquote(label["planner.vm"]) == one_line(vm_name)
    if "ENV" in values:
        pair = r'([A-Za-z_][A-Za-z0-9_]*)=("(?:\\.|[^"\\])*")'
        pairs = re.findall(pair, values["ENV"])
        assert re.sub(pair, "", values["ENV"]).strip() == ""  # nothing but KEY="value" pairs
        for key, quoted in pairs:
            assert _untoken(docker_unquote(quoted)) == _untoken(one_line(env[key]))
    if image["volumes"]:
        assert json.loads(values["VOLUME"]) == image["volumes"]
    for keyword, arguments in instructions:
        if keyword == "RUN":
            assert not any(word.startswith("<<") for word in raw_words(arguments)), arguments
            words = shlex.split(arguments)
            for path in image["volumes"]:
                assert path in words  # mkdir/chown name the volume path as one word, whatever it holds
    for line in text.splitlines():
        if line.startswith("#"):
            assert "\r" not in line


def _untoken(text: str) -> str:
    return text.replace("@@LISTEN_ADDRESS@@", "127.0.88.1")


def check_entrypoint(script: str, manifest: dict, dockerfile: str) -> None:
    rewired = [item["target"] for item in manifest["files"] if item["rewired"]]
    lines = [line for line in script.splitlines() if line.startswith("rewire ")]
    assert [shlex.split(line)[1:] for line in lines] == [[path] for path in rewired]
    exported = [line.split()[1].split("=")[0] for line in script.splitlines() if line.startswith("export ")]
    env = dict(parse_dockerfile(dockerfile)).get("ENV", "")
    tokenised = [key for key, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:\\.|[^"\\])*")', env)
                 if "@@LISTEN_ADDRESS@@" in value]
    assert exported == tokenised

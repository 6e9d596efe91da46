"""Connection settings: flags over the VMWARE_*, GOVC_* and VSPHERE_* families; secrets stay hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.errors import InputError
from planner.sources.vcenter.settings import ConnectionFlags, Secret, load_config_file, resolve_servers


def resolve(flags: ConnectionFlags | None = None, env: dict[str, str] | None = None, prompt=None):
    return resolve_servers(flags or ConnectionFlags(), env or {}, prompt)


def test_ansible_family() -> None:
    [s] = resolve(env={"VMWARE_HOST": "vc.example.test", "VMWARE_PORT": "8443", "VMWARE_USER": "audit",
                       "VMWARE_PASSWORD": "pw", "VMWARE_VALIDATE_CERTS": "false"})
    assert (s.host, s.port, s.user, s.password.reveal(), s.verify_tls) == ("vc.example.test", 8443, "audit", "pw",
                                                                           False)


def test_govc_family_parses_url_with_credentials() -> None:
    [s] = resolve(env={"GOVC_URL": "https://bob:secret@vc2.example.test:9443/sdk", "GOVC_INSECURE": "1"})
    assert (s.host, s.port, s.user, s.password.reveal(), s.verify_tls) == ("vc2.example.test", 9443, "bob",
                                                                           "secret", False)


def test_terraform_family_and_default_verification() -> None:
    [s] = resolve(env={"VSPHERE_SERVER": "vc3.example.test", "VSPHERE_USER": "tf", "VSPHERE_PASSWORD": "x"})
    assert (s.host, s.port, s.verify_tls) == ("vc3.example.test", 443, True)
    [s] = resolve(env={"VSPHERE_SERVER": "vc3", "VSPHERE_USER": "tf", "VSPHERE_PASSWORD": "x",
                       "VSPHERE_ALLOW_UNVERIFIED_SSL": "true"})
    assert s.verify_tls is False


def test_flags_win_over_env_and_servers_repeat(tmp_path: Path) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text("from-file\n")
    flags = ConnectionFlags(servers=["a.example.test", "b.example.test:444"], user="flaguser",
                            password_file=password_file)
    servers = resolve(flags, env={"VMWARE_HOST": "ignored", "VMWARE_USER": "envuser", "VMWARE_PASSWORD": "envpw"})
    assert [(s.host, s.port, s.user, s.password.reveal()) for s in servers] == [
        ("a.example.test", 443, "flaguser", "from-file"), ("b.example.test", 444, "flaguser", "from-file")]


def test_prompt_used_only_when_no_password() -> None:
    asked: list[str] = []
    [s] = resolve(ConnectionFlags(servers=["vc"], user="u"), prompt=lambda text: asked.append(text) or "typed")
    assert s.password.reveal() == "typed" and asked == ["Password for u@vc: "]


@pytest.mark.parametrize(("env", "flags", "needle"), [
    ({}, ConnectionFlags(), "no vCenter given"),
    ({"VMWARE_HOST": "vc"}, ConnectionFlags(), "no user name"),
    ({"VMWARE_HOST": "vc", "VMWARE_USER": "u"}, ConnectionFlags(), "no password"),
    ({"VMWARE_HOST": "vc", "VMWARE_PORT": "http"}, ConnectionFlags(), "VMWARE_PORT"),
    ({"GOVC_URL": "vc", "GOVC_INSECURE": "maybe"}, ConnectionFlags(), "GOVC_INSECURE"),
])
def test_clear_errors(env: dict[str, str], flags: ConnectionFlags, needle: str) -> None:
    with pytest.raises(InputError, match=needle):
        resolve(flags, env)


def test_secret_never_shows() -> None:
    secret = Secret("hunter2")
    [s] = resolve(ConnectionFlags(servers=["vc"], user="u"), env={"VMWARE_PASSWORD": "hunter2"})
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret) and "hunter2" not in repr(s)


def test_config_file(tmp_path: Path) -> None:
    config = tmp_path / "vcenters.yaml"
    config.write_text("vcenters:\n  - server: vc1.example.test\n    user: a\n    password_env: VC1_PW\n"
                      "  - server: https://vc2.example.test:8443/sdk\n    user: b\n    password_env: VC2_PW\n"
                      "    insecure: true\n")
    servers = load_config_file(config, {"VC1_PW": "one", "VC2_PW": "two"}, None)
    assert [(s.host, s.port, s.password.reveal(), s.verify_tls) for s in servers] == [
        ("vc1.example.test", 443, "one", True), ("vc2.example.test", 8443, "two", False)]


@pytest.mark.parametrize(("text", "needle"), [
    ("vcenters: []\n", "non-empty 'vcenters'"),
    ("vcenters:\n  - server: vc\n    user: a\n    password: plain\n", r"vcenters\[0\].password"),
    ("vcenters:\n  - server: vc\n    user: a\n    colour: red\n", "unknown key"),
    ("vcenters:\n  - server: vc\n    user: a\n    password_env: NOPE\n", "NOPE is not set"),
    ("vcenters: [\n", "not valid YAML"),
])
def test_config_file_errors(tmp_path: Path, text: str, needle: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(InputError, match=needle):
        load_config_file(config, {}, None)


def test_errors_never_echo_credentials() -> None:
    with pytest.raises(InputError) as caught:
        resolve(env={"GOVC_URL": "https://bob:topsecret@b.example.test:44x/sdk"})
    assert "topsecret" not in str(caught.value) and "GOVC_URL has an invalid port" in str(caught.value)
    with pytest.raises(InputError) as caught:
        resolve(ConnectionFlags(servers=["https://u:hunter2@vc:99999"]))
    assert "hunter2" not in str(caught.value) and "--server #1" in str(caught.value)


def test_families_are_never_mixed() -> None:
    """govc's credentials for b must not be sent to the Ansible family's host a."""
    env = {"VMWARE_HOST": "a.example.test", "GOVC_URL": "https://bob:topsecret@b.example.test",
           "VSPHERE_SERVER": "c.example.test", "VSPHERE_ALLOW_UNVERIFIED_SSL": "true"}
    with pytest.raises(InputError, match=r"no user name for a\.example\.test"):
        resolve(env=env)
    [b] = resolve(ConnectionFlags(servers=["b.example.test"]), env)
    assert (b.user, b.password.reveal(), b.verify_tls) == ("bob", "topsecret", True)
    [c] = resolve(ConnectionFlags(servers=["c.example.test"], user="u", password_file=None), env,
                  prompt=lambda _: "typed")
    assert c.verify_tls is False and c.password.reveal() == "typed"
    # a server no family names takes credentials only from a family that names no host
    with pytest.raises(InputError, match=r"no user name for d\.example\.test"):
        resolve(ConnectionFlags(servers=["d.example.test"]), env)
    [d] = resolve(ConnectionFlags(servers=["d.example.test"]),
                  {"GOVC_URL": env["GOVC_URL"], "VSPHERE_USER": "tf", "VSPHERE_PASSWORD": "x"})
    assert (d.user, d.password.reveal()) == ("tf", "x")


def test_password_file_first_line_only(tmp_path: Path) -> None:
    password_file = tmp_path / "pw"
    password_file.write_text("line-one\nline-two\n")
    [s] = resolve(ConnectionFlags(servers=["vc"], user="u", password_file=password_file))
    assert s.password.reveal() == "line-one"


def test_config_paths_relative_to_file_and_strict_booleans(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "vc.pass").write_text("pw\n")
    config = tmp_path / "conf" / "vcenters.yaml"
    config.write_text("vcenters:\n  - server: vc\n    user: a\n    password_file: vc.pass\n    insecure: 'false'\n"
                      "    ca_file: ca.pem\n")
    [s] = load_config_file(config, {}, None)
    assert s.password.reveal() == "pw" and s.verify_tls is True and s.ca_file == tmp_path / "conf" / "ca.pem"
    config.write_text("vcenters:\n  - server: vc\n    user: a\n    password_file: vc.pass\n    insecure: maybe\n")
    with pytest.raises(InputError, match=r"vcenters\[0\].insecure: expected true or false"):
        load_config_file(config, {}, None)


@pytest.mark.parametrize("env", [{"VMWARE_HOST": "bad host!!"}, {"VSPHERE_SERVER": "vc 01"},
                                 {"GOVC_URL": "https://u:p@bad host/sdk"}])
def test_invalid_host_names_are_input_errors(env: dict[str, str]) -> None:
    with pytest.raises(InputError, match="is not a host name, IP address or https URL") as caught:
        resolve(ConnectionFlags(user="u"), env)
    assert caught.value.exit_code == 3 and ":p@" not in str(caught.value)


def test_missing_files_are_not_found(tmp_path: Path) -> None:
    from planner.errors import NotFoundError

    with pytest.raises(NotFoundError, match="password file"):
        resolve(ConnectionFlags(servers=["vc"], user="u", password_file=tmp_path / "nope"))
    with pytest.raises(NotFoundError, match="config file"):
        load_config_file(tmp_path / "nope.yaml", {}, None)


def test_no_vcenter_is_a_usage_error() -> None:
    with pytest.raises(InputError) as caught:
        resolve()
    assert caught.value.exit_code == 2


def test_a_config_file_that_is_not_utf8_is_a_clear_input_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.cli import run_planner

    config = tmp_path / "vcenters.yaml"
    config.write_bytes("vcenters:\n  - server: vc.example.test\n    user: m\u00fcller\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"cannot read config .*vcenters\.yaml: not UTF-8 text"):
        load_config_file(config, {}, None)
    assert run_planner(["--db", str(tmp_path / "p.db"), "inventory", "collect", "--config", str(config)]) == 3
    err = capsys.readouterr().err
    assert "vcenters.yaml" in err and "internal error" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1

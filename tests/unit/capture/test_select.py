"""Which paths a capture takes, and the guest-side module run here on real files (it only reads)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from planner.capture.remote import LIBRARY, PLAYBOOK, _Dumper, _unsafe
from planner.capture.select import EXCLUDES, select

MODULE = LIBRARY / "planner_capture_archive.py"


def test_select_drops_data_kernel_relative_and_nested_paths() -> None:
    sel = select(["/etc/nginx", "/etc/nginx/nginx.conf", "relative/x", "/", "/var/lib/redis/dump.rdb", "/proc/1",
                  "/srv/app/../app", "/var/log/nginx", "/etc/ssl/private/k.pem"], ["/var/lib/redis/"])
    assert sel.paths == ["/etc/nginx", "/srv/app"]
    reasons = {item.path: item.reason for item in sel.skipped}
    assert "data directory" in reasons["/var/lib/redis/dump.rdb"]
    assert set(reasons) == {"relative/x", "/", "/var/lib/redis/dump.rdb", "/proc/1", "/var/log/nginx",
                            "/etc/ssl/private/k.pem"}
    assert sel.data_paths == ["/var/lib/redis"]


def _guest_module(tmp_path: Path, spec: dict[str, object]) -> dict[str, object]:
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"spec": spec}))
    proc = subprocess.run([sys.executable, str(MODULE), str(args)], capture_output=True, text=True, check=True,
                          env={**os.environ, "TMPDIR": str(tmp_path / "tmp")})
    return json.loads(proc.stdout)


def test_guest_module_archives_read_only_with_excludes_and_data(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    app = tmp_path / "app"
    for rel in ("app.py", "node_modules/x/y.js", ".git/HEAD", "logs/a.log", "data/db", "sub/keep.txt"):
        (app / rel).parent.mkdir(parents=True, exist_ok=True)
        (app / rel).write_text(rel)
    (app / "link").symlink_to("/etc/passwd")
    os.mkfifo(app / "pipe")
    before = sorted(p.relative_to(app).as_posix() for p in app.rglob("*"))
    result = _guest_module(tmp_path, {"paths": [str(app), str(tmp_path / "missing")], "cap": 1_000_000,
                                      "excludes": [list(item) for item in EXCLUDES], "data_paths": [str(app / "data")]})
    assert result["changed"] is False and not result.get("failed")
    assert sorted(p.relative_to(app).as_posix() for p in app.rglob("*")) == before  # nothing written in the app
    with tarfile.open(str(result["tmp"])) as tar:
        names = {member.name.removeprefix(str(app).lstrip("/") + "/") for member in tar}
        link = tar.getmember(str(app / "link").lstrip("/"))
    assert names >= {"app.py", "sub/keep.txt", "link"} and link.issym() and link.linkname == "/etc/passwd"
    assert not any(n.startswith(("node_modules", ".git", "data")) or n.endswith(".log") for n in names)
    reasons = {Path(path).name: reason for path, reason in result["left_out"]}
    assert "node_modules" in reasons["node_modules"] and "data directory" in reasons["data"]
    assert "does not exist" in reasons["missing"] and "socket" in reasons["pipe"]
    assert list((tmp_path / "tmp").iterdir()) == [Path(str(result["tmp"]))]


def test_guest_module_follows_links_to_their_targets(tmp_path: Path) -> None:
    """/var/lib/tomcat10/conf -> /etc/tomcat10: the link is archived as a link and its target's tree too; a path
    requested through a linked folder is archived at its real path, with the link."""
    (tmp_path / "tmp").mkdir()
    etc, base = tmp_path / "etc/tomcat", tmp_path / "var/lib/tomcat"
    etc.mkdir(parents=True)
    base.mkdir(parents=True)
    (etc / "server.xml").write_text("<Server/>")
    (base / "conf").symlink_to(etc)
    (base / "webapps").mkdir()
    result = _guest_module(tmp_path, {"paths": [str(base), str(base / "conf/server.xml")], "cap": 1_000_000,
                                      "excludes": [], "data_paths": [], "never": [str(tmp_path / "tmp")]})
    with tarfile.open(str(result["tmp"])) as tar:
        names = {"/" + member.name for member in tar}
    assert {str(base / "conf"), str(etc / "server.xml")} <= names and str(base / "conf/server.xml") not in names


def test_guest_module_stops_at_the_cap_and_removes_its_file(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "big").write_bytes(os.urandom(200_000))
    result = _guest_module(tmp_path, {"paths": [str(tmp_path / "big")], "cap": 50_000, "excludes": [],
                                      "data_paths": []})
    assert result["failed"] is True and "cap" in str(result["msg"]) and result["tmp"] is None
    assert list((tmp_path / "tmp").iterdir()) == []


def test_untrusted_paths_reach_ansible_as_unsafe_strings() -> None:
    import yaml

    text = yaml.dump(_unsafe({"h": {"paths": ["/srv/{{ lookup('pipe','id') }}"]}}), Dumper=_Dumper)
    assert "!unsafe" in text and "{{ lookup" in text
    block = PLAYBOOK[0]["tasks"][1]
    assert [task["name"] for task in block["block"]] == ["Planner: archive", "Planner: fetch"]
    assert block["always"][0]["ansible.builtin.file"]["state"] == "absent"  # temp files are always removed


def test_guest_module_lists_a_left_out_virtualenvs_packages(tmp_path: Path) -> None:
    """The virtualenv is left out (the build recreates it); its distributions, as `pip freeze` would list them,
    come instead as .planner/requirements/<venv path, / as %2F>.txt. Untrusted METADATA that is not a plain name and
    version (an option, a URL) is dropped on the guest already."""
    (tmp_path / "tmp").mkdir()
    app = tmp_path / "app"
    site = app / "venv" / "lib" / "python3.11" / "site-packages"
    (app / "venv" / "pyvenv.cfg").parent.mkdir(parents=True)
    (app / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    for folder, name, version in [("Flask-3.0.0.dist-info", "Flask", "3.0.0"),
                                  ("pip-23.0.1.dist-info", "pip", "23.0.1"),
                                  ("redis-4.3.4.dist-info", "redis", "4.3.4"),
                                  ("evil-1.dist-info", "--index-url http://198.51.100.7/", "1"),
                                  ("odd-1.dist-info", "odd", "1 ; sys_platform")]:
        (site / folder).mkdir(parents=True)
        (site / folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nbody\n")
    (app / "app.py").write_text("print('hi')\n")
    spec = {"paths": [str(app)], "data_paths": [], "excludes": [list(item) for item in EXCLUDES], "cap": 10 ** 7}
    result = _guest_module(tmp_path, spec)
    with tarfile.open(str(result["tmp"])) as tar:
        names = tar.getnames()
        listed = tar.extractfile(".planner/requirements/" + str(app / "venv").strip("/").replace("/", "%2F") + ".txt")
        assert listed is not None
        assert listed.read().decode() == "Flask==3.0.0\nredis==4.3.4\n"
    assert not any("/venv/lib" in name for name in names) and any(name.endswith("app.py") for name in names)
    assert [str(app / "venv"), "virtualenv (the build recreates it)"] in result["left_out"]

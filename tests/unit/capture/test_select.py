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
    tasks = [task["name"] for task in PLAYBOOK[0]["tasks"]]
    assert tasks[1] == "Planner: archive" and "always" in PLAYBOOK[0]["tasks"][2]  # the temp file is always removed

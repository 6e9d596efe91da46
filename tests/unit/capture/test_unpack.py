"""Unpacking a guest's archive: hostile members are refused with a reason, nothing is written outside rootfs."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from planner.capture.select import Skipped
from planner.capture.unpack import link_target, member_path, scan_context, unpack, write_manifest


def _archive(path: Path, members: list[tuple[str, str, str | bytes]]) -> Path:
    """members: (kind, name, data-or-target) with kind file | dir | sym | hard | fifo."""
    with tarfile.open(path, "w") as tar:
        for kind, name, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                payload = data.encode() if isinstance(data, str) else data
                info.size, info.mode = len(payload), 0o4755
                tar.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                         "fifo": tarfile.FIFOTYPE}[kind]
            info.linkname = str(data)
            tar.addfile(info)
    return path


@pytest.mark.parametrize(("name", "expected"), [
    ("etc/nginx/nginx.conf", "etc/nginx/nginx.conf"), ("./etc//a", "etc/a"), ("/etc/passwd", None),
    ("../x", None), ("etc/../../x", None), ("etc/..", None), ("", None), (".", None)])
def test_member_path(name: str, expected: str | None) -> None:
    assert member_path(name) == expected


@pytest.mark.parametrize(("member", "target", "expected"), [
    ("etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default", "../sites-available/default"),
    ("etc/nginx/sites-enabled/default", "../sites-available/default", "../sites-available/default"),
    ("srv/app/link", "/etc/passwd", "../../etc/passwd"),   # inside the guest's root: resolves inside rootfs
    ("srv/app/link", "../../../../etc/passwd", None),     # climbs above the root: would leave rootfs here
    ("a", "..", None)])
def test_link_target(member: str, target: str, expected: str | None) -> None:
    assert link_target(member, target) == expected


def test_unpack_refuses_hostile_members_and_writes_only_inside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    archive = _archive(tmp_path / "a.tar", [
        ("dir", "etc", ""), ("file", "etc/app.conf", "listen 127.0.77.5;\n"),
        ("file", "/abs/evil", "x"), ("file", "../evil", "x"),
        ("sym", "etc/escape", "../../../../" + str(outside)),
        ("sym", "etc/dir-link", "/"),                       # a link to the guest's root: kept, relative
        ("file", "etc/dir-link/through", "written through a link?"),
        ("sym", "etc/abs-link", "/etc/app.conf"),
        ("hard", "etc/hard", "etc/app.conf"), ("hard", "etc/hard-missing", "etc/nope"),
        ("fifo", "etc/pipe", ""),
    ])
    rootfs = tmp_path / "context" / "rootfs"
    result = unpack(archive, rootfs, max_bytes=10_000)
    reasons = {item.path: item.reason for item in result.skipped}
    assert set(reasons) == {"/abs/evil", "/../evil", "/etc/escape", "/etc/dir-link/through", "/etc/hard-missing",
                            "/etc/pipe"}
    assert "outside the captured root" in reasons["/etc/escape"]
    assert list(outside.iterdir()) == [] and not (tmp_path / "evil").exists()
    assert (rootfs / "etc/abs-link").readlink() == Path("app.conf")
    assert (rootfs / "etc/dir-link").readlink() == Path("..")
    assert (rootfs / "etc/hard").read_text() == "listen 127.0.77.5;\n"
    assert (rootfs / "etc/app.conf").stat().st_mode & 0o7000 == 0  # setuid bit stripped
    paths = {entry.path for entry in result.files}
    assert paths == {"rootfs/etc/app.conf", "rootfs/etc/hard", "rootfs/etc/abs-link", "rootfs/etc/dir-link"}


def test_cap_and_only(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "a.tar", [("file", "srv/a/big", b"x" * 600), ("file", "srv/a/small", "y"),
                                            ("file", "srv/b/other", "z")])
    result = unpack(archive, tmp_path / "rootfs", max_bytes=500, only=["/srv/a"])
    assert [entry.path for entry in result.files] == ["rootfs/srv/a/small"]
    assert [item.path for item in result.skipped] == ["/srv/a/big"] and "cap" in result.skipped[0].reason
    assert not (tmp_path / "rootfs/srv/b").exists()


def test_manifest_lists_checksums_skips_and_data(tmp_path: Path) -> None:
    context = tmp_path / "context"
    (context / "rootfs/etc").mkdir(parents=True)
    (context / "rootfs/etc/x.conf").write_text("a\n")
    (context / "rootfs/etc/l").symlink_to("x.conf")
    write_manifest(tmp_path / "MANIFEST.json", scan_context(context), [Skipped("/var/log/x.log", "log file")],
                   ["/var/lib/redis"])
    document = json.loads((tmp_path / "MANIFEST.json").read_text())
    files = {entry["path"]: entry for entry in document["files"]}
    assert files["rootfs/etc/x.conf"]["sha256"] == \
        "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7" and files["rootfs/etc/x.conf"]["size"] == 2
    assert files["rootfs/etc/l"]["link"] == "x.conf"
    assert document["skipped"] == [{"path": "/var/log/x.log", "reason": "log file"}]
    assert document["data_paths"] == ["/var/lib/redis"]


def test_a_named_config_link_becomes_the_file_it_points_to(tmp_path: Path) -> None:
    from planner.capture import _named_links_as_files

    archive = _archive(tmp_path / "a.tar", [
        ("file", "etc/nginx/sites-available/default", "listen 127.0.78.11:80;\n"),
        ("sym", "etc/nginx/sites-enabled/default", "/etc/nginx/sites-available/default"),
        ("sym", "etc/nginx/modules-enabled/x.conf", "/usr/share/nginx/modules-available/x.conf"),  # dangling
    ])
    rootfs = tmp_path / "rootfs"
    files = unpack(archive, rootfs, 10_000).files
    named = ["/etc/nginx/sites-enabled/default", "/etc/nginx/modules-enabled/x.conf"]
    after = {entry.path: entry for entry in _named_links_as_files(rootfs, named, files)}
    enabled = rootfs / "etc/nginx/sites-enabled/default"
    assert not enabled.is_symlink() and enabled.read_text() == "listen 127.0.78.11:80;\n"
    assert after["rootfs/etc/nginx/sites-enabled/default"].size == 23 and \
        after["rootfs/etc/nginx/sites-enabled/default"].link is None
    assert (rootfs / "etc/nginx/modules-enabled/x.conf").is_symlink()  # a link to nothing captured stays a link


def test_a_folder_member_where_a_link_came_first_is_skipped_not_a_crash(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "a.tar", [("sym", "var/lib/tomcat10/conf", "/etc/tomcat10"),
                                            ("dir", "var/lib/tomcat10/conf", ""),
                                            ("file", "etc/tomcat10/server.xml", "<Server/>")])
    rootfs = tmp_path / "rootfs"
    result = unpack(archive, rootfs, max_bytes=10_000)
    assert [(item.path, item.reason) for item in result.skipped] == [
        ("/var/lib/tomcat10/conf", "a folder where the archive has a link: the link is kept")]
    assert (rootfs / "var/lib/tomcat10/conf").readlink() == Path("../../../etc/tomcat10")
    assert (rootfs / "var/lib/tomcat10/conf/server.xml").read_text() == "<Server/>"

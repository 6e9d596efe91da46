"""Multi-stage builds from what the context holds, and the capture hook's contract (``GenerateOptions.capture``)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from planner.generate import GenerateOptions, generate
from planner.generate_files import ROOTFS, write_recorded
from planner.generate_rewire import Rewiring
from planner.models.discovery import ConfigFile, Package
from planner.models.generation import CaptureRequest, CaptureResult, ContextFile
from tests.unit.generate.conftest import TEST_POLICY, estate_for

APP_FILES = {"/srv/app/requirements.txt": "gunicorn==20.1.0\nredis==4.3.4\n",
             "/srv/app/app.py": "def application(environ, start_response):\n    ...\n"}


class RecordingCapture:
    """Writes files into each request's rootfs the way a capture does, and keeps the requests it was given."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.requests: list[CaptureRequest] = []

    def __call__(self, requests):
        self.requests.extend(requests)
        results = {}
        for request in requests:
            written = []
            for path, text in self.files.items():
                target = Path(request.rootfs) / path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
                data = text.encode()
                written.append(ContextFile(path=path, source="capture", sha256=hashlib.sha256(data).hexdigest(),
                                           size=len(data)))
            results[request.image] = CaptureResult(status="captured", files=written, bytes=sum(f.size for f in written),
                                                   skipped=["/srv/app/venv: virtualenv (the build recreates it)"])
        return results


@pytest.fixture
def captured_app(tmp_path, guests):
    capture = RecordingCapture(APP_FILES)
    result = generate(estate_for(guests), [guests["app"]], GenerateOptions(
        output=tmp_path, policy=TEST_POLICY, capture=capture))
    return result, capture, tmp_path / "images" / "app-python-wsgi"


def test_capture_requests_name_configs_and_application_never_data(captured_app):
    _, capture, _ = captured_app
    [request] = capture.requests
    assert (request.image, request.host, request.address) == ("app-python-wsgi", "app", "127.0.77.12")
    assert request.paths == ["/srv/app"] and request.data_paths == []
    assert request.rootfs.endswith("/context/rootfs")


def test_the_virtualenv_is_rebuilt_in_a_build_stage(captured_app):
    result, _, folder = captured_app
    dockerfile = (folder / "Dockerfile").read_text()
    assert "FROM planner-test/debian:bookworm AS build\n" in dockerfile
    assert "python3=3.11.2-1+b1 python3-venv=3.11.2-1+b1" in dockerfile
    assert 'RUN ["python3", "-m", "venv", "/srv/app/venv"]' in dockerfile
    assert 'RUN ["/srv/app/venv/bin/pip", "install", "--no-cache-dir", "-r", "/build/requirements.txt"]' in dockerfile
    assert 'COPY --from=build ["/srv/app/venv", "/srv/app/venv"]' in dockerfile
    [entry] = result.images
    assert entry["capture"]["status"] == "captured" and entry["capture"]["files"] == 2
    assert not any("Python packages the application imports" in todo for todo in entry["todos"])
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert {item["target"] for item in manifest["files"]} == set(APP_FILES)
    assert "/srv/app/venv: virtualenv (the build recreates it)" in manifest["skipped"]
    assert "a capture would add" not in dockerfile


def test_a_node_application_installs_its_modules_in_a_build_stage(tmp_path, guests):
    capture = RecordingCapture({"/srv/api/package.json": '{"name": "api", "dependencies": {"express": "4.18.2"}}',
                                "/srv/api/package-lock.json": "{}", "/srv/api/server.js": "// app\n"})
    generate(estate_for(guests), [guests["api"]], GenerateOptions(output=tmp_path, capture=capture))
    dockerfile = (tmp_path / "images" / "api-node" / "Dockerfile").read_text()
    assert "FROM rockylinux:9 AS build" in dockerfile and 'RUN ["npm", "ci", "--omit=dev"]' in dockerfile
    assert 'COPY --from=build ["/srv/api/node_modules", "/srv/api/node_modules"]' in dockerfile
    assert "# hadolint ignore=DL3041" in dockerfile  # npm's version is not known from the VM: unpinned, said so


def test_a_package_json_without_dependencies_needs_no_build(generated_recordings):
    folder = next(r.path.parent / "images" / "rec-servers-node" for r in generated_recordings
                  if (r.path.parent / "images" / "rec-servers-node").is_dir())
    dockerfile = (folder / "Dockerfile").read_text()
    assert " AS build" not in dockerfile and "npm" not in dockerfile.split("FROM", 1)[1]


def test_multi_stage_dockerfiles_are_hadolint_clean(captured_app):
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("hadolint is missing")
        pytest.skip("hadolint is not installed")
    _, _, folder = captured_app
    run = subprocess.run([hadolint, "--failure-threshold", "warning", str(folder / "Dockerfile")],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


class LinkingCapture(RecordingCapture):
    """Leaves links in the rootfs as a capture does (never followed on the guest, relative here)."""

    def __init__(self, links: dict[str, str]) -> None:
        super().__init__({})
        self.links = links

    def __call__(self, requests):
        results = super().__call__(requests)
        for request in requests:
            for path, target in self.links.items():
                link = Path(request.rootfs) / path.lstrip("/")
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(target)
        return results


def test_recorded_text_goes_where_a_captured_link_points_inside_the_context(tmp_path, guests):
    capture = LinkingCapture({"/etc/nginx/sites-enabled/default": "../sites-available/default",
                              "/etc/nginx/nginx.conf": "../../../../../../../../../../tmp/planner-escape"})
    generate(estate_for(guests), [guests["web"]], GenerateOptions(output=tmp_path, capture=capture))
    root = tmp_path / "images" / "web-nginx" / "context" / "rootfs"
    site = root / "etc/nginx/sites-available/default"
    assert (root / "etc/nginx/sites-enabled/default").is_symlink()
    assert "listen @@LISTEN_ADDRESS@@:80" in site.read_text()
    assert not Path("/tmp/planner-escape").exists()  # a link out of the context is never written through
    manifest = json.loads((tmp_path / "images" / "web-nginx" / "MANIFEST.json").read_text())
    assert "/etc/nginx/sites-available/default" in {item["target"] for item in manifest["files"]}
    assert any("nginx.conf" in line and "inside the context" in line for line in manifest["skipped"])
    script = (tmp_path / "images" / "web-nginx" / "planner-entrypoint.sh").read_text()
    assert "rewire /etc/nginx/sites-available/default" in script


@pytest.mark.parametrize("link", ["../../../etc/tomcat10/context.xml", "../../../etc/tomcat10/nothing/deeper"])
def test_a_captured_link_that_makes_a_config_folder_no_folder_is_skipped_with_a_reason(tmp_path, link):
    """A captured directory link to a file (or through one) would crash the write: skipped and said why."""
    staging = tmp_path / "staging"
    root = staging / ROOTFS
    (root / "etc/tomcat10").mkdir(parents=True)
    (root / "etc/tomcat10/context.xml").write_text("<Context/>")
    (root / "etc/tomcat10/nothing").write_text("a file")
    (root / "var/lib/tomcat10").mkdir(parents=True)
    (root / "var/lib/tomcat10/conf").symlink_to(link)
    configs = [ConfigFile(path="/var/lib/tomcat10/conf/server.xml", server="tomcat", content="<Server/>",
                          readable=True),
               ConfigFile(path="/etc/tomcat10/web.xml", server="tomcat", content="<web-app/>", readable=True)]
    written, missing, _ = write_recorded(staging, configs, Rewiring(own=[]), {})
    assert [f.path for f in written] == ["/etc/tomcat10/web.xml"]
    assert len(missing) == 1 and missing[0].startswith("/var/lib/tomcat10/conf/server.xml: cannot be written")
    assert (root / "etc/tomcat10/context.xml").read_text() == "<Context/>"


def test_tomcat_installs_the_vms_default_jre_the_unit_runs(tmp_path, guests):
    """Debian's tomcat10 unit runs /usr/lib/jvm/default-java/bin/java: only default-jre-headless makes that path."""
    intranet = guests["intranet"]
    packages = [*intranet.packages, Package(name="default-jre-headless", version="2:1.17-74", arch="amd64")]
    guest = intranet.model_copy(update={"packages": packages})
    generate(estate_for({"intranet": guest}), [guest], GenerateOptions(output=tmp_path))
    dockerfile = (tmp_path / "images" / "intranet-tomcat" / "Dockerfile").read_text()
    assert "default-jre-headless=2:1.17-74" in dockerfile
    assert "openjdk-17-jre-headless=17.0.10+7-1~22.04.1" in dockerfile and "tomcat10=10.1.16-1" in dockerfile


FROZEN = "/.planner/requirements/srv%2Fapp%2Fvenv.txt"


def test_without_a_requirements_file_the_venv_is_rebuilt_from_what_capture_listed(tmp_path, guests):
    """No requirements.txt on the VM: capture lists the left-out virtualenv's packages (its dist-info folders) and
    the build stage installs those (issue 9: Python dependencies without a requirements file)."""
    files = {"/srv/app/app.py": APP_FILES["/srv/app/app.py"], FROZEN: "gunicorn==20.1.0\nredis==4.3.4\n"}
    result = generate(estate_for(guests), [guests["app"]], GenerateOptions(
        output=tmp_path, policy=TEST_POLICY, capture=RecordingCapture(files)))
    dockerfile = (tmp_path / "images" / "app-python-wsgi" / "Dockerfile").read_text()
    source = "context/rootfs/.planner/requirements/srv%2Fapp%2Fvenv.txt"
    assert f'COPY ["{source}", "/build/requirements.txt"]' in dockerfile
    ignored = (tmp_path / "images" / "app-python-wsgi" / ".dockerignore").read_text().split()
    assert not any(fnmatch.fnmatch(part, pattern.removeprefix("**/")) for part in source.split("/")
                   for pattern in ignored if pattern.startswith("**/")), "the build context would leave it out"
    assert 'RUN ["/srv/app/venv/bin/pip", "install", "--no-cache-dir", "-r", "/build/requirements.txt"]' in dockerfile
    [entry] = result.images
    assert not any("Python packages the application imports" in todo for todo in entry["todos"])
    decisions = (tmp_path / "images" / "app-python-wsgi" / "DECISIONS.md").read_text()
    assert "the packages installed in it on the VM" in decisions


@pytest.mark.parametrize("hostile", ["--index-url http://198.51.100.7/simple\n", "flask\n",
                                     "-e git+https://example.invalid/x.git#egg=x\n", "x==1.0 ; os_name=='nt'\n",
                                     "../../etc/passwd==1\n", "x==1 --hash=sha256:00\n"])
def test_a_listed_package_set_that_is_not_plain_name_version_is_not_used(tmp_path, guests, hostile):
    files = {"/srv/app/app.py": APP_FILES["/srv/app/app.py"], FROZEN: "gunicorn==20.1.0\n" + hostile}
    result = generate(estate_for(guests), [guests["app"]], GenerateOptions(
        output=tmp_path, policy=TEST_POLICY, capture=RecordingCapture(files)))
    dockerfile = (tmp_path / "images" / "app-python-wsgi" / "Dockerfile").read_text()
    assert "pip\", \"install" not in dockerfile and "AS build" not in dockerfile
    [entry] = result.images
    assert any("Python packages the application imports" in todo for todo in entry["todos"])

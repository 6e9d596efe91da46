"""The output folder of `planner generate` on recorded facts: layout, generate.json, manifests, rewiring, starters."""

from __future__ import annotations

import hashlib
import json
import subprocess

import pytest

from planner.errors import InputError, NotFoundError
from planner.generate import GenerateOptions, generate, image_name
from planner.generate_policy import BaseImagePolicy
from tests.unit.generate.conftest import TEST_POLICY, estate_for

ALL_IMAGES = {"web-nginx", "lb-nginx", "app-python-wsgi", "redis-redis", "shop-apache", "shop-php-fpm",
              "intranet-tomcat",
              "orders-java-jar", "worker-python-script", "api-node", "edge-binary", "billing-dotnet",
              "pg-postgresql", "db-mysql", "cache-system-service", "jump-starter", "legacy-starter"}


def _entry(result, name):
    return next(image for image in result.document["images"] if image["name"] == name)


def test_one_folder_per_image_and_the_index(generated):
    output = generated.path.parent
    assert {entry["name"] for entry in generated.document["images"]} == ALL_IMAGES
    assert sorted(p.name for p in (output / "images").iterdir()) == sorted(ALL_IMAGES)  # no staging leftovers
    for name in ALL_IMAGES:
        folder = output / "images" / name
        assert {"Dockerfile", ".dockerignore", "MANIFEST.json", "DECISIONS.md", "context"} <= {
            p.name for p in folder.iterdir()}
    document = json.loads(generated.path.read_text())
    assert document["format_version"] == 1 and document["snapshot"] == 7 and document["generated_at"]


def test_generate_json_entry_follows_the_contract(generated):
    web = _entry(generated, "web-nginx")
    assert web["vm"].startswith("vc/vm-") and (web["vm_name"], web["stack"], web["dir"], web["tag"]) == (
        "web", "nginx", "images/web-nginx", "planner/web-nginx:0.1")
    assert web["ports"] == [{"port": 80, "protocol": "tcp"}] and web["listen_env"] == "LISTEN_ADDRESS"
    assert web["probe"] == {"kind": "http", "port": 80, "path": "/", "expect_status": 200}
    assert web["healthcheck"] is True and web["guest"] == {"host": "web", "address": "127.0.77.11"}
    assert web["peers"] == {"app-python-wsgi": "127.0.77.12"}
    assert web["capture"] == {"status": "not-run", "files": 2, "bytes": web["capture"]["bytes"], "skipped": []}
    assert isinstance(web["group"], int) and web["volumes"] == []
    redis = _entry(generated, "redis-redis")
    assert redis["probe"] == {"kind": "redis", "port": 6379} and redis["volumes"] == ["/var/lib/redis"]
    assert _entry(generated, "pg-postgresql")["probe"] == {"kind": "sql", "port": 5432, "engine": "postgresql"}


def test_recorded_configs_are_rewired_into_the_context(generated):
    root = generated.path.parent / "images" / "web-nginx" / "context" / "rootfs"
    site = (root / "etc/nginx/sites-enabled/default").read_text()
    assert "listen @@LISTEN_ADDRESS@@:80 default_server;" in site
    assert "proxy_pass http://app-python-wsgi:8080;" in site and "127.0.77.1" not in site
    assert "allow 10.20.30.40;" in site  # an unknown address stays ...
    decisions = (generated.path.parent / "images" / "web-nginx" / "DECISIONS.md").read_text()
    assert "10.20.30.40 in the configuration is neither this VM nor a discovered peer" in decisions  # ... with a TODO
    app = _entry(generated, "app-python-wsgi")
    assert app["peers"] == {"redis-redis": "127.0.77.13"}
    dockerfile = (generated.path.parent / "images" / "app-python-wsgi" / "Dockerfile").read_text()
    assert '"--bind", "@@LISTEN_ADDRESS@@:8080"' in dockerfile
    assert 'REDIS_URL="redis://redis-redis:6379/0"' in dockerfile  # the environment names the peer's service …
    assert "APP_SECRET=" not in dockerfile and "<redacted>" not in dockerfile  # … and secrets never land in it


def test_manifest_lists_every_context_file_with_its_checksum(generated):
    folder = generated.path.parent / "images" / "web-nginx"
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    assert manifest["capture"] == "not-run"
    for item in manifest["files"]:
        data = (folder / item["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["sha256"] and len(data) == item["size"]
    assert {item["target"] for item in manifest["files"]} == {"/etc/nginx/nginx.conf",
                                                              "/etc/nginx/sites-enabled/default"}
    assert any("/var/www/html" in line for line in manifest["skipped"]) and manifest["data_paths"] == []
    redis = json.loads((generated.path.parent / "images" / "redis-redis" / "MANIFEST.json").read_text())
    assert redis["data_paths"] == ["/var/lib/redis"]  # for the migration's data sync


def test_redacted_configs_are_never_written(generated):
    folder = generated.path.parent / "images" / "shop-apache"
    assert not (folder / "context/rootfs/etc/apache2/conf-enabled/db.conf").exists()
    assert (folder / "context/rootfs/etc/apache2/ports.conf").read_text() == "Listen @@LISTEN_ADDRESS@@:80\n"
    assert "db.conf: secrets were redacted" in (folder / "DECISIONS.md").read_text()


def test_dockerfile_uses_the_vm_distribution_pinned_packages_and_the_policy(generated):
    images = generated.path.parent / "images"
    web = (images / "web-nginx" / "Dockerfile").read_text()
    assert "FROM planner-test/debian:bookworm\n" in web and "nginx=1.22.1-9+deb12u9" in web
    assert "USER 33:33" in web and "EXPOSE 80/tcp" in web and 'CMD ["/usr/sbin/nginx", "-g", "daemon off;"]' in web
    assert 'ENTRYPOINT ["/usr/local/bin/planner-entrypoint.sh"]' in web
    # port 80 as a non-root user, on any network: a file capability (libcap2-bin pinned to the VM's version)
    assert "libcap2-bin=1:2.66-4+deb12u3+b1" in web and "setcap cap_net_bind_service=+ep /usr/sbin/nginx" in web
    assert "setcap" not in (images / "redis-redis" / "Dockerfile").read_text()
    tomcat = (images / "intranet-tomcat" / "Dockerfile").read_text()
    assert "FROM planner-test/ubuntu:22.04@sha256:" + "ab" * 32 in tomcat and "tomcat10=10.1.16-1" in tomcat
    node = (images / "api-node" / "Dockerfile").read_text()
    assert "FROM rockylinux:9" in node and "dnf install -y nodejs-1:18.19.0" in node
    alpine = (images / "lb-nginx" / "Dockerfile").read_text()
    assert "FROM alpine:3.19" in alpine and "apk add --no-cache nginx=1.24.0-r15" in alpine
    assert "adduser -S -D -H -u 101 -G nginx nginx" in alpine and '"sh", "-c", "nc -z' in alpine
    redis = (images / "redis-redis" / "Dockerfile").read_text()
    assert 'VOLUME ["/var/lib/redis"]' in redis and "USER 104:107" in redis
    assert "chown 104:107 /etc/redis/redis.conf" in redis  # rewired: the entrypoint rewrites it as that user
    # other configs stay root's but readable by the service's group, whatever mode a capture kept
    assert "chgrp 33 /etc/nginx/nginx.conf" in web and "chmod g+r /etc/nginx/nginx.conf" in web
    assert "chown -R -H 104:107 /var/log/redis /run/redis /var/lib/redis" in redis  # -H: through logs -> /var/log
    dotnet = (images / "billing-dotnet" / "Dockerfile").read_text()
    assert "FROM mcr.microsoft.com/dotnet/aspnet:8.0" in dotnet and 'CMD ["dotnet", "Billing.dll"]' in dotnet
    ignore = (images / "web-nginx" / ".dockerignore").read_text().splitlines()
    assert "**/.git" in ignore and "**/node_modules" in ignore


def _user_step(dockerfile: str) -> str:
    """The shell of the RUN that gives the service user the VM's ids (continuation lines joined)."""
    text = dockerfile.replace("\\\n", " ")
    return next(line for line in text.splitlines() if line.startswith("RUN if getent group"))[len("RUN "):]


def test_files_of_a_package_made_user_get_the_vm_ids(generated):
    """A package creates tomcat before the user step changes its ids: its 0640 root:tomcat configs
    (jaspic-providers.xml) and tomcat-owned files must follow, or the service cannot read them (HTTP 500)."""
    images = generated.path.parent / "images"
    dockerfile = (images / "intranet-tomcat" / "Dockerfile").read_text()
    uid, gid = dockerfile.split("\nUSER ", 1)[1].split()[0].split(":")
    step = _user_step(dockerfile)
    assert f'find / -xdev -gid "$old_gid" -exec chgrp -h {gid} {{}} +' in step
    assert f'find / -xdev -uid "$old_uid" -exec chown -h {uid} {{}} +' in step
    assert f'[ "$old_gid" != {gid} ] && [ "$old_gid" != 0 ]' in step  # root's files are never re-owned
    checked = subprocess.run(["sh", "-n", "-c", step], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_entrypoint_initialises_an_empty_database_volume(generated):
    script = (generated.path.parent / "images" / "pg-postgresql" / "planner-entrypoint.sh").read_text()
    assert "if [ -z \"$(ls -A /var/lib/postgresql/15/main 2>/dev/null)\" ]; then" in script
    assert "/usr/lib/postgresql/15/bin/initdb -D /var/lib/postgresql/15/main" in script
    assert (generated.path.parent / "images" / "pg-postgresql" / "planner-entrypoint.sh").stat().st_mode & 0o111


def test_starters_say_what_could_not_be_known(generated):
    legacy = _entry(generated, "legacy-starter")
    assert legacy["guest"] is None and legacy["probe"] is None and legacy["ports"] == []
    assert any("no discovery facts for this VM" in todo for todo in legacy["todos"])
    jump = _entry(generated, "jump-starter")
    assert any("discovery found no stack planner recognises: sshd:22" in todo for todo in jump["todos"])
    dockerfile = (generated.path.parent / "images" / "legacy-starter" / "Dockerfile").read_text()
    assert "USER 10001:10001" in dockerfile and "exit 64" in dockerfile


def test_runtime_images_by_policy(tmp_path, guests):
    policy = BaseImagePolicy(runtime_images=True, images={"python:3.11-slim": "planner-test/python:3.11-slim"})
    result = generate(estate_for(guests), [guests["app"]], GenerateOptions(output=tmp_path, policy=policy))
    dockerfile = (tmp_path / "images" / "app-python-wsgi" / "Dockerfile").read_text()
    assert "FROM planner-test/python:3.11-slim" in dockerfile and "apt-get" not in dockerfile
    assert result.images[0]["base_image"] == "planner-test/python:3.11-slim"


def test_strategy_filter_and_named_vms(tmp_path, guests):
    estate = estate_for(guests)
    strategies = {"redis": "keep-vm", "web": "containerize"}
    result = generate(estate, [guests["web"], guests["redis"]], GenerateOptions(output=tmp_path),
                      strategies=strategies)
    assert [i["name"] for i in result.images] == ["web-nginx"]
    assert result.skipped == [{"vm": "redis", "reason": "strategy keep-vm (use --include-strategy keep-vm or --vm)"}]
    again = generate(estate, [guests["web"], guests["redis"]],
                     GenerateOptions(output=tmp_path, include_strategies=["keep-vm"]), strategies=strategies)
    assert {i["name"] for i in again.images} == {"web-nginx", "redis-redis"}
    named = generate(estate, [guests["web"], guests["redis"]], GenerateOptions(output=tmp_path, vms=["redis"]),
                     strategies=strategies)
    assert [i["name"] for i in named.images] == ["redis-redis"]
    assert {i["name"] for i in named.document["images"]} == {"web-nginx", "redis-redis"}  # earlier entries kept
    with pytest.raises(NotFoundError, match="--vm nosuch"):
        generate(estate, [], GenerateOptions(output=tmp_path, vms=["nosuch"]))


def test_require_mapping_names_the_policy_file(tmp_path, guests):
    policy = BaseImagePolicy(require_mapping=True,
                             images={"debian:bookworm-slim": "registry.example.com/debian:bookworm-slim"})
    with pytest.raises(InputError, match=r"corp\.yaml: images: no mapping for base image 'rockylinux:9'"):
        generate(estate_for(guests), [guests["web"], guests["api"]], GenerateOptions(
            output=tmp_path, policy=policy, policy_origin="corp.yaml"))
    assert list((tmp_path / "images").iterdir()) == []  # web-nginx was fine, but nothing is moved in
    assert not (tmp_path / "generate.json").exists()


def test_user_templates_override_the_packaged_ones(tmp_path, guests):
    templates = tmp_path / "templates" / "image"
    templates.mkdir(parents=True)
    (templates / "dockerignore.j2").write_text("# ours\n{% for line in spec.dockerignore %}{{ line }}\n{% endfor %}")
    generate(estate_for(guests), [guests["web"]], GenerateOptions(
        output=tmp_path / "out", templates=tmp_path / "templates", policy=TEST_POLICY))
    assert (tmp_path / "out" / "images" / "web-nginx" / ".dockerignore").read_text().startswith("# ours\n")


@pytest.mark.parametrize(("vm", "stack", "expected"), [
    ("web", "nginx", "web-nginx"), ("Web Server (prod)", "redis", "web-server-prod-redis"),
    ("../../etc", "node", "etc-node"), ("", "binary", "vm-binary"), ("ÄÖ", "mysql", "vm-mysql"),
])
def test_image_names_are_safe(vm, stack, expected):
    assert image_name(vm, stack) == expected


def test_the_whole_captured_config_folder_is_readable_by_the_service(guests):
    """Tomcat reads every file of /etc/tomcat10 (0640 root:tomcat on the VM), not only the server.xml it is known by;
    the capture brings the folder at its real path (through conf -> /etc/tomcat10), where server.xml is rewired.
    Files outside the config folders (the web application) are left as they came."""
    from planner.detect import detect_stacks
    from planner.generate_rewire import Rewiring
    from planner.generate_spec import ImageInput, build_spec
    from planner.models.generation import ContextFile

    [detection] = detect_stacks(guests["intranet"])
    files = [ContextFile(path=path, source="capture", sha256="0" * 64, size=1, rewired=path.endswith("server.xml"))
             for path in ("/etc/tomcat10/server.xml", "/etc/tomcat10/jaspic-providers.xml",
                          "/etc/tomcat10/policy.d/01system.policy", "/var/lib/tomcat10/webapps/ROOT/index.html")]
    spec = build_spec(ImageInput(name="intranet-tomcat", vm="intranet", vm_name="intranet", detection=detection,
                                 guest=guests["intranet"], vm_model=None, policy=TEST_POLICY, policy_origin="test",
                                 rewiring=Rewiring(own=[]), context_files=files))
    gid = str(spec.gid)
    readable = ["/etc/tomcat10/jaspic-providers.xml", "/etc/tomcat10/policy.d/01system.policy"]
    assert ["chgrp", gid, *readable] in spec.setup_commands and ["chmod", "g+r", *readable] in spec.setup_commands
    assert ["chown", f"{spec.uid}:{gid}", "/etc/tomcat10/server.xml"] in spec.setup_commands  # rewired: its own
    assert not any("/var/lib/tomcat10/webapps/ROOT/index.html" in command for command in spec.setup_commands)

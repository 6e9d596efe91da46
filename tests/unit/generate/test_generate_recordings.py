"""Generation from real recordings of collect.sh in the test guest images (data/rec-*.json, see data/record.py)."""

from __future__ import annotations

import json


def _folder(results, image):
    for result in results:
        folder = result.path.parent / "images" / image
        if folder.is_dir():
            return folder, next(entry for entry in result.images if entry["name"] == image)
    raise AssertionError(f"no image {image}")


def _cmd(folder):
    line = next(line for line in (folder / "Dockerfile").read_text().splitlines() if line.startswith("CMD "))
    return json.loads(line[4:])


def test_nginx_configuration_from_its_own_dump(generated_recordings):
    folder, _ = _folder(generated_recordings, "rec-web-nginx")
    assert (folder / "context/rootfs/etc/nginx/nginx.conf").read_text().startswith("user www-data;")
    assert "COPY [\"context/rootfs/\", \"/\"]" in (folder / "Dockerfile").read_text()
    assert _cmd(folder) == ["/usr/sbin/nginx", "-g", "daemon off;"]


def test_redis_runs_by_its_own_name_with_its_config(generated_recordings):
    folder, entry = _folder(generated_recordings, "rec-redis-redis")
    assert _cmd(folder) == ["/usr/bin/redis-server", "/etc/redis/redis.conf", "--daemonize", "no",
                            "--supervised", "no"]
    assert entry["volumes"] == ["/var/lib/redis"] and (folder / "context/rootfs/etc/redis/redis.conf").is_file()


def test_hostile_argv_stays_exact_and_redacted_secrets_become_todos(generated_recordings):
    folder, entry = _folder(generated_recordings, "rec-hostile-python-script-2")
    command = _cmd(folder)
    assert "arg with\nnewline @@planner:ids@@" in command and command[:2] == ["python3", "/opt/hostile/app.py"]
    assert any("held a secret (redacted by discovery)" in todo for todo in entry["todos"])
    assert not list((folder / "context").rglob("secret.ini")) and not list((folder / "context").rglob("huge.ini"))
    text = (folder / "Dockerfile").read_text()
    assert "\n@@planner" not in text and "USER 10001:10001" in text  # root on the VM, not in the image


def test_systemd_units_give_the_environment_and_secrets_stay_out(generated_recordings):
    folder, entry = _folder(generated_recordings, "rec-systemd-node")
    text = (folder / "Dockerfile").read_text()
    assert 'GREETING="hello world"' in text and "DB_PASSWORD=" not in text and "<redacted>" not in text
    assert any("DB_PASSWORD held a secret" in todo for todo in entry["todos"])
    # the recording's package list has no nodejs: the official runtime image, its node found on PATH
    assert _cmd(folder) == ["node", "/opt/node-app/server.js", "--title", "shop api"]


def test_servers_each_get_their_image(generated_recordings):
    for image in ("rec-servers-apache", "rec-servers-php-fpm", "rec-servers-tomcat", "rec-servers-node",
                  "rec-servers-postgresql", "rec-servers-mysql"):
        folder, _ = _folder(generated_recordings, image)
        assert (folder / "Dockerfile").is_file()
    apache, _ = _folder(generated_recordings, "rec-servers-apache")
    assert (apache / "context/rootfs/etc/apache2/apache2.conf").is_file()
    assert not list(apache.rglob("apache2ctl*"))  # `apache2ctl -S` is the server's summary, not a file
    _, entry = _folder(generated_recordings, "rec-servers-postgresql")
    assert entry["volumes"] == ["/var/lib/postgresql/15/main"] and entry["probe"] is None  # no listener recorded

"""PostgreSQL's ssl turned off when the key/cert it names never reach the image (capture brings no secrets)."""

from __future__ import annotations

import hashlib
import json

from planner.generate import GenerateOptions, generate
from planner.generate_fixups import SSL_OFF, postgres_ssl
from tests.unit.generate.conftest import estate_for

CONF = ("listen_addresses = 'localhost'\n#ssl = on\nssl = on  # as Debian ships it\n"
        "ssl_cert_file = '/etc/ssl/certs/ssl-cert-snakeoil.pem'\n"
        "ssl_key_file = '/etc/ssl/private/ssl-cert-snakeoil.key'\n")


def test_ssl_goes_off_only_when_a_file_it_names_is_absent():
    new, absent = postgres_ssl(CONF, lambda path: path.endswith(".pem"))
    assert absent == ["/etc/ssl/private/ssl-cert-snakeoil.key"]
    assert "#ssl = on\n" in new and f"\n{SSL_OFF}\n" in new and "\nssl = on" not in new
    assert postgres_ssl(CONF, lambda path: True) == (CONF, [])
    relative = "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"  # the data sync brings them
    assert postgres_ssl(relative, lambda path: False) == (relative, [])
    off = "ssl = off\nssl_key_file = '/k'\n"
    assert postgres_ssl(off, lambda path: False) == (off, [])


def test_generated_postgresql_conf_starts_without_the_snakeoil_key(tmp_path, recordings):
    guest = recordings["rec-systemd"]
    generate(estate_for({"rec-systemd": guest}), [guest], GenerateOptions(output=tmp_path))
    [folder] = [p for p in (tmp_path / "images").iterdir() if p.name.endswith("postgresql")]
    conf = folder / "context/rootfs/etc/postgresql/15/main/postgresql.conf"
    text = conf.read_text()
    assert SSL_OFF in text and "\nssl = on" not in text
    assert "ssl turned off" in (folder / "DECISIONS.md").read_text()
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    [entry] = [f for f in manifest["files"] if f["target"] == "/etc/postgresql/15/main/postgresql.conf"]
    assert entry["sha256"] == hashlib.sha256(conf.read_bytes()).hexdigest()

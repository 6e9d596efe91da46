"""Secrets in command lines, environments and config text are redacted by the documented patterns."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.discovery.redact import REDACTED, redact_args, redact_argv, redact_env, redact_text, secret_name

SECRET = "S3cr3t-value"


@pytest.mark.parametrize(("argv", "expected"), [
    (["mysql", "-uroot", f"-p{SECRET}", "shop"], ["mysql", "-uroot", f"-p{REDACTED}", "shop"]),
    (["/usr/bin/mysqldump", f"-p{SECRET}", "db"], ["/usr/bin/mysqldump", f"-p{REDACTED}", "db"]),
    (["app", f"--password={SECRET}"], ["app", f"--password={REDACTED}"]),
    (["app", "--password", SECRET, "--port", "80"], ["app", "--password", REDACTED, "--port", "80"]),
    (["app", "--token", SECRET], ["app", "--token", REDACTED]),
    (["app", f"--db-password={SECRET}"], ["app", f"--db-password={REDACTED}"]),
    (["java", f"-Dspring.datasource.password={SECRET}", "-jar", "a.jar"],
     ["java", f"-Dspring.datasource.password={REDACTED}", "-jar", "a.jar"]),
    (["worker", f"postgres://app:{SECRET}@db:5432/app"], ["worker", f"postgres://app:{REDACTED}@db:5432/app"]),
    (["env", f"PGPASSWORD={SECRET}", "psql"], ["env", f"PGPASSWORD={REDACTED}", "psql"]),
    (["env", f"APP_SECRET={SECRET}", f"GH_TOKEN={SECRET}", "run"],
     ["env", f"APP_SECRET={REDACTED}", f"GH_TOKEN={REDACTED}", "run"]),
    (["curl", "-H", f"Authorization: Bearer {SECRET}", "http://x"],
     ["curl", "-H", f"Authorization: Bearer {REDACTED}", "http://x"]),
    (["curl", "-u", f"admin:{SECRET}", "http://x"], ["curl", "-u", f"admin:{REDACTED}", "http://x"]),
    (["redis-cli", "-a", SECRET, "ping"], ["redis-cli", "-a", REDACTED, "ping"]),
    (["redis-server", "--requirepass", SECRET], ["redis-server", "--requirepass", REDACTED]),
    (["sshpass", "-p", SECRET, "ssh", "h"], ["sshpass", "-p", REDACTED, "ssh", "h"]),
    (["jdbc", f"jdbc:mysql://db/app?user=a&password={SECRET}&ssl=1"],
     ["jdbc", f"jdbc:mysql://db/app?user=a&password={REDACTED}&ssl=1"]),
])
def test_argv_secrets_are_redacted(argv, expected):
    assert redact_argv(argv) == expected


@pytest.mark.parametrize("argv", [
    ["nginx", "-g", "daemon off;"], ["ssh", "-p2222", "host"], ["cp", "-pR", "a", "b"], ["mkdir", "-p", "/x"],
    ["python3", "app.py", "--port", "8080", "--token-file", "/run/t"], ["sh", "-c", "cd $PWD && ls"],
    ["redis-server", "127.0.0.1:6379"], ["java", "-Dserver.port=8080", "-jar", "app.jar"],
    ["env", "PWD=/srv/app", "OLDPWD=/", "PASSWORD_FILE=/run/secrets/db", "run"],
])
def test_harmless_arguments_are_kept(argv):
    assert redact_argv(argv) == argv


def test_a_shell_command_line_inside_one_argument():
    argv = ["/bin/sh", "-c", f"mysqldump -uroot -p{SECRET} shop | gzip > /backup/shop.gz"]
    assert redact_argv(argv) == ["/bin/sh", "-c", f"mysqldump -uroot -p{REDACTED} shop | gzip > /backup/shop.gz"]


def test_args_string_keeps_spacing():
    text = f"mysql  -uroot -p{SECRET}   shop --password {SECRET}"
    assert redact_args(text) == f"mysql  -uroot -p{REDACTED}   shop --password {REDACTED}"
    assert SECRET not in redact_args(f"sh -c PGPASSWORD={SECRET} psql -h db://u:{SECRET}@h")


def test_environment():
    env = {"PGPASSWORD": SECRET, "DATABASE_URL": f"postgres://u:{SECRET}@db/app", "PATH": "/usr/bin",
           "PWD": "/srv", "JAVA_HOME": "/usr/lib/jvm", "AWS_SECRET_ACCESS_KEY": SECRET, "API_KEY": SECRET}
    assert redact_env(env) == {"PGPASSWORD": REDACTED, "DATABASE_URL": f"postgres://u:{REDACTED}@db/app",
                               "PATH": "/usr/bin", "PWD": "/srv", "JAVA_HOME": "/usr/lib/jvm",
                               "AWS_SECRET_ACCESS_KEY": REDACTED, "API_KEY": REDACTED}


def test_config_text():
    text = "\n".join([
        "[client]", f"password = {SECRET}", "user = app",
        f"requirepass {SECRET}", "port 6379",
        f'<Resource name="jdbc/db" username="app" password="{SECRET}" url="jdbc:x"/>',
        f"<password>{SECRET}</password>",
        f"define( 'DB_PASSWORD', '{SECRET}' );", "define('DB_NAME', 'wp');",
        f'"api_key": "{SECRET}",',
        f"spring.datasource.password={SECRET}",
        f'proxy_set_header Authorization "Basic {SECRET}";',
        f"export DB_TOKEN={SECRET}",
        f"url: postgres://u:{SECRET}@db/app",
        "-----BEGIN RSA PRIVATE KEY-----", SECRET, "-----END RSA PRIVATE KEY-----",
        "# password is set elsewhere",
    ])
    redacted, flagged = redact_text(text)
    assert SECRET not in redacted
    assert "user = app" in redacted and "port 6379" in redacted and "define('DB_NAME', 'wp');" in redacted
    assert "# password is set elsewhere" in redacted
    assert {"password", "requirepass", "DB_PASSWORD", "api_key", "spring.datasource.password", "Authorization",
            "DB_TOKEN", "url password", "rsa private key"} <= set(flagged)
    assert len(flagged) == len(set(flagged))


def test_secret_names():
    assert all(secret_name(name) for name in ("password", "--db-pass", "keyStorePassword", "MYSQL_PWD",
                                               "masterauth", "client_secret", "X-API-KEY", "GITHUB_TOKEN"))
    assert not any(secret_name(name) for name in ("PWD", "OLDPWD", "bypass", "--port", "PASSWORD_FILE", "--key",
                                                   "token_file", "user"))


def test_cron_line_and_wrappers():
    assert redact_args(f"30 2 * * * root mysqldump -uroot -p{SECRET} shop > /b.sql") == (
        f"30 2 * * * root mysqldump -uroot -p{REDACTED} shop > /b.sql")
    assert redact_argv(["sudo", "-u", "backup", "mysql", f"-p{SECRET}"]) == [
        "sudo", "-u", "backup", "mysql", f"-p{REDACTED}"]
    assert redact_args(f"mysql -p{SECRET}; ssh -pX h") == f"mysql -p{REDACTED}; ssh -pX h"


TEMPLATES = [["mysql", "-p{s}"], ["app", "--password={s}"], ["app", "--password", "{s}"], ["env", "PGPASSWORD={s}"],
             ["env", "MY_APP_SECRET={s}"], ["env", "CI_TOKEN={s}"], ["w", "https://user:{s}@host/x"],
             ["curl", "-H", "Authorization: Bearer {s}"], ["redis-cli", "-a", "{s}"], ["app", "--api-key={s}"]]
HARMLESS = st.lists(st.sampled_from(["-v", "--port", "8080", "/srv/app", "run", "-c", "x.conf", "--", "a=b"]),
                    max_size=4)


@given(secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyzXYZ0123456789!%+", min_size=8, max_size=20),
       template=st.sampled_from(TEMPLATES), before=HARMLESS, after=HARMLESS)
def test_known_patterns_never_leak_whatever_surrounds_them(secret, template, before, after):
    argv = [template[0], *before, *(part.format(s=secret) for part in template[1:]), *after]
    assert secret not in " ".join(redact_argv(argv))
    assert secret not in redact_args(" ".join(argv))
    assert len(redact_argv(argv)) == len(argv)


@given(text=st.text(max_size=200), argv=st.lists(st.text(max_size=30), max_size=8),
       env=st.dictionaries(st.text(max_size=20), st.text(max_size=30), max_size=5))
def test_redaction_accepts_any_text(text, argv, env):
    redact_args(text)
    redacted, flagged = redact_text(text)
    assert isinstance(redacted, str) and all(isinstance(name, str) for name in flagged)
    assert len(redact_argv(argv)) == len(argv) and set(redact_env(env)) == set(env)

"""Parsers of collect.sh output."""

from __future__ import annotations

from planner.discovery import parse


def test_sections_keep_arguments_and_order():
    text = "@@planner:cron /etc/crontab@@\r\n|* * * * * root x\n@@planner:cron /etc/cron.d/a b@@\n@@planner:time@@\n|1"
    assert parse.sections(text) == [("cron", "/etc/crontab", "* * * * * root x"), ("cron", "/etc/cron.d/a b", ""),
                                     ("time", "", "1")]


def test_guest_text_cannot_open_a_section():
    """Collected lines come behind "|": a crontab line or a file name holding a section line stays data, and a
    U+2028 inside a name does not split a line (str.splitlines would); unprefixed stray lines are ignored."""
    text = "\n".join([
        "@@planner:cron /var/spool/cron/crontabs/mallory@@",
        "|0 1 * * * true",
        "|@@planner:cron /etc/crontab@@",
        "stray stderr line",
        "@@planner:exe@@",
        "|lrwxrwxrwx 1 m m 0 Nov 29 15:00 /proc/9/exe -> /tmp/x\u2028@@planner:sockets ss@@",
        "|@@planner:sockets ss@@",
        "|tcp LISTEN 0 0 192.0.2.66:22 0.0.0.0:*",
    ])
    found = parse.sections(text)
    assert [name for name, _, _ in found] == ["cron", "exe"]
    assert [entry.line for entry in parse.crontabs(text)] == ["0 1 * * * true", "@@planner:cron /etc/crontab@@"]
    assert found[1][2].count("\n") == 2


def test_ss_lines():
    text = "\n".join([
        "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
        'tcp   LISTEN 0      511    127.0.77.11:80     0.0.0.0:* users:(("nginx",pid=13,fd=5),("nginx",pid=12,fd=5))',
        "tcp   ESTAB  0      0      127.0.0.1:41234    127.0.77.12:8080",
        'tcp   ESTAB  0      0      [::ffff:192.0.2.1]:443 [2001:db8::5]:50000 users:(("my \\"app\\"",pid=7,fd=3))',
        "udp   UNCONN 0      0      0.0.0.0:68         0.0.0.0:*",
        "tcp   LISTEN 0      128    *:22               *:*",
        "tcp   TIME-WAIT 0   0      127.0.77.11:80     127.0.0.1:57312",
        "u_str ESTAB  0      0      * 1234 * 5678",
    ])
    sockets = parse.sockets(text, "ss")
    assert len(sockets) == 6
    nginx = sockets[0]
    assert (nginx.protocol, nginx.local_address, nginx.local_port, nginx.process, nginx.pid, nginx.listening) == (
        "tcp", "127.0.77.11", 80, "nginx", 13, True)
    assert sockets[1].established and sockets[1].process is None and sockets[1].peer_port == 8080
    assert (sockets[2].local_address, sockets[2].peer_address, sockets[2].process) == (
        "192.0.2.1", "2001:db8::5", 'my "app"')
    assert sockets[3].listening and sockets[3].protocol == "udp"
    assert sockets[4].local_address == "*" and sockets[4].listening
    assert not sockets[5].established and not sockets[5].listening


def test_netstat_lines():
    text = "\n".join([
        "Active Internet connections (servers and established)",
        "Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name",
        "tcp        0      0 127.0.77.13:6379        0.0.0.0:*               LISTEN      9/redis-server 1",
        "tcp        0      0 127.0.0.1:44294         127.0.77.13:6379        ESTABLISHED 21/python3",
        "tcp6       0      0 :::22                   :::*                    LISTEN      -",
        "udp        0      0 0.0.0.0:68              0.0.0.0:*                           5/dhclient",
    ])
    sockets = parse.sockets(text, "netstat")
    assert [(s.protocol, s.state, s.local_port, s.process) for s in sockets] == [
        ("tcp", "LISTEN", 6379, "redis-server 1"), ("tcp", "ESTAB", 44294, "python3"), ("tcp", "LISTEN", 22, None),
        ("udp", "UNCONN", 68, "dhclient")]
    assert sockets[1].established and sockets[2].local_address == "::" and sockets[3].listening


def test_os_release_uname_like_fields():
    release = parse.os_release('NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="8.9"\n')
    assert (release.id, release.version_id, release.id_like) == ("rhel", "8.9", ["fedora"])


def test_kernel_modules_keeps_only_foreign_ones():
    modules = "\n".join([
        "ext4 1015808 1 - Live 0x0000000000000000",
        "vboxdrv 589824 2 vboxnetadp, Live 0x0000000000000000 (OE)",
        "nvidia 56463360 50 - Live 0x0000000000000000 (POE)",
        "zfs 4644864 0 - Live 0x0000000000000000",
    ])
    dep = "kernel/fs/ext4/ext4.ko\nupdates/dkms/zfs.ko\n"
    assert parse.kernel_modules(modules, dep) == ["nvidia", "vboxdrv", "zfs"]


def test_mounts_flag_network_file_systems():
    mounts = parse.mounts("/dev/sda1 / ext4 rw 0 0\nnas:/export /mnt/my\\040data nfs4 rw,vers=4.2 0 0\n"
                          "//srv/share /mnt/s cifs ro 0 0\n")
    assert [(m.mountpoint, m.network) for m in mounts] == [("/", False), ("/mnt/my data", True), ("/mnt/s", True)]


def test_packages_and_units_and_cron():
    dpkg = "nginx\t1.22.1-9\tamd64\tii \nold\t1.0\tamd64\trc \n"
    assert [(p.name, p.version) for p in parse.packages(dpkg, "dpkg")] == [("nginx", "1.22.1-9")]
    units = parse.systemd_units("nginx.service loaded active running A high performance web server\n",
                                "nginx.service enabled enabled\ncron.service enabled enabled\n")
    assert [(u.name, u.active) for u in units] == [("nginx.service", "active"), ("cron.service", "inactive")]
    entries = parse.crontabs("@@planner:cron /var/spool/cron/crontabs/alice@@\n|0 1 * * * /usr/bin/backup\n")
    assert entries[0].source.endswith("alice") and entries[0].line == "0 1 * * * /usr/bin/backup"


def test_processes_skip_kernel_threads_and_join_comm_and_exe():
    ps = "  1 0 root /sbin/init\n  2 0 root [kthreadd]\n 12 1 www-data nginx: worker process\n"
    comm = "  1 systemd\n 12 nginx\n"
    exe = ("lrwxrwxrwx 1 root root 0 Nov 29 15:00 /proc/1/exe -> /usr/lib/systemd/systemd\n"
           "lrwxrwxrwx 1 www-data www-data 0 Nov 29 15:00 /proc/12/exe -> /usr/sbin/nginx (deleted)\n")
    processes = parse.processes(ps, comm, exe)
    assert [(p.pid, p.user, p.comm, p.exe) for p in processes] == [
        (1, "root", "systemd", "/usr/lib/systemd/systemd"), (12, "www-data", "nginx", "/usr/sbin/nginx")]


def test_cpu_and_memory():
    assert parse.cpu_times("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 0 0 0\ncpu1 1 0 0 0\n") == (150, 1000, 2)
    assert parse.meminfo_used_mib("MemTotal: 4194304 kB\nMemAvailable: 1048576 kB\n") == 3072
    assert parse.selinux("Enforcing") == "enforcing" and parse.selinux("0") == "permissive"
    assert parse.selinux("") is None

#!/bin/sh
# planner guest discovery: read-only collection with standard tools. Usage: collect.sh SECTION [BUDGET_SECONDS]
# Prints sections introduced by "@@planner:NAME[ ARG]@@" lines. Every line of collected output is printed with a
# leading "|" (see q), so nothing a guest's users control (file names, crontab lines, process names) can pass for a
# section line; planner parses this on the controller. Commands that can block (name lookups, D-Bus, package
# databases, du) run under `timeout` where it exists.
# Nothing is installed, written (besides Ansible's own temporary copy of this script) or changed.
LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

section() { printf '@@planner:%s@@\n' "$*"; }
q() { awk '{ print "|" $0 }'; }
have() { command -v "$1" >/dev/null 2>&1; }
# bounded SECONDS COMMAND...: the command, stopped after SECONDS where a `timeout` command works
if timeout -k 2 5 true >/dev/null 2>&1; then TIMEOUT="timeout -k 2"
elif timeout 5 true >/dev/null 2>&1; then TIMEOUT="timeout"
else TIMEOUT=""; fi
bounded() {
  limit=$1; shift
  if [ -n "$TIMEOUT" ]; then $TIMEOUT "$limit" "$@"; else "$@"; fi
}

identity() {
  section uname; { uname -s; uname -r; uname -m; } | q
  section os-release; { cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null; } | q
  section hostname
  { hostname 2>/dev/null || cat /proc/sys/kernel/hostname; bounded 5 hostname -f 2>/dev/null || true; } | q
  section ssh-connection; printf '%s\n' "${SSH_CONNECTION:-}" | q
  section addresses
  { if have ip; then ip -o addr show 2>/dev/null; else hostname -I 2>/dev/null; fi; } | q
  section product-uuid; { cat /sys/class/dmi/id/product_uuid 2>/dev/null || true; } | q
  section selinux
  { if have getenforce; then getenforce 2>/dev/null
    elif [ -r /sys/fs/selinux/enforce ]; then cat /sys/fs/selinux/enforce; fi; } | q
  section modules; { cat /proc/modules 2>/dev/null || true; } | q
  section modules-dep; { cut -d: -f1 "/lib/modules/$(uname -r)/modules.dep" 2>/dev/null || true; } | q
  section mounts; { cat /proc/mounts 2>/dev/null || true; } | q
  section hosts; { cat /etc/hosts 2>/dev/null || true; } | q
  section runtimes
  {
    for tool in docker podman containerd crio cri-o ctr runc crun lxc lxd kubelet nerdctl; do
      command -v "$tool" 2>/dev/null || true
    done
    for sock in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock /run/podman/podman.sock \
                /var/run/crio/crio.sock; do
      [ -S "$sock" ] && printf '%s\n' "$sock"
    done
  } | q
  section meminfo; { grep -E '^(MemTotal|MemAvailable):' /proc/meminfo 2>/dev/null || true; } | q
}

packages() {
  if have dpkg-query; then
    section packages dpkg
    bounded 120 dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n' 2>/dev/null | q
  elif have rpm; then
    section packages rpm
    bounded 120 rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\tii\n' 2>/dev/null | q
  elif have apk; then
    section packages apk
    bounded 120 apk info -v 2>/dev/null | q
  fi
}

units() {
  have systemctl || return 0
  [ -d /run/systemd/system ] || return 0
  section units
  bounded 20 systemctl list-units --type=service --all --no-legend --no-pager --plain 2>/dev/null | q
  section unit-files
  bounded 20 systemctl list-unit-files --type=service --no-legend --no-pager 2>/dev/null | q
}

crontabs() {
  for file in /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/* /var/spool/cron/*; do
    [ -f "$file" ] && [ -r "$file" ] || continue
    case "$file" in *'
'*|*@@*) continue ;; esac  # a file name that could not be one section argument
    section cron "$file"
    { grep -v -E '^[[:space:]]*(#|$)' "$file" 2>/dev/null || true; } | q
  done
}

# on_network_fs DIR: DIR is, or is below, an NFS/CIFS/... mount (du there could hang on a dead server)
on_network_fs() {
  awk -v d="$1" '$3 ~ /^(nfs|nfs4|cifs|smb3|smbfs|glusterfs|ceph|9p|afs|fuse\.sshfs)$/ \
    && (d == $2 || index(d, $2 "/") == 1) { found = 1 } END { exit !found }' /proc/mounts 2>/dev/null
}

datadirs() {
  # The whole section stays within BUDGET seconds (the task's own timeout is larger): later directories are
  # skipped once it is spent, rather than losing every size to the task timeout.
  budget=${1:-150}
  start=$(date +%s)
  section datadirs
  for dir in /var/lib/mysql /var/lib/mariadb /var/lib/pgsql /var/lib/postgresql /var/lib/mongodb /var/lib/redis \
             /var/lib/elasticsearch /var/lib/opensearch /var/lib/rabbitmq /var/lib/cassandra /var/lib/kafka \
             /var/lib/zookeeper /var/lib/influxdb /var/lib/couchdb /var/lib/etcd /var/lib/ldap /var/lib/jenkins \
             /var/lib/docker /var/lib/containers /var/opt/mssql /u01/app/oracle /opt/oracle /var/www /srv; do
    [ -d "$dir" ] || continue
    on_network_fs "$dir" && continue
    left=$((budget - ($(date +%s) - start)))
    [ "$left" -gt 0 ] || break
    bounded "$left" du -sxk "$dir" 2>/dev/null | q
  done
  true
}

# ssh_session: $SSH_CONNECTION, or (become: sudo drops it) that of the nearest ancestor whose environment we may read
ssh_session() {
  session=${SSH_CONNECTION:-}
  pid=$$
  depth=0
  while [ -z "$session" ] && [ "$depth" -lt 12 ]; do
    pid=$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')
    case "$pid" in ''|0|1|*[!0-9]*) break ;; esac
    session=$(tr '\000' '\n' < "/proc/$pid/environ" 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p' | head -n 1)
    depth=$((depth + 1))
  done
  printf '%s\n' "$session"
}

sample() {
  section time; date +%s | q
  section stat; { grep '^cpu' /proc/stat 2>/dev/null || true; } | q
  if have ss; then
    section sockets ss; bounded 30 ss -tunap 2>/dev/null | q
  elif have netstat; then
    section sockets netstat; bounded 30 netstat -tunap 2>/dev/null | q
  fi
  section ps; { ps -ww -eo pid=,ppid=,user:32=,args= 2>/dev/null || ps -eo pid=,ppid=,user=,args=; } | q
  section comm; ps -ww -eo pid=,comm= 2>/dev/null | q
  section exe; { ls -l /proc/[0-9]*/exe 2>/dev/null || true; } | q
  # Who is asking, and this sample's own SSH session (never a dependency): what the account could not see is
  # reported, and the session is told apart from the guest's traffic.
  section account; { id -u; id -un 2>/dev/null || true; } | q
  section session; ssh_session | q
  section uids; { ps -e -o pid=,uid= 2>/dev/null || true; } | q
  # /proc/net/* is world-readable: every listening socket's owner uid and inode, even when `ss -p` cannot show
  # another user's process. Listening TCP rows and all UDP rows only (established TCP rows can be many).
  section procnet
  for table in tcp tcp6 udp udp6; do
    [ -r "/proc/net/$table" ] || continue
    awk -v t="$table" 'NR > 1 && (t ~ /^udp/ || $4 == "0A") { print t, $2, $3, $4, $8, $10 }' "/proc/net/$table" \
      2>/dev/null
  done | q
}

# storage facts (issue 15): NFS exports and whether the kernel NFS server runs; block devices that processes hold
# open (only where /proc/PID/fd is readable: all of them as root, a non-root account's own processes otherwise).
storage() {
  section nfs-exports
  for file in /etc/exports /etc/exports.d/*.exports; do
    [ -f "$file" ] && [ -r "$file" ] || continue
    grep -v -E '^[[:space:]]*(#|$)' "$file" 2>/dev/null || true
  done | q
  section nfsd
  {
    [ -r /proc/fs/nfsd/threads ] && printf 'threads %s\n' "$(cat /proc/fs/nfsd/threads 2>/dev/null)"
    if comms=$(ps -e -o comm= 2>/dev/null); then
      printf 'kthreads %s\n' "$(printf '%s\n' "$comms" | grep -c '^nfsd$')"
    fi
  } | q
  section block-fds
  # one `ls` over every fd directory (no process per descriptor); the few /dev targets are then tested for -b
  bounded 30 ls -l /proc/[0-9]*/fd/ 2>/dev/null | awk '
    /^\/proc\/[0-9]+\/fd\/?:$/ { pid = $0; sub(/^\/proc\//, "", pid); sub(/\/.*$/, "", pid); next }
    index($0, " -> /dev/") { target = substr($0, index($0, " -> /dev/") + 4); if (!seen[pid "\t" target]++)
                               print pid "\t" target }' | while IFS='	' read -r pid target; do
    [ -b "$target" ] || continue
    comm=""; read -r comm < "/proc/$pid/comm" 2>/dev/null || true
    printf '%s\t%s\t%s\n' "$pid" "$comm" "$target"
  done | q
}

case "${1:-}" in
  identity) identity ;;
  packages) packages ;;
  units) units ;;
  crontabs) crontabs ;;
  datadirs) datadirs "${2:-}" ;;
  sample) sample ;;
  storage) storage ;;
  *) echo "usage: $0 identity|packages|units|crontabs|datadirs [BUDGET]|sample|storage" >&2; exit 2 ;;
esac
exit 0

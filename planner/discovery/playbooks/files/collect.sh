#!/bin/sh
# planner guest discovery: read-only collection with standard tools. Usage: collect.sh SECTION
# Prints sections introduced by "@@planner:NAME[ ARG]@@" lines; planner parses them on the controller.
# Nothing is installed, written (besides Ansible's own temporary copy of this script) or changed.
LC_ALL=C
export LC_ALL
PATH="$PATH:/usr/sbin:/sbin:/usr/bin:/bin"

section() { printf '@@planner:%s@@\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

identity() {
  section uname; uname -s; uname -r; uname -m
  section os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
  section hostname; hostname 2>/dev/null || cat /proc/sys/kernel/hostname; hostname -f 2>/dev/null || true
  section ssh-connection; printf '%s\n' "${SSH_CONNECTION:-}"
  section addresses
  if have ip; then ip -o addr show 2>/dev/null; else hostname -I 2>/dev/null; fi
  section product-uuid; cat /sys/class/dmi/id/product_uuid 2>/dev/null || true
  section selinux
  if have getenforce; then getenforce 2>/dev/null
  elif [ -r /sys/fs/selinux/enforce ]; then cat /sys/fs/selinux/enforce; fi
  section modules; cat /proc/modules 2>/dev/null || true
  section modules-dep; cut -d: -f1 "/lib/modules/$(uname -r)/modules.dep" 2>/dev/null || true
  section mounts; cat /proc/mounts 2>/dev/null || true
  section hosts; cat /etc/hosts 2>/dev/null || true
  section runtimes
  for tool in docker podman containerd crio cri-o ctr runc crun lxc lxd kubelet nerdctl; do
    command -v "$tool" 2>/dev/null || true
  done
  for sock in /var/run/docker.sock /run/docker.sock /run/containerd/containerd.sock /run/podman/podman.sock \
              /var/run/crio/crio.sock; do
    [ -S "$sock" ] && printf '%s\n' "$sock"
  done
  section meminfo; grep -E '^(MemTotal|MemAvailable):' /proc/meminfo 2>/dev/null || true
}

packages() {
  if have dpkg-query; then
    section packages dpkg
    dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n' 2>/dev/null
  elif have rpm; then
    section packages rpm
    rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\tii\n' 2>/dev/null
  elif have apk; then
    section packages apk
    apk info -v 2>/dev/null
  fi
}

units() {
  have systemctl || return 0
  [ -d /run/systemd/system ] || return 0
  section units
  systemctl list-units --type=service --all --no-legend --no-pager --plain 2>/dev/null
  section unit-files
  systemctl list-unit-files --type=service --no-legend --no-pager 2>/dev/null
}

crontabs() {
  for file in /etc/crontab /etc/cron.d/* /var/spool/cron/crontabs/* /var/spool/cron/*; do
    [ -f "$file" ] && [ -r "$file" ] || continue
    section cron "$file"
    grep -v -E '^[[:space:]]*(#|$)' "$file" 2>/dev/null || true
  done
}

datadirs() {
  section datadirs
  for dir in /var/lib/mysql /var/lib/mariadb /var/lib/pgsql /var/lib/postgresql /var/lib/mongodb /var/lib/redis \
             /var/lib/elasticsearch /var/lib/opensearch /var/lib/rabbitmq /var/lib/cassandra /var/lib/kafka \
             /var/lib/zookeeper /var/lib/influxdb /var/lib/couchdb /var/lib/etcd /var/lib/ldap /var/lib/jenkins \
             /var/lib/docker /var/lib/containers /var/opt/mssql /u01/app/oracle /opt/oracle /var/www /srv; do
    [ -d "$dir" ] || continue
    if have timeout; then timeout 60 du -sxk "$dir" 2>/dev/null; else du -sxk "$dir" 2>/dev/null; fi
  done
  true
}

sample() {
  section time; date +%s
  section stat; grep '^cpu' /proc/stat 2>/dev/null || true
  if have ss; then
    section sockets ss; ss -tunap 2>/dev/null
  elif have netstat; then
    section sockets netstat; netstat -tunap 2>/dev/null
  fi
  section ps; ps -ww -eo pid=,ppid=,user:32=,args= 2>/dev/null || ps -eo pid=,ppid=,user=,args=
  section comm; ps -ww -eo pid=,comm= 2>/dev/null
  section exe; ls -l /proc/[0-9]*/exe 2>/dev/null || true
}

case "${1:-}" in
  identity) identity ;;
  packages) packages ;;
  units) units ;;
  crontabs) crontabs ;;
  datadirs) datadirs ;;
  sample) sample ;;
  *) echo "usage: $0 identity|packages|units|crontabs|datadirs|sample" >&2; exit 2 ;;
esac
exit 0

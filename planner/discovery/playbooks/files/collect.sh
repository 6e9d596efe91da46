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
}

# ---- facts for generation (services, appfacts): exact argv, configuration, runtimes and the application's paths --
# Values that may hold any byte (argv, environment, cwd, exe) are printed as text when they are printable ASCII,
# else as hex (od): exact for newlines, NULs and any other byte.
UNIT_TEXT_MAX=65536      # bytes of `systemctl cat` per unit
MAX_UNITS=200
MAX_PROCS=100            # service processes described in detail
ARGV_MAX=16384           # bytes of /proc/PID/cmdline
ENVIRON_MAX=65536        # bytes of /proc/PID/environ read (filtered to the allow-list before it is printed)
CONF_MAX=262144          # bytes per configuration file
CONF_TOTAL=2097152       # bytes of configuration files per guest
DUMP_MAX=1048576         # bytes of a server's own configuration dump (nginx -T)
MAX_CONFS=60             # configuration files read per guest
MAX_PATHS=80             # application paths measured per guest
NL='
'
TAB=$(printf '\t')
IFS0=$IFS
ENV_ALLOW='^(PATH|LANG|LANGUAGE|LC_[A-Z]+|TZ|HOME|SHELL|UMASK|JAVA_HOME|JRE_HOME|JAVA_OPTS|JDK_JAVA_OPTIONS|CATALINA_HOME|CATALINA_BASE|CATALINA_OPTS|PYTHONPATH|PYTHONHOME|PYTHONUNBUFFERED|VIRTUAL_ENV|DJANGO_SETTINGS_MODULE|FLASK_APP|FLASK_ENV|GUNICORN_CMD_ARGS|WEB_CONCURRENCY|NODE_ENV|NODE_PATH|NODE_OPTIONS|PORT|HOST|BIND|LISTEN|PHPRC|PHP_INI_SCAN_DIR|GEM_HOME|RAILS_ENV|RACK_ENV|LD_LIBRARY_PATH|SPRING_PROFILES_ACTIVE|SERVER_PORT|APP_ENV|PGDATA|PGPORT|PGHOST|MYSQL_HOME|[A-Z][A-Z0-9_]*_(HOME|PORT|HOST|ADDR|DIR|PATH|ENV))$'

uncommented() { awk '!/^[[:space:]]*([#;]|$)/'; }   # full-line comments and blank lines left out
# fields [ALLOW]: the NUL-separated fields of stdin, one line each (empty fields kept): "T text" when every byte is
# printable ASCII, else "H hex" (exact for newlines and any other byte); with ALLOW, only NAME=VALUE fields whose
# NAME matches the regular expression ALLOW
fields() {
  od -An -v -tx1 | awk -v allow="${1:-}" '
    BEGIN { plain = 1; for (i = 32; i < 127; i++) chr[sprintf("%02x", i)] = sprintf("%c", i) }
    function out(   name, j) {
      if (allow != "") {
        name = ""
        for (j = 1; j <= n && tok[j] != "3d"; j++) { if (!(tok[j] in chr)) return; name = name chr[tok[j]] }
        if (j > n || name !~ allow) return
      }
      if (plain) print "T " t; else print "H " f
    }
    { for (i = 1; i <= NF; i++) {
        if ($i == "00") { out(); f = ""; t = ""; n = 0; plain = 1 }
        else { f = f $i; tok[++n] = $i; if ($i in chr) t = t chr[$i]; else plain = 0 } } }
    END { if (n > 0) out() }'
}
# known FILE: FILE exists, or its directory exists but this account cannot search it (then it is reported unreadable)
known() { [ -f "$1" ] || { [ -d "${1%/*}" ] && [ ! -x "${1%/*}" ]; }; }
# trusted BIN: a program discovery may run (for its version or configuration dump): a root-owned executable file
# in a root-owned directory, neither writable by group or others; never a binary another user could have placed
trusted() {
  [ -n "$1" ] && [ -f "$1" ] && [ -x "$1" ] || return 1
  for item in "$1" "${1%/*}"; do
    ls -lndL "$item" 2>/dev/null | awk '$3 != 0 || substr($1, 6, 1) == "w" || substr($1, 9, 1) == "w" { bad = 1 }
      END { exit bad || NR == 0 }' || return 1
  done
}
safe_path() { case "$1" in *'
'*|*@@*|'') return 1 ;; esac; case "$1" in *"$(printf '\r')"*) return 1 ;; esac; return 0; }

# within SECONDS COMMAND...: bounded by SECONDS and by what is left of the section's budget (set by services and
# appfacts from their BUDGET argument); fails at once (124, as timeout does) when the budget is spent
within() {
  wleft=$((budget - ($(date +%s) - start)))
  [ "$wleft" -gt 0 ] || return 124
  [ "$1" -lt "$wleft" ] && wleft=$1
  shift; bounded "$wleft" "$@"
}
spent() { [ $((budget - ($(date +%s) - start))) -le 0 ]; }

services() {
  # systemd services (running), sockets (listening), timers (waiting) and the units they trigger, within BUDGET s
  budget=${1:-40}
  start=$(date +%s)
  have systemctl || return 0
  [ -d /run/systemd/system ] || return 0
  props=Id,ActiveState,SubState,ExecStart,User,Group,WorkingDirectory,Environment,EnvironmentFiles,MainPID
  props=$props,FragmentPath,Listen,Triggers,Unit,TimersCalendar,TimersMonotonic
  names=$(within 20 systemctl list-units --type=service,socket,timer --state=running,listening,waiting \
          --no-legend --no-pager --plain 2>/dev/null | awk '$1 ~ /^[A-Za-z0-9:_.@\\-]+$/ { print $1 }')
  [ -n "$names" ] || return 0
  # shellcheck disable=SC2086 # unit names are restricted to systemd's own character set above
  triggered=$(within 20 systemctl show -p Triggers --value $names 2>/dev/null | tr ' ' '\n' \
              | awk '$1 ~ /^[A-Za-z0-9:_.@\\-]+$/' )
  names=$(printf '%s\n%s\n' "$names" "$triggered" | awk 'NF && !seen[$1]++')
  [ "$(printf '%s\n' "$names" | wc -l)" -gt "$MAX_UNITS" ] && limit units
  names=$(printf '%s\n' "$names" | head -n "$MAX_UNITS")
  for unit in $names; do
    spent && { limit time; break; }
    section unit "$unit"
    within 10 systemctl show -p "$props" "$unit" 2>/dev/null | q
    section unit-text "$unit"
    within 10 systemctl cat --no-pager "$unit" 2>/dev/null | head -c "$UNIT_TEXT_MAX" | q
  done
}

# proc_stat PID: sets ppid and sid from /proc/PID/stat (the command name may hold spaces and parentheses)
proc_stat() {
  ppid=""; sid=""
  { read -r line < "/proc/$1/stat"; } 2>/dev/null || return 1
  rest=${line##*) }
  # shellcheck disable=SC2086
  set -- $rest
  ppid=$2; sid=$4
}

# server_of COMM: sets server to the recognised server a process is ("" if none; java may turn out to be tomcat)
server_of() {
  case "$1" in
    nginx) server=nginx ;; apache2|httpd) server=apache ;; php-fpm*) server=php-fpm ;;
    redis-server|redis-sentinel) server=redis ;; postgres|postmaster) server=postgresql ;;
    mysqld|mariadbd|mysqld_safe) server=mysql ;; node|nodejs) server=node ;; java) server=java ;;
    gunicorn*|uwsgi*|uvicorn*|python*|hypercorn|daphne) server=python ;;
    *) server="" ;;
  esac
}

# limit NAME: a bound left facts out (the controller says so)
limit() { section limit "$1"; }

appfacts() {
  budget=${1:-150}
  start=$(date +%s)
  # discovery's own session and its ancestors are not the guest's services
  proc_stat $$; oursid=$sid; ours=" $$ "; p=$ppid
  while [ -n "$p" ] && [ "$p" -gt 1 ] 2>/dev/null; do ours="$ours$p "; proc_stat "$p" || break; p=$ppid; done
  listening=""
  if have ss; then
    listening=" $(within 20 ss -tulnpH 2>/dev/null | awk '{ s = $0; while (match(s, /pid=[0-9]+/)) {
      print substr(s, RSTART + 4, RLENGTH - 4); s = substr(s, RSTART + RLENGTH) } }' | sort -u | tr '\n' ' ') "
  fi
  count=0; uids=""; gids=""; paths=""; confs=""; exes=""; done_servers=""
  # kernel threads (children of kthreadd) are skipped early; in a container PID 2 is an ordinary process
  kthreadd=-; { read -r name < /proc/2/comm; } 2>/dev/null && [ "$name" = kthreadd ] && kthreadd=2
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    spent && { limit time; break; }
    proc_stat "$pid" || continue
    [ "$pid" = "$kthreadd" ] || [ "$ppid" = "$kthreadd" ] || [ "$sid" = "$oursid" ] && continue
    case "$ours" in *" $pid "*) continue ;; esac
    { read -r comm < "$dir/comm"; } 2>/dev/null || continue
    server_of "$comm"
    case "$listening" in *" $pid "*) owner=1 ;; *) owner=0 ;; esac
    [ "$ppid" = 1 ] || [ "$ppid" = 0 ] || [ "$owner" = 1 ] || [ -n "$server" ] || continue
    argtext=$(head -c "$ARGV_MAX" "$dir/cmdline" 2>/dev/null | tr '\000\n' '\n ')
    [ -n "$argtext" ] || continue            # kernel threads and zombies have no command line
    if [ "$count" -ge "$MAX_PROCS" ]; then limit processes; break; fi
    count=$((count + 1))
    [ "$server" = java ] && case "$argtext" in *org.apache.catalina*) server=tomcat ;; esac
    cwd=$(readlink "$dir/cwd" 2>/dev/null) || cwd=""
    exe=$(readlink "$dir/exe" 2>/dev/null) || exe=""
    section proc "$pid"
    {
      grep -E '^(Name|PPid|Uid|Gid):' "$dir/status" 2>/dev/null | sed 's/^/s /'
      printf 'k %s\n' "${server:--}"
      [ -n "$cwd" ] && printf '%s' "$cwd" | fields | sed 's/^/w/'
      [ -n "$exe" ] && printf '%s' "$exe" | fields | sed 's/^/x/'
      head -c 4096 "$dir/cgroup" 2>/dev/null | grep -E '^(0::|[0-9]+:name=systemd:)' | sed 's/^/c /'
      head -c "$ARGV_MAX" "$dir/cmdline" 2>/dev/null | fields | sed 's/^/a/'
      if [ -r "$dir/environ" ]; then
        head -c "$ENVIRON_MAX" "$dir/environ" 2>/dev/null | fields "$ENV_ALLOW" | sed 's/^/e/'
      else echo "E unreadable"; fi
    } | q
    puid=$(awk '$1 == "Uid:" { print $2 }' "$dir/status" 2>/dev/null)
    pgid=$(awk '$1 == "Gid:" { print $2 }' "$dir/status" 2>/dev/null)
    uids="$uids $puid"; gids="$gids $pgid"
    [ -n "$server" ] || server=process
    [ -n "$cwd" ] && [ "$cwd" != / ] && add_path "$cwd" cwd "$server" "$pid"
    case "$exe" in                            # a program outside the system's own directories is the application's
      ''|*" (deleted)") ;;
      /usr/local/*) add_path "$exe" binary "$server" "$pid" ;;
      /usr/*|/bin/*|/sbin/*|/lib/*|/lib64/*|/snap/*) ;;
      *) add_path "$exe" binary "$server" "$pid" ;;
    esac
    [ -n "$exe" ] && exes="$exes$exe
"
    appfacts_of "$server" "$pid" "$argtext" "${exe:-}" "${cwd:-}"
  done
  config_dirs
  section ids
  for uid in $(printf '%s\n' $uids | sort -u); do
    name=$(within 5 getent passwd "$uid" 2>/dev/null | cut -d: -f1)
    [ -n "$name" ] || name=$(awk -F: -v id="$uid" '$3 == id { print $1; exit }' /etc/passwd 2>/dev/null)
    printf 'u %s %s\n' "$uid" "$name" | q
  done
  for gid in $(printf '%s\n' $gids | sort -u); do
    name=$(within 5 getent group "$gid" 2>/dev/null | cut -d: -f1)
    [ -n "$name" ] || name=$(awk -F: -v id="$gid" '$3 == id { print $1; exit }' /etc/group 2>/dev/null)
    printf 'g %s %s\n' "$gid" "$name" | q
  done
  confs_read
  runtimes_of
  paths_sized
}

# config_dirs: the directory of each configuration file found (for a file under /etc, its first level: /etc/nginx)
config_dirs() {
  set -f; IFS=$NL
  for line in $(printf '%s' "$confs" | awk -F'\t' 'NF && !seen[$1]++ { print $1 "\t" $2 }'); do
    file=${line%%"$TAB"*}; owner_server=${line#*"$TAB"}
    case "$file" in /etc/*/*) rest=${file#/etc/}; dir=/etc/${rest%%/*} ;; /*/*) dir=${file%/*} ;; *) continue ;; esac
    add_path "$dir" config-dir "$owner_server" -
  done
  set +f; IFS=$IFS0
}

# may_read FILE: the current process's owner (puid, pgid) could read FILE itself. Files named by a process's own
# arguments or working directory are read only then, so no user can make a root discovery read what they cannot.
may_read() {
  ls -lnLd "$1" 2>/dev/null | awk -v u="$puid" -v g="$pgid" '{ ok = ($3 == u && substr($1, 2, 1) == "r") \
    || ($4 == g && substr($1, 5, 1) == "r") || substr($1, 8, 1) == "r" } END { exit !ok }'
}
# add_own_conf SERVER PATH: a configuration file the process itself names (see may_read)
add_own_conf() { may_read "$2" && add_conf "$1" "$2"; }

# add_conf SERVER PATH / add_path PATH KIND SERVER PID: remembered, read once each at the end
add_conf() { safe_path "$2" && confs="$confs$(printf '%s\t%s' "$2" "$1")
"; }
add_path() { safe_path "$1" && paths="$paths$(printf '%s\t%s\t%s\t%s' "$1" "$2" "$3" "$4")
"; }
# arg_after TEXT OPTION: the value of OPTION (next line of TEXT, or OPTION=VALUE)
arg_after() { printf '%s\n' "$1" | awk -v o="$2" 'take { print; exit } $0 == o { take = 1 }
  index($0, o "=") == 1 { print substr($0, length(o) + 2); exit }'; }

appfacts_of() {
  server=$1; pid=$2; argtext=$3; exe=$4; cwd=$5
  set -f; IFS=$NL
  for arg in $(printf '%s\n' "$argtext" | awk 'NR > 1 && /^[^-]/ && /\.(jar|war|py|js|mjs|cjs|php|rb|pl|sh|ini|conf|cnf|cfg|yaml|yml|toml|json|xml|properties)$/'); do
    case "$arg" in /*) file=$arg ;; *) [ -n "$cwd" ] && file="$cwd/$arg" || continue ;; esac
    case "$arg" in
      *.jar) add_path "$file" jar "$server" "$pid" ;; *.war) add_path "$file" war "$server" "$pid" ;;
      *.py|*.js|*.mjs|*.cjs|*.php|*.rb|*.pl|*.sh) add_path "$file" script "$server" "$pid" ;;
      *) add_own_conf "$server" "$file" ;;
    esac
  done
  set +f; IFS=$IFS0
  case "$server" in
    nginx)
      conf=$(arg_after "$argtext" -c); [ -z "$conf" ] || may_read "$conf" || conf=""
      case "$done_servers" in *" nginx "*) return ;; esac; done_servers="$done_servers nginx "
      bin=$exe; trusted "$bin" || bin=$(command -v nginx); trusted "$bin" || bin=""
      dump=""
      [ -n "$bin" ] && dump=$(within 20 "$bin" -T -q ${conf:+-c "$conf"} </dev/null 2>/dev/null | head -c "$DUMP_MAX")
      if [ -n "$dump" ]; then
        section conf-dump nginx
        { echo "#meta dump $(printf '%s\n' "$dump" | wc -c)"
          printf '%s\n' "$dump" | awk '/^# configuration file / || !/^[[:space:]]*([#;]|$)/'; } | q
        roots=$(printf '%s\n' "$dump" | awk '$1 == "root" || $1 == "alias" { v = $2; gsub(/[;"\047]/, "", v); print v }')
      else
        for f in ${conf:-/etc/nginx/nginx.conf} /etc/nginx/conf.d/*.conf /etc/nginx/sites-enabled/*; do
          [ -f "$f" ] && add_conf nginx "$f"
        done
        roots=$(cat ${conf:-/etc/nginx/nginx.conf} /etc/nginx/conf.d/*.conf /etc/nginx/sites-enabled/* 2>/dev/null \
                | awk '$1 == "root" || $1 == "alias" { v = $2; gsub(/[;"\047]/, "", v); print v }')
      fi
      set -f; IFS=$NL; for root in $roots; do add_path "$root" webroot nginx "$pid"; done; set +f; IFS=$IFS0
      main=${conf:-/etc/nginx/nginx.conf}; add_path "${main%/*}" config-dir nginx "$pid" ;;
    apache)
      case "$done_servers" in *" apache "*) return ;; esac; done_servers="$done_servers apache "
      bin=$(command -v apache2ctl || command -v apachectl); trusted "$bin" || bin=""
      files=""
      if [ -n "$bin" ]; then
        section conf-dump apache "$bin -S"
        within 20 "$bin" -S </dev/null 2>&1 | head -c "$CONF_MAX" | q
        files=$(within 20 "$bin" -t -D DUMP_INCLUDES </dev/null 2>/dev/null | awk '$1 ~ /^\(/ { print $NF }' | head -n "$MAX_CONFS")
      fi
      [ -n "$files" ] || files=$(ls /etc/apache2/apache2.conf /etc/apache2/sites-enabled/* /etc/apache2/conf-enabled/* \
                                   /etc/httpd/conf/httpd.conf /etc/httpd/conf.d/*.conf 2>/dev/null)
      set -f; IFS=$NL
      for f in $files; do add_conf apache "$f"; done
      # shellcheck disable=SC2086
      for root in $(cat $files 2>/dev/null | awk 'tolower($1) == "documentroot" { v = $2; gsub(/"/, "", v); print v }'); do
        add_path "$root" webroot apache "$pid"
      done
      set +f; IFS=$IFS0 ;;
    php-fpm)
      conf=$(printf '%s\n' "$argtext" | sed -n 's/^php-fpm: master process (\(.*\))$/\1/p')
      [ -n "$conf" ] || conf=$(arg_after "$argtext" --fpm-config); [ -n "$conf" ] || conf=$(arg_after "$argtext" -y)
      for f in $conf ${conf:+${conf%/*}/pool.d/*.conf} ${conf:+${conf%/*}/php.ini}; do
        [ -f "$f" ] && add_own_conf php-fpm "$f"
      done
      for f in /etc/php-fpm.conf /etc/php-fpm.d/*.conf; do [ -f "$f" ] && add_conf php-fpm "$f"; done ;;
    tomcat|java)
      base=$(printf '%s\n' "$argtext" | sed -n 's/^-Dcatalina\.base=//p' | head -n 1)
      if [ -n "$base" ]; then
        for f in server.xml context.xml tomcat-users.xml catalina.properties; do
          [ -f "$base/conf/$f" ] && add_own_conf tomcat "$base/conf/$f"
        done
        add_path "$base/webapps" webapps tomcat "$pid"
      fi
      jar=$(arg_after "$argtext" -jar); [ -n "$jar" ] && case "$jar" in /*) add_path "$jar" jar java "$pid" ;;
                                                       *) [ -n "$cwd" ] && add_path "$cwd/$jar" jar java "$pid" ;; esac
      for f in ${cwd:+$cwd/application.properties $cwd/application.yml $cwd/application.yaml $cwd/config/application.properties $cwd/config/application.yml}; do
        [ -f "$f" ] && add_own_conf "$server" "$f"
      done ;;
    python|node)
      for f in $(arg_after "$argtext" -c) $(arg_after "$argtext" --config) $(arg_after "$argtext" --ini) \
               ${cwd:+$cwd/.env} ${cwd:+$cwd/package.json}; do
        [ -f "$f" ] && add_own_conf "$server" "$f"
      done ;;
    redis)
      for f in /etc/redis/redis.conf /etc/redis.conf; do known "$f" && add_conf redis "$f"; done
      for f in /etc/redis/redis.conf /etc/redis.conf $(printf '%s\n' "$argtext" | awk '/\.conf$/'); do
        [ -r "$f" ] && may_read "$f" || continue
        data=$(awk '$1 == "dir" { v = $2; gsub(/"/, "", v); print v; exit }' "$f" 2>/dev/null)
        [ -n "$data" ] && add_path "$data" data redis "$pid"
      done ;;
    postgresql)
      data=$(arg_after "$argtext" -D); [ -n "$data" ] && { add_path "$data" data postgresql "$pid"
        for f in postgresql.conf pg_hba.conf pg_ident.conf; do
          [ -f "$data/$f" ] && add_own_conf postgresql "$data/$f"
        done; }
      conf=$(printf '%s\n' "$argtext" | sed -n 's/^config_file=//p;s/^--config[-_]file=//p' | head -n 1)
      [ -n "$conf" ] && add_own_conf postgresql "$conf"
      for f in /etc/postgresql/*/main/postgresql.conf /etc/postgresql/*/main/pg_hba.conf; do
        known "$f" && add_conf postgresql "$f"
      done ;;
    mysql)
      conf=$(arg_after "$argtext" --defaults-file); [ -n "$conf" ] && add_own_conf mysql "$conf"
      data=$(arg_after "$argtext" --datadir); add_path "${data:-/var/lib/mysql}" data mysql "$pid"
      for f in /etc/mysql/my.cnf /etc/mysql/conf.d/*.cnf /etc/mysql/mariadb.conf.d/*.cnf /etc/mysql/mysql.conf.d/*.cnf \
               /etc/my.cnf /etc/my.cnf.d/*.cnf; do
        known "$f" && add_conf mysql "$f"
      done ;;
  esac
}

# confs_read: each remembered configuration file once, bounded per file, in count and in total
confs_read() {
  left=$CONF_TOTAL; n=0
  printf '%s' "$confs" | awk -F'\t' 'NF && !seen[$1]++' | while IFS="$(printf '\t')" read -r file server; do
    n=$((n + 1)); [ "$n" -le "$MAX_CONFS" ] || { limit configuration-files; break; }
    section conf "$server $file"
    if [ ! -e "$file" ]; then
      if [ -d "${file%/*}" ] && [ ! -x "${file%/*}" ]; then echo "#meta unreadable" | q; else echo "#meta missing" | q; fi
      continue
    fi
    meta=$(stat -L -c '%s %U %a' "$file" 2>/dev/null)
    if [ ! -r "$file" ] || [ -d "$file" ]; then echo "#meta unreadable $meta" | q; continue; fi
    size=${meta%% *}
    sum=$(within 10 sha256sum "$file" 2>/dev/null | cut -d' ' -f1)
    cap=$CONF_MAX; [ "$left" -lt "$cap" ] && cap=$left
    state=read; [ "${size:-0}" -gt "$cap" ] 2>/dev/null && state=truncated
    [ "$cap" -gt 0 ] || { echo "#meta skipped $meta ${sum:--}" | q; continue; }
    { echo "#meta $state $meta ${sum:--}"; head -c "$cap" "$file" 2>/dev/null | uncommented; } | q
    [ -n "$size" ] && [ "$size" -lt "$cap" ] 2>/dev/null && cap=$size
    left=$((left - cap))
  done
}

runtimes_of() {
  section runtimes-found
  {
    for tool in java python3 python2 python node nodejs php ruby; do command -v "$tool" 2>/dev/null; done
    printf '%s' "$exes" | awk -F/ '$NF ~ /^(java|python[0-9.]*|node|nodejs|php[0-9.]*|php-fpm[0-9.]*|ruby)$/'
  } | awk '!seen[$0]++' | head -n 12 | while read -r bin; do
    trusted "$bin" || continue
    case "$bin" in */java) out=$(within 10 "$bin" -XX:-UsePerfData -version </dev/null 2>&1 | head -n 1) ;;
                   */php-fpm*) out=$(within 10 "$bin" -v </dev/null 2>&1 | head -n 1) ;;
                   */php*) out=$(within 10 "$bin" -n -v </dev/null 2>&1 | head -n 1) ;;
                   *) out=$(within 10 "$bin" --version </dev/null 2>&1 | head -n 1) ;; esac
    printf '%s\t%s\n' "$bin" "$out" | q
  done
}

# paths_sized: owner and size (du, within what is left of BUDGET) of each remembered application path
paths_sized() {
  section app-paths
  printf '%s' "$paths" | awk -F'\t' 'NF && !seen[$1]++' | awk -v m="$MAX_PATHS" 'NR <= m; NR == m + 1 { print "-" }' \
  | while IFS="$(printf '\t')" read -r path kind server pid; do
    [ "$path" = - ] && { limit application-paths; break; }
    if [ ! -e "$path" ]; then printf '%s\t%s\t%s\tmissing\t-\t-\t%s\n' "$kind" "$server" "$pid" "$path" | q; continue; fi
    owner=$(stat -L -c %U "$path" 2>/dev/null)
    size=-
    left=$((budget - ($(date +%s) - start)))
    if [ "$left" -gt 0 ] && ! on_network_fs "$path"; then
      size=$(bounded "$left" du -sxkH "$path" 2>/dev/null | cut -f1)
    fi
    printf '%s\t%s\t%s\texists\t%s\t%s\t%s\n' "$kind" "$server" "$pid" "${owner:--}" "${size:--}" "$path" | q
  done
}

case "${1:-}" in
  identity) identity ;;
  packages) packages ;;
  units) units ;;
  crontabs) crontabs ;;
  datadirs) datadirs "${2:-}" ;;
  sample) sample ;;
  services) services "${2:-}" ;;
  appfacts) appfacts "${2:-}" ;;
  *) echo "usage: $0 identity|packages|units|crontabs|datadirs [BUDGET]|sample|services [BUDGET]|appfacts [BUDGET]" >&2
     exit 2 ;;
esac
exit 0

#!/usr/bin/env bash
# kubesnap-collect.sh: pack one node's Kubernetes state into a tarball for offline analysis.
#
# Read-only on the node (it writes only below --output), every external command under
# `timeout`, every file size-capped, secrets redacted before anything is packed.
# The bundle layout is documented in docs/bundle-format.md; manifest.json records every
# command and file with its exit code, run time, size and truncation.
set -o errexit -o nounset -o pipefail
export LC_ALL=C
umask 077

readonly COLLECTOR_VERSION="0.1.0"
readonly FORMAT_VERSION=1
readonly MARKER="KUBESNAP-REDACTED"
# Command output (not logs) is capped here; logs and journals use --max-log-bytes.
readonly MAX_CMD_BYTES=$((256 * 1024 * 1024))
readonly INSPECT_BATCH=50
readonly KUBECTL_LOG_TAIL=2000

OUTPUT_DIR="/var/tmp"
SINCE="24h"
MAX_LOG_BYTES=$((5 * 1024 * 1024))
TIMEOUT=30
ROOT="/"
FORCE=0
OBFUSCATE=0
OBF_KEY_FILE=""   # --obfuscate-key: the site's secret, shared by every node, never packed
OBF_NAMES_FILE="" # --obfuscate-names: more names to replace, one per line
OBF_KEY=""
OBF_MAP=""        # STAGE/obfuscation.tsv: kind<TAB>original<TAB>token

STAGE=""          # temporary folder below OUTPUT_DIR, removed on exit
BUNDLE=""         # STAGE/<bundle name>
RECORDS=""        # one JSON object per line, joined into manifest.json at the end
REDACTIONS=""     # "count<TAB>rule<TAB>path" lines
SINCE_EPOCH=0
CRICTL_CALLS=0
CRICTL_TIMEOUTS=0
RUNTIME_ENDPOINT=""
RUNTIME_KIND=""
KUBECONFIG_PATH=""
declare -a MISSING=()
declare -a CRICTL=()
declare -a TOOL=()

usage() {
  cat <<'EOF'
Usage: kubesnap-collect.sh [--output DIR] [--since DURATION] [--max-log-bytes N]
                           [--timeout SECONDS] [--root DIR] [--force]
                           [--obfuscate [--obfuscate-key FILE] [--obfuscate-names FILE]]

Collects this node's Kubernetes state (crictl, ps, /proc cgroups, journals, kubelet and
runtime configuration, /etc/kubernetes, /var/log/pods, and kubectl output where kubectl
works) into one tarball, and prints the tarball's path as the last line on stdout.
Safe on a production node: read-only, low priority, every command under a timeout,
every file size-capped, secrets redacted before packing (see redaction-report.txt in
the bundle). Exit status 0 whenever a bundle was written, even if some commands failed
(they are listed in manifest.json); non-zero when no bundle could be written.
crictl, ctr and kubectl come from PATH, else from /var/lib/rancher/rke2/bin (RKE2),
else from k3s itself (`k3s crictl`).

Options:
  --output DIR         where to write the tarball (default: /var/tmp)
  --since DURATION     window for journals, syslog and pod log files, e.g. 30m, 24h, 7d
                       (default: 24h); pod log files not written in the window are skipped
  --max-log-bytes N    keep at most the last N bytes of each log file, journal and
                       syslog (default: 5242880); suffixes k, m, g accepted
  --timeout SECONDS    kill any single command after this many seconds (default: 30)
  --root DIR           read node files below DIR instead of / (etc, var, run, proc);
                       commands still come from PATH (used to test against fake nodes)
  --force              write the bundle even when the free-space check fails
  --obfuscate          replace host names and IPv4 addresses by tokens in every file and
                       file name (certificates become text summaries), so the bundle can
                       leave a site that forbids real addresses; the analyzer still joins
                       everything. The mapping is written next to the tarball
                       (<bundle>.obfuscation.tsv), never into it: keep it on site
  --obfuscate-key FILE the site's obfuscation key (default: kubesnap-obfuscation.key in the
                       output folder, created when missing). Use the same key on every node
                       so that a name gets the same token in every bundle
  --obfuscate-names FILE
                       more names to replace, one per line (other nodes' names, domains,
                       registries): e.g. `kubectl get nodes -o name | cut -d/ -f2`
  -h, --help           show this help
EOF
}

die() {
  printf 'kubesnap-collect: %s\n' "$*" >&2
  exit 2
}

log() {
  printf 'kubesnap-collect: %s\n' "$*" >&2
}

cleanup() {
  # Guarded: STAGE is always a mktemp folder of our own naming below OUTPUT_DIR.
  if [[ -n "$STAGE" && -d "$STAGE" && "$STAGE" == *"/.kubesnap-stage."* ]]; then
    rm -rf -- "$STAGE"
  fi
}

now() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    printf '%s' "$EPOCHREALTIME"
  else
    date +%s
  fi
}

# Seconds between two `now` readings, three decimals.
elapsed() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) }'
}

json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\t'/\\t}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//[$'\x01'-$'\x1f']/}
  printf '"%s"' "$s"
}

json_argv() {
  local out="[" sep="" a
  for a in "$@"; do
    out+="$sep$(json_str "$a")"
    sep=","
  done
  printf '%s]' "$out"
}

file_size() {
  local s
  s=$(stat -c %s -- "$1" 2>/dev/null) || s=0
  printf '%s' "$s"
}

# Parse sizes like 5242880, 512k, 10m, 1g.
parse_bytes() {
  local v=$1 n unit
  [[ "$v" =~ ^([0-9]+)([kKmMgG]?)$ ]] || die "not a byte count: $v"
  n=${BASH_REMATCH[1]}
  unit=${BASH_REMATCH[2]}
  case "$unit" in
    k | K) n=$((n * 1024)) ;;
    m | M) n=$((n * 1024 * 1024)) ;;
    g | G) n=$((n * 1024 * 1024 * 1024)) ;;
  esac
  printf '%s' "$n"
}

# Parse durations like 90s, 30m, 24h, 7d (a bare number is seconds).
parse_duration() {
  local v=$1 n unit
  [[ "$v" =~ ^([0-9]+)([smhdw]?)$ ]] || die "not a duration: $v (use e.g. 30m, 24h, 7d)"
  n=${BASH_REMATCH[1]}
  unit=${BASH_REMATCH[2]}
  case "$unit" in
    m) n=$((n * 60)) ;;
    h) n=$((n * 3600)) ;;
    d) n=$((n * 86400)) ;;
    w) n=$((n * 604800)) ;;
  esac
  printf '%s' "$n"
}

parse_args() {
  while (($#)); do
    case "$1" in
      --output) (($# >= 2)) || die "--output needs a value"; OUTPUT_DIR=$2; shift 2 ;;
      --output=*) OUTPUT_DIR=${1#*=}; shift ;;
      --since) (($# >= 2)) || die "--since needs a value"; SINCE=$2; shift 2 ;;
      --since=*) SINCE=${1#*=}; shift ;;
      --max-log-bytes) (($# >= 2)) || die "--max-log-bytes needs a value"; MAX_LOG_BYTES=$(parse_bytes "$2"); shift 2 ;;
      --max-log-bytes=*) MAX_LOG_BYTES=$(parse_bytes "${1#*=}"); shift ;;
      --timeout) (($# >= 2)) || die "--timeout needs a value"; TIMEOUT=$2; shift 2 ;;
      --timeout=*) TIMEOUT=${1#*=}; shift ;;
      --root) (($# >= 2)) || die "--root needs a value"; ROOT=$2; shift 2 ;;
      --root=*) ROOT=${1#*=}; shift ;;
      --force) FORCE=1; shift ;;
      --obfuscate) OBFUSCATE=1; shift ;;
      --obfuscate-key) (($# >= 2)) || die "--obfuscate-key needs a value"; OBF_KEY_FILE=$2; shift 2 ;;
      --obfuscate-key=*) OBF_KEY_FILE=${1#*=}; shift ;;
      --obfuscate-names) (($# >= 2)) || die "--obfuscate-names needs a value"; OBF_NAMES_FILE=$2; shift 2 ;;
      --obfuscate-names=*) OBF_NAMES_FILE=${1#*=}; shift ;;
      -h | --help) usage; exit 0 ;;
      *) usage >&2; die "unknown argument: $1" ;;
    esac
  done
  [[ "$TIMEOUT" =~ ^[0-9]+$ && "$TIMEOUT" -gt 0 ]] || die "--timeout must be a positive number of seconds"
  parse_duration "$SINCE" >/dev/null
  [[ -d "$ROOT" ]] || die "--root $ROOT is not a directory"
  ROOT=${ROOT%/}
  mkdir -p -- "$OUTPUT_DIR" 2>/dev/null || die "cannot create output folder $OUTPUT_DIR"
  [[ -w "$OUTPUT_DIR" ]] || die "output folder $OUTPUT_DIR is not writable"
  OUTPUT_DIR=$(cd -- "$OUTPUT_DIR" && pwd)
  if [[ -n "$OBF_KEY_FILE$OBF_NAMES_FILE" ]] && ((!OBFUSCATE)); then
    die "--obfuscate-key and --obfuscate-names need --obfuscate"
  fi
  [[ -z "$OBF_NAMES_FILE" || -r "$OBF_NAMES_FILE" ]] || die "--obfuscate-names $OBF_NAMES_FILE is not readable"
  if ((OBFUSCATE)); then obfuscation_key; fi
}

# ---------------------------------------------------------------- recording

record() {
  # record KIND NAME_JSON EXIT SECONDS BYTES TRUNCATED TIMED_OUT ERROR [EXTRA_JSON]
  local kind=$1 name=$2 rc=$3 secs=$4 bytes=$5 trunc=$6 tout=$7 err=$8 extra=${9:-}
  local errj="null"
  [[ -n "$err" ]] && errj=$(json_str "$err")
  printf '{"kind":"%s",%s,"exit_code":%s,"seconds":%s,"bytes":%s,"truncated":%s,"timed_out":%s,"error":%s%s}\n' \
    "$kind" "$name" "$rc" "$secs" "$bytes" "$trunc" "$tout" "$errj" "$extra" >>"$RECORDS"
}

have() {
  command -v "$1" >/dev/null 2>&1
}

# crictl, ctr and kubectl as this host has them: on PATH; else RKE2's own copies in
# /var/lib/rancher/rke2/bin (not on PATH by default); else k3s's built-in `k3s crictl`.
# Sets TOOL to the argv prefix; fails when there is none.
find_tool() {
  TOOL=()
  if have "$1"; then
    TOOL=("$1")
  elif [[ -x "/var/lib/rancher/rke2/bin/$1" ]]; then
    TOOL=("/var/lib/rancher/rke2/bin/$1")
  elif have k3s; then
    TOOL=(k3s "$1")
  fi
  ((${#TOOL[@]}))
}

note_missing() {
  local m
  for m in "${MISSING[@]+"${MISSING[@]}"}"; do
    [[ "$m" == "$1" ]] && return 0
  done
  MISSING+=("$1")
}

# run_cmd [--tail] REL CMD [ARGS...]: run CMD under timeout, stdout to BUNDLE/REL.
# --tail keeps the last MAX_LOG_BYTES bytes (logs, journals) instead of the first
# MAX_CMD_BYTES. Returns CMD's exit status; callers that do not care add `|| true`.
run_cmd() {
  local mode="head" cap=$MAX_CMD_BYTES
  if [[ "$1" == "--tail" ]]; then
    mode="tail"
    cap=$MAX_LOG_BYTES
    shift
  fi
  local rel=$1
  shift
  local out="$BUNDLE/$rel" errf="$STAGE/stderr.$$"
  local argvj
  argvj="\"argv\":$(json_argv "$@"),\"output\":$(json_str "$rel")"
  mkdir -p -- "$(dirname -- "$out")"
  if ! have "$1"; then
    note_missing "$1"
    record command "$argvj" 127 0 0 false false "command not found: $1"
    return 127
  fi
  local start end rc=0
  local -a st
  start=$(now)
  if [[ "$mode" == head ]]; then
    if timeout --kill-after=5 "$TIMEOUT" "$@" </dev/null 2>"$errf" | head -c "$((cap + 1))" >"$out"; then
      st=(0 0)
    else
      st=("${PIPESTATUS[@]}")
    fi
  else
    if timeout --kill-after=5 "$TIMEOUT" "$@" </dev/null 2>"$errf" | tail -c "$((cap + 1))" >"$out"; then
      st=(0 0)
    else
      st=("${PIPESTATUS[@]}")
    fi
  fi
  end=$(now)
  rc=${st[0]}
  local bytes trunc=false tout=false err=""
  bytes=$(file_size "$out")
  if ((bytes > cap)); then
    trunc=true
    if [[ "$mode" == head ]]; then
      truncate -s "$cap" -- "$out"
    else
      # Drop the first, partial line so that the file starts on a line boundary.
      tail -c "$cap" -- "$out" | sed '1d' >"$out.tmp" && mv -f -- "$out.tmp" "$out"
    fi
    bytes=$(file_size "$out")
  fi
  if ((rc == 124 || rc == 137)); then
    tout=true
    err="timed out after ${TIMEOUT}s"
  elif ((rc != 0)); then
    err=$(tail -c 600 -- "$errf" 2>/dev/null | tr '\n' ' ' || true)
    [[ -n "$err" ]] || err="exit status $rc"
  fi
  # An empty output of a failed command says nothing the manifest does not say better.
  if ((rc != 0 && bytes == 0)); then
    rm -f -- "$out"
    argvj="\"argv\":$(json_argv "$@")"
  fi
  record command "$argvj" "$rc" "$(elapsed "$start" "$end")" "$bytes" "$trunc" "$tout" "$err"
  rm -f -- "$errf"
  return "$rc"
}

# copy_file SRC_REL [--tail] [--since]: copy ROOT/SRC_REL to BUNDLE/files/SRC_REL.
# --tail caps at MAX_LOG_BYTES keeping the end; --since skips files not modified in
# the window. Private keys are never copied.
copy_file() {
  local rel=${1#/} tailcap=0 since=0
  shift
  while (($#)); do
    case "$1" in
      --tail) tailcap=1 ;;
      --since) since=1 ;;
    esac
    shift
  done
  local src="$ROOT/$rel" dst="$BUNDLE/files/$rel"
  local pathj
  pathj="\"path\":$(json_str "/$rel")"
  if [[ -L "$src" ]]; then
    local target
    target=$(readlink -- "$src" 2>/dev/null || true)
    mkdir -p -- "$(dirname -- "$dst")"
    ln -sfn -- "$target" "$dst"
    record file "$pathj" 0 0 0 false false "" ",\"link_target\":$(json_str "$target")"
    return 0
  fi
  if is_private_key_name "$rel"; then
    record file "$pathj" 0 0 0 false false "" ',"skipped":"private key file: never collected"'
    return 0
  fi
  if [[ ! -e "$src" ]]; then
    return 0
  fi
  if [[ ! -f "$src" ]]; then
    record file "$pathj" 1 0 0 false false "not a regular file"
    return 0
  fi
  if [[ ! -r "$src" ]]; then
    record file "$pathj" 1 0 0 false false "permission denied"
    return 0
  fi
  local size mtime
  size=$(file_size "$src")
  mtime=$(stat -c %Y -- "$src" 2>/dev/null || echo 0)
  local extra=",\"size\":$size,\"mtime\":$mtime"
  if ((since)) && ((mtime < SINCE_EPOCH)); then
    record file "$pathj" 0 0 0 false false "" "$extra,\"skipped\":\"not modified since --since window\""
    return 0
  fi
  mkdir -p -- "$(dirname -- "$dst")"
  local start end rc=0 trunc=false err=""
  start=$(now)
  if [[ "$src" == *.gz ]]; then
    # Rotated logs are stored decompressed, so that the redaction pass sees every byte.
    dst=${dst%.gz}
    extra+=",\"output\":$(json_str "files/${rel%.gz}"),\"decompressed\":true"
    timeout "$TIMEOUT" gzip -dc -- "$src" 2>/dev/null | tail -c "$((MAX_LOG_BYTES + 1))" >"$dst" || rc=$?
    if (($(file_size "$dst") > MAX_LOG_BYTES)); then
      trunc=true
      tail -c "$MAX_LOG_BYTES" -- "$dst" | sed '1d' >"$dst.tmp" && mv -f -- "$dst.tmp" "$dst"
    fi
  elif ((tailcap)) && ((size > MAX_LOG_BYTES)); then
    trunc=true
    timeout "$TIMEOUT" tail -c "$MAX_LOG_BYTES" -- "$src" 2>/dev/null | sed '1d' >"$dst" || rc=$?
  else
    timeout "$TIMEOUT" cat -- "$src" >"$dst" 2>/dev/null || rc=$?
  fi
  end=$(now)
  touch -r "$src" -- "$dst" 2>/dev/null || true
  ((rc == 0)) || err="read failed (exit status $rc)"
  record file "$pathj" "$rc" "$(elapsed "$start" "$end")" "$(file_size "$dst")" "$trunc" false "$err" "$extra"
}

is_private_key_name() {
  case "${1##*/}" in
    *.key | *-key.pem | *_key.pem | *.key.pem | *.p12 | *.pfx | *.jks | *.keystore | *.kdbx) return 0 ;;
  esac
  return 1
}

# copy_tree DIR_REL [copy_file flags]: every file below ROOT/DIR_REL, links as links.
copy_tree() {
  local dir=${1#/}
  shift
  [[ -d "$ROOT/$dir" ]] || return 0
  local f
  while IFS= read -r -d '' f; do
    copy_file "${f#"$ROOT"/}" "$@"
  done < <(find "$ROOT/$dir" \( -type f -o -type l \) -print0 2>/dev/null | sort -z)
}

# ---------------------------------------------------------------- collect

collect_identity() {
  mkdir -p -- "$BUNDLE/host"
  {
    printf 'utc=%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf 'local=%s\n' "$(date +%Y-%m-%dT%H:%M:%S%z)"
    printf 'epoch=%s\n' "$(date +%s)"
    printf 'zone=%s\n' "$(date +%Z)"
  } >"$BUNDLE/host/date.txt"
  if [[ -r "$ROOT/proc/sys/kernel/hostname" ]]; then
    copy_file proc/sys/kernel/hostname
  fi
  run_cmd host/hostname.txt hostname || true
  run_cmd host/uname.txt uname -a || true
  copy_file proc/uptime
  run_cmd host/uptime.txt uptime || true
  copy_file etc/os-release
  copy_file usr/lib/os-release
  copy_file proc/cmdline
  copy_file etc/timezone
  if [[ -L "$ROOT/etc/localtime" ]]; then
    copy_file etc/localtime
  fi
  run_cmd host/timedatectl.txt timedatectl show || true
  run_cmd host/chronyc-tracking.txt chronyc -n tracking || true
}

collect_host() {
  run_cmd host/df.txt df -PTk || true
  run_cmd host/df-inodes.txt df -PTi || true
  run_cmd host/df-h.txt df -h || true
  run_cmd host/free.txt free -b || true
  copy_file proc/meminfo
  copy_file proc/loadavg
  copy_file proc/mounts
  copy_file proc/swaps
  copy_file proc/pressure/memory
  run_cmd host/lsblk.json lsblk -J || true
  run_cmd host/lsblk.txt lsblk || true
  run_cmd host/ip-addr.json ip -j addr || true
  run_cmd host/ip-addr.txt ip addr || true
  run_cmd host/ip-route.json ip -j route || true
  run_cmd host/ip-route.txt ip route || true
  run_cmd --tail host/dmesg.txt dmesg --time-format iso || run_cmd --tail host/dmesg.txt dmesg || true
  collect_sysctls
  copy_file etc/hosts
  copy_file etc/resolv.conf
}

collect_sysctls() {
  local keys=(
    net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
    net.ipv4.conf.all.rp_filter net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_count
    net.core.somaxconn vm.swappiness vm.overcommit_memory vm.panic_on_oom vm.max_map_count
    kernel.panic kernel.panic_on_oops kernel.pid_max kernel.threads-max fs.file-max fs.file-nr
    fs.inotify.max_user_watches fs.inotify.max_user_instances
  )
  local k f out="$BUNDLE/host/sysctl.txt"
  : >"$out"
  for k in "${keys[@]}"; do
    f="$ROOT/proc/sys/${k//.//}"
    if [[ -r "$f" ]]; then
      printf '%s = %s\n' "$k" "$(tr '\t' ' ' <"$f" 2>/dev/null | head -c 200)" >>"$out"
    fi
  done
  record file "\"path\":\"/proc/sys\",\"output\":\"host/sysctl.txt\"" 0 0 "$(file_size "$out")" false false ""
}

collect_processes() {
  # One fixed-format, full-length listing (never cut), plus the familiar ps -ef.
  run_cmd processes/ps.txt ps -ww -eo pid,ppid,user:32,lstart,etimes,stat,rss,vsz,args || true
  run_cmd processes/ps-ef.txt ps -ww -ef || true
  # /proc/<pid>/cgroup for every process in one file: "<pid>:<cgroup line>".
  local out="$BUNDLE/processes/cgroup.txt" start end n=0 p line
  start=$(now)
  : >"$out"
  for p in "$ROOT"/proc/[0-9]*/cgroup; do
    [[ -r "$p" ]] || continue
    p=${p%/cgroup}
    p=${p##*/}
    # builtin read: no fork per process
    while IFS= read -r line || [[ -n "$line" ]]; do
      printf '%s:%s\n' "$p" "$line"
    done <"$ROOT/proc/$p/cgroup" >>"$out" 2>/dev/null || true
    n=$((n + 1))
  done
  end=$(now)
  record file "\"path\":\"/proc/*/cgroup\",\"output\":\"processes/cgroup.txt\",\"processes\":$n" 0 \
    "$(elapsed "$start" "$end")" "$(file_size "$out")" false false ""
}

# The CRI endpoint the kubelet itself uses: its command line, its flags files, its config.
kubelet_endpoint() {
  local ep="" f
  if [[ -s "$BUNDLE/processes/ps.txt" ]]; then
    ep=$(grep -E '(^|/| )kubelet( |$)' "$BUNDLE/processes/ps.txt" |
      sed -n -E 's/.*--container-runtime-endpoint[= ]([^ ]+).*/\1/p' | head -n1 || true)
  fi
  if [[ -z "$ep" ]]; then
    for f in var/lib/kubelet/kubeadm-flags.env etc/kubernetes/kubelet.env etc/default/kubelet etc/sysconfig/kubelet; do
      [[ -r "$ROOT/$f" ]] || continue
      ep=$(sed -n -E 's/.*--container-runtime-endpoint[= ]"?([^ "]+).*/\1/p' "$ROOT/$f" | head -n1 || true)
      [[ -n "$ep" ]] && break
    done
  fi
  if [[ -z "$ep" && -r "$ROOT/var/lib/kubelet/config.yaml" ]]; then
    ep=$(sed -n -E 's/^containerRuntimeEndpoint:[[:space:]]*"?([^"[:space:]]+).*/\1/p' "$ROOT/var/lib/kubelet/config.yaml" | head -n1 || true)
  fi
  printf '%s' "${ep#unix://}"
}

# The runtime's CRI socket: the kubelet's own endpoint when it names a socket here; else the
# first known socket. Sockets that exist only for a kubelet (dockershim, cri-dockerd, CRI-O)
# come before containerd's, which Docker hosts also have with its CRI plugin disabled.
detect_runtime() {
  local cand kind ep
  ep=$(kubelet_endpoint)
  if [[ "$ep" == /* && -S "$ROOT$ep" ]]; then
    case "$ep" in
      */k3s/*) kind=k3s ;;
      *crio*) kind=crio ;;
      *cri-dockerd*) kind=cri-dockerd ;;
      *dockershim*) kind=dockershim ;;
      *containerd*) kind=containerd ;;
      *) kind=cri ;;
    esac
    RUNTIME_KIND=$kind
    RUNTIME_ENDPOINT="unix://$ROOT$ep"
  else
    for cand in \
      "k3s:/run/k3s/containerd/containerd.sock" \
      "dockershim:/var/run/dockershim.sock" \
      "cri-dockerd:/run/cri-dockerd.sock" \
      "cri-dockerd:/var/run/cri-dockerd.sock" \
      "crio:/run/crio/crio.sock" \
      "crio:/var/run/crio/crio.sock" \
      "containerd:/run/containerd/containerd.sock" \
      "containerd:/var/run/containerd/containerd.sock" \
      "docker:/var/run/docker.sock" \
      "docker:/run/docker.sock"; do
      kind=${cand%%:*}
      if [[ -S "$ROOT${cand#*:}" ]]; then
        RUNTIME_KIND=$kind
        RUNTIME_ENDPOINT="unix://$ROOT${cand#*:}"
        break
      fi
    done
  fi
  mkdir -p -- "$BUNDLE/runtime"
  printf 'kind=%s\nendpoint=%s\n' "$RUNTIME_KIND" "${RUNTIME_ENDPOINT#unix://"$ROOT"}" >"$BUNDLE/runtime/endpoint.txt"
}

# crictl with the detected endpoint; gives up after two timeouts (a wedged runtime
# must not cost a timeout per container).
crictl_run() {
  local rel=$1
  shift
  if ((CRICTL_TIMEOUTS >= 2)); then
    record command "\"argv\":$(json_argv crictl "$@"),\"output\":$(json_str "$rel")" 1 0 0 false false \
      "skipped: the runtime did not answer two earlier crictl calls"
    return 1
  fi
  CRICTL_CALLS=$((CRICTL_CALLS + 1))
  local rc=0
  run_cmd "$rel" "${CRICTL[@]}" "$@" || rc=$?
  if ((rc == 124 || rc == 137)); then
    CRICTL_TIMEOUTS=$((CRICTL_TIMEOUTS + 1))
  fi
  return "$rc"
}

# inspect ids in batches; a failed batch is retried one id at a time.
crictl_inspect_all() {
  local verb=$1 idfile=$2 out=$3
  local -a ids=() batch=()
  local id i n=0
  mapfile -t ids < <(grep -E '^[0-9a-f]{12,64}$' "$idfile" 2>/dev/null || true)
  : >"$BUNDLE/$out"
  for ((i = 0; i < ${#ids[@]}; i += INSPECT_BATCH)); do
    batch=("${ids[@]:i:INSPECT_BATCH}")
    n=$((n + 1))
    local part
    part="runtime/.parts/$verb-$n.json"
    if crictl_run "$part" "$verb" "${batch[@]}"; then
      cat -- "$BUNDLE/$part" >>"$BUNDLE/$out"
    else
      for id in "${batch[@]}"; do
        part="runtime/.parts/$verb-$n-$id.json"
        if crictl_run "$part" "$verb" "$id"; then
          cat -- "$BUNDLE/$part" >>"$BUNDLE/$out"
        fi
      done
    fi
  done
  rm -rf -- "$BUNDLE/runtime/.parts"
}

collect_runtime() {
  detect_runtime
  if find_tool crictl; then
    CRICTL=("${TOOL[@]}")
    [[ -n "$RUNTIME_ENDPOINT" ]] && CRICTL+=(--runtime-endpoint "$RUNTIME_ENDPOINT" --image-endpoint "$RUNTIME_ENDPOINT")
    CRICTL+=(--timeout "${TIMEOUT}s")
    crictl_run runtime/crictl-version.txt version || true
    crictl_run runtime/crictl-info.json info || true
    crictl_run runtime/crictl-pods.json pods -o json || true
    crictl_run runtime/crictl-pods.txt pods || true
    crictl_run runtime/crictl-ps-a.json ps -a -o json || true
    crictl_run runtime/crictl-ps-a.txt ps -a || true
    crictl_run runtime/crictl-images.json images -o json || true
    crictl_run runtime/crictl-images.txt images || true
    crictl_run runtime/crictl-ps-ids.txt ps -a -q || true
    crictl_run runtime/crictl-pods-ids.txt pods -q || true
    crictl_inspect_all inspect "$BUNDLE/runtime/crictl-ps-ids.txt" runtime/crictl-inspect.json
    crictl_inspect_all inspectp "$BUNDLE/runtime/crictl-pods-ids.txt" runtime/crictl-inspectp.json
    crictl_run runtime/crictl-stats.txt stats -a || true
    crictl_run runtime/crictl-statsp.txt statsp || true
  else
    note_missing crictl
    record command '"argv":["crictl"]' 127 0 0 false false "command not found: crictl"
    if find_tool ctr; then
      local addr=()
      [[ "$RUNTIME_KIND" == k3s ]] && addr=(--address "${RUNTIME_ENDPOINT#unix://}")
      run_cmd runtime/ctr-containers.txt "${TOOL[@]}" "${addr[@]+"${addr[@]}"}" -n k8s.io containers ls || true
      run_cmd runtime/ctr-tasks.txt "${TOOL[@]}" "${addr[@]+"${addr[@]}"}" -n k8s.io tasks ls || true
    fi
  fi
  if [[ "$RUNTIME_KIND" =~ ^(docker|cri-dockerd|dockershim)$ ]] && have docker; then
    run_cmd runtime/docker-ps-a.txt docker ps -a --no-trunc || true
    local ids=()
    if run_cmd runtime/docker-ps-ids.txt docker ps -aq --no-trunc; then
      mapfile -t ids <"$BUNDLE/runtime/docker-ps-ids.txt"
      if ((${#ids[@]})); then
        run_cmd runtime/docker-inspect.json docker inspect "${ids[@]}" || true
      fi
    fi
  fi
  copy_file etc/crictl.yaml
  copy_tree etc/containerd
  copy_tree etc/crio
  copy_tree etc/cni/net.d
  copy_file etc/docker/daemon.json
  local d
  for d in k3s rke2; do
    copy_file "var/lib/rancher/$d/agent/etc/containerd/config.toml"
    copy_file "var/lib/rancher/$d/agent/etc/crictl.yaml"
    copy_file "var/lib/rancher/$d/agent/containerd/containerd.log" --tail
    copy_file "var/lib/rancher/$d/agent/logs/kubelet.log" --tail
    copy_tree "var/lib/rancher/$d/agent/pod-manifests"
    copy_file "etc/rancher/$d/config.yaml"
  done
}

collect_etcd() {
  if ! have etcdctl; then
    # Only a gap where etcd runs: a static pod manifest, kubespray's env file or a data dir.
    if [[ -e "$ROOT/etc/kubernetes/manifests/etcd.yaml" || -e "$ROOT/etc/etcd.env" || -d "$ROOT/var/lib/etcd" ]]; then
      note_missing etcdctl
    fi
    return 0
  fi
  local cacert="" cert="" key="" endpoints="https://127.0.0.1:2379"
  if [[ -r "$ROOT/etc/etcd.env" ]]; then
    # kubespray keeps etcdctl's settings here; the key stays in place, only its path is used.
    cacert=$(sed -n 's/^ETCDCTL_CACERT=//p' "$ROOT/etc/etcd.env" | tail -n1)
    cert=$(sed -n 's/^ETCDCTL_CERT=//p' "$ROOT/etc/etcd.env" | tail -n1)
    key=$(sed -n 's/^ETCDCTL_KEY=//p' "$ROOT/etc/etcd.env" | tail -n1)
    local ep
    ep=$(sed -n 's/^ETCDCTL_ENDPOINTS=//p' "$ROOT/etc/etcd.env" | tail -n1)
    [[ -n "$ep" ]] && endpoints=$ep
    [[ -n "$cacert" ]] && cacert="$ROOT/${cacert#/}"
    [[ -n "$cert" ]] && cert="$ROOT/${cert#/}"
    [[ -n "$key" ]] && key="$ROOT/${key#/}"
  else
    # kubeadm: pki/etcd; kubespray with kubeadm-managed etcd: ssl/etcd (pki links to ssl)
    local d
    for d in etc/kubernetes/pki/etcd etc/kubernetes/ssl/etcd; do
      if [[ -r "$ROOT/$d/ca.crt" && -e "$ROOT/$d/healthcheck-client.crt" ]]; then
        cacert="$ROOT/$d/ca.crt"
        cert="$ROOT/$d/healthcheck-client.crt"
        key="$ROOT/$d/healthcheck-client.key"
        break
      fi
    done
    [[ -n "$cacert" ]] || return 0
  fi
  local -a e=(env ETCDCTL_API=3 etcdctl --endpoints="$endpoints" --dial-timeout=5s --command-timeout="${TIMEOUT}s")
  [[ -n "$cacert" ]] && e+=(--cacert="$cacert")
  [[ -n "$cert" ]] && e+=(--cert="$cert")
  [[ -n "$key" ]] && e+=(--key="$key")
  run_cmd etcd/member-list.json "${e[@]}" member list -w json || true
  run_cmd etcd/endpoint-status.json "${e[@]}" endpoint status --cluster -w json || true
  run_cmd etcd/endpoint-health.json "${e[@]}" endpoint health --cluster -w json || true
  run_cmd etcd/alarm-list.txt "${e[@]}" alarm list || true
}

collect_services() {
  local units=(kubelet containerd crio docker cri-docker k3s k3s-agent rke2-server rke2-agent etcd)
  local u present=() since_arg
  since_arg="@$SINCE_EPOCH"
  if have systemctl; then
    for u in "${units[@]}"; do
      # `show` of a unit that does not exist succeeds; a failure means systemd itself
      # does not answer (a container, a non-systemd host): asking for every unit is noise.
      run_cmd "services/$u.show.txt" systemctl show "$u.service" --no-pager || break
      if grep -q '^LoadState=loaded' "$BUNDLE/services/$u.show.txt"; then
        present+=("$u")
        run_cmd "services/$u.status.txt" systemctl status "$u.service" --no-pager -l || true
        run_cmd "services/$u.cat.txt" systemctl cat "$u.service" --no-pager || true
      else
        rm -f -- "$BUNDLE/services/$u.show.txt"
      fi
    done
  fi
  if have journalctl; then
    for u in "${present[@]+"${present[@]}"}"; do
      run_cmd --tail "services/journal-$u.log" journalctl -u "$u.service" --since "$since_arg" --no-pager -o short-iso-precise || true
    done
    run_cmd --tail services/journal-kernel.log journalctl -k --since "$since_arg" --no-pager -o short-iso-precise || true
  else
    note_missing journalctl
    record command '"argv":["journalctl"]' 127 0 0 false false "command not found: journalctl"
  fi
  collect_syslog
}

# /var/log/syslog (Debian, Ubuntu) or /var/log/messages (RHEL), lines of the window only.
collect_syslog() {
  local f rel
  for f in var/log/syslog var/log/messages; do
    [[ -f "$ROOT/$f" ]] || continue
    rel="files/$f"
    if [[ ! -r "$ROOT/$f" ]]; then
      record file "\"path\":\"/$f\"" 1 0 0 false false "permission denied"
      continue
    fi
    local start end size out="$BUNDLE/$rel" from_md from_iso
    size=$(file_size "$ROOT/$f")
    from_md=$(date -d "@$SINCE_EPOCH" +%m%d%H%M%S)
    from_iso=$(date -d "@$SINCE_EPOCH" +%Y-%m-%dT%H:%M:%S)
    mkdir -p -- "$(dirname -- "$out")"
    start=$(now)
    # Traditional "Mon dd hh:mm:ss" stamps have no year: compare month-day-time.
    # shellcheck disable=SC2016 # awk program, not shell
    timeout "$TIMEOUT" awk -v md="$from_md" -v iso="$from_iso" '
      BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= 12; i++) mon[m[i]] = sprintf("%02d", i) }
      keep { print; next }
      $1 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ { if (substr($1, 1, 19) >= iso) { keep = 1; print } ; next }
      ($1 in mon) { t = $3; gsub(":", "", t); k = mon[$1] sprintf("%02d", $2) t; if (k >= md) { keep = 1; print } }
    ' "$ROOT/$f" 2>/dev/null | tail -c "$((MAX_LOG_BYTES + 1))" >"$out" || true
    end=$(now)
    local trunc=false
    if (($(file_size "$out") > MAX_LOG_BYTES)); then
      trunc=true
      tail -c "$MAX_LOG_BYTES" -- "$out" | sed '1d' >"$out.tmp" && mv -f -- "$out.tmp" "$out"
    fi
    record file "\"path\":\"/$f\",\"size\":$size,\"window_since\":$SINCE_EPOCH" 0 "$(elapsed "$start" "$end")" \
      "$(file_size "$out")" "$trunc" false ""
  done
}

collect_files() {
  copy_tree etc/kubernetes
  copy_file var/lib/kubelet/config.yaml
  copy_file var/lib/kubelet/kubeadm-flags.env
  copy_tree var/lib/kubelet/pki
  copy_file etc/default/kubelet
  copy_file etc/sysconfig/kubelet
  copy_file etc/etcd.env
  copy_tree etc/ssl/etcd/ssl
  copy_tree etc/systemd/system/kubelet.service.d
}

collect_logs() {
  copy_tree var/log/pods --tail --since
  copy_tree var/log/containers
  copy_tree var/log/calico --tail --since
}

find_kubeconfig() {
  local c
  for c in "${KUBECONFIG:-}" "${HOME:-/root}/.kube/config" "$ROOT/etc/kubernetes/admin.conf" \
    "$ROOT/etc/rancher/k3s/k3s.yaml" "$ROOT/etc/rancher/rke2/rke2.yaml"; do
    if [[ -n "$c" && -r "$c" ]]; then
      KUBECONFIG_PATH=$c
      return 0
    fi
  done
  return 1
}

collect_cluster() {
  if ! find_tool kubectl; then
    note_missing kubectl
    record command '"argv":["kubectl"]' 127 0 0 false false "command not found: kubectl"
    return 0
  fi
  local -a k=("${TOOL[@]}" --request-timeout="${TIMEOUT}s")
  find_kubeconfig && k+=(--kubeconfig "$KUBECONFIG_PATH")
  # One probe first: a host without API access costs one timeout, not twenty.
  run_cmd cluster/nodes.json "${k[@]}" get nodes -o json || return 0
  run_cmd cluster/version.json "${k[@]}" version -o json || true
  local r
  for r in pods events namespaces deployments daemonsets statefulsets replicasets jobs cronjobs \
    services endpoints persistentvolumeclaims; do
    run_cmd "cluster/$r.json" "${k[@]}" get "$r" -A -o json || true
  done
  for r in persistentvolumes storageclasses; do
    run_cmd "cluster/$r.json" "${k[@]}" get "$r" -o json || true
  done
  run_cmd cluster/leases-kube-system.json "${k[@]}" get leases -n kube-system -o json || true
  # Node leases are renewed by each kubelet with its own clock: a clock-skew witness.
  run_cmd cluster/leases-kube-node-lease.json "${k[@]}" get leases -n kube-node-lease -o json || true
  run_cmd cluster/get-node-wide.txt "${k[@]}" get node -o wide || true
  run_cmd cluster/get-pod-wide.txt "${k[@]}" get pod -A -o wide || true
  run_cmd cluster/readyz.txt "${k[@]}" get --raw '/readyz?verbose' || true
  # Logs of kube-system pods: "<pod> <container>=<restarts> ..." per line.
  local line pod rest c name restarts
  if run_cmd cluster/.kube-system-containers.txt "${k[@]}" get pods -n kube-system -o \
    'jsonpath={range .items[*]}{.metadata.name}{" "}{range .status.containerStatuses[*]}{.name}{"="}{.restartCount}{" "}{end}{"\n"}{end}'; then
    while IFS= read -r line; do
      pod=${line%% *}
      rest=${line#* }
      [[ -n "$pod" ]] || continue
      for c in $rest; do
        name=${c%%=*}
        restarts=${c#*=}
        run_cmd --tail "cluster/logs/kube-system_${pod}_${name}.log" "${k[@]}" logs -n kube-system "$pod" \
          -c "$name" --timestamps --tail="$KUBECTL_LOG_TAIL" || true
        if [[ "$restarts" =~ ^[0-9]+$ ]] && ((restarts > 0)); then
          run_cmd --tail "cluster/logs/kube-system_${pod}_${name}.previous.log" "${k[@]}" logs -n kube-system \
            "$pod" -c "$name" --previous --timestamps --tail="$KUBECTL_LOG_TAIL" || true
        fi
      done
    done <"$BUNDLE/cluster/.kube-system-containers.txt"
  fi
  rm -f -- "$BUNDLE/cluster/.kube-system-containers.txt"
}

# ---------------------------------------------------------------- node identity

node_name() {
  local n=""
  if [[ -s "$BUNDLE/processes/ps.txt" ]]; then
    n=$(grep -E '(^|/| )kubelet( |$)' "$BUNDLE/processes/ps.txt" |
      sed -n -E 's/.*--hostname-override[= ]([^ ]+).*/\1/p' | head -n1 || true)
  fi
  if [[ -z "$n" ]]; then
    local f
    for f in etc/kubernetes/kubelet.env var/lib/kubelet/kubeadm-flags.env etc/default/kubelet etc/sysconfig/kubelet; do
      [[ -r "$ROOT/$f" ]] || continue
      n=$(sed -n -E 's/.*--hostname-override[= ]"?([^ "]+).*/\1/p' "$ROOT/$f" | head -n1 || true)
      [[ -n "$n" ]] && break
    done
  fi
  if [[ -z "$n" ]]; then
    if [[ -r "$ROOT/proc/sys/kernel/hostname" ]]; then
      n=$(head -n1 "$ROOT/proc/sys/kernel/hostname")
    else
      n=$(hostname 2>/dev/null || echo unknown)
    fi
  fi
  printf '%s' "$n" | tr -c 'A-Za-z0-9._-' '_'
}

host_name() {
  if [[ -r "$ROOT/proc/sys/kernel/hostname" ]]; then
    head -n1 "$ROOT/proc/sys/kernel/hostname"
  else
    hostname 2>/dev/null || echo unknown
  fi
}

role_guess() {
  local m
  for m in kube-apiserver.yaml kube-apiserver.yml kube-apiserver.manifest; do
    if [[ -e "$ROOT/etc/kubernetes/manifests/$m" ]]; then
      printf 'control-plane'
      return
    fi
  done
  if [[ -e "$ROOT/var/lib/rancher/rke2/agent/pod-manifests/kube-apiserver.yaml" ]] ||
    grep -qE '(^| |/)(kube-apiserver|k3s server|rke2 server)( |$)' "$BUNDLE/processes/ps.txt" 2>/dev/null; then
    printf 'control-plane'
  elif grep -qE '(^| |/)kubelet( |$)|(^| |/)k3s agent' "$BUNDLE/processes/ps.txt" 2>/dev/null ||
    [[ -e "$ROOT/var/lib/kubelet/config.yaml" ]]; then
    printf 'worker'
  elif [[ -s "$BUNDLE/cluster/nodes.json" ]]; then
    printf 'bastion'
  else
    printf 'unknown'
  fi
}

# ---------------------------------------------------------------- redaction

# Files that may hold a secret; the rest are left byte for byte as collected.
readonly SECRET_HINT='PRIVATE KEY-----|LS0tLS1CRUdJTi|eyJ[A-Za-z0-9_-]{5,}\.eyJ|bearer |[a-z0-9]{6}\.[a-z0-9]{16}|(token|passw[a-z]*|secret|key-?data|api-?key|private-?key|secret-?key|access-?key|auth|credentials?|authorization)["'"'"']?[[:space:]]*[:=]|://[^/@[:space:]]+:[^/@[:space:]]+@|"(env|Env|envs)":|"(value|name)": *"|--[a-z-]*(token|password|secret)[[:space:]]'

# rewrite_file FILE CNT AWK-ARGS...: run awk over FILE and replace it by the output when the program
# counted something into the file named CNT; a file with nothing to change stays byte for byte as
# collected, with its time. Returns 0 rewritten, 1 unchanged, 2 the program failed.
rewrite_file() {
  local f=$1 cnt=$2
  shift 2
  local tmp="$f.rewrite.tmp"
  if ! awk -v CNT="$cnt" "$@" "$f" >"$tmp" 2>/dev/null; then
    rm -f -- "$tmp"
    return 2
  fi
  if [[ -s "$cnt" ]]; then
    touch -r "$f" -- "$tmp" 2>/dev/null || true
    mv -f -- "$tmp" "$f"
    return 0
  fi
  rm -f -- "$tmp"
  return 1
}

redact_all() {
  local f cnt rc awkprog
  awkprog=$(redact_awk)
  while IFS= read -r -d '' f; do
    cnt="$f.redact.cnt"
    rc=0
    rewrite_file "$f" "$cnt" -v M="$MARKER" "$awkprog" || rc=$?
    if ((rc == 0)); then
      awk -v p="${f#"$BUNDLE"/}" '{ print $1 "\t" $2 "\t" p }' "$cnt" >>"$REDACTIONS"
    elif ((rc == 2)); then
      # A file we cannot redact does not leave the node.
      rm -f -- "$f"
      printf '1\tunredactable-file-removed\t%s\n' "${f#"$BUNDLE"/}" >>"$REDACTIONS"
    fi
    rm -f -- "$cnt"
  done < <(grep -rlZiE -- "$SECRET_HINT" "$BUNDLE" 2>/dev/null || true)
}

# POSIX awk (mawk on Debian/Ubuntu): no case-insensitive flag, so patterns are matched
# against a lower-cased copy of the line and applied by position to the original.
redact_awk() {
  cat <<'AWK'
function bump(rule) { cnt[rule]++ }
function safe_env(name) {
  return name ~ /^(PATH|HOME|HOSTNAME|TERM|LANG|LANGUAGE|LC_[A-Z]+|TZ|SHLVL|PWD|USER|container|GOMAXPROCS|GOMEMLIMIT|JAVA_HOME|[A-Z0-9_]*VERSION|NODE_NAME|POD_NAME|POD_NAMESPACE|POD_IP|HOST_IP|NAMESPACE|KUBERNETES_[A-Z0-9_]+|[A-Z0-9_]+_SERVICE_HOST|[A-Z0-9_]+_SERVICE_PORT[A-Z0-9_]*|[A-Z0-9_]+_PORT|[A-Z0-9_]+_PORT_[0-9]+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)$/
}
function is_plain(v,   l) {
  l = tolower(v)
  return (l == "" || l == "true" || l == "false" || l == "null" || l == "none" || index(v, M) == 1 || l == "{" || l == "[" || l == "|" || l == ">" || l == "-")
}
# key: value / key=value where the key ends in a secret word. A bare `key:` counts only at
# the start of a YAML line (so "Failed to list *api.Secret: ..." in a log stays); quoted
# JSON keys and key=value pairs count anywhere.
function redact_kv(s,   out, low, pre, sep, rest, rest2, q, v, tail, endq, keyq, lead) {
  out = ""
  while (1) {
    low = tolower(s)
    if (!match(low, /[a-z0-9_.-]*(token|password|passwd|secret|key-data|keydata|apikey|api-key|api_key|private-key|privatekey|private_key|secret-key|secretkey|secret_key|access-key|accesskey|access_key|auth|credential|credentials|authorization)["']?[ \t]*[:=][ \t]*/)) break
    pre = substr(s, 1, RSTART + RLENGTH - 1)
    sep = substr(s, RSTART, RLENGTH)
    lead = substr(s, 1, RSTART - 1)
    rest = substr(s, RSTART + RLENGTH)
    keyq = (lead ~ /["']$/ && sep ~ /["'][ \t]*[:=]/)
    if (sep !~ /=/ && !keyq && lead !~ /^[ \t]*(- )?$/) { out = out pre; s = rest; continue }
    q = substr(rest, 1, 1)
    if (q == "\"" || q == "'" || (q == "\\" && substr(rest, 2, 1) == "\"")) {
      if (q == "\\") { q = "\\\""; rest2 = substr(rest, 3) } else { rest2 = substr(rest, 2) }
      endq = index(rest2, q)
      if (endq == 0) { v = rest2; tail = "" } else { v = substr(rest2, 1, endq - 1); tail = substr(rest2, endq) }
      if (is_plain(v)) { out = out pre q; s = rest2; continue }
      out = out pre q M; bump("secret-field"); s = tail; continue
    }
    if (sep !~ /=/) {
      # YAML: the value runs to the end of the line (a trailing comma or brace stays)
      v = rest; tail = ""
      if (match(v, /[,}\]]+[ \t]*$/)) { tail = substr(v, RSTART); v = substr(v, 1, RSTART - 1) }
    } else {
      v = rest; tail = ""
      if (match(v, /[ \t,;&"'}]/)) { tail = substr(v, RSTART); v = substr(v, 1, RSTART - 1) }
    }
    if (is_plain(v)) { out = out pre; s = rest; continue }
    out = out pre M; bump("secret-field"); s = tail
  }
  return out s
}
# --token VALUE (space-separated flag forms; the = form is a key=value above)
function redact_flags(s,   out, low, pre, rest, v) {
  out = ""
  while (1) {
    low = tolower(s)
    if (!match(low, /--[a-z0-9-]*(token|password|passwd|secret)[ \t]+/)) break
    pre = substr(s, 1, RSTART + RLENGTH - 1); rest = substr(s, RSTART + RLENGTH)
    if (substr(rest, 1, 1) == "-" || rest == "") { out = out pre; s = rest; continue }
    match(rest, /^[^ \t"']*/); v = substr(rest, 1, RLENGTH)
    if (is_plain(v)) { out = out pre; s = rest; continue }
    out = out pre M; bump("secret-flag"); s = substr(rest, RLENGTH + 1)
  }
  return out s
}
function redact_re(s, re, rule, keep_prefix,   out, low, m) {
  out = ""
  while (match(s, re)) {
    m = substr(s, RSTART, RLENGTH)
    if (keep_prefix != "" && index(m, keep_prefix) == 1) { out = out substr(s, 1, RSTART + RLENGTH - 1); s = substr(s, RSTART + RLENGTH); continue }
    out = out substr(s, 1, RSTART - 1) M; bump(rule); s = substr(s, RSTART + RLENGTH)
  }
  return out s
}
# "Bearer <token>": a token is 20 or more token characters (so "bearer tokens" stays).
function redact_bearer(s,   out, low, word, tok, at) {
  out = ""
  while (1) {
    low = tolower(s)
    if (!match(low, /bearer[ \t]+/)) break
    at = RSTART + RLENGTH
    word = substr(s, 1, at - 1)
    tok = substr(s, at)
    if (match(tok, /^[A-Za-z0-9._~+\/=-]+/) && RLENGTH >= 20) {
      out = out word M; bump("bearer-token"); s = substr(tok, RLENGTH + 1)
    } else {
      out = out word; s = tok
    }
  }
  return out s
}
# "NAME=value" items of env arrays; "name"/"key" followed by "value" in env objects.
function redact_env_item(s,   m, name, q) {
  if (match(s, /^[ \t]*"[A-Za-z_][A-Za-z0-9_.-]*=/)) {
    m = substr(s, RSTART, RLENGTH); name = m; sub(/^[ \t]*"/, "", name); sub(/=$/, "", name)
    if (safe_env(name)) return s
    q = substr(s, RSTART + RLENGTH); if (match(q, /^[^"]*/)) q = substr(q, RLENGTH + 1)
    bump("env-value"); return m M q
  }
  return s
}
function redact_inline_env(s,   out, re, m, name, n2) {
  # {"name":"X","value":"Y"} on one line, plain or escaped JSON (last-applied annotations)
  out = ""
  re = "(\\\\)?\"name(\\\\)?\":[ ]*(\\\\)?\"[A-Za-z_][A-Za-z0-9_.-]*(\\\\)?\",[ ]*(\\\\)?\"value(\\\\)?\":[ ]*(\\\\)?\""
  while (match(s, re)) {
    m = substr(s, RSTART, RLENGTH)
    name = m; sub(/^(\\)?"name(\\)?":[ ]*(\\)?"/, "", name); sub(/(\\)?",.*$/, "", name)
    out = out substr(s, 1, RSTART + RLENGTH - 1); s = substr(s, RSTART + RLENGTH)
    if (safe_env(name)) continue
    n2 = index(s, "\""); if (n2 == 0) n2 = length(s) + 1
    if (substr(s, n2 - 1, 1) == "\\") n2 = n2 - 1
    out = out M; bump("env-value"); s = substr(s, n2)
  }
  return out s
}
BEGIN { inpem = 0; inenv = 0; pending = "" }
{
  line = $0
  if (inpem) {
    if (match(line, /-----END [A-Z0-9 ]*PRIVATE KEY-----/)) { line = substr(line, RSTART + RLENGTH); inpem = 0; if (line == "") next } else next
  }
  while (match(line, /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/)) {
    pre = substr(line, 1, RSTART - 1); rest = substr(line, RSTART + RLENGTH)
    bump("private-key")
    if (match(rest, /-----END [A-Z0-9 ]*PRIVATE KEY-----/)) { line = pre M substr(rest, RSTART + RLENGTH) }
    else { print pre M; inpem = 1; next }
  }
  # env arrays of crictl inspect (runtimeSpec.process.env) and docker inspect (Env)
  if (inenv) {
    if (line ~ /^[ \t]*\]/) inenv = 0; else line = redact_env_item(line)
  } else if (line ~ /"(env|Env)":[ \t]*\[[ \t]*$/) inenv = 1
  # env objects: "key"/"name": "X" on one line, "value": "Y" on the next
  if (pending != "" && match(line, /^[ \t]*"value":[ \t]*"/)) {
    if (!safe_env(pending)) {
      rest = substr(line, RSTART + RLENGTH); q = index(rest, "\"")
      while (q > 1 && substr(rest, q - 1, 1) == "\\") { nq = index(substr(rest, q + 1), "\""); if (nq == 0) { q = length(rest) + 1; break } ; q = q + nq }
      line = substr(line, 1, RSTART + RLENGTH - 1) M (q ? substr(rest, q) : "\""); bump("env-value")
    }
  }
  pending = ""
  if (match(line, /^[ \t]*"(key|name)":[ \t]*"[A-Za-z_][A-Za-z0-9_.-]*",?[ \t]*$/)) {
    pending = line; sub(/^[ \t]*"(key|name)":[ \t]*"/, "", pending); sub(/",?[ \t]*$/, "", pending)
  }
  line = redact_inline_env(line)
  line = redact_kv(line)
  line = redact_flags(line)
  line = redact_bearer(line)
  line = redact_re(line, "eyJ[A-Za-z0-9_-][A-Za-z0-9_-][A-Za-z0-9_-][A-Za-z0-9_-]*\\.eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*", "jwt", "")
  line = redact_re(line, "LS0tLS1CRUdJTi[A-Za-z0-9+/=]*", "base64-private-key", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS")
  line = redact_re(line, "://[^/@ \t\"']+:[^/@ \t\"']+@", "url-credentials", "")
  line = redact_bootstrap(line)
  print line
}
function redact_bootstrap(s,   out, b, a) {
  out = ""
  while (match(s, /[a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9]\.[a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9]/)) {
    b = (RSTART > 1) ? substr(s, RSTART - 1, 1) : ""
    a = substr(s, RSTART + RLENGTH, 1)
    if (b ~ /[A-Za-z0-9._-]/ || a ~ /[A-Za-z0-9._-]/) { out = out substr(s, 1, RSTART + RLENGTH - 1); s = substr(s, RSTART + RLENGTH); continue }
    out = out substr(s, 1, RSTART - 1) M; bump("bootstrap-token"); s = substr(s, RSTART + RLENGTH)
  }
  return out s
}
END { for (r in cnt) print cnt[r], r > CNT }
AWK
}

write_redaction_report() {
  local out="$BUNDLE/redaction-report.txt" total=0
  [[ -s "$REDACTIONS" ]] && total=$(awk '{ s += $1 } END { print s + 0 }' "$REDACTIONS")
  {
    printf 'Kubesnap redaction report\n'
    printf '=========================\n\n'
    printf 'Before this bundle was packed, every file in it was searched for secrets, and each\n'
    printf 'value found was replaced by the marker %s. The values themselves are\n' "$MARKER"
    printf 'not in this bundle, nor in this report. Private key files (*.key, *-key.pem, ...)\n'
    printf 'were not collected at all; /proc/*/environ and Kubernetes Secrets are never read.\n\n'
    printf 'Rules: private-key (PEM blocks), base64-private-key, secret-field (token, password,\n'
    printf 'secret, key-data, auth, credentials fields and --flag= values), secret-flag\n'
    printf '(--token VALUE), bearer-token, jwt, bootstrap-token, url-credentials (user:pass@),\n'
    printf 'env-value (container environment values, except well-known harmless names).\n\n'
    printf 'Values redacted: %s\n\n' "$total"
    if [[ -s "$REDACTIONS" ]]; then
      printf '%8s  %-22s %s\n' count rule file
      sort -t"$(printf '\t')" -k3,3 -k2,2 "$REDACTIONS" | awk -F'\t' '{ printf "%8s  %-22s %s\n", $1, $2, $3 }'
    fi
    printf '\nPlease review this bundle before sending it; you can open the tarball and search it.\n'
  } >"$out"
}

# ---------------------------------------------------------------- obfuscation

# The key makes tokens unguessable (a hash of an IPv4 address alone is reversed by trying
# all 2^32) and the same on every node that uses it.
obfuscation_key() {
  have sha256sum || have openssl || die "--obfuscate needs sha256sum or openssl"
  local f=${OBF_KEY_FILE:-$OUTPUT_DIR/kubesnap-obfuscation.key}
  if [[ ! -s "$f" ]]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$f") || die "cannot write the obfuscation key $f"
    log "created the obfuscation key $f: use it on every node of this site (--obfuscate-key $f) and keep it there"
  fi
  OBF_KEY=$(head -n1 -- "$f" | tr -d ' \r\n')
  [[ ${#OBF_KEY} -ge 16 ]] || die "obfuscation key $f is too short (16 characters at least)"
}

obf_hex() {
  if have sha256sum; then
    printf '%s|%s' "$OBF_KEY" "$1" | sha256sum | cut -c1-64
  else
    printf '%s|%s' "$OBF_KEY" "$1" | openssl dgst -sha256 -r | cut -c1-64
  fi
}

# IPv4 -> 240.0.0.0/4 (reserved, never routed: a token cannot be mistaken for a real
# address, and stays an address for every parser); names -> host-<8 hex>.
obf_token() {
  local kind=$1 value=$2 h
  h=$(obf_hex "$kind|$value")
  if [[ "$kind" == ip ]]; then
    printf '%d.%d.%d.%d' $((240 + 0x${h:0:1})) $((0x${h:2:2})) $((0x${h:4:2})) $((0x${h:6:2}))
  else
    printf 'host-%s' "${h:0:8}"
  fi
}

obf_names() {
  # this node's names, the names /etc/hosts gives addresses, the API's node names, and the user's list
  {
    node_name
    printf '\n'
    host_name
    if [[ -r "$ROOT/etc/hosts" ]]; then
      awk '!/^[ \t]*#/ && NF > 1 { for (i = 2; i <= NF; i++) { if ($i ~ /^#/) break; print $i } }' "$ROOT/etc/hosts"
    fi
    [[ -s "$BUNDLE/cluster/get-node-wide.txt" ]] && awk 'NR > 1 { print $1 }' "$BUNDLE/cluster/get-node-wide.txt"
    [[ -n "$OBF_NAMES_FILE" ]] && tr -d '\r' <"$OBF_NAMES_FILE"
  } | awk '{ gsub(/^[ \t]+|[ \t]+$/, ""); n = tolower($0) }
      length(n) >= 3 && n !~ /^[0-9.]+$/ && n ~ /^[a-z0-9][a-z0-9._-]*$/ &&
      n !~ /^(localhost|localhost[.].*|ip6-.*|kubernetes|master|node|worker|control-plane|default|none|unknown)$/ { print n }' |
    sort -u
}

obf_ips() {
  grep -rhoaE '(^|[^0-9.])([0-9]{1,3}[.]){3}[0-9]{1,3}' "$BUNDLE" 2>/dev/null |
    { find "$BUNDLE" -print | grep -oE '([0-9]{1,3}[.]){3}[0-9]{1,3}' || true; cat; } |
    sed -E 's/^[^0-9]//' |
    awk -F. '$1 <= 255 && $2 <= 255 && $3 <= 255 && $4 <= 255 && $1 != 127 && $1 != 0 && $1 != 255 && $1 < 240 { print }' | sort -u
}

# The replacement pass: every address in the map, and every name at a boundary (not inside a
# longer word), longest first; the map's values are tokens, never seen as originals again.
obf_awk() {
  cat <<'AWK'
BEGIN {
  FS = "\t"
  while ((getline l < MAP) > 0) {
    split(l, f, "\t")
    if (f[1] == "ip") ip[f[2]] = f[3]
    else if (f[1] == "name") { nm[f[2]] = f[3]; n = f[2]; gsub(/[.]/, "[.]", n); re = re (re == "" ? "" : "|") n }
  }
  close(MAP)
}
function alnum(c) { return c ~ /[A-Za-z0-9]/ }
# the character before position i (mawk's substr(s, 0, 1) is the first character, not "")
function before(s, i) { return i > 1 ? substr(s, i - 1, 1) : "" }
{
  line = $0; out = ""
  while (match(line, /[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+/)) {
    m = substr(line, RSTART, RLENGTH)
    pre = before(line, RSTART); post = substr(line, RSTART + RLENGTH, 1)
    if ((m in ip) && pre !~ /[0-9.]/ && post !~ /[0-9]/ && !(post == "." && substr(line, RSTART + RLENGTH + 1, 1) ~ /[0-9]/)) { out = out substr(line, 1, RSTART - 1) ip[m]; hits++ }
    else out = out substr(line, 1, RSTART + RLENGTH - 1)
    line = substr(line, RSTART + RLENGTH)
  }
  line = out line; out = ""
  if (re != "") {
    low = tolower(line)
    while (match(low, re)) {
      m = substr(low, RSTART, RLENGTH)
      pre = before(low, RSTART); post = substr(low, RSTART + RLENGTH, 1)
      if (!alnum(pre) && !alnum(post)) { out = out substr(line, 1, RSTART - 1) nm[m]; hits++ }
      else out = out substr(line, 1, RSTART + RLENGTH - 1)
      line = substr(line, RSTART + RLENGTH); low = substr(low, RSTART + RLENGTH)
    }
  }
  print out line
}
END { if (hits) print hits > CNT }
AWK
}

# PEM certificates carry names and addresses in base64: each becomes an openssl text summary
# (subject, issuer, validity, SANs), which the analyzer reads as it reads the certificate.
obf_certificates() {
  local f tmp
  while IFS= read -r -d '' f; do
    tmp="$f.obf.tmp"
    awk -v OPENSSL="$(command -v openssl || true)" -v TMP="$f.obf.pem" '
      /-----BEGIN CERTIFICATE-----/ { inpem = 1; pem = "" }
      inpem { pem = pem $0 "\n" }
      inpem && /-----END CERTIFICATE-----/ {
        inpem = 0; n++
        print "kubesnap-certificate-summary " n
        if (OPENSSL != "") {
          printf "%s", pem > TMP; close(TMP)
          cmd = OPENSSL " x509 -in \"" TMP "\" -noout -nameopt RFC2253 -subject -issuer -serial -startdate -enddate -fingerprint -sha256 -ext subjectAltName,basicConstraints 2>/dev/null"
          while ((cmd | getline l) > 0) print "  " l
          close(cmd)
        } else print "  (no openssl on the node: certificate removed)"
        print "kubesnap-certificate-summary end"
        next
      }
      !inpem { print }' "$f" >"$tmp" && mv -f -- "$tmp" "$f"
    rm -f -- "$f.obf.pem" "$tmp"
  done < <(grep -rlZ -- '-----BEGIN CERTIFICATE-----' "$BUNDLE" 2>/dev/null || true)
  # kubeconfigs: base64 certificate data becomes a summary in comments, the value a placeholder
  while IFS= read -r -d '' f; do
    tmp="$f.obf.tmp"
    awk -v OPENSSL="$(command -v openssl || true)" -v TMP="$f.obf.pem" '
      match($0, /(certificate-authority-data|client-certificate-data):[ \t]*[A-Za-z0-9+\/=]+/) {
        key = substr($0, RSTART, RLENGTH); split(key, kv, ":"); val = kv[2]; gsub(/[ \t]/, "", val)
        lead = substr($0, 1, RSTART - 1)
        print lead kv[1] ": kubesnap-obfuscated"
        if (OPENSSL != "") {
          cmd = "printf %s " val " | base64 -d 2>/dev/null > \"" TMP "\""; system(cmd)
          cmd = OPENSSL " x509 -in \"" TMP "\" -noout -nameopt RFC2253 -subject -issuer -serial -startdate -enddate -fingerprint -sha256 -ext subjectAltName,basicConstraints 2>/dev/null"
          print lead "# kubesnap-certificate-summary " kv[1]
          while ((cmd | getline l) > 0) print lead "#   " l
          close(cmd)
          print lead "# kubesnap-certificate-summary end"
        }
        next
      }
      { print }' "$f" >"$tmp" && mv -f -- "$tmp" "$f"
    rm -f -- "$f.obf.pem" "$tmp"
  done < <(grep -rlZE -- '(certificate-authority-data|client-certificate-data):' "$BUNDLE" 2>/dev/null || true)
}

obfuscate_all() {
  OBF_MAP="$STAGE/obfuscation.tsv"
  : >"$OBF_MAP"
  obf_certificates
  local v
  while IFS= read -r v; do
    [[ -n "$v" ]] && printf 'name\t%s\t%s\n' "$v" "$(obf_token name "$v")" >>"$OBF_MAP"
  done < <(obf_names)
  while IFS= read -r v; do
    [[ -n "$v" ]] && printf 'ip\t%s\t%s\n' "$v" "$(obf_token ip "$v")" >>"$OBF_MAP"
  done < <(obf_ips)
  local awkprog f cnt rc total=0
  awkprog=$(obf_awk)
  while IFS= read -r -d '' f; do
    cnt="$f.obf.cnt"
    rc=0
    rewrite_file "$f" "$cnt" -v MAP="$OBF_MAP" "$awkprog" || rc=$?
    if ((rc == 0)); then
      total=$((total + $(cat -- "$cnt")))
    elif ((rc == 2)); then
      rm -f -- "$f" # a file we cannot obfuscate does not leave the node
    fi
    rm -f -- "$cnt"
  done < <(find "$BUNDLE" -type f -print0)
  # names in file names and link targets: deepest first, so parents are renamed last
  local path new target
  while IFS= read -r -d '' path; do
    target=$(readlink -- "$path")
    new=$(printf '%s\n' "$target" | awk -v MAP="$OBF_MAP" -v CNT=/dev/null "$awkprog")
    [[ "$new" != "$target" ]] && ln -sfn -- "$new" "$path"
  done < <(find "$BUNDLE" -type l -print0)
  find "$BUNDLE" -mindepth 1 -depth -print >"$STAGE/paths.txt"
  sed 's#.*/##' "$STAGE/paths.txt" >"$STAGE/bases.txt"
  awk -v MAP="$OBF_MAP" -v CNT=/dev/null "$awkprog" "$STAGE/bases.txt" >"$STAGE/bases.new"
  while IFS=$'\t' read -r path base new; do
    [[ "$new" != "$base" && -n "$new" ]] && mv -f -- "$path" "${path%/*}/$new"
  done < <(paste "$STAGE/paths.txt" "$STAGE/bases.txt" "$STAGE/bases.new")
  {
    printf '\nObfuscation\n-----------\n'
    printf 'Host names and IPv4 addresses were replaced by tokens (%s names, %s addresses, %s places),\n' \
      "$(grep -c '^name' "$OBF_MAP" || true)" "$(grep -c '^ip' "$OBF_MAP" || true)" "$total"
    printf 'in file contents and file names; certificates were replaced by text summaries. The\n'
    printf 'mapping from tokens back to names is NOT in this bundle: it is kept next to the tarball.\n'
  } >>"$BUNDLE/redaction-report.txt"
}

obf_of() {
  # the token of a name, for the tarball's own name
  awk -F'\t' -v v="$1" 'BEGIN { v = tolower(v) } $1 == "name" && $2 == v { print $3; exit }' "$OBF_MAP"
}

# ---------------------------------------------------------------- manifest and pack

write_manifest() {
  local node=$1 host=$2 role=$3 started=$4 finished=$5
  local out="$BUNDLE/manifest.json" missing="[" sep="" m
  for m in "${MISSING[@]+"${MISSING[@]}"}"; do
    missing+="$sep$(json_str "$m")"
    sep=","
  done
  missing+="]"
  local red="[" total=0
  if [[ -s "$REDACTIONS" ]]; then
    red+=$(awk -F'\t' 'BEGIN { ORS = "" } { gsub(/\\/, "\\\\", $3); gsub(/"/, "\\\"", $3); printf "%s{\"path\":\"%s\",\"rule\":\"%s\",\"count\":%d}", (NR > 1 ? "," : ""), $3, $2, $1 }' "$REDACTIONS")
    total=$(awk '{ s += $1 } END { print s + 0 }' "$REDACTIONS")
  fi
  red+="]"
  {
    printf '{\n'
    printf '  "format": "kubesnap-bundle",\n'
    printf '  "format_version": %s,\n' "$FORMAT_VERSION"
    printf '  "collector_version": "%s",\n' "$COLLECTOR_VERSION"
    printf '  "node": %s,\n' "$(json_str "$node")"
    printf '  "hostname": %s,\n' "$(json_str "$host")"
    printf '  "role": "%s",\n' "$role"
    printf '  "started_at": "%s",\n' "$started"
    printf '  "finished_at": "%s",\n' "$finished"
    printf '  "user": %s,\n' "$(json_str "$(id -un 2>/dev/null || echo unknown)")"
    printf '  "uid": %s,\n' "$(id -u)"
    printf '  "options": {"since": %s, "since_epoch": %s, "max_log_bytes": %s, "timeout": %s, "root": %s, "force": %s, "obfuscated": %s},\n' \
      "$(json_str "$SINCE")" "$SINCE_EPOCH" "$MAX_LOG_BYTES" "$TIMEOUT" "$(json_str "${ROOT:-/}")" \
      "$([[ $FORCE == 1 ]] && echo true || echo false)" "$([[ $OBFUSCATE == 1 ]] && echo true || echo false)"
    printf '  "runtime": {"kind": %s, "endpoint": %s},\n' "$(json_str "$RUNTIME_KIND")" \
      "$(json_str "${RUNTIME_ENDPOINT#unix://"$ROOT"}")"
    printf '  "crictl_calls": %s,\n' "$CRICTL_CALLS"
    printf '  "missing_commands": %s,\n' "$missing"
    printf '  "redaction": {"marker": "%s", "total": %s, "files": %s},\n' "$MARKER" "$total" "$red"
    printf '  "records": [\n'
    sed '$!s/$/,/; s/^/    /' "$RECORDS"
    printf '  ]\n}\n'
  } >"$out"
}

check_free_space() {
  local need_kb avail_kb
  # Logs dominate: each pod log file is copied up to --max-log-bytes.
  need_kb=$({ find "$ROOT/var/log/pods" "$ROOT/var/log/calico" -type f -printf '%s\n' 2>/dev/null || true; } |
    awk -v cap="$MAX_LOG_BYTES" '{ s += ($1 < cap ? $1 : cap) } END { printf "%d", s / 1024 }')
  need_kb=$(((need_kb + 6 * MAX_LOG_BYTES / 1024) * 2 + 64 * 1024))
  avail_kb=$(df -Pk -- "$OUTPUT_DIR" 2>/dev/null | awk 'NR == 2 { print $4 }')
  [[ "$avail_kb" =~ ^[0-9]+$ ]] || return 0
  if ((avail_kb < need_kb)); then
    if ((FORCE)); then
      log "warning: $OUTPUT_DIR has $((avail_kb / 1024)) MiB free, about $((need_kb / 1024)) MiB may be needed (--force given)"
    else
      printf 'kubesnap-collect: not enough free space in %s: about %s MiB needed, %s MiB free.\n' \
        "$OUTPUT_DIR" "$((need_kb / 1024))" "$((avail_kb / 1024))" >&2
      printf 'Use --output on a larger filesystem, a smaller --max-log-bytes or --since, or --force.\n' >&2
      exit 3
    fi
  fi
}

lower_priority() {
  renice -n 19 -p $$ >/dev/null 2>&1 || true
  ionice -c 3 -p $$ >/dev/null 2>&1 || true
}

main() {
  parse_args "$@"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  lower_priority
  check_free_space

  local started epoch
  started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  epoch=$(date +%s)
  SINCE_EPOCH=$((epoch - $(parse_duration "$SINCE")))

  STAGE=$(mktemp -d "$OUTPUT_DIR/.kubesnap-stage.XXXXXX")
  RECORDS="$STAGE/records.jsonl"
  REDACTIONS="$STAGE/redactions.tsv"
  : >"$RECORDS"
  : >"$REDACTIONS"
  BUNDLE="$STAGE/bundle"
  mkdir -p -- "$BUNDLE"

  collect_identity
  collect_processes
  collect_host
  collect_runtime
  collect_etcd
  collect_services
  collect_files
  collect_logs
  collect_cluster

  local node host role finished name
  node=$(node_name)
  host=$(host_name)
  role=$(role_guess)
  redact_all
  write_redaction_report
  finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  write_manifest "$node" "$host" "$role" "$started" "$finished"
  if ((OBFUSCATE)); then
    obfuscate_all
    node=$(obf_of "$node")
  fi

  name="kubesnap-$node-$(date -u -d "$started" +%Y%m%dT%H%M%SZ 2>/dev/null || date -u +%Y%m%dT%H%M%SZ)"
  mv -- "$BUNDLE" "$STAGE/$name"
  BUNDLE="$STAGE/$name"
  local tarball="$OUTPUT_DIR/$name.tar.gz"
  # manifest.json first, so that a reader streaming the archive meets it before the rest; then
  # the small sections that say the most (runtime, processes, API), logs and journals last: an
  # upload cut short keeps what matters most.
  {
    printf '%s\n' "$name" "$name/manifest.json"
    (cd -- "$STAGE" && find "$name" -mindepth 1 ! -path "$name/manifest.json" -print) |
      awk -v n="$name" '{
        p = substr($0, length(n) + 2); r = 5
        if (p ~ /^redaction-report/) r = 1
        else if (p ~ /^runtime/) r = 2
        else if (p ~ /^processes/) r = 3
        else if (p ~ /^(etcd|cluster)/ && p !~ /^cluster\/logs/) r = 4
        else if (p ~ /^(host|services)/ && p !~ /^services\/journal-/) r = 5
        else if (p ~ /^files/ && p !~ /^files\/var\/log/) r = 6
        else r = 7
        print r "\t" $0
      }' | sort -t "$(printf '\t')" -k1,1n -k2,2 | cut -f2-
  } | tar -C "$STAGE" --no-recursion -czf "$tarball.part" -T -
  mv -f -- "$tarball.part" "$tarball"
  if ((OBFUSCATE)); then
    local map="$OUTPUT_DIR/$name.obfuscation.tsv"
    (umask 077 && { printf '# kind\toriginal\ttoken: keep this file on site, do not send it\n'; cat -- "$OBF_MAP"; } >"$map")
    log "obfuscation mapping (keep it on site, do not send it): $map"
  fi
  log "wrote $tarball ($(file_size "$tarball") bytes, $(wc -l <"$RECORDS") records)"
  printf '%s\n' "$tarball"
}

main "$@"

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
readonly MAX_FILE_BYTES=$((16 * 1024 * 1024)) # a file copied whole (configuration, not a log)
readonly INSPECT_BATCH=50
readonly REDACT_BATCH=256 # files whose trigger search is one grep (redact_batch)
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
  DONE=1
  exit 2
}

log() {
  printf 'kubesnap-collect: %s\n' "$*" >&2
}

cleanup() {
  local rc=$?
  # a step that failed ended the script (errexit): say so, rather than stop in silence
  ((rc == 0 || rc == 130 || rc == 143)) || [[ -n "${DONE:-}" ]] || log "error: stopped early (exit status $rc): no bundle was written"
  # Guarded: STAGE is always a mktemp folder of our own naming below OUTPUT_DIR.
  if [[ -n "$STAGE" && -d "$STAGE" && "$STAGE" == *"/.kubesnap-stage."* ]]; then
    rm -rf -- "$STAGE"
  fi
}

# The helpers below set a variable (printf -v) instead of printing: a $(...) forks the shell, and
# each command and file the collector records used to cost several forks of bookkeeping alone. Their
# locals are named __FUNCTION_x, so that printf -v sets the caller's variable, not one of theirs.

# stamp VAR: the time now, seconds (with microseconds where bash has EPOCHREALTIME, 5.0 and later).
stamp() {
  printf -v "$1" '%s' "${EPOCHREALTIME:-$(date +%s)}"
}

# to_us VAR STAMP: a stamp in microseconds (integer).
to_us() {
  local __to_us_i=${2%%.*} __to_us_f=000000
  [[ "$2" == *.* ]] && __to_us_f="${2#*.}000000"
  printf -v "$1" '%s' "$((10#${__to_us_i:-0} * 1000000 + 10#${__to_us_f:0:6}))"
}

# seconds_between VAR A B: seconds from stamp A to stamp B, three decimals.
seconds_between() {
  local __seconds_between_a __seconds_between_b __seconds_between_d
  to_us __seconds_between_a "$2"
  to_us __seconds_between_b "$3"
  __seconds_between_d=$(((__seconds_between_b - __seconds_between_a) / 1000))
  ((__seconds_between_d >= 0)) || __seconds_between_d=0
  printf -v "$1" '%d.%03d' "$((__seconds_between_d / 1000))" "$((__seconds_between_d % 1000))"
}

# jstr VAR STRING: STRING as a JSON string (quotes included; other control characters dropped).
jstr() {
  local __jstr_s=$2
  __jstr_s=${__jstr_s//\\/\\\\}
  __jstr_s=${__jstr_s//\"/\\\"}
  __jstr_s=${__jstr_s//$'\t'/\\t}
  __jstr_s=${__jstr_s//$'\n'/\\n}
  __jstr_s=${__jstr_s//$'\r'/\\r}
  __jstr_s=${__jstr_s//[$'\x01'-$'\x1f']/}
  printf -v "$1" '"%s"' "$__jstr_s"
}

json_str() {
  local __json_str_j
  jstr __json_str_j "$1"
  printf '%s' "$__json_str_j"
}

# jargv VAR ARGS...: the arguments as a JSON array of strings.
jargv() {
  local __jargv_var=$1 __jargv_out="[" __jargv_sep="" __jargv_a __jargv_j
  shift
  for __jargv_a in "$@"; do
    jstr __jargv_j "$__jargv_a"
    __jargv_out+="$__jargv_sep$__jargv_j"
    __jargv_sep=","
  done
  printf -v "$__jargv_var" '%s]' "$__jargv_out"
}

# mkdir_for PATH: its folder, made when missing (a test, not a mkdir process, when it exists).
mkdir_for() {
  [[ -d "${1%/*}" ]] || mkdir -p -- "${1%/*}"
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
  [[ -n "$err" ]] && jstr errj "$err"
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
  local argvj aj rj
  jargv aj "$@"
  jstr rj "$rel"
  argvj="\"argv\":$aj,\"output\":$rj"
  mkdir_for "$out"
  if ! have "$1"; then
    note_missing "$1"
    record command "$argvj" 127 0 0 false false "command not found: $1"
    return 127
  fi
  local start end rc=0 secs
  local -a st
  stamp start
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
  stamp end
  rc=${st[0]}
  local bytes trunc=false tout=false err=""
  bytes=$(file_size "$out")
  if ((bytes > cap)); then
    trunc=true
    if [[ "$mode" == head ]]; then
      truncate -s "$cap" -- "$out"
    else
      # Drop the first, partial line so that the file starts on a line boundary.
      tail -c "$cap" -- "$out" | drop_cut_head >"$out.tmp" && mv -f -- "$out.tmp" "$out"
    fi
    bytes=$(file_size "$out")
  fi
  if ((rc == 124 || rc == 137)); then
    tout=true
    err="timed out after ${TIMEOUT}s"
  elif ((rc != 0)); then
    # redacted whole before the cut: a cut can split a secret from what makes a rule see it (the :// of a URL);
    # an error of 600 bytes or less is kept whole, and redacted with the manifest's records
    if (($(file_size "$errf") > 600)); then redact_quiet "$errf" "(error output)" || true; fi
    err=$(tail -c 600 -- "$errf" 2>/dev/null | tr '\n' ' ' || true)
    [[ -n "$err" ]] || err="exit status $rc"
  fi
  # An empty output of a failed command says nothing the manifest does not say better.
  if ((rc != 0 && bytes == 0)); then
    rm -f -- "$out"
    argvj="\"argv\":$aj"
  fi
  seconds_between secs "$start" "$end"
  record command "$argvj" "$rc" "$secs" "$bytes" "$trunc" "$tout" "$err"
  rm -f -- "$errf"
  return "$rc"
}

# The head of a file's tail cut by size: its first, partial line goes, and in a CRI log the records up to the
# first F one (a partial P record's rest, or an F record that ends one cut away: a key and its value can lie on
# either side of a record boundary, and what is kept must not start with a secret's lone half).
drop_cut_head() {
  awk 'NR == 1 { next }
    !s { if ($0 ~ /^[^ ]+ (stdout|stderr) [PF] /) { if ($0 ~ /^[^ ]+ (stdout|stderr) F /) s = 1; next } s = 1 }
    { print }'
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
  jstr pathj "/$rel"
  pathj="\"path\":$pathj"
  if [[ -L "$src" ]]; then
    local target
    target=$(readlink -- "$src" 2>/dev/null || true)
    mkdir_for "$dst"
    ln -sfn -- "$target" "$dst"
    local tj
    jstr tj "$target"
    record file "$pathj" 0 0 0 false false "" ",\"link_target\":$tj"
    return 0
  fi
  if is_private_key_name "$rel"; then
    record file "$pathj" 0 0 0 false false "" ',"skipped":"private key file: never collected"'
    return 0
  fi
  # a pod's log is named after its pod (vault-secrets-operator): only files outside the logs are judged by name
  if [[ "$rel" != var/log/pods/* && "$rel" != var/log/containers/* ]] && is_credential_file_name "$rel"; then
    record file "$pathj" 0 0 0 false false "" ',"skipped":"credential file (tokens, users, passwords): never collected"'
    return 0
  fi
  if is_data_name "$rel"; then
    record file "$pathj" 0 0 0 false false "" ',"skipped":"database, etcd data or archive (its content cannot be searched for secrets): never collected"'
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
  if ((!tailcap)) && [[ "$src" != *.gz ]] && ((size > MAX_FILE_BYTES)); then
    record file "$pathj" 0 0 0 false false "" "$extra,\"skipped\":\"larger than $MAX_FILE_BYTES bytes (a configuration file is not): never collected\""
    return 0
  fi
  mkdir_for "$dst"
  local start end rc=0 trunc=false err="" secs
  stamp start
  if [[ "$src" == *.gz ]]; then
    # Rotated logs are stored decompressed, so that the redaction pass sees every byte.
    dst=${dst%.gz}
    local oj
    jstr oj "files/${rel%.gz}"
    extra+=",\"output\":$oj,\"decompressed\":true"
    timeout "$TIMEOUT" gzip -dc -- "$src" 2>/dev/null | tail -c "$((MAX_LOG_BYTES + 1))" >"$dst" || rc=$?
    if (($(file_size "$dst") > MAX_LOG_BYTES)); then
      trunc=true
      tail -c "$MAX_LOG_BYTES" -- "$dst" | drop_cut_head >"$dst.tmp" && mv -f -- "$dst.tmp" "$dst"
    fi
  elif ((tailcap)) && ((size > MAX_LOG_BYTES)); then
    trunc=true
    timeout "$TIMEOUT" tail -c "$MAX_LOG_BYTES" -- "$src" 2>/dev/null | drop_cut_head >"$dst" || rc=$?
  else
    timeout "$TIMEOUT" cat -- "$src" >"$dst" 2>/dev/null || rc=$?
  fi
  stamp end
  touch -r "$src" -- "$dst" 2>/dev/null || true
  ((rc == 0)) || err="read failed (exit status $rc)"
  seconds_between secs "$start" "$end"
  record file "$pathj" "$rc" "$secs" "$(file_size "$dst")" "$trunc" false "$err" "$extra"
}

is_private_key_name() {
  case "${1##*/}" in
    *.key | *-key.pem | *_key.pem | *.key.pem | *.p12 | *.pfx | *.jks | *.keystore | *.kdbx | *.ppk | *.age | *.agekey | \
      id_rsa | id_rsa.* | id_dsa | id_dsa.* | id_ecdsa | id_ecdsa.* | id_ed25519 | id_ed25519.* | *keyring*) [[ "$1" == *.pub ]] || return 0 ;;
  esac
  return 1
}

# etcd's data (a snapshot or a backup of it holds every Secret of the cluster), databases, and archives
# (their content cannot be searched on the node): never collected, whatever their folder
is_data_name() {
  case "/$1" in
    */member/snap/* | */member/wal/* | *.db | *.db-* | *.sqlite* | *.snap | *.wal | *.etcd | *.bak | *.backup | \
      *.tar | *.tar.* | *.tgz | *.tbz | *.tbz2 | *.txz | *.zip | *.7z | *.rar | *.xz | *.bz2 | *.zst | *.lz4 | *.lzma | *.Z | *.jar | *.war) return 0 ;;
  esac
  return 1
}

# kubespray's and the API server's static credential files (known_tokens.csv, known_users.csv,
# basic_auth.csv: every column a credential or a name), token and password files.
is_credential_file_name() {
  case "${1##*/}" in
    # the kubelet's image credential provider config (--image-credential-provider-config): which plugins serve which
    # registries, no credential; collected, and redacted as any other file
    *credential-provider-config.yaml | *credential-provider-config.yml | *credential-provider-config.json) return 1 ;;
    *.csv | *.csv.* | *.token | *.tokens | *.passwd | *.password | *htpasswd* | known_tokens* | known_users* | basic_auth* | *pgpass* | \
      .netrc | netrc | _netrc | .git-credentials | *credential* | *[Tt]oken* | *[Ss]ecret* | *[Pp]assw* | *PASSW* | *TOKEN* | *SECRET*) return 0 ;;
  esac
  return 1
}

# Valid UTF-8 without control characters: the names a manifest and a tarball can carry.
readonly NAME_OK_RE=$'^([\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf][\x80-\xbf]|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf][\x80-\xbf]|[\xf1-\xf3][\x80-\xbf][\x80-\xbf][\x80-\xbf]|\xf4[\x80-\x8f][\x80-\xbf][\x80-\xbf])*$'

# copy_tree DIR_REL [copy_file flags]: every file below ROOT/DIR_REL, links as links. A name with
# control characters (a newline, a tab) or bytes that are not UTF-8 is recorded, not collected.
copy_tree() {
  local dir=${1#/}
  shift
  [[ -d "$ROOT/$dir" ]] || return 0
  local f rel shown
  while IFS= read -r -d '' f; do
    rel=${f#"$ROOT"/}
    if ! [[ "$rel" =~ $NAME_OK_RE ]]; then
      shown=$(printf '%s' "/$rel" | tr -c ' -~' '?')
      record file "\"path\":$(json_str "$shown")" 0 0 0 false false "" \
        ',"skipped":"file name with control characters or bytes that are not UTF-8: not collected"'
      continue
    fi
    copy_file "$rel" "$@"
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
  local out="$BUNDLE/processes/cgroup.txt" start end n=0 p line secs
  stamp start
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
  stamp end
  seconds_between secs "$start" "$end"
  record file "\"path\":\"/proc/*/cgroup\",\"output\":\"processes/cgroup.txt\",\"processes\":$n" 0 \
    "$secs" "$(file_size "$out")" false false ""
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
    local aj rj
    jargv aj crictl "$@"
    jstr rj "$rel"
    record command "\"argv\":$aj,\"output\":$rj" 1 0 0 false false \
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
    local start end secs size out="$BUNDLE/$rel" from_md from_iso
    size=$(file_size "$ROOT/$f")
    from_md=$(date -d "@$SINCE_EPOCH" +%m%d%H%M%S)
    from_iso=$(date -d "@$SINCE_EPOCH" +%Y-%m-%dT%H:%M:%S)
    mkdir_for "$out"
    stamp start
    # Traditional "Mon dd hh:mm:ss" stamps have no year: compare month-day-time.
    # shellcheck disable=SC2016 # awk program, not shell
    timeout "$TIMEOUT" awk -v md="$from_md" -v iso="$from_iso" '
      BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " "); for (i = 1; i <= 12; i++) mon[m[i]] = sprintf("%02d", i) }
      keep { print; next }
      $1 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T/ { if (substr($1, 1, 19) >= iso) { keep = 1; print } ; next }
      ($1 in mon) { t = $3; gsub(":", "", t); k = mon[$1] sprintf("%02d", $2) t; if (k >= md) { keep = 1; print } }
    ' "$ROOT/$f" 2>/dev/null | tail -c "$((MAX_LOG_BYTES + 1))" >"$out" || true
    stamp end
    local trunc=false
    if (($(file_size "$out") > MAX_LOG_BYTES)); then
      trunc=true
      tail -c "$MAX_LOG_BYTES" -- "$out" | drop_cut_head >"$out.tmp" && mv -f -- "$out.tmp" "$out"
    fi
    seconds_between secs "$start" "$end"
    record file "\"path\":\"/$f\",\"size\":$size,\"window_since\":$SINCE_EPOCH" 0 "$secs" \
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

# The redaction rules, one declared list (docs/redaction.md is kept in sync with it by a test).
# Columns: rule, kind, trigger, what is redacted, what is kept. The trigger is a lower-case
# POSIX ERE (no intervals, [[:blank:]] for blanks): every rule acts only at a match of its
# trigger, so the union of the triggers (REDACT_TRIGGER) is what selects files and lines;
# a file or line that does not match it provably cannot match any rule. random-token's trigger
# (REDACT_RUNS: 16 characters of a run) is searched apart: one regex of both grows a DFA that makes
# grep 20 times slower.
redaction_rules() {
  cat <<'RULES'
private-key	PEM private key	private key|static key v1	a -----BEGIN ... PRIVATE KEY----- block to its END (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP PRIVATE KEY BLOCK, SSH2's ---- BEGIN ... ----, OpenVPN Static key V1), over lines or in one line with \n escapes; openssl's text dump of a private key (Private-Key: ..., then the hex lines under priv:, privateExponent:, prime1: to coefficient:, DH's private-key:); the base64 lines before an END whose BEGIN is not in the file (a log's tail cut inside a key)	certificates, public keys, the words "private key" in prose, a text dump's public numbers (modulus:, pub:, public-key:)
base64-private-key	base64 of PEM	ls0tls1	a base64 run that encodes a -----BEGIN block other than a certificate, public key or CRL, or holds an encoded PRIVATE KEY anywhere (a key after a certificate), with the lines it is wrapped over	base64 certificates (kubeconfig certificate-authority-data)
secret-field	key and value	@KEYWORDS@| (stdout|stderr) p |[{](plain|cleartext)[}]|loginmodule	the value of a key whose name holds a secret word (token, password, passwd, pass, pwd, pw, psk, otp (ending the name: REGISTRY_PW, db.pw, --db-pw, wpa_psk, TOTP), passphrase, secret, auth, credential(s), cookie, signature, *_key, *Key, api-key, access-key, secret-key, private-key, certificate-key, client-key-data, ...; and credential files' names as keys, a ConfigMap's userlist.txt (pgbouncer) and .pgpass), also with more name after it (SECRET_KEY_BASE, DB_PASSWORD_2): YAML, JSON (also escaped JSON, and a value on the next line), TOML (also triple-quoted over lines), INI and key=value (at a line's start to its end), XML elements (and <Password><Value>X</Value>), XML name and value attributes (<entry key="db.password">X</entry>, <add key="DbPassword" value="X"/>, <property name="password" value="X"/>), Go dumps ({Password:X}, Password:"X", map[password:X]), => pairs, key VALUE (requirepass, netrc, BGP's neighbor PEER password X), auth USER:X (haproxy, Fluent Bit), PASSWORD 'X'; quoted values to their closing quote (escaped quotes included), unquoted ones to white space or the end of the enclosing string, YAML values to the end of the line, flow mappings to , or }, a Cookie header to its end; a password, a token or kubeadm's certificate key printed alone on the line after one announcing it; bindPW, olcRootPW; \u0022 and &quot; as quotes; echo X | docker login --password-stdin; the word echoed or printed into a file named for a secret (echo X > /etc/rancher/k3s/db-pass, | sudo tee .../token; not a .log, .pid or .lock) or into --from-file=password=/dev/stdin; SQL's PASSWORD('X'); a password stored in clear, {PLAIN}X and {CLEARTEXT}X (Dovecot); iscsiadm's -n ...password -v X; an annotation's prefixed key (backup.velero.io/restic-password: X), MongoDB's "pwd":"X", a dotted property with no blank (spring.datasource.password:X), PHP's define('DB_PASSWORD', 'X') and any call of a secret's name and its value (headers():add("x-api-key", "X"), os.Setenv("DB_PASSWORD", "X")), Honeycomb's x-honeycomb-team, Grafana's secureJsonData block, Go's http.Header dumps (map[X-Api-Key:[X]]), protobuf text password:\"X\" (etcd's request stats), SNMP's community: X, a file's lines logged in a JSON string (...\nrequirepass X\n...), a Google app password's four groups (password=abcd efgh ijkl mnop); a token announced created (Access token was successfully created: X); a heredoc's lines (HCL's password = <<EOF ... EOF); a network device's enable secret 0 X and username U password 7 X; keys and values cut between a CRI partial (P) record and the next record of its stream (one of the other stream, or an empty one, may come between) and between docker json-file records cut at 16 KiB; a key's value after a column of blanks (Vault's tables, fluent-bit's apikey), fluentd's pass X, Vault's secret_id; Vault's Unseal Key N (hex): X, Nomad's and Consul's Secret ID = X; Redis Sentinel's sentinel auth-pass MASTER X; SQL's SET PASSWORD [FOR u] = 'X' and T-SQL's PASSWORD = N'X'; the second string of auth's call or tuple (db.auth('u', 'X'), auth=('u', 'X'), HTTPBasicAuth("u", "X")); a JAAS login module's user database (user_NAME="X": Kafka, ZooKeeper), over its lines; every value of an object of secrets (Consul's acl tokens { agent = "X" }, "tokens": {"default": "X"}), over its lines; a bracketed name's value ($db['default']['password'] = 'X', ENV["DB_PASSWORD"] = "X"); a quoted value after a blank (nginx's set $api_token "X";); a salt's value (WordPress's NONCE_SALT); a dotted api.key= (algolia.api.key, -Ddd.api.key) and .NET's Jwt:Key=X; Go's byte slices (Password:[]uint8{...}); an Erlang term's {default_pass, <<"X">>}; consul kv's path/db_password:X; URL-encoded JSON (%22password%22%3A%22X%22); curl -v's > header: X and a header after an escaped line end (an HTTP dump in a JSON string)	the key; empty, true/false/null, placeholders (${VAR}, $(VAR), $VAR in capitals, <none>, ***, a kubeconfig's JSONPath '{.credential.access_token}', a Go pointer 0xc000a1b2c0), numbers of up to 5 digits, file paths of *key fields and of files of credentials named (--askpass FILE, credentials=FILE, LoadCredential=ID:FILE), a pwd that is a directory, etcd's --auth-token=simple and --initial-cluster-token; keys with no value; names that go on with a harmless word (secretName, tokenTTL, passwordMinLength, *_file, hostKeyFingerprint, tokenRequests), identifier keys (snapshotKey, partitionKey), a bare key: unless its value looks like a key (mixed case and digits, or 32 hex digits and more: Datadog's api: key:); words like "token bucket", "*v1.Secret:"; kubectl describe secret's sizes (password:  16 bytes), a reference to another setting ($dex.github.clientSecret), a Helm chart's existingSecret and passwordKey: postgres-password (names), masks ({password=<masked>}), gen_salt('bf'), openssl's -salt
secret-flag	command-line flag	@KEYWORDS@	the value of --flag=VALUE, --flag VALUE and JSON ["--flag", "VALUE"] and a shell-quoted '--flag' 'VALUE' (k3s's unit file) (also on the next line: a JSON or YAML list item, a word alone at the flag's indentation as describe prints Args:, the next line's first word after a backslash) for flags ending in a secret word (--token, --password, --api-key, --secret-key, --requirepass, --masterauth, --s3-secret, --passwd, --oidc-client-secret, --certificate-key), and Vault's --secret-id; a YAML flow list's next item (args: [--cookie-secret, X]); the word a --password-command echoes (restic's 'echo X')	flags whose name goes on after the word (--token-ttl=24h, --service-account-key-file=...)
secret-block	YAML block scalar	@KEYWORDS@	every line under a secret key whose value is a block scalar (agent-token: | then the value), also in a log's messages; the scalar items of a list under a secret key (clientSecrets: then - X)	the key line
authorization-header	HTTP header	authorization	the credentials after Authorization: / Authorization = ["..."] (the scheme word is kept), anywhere in a line	the scheme (Basic, Bearer, ...); a placeholder (Bearer <masked>, client-go's)
bearer-token	bearer token	bearer	a token of 16 or more characters after "Bearer"	"bearer tokens" in prose
basic-credentials	basic credentials	basic	base64 of 8 or more characters (a multiple of 4, not all lower-case letters) after "Basic"	"basic authentication" in prose
jwt	JSON web token	eyj	header.payload.signature of a JWT (eyJ...)	
bootstrap-token	kubeadm bootstrap token	[a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][.][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9]	a stand-alone [a-z0-9]{6}.[a-z0-9]{16} with a digit	file and host names that only look alike (letters only, or part of a longer name)
url-credentials	credentials in a URL	/reset/|/activate/|/confirm/|://|%3a%2f%2f|%253a%252f%252f|:[\\]/[\\]/|[^[:blank:]/@'"]@[a-z0-9]	the password of scheme://user:password@host (a raw @, # or ? in the password included), or a user-only token of 16 or more characters; also URL-encoded, once or twice (%3A%2F%2F, %253A%252F%252F: a URL in a query parameter of a logged URL), and with JSON-escaped slashes (:\/\/); in a CRI partial (P) record that ends inside the authority (the runtime cut user:pa|ss@host), from the colon to the record's end; user:password@host with no scheme (a DSN, a proxy setting, mysqlsh --uri) when the password looks like one (6 or more characters, letters with a digit or a sign); a mail address's password, user@example.com:password (SMTP_LOGIN=, a sasl_passwd line), when it looks like one and is no path or prompt; the token segments of a password reset's or an activation's link (Django's /reset/<uidb64>/<token>/)	scheme, user name, host; e-mail addresses, image digests (name:tag@sha256:...), user:word@host with a word that does not look like a password; a password masked by the program that logged it (user:***@host)
env-value	container environment	envs?\\*"?[[:blank:]]*:[[:blank:]]*\[?|environment:|\\*"name\\*"[[:blank:]]*:[[:blank:]]*\\*"[a-z_][a-z0-9_.-]*\\*"[[:blank:]]*,[[:blank:]]*\\*"value\\*"[[:blank:]]*:[[:blank:]]*|@KEYWORDS@|[.]value=	values of env arrays (crictl/docker inspect "NAME=value", name/value objects), YAML env: blocks and name/value pairs, except well-known harmless names (PATH, HOME, KUBERNETES_*, *_SERVICE_HOST, *_PORT, *VERSION, JAVA_OPTS, ...), whose values the other rules still read (JAVA_OPTS=-Dx.password=X); name/value pairs outside env blocks when the name holds a secret word (- name: DB_PASSWORD / value: X) or, in JSON objects and helm --set (env[0].name=X,env[0].value=Y), is an upper-case variable (a YAML pair outside env: with an upper-case name alone, a Tekton param STRIPE_SK, is not: no trigger finds it); env items in flow style and on one line (- {name: N, value: X}, env: [{...}], "env":["N=V"], a JSON object value first); a value on the line after value:; kubectl describe's Environment: block and a compose file's environment: list or map (references such as <set to the key 'k' in secret 's'> kept); comments inside an env list; a YAML value: line to its end (a probe header's value: Bearer X, kubeadm's extraEnvs), an env item written value first	names; harmless variables
secret-manifest-data	Kubernetes Secret	kind\\*"?[[:blank:]]*:[[:blank:]]*\\*"?secret|stringdata	in a file holding kind: Secret (or SecretList), wherever in the file, every value under data: and stringData: (under any key, base64 wrapped over lines, block scalars, a list at data:'s indentation, data: with a comment or an anchor, a flow mapping data: {k: v}, comments inside), in YAML and JSON (also one-line and escaped JSON), also as a log's messages (CRI, kubectl logs --timestamps, docker json-file and journal lines: their indentation read after the prefix); an audit event's data and stringData objects on secrets (objectRef resource secrets, no kind in the line); the values of an external-secrets SecretStore's fake provider (its data: list)	the keys; ConfigMaps in files with no Secret, and those whose kind: comes before their data: (written by hand); SecretStore, SecretProviderClass and other kinds named Secret...
registry-header	registry headers	\.headers?\]|headers?[[:blank:]]*=[[:blank:]]*[{]	every value of a TOML [... .headers] or [... .header] table, and of an inline header = { ... } table (containerd registry headers, certs.d hosts.toml: Authorization, X-API-Key, X-Auth-Token, PRIVATE-TOKEN, ...)	header names
tool-password	command-line password	set-agent-token|jnlp[.]main|net[[:blank:]]+use|pdo->__construct[(]|mysqli->__construct[(]|mysqli_connect[(]|mysql|mariadb|redis-cli|ctr|mc[[:blank:]]+(admin[[:blank:]]+user[[:blank:]]+add|alias[[:blank:]]+set|config[[:blank:]]+host[[:blank:]]+add)|[[:blank:]]on[[:blank:]]+>|acl[[:blank:]]+setuser|sshpass|curl|htpasswd|lftp|smbclient|ldap[a-z]*|docker|podman|nerdctl|helm|skopeo|buildah|vault|etcdctl|mongo|zip|unzip|openssl|rabbitmqctl|sqlplus|identified[[:blank:]]+(with[[:blank:]]+[a-z0-9_]+[[:blank:]]+)?by|thin:|ipmitool|az|cqlsh|rabbitmqadmin|valkey-cli|7z|7za|unrar|crane|oras|sqlcmd|bcp|rdesktop|ssh-keygen|snmp[a-z]*|nmcli|wpa_passphrase|mkpasswd|@tcp[(]|@unix[(]|[|][[:blank:]]*(chpasswd|passwd|sudo|cryptsetup|kinit)|[ "'\[,]-(-user|[pauwUkncx])|from-literal=|convertto-securestring|[[:blank:]]/p(ass(word)?)?:|createuser[[:blank:]]	mysql/mariadb -p<pw> and -p <pw>, sshpass -p <pw>, redis-cli -a <pw> and AUTH [user] <pw>, curl and etcdctl -u/--user user:<pw>, lftp -u user,<pw>, smbclient -U user%<pw>, ldapsearch (and ldap*) -w <pw>, docker/podman/nerdctl/helm/skopeo/buildah login -p <pw>, vault login <token>, htpasswd -b's password argument, mongo/mongosh -p <pw>, zip/unzip -P <pw>, openssl -k <pw>, rabbitmqctl add_user/change_password, sqlplus and jdbc:oracle:thin user/<pw>@db, IDENTIFIED [WITH plugin] BY '<pw>', ipmitool -P, az/cqlsh/rabbitmqadmin -p, valkey-cli -a, 7z/unrar -p<pw>, crane/oras login -p, sqlcmd/bcp -P, rdesktop -p, ssh-keygen -N, snmp* -A, -X and -c (the community), any command's -u USER -p X and -U USER -P X (racadm, an exporter's OPTS, isql; not a number, port mapping, path, variable or option), sqlplus user/X with no @db, a Redis ACL's passwords (user NAME on >X in users.acl or redis.conf, ACL SETUSER NAME >X), MinIO's mc admin user add ALIAS USER X and mc alias set ALIAS URL KEY X, ctr --user USER:X, rabbitmqctl authenticate_user USER X, nmcli's password and wifi-sec.psk values, wpa_passphrase's passphrase, openssl passwd's and mkpasswd's password argument, etcdctl user add user:<pw>, vault operator unseal <key>, Go's user:<pw>@tcp(host) DSN, every --from-literal=KEY=VALUE of kubectl create secret, lftp -e 'user U X', snmpd.conf's createUser U SHA X AES Y, OSPF's message-digest-key N md5 X, PowerShell's ConvertTo-SecureString X, Windows tools' /p:X, /pass:X and /password:X (xfreerdp, cmdkey), the word echoed or printed into chpasswd (after user:), passwd --stdin, sudo -S, cryptsetup, kinit or a --password-stdin, in ps lines, in JSON argument arrays and in lists of one argument a line (a YAML command:, describe's Command: and Args:, also as a log's messages), and over lines continued with a backslash; consul acl set-agent-token TYPE X, the secret of Jenkins' inbound agent (jnlp.Main's 64 hex digits), Windows' net use DRIVE SHARE X /user:U, PHP's PDO->__construct's and mysqli's third string (a stack trace's arguments)	-p, -a, -u of other commands; curl -u user without a password
password-prose	password in prose	api[[:blank:]]key|invalid[[:blank:]]user|비밀번호|암호|패스워드|passwort|kennwort|mot de passe|motdepasse|contraseña|contrasena|senha|パスワード|密码|密碼|口令|пароль|Пароль|ПАРОЛЬ|wachtwoord|hasło|haslo|şifre|sifre|lösenord|losenord|salasana|passord|adgangskode|heslo|jelszó|jelszo|mật[[:blank:]]khẩu|mat[[:blank:]]khau|kata[[:blank:]]sandi|kata[[:blank:]]laluan|parola|parolă|κωδικός|Κωδικός|ΚΩΔΙΚΟΣ|รหัสผ่าน|كلمة[[:blank:]]المرور|كلمة[[:blank:]]السر|סיסמה|पासवर्ड|токен|Токен|令牌|トークン|토큰|密钥|密鑰|액세스[[:blank:]]키	the word after a password word in prose, in English (password, passwd, passphrase, pw, api key), Korean (비밀번호, 암호, 패스워드), Japanese (パスワード), Chinese (密码, 密碼, 口令), Russian (пароль), German, French, Spanish, Portuguese, Dutch, Polish, Turkish, Swedish, Finnish, Norwegian, Danish, Czech and Hungarian, joined to it by a colon (also full-width), =, a particle (는, 은, は, 为, 是), is / ist / est / es / è, "for USER is", "for USER:" (up to four words: for the elastic built-in superuser is), "reset to" or "set to", or after "with password", "new password" and the like, when it looks like a password: 6 or more characters, letters with a digit or a sign; such a word as a name (DB_PASSWORT=X, db_senha=X, {"пароль":"X"}, motDePasse: X): its value as a secret-field's; also in Vietnamese, Indonesian and Malay, Thai, Arabic, Greek, Romanian, Hebrew and Hindi, the words for token and key in Russian, Chinese, Japanese and Korean (Токен доступа: X, 访问令牌：X, アクセストークン: X), with a word qualifying it (Contraseña temporal: X, Passwort neu: X) or of user X (A senha do usuário admin é X, Пароль пользователя admin: X); MySQL's A temporary password is generated for root@localhost: X (to the line's end); sshd's invalid user X when X is a password typed as the name (8 or more characters: a sign, letters and digits, or both cases and digits)	words of the sentence (the password is incorrect, expired, stored in ...), placeholders, values of fewer than 6 characters; the names scanners try at sshd (admin, oracle, user123)
base64-encoded-secret	secrets inside base64	@SIGS@	a base64 run that, decoded once or twice, holds password, passwd, secret, token, "auth", auths, Authorization, Bearer or PRIVATE KEY (matched by their encoded forms at every alignment)	base64 that holds none of them
vendor-token	vendor API token	xox[abposre]-|xapp-|gh[pousr]_|github_pat_|glpat-|glrt-|glptt-|gldt-|glsa_|aiza|sk_live_|rk_live_|sk_test_|rk_test_|sk-proj-|sk-ant-|hf_|npm_|sg[.]|dop_v1_|dckr_pat_|hvs[.]|tskey-|shpat_|pypi-|atatt3|nrak-|pmak-|sntrys_|lin_api_|age-secret-key-1|dt0c01[.]|hooks[.]slack[.]com/|/api/webhooks/|/incomingwebhook/|telegram[.]org/bot|hc-ping[.]com/|events[.]pagerduty[.]com/integration/	a stand-alone Slack (xoxb-, xoxe-, xapp-), GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab (glpat-, glrt-), Google API (AIza...), Stripe (sk_live_, rk_live_), OpenAI (sk-proj-), Anthropic (sk-ant-), Hugging Face (hf_), npm (npm_), SendGrid (SG.x.y), DigitalOcean (dop_v1_), Docker Hub (dckr_pat_), Vault (hvs.), Tailscale (tskey-), Shopify (shpat_), PyPI (pypi-), Atlassian (ATATT3), New Relic (NRAK-), Postman (PMAK-), Sentry (sntrys_), Linear (lin_api_), Grafana (glsa_), Stripe test (sk_test_, rk_test_), Dynatrace (dt0c01.) token of 20 or more characters, an age secret key (AGE-SECRET-KEY-1...), and the secret path of a Slack, Discord or Teams webhook URL, of a Healthchecks ping URL (hc-ping.com/UUID) and of a PagerDuty integration URL, and a Telegram bot's token	the prefixes in prose
base64-gzip-blob	gzip inside base64	h4si	a base64 run of 40 or more characters that encodes gzip data (H4sI...): it cannot be vouched for on the node	
random-token	random token	[a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-][a-z0-9+/_-]	a run of 16 or more characters of letters, digits, +, /, _ and - (and = padding) that looks random: upper- and lower-case letters with fewer than 6 in 10 of its characters in words (a capital and 3 or more small letters: camelCase, paths); or 20 or more lower-case letters and digits with no separator, in 3 or more groups of digits; lower case and hex after a vendor's prefix (Sonar squ_, Supabase sbp_, Buildkite bkua_, Pulumi pul-, Linear lin_oauth_, Shopify shpss_, Honeycomb hcaik_, Databricks dapi, Mailgun key-, Mailchimp <hex>-usN, PostgreSQL md5<hex>) and the first part of a Terraform Cloud token (<14>.atlasv1.<67>). A run with / (or over 512 characters) is judged by its pieces between /: only a span of random-looking pieces with one of 10 or more of mixed case is redacted (a URL's path stays). A run on a line of bare base64 in line mode sends the file to full mode, where PEM certificate blocks are known	hex of any length (container, sandbox and image ids, digests, hashes, UUIDs), digests after SHA256: and the like (ssh key fingerprints), ssh public keys, kubelet CSR names (node-csr-...), camelCase and words, lower-case names with separators (pod, node and image names), Oracle Cloud ids (ocid1.subnet.oc1...), upper case and digits (AWS key ids, iptables chains), base64 of a PEM certificate, public key or CRL (kubeconfig certificate-authority-data), the body of a PEM certificate, public key or CRL block (on its line, and bare base64 lines after it to its END: any other line ends it)
credential-file	withheld file	(file name)	files never collected: *.key, *-key.pem, *.p12, *.pfx, *.jks, *.keystore, *.kdbx, *.ppk, *.age, id_rsa and the like, keyrings, every *.csv (kubespray known_tokens.csv, known_users.csv, basic_auth.csv), *.token, *.passwd, *htpasswd*, *pgpass*, netrc, and outside the logs any file whose name holds token, secret, passw or credential (but the kubelet's *credential-provider-config.yaml, which names no credential); etcd data, databases and archives (*.db, member/snap, *.tar*, *.zip, *.xz, *.bz2, ...); files of configuration over 16 MiB	
known-value	value redacted elsewhere	(the values redacted)	every other occurrence, in any file of the bundle, of a value a rule redacted: the same password echoed, passed to a tool no rule knows or logged (of every rule but the shape-only ones, random-token and base64's, values of 8 or more characters that are not a name, a path, a URL, an image, a number, an address, hex or a UUID, or letters only; of env-value's, which redacts every variable not known to be harmless, only those with digits and letters of both cases or 16 characters long, without / : @ , or blanks)	values shorter than 8 characters, names, paths, URLs, images, numbers, hex and letters-only words, PEM armour (-----BEGIN), fingerprints (SHA256:...) and masks (********) (found where they are no secret)
final-scan	withheld file	(after packing)	a file outside the logs that is binary (a NUL byte) or archive data by its first bytes, before any rule; after packing, a file whose name holds a secret, a link whose target holds one, a gzip file whose content matches a rule or is binary, a file whose redaction failed or took longer than the per-file bound: withheld, with the reason in manifest.json and the report	
RULES
}

readonly REDACT_KEYWORDS='bindpw|rootpw|userlist|pgpass|community|honeycomb-team|securejsondata|token|tokens|password|passwords|passwd|pass|passcode|pswd|psw|pwd|pw|psk|otp|passphrase|secret|secrets|auth|authorization|proxy-authorization|credential|credentials|creds|cookie|user|encrypt|signature|sig|unseal[[:blank:]]+key|secret[[:blank:]]+id|recovery[[:blank:]]+key|[-_]key|[-_]salt|[a-z]key|key[[:blank:]]*[:=]|(api|access|private|certificate|encryption|account|master|signing|shared|secret|session|client|license|app)[-_]?key([-_]?data)?|key-?data'
# Base64 of the secret words at each alignment, once and twice encoded (generated and checked by
# tests/test_redaction.py); KSIGS: "PRIVATE KEY" encoded once.
readonly REDACT_SIGS='0b2tlb 3WVhOemQy 3WVhOemQyOXla 5GUTFKRl 5sWTNKbG 6WldOeVpY BBU1NXT1JE BSSVZBVEUgS0VZ BdXRob3JpemF0aW9u Bhc3N3Z Bhc3N3b3Jk BiMnRsY CQlUxTlhUMUpF CU1NWWkJWRVVnUzBWW CZFhSb2IzSnBlbUYwYVc5d CZWFyZXIg CaGMzTjNa CaGMzTjNiM0pr DWldGeVpYSW F1dGhvcml6YXRpb2 F1dGhz FRVk5UVjA5U1 FVa2xXUVZSRklFdEZX FYVjBhRzl5YVhwaGRHbHZi FZWE56ZDI5eV FtVmhjbVZ5S GMWRHaH GMWRHaHZjbWw2WVhScGIy ImF1dGgi J2YTJWd JCVTFOWFQxSk JQUzBWT JTU1ZaQlZFVWdTMFZa JbUYxZEdna JhdXRoI JkWFJvYjNKcGVtRjBhVzl1 JlYXJlci JoYzNOM1 JoYzNOM2IzSm KaGRYUm9J KbFlYSmxja MGIydGxi MyVmpjbVYw NFQ1JFV NHRnpjM2R2Y2 NHRnpjM2Rr NaV0Z5WlhJZ NlY3Jld ORlExSkZW ObFkzSmxk Q1pXRnlaWEln QQVNTV09SR QUklWQVRFIEtFW QXV0aG9yaXphdGlvb QYXNzd29yZ QkJVMU5YVDFKR QlNTVlpCVkVVZ1MwVl QmRYUm9iM0pwZW1GMGFXOX QmVhcmVyI QmhjM04zW QmhjM04zYjNKa RHOXJaV RPS0VO RSVU5TUl RUVZOVFYwOVNS RVWtsV1FWUkZJRXRGV RWFYwYUc5eWFYcGhkR2x2Y RWVhOemQyOXla RaV055Wl RbVZoY21WeU RjFkR2h2Y21sNllYUnBiM RjFkR2h6 Rva2Vu SUFMwVk SW1GMWRHZ2 SdmEyVn SmhkWFJvS SmxZWEpsY2 TRUNSRV TZWNyZX TkZRMUpGV TmxZM0psZ U0VDUkVU U2VjcmV0 UEFTU1dPUk UFJJVkFURSBLRV UGFzc3dvcm UT0tFT UUlVOU1JW UVFWTlRWMDlTU UVVrbFdRVlJGSUV0Rl UVhWMGFHOXlhWHBoZEdsdm UVlYTnpkMjl5W UW1WaGNtVnlJ UWldOeVpY Ub2tlb UlBTMFZP UnZhMlZ1 UwVkRVa1ZV UyVmpjbVYw VE9LRU VFJVTlNSV VFRlRVMWRQVW VFpXTnlaW VG9rZW VGSkpWa0ZVUlNCTFJW VHRnpjM2R2Y2 VMFZEVWtWV VMlZqY21WM VR0Z6YzNkdmNt VRUZUVTFkUFVr VRkpKVmtGVVJTQkxSV VTBWRFVrVl VTJWamNtVj VUMHRGV VUVGVFUxZFBVa VUZKSlZrRlVSU0JMUl VUdGemMzZHZjb VVDB0Rl VVQwdEZU VWIydGxi VYjJ0bG ViMnRsY VkU5TFJV Vkc5clpX WRTlMUl WRzlyWl WVhWMGFHOXlhWHBoZEdsdm WVhWMGFI WW1WaGNtVnlJ Y0dGemMzZG Y0dGemMzZHZjb YXV0aG9yaXphdGlvb YXV0aH YmVhcmVyI YxZEdodmNtbDZZWFJwYj YxZEdoe YzJWamNtVj ZEc5clpX ZFOUxSV ZHOXJaV ZWFYwYU ZWFYwYUc5eWFYcGhkR2x2Y ZbVZoY21WeU aGRYUm9iM0pwZW1GMGFXOX aGRYUm9j aVlYVjBhQ aVpXRnlaWEln c2VjcmV0 cGFzc3dk cGFzc3dvcm d1lYTnpkM d1lYTnpkMjl5W dG9rZW dZWE56ZD dZWE56ZDI5eV elpXTnlaW hdXRob3JpemF0aW9u hdXRoc hkWFJvY hkWFJvYjNKcGVtRjBhVzl1 iYXV0aC iZWFyZXIg jMlZqY21WM jR0Z6YzNka jR0Z6YzNkdmNt kRzlyWl lYVjBhRzl5YVhwaGRHbHZi lYVjBhS lZWFYwYU laV0Z5WlhJZ ltRjFkR2dp ltVmhjbVZ5S oZFhSb2 oZFhSb2IzSnBlbUYwYVc5d pWVhWMGFD pWldGeVpYSW paV055Wl poZFhSb0 psWVhKbGNp wYXNzd2 wYXNzd29yZ wYjJ0bG zZWNyZX'
readonly REDACT_KSIGS='BSSVZBVEUgS0VZ QUklWQVRFIEtFW UFJJVkFURSBLRV'
REDACT_TRIGGER=""
REDACT_RUNS='[A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-][A-Za-z0-9+/_-]'
REDACT_PROGF=""   # the program's file: awk -f (as an argument it would pass Linux's 128 KiB bound on one argument)
REDACT_NULSAFE=1
REDACT_BOUND=120  # seconds per file; set from --timeout in main
REDLINES=""       # "file<TAB>line<TAB>rule" for every change
VALUES=""         # the values redacted (known() in the engine), looked for again in the whole bundle
KNOWN_MAX=500     # at most this many of them, the longest (grep -F of 500 words: about 1 s per 100 MB)
WITHHELD=""       # "file<TAB>reason"

# redact_alts: each line of stdin, a regex, split into its top-level alternatives, one a line, each once
redact_alts() {
  awk '{
    n = length($0); d = 0; cur = ""
    for (i = 1; i <= n + 1; i++) {
      c = (i <= n) ? substr($0, i, 1) : "|"
      if (c == "\\" && i < n) { cur = cur c substr($0, i + 1, 1); i++; continue }
      if (c == "[") { j = i + 1; if (substr($0, j, 1) == "]") j++; while (j <= n && substr($0, j, 1) != "]") { if (substr($0, j, 2) == "[:") { j = index(substr($0, j + 2), ":]") + j + 3 } else j++ } cur = cur substr($0, i, j - i + 1); i = j; continue }
      if (c == "(") d++
      if (c == ")") d--
      if (c == "|" && d == 0) { if (!(cur in seen)) { seen[cur] = 1; print cur } cur = ""; continue }
      cur = cur c
    }
  }'
}

# redact_parts RE: RE's top-level alternatives grouped into regexes of at most 800 bytes, one a line. mawk 1.3.3
# (Debian 10, Ubuntu 18.04) copies a program's regex or string literal into a buffer of about 2 KB (1 KB on 32-bit)
# without a bound, and crashes past it: the engine's long regexes are written as several literals
redact_parts() {
  printf '%s\n' "$1" | redact_alts | awk '{ if (c != "" && length(c) + length($0) >= 800) { print c; c = "" } if (c != "") c = c "|"; c = c $0 } END { if (c != "") print c }'
}

# redact_strlit S: S (no " or \) as awk string literals of at most 800 bytes, concatenated
redact_strlit() {
  local s=$1 out=""
  while ((${#s} > 800)); do out+="\"${s:0:800}\" "; s=${s:800}; done
  printf '(%s"%s")' "$out" "$s"
}

redact_build() {
  local t re="" prog
  while IFS=$'\t' read -r _ _ t _; do
    [[ "$t" == "("* || "$t" == "${REDACT_RUNS//A-Za-z/a-z}" ]] && continue
    t=${t//@KEYWORDS@/$REDACT_KEYWORDS}
    t=${t//@SIGS@/${REDACT_SIGS// /|}}
    re+="${re:+|}$t"
  done < <(redaction_rules)
  # one copy of each top-level alternative (mawk 1.3.4 mis-splits on long repeated alternations)
  REDACT_TRIGGER=$(printf '%s\n' "$re" | tr '[:upper:]' '[:lower:]' | redact_alts | awk '{ o = o s $0; s = "|" } END { print o }')
  # the engine's own anchors: the triggers with the three unbounded ones cut to a prefix they all
  # start with (the handlers match the rest), so no anchor is longer than the scan's 64-byte overlap
  local anchor=$REDACT_TRIGGER
  anchor=${anchor//'envs?\\*"?[[:blank:]]*:[[:blank:]]*\[?'/'envs?\\*"?[[:blank:]:]'}
  anchor=${anchor//'kind\\*"?[[:blank:]]*:[[:blank:]]*\\*"?secret'/'kind\\*"?[[:blank:]:]'}
  anchor=${anchor//'\\*"name\\*"[[:blank:]]*:[[:blank:]]*\\*"[a-z_][a-z0-9_.-]*\\*"[[:blank:]]*,[[:blank:]]*\\*"value\\*"[[:blank:]]*:[[:blank:]]*'/'\\*"name\\*"'}
  # the rules write blanks [[:blank:]]; awks without POSIX classes (mawk 1.3.3: Debian 10, Ubuntu 18.04) read that
  # as a set of letters, so the engine and grep get a space and a tab instead
  REDACT_TRIGGER=${REDACT_TRIGGER//'[:blank:]'/$' \t'}
  anchor=${anchor//'[:blank:]'/$' \t'}
  prog=$(redact_awk)
  t=$(redaction_rules | awk -F'\t' '$1 == "password-prose" { print $3 }')
  prog=${prog//@PROSE@/"${t//'[:blank:]'/$' \t'}"}
  # busybox awk ends a regex literal at any /, even in brackets
  local c any="" first="" long=""
  while IFS= read -r c; do any+="${any:+ || }L ~ /${c//\//\\/}/"; done < <(redact_parts "$REDACT_TRIGGER")
  prog=${prog//'L ~ /@ANCHOR@/'/"($any)"}
  while IFS= read -r c; do
    c=${c//\//\\/}
    first+="if (match(s, /$c/) && (!b || RSTART < b)) b = RSTART; "
    long+="if (match(s, /^($c)/) && RLENGTH > l) l = RLENGTH; "
  done < <(redact_parts "$anchor")
  prog=${prog//@SCANFIRST@/"$first"}
  prog=${prog//@SCANLONG@/"$long"}
  prog=${prog//@RUNS@/"${REDACT_RUNS//\//\\057}"}
  prog=${prog//'"@SIGS@"'/"$(redact_strlit "$REDACT_SIGS")"}
  prog=${prog//'"@KSIGS@"'/"$(redact_strlit "$REDACT_KSIGS")"}
  REDACT_PROGF="$STAGE/redact.awk"
  printf '%s\n' "$prog" >"$REDACT_PROGF"
  # busybox awk cuts a line at a NUL byte: such files go through awk with NUL as \001
  # (mawk keeps the byte but its regex matching stops there)
  [[ "$(printf 'a\000b pass\n' | awk '{ l = tolower($0); print length(l), (l ~ /pass/), split(l, a, /pass/) }' 2>/dev/null)" == "8 1 2" ]] || REDACT_NULSAFE=0
  REDLINES="$STAGE/redlines.tsv"
  WITHHELD="$STAGE/withheld.tsv"
  VALUES="$STAGE/values.txt"
  : >"$VALUES"
  : >"$REDLINES"
  : >"$WITHHELD"
}

# The engine's self-test: two small files whose redaction is known, one read line by line and one whole (a
# Secret), run through redact_file at start with the awk first on PATH. An awk that fails it (it crashes,
# refuses the program, or redacts otherwise: an old or unknown awk) is not used; the first of gawk, mawk,
# busybox awk, nawk and original-awk that passes is, through a link named awk first on PATH. When none
# passes, every file with a line the rules would read is withheld (REDACT_BROKEN): redaction fails closed.
# tests/test_redaction.py checks the expected outputs against the engine with each awk.
REDACT_TEST_LINE=$'-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAselftestkeybody0\n-----END RSA PRIVATE KEY-----\nDB_PASSWORD=SelfTst2pw\n{"level":"info","user":"a","token":"SelfTst3tk"}\nurl: postgres://app:SelfTst4pw@db:5432/x\n2024-03-01T10:00:00.000000000Z stdout F run --Password SelfTst5pw --api-key=SelfTst6pw ok\nAuthorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWxmdGVzdCJ9.c2lnbmF0dXJlMTIzNDU2Nzg\nimage sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef pulled\n'
REDACT_TEST_LINE_OUT=$'KUBESNAP-REDACTED\nDB_PASSWORD=KUBESNAP-REDACTED\n{"level":"info","user":"a","token":"KUBESNAP-REDACTED"}\nurl: postgres://app:KUBESNAP-REDACTED@db:5432/x\n2024-03-01T10:00:00.000000000Z stdout F run --Password KUBESNAP-REDACTED --api-key=KUBESNAP-REDACTED ok\nAuthorization: Bearer KUBESNAP-REDACTED\nimage sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef pulled\n'
REDACT_TEST_FULL=$'apiVersion: v1\nkind: Secret\nmetadata:\n  name: selftest\ndata:\n  user: YWRtaW4=\n  tls.key: |\n    LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t\n    U2VsZlRzdDdrZXk=\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  mode: production\n'
REDACT_TEST_FULL_OUT=$'apiVersion: v1\nkind: Secret\nmetadata:\n  name: selftest\ndata:\n  user: KUBESNAP-REDACTED\n  tls.key: |\n    KUBESNAP-REDACTED\n    KUBESNAP-REDACTED\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  mode: production\n'
REDACT_AWK="unknown" # what the awk that runs the engine says it is (its version line), for the manifest
REDACT_ENGINE="awk" # the awk the engine runs with: the first on PATH, or the one that passed the self-test instead
REDACT_BROKEN=0

redact_selftest() {
  local d="$STAGE/selftest" rc=0
  rm -rf -- "$d"
  mkdir -p -- "$d"
  printf '%s' "$REDACT_TEST_LINE" >"$d/line"
  printf '%s' "$REDACT_TEST_FULL" >"$d/full"
  printf '%s' "$REDACT_TEST_LINE_OUT" >"$d/line.want"
  printf '%s' "$REDACT_TEST_FULL_OUT" >"$d/full.want"
  local save_l=$REDLINES save_w=$WITHHELD save_v=$VALUES save_b=$REDACT_BOUND
  REDLINES="$d/redlines" WITHHELD="$d/withheld" VALUES="$d/values" REDACT_BOUND=20
  : >"$REDLINES"
  : >"$WITHHELD"
  : >"$VALUES"
  redact_file "$d/line" line >/dev/null 2>&1 || true
  redact_file "$d/full" full >/dev/null 2>&1 || true
  REDLINES=$save_l WITHHELD=$save_w VALUES=$save_v REDACT_BOUND=$save_b
  { cmp -s -- "$d/line" "$d/line.want" && cmp -s -- "$d/full" "$d/full.want"; } || rc=1
  rm -rf -- "$d"
  return "$rc"
}

# awk_identity: the first line in which the awk first on PATH names itself and its version (mawk 1.3.4 20200120,
# GNU Awk 5.2.1, awk version 20220912, BusyBox v1.36.1), or "unknown"
awk_identity() {
  local out
  out=$({ timeout 2 awk --version; timeout 2 awk -W version; } </dev/null 2>&1 |
    grep -m1 -E '(awk|Awk|BusyBox)[^ ]* v?[0-9]|version [0-9]' || true)
  out=$(printf '%s' "$out" | tr -cd ' -~' | cut -c1-120)
  printf '%s' "${out:-unknown}"
}

# redact_setup: the engine built and tested with the awk first on PATH, or another awk of the node
redact_setup() {
  REDACT_AWK=$(awk_identity)
  # (in an if, a failing step of the build does not end the script: an awk that cannot run the builder fails the test)
  if redact_build 2>/dev/null && redact_selftest; then return 0; fi
  local a exe w="$STAGE/awk-bin" path0=$PATH tried="awk"
  mkdir -p -- "$w"
  for a in gawk mawk "busybox awk" nawk original-awk; do
    exe=$(command -v -- "${a%% *}" 2>/dev/null) || continue
    tried+=", $a"
    # (a link, not a script: the output folder may be mounted noexec; busybox runs the applet its link is named for)
    ln -sf -- "$exe" "$w/awk"
    PATH="$w:$path0"
    if redact_build 2>/dev/null && redact_selftest; then
      REDACT_ENGINE=$a
      REDACT_AWK=$(awk_identity)
      log "warning: the first awk on PATH failed the redaction engine's self-test: redacting with $a"
      return 0
    fi
  done
  PATH=$path0
  redact_build 2>/dev/null || true
  REDACT_BROKEN=1
  REDACT_ENGINE=none
  log "warning: no awk on this node passed the redaction engine's self-test ($tried): every file that needs redaction is withheld"
}

# rewrite_file FILE CNT AWK-ARGS...: run awk over FILE and replace it by the output when the program
# counted something into the file named CNT; a file with nothing to change stays byte for byte as
# collected, with its time. Returns 0 rewritten, 1 unchanged, 2 the program failed.
rewrite_file() {
  local f=$1 cnt=$2
  shift 2
  local tmp="$STAGE/rewrite.tmp"
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

withhold() {
  # withhold FILE REL REASON: the file does not leave the node
  rm -rf -- "$1"
  printf '%s\t%s\n' "$2" "$3" >>"$WITHHELD"
}

# withhold_failed FILE REL RC WHAT: withheld because a step of its redaction (WHAT: "the redaction search") ended with
# status RC: the per-file bound (timeout's 124), or a failure
withhold_failed() {
  if (($3 == 124)); then
    withhold "$1" "$2" "redaction took longer than ${REDACT_BOUND}s"
  else
    withhold "$1" "$2" "$4 failed (exit status $3)"
  fi
}

# redact_full IN SECONDS PATCH REP SECRETFILE: the engine over the whole text of IN (full mode), within SECONDS
redact_full() {
  redact_input "$1" | timeout "$2" awk -v MODE=full -v M="$MARKER" -v PATCH="$3" -v REP="$4" -v NEED=/dev/null \
    -v VALS="$VALUES" -v SECRETFILE="$5" -f "$REDACT_PROGF" >/dev/null 2>&1
}

# Seconds left of the per-file bound that started at $1 (at least 1).
redact_left() {
  local now_s a b l
  stamp now_s
  to_us a "$1"
  to_us b "$now_s"
  l=$(((REDACT_BOUND * 1000000 - (b - a) + 999999) / 1000000))
  printf '%d' "$((l < 1 ? 1 : l))"
}

# redact_file FILE REL [LABEL]: find the candidate lines with one grep, run the rules on them (or
# on the whole file when a construct spans lines), and apply the changes. Returns 0 changed,
# 1 unchanged, 2 withheld. LABEL prefixes the rule in the report (the final scan).
redact_file() {
  local f=$1 rel=$2 label=${3:-} w="$STAGE/redact"
  local cand="$w.cand" patch="$w.patch" rep="$w.rep" needf="$w.need" start rc=0 secretfile=0
  stamp start
  : >"$patch"
  : >"$rep"
  : >"$needf"
  local runs="$w.runs" rc2=0
  timeout "$REDACT_BOUND" grep -n -a -i -E -- "$REDACT_TRIGGER" "$f" >"$cand" 2>/dev/null || rc=$?
  ((rc > 1)) || timeout "$(redact_left "$start")" grep -n -a -E -- "$REDACT_RUNS" "$f" >"$runs" 2>/dev/null || rc2=$?
  ((rc > 1)) || rc=$((rc2 > 1 ? rc2 : rc & rc2))
  if ((rc == 1)); then
    return 1
  elif ((rc != 0)); then
    withhold_failed "$f" "$rel" "$rc" "the redaction search"
    return 2
  elif ((REDACT_BROKEN)); then
    withhold "$f" "$rel" "no awk on this node passed the redaction engine's self-test"
    return 2
  fi
  # the lines of either search, in order, once
  if [[ -s "$runs" ]]; then
    if [[ -s "$cand" ]]; then
      redact_input "$runs" >"$w.r2"
      redact_input "$cand" | timeout "$(redact_left "$start")" awk -v B="$w.r2" "$(redact_union_awk)" >"$w.u" 2>/dev/null || rc=$?
      if ((rc != 0)); then
        withhold_failed "$f" "$rel" "$rc" "the redaction search"
        return 2
      fi
      mv -f -- "$w.u" "$cand"
    else
      mv -f -- "$runs" "$cand"
    fi
  fi
  rc=0
  redact_input "$cand" | timeout "$(redact_left "$start")" awk -v MODE=line -v M="$MARKER" -v PATCH="$patch" \
    -v REP="$rep" -v NEED="$needf" -v VALS="$VALUES" -v SECRETFILE=0 -f "$REDACT_PROGF" >/dev/null 2>&1 || rc=$?
  if ((rc == 0)) && [[ -s "$needf" ]]; then
    grep -q secret "$needf" && secretfile=1
    : >"$patch"
    : >"$rep"
    redact_full "$f" "$(redact_left "$start")" "$patch" "$rep" "$secretfile" || rc=$?
  fi
  if ((rc != 0)); then
    withhold_failed "$f" "$rel" "$rc" "the redaction program"
    return 2
  fi
  [[ -s "$patch" ]] || return 1
  redact_apply "$f" "$rel" "$label" "$patch" "$rep" "$start"
}

# redact_apply FILE REL LABEL PATCH REP START: the lines of PATCH replace the file's, the changes of REP
# are listed (0), or the file is withheld (2)
redact_apply() {
  local f=$1 rel=$2 label=$3 patch=$4 rep=$5 start=$6 tmp="$STAGE/redact.out" rc=0
  if ((REDACT_NULSAFE)); then
    timeout "$(redact_left "$start")" awk -v PATCH="$patch" "$(redact_merge_awk)" "$f" >"$tmp" 2>/dev/null || rc=$?
  else
    tr '\000' '\001' <"$f" | timeout "$(redact_left "$start")" awk -v PATCH="$patch" "$(redact_merge_awk)" 2>/dev/null |
      tr '\001' '\000' >"$tmp" || rc=$?
  fi
  if ((rc != 0)); then
    rm -f -- "$tmp"
    withhold_failed "$f" "$rel" "$rc" "rewriting the file"
    return 2
  fi
  touch -r "$f" -- "$tmp" 2>/dev/null || true
  mv -f -- "$tmp" "$f"
  REL="$rel" LABEL="$label" awk -F'\t' '{ print ENVIRON["REL"] "\t" $1 "\t" ENVIRON["LABEL"] $2 }' "$rep" >>"$REDLINES"
  return 0
}

# A value the rules redacted is looked for in every file of the bundle (and the manifest's records), and
# redacted wherever else it is: the same password echoed, passed to a tool no rule knows, or logged (rule
# known-value). Values that could be found where they are no secret are not looked for (see known() in the
# engine). The list of values stays in the stage, outside the bundle, and is removed at once.
redact_known() {
  local vals="$STAGE/known.txt" hits="$STAGE/known.hits" rc=0 f rel
  [[ -s "$VALUES" ]] || return 0
  LC_ALL=C sort -u -- "$VALUES" | awk '{ print length($0) "\t" $0 }' | LC_ALL=C sort -t"$(printf '\t')" -k1,1nr |
    cut -f2- | head -n "$KNOWN_MAX" >"$vals"
  : >"$VALUES"
  local -a where=("$BUNDLE")
  [[ -f "${RECORDS:-}" ]] && where+=("$RECORDS")
  timeout "$REDACT_BOUND" grep -r -l -Z -a -F -f "$vals" -- "${where[@]}" >"$hits" 2>/dev/null || rc=$?
  if ((rc == 124)); then
    # (a second layer: every file has passed the rules; a search as long again per file would double the bound)
    log "warning: values redacted were not looked for in other files: the search took longer than ${REDACT_BOUND}s"
    : >"$hits"
  elif ((rc > 1)); then
    # not every file was searched (one unreadable): each file is, alone
    find "${where[@]}" -type f -print0 >"$hits" 2>/dev/null || true
  fi
  while IFS= read -r -d '' f; do
    [[ -f "$f" ]] || continue
    rel=${f#"$BUNDLE"/}
    [[ "$f" == "${RECORDS:-}" ]] && rel=manifest.json
    if known_file "$f" "$rel" "$vals"; then
      printf '%s\0' "$f" >>"${CHANGED:-/dev/null}"
    fi
  done <"$hits"
  rm -f -- "$vals" "$hits" "$VALUES"
  # (what the final scan redacts is not looked for again)
  VALUES=""
}

# known_file FILE REL VALUES: every value of the list VALUES in the file, redacted (0 changed, 1 none, 2 withheld)
known_file() {
  local f=$1 rel=$2 vals=$3 w="$STAGE/known" start rc=0
  stamp start
  : >"$w.patch"
  : >"$w.rep"
  timeout "$REDACT_BOUND" grep -n -a -F -f "$vals" -- "$f" >"$w.cand" 2>/dev/null || rc=$?
  ((rc == 1)) && return 1
  if ((rc == 0)); then
    redact_input "$w.cand" | timeout "$(redact_left "$start")" awk -v V="$vals" -v M="$MARKER" -v PATCH="$w.patch" \
      -v REP="$w.rep" "$(known_awk)" >/dev/null 2>&1 || rc=$?
  fi
  if ((rc != 0)); then
    withhold_failed "$f" "$rel" "$rc" "the search for values redacted elsewhere"
    return 2
  fi
  [[ -s "$w.patch" ]] || return 1
  redact_apply "$f" "$rel" "" "$w.patch" "$w.rep" "$start"
}

# the lines of grep -n output with every value of the file V (longest first) replaced by the marker
known_awk() {
  cat <<'AWK'
BEGIN { while ((getline v < V) > 0) if (v != "") K[++n] = v }
{
  i = index($0, ":"); nr = substr($0, 1, i - 1); s = substr($0, i + 1); c = 0
  for (k = 1; k <= n; k++) {
    if (!index(s, K[k])) continue
    out = ""
    while ((p = index(s, K[k])) > 0) { out = out substr(s, 1, p - 1) M; s = substr(s, p + length(K[k])); c++ }
    s = out s
  }
  if (c) { printf "%s\tr\t%s\n", nr, s > PATCH; for (k = 1; k <= c; k++) printf "%s\tknown-value\n", nr > REP }
}
AWK
}

# the union of two grep -n outputs, both in line order (stdin and the file B): each line once, in order
redact_union_awk() {
  cat <<'AWK'
function nb() { more = ((getline b < B) > 0); if (more) kb = substr(b, 1, index(b, ":") - 1) + 0 }
BEGIN { nb() }
{
  ka = substr($0, 1, index($0, ":") - 1) + 0
  while (more && kb < ka) { print b; nb() }
  if (more && kb == ka) nb()
  print
}
END { while (more) { print b; nb() } }
AWK
}

# a file as the engine reads it: NUL bytes as \001 for an awk that would cut the line there
redact_input() {
  if ((REDACT_NULSAFE)); then cat -- "$1"; else tr '\000' '\001' <"$1"; fi
}

redact_merge_awk() {
  cat <<'AWK'
BEGIN {
  while ((getline l < PATCH) > 0) {
    i = index(l, "\t"); n = substr(l, 1, i - 1) + 0
    if (substr(l, i + 1, 1) == "d") { D[n] = 1; delete R[n] } else if (!(n in D)) R[n] = substr(l, i + 3)
  }
}
(FNR in D) { next }
(FNR in R) { print R[FNR]; next }
{ print }
AWK
}

# redact_quiet FILE LABEL: redact_file, with nothing said in the report (a command's error output before
# it is cut into the manifest's record, a gzip member's content): the file is redacted, or removed
redact_quiet() {
  local save_l=$REDLINES save_w=$WITHHELD rc=0
  REDLINES=/dev/null
  WITHHELD=/dev/null
  redact_file "$1" "$2" || rc=$?
  REDLINES=$save_l
  WITHHELD=$save_w
  return "$rc"
}

# whether FILE holds a NUL byte: binary (an etcd database, a DER key, UTF-16 text), which the rules cannot read
has_nul() {
  local n
  n=$(tr -d '\000' <"$1" 2>/dev/null | wc -c) || return 0
  ((n != $(file_size "$1")))
}

# compressed or archive data by its first bytes (zip, xz, bzip2, 7z, zstd, lz4, rar, tar): its content cannot be
# searched on the node; gzip is searched (final_scan)
is_archive_data() {
  local m
  m=$(head -c 262 -- "$1" 2>/dev/null | od -An -tx1 -v | tr -d ' \n') || return 0
  case "$m" in
    504b0304* | 504b0506* | fd377a585a00* | 425a68* | 377abcaf271c* | 28b52ffd* | 04224d18* | 526172211a07*) return 0 ;;
  esac
  # ustar at offset 257: the header of a tar archive
  [[ ${#m} -ge 524 && "${m:514:10}" == 7573746172 ]]
}

# Files the rules cannot read are withheld before any rule runs: binary files and archives found outside the
# pod and container logs (those are written line by line by the runtime, and the rules read them with NUL bytes).
withhold_unsearchable() {
  local f rel
  while IFS= read -r -d '' f; do
    rel=${f#"$BUNDLE"/}
    case "$rel" in
      files/var/log/pods/* | files/var/log/containers/*) continue ;;
    esac
    if is_archive_data "$f"; then
      withhold "$f" "$rel" "archive or compressed data: its content cannot be searched for secrets on the node"
    elif has_nul "$f"; then
      withhold "$f" "$rel" "binary file (NUL bytes): it cannot be searched for secrets on the node"
    fi
  done < <(find "$BUNDLE/files" -type f -print0 2>/dev/null | sort -z)
}

redact_all() {
  local f
  local -a batch=()
  CHANGED="$STAGE/changed.lst"
  : >"$CHANGED"
  withhold_unsearchable
  redact_seams
  while IFS= read -r -d '' f; do
    batch+=("$f")
    if ((${#batch[@]} == REDACT_BATCH)); then
      redact_batch "${batch[@]}"
      batch=()
    fi
  done < <(find "$BUNDLE" -type f -print0 2>/dev/null | sort -z)
  ((${#batch[@]} == 0)) || redact_batch "${batch[@]}"
  # the manifest's records quote command lines and their errors
  redact_file "$RECORDS" manifest.json || true
  [[ -f "$RECORDS" ]] || : >"$RECORDS"
}

# A container's log goes on across the kubelet's rotation: a record the runtime cut (P) can end a rotated file
# (N.log.<time>) and the rest of its line start the next one (a later N.log.<time>, or N.log). Files are redacted
# one by one, so before that, each such seam (the end of one file and the head of the next, 64 lines each) is read
# by the rules as one text, and what they change in the next file's head is changed there.
readonly SEAM_LINES=64
redact_seams() {
  local d f prev pn fn x w="$STAGE/seam" na nb start rc
  while IFS= read -r -d '' d; do
    prev=""
    while IFS= read -r -d '' f; do
      pn=${prev##*/}
      fn=${f##*/}
      if [[ -n "$prev" && "${pn%%.log*}" == "${fn%%.log*}" ]]; then
        if tail -n 1 -- "$prev" | grep -q -a -E '^[^ ]+ (stdout|stderr) P '; then
          stamp start
          rc=0
          tail -n "$SEAM_LINES" -- "$prev" | tail -c "$((SEAM_LINES * 16384))" >"$w.in"
          na=$(wc -l <"$w.in")
          head -n "$SEAM_LINES" -- "$f" | head -c "$((SEAM_LINES * 16384))" >"$w.b"
          nb=$(wc -l <"$w.b")
          cat -- "$w.b" >>"$w.in"
          : >"$w.patch"
          : >"$w.rep"
          redact_full "$w.in" "$REDACT_BOUND" "$w.patch" "$w.rep" 0 || rc=$?
          if ((rc != 0)); then
            withhold_failed "$f" "${f#"$BUNDLE"/}" "$rc" "the redaction program"
          else
            # the next file's whole lines only, numbered in it
            for x in patch rep; do
              awk -F'\t' -v A="$na" -v B="$nb" '$1 > A && $1 - A <= B { print ($1 - A) substr($0, length($1) + 1) }' "$w.$x" >"$w.$x.2"
            done
            [[ -s "$w.patch.2" ]] && redact_apply "$f" "${f#"$BUNDLE"/}" "" "$w.patch.2" "$w.rep.2" "$start" && printf '%s\0' "$f" >>"$CHANGED"
          fi
        fi
      fi
      [[ -f "$f" ]] && prev=$f || prev=""
    done < <(seam_order "$d")
  done < <(find "$BUNDLE/files/var/log/pods" -mindepth 2 -maxdepth 2 -type d -print0 2>/dev/null | sort -z)
  rm -f -- "$w.in" "$w.b" "$w.patch" "$w.rep" "$w.patch.2" "$w.rep.2"
}

# seam_order DIR: a container's log files in the order they were written: by restart N, each N's rotated files
# (N.log.<time>, the time sorts as text) then N.log
seam_order() {
  find "$1" -maxdepth 1 -type f \( -name '[0-9]*.log' -o -name '[0-9]*.log.*' \) -printf '%f\n' 2>/dev/null |
    awk '{ n = $0; sub(/\.log.*$/, "", n); r = $0; sub(/^[0-9]+\.log/, "", r); printf "%s\t%s\t%s\n", n, (r == "" ? "~" : r), $0 }' |
    LC_ALL=C sort -t"$(printf '\t')" -k1,1n -k2,2 | cut -f3 | while IFS= read -r f; do printf '%s/%s\0' "$1" "$f"; done
}

# redact_file on each file given, in order, that may hold a secret. One grep looks for the trigger in
# all of them at once (a grep per file costs a process and a compile of the trigger, most of the
# redaction of a node's many small files); a file is passed over only when that grep ran to the end
# (exit 0 or 1), said it searched every file and did not list it. On any other outcome (an unreadable
# file, the time bound, a grep without -Z, a list that is not a subset of the files given) every file
# is searched alone by redact_file, with its own bound, as if there were no batch.
redact_batch() {
  local f rc=0 hits="$STAGE/redact.hits" all=1 some=0
  local -A listed=()
  local -a ok=()
  # the trigger, then random-token's runs (searched apart, see REDACT_RUNS)
  timeout "$REDACT_BOUND" grep -l -Z -a -i -E -- "$REDACT_TRIGGER" "$@" >"$hits" 2>/dev/null || rc=$?
  [[ -s "$hits" ]] && some=1
  # grep exits 0 when it listed a file and 1 when it listed none; nothing else is believed
  ((rc == 0 && some == 1 || rc == 1 && some == 0)) && ok+=(1)
  rc=0 some=0
  timeout "$REDACT_BOUND" grep -l -Z -a -E -- "$REDACT_RUNS" "$@" >"$hits.runs" 2>/dev/null || rc=$?
  [[ -s "$hits.runs" ]] && some=1
  ((rc == 0 && some == 1 || rc == 1 && some == 0)) && ok+=(1)
  if ((${#ok[@]} == 2)); then
    all=0
    for f in "$@"; do listed["$f"]=0; done
    while IFS= read -r -d '' f; do
      if [[ -z "${listed["$f"]+set}" ]]; then
        all=1
        break
      fi
      listed["$f"]=1
    done < <(cat -- "$hits" "$hits.runs")
  fi
  for f in "$@"; do
    # [[ ]], never (( )): a member name must not be evaluated as arithmetic
    ((all)) || [[ "${listed["$f"]}" == 1 ]] || continue
    if redact_file "$f" "${f#"$BUNDLE"/}"; then
      printf '%s\0' "$f" >>"$CHANGED"
    fi
  done
}

# The final scan, after the report and the manifest are written: member names; gzip content
# (two levels); every file the rules changed and the generated files, again (a file the rules
# left unchanged holds the very bytes they already passed). A hit is redacted, or the file
# withheld, and said so.
final_scan() {
  local f names="$STAGE/names.txt" hits=0 rel
  find "$BUNDLE" -mindepth 1 -print | cut -c"$((${#BUNDLE} + 2))"- >"$names"
  cp -- "$names" "$STAGE/names.orig"
  local nr rc=0
  redact_file "$names" "(member names)" 2>/dev/null || rc=$?
  if ((rc == 0)); then
    while IFS=$'\t' read -r _ nr _; do
      rel=$(sed -n "${nr}p" "$STAGE/names.orig" 2>/dev/null || true)
      [[ -n "$rel" ]] && withhold "$BUNDLE/$rel" "$(sed -n "${nr}p" "$names")" "its name holds a secret"
      hits=$((hits + 1))
    done < <(grep "^(member names)" "$REDLINES" || true)
  elif ((rc == 2)); then
    # the names could not be redacted (the engine failed or ran out of time): every member whose name has a line
    # the rules would read is withheld, under no name
    while IFS=: read -r nr _; do
      rel=$(sed -n "${nr}p" "$STAGE/names.orig" 2>/dev/null || true)
      [[ -n "$rel" && -e "$BUNDLE/$rel" ]] && withhold "$BUNDLE/$rel" "(a member)" "its name could not be searched for secrets"
      hits=$((hits + 1))
    done < <({ grep -n -a -i -E -- "$REDACT_TRIGGER" "$STAGE/names.orig"; grep -n -a -E -- "$REDACT_RUNS" "$STAGE/names.orig"; } 2>/dev/null | sort -t: -k1,1n -u)
  fi
  # link targets (a tar member keeps its target as it is): one that holds a secret withholds its link
  local links="$STAGE/links.lst" targets="$STAGE/targets.txt" n_links n_targets
  find "$BUNDLE" -type l -print0 2>/dev/null >"$links" || true
  find "$BUNDLE" -type l -printf '%l\n' 2>/dev/null >"$targets" || : >"$targets"
  n_links=$(tr -cd '\000' <"$links" | wc -c)
  n_targets=$(wc -l <"$targets")
  if ((n_links > 0)); then
    if ((n_links != n_targets)); then
      # a target with a newline, or a find without -printf: no link is vouched for
      while IFS= read -r -d '' f; do withhold "$f" "${f#"$BUNDLE"/}" "its link target could not be searched for secrets"; done <"$links"
    else
      rc=0
      redact_file "$targets" "(link targets)" 2>/dev/null || rc=$?
      if ((rc == 0)); then
        local -a all_links=()
        while IFS= read -r -d '' f; do all_links+=("$f"); done <"$links"
        while IFS=$'\t' read -r _ nr _; do
          f=${all_links[nr - 1]:-}
          [[ -n "$f" ]] && withhold "$f" "${f#"$BUNDLE"/}" "its link target holds a secret"
          hits=$((hits + 1))
        done < <(grep "^(link targets)" "$REDLINES" || true)
      elif ((rc == 2)); then
        # the targets could not be redacted: no link is vouched for
        while IFS= read -r -d '' f; do [[ -L "$f" ]] && withhold "$f" "${f#"$BUNDLE"/}" "its link target could not be searched for secrets"; done <"$links"
      fi
    fi
  fi
  while IFS= read -r -d '' f; do
    [[ -f "$f" ]] || continue
    [[ "$(head -c 2 -- "$f" | od -An -tx1 | tr -d ' \n')" == 1f8b ]] || continue
    if gzip_hits "$f"; then
      withhold "$f" "${f#"$BUNDLE"/}" "gzip data whose content matches a redaction rule"
      hits=$((hits + 1))
    fi
  done < <(grep -rlaZ -- $'^\x1f\x8b' "$BUNDLE" 2>/dev/null || true)
  while IFS= read -r -d '' f; do
    [[ -f "$f" ]] || continue
    redact_file "$f" "${f#"$BUNDLE"/}" "final-scan:" && hits=$((hits + 1))
  done < <(
    cat -- "$CHANGED"
    printf '%s\0' "$BUNDLE/manifest.json" "$BUNDLE/redaction-report.txt"
  )
  return 0
}

# gzip data that decompresses (twice at most) to anything a rule acts on
gzip_hits() {
  local out="$STAGE/gz.txt" rc=0
  timeout "$REDACT_BOUND" gzip -dc -- "$1" 2>/dev/null | head -c "$((MAX_LOG_BYTES * 4))" >"$out" || true
  if [[ "$(head -c 2 -- "$out" | od -An -tx1 | tr -d ' \n')" == 1f8b ]]; then
    timeout "$REDACT_BOUND" gzip -dc -- "$out" 2>/dev/null | head -c "$((MAX_LOG_BYTES * 4))" >"$out.2" || true
    mv -f -- "$out.2" "$out"
  fi
  if is_archive_data "$out" || has_nul "$out"; then
    rm -f -- "$out"
    return 0
  fi
  redact_quiet "$out" gz || rc=$?
  rm -f -- "$out"
  ((rc != 1))
}

# POSIX awk (mawk, gawk, busybox): the rules of redaction_rules(), applied in linear time.
redact_awk() {
  cat <<'AWK'
# The redaction engine. Input: grep -n output ("NR:line", MODE=line) or the whole file (MODE=full).
# Output: PATCH gets "NR<TAB>r<TAB>new line" and "NR<TAB>d" (line removed); REP gets "NR<TAB>rule"
# for every change. In line mode a construct that spans lines writes "full" (and "secret" for a
# Secret manifest) to NEED and stops: the file is then run again whole.
# Linear time: anchors are found by one split() per line; every look-around is a bounded window;
# the ends of values are found in per-line position lists, by binary search.
function rec(rule) { printf "%d\t%s\n", NRX, rule > REP }
function need(what) { if (MODE == "line") { printf "%s\n", what > NEED; NEEDED = 1 } }
function edit(a, b, rule) {
  if (b <= a) return 0
  ne++; ES[ne] = a; EE[ne] = b; ER[ne] = rule; CRIQ[ne] = ""; CRIL[ne] = 0; BACK[ne] = 0; return 1
}
# a redacted value to look for in the rest of the bundle (VALS): not one that could be found where it is no secret
# (shorter than 8 characters, a name, a path, a URL, an image, a number, an address, hex or a UUID, a word of
# letters only); of env-value's (every value of a variable not known to be harmless), only random-looking ones
function known(v, rule) {
  sub(/^[ \t"'`]+/, "", v); sub(/[ \t"'`,;]+$/, "", v)
  if (length(v) < 8 || length(v) > 1024 || index(v, M) || index(v, "\001") || index(v, "://") || index(v, "@sha256:")) return
  if (v ~ /^[0-9A-Fa-f-]+$/ || v ~ /^[a-z0-9][-a-z0-9.]*$/ || v ~ /^[A-Za-z]+$/ || v ~ /^[0-9.:\057-]+$/ || substr(v, 1, 1) == "/") return
  # (nor a PEM armour line's words: -----BEGIN is in every certificate; nor a key's fingerprint, SHA256:...)
  if (v ~ /^-----/ || tolower(v) ~ /^(sha1|sha256|sha384|sha512|md5):/ || v ~ /^[*#.xX]+$/) return
  # (a run redacted for its shape alone is found by its shape wherever else it is, or is no secret there: a PEM body)
  if (rule ~ /^(random-token|base64-|private-key)/) return
  if (rule == "env-value" && (v ~ /[\057:@ \t,]/ || v !~ /[0-9]/ || !(v ~ /[a-z]/ && v ~ /[A-Z]/ || length(v) >= 16 && v ~ /[A-Za-z]/))) return
  print v >> VALS
}
function sort_edits(   i, j, a, b, r) {
  for (i = 2; i <= ne; i++) { a = ES[i]; b = EE[i]; r = ER[i]; for (j = i - 1; j >= 1 && ES[j] > a; j--) { ES[j + 1] = ES[j]; EE[j + 1] = EE[j]; ER[j + 1] = ER[j] } ES[j + 1] = a; EE[j + 1] = b; ER[j + 1] = r }
}
function emit(   i, pos) {
  if (!ne) return
  sort_edits()
  printf "%d\tr\t", NRX > PATCH
  pos = 1
  for (i = 1; i <= ne; i++) {
    if (EE[i] <= pos && i > 1) continue
    rec(ER[i])
    if (VALS != "") known(substr(S, ES[i], EE[i] - ES[i]), ER[i])
    if (ES[i] >= pos) printf "%s%s", substr(S, pos, ES[i] - pos), M > PATCH
    if (EE[i] > pos) pos = EE[i]
  }
  printf "%s%s\n", substr(S, pos), CR > PATCH
}
# A line longer than 64 KiB is scanned in chunks of 32 KiB (and 4 KiB more, so that a value that
# starts in a chunk ends in it): busybox awk's substr() costs the length of its whole string. An
# edit that reaches a chunk's end runs to the end of the line (fail closed). The output is written
# chunk by chunk too.
function long_line(   n, off, i, a, b, k, c, pos, e, carry, base, w) {
  FULL = S; n = length(FULL); k = 0; carry = 0
  for (off = 1; off <= n; off += 32768) {
    # each chunk also holds the 128 bytes before it, for the handlers that look back (a BEGIN before its
    # PRIVATE KEY, a key before its value); its anchors are those from off on (the chunk before took the rest)
    base = off > 128 ? off - 128 : 1
    S = substr(FULL, base, 36864 + off - base); L = tolower(S); ne = 0; CID++; INCHUNK = (off > 1); LONGL = 1
    SCANLIM = (off + 32768 <= n) ? off - base + 32768 : 0; SKIP0 = carry - base + 1; if (SKIP0 < off - base + 1) SKIP0 = off - base + 1
    if (L ~ /@ANCHOR@/) { if (SECRETFILE || L ~ /kind\\*"?[ \t]*:[ \t]*\\*"?'?secret/) kindline(); scan() }
    if (!NEEDED) entropy()
    SCANLIM = 0; SKIP0 = 0; INCHUNK = 0; LONGL = 0
    if (NEEDED) return
    for (i = 1; i <= ne; i++) {
      a = base + ES[i] - 1; b = base + EE[i] - 1
      if (EE[i] > length(S) && base + length(S) - 1 < n) b = n + 1
      # a base64 run that starts before the chunk: redacted from where it starts in the whole line
      if (BACK[i] && base > 1) { while (a > 1) { w = substr(FULL, a > 4096 ? a - 4096 : 1, a > 4096 ? 4096 : a - 1); match(w, /[A-Za-z0-9+=_\/-]*$/); a -= RLENGTH; if (RLENGTH < length(w)) break } }
      k++; GS[k] = a; GE[k] = b; GR[k] = ER[i]; if (b > carry) carry = b
    }
  }
  if (!k) return
  ne = k; for (i = 1; i <= k; i++) { ES[i] = GS[i]; EE[i] = GE[i]; ER[i] = GR[i] }
  sort_edits()
  printf "%d\tr\t", NRX > PATCH
  i = 1; pos = 1
  for (off = 1; off <= n; off += 32768) {
    c = substr(FULL, off, 32768); e = off + length(c)
    while (pos < e) {
      while (i <= ne && EE[i] <= pos) { rec(ER[i]); i++ }
      if (i <= ne && ES[i] <= pos) { printf "%s", M > PATCH; pos = EE[i]; rec(ER[i]); i++; continue }
      b = (i <= ne && ES[i] < e) ? ES[i] : e
      printf "%s", substr(c, pos - off + 1, b - pos) > PATCH; pos = b
    }
  }
  printf "%s\n", CR > PATCH
  ne = 0
}
function whole(rule,   m) { match(S, /^[ \t]*/); if (RLENGTH < length(S)) edit(RLENGTH + 1, length(S) + 1, rule) }
function indent_of(s) { match(s, /^[ \t]*/); return RLENGTH }
# the indentation of the line's message (after the prefix of a log line: VO), as the structure states read it
function vindent() { return indent_of(substr(S, VO + 1)) }
# sorted position lists of one line, built on first use
function qlist(   n, i, p) { if (QB == CID) return; QB = CID; n = split(S, TMP, "\""); p = 0; QN = n - 1; for (i = 1; i < n; i++) { p += length(TMP[i]) + 1; QP[i] = p } }
function wlist(   n, i, p) { if (WB == CID) return; WB = CID; n = split(S, TMP, /[ \t']/); p = 0; WN = n - 1; for (i = 1; i < n; i++) { p += length(TMP[i]) + 1; WP[i] = p } }
# whether position p is inside a double-quoted string (an odd number of unescaped quotes before it)
function in_dq(p,   i) {
  qlist()
  if (QUB != CID) { QUB = CID; QU[0] = 0; for (i = 1; i <= QN; i++) QU[i] = QU[i - 1] + (bs_before(QP[i]) % 2 == 0) }
  return QU[first_after(QP, QN, p) - 1] % 2
}
function first_after(arr, n, x,   lo, hi, mid) { lo = 1; hi = n + 1; while (lo < hi) { mid = int((lo + hi) / 2); if (arr[mid] >= x) hi = mid; else lo = mid + 1 } return lo }
function bs_before(q,   c) { c = 0; while (q - c - 1 >= 1 && substr(S, q - c - 1, 1) == "\\") c++; return c }
# the end (exclusive) of a string opened by k backslashes and a quote, its text starting at v
function closeq(v, k,   i, q, c) {
  qlist()
  for (i = first_after(QP, QN, v); i <= QN; i++) {
    q = QP[i]; c = bs_before(q)
    if (k <= 0) { if (c % 2 == 0) return q }
    else if (c >= k && (c - k) % (2 * k + 2) == 0) return q - k
    else if (c == 0) return q  # (the string that holds it ends first: a docker log record cut at 16 KiB)
  }
  return length(S) + 1
}
# the end of an unquoted value: white space, an apostrophe, or the quote that closes the enclosing string
# a docker json-file record's stream (stdout, stderr)
function dstream(   rs, rl, t) { rs = RSTART; rl = RLENGTH; t = match(S, /"stream": ?"std(out|err)"/) ? substr(S, RSTART + RLENGTH - 4, 3) : ""; RSTART = rs; RLENGTH = rl; return t }
function uend(v, k,   i, e, q, rs, rl) {
  wlist(); i = first_after(WP, WN, v); e = (i <= WN) ? WP[i] : length(S) + 1
  q = closeq(v, k < 0 ? 0 : k)
  if (q < e) e = q
  # (nor over an escaped line end: a file's lines logged in a JSON string, "...\nrequirepass X\nmasterauth Y"; the
  # caller's RSTART and RLENGTH are its own, kept: a match() here changed them, and mawk then cut a key, not its value)
  rs = RSTART; rl = RLENGTH
  if (match(substr(S, v, e - v), /\\[nr]/)) e = v + RSTART - 1
  RSTART = rs; RLENGTH = rl
  return e
}
# quote level of the string around position p: backslashes before the quote at p-1, or -1
function level_at(p) { if (p > 1 && substr(S, p - 1, 1) == "\"") return bs_before(p - 1); return -1 }
# the closing quote of a single-quoted value from t on: '' inside it is a quote (YAML, SQL), '\'' too (the shell)
function sq_end(t,   x, done) {
  done = 0
  while (!done) {
    x = index(substr(S, t, 65536), "'")
    if (!x) return length(S) + 1
    t += x - 1
    if (substr(S, t + 1, 1) == "'") t += 2
    else if (substr(S, t, 4) == "'\\''") t += 4
    else done = 1
  }
  return t
}
function plain(v, key,   l) {
  sub(/[,;]+$/, "", v)
  # (a closing bracket the value does not open: (using password: YES), {password=<masked>})
  if (v ~ /[)]$/ && !index(v, "(")) sub(/[)]+$/, "", v)
  if (v ~ /[}]$/ && !index(v, "{")) sub(/[}]+$/, "", v)
  l = tolower(v)
  if (v ~ /^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|\([A-Za-z_][A-Za-z0-9_]*\)|[A-Z_][A-Z0-9_]*)$/) return 1
  if (l == "" || l ~ /^(true|false|null|nil|none|yes|no|on|off|~|-|\*+|x+|<[a-z _-]*>|redacted|\[redacted\]|changeme|\{\{.*\}\}|\{\.[a-z0-9_.]+\}|0xc00[0-9a-f]+|[0-9]|[0-9][0-9]|[0-9][0-9][0-9]|[0-9][0-9][0-9][0-9]|[0-9][0-9][0-9][0-9][0-9])$/) return 1
  if (index(v, M) == 1 || v == "\"\"" || v == "''" || v == "{}" || v == "[]") return 1
  if (key ~ /pwd$/ && v ~ /^\/[A-Za-z0-9._\/-]*$/) return 1
  # kubectl describe secret's sizes (password:  16 bytes); a reference to another setting, Argo CD's $dex.github.clientSecret
  # and $argocd-secret:oidc.clientSecret (names: no digit, which a password written so would hold)
  if (l ~ /^[0-9]+ bytes$/ || v ~ /^\$[a-z][A-Za-z_-]*([.:][A-Za-z_-]+)+$/) return 1
  # a Helm chart's name of a key in a Secret (passwordKey: postgres-password, existingSecretPasswordKey: password)
  if (key ~ /(password|passwd|token|secret|user|username|credentials?)key$/ && v ~ /^[a-z][a-z._-]*[a-z]$/) return 1
  # etcd's --auth-token mode (simple, jwt,pub-key=...) and --initial-cluster-token (the cluster's name)
  if (key ~ /auth-token$/ && l ~ /^(simple|jwt(,.*)?)$/ || key ~ /initial[-_]cluster[-_]token$/) return 1
  # files that hold credentials, named: openvpn --auth-user-pass FILE --askpass FILE, cifs credentials=FILE,
  # systemd's LoadCredential=ID:FILE
  if (key ~ /(askpass|auth-user-pass|credentials|loadcredential(encrypted)?)$/ && v ~ /^([A-Za-z0-9_.@-]+:)?\/[A-Za-z0-9._\/-]*(,[^ \t]*)?$/) return 1
  if (key ~ /key$/ && (v ~ /^\/[A-Za-z0-9._\/-]+$/ || v ~ /^[A-Za-z0-9._\/~-]+\.(pem|key|crt|cert|der|p12|pfx|json|yaml|yml|conf)$/)) return 1
  return 0
}
# a name/value pair's value is redacted unless its name is harmless: an upper-case variable, or a name with a secret word
function pair_secret(nm) { return nm != "" && !safe_env(nm) && (nm ~ /^[A-Z_][A-Z0-9_]*$/ || secret_name(nm)) }
function safe_env(name) {
  if (name !~ /^(PWD|OLDPWD)$/ && toupper(name) ~ /TOKEN|SECRET|PASS|PWD|CRED|PRIVATE|_KEY|APIKEY|AUTH/) return 0
  return name ~ /^(PATH|HOME|HOSTNAME|TERM|LANG|LANGUAGE|LC_[A-Z]+|TZ|SHLVL|PWD|OLDPWD|USER|container|GOMAXPROCS|GOMEMLIMIT|GOGC|GODEBUG|JAVA_HOME|JAVA_OPTS|[A-Z0-9_]*VERSION|NODE_NAME|POD_NAME|POD_NAMESPACE|POD_IP|POD_IPS|HOST_IP|NAMESPACE|ETCDCTL_API|LOG_LEVEL|KUBERNETES_[A-Z0-9_]+|[A-Z0-9_]+_SERVICE_HOST|[A-Z0-9_]+_SERVICE_PORT[A-Z0-9_]*|[A-Z0-9_]+_PORT|[A-Z0-9_]+_PORT_[0-9]+_(TCP|UDP|SCTP)(_PROTO|_PORT|_ADDR)?)$/
}
function secret_name(n) { return tolower(n) ~ /pass|pwd|secret|token|key|auth|cred|private|cookie|session|salt|signature|dsn/ }
# a key with a colon counts where a key can stand: line start, indentation, after { , [ ( ; | - ] or a log prefix
function structural(ks,   w, a) {
  a = ks > 48 ? ks - 48 : 1
  w = substr(S, a, ks - a)
  if (w ~ /^[ \t]*$/ && a == 1) return 1
  # curl -v's request and response headers (> X-Api-Key: X), a header after an escaped line end (an HTTP dump in a JSON string)
  if (ks > CO && ks - CO <= 16 && substr(S, CO + 1, ks - CO - 1) ~ /^[ \t]*[<>][ \t]+$/ || w ~ /\\[nr]$/) return 1
  if (w ~ /[]{,[(;|"'][ \t]*$/ || w ~ /:[ \t]+$/ || w ~ /(^|[ \t])-[ \t]+$/ || w ~ /(stdout|stderr) [FP] [ \t]*$/ || (a == 1 && ks > CO && substr(S, CO + 1, ks - CO - 1) ~ /^[ \t]*$/) || w ~ /\]:[ \t]*$/) return 1
  if (w ~ /^[ \t]*$/) return 1
  return 0
}
# the value of a key at v; ks: where the key starts; kq: the key was quoted; sep ":" or "="
function value(v, ks, kq, sep, key, rule,   c, k, e, n, t, blk) {
  # (the line ends where its message does: a docker record's log string ends before its \n and its JSON)
  n = length(S) - (LONGL ? 0 : VEB)
  if (v > n) { if (sep == ":" && !kq && BLOCKKEYS) { need("full"); if (MODE == "full") { BS = vindent(); BSPLAIN = 1; BSALL = (key ~ /(passwords?|passwd|api[-_]?keys|credentials|tokens|securejsondata)$/); BSSTRONG = (key ~ /(password|passwd|passphrase|secret|token|credential|api[-_]?key)s?$/) } } return }
  c = substr(S, v, 1)
  if ((c == "|" || c == ">") && substr(S, v, n - v + 1) ~ /^[|>][-+0-9]*[ \t]*(#.*)?$/) { need("full"); if (MODE == "full") { BS = vindent(); BSPLAIN = 0; if (substr(S, VO + 1, BS + 2) ~ /- $/) BS += 2 } return }
  # a heredoc (HCL's password = <<EOF, a shell's): its lines, to the line of its marker
  if (c == "<" && match(substr(S, v, 64), /^<<-?[ \t]*["']?[A-Za-z_][A-Za-z0-9_]*["']?[ \t]*$/)) {
    t = substr(S, v, RLENGTH); gsub(/[-<"' \t]/, "", t); need("full"); if (MODE == "full") HEREDOC = t; return
  }
  # ODBC's Pwd={X}; (a brace-quoted value: no colon or quote inside)
  if (c == "{" && sep == "=" && match(substr(S, v, 256), /^\{[^{}:"]*\}/)) { if (RLENGTH > 2) edit(v + 1, v + RLENGTH - 1, rule); return }
  if (c == "{" || (c == "\\" && substr(S, v + 1, 1) ~ /[nrt]/)) return
  if (substr(S, v, 3) == "\"\"\"" || substr(S, v, 3) == "'''") {
    # TOML multi-line strings: to the closing triple, on this line or a later one
    t = substr(S, v, 3); k = index(substr(S, v + 3), t)
    if (k) edit(v + 3, v + 2 + k, rule)
    else { edit(v + 3, n + 1, rule); need("full"); if (MODE == "full") TRIPLE = t }
    return
  }
  if (c == "[") { t = index(substr(S, v, 65536), "]"); e = t ? v + t - 1 : n + 1; if (!t) { need("full"); ARR = 1 } if (!plain(substr(S, v + 1, e - v - 1), key)) edit(v + 1, e, rule); return }
  if (match(substr(S, v, 24), /^\\*"/)) { k = RLENGTH - 1; e = closeq(v + RLENGTH, k); if (!plain(substr(S, v + RLENGTH, e - v - RLENGTH), key) && edit(v + RLENGTH, e, rule)) { CRIQ[ne] = "q"; CRIL[ne] = k } return }
  if (c == "'") { e = sq_end(v + 1); if (!plain(substr(S, v + 1, e - v - 1), key)) edit(v + 1, e, rule); return }
  blk = (sep == ":" && !kq && ks > CO && substr(S, CO + 1, ks - CO - 1) ~ /^[ \t]*(- )?$/) || (sep == "=" && !kq && !INCHUNK && substr(S, 1, ks - 1) ~ /^[ \t]*(export[ \t]+)?$/)
  if (blk) { e = n + 1; while (e > v && substr(S, e - 1, 1) ~ /[ \t]/) e-- }
  else if (sep == ":" && !kq && substr(S, 1, ks - 1) ~ /[{,][ \t]*$/) { e = uend(v, level_at(ks)); t = v; while (t < e && substr(S, t, 1) !~ /[],}]/) t++; e = t }
  else {
    e = uend(v, level_at(ks)); if (kq) { t = v; while (t < e && substr(S, t, 1) !~ /[],}]/) t++; e = t }
    # (an item of a YAML flow list ends at its comma: args: [--client-secret=X, --port=8443])
    else if (substr(S, 1, ks) ~ /\[[^]"']*$/) { t = v; while (t < e && substr(S, t, 1) !~ /[],]/) t++; e = t }
    # key=value inside a string (args="--host db password=open sesame", a shell word 'PW=ab'\''c'): to the string's end
    else if (sep == "=" && substr(S, ks, 1) != "-" && level_at(ks) < 0 && !plain(substr(S, v, e - v), key) && in_dq(ks)) { t = closeq(v, 0); if (t > e) e = t }
    else if (sep == "=" && substr(S, e, 4) == "'\\''") e = sq_end(e)
    # a quoted assignment, "NAME=a b c" (systemd's Environment=, a shell word): to its closing quote
    else if (sep == "=" && !kq && level_at(ks) == 0 && substr(S, ks - 1, 1) == "\"" && substr(S, ks - 2, 1) ~ /^[ \t=]?$/) { t = closeq(v, 0); if (t > e) e = t }
  }
  # (a Google app password as Google prints it, four groups of four letters: password=abcd efgh ijkl mnop)
  if (e == v + 4 && substr(S, v, 19) ~ /^[a-z][a-z][a-z][a-z] [a-z][a-z][a-z][a-z] [a-z][a-z][a-z][a-z] [a-z][a-z][a-z][a-z]$/ && substr(S, v + 19, 1) !~ /[A-Za-z0-9]/) e = v + 19
  if (!plain(substr(S, v, e - v), key)) edit(v, e, rule)
}
# the next argument after a flag ending at ke: " VALUE", "\", \"VALUE\"" or the next line
# the flag's value is on the next line (PENDF): after a backslash that continues the command (c), else a word alone at
# this line's indentation or a list item; read in full mode
function pend(rule, c) { PENDF = rule; PENDC = c; PENDI = vindent(); need("full"); return 1 }
function nextarg(ke, rule, kq,   w, v, c, k, e) {
  w = substr(S, ke, 32)
  if (kq == 1 && substr(S, ke - 1, 1) == "'") {
    # a shell word quoted (k3s's install script writes its unit so): '--token' 'X', '--token' X, or '--token' \ and the
    # value on the next line
    if (match(w, /^[ \t]+'/)) { v = ke + RLENGTH; e = sq_end(v); if (e > v) edit(v, e, rule); return 1 }
    if (match(w, /^[ \t]+[^- \t\\']/)) { v = ke + RLENGTH - 1; e = uend(v, -1); if (e > v) edit(v, e, rule); return 1 }
    if (w ~ /^[ \t]*\\?[ \t]*$/) return pend(rule, w ~ /\\/)
    return 0
  }
  if (kq) {
    if (match(w, /^[ \t]*,[ \t]*/)) {
      v = ke + RLENGTH
      if (v > length(S)) return pend(rule, 0)
      if (match(substr(S, v, 24), /^\\*"/)) { k = RLENGTH - 1; e = closeq(v + RLENGTH, k); edit(v + RLENGTH, e, rule); return 1 }
      return 0
    }
    if (w ~ /^[ \t]*$/) return pend(rule, 0)
    return 0
  }
  # a YAML flow list's next item: args: [--listen=:8443, --cookie-secret, X]
  if (match(w, /^,[ \t]*/) && substr(S, 1, ke) ~ /\[[^]]*$/) {
    v = ke + RLENGTH; e = v; while (e <= length(S) && substr(S, e, 1) !~ /[],]/) e++
    while (e > v && substr(S, e - 1, 1) ~ /[ \t]/) e--
    if (e > v && substr(S, v, 1) != "-" && (NAKEY == "" || !plain(substr(S, v, e - v), NAKEY))) { edit(v, e, rule); return 1 }
    return 0
  }
  if (match(w, /^[ \t]+/)) {
    v = ke + RLENGTH
    if (v > length(S)) return pend(rule, 0)
    if (v == DKE) return pend(rule, 1)
    c = substr(S, v, 1)
    if (c == "-") return 0
    # (a backslash that ends the line continues the command: the value is the next line's first word)
    if (c == "\\" && substr(S, v + 1) ~ /^[ \t]*$/) return pend(rule, 1)
    if (c == "\"" || c == "'") { e = (c == "'") ? sq_end(v + 1) : closeq(v + 1, 0); if (NAKEY == "" || !plain(substr(S, v + 1, e - v - 1), NAKEY)) edit(v + 1, e, rule); return 1 }
    e = uend(v, level_at(TOOLQ)); if (NAKEY == "" || !plain(substr(S, v, e - v), NAKEY)) edit(v, e, rule); return 1
  }
  if (w == "") return pend(rule, 0)
  return 0
}
# the rest of a key's name after its secret word, when that rest says the value is no secret (secretName,
# tokenTTL, passwordMinLength, db_password_file): a name, a reference, a file or a setting about the secret
# echo X | ..., echo X > file, printf '%s' 'X' | ...: the word echoed (the last argument of the last echo or printf before
# p, up to its pipe or redirection), when it is no variable; 1 when edited
function echoed(p, rule,   t, w, k, rest, e, args, n, c, q, v, e2) {
  t = p > 256 ? p - 256 : 1; w = substr(L, t, p - t)
  if (!match(w, /(^|[ \t;&(`])(echo|printf)[ \t]/)) return 0
  k = RSTART + RLENGTH - 1
  while (match(substr(w, k + 1), /(^|[ \t;&(`])(echo|printf)[ \t]/)) k += RSTART + RLENGTH - 1
  rest = substr(w, k + 1); e = match(rest, /[|>]/); if (!e) return 0
  args = substr(rest, 1, e - 1); sub(/[ \t]+$/, "", args); n = length(args)
  if (!n) return 0
  c = substr(args, n, 1)
  if (c == "'" || c == "\"") { q = n - 1; while (q > 0 && substr(args, q, 1) != c) q--; if (q <= 0) return 0; v = q + 1; e2 = n }
  else { if (!match(args, /[^ \t'"]+$/)) return 0; v = RSTART; e2 = n + 1 }
  if (e2 - v < 4 || substr(args, v, 1) == "$" || plain(substr(args, v, e2 - v), "")) return 0
  edit(t + k + v - 1, t + k + e2 - 1, rule)
  return 1
}
function harmless_suffix(x) {
  return x ~ /^[-_.]?(name|names|ref|refs|keyref|file|files|path|paths|requests|fingerprints?|dir|directory|ttl|length|len|size|type|types|count|enabled?|disabled?|required|policy|policies|expir[a-z]*|expires|duration|timeout|lifetime|seconds|minutes|hours|days|mode|format|min[a-z]*|max[a-z]*|version|provider|providers|url|uri|endpoint|source|sources|selector|namespace|label|labels|audiences?|issuer|algorithm|reset[a-z_.-]*|hint|prompt|field|header|param|store|mount|volume|secret-name|secret_name)$/ || x ~ /(name|ref|file|path|dir|ttl|seconds|policy|enabled|mode|version)$/
}
# a word that looks like a secret, not prose: 16 characters or more, or 8 with letters and digits
function secretish(v,   e, w) {
  if (substr(S, v, 1) == "\"") { v++; e = closeq(v, 0) } else if (substr(S, v, 1) == "'") { v++; e = sq_end(v) } else e = uend(v, -1)
  w = substr(S, v, e - v)
  return length(w) >= 16 || (length(w) >= 8 && w ~ /[0-9]/ && w ~ /[A-Za-z]/)
}
function keyword(p, alen, a,   ke, c, w, ks, key, kq, rest, sep, v, isflag, t, lv, e, suf, strong) {
  ke = p + alen
  if (a ~ /^[a-z]key$/) {
    # camelCase (userKey, primaryKey): only where the original writes the K in capitals
    if (substr(S, p + 1, 1) != "K") return
  }
  # (a salt's name: WordPress's NONCE_SALT, Django's HASHID_SALT; not a call, gen_salt('bf'), nor a flag, openssl's -salt)
  if (a ~ /salt$/ && (substr(L, ke, 1) == "(" || substr(L, p, 1) == "-")) return
  if (a ~ /^key[ \t]*[:=]$/) {
    # a key named just "key": a secret only with a value that looks like a key (ceph's key = AQ...==)
    # (a dotted property's api.key, license.key: algolia.api.key=X, -Ddd.api.key=X)
    if (p > 1 && substr(L, p - 1, 1) ~ /[a-z0-9_.-]/ && !(substr(L, p - 1, 1) == "." && substr(L, p > 64 ? p - 64 : 1, p > 64 ? 64 : p - 1) ~ /(^|[^a-z0-9])(api|access|secret|private|license|licence|signing|encryption|master|app|client|auth)[.]$/)) return
    v = p + alen; while (substr(S, v, 1) ~ /[ \t"']/) v++
    # .NET's configuration path of a signing key (Jwt:Key=X in GetDebugView's dump, Jwt__Key=X): any value
    if (substr(L, p > 64 ? p - 64 : 1, p > 64 ? 64 : p - 1) ~ /(^|[^a-z0-9])(jwt|jwtbearer|signing|encryption|security|token)[a-z0-9]*(:|__)$/) { e = uend(v, -1); if (e > v && !plain(substr(S, v, e - v), "key")) edit(v, e, "secret-field"); return }
    e = end_std64(v)
    # (or 32 hex digits and more: an API key, Datadog's under api:, an AES key)
    if (e - v >= 16 && substr(S, v, e - v) ~ /[0-9]/ && substr(S, v, e - v) ~ /[A-Z]/ && substr(S, v, e - v) ~ /[a-z]/ || e - v >= 32 && substr(S, v, e - v) ~ /^[0-9A-Fa-f]+$/) edit(v, e, "secret-field")
    return
  }
  t = p > 64 ? p - 64 : 1
  w = substr(L, t, p - t)
  match(w, /[a-z0-9_.-]*$/); ks = p - RLENGTH
  # (a line of a file logged in a JSON string starts after its \n: "...\nrequirepass X\n...")
  if (ks > 1 && ks < p && substr(L, ks - 1, 1) == "\\" && substr(L, ks, 1) ~ /[ntr]/) ks++
  # Helm's checksum/secret annotation holds a hash of the chart's Secret, no secret
  if (ks > 9 && substr(L, ks - 9, 9) == "checksum/") return
  # an annotation's or a label's prefix is the key's (backup.velero.io/restic-password: X)
  if (ks > 2 && substr(L, ks - 1, 1) == "/" && match(substr(L, ks > 64 ? ks - 64 : 1, ks > 64 ? 64 : ks - 1), /(^|[ \t"'{,])[a-z0-9][-a-z0-9]*(\.[-a-z0-9]+)+\/$/)) ks = (ks > 64 ? ks - 64 : 1) + RSTART - 1 + (substr(L, (ks > 64 ? ks - 64 : 1) + RSTART - 1, 1) ~ /[ \t"'{,]/)
  isflag = (substr(L, ks, 1) == "-")
  # the name may go on after the secret word (SECRET_KEY_BASE, DB_PASSWORD_2, PASSWORD1), except for flags
  # (--token-ttl=24h) and words that begin others (pass-through, author)
  match(substr(L, ke, 64), /^[a-z0-9_.-]*/); suf = substr(L, ke, RLENGTH)
  sub(/[.-]+$/, "", suf)
  if (suf == "-stdin" && substr(L, ks, ke - ks) ~ /^-+password$/) {
    # echo X | docker login --password-stdin: the word echoed
    echoed(p, "secret-flag")
    return
  }
  # echo X > /etc/rancher/k3s/db-pass, printf '%s' X | sudo tee /var/lib/x/token: the word written to a file named so
  # (a log, pid, lock or socket file named so holds no secret: passwd.log)
  if (substr(L, 1, ks - 1) ~ /(>>?|tee([ \t]+-a)?)[ \t]*[^ \t>|;&]*$/ && substr(L, ks) !~ /^[a-z0-9_.-]*[.](log|pid|lock|sock|out|err)([ \t;|&]|$)/ && echoed(ks, "secret-field")) return
  # printf X | kubectl create secret generic db --from-file=password=/dev/stdin: the word printed
  if (substr(L, ke, 11) == "=/dev/stdin" && echoed(ks, "secret-field")) return
  # PHP's define( 'DB_PASSWORD', 'X' ) (wp-config)
  # (and any call of a name and a value: headers():add("x-api-key", "X"), os.Setenv("DB_PASSWORD", "X"), put("token", 'X'))
  if (ks > 1 && substr(S, ks - 1, 1) ~ /['"]/ && substr(L, ks > 65 ? ks - 64 : 1, ks > 65 ? 63 : ks - 2) ~ /[a-z0-9_]\([ \t]*$/ && match(substr(S, ke, 16), /^['"][ \t]*,[ \t]*['"]/)) {
    v = ke + RLENGTH; e = (substr(S, v - 1, 1) == "'") ? sq_end(v) : closeq(v, 0)
    if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field")
    return
  }
  # an Erlang term's {default_pass, <<"X">>} (RabbitMQ's advanced.config), {password, "X"}
  if (ks > 1 && substr(S, ks - 1, 1) == "{" && match(substr(S, ke, 24), /^[ \t]*,[ \t]*(<<)?"/)) {
    v = ke + RLENGTH; e = closeq(v, 0); if (e > v && !plain(substr(S, v, e - v), "password")) edit(v, e, "secret-field")
    return
  }
  # OSPF's message-digest-key N md5 X (FRR, IOS)
  if (substr(L, ks, ke - ks) ~ /message-digest-key$/ && match(substr(L, ke, 32), /^[ \t]+[0-9]+[ \t]+md5[ \t]+/)) { v = ke + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "secret-field"); return }
  # a network device's enable secret 0 X, username U password 7 X (IOS, FRR: the digit is the value's type)
  if (a ~ /^(secret|password)$/ && substr(L, 1, ks - 1) ~ /(^|[ \t])(enable|username[ \t]+[^ \t]+([ \t]+privilege[ \t]+[0-9]+)?)[ \t]+$/ && match(substr(S, ke, 16), /^[ \t]+[0-9][ \t]+/)) {
    v = ke + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "secret-field")
    return
  }
  # SQL's SET PASSWORD [FOR 'app'@'%'] = 'X' (MySQL's general log, a migration's output)
  if (substr(L, ks, ke - ks) == "password" && substr(L, ks > 64 ? ks - 64 : 1, ks > 64 ? 64 : ks - 1) ~ /(^|[ \t;])set[ \t]+$/ && match(substr(L, ke, 256), /^([ \t]+for[ \t]+[^ \t=]+)?[ \t]*=[ \t]*n?['"]/)) {
    v = ke + RLENGTH; e = (substr(S, v - 1, 1) == "'") ? sq_end(v) : closeq(v, 0)
    if (e > v && !plain(substr(S, v, e - v), "password")) edit(v, e, "secret-field")
    return
  }
  # a user and a password as a call's or a tuple's two strings: db.auth('u', 'X') (MongoDB), auth=('u', 'X') (Python
  # requests), HTTPBasicAuth("u", "X"): the second
  if (a == "auth" && match(substr(S, ke, 256), /^[ \t]*=?[ \t]*\([ \t]*['"][^'"]*['"][ \t]*,[ \t]*['"]/)) {
    v = ke + RLENGTH; e = (substr(S, v - 1, 1) == "'") ? sq_end(v) : closeq(v, 0)
    if (e > v && !plain(substr(S, v, e - v), "password")) edit(v, e, "secret-field")
    return
  }
  # Redis Sentinel's sentinel auth-pass MASTER X (sentinel.conf): the word after the master's name
  if (substr(L, ks, ke - ks) == "auth-pass" && substr(L, ks > 64 ? ks - 64 : 1, ks > 64 ? 64 : ks - 1) ~ /(^|[ \t])sentinel[ \t]+$/ && match(substr(S, ke, 256), /^[ \t]+[^ \t]+[ \t]+/)) {
    v = ke + RLENGTH; e = uend(v, -1); if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field")
    return
  }
  # SQL's PASSWORD('X') (SET PASSWORD FOR 'app'@'%' = PASSWORD('X'))
  if (match(substr(S, ke, 4), /^[ \t]?\(['"]/)) {
    v = ke + RLENGTH; e = (substr(S, v - 1, 1) == "'") ? sq_end(v) : closeq(v, 0)
    if (e > v && !plain(substr(S, v, e - v), "password")) edit(v, e, "secret-field")
    return
  }
  # restic's --password-command 'echo X' (any --...-command that echoes): the word echoed
  if (isflag && suf == "-command" && match(substr(S, ke + 8, 64), /^[ \t=]+['"]?(echo|printf)[ \t]+(-[a-z]+[ \t]+)*['"]?/)) {
    v = ke + 8 + RLENGTH; e = v; while (e <= length(S) && substr(S, e, 1) !~ /[ \t'";|]/) e++
    if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-flag")
    return
  }
  if (suf != "") {
    # (a flag's name that goes on is no secret's, but Vault's --secret-id is one)
    # (Vault's AppRole secret_id is a credential, as --secret-id is)
    if ((isflag && !(a ~ /^secrets?$/ && suf ~ /^[-_]?id$/)) || (harmless_suffix(suf) && !(a == "secret" && suf ~ /^[-_]id$/)) || (a ~ /^(pass|pwd|pw|psk|otp|auth|user|cookie|encrypt|sig|signature|authorization|proxy-authorization)$/ && suf !~ /key$/ && !(a == "pass" && suf == "code") && !(a == "auth" && suf == "tok"))) return
    ke += length(suf)
    if (suf ~ /key$/) a = "key"
  }
  key = substr(L, ks, ke - ks)
  # a Helm chart's name of an existing Secret (existingSecret: db-credentials), no secret
  if (key ~ /^existing/) return
  # names of keys that are identifiers, not secrets (containerd's snapshotKey, a table's partitionKey)
  if (key ~ /(snapshot|partition|sort|cache|idempotency|lookup|index|label|topology|object|row|shard|foreign|unique|composite|group|node|annotation|field|column|dedupe?|trace|span|metric|hot|public|pub|host|ssh-host|trust|verify|verification|ca)[-_]?key$/) return
  # an object of secrets: Consul's acl tokens { agent = "X" } (HCL) and "tokens": {"default": "X"} (JSON), every value in it,
  # over the lines after it to its closing brace (full mode)
  if (key ~ /^(acl[-_])?(tokens|secrets|credentials|passwords)$/ && match(substr(S, ke, 24), /^\\*["']?[ \t]*[:=]?[ \t]*[{]/)) {
    if (!objvals(ke + RLENGTH)) { need("full"); if (MODE == "full") OBJV = 1 }
    return
  }
  strong = (key ~ /(password|passwd|passphrase|passcode|secret|token|apikey|api-key|api_key|credential)s?$|[-_]key$|[-_]pass$|authtok$|secret[-_]id$|honeycomb-team$|securejsondata$/)
  if (a == "pass" && key !~ /(^|[-_.])pass(code)?$|^-*(require|master|root|db|admin|redis|mysql|user|auth)pass$|^-+[a-z]+pass$/ && !(key != "pass" && substr(S, ke - 4, 4) ~ /^(Pass|PASS)$/)) return
  # (pwd: the working directory, but ODBC's ;PWD=X, {pwd: X}, and MongoDB's createUser "pwd":"X" and , pwd: "X")
  if (a == "pwd" && key !~ /[-_.]pwd$/ && !(key == "pwd" && ks > 1 && (substr(S, ks - 1, 1) ~ /[;{,]/ || substr(S, 1, ks - 1) ~ /[{,][ \t]*\\*"?$/ && substr(S, ke, 8) ~ /^\\*"?[ \t]*:/)) && !(key != "pwd" && substr(S, ke - 3, 3) ~ /^(Pwd|PWD)$/)) return
  if (a == "sig" && !(key == "sig" && ks > 1 && substr(S, ks - 1, 1) ~ /[?&;]/)) return
  # openssl pass phrases: -passout pass:X, -passin pass:X
  if (a == "pass" && key == "pass" && substr(S, ke, 1) == ":" && substr(S, ke + 1, 1) !~ /^[ \t]?$/ && (ks == 1 || substr(S, ks - 1, 1) ~ /[ \t"']/)) { edit(ke + 1, uend(ke + 1, level_at(ks)), "secret-field"); return }
  # XML elements: <password>X</password>, <wsse:Password>X</wsse:Password>
  # (and Windows unattend's <Password><Value>X</Value>)
  if (substr(S, ke, 1) == ">" && (substr(S, ks - 1, 1) == "<" || substr(L, 1, ks - 1) ~ /<[a-z0-9_.-]+:$/)) {
    v = ke + 1; if (match(substr(L, v, 32), /^[ \t]*<value>/)) v += RLENGTH
    t = index(substr(S, v, 65536), "<"); e = t ? v + t - 1 : length(S) + 1
    if (!plain(substr(S, v, e - v), key)) edit(v, e, "secret-field"); return
  }
  # XML's name and value: <entry key="db.password">X</entry>, <add key="DbPassword" value="X"/> (.NET),
  # <property name="password" value="X"/> (Spring)
  c = substr(S, ks - 1, 1)
  if ((c == "\"" || c == "'") && substr(S, ke, 1) == c && ks > 2 && match(substr(L, 1, ks - 2), /<[a-z][^<>]*[ \t](key|name)[ \t]*=[ \t]*$/)) {
    w = substr(S, ke + 1, 4096); t = index(w, ">"); if (!t) return
    if (match(tolower(substr(w, 1, t)), /[ \t]value[ \t]*=[ \t]*["']/)) {
      v = ke + RSTART + RLENGTH; c = substr(S, v - 1, 1); e = (c == "'") ? sq_end(v) : closeq(v, 0)
    } else {
      if (substr(w, t - 1, 1) == "/") return
      v = ke + 1 + t; e = index(substr(S, v, 65536), "<"); e = e ? v + e - 1 : length(S) + 1
    }
    if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field"); return
  }
  # Go dumps: {Username:ci,Password:X,Auth:} and Password:X (%+v), Password:"X" (%#v), map[password:X user:u]
  t = substr(S, ks, ke - ks)
  if (substr(S, ke, 1) == ":" && (t ~ /^[A-Z][A-Za-z]*$/ || (t ~ /^[A-Za-z][A-Za-z_-]*$/ && index(substr(S, 1, ks), "map["))) && (ks == 1 || substr(S, ks - 1, 1) ~ /[[{, \t]/) && substr(S, ke + 1, 1) !~ /^[] \t,}]?$/) {
    v = ke + 1
    if (substr(S, v, 1) == "\"") { v++; t = closeq(v, 0) }
    # (a byte slice, %#v: Password:[]uint8{0x61, 0x75, ...}, to its closing brace)
    else if (match(substr(S, v, 16), /^\[\](uint8|byte)\{/)) { t = index(substr(S, v, 65536), "}"); t = t ? v + t : length(S) + 1 }
    else if (substr(S, v, 1) == "[") { t = index(substr(S, v, 65536), "]"); t = t ? v + t : length(S) + 1 }
    else { e = uend(v, -1); t = v; while (t < e && substr(S, t, 1) !~ /[],}]/) t++ }
    if (!plain(substr(S, v, t - v), key)) edit(v, t, "secret-field"); return
  }
  # a colour code between the name and its separator (logrus and others, forced to colour: ESC[36mpassword ESC[0m=X)
  if (match(substr(S, ke, 16), /^\033\[[0-9;]*m/)) ke += RLENGTH
  w = substr(S, ke, 40)
  kq = 0
  if (match(w, /^\\*["']/)) kq = RLENGTH
  else if (tolower(substr(w, 1, 6)) == "\\u0022" || substr(w, 1, 6) == "&quot;") kq = 6  # (its value then runs to white space)
  # URL-encoded JSON in a query (GraphQL's GET ?variables=%7B%22password%22%3A%22X%22%7D): the value to its encoded quote
  else if (substr(w, 1, 3) == "%22" && match(substr(L, ke + 3, 16), /^(%20)*%3a(%20)*%22/)) {
    v = ke + 3 + RLENGTH; e = index(substr(S, v, 4096), "%22"); e = e ? v + e - 1 : uend(v, -1)
    if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field")
    return
  }
  rest = substr(w, kq + 1)
  # a bracketed name: $db['default']['password'] = 'X' (PHP), ENV["DB_PASSWORD"] = "X" (Ruby), os.environ["API_TOKEN"] = "X"
  if (kq && substr(S, ks - kq - 1, 1) == "[" && match(rest, /^\][ \t]*=[ \t]*/) && substr(rest, RLENGTH + 1, 1) != "=") { value(ke + kq + RLENGTH, ks, 0, "=", key, "secret-field"); return }
  # "password" => "X" (Ruby, Perl), access_token%3DX (a URL-encoded query)
  if (match(rest, /^[ \t]*=>[ \t]*/) || match(rest, /^%3[dD]/)) { value(ke + kq + RLENGTH, ks, kq, "=", key, isflag ? "secret-flag" : "secret-field"); return }
  if (match(rest, /^[ \t]*[:=][ \t]*/)) {
    sep = substr(rest, RSTART, RLENGTH); sep = (sep ~ /=/) ? "=" : ":"
    t = substr(rest, RLENGTH + 1, 1)
    if (sep == "=" && (t == "=" || t == ">" || substr(rest, 1, 1) == "!")) return
    # consul kv get -recurse: config/app/db_password:X (a key's path, then its value to the line's end)
    if (sep == ":" && !kq && ks > CO + 1 && ks - CO <= 512 && substr(S, ks - 1, 1) == "/" && substr(S, CO + 1, ks - CO - 1) ~ /^[A-Za-z0-9_.-]+(\057[A-Za-z0-9_.-]+)*\057$/) {
      v = ke + RLENGTH; e = length(S) + 1; while (e > v && substr(S, e - 1, 1) ~ /[ \t]/) e--
      if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field")
      return
    }
    if (sep == ":" && !kq) {
      # mid-line, only a compound name (x-api-key, db_password), a header name or a password word counts as a key
      if (!structural(ks) && (key !~ /[-_]/ || substr(S, ks - 1, 1) !~ /[ \t]/) && key !~ /^(cookie|set-cookie|authorization)$/ && !(key ~ /^(password|passwd|passphrase|passcode|pwd|pw)$/ && t != "") && !(key ~ /^(token|secret)s?$/ && secretish(ke + kq + RLENGTH))) return
      # ({pwd:"X"} (JavaScript, JSON5) and protobuf's text password:\"X\" (etcd's request stats) are keys; so is a dotted
      # property's name, spring.datasource.password:X, where its value is the rest of the line)
      if (substr(rest, RLENGTH, 1) == ":" && t != "" && !((t ~ /["']/ || substr(rest, RLENGTH + 1, 2) == "\\\"") && structural(ks)) && !(key ~ /[a-z0-9]\.[a-z0-9]/ && structural(ks) && substr(S, ke + kq + RLENGTH) ~ /^[^ \t]+[ \t]*$/)) return
    }
    # a value that is an object holding it: Spring's /actuator/env, "spring.datasource.password":{"value":"X",...}
    if (t == "{") {
      v = ke + kq + RLENGTH; lv = RLENGTH
      if (match(substr(S, v, 48), /^[{][ \t]*"value"[ \t]*:[ \t]*"/)) {
        v += RLENGTH; e = closeq(v, 0)
        if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field")
        return
      }
      RLENGTH = lv
    }
    if (a == "user") {
      if (sep != "=" || substr(L, ke + kq + RLENGTH, 7) == "system:") return
      v = ke + kq + RLENGTH; e = uend(v, level_at(ks)); if (match(substr(S, v, 24), /^\\*["']/)) { v += RLENGTH; e = closeq(v, RLENGTH - 1) }
      t = index(substr(S, v, e - v), ":"); if (t && e > v + t) edit(v + t, e, "secret-field"); return
    }
    # T-SQL's national string: PASSWORD = N'X' (CREATE LOGIN, ALTER LOGIN)
    if (sep == "=" && !kq && (t == "N" || t == "n") && substr(rest, RLENGTH + 2, 1) == "'" && key ~ /password$/) {
      v = ke + RLENGTH + 2; e = sq_end(v); if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field"); return
    }
    if (key ~ /^(set-)?cookie$/ && level_at(ks) < 0 && t != "\"" && t != "'") { v = ke + kq + RLENGTH; e = length(S) + 1; while (e > v && substr(S, e - 1, 1) ~ /[ \t]/) e--; edit(v, e, "secret-field"); return }
    BLOCKKEYS = 1
    value(ke + kq + RLENGTH, ks, kq, sep, key, isflag ? "secret-flag" : "secret-field")
    BLOCKKEYS = 0
    if (sep == ":" && kq && ke + kq + RLENGTH > length(S)) { PENDJ = 1; need("full") }
    return
  }
  if (a == "user") {
    # etcdctl --user root:X
    if (isflag && match(substr(S, ke, 8), /^[ \t]+/)) { v = ke + RLENGTH; e = uend(v, -1); t = index(substr(S, v, e - v), ":"); if (t && e > v + t) edit(v + t, e, "secret-flag") }
    return
  }
  if (match(substr(S, ke + kq, 8), /^[ \t]+-v[ \t]+/)) { v = ke + kq + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "secret-field"); return }
  if (match(substr(S, ke + kq, 32), /^[ \t]+and[ \t]+value[ \t]+\\*"/)) { v = ke + kq + RLENGTH; e = closeq(v, 0); if (e > v) edit(v, e, "secret-field"); return }
  NAKEY = key; t = isflag ? nextarg(ke + kq, "secret-flag", kq) : 0; NAKEY = ""
  if (t) return
  # PASSWORD 'X', IDENTIFIED BY 'X' (SQL), "AUTH" "X" (redis): a quoted value after a password word
  if ((key ~ /(password|passwd|passphrase)$/ || key == "auth" && kq) && match(substr(S, ke + kq, 8), /^[ \t]+/)) {
    v = ke + kq + RLENGTH
    if (match(substr(S, v, 24), /^\\*["']/)) {
      c = substr(S, v + RLENGTH - 1, 1); t = RLENGTH - 1; v += RLENGTH
      e = (c == "'") ? sq_end(v) : closeq(v, t)
      if (!plain(substr(S, v, e - v), key)) edit(v, e, "secret-field")
      # "AUTH" "user" "X" (redis 6 ACL, as MONITOR prints it): the second argument too
      if (key == "auth" && c == "\"" && match(substr(S, e, 8), /^\\*"[ \t]+\\*"/)) { v = e + RLENGTH; e = closeq(v, t); edit(v, e, "secret-field") }
      return
    }
  }
  # key VALUE, with no separator: requirepass X, masterauth X (redis.conf), insecure-password X (haproxy),
  # aws_secret_access_key X, a netrc's password X, BGP's neighbor PEER password X (FRR, MetalLB, Quagga), and a
  # line of only a password word and its value
  # a word that is itself the value of a name= has its value in a value= after it (logfmt: name=DB_PASSWORD val=X,
  # key=db.password value="X"), and no other (secretName=db-credentials passwordPolicy=strict)
  if (!kq && substr(S, ks - 1, 1) == "=" && match(substr(L, ke, 64), /^[ \t]+(value|val)=/)) {
    v = ke + RLENGTH; if (substr(S, v, 1) == "\"") { v++; e = closeq(v, 0) } else e = uend(v, level_at(ks))
    if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field")
    return
  }
  if (!kq && substr(S, ks - 1, 1) != "=" && match(substr(S, ke, 64), /^[ \t]+/)) {  # (a table's or a config's column of values: many blanks)
    v = ke + RLENGTH; c = substr(S, v, 1)
    # auth USER:X (haproxy's stats auth, Fluent Bit's Cloud_Auth): the part after the user's colon
    if (key ~ /(^|[-_])auth$/ && match(substr(S, v, 256), /^[A-Za-z0-9_.@-]+:[^ \t\057]/)) {
      v += RLENGTH - 1; e = uend(v, level_at(ks)); if (!plain(substr(S, v, e - v), key)) edit(v, e, "secret-field"); return
    }
    if (c != "" && c !~ /[-#=:]/ && (key ~ /^(requirepass|masterauth)$/ || TOOL == "nmcli" && key ~ /(password|psk)$/ || (key ~ /[-_]/ && strong && secretish(v)) || substr(L, 1, ks - 1) ~ /(^|[ \t])login[ \t]+[^ \t]+[ \t]+$/ || (key == "password" && substr(L, 1, ks - 1) ~ /(^|[ \t])neighbor[ \t]+[^ \t]+[ \t]+$/ && substr(S, v) ~ /^[^ \t]+[ \t]*$/) || (structural(ks) && substr(S, v) ~ /^[^ \t]+[ \t]*$/ && (strong && (substr(S, ks - 1, 1) !~ /["']/ || secretish(v)) || key == "pass" && secretish(v))))) {
      # (a quoted value: nginx's set $api_token "X";)
      if (c == "\"") { v++; e = closeq(v, 0) } else if (c == "'") { v++; e = sq_end(v) } else e = uend(v, level_at(ks))
      if (e > v && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field"); return
    }
  }
  # a secret-looking name of a name/value pair (env DB_PASSWORD): its value follows
  lv = t = ks > 24 ? ks - 24 : 1
  w = substr(L, t, ks - t)
  if (w ~ /(name|key)\\*"?[ \t]*[:=][ \t]*\\*"?$/ && substr(L, ke, 8) ~ /^\\*"?[ \t]*(,|$|})/) {
    if (match(substr(L, ke, 80), /^\\*"?[ \t]*,[ \t]*\\*"?value\\*"?[ \t]*[:=][ \t]*/)) { value(ke + RLENGTH, ke, 1, "=", "value", "env-value"); return }
    if (substr(L, ke, 8) ~ /^\\*"?[ \t]*,?[ \t]*$/) { PENDV = 4; need("full") }
  }
  # a token announced in prose: Access token was successfully created: X (Gitea), token has been generated: X
  if (a ~ /^tokens?$/ && match(substr(S, ke, 64), /^[ \t]+(was|has been|is)[ \t]+(successfully[ \t]+)?(created|generated|issued)[ \t]*:?[ \t]+/)) {
    v = ke + RLENGTH; e = uend(v, -1); if (e - v >= 8 && !plain(substr(S, v, e - v), key)) edit(v, e, "secret-field"); return
  }
  # the password is X, password for user admin is X, with password X (password-prose)
  if (!kq && !isflag && key ~ /^(password|passwd|passphrase|passcode|pw)$/) prose(ks, ke)
}
# ends and starts of runs, scanned in windows (regex literals: busybox would compile a dynamic one per call)
function end_b64(p,   e, w) { e = p; while (1) { w = substr(S, e, 4096); if (w == "") return e; if (match(w, /[^A-Za-z0-9+\/=_-]/)) return e + RSTART - 1; e += length(w) } }
function end_std64(p,   e, w) { e = p; while (1) { w = substr(S, e, 4096); if (w == "") return e; if (match(w, /[^A-Za-z0-9+\/=]/)) return e + RSTART - 1; e += length(w) } }
function end_jwt(p,   e, w) { e = p; while (1) { w = substr(S, e, 4096); if (w == "") return e; if (match(w, /[^A-Za-z0-9_.=-]/)) return e + RSTART - 1; e += length(w) } }
function end_tokrun(p,   e, w) { e = p; while (1) { w = substr(S, e, 4096); if (w == "") return e; if (match(w, /[^A-Za-z0-9+\057_-]/)) return e + RSTART - 1; e += length(w) } }
function end_tok(p,   e, w) { e = p; while (1) { w = substr(S, e, 4096); if (w == "") return e; if (match(w, /[^A-Za-z0-9._~+\/=-]/)) return e + RSTART - 1; e += length(w) } }
function start_b64(p,   s, t, w) {
  s = p
  while (s > 1) { t = s > 4096 ? s - 4096 : 1; w = substr(S, t, s - t); match(w, /[A-Za-z0-9+\/=_-]*$/); if (RSTART > 1 || t == 1) return t + RSTART - 1; s = t }
  return 1
}
function b64run(p, rule, minlen,   a, b, back) {
  a = start_b64(p); b = end_b64(p)
  back = (a == 1 && INCHUNK)  # the run starts before this chunk of a long line
  if (a < SKIP) a = SKIP
  if (b - a >= minlen || back) { edit(a, b, rule); if (back) BACK[ne] = 1; wrapped(a, b, rule) }
  if (b > SKIP) SKIP = b
}
# a run redacted to the end of a line of fixed-width base64 (60 to 100 characters) goes on in the next lines
function wrapped(a, b, rule) {
  if (b > length(S) + 1) b = length(S) + 1  # (the ends of runs are found in 4 KiB windows and may lie past the line)
  if (b > length(S) && b - a >= 60 && b - a <= 100 && !INCHUNK) { need("full"); if (MODE == "full") B64C = rule }
}
function pem(p,   t, w, bs, e, x, i) {
  t = p > 48 ? p - 48 : 1; w = substr(L, t, p - t)
  if (!match(w, /----[- ]?begin [a-z0-9 ]*$/)) {
    # an END with no BEGIN before it: the file starts inside a key (a log's tail kept by --max-log-bytes); the
    # lines of base64 before it are part of the key
    if (!INPEM && match(w, /----[- ]?end [a-z0-9 ]*$/)) {
      need("full")
      if (MODE == "full") {
        if (RUN0) for (i = RUN0; i < NRX; i++) { printf "%d\td\n", i > PATCH; printf "%d\t%s\n", i, "private-key" > REP }
        e = p + 11; x = index(substr(L, e, 16), "----"); if (x) { e += x - 1; while (substr(L, e, 1) == "-") e++ }
        edit(CO + 1, e, "private-key"); if (e > SKIP) SKIP = e
      }
    }
    return
  }
  bs = t + RSTART - 1
  e = p
  while (1) { w = substr(L, e, 4096); if (w == "") { e = 0; break } if (match(w, /----[- ]?end/)) { e = e + RSTART - 1; break } e += 4096 - 8 }
  if (e) { x = index(substr(L, e + 8, 80), "----"); e = x ? e + 8 + x + 3 : e + 8; while (substr(L, e, 1) == "-") e++; edit(bs, e, "private-key"); if (e > SKIP) SKIP = e; return }
  need("full")
  if (MODE == "full") { edit(bs, length(S) + 1, "private-key"); INPEM = 1; SKIP = length(S) + 1 }
}
function jwt(p,   e, r) {
  if (substr(S, p, 3) != "eyJ") return
  if (p > 1 && substr(S, p - 1, 1) ~ /[A-Za-z0-9_-]/) return
  e = end_jwt(p)
  r = substr(S, p, e - p)
  if (r ~ /^eyJ[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\./ && e - p >= 24) edit(p, e, "jwt")
  if (e > SKIP) SKIP = e
}
function b64pem(p,   a, b, r) {
  if (substr(S, p, 7) != "LS0tLS1") return
  a = p; b = end_std64(p)
  r = substr(S, a, b - a)
  if (r !~ /^LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS|^LS0tLS1CRUdJTiBQVUJMSUMgS0VZ|^LS0tLS1CRUdJTiBYNTA5IENSTC/ || has_sig(r)) { edit(a, b, "base64-private-key"); wrapped(a, b, "base64-private-key") }
  if (b > SKIP) SKIP = b
}
function has_sig(r,   i) { for (i = 1; i <= NKSIG; i++) if (index(r, KSIG[i])) return 1; return 0 }
function sig(p, a,   n, i, ok) {
  n = split(SIGS[a], TMP2, " "); ok = 0
  for (i = 1; i <= n; i++) if (substr(S, p, length(TMP2[i])) == TMP2[i]) ok = 1
  if (ok) b64run(p, "base64-encoded-secret", 12)
}
function gz(p) { if (substr(S, p, 4) == "H4sI") b64run(p, "base64-gzip-blob", 40) }
# the ranges of the line a PEM certificate, public key or CRL holds (CRS, CRE; NCR of them); upd: in full mode, a
# block carried over lines (INCERT)
function certranges(upd,   t, x, k, e, ty, bs) {
  NCR = 0; t = 1
  if (upd && INCERT) {
    # a block over lines: bare base64 lines (after a log's prefix, indentation, a quote), to its END; any other line ends it
    INCERT = 0; x = index(L, "-----end ")
    if (x && substr(S, CO + 1, x - CO - 1) ~ /^[ \t"']*[A-Za-z0-9+\057=]*$/) { NCR = 1; CRS[1] = 1; CRE[1] = x; t = x + 9 }
    else if (!x && substr(S, CO + 1) ~ /^[ \t"']*[A-Za-z0-9+\057=]+[ \t"',]*$/) { NCR = 1; CRS[1] = 1; CRE[1] = length(S) + 1; INCERT = 1; return }
  }
  while ((x = index(substr(L, t), "-----begin ")) > 0) {
    k = t + x - 1 + 11; ty = substr(L, k, 48); e = index(ty, "-----"); ty = e ? substr(ty, 1, e - 1) : ty
    if (!e || ty !~ /certificate|public key|x509 crl|pkcs7/ || ty ~ /private/) { t = k; continue }
    x = index(substr(L, k), "-----end ")
    if (x) { NCR++; CRS[NCR] = k; CRE[NCR] = k + x - 1; t = k + x + 8; continue }
    # no END on the line: its body only (base64, with \n escapes), and the next lines when the body runs to the line's end
    bs = k + e + 4
    while (1) { if (match(substr(S, bs, 4096), /^[A-Za-z0-9+\057=]+/)) bs += RLENGTH; else if (substr(S, bs, 1) == "\\") bs++; else break }
    NCR++; CRS[NCR] = k; CRE[NCR] = bs
    if (upd && substr(S, bs) ~ /^[ \t"',]*$/) INCERT = 1
    return
  }
}
# whether a rule's edit already covers a to b (the report names that rule)
function covered(a, b,   i) { for (i = 1; i <= ne; i++) if (ES[i] <= a && EE[i] >= b) return 1; return 0 }
function incert(p,   i) { for (i = 1; i <= NCR; i++) if (p >= CRS[i] && p < CRE[i]) return 1; return 0 }
# fewer than 6 in 10 characters in words (a capital and 3 or more small letters): random base64 has about 2 in 10
function rnd(r,   t) { t = r; gsub(/[A-Z]?[a-z][a-z][a-z]+/, "", t); return (length(r) - length(t)) * 10 < length(r) * 6 }
# a run with / (a path, a URL, base64): its random part only, by its pieces between /: a span of pieces that look
# random (two kinds of character and few words; of 3 characters or fewer, anything but small letters) is redacted
# when it is 16 or more characters that look random together, with a piece (between / + _ -) of 10 or more of
# mixed case that looks random (an Azure resource group MC_shopRG_shopAKS_eastus does not)
# (/static/bundle/<token>: the token)
function pathspans(a, b,   k, i, q, sa, se, p, t, mix, m, j) {
  k = split(substr(S, a, b - a), SEG, "/"); q = a; sa = 0
  for (i = 1; i <= k + 1; i++) {
    p = (i <= k) ? SEG[i] : ""
    if (i <= k && p != "" && (length(p) <= 3 ? p !~ /^[a-z]*$/ : ((p ~ /[A-Z]/) + (p ~ /[a-z]/) + (p ~ /[0-9]/) + (p ~ /[+=_-]/) >= 2 && rnd(p)))) {
      if (!sa) { sa = q; mix = 0 }
      se = q + length(p)
      if (!mix && length(p) >= 10) { m = split(p, SUB, /[+_-]/); for (j = 1; j <= m; j++) if (length(SUB[j]) >= 10 && SUB[j] ~ /[A-Z]/ && SUB[j] ~ /[a-z]/ && rnd(SUB[j])) mix = 1 }
    } else if (sa) {
      t = substr(S, sa, se - sa)
      if (se - sa >= 16 && mix && rnd(t)) edit(sa, se, "random-token")
      sa = 0
    }
    q += length(p) + 1
  }
}
# whether the run from a to b looks random (1: the whole run). Mixed case: the run, and one of its pieces between
# separators of 10 or more characters, mixed case too (a path or a snake_case name is made of words and of pieces in
# one case). Lower case and digits: pieces between / and + of 20 or more characters with no - or _ (a name's random
# part is not redacted: the name joins files), in 3 or more groups of digits, not hex after a word (pod<uid>); they
# are edited here.
function randomish(a, b,   r, n, t, k, i, q) {
  r = substr(S, a, b - a); sub(/=+$/, "", r); n = length(r)
  # Terraform Cloud's <14>.atlasv1.<67>: its first part too
  if (a > 9 && substr(S, a - 9, 9) == ".atlasv1.") { q = a - 9; while (q > 1 && substr(S, q - 1, 1) ~ /[A-Za-z0-9]/) q--; edit(q, a - 9, "random-token") }
  if (n < 16) return 0
  r = substr(r, 1, 512)
  t = r; gsub(/-/, "", t); if (t ~ /^[0-9A-Fa-f]+$/) return 0
  # a kubelet's certificate signing request (node-csr-<base64url>), an ssh public key (ssh-ed25519 AAAA...)
  if (r ~ /^node-csr-/ || (r ~ /^AAAA/ && substr(L, a > 24 ? a - 24 : 1, a > 24 ? 24 : a - 1) ~ /(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp[0-9]+|ssh\.com) $/)) return 0
  # an Oracle Cloud resource's id (ocid1.subnet.oc1.iad.<hash>): a name, no secret
  if (substr(L, a > 64 ? a - 64 : 1, a > 64 ? 64 : a - 1) ~ /ocid1\.[a-z0-9]+\.oc[0-9]+\.[a-z0-9-]*\.$/) return 0
  # a digest: SHA256:<base64> (an ssh key's fingerprint), sha512-<base64> (a package's integrity)
  if (substr(L, a > 8 ? a - 8 : 1, a > 8 ? 8 : a - 1) ~ /(sha1|sha224|sha256|sha384|sha512|md5)[:-]$/) return 0
  if (r ~ /^(LS0tLS1CRUdJTiBDRVJU|LS0tLS1CRUdJTiBQVUJMSUMgS0VZ|LS0tLS1CRUdJTiBYNTA5IENSTC|LS0tLS1CRUdJTiBUUlVTVEVEIENFUlRJRklDQVRF)/) return 0
  # the name of an annotation or a label, a key (projectcalico.org/IPv4VXLANTunnelAddr: on every Calico node)
  if (a > 1 && substr(S, a - 1, 1) == "." && r ~ /^[a-z0-9-]+\057[A-Za-z0-9_.-]+$/ && substr(S, b, 4) ~ /^(\\?"[ \t]*:|:[ \t]|:$)/) return 0
  if (r ~ /[A-Z]/ && r ~ /[a-z]/) {
    if (index(r, "/") || n > 512) { pathspans(a, b); return 0 }
    if (!rnd(r)) return 0
    k = split(r, SEG, /[+\057_-]/)
    for (i = 1; i <= k; i++) if (length(SEG[i]) >= 10 && SEG[i] ~ /[A-Z]/ && SEG[i] ~ /[a-z]/ && rnd(SEG[i])) return 1
    return 0
  }
  if (r ~ /[A-Z]/ || r !~ /[a-z]/ || n < 20) return 0
  k = split(substr(S, a, b - a), SEG, /[+\057]/); q = a
  for (i = 1; i <= k; i++) {
    t = SEG[i]; sub(/^[a-z]+/, "", t)
    if (length(SEG[i]) >= 20 && SEG[i] !~ /[_-]/ && SEG[i] ~ /[a-z]/ && t !~ /^[0-9a-f]+$/) { t = SEG[i]; if (gsub(/[0-9]+/, "", t) >= 3) edit(q, q + length(SEG[i]), "random-token") }
    q += length(SEG[i]) + 1
  }
  return 0
}
# whether the run r of n characters is a vendor's shape of lower case and hex after a prefix: Sonar squ_, Supabase
# sbp_, Buildkite bkua_, Pulumi pul-, Linear lin_oauth_, Shopify shpss_, Honeycomb hcaik_, Databricks dapi, Mailgun
# key-, Mailchimp <32 hex>-usN, PostgreSQL md5 (one regex for every run of 35 or more characters)
function vshape(r, n) {
  if (n < 35 || r !~ /^((squ_|sqp_|sqa_|sbp_|bkua_|pul-|lin_oauth_|shpss_|shpca_|shppa_|hcaik_)[0-9a-z]|[0-9a-f]+-us[0-9]+$|(dapi|key-|md5)[0-9a-f]+$)/) return 0
  return r ~ /^md5/ ? n == 35 : r ~ /^(dapi|key-)[0-9a-f]+$/ ? n == 36 : n >= 36
}
# runs that look random: every run of 16 or more [A-Za-z0-9+/_-] (and = padding) of the line, found in windows,
# except those inside a PEM certificate, public key or CRL (on this line, or over lines in full mode)
function entropy(   n, pos, win, p, a, b, lim, w, r) {
  n = length(S); pos = (SKIP0 > 0) ? SKIP0 : 1; lim = SCANLIM ? SCANLIM : n
  # (in full mode the ranges of a whole line were found before its states, which carry a block over lines)
  if (MODE == "line" || LONGL || CTXS) { if (index(L, "-----")) certranges(0); else NCR = 0 }
  while (pos <= lim) {
    win = substr(S, pos, 4096); w = length(win)
    if (!match(win, /@RUNS@/)) { if (pos + 4096 > n) break; pos += 4096 - 15; continue }
    p = pos + RSTART - 1
    if (p > lim) break
    # (a window starts after a run's end, or 15 characters into a run that goes on from the window before)
    a = p; if (RSTART == 1 && pos > 1) while (a > 1 && a > p - 16 && substr(S, a - 1, 1) ~ /[A-Za-z0-9+\057_-]/) a--
    # the run's end, in the window unless it reaches the window's end
    match(substr(win, RSTART), /^[A-Za-z0-9+\057_-]+/); b = p + RLENGTH
    if (b - pos >= w) { b = end_tokrun(p); if (b > n + 1) b = n + 1 }
    # = is padding at the run's end only (podUID=<uuid> is two runs)
    if (substr(S, b, 1) == "=") { while (substr(S, b, 1) == "=") b++; if (substr(S, b, 1) ~ /[A-Za-z0-9+\057_-]/) { while (substr(S, b - 1, 1) == "=") b-- } }
    pos = b + 1
    r = substr(S, a, b - a)
    if (vshape(r, b - a)) {
      if (!covered(a, b)) edit(a, b, "random-token")
      continue
    }
    # a quick no: one case with no separator (names, hex ids, words, AWS key ids)
    if (r !~ /[A-Z]/ && (b - a < 20 || r !~ /[\057+]/ && r ~ /[_-]/)) continue
    if (r !~ /[a-z]/) continue
    if (!incert(a) && !covered(a, b) && randomish(a, b)) {
      # a line of bare base64 may lie inside a certificate that began lines before: known in full mode
      if (MODE == "line" && substr(S, CO + 1) ~ /^[ \t]*[A-Za-z0-9+\057=]+[ \t]*$/) { need("full"); return }
      edit(a, b, "random-token")
    }
  }
}
function bootstrap(p,   b, a2) {
  b = p > 1 ? substr(S, p - 1, 1) : ""; a2 = substr(S, p + 23, 1)
  if (b ~ /[A-Za-z0-9]/ || a2 ~ /[A-Za-z0-9]/) return
  if (substr(S, p, 23) !~ /^[a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][.][a-z0-9]+$/) return
  if (substr(S, p, 6) !~ /[0-9]/ && substr(S, p + 7, 16) !~ /[0-9]/) return
  # event names end in .<UnixNano in hex>: 16 hex digits that start with 1 (2005 to 2035); a token
  # has that shape once in ten million, and the kubeadm docs' example abcdef.0123456789abcdef is redacted
  if (substr(S, p + 7, 16) !~ /[g-z]/ && substr(S, p + 7, 1) == "1") return
  edit(p, p + 23, "bootstrap-token")
}
function urlcred(p, an,   w, n, i, c, at, col, a, v, wl, stop, e, el) {
  v = p + length(an)
  w = substr(S, v, 512)
  n = length(w); at = 0
  if (an ~ /^%/) {
    # URL-encoded: user%3Apassword%40host, up to an encoded slash; encoded twice: user%253Apassword%2540host
    e = (an ~ /^%25/) ? "%25" : "%"; el = length(e) + 2
    wl = tolower(w); stop = match(wl, /[ \t"'<>&]/) ? RSTART : n + 1
    i = index(wl, e "2f"); if (i && i < stop) stop = i
    for (i = 1; i + el - 1 < stop; i++) if (substr(wl, i, el) == e "40") at = i
    if (!at) return
    col = index(substr(wl, 1, at - 1), e "3a")
    if (col && at > col + el) edit(v + col + el - 1, v + at - 1, "url-credentials")
    return
  }
  # the authority ends at a slash (raw or escaped), white space, a quote or an escaped quote; the last @ in it ends the
  # credentials (a password may hold @, # and ?; \u0026 in escaped JSON is part of it)
  for (i = 1; i <= n; i++) {
    c = substr(w, i, 1)
    # (busybox awk reads [\/] as a backslash or a slash: slashes are compared, not matched)
    if (c == "/" || c ~ /[ \t"'<>]/) break
    if (c == "\\") { c = substr(w, i + 1, 1); if (c == "/" || c == "\"") break }
    else if (c == "@") at = i
  }
  if (!at && DKE && v + i - 1 == DKE) { col = index(w, ":"); if (col && col < i - 1) edit(v + col, DKE, "url-credentials"); return }
  if (!at && i > n && v + n > length(S) && CO && substr(S, CO - 1, 1) == "P") {
    # a partial (P) record that ends inside a URL's authority (the runtime cut amqp://user:pa|ss@host): after the colon,
    # to the record's end (the next record's part is its own)
    col = index(w, ":"); if (col && col < n) edit(v + col, v + n, "url-credentials")
    return
  }
  if (!at && c == "/") {
    # a password holding a raw /: user:pa/ss@host (the last @ before white space or a quote, a : before any /)
    col = index(substr(w, 1, i - 1), ":")
    if (col && match(w, /^[^ \t"'<>]*@/)) { at = RLENGTH; if (at > col + 1 && index(substr(w, 1, col), "/") == 0) edit(v + col, v + at - 1, "url-credentials") }
    return
  }
  if (!at) return
  a = substr(w, 1, at - 1); col = index(a, ":")
  # (a password masked by the program that logged the URL, user:***@host (SQLAlchemy, Celery), is none)
  if (col) { if (at - 1 > col && substr(a, col + 1) !~ /^[*]+$/) edit(v + col, v + at - 1, "url-credentials") }
  else if (at - 1 >= 16) edit(v, v + at - 1, "url-credentials")
}
function bearer(p, a,   v, w, e, r) {
  if (p > 1 && substr(L, p - 1, 1) ~ /[a-z0-9_]/) return
  w = substr(S, p + length(a), 4)
  if (!match(w, /^[ \t]+/)) return
  v = p + length(a) + RLENGTH
  e = end_tok(v)
  r = substr(S, v, e - v > 64 ? 64 : e - v)
  if (a == "bearer" && e - v >= 16) edit(v, e, "bearer-token")
  if (a == "basic" && e - v >= 8 && (e - v) % 4 == 0 && (r ~ /[0-9+\/=]/ || r ~ /^.[^A-Z]*[A-Z]/)) edit(v, e, "basic-credentials")
  if (e > SKIP) SKIP = e
}
function authz(p, alen,   w, v, e, n) {
  # Authorization: <scheme> <credentials> / Authorization = ["Basic ..."] / "Authorization: Basic ..."
  w = substr(S, p + alen, 16)
  if (!match(w, /^\\*["']?[ \t]*[:=][ \t]*(\[[ \t]*)?(\\*["'])?[ \t]*/)) return 0
  v = p + alen + RLENGTH
  n = length(S)
  if (v > n || substr(S, v, 1) ~ /[{\\]/) return 0
  if (match(substr(S, v, 40), /^[A-Za-z][A-Za-z0-9-]*[ \t]+/)) v += RLENGTH
  e = uend(v, level_at(v))
  # (client-go's own mask, Bearer <masked>, is no credential: nothing to redact, and the scheme word stays)
  if (e > v && plain(substr(S, v, e - v), "authorization")) return 1
  # (prose about it, may require authorization: server message: insufficient_scope (containerd), holds no credentials)
  if (e > v && substr(S, e - 1, 1) == ":") return 1
  if (e > v) {
    edit(v, e, "authorization-header"); if (e > SKIP) SKIP = e
    # (a word of letters at a P record's end may be the scheme, cut: its next record holds the rest and the credentials)
    if (CO && substr(S, CO - 1, 1) == "P" && e > n && substr(S, v, e - v) ~ /^[A-Za-z]+$/) CRIQ[ne] = "a"
    return 1
  }
  return 0
}
function tool(p, a,   b, w, v, e, c) {
  b = p > 1 ? substr(L, p - 1, 1) : ""
  if (b != "" && b !~ /[ \t\/"'\[,=]/) return
  w = substr(L, p + length(a), 24)
  if (w !~ /^(admin|dump|sh)?($|[ \t"'\\])/ && a !~ /^ldap/) return
  TOOL = (a == "mariadb") ? "mysql" : a; TOOLQ = p
  # lftp -e 'user U X; mirror ...': the password of the script's user command
  if (a == "lftp" && (c = index(substr(L, p, 512), " -e ")) && match(substr(L, p + c + 3, 512), /(^|[;'" \t])user[ \t]+[^ \t;'"]+[ \t]+/)) {
    v = p + c + 2 + RSTART + RLENGTH; e = v; while (e <= length(S) && substr(S, e, 1) !~ /[ \t;'"]/) e++; if (e > v) edit(v, e, "tool-password")
  }
  if (a == "wpa_passphrase" && match(substr(S, p + 14, 256), /^[ \t]+[^ \t]+[ \t]+/)) { v = p + 14 + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "tool-password") }
  # (the options that take a value take it: a word after another option is its value, not the password)
  if ((a == "openssl" && match(substr(S, p + 7, 128), /^[ \t]+passwd([ \t]+-(salt|in)[ \t]+[^ \t]+|[ \t]+-[A-Za-z0-9]+)*[ \t]+/) || a == "mkpasswd" && match(substr(S, p + 8, 128), /^([ \t]+(-[mSRP]|--method|--salt|--rounds|--password-fd)[ \t]+[^ \t]+|[ \t]+(-[a-ln-zA-OQT-Z]|--(stdin|help|version)))*[ \t]+/)) && substr(S, p + length(a) + RLENGTH, 1) !~ /^[-<|]?$/) {
    v = p + length(a) + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "tool-password")
  }
  if (a == "etcdctl" && match(substr(S, p + 7, 96), /^([ \t]+--?[a-z-]+(=[^ \t]+)?)*[ \t]+user[ \t]+(add|passwd)[ \t]+[^ \t:]+:/)) { v = p + 7 + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "tool-password") }
  # redis-cli ... AUTH [user] X: the words after AUTH, to the command's end
  if (a ~ /^(redis|valkey)-cli$/) {
    c = substr(L, p + length(a), 512); e = match(c, /[|;&<>]/); if (e) c = substr(c, 1, e - 1)
    if (match(c, /[ \t]auth[ \t]+[^ \t-]/)) {
      v = p + length(a) + RSTART + RLENGTH - 2; e = p + length(a) + length(c)
      while (e > v && substr(S, e - 1, 1) ~ /[ \t"']/) e--
      if (e > v) edit(v, e, "tool-password")
    }
  }
  # the arguments on the next lines: a JSON array one per line, a list one per line (a YAML command: list, describe's
  # Command: and Args:) with the tool alone on its line, a command continued with a backslash
  if (w ~ /^(admin|dump|sh)?\\*"[ \t]*,?[ \t]*$/) { need("full"); TOOLCTX = TOOL; CTXK = "j"; CTXL = "" }
  else if (w ~ /^(admin|dump|sh)?["']?[ \t]*$/ && p > VO && p - VO <= 256 && substr(L, VO + 1, p - VO - 1) ~ /^[ \t]*(- )?["']?$/) { need("full"); TOOLCTX = TOOL; CTXK = (substr(L, VO + 1, p - VO - 1) ~ /-/) ? "y" : "l"; CTXI = vindent(); CTXL = "" }
  else if (S ~ /[ \t]\\[ \t]*$/) { need("full"); TOOLCTX = TOOL; CTXK = "c"; CTXL = substr(L, p, 512) }
}
# htpasswd -b[c] FILE USER PASSWORD, htpasswd -nb USER PASSWORD: the password argument
function htpasswd(p, a,   b) {
  b = p > 1 ? substr(L, p - 1, 1) : ""
  if (b != "" && b !~ /[ \t\/"']/) return
  htargs(p + length(a), substr(S, p + length(a), 4096), 0, 0, 0)
}
# htpasswd's words from pos on (k positional words and its flags seen before): a backslash that ends the line
# carries the count to the next line (HTS)
function htargs(pos, w, k, batch, nflag,   n, i, j, need_k) {
  n = split(w, TMP4, / /)
  for (i = 1; i <= n; i++) {
    if (i > 1) pos++
    if (TMP4[i] == "") continue
    if (TMP4[i] == "\\") { for (j = i + 1; j <= n && TMP4[j] == ""; j++) ; if (j > n) { HTS = k " " batch " " nflag; need("full"); return } }
    if (substr(TMP4[i], 1, 1) == "-") { if (TMP4[i] ~ /b/) batch = 1; if (TMP4[i] ~ /n/) nflag = 1 }
    else { k++; need_k = nflag ? 2 : 3; if (batch && k == need_k) { edit(pos, pos + length(TMP4[i]), "tool-password"); return } }
    pos += length(TMP4[i])
  }
}
function vendor(p, a,   e, r, v) {
  if (a ~ /webhooks?\/$|slack|telegram|hc-ping|pagerduty/) {
    # https://hooks.slack.com/services/T../B../SECRET, https://discord.com/api/webhooks/ID/SECRET: the path;
    # https://api.telegram.org/bot<id>:<token>/...: the bot's id and token
    v = p + length(a); e = end_tok(v)
    if (a ~ /telegram/ && match(substr(S, v, 256), /^[A-Za-z0-9:_-]+/)) e = v + RLENGTH
    if (e - v >= 8) { edit(v, e, "vendor-token"); if (e > SKIP) SKIP = e }
    return
  }
  if (p > 1 && substr(S, p - 1, 1) ~ /[A-Za-z0-9]/) return
  e = end_jwt(p); r = substr(S, p, e - p)
  if (r !~ /^(xox[abposre]-|xapp-|gh[pousr]_|github_pat_|glpat-|glrt-|glptt-|gldt-|glsa_|AIza|sk_live_|rk_live_|sk_test_|rk_test_|sk-proj-|sk-ant-|hf_|npm_|SG\.|dop_v1_|dckr_pat_|hvs\.|tskey-|shpat_|pypi-|ATATT3|NRAK-|PMAK-|sntrys_|lin_api_|AGE-SECRET-KEY-1|dt0c01\.)/ || e - p < 20) return
  if (r ~ /^npm_/ && r !~ /^npm_[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]/) return
  if (r ~ /^SG\./ && r !~ /^SG\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]/) return
  edit(p, e, "vendor-token"); if (e > SKIP) SKIP = e
}
# vault login TOKEN (a positional token; -method=... logins carry none)
function vault(p, a,   w, v, e) {
  if (p > 1 && substr(L, p - 1, 1) !~ /[ \t\/"']/) return
  if (!match(substr(S, p + 5, 48), /^[ \t]+(login|operator[ \t]+unseal)[ \t]+/)) return
  v = p + 5 + RLENGTH; if (substr(S, v, 1) == "-") return
  e = uend(v, -1); if (e - v >= 8) edit(v, e, "tool-password")
}
# the command's words before p: from its tool on this line, or the lines before it that carry the tool (TOOLCTX)
function toolpre(p) { return (TOOL != "") ? substr(L, TOOLQ, p - TOOLQ) : CTXL " " substr(L, 1, p - 1) }
function toolflag(p, a,   f, t, ke, v, e, kq, c, w) {
  t = (TOOL != "") ? TOOL : TOOLCTX
  f = substr(S, p + 1, length(a) - 1)
  ke = p + length(a)
  if (t == "") { if (f == "-p" || f == "-P") upair(p, f, ke); return }
  if ((f == "--user" || f == "-u") && t != "lftp") {
    if (t != "curl" && t != "etcdctl" && t != "ctr") return
    w = substr(S, ke, 8)
    if (match(w, /^(=|[ \t]+|\\*"[ \t]*,[ \t]*\\*")/)) { v = ke + RLENGTH; if (substr(S, v, 1) == "'") v++ }
    else if (w ~ /^\\*"[ \t]*,?[ \t]*$/) { need("full"); PENDU = 1; return }
    else v = ke
    e = uend(v, level_at(p + 1))
    c = index(substr(S, v, e - v), ":")
    if (c) edit(v + c, e, "tool-password")
    return
  }
  if (f == "-u" && t == "lftp" || f == "-U" && t == "smbclient") {
    w = substr(S, ke, 8); v = match(w, /^[ \t]+/) ? ke + RLENGTH : ke
    e = uend(v, -1); c = index(substr(S, v, e - v), t == "lftp" ? "," : "%")
    if (c && e > v + c) edit(v + c, e, "tool-password"); return
  }
  if (f == "-w" && t ~ /^ldap/ || f == "-p" && t ~ /^(docker|podman|nerdctl|helm|skopeo|buildah)$/ && toolpre(p) ~ /login/) { nextarg(ke, "tool-password", 0); return }
  # mongo/mongosh -p X, zip/unzip -P X, openssl -k X
  if (f == "-p" && t == "mongo" || f == "-P" && t ~ /zip$/ || f == "-k" && t == "openssl") {
    kq = 0; if (match(substr(S, ke, 4), /^\\*"/)) kq = RLENGTH
    nextarg(ke + kq, "tool-password", kq > 0); return
  }
  if (f == "-p" && t ~ /^(az|cqlsh|rabbitmqadmin|rdesktop)$/ || f == "-P" && t ~ /^(ipmitool|sqlcmd|bcp)$/ || f == "-a" && t == "valkey-cli" || f == "-N" && t == "ssh-keygen" || f ~ /^-[AXc]$/ && t ~ /^snmp/) { nextarg(ke, "tool-password", 0); return }
  if (f == "-p" && t ~ /^(crane|oras)$/ && toolpre(p) ~ /login/) { nextarg(ke, "tool-password", 0); return }
  if ((f == "-p" && (t == "mysql" || t == "sshpass" || t ~ /^(7z|7za|unrar)$/)) || (f == "-a" && t == "redis-cli")) {
    c = substr(S, ke, 1)
    if (c ~ /[A-Za-z0-9!@#$%^&*()_+.\/~,;:?-]/ && f == "-p") { e = uend(ke, level_at(p + 1)); edit(ke, e, "tool-password"); return }
    if (c == "'" && f == "-p") { e = sq_end(ke + 1); if (e > ke + 1) edit(ke + 1, e, "tool-password"); return }
    kq = 0; if (match(substr(S, ke, 4), /^\\*"/)) kq = RLENGTH
    if (kq) { nextarg(ke + kq, "tool-password", 1); return }
    nextarg(ke, "tool-password", 0)
  }
}
# any tool's -u USER -p X (racadm, exporters' OPTS) and -U USER -P X (isql): the value, unless it is a number, a
# port mapping, a path, a variable, an option (-p 8080:80, -P pager=off, -p 1,2) or a placeholder
function upair(p, f, ke,   t, w, v, e, x) {
  t = p > 128 ? p - 128 : 1; w = substr(S, t, p + 1 - t)
  if (f == "-p" && !match(w, /(^|[ \t"'])-u[ \t]+[^- \t"'][^ \t"']*[ \t]+$/)) return
  if (f == "-P" && !match(w, /(^|[ \t"'])-U[ \t]+[^- \t"'][^ \t"']*[ \t]+$/)) return
  if (!match(substr(S, ke, 8), /^[ \t]+/)) return
  v = ke + RLENGTH; e = uend(v, -1); x = substr(S, v, e - v)
  if (x ~ /^[-$\/.{[<~]/ || x ~ /^[0-9,:.\/-]*$/ || index(x, "=") || plain(x, "password")) return
  edit(v, e, "tool-password")
}
# a Redis ACL's passwords: user NAME on >X (users.acl, redis.conf), ACL SETUSER NAME on >X: every >X and <X of
# the rule, to its end (the line's, a quote's or a JSON \n's)
function redisacl(p, a,   t, w, b, n, i, pos) {
  if (a ~ /^acl/) b = p
  else {
    t = p > 256 ? p - 256 : 1; w = substr(L, t, p - t)
    if (!match(w, /(^|[ \t"']|\\n)user[ \t]+[^ \t"]+([ \t]+[^ \t"]+)*[ \t]*$/)) return
    b = t + RSTART - 1; b += index(substr(L, b, 8), "user") - 1
  }
  w = substr(S, b, 4096); t = match(w, /\\*"|\\n|[;|&]/); if (t) w = substr(w, 1, t - 1)
  n = split(w, TMP4, / /); pos = b
  for (i = 1; i <= n; i++) {
    if (i > 1) pos++
    if (TMP4[i] ~ /^[><][^ \t]/) edit(pos + 1, pos + length(TMP4[i]), "tool-password")
    pos += length(TMP4[i])
  }
  if (pos > SKIP) SKIP = pos
}
function kindline(   n, i, pos, o, e, t) {
  # a Secret in JSON on one line: the contents of its data and stringData objects
  n = split(L, TMP3, /\\*"(data|stringdata)\\*"[ \t]*:[ \t]*\{/)
  pos = 1
  for (i = 1; i < n; i++) {
    pos += length(TMP3[i])
    if (SCANLIM && pos > SCANLIM) return
    match(substr(L, pos, 64), /^\\*"(data|stringdata)\\*"[ \t]*:[ \t]*\{/)
    o = pos + RLENGTH
    t = index(substr(S, o, 1048576), "}")
    e = t ? o + t - 1 : length(S) + 1
    edit(o, e, "secret-manifest-data")
    pos = o
  }
}
# Go's MySQL DSN: user:X@tcp(host:3306)/db, with no scheme before it
function godsn(p,   t, w, c) {
  t = p > 128 ? p - 128 : 1; w = substr(S, t, p - t)
  if (!match(w, /[^ \t"'=(,]*$/)) return
  c = index(substr(w, RSTART), ":")
  if (c && RSTART + c - 1 < length(w)) edit(t + RSTART + c - 1, p, "tool-password")
}
# user:password@host with no scheme before it (a DSN, a proxy setting, mysqlsh --uri): the password, when the name
# starts a word, a host name or address (and a port) follows, and the password looks like one (p: the character before @)
function hostcred(p,   t, w, c, v, e, x) {
  if (substr(L, p + 1, 6) ~ /^@(tcp|unix)\(/) { godsn(p + 1); return }
  # alerts@example.com:X (SMTP_LOGIN=..., a sasl_passwd line): the password after a mail address (not a path, a
  # port or a shell prompt's directory: git@github.com:org/repo, root@node1.lan:~#)
  if (match(substr(S, p + 2, 256), /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z][A-Za-z]+:/)) {
    v = p + 2 + RLENGTH
    t = p > 128 ? p - 128 : 1; w = substr(S, t, p + 1 - t)
    if (match(w, /[A-Za-z0-9_.+-]+$/) && (RSTART == 1 && t == 1 || substr(w, RSTART - 1, 1) ~ /[ \t"'=(,:[]/) && match(substr(S, v, 256), /^[^ \t"',;<>\057]+/)) {
      e = v + RLENGTH; x = substr(S, v, e - v)
      if (substr(S, e, 1) != "/" && x !~ /[$#%>]$/ && pwlike(x)) { edit(v, e, "url-credentials"); return }
    }
  }
  if (!match(substr(S, p + 2, 256), /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]+)?([\057 \t"',;)]|$)/)) return
  t = p > 128 ? p - 128 : 1; w = substr(S, t, p + 1 - t)
  if (!match(w, /[A-Za-z0-9_.+-]+:[^ \t@:'"\057]+$/)) return
  c = (RSTART > 1) ? substr(w, RSTART - 1, 1) : (t > 1 ? substr(S, t - 1, 1) : "")
  if (c != "" && c !~ /[ \t"'=(,[]/) return
  v = t + RSTART - 1 + index(substr(w, RSTART), ":")
  if (pwlike(substr(S, v, p + 1 - v))) edit(v, p + 1, "url-credentials")
}
# a password by its looks: 6 or more characters, letters with a digit or a sign (not a placeholder)
function pwlike(x) {
  if (length(x) < 6 || index(x, M) || x ~ /^(\$\{|\$\(|\{\{|<|\*\*|%s)/) return 0
  return x ~ /[A-Za-z]/ && x ~ /[0-9!@#$%^&*+=?~_]/
}
# a password told in prose (password-prose; k: where the password word ends): the word after what joins them (a colon,
# =, a particle, is, for USER is, reset to), or right after "with password" and the like, when it looks like a password
function prose(ks, k,   w, v, b, e, x) {
  w = substr(S, k, 200); v = 0
  # A temporary password is generated for root@localhost: X (MySQL's first start): the rest of the line
  if (match(substr(L, k, 200), /^[ \t]+((is|was|has been)[ \t]+)?(generated|created|set)[ \t]+for[ \t]+[^ \t:=]+[ \t]*:[ \t]+/)) {
    v = k + RLENGTH; e = length(S) + 1; while (e > v && substr(S, e - 1, 1) ~ /[ \t]/) e--
    if (pwlike(substr(S, v, e - v))) edit(v, e, "password-prose")
    return
  }
  if (match(w, /^[ \t]*(\357\274\232|:|=)[ \t]*/) || match(w, /^(\353\212\224|\354\235\200|\343\201\257|\344\270\272|\346\230\257)[ \t]*(\357\274\232|:)?[ \t]*/)) v = k + RLENGTH
  else if (match(w, /^[ \t]+(is|was|ist|lautet|est|es|\303\250|\303\251|\303\244r|er|on|jest|je)[ \t]*:?[ \t]+/)) v = k + RLENGTH
  else if (match(w, /^[ \t]+((was|has been|is)[ \t]+)?(reset|changed|set|updated)[ \t]+to[ \t]*:?[ \t]+/)) v = k + RLENGTH
  else if (match(w, /^[ \t]+(for|of|f\303\274r|f\374r|fuer|pour|de|do|da|del|du|des|della|para|per|dla|voor|van|na|pro|\320\264\320\273\321\217|\320\277\320\276\320\273\321\214\320\267\320\276\320\262\320\260\321\202\320\265\320\273\321\217)[ \t]+[^ \t:=]+([ \t]+[^ \t:=]+)?([ \t]+[^ \t:=]+)?([ \t]+[^ \t:=]+)?([ \t]*[:=]|[ \t]+(is|ist|est|es|\303\250|\303\251|je|jest)[ \t]*:?)[ \t]+/)) v = k + RLENGTH
  # a word that qualifies it before the colon: Contrase\303\261a temporal: X, \320\242\320\276\320\272\320\265\320\275 \320\264\320\276\321\201\321\202\321\203\320\277\320\260: X (token of access), Passwort neu: X
  else if (match(tolower(w), /^[ \t]+(temporal|temporaria|tempor\303\241ria|temporaire|provisoire|provisional|provisorio|inicial|initial|nueva|nuevo|nouveau|nouvelle|neu|neues|nuova|nova|novo|temporanea|temporary|new|default|de acesso|de acceso|dost\304\231pu|eri\305\237im|\320\264\320\276\321\201\321\202\321\203\320\277\320\260|\320\262\321\200\320\265\320\274\320\265\320\275\320\275\321\213\320\271|\320\275\320\276\320\262\321\213\320\271|\317\200\317\201\317\214\317\203\316\262\316\261\317\203\316\267\317\202)[ \t]*(:|\357\274\232)[ \t]*/)) v = k + RLENGTH
  else if (match(w, /^[ \t]+[A-Za-z0-9_.-]+[ \t]*=[ \t]*/)) v = k + RLENGTH
  else {
    b = ks > 48 ? ks - 48 : 1; b = tolower(substr(S, b, ks - b))
    if (b !~ /(^|[^a-z])(with|using|new|temporary|temp|initial|default|generated|random|one-time|mit|avec|con|com|met)[ \t]+(the[ \t]+)?$/ || !match(w, /^[ \t]+/)) return
    v = k + RLENGTH
  }
  if (!match(substr(S, v, 256), /^[^ \t"'<>`]+/)) return
  e = v + RLENGTH
  while (e > v + 1 && substr(S, e - 1, 1) ~ /[.,;)]/) e--
  x = substr(S, v, e - v)
  if (pwlike(x)) edit(v, e, "password-prose")
}
# sshd's invalid user X (Failed password for invalid user X, Invalid user X from, Connection closed by invalid user X):
# a name that is a password typed at the login prompt (8 or more characters: a sign, letters and digits, or both cases
# and digits); the names scanners try (admin, oracle, user1) stay
function typedname(v,   e, x) {
  if (!match(substr(S, v, 256), /^[ \t]+[^ \t]+/)) return
  e = v + RLENGTH; match(substr(S, v, 8), /^[ \t]+/); v += RLENGTH; x = substr(S, v, e - v)
  if (length(x) >= 8 && x ~ /[0-9]/ && (x ~ /[A-Za-z]/ && x ~ /[!@#$%^&*+=?~]/ || x ~ /[A-Z]/ && x ~ /[a-z]/)) edit(v, e, "password-prose")
}
# echo X | chpasswd, printf '%s' X | passwd --stdin, echo X | sudo -S, | cryptsetup, | kinit: the word echoed or printed
# (for chpasswd the part after user:); a: the pipe and the command
function piped(p, a,   t, w, x, c, e, v, q, o) {
  x = substr(L, p + length(a), 64)
  if (a ~ /sudo$/ && x !~ /^[ \t]+-[a-z]*s/) return
  if (a ~ /passwd$/ && a !~ /chpasswd$/ && x !~ /--stdin/) return
  t = p > 512 ? p - 512 : 1; w = substr(S, t, p - t)
  if (!match(w, /(echo|printf)([ \t]+-[A-Za-z]+)*([ \t]+('[^']*'|"[^"]*"|[^ \t|'";&]+))+[ \t]*$/)) return
  o = t + RSTART - 1; x = substr(w, RSTART, RLENGTH); sub(/[ \t]+$/, "", x)
  c = substr(x, length(x), 1)
  if (c == "'" || c == "\"") { q = length(x) - 1; while (q > 0 && substr(x, q, 1) != c) q--; if (!q) return; v = o + q; e = o + length(x) - 1 }
  else { match(x, /[^ \t'"]+$/); v = o + RSTART - 1; e = o + length(x) }
  if (a ~ /chpasswd$/) { q = index(substr(S, v, e - v), ":"); if (!q) return; v += q }
  if (e > v) edit(v, e, "tool-password")
}
# rabbitmqctl add_user USER X, rabbitmqctl change_password USER X
function rabbit(p, a,   w, v, e) {
  if (p > 1 && substr(L, p - 1, 1) !~ /[ \t\/"']/) return
  if (!match(substr(S, p + length(a), 96), /^[ \t]+(add_user|change_password|authenticate_user)[ \t]+[^ \t]+[ \t]+/)) return
  v = p + length(a) + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "tool-password")
}
# MinIO's client: mc admin user add ALIAS USER X, mc alias set ALIAS URL ACCESSKEY X (and mc config host add): the secret
function mcpw(p, a,   n, i, k, want, pos) {
  if (p > 1 && substr(L, p - 1, 1) !~ /[ \t\/"'+]/) return
  want = (a ~ /add$/ && a ~ /user/) ? 3 : 4
  n = split(substr(S, p + length(a), 1024), TMP4, / /); pos = p + length(a); k = 0
  for (i = 1; i <= n; i++) {
    if (i > 1) pos++
    if (TMP4[i] == "") continue
    if (TMP4[i] ~ /^[;|&]/) return
    # (MinIO's secret keys are 8 characters or more: a sentence's word is not one)
    if (substr(TMP4[i], 1, 1) != "-" && ++k == want) { if (length(TMP4[i]) >= 8 && !plain(TMP4[i], "password")) edit(pos, pos + length(TMP4[i]), "tool-password"); return }
    pos += length(TMP4[i])
  }
}
# Oracle's user/X@db: sqlplus -s app/X@ORCL, jdbc:oracle:thin:app/X@db
function oracle(p, a,   v, w, n, i, c, sl, at) {
  v = p + length(a)
  if (a == "sqlplus") { if (!match(substr(S, v, 64), /^([ \t]+-[A-Za-z]+)*[ \t]+/)) return; v += RLENGTH }
  w = substr(S, v, 512); n = length(w); sl = 0; at = 0
  for (i = 1; i <= n; i++) { c = substr(w, i, 1); if (c ~ /[ \t"'<>]/) break; if (c == "/" && !sl) sl = i; if (c == "@" && sl) at = i }
  if (sl && at > sl + 1) edit(v + sl, v + at - 1, "tool-password")
  # sqlplus sys/X as sysdba: no @db (not sqlplus / as sysdba, sqlplus @/path/script.sql)
  else if (a == "sqlplus" && sl > 1 && !at && i > sl + 1 && substr(w, 1, 1) ~ /[A-Za-z0-9_]/) edit(v + sl, v + i - 1, "tool-password")
}
function handle(p, alen, a,   v, c, k, e) {
  if (a ~ /^(unseal|recovery)[ \t]/) {
    # Vault's init output: Unseal Key 1: X, Recovery Key 1: X, Unseal Key 1 (hex)   :  X (the hex its -format text gives)
    if (match(substr(S, p + alen, 32), /^[ \t]*[0-9]*[ \t]*(\((hex|base64|b64)\))?[ \t]*:[ \t]*/)) { v = p + alen + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, "secret-field") }
    return
  }
  if (a ~ /^secret[ \t]+id$/) {
    # Nomad's and Consul's token output: Secret ID    = X (the accessor's id is no secret)
    if (match(substr(S, p + alen, 32), /^[ \t]*[:=][ \t]*/)) { v = p + alen + RLENGTH; e = uend(v, -1); if (e > v && !plain(substr(S, v, e - v), "secret")) edit(v, e, "secret-field") }
    return
  }
  if (a ~ /^ (stdout|stderr) p $/) { if (CO && p == CO - 9) need("full"); return }
  if (substr(L, p, 7) == "dt0c01.") vendor(p, "dt0c01.")
  else if (length(a) == 23 && a ~ /^[a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][a-z0-9][.]/) bootstrap(p)
  else if (a == "eyj") jwt(p)
  else if (a == "ls0tls1") b64pem(p)
  else if (a == "h4si") gz(p)
  else if (a == "://" || a == "%3a%2f%2f" || a == "%253a%252f%252f" || a ~ /^:\\/) urlcred(p, a)
  else if (a == "bearer" || a == "basic") bearer(p, a)
  else if (a == "private key" || a == "static key v1") pem(p)
  else if (a ~ /^kind/) {
    # a Secret (or a SecretList): the data: of the whole file; external-secrets' SecretStore: its fake provider's data
    if (substr(L, p, 128) ~ /^kind\\*"?[ \t]*:[ \t]*\\*"?'?secret(list)?([^a-z0-9]|$)/) { need("secret"); need("full") }
    else if (substr(L, p, 128) ~ /^kind\\*"?[ \t]*:[ \t]*\\*"?'?(cluster)?secretstore([^a-z0-9]|$)/) { need("full"); if (MODE == "full") STORE = 1 }
  }
  else if (a == "stringdata") { need("full") }
  else if (a == "environment:") {
    # kubectl describe's Environment: block, a compose file's environment: list or map (the values under it)
    if (substr(S, p + 12) ~ /^[ \t]*$/ && (p == 1 || substr(L, p - 1, 1) ~ /[ \t"-]/)) { need("full"); if (MODE == "full") ENVD = vindent() }
  }
  else if (a == "from-literal=") fromlit(p)
  else if (a == "set-agent-token") { if (match(substr(S, p + alen, 64), /^[ \t]+[a-z_]+[ \t]+/)) { v = p + alen + RLENGTH; e = uend(v, -1); if (e > v && !plain(substr(S, v, e - v), "token")) edit(v, e, "tool-password") } }
  else if (a == "jnlp.main") jnlp(p + alen)
  else if (a ~ /^net[ \t]+use$/) netuse(p + alen)
  else if (a ~ /^(pdo->__construct|mysqli->__construct|mysqli_connect)\($/) phpconn(p + alen)
  else if (a ~ /^\057(reset|activate|confirm)\057$/) resetpath(p + alen)
  else if (a == "loginmodule") { jaas(p); if (substr(L, p) !~ /;[ \t]*\\*"?[ \t]*$/) { need("full"); if (MODE == "full") JAAS = 1 } }
  else if (a ~ /^createuser[ \t]$/) snmpuser(p + alen)
  else if (a == "convertto-securestring") { if (match(substr(L, p + alen, 64), /^[ \t]+(-string[ \t]+)?/)) nextarg(p + alen + RLENGTH - 1, "tool-password", 0) }
  else if (a ~ /^[ \t]\057p(ass(word)?)?:$/) { e = uend(p + alen, -1); if (e > p + alen && !plain(substr(S, p + alen, e - p - alen), "")) edit(p + alen, e, "tool-password") }
  else if (a ~ /^headers?[ \t]*=/) inlinehdr(p + alen)
  else if (a ~ /^envs?/ && match(substr(L, p, 128), /^envs?\\*"?[ \t]*:[ \t]*\[[ \t]*(\\*"|\{)/) && (p == 1 || substr(L, p - 1, 1) ~ /[^a-z0-9_]/)) envitems(p + RLENGTH - 2)
  else if (a ~ /^envs?/) { if (match(substr(L, p, 128), /^envs?\\*"?[ \t]*:[ \t]*\[?/) && substr(S, p + RLENGTH) ~ /^[ \t]*$/) { a = substr(L, p, RLENGTH); need("full"); if (MODE == "full") ENVA = (a ~ /\[/) ? 1 : 0; if (MODE == "full" && a !~ /\[/) { ENVY = vindent(); ENVA = 0 } } }
  else if (a ~ /headers?\]$/) { need("full"); HDR = 1 }
  else if (a == "htpasswd") htpasswd(p, a)
  else if (a ~ /^(xox|xapp-|gh|github_pat_|glpat-|glrt-|glptt-|gldt-|glsa_|aiza|sk_live_|rk_live_|sk_test_|rk_test_|sk-proj-|sk-ant-|hf_|npm_|sg\.|dop_v1_|dckr_pat_|hvs\.|tskey-|shpat_|pypi-|atatt3|nrak-|pmak-|sntrys_|lin_api_|age-secret-key-1|dt0c01\.|hooks\.slack\.com\/|\/api\/webhooks\/|\/incomingwebhook\/|telegram\.org\/bot|hc-ping\.com\/|events\.pagerduty\.com\/integration\/)/) vendor(p, a)
  else if (a == "vault") vault(p, a)
  else if (a == "rabbitmqctl") rabbit(p, a)
  else if (a == "sqlplus" || a == "thin:") oracle(p, a)
  else if (a ~ /^identified/) { v = p + alen; if (match(substr(S, v, 8), /^[ \t]*\\*["']/)) { c = substr(S, v + RLENGTH - 1, 1); k = RLENGTH; v += k; e = (c == "'") ? sq_end(v) : closeq(v, 0); edit(v, e, "tool-password") } }
  else if (a ~ /^(lftp|smbclient|ldap[a-z]*|docker|podman|nerdctl|helm|skopeo|buildah)$/) tool(p, a)
  else if (a ~ /^mc[ \t]/) mcpw(p, a)
  else if (a ~ /^(mysql|mariadb|redis-cli|ctr|sshpass|curl|etcdctl|mongo|mongosh|zip|unzip|openssl|ipmitool|az|cqlsh|rabbitmqadmin|valkey-cli|7z|7za|unrar|crane|oras|sqlcmd|bcp|rdesktop|ssh-keygen|nmcli|wpa_passphrase|mkpasswd)$/ || a ~ /^snmp[a-z]*$/) tool(p, a)
  else if (a ~ /^@(tcp|unix)\($/) godsn(p)
  else if (a ~ /^\{(plain|cleartext)\}$/) { e = end_tok(p + alen); if (e > p + alen) edit(p + alen, e, "secret-field") }
  else if (a ~ /^[ \t]on[ \t]+>$/ || a ~ /^acl[ \t]+setuser$/) redisacl(p, a)
  else if (a ~ /^[|]/) piped(p, a)
  else if (length(a) == 3 && substr(a, 2, 1) == "@") hostcred(p)
  else if (a ~ /^invalid[ \t]user$/) typedname(p + alen)
  else if (a ~ /^(@PROSE@)$/) {
    # a password word of another language as a name (DB_PASSWORT=X, db_senha=X, {"пароль":"X"}, motDePasse: X): a key
    if (substr(S, p + alen, 4) ~ /^(\\?["'])?[ \t]*[:=]/ && a !~ /[ \t]/ && p > 1 && substr(L, p - 1, 1) ~ /[_.{,"'-]/) keyword(p, alen, a)
    else if (p == 1 || substr(L, p - 1, 1) !~ /[a-z0-9_]/) prose(p, p + alen)
  }
  else if (a ~ /-(-user|[pauwncx])$/) toolflag(p, a)
  else if (a == ".value=") helmnv(p)
  else if (a ~ /name/) nv(p, alen)
  else if (a in SIGS) sig(p, a)
  else if (a == "authorization" || a == "proxy-authorization") { if (!authz(p, alen)) keyword(p, alen, a) }
  else keyword(p, alen, a)
}
# the values of an object of secrets from o on (its name's { before o): 1 when it closes on this line
function objvals(o,   v, e, k, c) {
  while (o <= length(S) && match(substr(S, o, 512), /^[ \t,]*\\*["']?[A-Za-z0-9_.-]+\\*["']?[ \t]*[:=][ \t]*/)) {
    v = o + RLENGTH; c = substr(S, v, 1)
    if (c == "\\" || c == "\"") { match(substr(S, v, 16), /^\\*"/); k = RLENGTH - 1; v += RLENGTH; e = closeq(v, k); o = e + k + 1 }
    else if (c == "'") { v++; e = sq_end(v); o = e + 1 }
    else { e = v; while (e <= length(S) && substr(S, e, 1) !~ /[ \t,}]/) e++; o = e }
    if (e > v && !plain(substr(S, v, e - v), "token")) edit(v, e, "secret-field")
  }
  return (o <= length(S) && substr(S, o) !~ /^[ \t,]*$/) || substr(S, o - 1, 1) == "}"
}
# Jenkins' inbound agent (hudson.remoting.jnlp.Main -url URL [-workDir DIR] SECRET NAME): its secret, a run of 64 hex digits
function jnlp(o,   w, n, i, x) {
  w = substr(S, o, 4096); n = split(w, TMP, /[ \t]+/); o = o - 1
  for (i = 1; i <= n; i++) {
    x = TMP[i]; o += index(substr(S, o + 1), x)
    if (length(x) == 64 && x ~ /^[0-9a-f]+$/) edit(o, o + 64, "tool-password")
    o += length(x) - 1
  }
}
# Windows' net use Z: \\server\share X /user:DOMAIN\user: the word before /user: (not the share, the drive or *)
function netuse(o,   w, u, b, e) {
  w = substr(L, o, 1024); u = index(w, " /user:"); if (!u) return
  e = o + u - 1; b = e; while (b > o && substr(S, b - 1, 1) !~ /[ \t]/) b--
  if (e > b && substr(S, b, e - b) !~ /^(\\|[*]$|[A-Za-z]:$)/ && !plain(substr(S, b, e - b), "password")) edit(b, e, "tool-password")
}
# PHP's PDO->__construct('mysql:host=...', 'user', 'X', Array) in a stack trace, mysqli_connect('host', 'user', 'X'): the third string
function phpconn(o,   i, v, e) {
  for (i = 1; i <= 3; i++) {
    if (!match(substr(S, o, 256), /^[ \t]*'/)) return
    v = o + RLENGTH; e = sq_end(v)
    if (i == 3) { if (e > v && !plain(substr(S, v, e - v), "password")) edit(v, e, "tool-password"); return }
    if (!match(substr(S, e, 8), /^'[ \t]*,/)) return
    o = e + RLENGTH
  }
}
# a password reset's or an activation's link (Django's /reset/<uidb64>/<token>/): the path's segments after it that are tokens
# (20 or more letters, digits, - and _, a digit among them)
function resetpath(o,   i, e, x) {
  for (i = 1; i <= 2; i++) {
    if (!match(substr(S, o, 256), /^[A-Za-z0-9_-]+/)) return
    e = o + RLENGTH; x = substr(S, o, RLENGTH)
    if (RLENGTH >= 20 && x ~ /[0-9]/) edit(o, e, "url-credentials")
    if (substr(S, e, 1) != "/") return
    o = e + 1
  }
}
# a JAAS login module's user database (Kafka's PlainLoginModule, ZooKeeper's DigestLoginModule): user_NAME="X", the
# password of user NAME, from o on (on the module's line, and in full mode on the lines after it to the ; that ends it)
function jaas(o,   v, e, k) {
  while (o <= length(S) && match(substr(L, o), /(^|[ \t])user_[a-z0-9_.-]+[ \t]*=[ \t]*/)) {
    v = o + RSTART - 1 + RLENGTH; k = 0
    if (match(substr(S, v, 16), /^\\*"/)) { k = RLENGTH - 1; v += RLENGTH; e = closeq(v, k) }
    else { e = v; while (e <= length(S) && substr(S, e, 1) !~ /[ \t;"\\]/) e++ }
    if (e > v) edit(v, e, "secret-field")
    o = e + 1
  }
}
# helm --set env[0].name=X,env[0].value=Y (a list of name/value pairs in a --set): Y unless X is harmless
function helmnv(p,   b, pre, t, w, i, nm, v, e) {
  b = p; while (b > 1 && substr(S, b - 1, 1) !~ /[ \t,="']/) b--
  pre = substr(S, b, p - b); if (pre == "") return
  t = p > 512 ? p - 512 : 1; w = substr(S, t, p - t)
  i = index(w, pre ".name="); if (!i) return
  nm = substr(w, i + length(pre) + 6); sub(/[ \t,"'].*$/, "", nm)
  if (!pair_secret(nm)) return
  v = p + 7; e = v; while (e <= length(S) && substr(S, e, 1) !~ /[ \t,"']/) e++
  if (e > v && !plain(substr(S, v, e - v), "value")) edit(v, e, "env-value")
}
# {"name":"X","value":"Y"} on one line (also escaped JSON): Y unless X is harmless
function nv(p, alen,   w, nm, v) {
  if (!match(substr(L, p, 512), /^\\*"name\\*"[ \t]*:[ \t]*\\*"[a-z_][a-z0-9_.-]*\\*"[ \t]*,[ \t]*\\*"value\\*"[ \t]*:[ \t]*/)) return
  alen = RLENGTH; w = substr(S, p, alen)
  if (!match(w, /name\\*"[ \t]*:[ \t]*\\*"/)) return
  nm = substr(w, RSTART + RLENGTH); sub(/\\*".*$/, "", nm)
  if (!pair_secret(nm)) return
  v = p + alen
  value(v, p, 1, "=", "value", "env-value")
}
# Every trigger of the line, left to right: match() in a window that slides on (a split() on the
# union regex is quadratic in mawk); a match is taken only when it starts before the window's last
# 1 KiB (or the window holds the end of the line), so a trigger is never cut by the window.
# Every anchor of the line, left to right: match() in a window that slides on (a split() on the
# union regex is quadratic in mawk, and match() costs the window's length: windows start small and
# grow only while they find nothing); a match is taken only when it starts before the window's last
# 64 bytes (or the window holds the end of the line), so no anchor is ever cut by the window.
# the anchors' regex in parts (redact_parts): where the first anchor starts in s, as match(s, anchors) sets RSTART;
# and the longest anchor at the start of s, as match(s, "^(" anchors ")") sets RLENGTH
function scanfirst(s,   b) { b = 0; @SCANFIRST@RSTART = b; return b }
function scanlong(s,   l) { l = -1; @SCANLONG@RLENGTH = l; RSTART = (l < 0) ? 0 : 1; return RSTART }
function scan(   pos, w, n, win, p, alen, a) {
  n = length(L); pos = 1; w = 256; SKIP = (SKIP0 > 0) ? SKIP0 : 0; TOOL = ""; TOOLQ = 0
  while (pos <= n) {
    win = substr(L, pos, w)
    if (!scanfirst(win)) { if (pos + w > n) break; pos += w - 64; if (w < 65536) w *= 2; continue }
    if (RSTART > w - 64 && pos + w <= n) { pos += w - 64; continue }
    p = pos + RSTART - 1
    if (SCANLIM && p > SCANLIM) return
    scanlong(substr(L, p, 128)); alen = RLENGTH; a = substr(L, p, alen)
    if (p >= SKIP) handle(p, alen, a)
    if (NEEDED) return
    pos = p + (alen > 0 ? alen : 1); if (SKIP > pos) pos = SKIP; w = 256
    # otp ends in the p that may begin password (rootPassword): the next anchor is looked for from its p
    if (a == "otp" && SKIP <= p + 2) pos = p + 2
    # " -p" of a flag word that goes on (-password, -passin): the word is looked into for its own anchors
    if (a ~ /-(-user|[pauwk])$/ && substr(L, p + alen, 1) ~ /[a-z]/ && pos > p + 2 && SKIP <= p + 2) pos = p + 2
  }
}
# lines inside a multi-line construct (full mode)
function states(   t, x, r, v, e) {
  if (HEXK) {
    # in openssl's text dump of a key: the hex lines under priv:, privateExponent:, prime1:, ... coefficient:
    t = substr(L, CO + 1)
    if (t ~ /^[ \t]+[0-9a-f][0-9a-f](:[0-9a-f][0-9a-f])*:?[ \t]*$/) { if (HEXP) { match(t, /^[ \t]*/); edit(CO + RLENGTH + 1, length(S) + 1, "private-key"); return 2 } }
    else if (t ~ /^[ \t]*[a-z][a-z0-9 _-]*:/) HEXP = (t ~ /^[ \t]*(priv|private|privateexponent|private-key|prime[0-9]*|exponent[0-9]*|coefficient[0-9]*):[ \t]*$/)
    else { HEXK = 0; HEXP = 0 }
  }
  if (OBJV) { if (substr(L, VO + 1) ~ /^[ \t]*[]}]/) OBJV = 0; else if (objvals(VO + 1)) OBJV = 0 }
  if (JAAS) { jaas(VO + 1); if (substr(L, VO + 1) ~ /;[ \t]*\\*"?[ \t]*$/ || L ~ /^[ \t]*[}]/) JAAS = 0 }
  if (HEREDOC != "") {
    if (substr(S, CO + 1) ~ ("^[ \t]*" HEREDOC "[ \t]*$")) HEREDOC = ""
    else if (S !~ /^[ \t]*$/) whole("secret-field")
    return 2
  }
  if (TRIPLE != "") {
    t = index(S, TRIPLE)
    if (t) { if (t > 1) edit(1, t, "secret-field"); TRIPLE = ""; return 2 }
    if (S != "") edit(1, length(S) + 1, "secret-field")
    return 2
  }
  if (B64C) {
    # the next lines of base64 wrapped at a fixed width, after a run that was redacted to the end of its line
    if (substr(S, CO + 1) ~ /^[ \t]*[A-Za-z0-9+=\/]+[ \t]*$/) { edit(CO + 1, length(S) + 1, B64C); return 2 }
    B64C = ""
  }
  if (PENDP > 0 && (PENDPS == "" || substr(S, CO - 8, 6) == PENDPS)) {
    # a password printed alone on a line after one that announces it (Jenkins, Elasticsearch)
    # (after a syslog or journal prefix too: Mmm dd hh:mm:ss host tag[pid]: )
    t = CO; if (!t && match(S, /^([A-Z][a-z][a-z] [ 0-3][0-9] [0-9:.]+|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+[+Z0-9:-]*) [^ ]+ [^ ]+: /)) t = RLENGTH
    if (substr(S, t + 1) ~ /^[ \t]*$/) { PENDP--; return 0 }
    PENDP = 0
    if (match(substr(S, t + 1), /^[ \t]*[^ \t]+[ \t]*$/) && RLENGTH >= 6) { edit(t + 1, length(S) + 1, "secret-field"); return 2 }
  }
  if (INPEM) {
    if (!match(L, /----[- ]?end/)) { printf "%d\td\n", NRX > PATCH; rec("private-key"); return 1 }
    INPEM = 0; CRIC = ""; t = RSTART; x = index(substr(L, t + 8), "----"); t = x ? t + 8 + x + 3 : length(S) + 1; while (substr(L, t, 1) == "-") t++
    if (t > length(S)) { printf "%d\td\n", NRX > PATCH; rec("private-key"); return 1 }
    # (the rest of a CRI record keeps its prefix: the key went to the runtime's P record before it)
    S = ((CO && CO < t) ? substr(S, 1, CO) M : "") substr(S, t); L = tolower(S); printf "%d\tr\t%s%s\n", NRX, S, CR > PATCH; return 1
  }
  if (S ~ /^[ \t]*$/) return 0
  # the states of YAML and JSON structure read a log line's message (after a CRI, --timestamps, docker json-file or
  # journal prefix): its indentation, its keys at the line's start (the view, yview)
  if ((r = yview(1))) return r
  if (DKC != "") {
    # (a record of the other stream between: the value goes on in the next record of its own)
    if (!match(S, /^\{"log": ?"/)) DKC = ""
    else if (dstream() == DKS) { v = RLENGTH + 1; e = (DKC == "q") ? closeq(v, CRIK) : uend(v, -1); edit(v, e, "secret-field"); DKC = ""; return 2 }
  }
  # the next record of the same stream (a record of the other stream may come between) goes on with a value cut at a
  # P record's end: to its closing quote, its end, or (a scheme word cut, Authorization: Bear|er X) its second word
  if (CRIC != "") {
    if (!match(S, /^[^ ]+ (stdout|stderr) [PF] /)) CRIC = ""
    else if (substr(S, RLENGTH - 8, 6) == CRIS && RLENGTH < length(S)) {  # (an empty record between: the next one)
      v = RLENGTH + 1; e = (CRIC == "q") ? closeq(v, CRIK) : uend(v, -1)
      if (CRIC == "a" && match(substr(S, e, 16), /^[ \t]+[^ \t]/)) e = uend(e + RLENGTH - 1, -1)
      edit(v, e, "secret-field"); CRIC = ""; return 2
    }
  }
  return yview(2)
}
# yview(PART): part 1 (blocks, a Secret's data, env lists, pending values) or 2 (a carried tool, registry headers) of
# the structure states, on the line's message as if it were the line; their edits put back on the line
function yview(part,   save, savel, saveco, savevo, saveveb, ne0, r, i) {
  if (!VO && VE == length(S)) return part == 1 ? ystates1() : ystates2()
  save = S; savel = L; saveco = CO; savevo = VO; saveveb = VEB; ne0 = ne
  S = substr(S, VO + 1, VE - VO); L = tolower(S); CO = 0; VO = 0; VEB = 0; VE = length(S); CID++
  r = part == 1 ? ystates1() : ystates2()
  S = save; L = savel; CO = saveco; VO = savevo; VEB = saveveb; VE = length(S) - VEB; CID++
  for (i = ne0 + 1; i <= ne; i++) { ES[i] += VO; EE[i] += VO }
  return r
}
function ystates1(   ind, t, nm, v, e, x) {
  ind = indent_of(S)
  # (after "key:" with no value, deeper lines are a plain scalar unless they are a mapping or a list)
  if (BS >= 0 && BSALL && ind > BS && S !~ /^[ \t]*#/) {
    # under passwords:, tokens:, apiKeys:, credentials: (no value of its own): each item's and each key's value
    if (match(S, /^[ \t]*- /) || match(S, /^[ \t]*[^ \t:#][^:]*:[ \t]*/)) { if (RLENGTH < length(S)) edit(RLENGTH + 1, length(S) + 1, "secret-block"); return 2 }
    whole("secret-block"); return 2
  }
  if (BS >= 0 && BSALL) BSALL = 0
  # (under a secret key with no value of its own, a list of scalars: clientSecrets: then - X; the list may sit at the key's indentation)
  if (BS >= 0 && BSPLAIN && BSSTRONG && ind >= BS && S ~ /^[ \t]*- / && S !~ /^[ \t]*- [ \t]*[^ \t:#"'{[][^:]*:([ \t]|$)/) { match(S, /^[ \t]*- [ \t]*/); if (RLENGTH < length(S)) edit(RLENGTH + 1, length(S) + 1, "secret-block"); return 2 }
  if (BS >= 0 && BSPLAIN && S ~ /^[ \t]*(- |[^ \t:#][^:]*:([ \t]|$)|#)/) BS = -1
  if (BS >= 0) { if (ind > BS) { whole("secret-block"); BSPLAIN = 0; return 2 } BS = -1 }
  if (DATAI >= 0) {
    if (S ~ /^[ \t]*#/) return 0  # (a comment does not end the block)
    # (a list under data: may sit at its indentation: external-secrets' fake provider's - key: K / value: X items)
    if (ind > DATAI || ind == DATAI && S ~ /^[ \t]*- /) {
      if (DATAC < 0) { DATAC = ind; DATAL = (S ~ /^[ \t]*- /) }
      if (ind > DATAC && !(DATAL && ind == DATAC + 2)) { whole("secret-manifest-data"); return 2 }
      if (match(S, /^[ \t]*(- )?[^ \t:]+:[ \t]*/)) { v = RLENGTH + 1; t = substr(S, v); if (t != "" && t !~ /^[|>][-+0-9]*[ \t]*$/) edit(v, length(S) + 1, "secret-manifest-data"); return 2 }
      whole("secret-manifest-data"); return 2
    }
    DATAI = -1
  }
  if (DATAJ) {
    if (S ~ /^[ \t]*}/) DATAJ = 0
    else { if (match(S, /^[ \t]*"[^"]*"[ \t]*:[ \t]*"/)) edit(RLENGTH + 1, closeq(RLENGTH + 1, 0), "secret-manifest-data"); else whole("secret-manifest-data"); return 2 }
  }
  # (a SecretStore's fake provider, to the end of its document: its data: list holds the values it serves)
  if (STORE && S ~ /^(---|\.\.\.)/) { STORE = 0; FAKEI = -1 }
  if (FAKEI >= 0 && S !~ /^[ \t]*(#|$)/ && ind <= FAKEI) FAKEI = -1
  if (STORE && FAKEI < 0 && match(L, /^[ \t]*fake:[ \t]*$/)) FAKEI = ind
  # (in a file with a Secret, a document known to be of another kind before its data: keeps it: a ConfigMap beside a
  # Secret; its kind is known when it comes first, at the level of its apiVersion:, as written by hand)
  if (SECRETFILE) {
    if (S ~ /^(---|\.\.\.)/) { DOCK = ""; DOCI = -1 }
    else if (S ~ /^[ \t]*(- )?apiVersion:/) { DOCI = ind + (S ~ /^[ \t]*- / ? 2 : 0); DOCK = "" }
    else if (DOCI >= 2 && ind + 2 == DOCI && S ~ /^[ \t]*- /) DOCK = ""  # (a List's next item, no apiVersion: first)
    if (DOCI >= 0 && ind + (S ~ /^[ \t]*- / ? 2 : 0) == DOCI && match(L, /^[ \t]*(- )?kind:[ \t]*/)) { DOCK = substr(L, RLENGTH + 1); sub(/[ \t]+#.*$/, "", DOCK); gsub(/["' \t]/, "", DOCK) }
  }
  t = (SECRETFILE && (DOCK == "" || DOCK ~ /^secret(list)?$/ || ind + (S ~ /^[ \t]*- / ? 2 : 0) != DOCI) || FAKEI >= 0)
  # (data: may carry a comment or an anchor; data: {k: v, ...} is a flow mapping: to its last }, or over lines)
  if (t && match(L, /^[ \t]*(- )?(data|stringdata):([ \t]+(&[^ \t#]+|#.*))*[ \t]*$/)) { DATAI = ind; DATAC = -1; return 2 }
  if (t && match(L, /^[ \t]*(- )?(data|stringdata):[ \t]*(&[^ \t#]+[ \t]+)?\{/)) {
    v = RLENGTH + 1; e = 0; for (x = v; (nm = index(substr(S, x), "}")) > 0; x += nm) e = x + nm - 1
    if (e) { if (e > v) edit(v, e, "secret-manifest-data") } else { edit(v, length(S) + 1, "secret-manifest-data"); DATAJ = 1 }
    return 2
  }
  if (SECRETFILE && L ~ /^[ \t]*"(data|stringdata)"[ \t]*:[ \t]*\{[ \t]*$/) { DATAJ = 1; return 2 }
  if (ENVA) {
    if (S ~ /^[ \t]*\]/) { ENVA = 0; return 0 }
    # (a harmless name's value is kept from env-value, not from the other rules: JAVA_OPTS=-Dx.password=X)
    if (match(S, /^[ \t]*"[A-Za-z_][A-Za-z0-9_.-]*=/)) { nm = substr(S, RSTART, RLENGTH); sub(/^[ \t]*"/, "", nm); sub(/=$/, "", nm); if (safe_env(nm)) return 0; v = RSTART + RLENGTH; t = closeq(v, 0); if (!plain(substr(S, v, t - v), "")) edit(v, t, "env-value"); return 2 }
    if (S ~ /^[ \t]*\{/) ENVN = ""  # (an object's name is its own)
    if (match(S, /^[ \t]*\{.*[^ \t]/)) { envitems(indent_of(S)); return 2 }  # (an object on one line)
    if (match(S, /^[ \t]*"(key|name)"[ \t]*:[ \t]*"/)) { nm = substr(S, RLENGTH + 1); sub(/".*$/, "", nm); ENVN = nm; return 0 }
    # (a value before its name: redacted, its name not known yet)
    if (match(S, /^[ \t]*"value"[ \t]*:[ \t]*"/)) { if (ENVN != "" && safe_env(ENVN)) { ENVN = ""; return 0 } v = RLENGTH + 1; t = closeq(v, 0); if (!plain(substr(S, v, t - v), "")) edit(v, t, "env-value"); ENVN = ""; return 2 }
  }
  if (ENVD >= 0) {
    if (S ~ /^[ \t]*#/) return 0
    if (ind <= ENVD) ENVD = -1
    else {
      # NAME:  value (describe, a compose map) or - NAME=value (a compose list): the value, unless the name is a harmless
      # variable's or the value a reference (describe's <set to the key 'k' in secret 's'>, (v1:status.podIP))
      if (match(S, /^[ \t]*- [ \t]*["']?[A-Za-z_][A-Za-z0-9_.-]*=/)) { nm = substr(S, RSTART, RLENGTH - 1); sub(/^[ \t]*- [ \t]*["']?/, "", nm); v = RLENGTH + 1 }
      else if (match(S, /^[ \t]*["']?[A-Za-z_][A-Za-z0-9_.-]*["']?:[ \t]*/)) { nm = substr(S, RSTART, RLENGTH); gsub(/["': \t]/, "", nm); v = RLENGTH + 1 }
      else return 0
      e = length(S) + 1; while (e > v && substr(S, e - 1, 1) ~ /[ \t"']/) e--; if (substr(S, v, 1) ~ /["']/) v++
      t = substr(S, v, e - v)
      if (t ~ /^<set to the key .* (in secret|of config map) .*>/ || t ~ /^\((v1|[a-z]+\/v[0-9a-z]+):[^)]*\)$/ || t ~ /^<none>$/) return 2
      if (pair_secret(nm) && !plain(t, "")) edit(v, e, "env-value")
      return 2
    }
  }
  if (ENVY >= 0) {
    if (S ~ /^[ \t]*#/) return 0  # (a comment does not end the list)
    if (ind < ENVY || (ind == ENVY && S !~ /^[ \t]*- /)) ENVY = -1
    else {
      if (S ~ /^[ \t]*- /) ENVN = ""  # (each item has its own name: not the one before it, whose value came from elsewhere)
      # an item in flow style: - {name: N, value: X}
      if (match(S, /^[ \t]*- [ \t]*\{/)) { envitems(RLENGTH); return 2 }
      if (match(S, /^[ \t]*(- )?name:[ \t]*/)) { nm = substr(S, RLENGTH + 1); sub(/[ \t]+#.*$/, "", nm); gsub(/["' \t]/, "", nm); ENVN = nm; return 0 }
      # (an item written value first, - value: X then name: N, has its value redacted: its name is not known yet;
      # a value on the next lines, value: then X deeper, too)
      if (match(S, /^[ \t]*(- )?value:[ \t]*/)) { if (ENVN != "" && safe_env(ENVN)) { ENVN = ""; return 0 } if (ENVN != "" || S ~ /^[ \t]*- /) { v = RLENGTH + 1; BLOCKKEYS++; value(v, index(S, "value"), 0, ":", "value", "env-value"); BLOCKKEYS-- } ENVN = ""; return 2 }
    }
  }
  if (PENDV > 0) {
    PENDV--
    # (a YAML value is the rest of the line: value: Bearer X of a probe's httpHeaders, kubeadm's extraEnvs)
    if (match(L, /^[ \t]*(- )?\\*"?value\\*"?[ \t]*:[ \t]*/)) { t = RLENGTH; if (substr(L, 1, t) ~ /"/) value(t + 1, 1, 1, "=", "value", "env-value"); else value(t + 1, index(L, "value"), 0, ":", "value", "env-value"); PENDV = 0; return 2 }
  }
  if (PENDJ) {
    # "password": and its value on the next line (JSON formatted with a line break after the colon)
    PENDJ = 0
    if (match(substr(S, CO + 1), /^[ \t]*\\*"/)) { v = CO + RLENGTH + 1; e = closeq(v, RLENGTH - 1 - indent_of(substr(S, CO + 1))); if (!plain(substr(S, v, e - v), "")) edit(v, e, "secret-field"); return 2 }
    if (match(substr(S, CO + 1), /^[ \t]*[^] \t,}]+/)) { t = indent_of(substr(S, CO + 1)); edit(CO + t + 1, CO + RLENGTH + 1, "secret-field"); return 2 }
  }
  if (HTS != "") { split(HTS, TMP5, " "); HTS = ""; htargs(1, S, TMP5[1] + 0, TMP5[2] + 0, TMP5[3] + 0) }
  if (PENDF != "") {
    t = PENDF; PENDF = ""
    if (match(S, /^[ \t]*\\*"/)) { v = RLENGTH + 1; edit(v, closeq(v, RLENGTH - 1 - ind), t); return 2 }
    if (match(S, /^[ \t]*- /)) { edit(RLENGTH + 1, length(S) + 1, t); return 2 }
    # a continued command's next word ('X' or X), or a word alone at the flag's indentation (describe's Args:)
    if (PENDC || ind == PENDI && S ~ /^[ \t]*[^ \t]+[ \t]*$/ && S !~ /:[ \t]*$/) {
      if (match(substr(S, CO + 1), /^[ \t]*'/)) { v = CO + RLENGTH + 1; e = sq_end(v); if (e > v) edit(v, e, t); return 2 }
      if (match(substr(S, CO + 1), /^[ \t]*[^- \t#\\]/)) { v = CO + RLENGTH; e = uend(v, -1); if (e > v) edit(v, e, t); return 2 }
    }
  }
  if (ARR) { if (S ~ /^[ \t]*\]/) ARR = 0; else { t = index(S, "]"); if (t) { ARR = 0; v = indent_of(S) + 1; if (t > v) edit(v, t, "secret-field") } else whole("secret-field"); return 2 } }
  if (PENDU) { PENDU = 0; if (match(S, /^[ \t]*\\*"/)) { v = RLENGTH + 1; e = closeq(v, RLENGTH - 1 - ind); t = index(substr(S, v, e - v), ":"); if (t) edit(v + t, e, "tool-password"); return 2 } }
  return 0
}
function ystates2(   ind) {
  ind = indent_of(S)
  if (TOOLCTX != "") {
    # the carried tool ends with its array, its list (an item at another indentation, or not an item), its command
    if (CTXK == "j" && S ~ /\]/ || CTXK == "y" && (ind != CTXI || S !~ /^[ \t]*- /) || CTXK == "l" && ind != CTXI) TOOLCTX = ""
    else if (length(CTXL) < 1024) CTXL = CTXL " " substr(L, 1, 256)
  }
  if (HDR) {
    if (S ~ /^[ \t]*\[/) HDR = 0
    else if (match(S, /^[ \t]*[^ \t=]+[ \t]*=[ \t]*/)) { v = RLENGTH + 1; t = substr(S, v); if (t ~ /^\[/) { v++; t = index(substr(S, v), "]"); t = t ? v + t - 1 : length(S) + 1 } else if (t ~ /^"/) { v++; t = closeq(v, 0) } else t = length(S) + 1; if (!plain(substr(S, v, t - v), "")) edit(v, t, "registry-header"); return 2 }
  }
  return 0
}
BEGIN {
  DKC = ""; HEREDOC = ""; JAAS = 0; OBJV = 0; ENVD = -1; HEXK = 0; HEXP = 0; STORE = 0; FAKEI = -1; DOCK = ""; DOCI = -1; BS = -1; DATAI = -1; ENVY = -1; ENVA = 0; HDR = 0; INPEM = 0; PENDV = 0; PENDF = ""; HTS = ""; TOOLCTX = ""; CTXK = ""; PENDJ = 0; TRIPLE = ""; B64C = ""; PENDP = 0; RUN0 = 0; PCTX = ""
  ns = split("@SIGS@", SA, " ")
  for (i = 1; i <= ns; i++) { k = tolower(SA[i]); SIGS[k] = (k in SIGS) ? SIGS[k] " " SA[i] : SA[i] }
  NKSIG = split("@KSIGS@", KSIG, " ")
}
# (a line that needs the whole file stops the line pass, but a Secret's kind: further on must still be known, for
# the data: of its document may come before it, as kubectl get -o yaml prints it)
NEEDED { if (!SECNEED && tolower($0) ~ /kind\\*"?[ \t]*:[ \t]*\\*"?'?secret(list)?([^a-z0-9]|$)/) { printf "secret\n" > NEED; SECNEED = 1 } next }
{
  if (MODE == "line") { i = index($0, ":"); NRX = substr($0, 1, i - 1) + 0; S = substr($0, i + 1) }
  else { NRX = NR; S = $0 }
  CR = ""; if (substr(S, length(S)) == "\r") { CR = "\r"; S = substr(S, 1, length(S) - 1) }
  L = tolower(S); ne = 0; CID++
  # the CRI log prefix (time, stream, P or F tag): CO is its length, the message starts after it
  CO = match(S, /^[^ ]+ (stdout|stderr) [PF] /) ? RLENGTH : match(S, /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+(Z|[+-][0-9][0-9]:?[0-9][0-9]) /) ? RLENGTH : 0
  # a docker json-file record ({"log":"...","stream":...}): its message starts after {"log":", and the record is cut
  # (the rest in the next one) where its log string does not end in \n; DKE: that string's closing quote
  DKE = 0; if (!CO && match(S, /^\{"log": ?"/)) { CO = RLENGTH; DKE = closeq(CO + 1, 0); if (substr(S, DKE - 2, 2) == "\\n") DKE = 0 }
  # the message as the structure states read it (yview): after the prefix (CO's, or a journal's: Mmm dd hh:mm:ss host
  # tag[pid]: ), to the end of the line (of a docker record's log string, without its \n: VEB bytes after it)
  VO = CO; VEB = 0
  if (!CO && match(S, /^[A-Z][a-z][a-z] [ 0-3][0-9] [0-9:.]+ [^ ]+ [^ ]+: /)) VO = RLENGTH
  else if (CO && substr(S, 1, 1) == "{") { VQ = closeq(CO + 1, 0); VEB = length(S) - VQ + 1; if (substr(S, VQ - 2, 2) == "\\n") VEB += 2 }
  VE = length(S) - VEB
  NCR = 0; if (MODE == "full" && (INCERT || index(L, "-----"))) certranges(1)
  st = (MODE == "full") ? states() : 0
  if (st == 1) { ctx_after(); next }
  if (st == 0 && length(S) > 65536) { long_line(); ctx_after(); next }
  if (st == 0 && MODE == "full" && PCTX != "" && CO && substr(S, CO - 8, 6) == PSTREAM && length(S) <= 65536) {
    # the next record of a partial (P) one: scanned with the end of the message it continues, so that a key
    # or a token cut by the runtime's 16 KiB split is whole; only what falls in this record is edited
    ctx_scan()
  } else if (st == 0 && ((A1 = (L ~ /@ANCHOR@/)) || S ~ /@RUNS@/)) {
    if (A1) { if (SECRETFILE || L ~ /kind\\*"?[ \t]*:[ \t]*\\*"?'?secret|\\*"resource\\*"[ \t]*:[ \t]*\\*"secrets\\*"/) kindline(); scan(); if (!NEEDED && index(L, "command=")) execuri() }
    # openssl's text dump of a private key (openssl pkey|rsa|ec -text): its private numbers, in hex on the lines after
    if (!NEEDED && index(L, "private-key:") && L ~ /private-key:[ \t]*(\([0-9]+ bit|$)/) { need("full"); if (NEEDED) next; HEXK = 1; HEXP = (L ~ /private-key:[ \t]*$/) }
    if (!NEEDED) entropy()
    if (NEEDED) next
    if (A1) {
      # a P record with a secret word: its next record is read with it (full mode)
      if (CO && substr(S, CO - 1, 1) == "P") need("full")
      if (NEEDED) next
      if (L ~ /(password|certificate key|token|secret)[^:]*:[ \t]*$/ && substr(L, CO + 1) !~ /^[ \t]*(- )?[^ \t]*:[ \t]*$/) { need("full"); if (NEEDED) next; PENDP = 3; PENDPS = (substr(S, CO - 8, 6) ~ /^std(out|err)$/) ? substr(S, CO - 8, 6) : "" }
    }
  }
  if (ne && DKE) { for (i = 1; i <= ne; i++) if (EE[i] >= DKE) { need("full"); if (NEEDED) next; DKC = CRIQ[i] != "" ? CRIQ[i] : "u"; CRIK = CRIL[i]; DKS = dstream() } }
  if (ne && CO && substr(S, CO - 1, 1) == "P") { for (i = 1; i <= ne; i++) if (EE[i] > length(S)) { need("full"); if (NEEDED) next; CRIC = CRIQ[i] != "" ? CRIQ[i] : "u"; CRIK = CRIL[i]; CRIS = substr(S, CO - 8, 6) } }
  emit()
  ctx_after()
}
function ctx_after(   c) {
  if (MODE != "full") return
  if (CTXK == "c" && S !~ /[ \t]\\[ \t]*$/) TOOLCTX = ""
  c = substr(S, CO + 1)
  RUN0 = (c ~ /^[A-Za-z0-9+=\/]+$/ && length(c) >= 16) ? (RUN0 ? RUN0 : NRX) : 0
  if (CO && substr(S, CO - 1, 1) == "P") { if (c != "" || PSTREAM != substr(S, CO - 8, 6)) { PCTX = length(c) > 256 ? substr(c, length(c) - 255) : c; PSTREAM = substr(S, CO - 8, 6) } }
  # (a record of the other stream leaves the cut message of this one: it goes on after it)
  else if (substr(S, CO - 8, 6) !~ /^std(out|err)$/ || substr(S, CO - 8, 6) == PSTREAM) PCTX = ""
}
# One line's env items from position p (an env: [...] flow list, a - {name: N, value: X} item, a JSON object on one
# line, an array of "NAME=value" strings): each value, unless its name is a harmless variable's (a value with no name
# known: redacted). Plain and YAML flow text only (escaped JSON stops it); the first 16 KiB of the line.
function envitems(p,   T, n, i, d, c, os, e) {
  T = substr(S, p, 16384); n = length(T); i = 1; d = 0
  while (i <= n && match(substr(T, i, 4096), /[]{}"]/)) {
    i += RSTART - 1; c = substr(T, i, 1)
    if (c == "\"") {
      if (substr(T, i - 1, 1) == "\\") return
      e = closeq(p + i, 0)
      if (d == 0) envstr(p + i, e)
      i = e - p + 2; continue
    }
    if (c == "{") { if (d == 0) os = i; d++ }
    else if (c == "}") { d--; if (d == 0) envobj(p + os - 1, p + i - 1); if (d < 0) return }
    else if (d == 0) return
    i++
  }
}
function envstr(a, e,   w, k, nm) {
  w = substr(S, a, e - a); k = index(w, "=")
  if (!k) return
  nm = substr(w, 1, k - 1)
  if (nm ~ /^[A-Za-z_][A-Za-z0-9_.-]*$/ && !safe_env(nm) && !plain(substr(w, k + 1), "")) edit(a + k, e, "env-value")
}
# an object's name and value, at its own level ({ at a, } at b)
function envobj(a, b,   w, nm, v, e) {
  w = substr(S, a + 1, b - a - 1); nm = ""
  if (match(w, /(^|,)[ \t]*"?name"?[ \t]*:[ \t]*/)) { v = a + RSTART + RLENGTH; e = envtok(v, b); nm = substr(S, v, e - v); gsub(/["' \t]/, "", nm) }
  if (!match(w, /(^|,)[ \t]*"?value"?[ \t]*:[ \t]*/)) return
  v = a + RSTART + RLENGTH; e = envtok(v, b)
  if (substr(S, v, 1) ~ /["']/) { v++; e-- }
  if (e > v && (nm == "" || !safe_env(nm)) && !plain(substr(S, v, e - v), "")) edit(v, e, "env-value")
}
# the end of a flow value at v: its closing quote (+1), or the , or } before b
function envtok(v, b,   c, e) {
  c = substr(S, v, 1)
  if (c == "\"") return closeq(v + 1, 0) + 1
  if (c == "'") return sq_end(v + 1) + 1
  e = v; while (e < b && substr(S, e, 1) !~ /[,}]/) e++
  while (e > v && substr(S, e - 1, 1) ~ /[ \t]/) e--
  return e
}
# snmpd.conf's createUser NAME (MD5|SHA...) X [(DES|AES...) Y]: the passphrases
function snmpuser(v,   w, i, n, t) {
  n = split(substr(S, v, 512), SN, /[ \t]+/); t = v
  for (i = 1; i < n; i++) {
    if (toupper(SN[i]) ~ /^(MD5|SHA|SHA-?(224|256|384|512)|DES|AES|AES-?(128|192|256))$/ && SN[i + 1] != "") {
      w = index(substr(S, t), SN[i + 1]) + t - 1; if (substr(S, w, 1) == "\"") edit(w + 1, closeq(w + 1, 0), "tool-password"); else edit(w, w + length(SN[i + 1]), "tool-password")
    }
    t = index(substr(S, t), SN[i]) + t - 1 + length(SN[i])
  }
}
# kubectl create secret ... --from-literal=KEY=VALUE: every value (whatever its key's name) of a Secret created
function fromlit(p,   v, e, k) {
  if (substr(L, 1, p) !~ /create[ \t]+secret/) return
  v = p + 13; k = index(substr(S, v, 256), "=")
  if (!k) return
  v += k; if (substr(S, v, 1) ~ /["']/) v++
  e = uend(v, -1); if (e > v) edit(v, e, "tool-password")
}
# a TOML inline table of headers (certs.d hosts.toml: header = { X-Gate = "X" }): each value
function inlinehdr(v,   w, i, k, a, e) {
  w = substr(S, v, 4096); e = index(w, "}"); if (e) w = substr(w, 1, e - 1)
  i = 1
  while (match(substr(w, i), /=[ \t]*/)) {
    a = i + RSTART + RLENGTH - 1
    if (substr(w, a, 1) == "\"") { k = index(substr(w, a + 1), "\""); e = k ? a + k : length(w) + 1; a++ }
    else if (substr(w, a, 1) == "[") { k = index(substr(w, a + 1), "]"); e = k ? a + k : length(w) + 1; a++ }
    else { e = a; while (e <= length(w) && substr(w, e, 1) !~ /[,}]/) e++ }
    if (e > a) edit(v + a - 1, v + e - 1, "registry-header")
    i = e + 1
  }
}
# The words of a command run in a container (kubectl exec, attach), as the API server's URL carries them (in its
# httplog line, an audit event's requestURI): command=mysql&command=-p&command=X. The words, decoded (+ a space,
# %XX a character), are read by the rules as one command line, and each edit goes back to the bytes it came from.
function execuri(   q0, i, q, n, k, c, h, x, s2, np, save, savel, saveco, savevo, saveveb, ne0, j, lo, hi, e, w) {
  if (!match(L, /\/(exec|attach)\?[^ \t"'\\]*command=/)) return
  q0 = RSTART; q = substr(S, q0, 4096); n = length(q); s2 = ""; np = 0; k = 0
  # the parameters, to a blank, a quote or a backslash (but JSON's \u0026, an escaped &)
  for (i = index(q, "?") + 1; i <= n; i = j + w) {
    for (j = i; j <= n; j++) {
      h = substr(q, j, 1)
      if (h == "&") { w = 1; break }
      if (h == "\\" && substr(q, j, 6) == "\\u0026") { w = 6; break }
      if (h ~ /[ \t"'\\]/) { n = j - 1; w = 1; break }
    }
    if (tolower(substr(q, i, 8)) != "command=") continue
    if (np) { s2 = s2 " "; k++; XP[k] = 0; XL[k] = 0 }
    np++; XA[np] = k + 1
    for (c = i + 8; c < j; c += x) {
      h = substr(q, c, 1); x = 1
      if (h == "+") h = " "
      else if (h == "%" && match(substr(q, c + 1, 2), /^[2-7][0-9A-Fa-f]$/)) { e = tolower(substr(q, c + 1, 2)); h = sprintf("%c", index("0123456789abcdef", substr(e, 1, 1)) * 16 - 17 + index("0123456789abcdef", substr(e, 2, 1))); x = 3 }
      s2 = s2 h; k++; XP[k] = q0 + c - 1; XL[k] = x
    }
    XB[np] = k + 1
  }
  if (!np) return
  save = S; savel = L; saveco = CO; savevo = VO; saveveb = VEB; ne0 = ne
  S = s2; L = tolower(S); CO = 0; VO = 0; VEB = 0; CID++
  if (L ~ /@ANCHOR@/) scan()
  S = save; L = savel; CO = saveco; VO = savevo; VEB = saveveb; CID++
  # each edit, word by word, back on the URL's bytes
  k = ne; ne = ne0
  for (i = ne0 + 1; i <= k; i++) { TA[i] = ES[i]; TB[i] = EE[i]; TR[i] = ER[i] }
  for (i = ne0 + 1; i <= k; i++) for (j = 1; j <= np; j++) {
    lo = TA[i] > XA[j] ? TA[i] : XA[j]; hi = TB[i] < XB[j] ? TB[i] : XB[j]
    if (hi > lo) edit(XP[lo], XP[hi - 1] + XL[hi - 1], TR[i])
  }
}
function ctx_scan(   save, savevo, saveveb, n, i, k, a, b) {
  save = S; savevo = VO; saveveb = VEB; n = length(PCTX)
  S = PCTX substr(save, CO + 1); L = tolower(S); VO = 0; VEB = 0; CID++
  if (L ~ /@ANCHOR@/) scan()
  CTXS = 1; if (!NEEDED) entropy(); CTXS = 0
  k = 0
  for (i = 1; i <= ne; i++) {
    a = ES[i] - n; b = EE[i] - n
    if (b <= 1) continue
    if (a < 1) a = 1
    k++; ES[k] = a + CO; EE[k] = b + CO; ER[k] = ER[i]; CRIQ[k] = ""; CRIL[k] = 0
  }
  ne = k; S = save; L = tolower(S); VO = savevo; VEB = saveveb; CID++
}
AWK
}

write_redaction_report() {
  local out="$BUNDLE/redaction-report.txt" total=0
  [[ -s "$REDLINES" ]] && total=$(wc -l <"$REDLINES")
  {
    printf 'Kubesnap redaction report\n'
    printf '=========================\n\n'
    printf 'Before this bundle was packed, every file in it was searched for secrets, and each\n'
    printf 'value found was replaced by the marker %s. The values themselves are\n' "$MARKER"
    printf 'not in this bundle, nor in this report. Private key files (*.key, *-key.pem, ...) and\n'
    printf 'credential files (*.csv, *.token, htpasswd) were not collected at all; /proc/*/environ\n'
    printf 'and Kubernetes Secrets are never read. The rules are listed in docs/redaction.md.\n\n'
    printf 'Values redacted: %s\n' "$total"
    printf 'Files withheld: %s\n\n' "$(grep -c '' "$WITHHELD" || true)"
    if [[ -s "$WITHHELD" ]]; then
      printf 'Withheld (not in this bundle)\n-----------------------------\n'
      awk -F'\t' '{ printf "%s: %s\n", $1, $2 }' "$WITHHELD"
      printf '\n'
    fi
    if [[ -s "$REDLINES" ]]; then
      printf 'Changes (file, line, rule)\n--------------------------\n'
      sort -t"$(printf '\t')" -k1,1 -k2,2n "$REDLINES" | awk -F'\t' '{ printf "%s:%s  %s\n", $1, $2, $3 }'
    fi
    printf '\nPlease review this bundle before sending it; you can open the tarball and search it.\n'
  } >"$out"
  # per file and rule, for the manifest
  if [[ -s "$REDLINES" ]]; then
    awk -F'\t' '{ k = $3 "\t" $1; n[k]++ } END { for (k in n) { split(k, a, "\t"); print n[k] "\t" a[1] "\t" a[2] } }' "$REDLINES" | sort -t"$(printf '\t')" -k3,3 -k2,2 >"$REDACTIONS"
  else
    : >"$REDACTIONS"
  fi
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
    else if (f[1] == "name") { nm[f[2]] = f[3]; n = f[2]; gsub(/[.]/, "[.]", n); if (re != "") re = re "|"; re = re n }
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
  [[ "$total" =~ ^[0-9]+$ ]] || total=0
  red+="]"
  local wh="[" wsep=""
  if [[ -s "$WITHHELD" && "$RECORDS" != /dev/null ]]; then
    local wp wr
    while IFS=$'\t' read -r wp wr; do
      wh+="$wsep{\"path\":$(json_str "$wp"),\"reason\":$(json_str "$wr")}"
      wsep=","
    done <"$WITHHELD"
  fi
  wh+="]"
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
    printf '  "redaction": {"marker": "%s", "total": %s, "files": %s, "withheld": %s, "engine": %s, "awk": %s},\n' "$MARKER" "$total" "$red" "$wh" \
      "$(json_str "$REDACT_ENGINE")" "$(json_str "$REDACT_AWK")"
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
  REDACT_BOUND=$((TIMEOUT * 4 > 60 ? TIMEOUT * 4 : 60))
  if [[ "${KUBESNAP_REDACT_BOUND:-}" =~ ^[1-9][0-9]{0,5}$ ]]; then REDACT_BOUND=$KUBESNAP_REDACT_BOUND; fi
  redact_setup

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
  redact_known
  write_redaction_report
  finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  write_manifest "$node" "$host" "$role" "$started" "$finished"
  local before
  before=$(cat -- "$REDLINES" "$WITHHELD" | wc -l)
  final_scan
  if (($(cat -- "$REDLINES" "$WITHHELD" | wc -l) != before)); then
    write_redaction_report
    write_manifest "$node" "$host" "$role" "$started" "$finished"
    # rewritten from the lists of changes, which name files as they were found (a name can hold a token)
    redact_file "$BUNDLE/manifest.json" manifest.json "final-scan:" || true
    redact_file "$BUNDLE/redaction-report.txt" redaction-report.txt "final-scan:" || true
  fi
  if [[ ! -e "$BUNDLE/manifest.json" ]]; then
    # its redaction failed (no awk passed the engine's self-test): a manifest without the records, lists or names
    log "warning: the manifest could not be redacted: it is written without its records"
    RECORDS=/dev/null REDACTIONS=/dev/null write_manifest "$node" "$host" "$role" "$started" "$finished"
  fi
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
    # (in find's order where awk failed the engine's self-test: it may not run this either)
    (cd -- "$STAGE" && find "$name" -mindepth 1 ! -path "$name/manifest.json" -print) |
      if ((REDACT_BROKEN)); then sort; else awk -v n="$name" '{
        p = substr($0, length(n) + 2); r = 5
        if (p ~ /^redaction-report/) r = 1
        else if (p ~ /^runtime/) r = 2
        else if (p ~ /^processes/) r = 3
        else if (p ~ /^(etcd|cluster)/ && p !~ /^cluster\/logs/) r = 4
        else if (p ~ /^(host|services)/ && p !~ /^services\/journal-/) r = 5
        else if (p ~ /^files/ && p !~ /^files\/var\/log/) r = 6
        else r = 7
        print r "\t" $0
      }' | sort -t "$(printf '\t')" -k1,1n -k2,2 | cut -f2-; fi
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

# Sourced (tests, docs), the script only defines its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi

"""Read an Ansible inventory (kubespray's inventory.ini or hosts.yaml) into the hosts to collect.

Only what connecting needs is kept: names, groups, address, port, user, become, the ssh
options and key file the inventory gives. Passwords, vault blobs and every other variable are
dropped while reading, so nothing secret can reach the site archive or the manifest; the ssh
options and the key file's path are used to connect and never written anywhere.

    [kube_control_plane]
    node1 ansible_host=10.0.0.21 ansible_user=ubuntu
    [k8s_cluster:children]
    kube_control_plane
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from analyzer.errors import UsageError

MAX_INVENTORY_BYTES = 16 * 1024 * 1024
MAX_HOSTS = 10_000
MAX_NODES = 200_000  # YAML nodes visited: aliases can make a small file a huge tree
VAULT_PREFIX = "$ANSIBLE_VAULT;"
SECTION = re.compile(r"^\[([^\]\s:]+)(?::(vars|children))?\]\s*$")
RANGE = re.compile(r"\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::([0-9]+))?\]")
TRUE = {"true", "yes", "on", "1", "y"}
FALSE = {"false", "no", "off", "0", "n"}

# the variables read; every other one (ansible_password, ansible_become_password, ...) is dropped unread
HOST_KEYS = ("ansible_host", "ansible_ssh_host")
PORT_KEYS = ("ansible_port", "ansible_ssh_port")
USER_KEYS = ("ansible_user", "ansible_ssh_user")
KEEP = {
    *HOST_KEYS, *PORT_KEYS, *USER_KEYS, "ansible_become", "ansible_become_user", "ansible_become_method",
    "ansible_ssh_common_args", "ansible_ssh_extra_args", "ansible_ssh_private_key_file", "ansible_private_key_file",
    "kubesnap_path", "kubesnap_collector_args",
}  # fmt: skip


class Vaulted:
    """A vault-encrypted value: never decrypted, never kept (its text is dropped)."""

    def __repr__(self) -> str:
        return "<vaulted>"


@dataclass
class Host:
    """One host to collect. `public()` is all that may be written down about it."""

    name: str
    groups: list[str] = field(default_factory=list)
    address: str = ""
    port: int | None = None
    user: str | None = None
    become: bool | None = None
    become_user: str | None = None
    ssh_args: list[str] = field(default_factory=list)  # used to connect only; may hold anything: never written
    key_file: str | None = None  # path of the private key, used with ssh -i; never written
    path: str | None = None  # kubesnap_path: PATH for the collector on the node
    collector_args: list[str] = field(default_factory=list)  # kubesnap_collector_args: per-host collector flags
    problem: str | None = None  # why this host cannot be collected over plain ssh

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "groups": self.groups, "address": self.address, "port": self.port, "user": self.user}


@dataclass
class Inventory:
    hosts: list[Host]
    groups: dict[str, list[str]]  # group -> host names (children included)
    source: str  # the file's name (never its folder)


@dataclass
class _Group:
    hosts: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


class _Raw:
    """Groups and hosts as the file declares them, before variables are resolved."""

    def __init__(self) -> None:
        self.groups: dict[str, _Group] = {"all": _Group(), "ungrouped": _Group()}
        self.hostvars: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []

    def group(self, name: str) -> _Group:
        return self.groups.setdefault(name, _Group())

    def add_host(self, group: str, name: str, hvars: dict[str, Any]) -> None:
        if name not in self.hostvars:
            if len(self.order) >= MAX_HOSTS:
                raise UsageError(f"inventory: more than {MAX_HOSTS} hosts")
            self.hostvars[name] = {}
            self.order.append(name)
        self.hostvars[name].update(_kept(hvars))
        g = self.group(group)
        if name not in g.hosts:
            g.hosts.append(name)


def _kept(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k in KEEP}


# ------------------------------------------------------------------ INI


def expand(pattern: str) -> list[str]:
    """Ansible host ranges: node[01:03] -> node01 node02 node03; [a:c] letters; [0:10:2] a stride."""
    m = RANGE.search(pattern)
    if not m:
        return [pattern]
    lo, hi, step = m.group(1), m.group(2), int(m.group(3) or 1)
    head, tail = pattern[: m.start()], pattern[m.end() :]
    if lo.isdecimal() != hi.isdecimal() or step < 1:
        raise ValueError(f"bad host range {m.group(0)}")
    if lo.isdecimal():
        width = len(lo) if lo.startswith("0") else 0
        values = [str(i).zfill(width) for i in range(int(lo), int(hi) + 1, step)] if int(hi) - int(lo) < MAX_HOSTS * step else []
        if not values and int(hi) >= int(lo):
            raise ValueError(f"host range {m.group(0)} is larger than {MAX_HOSTS}")
    else:
        values = [chr(c) for c in range(ord(lo), ord(hi) + 1, step)]
    out: list[str] = []
    for v in values:
        for h in expand(tail):
            out.append(head + v + h)
            if len(out) > MAX_HOSTS:
                raise ValueError(f"host range is larger than {MAX_HOSTS}")
    return out


def _ini_vars(tokens: list[str], lineno: int, problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in tokens:
        k, sep, v = t.partition("=")
        if not sep or not k:
            problems.append(f"line {lineno}: {t.split('=')[0][:40]!r} is not key=value: ignored")
            continue
        out[k] = Vaulted() if v.startswith(VAULT_PREFIX) else v
    return out


def _split(line: str) -> list[str]:
    lex = shlex.shlex(line, posix=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    return list(lex)


def read_ini(text: str, problems: list[str]) -> _Raw:
    raw = _Raw()
    section, kind = "ungrouped", "hosts"
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        m = SECTION.match(s)
        if m:
            section, kind = m.group(1), m.group(2) or "hosts"
            raw.group(section)
            continue
        if s.startswith("["):
            problems.append(f"line {lineno}: not a section header: ignored")
            section, kind = "", "skip"
            continue
        if kind == "skip":
            continue
        try:
            tokens = _split(s)
        except ValueError as e:
            problems.append(f"line {lineno}: {e}: ignored")
            continue
        if not tokens:
            continue
        if kind == "children":
            raw.group(section).children.append(tokens[0])
            raw.group(tokens[0])
        elif kind == "vars":
            if "=" not in s:
                problems.append(f"line {lineno}: not key=value: ignored")
                continue
            k, _, v = s.partition("=")
            k, v = k.strip(), v.strip()
            try:
                vv = _split(v)
                v = vv[0] if len(vv) == 1 else v
            except ValueError:
                pass
            raw.group(section).vars.update(_kept({k: Vaulted() if v.startswith(VAULT_PREFIX) else v}))
        else:
            hvars = _ini_vars(tokens[1:], lineno, problems)
            name = tokens[0]
            # host:port, as Ansible reads it (an IPv6 address has more than one colon and no port)
            if name.count(":") == 1 and "[" not in name and _digits(name.rpartition(":")[2]):
                name, _, port = name.partition(":")
                hvars.setdefault("ansible_port", port)
            if not name:
                problems.append(f"line {lineno}: a host line with no host name: ignored")
                continue
            try:
                names = expand(name)
            except ValueError as e:
                problems.append(f"line {lineno}: {e}: ignored")
                continue
            for n in names:
                raw.add_host(section, n, hvars)
    return raw


# ------------------------------------------------------------------ YAML


class _Loader(yaml.SafeLoader):
    """safe_load plus Ansible's tags: !vault (kept as Vaulted, its text dropped) and !unsafe (a plain string)."""


def _vault(loader: yaml.SafeLoader, node: yaml.Node) -> Vaulted:
    return Vaulted()


def _unsafe(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    return None


_Loader.add_constructor("!vault", _vault)
_Loader.add_constructor("!unsafe", _unsafe)


def read_yaml(text: str, problems: list[str]) -> _Raw:
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        raise UsageError(f"inventory: not valid YAML: {str(e).splitlines()[0]}") from e
    if doc is None:
        return _Raw()
    if not isinstance(doc, dict):
        raise UsageError("inventory: the YAML is not a mapping of groups")
    raw = _Raw()
    budget = [MAX_NODES]

    def tick() -> None:
        budget[0] -= 1
        if budget[0] < 0:
            raise UsageError(f"inventory: more than {MAX_NODES} entries (YAML aliases?)")

    def group(name: str, body: object, depth: int, seen: tuple[str, ...]) -> None:
        tick()
        g = raw.group(name)
        if body is None:
            return
        if not isinstance(body, dict):
            problems.append(f"group {name}: not a mapping: ignored")
            return
        if depth > 32 or name in seen:
            problems.append(f"group {name}: nested too deep or in a loop: ignored")
            return
        hosts = body.get("hosts") or {}
        if isinstance(hosts, dict):
            for h, hv in hosts.items():
                tick()
                hvars = hv if isinstance(hv, dict) else {}
                try:
                    names = expand(str(h))
                except ValueError as e:
                    problems.append(f"group {name}: {e}: ignored")
                    continue
                for n in names:
                    raw.add_host(name, n, {str(k): v for k, v in hvars.items()})
        elif hosts:
            problems.append(f"group {name}: hosts is not a mapping: ignored")
        gv = body.get("vars") or {}
        if isinstance(gv, dict):
            g.vars.update(_kept({str(k): v for k, v in gv.items()}))
        children = body.get("children") or {}
        if isinstance(children, dict):
            for c, cb in children.items():
                if str(c) not in g.children:
                    g.children.append(str(c))
                group(str(c), cb, depth + 1, (*seen, name))
        elif children:
            problems.append(f"group {name}: children is not a mapping: ignored")

    for name, body in doc.items():
        group(str(name), body, 0, ())
    return raw


# ------------------------------------------------------------------ resolve


def _members(raw: _Raw, name: str, seen: frozenset[str] = frozenset()) -> Iterator[str]:
    g = raw.groups.get(name)
    if g is None or name in seen:
        return
    yield from g.hosts
    for c in g.children:
        yield from _members(raw, c, seen | {name})


def _depth(raw: _Raw, name: str) -> int:
    """How far below `all` a group is: deeper groups' variables win (Ansible's order)."""
    parents = {p for p, g in raw.groups.items() if name in g.children}
    best = 0
    frontier, d = parents, 1
    seen: set[str] = set()
    while frontier and d < 64:
        best = d
        seen |= frontier
        frontier = {p for p, g in raw.groups.items() for c in frontier if c in g.children} - seen
        d += 1
    return best


def _digits(t: str) -> bool:
    """ASCII digits only: str.isdigit also takes superscripts and other scripts' digits, which int() refuses."""
    return t.isascii() and t.isdecimal()


def _text(v: object) -> str | None:
    if v is None or isinstance(v, Vaulted):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _bool(v: object) -> bool | None:
    if isinstance(v, bool):
        return v
    t = (_text(v) or "").strip().lower()
    return True if t in TRUE else False if t in FALSE else None


def _host(raw: _Raw, name: str, groups: list[str]) -> Host:
    merged: dict[str, Any] = dict(raw.groups["all"].vars)
    for g in sorted((g for g in groups if g != "all"), key=lambda g: (_depth(raw, g), g)):
        merged.update(raw.groups[g].vars)
    merged.update(raw.hostvars.get(name, {}))
    h = Host(name, groups=[g for g in groups if g not in ("all", "ungrouped")])
    problems = []
    for keys, what in ((HOST_KEYS, "address"), (PORT_KEYS, "port"), (USER_KEYS, "user")):
        v = next((merged[k] for k in keys if k in merged), None)
        if isinstance(v, Vaulted):
            problems.append(f"its {keys[0]} is vault-encrypted")
            continue
        t = _text(v)
        if t is not None and "{{" in t:
            problems.append(f"its {keys[0]} is a template ({t[:60]})")
            continue
        if what == "address":
            h.address = t or name
        elif what == "port" and t:
            if _digits(t) and 0 < int(t) < 65536:
                h.port = int(t)
            else:
                problems.append(f"its {keys[0]} is not a port number")
        elif what == "user":
            h.user = t or None
    if not h.address:
        h.address = name
    h.become = _bool(merged.get("ansible_become"))
    h.become_user = _text(merged.get("ansible_become_user"))
    method = _text(merged.get("ansible_become_method"))
    if method and method != "sudo":
        problems.append(f"its become method is {method} (plain ssh uses sudo)")
    for k in ("ansible_ssh_common_args", "ansible_ssh_extra_args"):
        t = _text(merged.get(k))
        if t:
            try:
                h.ssh_args += shlex.split(t)
            except ValueError:
                problems.append(f"its {k} cannot be split into arguments")
    h.key_file = _text(merged.get("ansible_ssh_private_key_file") or merged.get("ansible_private_key_file"))
    h.path = _text(merged.get("kubesnap_path"))
    args = merged.get("kubesnap_collector_args")
    if isinstance(args, list):
        h.collector_args = [str(a) for a in args]
    elif _text(args):
        try:
            h.collector_args = shlex.split(_text(args) or "")
        except ValueError:
            problems.append("its kubesnap_collector_args cannot be split into arguments")
    if problems:
        h.problem = "; ".join(problems) + ": use the Ansible path (--method ansible)"
    return h


def resolve(raw: _Raw, source: str) -> Inventory:
    groups = {g: list(dict.fromkeys(_members(raw, g))) for g in raw.groups}
    of_host: dict[str, list[str]] = {h: [] for h in raw.order}
    for g, members in groups.items():
        for h in members:
            of_host[h].append(g)
    hosts = [_host(raw, h, sorted(of_host[h])) for h in raw.order]
    groups["all"] = list(raw.order)
    return Inventory(hosts, {g: m for g, m in groups.items() if m}, source)


def read_inventory(path: Path) -> tuple[Inventory, list[str]]:
    """The inventory in `path` (INI or YAML, told apart by content) and the lines it ignored."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_INVENTORY_BYTES + 1)
    except OSError as e:
        raise UsageError(f"inventory {path}: cannot read: {e.strerror}") from e
    if len(data) > MAX_INVENTORY_BYTES:
        raise UsageError(f"inventory {path}: larger than {MAX_INVENTORY_BYTES} bytes")
    text = data.decode("utf-8", "replace")
    problems: list[str] = []
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith(("#", ";"))), "")
    is_yaml = path.suffix.lower() in (".yml", ".yaml", ".json") or first.endswith(":") or first.startswith(("---", "{"))
    is_ini = first.startswith("[") or not is_yaml
    raw = read_ini(text, problems) if is_ini else read_yaml(text, problems)
    return resolve(raw, path.name), problems


def host_list(specs: list[str]) -> Inventory:
    """Hosts given as [user@]host[:port] (the plain host list, no inventory)."""
    raw = _Raw()
    for s in specs:
        user, _, rest = s.rpartition("@")
        host, port = rest, ""
        if rest.count(":") == 1:
            host, _, port = rest.partition(":")
        elif rest.startswith("[") and "]:" in rest:  # [v6::addr]:port
            host, _, port = rest[1:].partition("]:")
        if not host:
            raise UsageError(f"--host {s!r}: no host name")
        hv: dict[str, Any] = {"ansible_host": host}
        if user:
            hv["ansible_user"] = user
        if port:
            hv["ansible_port"] = port
        raw.add_host("ungrouped", rest if port else host, hv)  # host:port names it: one address may serve several ports
    return resolve(raw, "")


def select(inv: Inventory, limit: str | None) -> list[Host]:
    """The hosts a --limit names (groups or hosts, comma-separated; '!name' excludes), in inventory order."""
    if not limit:
        return list(inv.hosts)
    want: set[str] = set()
    drop: set[str] = set()
    unknown = []
    for part in (p.strip() for p in limit.replace(":", ",").split(",")):
        if not part:
            continue
        neg = part.startswith("!")
        name = part[1:] if neg else part
        names = set(inv.groups.get(name, [])) or ({name} if any(h.name == name for h in inv.hosts) else set())
        if not names:
            unknown.append(name)
        (drop if neg else want).update(names)
    if unknown:
        raise UsageError(f"--limit: no such group or host in the inventory: {', '.join(unknown)}")
    if not want:
        want = {h.name for h in inv.hosts}
    return [h for h in inv.hosts if h.name in want and h.name not in drop]

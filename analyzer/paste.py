"""The paste splitter: a text a person pasted (a terminal scroll, a ticket comment, a chat message) cut
into sections, each detected and read on its own.

A paste is cut at prompts (`$ `, `# `, `[root@host dir]# `, `user@host:~$ `, `host:~ > `, `% `, the
oh-my-zsh arrow), at bare command lines, at markdown fences (```` ``` ````, `~~~`, `<pre>`), and at
pager and elision markers (`--More--`, `(END)`, `lines 1-23`, `...`, `[...]`, `--- snip ---`). `> `
quotes (any depth) are taken off every line first. What is between two cuts is split further at
blank lines, each run is detected (by the command seen above it when there is one, else by its
content), and runs of the same format are joined again (a `systemctl status` and its journal tail).

Every section is read by the reader of its format (analyzer.pastefmt) into records whose fields are
the columns as printed; the ingest also hands the section's text to the registered parser of its
format (analyzer.parsers) so that pods, processes, events and journal lines land in their tables.
Prompts, fences, markers and prose are structure, not problems. A section that looks like data (or
that is the output of a command) and that no reader claims is ONE problem naming its lines.

Everything here is linear in the text: str methods, and regexes without nested or adjacent
unbounded quantifiers over the same characters, applied to one line (cut at MAX_LINE) at a time.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from itertools import groupby, pairwise
from typing import Any

from analyzer.parsers.kubectl_table import KIND_ALIASES
from analyzer.textutil import strip_ansi

MAX_LINE = 4096  # a pasted line longer than this is read up to here
MAX_LINES = 200_000  # a paste longer than this is cut (and says so)

STRUCTURE = frozenset({"prompt", "fence", "marker", "prose", "comment", "unknown"})

# commands whose first word makes a line a command line even without a prompt
COMMANDS = frozenset(
    ["kubectl", "kubecetl", "kubeclt", "k", "kc", "oc", "kubecolor", "microk8s", "k0s", "crictl", "crioctl", "docker", "nerdctl", "ctr", "podman", "ps", "journalctl", "systemctl", "service", "sudo", "grep", "egrep", "cat", "tail", "head", "less", "more", "ls", "kubeadm", "minikube", "kind", "k3s", "curl", "wget", "cd", "echo", "runc", "pstree", "top", "free", "df", "uname", "ip", "iptables", "export", "vi", "vim", "nano", "swapoff", "swapon", "mount", "umount", "env", "watch", "tree", "find", "ss", "netstat", "lsof", "strace", "sh", "bash", "su", "exit", "helm", "etcdctl", "dmesg", "rpm", "dpkg", "apt", "apt-get", "yum", "dnf", "zypper", "kubelet", "containerd", "dockerd", "date", "whoami", "hostname", "id", "chmod", "chown", "cp", "mv", "rm", "mkdir", "touch", "tee", "awk", "sed", "cut", "sort", "uniq", "wc", "xargs", "jq", "yq", "openssl", "kill", "pkill", "pgrep", "pidof", "nsenter", "lsns", "systemd-cgls", "systemd-cgtop", "crio", "stat", "readlink", "tar", "ssh", "scp", "ping", "nslookup", "dig", "telnet", "tcpdump", "lsblk", "du", "sysctl", "modprobe", "lsmod", "getenforce", "setenforce", "timedatectl", "hostnamectl", "crun", "conntrack", "ipvsadm", "ethtool", "nft"]
)
_PROMPT_ENDS = ("$", "#", ">", "%", "❯", "➜", "λ", "○", "»", "▶", "✗")  # the last ones: zsh themes' prompt signs
_NOT_PROMPT_START = frozenset("├└│─|`\\")


@dataclass
class Line:
    no: int  # 1-based line number in the paste
    text: str  # quote prefixes, HTML entities and trailing blanks taken off
    quoted: int = 0  # '> ' depth


@dataclass
class Section:
    first: int
    last: int
    kind: str  # prompt, fence, marker, prose, comment, unknown, or a data format
    lines: list[Line] = field(default_factory=list)
    command: str | None = None  # the command whose output this is (or, for a prompt, typed)
    prompt: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)  # section-level facts (unit, active, ...)

    @property
    def format(self) -> str:
        return self.kind

    @property
    def is_data(self) -> bool:
        return self.kind not in STRUCTURE

    def texts(self) -> list[str]:
        return [ln.text for ln in self.lines]


# ---------------------------------------------------------------- line cleaning

_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")


def _unquote(raw: str) -> tuple[str, int]:
    depth = 0
    s = raw
    while s.startswith(">"):
        if s.startswith("> "):
            s = s[2:]
        elif s == ">" or s.startswith(">\t"):
            s = s[1:].lstrip("\t") if s != ">" else ""
        elif s.startswith(">>"):
            s = s[1:]
            depth += 1
            continue
        else:
            break
        depth += 1
    return s, depth


_CONTROLS = dict.fromkeys([*range(9), *range(10, 32), 0x7F])  # str.translate: C0 controls but tab, and DEL, dropped


def clean(text: str) -> list[Line]:
    """The paste's lines: CRLF gone, control characters other than tab dropped, `> ` quotes and HTML
    entities (`&nbsp;`, `&lt;`) undone, trailing blanks removed."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    out: list[Line] = []
    # a quote may sit in an indented block (a quote pasted inside a list item or a code block): `    > text`
    quoted_lines = sum(1 for r in raw_lines[:MAX_LINES] if r.lstrip(" ").startswith(">") and not r.lstrip(" ").startswith(">>>"))
    nonblank = sum(1 for r in raw_lines[:MAX_LINES] if r.strip())
    strip_quotes = quoted_lines > 0 and quoted_lines * 5 >= nonblank  # a few '>' lines are not a quote
    for i, raw in enumerate(raw_lines[:MAX_LINES], 1):
        s = strip_ansi(raw[:MAX_LINE])  # colours as the terminal showed them: gone, not their bytes less ESC
        s = s.translate(_CONTROLS)
        if "**" in s:
            s = _unbold(s)
        depth = 0
        if strip_quotes and s.lstrip(" ").startswith(">") and not s.lstrip(" ").startswith(">>>"):
            s, depth = _unquote(s.lstrip(" "))
        if "&" in s and _ENTITY.search(s):
            s = html.unescape(s).replace("\xa0", " ")
        s = s.rstrip()
        if s[-6:].lower().endswith(("<br>", "<br/>", "<br />")):
            s = s[: s.lower().rindex("<br")].rstrip()  # a line break of HTML, glued to the line's last word
        out += [Line(i, part, depth) for part in _unglue(s)]
    return _unbullet(out)


def _unbullet(lines: list[Line]) -> list[Line]:
    """Rows a tool printed each behind a bullet (`minikube logs`: `* 7ee0ca606c052   18d8661209155   About an hour ago
    Exited ...`): two lines or more in a row that start with `* ` and hold columns (a run of three blanks) lose it."""
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j].text.startswith("* ") and "   " in lines[j].text[2:].strip():
            j += 1
        if j - i >= 2:
            for k in range(i, j):
                lines[k].text = lines[k].text[2:]
        i = max(j, i + 1)
    return lines


def _unbold(s: str) -> str:
    """A line without Markdown's bold markers (`**kubectl get pods**`, `**ContainerCreating**` in a table cell), which a
    ticket renders and a paste keeps: an opening `**` at a word's start paired with the next closing one at a word's end.
    Others stay (`f(**kwargs)`, `**/*.go` with no closing pair). Linear: one pass over the marker positions."""
    marks: list[tuple[int, bool]] = []  # (position, opens)
    i = s.find("**")
    while i >= 0:
        j = i + 2
        while j < len(s) and s[j] == "*":
            j += 1
        if j - i == 2:
            before = s[i - 1] if i else " "
            after = s[j] if j < len(s) else " "
            if before.isspace() and not after.isspace():
                marks.append((i, True))
            elif not before.isspace() and (after.isspace() or after in ":.,;"):
                marks.append((i, False))
        i = s.find("**", j)
    cut: list[int] = []
    opened: int | None = None
    for pos, opens in marks:
        if opens and opened is None:
            opened = pos
        elif not opens and opened is not None:
            cut += [opened, pos]
            opened = None
    if not cut:
        return s
    out, last = [], 0
    for pos in cut:
        out.append(s[last:pos])
        last = pos + 2
    out.append(s[last:])
    return "".join(out)


_OPEN_TAGS = ("<pre><code>", "<pre>", "<code>")
_CLOSE_TAGS = ("</code></pre>", "</pre>", "</code>")


def _unglue(s: str) -> list[str]:
    """A fence glued to text (```` ```Filesystem  Size ... ````, `<pre><code>[POD]`, `1h</code></pre>`, `text``` `) as two
    lines of the same number: the fence, and the text. A fence's language word (```` ```bash ````) stays on it."""
    t = s.strip()
    if t.startswith("```") and t.count("```") == 1 and " " in t[3:].strip():
        return [s[: s.index("```") + 3], t[3:]]
    if t.endswith("```") and t.count("```") == 1 and t.strip("`"):  # not ```` (a fence of four)
        return [s[: s.rindex("```")].rstrip(), "```"]
    if t.count("`") == 2 and len(t) > 2 and t[0] == t[-1] == "`" and t[1].isalnum():
        return [t[1:-1]]  # `kubectl describe node`: a line of inline code (Markdown) is its text
    if t.count("`") == 1 and len(t) > 1 and t[0] == "`" and (t[1].isalnum() or t[1] == "["):  # (pstree's "`-" is no fence)
        return ["`", t[1:]]  # `[kubeconfig] Using ...: a lone backtick used as a fence, glued to the block's first line
    if t.count("`") == 1 and len(t) > 1 and t[-1] == "`":
        return [s[: s.rindex("`")].rstrip(), "`"]  # and to its last
    low = t.lower()
    if low in ("<pre>", "</pre>", "<code>", "</code>", "<pre><code>", "</code></pre>"):
        return [s]
    opened = next((tag for tag in _OPEN_TAGS if low.startswith(tag) and len(t) > len(tag)), None)
    if opened:
        return [t[: len(opened)], *_unglue(t[len(opened) :])]
    closed = next((tag for tag in _CLOSE_TAGS if low.endswith(tag) and len(t) > len(tag)), None)
    if closed:
        return [s[: len(s) - len(closed)].rstrip(), t[-len(closed) :]]
    return [s]


# ---------------------------------------------------------------- structure lines

_PAGER = re.compile(r"^(?:--More--(?:\(\d{1,3}%\))?|\(END\)|lines \d+-\d+(?:/\d+)?(?: \(END\))?|:)$")
_MARKERS = frozenset({"...", "…", "[...]", "[…]", ". . .", ".", "..", "....", ".....", "<snip>", "<SNIP>", "[snip]",
                      "[SNIP]", "snip", "(snip)", "...snip...", "[truncated]", "<...>", "(...)", "---", "[..]"})  # fmt: skip


def is_fence(s: str) -> bool:
    t = s.strip()
    if t.startswith("```"):
        return t.count("```") == 1 or (t.endswith("```") and len(t) == 3)
    if t.startswith("~~~") or t == "`":  # a lone backtick: inline code's mark used as a fence
        return True
    low = t.lower()
    if low in ("<pre>", "</pre>", "<code>", "</code>", "<pre><code>", "</code></pre>", "::"):
        return True
    return t.startswith("{{<") and t.endswith(">}}") and ("text" in t or "highlight" in t or "code" in t)


def is_marker(s: str) -> bool:
    t = s.strip()
    if not t:
        return False
    if t in _MARKERS or _PAGER.match(t):
        return True
    low0 = t.lower()
    if low0 in ("<details>", "</details>") or (low0.startswith(("<details", "<summary>")) and low0.endswith((">", "</summary>")) and len(t) < 200):
        return True  # markdown's collapsible block around a paste
    low = t.lower()
    if (
        "snip" in low
        and len(t) < 40
        and t.strip("-=.<>[]()/ *#").lower().strip() in ("snip", "snipped", "snip snip")
    ):
        return True
    if len(t) >= 3 and set(t) <= set(". "):
        return True
    return len(t) >= 8 and set(t) <= {"-", "="} and len(set(t)) == 1


def is_heading_comment(s: str) -> bool:
    """A shell comment the author wrote as a heading between outputs: `# --- master: systemctl status ---`,
    `### worker-2 ###`, `# ==== node1 ====`. A decorated line, never a YAML or config comment of the output."""
    t = s.strip()
    if t.startswith("==> ") and t.endswith(" <==") and len(t) < 200:
        return True  # tail's (and minikube logs') header of each file: `==> kubelet <==`
    if not t.startswith("#") or len(t) > 200:
        return False
    if s.startswith("#!/") and " " not in t:
        return True  # a script's first line (`#!/bin/bash`): what follows is the script, commands typed, no output
    inner = t.lstrip("#").strip()
    from analyzer.pastefmt import _header_words, table_format

    if t.endswith("#") and table_format(_header_words(t), "") is not None:
        return False  # a table's header typed as a comment: the table's
    return inner[:3] in ("---", "===", "***", "###") or (t.startswith("##") and t.endswith("##")) or (
        inner.endswith(("---", "===", "***")) and len(inner) > 3
    ) or (s == t and t.startswith(("## ", "### ", "#### ")) and bool(inner))  # a markdown heading at the margin


def _first_word(cmd: str) -> str:
    """The program a command line runs: its first word after any `NAME=value` assignments (`LANG=C ps -o ...`)."""
    words = cmd.split(None, 8)
    w = next((x for x in words if not _assignment(x)), "")
    return w.rsplit("/", 1)[-1]


def _assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.replace("_", "a").isalnum() and name.isascii() and not name[:1].isdigit()


# Prow's commands in GitHub comments (`/kind bug`, `/sig node`, `/assign`): the author's, never a program run by its path
PROW = frozenset(["/kind", "/sig", "/area", "/priority", "/triage", "/assign", "/unassign", "/cc", "/uncc", "/lgtm", "/approve",
                   "/hold", "/retest", "/test", "/close", "/reopen", "/milestone", "/label", "/remove-kind", "/remove-sig",
                   "/remove-area", "/remove-priority", "/remove-triage", "/remove-label", "/ok-to-test", "/lifecycle", "/help",
                   "/good-first-issue", "/retitle", "/transfer", "/override"])  # fmt: skip


def _known(cmd: str) -> bool:
    if cmd.split(None, 1)[:1] and cmd.split(None, 1)[0] in PROW:
        return False
    w = _first_word(cmd)
    # (microk8s's snap commands: microk8s.kubectl, microk8s.start, microk8s.status)
    return w in COMMANDS or w.endswith(("kubectl.sh", "kubectl")) or w.startswith(("./", "microk8s."))


def command_words(command: str | None) -> list[str]:
    """The words of a command line up to its first pipe or list operator: the command, not what it is piped to."""
    words = (command or "").split()
    for stop in ("|", "||", "&&", ";"):
        words = words[: words.index(stop)] if stop in words else words
    return words


def command_namespace(command: str | None) -> str | None:
    """The namespace a kubectl command line names with -n NS, --namespace NS or --namespace=NS."""
    words = command_words(command)
    for i, w in enumerate(words):
        if w in ("-n", "--namespace") and i + 1 < len(words):
            return words[i + 1]
        if w.startswith("--namespace="):
            return w.split("=", 1)[1]
    return None


# kubectl's global and describe options that take a value as the next word (`-n kube-system`, `--context prod`)
_VALUE_FLAGS = frozenset(["-n", "--namespace", "-l", "--selector", "--context", "--kubeconfig", "--cluster", "--user", "-f",
                          "--filename", "-o", "--output", "-s", "--server", "--field-selector", "--chunk-size", "--as", "--token"])  # fmt: skip


def describe_args(command: str | None) -> tuple[str | None, str | None, str | None]:
    """(kind, name, namespace) a `kubectl describe KIND NAME [-n NS]` (or KIND/NAME) command names: the kind singular
    and lower-case as KIND_ALIASES gives it, or as typed; Nones where it names none."""
    words = command_words(command)  # the describe, not what it is piped to
    if "describe" not in words:
        return None, None, None
    ns, args, after, i = command_namespace(command), [], False, 0
    while i < len(words):
        w = words[i]
        if w in _VALUE_FLAGS:  # before or after the verb: kubectl -n x describe ...
            i += 2
            continue
        if w == "describe":
            after = True
        elif after and not w.startswith("-"):
            args.append(w)
        i += 1
    if not args:
        return None, None, ns
    kind, _, name = args[0].partition("/")
    name = name or (args[1] if len(args) > 1 else "")
    return KIND_ALIASES.get(kind.lower(), kind.lower()), name or None, ns


def prompt_of(s: str) -> tuple[str, str] | None:
    """(prompt, command) when the line is a command typed at a prompt, or a bare command line."""
    if not s.strip() or len(s) > MAX_LINE:
        return None
    body = s.lstrip()
    if body.startswith("top - ") and body[6:8].isdecimal() and " up " in body[:40]:
        return None  # top's first line (`top - 09:48:06 up 2 days, 13:36, ...`): its output, no command typed
    # oh-my-zsh arrow, starship, lambda: the prompt word(s), then the command
    if body[:1] in ("➜", "❯", "λ", "→"):
        words = body.split()
        for j in range(1, min(len(words), 6)):
            cmd = " ".join(words[j:])
            if _known(cmd):
                return s[: len(s) - len(s.lstrip()) + body.find(words[j], len(words[0]))], cmd
        return None
    if body.startswith(("$ ", "# ", "% ", "> ")) or body in ("$", "#", "%"):
        cmd = body[2:].strip() if len(body) > 1 else ""
        if body[0] == "#" and cmd and not _known(cmd):
            return None  # a shell comment, a markdown heading
        if body[0] in "%>" and not (_known(cmd) and _command_like(cmd)):
            return None  # `> kubelet logs after logging into the node`: a quoted sentence, not a command
        return s[: len(s) - len(body) + 2], cmd
    k = 3 if body.startswith(">> ") else 4 if body.startswith(">>> ") else 0
    if k and _known(body[k:].strip()) and _command_like(body[k:].strip()):  # `>> sudo kubectl get nodes`, `>>> kubectl get events`
        return s[: len(s) - len(body) + k], body[k:].strip()
    if body.startswith("$") and _known(body[1:]):  # `$kubectl get pods`
        return s[: len(s) - len(body) + 1], body[1:]
    if body.startswith("[") and "@" in body[:100] and "] " in body[:200]:  # `[root@host ~/dir] cmd`: a prompt without $ or #
        k = body.index("] ")
        cmd = body[k + 2 :].strip()
        if " " not in body[1:k].split("@", 1)[0] and (_known(cmd) or cmd.startswith(("for ", "while "))) and _command_like(cmd.split("; do ")[-1]):
            return s[: len(s) - len(body) + k + 2], cmd
    if body.startswith("PS ") and ">" in body[:200]:  # PowerShell
        k = body.index(">")
        return s[: len(s) - len(body) + k + 1], body[k + 1 :].strip()
    # [root@host dir]# cmd ; user@host:~$ cmd ; host:~ # cmd ; (venv) user@h:~$ cmd
    head = body[:300]
    best: tuple[str, str] | None = None
    for end in _PROMPT_ENDS:
        k = head.find(end)
        while k > 0:
            before, after = head[:k], body[k + len(end) :]
            if before[:1] in _NOT_PROMPT_START or before.split(" ", 1)[0].isdecimal():
                break  # a line of a process tree (`├─1252 /usr/bin/x>`, cut by the pager), a row that starts with a pid
            if after and not after.startswith((" ", "\t")) and end != "$":
                k = head.find(end, k + 1)
                continue
            cmd = after.strip()
            if (_prompt_body(before) and (
                cmd == "" or _known(cmd) or (end in "$#" and ("@" in before or "]" in before or _HOST_DIR.match(before.rstrip())))
            )) or _host_prompt(before, end, cmd):
                if best is None or k < len(best[0]):
                    best = (
                        s[: len(s) - len(body) + k + len(end)] + (" " if after.startswith(" ") else ""),
                        cmd,
                    )
                break
            k = head.find(end, k + 1)
    if best:
        return best
    if s == body and _known(body) and _command_like(body):  # a bare command: never an indented line of output
        return "", body.strip()
    if len(s) - len(body) == 1 and _first_word(body) in _TYPED and _command_like(body):
        return "", body.strip()  # ` kubectl describe jobs x`: one blank before it (a fence's content typed with one)
    if body.startswith("`") and body.count("`") == 1 and _first_word(body[1:].strip()) in _TYPED and _command_like(body[1:].strip()):
        return "", body[1:].strip()  # "` kubectl get pod ...": an inline code mark left open
    code = body.strip()
    inner = code[1:-1].strip() if code[:1] == code[-1:] == "`" and code.count("`") == 2 else ""
    if s == body and inner and _known(inner) and _command_like(inner):  # a command as markdown inline code: `docker ps -a`
        return "", inner
    return None


def _prompt_body(before: str) -> bool:
    """What can come before the `$`/`#` of a prompt: user@host:dir, [user@host dir], host:dir, (venv) ..."""
    b = before.rstrip()
    if not b or len(b) > 120:
        return False
    if b.startswith("[") and "]" in b:
        inner = b[1 : b.index("]")]
        rest = b[b.index("]") + 1 :].strip()
        return ("@" in inner or ":" in inner or " " in inner or inner.isalnum()) and (
            not rest or "@" in rest or ":" in rest
        )
    words = b.split()
    if len(words) > 4:
        return False
    if len(words) >= 2 and "@" in words[0] and all(w.startswith("(") and w.endswith(")") for w in words[1:]):
        words = words[:1]  # Cloud Shell and git themes: `user@cloudshell:~/dir (project)$`, `user@h:~/src (main)$`, `me@~/src (main) $`
    last = words[-1]
    if last.endswith("]") and "@" in words[0]:
        return True
    if len(words) == 2 and "@" in words[0] and not any(c in b for c in "=,;\"'`|&()<>"):
        return True  # bash's `\u@\h \W\$`: user@host dir$
    host, colon, _dir = words[0].partition(":")
    if len(words) == 2 and colon and _HOST_WORD.match(host) and words[1].replace("-", "").replace("_", "").replace(".", "").isalnum():
        return True  # macOS bash's `\h:\W \u\$`: host:dir user$
    if "@" in last or ":" in last or last in ("~", "/") or last.startswith(("~", "/")):
        return all(not any(c in w for c in "=,;\"'`|&") for w in words)
    return len(words) == 1 and (
        (last.isalnum() and last.lower() in ("root", "bash", "sh", "master", "node", "admin"))
        or _SHELL_VERSION.match(last) is not None
    )


# bash's default prompt where no PS1 is set (a container's shell, `oc rsh`, `kubectl exec`): `sh-4.2$`, `bash-5.1#`
_SHELL_VERSION = re.compile(r"^(?:ba|z|k|da|a)?sh-\d{1,2}(?:\.\d{1,2}){0,2}$")
# `host:~# `, `host:/etc# ` (a prompt with no user@: SUSE's, BusyBox's, a container's): a prompt whatever command follows
_HOST_DIR = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}:[~/][^\s]{0,200}$")
# a host name alone before `$ `/`# ` (Killercoda's `controlplane $ `, `node01 $ `): a prompt when a known command follows
_HOST_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63}){0,4}$")


def _host_prompt(before: str, end: str, cmd: str) -> bool:
    return end in "$#" and _HOST_WORD.match(before.rstrip()) is not None and before.endswith(" ") and _known(cmd) and _command_like(cmd)


# daemons named at the start of a line: run with options or one of their few subcommands
_DAEMON_SUBCOMMANDS = {"containerd": {"config", "publish", "oci-hook", "help", "h"}, "kubelet": set(), "dockerd": set(),
                       "crio": {"config", "version", "wipe", "complete", "help", "h", "man", "markdown", "status"}}  # fmt: skip


# commands typed often enough that one blank before them (or an open backtick) does not make them output
_TYPED = frozenset(["kubectl", "oc", "crictl", "docker", "journalctl", "systemctl", "kubeadm", "iptables", "ctr", "nerdctl"])


def _command_like(body: str) -> bool:
    words = body.split()
    if len(words) < 2:
        return _first_word(body) in (
            "ps",
            "docker",
            "kubectl",
            "crictl",
            "journalctl",
            "dmesg",
            "top",
            "free",
            "df",
        )
    w0 = _first_word(body)
    second = words[1]
    if words[0].endswith(":") or second.endswith(":"):
        return False  # output that names its program: `kubeadm version: &version.Info{...}`, `kubectl: command not found`
    if second.lower() == "version" and len(words) > 2 and words[2].lstrip("v")[:1].isdigit() and "." in words[2]:
        return False  # what `runc --version`, `k3s --version`, `crictl --version` print: `runc version 1.1.9`
    if re.match(r"v\d{1,4}\.\d", second):
        return False  # what `oc version` (3.x) prints: `oc v3.6.1+008f2d5`, `openshift v3.6.1`
    if second.lower() in ("is", "are", "was", "were", "has", "had", "have", "not", "does", "did", "will", "can", "cannot", "should", "seems"):
        return False  # a sentence, or what a tool says of itself: `microk8s is running`, `kubelet is not running`
    if w0 in _DAEMON_SUBCOMMANDS:  # `containerd log`, `kubelet logs`: a heading, not how a daemon is run
        return second.startswith("-") or second in _DAEMON_SUBCOMMANDS[w0]
    if w0 in ("k", "kc", "ps", "cd", "sh", "su", "env", "ip", "id", "ss", "cat", "less", "more", "tail", "head",
              "cut", "sort", "find", "tree", "top", "free", "df", "date", "watch", "echo", "export", "tee"):  # fmt: skip
        # words that are also English or table cells: need an option or a path
        return (
            any(w.startswith(("-", "/", "$")) for w in words[1:3])
            or (w0 in ("k", "kc")
            and second in ("get", "describe", "logs", "exec", "apply", "delete", "edit", "top"))
            or (w0 == "ps"
            and second.isalpha()
            and len(second) <= 5)
        )
    if second[:1].isupper() and w0 not in ("sudo",):
        return False  # "docker Reason ..."
    return not body.rstrip().endswith((".", ":", "?", "!")) or body.count(" ") < 8


# ---------------------------------------------------------------- splitting


def logs_command(command: str | None) -> bool:
    """A command that prints a container's log: `kubectl logs` (oc, k, microk8s kubectl), `crictl logs`, `docker logs`."""
    from analyzer.pastefmt import _first_cmd_word, kubectl_verb

    if kubectl_verb(command)[0] == "logs":
        return True
    if (command or "").startswith(("for ", "while ")) and "; do " in (command or ""):  # a shell loop over pods: its body's logs
        return logs_command((command or "").split("; do ", 1)[1].split(";", 1)[0])
    words = command_words(command)
    return _first_cmd_word(command or "") in ("crictl", "docker", "nerdctl", "podman") and "logs" in words[1:3] + words[2:4]


def kubeadm_command(command: str | None) -> bool:
    """`kubeadm init`, `join`, `reset`, `upgrade apply`: commands that print their phases' log (`[preflight] ...`)."""
    from analyzer.pastefmt import _first_cmd_word

    words = command_words(command)
    return _first_cmd_word(command or "") == "kubeadm" and bool({"init", "join", "reset", "upgrade"} & set(words[1:3]))


def has_structure(text: str) -> bool:
    """Whether any line of `text` is a prompt, a fence, a marker or a heading: what makes a text a paste (split
    would cut there). Cheaper than split: no section is detected or read."""
    return any(ln.text.strip() and (is_fence(ln.text) or is_marker(ln.text) or is_heading_comment(ln.text) or prompt_of(ln.text) is not None)
               for ln in clean(text))  # fmt: skip


def split(text: str) -> list[Section]:
    """The paste's sections, in order; every non-blank line in exactly one of them."""
    lines = clean(text)
    sections: list[Section] = []
    run: list[Line] = []
    command: str | None = None
    in_fence = False
    # a fence that held only a command: its output is in the next fence (a label between them, `and the result was:`)
    carry: str | None = None
    opened = 0  # the sections before the fence that is open

    def flush() -> None:
        nonlocal run, carry
        if any(ln.text.strip() for ln in run):
            got = _runs(run, command)
            if not in_fence and any(s.kind != "prose" for s in got):
                carry = None
            sections.extend(got)
        run = []

    for ln in lines:
        t = ln.text
        if not t.strip():
            run.append(ln)
            continue
        if is_fence(t):
            flush()
            in_fence = not in_fence
            if in_fence:
                opened = len(sections)
                command, carry = (carry, None) if carry else (command, None)
            else:
                inside = sections[opened + 1 :]
                carry = command if command and len(inside) == 1 and inside[0].kind == "prompt" else None
            sections.append(Section(ln.no, ln.no, "fence", [ln]))
            if not in_fence:
                command = None
            continue
        if is_marker(t):
            flush()
            sections.append(Section(ln.no, ln.no, "marker", [ln], attrs={"marker": t.strip()}))
            continue
        if is_heading_comment(t):
            flush()
            sections.append(Section(ln.no, ln.no, "comment", [ln]))
            command = None
            continue
        p = prompt_of(t)
        if p is not None and not _looks_like_data_line(t, run):
            flush()
            sections.append(Section(ln.no, ln.no, "prompt", [ln], command=p[1], prompt=p[0]))
            command = p[1] or None  # after an empty prompt nothing ran: what follows is the author's
            continue
        run.append(ln)
    flush()
    return _join_elided(sections)


def _join_elided(sections: list[Section]) -> list[Section]:
    """A describe pasted in pieces, its elided parts marked `...`: the pieces after each marker (what the
    describe command printed, which alone no reader claims) are one section with the describe, which is read
    again as a whole and says it is elided."""
    from analyzer.pastefmt import read

    out: list[Section] = []
    i = 0
    while i < len(sections):
        s = sections[i]
        out.append(s)
        i += 1
        if not (s.kind.startswith(_DESCRIBES) and s.kind != "kubectl-describe-events"):
            continue
        joined = False
        while True:
            j = i
            while j < len(sections) and sections[j].kind == "marker":
                j += 1
            if j == i or j == len(sections):
                break
            piece = sections[j]
            if piece.command != s.command or piece.kind not in ("unknown", s.kind, "kubectl-describe-events"):
                break
            for sec in sections[i : j + 1]:
                s.lines.extend(sec.lines)
            s.last = piece.last
            i = j + 1
            joined = True
        if joined:
            s.records, s.problems = [], []
            s.attrs = {"elided": True}
            read(s)
    return out


def _looks_like_data_line(t: str, run: list[Line]) -> bool:
    """A line of output that merely starts like a command (`ps` output of `ps -ef | grep kubectl`...)."""
    s = t.lstrip()
    if s.startswith(("$", "#", "[", "%", ">", "➜", "❯", "λ")) or "@" in s.split(" ", 1)[0]:
        return False
    said = [x.text.strip() for x in run if x.text.strip()]
    if s.startswith("kubeadm join ") and said and said[-1].endswith("as root:"):
        return True  # the join command `kubeadm init` prints after `... by running the following on each as root:`
    return (
        bool(run)
        and any(x.text.strip() for x in run)
        and s.split(" ", 1)[0]
        in ("ps", "cat", "sort", "head", "tail", "less", "grep", "watch", "top", "date", "find")
    )


def _paragraphs(run: list[Line]) -> list[list[Line]]:
    out: list[list[Line]] = []
    cur: list[Line] = []
    for ln in run:
        if ln.text.strip():
            cur.append(ln)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


# formats whose output keeps going across a blank line
_JOINS = {
    ("systemctl-status", "journal-short"), ("systemctl-status", "journal-short-iso"),
    ("systemctl-status", "journal-short-precise"), ("systemctl-status", "systemctl-status-tail"),
}  # fmt: skip
_DESCRIBES = ("kubectl-describe-",)


def _output_label(para: list[Line]) -> bool:
    """`Output:` alone under the command it labels: the author's, not what the command printed."""
    from analyzer.pastefmt import output_label

    return len(para) == 1 and output_label(para[0].text)


def _runs(run: list[Line], command: str | None) -> list[Section]:
    from analyzer.pastefmt import _line_kind, _prose_like

    paras = [t for para in _paragraphs(run) for p in _cut_at_name(_unmarkdown_table(_ungrep(para))) for t in _cut_tables(p, command)]
    nos = [ln.no for ln in run]
    ordered = all(a < b for a, b in pairwise(nos))
    secs: list[Section] = []
    as_log = "container-log" if logs_command(command) else "kubeadm-output" if kubeadm_command(command) else None
    for i, (para, got) in enumerate(_peel_prose(paras, command)):
        fmt = "prose" if got == _GLUED else got
        if i == 0 and command and got == "prose" and not all(_glued_sentence(ln.text) for ln in para) and not _output_label(para):
            fmt = "unknown"  # right under the command, lines that are no sentence of the author's are its output
        if got == "kubeadm-output" and as_log is None:
            as_log = "kubeadm-output"  # kubeadm's phases pasted without its command: its error text below them is its too
        if as_log and got in ("unknown", "prose", "continuation", "marker"):
            fmt = as_log  # what `kubectl logs` (`kubeadm init`) printed: its lines, whatever they say
        elif as_log == "container-log" and got in ("klog", "logrus-text") and not all(_line_kind(ln.text.lstrip()) == got for ln in para):
            fmt = as_log  # klog lines among the program's other lines (`User "sa" set.`): the container's log as a whole
        if secs:
            prev = secs[-1]
            headerless = _no_header(para, command)
            same = (
                (prev.kind == fmt
                and prev.is_data
                and fmt not in ("kubectl-describe-events",)
                and (headerless or not fmt.startswith(("kubectl-get", "kubectl-top", "crictl-", "docker-", "ps-"))))
                or (prev.kind, fmt) in _JOINS
                or (prev.kind == fmt and fmt in ("unknown", "container-log", "kubeadm-output") and command is not None)  # one output, blank lines in it
            )
            desc_tail = prev.kind.startswith(_DESCRIBES) and fmt in (
                "kubectl-describe-events",
                "prose",
                "unknown",
                "describe-more",
            ) and not (prev.kind == "kubectl-describe-events" and fmt == "prose")  # (a sentence after event rows: the author's)
            if same or desc_tail or (fmt == "continuation" and prev.is_data):
                # the lines between (blank ones): found by bisection, not by a pass over the whole run per paragraph
                # (a paste of 64 KiB of one-line paragraphs took 28 s)
                gap = run[bisect_right(nos, prev.last) : bisect_left(nos, para[0].no)] if ordered else [ln for ln in run if prev.last < ln.no < para[0].no]
                prev.lines.extend(gap + para)
                prev.last = para[-1].no
                continue
        if fmt in ("continuation", "describe-more", "systemctl-status-tail"):
            fmt = "prose" if not command and _prose_like([ln.text for ln in para]) else "unknown"
        secs.append(Section(para[0].no, para[-1].no, fmt, list(para), command=command))
        if fmt == "prose" and command is not None and not as_log and len(secs) > 1 and ordered:
            # the author's sentence after the command's output ends it: what follows is read for what it is (a
            # manifest, event rows pasted from elsewhere), not as more output of that command
            rest = run[bisect_right(nos, para[-1].no) :]
            if any(ln.text.strip() for ln in rest):
                for s in secs:
                    _finish(s)
                return secs + _runs(rest, None)
    for s in secs:
        _finish(s)
    return secs


def _finish(s: Section) -> None:
    """A section of a run, read (data) or said unread (unknown)."""
    from analyzer.pastefmt import read

    if s.is_data:
        read(s)
    elif s.kind == "unknown":
        s.problems.append(
            f"lines {s.first}-{s.last}: output of `{(s.command or '')[:80]}` that Kubesnap does not read"
            if s.command
            else f"lines {s.first}-{s.last}: data that no reader recognizes"
        )
    if s.kind in ("prose", "comment"):
        s.command = None


# formats of one record per line (or per table row), after which a sentence of the author's may follow without a blank line
_LINE_SHAPED = ("kubectl-get", "kubectl-top", "crictl-ps", "crictl-pods", "crictl-images", "docker-ps", "nerdctl-ps", "ps-", "busybox-ps",
                "journal-short", "klog", "logrus-text", "kubectl-logs-timestamps")  # fmt: skip


_GLUED = "prose-glued"  # the author's sentence cut off the bottom of an output (or from among log lines): prose, never output


def _peel_prose(paras: list[list[Line]], command: str | None) -> list[tuple[list[Line], str]]:
    """Each paragraph with its format; a sentence the author wrote right under an output, with no blank line
    between (`Get the logs using k logs ... .`), and shell comments under it (`# then the pid:`, no output line
    starts with `# `) are cut off the output as a paragraph of prose of their own."""
    out: list[tuple[list[Line], str]] = []
    for para in paras:
        if len(para) > 1 and para[0].text.startswith("Defaulted container "):  # kubectl's notice above a pod's log
            out.append((para[:1], _GLUED))
            para = para[1:]
        k = len(para)
        while k > 1 and para[k - 1].text.startswith("# "):
            k -= 1
        out += _peel_one(para[:k], command)
        if k < len(para):
            out.append((para[k:], _GLUED))
    return out


def _peel_one(para: list[Line], command: str | None) -> list[tuple[list[Line], str]]:
    from analyzer.pastefmt import _prose_like, detect, notice_lines

    out: list[tuple[list[Line], str]] = []
    k = notice_lines([ln.text for ln in para], command)
    if k:  # what the command printed before its table (a warning on stderr): a section of its own
        notice = detect([ln.text for ln in para[:k]], command)
        out.append((para[:k], "unknown" if notice == "prose" and command else notice))
        para = para[k:]
    fmt = detect([ln.text for ln in para], command)
    if fmt == "unknown" and len(para) > 1 and _prose_like([para[0].text]):
        below = detect([ln.text for ln in para[1:]], command)
        if below not in ("unknown", "prose", "continuation", "marker"):
            # the author's sentence right above an output, no blank line between (`I described the pod and saw`, then
            # event rows): prose of its own, the output read for what it is
            return [*out, (para[:1], _GLUED), *_peel_one(para[1:], command)]
    if fmt == "unknown" and len(para) > 1:
        # a sentence of the author's glued under an output (`3. On the worker node, "lsmod" outputs:` under a journal
        # line): the output above read for what it is, the sentence prose, what follows it read on its own
        # (a loop, not a recursion: a hostile paste may hold thousands of such sentences)
        pieces: list[tuple[list[Line], str]] = []
        rest = para
        while len(rest) > 1:
            i = next((i for i in range(1, min(len(rest), 400)) if _glued_sentence(rest[i].text)), 0)
            if not i or (above := detect([ln.text for ln in rest[:i]], command)) in ("unknown", "prose", "continuation", "marker"):
                break
            pieces += [(rest[:i], above), (rest[i : i + 1], _GLUED)]
            rest = rest[i + 1 :]
        if pieces:
            return [*out, *pieces, *(_peel_one(rest, command) if rest else [])]
    if fmt == "container-state" and ":" not in para[0].text:  # the container's (or pod's) name above its fields: a label
        out.append((para[:1], _GLUED))
        para = para[1:]
    if fmt in ("klog", "logrus-text", "kubectl-logs-timestamps"):
        runs = _kind_runs(para, fmt)
        if len(runs) > 1:  # a program's klog lines, then its logrus `FATA[0004] ...`: a section of each
            return out + runs
    if fmt.startswith(_JOURNAL_SHAPED) and not logs_command(command):
        # a note the author wrote among the journal lines (at the margin, not a journal line): prose between pieces;
        # under `kubectl logs` such a line is the program's own (`which: no x in (...)`)
        marks = [_author_line(ln.text) for ln in para]
        if any(marks):
            for mark, run in groupby(zip(para, marks, strict=True), key=lambda x: x[1]):
                out.append(([ln for ln, _m in run], _GLUED if mark else fmt))
            return out
    k = len(para)
    if fmt.startswith(_LINE_SHAPED):
        while k > 1 and _glued_sentence(para[k - 1].text):
            k -= 1
    elif fmt == "systemctl-status":  # its lines are indented, or journal lines: a sentence at the margin is the author's
        while k > 1 and _glued_sentence(para[k - 1].text, ended=False):
            k -= 1
    out.append((para[:k], fmt))
    if k < len(para):
        out.append((para[k:], _GLUED))
    return out


_JOURNAL_SHAPED = ("journal-short", "klog", "logrus-text")


def _kind_runs(para: list[Line], fmt: str) -> list[tuple[list[Line], str]]:
    """The paragraph cut where its lines change from one kind of log line to another (klog, logrus text,
    --timestamps); a line of no kind (a continuation) stays with the run before it."""
    from analyzer.pastefmt import _line_kind

    runs: list[tuple[list[Line], str]] = []
    cur: list[Line] = []
    kind = fmt
    for ln in para:
        k = _line_kind(ln.text)
        if k is not None and k != kind and cur:
            runs.append((cur, kind))
            cur = []
        kind = k or kind
        cur.append(ln)
    runs.append((cur, kind))
    return runs


def _no_row(s: str) -> bool:
    """No table row and no log line of any kind (klog, logrus, journal...)."""
    from analyzer.pastefmt import _data_like, _journal_kind, _line_kind

    return not _data_like([s]) and _line_kind(s) is None and _journal_kind(s) is None


def _author_line(t: str) -> bool:
    """Among log lines: a line of the author's, at the margin, prose-like, no log line of any kind."""
    from analyzer.pastefmt import _prose_like

    s = t.rstrip()
    wide = sum(1 for c in s[:400] if c >= "\u2e80" and c.isalpha())  # CJK sentences have few spaces to count words by
    return bool(s) and not s[:1].isspace() and not s.startswith(("-- ", "Hint: ", "\u2591\u2591")) and (_prose_like([s]) or wide * 2 >= len(s[:400])) and _no_row(s)


def _glued_sentence(t: str, ended: bool = True) -> bool:
    """A line that is a sentence, not a row or a log line: at the margin, words of letters without column gaps,
    ending as a sentence ends (unless not `ended`: under output whose own lines never start at the margin)."""
    from analyzer.pastefmt import _prose_like

    s = t.rstrip()
    head, _, rest = s.partition(" ")  # (an item of a numbered list: `3. On the worker node, "lsmod" outputs:`)
    if rest and len(head) <= 3 and head[:-1].isdecimal() and head[-1:] in ".)":
        s = rest.lstrip()
    return (
        s[:1].isalpha()
        and len(s.split()) >= 4
        and (not ended or s.endswith((".", "!", "?", ":", "\u3002", "\uff1a")))
        and _prose_like([s])
        and _no_row(s)
    )


def _no_header(para: list[Line], command: str | None) -> bool:
    from analyzer.pastefmt import _header_words, table_format

    return all(table_format(_header_words(ln.text), command) is None for ln in para[:2])


def _cut_at_name(para: list[Line]) -> list[list[Line]]:
    """A paragraph of klog warnings (kubectl's own) followed by a describe without a blank line: two."""
    for i, ln in enumerate(para[1:], 1):
        if ln.text.startswith("Name:") and not para[0].text.startswith(("Name:", "ID:")):
            return [para[:i], para[i:]]
        if ln.text.startswith("Events:") and not any(x.text.startswith("Name:") for x in para[:i]):
            return [para[:i], para[i:]]  # a describe's tail pasted without its head (`Allocated resources:`, then `Events:`)
        # a `systemctl status` after a line of prose or a notice (`Redirecting to /bin/systemctl ...`)
        if i + 1 < len(para) and i <= 2 and ".service" in ln.text and para[i + 1].text.lstrip().startswith("Loaded:"):
            if all(x.text.startswith("Redirecting to /bin/systemctl ") for x in para[:i]):
                return [para]  # `service kubelet status` says so before the status: a line of the status's section
            return [para[:i], para[i:]]
    return [para]


# `grep -n` over files: `kube-proxy.log:9508179:I0112 04:07:40.751401 ...`, a path (with a dot or a slash) and a line number
_GREP_PREFIX = re.compile(r"^[^\s:]{0,200}[./][^\s:]{0,200}:\d{1,12}[:-]")


def _ungrep(para: list[Line]) -> list[Line]:
    """Lines of `grep -n` (`-rn`) over files, each prefixed with its file and line number: the lines as the files hold them,
    so that their format (klog, a journal) is read; any other paragraph as it is."""
    if len(para) < 2 or not all(_GREP_PREFIX.match(ln.text) for ln in para):
        return para
    return [Line(ln.no, ln.text[m.end() :], ln.quoted) for ln in para if (m := _GREP_PREFIX.match(ln.text)) is not None]


def table_rule(text: str) -> bool:
    """A markdown table's separator line: `| --- | :---: |`."""
    t = text.strip()
    return t.startswith("|") and set(t) <= set("|-: ")


def _unmarkdown_table(para: list[Line]) -> list[Line]:
    """A table the author turned into markdown (`| NAME | STATUS |`, then `| --- | --- |`): its rows as the aligned columns
    kubectl printed, the separator left as it is; any other paragraph as it is."""
    texts = [ln.text.strip() for ln in para]
    if len(para) < 3 or not all(t.startswith("|") and t.count("|") >= 3 for t in texts) or not table_rule(texts[1]):
        return para
    rows = [[c.strip() for c in t[1:].removesuffix("|").split("|")] for t in texts[:1] + texts[2:]]  # a last row may be cut
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(max(len(r) for r in rows))]
    lines = [para[0], *para[2:]]
    out = [Line(ln.no, "   ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip(), ln.quoted) for ln, r in zip(lines, rows, strict=True)]
    return [out[0], para[1], *out[1:]]  # the separator stays the section's line; table readers pass over it


def _cut_tables(para: list[Line], command: str | None) -> list[list[Line]]:
    """Tables printed one after the other without a blank line (`kubectl get all` piped through a tool that drops
    blank lines): a paragraph that starts with a header is cut before each later header that follows a row."""
    from analyzer.pastefmt import table_start

    if len(para) < 3 or not table_start(para[0].text, command):
        return [para]
    cuts = [i for i in range(2, len(para)) if table_start(para[i].text, command) and not table_start(para[i - 1].text, command)]
    return [para[a:b] for a, b in zip([0, *cuts], [*cuts, len(para)], strict=True)]


def problems(sections: list[Section]) -> list[tuple[int, str]]:
    """(first line, message) of every section's problems."""
    return [(s.first, p) for s in sections for p in s.problems]

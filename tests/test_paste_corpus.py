"""Integrity of the real-paste corpus in tests/data/pastes (issue 16).

These tests check the DATA only: every paste is listed with its source and its expected
reading, the expected line ranges fit the file, every class the issue names is covered, no
paste is stored twice and none carries an obvious secret. They do not run the paste reader;
the reader's own tests compare its output with expected.json.

SOURCES.md is rendered from expected.json (one place for each fact):
    .venv/bin/python -m tests.test_paste_corpus     # rewrites tests/data/pastes/SOURCES.md
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

PASTES = Path(__file__).parent / "data" / "pastes"
EXPECTED = PASTES / "expected.json"
SOURCES_MD = PASTES / "SOURCES.md"
NAME = re.compile(r"^\d{3}-[A-Za-z0-9][A-Za-z0-9.+-]*\.txt$")

# The classes issue 16 lists; each must be covered by at least one paste.
ISSUE_CLASSES: dict[str, str] = {
    "prompt-dollar": "terminal scroll with a `$ ` prompt",
    "prompt-hash": "terminal scroll with a `# ` prompt (bare or after user@host:dir)",
    "prompt-root-bracket": "`[root@host dir]# ` prompt",
    "prompt-user-host-dollar": "`user@host:~$ ` prompt",
    "prompt-user-host-gt": "`user@host:~> ` / `host:~> ` prompt (SUSE style)",
    "multi-command": "several commands in one paste",
    "get-multi-kind": "`kubectl get` of several kinds at once (get all, get pods,services)",
    "markdown-fence": "markdown code fences (``` or ~~~)",
    "quote": "markdown `> ` quoted lines",
    "marker-snip": "snip markers (`--- snip ---`, `// ignore some print...`, rows of dashes)",
    "marker-ellipsis": "elision markers (`...`, `[...]`, `. . .`, lone `.`)",
    "marker-pager-end": "pager status line copied (`lines 1-2/2 (END)`)",
    "crictl-ps": "crictl ps table",
    "crictl-pods": "crictl pods table (also 2017 `crictl sandboxes`)",
    "crictl-images-headerless": "crictl images rows without header",
    "crictl-yaml": "crictl -o yaml output (pods/inspect)",
    "crictl-inspect": "crictl inspect/inspectp (JSON, table or go-template)",
    "crictl-old": "crictl of the 1.0 era (or before) with its old columns",
    "crictl-new": "crictl 1.24+ columns (POD, NAMESPACE, RUNTIME)",
    "kubectl-get-nodes-no-roles": "kubectl get nodes without ROLES (1.7 and before)",
    "kubectl-old-columns": "other old kubectl column sets (0.x to 1.10)",
    "events-table": "kubectl get events table with header",
    "events-headerless": "event rows without header",
    "events-old-firstseen": "old FirstSeen/LastSeen/Count event tables",
    "events-section-alone": "an `Events:` section of a describe pasted alone",
    "describe-pod-2015": "2015-2016 describe pod (Host:, Image(s):, Replication Controllers:)",
    "describe-pod": "describe pod of 1.9 and later",
    "describe-node": "kubectl describe node",
    "describe-deployment": "kubectl describe deployment",
    "describe-daemonset": "kubectl describe daemonset",
    "describe-statefulset": "kubectl describe statefulset",
    "describe-service": "kubectl describe service",
    "describe-no-indent": "describe/status output whose indentation was lost",
    "ps-ef": "ps -ef",
    "ps-aux": "ps aux",
    "ps-auxf": "ps auxf",
    "ps-axjf": "ps axjf (PPID PID PGID SID ... columns)",
    "ps-ejf": "ps -ejf",
    "ps-o-lstart": "ps -o with lstart (five-word start time)",
    "ps-forest": "forest output (`\\_`)",
    "busybox-ps": "BusyBox ps (PID USER TIME COMMAND)",
    "ps-defunct": "<defunct> rows",
    "ps-grep": "grep'ed ps (or other table) lines",
    "docker-ps-header": "docker ps with header",
    "docker-ps-headerless": "docker ps rows without header",
    "docker-ps-quoted-header": "docker ps header quoted with `> `",
    "docker-inspect": "docker inspect JSON",
    "klog-bare": "bare klog lines of a component run in the foreground",
    "systemctl-status-kubelet": "systemctl status kubelet",
    "journal-short": "journalctl short (default) output",
    "journal-short-iso": "journalctl -o short-iso",
    "journal-short-full": "journalctl -o short-full",
    "journal-short-unix": "journalctl -o short-unix",
    "journal-short-monotonic": "journalctl -o short-monotonic",
    "journal-short-precise": "journalctl -o short-precise",
    "journal-cat": "journalctl -o cat",
    "journal-json": "journalctl -o json / json-pretty",
    "journal-export": "journalctl -o export",
    "logrus-time": 'logrus lines carrying their own time="..."',
    "containerd-journal": "containerd journal tail",
    "kubelet-journal": "kubelet journal tail",
}

# Further classes met while collecting (formats the issue does not list by name).
OTHER_CLASSES: dict[str, str] = {
    "prompt-other": "other prompts (zsh %, oh-my-zsh arrow, clock, virtualenv, custom PS1)",
    "kubectl-get-deployments": "kubectl get deployments (1.5 DESIRED/CURRENT columns to today's READY/UP-TO-DATE)",
    "kubectl-get-replicasets": "kubectl get replicasets",
    "kubectl-get-pvc": "kubectl get persistentvolumeclaims (a Pending claim's empty cells)",
    "kubectl-get-pv": "kubectl get persistentvolumes",
    "kubectl-get-namespaces": "kubectl get namespaces",
    "kubectl-get-ingress": "kubectl get ingress",
    "kubectl-get-endpoints": "kubectl get endpoints",
    "kubectl-get-hpa": "kubectl get horizontalpodautoscalers",
    "kubectl-get-all": "kubectl get all: a table per kind, rows named kind/name",
    "kubectl-top-nodes": "kubectl top nodes",
    "kubectl-top-pods": "kubectl top pods",
    "kubectl-version-short": "kubectl version: `Client Version: v1.x` lines (1.28 on, --short)",
    "kubectl-version-long": "kubectl version: Go-printed version.Info{...}",
    "kubectl-empty-result": "`No resources found.` in place of a table",
    "diff-prefixed": "every line prefixed with a diff's `+` (text quoted in a review)",
    "kubeadm-output": "what kubeadm init/join printed, the join command it prints included",
    "command-error": "a tool's own error lines under a command (Error from server, error:, command terminated with exit code)",
    "df": "df -h / df -H filesystem table",
    "describe-fragment": "a describe block (State:, Conditions:, Allocated resources:) pasted without the object's head",
    "glued-fence": "a fence or <pre><code> tag glued to text on the same line",
    "wrapped-command": "a typed command broken onto a second line",
    "html-details": "an HTML <details> block around the output (its tag glued to a sentence, or on its own line)",
    "kubectl-custom-columns": "kubectl get -o custom-columns output",
    "oc-cli": "OpenShift oc used in place of kubectl",
    "container-log-mixed": "a container log mixing klog lines with the program's other lines",
    "journal-zap-json": "journal entries whose message is a zap JSON line (etcd client)",
    "crio-journal": "CRI-O journal tail",
    "backtick-fence": "a single backtick used as a fence, alone on a line or glued to a command",
    "ctr-tables": "ctr containers ls / ctr tasks ls tables",
    "glued-prompt": "a prompt glued to the previous output's last character",
    "dmesg": "kernel ring-buffer lines with [seconds.micros] stamps",
    "kubectl-describe-object": "describe of a kind with no describe reader of its own (pvc, job)",
    "object-yaml-json": "an object as YAML or JSON (a manifest, get -o yaml, a fragment)",
    "kubectl-jsonpath": "kubectl get -o jsonpath output",
    "grep-prefixed": "grep -n output with FILE:LINENO: prefixes",
    "helm-output": "helm's own tables, not kubectl tables",
    "prompt-powershell": "the PS C:\\> prompt",
    "markdown-table": "output re-typed as a markdown pipe table",
    "issue-template": "a GitHub issue template with unfilled placeholders",
    "markdown-image": "markdown image links ![image](url) among the text",
    "cli-progress": "a CLI's progress lines with check marks and emoji (kind create cluster)",
    "component-version": "a component's own version output (kubelet --version, rke2 -v)",
    "shell-loop": "a for ... do kubectl logs ...; done loop typed at a prompt",
    "docker-images": "a docker images table",
    "indented-code-block": "markdown code block by 4-space indentation",
    "html-pre": "HTML <pre> block",
    "wrapped-rows": "table rows wrapped onto a second line (terminal width, editor or by hand)",
    "inline-triple-backticks": "```code``` used inline on one line (not a fence)",
    "hand-edited": "output edited by its author (rows/columns trimmed, prefixes dropped, values redacted)",
    "html-entities": "text copied from a web page with HTML entities left in (&lt; &gt;)",
    "headerless-table": "a table pasted without its header",
    "localized-dates": "month or weekday names in a non-English locale",
    "kubectl-get-pods": "kubectl get pods",
    "kubectl-get-nodes": "kubectl get nodes",
    "kubectl-get-services": "kubectl get services",
    "kubectl-describe-pod": "kubectl describe pod (any era)",
    "kubectl-describe-node": "kubectl describe node (any era)",
    "kubectl-describe-deployment": "kubectl describe deployment (any era)",
    "kubectl-logs": "kubectl logs output",
    "describe-rc": "describe replicationcontroller",
    "crictl-images": "crictl images table",
    "crictl-images-verbose": "crictl images -v Key: value blocks",
    "docker-ps": "docker ps (any form)",
    "docker-ps-format": "docker ps --format output",
    "nerdctl-ps": "nerdctl ps with k8s:// names",
    "ps-o": "ps -o with a custom field list",
    "systemctl-status": "systemctl status of any unit",
    "klog-prefixed": "klog lines behind another prefix (journal, console, UI timestamp)",
    "logrus-text": "logrus text formatter LEVEL[time] lines",
    "minikube-logs": "minikube logs '* ' prefixed sections",
    "supportconfig": "supportconfig command banner",
}

# Classes of the issue for which no real paste was found yet (see README.md,
# "Gaps"). Synthetic text does not count; when a real paste is added, drop the
# class from this set and the test below makes sure it stays covered.
KNOWN_GAPS: set[str] = {"journal-short-unix"}


STRUCTURE = {"prompt", "fence", "marker", "prose", "comment", "unknown"}
SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # JWT
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),  # GitHub token
    re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),  # Slack token
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{24,}"),
    re.compile(r"(?i)\b(?:password|passwd|secret|token)\s*[=:]\s*['\"]?(?!MASKED\b)[A-Za-z0-9+/=_-]{12,}"),
]


def load() -> dict[str, dict[str, Any]]:
    doc = json.loads(EXPECTED.read_text(encoding="utf-8"))
    pastes: dict[str, dict[str, Any]] = doc["pastes"]
    return pastes


def paste_lines(name: str) -> list[str]:
    text = (PASTES / name).read_text(encoding="utf-8")
    return text.split("\n")[:-1]


def render_sources(pastes: dict[str, dict[str, Any]]) -> str:
    """SOURCES.md as it must read for this expected.json."""
    out = [
        "# Sources of the pastes",
        "",
        "Generated from `expected.json` by `python -m tests.test_paste_corpus`; do not edit by hand.",
        "Every paste is text a person published (issue and pull-request threads, docs, notes and blog",
        "posts kept in public repositories) copied as pasted; see README.md for what was changed (nothing",
        "but the cut at the start and end of an excerpt) and for the class names.",
        "",
        "| file | source | date | license | classes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, entry in pastes.items():
        cells = [
            f"`{name}`",
            entry["source"],
            entry["date"],
            entry["license"],
            ", ".join(entry["classes"]),
        ]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out.append("")
    out.append("## Notes per paste")
    out.append("")
    for name, entry in pastes.items():
        out.append(f"- `{name}`: {entry['notes']}")
    out.append("")
    return "\n".join(out)


README = PASTES / "README.md"
BEGIN, END = "<!-- classes:begin -->", "<!-- classes:end -->"


def render_class_table(pastes: dict[str, dict[str, Any]]) -> str:
    """The class table of README.md (between its markers) for this expected.json."""
    counts: dict[str, int] = {}
    for entry in pastes.values():
        for cls in entry["classes"]:
            counts[cls] = counts.get(cls, 0) + 1
    out = [BEGIN, "", f"{len(pastes)} pastes.", "", "| class | pastes | what |", "| --- | ---: | --- |"]
    for title, classes in (("issue", ISSUE_CLASSES), ("other", OTHER_CLASSES)):
        for cls, what in classes.items():
            gap = " (no real paste found yet)" if cls in KNOWN_GAPS else ""
            what_cell = what.replace("|", "\\|")
            out.append(f"| `{cls}` ({title}) | {counts.get(cls, 0)} | {what_cell}{gap} |")
    out += ["", END]
    return "\n".join(out)


def with_class_table(readme: str, pastes: dict[str, dict[str, Any]]) -> str:
    head, _, rest = readme.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + render_class_table(pastes) + tail


def test_readme_class_table_is_current() -> None:
    readme = README.read_text(encoding="utf-8")
    assert BEGIN in readme and END in readme
    assert readme == with_class_table(readme, load()), (
        "README.md class table is stale: run .venv/bin/python -m tests.test_paste_corpus"
    )


def test_every_file_is_listed_and_every_listing_has_a_file() -> None:
    files = {p.name for p in PASTES.glob("*.txt")}
    listed = set(load())
    assert files == listed, {"unlisted": sorted(files - listed), "missing": sorted(listed - files)}
    assert len(files) >= 60
    for name in files:
        assert NAME.match(name), name


def test_sources_md_is_rendered_from_expected_json() -> None:
    assert SOURCES_MD.read_text(encoding="utf-8") == render_sources(load()), (
        "SOURCES.md is stale: run .venv/bin/python -m tests.test_paste_corpus"
    )


def test_entries_are_complete() -> None:
    known = ISSUE_CLASSES | OTHER_CLASSES
    for name, entry in load().items():
        for key in ("source", "date", "license", "classes", "notes", "sections"):
            assert entry.get(key), (name, key)
        unknown = [c for c in entry["classes"] if c not in known]
        assert not unknown, (name, unknown)
        assert len(set(entry["classes"])) == len(entry["classes"]), name


def test_sections_fit_the_file_and_cover_every_non_blank_line() -> None:
    for name, entry in load().items():
        lines = paste_lines(name)
        covered: set[int] = set()
        previous_end = 0
        for section in entry["sections"]:
            first, last = section["lines"]
            assert previous_end < first <= last <= len(lines), (name, section["lines"], len(lines))
            previous_end = last
            covered.update(range(first, last + 1))
            assert lines[first - 1].strip() and lines[last - 1].strip(), (name, section["lines"])
            if section["format"] in STRUCTURE:
                continue
            rows = section["rows"]
            assert isinstance(rows, int) and 0 <= rows <= last - first + 1, (name, section["lines"])
            for spot in section.get("spot", []):
                assert 0 <= spot["row"] < rows, (name, section["lines"], spot)
        blank_free = {i for i, line in enumerate(lines, 1) if line.strip()}
        assert blank_free <= covered, (name, sorted(blank_free - covered))


TABLE_FORMATS = {
    "busybox-ps",
    "crictl-images",
    "crictl-pods",
    "crictl-ps",
    "docker-images",
    "docker-ps",
    "docker-ps-names",
    "kubectl-describe-events",
    "kubectl-get",
    "kubectl-get-daemonsets",
    "kubectl-get-events",
    "kubectl-get-nodes",
    "kubectl-get-pods",
    "kubectl-get-services",
    "kubectl-get-statefulsets",
    "kubectl-top",
    "nerdctl-ps",
    "ps-aux",
    "ps-axjf",
    "ps-ef",
    "ps-ejf",
    "ps-o",
    "ps-x",
}


def test_data_sections_say_how_to_read_them() -> None:
    for name, entry in load().items():
        for section in entry["sections"]:
            if section["format"] in STRUCTURE and "rows" not in section:
                continue
            where = (name, section["lines"])
            if section["rows"] > 0:
                assert section["spot"], where
            if section["format"] in TABLE_FORMATS:
                assert isinstance(section.get("header"), bool), where
            if "columns" in section:
                assert section["columns"] and all(isinstance(c, str) for c in section["columns"]), where


def test_prompt_sections_name_a_command_seen_in_the_line() -> None:
    for name, entry in load().items():
        lines = paste_lines(name)
        for section in entry["sections"]:
            if section["format"] != "prompt":
                continue
            first, last = section["lines"]
            text = " ".join(lines[first - 1 : last])
            assert section["command"] in text, (name, section["lines"], section["command"])


def test_every_class_of_the_issue_is_covered() -> None:
    seen = {c for entry in load().values() for c in entry["classes"]}
    missing = set(ISSUE_CLASSES) - seen
    assert missing == KNOWN_GAPS, (sorted(missing - KNOWN_GAPS), sorted(KNOWN_GAPS - missing))


def test_no_two_pastes_are_the_same_text() -> None:
    digests: dict[str, str] = {}
    for path in sorted(PASTES.glob("*.txt")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest not in digests, (path.name, digests.get(digest))
        digests[digest] = path.name


@pytest.mark.parametrize("path", sorted(PASTES.glob("*.txt")), ids=lambda p: p.name)
def test_paste_is_utf8_text_without_an_obvious_secret(path: Path) -> None:
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and b"\x00" not in raw
    text = raw.decode("utf-8")
    for pattern in SECRET_PATTERNS:
        match = pattern.search(text)
        assert match is None, (path.name, match.group(0)[:40] if match else "")


def test_secret_patterns_catch_what_they_are_for() -> None:
    samples = [
        "-----BEGIN RSA PRIVATE KEY-----",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJpc3MiOiJrdWJlcm5ldGVzL3NhIn0.c2lnbmF0dXJlLXBhcnQtaGVyZQ",
        "AKIAIOSFODNN7EXAMPLE",
        "token: 0123456789abcdef0123",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in SECRET_PATTERNS), sample
    assert not any(p.search("password: MASKED") for p in SECRET_PATTERNS)


if __name__ == "__main__":
    SOURCES_MD.write_text(render_sources(load()), encoding="utf-8")
    README.write_text(with_class_table(README.read_text(encoding="utf-8"), load()), encoding="utf-8")
    sys.stdout.write(f"wrote {SOURCES_MD} and the class table of {README}\n")

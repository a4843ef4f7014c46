"""Budgets that are part of parsing: YAML aliases and nesting, JSON nesting without recursion, and regexes
linear in their input. Each hostile input has its exact outcome; the pathological inputs run in a child
process with a hang guard (10x what they take) and a memory bound, never a timed assertion.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from analyzer.budgets import (
    MAX_DEPTH,
    CBoundedLoader,
    PyBoundedLoader,
    YAMLBudgetError,
    json_too_deep,
    value_too_deep,
    yaml_documents,
)
from analyzer.errors import ParseError, SkipSource
from analyzer.parsers import json_values
from tests.conftest import examples

PROJECT = Path(__file__).resolve().parents[1]
POD_TABLE = "NAMESPACE   NAME    READY   STATUS    RESTARTS   AGE\nshop        web-0   1/1     Running   0          5m\n"


# The child's own peak RSS: VmHWM of its address space. (getrusage's ru_maxrss would not do: a child of a
# large process, such as pytest late in a full run, inherits its parent's high-water mark across fork/exec.)
VMHWM = """
def vmhwm_kib():
    with open('/proc/self/status') as f:
        return next(int(ln.split()[1]) for ln in f if ln.startswith('VmHWM:'))
"""


def ingest(tmp_path: Path, *files: tuple[str, bytes], timeout: int = 300) -> tuple[subprocess.CompletedProcess[str], int, Path]:
    """`kubesnap ingest` of loose files in a child process: its result, its peak RSS in KiB, the database."""
    for name, data in files:
        (tmp_path / name).write_bytes(data)
    db = tmp_path / "t.duckdb"
    rss = tmp_path / "rss"
    code = (VMHWM + "import atexit, sys\n"
            "out = sys.argv[1]\n"
            "atexit.register(lambda: open(out, 'w').write(str(vmhwm_kib())))\n"
            "sys.argv = ['kubesnap', *sys.argv[2:]]\n"
            "from analyzer.cli import main\nmain()\n")  # fmt: skip
    res = subprocess.run([sys.executable, "-c", code, str(rss), "ingest", "--db", str(db), *(str(tmp_path / n) for n, _ in files)],
                         capture_output=True, text=True, timeout=timeout, cwd=PROJECT)  # fmt: skip
    assert rss.exists(), res.stderr[-3000:]
    return res, int(rss.read_text()), db


def pods(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT name FROM pods ORDER BY name").fetchall()]


def billion_laughs(levels: int = 9) -> str:
    out = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        p, c = chr(96 + i), chr(97 + i)
        out.append(f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]")
    return "apiVersion: v1\nkind: List\nitems:\n- kind: ConfigMap\n  data:\n" + "\n".join("    " + ln for ln in out) + "\n"


# ------------------------------------------------------------------ hostile inputs, exact outcomes

CASES = {
    "yaml-billion-laughs": ("bomb.yaml", billion_laughs().encode(), "bomb.yaml: YAML alias *a of a mapping or sequence at line 7: not read (aliases are read for scalars only)"),
    "yaml-deep": ("deep.yaml", (b"apiVersion: v1\nkind: List\nitems: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"), f"deep.yaml: YAML nested deeper than {MAX_DEPTH} levels: not read"),
    "json-deep-100k": ("deep.json", b'{"kind": "List", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", f"deep.json: JSON nested deeper than {MAX_DEPTH} levels: not read"),
    "json-deep-unclosed": ("open.json", b'{"kind": "List", "items": ' + b"[" * 100_000, f"open.json: JSON nested deeper than {MAX_DEPTH} levels: not read"),
    "json-deep-crictl": ("ps.json", b'{"containers": [{"id": "a", "x": ' + b'{"y": ' * 20_000 + b"1" + b"}" * 20_000 + b"}]}",
                         f"ps.json: JSON nested deeper than {MAX_DEPTH} levels: not read"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_over_budget_member_is_refused_and_the_rest_kept(case: str, tmp_path: Path) -> None:
    name, data, problem = CASES[case]
    res, rss_kib, db = ingest(tmp_path, (name, data), ("pods.txt", POD_TABLE.encode()))
    assert res.returncode == 1, res.stderr
    assert problem in res.stdout + res.stderr, res.stdout + res.stderr
    assert "Traceback" not in res.stderr and "RecursionError" not in res.stdout + res.stderr
    assert pods(db) == ["web-0"]  # the good paste was kept
    assert rss_kib < 600 * 1024, f"peak RSS {rss_kib} KiB"


def test_a_deep_value_already_in_a_database_is_not_printed(tmp_path: Path) -> None:
    """A database someone else wrote may hold what ingest refuses: `get pods -o yaml` says so in one line."""
    res, _rss, db = ingest(tmp_path, ("pods.txt", POD_TABLE.encode()))
    assert res.returncode == 0, res.stderr
    deep = json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0", "namespace": "shop"}})[:-1] + ', "x": ' + "[" * 900 + "]" * 900 + "}"
    with duckdb.connect(str(db)) as con:
        sid = con.execute("SELECT snapshot_id FROM pods").fetchall()[0][0]
        con.execute("INSERT INTO api_objects (snapshot_id, kind, namespace, name, raw) VALUES (?, 'Pod', 'shop', 'web-0', ?)", [sid, deep])
    for output in ("yaml", "json"):
        res = subprocess.run([sys.executable, "-m", "analyzer", "get", "pods", "-A", "-o", output, "--db", str(db)], capture_output=True, text=True, timeout=120)
        assert res.returncode == 2, res.stderr
        assert res.stderr == f"kubesnap: a stored JSON value nested deeper than {MAX_DEPTH} levels: not read\n"


# ------------------------------------------------------------------ regexes linear in their input

N = 200 * 1024


def _rep(s: str) -> str:
    return (s * (N // len(s) + 1))[:N]


# Inputs that made a regex or a header scan of ours go quadratic (or worse), and their kin.
PATHOLOGICAL = {
    "blank-lines": _rep("\n"), "blanks": _rep(" \n"), "spaces-then-word": "a: b" + _rep(" ") + "c\n", "key-blanks": "Key: v" + _rep(" ") + "x\n",
    "pem-begin-blanks": "-----BEGIN CERTIFICATE-----\n" + _rep(" \n"), "pem-begins": _rep("-----BEGIN CERTIFICATE-----\nAAAA\n"),
    "pem-unclosed": "-----BEGIN CERTIFICATE-----\n" + _rep("A"), "summary-openers": _rep("# kubesnap-certificate-summary x\n"),
    "summary-unclosed": "# kubesnap-certificate-summary x\n" + _rep("a\n"), "tree-bars": _rep("│ "), "tree-branches": _rep("├─ "),
    "dashes": _rep("- "), "digits": _rep("1 "), "ls-words": "$ " + _rep("ls "), "json-open": _rep("["), "long-word": _rep("x"),
    "colons": _rep("a:"), "eq-words": _rep("--a="), "cn": "subject=" + _rep("CN="), "dot-log": _rep("a.log."),
    "stamp-blanks": "2024-01-02T03:04:05" + _rep(" ") + "x", "refused": _rep("The connection to the server : "), "size-blanks": "1" + _rep(" ") + "x",
}  # fmt: skip

CHILD = VMHWM + r"""
import sys
from analyzer.registry import ParseContext, load_parsers, sniff
from analyzer.layouts.kubesnap import KUBESNAP
from analyzer.errors import ParseError, SkipSource
from tests.test_redteam_budgets import PATHOLOGICAL
from analyzer.textutil import is_collector_error
from analyzer.timeparse import parse_time
text = PATHOLOGICAL[sys.argv[1]]
data = text.encode()
sniff(text)
parse_time(text)
is_collector_error(text)
from analyzer.rules.logs import size_bytes
size_bytes(text, 0)
for spec in load_parsers().values():
    for path in [p for p in (KUBESNAP.example(spec.name),) if p] or ["pasted.txt"]:
        try:
            list(spec.parse(ParseContext(path, data)))
        except (ParseError, SkipSource):
            pass  # refused or nothing to read: either is fine here; that it finishes, and how, is the subject
print(vmhwm_kib())
"""


# three in the fast set (blank lines, an unclosed PEM block, bracket soup), every one in the slow set
FAST_PATHOLOGICAL = ("blank-lines", "pem-unclosed", "json-open")


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in FAST_PATHOLOGICAL else pytest.mark.slow) for n in PATHOLOGICAL])
def test_every_parser_finishes_on_a_pathological_input(name: str) -> None:
    """Every sniffer and parser over 200 KiB made to make a backtracking regex explode. Linear, each run
    takes a few seconds on a loaded machine; the timeout is a hang guard only (a quadratic regex on this
    input takes minutes to hours)."""
    res = subprocess.run([sys.executable, "-c", CHILD, name], capture_output=True, text=True, timeout=120, cwd=PROJECT)
    assert res.returncode == 0, res.stderr[-2000:]
    assert int(res.stdout.split()[-1]) < 800 * 1024, "peak RSS"


# ------------------------------------------------------------------ rewritten regexes: the same answers

OLD_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")
OLD_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z][A-Za-z0-9 ./()-]*?):(?:\s+(?P<value>\S.*?))?\s*$")
OLD_SUMMARY = re.compile(r"^[#\s]*kubesnap-certificate-summary (?!end)([^\n]*)\n(.*?)^[#\s]*kubesnap-certificate-summary end", re.M | re.S)
OLD_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?(?:\s+[A-Z]{2,5})?$")
OLD_PROMPT_LS = re.compile(r"(?:^|\s)ls\b[^/]*?(?P<dir>/\S+?)/?\s*$")

PIECES = st.sampled_from(["-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----", "\n", " ", "AB+/", "=", "-", "#", "# ", "a", "Key", ":", "\t",
                          "kubesnap-certificate-summary ", "kubesnap-certificate-summary end", "end", "ls", " ls ", "/var/log/pods", "/", "x"])  # fmt: skip
TEXTS = st.lists(PIECES, max_size=30).map("".join)


@settings(max_examples=examples(400), deadline=None)
@given(TEXTS)
@example("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----")  # found by hypothesis: a one-character body
def test_pem_blocks_are_the_old_regexes(text: str) -> None:
    """Where the old PEM regex found a block starting with whitespace, the linear one finds the same block."""
    from analyzer.parsers.config import PEM_CERT

    old = [m.group(0) for m in OLD_PEM.finditer(text.encode())]
    new = [m.group(0) for m in PEM_CERT.finditer(text.encode())]
    # the old one also required whitespace right after BEGIN and two characters or more between the
    # markers; the new one accepts a block without them (it then fails to decode, and says so)
    assert [b for b in new if b[27:28].isspace() and len(b) - 27 - 25 >= 2] == old


@settings(max_examples=examples(400), deadline=None)
@given(TEXTS)
def test_describe_key_lines_are_the_old_regexes(text: str) -> None:
    from analyzer.parsers.kubectl_describe import KEY

    for line in text.splitlines():
        o, n = OLD_KEY.match(line), KEY.match(line)
        assert (o is None) == (n is None)
        if o and n:
            assert o.groupdict() == n.groupdict()


@settings(max_examples=examples(400), deadline=None)
@given(TEXTS)
def test_certificate_summary_blocks_are_the_old_regexes(text: str) -> None:
    from analyzer.parsers.config import _summary_blocks

    old = [m.group(2).splitlines() for m in OLD_SUMMARY.finditer(text)]
    new = list(_summary_blocks(text))
    # the old one let '^[#\s]*' run over blank lines before a marker and so ate them; compare without blanks
    assert [[ln for ln in b if ln.strip("# \t")] for b in new] == [[ln for ln in b if ln.strip("# \t")] for b in old]


@settings(max_examples=examples(400), deadline=None)
@given(TEXTS)
def test_ls_prompt_folder_is_the_old_regexes(text: str) -> None:
    from analyzer.parsers.log_listing import _ls_dir

    for line in text.splitlines():
        s = line.strip()
        m = OLD_PROMPT_LS.search(s)
        assert _ls_dir(s) == (m.group("dir") if m else None), s


def nested(depth: int, kind: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    return st.recursive(st.one_of(st.integers(), kind), lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(kind, c, max_size=3)), max_leaves=depth)


def depth_of(v: object) -> int:
    if isinstance(v, dict):
        return 1 + max((depth_of(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((depth_of(x) for x in v), default=0)
    return 0


@settings(max_examples=examples(300), deadline=None)
@given(nested(40, st.text(alphabet='[]{}"\\ab', max_size=6)), st.integers(min_value=1, max_value=12))
def test_json_depth_without_parsing_is_the_parsed_depth(value: object, limit: int) -> None:
    """Brackets inside strings (escaped quotes too) do not count; every real level does."""
    text = json.dumps(value)
    assert json_too_deep(text, limit) == (depth_of(value) > limit)
    assert value_too_deep(value, limit) == (depth_of(value) > limit)


@settings(max_examples=examples(300), deadline=None)
@given(nested(30, st.text(alphabet='[]{}"\\ab\u00e9', max_size=6)), st.integers(min_value=1, max_value=12), st.sampled_from([1, 2, 3, 5, 7]))
@example([["\\", ["\\\"", [[[]]]]]], 3, 1)
@example(["\\\"", [[[]]]], 3, 3)  # three backslashes before the quote, one in the chunk before: escaped
@example(["\\\"\\", [[[[]]]]], 3, 5)  # a chunk that starts with an escaped quote and holds backslashes
def test_json_depth_is_the_same_counted_in_small_chunks(value: object, limit: int, chunk: int) -> None:
    """Backslash runs, strings and depth carried across chunk ends as within one: chunks of a few bytes."""
    from analyzer import budgets

    text = json.dumps(value, ensure_ascii=False)
    saved = budgets.DEPTH_CHUNK
    budgets.DEPTH_CHUNK = chunk
    try:
        assert json_too_deep(text, limit) == (depth_of(value) > limit)
    finally:
        budgets.DEPTH_CHUNK = saved


@settings(max_examples=examples(300), deadline=None)
@given(st.text(alphabet='[]{}",:1 \\', max_size=60), st.integers(min_value=0, max_value=4))
def test_json_depth_of_bracket_soup_is_at_least_what_the_reader_opens(text: str, limit: int) -> None:
    """Any text Python's reader takes (whitespace, escapes, brackets in strings): the depth counted is its nesting."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return
    assert json_too_deep(text, limit) == (depth_of(value) > limit)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet='[]{}",:1 \\', max_size=400))
def test_json_values_on_any_bracket_soup_is_read_or_refused(text: str) -> None:
    """Broken or deep JSON is the member's problem (ParseError) or nothing to read (SkipSource), never
    a RecursionError or another exception."""
    with contextlib.suppress(ParseError, SkipSource):
        list(json_values(text))


def test_an_integer_of_thousands_of_digits_is_unknown_not_a_lost_member() -> None:
    """Python refuses to convert more than 4,300 digits: that error lost every object of the member. Such a number
    is unknown (None); the rest of the document is read, and a 41-digit one is still a number."""
    assert list(json_values('{"restartCount": ' + "9" * 5000 + ', "name": "web"}')) == [{"restartCount": None, "name": "web"}]
    assert list(json_values('[-' + "1" * 40 + "]")) == [[-int("1" * 40)]]


# the budgets sit on both parsers: libyaml's (what runs where PyYAML has it) and PyYAML's own
LOADERS = [pytest.param(CBoundedLoader, id="libyaml"), pytest.param(PyBoundedLoader, id="pure-python")]


def yaml_outcome(text: str, loader: type[CBoundedLoader] | type[PyBoundedLoader]) -> object:
    """The documents, or the kind of refusal: ('budget', which) or ('error',)."""
    import yaml

    try:
        return yaml_documents(text, loader)
    except YAMLBudgetError as e:
        return ("budget", "alias" if "alias" in str(e) else "deeper" if "deeper" in str(e) else "nodes")
    except yaml.YAMLError:
        return ("error",)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet="&*ab:-[]{}\n ,'\"#|>?1.", max_size=300))
def test_yaml_with_any_anchors_is_read_or_refused_alike_by_both_parsers(text: str) -> None:
    """No alias of a collection is ever expanded; an alias of a scalar is; where both parsers read a text
    they read the same documents. (They are two implementations: on some malformed flow syntax one reads
    what the other refuses, e.g. `{b:,}`, and with tags and tabs they differ more; never in a budget.)"""
    c, py = yaml_outcome(text, CBoundedLoader), yaml_outcome(text, PyBoundedLoader)
    for outcome in (c, py):
        assert not (isinstance(outcome, tuple) and outcome[0] == "budget") or outcome[1] in ("alias", "deeper")
    if isinstance(c, list) and isinstance(py, list):
        assert c == py


def test_corpus_yaml_reads_the_same_with_both_parsers() -> None:
    from tests.conftest import corpus_files

    files = [p for p in corpus_files("") if p.suffix in (".yaml", ".yml")]
    if not files:
        pytest.skip("no corpus beside the project (../shared/corpus)")
    for p in files:
        text = p.read_text("utf-8", "replace")
        assert yaml_outcome(text, CBoundedLoader) == yaml_outcome(text, PyBoundedLoader), p


@pytest.mark.parametrize("loader", LOADERS)
def test_yaml_alias_of_a_scalar_is_read(loader: type[CBoundedLoader] | type[PyBoundedLoader]) -> None:
    assert yaml_documents("a: &x 1\nb: *x\nc: [*x, 2]\n", loader) == [{"a": 1, "b": 1, "c": [1, 2]}]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize(("text", "which"), [
    ("[" * 200 + "]" * 200, "deeper"),
    ("a:\n" + "".join(" " * i + "- \n" for i in range(1, 300)), "deeper"),
    ("[" * 5000 + "]" * 5000, "deeper"),  # past libyaml's own limit of 1,000 levels: the same refusal
    ("a: &x [1, 2]\nb: *x\n", "alias"),
])  # fmt: skip
def test_yaml_over_a_budget_is_refused_by_both_parsers(loader: type[CBoundedLoader] | type[PyBoundedLoader], text: str, which: str) -> None:
    assert yaml_outcome(text, loader) == ("budget", which)


@pytest.mark.parametrize("loader", LOADERS)
def test_billion_laughs_is_a_bomb_for_a_plain_safe_load(loader: type[CBoundedLoader] | type[PyBoundedLoader]) -> None:
    """The fixture of this module is what it claims: each level nine aliases of the one before."""
    import yaml

    data = yaml.safe_load(billion_laughs(3))["items"][0]["data"]
    assert data["c"] == [data["b"]] * 9 and data["b"] == [data["a"]] * 9
    with pytest.raises(YAMLBudgetError):
        yaml_documents(billion_laughs(2), loader)


@settings(max_examples=examples(400), deadline=None)
@given(st.lists(st.sampled_from(["2024-01-02T03:04:05", "2024-01-02 03:04:05", ".123", ",5", " ", "  ", "Z", "+02:00", "-0530", "UTC", "KST", "x", "\t"]),
                max_size=8).map("".join))  # fmt: skip
def test_rfc3339_is_the_old_regex(text: str) -> None:
    from analyzer.timeparse import _RFC3339

    o, n = OLD_RFC3339.match(text), _RFC3339.match(text)
    assert (o is None) == (n is None), text
    if o and n:
        assert o.groups() == n.groups()


# ------------------------------------------------------------------ deep JSON in the newer readers

DEEP_JSON = "[" * 50_000 + "]" * 50_000  # valid JSON; Python's reader recurses and would raise RecursionError


def test_deep_json_in_a_pasted_journal_is_refused_as_bad_json() -> None:
    from analyzer.paste import Line, Section
    from analyzer.pastefmt import _read_jjson

    for kind, body in (("journal-json", [DEEP_JSON[:4000] + DEEP_JSON[-4000:]]), ("journal-json-pretty", [DEEP_JSON])):
        sec = Section(1, 1, kind, [Line(1, body[0])])
        _read_jjson(sec, body)
        assert sec.records == []


def test_deep_site_manifest_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    from analyzer.errors import ParseError
    from analyzer.parsers.site_manifest import parse
    from analyzer.registry import ParseContext

    text = '{"kind": "kubesnap-site-manifest", "hosts": ' + DEEP_JSON + "}"
    with pytest.raises(ParseError, match="nested deeper than"):
        list(parse(ParseContext("site-manifest.json", text.encode())))


def test_deep_troubleshoot_error_file_is_reported_not_a_crash() -> None:
    from analyzer.bundle import Member
    from analyzer.formats.troubleshoot import _errors

    class Ing:
        def __init__(self) -> None:
            self.problems: list[tuple[str, str, str]] = []

    data = DEEP_JSON.encode()
    m = Member("cluster-resources/pods-errors.json", "file", len(data), None, None, lambda: io.BytesIO(data))
    ing = Ing()
    assert _errors(ing, m, m.path, None) == ("parsed", 0)  # type: ignore[arg-type]
    assert ing.problems and all(p[1] == "troubleshoot" for p in ing.problems)


def test_json_of_too_many_values_is_refused_before_it_is_read() -> None:
    """128 MiB of {"items":[{},{},...]} made Python build 42 M dicts, 6.7 GB (the red team of 2026-12-08): a text whose
    values would cost more than MAX_JSON_COST units is refused, counted at C speed; a real dump of the same size is read."""
    from analyzer.budgets import MAX_JSON_COST, TooBig, bounded_json, json_too_big
    from analyzer.errors import ParseError
    from analyzer.parsers import json_values

    wide = '{"items":[' + "{}," * (MAX_JSON_COST // 4) + "{}]}"
    assert json_too_big(wide)
    with pytest.raises(TooBig):
        bounded_json(wide)
    with pytest.raises(ParseError, match="more values than its budget"):
        list(json_values(wide))
    pod = '{"metadata":{"name":"web-%d","namespace":"shop","labels":{"app":"web"}},"status":{"phase":"Running","podIP":"10.0.0.%d"}}'
    real = '{"items":[' + ",".join(pod % (i, i % 250) for i in range(100_000)) + "]}"  # 12.5 MB, 1.7 M units
    assert not json_too_big(real) and len(bounded_json(real)["items"]) == 100_000


@pytest.mark.parametrize("loader", LOADERS)
def test_a_yaml_time_or_number_python_cannot_make_is_no_crash(loader: type[CBoundedLoader] | type[PyBoundedLoader]) -> None:
    """!!timestamp 99999-01-01 raised PyYAML's AttributeError (shown to the analyst as the member's problem), and a
    100,000-digit integer (more than Python reads) lost its whole manifest (the red team of 2026-12-08): the first is a
    YAML error that says what and where, the second is kept as its text and the rest of the document is read."""
    import yaml

    with pytest.raises(yaml.YAMLError, match="not a time: '99999-01-01'"):
        yaml_documents("spec:\n  when: !!timestamp 99999-01-01\n", loader)
    big = "9" * 100_000
    (doc,) = yaml_documents(f"spec:\n  replicas: {big}\n  paused: 3\n", loader)
    assert doc == {"spec": {"replicas": big, "paused": 3}}

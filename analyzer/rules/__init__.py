"""The rule engine: small pure functions over the store, each registered with an id, title,
category, severity, description and remediation; each finding carries its evidence.

    @rule("CONTAINER_CRASHLOOP", "Container in CrashLoopBackOff", "workloads", "fail", DESC, FIX)
    def crashloop(ctx: RuleContext) -> Iterable[Finding]: ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
from pydantic import BaseModel, Field

from analyzer.budgets import TooBig, TooDeep

SEVERITIES = ("info", "warn", "fail")


class Thresholds(BaseModel):
    """Thresholds of the rules; each is a `kubesnap findings` / `analyze` option."""

    restarts_warn: int = Field(5, description="container restarts at which RESTARTS_HIGH warns")
    log_dir_mb_warn: int = Field(100, description="pod log directory size (MiB) at which LOG_DIR_LARGE warns")
    log_growth_mb_per_hour_warn: int = Field(50, description="log growth (MiB per hour) at which LOG_GROWTH_FAST warns")
    clock_skew_s_warn: int = Field(60, description="difference (s) between node bundle times at which CLOCK_SKEW warns")
    disk_used_pct_warn: int = Field(85, description="filesystem or inode usage (%) at which DISK_USAGE_HIGH warns")
    cert_warn_days: int = Field(30, description="days before expiry at which CERT_EXPIRING warns")
    cert_info_days: int = Field(90, description="days before expiry at which CERT_EXPIRING notes it")
    etcd_db_quota_pct_warn: int = Field(80, description="etcd db size (% of its quota) at which ETCD_DB_QUOTA warns")


class Finding(BaseModel):
    rule: str
    severity: str
    node: str | None = None
    namespace: str | None = None
    object: str | None = None
    message: str
    evidence: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: str
    severity: str
    description: str
    remediation: str
    check: Callable[[RuleContext], Iterable[Finding]]
    needs: tuple[str, ...] = ()  # facts the rule reads (keys of NEEDS): without them it is "not evaluated", not passed


RULES: dict[str, Rule] = {}

# a fact a rule can need -> (the view that holds it, how the finding names its absence)
NEEDS: dict[str, tuple[str, str]] = {
    "processes": ("v_processes", "no process list"),
    "runtime": ("v_crictl_sandboxes", "no runtime (crictl) view"),
    "api": ("v_api_pods", "no API objects"),
    "journals": ("v_journal", "no journal"),
}


def rule(id: str, title: str, category: str, severity: str, description: str, remediation: str,
         needs: tuple[str, ...] = ()) -> Callable[[Callable[[RuleContext], Iterable[Finding]]], Callable[[RuleContext], Iterable[Finding]]]:  # fmt: skip
    if severity not in SEVERITIES:
        raise ValueError(severity)

    def deco(fn: Callable[[RuleContext], Iterable[Finding]]) -> Callable[[RuleContext], Iterable[Finding]]:
        if id in RULES:
            raise ValueError(f"rule {id} registered twice")
        unknown = set(needs) - set(NEEDS)
        if unknown:
            raise ValueError(f"rule {id} needs unknown facts {sorted(unknown)}")
        RULES[id] = Rule(id, title, category, severity, description, remediation, fn, tuple(needs))
        return fn

    return deco


@dataclass
class RuleContext:
    con: duckdb.DuckDBPyConnection
    site: str
    t: Thresholds
    cache: dict[str, object] = field(default_factory=dict)  # shared by the rules of one run

    def q(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query; `$site` is the site's name, `$p0`, `$p1`... the params."""
        values = {"site": self.site, **{f"p{i}": v for i, v in enumerate(params or [])}}
        used = set(re.findall(r"\$(site|p\d+)\b", sql))
        return self.con.execute(sql, {k: v for k, v in values.items() if k in used}).fetchall()

    def finding(self, rule_id: str, message: str, *, node: str | None = None, namespace: str | None = None, obj: str | None = None,
                evidence: Iterable[str] = (), severity: str | None = None) -> Finding:  # fmt: skip
        return Finding(rule=rule_id, severity=severity or RULES[rule_id].severity, node=node, namespace=namespace, object=obj,
                       message=message, evidence=[e for e in evidence if e][:10])  # fmt: skip


def load_rules() -> dict[str, Rule]:
    """Import every module of analyzer.rules, which registers its rules."""
    from analyzer.registry import import_submodules

    import_submodules("analyzer.rules")
    return RULES


def run_rules(con: duckdb.DuckDBPyConnection, site: str, thresholds: Thresholds | None = None, only: Iterable[str] | None = None) -> list[tuple[Rule, Finding]]:
    """Run every rule (or `only` these) on a site; failures of a rule are a finding of their own, never a crash."""
    ctx = RuleContext(con, site, thresholds or Thresholds())
    out: list[tuple[Rule, Finding]] = []
    for r in load_rules().values():
        if only is not None and r.id not in only:
            continue
        missing = _missing(ctx, r.needs)
        if missing:
            out.append((r, Finding(rule=r.id, severity="info", message=f"not evaluated ({missing} in this bundle)")))
            continue
        try:
            for f in r.check(ctx):
                out.append((r, f))
        except (duckdb.Error, TooDeep, TooBig) as e:  # a database someone else wrote
            out.append((r, Finding(rule=r.id, severity="info", message=f"the rule could not run on this database: {str(e).splitlines()[0]}")))
    return out


def finding_rows(site: str, found: list[tuple[Rule, Finding]]) -> list[dict[str, Any]]:
    """Findings as rows of the table `findings` (Store.replace_findings writes them)."""
    now = datetime.now(UTC)
    return [{"site": site, "rule": f.rule, "severity": f.severity, "title": r.title, "category": r.category, "node": f.node,
             "namespace": f.namespace, "object": f.object, "message": f.message, "evidence": "\n".join(f.evidence),
             "evidence_list": f.evidence, "checked_at": now} for r, f in found]  # fmt: skip
def _missing(ctx: RuleContext, needs: tuple[str, ...]) -> str | None:
    """How a site lacks what a rule needs, when its bundles include another tool's format (a cluster-info dump has no
    process list): the rule is then reported "not evaluated" instead of passing silently. Sites of Kubesnap bundles
    alone are left as they were (their rules look at the snapshots that have the data)."""
    if not needs:
        return None
    if "foreign" not in ctx.cache:
        ctx.cache["foreign"] = bool(ctx.q("SELECT 1 FROM v_snapshots WHERE site = $site AND json_extract_string(options, '$.format') IS NOT NULL LIMIT 1"))
    if not ctx.cache["foreign"]:
        return None
    for fact in needs:
        table, what = NEEDS[fact]
        key = f"has:{fact}"
        if key not in ctx.cache:
            ctx.cache[key] = bool(ctx.q(f"SELECT 1 FROM {table} t JOIN v_snapshots s USING (snapshot_id) WHERE s.site = $site LIMIT 1"))
        if not ctx.cache[key]:
            return what
    return None



def sort_findings(found: list[tuple[Rule, Finding]]) -> list[tuple[Rule, Finding]]:
    """Most severe first, then by rule, node and object."""
    order = {s: i for i, s in enumerate(reversed(SEVERITIES))}
    return sorted(found, key=lambda rf: (order[rf[1].severity], rf[1].rule, rf[1].node or "", rf[1].namespace or "", rf[1].object or "", rf[1].message))


def at_or_above(severity: str, floor: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(floor)


def as_json(found: list[Finding]) -> str:
    """The stable JSON form: a list of objects with rule, severity, node, namespace, object, message, evidence."""
    keys = ("rule", "severity", "node", "namespace", "object", "message", "evidence")
    return json.dumps([{k: getattr(f, k) for k in keys} for f in found], ensure_ascii=False, indent=1)

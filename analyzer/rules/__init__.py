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

from analyzer.budgets import TooDeep

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


RULES: dict[str, Rule] = {}


def rule(id: str, title: str, category: str, severity: str, description: str, remediation: str) -> Callable[[Callable[[RuleContext], Iterable[Finding]]], Callable[[RuleContext], Iterable[Finding]]]:
    if severity not in SEVERITIES:
        raise ValueError(severity)

    def deco(fn: Callable[[RuleContext], Iterable[Finding]]) -> Callable[[RuleContext], Iterable[Finding]]:
        if id in RULES:
            raise ValueError(f"rule {id} registered twice")
        RULES[id] = Rule(id, title, category, severity, description, remediation, fn)
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
        try:
            for f in r.check(ctx):
                out.append((r, f))
        except (duckdb.Error, TooDeep) as e:  # a database someone else wrote
            out.append((r, Finding(rule=r.id, severity="info", message=f"the rule could not run on this database: {str(e).splitlines()[0]}")))
    return out


def store_findings(con: duckdb.DuckDBPyConnection, site: str, found: list[tuple[Rule, Finding]]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM findings WHERE site = ?", [site])
        now = datetime.now(UTC)
        rows = [(site, f.rule, f.severity, r.title, r.category, f.node, f.namespace, f.object, f.message, "\n".join(f.evidence), f.evidence, now)
                for r, f in found]  # fmt: skip
        if rows:
            con.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


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

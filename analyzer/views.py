"""Correlation views in SQL (documented in docs/schema.md).

Runtime observations are merged per resolved id (id_aliases, computed by analyzer.correlate),
preferring the richest source (inspect over JSON lists over tables). API objects are taken
once per site from the latest snapshot that carries them (every control plane's bundle may
hold the same kubectl dump). `pod_processes` is the view DESIGN.md defines.
"""

from __future__ import annotations

import duckdb

from analyzer.models import STORED_TABLES

VIEWS: dict[str, tuple[str, str]] = {}


def view(name: str, about: str, sql: str) -> None:
    VIEWS[name] = (about, sql)


# The read contract: the rules, the verbs and the report read views only (tests/test_layers.py checks their SQL). A table
# they need as stored is read through its view v_<table>; the others below merge, dedupe or join tables.
for _name, _about in STORED_TABLES.items():
    view(f"v_{_name}", f"The table {_name} as stored: {_about}", f"SELECT * FROM {_name}")


view("finding_checks", "When the rules last ran on each site and stored their findings (kubesnap analyze, kubesnap findings).", """
SELECT substr(key, length('findings_checked:') + 1) AS site, try_cast(value AS TIMESTAMPTZ) AS checked_at
FROM kubesnap_meta WHERE starts_with(key, 'findings_checked:')
""")

view("collection_errors", "Commands and files the collector could not run, read or finish (failed, timed out, missing, truncated, skipped).", """
SELECT r.*, s.site FROM collection_records r JOIN snapshots s USING (snapshot_id)
WHERE r.error IS NOT NULL OR coalesce(r.timed_out, false) OR coalesce(r.exit_code, 0) NOT IN (0)
   OR coalesce(r.truncated, false) OR r.skipped IS NOT NULL
""")

view("ambiguous_ids", "Id prefixes that start more than one id of a snapshot: never joined, reported.", """
SELECT a.snapshot_id, s.node, a.kind, a.observed, a.candidates FROM id_aliases a JOIN snapshots s USING (snapshot_id)
WHERE a.status = 'ambiguous'
""")

view("sandboxes", "Pod sandboxes per node, merged from every runtime source by resolved id.", """
WITH o AS (
  SELECT s.*, CASE WHEN a.status = 'ambiguous' THEN NULL ELSE coalesce(a.canonical, s.sandbox_id) END AS sid,
         CASE s.source WHEN 'crictl-inspectp' THEN 1 WHEN 'crictl-pods-json' THEN 2 WHEN 'crictl-pods-table' THEN 3 ELSE 4 END AS prio
  FROM crictl_sandboxes s
  LEFT JOIN id_aliases a ON a.snapshot_id = s.snapshot_id AND a.kind = 'sandbox' AND a.observed = s.sandbox_id
)
SELECT o.snapshot_id, any_value(o.node) AS node, o.sid AS sandbox_id,
       arg_min(name, prio) FILTER (WHERE name IS NOT NULL) AS name,
       arg_min(namespace, prio) FILTER (WHERE namespace IS NOT NULL) AS namespace,
       arg_min(pod_uid, prio) FILTER (WHERE pod_uid IS NOT NULL) AS pod_uid,
       arg_min(attempt, prio) FILTER (WHERE attempt IS NOT NULL) AS attempt,
       arg_min(state, prio) FILTER (WHERE state IS NOT NULL) AS state,
       arg_min(created_at, prio) FILTER (WHERE created_at IS NOT NULL) AS created_at,
       arg_min(created_text, prio) FILTER (WHERE created_text IS NOT NULL) AS created_text,
       arg_min(pid, prio) FILTER (WHERE pid IS NOT NULL) AS pause_pid,
       arg_min(ip, prio) FILTER (WHERE ip IS NOT NULL) AS ip,
       arg_min(host_network, prio) FILTER (WHERE host_network IS NOT NULL) AS host_network,
       arg_min(runtime_handler, prio) FILTER (WHERE runtime_handler IS NOT NULL) AS runtime_handler,
       arg_min(cgroup_parent, prio) FILTER (WHERE cgroup_parent IS NOT NULL) AS cgroup_parent,
       arg_min(log_directory, prio) FILTER (WHERE log_directory IS NOT NULL) AS log_directory,
       arg_min(labels, prio) FILTER (WHERE labels IS NOT NULL) AS labels,
       list(DISTINCT source ORDER BY source) AS sources
FROM o WHERE o.sid IS NOT NULL
GROUP BY o.snapshot_id, o.sid
""")

view("containers", "Containers per node, merged from every runtime source by resolved id.", """
WITH o AS (
  SELECT c.*, CASE WHEN a.status = 'ambiguous' THEN NULL ELSE coalesce(a.canonical, c.container_id) END AS cid,
         CASE WHEN b.status = 'ambiguous' THEN NULL ELSE coalesce(b.canonical, c.sandbox_id) END AS sid,
         CASE c.source WHEN 'crictl-inspect' THEN 1 WHEN 'crictl-ps-json' THEN 2 WHEN 'crictl-ps-table' THEN 3 ELSE 4 END AS prio,
         CASE WHEN c.image IS NULL OR regexp_full_match(c.image, '(sha256:)?[0-9a-f]{12,64}') THEN NULL ELSE c.image END AS image_name,
         CASE WHEN regexp_full_match(coalesce(c.image_id, c.image, ''), '(sha256:)?[0-9a-f]{12,64}') THEN coalesce(c.image_id, c.image) END AS image_hex
  FROM crictl_containers c
  LEFT JOIN id_aliases a ON a.snapshot_id = c.snapshot_id AND a.kind = 'container' AND a.observed = c.container_id
  LEFT JOIN id_aliases b ON b.snapshot_id = c.snapshot_id AND b.kind = 'sandbox' AND b.observed = c.sandbox_id
)
SELECT o.snapshot_id, any_value(o.node) AS node, o.cid AS container_id,
       arg_min(sid, prio) FILTER (WHERE sid IS NOT NULL) AS sandbox_id,
       arg_min(name, prio) FILTER (WHERE name IS NOT NULL) AS name,
       arg_min(attempt, prio) FILTER (WHERE attempt IS NOT NULL) AS attempt,
       arg_min(state, prio) FILTER (WHERE state IS NOT NULL) AS state,
       coalesce(arg_min(image_name, prio) FILTER (WHERE image_name IS NOT NULL), arg_min(image_hex, prio) FILTER (WHERE image_hex IS NOT NULL)) AS image,
       arg_max(image_hex, length(image_hex)) FILTER (WHERE image_hex IS NOT NULL) AS image_id,
       arg_min(image_ref, prio) FILTER (WHERE image_ref IS NOT NULL) AS image_ref,
       arg_min(created_at, prio) FILTER (WHERE created_at IS NOT NULL) AS created_at,
       arg_min(created_text, prio) FILTER (WHERE created_text IS NOT NULL) AS created_text,
       arg_min(started_at, prio) FILTER (WHERE started_at IS NOT NULL) AS started_at,
       arg_min(finished_at, prio) FILTER (WHERE finished_at IS NOT NULL) AS finished_at,
       arg_min(exit_code, prio) FILTER (WHERE exit_code IS NOT NULL) AS exit_code,
       arg_min(reason, prio) FILTER (WHERE reason IS NOT NULL) AS reason,
       arg_min(pid, prio) FILTER (WHERE pid IS NOT NULL) AS pid,
       arg_min(log_path, prio) FILTER (WHERE log_path IS NOT NULL) AS log_path,
       arg_min(pod_name, prio) FILTER (WHERE pod_name IS NOT NULL) AS pod_name,
       arg_min(pod_namespace, prio) FILTER (WHERE pod_namespace IS NOT NULL) AS pod_namespace,
       arg_min(pod_uid, prio) FILTER (WHERE pod_uid IS NOT NULL) AS pod_uid,
       list(DISTINCT source ORDER BY source) AS sources
FROM o WHERE o.cid IS NOT NULL
GROUP BY o.snapshot_id, o.cid
""")

view("images", "Images per node (crictl images), the JSON form preferred over the table.", """
WITH r AS (
  SELECT i.*, row_number() OVER (PARTITION BY snapshot_id, repo, tag ORDER BY CASE source WHEN 'crictl-images-json' THEN 1 ELSE 2 END) AS rn
  FROM crictl_images i WHERE repo IS NOT NULL
)
SELECT snapshot_id, node, repo, tag, image_id, digest, size_bytes, coalesce(size_text, '') AS size_text, pinned, source FROM r WHERE rn = 1
""")

view("api_snapshots", "For each site, the snapshot whose kubectl dump is used (the latest one that has one).", """
SELECT site, arg_max(snapshot_id, coalesce(collected_at, ingested_at)) AS snapshot_id
FROM snapshots s WHERE EXISTS (SELECT 1 FROM api_pods p WHERE p.snapshot_id = s.snapshot_id)
   OR EXISTS (SELECT 1 FROM api_nodes n WHERE n.snapshot_id = s.snapshot_id)
GROUP BY site
""")

view("pods", "Pods of the Kubernetes API (one kubectl dump per site; JSON preferred over describe, describe over tables; "
     "what a describe cut short does not show (restarts, ready, status), and the age a table printed, from the next source that shows it).", """
WITH r0 AS (
  SELECT s.site, p.*, row_number() OVER w AS rn,
         first_value(p.restarts IGNORE NULLS) OVER wf AS f1,
         first_value(p.ready_text IGNORE NULLS) OVER wf AS f2,
         first_value(p.status_text IGNORE NULLS) OVER wf AS f3,
         first_value(p.age_text IGNORE NULLS) OVER wf AS f4
  FROM api_pods p JOIN snapshots s USING (snapshot_id)
  WINDOW w AS (PARTITION BY s.site, p.namespace, p.name
               ORDER BY CASE p.source WHEN 'kubectl-json' THEN 1 WHEN 'kubectl-describe' THEN 2 ELSE 3 END, s.collected_at DESC NULLS LAST),
         wf AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
),
-- one column a step: DuckDB renders an EXCLUDE or REPLACE list of several in no fixed order, and a view must read
-- back exactly as it was written (Store.temp_views)
r1 AS (SELECT * EXCLUDE (f1) REPLACE (coalesce(restarts, f1) AS restarts) FROM r0),
r2 AS (SELECT * EXCLUDE (f2) REPLACE (coalesce(ready_text, f2) AS ready_text) FROM r1),
r3 AS (SELECT * EXCLUDE (f3) REPLACE (coalesce(status_text, f3) AS status_text) FROM r2),
r AS (SELECT * EXCLUDE (f4) REPLACE (coalesce(age_text, f4) AS age_text) FROM r3)
-- a `kubectl get pods` table without -A has no namespace: such a row stands for a pod the site
-- knows in a namespace when the name is there
SELECT * EXCLUDE (rn) FROM r WHERE rn = 1
  AND NOT (namespace IS NULL AND EXISTS (SELECT 1 FROM r q WHERE q.site = r.site AND q.name = r.name AND q.namespace IS NOT NULL))
""")

view("nodes", "Nodes of each site: the API's view joined with each node's own bundle (latest snapshot per node).", """
WITH api AS (
  SELECT s.site, n.*, row_number() OVER (PARTITION BY s.site, n.name ORDER BY CASE n.source WHEN 'kubectl-json' THEN 1 WHEN 'kubectl-describe' THEN 2 ELSE 3 END, s.collected_at DESC NULLS LAST) AS rn
  FROM api_nodes n JOIN snapshots s USING (snapshot_id)
),
snap AS (
  SELECT *, row_number() OVER (PARTITION BY site, node ORDER BY collected_at DESC NULLS LAST) AS rn FROM snapshots WHERE node IS NOT NULL AND node <> 'cluster'
)
SELECT coalesce(a.site, s.site) AS site, coalesce(a.name, s.node) AS name, s.snapshot_id, s.hostname,
       coalesce(CASE WHEN list_contains(a.roles, 'control-plane') OR list_contains(a.roles, 'master') THEN 'control-plane' END, s.role,
                CASE WHEN a.name IS NOT NULL THEN 'worker' END) AS role,
       a.roles, a.ready, a.status_text, a.kubelet_version, a.runtime_version, a.kernel_version, a.os_image, a.architecture,
       a.internal_ip, a.external_ip, a.memory_pressure, a.disk_pressure, a.pid_pressure, a.unschedulable,
       s.collected_at, s.timezone, s.utc_offset, s.kind AS snapshot_kind, (a.name IS NOT NULL) AS in_api, (s.snapshot_id IS NOT NULL) AS has_bundle,
       a.source AS api_source, a.age_text, a.created_at, a.labels, a.taints, a.conditions, a.capacity, a.allocatable
FROM (SELECT * FROM api WHERE rn = 1) a
FULL OUTER JOIN (SELECT * FROM snap WHERE rn = 1) s ON s.site = a.site AND s.node = a.name
""")

view("pod_processes", "One row per process of a pod (pause, container processes, descendants), and one with NULL pid per container with no process found. The seed's walk: node -> pod -> sandbox -> containers -> shim -> processes -> log directory.", """
WITH shim AS (
  SELECT snapshot_id, sandbox_id, container_id, min(pid) AS shim_pid FROM process_links WHERE role = 'shim' GROUP BY ALL
),
p AS (
  SELECT snapshot_id, pid, arg_min(ppid, CASE WHEN ppid IS NULL THEN 1 ELSE 0 END) AS ppid, any_value(user) AS "user",
         arg_min(command, CASE WHEN truncated THEN 1 ELSE 0 END) AS command
  FROM processes GROUP BY snapshot_id, pid
),
r AS (
  SELECT snapshot_id, pid, sandbox_id, container_id, role, join_method, evidence FROM process_links WHERE role <> 'shim'
  UNION ALL
  SELECT c.snapshot_id, NULL, c.sandbox_id, c.container_id, 'container', NULL, NULL FROM containers c
  WHERE NOT EXISTS (SELECT 1 FROM process_links l WHERE l.snapshot_id = c.snapshot_id AND l.container_id = c.container_id AND l.role <> 'shim')
)
SELECT s.node, coalesce(sb.namespace, c.pod_namespace) AS namespace, coalesce(sb.name, c.pod_name) AS pod,
       coalesce(sb.pod_uid, c.pod_uid) AS pod_uid, coalesce(r.sandbox_id, c.sandbox_id) AS pod_id,
       c.name AS container, r.container_id, c.image, c.image_id, c.state AS container_state, c.attempt,
       coalesce(cs.shim_pid, ss.shim_pid) AS shim_pid, r.pid, p.ppid, p."user", p.command,
       coalesce(sb.log_directory,
                CASE WHEN coalesce(sb.namespace, c.pod_namespace) IS NOT NULL AND coalesce(sb.pod_uid, c.pod_uid) IS NOT NULL
                     THEN '/var/log/pods/' || coalesce(sb.namespace, c.pod_namespace) || '_' || coalesce(sb.name, c.pod_name) || '_' || coalesce(sb.pod_uid, c.pod_uid) END,
                (SELECT min('/var/log/pods/' || lf.namespace || '_' || lf.pod || '_' || lf.pod_uid) FROM log_files lf
                 WHERE lf.snapshot_id = r.snapshot_id AND lf.layout = 'pods' AND lf.namespace = coalesce(sb.namespace, c.pod_namespace)
                   AND lf.pod = coalesce(sb.name, c.pod_name))) AS log_dir,
       r.join_method, r.evidence, r.role, r.snapshot_id, s.site
FROM r
JOIN snapshots s USING (snapshot_id)
LEFT JOIN containers c ON c.snapshot_id = r.snapshot_id AND c.container_id = r.container_id
LEFT JOIN sandboxes sb ON sb.snapshot_id = r.snapshot_id AND sb.sandbox_id = coalesce(r.sandbox_id, c.sandbox_id)
LEFT JOIN shim ss ON ss.snapshot_id = r.snapshot_id AND ss.sandbox_id = coalesce(r.sandbox_id, c.sandbox_id) AND ss.container_id IS NULL
LEFT JOIN shim cs ON cs.snapshot_id = r.snapshot_id AND cs.container_id = r.container_id
LEFT JOIN p ON p.snapshot_id = r.snapshot_id AND p.pid = r.pid
""")

view("pod_logs", "Container log files by pod, every file the node has: log directory, container, restart number, size and mtime on the node, "
     "copied into the bundle or only listed (outside --since...), lines, first and last timestamp, rotated or not; "
     "also the logs fetched through the API (kubectl logs, other tools' bundles: layout kubectl-logs, no log directory).", """
SELECT lf.snapshot_id, lf.node, lf.namespace, lf.pod, lf.pod_uid,
       CASE WHEN lf.layout IN ('pods', 'crio-id') THEN '/var/log/pods/' || lf.namespace || '_' || lf.pod || '_' || lf.pod_uid
            WHEN lf.layout = 'pods-old' THEN '/var/log/pods/' || lf.pod_uid END AS log_dir,
       lf.container, lf.restart, lf.path, lf.rotated, lf.decompressed, lf.size, lf.bytes, lf.truncated, lf.line_count,
       lf.first_ts, lf.last_ts, lf.format, lf.file_id, lf.layout, lf.mtime, lf.file_id IS NOT NULL AS copied, lf.member
FROM log_files lf WHERE lf.layout IN ('pods', 'pods-old', 'crio-id', 'kubectl-logs')
""")

view("process_tree", "Every process of every node with what it belongs to: a pod's container, a host service, or nothing known.", """
WITH p AS (
  SELECT snapshot_id, pid, arg_min(ppid, CASE WHEN ppid IS NULL THEN 1 ELSE 0 END) AS ppid, any_value(user) AS "user",
         arg_min(command, CASE WHEN truncated THEN 1 ELSE 0 END) AS command, any_value(started_at) AS started_at, any_value(rss_kb) AS rss_kb
  FROM processes GROUP BY snapshot_id, pid
),
cg AS (
  SELECT snapshot_id, pid, any_value(regexp_extract(path, '/system\\.slice/([^/]+)\\.service', 1)) FILTER (WHERE path LIKE '%.service%') AS unit
  FROM process_cgroups GROUP BY snapshot_id, pid
)
SELECT s.node, p.pid, p.ppid, p."user", p.command, p.started_at, p.rss_kb, l.role,
       coalesce(l.join_method, '') AS join_method,
       sb.namespace, sb.name AS pod, c.name AS container, l.sandbox_id AS pod_id, l.container_id,
       CASE WHEN l.role IN ('pause', 'container', 'descendant') THEN 'pod'
            WHEN l.role = 'shim' THEN 'runtime'
            WHEN nullif(cg.unit, '') IS NOT NULL THEN 'host-service'
            WHEN regexp_matches(p.command, '(^|/)(kubelet|containerd|dockerd|crio|k3s|rke2|k0s|etcd|kube-apiserver)( |$)') THEN 'host-service'
            ELSE 'host' END AS owner,
       coalesce(nullif(cg.unit, ''), regexp_extract(p.command, '(?:^|/)(kubelet|containerd|dockerd|crio|k3s|rke2|k0s)(?: |$)', 1)) AS service,
       p.snapshot_id
FROM p JOIN snapshots s USING (snapshot_id)
LEFT JOIN process_links l ON l.snapshot_id = p.snapshot_id AND l.pid = p.pid
LEFT JOIN sandboxes sb ON sb.snapshot_id = p.snapshot_id AND sb.sandbox_id = l.sandbox_id
LEFT JOIN containers c ON c.snapshot_id = p.snapshot_id AND c.container_id = l.container_id
LEFT JOIN cg ON cg.snapshot_id = p.snapshot_id AND cg.pid = p.pid
""")

view("journal_lines", "Kubelet, runtime and kernel journal lines, each line once: a line that several members hold (journalctl output and "
     "/var/log/syslog or messages, a kernel line in the journal and dmesg) is one row with every copy as evidence. Same line: same "
     "snapshot, same time to the second (syslog stamps are local time shifted to UTC at ingest, journalctl carries its zone), same "
     "identifier and pid, same message; the n-th copy in one member matches the n-th in another. The row's member, line_no, ts and "
     "source are those of the preferred copy (journal, then the runtime's own log, then syslog, then dmesg); `sources` and "
     "`evidence` (member:line) list them all.", """
WITH k AS (
  SELECT *, CASE source WHEN 'journal' THEN 1 WHEN 'runtime-log' THEN 2 WHEN 'syslog' THEN 3 ELSE 4 END AS prio,
         date_trunc('second', ts) AS sec
  FROM journal
),
n AS (
  SELECT *, row_number() OVER (PARTITION BY snapshot_id, member, sec, ident, pid, message ORDER BY line_no) AS nth FROM k
),
-- how many copies each line has (a line without a time is never taken for another one): most have one, and pass as
-- they are; only those with copies are grouped (a GROUP BY of every line with its ordered lists did not spill: timeline
-- over a 2M-line journal ran out of 200 MB, and took 1.1 GB under the default limit)
c AS (
  SELECT *, count(*) OVER (PARTITION BY snapshot_id, sec, ident, pid, message, nth, CASE WHEN sec IS NULL THEN member || ':' || line_no END) AS copies
  FROM n
),
g AS (
  SELECT snapshot_id, ident, pid, message, any_value(severity) AS severity, any_value(location) AS location,
         min({'prio': prio, 'member': member, 'line_no': line_no, 'ts': ts, 'node': node, 'host': host, 'source': source}) AS pick,
         list(DISTINCT source ORDER BY source) AS sources,
         list(member || ':' || line_no ORDER BY prio, member, line_no) AS evidence
  FROM c WHERE copies > 1
  GROUP BY snapshot_id, sec, ident, pid, message, nth
)
SELECT snapshot_id, node, member, line_no, ts, host, ident, pid, severity, location, message, source, [source] AS sources,
       [member || ':' || line_no] AS evidence
FROM c WHERE copies = 1
UNION ALL
SELECT snapshot_id, pick.node AS node, pick.member AS member, pick.line_no AS line_no, pick.ts AS ts, pick.host AS host,
       ident, pid, severity, location, message, pick.source AS source, sources, evidence
FROM g
""")

view("runtime_pods", "Pods as each node's runtime knows them: one row per sandbox that names its pod (crictl pods, inspectp), and one per pod known only from the POD / NAMESPACE columns of crictl ps (or inspect labels) where no sandbox record names it.", """
SELECT sb.snapshot_id, sb.node, sb.sandbox_id, sb.namespace, sb.name, sb.pod_uid, sb.state, sb.created_at, sb.created_text, sb.ip, sb.host_network,
       sb.labels, 'sandbox' AS known_from
FROM sandboxes sb WHERE sb.name IS NOT NULL
UNION ALL
SELECT c.snapshot_id, any_value(c.node), c.sandbox_id, c.pod_namespace, c.pod_name, any_value(c.pod_uid), NULL, NULL, NULL, NULL, NULL, NULL, 'container'
FROM containers c WHERE c.pod_name IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM sandboxes sb WHERE sb.snapshot_id = c.snapshot_id AND sb.sandbox_id = c.sandbox_id AND sb.name IS NOT NULL)
GROUP BY c.snapshot_id, c.sandbox_id, c.pod_namespace, c.pod_name
""")

view("api_pod_containers", "The containers of each pod of the `pods` view (its kubectl dump, describe or table): restarts, states, container ids.", """
SELECT p.site, c.* FROM pods p JOIN api_containers c ON c.snapshot_id = p.snapshot_id AND c.pod = p.name AND coalesce(c.namespace, '') = coalesce(p.namespace, '')
""")

view("process_cgroup_ids", "The cgroup of each process, with the pod uid and container id its path names (/proc/<pid>/cgroup).", """
SELECT snapshot_id, node, pid, path, driver, qos, pod_uid, container_id, runtime, kind FROM process_cgroups WHERE pid IS NOT NULL
""")

view("container_log_paths", "/var/log/containers/<pod>_<namespace>_<container>-<id>.log links and the /var/log/pods file each points to.", """
SELECT snapshot_id, node, '/var/log/containers/' || name AS path, namespace, pod, container, container_id, target FROM container_log_links
""")

view("node_filesystems", "df per node and mount: size and inode usage together.", """
SELECT snapshot_id, any_value(node) AS node, mount, any_value(filesystem) AS filesystem, any_value(fstype) AS fstype,
       max(size_kb) AS size_kb, max(used_kb) AS used_kb, max(avail_kb) AS avail_kb, max(used_pct) AS used_pct,
       max(inodes) AS inodes, max(inodes_used) AS inodes_used, max(inodes_used_pct) AS inodes_used_pct
FROM filesystems GROUP BY snapshot_id, mount
""")


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    for name, (_about, sql) in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")

"""Ansible callback of `kubesnap collect-site --method ansible`: one JSON line per host event
(started, ok, failed, unreachable, skipped) into $KUBESNAP_RESULT_FILE, so that the site
manifest can say which hosts answered and why the others did not, with durations.

Only what classifies a failure is written: the task, the message, the exit code and the tail
of stderr; never a task's arguments or variables. Without KUBESNAP_RESULT_FILE it does nothing.
"""

from __future__ import annotations

import json
import os
import threading
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: kubesnap_result
    type: aggregate
    short_description: per-host results of the kubesnap-site playbook, as JSON lines
    description:
      - Writes one JSON line per host event into the file named by KUBESNAP_RESULT_FILE.
    requirements:
      - enabled with ANSIBLE_CALLBACKS_ENABLED=kubesnap_result (kubesnap collect-site does it)
"""

TAIL = 2000


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "kubesnap_result"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.path = os.environ.get("KUBESNAP_RESULT_FILE")
        self.lock = threading.Lock()

    def _write(self, event: str, host: str, task: object, result: dict[str, object] | None = None) -> None:
        if not self.path:
            return
        rec: dict[str, object] = {"event": event, "host": host, "task": getattr(task, "get_name", lambda: str(task))(), "t": time.time()}
        if result is not None:
            for k in ("msg", "stderr", "module_stderr", "stdout"):
                v = result.get(k)
                if isinstance(v, str) and v:
                    rec[k] = v[-TAIL:]
            for k in ("rc", "dest", "changed"):
                if k in result:
                    rec[k] = result[k]
            if result.get("unreachable"):
                rec["unreachable"] = True
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, default=str) + "\n")

    def v2_runner_on_start(self, host: object, task: object) -> None:
        self._write("start", str(host), task)

    def v2_runner_on_ok(self, result: object) -> None:
        self._write("ok", str(result._host), result._task, dict(result._result))  # type: ignore[attr-defined]

    def v2_runner_on_failed(self, result: object, ignore_errors: bool = False) -> None:
        self._write("failed", str(result._host), result._task, dict(result._result))  # type: ignore[attr-defined]

    def v2_runner_on_unreachable(self, result: object) -> None:
        self._write("unreachable", str(result._host), result._task, dict(result._result))  # type: ignore[attr-defined]

    def v2_runner_on_skipped(self, result: object) -> None:
        self._write("skipped", str(result._host), result._task)  # type: ignore[attr-defined]

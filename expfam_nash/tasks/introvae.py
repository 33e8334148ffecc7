"""The ``introvae-table`` task: the Soft-IntroVAE benchmark's results table from run directories
(every ``summary.json`` under them), one line per dataset x method x schedule with the mean and
standard error over seeds of grid KL, grid JSD, gnELBO (x 1e7) and the textbook JS (nats).

    expfam-nash introvae-table runs/introvae/scaled10 runs/introvae/full [--json]
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

from ..core.jsonable import jsonable
from ..core.registry import Arg
from ..core.tasks import TASKS, Task

#: where the protocol driver (``python -m expfam_nash.introvae drive``) puts its runs by default
DEFAULT_ROOT = "runs/introvae"


@dataclass(frozen=True)
class IntroTable:
    """The aggregated table (``rows``: one dict per dataset x method x steps with ``n``, ``diverged``
    and ``METRIC_mean`` / ``METRIC_se``), the runs it read, and the summaries it could not read."""

    dirs: tuple[str, ...]
    rows: tuple[dict, ...]
    runs: int
    skipped: tuple[str, ...]
    markdown: str

    def summary(self) -> str:
        lines = [self.markdown, f"{self.runs} runs under {', '.join(self.dirs)}"]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} unreadable summaries: {'; '.join(self.skipped)}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"dirs": list(self.dirs), "rows": [_clean(r) for r in self.rows], "runs": self.runs,
                         "skipped": list(self.skipped)})


def _clean(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


def table_compute(options: dict) -> IntroTable:
    try:
        from ..introvae import table
    except ImportError as exc:
        raise ImportError(f"introvae-table: needs the optional extra 'introvae' ({exc}); "
                          "install it with: pip install 'expfam-nash[introvae]'") from None
    dirs = tuple(str(d) for d in options.get("dirs") or ()) or (DEFAULT_ROOT,)
    rows, skipped = table.runs(dirs)
    frame = table.aggregate(rows)
    records = tuple(jsonable(frame.to_dict("records"))) if not frame.empty else ()
    return IntroTable(dirs, records, len(rows), tuple(skipped), table.markdown(frame))


def table_run(options: dict) -> int:
    result = table_compute(options)
    print(json.dumps(result.to_dict()) if options.get("json") else result.summary())
    return 0


TASKS.register("introvae-table", Task(run=table_run),
               args=(Arg("dirs", str, None, "run directories (searched recursively for summary.json; "
                         f"default {DEFAULT_ROOT})", positional=True, nargs="*"),
                     Arg("json", bool, False, "print one JSON object instead of the Markdown table", sweep=False)),
               help="the Soft-IntroVAE benchmark's table from run directories: mean and standard error over "
                    "seeds per dataset x method")

"""What a run writes beside its record: ``table.csv`` (one row per point) and the declared
plotly figures, ``figures/<id>.json``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.record import ResultRecord, metric_value
from cortex.experiments.store import FIGURES_DIR
from cortex.files import atomic_write_text


def table_rows(record: ResultRecord) -> list[dict]:
    """One row per point: its parameters, each metric's value (and ``<metric>_iqr`` for
    measurements), status and error."""
    rows = []
    for point in record["points"]:
        row = dict(point["params"])
        for name, value in point.get("metrics", {}).items():
            row[name] = metric_value(value)
            if isinstance(value, dict):
                row[f"{name}_iqr"] = value.get("iqr")
        row["status"] = point.get("status")
        row["error"] = point.get("error")
        rows.append(row)
    return rows


def table_csv(record: ResultRecord) -> str:
    rows = table_rows(record)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_outputs(spec: ExperimentSpec, record: ResultRecord, folder: Path) -> list[Path]:
    """Write ``table.csv`` and ``figures/<id>.json`` for a record; returns the paths written.
    Without plotly and pandas installed the figures are skipped (``--render-only`` makes them
    later)."""
    folder = Path(folder)
    written = [folder / "table.csv"]
    atomic_write_text(written[0], table_csv(record))
    if not spec.figures:
        return written
    try:
        import pandas  # noqa: F401
        import plotly  # noqa: F401
    except ImportError:
        return written
    from cortex.experiments.plots import build_figure  # it draws with plotly and pandas

    figures_dir = folder / FIGURES_DIR
    keep = {f"{f.id}.json" for f in spec.figures}
    if figures_dir.is_dir():
        for old in figures_dir.glob("*.json"):
            if old.name not in keep:
                old.unlink()
    for figure in spec.figures:
        path = figures_dir / f"{figure.id}.json"
        atomic_write_text(path, build_figure(figure, spec, record).to_json())
        written.append(path)
    return written

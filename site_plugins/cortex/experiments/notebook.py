"""What a notebook calls to read a result: ``record = read_result("fp_formats")``.

It returns the experiment's current record and shows, as the cell's output, which run that
record is. The output also carries the run's identity (``RESULT_MIMETYPE``), so that when the
site is built from a notebook whose record has since moved on (a newer run, or a run whose
inputs changed) the output is marked stale, as a quote of a stale result is."""

from __future__ import annotations

from pathlib import Path

from markupsafe import escape

from cortex.diagnostics import Diagnostic
from cortex.experiments.display import provenance_line
from cortex.experiments.record import ResultRecord
from cortex.experiments.store import read_record

RESULT_MIMETYPE = "application/vnd.cortex.result+json"


def find_record(experiment: str, start: Path | None = None) -> Path:
    """``results/<experiment>/result.json`` in ``start`` (the working folder) or the nearest
    folder above it."""
    here = Path.cwd() if start is None else Path(start)
    for folder in (here, *here.parents):
        path = folder / "results" / experiment / "result.json"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no results/{experiment}/result.json above {here}: run the experiment first")


def read_result(experiment: str, start: Path | None = None) -> ResultRecord:
    """The experiment's current record, shown (in IPython) as an output naming its run."""
    found = read_record(find_record(experiment, start))
    if isinstance(found, Diagnostic):
        raise ValueError(str(found))
    if found is None:
        raise FileNotFoundError(f"results/{experiment}/result.json cannot be read")
    try:
        from IPython.display import display
    except ImportError:  # outside IPython there is no output to show
        return found
    display(result_bundle(experiment, found), raw=True)
    return found


def run_identity(record: ResultRecord) -> dict[str, str]:
    """What tells one run of an experiment from another."""
    prov = record.get("provenance", {})
    return {
        "started_at": str(prov.get("started_at", "")),
        "input_hash": str(prov.get("input_hash", {}).get("sha256", "")),
    }


def result_bundle(experiment: str, record: ResultRecord) -> dict:
    """The output ``read_result`` shows: the run in words, and its identity for the site."""
    about = provenance_line(record, None).replace("\n", "; ")
    text = f"{experiment}: {about}"
    return {
        RESULT_MIMETYPE: {"experiment": experiment, **run_identity(record)},
        "text/plain": text,
        "text/html": f'<p class="cortex-notebook-result">{escape(text)}</p>',
    }

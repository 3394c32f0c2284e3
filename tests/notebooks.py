"""Runs the notebooks headless with the Rust kernel, and checks what they show.

    .venv/bin/python tests/notebooks.py check [NOTEBOOK ...]       (scripts/test runs this)
    .venv/bin/python tests/notebooks.py regenerate [NOTEBOOK ...]  (rewrites committed outputs)
    .venv/bin/python tests/notebooks.py warm-up                    (scripts/setup-notebooks)

Without NOTEBOOK arguments it takes every notebook in notebooks/ and tests/notebooks/.

`check` executes a copy of each notebook in its own folder (so relative paths work
as in Jupyter), writes the executed copy to a temporary folder, and fails when
  - a cell raises an error (a compile error, a panic, an `Err` from a cell);
  - a code cell shows nothing where the committed notebook shows output;
  - a chart is missing: the committed cell shows an image and the new run does not;
  - a table is missing: the committed cell shows HTML and the new run does not;
  - a cell shows something else than the committed notebook: the notebooks run on
    the shipped samples and every output is deterministic, so each committed output
    (tables, charts, text; not the timings of stderr) is an asserted example;
  - the first code cell is not the SmartView header (`header_for`).
It prints each notebook's run time and the time of each code cell.

`regenerate` executes each notebook and writes it back with its new outputs, with
run-dependent metadata (timings) removed, so a rerun on the same data gives the same
file.
"""

from __future__ import annotations

import copy
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
KERNEL = "smartview-rust"
# A cell may compile SmartView and Polars for the kernel when the build folder is
# cold or the checkout moved: allow for it.
CELL_TIMEOUT_S = 3600

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
IMAGE = "image/svg+xml"
HTML = "text/html"
# What a failed cell shows. evcxr reports an `Err` returned through `?` on standard
# error only (no error output, an "ok" reply), sometimes while the next cell runs.
FAILED = {"error", "stderr"}


def notebooks(args: list[str]) -> list[Path]:
    if args:
        return [Path(a).resolve() for a in args]
    found = sorted((ROOT / "notebooks").glob("*.ipynb"))
    found += sorted((ROOT / "tests" / "notebooks").glob("*.ipynb"))
    return found


def shown(path: Path) -> str:
    """A notebook's path for messages: relative to the project when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def execute(nb: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    """Runs a copy of `nb` with `folder` as the working directory."""
    executed = copy.deepcopy(nb)
    client = NotebookClient(
        executed,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT_S,
        allow_errors=True,
        record_timing=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return executed


def cell_seconds(cell: nbformat.NotebookNode) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not start or not end:
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (parse(end) - parse(start)).total_seconds()


def kinds(cell: nbformat.NotebookNode) -> set[str]:
    """What a code cell shows: 'error', 'stdout', 'stderr', and the MIME types it
    displays."""
    seen = set()
    for out in cell.get("outputs", []):
        if out["output_type"] == "error":
            seen.add("error")
        elif out["output_type"] == "stream":
            if out.get("text", "").strip():
                seen.add(out.get("name", "stdout"))
        else:
            seen.update(out.get("data", {}).keys())
    return seen


def failures(executed: nbformat.NotebookNode) -> list[str]:
    """The error text of every cell that failed."""
    return [error_text(c) for c in executed.cells if kinds(c) & FAILED]


def error_text(cell: nbformat.NotebookNode) -> str:
    stderr = "".join(
        out.get("text", "") for out in cell.get("outputs", [])
        if out["output_type"] == "stream" and out.get("name") == "stderr"
    )
    if stderr.strip():
        return ANSI_ESCAPE.sub("", stderr.strip())[:2000]
    for out in cell.get("outputs", []):
        if out["output_type"] == "error":
            lines = [out.get("ename", ""), out.get("evalue", "")] + out.get("traceback", [])
            text = "\n".join(line for line in lines if line)
            return ANSI_ESCAPE.sub("", text)[:2000]
    return ""


def shown_outputs(cell: nbformat.NotebookNode) -> list[str]:
    """What a code cell shows, as comparable text: each displayed value by MIME type,
    and its standard output. Standard error (progress, timings) is left out."""
    shown_parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            if out.get("name") == "stdout":
                shown_parts.append("stdout: " + out.get("text", ""))
        elif out["output_type"] in {"display_data", "execute_result"}:
            for mime, data in sorted(out.get("data", {}).items()):
                text = "".join(data) if isinstance(data, list) else str(data)
                shown_parts.append(f"{mime}: {text}")
    return shown_parts


def first_difference(was: list[str], now: list[str]) -> str:
    """The first line where two cells' outputs differ, for the message."""
    was_lines = "\n".join(was).splitlines()
    now_lines = "\n".join(now).splitlines()
    for index, (a, b) in enumerate(zip(was_lines, now_lines)):
        if a != b:
            at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            start = max(0, at - 60)
            return (f"line {index + 1}, from character {start + 1}: "
                    f"committed {a[start:at + 100]!r}, now {b[start:at + 100]!r}")
    return f"committed {len(was_lines)} lines, now {len(now_lines)}"


def problems(
    committed: nbformat.NotebookNode, executed: nbformat.NotebookNode, folder: Path
) -> list[str]:
    found = []
    code = [c for c in committed.cells if c.cell_type == "code"]
    if not code or code[0].source.strip() != header_for(folder):
        found.append(f"the first code cell is not the SmartView header:\n{header_for(folder)}")
    number = 0
    for before, after in zip(committed.cells, executed.cells):
        if before.cell_type != "code":
            continue
        number += 1
        where = f"code cell {number} ({before.source.strip().splitlines()[0][:60]!r})" if before.source.strip() else f"code cell {number}"
        was, now = kinds(before), kinds(after)
        if now & FAILED:
            found.append(f"{where} failed:\n{error_text(after)}")
            continue
        if was - FAILED and not now:
            found.append(f"{where} shows nothing; the committed notebook shows {sorted(was)}")
            continue
        if IMAGE in was and IMAGE not in now:
            found.append(f"{where} lost its chart ({IMAGE})")
            continue
        if HTML in was and HTML not in now and IMAGE not in now:
            found.append(f"{where} lost its table ({HTML})")
            continue
        if shown_outputs(before) != shown_outputs(after):
            found.append(
                f"{where} shows something else than the committed notebook "
                f"({first_difference(shown_outputs(before), shown_outputs(after))}); "
                "if the change is intended, regenerate the notebook"
            )
    return found


def timings(executed: nbformat.NotebookNode) -> str:
    times = [cell_seconds(c) for c in executed.cells if c.cell_type == "code"]
    times = [t for t in times if t is not None]
    if not times:
        return ""
    later = f", slowest later cell {max(times[1:]):.1f} s" if len(times) > 1 else ""
    each = ", ".join(f"{t:.1f}" for t in times)
    return f"first cell {times[0]:.1f} s{later}; cells in order: {each} s"


def strip_run_metadata(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)


def check(paths: list[Path]) -> int:
    failed = 0
    out_dir = Path(tempfile.mkdtemp(prefix="smartview-notebooks-"))
    for path in paths:
        committed = nbformat.read(path, as_version=4)
        started = time.monotonic()
        executed = execute(committed, path.parent)
        seconds = time.monotonic() - started
        nbformat.write(executed, out_dir / path.name)
        found = problems(committed, executed, path.parent)
        status = "FAILED" if found else "ok"
        print(f"notebook {shown(path)}: {status} in {seconds:.1f} s ({timings(executed)})")
        for problem in found:
            print(f"  - {problem}")
        failed += bool(found)
    print(f"executed copies in {out_dir}")
    if failed:
        print(f"{failed} of {len(paths)} notebooks failed the check")
    return 1 if failed else 0


def regenerate(paths: list[Path]) -> int:
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        started = time.monotonic()
        executed = execute(nb, path.parent)
        errors = failures(executed)
        if errors:
            print(f"notebook {shown(path)}: not written, a cell failed:\n{errors[0]}")
            return 1
        seconds, cell_times = time.monotonic() - started, timings(executed)
        strip_run_metadata(executed)
        nbformat.write(executed, path)
        print(f"notebook {shown(path)}: regenerated in {seconds:.1f} s ({cell_times})")
    return 0


def run_cells(sources: list[str]) -> tuple[nbformat.NotebookNode, list[str], float]:
    """Runs `sources` as the code cells of a new notebook in notebooks/; returns the
    executed notebook, the error text of every cell that failed, and the seconds the
    whole run took."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    started = time.monotonic()
    executed = execute(nb, ROOT / "notebooks")
    return executed, failures(executed), time.monotonic() - started


def warm_up() -> int:
    """Runs the header and one small frame, compiling everything the kernel needs."""
    executed, errors, seconds = run_cells(
        [header_for(ROOT / "notebooks"), 'show(&df!("n" => [1i64, 2, 3])?)'])
    if errors:
        print(f"warm-up failed:\n{errors[0]}")
        return 1
    print(f"warm-up done in {seconds:.1f} s ({timings(executed)})")
    return 0


def header_for(folder: Path) -> str:
    """The header cell of a notebook in `folder`: notebooks/README.md explains it."""
    kernel = Path("kernel") if folder == ROOT / "notebooks" else Path(
        *[".."] * len(folder.relative_to(ROOT).parts), "notebooks", "kernel")
    return "\n".join([
        f':dep smartview-kernel = {{ path = "{kernel.as_posix()}" }}',
        "use smartview_kernel::{plotters, polars, smartview};",
        "use smartview::prelude::*;",
        "use smartview::notebook::*;",
        "let kernel = ready();",
        "kernel",
    ])


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"check", "regenerate", "warm-up"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "warm-up":
        return warm_up()
    paths = notebooks(rest)
    if not paths:
        print("no notebooks found")
        return 1
    return check(paths) if command == "check" else regenerate(paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Tests of the notebook check's verdicts (tests/notebooks.py), on hand-made notebooks.

    .venv/bin/python -m unittest tests/test_notebook_check.py   (scripts/test runs this)
"""

import sys
import unittest
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

sys.path.insert(0, str(Path(__file__).resolve().parent))
import notebooks  # noqa: E402

FOLDER = notebooks.ROOT / "notebooks"
HEADER = notebooks.header_for(FOLDER)


def html(text="<table></table>"):
    return new_output("execute_result", data={"text/html": text}, execution_count=1)


def svg():
    return new_output("execute_result", data={"image/svg+xml": "<svg/>"}, execution_count=1)


def stderr(text):
    return new_output("stream", name="stderr", text=text)


def notebook(*outputs_per_cell, header=HEADER):
    """A notebook: the header, a markdown cell, then one code cell per output list."""
    nb = new_notebook()
    nb.cells = [new_code_cell(header), new_markdown_cell("A step.")]
    for number, outputs in enumerate(outputs_per_cell):
        cell = new_code_cell(f"show_step({number})")
        cell.outputs = list(outputs)
        nb.cells.append(cell)
    return nb


class Verdicts(unittest.TestCase):
    def test_same_outputs_pass(self):
        committed = notebook([html()], [svg()])
        self.assertEqual(notebooks.problems(committed, notebook([html()], [svg()]), FOLDER), [])

    def test_a_table_with_other_values_fails(self):
        # The notebooks are deterministic: a committed output is an asserted example.
        committed = notebook([html("<table>old</table>")])
        executed = notebook([html("<table>new numbers</table>")])
        found = notebooks.problems(committed, executed, FOLDER)
        self.assertEqual(len(found), 1)
        self.assertIn("shows something else than the committed notebook", found[0])
        self.assertIn("'text/html: <table>new numbers</table>'", found[0])

    def test_a_changed_chart_or_printed_line_fails(self):
        chart = new_output("execute_result", data={"image/svg+xml": "<svg>2</svg>"}, execution_count=1)
        printed = new_output("stream", name="stdout", text="rows: 3\n")
        found = notebooks.problems(
            notebook([svg()], [new_output("stream", name="stdout", text="rows: 2\n")]),
            notebook([chart], [printed]),
            FOLDER,
        )
        self.assertEqual(len(found), 2)
        self.assertIn("code cell 2", found[0])
        self.assertIn("code cell 3", found[1])

    def test_error_output_fails(self):
        executed = notebook([new_output("error", ename="Error", evalue="cannot find value `x`", traceback=[])])
        found = notebooks.problems(notebook([html()]), executed, FOLDER)
        self.assertEqual(len(found), 1)
        self.assertIn("code cell 2", found[0])
        self.assertIn("cannot find value `x`", found[0])

    def test_standard_error_fails(self):
        # evcxr reports an `Err` returned through `?` this way only.
        executed = notebook([html(), stderr('not found: "region" not found\n')])
        found = notebooks.problems(notebook([html()]), executed, FOLDER)
        self.assertEqual(len(found), 1)
        self.assertIn('"region" not found', found[0])

    def test_a_cell_that_shows_nothing_fails(self):
        found = notebooks.problems(notebook([html()]), notebook([]), FOLDER)
        self.assertEqual(len(found), 1)
        self.assertIn("shows nothing", found[0])

    def test_a_missing_chart_fails(self):
        executed = notebook([html()], [new_output("execute_result", data={"text/plain": "Svg(..)"}, execution_count=1)])
        found = notebooks.problems(notebook([html()], [svg()]), executed, FOLDER)
        self.assertEqual(len(found), 1)
        self.assertIn("lost its chart", found[0])

    def test_a_table_turned_into_text_fails(self):
        executed = notebook([new_output("execute_result", data={"text/plain": "FrameView {..}"}, execution_count=1)])
        found = notebooks.problems(notebook([html()]), executed, FOLDER)
        self.assertEqual(found, ["code cell 2 ('show_step(0)') lost its table (text/html)"])

    def test_a_notebook_without_the_header_fails(self):
        committed = notebook([html()], header=':dep polars = "0.55"')
        executed = notebook([html()], header=':dep polars = "0.55"')
        found = notebooks.problems(committed, executed, FOLDER)
        self.assertEqual(len(found), 1)
        self.assertIn("not the SmartView header", found[0])

    def test_header_path_depends_on_the_folder(self):
        self.assertIn('path = "kernel"', HEADER)
        nested = notebooks.header_for(notebooks.ROOT / "tests" / "notebooks")
        self.assertIn('path = "../../notebooks/kernel"', nested)

    def test_cell_times_come_from_the_recorded_timing(self):
        cell = new_code_cell("1")
        cell.metadata["execution"] = {
            "iopub.execute_input": "2026-11-22T07:00:00.250Z",
            "shell.execute_reply": "2026-11-22T07:00:01.750Z",
        }
        self.assertEqual(notebooks.cell_seconds(cell), 1.5)


if __name__ == "__main__":
    unittest.main()

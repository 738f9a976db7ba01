"""The README's Python examples run as a notebook would run them: every ```python block, in order, in one
namespace, in an empty folder; each must run without an error."""
import os
import re

SOURCE = os.environ.get("LRF_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def python_blocks():
    with open(os.path.join(SOURCE, "README.md")) as f:
        return re.findall(r"^```python\n(.*?)^```", f.read(), flags=re.S | re.M)


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    blocks = python_blocks()
    assert len(blocks) >= 2, "the README's Python examples are gone"
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, block in enumerate(blocks, 1):
        exec(compile(block, f"README.md python block {number}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "<lrfinder.Result" in printed  # the first example prints its result

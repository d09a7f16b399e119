"""The zoo command line."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from zoo_cli.main import main


def test_console_script_help():
    exe = shutil.which("zoo") or f"{sys.executable} -m zoo_cli"
    result = subprocess.run(f"{exe} --help", shell=True, capture_output=True, text=True)
    assert result.returncode == 0
    assert "parity" in result.stdout and "unfold" in result.stdout


LIGHT = """
import sys
from zoo_cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as stop:
    if stop.code:
        raise
print(sorted(m for m in ("tensorflow", "keras") if m in sys.modules))
"""


@pytest.mark.parametrize("command", [["--help"], ["list"], ["info", "imdb-lstm"], ["predict", "imdb-lstm", " "]])
def test_help_list_info_and_bad_input_import_no_tensorflow(command):
    """What the user asks of the cards, and wrong input, answer without TensorFlow's start-up."""
    result = subprocess.run([sys.executable, "-c", LIGHT, *command], capture_output=True, text=True,
                            env={k: v for k, v in os.environ.items() if k != "ZOO_LAZY_IMPORT"})
    if command[0] == "predict":
        assert result.returncode == 1 and result.stderr.strip() == "zoo predict: error: empty text: give non-empty texts"
        return
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]" and result.stderr == ""


def test_predict_prints_nothing_on_stderr():
    result = subprocess.run([sys.executable, "-m", "zoo_cli", "predict", "imdb-lstm", "great film"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split("\t")[0] in ("positive", "negative")
    assert result.stderr == ""


@pytest.mark.parametrize("command", ["parity", "unfold"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    assert "usage: zoo " + command in capsys.readouterr().out


def test_parity_prints_small_differences_for_every_cell(capsys):
    main(["parity", "--masked"])
    rows = [line for line in capsys.readouterr().out.splitlines() if re.search(r"float(32|64)", line)]
    assert len(rows) == 12
    for row in rows:
        out, grad = (float(v) for v in row.split()[-2:])
        limit = 1e-5 if "float32" in row else 1e-6
        assert out <= limit and grad <= limit, row


def test_unfold_draws_text(capsys):
    main(["unfold", "gru", "-k", "4", "--units", "2"])
    text = capsys.readouterr().out
    assert text.count("[A]") == 4 and "GRUCell(units=2)" in text


def test_bad_values_are_refused_with_a_message(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["unfold", "lstm", "-k", "0"])
    assert stop.value.code == 2
    assert "positive" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["parity", "--bidirectional", "--go-backwards"])
    assert "do not go together" in str(stop.value.code)

"""The zoo command line."""

import re
import shutil
import subprocess
import sys

import pytest

from zoo.cli import main


def test_console_script_help():
    exe = shutil.which("zoo") or f"{sys.executable} -m zoo"
    result = subprocess.run(f"{exe} --help", shell=True, capture_output=True, text=True)
    assert result.returncode == 0
    assert "parity" in result.stdout and "unfold" in result.stdout


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

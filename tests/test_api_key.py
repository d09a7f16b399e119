"""`zoo serve --api-key-file`: a real server that answers its model routes only
with `Authorization: Bearer KEY`, while health and the page stay open."""

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

from serving import process

pytestmark = pytest.mark.xdist_group("api-key")


def _status(url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_model_routes_need_the_key_health_and_page_do_not(tmp_path):
    (tmp_path / "key").write_text("k3y-of-test\n")
    port = process.free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ZOO_SERVE_")},
           "BENTOML_HOME": str(tmp_path / "bentoml"), "BENTOML_DO_NOT_TRACK": "True"}
    with open(tmp_path / "server.log", "w") as log:
        server = process.start(port, "--model", "bigram=shakespeare-bigram", "--api-key-file",
                               str(tmp_path / "key"), env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            process.wait_ready(port, server)
            url = f"http://127.0.0.1:{port}"
            body = {"prompt": "ROMEO:", "length": 5, "seed": 0}
            status, answer = _status(url + "/generate", body)
            assert status == 401 and "Authorization: Bearer" in json.loads(answer)["error"]
            assert _status(url + "/generate", body, {"authorization": "Bearer wrong"})[0] == 401
            assert _status(url + "/models", {})[0] == 401
            status, answer = _status(url + "/generate", body, {"authorization": "Bearer k3y-of-test"})
            assert status == 200 and json.loads(answer)["text"].startswith("ROMEO:")
            for path in ("/readyz", "/livez", "/metrics", "/ui/"):
                assert _status(url + path)[0] == 200, path
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    assert "k3y-of-test" not in (tmp_path / "server.log").read_text()  # the key is never logged

"""The HTTP service, tested against a real server: ``zoo serve`` (which
becomes ``bentoml serve``) in a subprocess on a free loopback port, with small limits so that every refusal
is cheap to provoke. All tests of this file run in one xdist worker, in order
(the last one stops the server with SIGTERM)."""

import concurrent.futures
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import zoo
from serving import process

pytestmark = pytest.mark.xdist_group("server")

LIMITS = ["--max-body-bytes", "20000", "--max-texts", "8", "--max-text-chars", "1000",
          "--max-length", "400", "--max-temperature", "3", "--max-beam-size", "3", "--max-translate-work", "40",
          "--body-timeout", "2"]
HAS_TRANSLATOR = any(zoo.card(n)["interface"] == "translator" for n in zoo.list_models())
BEST_IMDB = max((n for n in zoo.list_models() if zoo.card(n)["interface"] == "classifier"),
                key=lambda n: zoo.card(n)["metrics"]["accuracy"])


class Server:
    def __init__(self, log_path, home):
        self.port = process.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")
        self.process = process.start(
            self.port, *LIMITS,
            # its own BENTOML_HOME: every `bentoml serve` empties $BENTOML_HOME/prometheus_multiproc_dir
            # at start, which would wipe this server's metrics
            env={**{k: v for k, v in os.environ.items() if not k.startswith("ZOO_SERVE_")},
                 "BENTOML_HOME": str(home), "BENTOML_DO_NOT_TRACK": "True"},
            stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self):
        try:
            return process.wait_ready(self.port, self.process)
        except RuntimeError as error:
            raise AssertionError(f"{error}: {self.tail()}") from None

    def metrics(self):
        return urllib.request.urlopen(self.url + "/metrics").read().decode()

    def tail(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-3000:]

    def post(self, route, body, headers=None):
        """(status, parsed JSON) of a raw POST; ``body`` is bytes or a JSON value."""
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request("POST", route, data, {"content-type": "application/json", **(headers or {})})
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()

    def stop(self):
        """Stops the server as a user would, with SIGTERM: BentoML then stops its
        workers, which run in sessions of their own and outlive a SIGKILL of this
        process group (one such worker kept its port and 1 GB). SIGKILL only if
        the server still runs a minute later."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("server")
    server = Server(folder / "server.log", folder / "bentoml")
    server.ready_after = server.wait_ready()
    yield server
    server.stop()


def test_ready_with_health_endpoints_and_metrics(server):
    print(f"cold start to ready: {server.ready_after:.1f} s")
    for route in ("/healthz", "/livez", "/readyz", "/metrics"):
        assert urllib.request.urlopen(server.url + route).status == 200
    # ready: each route's default model is loaded; /models names those still loading, until none is
    listing = server.post("/models", {})[1]
    assert not set(listing["loading"]) & set(listing["defaults"].values()), listing["loading"]
    assert set(listing["loading"]) <= {card["alias"] for card in listing["models"]}
    for _ in range(1200):
        if not server.post("/models", {})[1]["loading"]:
            break
        time.sleep(0.1)
    assert server.post("/models", {})[1]["loading"] == []
    server.post("/classify", {"texts": ["fine"]})
    assert "classify_batch_size_count" in server.metrics()
    for _ in range(50):  # the request counter is written as the response ends
        if "bentoml_service_request_total" in server.metrics():
            break
        time.sleep(0.1)
    assert "bentoml_service_request_total" in server.metrics()


def test_openapi_document_has_every_endpoint_with_examples(server):
    spec = json.load(urllib.request.urlopen(server.url + "/docs.json"))
    for route in ("/classify", "/generate", "/translate", "/models"):
        assert route in spec["paths"], route
    text = json.dumps(spec)
    assert '"tensor"' not in text
    assert "a wonderful, moving film" in text and "ROMEO:" in text and "Where is the station?" in text
    enums = []

    def collect(node):
        if isinstance(node, dict):
            if "enum" in node:
                enums.append(sorted(node["enum"]))
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(spec)
    by_kind = {}
    for name in zoo.list_models():
        by_kind.setdefault(zoo.card(name)["interface"], []).append(name)
    for names in by_kind.values():  # each route's `model`: an enum of the served models of its kind
        assert sorted(names) in enums, (names, enums)


def test_classify_raw_http(server):
    status, body = server.post("/classify", {"texts": ["a wonderful, moving film", "dull and far too long"]})
    assert status == 200
    labels = [r["label"] for r in body["results"]]
    assert labels == ["positive", "negative"]
    assert all(0.5 <= r["score"] <= 1 for r in body["results"])
    expected = zoo.load(BEST_IMDB).predict(["a wonderful, moving film"])[0]
    assert body["results"][0]["score"] == pytest.approx(expected, abs=1e-6)


def test_every_endpoint_with_bentoml_client(server):
    import bentoml

    with bentoml.SyncHTTPClient(server.url) as client:
        results = client.classify(texts=["a wonderful film"], model="imdb-gru")["results"]
        assert results[0]["label"] in ("positive", "negative")
        one = client.generate(prompt="ROMEO:", length=60, temperature=0.8, seed=7)["text"]
        two = client.generate(prompt="ROMEO:", length=60, temperature=0.8, seed=7)["text"]
        assert one == two and one.startswith("ROMEO:") and len(one) == 66
        greedy = client.generate(prompt="The ", length=20, temperature=0, model="shakespeare-bigram")
        assert len(greedy["text"]) == 24
        cards = client.models()
        assert {c["name"] for c in cards["models"]} == set(zoo.list_models())
        assert cards["defaults"]["classify"] == BEST_IMDB
        if HAS_TRANSLATOR:
            out = client.translate(texts=["I love you.", "Where is the station?"], beam_size=2)
            assert len(out["translations"]) == 2 and all(out["translations"])


def test_compose_a_piece_from_one_chord_with_its_midi_file(server):
    import base64
    import io

    import mido

    body = {"first_chord": "C4 E4 G4", "steps": 32, "seed": 0}
    status, answer = server.post("/compose", body)
    assert status == 200, answer
    assert len(answer["chords"]) == 32 and answer["chords"][0] == [60, 64, 67]
    midi = mido.MidiFile(file=io.BytesIO(base64.b64decode(answer["midi_base64"])))
    notes = sorted({m.note for track in midi.tracks for m in track if m.type == "note_on" and m.velocity})
    assert notes == sorted({n for chord in answer["chords"] for n in chord})
    assert server.post("/compose", body)[1] == answer  # same seed, same piece
    assert server.post("/compose", {**body, "first_chord": [60, 64, 67]})[1] == answer


def test_translate_raw_http(server):
    status, body = server.post("/translate", {"texts": ["Hello."]})
    if not HAS_TRANSLATOR:
        assert status == 404 and "translator" in json.dumps(body)
        return
    assert status == 200 and len(body["translations"]) == 1
    listing = server.post("/models", {})[1]
    assert listing["defaults"]["translate"] == "spa-eng-translator"
    for card in listing["models"]:
        if card["interface"] == "translator":
            status, body = server.post("/translate", {"texts": ["Good morning. How are you?"],
                                                      "model": card["alias"]})
            assert status == 200 and len(body["translations"]) == 1, (card["alias"], body)
    words = " ".join(["word"] * 16) + "."  # 17 tokens: one sentence longer than the model reads
    status, body = server.post("/translate", {"texts": ["Hi.", "Fine. " + words]})
    assert status == 400 and body["detail"][0]["loc"] == ["texts", 1], body
    assert "text 2" in body["detail"][0]["msg"] and "at most 16 tokens" in body["detail"][0]["msg"], body


BAD = {
    "too many texts": ("/classify", {"texts": ["a"] * 9}, "texts", "at most 8"),
    "text too long": ("/classify", {"texts": ["a" * 1001]}, "texts", "1000"),
    "empty list": ("/classify", {"texts": []}, "texts", "at least 1"),
    "empty text": ("/classify", {"texts": [""]}, "texts", "at least 1"),
    "texts not a list": ("/classify", {"texts": "a film"}, "texts", "list"),
    "text not a string": ("/classify", {"texts": [3]}, "texts", "string"),
    "missing texts": ("/classify", {"model": "imdb-gru"}, "texts", "required"),
    "unknown classifier": ("/classify", {"texts": ["a"], "model": "gpt"}, "model", "imdb-gru"),
    "length too big": ("/generate", {"prompt": "A", "length": 401}, "length", "400"),
    "negative length": ("/generate", {"prompt": "A", "length": -1}, "length", "0"),
    "length not an int": ("/generate", {"prompt": "A", "length": 2.5}, "length", "integer"),
    "temperature too high": ("/generate", {"prompt": "A", "temperature": 3.5}, "temperature", "3"),
    "temperature a word": ("/generate", {"prompt": "A", "temperature": "hot"}, "temperature", "number"),
    "temperature a numeric string": ("/generate", {"prompt": "A", "temperature": "0.5"}, "temperature", "number"),
    "seed a numeric string": ("/generate", {"prompt": "A", "seed": "7"}, "seed", "integer"),
    "empty prompt": ("/generate", {"prompt": ""}, "prompt", "at least 1"),
    "unknown generator": ("/generate", {"prompt": "A", "model": "imdb-gru"}, "model", "shakespeare-char"),
    "beam too wide": ("/translate", {"texts": ["Hi."], "beam_size": 4}, "beam_size", "3"),
    "beam zero": ("/translate", {"texts": ["Hi."], "beam_size": 0}, "beam_size", "1"),
    "translation work over the limit": ("/translate", {"texts": ["Hi. " * 7] * 3, "beam_size": 2}, "texts",
                                        "42 sentences x beam width: over the limit of 40"),
    "pitch out of range": ("/compose", {"first_chord": [60, 128]}, "first_chord", "21..108"),
    "unparsable note": ("/compose", {"first_chord": "C4 H9"}, "first_chord", "cannot read"),
    "steps zero": ("/compose", {"steps": 0}, "steps", "1"),
    "steps too many": ("/compose", {"steps": 100000}, "steps", "512"),
    "invalid UTF-8": ("/classify", b'{"texts": ["\xff\xfe broken"]}', "", "Invalid JSON"),
    "not JSON": ("/classify", b"texts=a film", "", "Invalid JSON"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_a_4xx_naming_the_field_and_limit(server, case):
    route, body, field, limit = BAD[case]
    status, answer = server.post(route, body)
    assert 400 <= status < 500, (status, answer)
    text = json.dumps(answer)
    assert limit in text, text
    if field:
        assert any(field in detail["loc"] for detail in answer["detail"]), text


def test_body_over_the_limit_is_413_declared_or_chunked(server):
    big = json.dumps({"texts": ["x" * 900] * 30}).encode()
    status, answer = server.post("/classify", big)
    assert status == 413 and answer["field"] == "body" and answer["limit"] == 20000

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.putrequest("POST", "/classify")
    connection.putheader("content-type", "application/json")
    connection.putheader("transfer-encoding", "chunked")
    connection.endheaders()
    for i in range(0, len(big), 4096):
        chunk = big[i:i + 4096]
        try:
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:  # the server answered and closed before the end
            break
    else:
        connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["limit"] == 20000
    connection.close()


@pytest.mark.parametrize("content_type", [
    "text/plain", "", "image/png", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded",
    "application/json; charset=latin-1"])
def test_json_routes_take_json_only_415_otherwise(server, content_type):
    body = (b'--x\r\nContent-Disposition: form-data; name="texts"\r\n\r\ngood\r\n--x--\r\n'
            if content_type.startswith("multipart") else json.dumps({"texts": ["good"]}).encode())
    for route in ("/classify", "/translate", "/models"):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"content-type": content_type} if content_type else {}
        connection.request("POST", route, body, headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        assert response.status == 415 and answer["limit"] == "application/json", (route, answer)
    assert server.post("/classify", {"texts": ["good"]},
                       {"content-type": "Application/JSON; charset=UTF-8"})[0] == 200


def test_content_length_with_chunked_encoding_is_400(server):
    with socket_to(server) as sock:
        sock.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        assert sock.recv(4096).split(b"\r\n")[0].split(b" ")[1] == b"400"


def test_a_body_shorter_than_declared_is_408_and_a_flood_of_headers_431(server):
    with socket_to(server) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"texts\"")
        assert sock.recv(4096).split(b"\r\n")[0].split(b" ")[1] == b"408"
        assert time.monotonic() - started < 10  # --body-timeout 2
    with socket_to(server) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(10000))
                     + b"\r\n")
        assert sock.recv(4096).split(b"\r\n")[0].split(b" ")[1] == b"431"


def test_models_shows_no_machine_path_and_a_tiny_temperature_is_greedy(server):
    cards = json.dumps(server.post("/models", {})[1])
    assert "/root/" not in cards and "/home/" not in cards and "/tmp/" not in cards and "/.cache/" not in cards
    status, tiny = server.post("/generate", {"prompt": "ROMEO:", "length": 30, "temperature": 5e-324})
    assert status == 200, tiny
    assert tiny == server.post("/generate", {"prompt": "ROMEO:", "length": 30, "temperature": 0})[1]


def socket_to(server):
    import socket

    return socket.create_connection(("127.0.0.1", server.port), timeout=30)


def test_still_serving_after_bad_input(server):
    for body in (b"\xff", b"{", {"texts": [None]}, {"texts": ["a"] * 100}):
        assert 400 <= server.post("/classify", body)[0] < 500
    assert server.post("/classify", {"texts": ["good"]})[0] == 200
    assert "Traceback" not in json.dumps(server.post("/generate", {"prompt": 5})[1])


def test_a_refused_request_is_one_info_line_without_its_text(server):
    secret = "words-only-the-client-knows"
    assert server.post("/generate", {"prompt": secret, "length": 100000})[0] == 400
    assert server.post("/classify", {"texts": [secret], "model": "no-such-model"})[0] == 400
    assert server.post("/translate", {"texts": [secret + " " + "word " * 20]})[0] in (400, 404)
    log = server.tail()
    assert secret not in log and "Traceback" not in log, log
    assert "/generate answered 400: length: less_than_equal (le=400)" in log


def test_200_concurrent_classify_requests_equal_unbatched_results(server):
    words = ["wonderful", "awful", "moving", "boring", "brilliant", "dull", "funny", "slow"]
    texts = [f"a {words[i % 8]} and {words[(i * 3 + 1) % 8]} film, take {i % 25}" for i in range(200)]
    unbatched = {t: server.post("/classify", {"texts": [t]})[1]["results"][0] for t in set(texts)}

    def classify(text):
        return server.post("/classify", {"texts": [text]})

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(classify, texts))
    assert all(status == 200 for status, _ in answers)
    for text, (_, body) in zip(texts, answers):
        assert body["results"][0]["label"] == unbatched[text]["label"]
        assert body["results"][0]["score"] == pytest.approx(unbatched[text]["score"], abs=1e-6)
    metrics = server.metrics()
    sizes = {line.split()[0]: float(line.split()[1]) for line in metrics.splitlines()
             if line.startswith("classify_batch_size_")}
    assert sizes["classify_batch_size_sum"] > sizes["classify_batch_size_count"]  # batches formed


def test_small_batch_loops_are_compiled_while_the_server_is_idle(server):
    def compiled():
        lines = [line for line in server.metrics().splitlines() if line.startswith("classify_loops_compiled_total")]
        return float(lines[0].split()[1]) if lines else 0.0

    text = "a lovely film of few words"
    before = server.post("/classify", {"texts": [text]})[1]["results"][0]
    for _ in range(600):  # shapes requests ran in Keras' loop come first, then every other one
        if compiled() >= 2:
            break
        time.sleep(0.1)
    assert compiled() >= 2, server.tail()
    after = server.post("/classify", {"texts": [text]})[1]["results"][0]
    assert after["label"] == before["label"] and after["score"] == pytest.approx(before["score"], abs=1e-6)


@pytest.mark.parametrize("paths, excluded", [
    (["--exclude-path", "/translate"], []),
    # A /translate sentence longer than the model reads, or more work than --max-translate-work, is a
    # 400 that the schema cannot state (it counts tokens and sentences): no positive-data check there.
    (["--include-path", "/translate"], ["--exclude-checks", "positive_data_acceptance"])])
def test_the_api_keeps_its_openapi_contract(server, paths, excluded):
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "schemathesis"),
         "--config-file", os.path.join(os.path.dirname(__file__), "schemathesis.toml"), "run", server.url + "/docs.json",
         "--checks", "all", *excluded, *paths, "--max-examples", "15", "--workers", "1", "--seed", "7",
         "--request-timeout", "60"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]


def _idle_keep_alive_connection(server):
    """A connection that made one request and stays open, as a browser's or a client pool's."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/livez")
    response = connection.getresponse()
    assert response.status == 200 and not response.will_close
    response.read()
    return connection.sock


def test_an_idle_keep_alive_connection_is_closed_after_its_timeout(server):
    with _idle_keep_alive_connection(server) as sock:
        sock.settimeout(20)
        started = time.monotonic()
        assert sock.recv(4096) == b""  # closed by the server
        assert time.monotonic() - started < 15  # --keep-alive: 5 s by default


def test_a_connection_without_a_whole_request_head_is_closed_in_time(server):
    def opened(data):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
        sock.sendall(data)
        return sock

    silent, partial = opened(b""), opened(b"POST /classify HTTP/1.1\r\nHost: x\r\n")
    started = time.monotonic()
    answers = []
    for sock in (silent, partial):
        with sock:
            answer = b""
            while chunk := sock.recv(4096):  # until the server closes it
                answer += chunk
            answers.append(answer)
    assert time.monotonic() - started < 10  # --body-timeout 2 s
    assert answers[0] == b""  # nothing came: closed, as an idle connection
    assert answers[1].startswith(b"HTTP/1.1 408"), answers[1]


def _newcomer(server, method, route):
    """The status of a request on a new connection, or "refused"."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request(method, route, b"{}" if method == "POST" else None,
                            {"content-type": "application/json"})
        return connection.getresponse().status
    except (ConnectionRefusedError, ConnectionResetError):  # the port closed, or closing
        return "refused"
    finally:
        connection.close()


def test_sigterm_shuts_down_cleanly_answering_requests_in_flight(server):
    def generate(seed):
        return server.post("/generate", {"prompt": "KING:", "length": 400, "seed": seed})

    idle = [_idle_keep_alive_connection(server) for _ in range(10)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        in_flight = [pool.submit(generate, seed) for seed in range(8)]  # 2 at a time: a few seconds
        time.sleep(0.5)
        os.kill(server.process.pid, signal.SIGTERM)
        signalled = time.monotonic()
        time.sleep(0.2)
        newcomers = [_newcomer(server, "GET", "/readyz"), _newcomer(server, "POST", "/models")]
        answers = [f.result(timeout=120) for f in in_flight]
    assert [status for status, _ in answers] == [200] * 8
    assert all(status in (503, "refused") for status in newcomers), newcomers  # answered at once, not left waiting
    assert all(len(body["text"]) == 405 for _, body in answers)
    assert server.process.wait(timeout=60) == 0, server.tail()
    assert time.monotonic() - signalled < 35  # the drain window (30 s) + 5, whatever clients hold open
    for sock in idle:
        sock.close()
    with pytest.raises(urllib.error.URLError) as refused:  # an HTTP error is one too
        urllib.request.urlopen(server.url + "/readyz", timeout=2)
    assert isinstance(refused.value.reason, ConnectionRefusedError), refused.value  # no worker left

"""The HTTP backend against a real server on loopback; the offline lexicon backend."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpers.cnsd.dataset_io import parse_output
from helpers.cnsd.llm_backend import (
    BackendError,
    LexiconBackend,
    OpenAICompatibleBackend,
    make_backend,
    request_key,
)
from helpers.cnsd.module2 import summary_messages, verification_messages


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions; fails the first ``fail_first`` calls with 429."""

    calls: list[dict] = []
    fail_first = 0
    status_override: int | None = None

    def do_POST(self):  # noqa: N802 (http.server API)
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        type(self).calls.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if type(self).status_override:
            self.send_response(type(self).status_override)
            self.end_headers()
            self.wfile.write(b'{"error": "bad request"}')
            return
        if len(type(self).calls) <= type(self).fail_first:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b'{"error": "slow down"}')
            return
        reply = f"答案：\"否\"。总结和分析: 收到{len(body['messages'])}条消息"
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": reply}}]}, ensure_ascii=False)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode("utf-8"))

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    FakeOpenAI.calls = []
    FakeOpenAI.fail_first = 0
    FakeOpenAI.status_override = None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


MESSAGES = [{"role": "system", "content": "s"}, {"role": "user", "content": "你好"}]


def test_retries_key_and_cache(server, tmp_path, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-123")
    FakeOpenAI.fail_first = 2
    backend = OpenAICompatibleBackend(server, "test-model", api_key_env="TEST_LLM_KEY",
                                      cache_dir=tmp_path / "cache", backoff_s=0.01)
    reply = backend.chat(MESSAGES)
    assert reply.startswith("答案：\"否\"") and "收到2条消息" in reply
    assert len(FakeOpenAI.calls) == 3 and backend.stats["retries"] == 2
    assert FakeOpenAI.calls[-1]["path"] == "/v1/chat/completions"
    assert FakeOpenAI.calls[-1]["auth"] == "Bearer sk-test-123"
    assert FakeOpenAI.calls[-1]["body"]["model"] == "test-model"
    # a second backend with the same cache answers without touching the server
    again = OpenAICompatibleBackend(server, "test-model", api_key_env="TEST_LLM_KEY", cache_dir=tmp_path / "cache")
    assert again.chat(MESSAGES) == reply
    assert len(FakeOpenAI.calls) == 3 and again.stats["cache_hits"] == 1
    # a different request is not a cache hit
    again.chat(MESSAGES + [{"role": "user", "content": "再问一次"}])
    assert len(FakeOpenAI.calls) == 4


def test_gives_up_and_client_errors_fail_fast(server):
    FakeOpenAI.fail_first = 10
    backend = OpenAICompatibleBackend(server, "m", max_retries=2, backoff_s=0.0)
    with pytest.raises(BackendError, match="gave up after 3 attempts"):
        backend.chat(MESSAGES)
    FakeOpenAI.calls = []
    FakeOpenAI.status_override = 400
    with pytest.raises(BackendError, match="HTTP 400"):
        backend.chat(MESSAGES)
    assert len(FakeOpenAI.calls) == 1


def test_rate_limit_spaces_requests(server):
    import time

    backend = OpenAICompatibleBackend(server, "m", requests_per_minute=600)  # 0.1 s apart
    started = time.perf_counter()
    for i in range(3):
        backend.chat([{"role": "user", "content": str(i)}])
    assert time.perf_counter() - started >= 0.2


def test_request_key_is_order_independent_and_bad_url():
    assert request_key({"a": 1, "b": [1, 2]}) == request_key({"b": [1, 2], "a": 1})
    assert request_key({"a": 1}) != request_key({"a": 2})
    with pytest.raises(ValueError, match="http"):
        OpenAICompatibleBackend("localhost:8000", "m")
    with pytest.raises(BackendError, match="NO_SUCH_KEY_VAR"):
        OpenAICompatibleBackend("http://x", "m", api_key_env="NO_SUCH_KEY_VAR", require_key=True)
    with pytest.raises(ValueError, match="unknown backend"):
        make_backend("nope")


def test_lexicon_backend_answers_module2_prompts():
    from helpers.cnsd.dataset_io import CNSDUser

    backend = LexiconBackend(threshold=0.3)
    assert backend.chat(verification_messages("最近总是失眠，睡不着", "clinical_symptoms")).startswith("是")
    assert backend.chat(verification_messages("今天吃火锅", "negative_emotion")).startswith("否")
    user = CNSDUser("p_user_1", 1, ["心里痛苦，一个人哭", "又失眠了", "今天吃火锅", "医生让我吃药"])
    answer, _, sections = parse_output(backend.chat(summary_messages(user, None, [])))
    assert answer == 1 and "text_4[" in sections["medical_expression"]
    quiet = CNSDUser("n_user_1", 0, ["散步", "晴天", "吃饭"])
    assert parse_output(backend.chat(summary_messages(quiet, None, [])))[0] == 0
    with pytest.raises(BackendError):
        backend.chat([{"role": "user", "content": "hello"}])

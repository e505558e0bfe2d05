"""The chat-completions client against a real loopback server: retries, cache, concurrency, keys."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from curate.cli import cli
from curate.clients import ChatRequest, Endpoint, EndpointOptions, ResponseCache
from curate.clients.chat import ChatClient
from curate.errors import EndpointError
from tests.chat_server import ChatServer, Reply, echo
from tests.helpers import write_pipeline

KEY = "sk-test-4f1d9c0e-never-written"


@pytest.fixture
def server(chat_server: ChatServer) -> ChatServer:
    return chat_server


def endpoint(server: ChatServer, **options: Any) -> Endpoint:
    settings: dict[str, Any] = {"backoff": 0.01, "timeout": 5.0, **options}
    return EndpointOptions(base_url=server.url, model="m", **settings).endpoint()


def ask(to: Endpoint, *prompts: str, seed: int = 0) -> list[ChatRequest]:
    return [ChatRequest(to, (("user", prompt),), {"temperature": 0.7, "seed": seed}) for prompt in prompts]


def test_answers_come_back_in_request_order_with_their_usage(server: ChatServer) -> None:
    client = ChatClient()
    to = endpoint(server, concurrency=4)
    results = client.complete(ask(to, "one two", "three", "four five six"))
    assert [result.content for result in results] == [
        "m (seed 0) says: owt eno",
        "m (seed 0) says: eerht",
        "m (seed 0) says: xis evif ruof",
    ]
    assert [result.prompt_tokens for result in results] == [2, 1, 3]
    usage = client.usage[to]
    assert (usage.requests, usage.sent, usage.cached, usage.failed) == (3, 3, 0, 0)
    assert usage.completion_tokens == sum(result.completion_tokens for result in results)


def test_identical_requests_of_one_call_are_sent_once(server: ChatServer) -> None:
    results = ChatClient().complete(ask(endpoint(server), "same", "same", "other"))
    assert len(server.requests) == 2
    assert results[0] == results[1]


def test_a_second_client_on_the_same_cache_sends_nothing(server: ChatServer, tmp_path: Path) -> None:
    to = endpoint(server)
    with ResponseCache(tmp_path / "cache") as cache:
        first = ChatClient(cache).complete(ask(to, "a", "b"))
    sent = len(server.requests)
    with ResponseCache(tmp_path / "cache") as cache:
        again = ChatClient(cache)
        second = again.complete(ask(to, "a", "b"))
        assert len(cache) == 2
    assert sent == 2 and len(server.requests) == 2
    assert [r.content for r in first] == [r.content for r in second]
    assert all(r.cached for r in second) and again.usage[to].sent == 0


BASE = Endpoint("http://127.0.0.1:1/v1", "m")
PROMPT = (("user", "a"),)
REFERENCE = ChatRequest(BASE, PROMPT, {"temperature": 0.7, "seed": 0})


@pytest.mark.parametrize(
    "varied",
    [
        ChatRequest(Endpoint("http://127.0.0.1:2/v1", "m"), PROMPT, REFERENCE.params),
        ChatRequest(Endpoint(BASE.base_url, "other"), PROMPT, REFERENCE.params),
        ChatRequest(BASE, (("user", "b"),), REFERENCE.params),
        ChatRequest(BASE, (("system", "a"),), REFERENCE.params),
        ChatRequest(BASE, PROMPT, {"temperature": 0.7, "seed": 1}),
        ChatRequest(BASE, PROMPT, {"temperature": 0.2, "seed": 0}),
        ChatRequest(BASE, PROMPT, {"temperature": 0.7, "seed": 0, "max_tokens": 9}),
    ],
    ids=["base_url", "model", "content", "role", "seed", "temperature", "max_tokens"],
)
def test_the_cache_key_covers_endpoint_model_messages_and_parameters(varied: ChatRequest) -> None:
    assert varied.key != REFERENCE.key


def test_the_cache_key_ignores_how_the_request_is_sent() -> None:
    patient = Endpoint(BASE.base_url, "m", api_key_env="K", concurrency=64, timeout=1, max_retries=0)
    assert ChatRequest(patient, PROMPT, {"seed": 0, "temperature": 0.7}).key == REFERENCE.key


@pytest.mark.parametrize(
    ("failure", "headers"),
    [(429, {"Retry-After": "0"}), (429, {}), (500, {}), (503, {}), (502, {"Retry-After": "soon"})],
)
def test_rate_limits_and_server_errors_are_retried(
    server: ChatServer, failure: int, headers: dict[str, str]
) -> None:
    def flaky(body: dict[str, Any]) -> Reply:
        return Reply(status=failure, headers=headers) if server.times_seen(body) <= 2 else echo(body)

    server.reply = flaky
    client = ChatClient()
    to = endpoint(server)
    [result] = client.complete(ask(to, "hello"))
    assert result.content == "m (seed 0) says: olleh"
    assert len(server.requests) == 3 and client.usage[to].retries == 2


def test_a_timeout_is_retried(server: ChatServer) -> None:
    server.reply = lambda body: Reply(delay=0.5) if server.times_seen(body) == 1 else echo(body)
    [result] = ChatClient().complete(ask(endpoint(server, timeout=0.1), "slow"))
    assert result.ok and len(server.requests) == 2


def test_a_request_the_server_refuses_is_a_failed_result_not_a_stop(server: ChatServer) -> None:
    server.reply = lambda body: Reply(status=400) if "long" in body["messages"][0]["content"] else echo(body)
    client = ChatClient()
    to = endpoint(server)
    results = client.complete(ask(to, "fine", "too long", "also fine"))
    assert [result.ok for result in results] == [True, False, True]
    assert results[1].error == "HTTP 400" and client.usage[to].failed == 1
    assert len(server.requests) == 3


def test_retries_run_out_into_a_failed_result(server: ChatServer) -> None:
    server.reply = lambda body: echo(body) if "ok" in body["messages"][0]["content"] else Reply(status=500)
    results = ChatClient().complete(ask(endpoint(server, max_retries=2), "ok", "bad"))
    assert results[1].error == "HTTP 500 after 2 retries"


@pytest.mark.parametrize(
    ("status", "message"),
    [(401, r"refused the request \(HTTP 401\): check the key in \$TEST_KEY"), (404, "answered HTTP 404")],
)
def test_a_refused_key_or_model_stops_at_once_without_the_key(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch, status: int, message: str
) -> None:
    monkeypatch.setenv("TEST_KEY", KEY)
    server.reply = lambda body: Reply(status=status, raw=f'{{"error": "bad key {KEY}"}}'.encode())
    with pytest.raises(EndpointError, match=message) as caught:
        ChatClient().complete(ask(endpoint(server, api_key_env="TEST_KEY"), *"abcdef"))
    assert KEY not in str(caught.value)
    assert len(server.requests) <= 6


def test_an_endpoint_that_fails_every_request_stops_the_run(tmp_path: Path) -> None:
    with ChatServer() as closed:
        url = closed.url
    dead = EndpointOptions(base_url=url, model="m", max_retries=1, backoff=0.01).endpoint()
    with pytest.raises(EndpointError, match=r"every request to m at .* failed \(3 so far.*connection failed"):
        ChatClient().complete(ask(dead, *(f"prompt {n}" for n in range(50))))


def test_the_key_goes_in_the_bearer_header_and_nowhere_else(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEST_KEY", KEY)
    to = endpoint(server, api_key_env="TEST_KEY")
    with ResponseCache(tmp_path / "cache") as cache:
        ChatClient(cache).complete(ask(to, "a", "b"))
    assert server.authorizations == [f"Bearer {KEY}"] * 2
    assert all(KEY not in str(body) for body in server.requests)
    assert KEY not in repr(to)
    for path in (tmp_path / "cache").iterdir():
        assert KEY.encode() not in path.read_bytes()


def test_a_missing_key_variable_is_named_before_anything_is_sent(
    server: ChatServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ABSENT_KEY", raising=False)
    with pytest.raises(EndpointError, match="api_key_env names ABSENT_KEY, which is not set"):
        ChatClient().complete(ask(endpoint(server, api_key_env="ABSENT_KEY"), "a"))
    assert server.requests == []


def test_concurrency_is_bounded_per_endpoint(server: ChatServer) -> None:
    server.reply = lambda body: Reply(content="ok", delay=0.05)
    ChatClient().complete(ask(endpoint(server, concurrency=3), *(f"p{n}" for n in range(12))))
    assert server.most_in_flight == 3


def test_complete_works_inside_a_running_event_loop(server: ChatServer) -> None:
    async def from_a_notebook() -> list[Any]:
        return ChatClient().complete(ask(endpoint(server), "x"))

    [result] = asyncio.run(from_a_notebook())
    assert result.content == "m (seed 0) says: x"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"api_key_env": KEY}, "must be the NAME of an environment variable"),
        ({"base_url": "127.0.0.1:8000/v1"}, "must be an http:// or https:// URL"),
        ({"base_url": "http://h/v1/chat/completions"}, "not the /chat/completions path"),
        ({"base_url": f"https://user:{KEY}@api.example.com/v1"}, "must not hold a user name or password"),
        ({"base_url": f"https://{KEY}@api.example.com/v1"}, "name it in `api_key_env`"),
        ({"base_url": f"https://api.example.com/v1?api_key={KEY}"}, "must not have a query string"),
        ({"base_url": f"https://api.example.com/v1?x=1#{KEY}"}, "named in `api_key_env`"),
        ({"api_key": KEY}, "Extra inputs are not permitted"),
    ],
)
def test_endpoint_options_refuse_mistakes_without_repeating_a_key(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message) as caught:
        EndpointOptions.model_validate({"base_url": "http://127.0.0.1:8000/v1", "model": "m", **options})
    for error in caught.value.errors(include_url=False):
        assert KEY not in error["msg"]


@pytest.mark.parametrize(
    ("stage", "where"),
    [
        ("generate: {models: [{base_url: '%s', model: m}]}", "stages[1].generate.models[0].base_url"),
        ("pairs: {strategies: [judge], judge: {base_url: '%s', model: j}}", "stages[1].pairs.judge.base_url"),
    ],
)
@pytest.mark.parametrize(
    "url", [f"https://team:{KEY}@api.example.com/v1", f"https://api.example.com/v1?token={KEY}"]
)
def test_validate_refuses_a_key_in_a_base_url_without_echoing_it(
    tmp_path: Path, stage: str, where: str, url: str
) -> None:
    (tmp_path / "chats.jsonl").write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    pipeline = write_pipeline(
        tmp_path,
        f"name: p\ninputs: [{{name: c, path: chats.jsonl}}]\nstages:\n  - pii: {{}}\n  - {stage % url}\n",
    )
    outcome = CliRunner().invoke(cli, ["validate", str(pipeline)])
    assert outcome.exit_code == 2
    assert f"{where}: must not" in outcome.output and "api_key_env" in outcome.output
    assert KEY not in outcome.output

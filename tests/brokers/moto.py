"""moto's SQS-compatible server on a free loopback port, and a boto3 client for it (test credentials only)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import free_port, require, wait_listening

MOTO = Path(sys.executable).parent / "moto_server"
KEY_ID, SECRET = "live-test-key", "live-test-secret-0f9e8d7c"


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    require(MOTO.exists() or shutil.which("moto_server") is not None, "moto_server (pip install 'moto[server]')")
    port = free_port()
    proc = subprocess.Popen([str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def sqs(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    import boto3

    monkeypatch.setenv("LIVE_SQS_KEY", KEY_ID)
    monkeypatch.setenv("LIVE_SQS_SECRET", SECRET)
    return boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=KEY_ID,
                        aws_secret_access_key=SECRET)

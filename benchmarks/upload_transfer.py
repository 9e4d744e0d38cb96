"""Uploads and downloads a master in S3 mode and in local mode; prints what passed through the web process.

For each mode and size a fresh web process serves the site; jobs run in a separate worker process, as in
production. This script plays the browser: it asks for a ticket, sends the file where the ticket says,
confirms, waits for the check, then downloads the stored master through a presigned link. Printed per run:
HTTP body bytes the web process read and wrote (a WSGI meter), all bytes it read and wrote through system
calls (/proc/PID/io: sockets and files), and its peak resident memory.

    .venv/bin/python benchmarks/upload_transfer.py [--sizes 20,200] [--quick]

Every process it starts is stopped when it ends, whether it finished or failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._processes import start, stop  # noqa: E402
from storefront import create_app  # noqa: E402
from storefront.accounts.models import Artist, ArtistMember, MemberRole, User  # noqa: E402
from storefront.audio.synth import write_master  # noqa: E402
from storefront.cli.database import upgrade  # noqa: E402
from storefront.config import Settings  # noqa: E402
from storefront.db import utcnow  # noqa: E402
from storefront.releases.models import Release, Upload  # noqa: E402
from tests.services.seaweedfs import running_seaweedfs  # noqa: E402

MB = 1000 * 1000
PASSWORD = "benchmark-password-1"
# Bounds that only catch a hang (a process that never answers): generous for a loaded 2-core machine.
START_BOUND_S = 180.0
CHECK_BOUND_S = 1800.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_master(directory: Path, megabytes: int) -> Path:
    path = directory / f"master-{megabytes}MB.wav"
    if not path.exists():
        seconds = megabytes * MB / (44100 * 2 * 2)
        write_master(path, seed=megabytes, seconds=seconds)
    return path


def proc_io(pid: int) -> tuple[int, int]:
    fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return int(fields["rchar"]), int(fields["wchar"])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def seed(settings: Settings) -> int:
    app = create_app(settings)  # makes the instance directory
    upgrade(settings.resolved_database_url)
    platform = app.extensions["storefront"]
    with platform.database.transaction() as session:
        user = User(
            email="bench@example.com",
            display_name="Bench",
            email_verified_at=utcnow(),
            password_hash=platform.passwords.hash(PASSWORD),
        )
        artist = Artist(name="Bench", slug="bench", links=[])
        artist.members.append(ArtistMember(user=user, role=MemberRole.OWNER))
        release = Release(artist=artist, title="Bench", slug="bench", tags=[])
        session.add(release)
        session.flush()
        return release.id


def run(mode: str, megabytes: int, master: Path, work: Path, s3: dict[str, str]) -> dict[str, float]:
    instance = work / f"{mode}-{megabytes}"
    env = {
        **os.environ,
        "STOREFRONT_ENV": "development",
        "STOREFRONT_INSTANCE_DIR": str(instance),
        "STOREFRONT_SECRET_KEY": "benchmark-secret-key-0123456789abcdef",
        "STOREFRONT_INLINE_JOBS": "manual",
        "BENCH_STATS_FILE": str(work / f"stats-{mode}-{megabytes}.json"),
        "PYTHONPATH": str(ROOT),
    }
    if mode == "s3":
        env.update({"STOREFRONT_STORAGE_BACKEND": "s3", **s3, "STOREFRONT_S3_PREFIX": f"{mode}-{megabytes}"})
    settings = Settings.from_env({k: v for k, v in env.items() if k.startswith("STOREFRONT_")})
    release_id = seed(settings)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        quiet = {"env": env, "cwd": ROOT, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        web = start([sys.executable, str(ROOT / "benchmarks" / "_metered_app.py"), str(port)], **quiet)
        stack.callback(stop, web)
        worker = start(
            [sys.executable, "-m", "flask", "--app", "app", "worker", "--concurrency", "1"], **quiet
        )
        # The worker goes on with follow-up jobs (screening, renditions) after the check this script waits
        # for; on a loaded machine those outlast any sensible wait, so it gets a short grace, then is killed.
        stack.callback(stop, worker, grace=5.0)
        browser = requests.Session()
        give_up = time.monotonic() + START_BOUND_S
        while True:
            if web.poll() is not None:
                raise RuntimeError(f"{mode}: the web process exited with {web.returncode}")
            try:
                if browser.get(base + "/login", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > give_up:
                raise RuntimeError(f"{mode}: the web process did not answer in {START_BOUND_S:.0f} s")
            time.sleep(0.2)
        token = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
        login = token.search(browser.get(base + "/login").text).group(1)
        browser.post(
            base + "/login", data={"csrf_token": login, "email": "bench@example.com", "password": PASSWORD}
        )
        page = f"{base}/artists/bench/releases/{release_id}"
        csrf = token.search(browser.get(page).text).group(1)
        io_before = proc_io(web.pid)

        started = time.monotonic()
        size = master.stat().st_size
        ticket = browser.post(
            page + "/uploads",
            headers={"X-CSRFToken": csrf},
            json={"kind": "master", "filename": master.name, "size": size, "content_type": "audio/wav"},
        ).json()
        parts = []
        with master.open("rb") as source:
            if ticket["method"] == "multipart":
                for part in ticket["parts"]:
                    url = part["url"] if part["url"].startswith("http") else base + part["url"]
                    answer = requests.put(url, data=source.read(ticket["part_size"]), timeout=600)
                    answer.raise_for_status()
                    parts.append({"number": part["number"], "etag": answer.headers["ETag"].strip('"')})
            else:
                url = ticket["url"] if ticket["url"].startswith("http") else base + ticket["url"]
                requests.post(
                    url, data=ticket["fields"], files={"file": ("m.wav", source)}, timeout=600
                ).raise_for_status()
        browser.post(
            ticket["complete_url"]
            if ticket["complete_url"].startswith("http")
            else base + ticket["complete_url"],
            headers={"X-CSRFToken": csrf},
            json={"parts": parts},
        ).raise_for_status()
        uploaded = time.monotonic() - started
        give_up = time.monotonic() + CHECK_BOUND_S
        while True:
            state = browser.get(page + "/uploads.json").json()["uploads"][0]["status"]
            if state not in ("awaiting", "validating"):
                break
            if worker.poll() is not None:
                raise RuntimeError(f"{mode}: the job worker exited with {worker.returncode}")
            if time.monotonic() > give_up:
                raise RuntimeError(f"{mode}: the upload was not checked in {CHECK_BOUND_S:.0f} s")
            time.sleep(0.5)
        checked = time.monotonic() - started
        app = create_app(settings)
        platform = app.extensions["storefront"]
        with platform.database.session() as session:
            upload = session.get(Upload, ticket["upload_id"])
            final_key = upload.final_key
        link = platform.storage.presign_download(final_key, expires_in=300, filename="master.wav")
        started = time.monotonic()
        received = 0
        with requests.get(
            link if link.startswith("http") else base + link, stream=True, timeout=600
        ) as answer:
            answer.raise_for_status()
            for chunk in answer.iter_content(1 << 20):
                received += len(chunk)
        downloaded = time.monotonic() - started
        if received != size:
            raise RuntimeError(f"{mode}: downloaded {received} bytes of {size}")
        time.sleep(1.0)  # the client can hold the last byte before the server has finished counting it
        rchar, wchar = proc_io(web.pid)
        stats = json.loads(Path(env["BENCH_STATS_FILE"]).read_text())
        return {
            "state": state,
            "size": size,
            "received": received,
            "upload_s": uploaded,
            "check_s": checked,
            "download_s": downloaded,
            "http_in": stats["request_body_bytes"],
            "http_out": stats["response_body_bytes"],
            "io": (rchar - io_before[0]) + (wchar - io_before[1]),
            "peak_mb": peak_rss_mb(web.pid),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="20,200", help="master sizes in MB, comma-separated")
    parser.add_argument("--quick", action="store_true", help="small masters (2 and 8 MB), to try it out")
    args = parser.parse_args()
    sizes = [2, 8] if args.quick else [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="velvet-bench-") as tmp:
        work = Path(tmp)
        masters = {mb: make_master(work, mb) for mb in sizes}
        (work / "weed").mkdir()
        with running_seaweedfs(work / "weed") as server:
            s3 = {
                "STOREFRONT_S3_BUCKET": server.bucket,
                "STOREFRONT_S3_ENDPOINT_URL": server.endpoint_url,
                "STOREFRONT_S3_REGION": server.region,
                "STOREFRONT_S3_ACCESS_KEY": server.access_key,
                "STOREFRONT_S3_SECRET_KEY": server.secret_key,
            }
            rows = [
                (mode, mb, run(mode, mb, masters[mb], work, s3)) for mode in ("local", "s3") for mb in sizes
            ]
    print(
        f"{'mode':<6} {'master':>8} {'checked':>8} {'HTTP body bytes in/out of web':>31} "
        f"{'all I/O of web':>15} {'per master byte':>16} {'peak RSS':>9}"
    )
    for mode, _mb, r in rows:
        moved = r["http_in"] + r["http_out"]
        print(
            f"{mode:<6} {r['size'] / MB:>6.0f}MB {r['state']:>8} {r['http_in']:>15,} / {r['http_out']:<13,} "
            f"{r['io'] / MB:>12.1f}MB {moved / r['size']:>16.3f} {r['peak_mb']:>7.0f}MB"
        )
    local = {mb: r for mode, mb, r in rows if mode == "local"}
    remote = {mb: r for mode, mb, r in rows if mode == "s3"}
    big, small = max(sizes), min(sizes)
    through = remote[big]["http_in"] + remote[big]["http_out"]
    moved = 2 * remote[big]["size"]
    print(f"\nS3 mode: bytes through the web process = {through:,} of {moved:,} master bytes moved")
    if big != small:
        local_ratio = local[big]["peak_mb"] / local[small]["peak_mb"]
        s3_ratio = remote[big]["peak_mb"] / remote[small]["peak_mb"]
        print(
            f"peak RSS, {big} MB / {small} MB master: local {local_ratio:.2f}, S3 {s3_ratio:.2f} (1 = flat)"
        )


if __name__ == "__main__":
    main()

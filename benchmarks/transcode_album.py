"""Benchmark: a 10-track album into every download format, ours on all cores against the ffmpeg CLI.

Run: .venv/bin/python benchmarks/transcode_album.py [--seconds 60] [--mode threads|processes|all] [--quick]

Prints wall time of our pipeline over the wall time of the Debian `ffmpeg` command line doing the same
encodes one after another (target <= 1.0), the real-time factor (seconds of audio per wall second), the peak
memory of the processes that did the work, and CPU seconds per format for both. Ours runs twice in threads
mode, once also signing Content Credentials into the formats C2PA carries (as the media jobs do), to show
what signing adds.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from storefront.attestations.signing.credentials import load_identity
from storefront.audio.credentials import (
    MasterFacts,
    Provenance,
    SigningCredential,
    carries_credentials,
    manifest_definition,
    sign_file,
)
from storefront.audio.formats import DOWNLOAD_FORMATS, get_format
from storefront.audio.synth import write_master
from storefront.audio.tagging import TrackTags, write_tags
from storefront.audio.transcode.batch import ENCODING_COST, transcode_track
from storefront.audio.transcode.encode import transcode
from storefront.config import Settings

FFMPEG_ARGS = {
    "flac": ["-c:a", "flac"],
    "flac-16-44": ["-c:a", "flac", "-sample_fmt", "s16", "-ar", "44100"],
    "alac": ["-c:a", "alac"],
    "wav": ["-c:a", "pcm_s16le"],
    "aiff": ["-c:a", "pcm_s16be"],
    "mp3-320": ["-c:a", "libmp3lame", "-b:a", "320k"],
    "mp3-v0": ["-c:a", "libmp3lame", "-q:a", "0"],
    "aac-256": ["-c:a", "aac", "-b:a", "256k"],
    "ogg-vorbis": ["-c:a", "libvorbis", "-q:a", "6"],
    "opus": ["-c:a", "libopus", "-b:a", "160k"],
}
MIB = 2**20


@dataclass
class Run:
    name: str
    wall: float = 0.0
    peak_rss: int = 0  # bytes, of the biggest process that did the work
    cpu_by_format: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def tags_for(number: int, tracks: int) -> TrackTags:
    cover = io.BytesIO()
    Image.new("RGB", (600, 600), (40, 60, 120)).save(cover, "JPEG", quality=85)
    return TrackTags(
        title=f"Track {number}",
        artist="Benchmark Ensemble",
        album="Timing",
        track_number=number,
        track_total=tracks,
        date="2025",
        cover_jpeg=cover.getvalue(),
        certificate_url="https://velvet.example/certificates/bench",
    )


def _max_rss(pid: int | None = None) -> int:
    """Peak RSS of a process in bytes. VmHWM rather than ru_maxrss: on Linux a child's ru_maxrss starts
    from its parent's RSS at fork, which would charge this script's own memory to every worker."""
    try:
        with open(f"/proc/{pid or 'self'}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 if pid is None else 0


def _one_format(
    src: str, dest: str, key: str, number: int, tracks: int, credential: SigningCredential | None
) -> tuple[str, float]:
    started = time.thread_time()
    transcode(src, dest, key)
    tags = tags_for(number, tracks)
    write_tags(dest, key, tags)
    if credential is not None and carries_credentials(key):
        master = MasterFacts("audio/flac", "0" * 64, 44100, 16)
        provenance = Provenance(
            tags, release_id=1, artist_id=1, track_position=number, attestation_id=1, master=master
        )
        sign_file(dest, key, manifest_definition(key, provenance), credential)
    return key, time.thread_time() - started


def run_threads(
    masters: list[str], out: str, workers: int, credential: SigningCredential | None = None
) -> tuple[float, int, dict[str, float]]:
    """Every (track, format) pair on a thread pool, slowest encoders first; runs in a fresh process."""
    jobs = [
        (m, os.path.join(out, f"{i:02d}-{k}{f.filename_suffix}"), k, i, len(masters), credential)
        for i, m in enumerate(masters, 1)
        for k, f in DOWNLOAD_FORMATS.items()
    ]
    jobs.sort(key=lambda job: -ENCODING_COST.get(job[2], 1))
    cpu: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for key, seconds in pool.map(lambda job: _one_format(*job), jobs):
            cpu[key] += seconds
    return time.perf_counter() - started, _max_rss(), dict(cpu)


def _whole_track(src: str, out: str, number: int, tracks: int) -> tuple[int, float]:
    outputs = {
        k: os.path.join(out, f"{number:02d}-{k}{f.filename_suffix}") for k, f in DOWNLOAD_FORMATS.items()
    }
    started = time.process_time()
    transcode_track(src, outputs, tags=tags_for(number, tracks))
    return _max_rss(), time.process_time() - started


def run_processes(masters: list[str], out: str, workers: int) -> tuple[float, int, dict[str, float]]:
    """One track per task (decoded once, fed to all ten encoders) on a process pool."""
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = list(
            pool.map(
                _whole_track,
                masters,
                [out] * len(masters),
                range(1, len(masters) + 1),
                [len(masters)] * len(masters),
            )
        )
    cpu = {"(all formats)": sum(c for _, c in results)}
    return time.perf_counter() - started, max(rss for rss, _ in results), cpu


def run_ours(
    mode: str, masters: list[str], work: Path, workers: int, credential: SigningCredential | None = None
) -> Run:
    out = work / f"ours-{mode}{'-signed' if credential else ''}"
    out.mkdir()
    context = multiprocessing.get_context("spawn")
    if mode == "threads":
        # In a fresh process so its peak memory is that of the work alone.
        with ProcessPoolExecutor(1, mp_context=context) as host:
            wall, rss, cpu = host.submit(run_threads, masters, str(out), workers, credential).result()
    else:
        wall, rss, cpu = run_processes(masters, str(out), workers)
    run = Run(f"ours: {mode} x{workers}{' + C2PA' if credential else ''}", wall, rss)
    run.cpu_by_format.update(cpu)
    return run


def run_ffmpeg(ffmpeg: str, masters: list[str], work: Path) -> Run:
    out = work / "ffmpeg"
    out.mkdir()
    run = Run("ffmpeg CLI, one encode after another")
    started = time.perf_counter()
    for i, master in enumerate(masters, 1):
        for key, args in FFMPEG_ARGS.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            dest = out / f"{i:02d}-{key}{get_format(key).filename_suffix}"
            command = [
                ffmpeg,
                "-nostdin",
                "-loglevel",
                "error",
                "-y",
                "-i",
                master,
                "-vn",
                "-map_metadata",
                "-1",
                *args,
                str(dest),
            ]
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL)
            try:
                while proc.poll() is None:  # sample its peak memory while it runs
                    run.peak_rss = max(run.peak_rss, _max_rss(proc.pid))
                    time.sleep(0.02)
            finally:
                if proc.poll() is None:  # interrupted: no encoder is left running behind the script
                    proc.kill()
                    proc.wait()
            if proc.returncode:
                raise subprocess.CalledProcessError(proc.returncode, command)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            run.cpu_by_format[key] += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    run.wall = time.perf_counter() - started
    return run


def make_album(work: Path, tracks: int, seconds: float) -> list[str]:
    masters = []
    for i in range(1, tracks + 1):
        masters.append(write_master(work / f"master-{i:02d}.flac", seed=100 + i, seconds=seconds))
    return masters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each track")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--mode", choices=["threads", "processes", "all"], default="threads")
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    parser.add_argument("--quick", action="store_true", help="2 tracks of 5 s, to try it out")
    options = parser.parse_args()
    if options.quick:
        options.tracks, options.seconds = 2, 5.0

    work = Path(tempfile.mkdtemp(prefix="velvet-bench-"))
    try:
        masters = make_album(work, options.tracks, options.seconds)
        audio_seconds = options.tracks * options.seconds
        files = options.tracks * len(DOWNLOAD_FORMATS)
        print(
            f"Album: {options.tracks} tracks x {options.seconds:.0f} s, 16-bit 44.1 kHz stereo FLAC "
            f"masters; {len(DOWNLOAD_FORMATS)} formats each ({files} files), tagged."
        )
        print(
            f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; "
            f"{options.workers} workers for ours.\n"
        )
        modes = ["threads", "processes"] if options.mode == "all" else [options.mode]
        runs = [run_ours(mode, masters, work, options.workers) for mode in modes]
        if "threads" not in modes:
            runs.insert(0, run_ours("threads", masters, work, options.workers))
        # The embedded default identity, issued in the scratch folder: what a development site signs with.
        credential = load_identity(Settings(instance_dir=str(work / "instance"))).credential
        signed = run_ours("threads", masters, work, options.workers, credential)
        runs.append(signed)
        ffmpeg = shutil.which("ffmpeg")
        reference = run_ffmpeg(ffmpeg, masters, work) if ffmpeg else None
        report(runs, reference, audio_seconds, options.workers)
        plain = runs[0]  # threads, without signing
        signed_files = options.tracks * sum(1 for key in DOWNLOAD_FORMATS if carries_credentials(key))
        print(
            f"\nContent Credentials ({signed_files} of {files} files signed): with/without signing "
            f"wall {signed.wall / plain.wall:.2f}, CPU "
            f"{sum(signed.cpu_by_format.values()) / sum(plain.cpu_by_format.values()):.2f}"
        )
        if not ffmpeg:
            print("\nffmpeg not found on PATH: skipped the comparison (apt-get install ffmpeg to run it).")
    finally:
        if options.keep:
            print(f"\nOutputs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(runs: list[Run], reference: Run | None, audio_seconds: float, workers: int) -> None:
    rows = [*runs, *([reference] if reference else [])]
    print(f"{'run':<40} {'wall s':>7} {'CPU s':>7} {'RTF':>7} {'peak RSS MiB':>13} {'ours/ffmpeg':>12}")
    print("-" * 91)
    for run in rows:
        ratio = f"{run.wall / reference.wall:.2f}" if reference and run is not reference else ""
        cpu = sum(run.cpu_by_format.values())
        print(
            f"{run.name:<40} {run.wall:7.1f} {cpu:7.1f} {audio_seconds / run.wall:6.1f}x "
            f"{run.peak_rss / MIB:13.0f} {ratio:>12}"
        )
    print(f"(RTF: seconds of master audio per wall second; load average now {os.getloadavg()[0]:.1f})")
    if reference:
        best = min(runs, key=lambda r: r.wall)
        verdict = "met" if best.wall <= reference.wall else "NOT met"
        print(f"\nours/ffmpeg wall time: {best.wall / reference.wall:.2f} (target <= 1.0: {verdict})")
        # Other work on the machine slows a run spread over all cores more than a sequential one, so the
        # CPU time gives the ratio that {workers} otherwise idle cores would show.
        cpu_ratio = sum(best.cpu_by_format.values()) / sum(reference.cpu_by_format.values())
        print(
            f"ours/ffmpeg CPU time: {cpu_ratio:.2f}; on {workers} idle cores the wall ratio would be about "
            f"{cpu_ratio / workers:.2f}"
        )
    threads = next((r for r in runs if r.name.startswith("ours: threads")), None)
    if threads and reference:
        print(f"\nCPU seconds per format, whole album  {'ours':>8} {'ffmpeg':>8} {'ratio':>7}")
        for key in DOWNLOAD_FORMATS:
            ours, theirs = threads.cpu_by_format.get(key, 0.0), reference.cpu_by_format.get(key, 0.0)
            ratio = f"{ours / theirs:.2f}" if theirs else "-"
            print(f"  {key:<35}{ours:8.1f} {theirs:8.1f} {ratio:>7}")
        total_ours = sum(threads.cpu_by_format.values())
        total_theirs = sum(reference.cpu_by_format.values())
        print(f"  {'total':<35}{total_ours:8.1f} {total_theirs:8.1f} {total_ours / total_theirs:7.2f}")


if __name__ == "__main__":
    main()

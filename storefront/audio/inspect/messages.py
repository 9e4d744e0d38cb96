"""The words shown to an artist for each problem found in a master: what is wrong, then what to do."""

from __future__ import annotations

from storefront.audio.problems import Problem, format_bytes, format_duration, format_length

ACCEPTED = "FLAC, WAV, AIFF or ALAC (.m4a)"
_REEXPORT = "Export the track again from your audio software and upload the new file."
_CLEAN = (
    "Upload a clean export made directly by your audio software, not a file that has been combined "
    "with anything else."
)


def _q(name: str) -> str:
    return f"“{name}”"


def _rate(hz: int) -> str:
    return f"{hz / 1000:g} kHz"


def empty(name: str) -> Problem:
    return Problem(
        "empty", f"{_q(name)} is empty (0 bytes).", "The export or the upload did not finish. " + _REEXPORT
    )


def too_large(name: str, size: int, limit: int) -> Problem:
    shown = format_bytes(size)
    shown = f"just over {shown}" if shown == format_bytes(limit) else shown
    return Problem(
        "too_large",
        f"{_q(name)} is {shown}; the largest file we accept is {format_bytes(limit)}.",
        "Export it as FLAC, which is about half the size of WAV with no loss in quality. "
        "If it is a long recording, split it into tracks.",
    )


def not_audio(name: str, label: str) -> Problem:
    what = "we could not recognise what it contains" if label.startswith("a file we") else f"it is {label}"
    return Problem(
        "not_audio",
        f"{_q(name)} is not an audio file: {what}.",
        f"Check that you picked the right file, then upload the lossless export of your track ({ACCEPTED}).",
    )


def lossy(name: str, codec: str, description: str) -> Problem:
    return Problem(
        "lossy_codec",
        f"{_q(name)} {description}. {codec} is a lossy format, so some of the "
        "original sound has already been thrown away.",
        f"We sell lossless downloads and need the lossless export of your track: {ACCEPTED}. "
        f"Converting this {codec} file to one of those will not bring back what was lost.",
    )


def unsupported(name: str, label: str) -> Problem:
    return Problem(
        "unsupported_format",
        f"{_q(name)} is {label}, which we do not accept.",
        f"Convert it to FLAC or WAV (most audio software can, without any loss) or export it "
        f"again as {ACCEPTED}.",
    )


def extension_mismatch(name: str, label: str, ext: str, right_ext: str) -> Problem:
    return Problem(
        "extension_mismatch",
        f"{_q(name)} is {label}, but its name ends in {ext}.",
        f"Rename it to end in {right_ext} and upload it again, so that it opens correctly in every program.",
    )


def corrupt(name: str, detail: str) -> Problem:
    return Problem("corrupt", f"{_q(name)} is damaged and cannot be read: {detail}.", _REEXPORT)


def no_audio(name: str) -> Problem:
    return Problem(
        "no_audio",
        f"{_q(name)} contains no audio, only a file header.",
        "The export probably stopped before it wrote any sound. " + _REEXPORT,
    )


def truncated(name: str, end: float | None, total: float | None) -> Problem:
    if end is not None and total is not None:
        text = f"{_q(name)} ends early at {format_duration(end)} of {format_duration(total)}."
    elif end is not None:
        text = f"{_q(name)} ends early at {format_duration(end)}: the rest of the file is missing."
    else:
        text = f"{_q(name)} is cut short: the end of the file is missing."
    return Problem("truncated", text, "The file was cut off during export, copying or upload. " + _REEXPORT)


def crc_error(name: str, at: float | None) -> Problem:
    where = f" around {format_duration(at)}" if at is not None else ""
    return Problem(
        "crc_error",
        f"{_q(name)} is damaged{where}: its audio does not match the checksums "
        "stored in the file, so it would not play back as you made it.",
        "The file was corrupted after it was made, often by a failing disk or an interrupted "
        "copy. " + _REEXPORT,
    )


def hidden_file(name: str, label: str) -> Problem:
    return Problem("hidden_file", f"{_q(name)} has {label} hidden inside it.", _CLEAN)


def trailing_data(name: str, extra: int) -> Problem:
    return Problem(
        "trailing_data",
        f"{_q(name)} has {format_bytes(extra)} of unexpected data after the end of its audio.",
        _CLEAN,
    )


def tags_too_large(name: str, what: str, size: int, limit: int) -> Problem:
    return Problem(
        "tags_too_large",
        f"{_q(name)} carries {format_bytes(size)} of {what}; the most we accept is {format_bytes(limit)}.",
        "Remove the embedded artwork and long notes from the file (upload the cover separately on "
        "the release page), then export or save it again.",
    )


def sample_rate(name: str, hz: int, allowed: tuple[int, ...]) -> Problem:
    listed = ", ".join(_rate(r) for r in allowed)
    return Problem(
        "sample_rate",
        f"{_q(name)} has a sample rate of {_rate(hz)}; we accept {listed}.",
        "Export at the sample rate of your session (44.1 kHz or higher). Converting a lower-rate "
        "file upward does not add back the detail it is missing.",
    )


def bit_depth(name: str, bits: int, is_float: bool, allowed: tuple[int, ...]) -> Problem:
    kind = "floating-point " if is_float else ""
    listed = ", ".join(str(b) for b in allowed[:-1])
    listed = f"{listed} or {allowed[-1]}" if listed else str(allowed[-1])
    return Problem(
        "bit_depth",
        f"{_q(name)} is {bits}-bit {kind}audio; we accept {listed}-bit.",
        "Export at 24-bit (or 16-bit) from your audio software.",
    )


def channels(name: str, count: int, low: int, high: int) -> Problem:
    allowed = {1: "mono", 2: "mono or stereo"}.get(high, f"{low} to {high} channels")
    advice = "Export a stereo mix of the track." if high == 2 else "Export the track with fewer channels."
    return Problem("channels", f"{_q(name)} has {count} channels; we accept {allowed}.", advice)


def too_short(name: str, seconds: float, minimum: float) -> Problem:
    return Problem(
        "too_short",
        f"{_q(name)} is only {format_length(seconds)} long; a track must be at least "
        f"{format_length(minimum)}.",
        "Check that you exported the whole track. " + _REEXPORT,
    )


def too_long(name: str, seconds: float | None, maximum: float) -> Problem:
    most = format_duration(maximum)
    if seconds is None:
        text = f"{_q(name)} is longer than {most}, the most a single track can be."
    else:
        text = f"{_q(name)} is {format_duration(seconds)} long; a single track can be at most {most}."
    return Problem("too_long", text, "Split the recording into separate tracks and upload each one.")


def silence_only(name: str) -> Problem:
    return Problem(
        "silence_only",
        f"{_q(name)} is silent from start to end.",
        "Check that you exported the right track and that nothing was muted, then export it again.",
    )


def decode_timeout(name: str) -> Problem:
    return Problem(
        "decode_timeout",
        f"We could not finish checking {_q(name)} in the time allowed.",
        "Try the upload again. If it happens again, export the track as FLAC or WAV and upload that.",
    )


def tags_truncated(name: str) -> Problem:
    return Problem(
        "tags_truncated",
        f"Some tags in {_q(name)} were too long or too many; we kept the first part.",
        "Nothing to do unless the tags matter to you: titles and credits are set on the release page.",
    )


def tags_unreadable(name: str) -> Problem:
    return Problem(
        "tags_unreadable",
        f"We could not read the tags in {_q(name)}, so we ignored them.",
        "Nothing to do: titles and credits are set on the release page.",
    )

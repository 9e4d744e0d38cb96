// One player for the page: the tracklist's audio elements become a queue that plays on by itself, with a
// waveform to seek on, keys and lock-screen controls; where each track was left is kept for the visit.
import { drawWaveform } from "./waveform.js";

const root = document.querySelector("[data-player]"), data = root && root.dataset;
const rows = root ? [...root.querySelectorAll("li")].filter((li) => li.querySelector("audio")) : [];
const audio = new Audio(), ms = navigator.mediaSession || {};
const aria = (el, name, value) => el.setAttribute("aria-" + name, value);
const clock = (s) => ((s / 60) | 0) + ":" + String(s % 60 | 0).padStart(2, "0");
let at = 0, wave;
// A play is counted once a track has been heard for this long (or half of a shorter one); the count keeps
// nothing about the listener.
const HEARD = 20;
let heard = 0, last = 0;

function memo(key, value) {
  try {
    key = "velvet:" + key;
    if (value === undefined) return sessionStorage.getItem(key);
    value ? sessionStorage.setItem(key, value) : sessionStorage.removeItem(key);
  } catch { /* storage refused: the player only forgets */ }
}

if (rows.length) {
  const [play, prev, next, seek, now, time] = "play prev next seek now time".split(" ").map((n) => root.querySelector(`[data-${n}]`));
  const canvas = seek.firstChild, id = () => rows[at].dataset.id, title = (i) => rows[i].querySelector("a").textContent;
  const sources = rows.map((li) => li.querySelector("audio").src);
  const length = () => isFinite(audio.duration) ? audio.duration : (wave && (wave.preview.length || wave.duration)) || 0;
  const resume = () => audio.play().catch(() => {});
  const toggle = () => audio.paused ? resume() : audio.pause();
  const go = (i) => rows[i] && (load(i), resume());
  const jump = (t) => { audio.currentTime = Math.max(0, Math.min(t, length())); progress(); };
  const buttons = rows.map((li, i) => {
    const b = document.createElement("button");
    b.className = "track__play";
    b.onclick = () => i === at ? toggle() : go(i);
    li.querySelector("audio").remove();
    li.firstElementChild.prepend(b, " ");
    return b;
  });

  function progress() {
    const t = audio.currentTime, d = length(), clip = wave && wave.preview.length && wave.preview;
    const from = clip ? clip.start / wave.duration : 0; // a clip plays one stretch of the master
    time.textContent = clock(t) + " / " + clock(d);
    aria(seek, "valuemax", Math.round(d));
    aria(seek, "valuenow", Math.round(t));
    aria(seek, "valuetext", clock(t) + " of " + clock(d));
    drawWaveform(canvas, wave ? wave.peaks : [], from, clip ? from + clip.length / wave.duration : 1, d && t / d);
    canvas.dataset.peaks = wave ? wave.track_id : "";
    try { ms.setPositionState({ duration: d, position: Math.min(t, d) }); } catch { /* no duration yet */ }
  }

  function state() {
    const on = !audio.paused;
    root.dataset.state = ms.playbackState = on ? "playing" : "paused";
    [play, ...buttons].forEach((b, i) => aria(b, "label", (on && (!i || i - 1 === at) ? "Pause" : "Play") + (i ? " " + title(i - 1) : "")));
  }

  function load(i) {
    at = i;
    rows.forEach((li) => li.toggleAttribute("aria-current", li === rows[i]));
    audio.src = sources[i];
    audio.currentTime = memo("at:" + id()) || 0; // before any data arrives: where playback starts
    memo("current", id());
    now.textContent = title(i);
    prev.disabled = !i;
    next.disabled = !rows[i + 1];
    wave = null;
    heard = last = 0;
    progress();
    fetch(data.analysis.replace("ID", id())).then((r) => r.ok && r.json())
      .then((found) => { if (found && at === i) { wave = found; progress(); } }).catch(() => {});
    if (window.MediaMetadata) {
      ms.metadata = new MediaMetadata({ title: title(i), artist: data.artist, album: data.album, artwork: data.artwork ? [{ src: data.artwork }] : [] });
    }
  }

  const actions = { play: resume, pause: () => audio.pause(), previoustrack: () => go(at - 1), nexttrack: () => go(at + 1),
    seekto: (e) => jump(e.seekTime), seekbackward: () => jump(audio.currentTime - 10), seekforward: () => jump(audio.currentTime + 10) };
  for (const a in actions) {
    try { ms.setActionHandler(a, actions[a]); } catch { /* not offered by this browser */ }
  }
  audio.onplay = audio.onpause = state;
  audio.ondurationchange = progress;
  audio.ontimeupdate = () => {
    if (audio.currentTime) memo("at:" + id(), audio.currentTime.toFixed(1));
    const step = audio.currentTime - last;
    last = audio.currentTime;
    const enough = Math.min(HEARD, length() / 2 || HEARD);
    if (step > 0 && step < 2 && heard < enough && (heard += step) >= enough && data.plays && navigator.sendBeacon) {
      navigator.sendBeacon(data.plays.replace("ID", id()));
    }
    progress();
  };
  audio.onended = () => { memo("at:" + id(), null); go(at + 1); };
  audio.onerror = () => { time.textContent = "This preview cannot be played now."; };
  audio.preload = "none";
  play.onclick = toggle;
  prev.onclick = () => go(at - 1);
  next.onclick = () => go(at + 1);
  seek.onclick = (e) => { const box = seek.getBoundingClientRect(); jump(((e.clientX - box.left) / box.width) * length()); };
  seek.onkeydown = (e) => {
    const t = audio.currentTime, d = length();
    const to = { ArrowRight: t + 5, ArrowUp: t + 5, ArrowLeft: t - 5, ArrowDown: t - 5, PageUp: t + d / 10, PageDown: t - d / 10, Home: 0, End: d }[e.key];
    if (e.key === " ") toggle();
    else if (to === undefined) return;
    else jump(to);
    e.preventDefault();
  };
  addEventListener("resize", progress);
  root.append(audio);
  root.firstElementChild.hidden = false;
  load(Math.max(0, rows.findIndex((li) => li.dataset.id === memo("current"))));
  state();
}

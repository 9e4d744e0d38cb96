// A waveform from stored peaks ([min, max, ...] in -127..127) as bars: the played part in the canvas's colour,
// the rest in its --wave-rest colour. `from` and `to` (0..1) pick the stretch of the peaks to draw.
export function drawWaveform(canvas, peaks, from, to, played) {
  const r = devicePixelRatio || 1, w = (canvas.width = canvas.clientWidth * r), h = (canvas.height = canvas.clientHeight * r);
  const g = canvas.getContext("2d"), style = getComputedStyle(canvas), n = peaks.length / 2, first = (from * n) | 0;
  const span = Math.max(1, Math.ceil(to * n) - first), mid = h / 2;
  for (let x = 0; x < w; x += 3 * r) {
    let lo = 0, hi = 0;
    for (let i = first + ((x / w) * span) | 0, end = first + (((x + 3 * r) / w) * span) | 0; i <= end && i < n; i++) {
      lo = Math.min(lo, peaks[2 * i]);
      hi = Math.max(hi, peaks[2 * i + 1]);
    }
    g.fillStyle = x < played * w ? style.color : style.getPropertyValue("--wave-rest");
    g.fillRect(x, mid - (hi / 127) * mid, 2 * r, Math.max(r, ((hi - lo) / 127) * mid));
  }
}

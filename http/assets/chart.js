// LineChart: a canvas chart for downsampled training series, written for this page alone.
//
// Data comes as buckets (x = first step of each bucket) with a mean per series and, when the
// server merged several mini-batches into one bucket, their min and max: the min/max band is drawn
// behind the (optionally smoothed) mean line, so a spike inside a bucket stays visible. Smoothing
// is the debiased exponential moving average TensorBoard uses, so the first points are not pulled
// towards zero. Zoom: drag selects a step range and reports it through onZoom; the page then asks
// the server for that range at full detail. The chart records how many points it drew in
// canvas.dataset.points (the browser test waits on it).
"use strict";

class LineChart {
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.opts = Object.assign({ series: [], percent: false, logAllowed: true }, opts);
    this.data = null;
    this.smoothing = 0.6;
    this.log = false;
    this.hover = null;
    this.drag = null;
    this.onZoom = null;
    this.tooltip = document.createElement("div");
    this.tooltip.className = "tooltip";
    this.tooltip.hidden = true;
    document.body.appendChild(this.tooltip);
    canvas.addEventListener("mousemove", (e) => this._move(e));
    canvas.addEventListener("mouseleave", () => { this.hover = null; this.tooltip.hidden = true; if (!this.drag) this.draw(); });
    canvas.addEventListener("mousedown", (e) => { const x = this._localX(e); if (x >= this.plot.x0) this.drag = { a: x, b: x }; });
    window.addEventListener("mouseup", () => this._endDrag());
    canvas.addEventListener("dblclick", () => { if (this.onZoom) this.onZoom(null); });
    new ResizeObserver(() => this.draw()).observe(canvas);
    this.plot = { x0: 52, x1: 0, y0: 10, y1: 0 };
  }

  setData(data) { this.data = data; this._prepare(); this.draw(); }
  setSmoothing(s) { this.smoothing = s; this._prepare(); this.draw(); }
  setLog(on) { this.log = on && this.opts.logAllowed; this.draw(); }

  // Smoothed means per series (NaN where the value is missing).
  _prepare() {
    this.smoothed = {};
    if (!this.data) return;
    for (const s of this.opts.series) {
      const src = this.data.series[s.key];
      const mean = src ? src.mean : [];
      const out = new Array(mean.length);
      let last = 0, n = 0;
      const w = this.smoothing;
      for (let i = 0; i < mean.length; i++) {
        const v = mean[i];
        if (v === null || !isFinite(v)) { out[i] = NaN; continue; }
        last = last * w + (1 - w) * v;
        n++;
        out[i] = w > 0 ? last / (1 - Math.pow(w, n)) : v;
      }
      this.smoothed[s.key] = out;
    }
  }

  _localX(e) { return e.clientX - this.canvas.getBoundingClientRect().left; }

  _xToStep(px) {
    const { x0, x1 } = this.plot, [a, b] = this.xr;
    return a + (px - x0) / Math.max(1, x1 - x0) * (b - a);
  }

  _endDrag() {
    if (!this.drag) return;
    const d = this.drag;
    this.drag = null;
    if (Math.abs(d.b - d.a) > 6 && this.onZoom) {
      const s0 = this._xToStep(Math.min(d.a, d.b)), s1 = this._xToStep(Math.max(d.a, d.b));
      this.onZoom([Math.floor(s0), Math.ceil(s1)]);
    } else {
      this.draw();
    }
  }

  _move(e) {
    const x = this._localX(e);
    if (this.drag) { this.drag.b = Math.max(this.plot.x0, Math.min(this.plot.x1, x)); this.draw(); return; }
    if (!this.data || !this.data.x.length) return;
    const step = this._xToStep(x), xs = this.data.x;
    let lo = 0, hi = xs.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (xs[mid] < step) lo = mid + 1; else hi = mid; }
    if (lo > 0 && Math.abs(xs[lo - 1] - step) < Math.abs(xs[lo] - step)) lo--;
    this.hover = lo;
    this.draw();
    this._tooltip(e, lo);
  }

  _fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    return this.opts.percent ? (v * 100).toFixed(1) + "%" : (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4));
  }

  _tooltip(e, i) {
    const d = this.data, t = this.tooltip;
    const xn = this.opts.xName || "step";
    const range = d.x_end[i] !== d.x[i] ? `${xn}s ${d.x[i]}–${d.x_end[i]}` : `${xn} ${d.x[i]}`;
    let html = `<b>${range}</b>`;
    for (const s of this.opts.series) {
      const src = d.series[s.key];
      if (!src) continue;
      const mean = src.mean[i];
      if (mean === null) continue;
      let line = `<br><i style="background:${s.color}"></i>${s.label}: ${this._fmt(mean)}`;
      if (this.smoothing > 0) line += ` (smoothed ${this._fmt(this.smoothed[s.key][i])})`;
      if (src.min) line += ` [${this._fmt(src.min[i])} … ${this._fmt(src.max[i])}]`;
      html += line;
    }
    t.innerHTML = html;
    t.hidden = false;
    const r = t.getBoundingClientRect();
    let left = e.clientX + 14;
    if (left + r.width > window.innerWidth - 8) left = e.clientX - r.width - 14;
    t.style.left = left + "px";
    t.style.top = (e.clientY + 12) + "px";
  }

  draw() {
    const c = this.canvas, dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    if (!w || !h) return;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const g = c.getContext("2d");
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue("--muted").trim() || "#666", grid = css.getPropertyValue("--grid").trim() || "#eee";
    const P = this.plot;
    P.x1 = w - 10; P.y1 = h - 44;
    const d = this.data;
    g.font = "11px system-ui, sans-serif";
    g.fillStyle = fg;
    if (!d || !d.x.length) {
      g.fillText("no mini-batches yet", P.x0 + 10, 30);
      c.dataset.points = "0";
      return;
    }
    const xs = d.x, n = xs.length;
    this.xr = [xs[0], Math.max(d.x_end[n - 1], xs[0] + 1)];
    // y range over what is drawn (bands included), positive values only on a log axis.
    let lo = Infinity, hi = -Infinity;
    const consider = (v) => { if (v !== null && isFinite(v) && (!this.log || v > 0)) { if (v < lo) lo = v; if (v > hi) hi = v; } };
    for (const s of this.opts.series) {
      const src = d.series[s.key];
      if (!src) continue;
      for (let i = 0; i < n; i++) { consider(src.mean[i]); if (src.min) { consider(src.min[i]); consider(src.max[i]); } }
    }
    if (!isFinite(lo)) { g.fillText("no values for these series in this run", P.x0 + 10, 30); c.dataset.points = "0"; return; }
    if (this.opts.percent && !this.log) { lo = Math.min(lo, 0); hi = Math.max(hi, 1); }
    if (hi === lo) { hi += 1; lo -= this.log ? lo / 2 : 1; }
    const tf = this.log ? Math.log10 : (v) => v;
    const tlo = tf(lo), thi = tf(hi), pad = (thi - tlo) * 0.04;
    const ya = tlo - pad, yb = thi + pad;
    const X = (s) => P.x0 + (s - this.xr[0]) / (this.xr[1] - this.xr[0]) * (P.x1 - P.x0);
    const Y = (v) => P.y1 - (tf(v) - ya) / (yb - ya) * (P.y1 - P.y0);

    // Grid and y ticks.
    g.strokeStyle = grid; g.lineWidth = 1; g.textAlign = "right"; g.textBaseline = "middle";
    const ticks = this.log ? logTicks(lo, hi) : niceTicks(lo, hi, 5);
    for (const t of ticks) {
      const y = Y(t);
      if (y < P.y0 - 1 || y > P.y1 + 1) continue;
      g.beginPath(); g.moveTo(P.x0, y); g.lineTo(P.x1, y); g.stroke();
      g.fillText(this.opts.percent ? Math.round(t * 100) + "%" : shortNum(t), P.x0 - 6, y);
    }
    g.textAlign = "center"; g.textBaseline = "top";
    for (const t of niceTicks(this.xr[0], this.xr[1], 6)) {
      const x = X(t);
      if (x < P.x0 || x > P.x1 || (this.opts.xName === "epoch" && !Number.isInteger(t))) continue;
      g.fillText(shortNum(t), x, P.y1 + 5);
    }
    g.fillText(this.opts.xName === "epoch" ? "evaluation epoch" : "mini-batch", (P.x0 + P.x1) / 2, P.y1 + 19);

    let points = 0;
    g.save();
    g.beginPath(); g.rect(P.x0, P.y0 - 2, P.x1 - P.x0, P.y1 - P.y0 + 4); g.clip();
    for (const s of this.opts.series) {
      const src = d.series[s.key];
      if (!src) continue;
      if (src.min) {  // min/max band of each bucket
        g.fillStyle = s.color; g.globalAlpha = 0.16;
        g.beginPath();
        let open = false;
        for (let i = 0; i < n; i++) {
          const a = src.min[i], b = src.max[i];
          if (a === null || (this.log && (a <= 0 || b <= 0))) continue;
          const x = X(xs[i]);
          g.rect(x - 0.5, Y(b), Math.max(1, X(d.x_end[i]) - x + 1), Math.max(1, Y(a) - Y(b)));
          open = true;
        }
        if (open) g.fill();
        g.globalAlpha = 1;
      }
      const vals = this.smoothing > 0 ? this.smoothed[s.key] : src.mean;
      if (this.smoothing > 0) {  // raw means, faint, under the smoothed line
        g.strokeStyle = s.color; g.globalAlpha = 0.25; g.lineWidth = 1;
        points += this._path(g, src.mean, X, Y);
        g.globalAlpha = 1;
      }
      g.strokeStyle = s.color; g.lineWidth = 1.6;
      points += this._path(g, vals, X, Y);
    }
    // A marked x (the best epoch): a dashed line and its label.
    if (this.opts.mark && this.opts.mark.x !== null && this.opts.mark.x !== undefined &&
        this.opts.mark.x >= this.xr[0] && this.opts.mark.x <= this.xr[1]) {
      const mx = X(this.opts.mark.x);
      g.strokeStyle = "#e0a800"; g.lineWidth = 1.5; g.setLineDash([5, 4]);
      g.beginPath(); g.moveTo(mx, P.y0); g.lineTo(mx, P.y1); g.stroke(); g.setLineDash([]);
      g.fillStyle = "#b08400"; g.textAlign = mx > P.x1 - 80 ? "right" : "left"; g.textBaseline = "top";
      g.fillText(this.opts.mark.label, mx + (g.textAlign === "right" ? -4 : 4), P.y0 + 2);
    }
    g.restore();
    c.dataset.points = String(points);

    // Legend.
    g.textAlign = "left"; g.textBaseline = "middle";
    let lx = P.x0 + 4;
    for (const s of this.opts.series) {
      const src = d.series[s.key];
      if (!src || !src.mean.some((v) => v !== null)) continue;
      g.fillStyle = s.color; g.fillRect(lx, h - 11, 10, 3);
      g.fillStyle = fg; g.fillText(s.label, lx + 14, h - 10);
      lx += g.measureText(s.label).width + 30;
    }
    if (this.hover !== null && this.hover < n) {
      const x = X(xs[this.hover]);
      g.strokeStyle = fg; g.globalAlpha = 0.5; g.beginPath(); g.moveTo(x, P.y0); g.lineTo(x, P.y1); g.stroke(); g.globalAlpha = 1;
    }
    if (this.drag) {
      g.fillStyle = "rgba(47,111,237,0.15)";
      g.fillRect(Math.min(this.drag.a, this.drag.b), P.y0, Math.abs(this.drag.b - this.drag.a), P.y1 - P.y0);
    }
  }

  _path(g, vals, X, Y) {
    const xs = this.data.x;
    let drawn = 0, pen = false;
    g.beginPath();
    for (let i = 0; i < xs.length; i++) {
      const v = vals[i];
      if (v === null || !isFinite(v) || (this.log && v <= 0)) { if (!this.opts.joinGaps) pen = false; continue; }
      const x = X(xs[i]), y = Y(v);
      if (pen) g.lineTo(x, y); else g.moveTo(x, y);
      pen = true;
      drawn++;
    }
    if (drawn === 1) { const i = vals.findIndex((v) => v !== null && isFinite(v)); g.arc(X(xs[i]), Y(vals[i]), 2, 0, 7); }
    g.stroke();
    return drawn;
  }
}

function niceTicks(lo, hi, count) {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

function logTicks(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) { const v = m * Math.pow(10, e); if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v); }
  }
  return out.length ? out : [lo, hi];
}

function shortNum(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (a >= 1000) return (v / 1e3).toFixed(1) + "k";
  if (a === 0) return "0";
  if (a < 0.01) return v.toExponential(0);
  return String(+v.toPrecision(3));
}

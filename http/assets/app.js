// The monitor page: state, API calls and live updates. No framework, no build step.
//
// The URL is the state a user can share: /<run>/<epoch> (the reference monitor's URLs). The page
// loads what it shows from /api/ and keeps it current from one EventSource on /events?run=<run>:
// "batches" and "files" re-fetch the downsampled series (throttled to one request a second, so a
// fast trainer cannot make the page busy), "eval" refreshes the epoch list and, when the newest
// epoch was on screen, moves to the new one, "progress" updates the header.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  runs: [], run: null, info: null, epochs: [], epoch: null, page: 0, zoom: null,
  follow: true, es: null, seriesTimer: null, seriesAt: 0, seriesInflight: false, gen: 0, ended: false,
};

const charts = {
  dloss: new LineChart($("chart-dloss"), { series: [
    { key: "d_loss_real", label: "D loss real", color: "#2f6fed" },
    { key: "d_loss_fake", label: "D loss fake", color: "#e8590c" }] }),
  gloss: new LineChart($("chart-gloss"), { series: [
    { key: "g_loss", label: "G loss", color: "#0ca678" },
    { key: "class_loss", label: "class loss", color: "#ae3ec9" }] }),
  acc: new LineChart($("chart-acc"), { percent: true, logAllowed: false, series: [
    { key: "d_acc_real", label: "D acc real", color: "#2f6fed" },
    { key: "d_acc_fake", label: "D acc fake", color: "#e8590c" },
    { key: "class_acc", label: "class acc", color: "#ae3ec9" }] }),
};
const quality = {
  fd: new LineChart($("chart-fd"), { xName: "epoch", mark: { x: null, label: "★ best" }, series: [
    { key: "fd", label: "Fréchet distance", color: "#d6336c" }] }),
  rates: new LineChart($("chart-quality"), { xName: "epoch", percent: true, logAllowed: false, mark: { x: null, label: "★ best" }, series: [
    { key: "class_agreement", label: "class agreement", color: "#ae3ec9" },
    { key: "precision", label: "precision", color: "#2f6fed" },
    { key: "recall", label: "recall", color: "#0ca678" }] }),
};
for (const c of Object.values(quality)) c.setSmoothing(0);
const COMPARE_COLORS = ["#2f6fed", "#e8590c", "#0ca678", "#ae3ec9", "#d6336c", "#1098ad", "#5c940d", "#f08c00"];
const compareCharts = {};
window.ganMonitor = { state, charts, quality, compareCharts };  // for the browser test and the curious

const enc = encodeURIComponent;

async function api(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (r.status === 401) { location.href = "/login?next=" + enc(location.pathname); throw new Error("login needed"); }
  const body = await r.json().catch(() => ({ error: `HTTP ${r.status}` }));
  if (!r.ok) { const e = new Error(body.error || `HTTP ${r.status}`); e.status = r.status; throw e; }
  return body;
}

function message(text) { const m = $("message"); m.textContent = text || ""; m.hidden = !text; }
function el(tag, attrs, text) { const e = document.createElement(tag); Object.assign(e, attrs || {}); if (text !== undefined) e.textContent = text; return e; }
function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (Array.isArray(v)) return v.map(fmt).join(", ");  // per-class values
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1000 ? v.toFixed(1) : String(+v.toPrecision(5));
}
function duration(s) {
  if (s === null || !isFinite(s) || s < 0) return "–";
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), sec = s % 60;
  return h ? `${h}h ${m}m` : m ? `${m}m ${sec}s` : `${sec}s`;
}
function bytes(n) { return n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + " MB" : n >= 1024 ? (n / 1024).toFixed(1) + " kB" : n + " B"; }

// ---- runs ----
async function loadRuns() {
  const d = await api("/api/runs");
  state.runs = d.runs;
  const sel = $("run");
  sel.replaceChildren(...d.runs.map((r) => el("option", { value: r.id }, r.live ? `● ${r.id} (live)` : r.id)));
  if (state.run) sel.value = state.run;
  const cmp = $("compare-runs"), picked = new Set([...cmp.selectedOptions].map((o) => o.value));
  cmp.replaceChildren(...d.runs.map((r) => el("option", { value: r.id, selected: picked.has(r.id) }, r.id)));
  return d;
}

async function openRun(run, epoch) {
  state.run = run; state.epoch = null; state.zoom = null; state.page = 0; state.follow = epoch === null;
  $("run").value = run;
  $("reset-zoom").disabled = true;
  connectEvents();
  await loadRunInfo();
  await Promise.all([loadSeries(), selectEpoch(epoch !== null ? epoch : (state.epochs[0] ?? null), false)]);
}

// Quality metrics per evaluation epoch and the best epoch (best.json): the quality charts and the
// "★ best" mark in the epoch selector.
async function loadQuality() {
  const run = state.run;
  const q = await api(`/api/runs/${enc(run)}/quality`);
  if (run !== state.run) return null;
  state.quality = q;
  state.bestEpoch = q.best_epoch;
  const pts = q.epochs;
  $("quality-section").hidden = !pts.length;
  const xs = pts.map((p) => p.epoch);
  const data = { x: xs, x_end: xs, series: {} };
  for (const k of ["fd", "class_agreement", "precision", "recall"]) data.series[k] = { mean: pts.map((p) => p[k]) };
  for (const c of Object.values(quality)) { c.opts.mark.x = q.best_epoch; if (pts.length) c.setData(data); }
  const ev = pts.length ? pts[pts.length - 1].evaluator_accuracy : null;
  $("best-info").textContent = (q.best ? `★ best: epoch ${q.best_epoch}` + (q.best.why ? ` (${q.best.why})` : "") : "no best.json yet") +
    (ev !== null && ev !== undefined ? ` · evaluator accuracy ${(100 * ev).toFixed(1)}% on held-out real images` : "");
  return q;
}

async function loadRunInfo() {
  const run = state.run;
  const [info] = await Promise.all([api(`/api/runs/${enc(run)}`), loadQuality().catch(() => null)]);
  if (run !== state.run) return;
  state.info = info;
  state.epochs = info.epochs;
  $("live-badge").hidden = !info.live;
  showProgress(info.progress);
  const h = $("hyper");
  h.replaceChildren();
  if (info.hyperparameters && typeof info.hyperparameters === "object") {
    for (const [k, v] of Object.entries(info.hyperparameters)) {
      const tr = el("tr"); tr.append(el("td", {}, k), el("td", {}, typeof v === "object" ? JSON.stringify(v) : fmt(v))); h.append(tr);
    }
  } else {
    h.append(el("tr", {}, "no hyperparameters.json in this run"));
  }
  $("target").src = info.target ? `/files/${enc(run)}/target.png` : "";
  const sel = $("epoch");
  sel.replaceChildren(...info.epochs.map((e) => el("option", { value: e }, e === state.bestEpoch ? `Epoch ${e} ★ best` : `Epoch ${e}`)));
  const slider = $("epoch-slider");
  slider.max = Math.max(0, info.epochs.length - 1);
  slider.disabled = info.epochs.length < 2;
  if (state.epoch !== null) { sel.value = state.epoch; slider.value = info.epochs.length - 1 - info.epochs.indexOf(state.epoch); }
  if (info.errors.length) message("Some files could not be read yet: " + info.errors.join("; "));
}

function showProgress(p) {
  // The training process sends this as its last word before its monitor stops: the stream's end
  // that follows is not a connection problem.
  if (p && p.finished && p.run === state.run) state.ended = true;
  const box = $("progress");
  if (!p || !p.live) { box.hidden = true; $("live-badge").hidden = true; return; }
  box.hidden = false;
  $("live-badge").hidden = false;
  const total = p.epochs * p.batches, done = (p.epoch - 1) * p.batches + p.batch;
  $("progress-fill").style.width = total > 0 ? (100 * done / total).toFixed(1) + "%" : "0";
  $("progress-text").textContent = `epoch ${p.epoch}/${p.epochs}, mini-batch ${p.batch}/${p.batches}`;
  $("ips").textContent = p.images_per_sec ? `${p.images_per_sec.toFixed(0)} images/s` : "– images/s";
  $("eta").textContent = duration(p.eta_seconds);
}

// ---- series ----
function chartWidth() { return Math.max(200, Math.min(4000, Math.round($("chart-dloss").clientWidth || 800))); }

async function loadSeries() {
  const run = state.run;
  state.seriesInflight = true;
  state.seriesAt = Date.now();
  try {
    let q = `width=${chartWidth()}`;
    if (state.zoom) q += `&from=${state.zoom[0]}&to=${state.zoom[1]}`;
    const d = await api(`/api/runs/${enc(run)}/series?${q}`);
    if (run !== state.run) return;
    for (const c of Object.values(charts)) c.setData(d);
    $("series-info").textContent = d.total ? `${d.count.toLocaleString()} of ${d.total.toLocaleString()} mini-batches` +
      (d.bucket_size > 1 ? `, ${d.bucket_size} per point (min/max band)` : "") : "";
  } finally {
    state.seriesInflight = false;
  }
}

// At most one series request a second, however fast events arrive.
function scheduleSeries() {
  if (state.seriesTimer) return;
  const wait = Math.max(0, 1000 - (Date.now() - state.seriesAt));
  state.seriesTimer = setTimeout(() => { state.seriesTimer = null; loadSeries().catch(() => {}); }, wait);
}

function zoom(range) {
  state.zoom = range;
  $("reset-zoom").disabled = !range;
  loadSeries().catch((e) => message(e.message));
}
for (const c of Object.values(charts)) c.onZoom = zoom;

// ---- epochs ----
async function selectEpoch(epoch, push) {
  state.epoch = epoch;
  state.page = 0;
  const run = state.run;
  if (epoch === null) {
    $("generated").removeAttribute("src");
    $("summary").replaceChildren(el("tr", {}, "no evaluation epochs yet"));
    $("downloads").replaceChildren();
    $("rows").replaceChildren();
    $("page-info").textContent = "";
    return;
  }
  $("epoch").value = epoch;
  $("epoch-slider").value = state.epochs.length - 1 - state.epochs.indexOf(epoch);
  const url = `/${enc(run)}/${epoch}`;
  if (location.pathname !== url) history[push ? "pushState" : "replaceState"]({}, "", url);
  await loadEpoch();
}

async function loadEpoch() {
  const run = state.run, epoch = state.epoch, gen = ++state.gen;
  let d;
  try {
    d = await api(`/api/runs/${enc(run)}/epochs/${epoch}`);
  } catch (e) {
    if (gen === state.gen) message(`Epoch ${epoch}: ${e.message}`);
    return;
  }
  if (gen !== state.gen) return;
  $("generated-caption").textContent = `Generated, epoch ${epoch}`;
  const img = $("generated");
  const gfile = d.files.find((f) => f.name === "generated.png");
  if (gfile) img.src = `${gfile.url}?size=${gfile.size}`; else img.removeAttribute("src");
  img.dataset.epoch = String(epoch);
  const s = $("summary");
  s.replaceChildren();
  if (d.summary && typeof d.summary === "object") {
    for (const [k, v] of Object.entries(d.summary)) { const tr = el("tr"); tr.append(el("td", {}, k), el("td", {}, fmt(v))); s.append(tr); }
  } else {
    s.append(el("tr", {}, "no summary.json yet"));
  }
  const dl = $("downloads");
  dl.replaceChildren();
  for (const f of d.files.concat(state.info ? state.info.files : [])) {
    const li = el("li");
    li.append(el("a", { href: f.url, download: f.name.endsWith(".png") || f.name.endsWith(".svg") ? "" : f.name }, f.name), ` ${bytes(f.size)}`);
    dl.append(li);
  }
  if (d.errors.length) message(d.errors.join("; ")); else message("");
  await loadRows(epoch, gen);
}

const COLS = { step: "Step", epoch: "Epoch", epochs: "Epochs", batch: "Mini-batch", batches: "Mini-batches",
  d_loss_real: "D loss real", d_loss_fake: "D loss fake", g_loss: "G loss", class_loss: "Class loss",
  d_acc_real: "D acc real", d_acc_fake: "D acc fake", class_acc: "Class acc", seconds: "Seconds" };

// The table of `epoch`; a response that arrives after the user moved on (another epoch, or a newer
// loadEpoch) is dropped, so the summary and the table always show the same epoch.
async function loadRows(epoch = state.epoch, gen = state.gen) {
  const run = state.run;
  if (epoch === null) return;
  const d = await api(`/api/runs/${enc(run)}/epochs/${epoch}/rows?page=${state.page}&per_page=25`);
  if (run !== state.run || epoch !== state.epoch || gen !== state.gen) return;
  state.page = d.page;
  const t = $("rows");
  // A column with no value on this page is left out: stored epochs have no per-mini-batch seconds
  // (metrics.csv keeps the reference's columns; summary.json has only the epoch's elapsed time).
  const keep = d.columns.map((c, i) => !d.rows.length || d.rows.some((r) => r[i] !== null && r[i] !== undefined));
  const head = el("tr");
  head.append(...d.columns.filter((c, i) => keep[i]).map((c) => el("th", {}, COLS[c] || c)));
  const body = d.rows.map((r) => { const tr = el("tr"); tr.append(...r.filter((v, i) => keep[i]).map((v) => el("td", {}, fmt(v)))); return tr; });
  t.replaceChildren(el("thead"), el("tbody"));
  t.tHead.append(head);
  t.tBodies[0].append(...body);
  $("rows-info").textContent = !d.total ? "(none recorded for this epoch)"
    : d.cumulative ? `(${d.total} since the start of training: this epoch's metrics.csv is cumulative)`
    : `(${d.total} in this evaluation interval)`;
  $("page-info").textContent = d.total ? `page ${d.page + 1} of ${d.pages}` : "";
  $("first-page").disabled = $("prev-page").disabled = d.page === 0;
  $("next-page").disabled = $("last-page").disabled = d.page >= d.pages - 1;
  state.pages = d.pages;
}

function stepEpoch(delta) {  // delta +1 = newer
  if (!state.epochs.length) return;
  const i = state.epochs.indexOf(state.epoch);
  const j = Math.max(0, Math.min(state.epochs.length - 1, (i < 0 ? 0 : i) - delta));
  if (j !== i) { state.follow = j === 0; selectEpoch(state.epochs[j], true); }
}

// ---- live updates ----
function connectEvents() {
  if (state.es) state.es.close();
  const es = new EventSource(state.run ? `/events?run=${enc(state.run)}` : "/events");
  state.es = es;
  const conn = $("conn");
  state.ended = false;
  es.onopen = () => { state.ended = false; conn.textContent = "live updates"; conn.className = "conn ok"; };
  // The browser keeps retrying, so a monitor started later on this port (./gan --monitor) resumes.
  es.onerror = () => { conn.textContent = state.ended ? "training ended; monitor stopped" : "reconnecting…"; conn.className = "conn"; };
  const on = (type, fn) => es.addEventListener(type, (e) => { if (state.es === es) fn(JSON.parse(e.data || "{}")); });
  on("hello", () => loadRunInfo().catch(() => {}));
  on("batches", () => { if (!state.zoom) scheduleSeries(); });
  on("progress", (p) => showProgress(p));
  on("eval", async (d) => {
    await loadRunInfo().catch(() => {});
    const newest = state.epochs[0];
    if (state.follow && newest !== undefined && newest !== state.epoch) await selectEpoch(newest, false);
    else if (d.epoch === state.epoch) await loadEpoch();
  });
  on("files", async () => {
    await loadRunInfo().catch(() => {});
    if (state.follow && state.epochs.length && state.epochs[0] !== state.epoch) await selectEpoch(state.epochs[0], false);
    else if (state.epoch !== null) await loadEpoch();
    if (!state.zoom) scheduleSeries();
  });
  on("runs", () => (state.run ? loadRuns() : start()).catch(() => {}));
  on("reload", () => openRun(state.run, state.epoch).catch(() => {}));
}

// ---- controls ----
$("run").addEventListener("change", (e) => { history.pushState({}, "", "/" + enc(e.target.value)); openRun(e.target.value, null).catch((x) => message(x.message)); });
$("epoch").addEventListener("change", (e) => { const v = +e.target.value; state.follow = v === state.epochs[0]; selectEpoch(v, true); });
$("epoch-slider").addEventListener("input", (e) => { const v = state.epochs[state.epochs.length - 1 - +e.target.value]; if (v !== undefined) { state.follow = v === state.epochs[0]; selectEpoch(v, true); } });
$("smoothing").addEventListener("input", (e) => { const s = +e.target.value; $("smoothing-value").textContent = s.toFixed(2); for (const c of Object.values(charts)) c.setSmoothing(s); });
$("logscale").addEventListener("change", (e) => { for (const c of Object.values(charts)) c.setLog(e.target.checked); });
$("reset-zoom").addEventListener("click", () => zoom(null));
$("first-page").addEventListener("click", () => { state.page = 0; loadRows(); });
$("prev-page").addEventListener("click", () => { state.page--; loadRows(); });
$("next-page").addEventListener("click", () => { state.page++; loadRows(); });
$("last-page").addEventListener("click", () => { state.page = (state.pages || 1) - 1; loadRows(); });
document.addEventListener("keydown", (e) => {
  if (e.target.matches && e.target.matches("input[type=text], input[type=password], textarea")) return;
  if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
    if (e.target.id === "epoch-slider" || e.target.id === "epoch") return;  // they step on their own
    e.preventDefault();
    stepEpoch(e.key === "ArrowRight" ? 1 : -1);
  }
});
let resizeTimer = null;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => loadSeries().catch(() => {}), 300); });
// ---- compare runs ----
// The union of the runs' x values, each run's values at its own x and null elsewhere (the lines
// join across the gaps), so one chart overlays runs of different lengths.
function overlay(parts) {
  const xs = [...new Set(parts.flatMap((p) => p.x))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const series = {};
  parts.forEach((p, j) => {
    const mean = new Array(xs.length).fill(null);
    p.x.forEach((x, i) => { mean[at.get(x)] = p.y[i]; });
    series["r" + j] = { mean };
  });
  return { x: xs, x_end: xs, series };
}

async function compareRuns() {
  const runs = [...$("compare-runs").selectedOptions].map((o) => o.value);
  if (runs.length < 2) { $("compare-info").textContent = "pick two or more runs (Ctrl- or Shift-click)"; return; }
  const d = await api(`/api/compare?runs=${runs.map(enc).join(",")}&width=${chartWidth()}`);
  const legend = d.runs.map((r, j) => ({ key: "r" + j, label: r.id + (r.best_epoch !== null ? ` (best epoch ${r.best_epoch})` : ""),
    color: COMPARE_COLORS[j % COMPARE_COLORS.length] }));
  const make = (id, opts) => { compareCharts[id] = compareCharts[id] || new LineChart($(id), opts); compareCharts[id].opts.series = legend; return compareCharts[id]; };
  const steps = (k) => d.runs.map((r) => ({ x: r.series.x, y: r.series.series[k].mean }));
  const epochs = (k) => d.runs.map((r) => ({ x: r.quality.map((q) => q.epoch), y: r.quality.map((q) => q[k]) }));
  $("compare-view").hidden = false;
  make("cmp-gloss", { joinGaps: true }).setData(overlay(steps("g_loss")));
  make("cmp-dloss", { joinGaps: true }).setData(overlay(steps("d_loss_real")));
  const fd = make("cmp-fd", { joinGaps: true, xName: "epoch" }); fd.setSmoothing(0); fd.setData(overlay(epochs("fd")));
  const ag = make("cmp-agree", { joinGaps: true, xName: "epoch", percent: true, logAllowed: false }); ag.setSmoothing(0); ag.setData(overlay(epochs("class_agreement")));
  const t = $("compare-diff");
  const head = el("tr");
  head.append(el("th", {}, "setting"), ...d.runs.map((r) => el("th", {}, r.id)));
  const rows = d.differing.map((x) => { const tr = el("tr"); tr.append(el("td", {}, x.key), ...x.values.map((v) => el("td", {}, v === null ? "–" : typeof v === "object" ? JSON.stringify(v) : fmt(v)))); return tr; });
  t.replaceChildren(el("thead"), el("tbody"));
  t.tHead.append(head);
  t.tBodies[0].append(...(rows.length ? rows : [el("tr", {}, "the runs' hyperparameters are the same")]));
  $("compare-info").textContent = `${d.runs.length} runs; ${d.differing.length} setting(s) differ` + (d.errors.length ? "; " + d.errors.join("; ") : "");
}
$("compare-go").addEventListener("click", () => compareRuns().catch((e) => { $("compare-info").textContent = e.message; }));

window.addEventListener("popstate", () => start().catch((e) => message(e.message)));

async function start() {
  const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const d = await loadRuns();
  const run = parts[0] || d.live || (d.runs[0] && d.runs[0].id);
  if (!run) { message("No runs yet: start one with ./gan --train, or point --storage at a folder or bucket that holds runs."); connectEvents(); return; }
  const epoch = parts.length > 1 && /^\d+$/.test(parts[1]) ? +parts[1] : null;
  await openRun(run, epoch);
}
start().catch((e) => message(e.message));

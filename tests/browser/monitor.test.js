// End-to-end: the monitor page in headless Chromium against a run in progress.
//
// The server is a CPU training run of ./gan (small: 2,000 images, an evaluation every epoch, about
// one every 7 s on 2 cores), or, when SERVER is a fake_run binary, http/tools/fake_run.cpp's
// synthetic run (no trainer needed). Each check is counted; the last line is
// "N passed, N failed" for scripts/run-tests.
//
//   node monitor.test.js SERVER SCREENSHOT_PATH     SERVER: path to ./gan or to build/fake_run
"use strict";
const { spawn } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const [fakeRun, shotPath] = process.argv.slice(2);
let passed = 0, failed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message.split("\n")[0]}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const net = require("net");
const http = require("http");
const freePort = () => new Promise((res) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); }); });
const getJson = (url) => new Promise((res, rej) => http.get(url, (r) => { let b = ""; r.on("data", (d) => (b += d)); r.on("end", () => { try { res(JSON.parse(b)); } catch (e) { rej(e); } }); }).on("error", rej));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// stop(child): SIGTERM, then SIGKILL after 10 s; resolves once it has exited (at once if it has).
const stop = (child) => new Promise((r) => {
  if (child.exitCode !== null) return r();
  child.on("exit", r);
  child.kill("SIGTERM");
  setTimeout(() => { child.kill("SIGKILL"); r(); }, 10000);
});
const isGan = path.basename(fakeRun) === "gan";

function startFake() {
  return new Promise((resolve, reject) => {
    // 10 epochs of history at once, then 40 mini-batches a second, an evaluation epoch every 1.5 s.
    const p = spawn(fakeRun, ["--port", "0", "--rows-per-sec", "40", "--batches", "60", "--epochs", "200",
                              "--history-epochs", "10", "--seconds", "120"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => reject(new Error("fake_run did not start within 15 s")), 15000);
    p.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/serving (\S+) run (\S+)/);
      if (m) { clearTimeout(timer); resolve({ proc: p, url: m[1], run: m[2] }); }
    });
    p.on("exit", (code) => reject(new Error(`fake_run exited with ${code}`)));
  });
}

// ./gan --train on the CPU in a scratch folder; ready once evaluation epoch 2 exists.
async function startGan() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gan-e2e-run-"));
  // The built-in synthetic dataset: no download, the same run everywhere.
  const args = ["--train", "--dataset", "synthetic", "--subset", "2000", "--epochs", "40", "--evalfreq", "1",
                "--monitor-port", String(port), "--monitor-bind", "127.0.0.1"];
  const p = spawn(path.resolve(fakeRun), args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  p.stderr.on("data", (d) => (log += d));
  let exited = null;
  p.on("exit", (code) => (exited = code));
  const url = `http://127.0.0.1:${port}/`;
  const t0 = Date.now();
  while (Date.now() - t0 < 90000) {
    if (exited !== null) throw new Error(`./gan exited with ${exited}: ${log.slice(-400)}`);
    try {
      const live = await getJson(url + "api/live");
      if (live.run) {
        const info = await getJson(url + "api/runs/" + live.run);
        if (info.epochs.length >= 3 && info.epochs[0] >= 2) {
          console.log(`     ./gan ${args.join(" ")}: run ${live.run} ready after ${Date.now() - t0} ms`);
          return { proc: p, url, run: live.run, dir };
        }
      }
    } catch (e) { /* not listening yet */ }
    await sleep(300);
  }
  p.kill("SIGKILL");
  throw new Error(`./gan did not reach evaluation epoch 2 within 90 s: ${log.slice(-400)}`);
}

(async () => {
  const server = isGan ? await startGan() : await startFake();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "gan-chromium-"));
  // A fresh profile each run (playwright passes it as --user-data-dir).
  const launch = (dir, bypassCSP) => chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    bypassCSP,
    viewport: { width: 1400, height: 1050 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });

  // First under the page's own Content-Security-Policy, with no script of ours in the page
  // (playwright's waitForFunction evaluates strings, which that policy rightly forbids).
  await check("page works under its Content-Security-Policy", async () => {
    const strict = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "gan-chromium-")), false);
    try {
      const p = strict.pages()[0] || await strict.newPage();
      const problems = [];
      p.on("pageerror", (e) => problems.push(e.message));
      p.on("console", (m) => { if (m.type() === "error") problems.push(`${m.text()} ${m.location().url || ""}`); });
      const r = await p.goto(server.url, { waitUntil: "load" });
      assert((r.headers()["content-security-policy"] || "").includes("script-src 'self'"), "no CSP header");
      await p.waitForSelector('#chart-acc[data-points]:not([data-points="0"])', { timeout: 10000 });
      await p.waitForSelector("#generated[src]", { timeout: 5000 });
      assert(problems.length === 0, problems.join("; "));
    } finally {
      await strict.close();
    }
  });

  // Then the interactive checks, with playwright allowed to evaluate its predicates.
  const browser = await launch(profile, true);
  const page = browser.pages()[0] || await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const points = (id) => page.$eval(`#${id}`, (c) => +(c.dataset.points || 0));
  const epochs = () => page.$$eval("#epoch option", (os) => os.map((o) => +o.value));
  const selected = () => page.$eval("#epoch", (s) => +s.value);
  const generatedSrc = () => page.$eval("#generated", (i) => i.getAttribute("src") || "");
  const waitImage = () => page.waitForFunction(() => { const i = document.getElementById("generated"); return i.complete && i.naturalWidth > 0; }, null, { timeout: 5000 });

  try {
    await check("page opens and lists the live run", async () => {
      const t0 = Date.now();
      await page.goto(server.url, { waitUntil: "load" });
      await page.waitForFunction(() => +(document.getElementById("chart-dloss").dataset.points || 0) > 0, null, { timeout: 10000 });
      console.log(`     first chart points after ${Date.now() - t0} ms`);
      const opt = await page.$eval("#run", (s) => s.options[s.selectedIndex].textContent);
      assert(opt.includes(server.run) && opt.includes("live"), `run selector shows "${opt}"`);
      assert(!(await page.$eval("#live-badge", (b) => b.hidden)), "live badge hidden");
    });

    await check("every chart has points", async () => {
      for (const id of ["chart-dloss", "chart-gloss", "chart-acc"]) assert(await points(id) > 0, `${id} drew nothing`);
    });

    // The bar: a mini-batch is on the chart within 2 s of being published. The trainer publishes
    // rows in bursts (every 16 mini-batches, TrainConfig::metrics_flush, and none while it
    // evaluates: a few seconds apart on 2 cores), so the wait for the next burst is long; the 2 s
    // run from the moment the page receives it (the server's own share, trainer to stream, is
    // under a millisecond: tests/http MonitorLive.NewMiniBatchArrivesWithin2s).
    await check("a new mini-batch is on the chart within 2 s of its event, without reload (SSE)", async () => {
      await page.evaluate(() => { window.__noReload = true; });
      const r = await page.evaluate(() => new Promise((resolve) => {
        const es = window.ganMonitor.state.es;
        const give_up = setTimeout(() => resolve({ error: "no batches event within 20 s" }), 20000);
        es.addEventListener("batches", (e) => {
          clearTimeout(give_up);
          const at = performance.now();
          const d = JSON.parse(e.data);
          const step = d.rows ? d.rows[d.rows.length - 1][0] : d.total;
          const last = () => window.ganMonitor.charts.dloss.data.x_end.slice(-1)[0];
          const poll = setInterval(() => {
            const ms = performance.now() - at;
            if (last() >= step || ms > 5000) { clearInterval(poll); resolve({ step, ms, shown: last() }); }
          }, 20);
        }, { once: true });
      }));
      assert(!r.error, r.error);
      console.log(`     mini-batch ${r.step} on the chart ${r.ms.toFixed(0)} ms after its event`);
      assert(r.shown >= r.step, `chart ends at ${r.shown}, not ${r.step}, ${r.ms.toFixed(0)} ms after the event`);
      assert(r.ms <= 2000, `${r.ms.toFixed(0)} ms from event to chart (bar: 2 s)`);
      assert(await page.evaluate(() => window.__noReload === true), "page reloaded");
    });

    await check("new evaluation epoch appears without reload and is shown", async () => {
      const before = await epochs();
      await page.waitForFunction((n) => document.querySelectorAll("#epoch option").length > n, before.length, { timeout: isGan ? 40000 : 8000 });
      const after = await epochs();
      assert(after[0] > before[0], `newest epoch ${after[0]} not after ${before[0]}`);
      await page.waitForFunction(() => +document.getElementById("epoch").value === +document.querySelector("#epoch option").value, null, { timeout: 3000 });
      assert(await page.evaluate(() => window.__noReload === true), "page reloaded");
      assert(after.every((e, i) => i === 0 || after[i - 1] > e), "epochs not newest first");
    });

    await check("switching epochs changes the generated image", async () => {
      await waitImage();
      const src1 = await generatedSrc();
      const shot1 = await page.locator("#generated").screenshot();
      const list = await epochs();
      const older = list.find((e) => e >= 1 && e < list[0] - 1) ?? list[list.length - 2];  // an epoch with rows, not next to the newest
      await page.selectOption("#epoch", String(older));
      await page.waitForFunction((e) => document.getElementById("generated").dataset.epoch === String(e), older, { timeout: 5000 });
      await waitImage();
      const src2 = await generatedSrc();
      assert(src1 !== src2 && src2.includes(`/epoch/${older}/`), `image src ${src2}`);
      const shot2 = await page.locator("#generated").screenshot();
      assert(!shot1.equals(shot2), "the image looks the same");
      assert(new URL(page.url()).pathname === `/${server.run}/${older}`, `URL is ${page.url()}`);
      const caption = await page.$eval("#generated-caption", (c) => c.textContent);
      assert(caption.includes(String(older)), caption);
    });

    await check("arrow keys step through epochs", async () => {
      const e0 = await selected();
      await page.locator("body").click({ position: { x: 5, y: 300 } });
      await page.keyboard.press("ArrowLeft");
      await page.waitForFunction((e) => +document.getElementById("epoch").value < e, e0, { timeout: 3000 });
      await page.keyboard.press("ArrowRight");
      await page.waitForFunction((e) => +document.getElementById("epoch").value === e, e0, { timeout: 3000 });
    });

    await check("summary and mini-batch table show the epoch", async () => {
      // An epoch before the newest: the page stops following the live run, so the epoch it shows
      // stays put while new ones arrive (on a loaded machine they can arrive faster than an image).
      const older = await page.$$eval("#epoch option", (os) => os[1].value);
      await page.selectOption("#epoch", older);
      await page.waitForFunction(() => document.getElementById("generated").dataset.epoch === document.getElementById("epoch").value, null, { timeout: 3000 });
      await page.waitForFunction(() => document.querySelectorAll("#rows tbody tr").length > 0, null, { timeout: 3000 });
      const n = await page.$$eval("#rows tbody tr", (r) => r.length);
      assert(n === 25, `${n} rows on the first page`);
      const s = await page.$eval("#summary", (t) => t.textContent);
      assert(s.includes("Real Accuracy"), `summary: ${s.slice(0, 80)}`);
      await page.click("#next-page");
      await page.waitForFunction(() => document.getElementById("page-info").textContent.startsWith("page 2"), null, { timeout: 3000 });
      const links = await page.$$eval("#downloads a", (as) => as.map((a) => a.textContent));
      for (const f of ["generated.png", "metrics.csv", "summary.json", "target.png"]) assert(links.includes(f), `no download link for ${f}`);
      // A stored epoch's metrics.csv has no per-mini-batch seconds: no column of dashes.
      const heads = await page.$$eval("#rows thead th", (ths) => ths.map((t) => t.textContent));
      assert(heads.includes("D loss real") && !heads.includes("Seconds"), `columns: ${heads.join(", ")}`);
      const cells = await page.$$eval("#rows tbody tr:first-child td", (tds) => tds.length);
      assert(cells === heads.length, `${cells} cells under ${heads.length} headings`);
    });

    await check("hover shows values, drag zooms in, double-click resets", async () => {
      await page.locator("#chart-dloss").scrollIntoViewIfNeeded();
      const box = await page.locator("#chart-dloss").boundingBox();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
      const tip = await page.evaluate(() => [...document.querySelectorAll(".tooltip")].find((t) => !t.hidden)?.textContent || "");
      assert(tip.includes("D loss real"), `tooltip "${tip}"`);
      await page.mouse.move(box.x + box.width * 0.3, box.y + 100);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, box.y + 100, { steps: 5 });
      await page.mouse.up();
      await page.waitForFunction(() => window.ganMonitor.state.zoom !== null && !document.getElementById("reset-zoom").disabled, null, { timeout: 3000 });
      await page.waitForFunction(() => { const d = window.ganMonitor.charts.dloss.data; const z = window.ganMonitor.state.zoom; return d.x[0] >= z[0] && d.x_end[d.x_end.length - 1] <= z[1]; }, null, { timeout: 3000 });
      await page.mouse.dblclick(box.x + box.width * 0.5, box.y + 100);
      await page.waitForFunction(() => window.ganMonitor.state.zoom === null, null, { timeout: 3000 });
      await page.check("#logscale");
      assert(await points("chart-dloss") > 0, "log scale drew nothing");
      await page.uncheck("#logscale");
    });

    await check("/<run>/<eval> opens the page at that epoch; unknown epoch is a 404 page", async () => {
      await page.goto(`${server.url}${server.run}/1`, { waitUntil: "load" });
      await page.waitForFunction(() => +document.getElementById("epoch").value === 1, null, { timeout: 5000 });
      const r = await page.goto(`${server.url}${server.run}/99999`);
      assert(r.status() === 404, `status ${r.status()}`);
    });

    await check("screenshot", async () => {
      await page.goto(server.url, { waitUntil: "load" });
      await page.waitForFunction(() => +(document.getElementById("chart-acc").dataset.points || 0) > 0, null, { timeout: 10000 });
      await waitImage();
      // Between two evaluation epochs, so the picture shows one epoch throughout.
      await page.waitForFunction(() => { const i = document.getElementById("generated"); return i.complete && i.naturalWidth > 0 && i.dataset.epoch === document.getElementById("epoch").value; }, null, { timeout: 5000 });
      await page.mouse.move(700, 300);  // a tooltip in the picture
      fs.mkdirSync(path.dirname(shotPath), { recursive: true });
      await page.screenshot({ path: shotPath, fullPage: true });
      assert(fs.statSync(shotPath).size > 10000, "screenshot too small");
      console.log(`     saved ${shotPath}`);
      // The live run's quality charts (the README's picture), once its summaries hold the metrics.
      if (isGan) {
        // For the README (GAN_UPDATE_SCREENSHOT=1) a longer stretch of the run.
        const want = process.env.GAN_UPDATE_SCREENSHOT === "1" ? 8 : 2;
        await page.waitForFunction((n) => +(document.getElementById("chart-fd").dataset.points || 0) >= n, want, { timeout: 120000 });
        const q = path.join(path.dirname(shotPath), "quality-chart.png");
        await page.mouse.move(0, 0);
        await page.locator("#quality-section").screenshot({ path: q });
        console.log(`     saved ${q}`);
      }
    });

    // A standalone monitor over the same runs, on an address other machines can reach and with no
    // token given: it makes one and prints the URL that carries it. Opening that URL logs the
    // browser in (a cookie, which the page's EventSource and images use too) and drops the token
    // from the address bar; without it the page sends the browser to /login.
    if (isGan) await check("an open address gets a token; the printed URL logs Chromium in", async () => {
      const port = await freePort();
      const args = ["--monitor", "--storage", path.join(server.dir, "eval"), "--monitor-port", String(port),
                    "--monitor-bind", "0.0.0.0", "--monitor-poll", "1"];
      const mon = spawn(path.resolve(fakeRun), args, { stdio: ["ignore", "pipe", "pipe"] });
      let log = "";
      mon.stdout.on("data", (d) => (log += d));
      mon.stderr.on("data", (d) => (log += d));
      const ctx = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "gan-chromium-")), true);
      try {
        const t0 = Date.now();
        let m = null;
        while (!(m = log.match(/http:\/\/127\.0\.0\.1:\d+\/\?token=([0-9a-f]{32})\b/)) && Date.now() - t0 < 10000) await sleep(100);
        assert(m, `no URL with a token printed: ${log.slice(-300)}`);
        const p = ctx.pages()[0] || await ctx.newPage();
        await p.goto(`http://127.0.0.1:${port}/${server.run}`, { waitUntil: "load" });
        assert(new URL(p.url()).pathname === "/login", `without the token the page is ${p.url()}`);
        await p.goto(m[0], { waitUntil: "load" });
        assert(!p.url().includes("token="), `the token stays in the address bar: ${p.url()}`);
        await p.waitForFunction(() => +(document.getElementById("chart-dloss").dataset.points || 0) > 0, null, { timeout: 10000 });
        await p.waitForFunction(() => { const i = document.getElementById("generated"); return i.complete && i.naturalWidth > 0; }, null, { timeout: 10000 });
        const opt = await p.$eval("#run", (sel) => sel.options[sel.selectedIndex].textContent);
        assert(opt.includes(server.run), `run selector shows "${opt}"`);
      } finally {
        await ctx.close();
        await stop(mon);
      }
    });


    // A standalone monitor over a fixture folder of two finished runs whose summaries hold the
    // quality metrics and whose best.json names an epoch: the quality charts, the "★ best" mark
    // in the epoch selector, and the compare view (overlaid curves, the settings that differ).
    if (isGan) await check("quality chart, best-epoch mark and compare view", async () => {
      const store = fs.mkdtempSync(path.join(os.tmpdir(), "gan-e2e-quality-"));
      const header = "Epoch,Epochs,Mini-Batch,Mini-Batches,Discriminator Loss: Real,Discriminator Loss: Fake," +
        "GAN Loss,Class Loss,Discriminator Accuracy: Real,Discriminator Accuracy: Fake,Class Accuracy";
      const runs = [
        { id: "20260101T000000Z", batch: 64, fd: [90, 41, 18.5, 24], agree: [0.1, 0.45, 0.82, 0.8], best: 3 },
        { id: "20260102T000000Z", batch: 128, fd: [95, 60, 35, 30], agree: [0.1, 0.3, 0.55, 0.6], best: 4 },
      ];
      for (const r of runs) {
        const dir = path.join(store, r.id);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "hyperparameters.json"), JSON.stringify(
          { model: "acgan28", batch_size: r.batch, batchsize: r.batch, epochs: 4, eval_freq: 1, ngf: 64, ndf: 64 }));
        for (let e = 1; e <= 4; e++) {
          const ed = path.join(dir, "epoch", String(e));
          fs.mkdirSync(ed, { recursive: true });
          const lines = [header];
          for (let b = 1; b <= 10; b++) {
            const v = 1 / ((e - 1) * 10 + b) + r.batch / 1000;
            lines.push(`${e},4,${b},10,${v},${v + 0.1},${v + 1},${v / 2},0.5,0.5,0.5`);
          }
          fs.writeFileSync(path.join(ed, "metrics.csv"), lines.join("\n") + "\n");
          fs.writeFileSync(path.join(ed, "summary.json"), JSON.stringify({ Epoch: e, "Frechet Distance": r.fd[e - 1],
            "Class Agreement": r.agree[e - 1], Precision: 0.2 * e, Recall: 0.15 * e, "Evaluator Accuracy": 0.98 }));
        }
        fs.writeFileSync(path.join(dir, "best.json"), JSON.stringify({ epoch: r.best, why: `lowest Fréchet distance (${r.fd[r.best - 1]})` }));
      }
      const port = await freePort();
      const mon = spawn(path.resolve(fakeRun), ["--monitor", "--storage", store, "--monitor-port", String(port),
                                                 "--monitor-bind", "127.0.0.1"], { stdio: ["ignore", "ignore", "pipe"] });
      const ctx = await launch(fs.mkdtempSync(path.join(os.tmpdir(), "gan-chromium-")), true);
      try {
        const base = `http://127.0.0.1:${port}/`;
        const t0 = Date.now();
        while (Date.now() - t0 < 10000) { try { await getJson(base + "api/runs"); break; } catch (e) { await sleep(100); } }
        const p = ctx.pages()[0] || await ctx.newPage();
        const perr = [];
        p.on("pageerror", (e) => perr.push(e.message));
        await p.goto(`${base}${runs[0].id}`, { waitUntil: "load" });
        await p.waitForFunction(() => +(document.getElementById("chart-fd").dataset.points || 0) === 4 &&
          +(document.getElementById("chart-quality").dataset.points || 0) === 12, null, { timeout: 10000 });
        assert(!(await p.$eval("#quality-section", (s) => s.hidden)), "quality section hidden");
        const fdData = await p.evaluate(() => window.ganMonitor.quality.fd.data.series.fd.mean);
        assert(JSON.stringify(fdData) === JSON.stringify(runs[0].fd), `FD series ${JSON.stringify(fdData)}`);
        await p.waitForFunction(() => [...document.querySelectorAll("#epoch option")].some((o) => o.textContent.includes("★")), null, { timeout: 5000 });
        const best = await p.$$eval("#epoch option", (os) => os.filter((o) => o.textContent.includes("★ best")).map((o) => +o.value));
        assert(JSON.stringify(best) === "[3]", `epochs marked best: ${JSON.stringify(best)}`);
        assert((await p.textContent("#best-info")).includes("best: epoch 3"), "best-epoch line");
        // The hyperparameters table: each setting once, no dcgan64 widths for acgan28.
        const hyper = await p.$$eval("#hyper td:first-child", (tds) => tds.map((t) => t.textContent));
        assert(!hyper.includes("batchsize") && !hyper.includes("ngf") && hyper.includes("batch_size"), `hyperparameters ${hyper}`);
        const qshot = path.join(path.dirname(shotPath), "quality-fixture.png");
        fs.mkdirSync(path.dirname(qshot), { recursive: true });
        await p.locator("#quality-section").screenshot({ path: qshot });
        console.log(`     saved ${qshot}`);

        await p.click("#compare-details summary");
        await p.selectOption("#compare-runs", runs.map((r) => r.id));
        await p.click("#compare-go");
        await p.waitForFunction(() => ["cmp-gloss", "cmp-dloss", "cmp-fd", "cmp-agree"].every((id) =>
          +(document.getElementById(id).dataset.points || 0) > 0), null, { timeout: 10000 });
        assert(await p.$eval("#cmp-fd", (c) => +c.dataset.points) === 8, "FD overlay should draw 4 epochs of each run");
        const cols = await p.$$eval("#compare-diff thead th", (ths) => ths.map((t) => t.textContent));
        const diff = await p.$$eval("#compare-diff tbody tr", (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
        const want = [["batch_size", ...cols.slice(1).map((id) => String(runs.find((r) => r.id === id).batch))]];
        assert(cols.length === 3 && JSON.stringify(diff) === JSON.stringify(want), `differing settings ${JSON.stringify(cols)} ${JSON.stringify(diff)}`);
        assert(perr.length === 0, perr.join("; "));
      } finally {
        await ctx.close();
        await stop(mon);
        fs.rmSync(store, { recursive: true, force: true });
      }
    });

    await check("no script errors", async () => { assert(errors.length === 0, errors.join("; ")); });
  } finally {
    await browser.close();
    await new Promise((r) => {
      if (server.proc.exitCode !== null) return r();
      server.proc.on("exit", r);
      server.proc.kill("SIGTERM");
      setTimeout(() => { server.proc.kill("SIGKILL"); r(); }, 10000);
    });
    fs.rmSync(profile, { recursive: true, force: true });
    if (server.dir) fs.rmSync(server.dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL setup: ${e.message}`); console.log(`${passed} passed, ${failed + 1} failed`); process.exit(1); });

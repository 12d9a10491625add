// Drives Debian's /usr/bin/chromium (headless) through playwright-core against a running FacePlex
// daemon's preview page; tests/test_browser_preview.py starts the daemon, runs this script and
// checks what it writes.
//
// usage: node preview_check.mjs PAGE_URL OUT_DIR [TEXT]
// Writes OUT_DIR/result.json, OUT_DIR/face_aa.png, OUT_DIR/face_pp.png, OUT_DIR/browser_preview.png.
// Exit status 0 when it ran to the end (the assertions live in the Python test), 1 on a failure
// to drive the page (the message is in result.json's "fatal" and on stderr).

import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const [pageUrl, outDir, text = "Papa, bob my mop."] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
fs.mkdirSync(outDir, { recursive: true });

const result = { url: pageUrl, text, console: [], consoleErrors: [], pageErrors: [], failedRequests: [], badResponses: [] };
const write = () => fs.writeFileSync(path.join(outDir, "result.json"), JSON.stringify(result, null, 1));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
  ],
});

try {
  const context = await browser.newContext({ viewport: { width: 1220, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on("console", (msg) => {
    const entry = `${msg.type()}: ${msg.text()}`;
    result.console.push(entry);
    if (msg.type() === "error") result.consoleErrors.push(entry);
  });
  page.on("pageerror", (err) => result.pageErrors.push(String(err && err.stack ? err.stack : err)));
  page.on("requestfailed", (req) => result.failedRequests.push(`${req.url()} ${req.failure() ? req.failure().errorText : ""}`));
  page.on("response", (resp) => { if (resp.status() >= 400) result.badResponses.push(`${resp.status()} ${resp.url()}`); });

  await page.goto(pageUrl, { waitUntil: "load" });
  result.title = await page.title();
  await page.waitForFunction(() => window.faceplex && window.faceplex.state === "ready", null, { timeout: 20000 });
  await page.waitForFunction(() => window.faceplex.audio.state === "running" && window.faceplex.audio.anchored
    && window.faceplex.audio.workletPosition !== null && window.faceplex.frameCount > 10, null, { timeout: 20000 });
  result.connected = true;
  result.welcome = await page.evaluate(() => {
    const w = window.faceplex.welcome;
    return { session: w.session, server: w.server, audio: w.audio, fps: w.face.fps, channels: w.face.channels };
  });
  result.micButton = await page.evaluate(() => {
    const b = document.getElementById("mic-btn");
    return { disabled: b.disabled, title: b.title };
  });
  // Full duplex: the mic button streams the (fake) microphone as `mic` messages.
  await page.click("#mic-btn");
  await page.waitForFunction(() => window.faceplex.micChunks >= 25, null, { timeout: 10000 });
  result.micChunks = await page.evaluate(() => window.faceplex.micChunks);
  await page.click("#mic-btn");  // and off again before the speech checks

  // The playback clock advances with no speech (idle frames, silence).
  const a0 = await page.evaluate(() => ({ audio: window.faceplex.audio, t: performance.now() }));
  await sleep(1000);
  const a1 = await page.evaluate(() => ({ audio: window.faceplex.audio, t: performance.now() }));
  result.idleClock = { p0: a0.audio.position, p1: a1.audio.position, ms: a1.t - a0.t, rate: a0.audio.contextRate };

  // Say the line through the UI: type into the text box and press the Say button.
  await page.fill("#text", text);
  await page.click("#say-btn");
  await page.waitForFunction(() => window.faceplex.utterance("u1") && window.faceplex.utterance("u1").start !== null,
    null, { timeout: 20000 });

  // While it speaks: sample what is displayed against the newest frame received.
  result.live = [];
  for (let k = 0; k < 12; k++) {
    result.live.push(await page.evaluate(() => {
      const d = window.faceplex.displayed;
      const u = window.faceplex.utterance("u1");
      return { displayed: d.sample, clock: d.clock, newest: window.faceplex.newestSample,
        position: window.faceplex.audio.position, start: u.start, jawOpen: d.values ? d.values[window.faceplex.channels.indexOf("jawOpen")] : null };
    }));
    await sleep(100);
  }

  // Until every sample of the utterance has been played.
  await page.waitForFunction(() => {
    const u = window.faceplex.utterance("u1");
    return u && u.outcome === "finished" && window.faceplex.audio.position > u.end + 0.1 * window.faceplex.sampleRate;
  }, null, { timeout: 30000 });

  const data = await page.evaluate(() => {
    const fp = window.faceplex;
    const u = fp.utterance("u1");
    return {
      utterance: u,
      audio: fp.audio,
      errors: fp.errors,
      channels: fp.channels,
      marks: fp.marks.filter((m) => m.utt === "u1"),
      frames: fp.frames("u1").map((f) => ({ frame: f.frame, sample: f.sample, values: f.values })),
      log: fp.log,
    };
  });
  result.utterance = data.utterance;
  result.audioAfter = data.audio;
  result.protocolErrors = data.errors;
  result.marks = data.marks;
  result.log = data.log;
  const ci = (n) => data.channels.indexOf(n);
  const J = ci("jawOpen");
  const C = ci("mouthClose");
  result.frames = data.frames.map((f) => ({ frame: f.frame, sample: f.sample, jawOpen: f.values[J], mouthClose: f.values[C] }));

  // The moments: the most open frame inside an `aa` phoneme, the most closed inside a `PP` one.
  const inMarks = (vis) => data.frames.filter((f) => data.marks.some((m) => m.kind === "phoneme" && m.viseme === vis
    && f.sample >= m.sample && f.sample < m.end));
  const gap = (f) => f.values[J] - f.values[C];
  const aa = inMarks("aa").sort((x, y) => gap(y) - gap(x))[0];
  const pp = inMarks("PP").sort((x, y) => gap(x) - gap(y))[0];
  if (!aa || !pp) throw new Error(`no aa/PP frame found (marks: ${data.marks.map((m) => m.viseme || m.text).join(" ")})`);

  const face = page.locator("#face");
  const shoot = async (name, sample) => {
    const values = await page.evaluate((s) => window.faceplex.renderAt(s), sample);
    const mouth = await page.evaluate(() => window.faceplex.mouth);
    const file = path.join(outDir, `face_${name}.png`);
    await face.screenshot({ path: file });
    return { sample, file, jawOpen: values[J], mouthClose: values[C], mouth };
  };
  result.aa = await shoot("aa", aa.sample);
  result.pp = await shoot("pp", pp.sample);
  result.mouthRegion = await page.evaluate(() => window.faceplex.mouthRegion());
  // The artifact: the whole page at the open vowel.
  await page.evaluate((s) => window.faceplex.renderAt(s), aa.sample);
  result.artifact = path.join(outDir, "browser_preview.png");
  await page.screenshot({ path: result.artifact, fullPage: true });
  await page.evaluate(() => window.faceplex.live());
  await sleep(300);

  // Mood: the emotion selector and intensity set the session's emotion; the idle face eases in.
  await page.selectOption("#emotion", "surprised");
  await page.evaluate(() => {
    const r = document.getElementById("emotion-intensity");
    r.value = "1";
    r.dispatchEvent(new Event("change"));
  });
  await sleep(1500);
  result.mood = await page.evaluate(() => {
    const fp = window.faceplex;
    const d = fp.displayed;
    return { eyeWide: d.values ? d.values[fp.channels.indexOf("eyeWideLeft")] : null,
      browOuterUp: d.values ? d.values[fp.channels.indexOf("browOuterUpLeft")] : null, errors: fp.errors,
      shown: document.getElementById("emotion-intensity-value").textContent };
  });
  result.ok = true;
} catch (e) {
  result.fatal = String(e && e.stack ? e.stack : e);
  console.error(result.fatal);
} finally {
  write();
  await browser.close();
}
process.exit(result.ok ? 0 : 1);

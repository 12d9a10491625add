// The preview page shows the player's words (issue 22): Chromium's fake microphone plays a
// recorded line (a WAV file), the page's Mic button streams it as `mic`, and the "You said" box
// shows the interim transcripts and then the final one. tests/test_browser_transcript.py starts
// the daemon, makes the WAV, runs this script and checks what it writes.
//
// usage: node transcript_check.mjs PAGE_URL WAV OUT_DIR WAV_SECONDS
// Writes OUT_DIR/transcript.json. Exit 0 when it ran to the end (assertions in the Python test).

import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const [pageUrl, wav, outDir, wavSecondsArg] = process.argv.slice(2);
const wavSeconds = Number(wavSecondsArg);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
fs.mkdirSync(outDir, { recursive: true });
const result = { consoleErrors: [], pageErrors: [] };
const write = () => fs.writeFileSync(path.join(outDir, "transcript.json"), JSON.stringify(result, null, 1));

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}%noloop`,
  ],
});

try {
  const page = await (await browser.newContext()).newPage();
  page.on("console", (msg) => { if (msg.type() === "error") result.consoleErrors.push(msg.text()); });
  page.on("pageerror", (err) => result.pageErrors.push(String(err)));
  await page.goto(pageUrl, { waitUntil: "load" });
  await page.waitForFunction(() => window.faceplex && window.faceplex.state === "ready", null, { timeout: 30000 });
  await page.click("#mic-btn");
  // bounded by the line's length and the worker's reading, never asserted as a time
  await page.waitForFunction(() => window.faceplex.transcripts.some((t) => t.final), null, { timeout: 120000 });
  // A loaded machine may hear the line as two stretches: wait until the page has sent the whole
  // file (40 ms batches) and every stretch it heard has its final, so the test sees all the words.
  await page.waitForFunction((secs) => {
    const f = window.faceplex;
    if (f.micChunks * 0.04 < secs) return false;
    const finals = new Set(f.transcripts.filter((t) => t.final).map((t) => t.start));
    return f.transcripts.every((t) => finals.has(t.start));
  }, wavSeconds, { timeout: 120000, polling: 200 });
  result.transcripts = await page.evaluate(() => window.faceplex.transcripts);
  result.shown = await page.evaluate(() => window.faceplex.transcriptShown);
  result.ok = true;
} catch (err) {
  result.fatal = String(err && err.stack ? err.stack : err);
  console.error(result.fatal);
  process.exitCode = 1;
} finally {
  write();
  await browser.close();
}

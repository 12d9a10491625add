// Development aid: draws single-channel poses with the preview's face renderer and saves one PNG
// per pose, to check by eye that every group of ARKit weights visibly moves the face.
// usage: node pose_gallery.mjs PAGE_URL OUT_DIR
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

const [pageUrl, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });
const POSES = {
  neutral: {},
  jawOpen: { jawOpen: 1 },
  aa: { jawOpen: 0.6, mouthLowerDownLeft: 0.35, mouthLowerDownRight: 0.35, mouthUpperUpLeft: 0.15, mouthUpperUpRight: 0.15 },
  PP: { jawOpen: 0.04, mouthClose: 0.04, mouthPressLeft: 0.45, mouthPressRight: 0.45, mouthRollLower: 0.3, mouthRollUpper: 0.2 },
  jawOpenLipsClosed: { jawOpen: 0.4, mouthClose: 0.4 },
  oh: { jawOpen: 0.4, mouthFunnel: 0.5, mouthPucker: 0.25, mouthLowerDownLeft: 0.15, mouthLowerDownRight: 0.15 },
  ou: { jawOpen: 0.18, mouthFunnel: 0.35, mouthPucker: 0.65 },
  pucker: { mouthPucker: 1 },
  funnel: { jawOpen: 0.2, mouthFunnel: 1 },
  smile: { mouthSmileLeft: 1, mouthSmileRight: 1, cheekSquintLeft: 0.5, cheekSquintRight: 0.5 },
  smileLeftOnly: { mouthSmileLeft: 1 },
  frown: { mouthFrownLeft: 1, mouthFrownRight: 1, browDownLeft: 0.6, browDownRight: 0.6 },
  ih: { jawOpen: 0.18, mouthStretchLeft: 0.35, mouthStretchRight: 0.35, mouthSmileLeft: 0.2, mouthSmileRight: 0.2 },
  press: { mouthPressLeft: 1, mouthPressRight: 1 },
  mouthLeft: { mouthLeft: 1 },
  jawLeft: { jawLeft: 1, jawOpen: 0.3 },
  tongueOut: { jawOpen: 0.3, tongueOut: 1 },
  cheekPuff: { cheekPuff: 1, mouthClose: 0.0 },
  sneer: { noseSneerLeft: 1, noseSneerRight: 1 },
  blink: { eyeBlinkLeft: 1, eyeBlinkRight: 1 },
  blinkLeftHalf: { eyeBlinkLeft: 0.5 },
  wide: { eyeWideLeft: 1, eyeWideRight: 1, browInnerUp: 0.6, browOuterUpLeft: 0.6, browOuterUpRight: 0.6 },
  squint: { eyeSquintLeft: 1, eyeSquintRight: 1 },
  lookLeft: { eyeLookOutLeft: 1, eyeLookInRight: 1 },
  lookUp: { eyeLookUpLeft: 1, eyeLookUpRight: 1 },
  lookDownRot: { leftEyePitch: 0.4, rightEyePitch: 0.4 },
  browInnerUp: { browInnerUp: 1 },
  browOuterUp: { browOuterUpLeft: 1, browOuterUpRight: 1 },
  browDown: { browDownLeft: 1, browDownRight: 1 },
  headYawLeft: { headYaw: 0.35 },
  headPitchDown: { headPitch: 0.3 },
  headRollRight: { headRoll: 0.25 },
};
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"] });
const page = await browser.newPage({ viewport: { width: 1220, height: 900 }, deviceScaleFactor: 1 });
page.on("console", (m) => { if (m.type() === "error") console.error(m.text()); });
await page.goto(pageUrl);
await page.waitForFunction(() => window.faceplex && window.faceplex.state === "ready");
for (const [name, pose] of Object.entries(POSES)) {
  await page.evaluate((p) => window.faceplex.drawPose(p), pose);
  await page.locator("#face").screenshot({ path: path.join(outDir, `${name}.png`) });
}
await browser.close();
console.log(Object.keys(POSES).join(" "));

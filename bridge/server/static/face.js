// FacePlex browser preview: a stylised 2.5-D head drawn on a canvas from one ARKit-52 frame.
//
// Seen as you look at the character (not mirrored): the character's LEFT eye, brow and mouth
// corner are on the viewer's RIGHT. Rotations follow PROTOCOL.md §1: yaw + turns the head to the
// character's left (features slide to screen right), pitch + looks down, roll + tilts to the
// character's right (the top of the head goes to screen left).
//
// What drives what (so a technical animator can read the picture):
//   jaw      jawOpen drops the chin and lower lip; jawLeft/Right shift the chin; jawForward juts it
//   lips     lip gap = jawOpen - mouthClose (+ mouthLowerDown, mouthUpperUp); funnel/pucker narrow
//            and round the mouth and thicken the lips; smile/frown/stretch/dimple move each corner;
//            press and roll thin the lips; shrug raises them; mouthLeft/Right slide the mouth;
//            tongueOut; cheekPuff widens the cheeks; cheekSquint/noseSneer lift cheeks and nostrils
//   eyes     eyeBlink closes the upper lid, eyeWide raises it, eyeSquint lifts the lower lid;
//            gaze from eyeLookIn/Out/Up/Down (the eye rotation channels when those are all zero)
//   brows    browInnerUp, browOuterUp, browDown per side
//   head     headYaw/Pitch (parallax of the features) and headRoll (rotation)

const W = 440;
const H = 520;

const COLORS = {
  bg0: "#1d2430", bg1: "#2b3444",
  skin: "#e9b796", skinShade: "#d49a79", skinDark: "#b87a5c", outline: "#7a4b36",
  hair: "#3a2a22", hairHi: "#54403a",
  shirt: "#3f6f8f", shirtDark: "#2f566f",
  sclera: "#fbf8f3", iris: "#4a7fa8", pupil: "#0b0d18", lash: "#2a1a14",
  brow: "#3a2a22",
  lipUpper: "#b4525c", lipLower: "#c4656c", lipLine: "#6e2630",
  mouthInside: "#3a0c16", teeth: "#f4f1ea", tongue: "#c9505d",
  blush: "rgba(230, 110, 110, 0.22)",
};

const clamp01 = (x) => (x < 0 ? 0 : x > 1 ? 1 : x);
const lerp = (a, b, t) => a + (b - a) * t;

export class FaceRenderer {
  /** @param {HTMLCanvasElement} canvas  @param {string[]} channels welcome.face.channels */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.index = {};
    this.geometry = null; // last mouth geometry, canvas CSS pixels (for tests and the HUD)
    const dpr = Math.max(1, Math.round(window.devicePixelRatio || 1));
    canvas.width = W * dpr;
    canvas.height = H * dpr;
    canvas.style.width = `${W}px`;
    canvas.style.height = `${H}px`;
    this.dpr = dpr;
  }

  setChannels(channels) {
    this.index = {};
    channels.forEach((name, i) => { this.index[name] = i; });
  }

  /** Draw one frame. `values`: array-like in welcome.face.channels order (null: neutral). */
  draw(values) {
    const idx = this.index;
    const v = (name) => {
      const i = idx[name];
      return values && i !== undefined ? values[i] : 0;
    };
    const w = (name) => clamp01(v(name));
    const c = this.ctx;
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);

    // Background.
    const g = c.createLinearGradient(0, 0, 0, H);
    g.addColorStop(0, COLORS.bg1);
    g.addColorStop(1, COLORS.bg0);
    c.fillStyle = g;
    c.fillRect(0, 0, W, H);

    const yaw = v("headYaw");
    const pitch = v("headPitch");
    const roll = v("headRoll");
    const sy = Math.sin(yaw);
    const sp = Math.sin(pitch);
    // Parallax: a feature at depth d (px in front of the neck axis) slides by d*sin(angle).
    const px = (d) => sy * d;
    const py = (d) => sp * d;

    const cx = W / 2;
    const cy = 228; // face centre (between the eyes and the mouth)
    const pivotY = cy + 190; // neck pivot for roll

    // Shoulders and neck (not rotated by the head).
    c.fillStyle = COLORS.shirt;
    c.beginPath();
    c.moveTo(cx - 200, H);
    c.bezierCurveTo(cx - 190, pivotY + 40, cx - 120, pivotY + 30, cx - 60, pivotY + 22);
    c.lineTo(cx + 60, pivotY + 22);
    c.bezierCurveTo(cx + 120, pivotY + 30, cx + 190, pivotY + 40, cx + 200, H);
    c.closePath();
    c.fill();
    c.fillStyle = COLORS.skinShade;
    c.beginPath();
    c.moveTo(cx - 46, pivotY - 70);
    c.lineTo(cx - 50, pivotY + 26);
    c.quadraticCurveTo(cx, pivotY + 52, cx + 50, pivotY + 26);
    c.lineTo(cx + 46, pivotY - 70);
    c.closePath();
    c.fill();
    c.fillStyle = COLORS.shirtDark;
    c.beginPath();
    c.moveTo(cx - 52, pivotY + 22);
    c.quadraticCurveTo(cx, pivotY + 60, cx + 52, pivotY + 22);
    c.lineTo(cx + 60, pivotY + 30);
    c.quadraticCurveTo(cx, pivotY + 74, cx - 60, pivotY + 30);
    c.closePath();
    c.fill();

    c.save();
    c.translate(cx, pivotY);
    c.rotate(-roll);
    c.translate(0, cy - pivotY);
    // From here on: origin at the face centre, +x = screen right = the character's left.

    // Jaw and lips.
    const jawOpen = w("jawOpen");
    const mouthClose = Math.min(w("mouthClose"), jawOpen);
    const jawDrop = 58 * jawOpen; // chin drop, px
    const jawShift = 16 * (w("jawLeft") - w("jawRight"));
    const puff = w("cheekPuff");

    // Ears (behind the head: they slide the other way).
    // Ears sit near the rotation axis: they close in with cos(yaw) and the far one hides.
    const earX = 150 * Math.cos(yaw);
    for (const s of [-1, 1]) {
      const ex = s * earX + px(14) - px(20);
      c.fillStyle = COLORS.skinShade;
      c.beginPath();
      c.ellipse(ex, -6 + py(-40), 20, 36, 0, 0, Math.PI * 2);
      c.fill();
      c.fillStyle = COLORS.skinDark;
      c.beginPath();
      c.ellipse(ex + s * 4, -6 + py(-40), 9, 22, 0, 0, Math.PI * 2);
      c.fill();
    }

    // Head outline: cranium + cheeks + a jaw whose chin follows jawOpen.
    const hx = px(14); // the outline shifts a little with yaw
    const hy = py(10);
    const cheekW = 150 + 24 * puff;
    const chinX = hx + jawShift + px(40);
    const chinY = 182 + jawDrop + py(40);
    const headPath = new Path2D();
    headPath.moveTo(hx - 146, hy - 10);
    headPath.bezierCurveTo(hx - 150, hy - 130, hx - 90, hy - 205, hx, hy - 206);
    headPath.bezierCurveTo(hx + 90, hy - 205, hx + 150, hy - 130, hx + 146, hy - 10);
    headPath.bezierCurveTo(hx + cheekW + 2, hy + 70, chinX + 118, chinY - 56, chinX + 58, chinY - 12);
    headPath.quadraticCurveTo(chinX, chinY + 10, chinX - 58, chinY - 12);
    headPath.bezierCurveTo(chinX - 118, chinY - 56, hx - cheekW - 2, hy + 70, hx - 146, hy - 10);
    headPath.closePath();
    const skinGrad = c.createRadialGradient(hx + px(40) - 30, hy - 60, 30, hx, hy, 230);
    skinGrad.addColorStop(0, "#f3c7a8");
    skinGrad.addColorStop(1, COLORS.skin);
    c.fillStyle = skinGrad;
    c.fill(headPath);
    c.lineWidth = 2.5;
    c.strokeStyle = COLORS.outline;
    c.stroke(headPath);

    // Hair cap with a fringe (the parting follows yaw).
    c.save();
    c.clip(headPath);
    c.fillStyle = COLORS.hair;
    const fr = py(60) - 118;
    const part = px(70);
    c.beginPath();
    c.moveTo(hx - 170, hy - 20);
    c.lineTo(hx - 170, -240);
    c.lineTo(hx + 170, -240);
    c.lineTo(hx + 170, hy - 20);
    c.quadraticCurveTo(hx + 150, fr + 10, hx + 110, fr - 4);
    c.quadraticCurveTo(part + 40, fr + 22, part - 10, fr - 6);
    c.quadraticCurveTo(part - 60, fr + 18, hx - 120, fr + 4);
    c.quadraticCurveTo(hx - 150, fr + 14, hx - 170, hy - 20);
    c.closePath();
    c.fill();
    c.strokeStyle = COLORS.hairHi;
    c.lineWidth = 3;
    c.beginPath();
    c.moveTo(part - 10, fr - 6);
    c.quadraticCurveTo(part - 20, fr - 60, hx - 40, -200);
    c.stroke();
    c.restore();

    // Cheeks (blush): cheekSquint and smile lift them, puff widens them.
    const smileL = w("mouthSmileLeft");
    const smileR = w("mouthSmileRight");
    c.fillStyle = COLORS.blush;
    for (const [s, sq, sm] of [[1, w("cheekSquintLeft"), smileL], [-1, w("cheekSquintRight"), smileR]]) {
      c.beginPath();
      c.ellipse(s * (88 + 10 * puff) + px(90), 44 - 10 * sq - 6 * sm + py(90), 26 + 10 * puff, 16 + 6 * puff, 0, 0,
        Math.PI * 2);
      c.fill();
    }

    this.drawEyes(c, w, v, px, py);
    this.drawBrows(c, w, px, py);
    this.drawNose(c, w, px, py);
    this.drawMouth(c, w, px, py, { jawOpen, mouthClose, jawDrop, jawShift });

    // Chin crease follows the jaw.
    c.strokeStyle = "rgba(122, 75, 54, 0.45)";
    c.lineWidth = 2;
    c.beginPath();
    c.moveTo(chinX - 16, chinY - 26);
    c.quadraticCurveTo(chinX, chinY - 20, chinX + 16, chinY - 26);
    c.stroke();

    c.restore();
  }

  drawEyes(c, w, v, px, py) {
    for (const side of ["Left", "Right"]) {
      const s = side === "Left" ? 1 : -1; // character's left eye is at screen right
      const ex = s * 62 + px(110);
      const ey = -34 + py(110);
      const blink = w(`eyeBlink${side}`);
      const wide = w(`eyeWide${side}`);
      const squint = w(`eyeSquint${side}`);
      // Gaze: +x = screen right; + y = down.
      const lookIn = w(`eyeLookIn${side}`);
      const lookOut = w(`eyeLookOut${side}`);
      let gx = side === "Left" ? lookOut - lookIn : lookIn - lookOut;
      let gy = w(`eyeLookDown${side}`) - w(`eyeLookUp${side}`);
      if (Math.abs(gx) + Math.abs(gy) < 1e-4) {
        const ey2 = side === "Left" ? "leftEye" : "rightEye";
        gx = Math.max(-1, Math.min(1, v(`${ey2}Yaw`) / 0.45));
        gy = Math.max(-1, Math.min(1, v(`${ey2}Pitch`) / 0.45));
      }
      const halfW = 31;
      const closedY = 5;
      const upOpen = -19 * (1 + 0.45 * wide) * (1 - 0.2 * squint);
      const upY = lerp(upOpen, closedY, blink);
      const loY = lerp(14 * (1 - 0.5 * squint), closedY, 0.25 * blink);

      const eye = new Path2D();
      eye.moveTo(ex - halfW, ey);
      eye.quadraticCurveTo(ex, ey + 2 * upY, ex + halfW, ey);
      eye.quadraticCurveTo(ex, ey + 2 * loY, ex - halfW, ey);
      eye.closePath();

      // Socket shadow and lid skin.
      c.fillStyle = "rgba(184, 122, 92, 0.35)";
      c.beginPath();
      c.ellipse(ex, ey - 4, halfW + 8, 24, 0, 0, Math.PI * 2);
      c.fill();

      if (upY < loY - 0.5) {
        c.save();
        c.clip(eye);
        c.fillStyle = COLORS.sclera;
        c.fillRect(ex - halfW - 2, ey - 40, 2 * halfW + 4, 80);
        const ix = ex + gx * 14;
        const iy = ey + gy * 8 - 1;
        c.fillStyle = COLORS.iris;
        c.beginPath();
        c.arc(ix, iy, 13, 0, Math.PI * 2);
        c.fill();
        c.fillStyle = COLORS.pupil;
        c.beginPath();
        c.arc(ix, iy, 6, 0, Math.PI * 2);
        c.fill();
        c.fillStyle = "rgba(255,255,255,0.9)";
        c.beginPath();
        c.arc(ix + 4, iy - 4, 2.6, 0, Math.PI * 2);
        c.fill();
        // Upper lid shadow on the eyeball.
        c.fillStyle = "rgba(90, 50, 40, 0.18)";
        c.beginPath();
        c.moveTo(ex - halfW, ey);
        c.quadraticCurveTo(ex, ey + 2 * upY, ex + halfW, ey);
        c.quadraticCurveTo(ex, ey + 2 * upY + 12, ex - halfW, ey);
        c.fill();
        c.restore();
      }
      // Upper lid line with lashes (thick), lower lid line (thin).
      c.strokeStyle = COLORS.lash;
      c.lineCap = "round";
      c.lineWidth = 4;
      c.beginPath();
      c.moveTo(ex - halfW - 2, ey + 1);
      c.quadraticCurveTo(ex, ey + 2 * upY, ex + halfW + 2, ey + 1);
      c.stroke();
      c.lineWidth = 1.5;
      c.strokeStyle = "rgba(90, 50, 40, 0.6)";
      c.beginPath();
      c.moveTo(ex - halfW + 3, ey + 1);
      c.quadraticCurveTo(ex, ey + 2 * loY, ex + halfW - 3, ey + 1);
      c.stroke();
      // Lid crease above (rises with eyeWide).
      c.strokeStyle = "rgba(122, 75, 54, 0.5)";
      c.lineWidth = 1.5;
      c.beginPath();
      c.moveTo(ex - halfW + 2, ey - 6);
      c.quadraticCurveTo(ex, ey - 2 * (20 + 6 * wide) * (1 - 0.15 * blink), ex + halfW - 2, ey - 6);
      c.stroke();
    }
  }

  drawBrows(c, w, px, py) {
    const inner = w("browInnerUp");
    for (const side of ["Left", "Right"]) {
      const s = side === "Left" ? 1 : -1;
      const down = w(`browDown${side}`);
      const outer = w(`browOuterUp${side}`);
      const bx = px(115);
      const by = -80 + py(115);
      const ix = s * (24 - 5 * down) + bx;
      const iy = by + 4 - 16 * inner + 11 * down;
      const mx = s * 60 + bx;
      const my = by - 10 - 8 * inner - 7 * outer + 6 * down;
      const ox = s * 94 + bx;
      const oy = by + 2 - 15 * outer + 3 * down;
      c.strokeStyle = COLORS.brow;
      c.lineCap = "round";
      c.lineJoin = "round";
      c.lineWidth = 9;
      c.beginPath();
      c.moveTo(ix, iy);
      c.quadraticCurveTo(mx, 2 * my - (iy + oy) / 2, ox, oy);
      c.stroke();
    }
    // Frown lines between the brows when they pull down.
    const down = (w("browDownLeft") + w("browDownRight")) / 2;
    if (down > 0.05) {
      c.strokeStyle = `rgba(122, 75, 54, ${0.6 * down})`;
      c.lineWidth = 2;
      for (const s of [-1, 1]) {
        c.beginPath();
        c.moveTo(s * 8 + px(115), -74 + py(115));
        c.lineTo(s * 10 + px(115), -58 + py(115));
        c.stroke();
      }
    }
  }

  drawNose(c, w, px, py) {
    const sneerL = w("noseSneerLeft");
    const sneerR = w("noseSneerRight");
    const tx = px(150);
    const ty = 40 + py(150);
    // Bridge: one shaded side (light from screen left).
    c.strokeStyle = "rgba(184, 122, 92, 0.35)";
    c.lineWidth = 4;
    c.lineCap = "round";
    c.beginPath();
    c.moveTo(11 + px(125), -12 + py(125));
    c.quadraticCurveTo(14 + px(140), 14 + py(140), 15 + tx, ty - 12);
    c.stroke();
    // Shadow under the tip.
    c.fillStyle = "rgba(160, 95, 70, 0.35)";
    c.beginPath();
    c.ellipse(tx, ty + 11, 20, 5, 0, 0, Math.PI * 2);
    c.fill();
    // Tip.
    const tip = c.createRadialGradient(tx - 4, ty - 4, 2, tx, ty, 17);
    tip.addColorStop(0, "#f6cdb0");
    tip.addColorStop(1, COLORS.skinShade);
    c.fillStyle = tip;
    c.beginPath();
    c.ellipse(tx, ty, 15, 12, 0, 0, Math.PI * 2);
    c.fill();
    for (const [s, sneer] of [[1, sneerL], [-1, sneerR]]) {
      // Nostril wing (ala): lifts and flares with noseSneer.
      const nx = tx + s * (15 + 3 * sneer);
      const ny = ty + 2 - 9 * sneer;
      c.fillStyle = COLORS.skinShade;
      c.beginPath();
      c.ellipse(nx, ny, 8, 8, 0, 0, Math.PI * 2);
      c.fill();
      c.strokeStyle = COLORS.skinDark;
      c.lineWidth = 2;
      c.beginPath();
      if (s > 0) c.arc(nx, ny, 8, -1.8, 1.6);
      else c.arc(nx, ny, 8, Math.PI - 1.6, Math.PI + 1.8);
      c.stroke();
      // Nostril.
      c.fillStyle = "#8a4d3a";
      c.beginPath();
      c.ellipse(tx + s * 7, ty + 8 - 4 * sneer, 4, 2.2, s * 0.35, 0, Math.PI * 2);
      c.fill();
      // Sneer creases beside the nose.
      if (sneer > 0.05) {
        c.strokeStyle = `rgba(122, 75, 54, ${0.7 * sneer})`;
        c.lineWidth = 2;
        c.beginPath();
        c.moveTo(nx + s * 6, ny - 12);
        c.quadraticCurveTo(nx + s * 12, ny - 4, nx + s * 14, ny + 10);
        c.stroke();
        c.beginPath();
        c.moveTo(s * 10 + px(125), -22 + py(125));
        c.lineTo(s * 16 + px(125), -12 + py(125));
        c.stroke();
      }
    }
  }

  drawMouth(c, w, px, py, jaw) {
    const { jawOpen, mouthClose, jawDrop, jawShift } = jaw;
    const avg = (n) => (w(`${n}Left`) + w(`${n}Right`)) / 2;
    const funnel = w("mouthFunnel");
    const pucker = w("mouthPucker");
    const press = avg("mouthPress");
    const rollU = w("mouthRollUpper");
    const rollL = w("mouthRollLower");
    const shrugU = w("mouthShrugUpper");
    const shrugL = w("mouthShrugLower");
    const upperUp = avg("mouthUpperUp");
    const lowerDown = avg("mouthLowerDown");
    const slide = 22 * (w("mouthLeft") - w("mouthRight"));

    const mx = px(125) + slide + 0.35 * jawShift;
    const my = 96 + py(125);

    // Vertical lip gap (px): ARKit's jawOpen opens jaw *and* lips, mouthClose closes the lips again.
    const gap = 66 * Math.max(0, jawOpen - mouthClose) + 12 * lowerDown + 8 * upperUp;
    const upperInnerY = my - 7 * upperUp - 4 * shrugU;
    const lowerInnerY = upperInnerY + gap;
    // Lip thickness: press and roll thin them; pucker and funnel push them out (thicker).
    const tU = Math.max(2.5, 11 * (1 - 0.65 * rollU - 0.45 * press + 0.45 * pucker + 0.3 * funnel));
    const tL = Math.max(3, 14 * (1 - 0.65 * rollL - 0.45 * press + 0.45 * pucker + 0.3 * funnel));
    const shrugLift = 5 * shrugL;

    // Corners: per side (s = +1: the character's left = screen right).
    const narrow = 1 - 0.36 * pucker - 0.24 * funnel;
    const corner = (side, s) => {
      const smile = w(`mouthSmile${side}`);
      const frown = w(`mouthFrown${side}`);
      const stretch = w(`mouthStretch${side}`);
      const dimple = w(`mouthDimple${side}`);
      const x = mx + s * (46 * narrow + 10 * smile + 14 * stretch + 5 * dimple - 4 * press);
      const y = upperInnerY + 0.45 * gap - 17 * smile + 14 * frown + 2 * stretch;
      return [x, y];
    };
    const [lx, ly] = corner("Right", -1); // screen left corner = character's right
    const [rx, ry] = corner("Left", 1);

    // Inner contour: funnel/pucker round the opening (the inner corners gather toward the middle).
    const gather = Math.min(0.6, 0.45 * funnel + 0.3 * pucker) * Math.min(1, gap / 10);
    const ilx = lerp(lx, mx, gather);
    const irx = lerp(rx, mx, gather);
    const ily = lerp(ly, (upperInnerY + lowerInnerY) / 2, gather);
    const iry = lerp(ry, (upperInnerY + lowerInnerY) / 2, gather);
    const round = 1 + 0.5 * gather; // rounder control points

    // Mouth opening (dark), teeth and tongue, clipped to the opening.
    const opening = new Path2D();
    opening.moveTo(ilx, ily);
    opening.bezierCurveTo(ilx + (mx - ilx) * 0.45 * round, upperInnerY - (ily - upperInnerY) * 0.1, mx - 12, upperInnerY,
      mx, upperInnerY);
    opening.bezierCurveTo(mx + 12, upperInnerY, irx - (irx - mx) * 0.45 * round, upperInnerY - (iry - upperInnerY) * 0.1,
      irx, iry);
    opening.bezierCurveTo(irx - (irx - mx) * 0.3 * round, lowerInnerY, mx + 20, lowerInnerY, mx, lowerInnerY);
    opening.bezierCurveTo(mx - 20, lowerInnerY, ilx + (mx - ilx) * 0.3 * round, lowerInnerY, ilx, ily);
    opening.closePath();
    if (gap > 0.8) {
      c.fillStyle = COLORS.mouthInside;
      c.fill(opening);
      c.save();
      c.clip(opening);
      // Upper teeth hang from the upper jaw; lower teeth ride on the jaw.
      c.fillStyle = COLORS.teeth;
      c.fillRect(mx - 34, upperInnerY - 4, 68, 11);
      const lowerTeethY = upperInnerY + 9 + 0.85 * jawDrop;
      c.fillRect(mx - 30 + 0.5 * jawShift, lowerTeethY, 60, 8);
      c.strokeStyle = "rgba(120, 110, 100, 0.5)";
      c.lineWidth = 1;
      for (let k = -3; k <= 3; k++) {
        c.beginPath();
        c.moveTo(mx + k * 9, upperInnerY - 4);
        c.lineTo(mx + k * 9, upperInnerY + 7);
        c.stroke();
      }
      c.fillStyle = COLORS.tongue;
      c.beginPath();
      c.ellipse(mx + 0.5 * jawShift, lowerInnerY + 6, 28, 12 + 6 * jawOpen, 0, Math.PI, 0);
      c.fill();
      c.restore();
    }

    // Upper lip: Cupid's bow on the outside, the inner contour below.
    const bowY = upperInnerY - tU;
    const upper = new Path2D();
    upper.moveTo(lx, ly);
    upper.bezierCurveTo(lx + (mx - lx) * 0.45, bowY + 2, mx - 16, bowY - 3, mx - 9, bowY - 2);
    upper.quadraticCurveTo(mx, bowY + 3, mx + 9, bowY - 2);
    upper.bezierCurveTo(mx + 16, bowY - 3, rx - (rx - mx) * 0.45, bowY + 2, rx, ry);
    upper.lineTo(irx, iry);
    upper.bezierCurveTo(irx - (irx - mx) * 0.45 * round, upperInnerY - (iry - upperInnerY) * 0.1, mx + 12, upperInnerY,
      mx, upperInnerY);
    upper.bezierCurveTo(mx - 12, upperInnerY, ilx + (mx - ilx) * 0.45 * round, upperInnerY - (ily - upperInnerY) * 0.1,
      ilx, ily);
    upper.closePath();
    c.fillStyle = COLORS.lipUpper;
    c.fill(upper);

    // Lower lip.
    const lowY = lowerInnerY + tL - shrugLift;
    const lower = new Path2D();
    lower.moveTo(ilx, ily);
    lower.bezierCurveTo(ilx + (mx - ilx) * 0.3 * round, lowerInnerY, mx - 20, lowerInnerY, mx, lowerInnerY);
    lower.bezierCurveTo(mx + 20, lowerInnerY, irx - (irx - mx) * 0.3 * round, lowerInnerY, irx, iry);
    lower.lineTo(rx, ry);
    lower.bezierCurveTo(rx - (rx - mx) * 0.2, lowY + 2, mx + 22, lowY + 1, mx, lowY + 1);
    lower.bezierCurveTo(mx - 22, lowY + 1, lx + (mx - lx) * 0.2, lowY + 2, lx, ly);
    lower.closePath();
    c.fillStyle = COLORS.lipLower;
    c.fill(lower);
    // Lower-lip highlight.
    c.fillStyle = "rgba(255, 220, 215, 0.25)";
    c.beginPath();
    c.ellipse(mx, lowerInnerY + tL * 0.45, 14 * narrow + 4, Math.max(1, tL * 0.22), 0, 0, Math.PI * 2);
    c.fill();

    // Lip seam (sealed lips) or the inner edge of the opening.
    c.strokeStyle = COLORS.lipLine;
    c.lineWidth = gap > 0.8 ? 1.2 : 2.2;
    c.lineCap = "round";
    c.beginPath();
    c.moveTo(lx, ly);
    c.bezierCurveTo(ilx + (mx - ilx) * 0.45 * round, upperInnerY - (ily - upperInnerY) * 0.1, mx - 12, upperInnerY,
      mx, upperInnerY);
    c.bezierCurveTo(mx + 12, upperInnerY, irx - (irx - mx) * 0.45 * round, upperInnerY - (iry - upperInnerY) * 0.1,
      rx, ry);
    c.stroke();
    // Corner creases.
    c.strokeStyle = "rgba(122, 75, 54, 0.55)";
    c.lineWidth = 1.6;
    for (const [x, y, s] of [[lx, ly, -1], [rx, ry, 1]]) {
      c.beginPath();
      c.moveTo(x + s * 1, y - 3);
      c.quadraticCurveTo(x + s * 6, y, x + s * 3, y + 5);
      c.stroke();
    }

    // Tongue out over the lower lip.
    const tongueOut = w("tongueOut");
    if (tongueOut > 0.05) {
      c.fillStyle = COLORS.tongue;
      c.beginPath();
      c.ellipse(mx, lowerInnerY + 4 + 10 * tongueOut, 16, 6 + 14 * tongueOut, 0, 0, Math.PI * 2);
      c.fill();
    }

    this.geometry = {
      gap, upperInnerY, lowerInnerY, corners: [[lx, ly], [rx, ry]], center: [mx, my],
    };
  }

  /** The mouth's region on the canvas in CSS pixels (rotation ignored; generous), for tests. */
  mouthRegion() {
    return { x: W / 2 - 110, y: 228 + 20, width: 220, height: 190 };
  }
}

export const FACE_SIZE = { width: W, height: H };
export const FACE_COLORS = COLORS;

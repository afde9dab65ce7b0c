// The pictures that are not the network: the output plot (heatmap and points), the dataset
// thumbnails, the input features' maps, the hidden-space scatter and the loss chart.

import {
  BACKGROUND_PALE, CLASS_COLORS, classColor, classRgb, css, cividisRgb, fmt, packedClass,
  probabilityLut, toNumber, valueLut, valueRgb,
} from "./colors.js";

// --------------------------------------------------------------------------- helpers

export function decodeBase64(text, into) {
  const binary = atob(text);
  const n = binary.length;
  const out = into && into.length === n ? into : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function hiDpi(canvas, width, height) {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return ctx;
}

function niceTicks(lo, hi, count = 5) {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return [lo];
  const raw = span / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

// Draw a map of bytes (size x size, row 0 = lowest y) into a canvas of size x size with a LUT.
export class MapPainter {
  constructor(canvas, size) {
    this.canvas = canvas;
    this.resize(size);
  }

  resize(size) {
    this.size = size;
    this.canvas.width = size;
    this.canvas.height = size;
    this.ctx = this.canvas.getContext("2d");
    this.image = this.ctx.createImageData(size, size);
    this.pixels = new Uint32Array(this.image.data.buffer);
  }

  // bytes: Uint8Array of size*size; lut: Uint32Array(256).
  paint(bytes, lut) {
    const n = this.size, px = this.pixels;
    for (let r = 0; r < n; r++) {
      const src = r * n, dst = (n - 1 - r) * n;
      for (let c = 0; c < n; c++) px[dst + c] = lut[bytes[src + c]];
    }
    this.ctx.putImageData(this.image, 0, 0);
  }

  // K planes of probabilities (bytes over [0, 1]): each pixel the colour of its likeliest
  // class, as strong as that class is sure (or full strength with `discrete`).
  paintClasses(bytes, K, discrete, tables) {
    const n = this.size, plane = n * n, px = this.pixels;
    for (let r = 0; r < n; r++) {
      const src = r * n, dst = (n - 1 - r) * n;
      for (let c = 0; c < n; c++) {
        let best = 0, bestValue = -1;
        for (let k = 0; k < K; k++) {
          const v = bytes[k * plane + src + c];
          if (v > bestValue) { bestValue = v; best = k; }
        }
        px[dst + c] = tables[best][discrete ? 255 : bestValue];
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
  }

  clear(color = "#eee") {
    this.ctx.fillStyle = color;
    this.ctx.fillRect(0, 0, this.size, this.size);
  }

  // The map holds NaN or an infinity: hatched, with a "NaN" label when `label`.
  hatch(label = "NaN") {
    drawNotFinite(this.ctx, 0, 0, this.size, this.size, { label });
  }
}

// Per class, 256 colours from white (1/K sure) to the class colour (certain); `pale` mixes them
// that far towards white (the output plot's background).
export function classTables(K, pale = 0) {
  const tables = [];
  for (let k = 0; k < K; k++) {
    const t = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      const p = i / 255;
      const s = Math.max(0, (p - 1 / K) / (1 - 1 / K));
      t[i] = packedClass(k, 0.15 + 0.85 * s, pale);
    }
    tables.push(t);
  }
  return tables;
}

// A tiny 1-D curve (dims 1: the sine) drawn into a small canvas.
export function drawCurve(ctx, bytes, width, height, lo, hi, options = {}) {
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = options.background || "#fafafa";
  ctx.fillRect(0, 0, width, height);
  const zero = lo < 0 && hi > 0 ? height * (1 - (0 - lo) / (hi - lo)) : null;
  if (zero !== null) {
    ctx.strokeStyle = "#ccc";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, zero);
    ctx.lineTo(width, zero);
    ctx.stroke();
  }
  const n = bytes.length;
  ctx.strokeStyle = options.color || "#333";
  ctx.lineWidth = options.lineWidth || 1.5;
  ctx.beginPath();
  for (let i = 0; i < n; i++) {
    const x = (i / (n - 1)) * width;
    const y = height * (1 - bytes[i] / 255);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
}

// A map that holds NaN or an infinity has no colour: diagonal grey and red stripes and, where
// there is room, a small "NaN" label (never a class colour, never a plain grey).
export function drawNotFinite(ctx, x, y, width, height, options = {}) {
  const { label = "NaN", stripe = Math.max(3, Math.round(Math.min(width, height) / 8)), font = null, light = false } = options;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, width, height);
  ctx.clip();
  ctx.fillStyle = light ? "#f1f1f1" : "#e6e6e6";
  ctx.fillRect(x, y, width, height);
  ctx.lineWidth = stripe * (light ? 0.35 : 0.55);
  const span = width + height;
  const red = light ? "rgba(208,2,27,.42)" : "rgba(208,2,27,.72)", grey = light ? "#c4c4c4" : "#9e9e9e";
  for (let k = -height, n = 0; k < span; k += stripe, n++) {
    ctx.strokeStyle = n % 2 ? red : grey;
    ctx.beginPath();
    ctx.moveTo(x + k, y + height);
    ctx.lineTo(x + k + height, y);
    ctx.stroke();
  }
  const size = font || Math.round(Math.min(width, height) * 0.3);
  if (label && size >= 7) {
    ctx.font = `700 ${size}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const w = ctx.measureText(label).width + size * 0.6, h = size * 1.35;
    const cx = x + width / 2, cy = y + height / 2;
    ctx.fillStyle = "rgba(255,255,255,.94)";
    ctx.fillRect(cx - w / 2, cy - h / 2, w, h);
    ctx.strokeStyle = "#b00018";
    ctx.lineWidth = Math.max(1, size / 10);
    ctx.strokeRect(cx - w / 2, cy - h / 2, w, h);
    ctx.fillStyle = "#b00018";
    ctx.fillText(label, cx, cy + size * 0.04);
  }
  ctx.restore();
}

// --------------------------------------------------------------------------- output plot

const MARGIN = { left: 30, bottom: 22, top: 8, right: 14 };

export class OutputPlot {
  constructor(host, size, onClick) {
    this.host = host;
    this.size = size;
    this.onClick = onClick;
    host.classList.add("output-plot");
    host.style.width = `${size + MARGIN.left + MARGIN.right}px`;
    host.style.height = `${size + MARGIN.top + MARGIN.bottom}px`;
    this.heat = document.createElement("canvas");
    this.heat.className = "heat";
    this.heat.style.left = `${MARGIN.left}px`;
    this.heat.style.top = `${MARGIN.top}px`;
    this.heat.style.width = `${size}px`;
    this.heat.style.height = `${size}px`;
    this.overlay = document.createElement("canvas");
    this.overlay.className = "overlay";
    this.overlay.setAttribute("data-testid", "output-plot");
    this.overlay.setAttribute("aria-label", "output of the network over the input plane; click to add a point");
    this.notice = document.createElement("div");
    this.notice.className = "plot-notice";
    this.notice.hidden = true;
    host.append(this.heat, this.overlay, this.notice);
    this.octx = hiDpi(this.overlay, size + MARGIN.left + MARGIN.right, size + MARGIN.top + MARGIN.bottom);
    this.painter = new MapPainter(this.heat, 100);
    this.bytes = null;
    this.showTest = true;
    this.discrete = false;
    this.highlight = null;
    this.notFinite = false;
    this.state = null;
    this.overlay.addEventListener("click", (event) => this._click(event));
    this.overlay.addEventListener("mousemove", (event) => this._move(event));
    this.overlay.addEventListener("mouseleave", () => { this.hover = null; this.host.title = ""; });
  }

  // A new size in pixels (narrow windows take a smaller plot).
  resize(size) {
    if (size === this.size) return;
    this.size = size;
    this.host.style.width = `${size + MARGIN.left + MARGIN.right}px`;
    this.host.style.height = `${size + MARGIN.top + MARGIN.bottom}px`;
    this.heat.style.width = `${size}px`;
    this.heat.style.height = `${size}px`;
    this.octx = hiDpi(this.overlay, size + MARGIN.left + MARGIN.right, size + MARGIN.top + MARGIN.bottom);
    this.drawOverlay();
  }

  setState(state) {
    this.state = state;
    const [lo, hi] = state.output_range;
    this.lo = lo;
    this.hi = hi;
    if (this.painter.size !== state.map_size) this.painter.resize(state.map_size);
    const lutOf = state.task === "regression" ? valueLut : probabilityLut;
    this.luts = {
      smooth: lutOf(lo, hi, { discrete: false, pale: BACKGROUND_PALE }),
      discrete: lutOf(lo, hi, { discrete: true, pale: BACKGROUND_PALE }),
    };
    this.valueScale = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    this.K = state.sizes[state.sizes.length - 1];
    this.tables = this.K > 1 ? classTables(this.K, BACKGROUND_PALE) : null;
    // the points the user added (drawn as squares), by their coordinates
    this.userKeys = new Set((state.settings.points || []).map((p) => `${Number(p[0])},${Number(p[1])}`));
    this.heat.style.visibility = state.dims === 2 ? "visible" : "hidden";
    this.bytes = null;
    this.notFinite = false;
    this.painter.clear();
    this.drawOverlay();
  }

  setOptions({ showTest, discrete }) {
    if (showTest !== undefined) this.showTest = showTest;
    if (discrete !== undefined) this.discrete = discrete;
    if (this.bytes) this.drawMap(this.bytes);
    this.drawOverlay();
  }

  setHighlight(sample) {
    this.highlight = sample;
    this.drawOverlay();
  }

  // `notFinite`: the map holds NaN or an infinity (its bytes mean nothing): hatched instead.
  drawMap(bytes, nanText = null, notFinite = false) {
    this.bytes = bytes;
    const s = this.state;
    if (!s) return;
    const changed = notFinite !== this.notFinite;
    this.notFinite = notFinite;
    if (s.dims === 2) {
      if (notFinite) {
        if (changed) this.drawOverlay();
      } else {
        if (this.K > 1) this.painter.paintClasses(bytes, this.K, this.discrete, this.tables);
        else this.painter.paint(bytes, this.discrete ? this.luts.discrete : this.luts.smooth);
        if (changed) this.drawOverlay();
      }
    } else {
      this.drawOverlay();
    }
    if (nanText) {
      this.notice.textContent = nanText;
      this.notice.hidden = false;
    } else if (!this.notice.hidden) {
      this.notice.hidden = true;
    }
  }

  // Data coordinates -> pixels of the plot box (inside the margins).
  _px(x, y) {
    const [x0, x1, y0, y1] = this.state.extent;
    return [
      MARGIN.left + ((x - x0) / (x1 - x0)) * this.size,
      MARGIN.top + this.size - ((y - y0) / (y1 - y0)) * this.size,
    ];
  }

  _data(px, py) {
    const [x0, x1, y0, y1] = this.state.extent;
    return [
      x0 + ((px - MARGIN.left) / this.size) * (x1 - x0),
      y0 + ((MARGIN.top + this.size - py) / this.size) * (y1 - y0),
    ];
  }

  _pointColor(label) {
    const s = this.state;
    if (s.task === "regression") return css(valueRgb(toNumber(label), this.valueScale));
    return classColor(label);
  }

  drawOverlay() {
    const ctx = this.octx, s = this.state, size = this.size;
    const W = size + MARGIN.left + MARGIN.right, H = size + MARGIN.top + MARGIN.bottom;
    ctx.clearRect(0, 0, W, H);
    if (!s) return;
    const [x0, x1, y0, y1] = s.extent;
    // frame and ticks
    ctx.strokeStyle = "#bbb";
    ctx.lineWidth = 1;
    ctx.strokeRect(MARGIN.left - 0.5, MARGIN.top - 0.5, size + 1, size + 1);
    ctx.fillStyle = "#555";
    ctx.font = "12px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(x0, x1, 4)) {
      const [px] = this._px(t, y0);
      ctx.fillRect(px - 0.5, MARGIN.top + size, 1, 4);
      ctx.fillText(fmt(t, 3), px, MARGIN.top + size + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of niceTicks(y0, y1, 4)) {
      const [, py] = this._px(x0, t);
      ctx.fillRect(MARGIN.left - 4, py - 0.5, 4, 1);
      ctx.fillText(fmt(t, 3), MARGIN.left - 6, py);
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(MARGIN.left, MARGIN.top, size, size);
    ctx.clip();
    if (s.dims === 1) this._drawCurveView(ctx);
    else if (this.notFinite) drawNotFinite(ctx, MARGIN.left, MARGIN.top, size, size, { label: null, stripe: 14, light: true });
    const total = s.train.x.length + (s.test ? s.test.x.length : 0);
    const radius = total <= 16 ? 7 : total <= 120 ? 4.6 : total <= 1000 ? 3.6 : 2.8;
    const user = this.userKeys && this.userKeys.size ? this.userKeys : null;
    const drawSet = (set, edge, isTest) => {
      const xs = set.x, ys = set.y;
      for (let i = 0; i < xs.length; i++) {
        const p = xs[i];
        const [px, py] = s.dims === 2 ? this._px(p[0], p[1]) : this._px(p[0], toNumber(ys[i]));
        const mine = user && user.has(`${Number(p[0])},${Number(p[1])}`);
        ctx.beginPath();
        if (mine) {
          // a point the user added: a larger square with a dark ring
          const h = radius + 1.5;
          ctx.rect(px - h, py - h, 2 * h, 2 * h);
        } else {
          ctx.arc(px, py, radius, 0, 2 * Math.PI);
        }
        ctx.fillStyle = this._pointColor(ys[i]);
        ctx.fill();
        ctx.lineWidth = mine ? 2.2 : radius > 5 ? 1.6 : 1;
        ctx.strokeStyle = mine ? (isTest ? "#000" : "#333") : edge;
        ctx.stroke();
        if (mine && !isTest) {
          ctx.lineWidth = 1;
          ctx.strokeStyle = "#fff";
          const h = radius + 0.4;
          ctx.strokeRect(px - h, py - h, 2 * h, 2 * h);
        }
        if (!isTest && i === this.highlight) this._ring(ctx, px, py, radius);
      }
    };
    drawSet(s.train, "#fff", false);
    if (this.showTest && s.test) drawSet(s.test, "#000", true);
    if (this.notFinite) {
      // a small label in the corner: what the stripes mean
      const text = "NaN: the output is not a number here";
      ctx.font = "700 12px system-ui, sans-serif";
      ctx.textAlign = "left";
      ctx.textBaseline = "middle";
      const w = ctx.measureText(text).width + 12;
      ctx.fillStyle = "rgba(255,255,255,.95)";
      ctx.fillRect(MARGIN.left + 6, MARGIN.top + 6, w, 20);
      ctx.strokeStyle = "#b00018";
      ctx.lineWidth = 1;
      ctx.strokeRect(MARGIN.left + 6.5, MARGIN.top + 6.5, w - 1, 19);
      ctx.fillStyle = "#b00018";
      ctx.fillText(text, MARGIN.left + 12, MARGIN.top + 16.5);
    }
    ctx.restore();
  }

  _ring(ctx, px, py, radius) {
    ctx.save();
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = "#111";
    ctx.beginPath();
    ctx.arc(px, py, radius + 4.5, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.lineWidth = 1.2;
    ctx.strokeStyle = "#fff";
    ctx.beginPath();
    ctx.arc(px, py, radius + 6, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.restore();
  }

  _drawCurveView(ctx) {
    // dims 1: the prediction as a curve over x; y is the value axis.
    const s = this.state, size = this.size;
    ctx.fillStyle = "#fbfbfb";
    ctx.fillRect(MARGIN.left, MARGIN.top, size, size);
    const [x0, x1, y0, y1] = s.extent;
    if (y0 < 0 && y1 > 0) {
      const [, pz] = this._px(x0, 0);
      ctx.strokeStyle = "#ddd";
      ctx.beginPath();
      ctx.moveTo(MARGIN.left, pz);
      ctx.lineTo(MARGIN.left + size, pz);
      ctx.stroke();
    }
    const bytes = this.bytes;
    if (this.notFinite) {
      drawNotFinite(ctx, MARGIN.left, MARGIN.top, size, size, { label: null, stripe: 14, light: true });
      return;
    }
    if (!bytes) return;
    const n = bytes.length;
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const x = x0 + ((x1 - x0) * i) / (n - 1);
      const v = this.lo + ((this.hi - this.lo) * bytes[i]) / 255;
      const [px, py] = this._px(x, v);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }

  _eventPoint(event) {
    const rect = this.overlay.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  nearestSample(px, py, radius = 10) {
    const s = this.state;
    if (!s) return null;
    let best = null, bestD = radius * radius;
    s.train.x.forEach((p, i) => {
      const [qx, qy] = s.dims === 2 ? this._px(p[0], p[1]) : this._px(p[0], toNumber(s.train.y[i]));
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d <= bestD) { bestD = d; best = i; }
    });
    return best;
  }

  _click(event) {
    if (!this.state) return;
    const [px, py] = this._eventPoint(event);
    if (px < MARGIN.left || px > MARGIN.left + this.size || py < MARGIN.top || py > MARGIN.top + this.size) return;
    const [x, y] = this._data(px, py);
    this.onClick({ x, y, shift: event.shiftKey, sample: this.nearestSample(px, py) });
  }

  _move(event) {
    if (!this.state) return;
    const [px, py] = this._eventPoint(event);
    const [x, y] = this._data(px, py);
    this.host.title = `x1 = ${fmt(x, 3)}, ${this.state.dims === 2 ? "x2" : "y"} = ${fmt(y, 3)}`;
  }
}

// --------------------------------------------------------------------------- thumbnails

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r) {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

// A schematic sample of each named dataset: [[x, y, label]] on [-1, 1]^2.
function schematicPoints(name) {
  const r = rng(7), pts = [], n = 90;
  if (name === "xor" || name === "and" || name === "or") {
    const labels = { xor: [0, 1, 1, 0], and: [0, 0, 0, 1], or: [0, 1, 1, 1] }[name];
    return [[-0.6, -0.6, labels[0]], [-0.6, 0.6, labels[1]], [0.6, -0.6, labels[2]], [0.6, 0.6, labels[3]]];
  }
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    if (name === "circle") {
      const rad = c ? r() * 0.45 : 0.65 + r() * 0.3, a = r() * 2 * Math.PI;
      pts.push([rad * Math.cos(a), rad * Math.sin(a), c]);
    } else if (name === "gauss") {
      const m = c ? 0.5 : -0.5;
      pts.push([m + 0.2 * normal(r), m + 0.2 * normal(r), c]);
    } else if (name === "spiral") {
      const t = 0.08 + r() * 0.92, a = 3 * Math.PI * t + Math.PI * c;
      pts.push([t * Math.cos(a) * 0.95, t * Math.sin(a) * 0.95, c]);
    } else if (name === "moons") {
      const a = r() * Math.PI;
      let x = c ? 1 - Math.cos(a) : Math.cos(a), y = c ? 0.5 - Math.sin(a) : Math.sin(a);
      pts.push([(x - 0.5) / 1.5 + 0.04 * normal(r), (y - 0.25) / 1.5 + 0.04 * normal(r), c]);
    } else if (name === "xor-cloud") {
      const x = r() * 2 - 1, y = r() * 2 - 1;
      pts.push([x, y, (x > 0) !== (y > 0) ? 1 : 0]);
    }
  }
  return pts;
}

function regressionValue(name, x, y) {
  if (name === "reg-plane") return (x + y) * 0.6;
  if (name === "reg-gauss") {
    const bumps = [[-2 / 3, 0, 1], [2 / 3, 0, -1], [0, 2 / 3, 1], [0, -2 / 3, -1], [2 / 3, 2 / 3, 1], [-2 / 3, -2 / 3, -1]];
    let best = 0;
    for (const [cx, cy, sgn] of bumps) {
      const v = sgn * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 0.12));
      if (Math.abs(v) > Math.abs(best)) best = v;
    }
    return best;
  }
  return 0;
}

// Draw a dataset's thumbnail: the real training points when `data` is given (the current
// dataset), else a schematic sample.
export function drawThumbnail(canvas, name, data = null) {
  const size = 56;
  const ctx = hiDpi(canvas, size, size);
  ctx.fillStyle = "#f4f5f6";
  ctx.fillRect(0, 0, size, size);
  const toPx = (x, y, ext) => [
    ((x - ext[0]) / (ext[1] - ext[0])) * size,
    size - ((y - ext[2]) / (ext[3] - ext[2])) * size,
  ];
  if (name === "sine") {
    ctx.strokeStyle = "#333";
    ctx.lineWidth = 1.6;
    ctx.beginPath();
    for (let i = 0; i <= 40; i++) {
      const x = -5 + (10 * i) / 40;
      const [px, py] = toPx(x, Math.sin(x), [-5, 5, -1.6, 1.6]);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    }
    ctx.stroke();
    const r = rng(3);
    for (let i = 0; i < 24; i++) {
      const x = -5 + 10 * r();
      const [px, py] = toPx(x, Math.sin(x) + 0.15 * normal(r), [-5, 5, -1.6, 1.6]);
      ctx.fillStyle = css(valueRgb(Math.sin(x), 1.2));
      ctx.beginPath();
      ctx.arc(px, py, 2, 0, 2 * Math.PI);
      ctx.fill();
    }
    return;
  }
  if (name === "reg-plane" || name === "reg-gauss") {
    const cells = 28, step = size / cells;
    for (let i = 0; i < cells; i++) {
      for (let j = 0; j < cells; j++) {
        const x = -1 + (2 * (i + 0.5)) / cells, y = 1 - (2 * (j + 0.5)) / cells;
        ctx.fillStyle = css(valueRgb(regressionValue(name, x, y), name === "reg-plane" ? 1.3 : 1.1));
        ctx.fillRect(i * step, j * step, step + 0.5, step + 0.5);
      }
    }
    return;
  }
  let pts, ext = [-1.2, 1.2, -1.2, 1.2], radius = 1.9;
  if (data && data.x.length > 16) {
    pts = data.x.map((p, i) => [p[0], p[1], data.y[i]]);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const [x, y] of pts) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const pad = 0.06 * Math.max(x1 - x0, y1 - y0, 1e-9);
    if (Number.isFinite(x0)) ext = [x0 - pad, x1 + pad, y0 - pad, y1 + pad];
    if (pts.length > 400) pts = pts.filter((_, i) => i % Math.ceil(pts.length / 400) === 0);
  } else {
    pts = schematicPoints(name);
  }
  if (pts.length <= 4) {
    ext = [-1, 1, -1, 1];
    radius = 5.5;
  }
  for (const [x, y, c] of pts) {
    const [px, py] = toPx(x, y, ext);
    ctx.fillStyle = classColor(c);
    ctx.beginPath();
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
    ctx.fill();
    if (radius > 3) {
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.2;
      ctx.stroke();
    }
  }
}

// --------------------------------------------------------------------------- features

const FEATURE_FUNCTIONS = {
  "x1": (x, y) => x,
  "x2": (x, y) => y,
  "x1^2": (x, y) => x * x,
  "x2^2": (x, y) => y * y,
  "x1*x2": (x, y) => x * y,
  "sin(x1)": (x, y) => Math.sin(x),
  "sin(x2)": (x, y) => Math.sin(y),
};

// A feature's picture over the plane (`extent`): cividis from its lowest value there (dark blue)
// to its highest (yellow), as the hidden units' pictures.
export function drawFeature(canvas, feature, extent, dims, size = 32) {
  const f = FEATURE_FUNCTIONS[feature];
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext("2d");
  if (!f) return;
  const [x0, x1] = extent;
  if (dims === 1) {
    const values = [];
    for (let i = 0; i < size; i++) values.push(f(x0 + ((x1 - x0) * i) / (size - 1), 0));
    const m = Math.max(...values.map(Math.abs)) || 1;
    const bytes = values.map((v) => Math.round(((v / m + 1) / 2) * 255));
    drawCurve(ctx, bytes, size, size, -1, 1, { lineWidth: 1.2 });
    return;
  }
  const [, , y0, y1] = extent;
  const values = new Float64Array(size * size);
  let lo = Infinity, hi = -Infinity;
  for (let r = 0; r < size; r++) {
    const y = y1 - ((y1 - y0) * (r + 0.5)) / size;
    for (let c = 0; c < size; c++) {
      const x = x0 + ((x1 - x0) * (c + 0.5)) / size;
      const v = f(x, y);
      values[r * size + c] = v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const image = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const c = cividisRgb(hi > lo ? (values[i] - lo) / (hi - lo) : 0.5);
    image.data[4 * i] = c[0];
    image.data[4 * i + 1] = c[1];
    image.data[4 * i + 2] = c[2];
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

// --------------------------------------------------------------------------- hidden space

export class HiddenPlot {
  constructor(canvas, width, height) {
    this.canvas = canvas;
    this.width = width;
    this.height = height;
    this.ctx = hiDpi(canvas, width, height);
    this.empty("choose a hidden layer");
  }

  empty(text) {
    const ctx = this.ctx;
    ctx.clearRect(0, 0, this.width, this.height);
    ctx.fillStyle = "#f4f5f6";
    ctx.fillRect(0, 0, this.width, this.height);
    ctx.fillStyle = "#666";
    ctx.font = "13px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(text, this.width / 2, this.height / 2);
  }

  draw(hidden, state, showTest) {
    const ctx = this.ctx, W = this.width, H = this.height;
    const m = { left: 52, right: 10, top: 8, bottom: 34 };
    const train = hidden.train || [], test = showTest ? hidden.test || [] : [];
    let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
    for (const p of train.concat(test)) {
      const u = toNumber(p[0]), v = toNumber(p[1]);
      if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
      xmin = Math.min(xmin, u); xmax = Math.max(xmax, u);
      ymin = Math.min(ymin, v); ymax = Math.max(ymax, v);
    }
    if (!Number.isFinite(xmin)) {
      this.empty("no finite values to show (NaN)");
      return;
    }
    const padX = (xmax - xmin) * 0.06 || 0.5, padY = (ymax - ymin) * 0.06 || 0.5;
    xmin -= padX; xmax += padX; ymin -= padY; ymax += padY;
    const pw = W - m.left - m.right, ph = H - m.top - m.bottom;
    const px = (u) => m.left + ((u - xmin) / (xmax - xmin)) * pw;
    const py = (v) => m.top + ph - ((v - ymin) / (ymax - ymin)) * ph;
    ctx.clearRect(0, 0, W, H);
    ctx.fillStyle = "#fbfbfb";
    ctx.fillRect(m.left, m.top, pw, ph);
    ctx.strokeStyle = "#ccc";
    ctx.strokeRect(m.left - 0.5, m.top - 0.5, pw + 1, ph + 1);
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillStyle = "#555";
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(xmin, xmax, 4)) ctx.fillText(fmt(t, 3), px(t), m.top + ph + 3);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of niceTicks(ymin, ymax, 4)) ctx.fillText(fmt(t, 3), m.left - 4, py(t));
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillStyle = "#333";
    ctx.fillText(hidden.axes ? hidden.axes[0] : "", m.left + pw / 2, H - 1);
    ctx.save();
    ctx.translate(9, m.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(hidden.axes ? hidden.axes[1] : "", 0, 0);
    ctx.restore();
    const regression = state.task === "regression";
    const [lo, hi] = state.output_range;
    const scale = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    const colour = (label) => regression ? css(valueRgb(toNumber(label), scale)) : classColor(label);
    // few points (the four of XOR) are drawn large enough to see
    const count = train.length + test.length;
    const radius = count <= 16 ? 6 : count <= 120 ? 4.2 : 3.2;
    const dots = (points, labels, edge) => {
      for (let i = 0; i < points.length; i++) {
        const u = toNumber(points[i][0]), v = toNumber(points[i][1]);
        if (!Number.isFinite(u) || !Number.isFinite(v)) continue;
        ctx.beginPath();
        ctx.arc(px(u), py(v), radius, 0, 2 * Math.PI);
        ctx.fillStyle = colour(labels[i]);
        ctx.fill();
        ctx.strokeStyle = edge;
        ctx.lineWidth = 0.8;
        ctx.stroke();
      }
    };
    dots(train, state.train.y, "#fff");
    if (test.length) dots(test, state.test.y, "#000");
  }
}

// --------------------------------------------------------------------------- loss chart

const MAX_POINTS = 4000;
// as in backprop-lab's figures: loss dark blue-grey, accuracy crimson (no class's or weight's colour)
const LOSS_COLOUR = "#33475b";
const SCORE_COLOUR = "#A50026";

export class LossChart {
  constructor(host, width, height) {
    this.host = host;
    this.width = width;
    this.height = height;
    this.log = false;
    this.mult = 1;
    this.scoreName = "accuracy";
    this.reset();
  }

  _build() {
    if (this.plot) this.plot.destroy();
    const score = this.scoreName;
    const short = score === "accuracy" ? "acc." : score;
    // at the cursor: its epoch's values; elsewhere: the latest ones
    const valueText = (u, v, si, idx) => {
      if (idx === null || idx === undefined) {
        // the latest values, NaN and the infinities as such (the curve has a gap there)
        const raw = this.latest ? toNumber(this.latest[si]) : null;
        if (raw !== null && raw !== undefined && !Number.isFinite(raw)) return fmt(raw);
        const d = u.data[si];
        v = d && d.length ? d[d.length - 1] : null;
      }
      if (v === null || v === undefined) return "–";
      // accuracy as at the top of the column: a percentage
      if ((si === 3 || si === 4) && score === "accuracy") return `${(100 * v).toFixed(1)}%`;
      return fmt(si === 1 || si === 2 ? this._real(v) : v, 4);
    };
    // The loss axis at any size (a diverging loss reaches 1e304, where uPlot's own ticks stop
    // at about 1e17): linear, the losses are drawn divided by a power of ten (this.mult) and the
    // ticks say the real numbers; log, the curve is log10(loss) with ticks at powers of ten.
    const linearSplits = (u, axis, lo, hi) => niceTicks(lo, hi, 4).filter((t) => t >= lo - 1e-12 * Math.abs(hi - lo) && t <= hi + 1e-12 * Math.abs(hi - lo));
    const logSplits = (u, axis, lo, hi) => {
      const a = Math.max(-323, Math.ceil(lo - 1e-9)), b = Math.min(308, Math.floor(hi + 1e-9));
      if (b < a) return niceTicks(lo, hi, 3);
      const step = [1, 2, 3, 5, 10, 20, 25, 50, 100, 200].find((k) => (b - a) / k <= 4) || 300;
      const ticks = [];
      for (let e = Math.ceil(a / step) * step; e <= b; e += step) ticks.push(e);
      return ticks.length ? ticks : [a];
    };
    const tickText = (v) => {
      if (!this.log) return fmt(v * this.mult, 2);
      if (Math.abs(v - Math.round(v)) > 1e-9) return fmt(10 ** v, 2);
      const e = Math.round(v);
      return Math.abs(e) <= 3 ? fmt(10 ** e, 1) : `1e${e}`;
    };
    const lossAxisSize = (u, values) => {
      const longest = Math.max(3, ...(values || []).map((t) => String(t).length));
      return Math.max(44, 18 + 7.5 * longest);
    };
    const opts = {
      width: this.width,
      height: this.height,
      legend: { live: true },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: {
        x: { time: false },
        loss: this.log
          ? { auto: true, range: (u, lo, hi) => (hi - lo > 1e-9 ? [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)] : [lo - 1, hi + 1]) }
          : { auto: true, range: (u, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.05 : 1] },
        score: { auto: true, range: (u, lo, hi) => score === "accuracy" ? [0, 1] : [Math.max(-1, Math.min(0, lo)), 1] },
      },
      series: [
        { label: "epoch", value: (u, v, si, idx) => {
          if (idx === null || idx === undefined) { const d = u.data[0]; v = d.length ? d[d.length - 1] : null; }
          return v === null || v === undefined ? "–" : String(Math.round(v));
        } },
        { label: "train loss", scale: "loss", stroke: LOSS_COLOUR, width: 2, value: valueText },
        { label: "test loss", scale: "loss", stroke: LOSS_COLOUR, width: 1.5, dash: [6, 4], value: valueText },
        { label: `train ${short}`, scale: "score", stroke: SCORE_COLOUR, width: 1.5, value: valueText },
        { label: `test ${short}`, scale: "score", stroke: SCORE_COLOUR, width: 1.2, dash: [6, 4], value: valueText },
      ],
      axes: [
        { label: "epoch", labelSize: 16, size: 32, font: "12px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif", stroke: "#555", grid: { stroke: "#eee" } },
        { scale: "loss", splits: this.log ? logSplits : linearSplits, label: this.log ? "loss (log scale)" : "loss", labelSize: 16, size: lossAxisSize, font: "12px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif", stroke: "#555", grid: { stroke: "#eee" }, values: (u, vals) => vals.map(tickText) },
        { scale: "score", side: 1, label: score, labelSize: 16, size: 44, font: "12px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif", stroke: SCORE_COLOUR, grid: { show: false }, values: (u, vals) => vals.map((v) => (score === "accuracy" ? `${Math.round(100 * v)}%` : fmt(v, 2))) },
      ],
    };
    this.plot = new window.uPlot(opts, this._data(), this.host);
  }

  // A drawn loss (scaled or log10) back to the loss.
  _real(v) {
    return this.log ? 10 ** v : v * this.mult;
  }

  _data() {
    const d = this.series;
    if (this.log) {
      const logOf = (a) => a.map((v) => (v !== null && v > 0 ? Math.log10(v) : null));
      return [d[0], logOf(d[1]), logOf(d[2]), d[3], d[4]];
    }
    let top = 0;
    for (const a of [d[1], d[2]]) for (const v of a) if (v !== null && Math.abs(v) > top) top = Math.abs(v);
    this.mult = top > 1e12 ? 10 ** Math.floor(Math.log10(top)) : 1;
    if (this.mult === 1) return d;
    const scaled = (a) => a.map((v) => (v === null ? null : v / this.mult));
    return [d[0], scaled(d[1]), scaled(d[2]), d[3], d[4]];
  }

  reset(scoreName) {
    if (scoreName) this.scoreName = scoreName;
    this.series = [[], [], [], [], []];
    this.latest = null;
    this.dirty = false;
    this._build();
  }

  setLog(log) {
    this.log = log;
    this._build();
  }

  resize(width) {
    this.width = width;
    if (this.plot) this.plot.setSize({ width, height: this.height });
  }

  append(points) {
    const s = this.series;
    const clean = (v) => {
      const n = toNumber(v);
      return n === null || !Number.isFinite(n) ? null : n;
    };
    for (const p of points) {
      this.latest = p;
      const epoch = toNumber(p[0]);
      const last = s[0].length ? s[0][s[0].length - 1] : -Infinity;
      if (epoch < last) continue; // a stale point after a reset
      if (epoch === last) {
        for (let k = 1; k < 5; k++) s[k][s[k].length - 1] = clean(p[k]);
        continue;
      }
      s[0].push(epoch);
      for (let k = 1; k < 5; k++) s[k].push(clean(p[k]));
    }
    if (s[0].length > MAX_POINTS) {
      // keep every other point (the first and the last stay)
      const n = s[0].length;
      for (let k = 0; k < 5; k++) {
        const last = s[k][n - 1];
        s[k] = s[k].filter((_, i) => i % 2 === 0);
        if ((n - 1) % 2 === 1) s[k].push(last);
      }
    }
    this.dirty = true;
  }

  flush() {
    if (!this.dirty) return;
    this.dirty = false;
    this.plot.setData(this._data());
  }
}

export { CLASS_COLORS, classRgb };

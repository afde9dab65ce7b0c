// The network diagram: the input features, every hidden unit with the picture of what it
// computes, the output units, and the links between them (weights, or their gradients in the
// gradient view). Hover a unit for its large picture and formula; hover a link for its live
// value; click a link or a bias to edit it. Step-through puts its numbers on the diagram.

import {
  classLut, fmt, probabilityLut, term, toNumber, unitLut, valueLut, weightCss,
} from "./colors.js";
import { decodeBase64, drawCurve, drawFeature, drawNotFinite, MapPainter } from "./plots.js";

const SVG = "http://www.w3.org/2000/svg";
const FEATURE_LABELS = {
  "x1": "x1", "x2": "x2", "x1^2": "x1²", "x2^2": "x2²", "x1*x2": "x1·x2",
  "sin(x1)": "sin(x1)", "sin(x2)": "sin(x2)",
};
const FEATURE_WORDS = {
  "x1": "the first coordinate",
  "x2": "the second coordinate",
  "x1^2": "the first coordinate squared",
  "x2^2": "the second coordinate squared",
  "x1*x2": "the product of the coordinates",
  "sin(x1)": "the sine of the first coordinate",
  "sin(x2)": "the sine of the second coordinate",
};

// Test ids without CSS-special characters: feature-x1, feature-x1sq, feature-x1x2, feature-sin-x1.
const FEATURE_IDS = {
  "x1": "x1", "x2": "x2", "x1^2": "x1sq", "x2^2": "x2sq", "x1*x2": "x1x2",
  "sin(x1)": "sin-x1", "sin(x2)": "sin-x2",
};

export function featureId(name) {
  return FEATURE_IDS[name] || name.replace(/[^a-z0-9]+/gi, "-");
}

export function featureLabel(name) {
  return FEATURE_LABELS[name] || name;
}

// Unit names as the rest of backprop-lab spells them: x1 | h1, h2 (h1_1, h2_3 with several
// hidden layers) | out (out <class> for softmax).
export function unitNames(state) {
  const sizes = state.sizes, L = sizes.length - 1, hidden = L - 1;
  const names = [state.input_names.slice()];
  for (let l = 1; l < L; l++) {
    const prefix = hidden === 1 ? "h" : `h${l}_`;
    names.push(Array.from({ length: sizes[l] }, (_, i) => `${prefix}${i + 1}`));
  }
  const K = sizes[L];
  const classNames = state.class_names && state.class_names.length ? state.class_names : null;
  names.push(K === 1 ? ["out"] : Array.from({ length: K }, (_, k) => `out ${classNames ? classNames[k] : k}`));
  return names;
}

function activationText(name, z) {
  return {
    sigmoid: `sigmoid(${z})`, tanh: `tanh(${z})`, relu: `max(0, ${z})`,
    leaky_relu: `max(0.01·${z}, ${z})`, linear: z,
  }[name] || `${name}(${z})`;
}

export class NetworkView {
  constructor(host, callbacks) {
    this.host = host;
    this.cb = callbacks;
    this.gradientView = false;
    this.hovered = null; // {layer, unit}
    this.hoverLink = null; // {l, i, j}
    this.traceLabels = null;
    this.frame = null;
    this.tooltip = document.createElement("div");
    this.tooltip.className = "tooltip";
    this.tooltip.hidden = true;
    this.tooltip.setAttribute("data-testid", "link-tooltip");
    this.card = document.createElement("div");
    this.card.className = "unit-card";
    this.card.hidden = true;
    this.card.setAttribute("data-testid", "unit-card");
    this.editor = document.createElement("form");
    this.editor.className = "value-editor";
    this.editor.hidden = true;
    this.editor.innerHTML = `<label><span class="what"></span>
      <input type="number" step="any" data-testid="edit-value" aria-label="new value"></label>
      <button type="submit" data-testid="edit-apply">set</button>
      <button type="button" class="cancel" aria-label="cancel">×</button>`;
    this.editor.addEventListener("submit", (e) => {
      e.preventDefault();
      this._applyEdit();
    });
    this.editor.querySelector(".cancel").addEventListener("click", () => this.closeEditor());
    const valueInput = this.editor.querySelector("input");
    valueInput.addEventListener("input", () => valueInput.setCustomValidity(""));
    this.editor.addEventListener("keydown", (e) => { if (e.key === "Escape") this.closeEditor(); });
    document.body.append(this.tooltip, this.card, this.editor);
    document.addEventListener("mousedown", (e) => {
      if (!this.editor.hidden && !this.editor.contains(e.target)) this.closeEditor();
    });
    this.cardPainter = null;
    this.maxGrad = 0;
    this.maxDelta = 0;
    this.maxWeight = 0;
    this.traceLinks = null; // step-through: {layer, values} colours that layer's links by a sample's gradients
    this.deadUnits = 0;
  }

  // ------------------------------------------------------------------ building

  build(state, { features, active, caps, hiddenSizes, extent }) {
    this.state = state;
    this.names = unitNames(state);
    this.sizes = state.sizes;
    this.L = state.sizes.length - 1;
    this.closeEditor();
    this.card.hidden = true;
    this.hovered = null;
    this.hoverLink = null;
    this.tooltip.hidden = true;
    const host = this.host;
    host.textContent = "";
    const width = Math.max(420, host.clientWidth || 600);
    const L = this.L;
    // the input column lists every feature that applies (only the network's own when the
    // classroom link hides the feature toggles)
    const shown = document.body.classList.contains("hide-features") ? active : features;
    const counts = [shown.length, ...state.sizes.slice(1)];
    const maxCount = Math.max(...counts, 1);
    const pitch = maxCount <= 8 ? 50 : Math.max(17, Math.floor(420 / maxCount));
    const S = Math.min(36, pitch - 12 > 12 ? pitch - 12 : pitch - 3);
    const top = 70, left = 72, right = 92; // right: the output units' names, and their numbers in the step-through
    const height = top + maxCount * pitch + 8;
    host.style.height = `${height}px`;
    this.S = S;
    const colX = (c) => left + (c * (width - left - right - S)) / L;
    // each unit's picture: cividis for hidden units; the output's own colours for output units
    this.luts = [];
    for (let l = 0; l <= L; l++) {
      this.luts.push(Array.from({ length: state.sizes[l] }, (_, j) => this.lutFor(l, j)));
    }

    // header: FEATURES | +/- N HIDDEN LAYERS | OUTPUT
    const header = document.createElement("div");
    header.className = "net-header";
    const title = (text, x, cls = "") => {
      const d = document.createElement("div");
      d.className = `col-title ${cls}`;
      d.style.left = `${x}px`;
      d.textContent = text;
      header.append(d);
      return d;
    };
    title("Features", colX(0) + S / 2, "center");
    const hidden = L - 1;
    const hx = hidden > 0 ? (colX(1) + colX(L - 1)) / 2 + S / 2 : (colX(0) + colX(L)) / 2 + S / 2;
    const layersBox = document.createElement("div");
    layersBox.className = "col-title center layers-box";
    layersBox.style.left = `${hx}px`;
    layersBox.setAttribute("data-control", "hidden-layers");
    const maxLayers = caps.hidden_layers ?? 6;
    layersBox.innerHTML = `
      <button class="round-btn" data-testid="add-layer" aria-label="add a hidden layer" title="add a hidden layer" ${hidden >= maxLayers ? "disabled" : ""}>+</button>
      <button class="round-btn" data-testid="remove-layer" aria-label="remove the last hidden layer" title="remove the last hidden layer" ${hidden <= 0 ? "disabled" : ""}>−</button>
      <span data-testid="layer-count">${hidden}</span>&nbsp;hidden layer${hidden === 1 ? "" : "s"}`;
    layersBox.querySelector('[data-testid="add-layer"]').addEventListener("click", () => this.cb.onLayers(+1));
    layersBox.querySelector('[data-testid="remove-layer"]').addEventListener("click", () => this.cb.onLayers(-1));
    header.append(layersBox);
    title("Output", colX(L) + S / 2, "center");
    host.append(header);

    // per hidden layer: +/- neurons
    const maxUnits = caps.units ?? 8;
    for (let l = 1; l < L; l++) {
      const box = document.createElement("div");
      box.className = "neuron-controls";
      box.setAttribute("data-control", "hidden-layers");
      box.style.left = `${colX(l) + S / 2}px`;
      box.innerHTML = `
        <div class="pm"><button class="round-btn small" data-testid="add-neuron-${l}" aria-label="add a unit to hidden layer ${l}" title="add a unit to hidden layer ${l}" ${hiddenSizes[l - 1] >= maxUnits ? "disabled" : ""}>+</button><button class="round-btn small" data-testid="remove-neuron-${l}" aria-label="remove a unit from hidden layer ${l}" title="remove a unit from hidden layer ${l}" ${hiddenSizes[l - 1] <= 1 ? "disabled" : ""}>−</button></div>
        <div class="count" data-testid="neuron-count-${l}">${state.sizes[l]} unit${state.sizes[l] === 1 ? "" : "s"}</div>`;
      box.querySelector(`[data-testid="add-neuron-${l}"]`).addEventListener("click", () => this.cb.onNeurons(l, +1));
      box.querySelector(`[data-testid="remove-neuron-${l}"]`).addEventListener("click", () => this.cb.onNeurons(l, -1));
      host.append(box);
    }

    // positions: layer 0 holds the shown features; network input k is feature active[k]
    this.pos = [];
    this.inputIndexOfShown = shown.map((f) => active.indexOf(f));
    const shownOfInput = active.map((f) => shown.indexOf(f));
    this.pos.push(shownOfInput.map((s) => ({ x: colX(0), y: top + s * pitch })));
    for (let l = 1; l <= L; l++) {
      this.pos.push(Array.from({ length: state.sizes[l] }, (_, j) => ({ x: colX(l), y: top + j * pitch })));
    }

    // links
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "links");
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "links between units: colour = sign, width = size");
    const gLinks = document.createElementNS(SVG, "g");
    const gHits = document.createElementNS(SVG, "g");
    const gLabels = document.createElementNS(SVG, "g");
    gLabels.setAttribute("class", "link-labels");
    svg.append(gLinks, gHits, gLabels);
    host.append(svg);
    this.svg = svg;
    this.gLabels = gLabels;
    this.links = []; // links[l-1][i][j] = path
    for (let l = 1; l <= L; l++) {
      const layer = [];
      for (let i = 0; i < state.sizes[l - 1]; i++) {
        const row = [];
        const a = this.pos[l - 1][i];
        for (let j = 0; j < state.sizes[l]; j++) {
          const b = this.pos[l][j];
          const x1 = a.x + S, y1 = a.y + S / 2, x2 = b.x, y2 = b.y + S / 2;
          const d = `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
          const path = document.createElementNS(SVG, "path");
          path.setAttribute("d", d);
          path.setAttribute("class", "link");
          gLinks.append(path);
          const hit = document.createElementNS(SVG, "path");
          hit.setAttribute("d", d);
          hit.setAttribute("class", "link-hit");
          hit.setAttribute("data-testid", `link-${l}-${i}-${j}`);
          hit.addEventListener("mouseenter", (e) => this._linkEnter(e, l, i, j));
          hit.addEventListener("mousemove", (e) => this._moveTooltip(e));
          hit.addEventListener("mouseleave", () => this._linkLeave());
          hit.addEventListener("click", (e) => this.openEditor(e, l, "W", i, j));
          gHits.append(hit);
          row.push({ path, x1, y1, x2, y2, last: "" });
        }
        layer.push(row);
      }
      this.links.push(layer);
    }

    // nodes
    this.nodes = []; // nodes[l][j] = {el, canvas, painter, bias}
    const U = state.unit_map_size;
    const inputNodes = [];
    shown.forEach((f, s) => {
      const k = this.inputIndexOfShown[s];
      const el = document.createElement("div");
      el.className = `node input ${k < 0 ? "inactive" : ""}`;
      el.style.left = `${colX(0)}px`;
      el.style.top = `${top + s * pitch}px`;
      el.style.width = el.style.height = `${S}px`;
      el.setAttribute("data-testid", `feature-${featureId(f)}`);
      el.dataset.feature = f;
      el.setAttribute("role", "switch");
      el.setAttribute("aria-checked", String(k >= 0));
      el.setAttribute("aria-label", `input feature ${featureLabel(f)}: ${k >= 0 ? "on" : "off"} (click to toggle)`);
      el.title = `${featureLabel(f)}: ${FEATURE_WORDS[f] || f}. Click to ${k >= 0 ? "remove it from" : "add it to"} the network's inputs.`;
      const canvas = document.createElement("canvas");
      drawFeature(canvas, f, extent, state.dims, 32);
      const label = document.createElement("div");
      label.className = "node-label left";
      label.textContent = featureLabel(f);
      el.append(canvas, label);
      el.addEventListener("click", () => this.cb.onToggleFeature(f));
      if (k >= 0) {
        el.addEventListener("mouseenter", () => this._nodeEnter(0, k, el));
        el.addEventListener("mouseleave", () => this._nodeLeave());
        inputNodes[k] = { el, canvas, feature: f };
      }
      host.append(el);
    });
    this.nodes.push(inputNodes);
    this.biasLabels = pitch - S >= 12; // room under each unit for its bias in the step-through
    for (let l = 1; l <= L; l++) {
      const layer = [];
      const layerDead = [];
      for (let j = 0; j < state.sizes[l]; j++) {
        const p = this.pos[l][j];
        const el = document.createElement("div");
        el.className = `node ${l === L ? "output" : "hidden"}`;
        el.style.left = `${p.x}px`;
        el.style.top = `${p.y}px`;
        el.style.width = el.style.height = `${S}px`;
        el.setAttribute("data-testid", `node-${l}-${j}`);
        el.setAttribute("aria-label", `unit ${this.names[l][j]}`);
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = state.dims === 2 ? U : 48;
        const painter = state.dims === 2 ? new MapPainter(canvas, U) : null;
        const bias = document.createElement("div");
        bias.className = "bias";
        const bs = Math.max(7, Math.round(S / 4));
        bias.style.width = bias.style.height = `${bs}px`;
        bias.style.left = `${-bs + 2}px`;
        bias.style.top = `${S - bs + 2}px`;
        bias.setAttribute("data-testid", `bias-${l}-${j}`);
        bias.setAttribute("role", "button");
        bias.setAttribute("aria-label", `bias of ${this.names[l][j]} (click to edit)`);
        bias.addEventListener("click", (e) => { e.stopPropagation(); this.openEditor(e, l, "b", null, j); });
        bias.addEventListener("mouseenter", (e) => { e.stopPropagation(); this._biasEnter(e, l, j); });
        bias.addEventListener("mouseleave", () => this._linkLeave());
        const badge = document.createElement("div");
        badge.className = "badge";
        badge.hidden = true;
        badge.setAttribute("data-testid", `badge-${l}-${j}`);
        // the step-through's bias, under the bias square
        const biasLabel = document.createElement("div");
        biasLabel.className = "bias-label";
        biasLabel.hidden = true;
        biasLabel.setAttribute("data-testid", `bias-label-${l}-${j}`);
        el.append(canvas, bias, badge, biasLabel);
        if (l < L) {
          const dead = document.createElement("div");
          dead.className = "dead-mark";
          dead.hidden = true;
          dead.textContent = S >= 22 ? "dead" : "";
          dead.title = "a dead unit: it outputs exactly 0 for every training input";
          el.append(dead);
          layerDead.push(dead);
        } else {
          layerDead.push(null);
        }
        if (l === L) {
          const lab = document.createElement("div");
          lab.className = "node-label right";
          lab.textContent = this.names[l][j];
          el.append(lab);
        }
        el.addEventListener("mouseenter", () => this._nodeEnter(l, j, el));
        el.addEventListener("mouseleave", () => this._nodeLeave());
        el.addEventListener("click", () => this._tracePick(l, j));
        host.append(el);
        layer.push({ el, canvas, painter, bias, badge, biasLabel, dead: layerDead[j], ctx: painter ? null : canvas.getContext("2d") });
      }
      this.nodes.push(layer);
    }
    // input badges for step-through
    for (const node of this.nodes[0]) {
      if (!node) continue;
      const badge = document.createElement("div");
      badge.className = "badge";
      badge.hidden = true;
      node.el.append(badge);
      node.badge = badge;
    }
    this.notFiniteUnits = 0;
    this.frame = null; // the old run's numbers do not fit the new network
    this.traceLabels = null;
  }

  // A click on a unit while the step-through shows one unit's links: show that unit's.
  _tracePick(layer, unit) {
    const g = this.traceLabels && this.traceLabels.group;
    if (!g || g.unit === null || g.unit === undefined || g.unitLayer !== layer || !this.cb.onTraceUnit) return false;
    this.cb.onTraceUnit(unit);
    return true;
  }

  _unitRange(l) {
    const s = this.state;
    const r = s.unit_range;
    if (Array.isArray(r[0])) return r[l] || r[r.length - 1];
    return r;
  }

  _focusRange(layer) {
    return layer === this.L ? this.state.output_range : this._unitRange(layer);
  }

  // The colours of unit j of layer l's picture, as the report's network diagram draws them:
  // cividis for hidden units; p(class 1)'s blue-white-orange for a two-class output; white to
  // class j's colour for softmax output j; RdBu_r for a regression's output.
  lutFor(l, j) {
    const [lo, hi] = this._focusRange(l);
    if (l < this.L) return lutCached(`unit|${lo}|${hi}`, () => unitLut(lo, hi));
    if (this.state.task === "regression") return lutCached(`value|${lo}|${hi}`, () => valueLut(lo, hi));
    if (this.state.sizes[this.L] === 1) return lutCached(`p|${lo}|${hi}`, () => probabilityLut(lo, hi));
    return lutCached(`class${j}|${lo}|${hi}`, () => classLut(j, lo, hi));
  }

  // What the colours of unit j of layer l's picture mean, in one sentence.
  pictureWords(l, j) {
    const [lo, hi] = this._focusRange(l);
    const st = this.state;
    if (st.dims !== 2) {
      const what = l < this.L ? "the unit's output" : st.task === "regression" ? "the prediction" : "the output";
      return `picture: ${what} (up) along x1 (across), from ${fmt(lo, 2)} (bottom) to ${fmt(hi, 2)} (top)`;
    }
    if (l < this.L) return `picture: the unit's output a over the plane, dark blue = ${fmt(lo, 2)} (low) to yellow = ${fmt(hi, 2)} (high)`;
    if (st.task === "regression") {
      const m = Math.max(Math.abs(lo), Math.abs(hi));
      return `picture: the prediction over the plane, blue = −${fmt(m, 2)}, white = 0, red = ${fmt(m, 2)}`;
    }
    if (st.sizes[this.L] === 1) return "picture: p(class 1) over the plane, blue = class 0 (p = 0), white = undecided (p = 0.5), orange = class 1 (p = 1)";
    return `picture: p(class ${j}) over the plane, white = 0 to class ${j}'s colour = 1`;
  }

  // ------------------------------------------------------------------ per frame

  setGradientView(on) {
    this.gradientView = on;
    this.host.classList.toggle("gradient-view", on);
    for (const layer of this.links || []) for (const row of layer) for (const link of row) link.last = "";
    if (this.frame) this.update(this.frame);
  }

  update(frame) {
    if (!this.state || !frame.W || frame.W.length !== this.L) return;
    this.frame = frame;
    const L = this.L, grad = this.gradientView;
    // largest |dW| and |db| in view (gradient view scale)
    let maxG = 0, maxD = 0, finiteG = 0, finiteD = 0;
    if (grad && frame.dW) {
      for (const layer of frame.dW) for (const row of layer) for (const v of row) {
        const a = Math.abs(toNumber(v));
        if (Number.isFinite(a)) { finiteG++; if (a > maxG) maxG = a; }
      }
      for (const layer of frame.db) for (const v of layer) {
        const a = Math.abs(toNumber(v));
        if (Number.isFinite(a)) { finiteD++; if (a > maxD) maxD = a; }
      }
    }
    // no finite gradient at all: the legend says NaN, not a largest size of 0
    this.maxGrad = grad && frame.dW && !finiteG ? NaN : maxG;
    this.maxDelta = grad && frame.db && !finiteD ? NaN : maxD;
    // largest |w| and |b| in view: the widest link (weights are not capped at any size)
    let maxW = 0;
    for (const layer of frame.W) for (const row of layer) for (const v of row) {
      const a = Math.abs(toNumber(v));
      if (Number.isFinite(a) && a > maxW) maxW = a;
    }
    let maxB = 0;
    for (const layer of frame.b) for (const v of layer) {
      const a = Math.abs(toNumber(v));
      if (Number.isFinite(a) && a > maxB) maxB = a;
    }
    this.maxWeight = maxW;
    const biasScale = Math.max(maxW, maxB);
    // the step-through's gradient stages: that layer's links show the sample's ∂l/∂w
    const traced = this.traceLinks;
    const tracing = !!this.traceLabels; // the step-through overrides the gradient view
    let maxT = 0;
    if (traced) {
      for (const row of traced.values) for (const v of row) {
        const a = Math.abs(toNumber(v));
        if (Number.isFinite(a) && a > maxT) maxT = a;
      }
    }
    this.maxTraceGrad = maxT;
    for (let l = 1; l <= L; l++) {
      const tracedLayer = traced && traced.layer === l;
      const gradLayer = tracedLayer || (grad && !tracing);
      const Wl = tracedLayer ? traced.values : gradLayer ? frame.dW && frame.dW[l - 1] : frame.W[l - 1];
      const scale = tracedLayer ? maxT : gradLayer ? maxG : maxW;
      const links = this.links[l - 1];
      if (!Wl || !links) continue;
      // wide layers: thinner links, so that the picture stays readable
      const thin = Math.max(0.45, Math.min(1, 8 / Math.max(this.sizes[l - 1], this.sizes[l])));
      for (let i = 0; i < links.length; i++) {
        const row = links[i], Wi = Wl[i];
        if (!Wi) continue;
        for (let j = 0; j < row.length; j++) {
          const v = toNumber(Wi[j]);
          const link = row[j];
          let stroke, width, dash = "";
          if (!Number.isFinite(v)) {
            stroke = "#d0021b"; width = 2; dash = "4 3";
          } else {
            // colour: the sign, stronger with the size; width: the size, the largest in view widest
            const r = scale > 0 ? v / scale : 0;
            stroke = weightCss(Math.sign(r) * (0.3 + 0.7 * Math.sqrt(Math.abs(r))));
            width = 0.6 + 7.4 * thin * Math.abs(r);
          }
          const key = `${stroke}|${width.toFixed(2)}|${dash}`;
          if (key !== link.last) {
            link.last = key;
            const style = link.path.style;
            style.stroke = stroke;
            style.strokeWidth = width.toFixed(2);
            style.strokeDasharray = dash;
          }
        }
      }
    }
    // nodes: maps (hatched where NaN or infinite), biases, gradient rings
    const units = frame.maps && frame.maps.units;
    const notFinite = frame.maps && frame.maps.not_finite && frame.maps.not_finite.units;
    let broken = 0, deadCount = 0;
    const dead = Array.isArray(frame.dead) ? frame.dead : null;
    for (let l = 1; l <= L; l++) {
      const layer = this.nodes[l];
      for (let j = 0; j < layer.length; j++) {
        const node = layer[j];
        const b64 = units && units[l] && units[l][j];
        const bad = !!(notFinite && notFinite[l] && notFinite[l][j]);
        if (bad) broken++;
        if (bad !== !!node.notFinite) {
          node.notFinite = bad;
          node.el.classList.toggle("not-finite", bad);
          node.el.setAttribute("aria-label", `unit ${this.names[l][j]}${bad ? ": its output is NaN or infinite" : ""}`);
        }
        if (bad) {
          // its bytes mean nothing: stripes and "NaN", never a colour of the scale
          if (node.painter) node.painter.hatch(this.S >= 22 ? "NaN" : null);
          else drawNotFinite(node.ctx, 0, 0, 48, 48, { label: this.S >= 22 ? "NaN" : null });
          node.bytes = null;
        } else if (b64) {
          node.bytes = decodeBase64(b64, node.bytes);
          if (node.painter) node.painter.paint(node.bytes, this.luts[l][j]);
          else drawCurve(node.ctx, node.bytes, 48, 48, ...this._focusRange(l), { lineWidth: 2 });
        }
        // a dead unit (it outputs exactly 0 for every training input): crossed out, "dead"
        const isDead = !!(node.dead && dead && dead[l - 1] && dead[l - 1][j]);
        if (isDead) deadCount++;
        if (node.dead && isDead !== !!node.isDead) {
          node.isDead = isDead;
          node.dead.hidden = !isDead;
          node.el.classList.toggle("dead", isDead);
          node.el.setAttribute("aria-label", `unit ${this.names[l][j]}${isDead ? ": dead (0 for every training input)" : ""}`);
        }
        const b = toNumber(frame.b[l - 1][j]);
        const db = frame.db ? toNumber(frame.db[l - 1][j]) : 0;
        let fill, ring = "";
        if (grad && !tracing) {
          const r = maxD > 0 ? db / maxD : 0;
          fill = Number.isFinite(db) ? weightCss(Math.sign(r) * (0.3 + 0.7 * Math.sqrt(Math.abs(r)))) : "#d0021b";
          if (Number.isFinite(db) && maxD > 0) ring = `0 0 0 ${(1 + 4 * Math.abs(r)).toFixed(1)}px ${weightCss(Math.sign(r) * Math.max(0.35, Math.sqrt(Math.abs(r))))}`;
        } else {
          const r = biasScale > 0 ? b / biasScale : 0;
          fill = Number.isFinite(b) ? weightCss(Math.sign(r) * (0.3 + 0.7 * Math.sqrt(Math.abs(r)))) : "#d0021b";
        }
        if (node.lastFill !== fill) { node.bias.style.background = fill; node.lastFill = fill; }
        if (node.lastRing !== ring) { node.el.style.boxShadow = ring; node.lastRing = ring; }
      }
    }
    this.notFiniteUnits = broken;
    this.deadUnits = deadCount;
    // hover views
    if (this.hoverLink) this._tooltipText();
    if (this.hovered) this._cardUpdate(frame);
  }

  // ------------------------------------------------------------------ hover: units

  _nodeEnter(layer, unit, el) {
    this.hovered = { layer, unit, el };
    if (layer > 0) this.cb.onFocus(layer, unit);
    const card = this.card;
    card.innerHTML = "";
    const title = document.createElement("div");
    title.className = "card-title";
    const h = document.createElement("canvas");
    h.className = "card-map";
    h.setAttribute("data-testid", "unit-card-map");
    const size = this.state.map_size;
    const formula = document.createElement("div");
    formula.className = "card-formula";
    formula.setAttribute("data-testid", "unit-formula");
    const note = document.createElement("div");
    note.className = "card-note";
    card.append(title, h, formula, note);
    this.cardParts = { title, map: h, formula, note };
    if (layer === 0) {
      const f = this.nodes[0][unit].feature;
      title.textContent = `input ${featureLabel(f)} (network input ${unit + 1})`;
      drawFeature(h, f, this.state.extent, this.state.dims, 100);
      formula.textContent = `${featureLabel(f)} = ${FEATURE_WORDS[f] || f}`;
      note.textContent = this.state.dims === 2
        ? "colour: the feature's value over the plane, dark blue = its lowest on the plot, yellow = its highest; click to switch it off"
        : "the feature's value (up) along x1 (across), from its lowest (bottom) to its highest (top); click to switch it off";
    } else {
      const kind = layer === this.L ? "output unit" : `hidden layer ${layer}, unit ${unit + 1}`;
      title.textContent = `${this.names[layer][unit]} · ${kind}`;
      if (this.state.dims === 2) {
        h.width = h.height = size;
        this.cardPainter = new MapPainter(h, size);
        const node = this.nodes[layer][unit];
        if (node.bytes) {
          const ctx = h.getContext("2d");
          ctx.imageSmoothingEnabled = true;
          ctx.drawImage(node.canvas, 0, 0, size, size);
        }
      } else {
        h.width = 200; h.height = 200;
        this.cardPainter = null;
      }
      note.textContent = this.pictureWords(layer, unit);
      this.cardParts.noteText = note.textContent;
      if (this.frame) this._cardUpdate(this.frame);
    }
    card.hidden = !this.editor.hidden;
    const r = el.getBoundingClientRect();
    const cw = 236;
    let x = r.right + 14 + window.scrollX;
    if (r.right + 14 + cw > window.innerWidth) x = r.left - cw - 14 + window.scrollX;
    card.style.left = `${Math.max(4, x)}px`;
    card.style.top = `${Math.max(4, r.top + window.scrollY - 20)}px`;
  }

  _nodeLeave() {
    if (this.hovered && this.hovered.layer > 0) this.cb.onFocus(null, null);
    this.hovered = null;
    this.card.hidden = true;
  }

  _cardUpdate(frame) {
    const { layer, unit } = this.hovered;
    if (layer === 0 || !this.cardParts) return;
    const parts = this.cardParts;
    // the large picture (hatched when the unit's output is NaN or infinite somewhere)
    const node = this.nodes[layer][unit];
    if (node.notFinite) {
      const canvas = parts.map;
      drawNotFinite(canvas.getContext("2d"), 0, 0, canvas.width, canvas.height, { label: "NaN", stripe: Math.round(canvas.width / 12), font: Math.round(canvas.width * 0.12) });
      parts.note.textContent = "hatched: this unit's output is NaN or infinite (the numbers overflowed), so it has no colour; the live diagnosis says why";
      parts.note.classList.add("bad-note");
    } else if (parts.note.classList.contains("bad-note")) {
      parts.note.classList.remove("bad-note");
      parts.note.textContent = parts.noteText;
    }
    if (node.notFinite) {
      // nothing to draw
    } else if (frame.focus && frame.focus.layer === layer && frame.focus.unit === unit && frame.focus.map) {
      this.focusBytes = decodeBase64(frame.focus.map, this.focusBytes);
      const [lo, hi] = this._focusRange(layer);
      if (this.cardPainter) this.cardPainter.paint(this.focusBytes, this.lutFor(layer, unit));
      else drawCurve(parts.map.getContext("2d"), this.focusBytes, 200, 200, lo, hi, { lineWidth: 2.5 });
    } else if (!this.cardPainter && this.nodes[layer][unit].bytes) {
      drawCurve(parts.map.getContext("2d"), this.nodes[layer][unit].bytes, 200, 200, ...this._focusRange(layer), { lineWidth: 2.5 });
    }
    // the formula with the live numbers
    const W = frame.W[layer - 1], b = frame.b[layer - 1][unit];
    const inputs = this.names[layer - 1];
    const n = W.length;
    const shown = Math.min(n, 8);
    let terms = [];
    for (let i = 0; i < shown; i++) terms.push(`${term(W[i][unit], 4)}·${inputs[i]}`);
    if (n > shown) terms.push(`… (${n - shown} more)`);
    const z = `z = ${terms.join(" + ")} + ${term(b, 4)}`;
    let a;
    if (layer < this.L) a = `a = ${activationText(this.state.settings.activation, "z")}`;
    else if (this.state.task === "regression") a = "prediction = z (a linear output)";
    else if (this.sizes[this.L] === 1) a = "p(class 1) = sigmoid(z)";
    else a = `p(class ${unit}) = softmax(z)[${unit}]`;
    const db = frame.db ? frame.db[layer - 1][unit] : null;
    let text = `${a}\n${z}\nbias b = ${fmt(b, 4)}   δ (mean over the data) = ∂L/∂b = ${fmt(db, 4)}`;
    if (node && node.isDead) text += "\nDEAD: it outputs exactly 0 for every training input (z ≤ 0 everywhere there), so no gradient reaches its weights and it stops learning";
    if (parts.formula.textContent !== text) parts.formula.textContent = text;
  }

  // ------------------------------------------------------------------ hover: links

  _linkEnter(event, l, i, j) {
    this.hoverLink = { l, i, j, kind: "W" };
    this.links[l - 1][i][j].path.classList.add("hover");
    this.tooltip.hidden = false;
    this._tooltipText();
    this._moveTooltip(event);
  }

  _biasEnter(event, l, j) {
    this.card.hidden = true; // the tooltip speaks of the bias now
    this.hoverLink = { l, i: null, j, kind: "b" };
    this.tooltip.hidden = false;
    this._tooltipText();
    this._moveTooltip(event);
  }

  _linkLeave() {
    if (this.hoverLink && this.hoverLink.kind === "b" && this.hovered && this.editor.hidden) this.card.hidden = false;
    if (this.hoverLink && this.hoverLink.kind === "W") {
      const { l, i, j } = this.hoverLink;
      const link = this.links[l - 1] && this.links[l - 1][i] && this.links[l - 1][i][j];
      if (link) link.path.classList.remove("hover");
    }
    this.hoverLink = null;
    this.tooltip.hidden = true;
  }

  _moveTooltip(event) {
    this.tooltip.style.left = `${event.pageX + 14}px`;
    this.tooltip.style.top = `${event.pageY + 12}px`;
  }

  _tooltipText() {
    const f = this.frame;
    if (!f || !this.hoverLink) return;
    const { l, i, j, kind } = this.hoverLink;
    let text;
    if (kind === "W") {
      const w = f.W[l - 1][i][j], g = f.dW ? f.dW[l - 1][i][j] : null;
      text = `weight ${this.names[l - 1][i]} → ${this.names[l][j]}\nw = ${fmt(w, 5)}\n∂L/∂w = ${fmt(g, 4)}\nclick to edit`;
    } else {
      const b = f.b[l - 1][j], g = f.db ? f.db[l - 1][j] : null;
      text = `bias of ${this.names[l][j]}\nb = ${fmt(b, 5)}\n∂L/∂b = δ = ${fmt(g, 4)}\nclick to edit`;
    }
    if (this.tooltip.textContent !== text) this.tooltip.textContent = text;
  }

  // ------------------------------------------------------------------ editing

  openEditor(event, l, kind, row, col) {
    if (!this.frame) return;
    event.stopPropagation();
    const value = kind === "W" ? this.frame.W[l - 1][row][col] : this.frame.b[l - 1][col];
    this.editing = { layer: l, kind, row, col };
    const what = kind === "W" ? `w ${this.names[l - 1][row]} → ${this.names[l][col]}` : `bias of ${this.names[l][col]}`;
    this.editor.querySelector(".what").textContent = what;
    const input = this.editor.querySelector("input");
    input.value = Number.isFinite(toNumber(value)) ? String(Number(toNumber(value).toPrecision(6))) : "";
    this.editor.hidden = false;
    this.card.hidden = true;
    this.tooltip.hidden = true;
    this.editor.style.left = `${event.pageX + 8}px`;
    this.editor.style.top = `${event.pageY + 8}px`;
    input.focus();
    input.select();
  }

  closeEditor() {
    this.editor.hidden = true;
    this.editing = null;
  }

  _applyEdit() {
    const input = this.editor.querySelector("input");
    const value = Number(input.value);
    if (!this.editing || input.value.trim() === "" || !Number.isFinite(value) || Math.abs(value) > 1e6) {
      // the server takes weights and biases between -1e6 and 1e6
      input.setCustomValidity("give a number between -1e6 and 1e6");
      input.reportValidity();
      return;
    }
    input.setCustomValidity("");
    this.cb.onEdit({ ...this.editing, value });
    this.closeEditor();
  }

  // ------------------------------------------------------------------ step-through

  // labels: {nodes: {"l:j": text}, links: {"l:i:j": text}, active: [layers], group} or null;
  // group: {layer, by, unitLayer, count, unit}: when unit is not null, only that unit's links
  // (into it: by "target", out of it: by "source") carry numbers; the others are dimmed and
  // a click on another unit of unitLayer picks it.
  setTrace(labels) {
    this.traceLabels = labels;
    if (!this.nodes) return;
    // the gradient stages colour their layer's links by the sample's gradients (so that a
    // link's colour and its number agree); the other stages show the weights
    this.traceLinks = labels && labels.linkGrad ? labels.linkGrad : null;
    this.host.classList.toggle("tracing", !!labels);
    if (this.frame) this.update(this.frame);
    const group = labels && labels.group && labels.group.unit !== null && labels.group.unit !== undefined ? labels.group : null;
    for (let l = 0; l < this.nodes.length; l++) {
      for (let j = 0; j < this.nodes[l].length; j++) {
        const node = this.nodes[l][j];
        if (!node || !node.badge) continue;
        const text = labels && labels.nodes[`${l}:${j}`];
        node.badge.hidden = !text;
        if (text) node.badge.textContent = text;
        if (node.biasLabel) {
          const b = this.biasLabels && labels && labels.bias ? labels.bias[`${l}:${j}`] : null;
          node.biasLabel.hidden = !b;
          if (b) node.biasLabel.textContent = b;
        }
        node.el.classList.toggle("has-badge", !!text);
        node.el.classList.toggle("trace-active", !!(labels && labels.active.includes(l)));
        const pickable = !!group && group.unitLayer === l;
        node.el.classList.toggle("trace-pick", pickable);
        node.el.classList.toggle("trace-picked", pickable && group.unit === j);
      }
    }
    this.links.forEach((layer, k) => layer.forEach((row, i) => row.forEach((link, j) => {
      const dim = !!group && group.layer === k + 1 && (group.by === "target" ? j : i) !== group.unit;
      link.path.classList.toggle("dim", dim);
    })));
    this.gLabels.textContent = "";
    if (!labels) return;
    // Place each link's label where it overlaps nothing placed yet: the units, their badges
    // and the other labels (greedy, trying spots along the link from its middle outwards).
    const S = this.S;
    const boxes = [];
    const textWidth = measurer();
    for (let l = 0; l < this.pos.length; l++) {
      this.pos[l].forEach((p, j) => {
        boxes.push([p.x - 10, p.y, p.x + S, p.y + S]);
        const bias = this.biasLabels && labels.bias && labels.bias[`${l}:${j}`];
        if (bias) boxes.push([p.x - 12, p.y + S, p.x - 12 + textWidth(bias) * 0.92 + 8, p.y + S + 13]);
        const text = labels.nodes[`${l}:${j}`];
        const cy = p.y + S / 2;
        if (l === this.L) {
          // the output unit's name: right of it, or above its numbers
          const nw = textWidth(this.names[l][j]) + 4;
          boxes.push(text ? [p.x + S, p.y - 16, p.x + S + 3 + nw, p.y] : [p.x + S + 4, cy - 9, p.x + S + 8 + nw, cy + 9]);
        }
        if (!text) return;
        const lines = text.split("\n");
        const w = Math.max(...lines.map(textWidth)) + 12, h = lines.length * 17 + 2;
        boxes.push([p.x + S + 4, cy - h / 2, p.x + S + 4 + w, cy + h / 2]);
      });
    }
    const overlap = (a, b) => Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
    // links into one unit spread out near their sources, links out of one unit near their
    // targets: the labels go there first
    const spread = labels.group ? labels.group.spread : null;
    const along = spread === "sources"
      ? [0.3, 0.25, 0.35, 0.2, 0.4, 0.45, 0.15, 0.5, 0.55, 0.6]
      : spread === "targets"
        ? [0.7, 0.75, 0.65, 0.8, 0.6, 0.55, 0.85, 0.5, 0.45, 0.4]
        : [0.5, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55, 0.35, 0.65, 0.25, 0.75, 0.2, 0.8];
    // on the link first; then just above or below it (still plainly its label)
    const spots = [];
    for (const dy of [0, -10, 10, -18, 18]) for (const t of along) spots.push([t, dy]);
    for (const [key, text] of Object.entries(labels.links)) {
      const [l, i, j] = key.split(":").map(Number);
      const link = this.links[l - 1] && this.links[l - 1][i] && this.links[l - 1][i][j];
      if (!link) continue;
      const w = textWidth(text) + 8, h = 16;
      let best = null;
      for (const [t, dy] of spots) {
        const bx = bezier(link.x1, (link.x1 + link.x2) / 2, (link.x1 + link.x2) / 2, link.x2, t);
        const by = bezier(link.y1, link.y1, link.y2, link.y2, t) + dy;
        const box = [bx - w / 2, by - h / 2, bx + w / 2, by + h / 2];
        const cost = boxes.reduce((sum, b) => sum + overlap(box, b), 0);
        if (!best || cost < best.cost) best = { cost, bx, by, box };
        if (cost === 0) break;
      }
      boxes.push(best.box);
      const g = document.createElementNS(SVG, "g");
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", best.bx);
      label.setAttribute("y", best.by + 4);
      label.setAttribute("text-anchor", "middle");
      label.textContent = text;
      const bg = document.createElementNS(SVG, "rect");
      bg.setAttribute("x", best.bx - w / 2);
      bg.setAttribute("y", best.by - h / 2);
      bg.setAttribute("width", w);
      bg.setAttribute("height", h);
      bg.setAttribute("rx", 3);
      g.append(bg, label);
      this.gLabels.append(g);
    }
  }
}

// The width in pixels of 12 px text in the page's font (the badges' and the link labels').
let measureContext = null;
function measurer() {
  if (!measureContext) {
    measureContext = document.createElement("canvas").getContext("2d");
    const family = getComputedStyle(document.body).fontFamily || "system-ui, sans-serif";
    measureContext.font = `12px ${family}`;
  }
  return (text) => measureContext.measureText(String(text)).width;
}

function bezier(p0, p1, p2, p3, t) {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

const lutCache = new Map();
function lutCached(key, make) {
  if (!lutCache.has(key)) lutCache.set(key, make());
  return lutCache.get(key);
}

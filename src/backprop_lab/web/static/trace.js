// Step-through: one training sample's forward pass layer by layer, its loss, the output delta,
// the hidden deltas layer by layer back, and the gradients of every layer's weights, each stage
// with its formula written with the sample's numbers and its numbers put on the diagram.

import { fmt, shown, term, toNumber } from "./colors.js";

const D4 = 4; // significant digits of every number written: a student can redo each sum by hand
const MAX_UNIT_LINES = 8;
const MAX_TERMS = 8;
const MAX_LINK_LABELS = 12; // more labels than this on one layer's links cannot be read
const MAX_GRADIENT_LINES = 12;

function act(name, z) {
  return {
    sigmoid: `sigmoid(${z})`, tanh: `tanh(${z})`, relu: `max(0, ${z})`,
    leaky_relu: `max(0.01·${z}, ${z})`, linear: z,
  }[name] || `${name}(${z})`;
}

// Digits that keep 1 - a (or 1 - a²) of a nearly saturated unit to about four digits.
function saturatedDigits(gap) {
  if (!(gap > 0)) return 4;
  return Math.max(4, Math.min(15, Math.ceil(3 - Math.log10(gap))));
}

function derivativeValue(name, z, a) {
  z = toNumber(z);
  a = toNumber(a);
  if (name === "sigmoid") return a * (1 - a);
  if (name === "tanh") return 1 - a * a;
  if (name === "relu") return z > 0 ? 1 : 0;
  if (name === "leaky_relu") return z > 0 ? 1 : 0.01;
  return 1;
}

function derivativeText(name, z, a) {
  z = toNumber(z);
  const av = toNumber(a);
  if (name === "sigmoid") {
    const d = saturatedDigits(Math.min(av, 1 - av));
    return `${term(a, d)}·(1 − ${term(a, d)})`;
  }
  if (name === "tanh") return `(1 − ${term(a, saturatedDigits(1 - Math.abs(av)))}²)`;
  if (name === "relu") return z > 0 ? "1" : "0";
  if (name === "leaky_relu") return z > 0 ? "1" : "0.01";
  return "1";
}

function derivativeName(name) {
  return {
    sigmoid: "f'(z) = a(1 − a)", tanh: "f'(z) = 1 − a²", relu: "f'(z) = 1 if z > 0 else 0",
    leaky_relu: "f'(z) = 1 if z > 0 else 0.01", linear: "f'(z) = 1",
  }[name] || "f'(z)";
}

export function stageCount(trace) {
  const L = trace.W.length;
  return 3 * L + 2;
}

// "=" when the written expression's value (computed from the numbers as written) and the result
// agree to the digits shown; "≈" when rounding the written numbers makes them differ.
function eq(written, result, digits = D4) {
  return fmt(written, digits) === fmt(result, digits) ? "=" : "≈";
}

function activate(name, z) {
  if (name === "sigmoid") return 1 / (1 + Math.exp(-z));
  if (name === "tanh") return Math.tanh(z);
  if (name === "relu") return Math.max(0, z);
  if (name === "leaky_relu") return z > 0 ? z : 0.01 * z;
  return z;
}

// The stage `s` of `trace`: {title, lines, labels}. `names` are the unit names per layer.
// `focus` is the unit whose links carry their numbers when a layer has too many links to label
// them all legibly (the links into it, forward; out of it, backward).
// labels: {nodes: {"l:j": text}, links: {"l:i:j": text}, bias: {"l:j": text}, active,
// group, linkGrad: {layer, values} (the links of that layer show the sample's gradients) or null,
// links_show: "weights" | "gradients"}.
export function describeStage(trace, s, names, state, focus = 0) {
  const L = trace.W.length;
  const A = trace.a, Z = trace.z, D = trace.delta, W = trace.W, B = trace.b;
  const activation = trace.activation || state.settings.activation;
  const output = trace.output || (state.task === "regression" ? "linear" : W[L - 1][0].length === 1 ? "sigmoid" : "softmax");
  const lossName = trace.loss_name || state.settings.loss;
  // the output's letter, as on the diagram: p (a probability) or ŷ (a regression's prediction)
  const o = output === "linear" ? "ŷ" : "p";
  const nodes = {}, links = {}, bias = {};
  const lines = [];
  let title, active = [], linkGrad = null, linksShow = "weights";
  const letter = (l) => (l === L ? o : "a");
  const showA = (upTo) => {
    for (let l = 0; l <= upTo; l++) {
      A[l].forEach((v, j) => { nodes[`${l}:${j}`] = l === 0 ? fmt(v, D4) : `${letter(l)} ${fmt(v, D4)}`; });
    }
  };
  // Numbers on the links of weight layer l: all of them when they fan out of one unit or into
  // one (or there are at most 4), else only those of one unit (`by`: "target" = the links into
  // a unit of layer l, "source" = those out of a unit of layer l-1). Returns the words that
  // say which links carry numbers, or "" when none do.
  let group = null;
  const linkLabels = (l, values, by, what) => {
    const nIn = values.length, nOut = values[0].length;
    const all = nIn <= 1 || nOut <= 1 || nIn * nOut <= 4;
    const unitLayer = by === "target" ? l : l - 1;
    const count = by === "target" ? nOut : nIn;
    const unit = all ? null : Math.max(0, Math.min(focus, count - 1));
    const shownCount = all ? nIn * nOut : by === "target" ? nIn : nOut;
    if (shownCount > MAX_LINK_LABELS) return "";
    // where the labelled links are apart: near their sources when they meet in one unit,
    // near their targets when they leave one unit
    const spread = unit !== null ? (by === "target" ? "sources" : "targets") : nOut === 1 ? "sources" : nIn === 1 ? "targets" : null;
    group = { layer: l, by, unitLayer, count, unit, spread };
    values.forEach((row, i) => row.forEach((v, j) => {
      if (unit === null || (by === "target" ? j : i) === unit) links[`${l}:${i}:${j}`] = fmt(v, D4);
    }));
    if (unit === null) return `the ${what} are on the links`;
    const name = names[unitLayer][unit];
    return `the ${what} ${by === "target" ? "into" : "out of"} ${name} are on the links; choose another unit in "links of" above, or click it`;
  };
  const y = trace.y.map(toNumber);
  const sampleText = () => {
    const x = trace.x.map((v) => fmt(v, D4)).join(", ");
    const target = state.task === "regression" ? `target y = ${fmt(y[0], D4)}` : `class ${trace.label !== undefined ? fmt(trace.label) : y.length === 1 ? fmt(y[0]) : y.indexOf(1)}`;
    return `training sample #${trace.sample}: x = (${x}), ${target}`;
  };

  if (s === 0) {
    title = "inputs";
    active = [0];
    showA(0);
    lines.push(sampleText());
    const inputs = names[0].map((n, i) => `${n} = ${fmt(A[0][i], D4)}`).join(",  ");
    lines.push(`the network's inputs a0: ${inputs}`);
  } else if (s <= L) {
    const l = s;
    active = [l];
    title = l < L ? `forward: hidden layer ${l}` : "forward: output layer";
    showA(l - 1);
    Z[l - 1].forEach((z, j) => {
      nodes[`${l}:${j}`] = `z ${fmt(z, D4)}\n${letter(l)} ${fmt(A[l][j], D4)}`;
      bias[`${l}:${j}`] = `b ${fmt(B[l - 1][j], D4)}`;
    });
    const labelled = linkLabels(l, W[l - 1], "target", "weights");
    const then = l < L ? `a = ${act(activation, "z")}` : output === "linear" ? "ŷ = z (a linear output)" : output === "sigmoid" ? "p = sigmoid(z)" : "p = softmax(z)";
    lines.push(`z = Σ w·a${l - 1} + b (the bias b is under each unit's bias square), then ${then}${labelled ? `  (${labelled})` : ""}`);
    const units = Z[l - 1].length;
    for (let j = 0; j < Math.min(units, MAX_UNIT_LINES); j++) {
      const n = W[l - 1].length;
      const terms = [];
      let written = 0;
      for (let i = 0; i < n; i++) {
        if (i < MAX_TERMS) terms.push(`${term(W[l - 1][i][j], D4)}·${term(A[l - 1][i], D4)}`);
        written += shown(W[l - 1][i][j]) * shown(A[l - 1][i]);
      }
      if (n > MAX_TERMS) terms.push(`… ${n - MAX_TERMS} more`);
      written += shown(B[l - 1][j]);
      const z = toNumber(Z[l - 1][j]);
      const sign = n > MAX_TERMS ? "=" : eq(written, z);
      let line = `${names[l][j]}: z = ${terms.join(" + ")} + ${term(B[l - 1][j], D4)} ${sign} ${fmt(z, D4)}`;
      const value = toNumber(A[l][j]);
      if (l < L) line += `;  a = ${act(activation, fmt(z, D4))} ${eq(activate(activation, shown(z)), value)} ${fmt(value, D4)}`;
      else if (output === "sigmoid") line += `;  p = sigmoid(${fmt(z, D4)}) ${eq(activate("sigmoid", shown(z)), value)} ${fmt(value, D4)}`;
      else if (output === "linear") line += `;  ŷ = z = ${fmt(value, D4)}`;
      lines.push(line);
    }
    if (units > MAX_UNIT_LINES) lines.push(`… and ${units - MAX_UNIT_LINES} more units (on the diagram)`);
    if (l === L && output === "softmax") {
      const zs = Z[L - 1].map((v) => shown(v));
      const top = Math.max(...zs);
      const e = zs.map((v) => Math.exp(v - top));
      const total = e.reduce((a, b) => a + b, 0);
      const same = e.every((v, k) => fmt(v / total, D4) === fmt(A[L][k], D4));
      lines.push(`p = softmax(z) = e^z / Σ e^z ${same ? "=" : "≈"} (${A[L].map((v) => fmt(v, D4)).join(", ")})`);
    }
  } else if (s === L + 1) {
    title = "loss";
    active = [L];
    showA(L);
    A[L].forEach((v, j) => { nodes[`${L}:${j}`] = `${o} ${fmt(v, D4)}\ny ${fmt(y[j], D4)}`; });
    const a = A[L].map(toNumber);
    const loss = toNumber(trace.loss);
    lines.push(sampleText());
    if (output === "linear") {
      const w = (shown(a[0]) - y[0]) ** 2;
      lines.push(`l = (ŷ − y)² = (${fmt(a[0], D4)} − ${term(y[0], D4)})² ${eq(w, loss)} ${fmt(loss, D4)}`);
    } else if (lossName === "mse") {
      const terms = a.map((v, k) => `(${fmt(v, D4)} − ${fmt(y[k], D4)})²`).join(" + ");
      const w = a.reduce((sum, v, k) => sum + (shown(v) - y[k]) ** 2, 0) / a.length;
      lines.push(a.length > 1
        ? `l = mean over outputs of (p − y)² = (${terms}) / ${a.length} ${eq(w, loss)} ${fmt(loss, D4)}`
        : `l = (p − y)² = ${terms} ${eq(w, loss)} ${fmt(loss, D4)}`);
    } else if (a.length === 1) {
      const p = shown(a[0]);
      const w = -(y[0] * Math.log(p) + (1 - y[0]) * Math.log(1 - p));
      lines.push(`l = −(y·log p + (1 − y)·log(1 − p)) = −(${fmt(y[0])}·log ${fmt(a[0], D4)} + ${fmt(1 - y[0])}·log(1 − ${fmt(a[0], D4)})) ${eq(w, loss)} ${fmt(loss, D4)}`);
    } else {
      const k = y.indexOf(Math.max(...y));
      lines.push(`l = −log p[target] = −log ${fmt(a[k], D4)} ${eq(-Math.log(shown(a[k])), loss)} ${fmt(loss, D4)}`);
    }
    lines.push("this is the sample's own loss; training's loss is the mean over the samples of the batch");
  } else if (s === L + 2) {
    title = "backward: output delta";
    active = [L];
    const a = A[L].map(toNumber), d = D[L - 1].map(toNumber);
    d.forEach((v, j) => { nodes[`${L}:${j}`] = `δ ${fmt(v, D4)}`; });
    if (output === "linear") {
      lines.push("δ = ∂l/∂z = ∂l/∂ŷ · ∂ŷ/∂z = 2(ŷ − y) · 1   (a linear output: ŷ = z)");
      const w = 2 * (shown(a[0]) - y[0]);
      lines.push(`δ[${names[L][0]}] = 2·(${fmt(a[0], D4)} − ${term(y[0], D4)}) ${eq(w, d[0])} ${fmt(d[0], D4)}`);
    } else if (lossName === "mse" && a.length === 1) {
      lines.push("δ = ∂l/∂z = 2(p − y) · p(1 − p)   (the square's derivative times the sigmoid's)");
      const p = shown(a[0]);
      const w = 2 * (p - y[0]) * p * (1 - p);
      lines.push(`δ[${names[L][0]}] = 2·(${fmt(a[0], D4)} − ${fmt(y[0], D4)})·${fmt(a[0], D4)}·(1 − ${fmt(a[0], D4)}) ${eq(w, d[0])} ${fmt(d[0], D4)}`);
    } else if (lossName === "mse") {
      lines.push("δ_k = p_k (∂l/∂p_k − Σ_j ∂l/∂p_j p_j), ∂l/∂p_k = 2(p_k − y_k)/K   (through the softmax)");
      d.forEach((v, k) => lines.push(`δ[${names[L][k]}] = ${fmt(v, D4)}`));
    } else {
      lines.push(`δ = ∂l/∂z = p − y   (${a.length === 1 ? "sigmoid and binary" : "softmax and categorical"} cross-entropy: the derivatives cancel)`);
      d.forEach((v, k) => lines.push(`δ[${names[L][k]}] = ${fmt(a[k], D4)} − ${fmt(y[k], D4)} ${eq(shown(a[k]) - y[k], v)} ${fmt(v, D4)}`));
    }
  } else if (s <= 2 * L + 1) {
    const l = L - 1 - (s - (L + 3)); // hidden layer L-1 down to 1
    title = `backward: hidden layer ${l} deltas`;
    active = [l];
    for (let m = l; m <= L; m++) D[m - 1].forEach((v, j) => { nodes[`${m}:${j}`] = `δ ${fmt(v, D4)}`; });
    const labelled = linkLabels(l + 1, W[l], "source", "weights");
    lines.push(`δ${l} = (Σ_k w·δ${l + 1}) · f'(z),  ${derivativeName(activation)}${labelled ? `   (${labelled})` : ""}`);
    const units = D[l - 1].length;
    for (let i = 0; i < Math.min(units, MAX_UNIT_LINES); i++) {
      const next = D[l];
      const terms = [];
      let back = 0, writtenBack = 0;
      for (let k = 0; k < next.length; k++) {
        if (k < MAX_TERMS) terms.push(`${term(W[l][i][k], D4)}·${term(next[k], D4)}`);
        back += toNumber(W[l][i][k]) * toNumber(next[k]);
        writtenBack += shown(W[l][i][k]) * shown(next[k]);
      }
      if (next.length > MAX_TERMS) terms.push(`… ${next.length - MAX_TERMS} more`);
      const slope = derivativeValue(activation, Z[l - 1][i], A[l][i]);
      const written = derivativeText(activation, Z[l - 1][i], A[l][i]);
      const delta = toNumber(D[l - 1][i]);
      const complete = next.length <= MAX_TERMS;
      let line;
      if (written === fmt(slope, D4)) {
        // f'(z) is written as its value (1, 0, 0.01): one step
        const w = writtenBack * shown(slope);
        line = `δ[${names[l][i]}] = (${terms.join(" + ")}) · ${written} ${complete ? eq(w, delta) : "="} ${fmt(delta, D4)}`;
      } else {
        const first = complete ? eq(writtenBack, back) : "=";
        line = `δ[${names[l][i]}] = (${terms.join(" + ")}) · ${written} ${first} ${fmt(back, D4)} · ${fmt(slope, D4)} ${eq(shown(back) * shown(slope), delta)} ${fmt(delta, D4)}`;
      }
      lines.push(line);
    }
    if (units > MAX_UNIT_LINES) lines.push(`… and ${units - MAX_UNIT_LINES} more units (on the diagram)`);
  } else {
    const l = L - (s - (2 * L + 2)); // weight layer L down to 1
    title = `gradients of layer ${l}'s weights`;
    active = [l - 1, l];
    A[l - 1].forEach((v, j) => { nodes[`${l - 1}:${j}`] = l - 1 === 0 ? fmt(v, D4) : `a ${fmt(v, D4)}`; });
    D[l - 1].forEach((v, j) => { nodes[`${l}:${j}`] = `δ ${fmt(v, D4)}`; });
    const dW = trace.dW[l - 1];
    linkGrad = { layer: l, values: dW };
    linksShow = "gradients";
    const labelled = linkLabels(l, dW, "target", "gradients");
    lines.push(`∂l/∂w = a (the input of the link) · δ (its target's delta);  ∂l/∂b = δ${labelled ? `   (${labelled})` : ""}`);
    let count = 0;
    outer: for (let i = 0; i < dW.length; i++) {
      for (let j = 0; j < dW[i].length; j++) {
        if (count++ >= MAX_GRADIENT_LINES) break outer;
        const g = toNumber(dW[i][j]);
        lines.push(`∂l/∂w[${names[l - 1][i]} → ${names[l][j]}] = ${term(A[l - 1][i], D4)}·${term(D[l - 1][j], D4)} ${eq(shown(A[l - 1][i]) * shown(D[l - 1][j]), g)} ${fmt(g, D4)}`);
      }
    }
    const total = dW.length * dW[0].length;
    if (total > MAX_GRADIENT_LINES) lines.push(`… and ${total - MAX_GRADIENT_LINES} more (hover a link for its value)`);
    lines.push(`∂l/∂b: ${trace.db[l - 1].map((v, j) => `${names[l][j]} ${fmt(v, D4)}`).join(",  ")}`);
  }
  return { title, lines, labels: { nodes, links, bias, active, group, linkGrad, linksShow, stage: s, L } };
}

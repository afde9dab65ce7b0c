// backprop-lab playground: the page. It draws what the server trains, over one WebSocket
// (/ws; the protocol is in docs and in src/backprop_lab/web/protocol.py). No build step:
// plain ES modules and uPlot (vendored, MIT).

import { CLASS_COLORS, fmt, intText, toNumber } from "./colors.js";
import { decodeBase64, drawThumbnail, HiddenPlot, LossChart, OutputPlot } from "./plots.js";
import { NetworkView, unitNames } from "./network.js";
import { describeStage, stageCount } from "./trace.js";

const $ = (id) => document.getElementById(id);

const SETTING_KEYS = [
  "dataset", "noise", "n", "classes", "data_seed", "test_fraction", "hidden", "features",
  "activation", "loss", "init", "init_scale", "seed", "optimizer", "lr", "l1", "l2", "dropout",
  "batch_size", "momentum", "beta1", "beta2",
];
const FALLBACK_DEFAULTS = {
  dataset: "xor", noise: 0.05, n: 200, classes: 2, data_seed: 0, test_fraction: 0, hidden: [2],
  features: null, activation: "sigmoid", loss: "mse", init: "normal", init_scale: 1, seed: 0,
  optimizer: "sgd", lr: 2, l1: 0, l2: 0, dropout: 0, batch_size: null, momentum: 0.9,
  beta1: 0.9, beta2: 0.999,
};
const LR_CHOICES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 2, 3, 10];
const REG_RATES = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
const SPEEDS = [1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000];
const BATCHES = [1, 2, 4, 5, 8, 10, 16, 20, 25, 30, 32, 50, 64, 100, 128, 256, 512];
const CLASSIFICATION_ORDER = ["xor", "xor-cloud", "circle", "gauss", "spiral", "moons", "and", "or"];
const REGRESSION_ORDER = ["reg-plane", "reg-gauss", "sine"];
const DATASET_TITLES = {
  "xor": "XOR: the four points", "and": "AND: four points", "or": "OR: four points",
  "xor-cloud": "XOR cloud", "circle": "circle", "gauss": "two Gaussians", "spiral": "spiral",
  "moons": "two moons", "reg-plane": "plane (regression)", "reg-gauss": "Gaussian bumps (regression)",
  "sine": "sine curve (regression, one input)",
};
const ALL_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const ONE_COLUMN_FEATURES = ["x1", "x1^2", "sin(x1)"];
const MORE_SETTINGS = ["seed", "data_seed", "init", "init_scale", "dropout", "momentum", "beta1", "beta2"];
const HIDEABLE = [
  ["play", "play / pause"], ["step", "step"], ["reset", "reset"], ["speed", "speed"],
  ["learning-rate", "learning rate"], ["activation", "activation"],
  ["regularization", "regularisation"], ["regularization-rate", "regularisation rate"],
  ["problem", "problem type"], ["optimizer", "optimiser"], ["loss", "loss"],
  ["dataset", "datasets"], ["classes", "spiral arms"], ["test-fraction", "test data share"],
  ["noise", "noise"], ["points-n", "number of points"], ["batch-size", "batch size"],
  ["regenerate", "regenerate"], ["more-settings", "more settings"], ["features", "features (toggling)"],
  ["hidden-layers", "hidden layers (+/−)"], ["gradient-view", "gradient view"],
  ["show-test", "show test data"], ["discretize", "discretize output"], ["add-points", "adding points"],
  ["step-through", "step-through"], ["diagnosis", "live diagnosis"], ["hidden-space", "hidden space"],
  ["save-run", "save run"], ["share", "share"],
];

const app = {
  socket: null,
  hello: null,
  options: {},
  caps: {},
  state: null,
  lastFrame: null,
  frames: 0,
  drawMs: 0, // time spent drawing frames (for the benchmark)
  status: "paused",
  speed: 1,
  gradientView: false,
  showTest: true,
  discrete: false,
  clickMode: "add",
  trace: null,
  traceStage: 0,
  traceWanted: null,
  findings: [],
  hide: [],
  focus: null,
  errors: [],
  messages: { hello: 0, state: 0, frame: 0, trace: 0, error: 0 },
};
window.__playground = app;

// --------------------------------------------------------------------------- socket

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  const ws = new WebSocket(url);
  app.socket = ws;
  ws.addEventListener("open", () => setConnection(null));
  ws.addEventListener("message", (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch (error) {
      toast(`The server sent a message the page cannot read (${error.message}).`);
      return;
    }
    handle(msg);
  });
  ws.addEventListener("close", () => {
    setConnection("The server stopped; restart backprop-lab serve and reload this page.");
    setPlaying("stopped");
  });
}

function send(msg) {
  if (app.socket && app.socket.readyState === WebSocket.OPEN) {
    app.socket.send(JSON.stringify(msg));
    return true;
  }
  return false;
}

function setConnection(text) {
  const el = $("connection");
  el.hidden = !text;
  el.textContent = text || "";
  document.body.classList.toggle("disconnected", !!text);
}

function handle(msg) {
  if (msg.type in app.messages) app.messages[msg.type]++;
  switch (msg.type) {
    case "hello": onHello(msg); break;
    case "state": onState(msg); break;
    case "frame": {
      const started = performance.now();
      try {
        drawFrame(msg);
      } finally {
        send({ type: "ack" });
        app.drawMs += performance.now() - started;
      }
      break;
    }
    case "trace": onTrace(msg); break;
    case "findings": renderFindings(msg.findings || []); break;
    case "saving": saveLine(msg.message, "progress"); break;
    case "saved": onSaved(msg); break;
    case "error": onError(msg); break;
    default: break;
  }
}

// --------------------------------------------------------------------------- hello

function normaliseOptions(options) {
  if (!options) return {};
  if (Array.isArray(options)) return Object.fromEntries(options.map((o) => [o.name, o]));
  return options;
}

function optionDefault(key) {
  const o = app.options[key];
  if (o && "default" in o) return o.default;
  return FALLBACK_DEFAULTS[key];
}

function choicesOf(key, fallback) {
  const o = app.options[key];
  return o && Array.isArray(o.choices) && o.choices.length ? o.choices : fallback;
}

function notesOf(key) {
  const o = app.options[key];
  if (!o || !o.notes) return {};
  if (Array.isArray(o.notes)) return Object.fromEntries(o.notes);
  return o.notes;
}

function onHello(msg) {
  app.hello = msg;
  app.options = normaliseOptions(msg.options);
  app.caps = msg.caps || {};
  $("version").textContent = msg.version ? `version ${msg.version}` : "";
  // tooltips from the options' help
  document.querySelectorAll("[data-option]").forEach((el) => {
    const o = app.options[el.dataset.option];
    if (o && o.help) {
      const holder = el.closest("label") || el.closest(".slider") || el;
      holder.title = o.help + (o.why ? ` (default: ${o.why})` : "");
    }
  });
  fillSelect($("activation"), choicesOf("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]), notesOf("activation"));
  fillSelect($("loss"), choicesOf("loss", ["mse", "bce", "ce"]), notesOf("loss"));
  fillSelect($("optimizer"), choicesOf("optimizer", ["sgd", "momentum", "adam"]), notesOf("optimizer"));
  const classesOption = app.options.classes || {};
  const maxClasses = classesOption.high || 10;
  fillSelect($("classes"), Array.from({ length: maxClasses - 1 }, (_, k) => String(k + 2)));
  buildDatasets();
  buildMoreSettings();
  const samples = app.caps.samples || 1000;
  const nOption = app.options.n || {};
  $("points-n").min = String(Math.max(nOption.low || 4, 10));
  $("points-n").max = String(Math.min(samples, 2000));
  // the setup in the link
  const fromUrl = readUrl();
  app.hide = fromUrl.hide;
  applyHide(app.hide);
  if (fromUrl.view.speed) app.speed = fromUrl.view.speed;
  if (fromUrl.view.discretize) { app.discrete = true; $("discretize").checked = true; }
  if (fromUrl.view.showTest === false) { app.showTest = false; $("show-test").checked = false; }
  if (fromUrl.view.gradients) { app.gradientView = true; $("gradient-view").checked = true; network.setGradientView(true); }
  outputPlot.setOptions({ showTest: app.showTest, discrete: app.discrete });
  if (Object.keys(fromUrl.settings).length) send({ type: "configure", settings: fromUrl.settings, id: 1 });
  if (app.speed !== 1) send({ type: "speed", epochs: app.speed });
}

function fillSelect(select, values, notes = {}, labels = null) {
  const current = select.value;
  select.textContent = "";
  for (const v of values) {
    const option = document.createElement("option");
    option.value = String(v);
    option.textContent = labels ? labels(v) : String(v).replace("_", " ");
    if (notes[v]) option.title = notes[v];
    select.append(option);
  }
  if (values.map(String).includes(current)) select.value = current;
}

function buildDatasets() {
  const host = $("datasets");
  host.textContent = "";
  const choices = choicesOf("dataset", CLASSIFICATION_ORDER.concat(REGRESSION_ORDER));
  const groups = [
    ["Classification", CLASSIFICATION_ORDER.filter((d) => choices.includes(d)).concat(choices.filter((d) => !CLASSIFICATION_ORDER.includes(d) && !REGRESSION_ORDER.includes(d)))],
    ["Regression", REGRESSION_ORDER.filter((d) => choices.includes(d))],
  ];
  for (const [title, names] of groups) {
    if (!names.length) continue;
    const caption = document.createElement("div");
    caption.className = "group-caption";
    caption.textContent = title;
    host.append(caption);
    const grid = document.createElement("div");
    grid.className = "thumb-grid";
    for (const name of names) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "thumb";
      button.setAttribute("data-testid", `dataset-${name}`);
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", "false");
      button.setAttribute("aria-label", `dataset ${DATASET_TITLES[name] || name}`);
      button.title = DATASET_TITLES[name] || name;
      button.dataset.dataset = name;
      const canvas = document.createElement("canvas");
      drawThumbnail(canvas, name);
      const label = document.createElement("span");
      label.textContent = name;
      button.append(canvas, label);
      button.addEventListener("click", () => chooseDataset(name));
      grid.append(button);
    }
    host.append(grid);
  }
}

function buildMoreSettings() {
  const host = $("more-settings");
  host.textContent = "";
  for (const key of MORE_SETTINGS) {
    const o = app.options[key] || { kind: FALLBACK_DEFAULTS[key] === undefined ? "float" : typeof FALLBACK_DEFAULTS[key] === "string" ? "choice" : "float" };
    const label = document.createElement("label");
    label.className = "ctl row";
    label.dataset.setting = key;
    if (o.help) label.title = o.help + (o.why ? ` (default: ${o.why})` : "");
    const span = document.createElement("span");
    span.textContent = key.replace("_", " ");
    let input;
    if (o.kind === "choice" || key === "init") {
      input = document.createElement("select");
      fillSelect(input, choicesOf(key, ["normal", "uniform", "xavier", "he", "zeros"]), notesOf(key));
    } else {
      input = document.createElement("input");
      input.type = "number";
      input.step = o.kind === "int" || key.includes("seed") ? "1" : "any";
      if (o.low !== undefined && o.low !== null) input.min = String(o.low);
      if (o.high !== undefined && o.high !== null && Number.isFinite(o.high)) input.max = String(o.high);
    }
    input.id = `setting-${key}`;
    input.setAttribute("data-testid", `setting-${key}`);
    input.addEventListener("change", () => {
      let value = input.value;
      if (input.tagName === "INPUT") {
        value = o.kind === "int" || key.includes("seed") ? parseInt(value, 10) : parseFloat(value);
        if (!Number.isFinite(value)) {
          toast(`${key.replace("_", " ")} must be a number.`);
          syncControls();
          return;
        }
      }
      configure({ [key]: value });
    });
    label.append(span, input);
    host.append(label);
  }
}

// --------------------------------------------------------------------------- state

function activeFeatures(state) {
  const f = state.settings.features;
  if (f && f.length) return f.slice();
  return state.dims === 1 ? ["x1"] : ["x1", "x2"];
}

function onState(msg) {
  // an edited weight goes on from the same epoch: the chart keeps its history then
  const keepCurve = msg.edited === true && app.state && JSON.stringify(app.state.sizes) === JSON.stringify(msg.sizes);
  app.state = msg;
  if (msg.task === "classification") app.lastClassification = msg.settings.dataset;
  // trace, findings and views belong to the old run
  app.trace = null;
  app.traceWanted = null;
  network.setTrace(null);
  outputPlot.setHighlight(null);
  $("trace-stage").textContent = "";
  $("trace-text").textContent = "Press forward ▶ to trace the sample.";
  renderStageDots();
  renderFindings([]);
  app.lastFrame = null;
  app.focus = null; // the server forgets the hovered unit on every restart
  const s = msg.settings;
  buildNetwork();
  outputPlot.setState(msg);
  if (!keepCurve) chart.reset(msg.score_name || "accuracy");
  $("train-score-name").textContent = $("test-score-name").textContent = msg.score_name || "accuracy";
  for (const id of ["train-loss", "test-loss", "train-score", "test-score"]) setNumber($(id), null);
  syncControls();
  renderOutputLegend();
  renderNetLegend();
  buildHiddenControls();
  // the thumbnail of the current dataset shows its real points
  document.querySelectorAll(".thumb").forEach((b) => {
    const on = b.dataset.dataset === s.dataset;
    b.classList.toggle("selected", on);
    b.setAttribute("aria-checked", String(on));
    if (on && msg.task === "classification" && msg.dims === 2) drawThumbnail(b.querySelector("canvas"), b.dataset.dataset, msg.train);
    else if (b.dataset.drawnFromData === "1" || on) drawThumbnail(b.querySelector("canvas"), b.dataset.dataset);
    b.dataset.drawnFromData = on && msg.task === "classification" && msg.dims === 2 ? "1" : "";
  });
  const noTest = !msg.test || !msg.test.x.length;
  for (const id of ["test-loss", "test-score"]) {
    $(id).title = noTest ? "no test data: move the Test data slider (DATA) above 0%" : "";
  }
  $("user-points").textContent = String(msg.user_points || 0);
  $("clear-points").disabled = !msg.user_points;
  const names = unitNames(msg);
  const weights = msg.sizes.slice(1).reduce((acc, n, l) => acc + n * msg.sizes[l] + n, 0);
  $("net-summary").textContent = `${msg.sizes.join(" → ")} · ${s.activation} · ${weights} weights and biases`;
  $("net-summary").title = `layers: ${names.map((layer) => layer.join(", ")).join(" | ")}`;
  $("trace-sample").max = String(Math.max(0, msg.train.x.length - 1));
  if (Number($("trace-sample").value) > msg.train.x.length - 1) $("trace-sample").value = "0";
  updateClickHelp();
  writeUrl();
}

function buildNetwork() {
  const st = app.state;
  network.build(st, {
    features: st.dims === 1 ? ONE_COLUMN_FEATURES : ALL_FEATURES,
    active: activeFeatures(st),
    caps: app.caps,
    hiddenSizes: st.settings.hidden || [],
    extent: st.extent,
  });
  app.networkWidth = $("network").clientWidth;
}

// A new width: lay the diagram out again, keeping the run, its frame and the step-through.
function relayout() {
  if (!app.state) return;
  if ($("network").clientWidth !== app.networkWidth) {
    buildNetwork();
    if (app.lastFrame) network.update(app.lastFrame);
    if (app.trace) renderTrace();
  }
  chart.resize(chartWidth());
}

function syncControls() {
  const st = app.state;
  if (!st) return;
  const s = st.settings;
  setSelect($("learning-rate"), s.lr, LR_CHOICES, (v) => fmt(v, 4));
  $("activation").value = s.activation;
  $("optimizer").value = s.optimizer;
  $("loss").value = s.loss;
  for (const option of $("loss").options) option.disabled = st.task === "regression" && option.value !== "mse";
  const l1 = toNumber(s.l1) || 0, l2 = toNumber(s.l2) || 0;
  $("regularization").value = l1 > 0 && l2 > 0 ? "l1l2" : l1 > 0 ? "l1" : l2 > 0 ? "l2" : "none";
  setSelect($("regularization-rate"), l2 > 0 ? l2 : l1, REG_RATES, (v) => fmt(v, 4));
  $("problem").value = st.task;
  $("classes-row").hidden = s.dataset !== "spiral";
  $("classes").value = String(s.classes);
  setRange("test-fraction", s.test_fraction, (v) => `${Math.round(v * 100)}%`);
  setRange("noise", s.noise, (v) => fmt(v, 3));
  setRange("points-n", s.n, (v) => String(v));
  const nTrain = st.train.x.length;
  const batches = BATCHES.filter((b) => b < nTrain);
  fillSelect($("batch-size"), ["full"].concat(batches.map(String)), {}, (v) => (v === "full" ? `full batch (${nTrain})` : v));
  if (s.batch_size !== null && s.batch_size !== undefined && !batches.includes(s.batch_size)) {
    const option = document.createElement("option");
    option.value = String(s.batch_size);
    option.textContent = String(s.batch_size);
    $("batch-size").append(option);
  }
  $("batch-size").value = s.batch_size === null || s.batch_size === undefined ? "full" : String(s.batch_size);
  const maxSpeed = st.max_epochs_per_update || app.caps.epochs_per_update || 500;
  const speeds = SPEEDS.filter((v) => v <= maxSpeed);
  if (app.speed > maxSpeed) {
    app.speed = maxSpeed;
    send({ type: "speed", epochs: app.speed });
  }
  if (!speeds.includes(app.speed)) speeds.push(app.speed);
  speeds.sort((a, b) => a - b);
  fillSelect($("speed"), speeds.map(String), {}, (v) => (v === "1" ? "1 (every epoch)" : v));
  $("speed").value = String(app.speed);
  $("speed").title = `epochs trained per screen update while playing (at most ${maxSpeed} for this network and data)`;
  for (const key of MORE_SETTINGS) {
    const input = $(`setting-${key}`);
    if (input && s[key] !== undefined) input.value = String(s[key]);
    const row = input && input.closest("label");
    if (row) {
      const relevant = key === "momentum" ? s.optimizer === "momentum" : key.startsWith("beta") ? s.optimizer === "adam" : true;
      row.classList.toggle("irrelevant", !relevant);
    }
  }
}

function setSelect(select, value, presets, label) {
  const values = presets.slice();
  const v = toNumber(value);
  if (v !== null && !values.some((p) => Math.abs(p - v) <= 1e-12 * Math.max(1, Math.abs(v)))) values.push(v);
  values.sort((a, b) => a - b);
  fillSelect(select, values.map(String), {}, (x) => label(Number(x)));
  const match = values.find((p) => Math.abs(p - v) <= 1e-12 * Math.max(1, Math.abs(v)));
  select.value = String(match);
}

function setRange(id, value, text) {
  const input = $(id);
  const v = toNumber(value);
  if (Number(input.max) < v) input.max = String(v);
  input.value = String(v);
  $(`${id}-value`).textContent = text(v);
}

// --------------------------------------------------------------------------- controls

function configure(changes) {
  if (!send({ type: "configure", settings: changes })) toast("Not connected to the server.");
}

function chooseDataset(name) {
  if (!app.state) return;
  const s = app.state.settings;
  const changes = { dataset: name };
  const oneColumn = name === "sine";
  const active = s.features || null;
  if (active) {
    const ok = oneColumn ? active.every((f) => ONE_COLUMN_FEATURES.includes(f)) : true;
    if (!ok) changes.features = null;
  }
  if (REGRESSION_ORDER.includes(name) && s.loss !== "mse") changes.loss = "mse";
  if (app.state.user_points) changes.points = [];
  configure(changes);
}

function onToggleFeature(feature) {
  if (!app.state) return;
  const st = app.state;
  const active = activeFeatures(st);
  let next;
  if (active.includes(feature)) {
    next = active.filter((f) => f !== feature);
    if (!next.length) {
      toast("The network needs at least one input: switch another feature on first.");
      return;
    }
  } else {
    const order = st.dims === 1 ? ONE_COLUMN_FEATURES : ALL_FEATURES;
    next = order.filter((f) => f === feature || active.includes(f));
  }
  const raw = st.dims === 1 ? ["x1"] : ["x1", "x2"];
  const isRaw = next.length === raw.length && next.every((f, i) => f === raw[i]);
  configure({ features: isRaw ? null : next });
}

function onLayers(delta) {
  if (!app.state) return;
  const hidden = (app.state.settings.hidden || []).slice();
  const maxLayers = app.caps.hidden_layers ?? 6;
  if (delta > 0) {
    if (hidden.length >= maxLayers) return;
    hidden.push(hidden.length ? hidden[hidden.length - 1] : 4);
  } else {
    if (!hidden.length) return;
    hidden.pop();
  }
  configure({ hidden });
}

function onNeurons(layer, delta) {
  if (!app.state) return;
  const hidden = (app.state.settings.hidden || []).slice();
  const maxUnits = app.caps.units ?? 8;
  const next = hidden[layer - 1] + delta;
  if (next < 1 || next > maxUnits) return;
  hidden[layer - 1] = next;
  configure({ hidden });
}

function regularise() {
  const kind = $("regularization").value;
  let rate = Number($("regularization-rate").value);
  if (kind !== "none" && !(rate > 0)) rate = 0.001;
  configure({
    l1: kind === "l1" || kind === "l1l2" ? rate : 0,
    l2: kind === "l2" || kind === "l1l2" ? rate : 0,
  });
}

function setPlaying(status) {
  app.status = status;
  const playing = status === "playing";
  const button = $("play");
  button.classList.toggle("playing", playing);
  button.setAttribute("aria-label", playing ? "pause" : "play");
  button.setAttribute("aria-pressed", String(playing));
  const el = $("status");
  const text = status === "diverged" ? "diverged" : status;
  if (el.textContent !== text) el.textContent = text;
  el.className = `status ${status}`;
}

function togglePlay() {
  if (app.status === "playing") {
    send({ type: "pause" });
    setPlaying("paused");
  } else {
    send({ type: "play" });
    setPlaying("playing");
  }
}

function wireControls() {
  $("play").addEventListener("click", togglePlay);
  $("step").addEventListener("click", () => { send({ type: "step" }); setPlaying("paused"); });
  $("reset").addEventListener("click", () => { send({ type: "reset" }); });
  $("learning-rate").addEventListener("change", (e) => configure({ lr: Number(e.target.value) }));
  $("activation").addEventListener("change", (e) => configure({ activation: e.target.value }));
  $("optimizer").addEventListener("change", (e) => configure({ optimizer: e.target.value }));
  $("loss").addEventListener("change", (e) => configure({ loss: e.target.value }));
  $("regularization").addEventListener("change", regularise);
  $("regularization-rate").addEventListener("change", () => {
    if ($("regularization").value === "none" && Number($("regularization-rate").value) > 0) $("regularization").value = "l2";
    regularise();
  });
  $("problem").addEventListener("change", (e) => {
    if (!app.state) return;
    if (e.target.value === app.state.task) return;
    chooseDataset(e.target.value === "regression" ? "reg-plane" : app.lastClassification || "circle");
  });
  $("speed").addEventListener("change", (e) => {
    app.speed = Number(e.target.value);
    send({ type: "speed", epochs: app.speed });
    writeUrl();
  });
  $("classes").addEventListener("change", (e) => configure({ classes: Number(e.target.value) }));
  for (const [id, key, text] of [
    ["test-fraction", "test_fraction", (v) => `${Math.round(v * 100)}%`],
    ["noise", "noise", (v) => fmt(v, 3)],
    ["points-n", "n", (v) => String(v)],
  ]) {
    const input = $(id);
    input.addEventListener("input", () => { $(`${id}-value`).textContent = text(Number(input.value)); });
    input.addEventListener("change", () => {
      const v = Number(input.value);
      configure({ [key]: key === "n" ? Math.round(v) : v });
    });
  }
  $("batch-size").addEventListener("change", (e) => configure({ batch_size: e.target.value === "full" ? null : Number(e.target.value) }));
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
  $("gradient-view").addEventListener("change", (e) => {
    app.gradientView = e.target.checked;
    network.setGradientView(app.gradientView);
    renderNetLegend();
    writeUrl();
  });
  $("show-test").addEventListener("change", (e) => {
    app.showTest = e.target.checked;
    outputPlot.setOptions({ showTest: app.showTest });
    if (app.lastFrame && app.lastFrame.hidden) hiddenPlot.draw(app.lastFrame.hidden, app.state, app.showTest);
    writeUrl();
  });
  $("discretize").addEventListener("change", (e) => {
    app.discrete = e.target.checked;
    outputPlot.setOptions({ discrete: app.discrete });
    writeUrl();
  });
  $("log-scale").addEventListener("change", (e) => chart.setLog(e.target.checked));
  $("click-mode").addEventListener("click", () => setClickMode(app.clickMode === "add" ? "pick" : "add"));
  $("clear-points").addEventListener("click", () => send({ type: "clear_points" }));
  $("save-run").addEventListener("click", () => {
    $("save-status").hidden = false;
    $("save-status").querySelector(".save-lines").textContent = "";
    saveLine("Saving the run…", "progress");
    if (!send({ type: "save" })) {
      saveLine("Not connected to the server.", "error");
      return;
    }
    startSaveClock();
  });
  $("save-status").querySelector(".close").addEventListener("click", () => { $("save-status").hidden = true; });
  $("share").addEventListener("click", openShare);
  // step-through
  $("step-forward").addEventListener("click", () => traceStep(+1));
  $("step-back").addEventListener("click", () => traceStep(-1));
  $("trace-close").addEventListener("click", endTrace);
  $("trace-sample").addEventListener("change", () => requestTrace(Number($("trace-sample").value), 0));
  // hidden space
  for (const id of ["hidden-layer", "hidden-mode", "hidden-unit-a", "hidden-unit-b"]) {
    $(id).addEventListener("change", sendHiddenView);
  }
  document.addEventListener("keydown", (e) => {
    if (e.key !== " " || e.target.closest("input, select, textarea, button, dialog")) return;
    e.preventDefault();
    togglePlay();
  });
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(relayout, 150);
  });
}

function setClickMode(mode) {
  app.clickMode = mode;
  $("click-mode").setAttribute("aria-pressed", String(mode === "pick"));
  $("click-mode").textContent = mode === "pick" ? "Add points instead" : "Pick a sample to trace instead";
  document.body.classList.toggle("pick-mode", mode === "pick");
  updateClickHelp();
}

function updateClickHelp() {
  const st = app.state;
  let text;
  if (app.clickMode === "pick") text = "Click a training point to trace it in the step-through panel.";
  else if (!st) text = "";
  else if (st.dims !== 2) text = "Points can be added on a plane (a dataset with two inputs).";
  else if (st.task === "regression") text = "Click the plot: add a point of target +1 (shift-click: −1).";
  else text = "Click the plot: add a point of class 1 (shift-click: class 0).";
  $("click-help").textContent = text;
}

function onPlotClick({ x, y, shift, sample }) {
  const st = app.state;
  if (!st) return;
  if (app.clickMode === "pick") {
    if (sample === null) {
      toast("Click on a training point (a dot with a white edge) to trace it.");
      return;
    }
    $("trace-sample").value = String(sample);
    setClickMode("add");
    requestTrace(sample, 0);
    $("trace-text").scrollIntoView({ block: "nearest", behavior: "smooth" });
    return;
  }
  if (st.dims !== 2) {
    toast("Points can be added only to a dataset with two inputs (a plane).");
    return;
  }
  const label = st.task === "regression" ? (shift ? -1 : 1) : shift ? 0 : 1;
  send({ type: "add_point", x: [x, y], label });
}

// --------------------------------------------------------------------------- frames

let chartTimer = 0;

function drawFrame(f) {
  app.lastFrame = f;
  app.frames++;
  const st = app.state;
  setText($("epoch"), intText(f.epoch));
  setPlaying(f.status);
  const trainLoss = toNumber(f.train_loss), testLoss = toNumber(f.test_loss);
  setNumber($("train-loss"), f.train_loss);
  setNumber($("test-loss"), f.test_loss);
  const percent = !st || st.score_name !== "R²";
  setNumber($("train-score"), f.train_score, percent);
  setNumber($("test-score"), f.test_score, percent);
  if (f.curve && f.curve.length) chart.append(f.curve);
  const now = performance.now();
  if (now - chartTimer > 120 || f.status !== "playing") {
    chart.flush();
    chartTimer = now;
  }
  const broken = (v) => v !== null && !Number.isFinite(v);
  let nanText = null;
  if (broken(trainLoss) || f.status === "diverged") {
    nanText = `training loss: ${fmt(f.train_loss)} — the network diverged; the live diagnosis says why and what to try.`;
  } else if (broken(testLoss)) {
    nanText = `test loss: ${fmt(f.test_loss)}`;
  }
  if (f.maps && f.maps.output && st) {
    outputBytes = decodeBase64(f.maps.output, outputBytes);
    outputPlot.drawMap(outputBytes, nanText);
  }
  network.update(f);
  if (Array.isArray(f.findings)) renderFindings(f.findings);
  if (f.hidden) hiddenPlot.draw(f.hidden, st, app.showTest);
  else if (f.hidden === null && $("hidden-layer").value !== "" && app.hiddenAsked) hiddenPlot.empty("no view for this layer (needs two units or finite values)");
  if (app.gradientView) renderNetLegend();
  // step-through: keep the numbers current when training moved while paused
  if (app.trace && f.status !== "playing" && app.trace.epoch !== undefined && f.epoch !== app.trace.epoch && app.traceWanted === null) {
    requestTrace(app.trace.sample, app.traceStage);
  }
}

let outputBytes = null;

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function setNumber(el, value, percent = false) {
  const v = toNumber(value);
  const text = v === null ? "–" : percent && Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : fmt(v, 4);
  setText(el, text);
  const bad = v !== null && !Number.isFinite(v);
  if (el.classList.contains("bad") !== bad) el.classList.toggle("bad", bad);
}

// --------------------------------------------------------------------------- legends

function gradientBar(lo, mid, hi, caption) {
  return `<div class="bar-wrap"><div class="bar"></div><div class="bar-ticks"><span>${lo}</span><span>${mid}</span><span>${hi}</span></div></div><div class="bar-caption">${caption}</div>`;
}

function renderOutputLegend() {
  const st = app.state, el = $("output-legend");
  if (!st) return;
  const [lo, hi] = st.output_range;
  const K = st.sizes[st.sizes.length - 1];
  if (st.dims === 1) {
    el.innerHTML = `<div class="bar-caption">black curve: the network's prediction; dots: the data (colour = target value, orange negative, blue positive); x across, value up</div>`;
  } else if (st.task === "regression") {
    el.innerHTML = gradientBar(fmt(lo, 3), "0", fmt(hi, 3), "colour = the network's prediction: orange negative, white 0, blue positive");
  } else if (K === 1) {
    el.innerHTML = gradientBar("0", "0.5", "1", "colour = p(class 1): orange = class 0, blue = class 1, white = undecided");
  } else {
    const names = st.class_names && st.class_names.length ? st.class_names : Array.from({ length: K }, (_, k) => String(k));
    el.innerHTML = `<div class="class-keys">${names.map((n, k) => `<span><i style="background:${CLASS_COLORS[k % CLASS_COLORS.length]}"></i>class ${n}</span>`).join("")}</div><div class="bar-caption">colour = the likeliest class, paler where the network is less sure</div>`;
  }
}

function renderNetLegend() {
  const el = $("net-legend");
  const st = app.state;
  if (!st) return;
  const [ulo, uhi] = Array.isArray(st.unit_range[0]) ? st.unit_range[0] : st.unit_range;
  const mid = ulo < 0 && uhi > 0 ? 0 : (ulo + uhi) / 2;
  let html;
  if (app.gradientView) {
    const net = network;
    html = `<div class="legend-line"><b>Gradient view.</b> Links show ∂L/∂w, the gradient of the training loss for each weight; the square at a unit's corner and the ring around it show its delta δ = ∂L/∂b (mean over the data). <span class="neg-text">orange = negative</span>, <span class="pos-text">blue = positive</span>; width grows with the size: the widest link is |∂L/∂w| = <b data-testid="max-grad">${fmt(net.maxGrad, 3)}</b>, the widest ring |δ| = <b>${fmt(net.maxDelta, 3)}</b>. A step of gradient descent moves each weight against its gradient.</div>`;
  } else {
    html = `<div class="legend-grid"><div>${gradientBar(fmt(ulo, 2), fmt(mid, 2), fmt(uhi, 2), "each unit's picture: its output a over the plane")}</div><div class="legend-line">Links: <span class="neg-text">orange = negative weight</span>, <span class="pos-text">blue = positive</span>, width = |w|. Hover a unit for its picture and formula, a link for its value; click a link or a unit's small bias square to edit it. Click a feature to switch it on or off.</div></div>`;
  }
  if (el.innerHTML !== html) el.innerHTML = html;
}

// --------------------------------------------------------------------------- findings

const SEVERITY_ORDER = { error: 0, critical: 0, problem: 0, warning: 1, warn: 1, info: 2, note: 2, ok: 3, good: 3 };

function renderFindings(findings) {
  app.findings = findings;
  const ul = $("findings");
  ul.textContent = "";
  const epoch = app.lastFrame ? app.lastFrame.epoch : 0;
  if (!findings.length) {
    const li = document.createElement("li");
    li.className = "none";
    li.textContent = epoch > 0 ? "No problems found so far." : "Nothing to report yet: press play.";
    ul.append(li);
    return;
  }
  const sorted = findings.slice().sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 2) - (SEVERITY_ORDER[b.severity] ?? 2));
  for (const f of sorted) {
    const li = document.createElement("li");
    const severity = String(f.severity || "info").toLowerCase();
    li.className = `finding sev-${severity}`;
    li.setAttribute("data-testid", `finding-${f.code}`);
    const head = document.createElement("div");
    head.className = "finding-head";
    const badge = document.createElement("span");
    badge.className = "sev";
    badge.textContent = severity;
    const code = document.createElement("b");
    code.textContent = String(f.code || "").replace(/_/g, " ");
    head.append(badge, code);
    if (Array.isArray(f.epochs) && f.epochs.length === 2) {
      const when = document.createElement("span");
      when.className = "when";
      when.textContent = f.epochs[0] === f.epochs[1] ? `epoch ${f.epochs[0]}` : `epochs ${f.epochs[0]}–${f.epochs[1]}`;
      head.append(when);
    }
    const evidence = document.createElement("p");
    evidence.className = "evidence";
    evidence.textContent = f.evidence || "";
    li.append(head, evidence);
    if (f.advice) {
      const advice = document.createElement("p");
      advice.className = "advice";
      const label = document.createElement("b");
      label.textContent = "What to try: ";
      advice.append(label, document.createTextNode(f.advice));
      li.append(advice);
    }
    ul.append(li);
  }
}

// --------------------------------------------------------------------------- step-through

function requestTrace(sample, stage) {
  if (!app.state) return;
  const n = app.state.train.x.length;
  if (!(sample >= 0 && sample < n)) {
    toast(`There are training samples 0 to ${n - 1}.`);
    return;
  }
  if (app.status === "playing") {
    send({ type: "pause" });
    setPlaying("paused");
  }
  app.traceWanted = stage;
  send({ type: "trace", sample });
}

function onTrace(msg) {
  app.trace = msg;
  const stage = app.traceWanted ?? 0;
  app.traceWanted = null;
  app.traceStage = Math.min(stage, stageCount(msg) - 1);
  $("trace-sample").value = String(msg.sample);
  outputPlot.setHighlight(msg.sample);
  renderTrace();
}

function traceStep(delta) {
  if (!app.trace) {
    requestTrace(Number($("trace-sample").value) || 0, 0);
    return;
  }
  const next = app.traceStage + delta;
  if (next < 0 || next >= stageCount(app.trace)) return;
  app.traceStage = next;
  renderTrace();
}

function endTrace() {
  app.trace = null;
  network.setTrace(null);
  outputPlot.setHighlight(null);
  $("trace-stage").textContent = "";
  $("trace-text").textContent = "Press forward ▶ to start.";
  renderStageDots();
}

function renderTrace() {
  const t = app.trace, st = app.state;
  if (!t || !st) return;
  const names = unitNames(st);
  const d = describeStage(t, app.traceStage, names, st);
  network.setTrace(d.labels);
  const total = stageCount(t);
  $("trace-stage").textContent = `step ${app.traceStage + 1} of ${total}: ${d.title}${t.epoch !== undefined ? ` (weights of epoch ${t.epoch})` : ""}`;
  $("trace-text").textContent = d.lines.join("\n");
  $("step-back").disabled = app.traceStage === 0;
  $("step-forward").disabled = app.traceStage === total - 1;
  renderStageDots();
}

function renderStageDots() {
  const host = $("trace-stages");
  host.textContent = "";
  if (!app.trace) {
    $("step-back").disabled = true;
    $("step-forward").disabled = false;
    return;
  }
  const total = stageCount(app.trace);
  const L = app.trace.W.length;
  for (let s = 0; s < total; s++) {
    const dot = document.createElement("span");
    const backward = s > L;
    dot.className = `dot ${backward ? "back" : "fwd"} ${s === app.traceStage ? "on" : s < app.traceStage ? "done" : ""}`;
    host.append(dot);
  }
}

// --------------------------------------------------------------------------- hidden space

function buildHiddenControls() {
  const st = app.state;
  const select = $("hidden-layer");
  const previous = select.value;
  select.textContent = "";
  const off = document.createElement("option");
  off.value = "";
  off.textContent = "off";
  select.append(off);
  const L = st.sizes.length - 1;
  for (let l = 1; l < L; l++) {
    const option = document.createElement("option");
    option.value = String(l);
    option.textContent = `hidden layer ${l} (${st.sizes[l]} unit${st.sizes[l] === 1 ? "" : "s"})`;
    select.append(option);
  }
  select.value = previous && Number(previous) < L ? previous : "";
  if (L === 1) {
    select.title = "this network has no hidden layer";
  }
  fillUnitSelects();
  sendHiddenView();
}

function fillUnitSelects() {
  const st = app.state;
  const l = Number($("hidden-layer").value);
  const n = l ? st.sizes[l] : 0;
  for (const [id, fallback] of [["hidden-unit-a", 0], ["hidden-unit-b", 1]]) {
    const select = $(id);
    const previous = select.value;
    select.textContent = "";
    for (let j = 0; j < n; j++) {
      const option = document.createElement("option");
      option.value = String(j);
      option.textContent = `unit ${j + 1}`;
      select.append(option);
    }
    select.value = previous !== "" && Number(previous) < n ? previous : String(Math.min(fallback, Math.max(0, n - 1)));
  }
}

function sendHiddenView(event) {
  if (!app.state) return;
  if (event && event.target && event.target.id === "hidden-layer") fillUnitSelects();
  const layer = $("hidden-layer").value;
  const mode = $("hidden-mode").value;
  document.querySelector(".units-pick").hidden = mode !== "units" || !layer;
  if (!layer) {
    if (app.hiddenAsked) send({ type: "hidden_view", layer: null });
    app.hiddenAsked = false;
    hiddenPlot.empty(app.state.sizes.length > 2 ? "choose a hidden layer" : "this network has no hidden layer");
    return;
  }
  app.hiddenAsked = true;
  send({
    type: "hidden_view",
    layer: Number(layer),
    mode,
    units: [Number($("hidden-unit-a").value) || 0, Number($("hidden-unit-b").value) || 0],
  });
  hiddenPlot.empty("waiting for the next update… (press play or step)");
}

// --------------------------------------------------------------------------- saving, errors

// While a save runs, a line says for how long (it trains the run again and draws its report).
let saveClock = null;
function startSaveClock() {
  stopSaveClock();
  const started = performance.now();
  const line = document.createElement("div");
  line.className = "save-line progress clock";
  $("save-status").querySelector(".save-lines").append(line);
  const tick = () => { line.textContent = `working… ${Math.round((performance.now() - started) / 1000)} s`; };
  tick();
  saveClock = { timer: setInterval(tick, 1000), line };
}
function stopSaveClock() {
  if (!saveClock) return;
  clearInterval(saveClock.timer);
  saveClock.line.remove();
  saveClock = null;
}

function saveLine(text, kind) {
  const box = $("save-status");
  box.hidden = false;
  const line = document.createElement("div");
  line.className = `save-line ${kind}`;
  line.textContent = text;
  const lines = box.querySelector(".save-lines");
  if (saveClock) lines.insertBefore(line, saveClock.line);
  else lines.append(line);
}

function onSaved(msg) {
  stopSaveClock();
  if (msg.message) saveLine(msg.message, "done");
  if (msg.path) {
    const line = document.createElement("div");
    line.className = "save-line done";
    line.setAttribute("data-testid", "saved-path");
    line.innerHTML = "Saved to <code></code>";
    line.querySelector("code").textContent = msg.path;
    $("save-status").querySelector(".save-lines").append(line);
  }
  if (msg.report) {
    const line = document.createElement("div");
    line.className = "save-line done";
    line.innerHTML = "Report: <code></code>";
    line.querySelector("code").textContent = msg.report;
    $("save-status").querySelector(".save-lines").append(line);
  }
}

function onError(msg) {
  app.errors.push(msg);
  if (msg.about === "save") {
    stopSaveClock();
    saveLine(msg.message, "error");
  }
  else toast(msg.message || "The server answered with an error.");
  if (msg.about === "configure" || msg.about === "add_point") syncControls();
  if (msg.about === "trace") app.traceWanted = null;
}

function toast(text) {
  const host = $("toasts");
  const el = document.createElement("div");
  el.className = "toast";
  el.setAttribute("role", "alert");
  el.setAttribute("data-testid", "error-toast");
  const span = document.createElement("span");
  span.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "×";
  close.setAttribute("aria-label", "dismiss");
  close.addEventListener("click", () => el.remove());
  el.append(span, close);
  host.append(el);
  while (host.children.length > 4) host.firstChild.remove();
  setTimeout(() => el.remove(), 9000);
}

// --------------------------------------------------------------------------- the URL

function encodeSetting(key, value) {
  if (key === "hidden") return value && value.length ? value.join(",") : "none";
  if (key === "features") return value ? value.join(",") : "raw";
  if (key === "batch_size") return value === null || value === undefined ? "full" : String(value);
  return String(value);
}

function decodeSetting(key, text) {
  if (key === "hidden") return text === "none" || text === "" ? [] : text.split(",").map((v) => parseInt(v, 10));
  if (key === "features") return text === "raw" || text === "" ? null : text.split(",");
  if (key === "batch_size") return text === "full" ? null : parseInt(text, 10);
  const o = app.options[key];
  const kind = o ? o.kind : typeof FALLBACK_DEFAULTS[key] === "string" ? "choice" : "float";
  if (kind === "choice") return text;
  if (kind === "int" || ["n", "classes", "seed", "data_seed"].includes(key)) return parseInt(text, 10);
  return parseFloat(text);
}

function sameValue(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function writeUrl() {
  const st = app.state;
  if (!st) return;
  const params = new URLSearchParams();
  for (const key of SETTING_KEYS) {
    const v = st.settings[key];
    if (v === undefined) continue;
    const def = optionDefault(key);
    const normal = key === "hidden" && Array.isArray(def) ? def : def;
    if (!sameValue(v, normal)) params.set(key, encodeSetting(key, v));
  }
  const points = st.settings.points || [];
  if (points.length) params.set("points", points.map((p) => p.map((v) => Number(Number(v).toPrecision(5))).join(",")).join(";"));
  if (app.speed !== 1) params.set("speed", String(app.speed));
  if (app.discrete) params.set("discretize", "1");
  if (!app.showTest) params.set("showTest", "0");
  if (app.gradientView) params.set("gradients", "1");
  if (app.hide.length) params.set("hide", app.hide.join(","));
  const hash = params.toString();
  const url = `${location.pathname}${location.search}${hash ? `#${hash}` : ""}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, "", url);
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  for (const [k, v] of hash) params.set(k, v);
  const settings = {};
  for (const key of SETTING_KEYS) {
    if (!params.has(key)) continue;
    const value = decodeSetting(key, params.get(key));
    if (typeof value === "number" && !Number.isFinite(value)) continue;
    settings[key] = value;
  }
  if (params.has("points")) {
    const points = params.get("points").split(";").filter(Boolean).map((p) => p.split(",").map(Number));
    if (points.every((p) => p.length === 3 && p.every(Number.isFinite))) settings.points = points;
  }
  const view = {};
  if (params.has("speed")) {
    const s = parseInt(params.get("speed"), 10);
    if (s >= 1) view.speed = s;
  }
  if (params.get("discretize") === "1") view.discretize = true;
  if (params.get("showTest") === "0") view.showTest = false;
  if (params.get("gradients") === "1") view.gradients = true;
  const hide = (params.get("hide") || "").split(",").map((s) => s.trim()).filter(Boolean);
  return { settings, view, hide };
}

function applyHide(names) {
  let style = document.getElementById("classroom-style");
  if (!style) {
    style = document.createElement("style");
    style.id = "classroom-style";
    document.head.append(style);
  }
  style.textContent = names.map((n) => `[data-control="${CSS.escape(n)}"]{display:none !important}`).join("\n");
  document.body.className = document.body.className.split(" ").filter((c) => !c.startsWith("hide-")).join(" ");
  for (const n of names) document.body.classList.add(`hide-${n}`);
  document.body.classList.toggle("classroom", names.length > 0);
}

function openShare() {
  const dialog = $("share-dialog");
  const box = $("hide-choices");
  box.querySelectorAll("label").forEach((l) => l.remove());
  for (const [name, label] of HIDEABLE) {
    const l = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = name;
    input.checked = app.hide.includes(name);
    input.setAttribute("data-testid", `hide-${name}`);
    input.addEventListener("change", updateShareLink);
    l.append(input, document.createTextNode(` ${label}`));
    box.append(l);
  }
  updateShareLink();
  if (dialog.showModal) dialog.showModal();
  else dialog.setAttribute("open", "");
}

function updateShareLink() {
  const hide = [...$("hide-choices").querySelectorAll("input:checked")].map((i) => i.value);
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (hide.length) params.set("hide", hide.join(","));
  else params.delete("hide");
  const hash = params.toString();
  $("share-link").value = `${location.origin}${location.pathname}${hash ? `#${hash}` : ""}`;
}

async function copyLink() {
  const input = $("share-link");
  try {
    await navigator.clipboard.writeText(input.value);
    $("copy-link").textContent = "Copied";
  } catch {
    input.select();
    document.execCommand("copy");
    $("copy-link").textContent = "Copied";
  }
  setTimeout(() => { $("copy-link").textContent = "Copy link"; }, 1500);
}

// --------------------------------------------------------------------------- start

function chartWidth() {
  const host = $("chart");
  return Math.max(240, host.clientWidth || 320);
}

const network = new NetworkView($("network"), {
  onFocus(layer, unit) {
    const key = layer === null ? null : `${layer}:${unit}`;
    if (key === app.focus) return;
    app.focus = key;
    send(layer === null ? { type: "focus", layer: null } : { type: "focus", layer, unit });
  },
  onEdit({ layer, kind, row, col, value }) {
    const msg = { type: "edit", layer, kind, col, value };
    if (kind === "W") msg.row = row;
    send(msg);
  },
  onToggleFeature,
  onLayers,
  onNeurons,
});
const outputPlot = new OutputPlot($("output-plot"), 300, onPlotClick);
const chart = new LossChart($("chart"), chartWidth(), 150);
const hiddenPlot = new HiddenPlot($("hidden-plot"), 340, 280);
app.network = network;
app.outputPlot = outputPlot;
app.chart = chart;

wireControls();
$("copy-link").addEventListener("click", copyLink);
setPlaying("paused");
renderStageDots();
connect();

export { app };

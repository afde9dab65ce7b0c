// backprop-lab playground: the page. It draws what the server trains, over one WebSocket
// (/ws; the protocol is in docs and in src/backprop_lab/web/protocol.py). No build step:
// plain ES modules and uPlot (vendored, MIT).

import { barCss, classColor, fmt, intText, NEGATIVE, POSITIVE, toNumber } from "./colors.js";
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
// Epochs per screen update while playing: 10 lets the default XOR leave its plateau in about two
// seconds (1 takes about fourteen); a link's "speed" overrides it.
const DEFAULT_SPEED = 10;
const FOUR_POINTS = ["xor", "and", "or"];
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
  speed: DEFAULT_SPEED,
  gradientView: false,
  showTest: true,
  discrete: false,
  clickMode: "add",
  trace: null,
  traceStage: 0,
  traceUnit: 0, // the unit whose links carry numbers on a layer with many links
  traceWanted: null,
  findings: [],
  hide: [],
  focus: null,
  notFiniteUnits: 0,
  hiddenChoice: null, // the hidden-space view the user chose (null: the default)
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
    if (save.running) {
      finishStage(false);
      setSaving(false);
      saveTitle("Not saved", "error");
      saveLine("The connection to the server closed before the run was saved.", "error");
    }
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
    case "saving": onSaving(msg); break;
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

// A note as a student reads it: command-line flags become the names of the settings.
function friendlyNote(note) {
  const text = String(note);
  if (!/--[a-z]/.test(text)) return text;
  const names = [...text.matchAll(/--([a-z0-9_]+)/g)].map((m) => m[1]);
  const here = names.filter((n) => MORE_SETTINGS.includes(n));
  return `tuned by ${names.join(", ")}${here.length ? `; ${here.join(", ")} under More settings` : ""}`;
}

function choiceName(value) {
  return String(value).replace(/_/g, " ");
}

// The tooltip of a choice control: what it is, the current choice with its note, the default
// and why, and what the other choices are.
function choiceTooltip(key, value) {
  const o = app.options[key];
  if (!o) return "";
  const notes = notesOf(key);
  const describe = (v) => (notes[v] ? `${choiceName(v)} (${friendlyNote(notes[v])})` : choiceName(v));
  const help = String(o.help || key);
  const lines = [`${help.charAt(0).toUpperCase()}${help.slice(1)}: ${describe(value)}.`];
  if (o.default !== undefined && o.default !== null) {
    lines.push(`Default: ${choiceName(o.default)}${o.why ? `, ${o.why}` : ""}.`);
  }
  const others = (o.choices || []).filter((c) => c !== value).map(describe);
  if (others.length) lines.push(`The others: ${others.join("; ")}.`);
  return lines.join("\n");
}

const CHOICE_CONTROLS = [["activation", "activation"], ["loss", "loss"], ["optimizer", "optimizer"], ["setting-init", "init"]];

function updateChoiceTooltips() {
  for (const [id, key] of CHOICE_CONTROLS) {
    const select = $(id);
    if (!select || !app.options[key]) continue;
    let text = choiceTooltip(key, select.value);
    if (key === "loss" && app.state && app.state.task === "regression") text += "\nA regression (a number to predict) takes mse.";
    select.title = text;
    const holder = select.closest("label");
    if (holder) holder.title = text;
  }
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
  updateChoiceTooltips();
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
  // the link's setup: until its state arrives, the page does not write the default's into the
  // address bar (a reload in between would lose the link's setup)
  app.urlPending = Object.keys(fromUrl.settings).length > 0;
  app.statesSinceHello = 0;
  if (app.urlPending) send({ type: "configure", settings: fromUrl.settings, id: 1 });
  // the speed goes to the server with the first state, within that network's limit
  app.speedUnsent = true;
}

function fillSelect(select, values, notes = {}, labels = null) {
  const current = select.value;
  select.textContent = "";
  for (const v of values) {
    const option = document.createElement("option");
    option.value = String(v);
    option.textContent = labels ? labels(v) : String(v).replace("_", " ");
    if (notes[v]) option.title = friendlyNote(notes[v]);
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
  app.traceWanted = null;
  app.traceUnit = 0;
  // an edit goes on with the same run: the server sends new findings only when they change
  if (!keepCurve) renderFindings([]);
  app.lastFrame = null;
  app.notFiniteUnits = 0;
  app.focus = null; // the server forgets the hovered unit on every restart
  const s = msg.settings;
  buildNetwork();
  outputPlot.setState(msg);
  clearTrace();
  renderColourKey();
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
  const scoreWords = msg.task === "regression"
    ? "R² = 1 − Σ(y − ŷ)² / Σ(y − mean y)²: 1 is a perfect fit, 0 no better than the mean"
    : msg.sizes[msg.sizes.length - 1] === 1
      ? "accuracy: the share of points on their class's side of p = 0.5; an output of exactly 0.5 (undecided, a tie) counts as wrong"
      : "accuracy: the share of points whose likeliest class is theirs";
  const noTestWords = shownControl("test-fraction") ? "no test data: move the Test data slider (DATA) above 0%" : "no test data in this setup";
  $("test-loss").title = noTest ? noTestWords : "";
  $("test-score").title = noTest ? noTestWords : scoreWords;
  $("train-score").title = scoreWords;
  $("user-points").textContent = String(msg.user_points || 0);
  $("clear-points").disabled = !msg.user_points;
  const names = unitNames(msg);
  const weights = msg.sizes.slice(1).reduce((acc, n, l) => acc + n * msg.sizes[l] + n, 0);
  $("net-summary").textContent = `${msg.sizes.join(" → ")} · ${s.activation} · ${weights} weights and biases`;
  $("net-summary").title = `layers: ${names.map((layer) => layer.join(", ")).join(" | ")}`;
  $("trace-sample").max = String(Math.max(0, msg.train.x.length - 1));
  if (Number($("trace-sample").value) > msg.train.x.length - 1) $("trace-sample").value = "0";
  updateClickHelp();
  app.statesSinceHello = (app.statesSinceHello || 0) + 1;
  if (app.urlPending && (msg.id === 1 || app.statesSinceHello >= 2)) app.urlPending = false;
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
  outputPlot.resize(plotSize());
  if (!app.state) return;
  if ($("network").clientWidth !== app.networkWidth) {
    buildNetwork();
    if (app.lastFrame) network.update(app.lastFrame);
    if (app.trace) { fitTraceText(); renderTrace(); }
  }
  chart.resize(chartWidth());
  outputPlot.resize(plotSize());
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
  // the four points of XOR, AND and OR are fixed: no noise, no sample size, nothing to redraw
  const four = FOUR_POINTS.includes(s.dataset);
  const gate = s.dataset.toUpperCase();
  for (const id of ["noise", "points-n", "regenerate"]) {
    const el = $(id);
    el.disabled = four;
    const holder = el.closest(".slider") || el;
    holder.classList.toggle("disabled", four);
    holder.title = four ? `the four points of ${gate} have no noise or sample size` : holder.dataset.title || holder.title;
  }
  const note = $("four-points-note");
  note.hidden = !four || !["noise", "points-n", "regenerate"].some(shownControl);
  note.textContent = four ? `The four points of ${gate} have no noise or sample size: Noise, Points and Regenerate apply to the other datasets.` : "";
  const nTrain = st.train.x.length;
  const batches = BATCHES.filter((b) => b < nTrain);
  fillSelect($("batch-size"), ["full"].concat(batches.map(String)), {}, (v) => (v === "full" ? `full (${nTrain})` : v));
  $("batch-size").title = `samples per gradient step; full = the whole training set (${nTrain}) every step`;
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
    app.speedUnsent = false;
  } else if (app.speedUnsent) {
    send({ type: "speed", epochs: app.speed });
    app.speedUnsent = false;
  }
  if (!speeds.includes(app.speed)) speeds.push(app.speed);
  speeds.sort((a, b) => a - b);
  fillSelect($("speed"), speeds.map(String), {}, (v) => v);
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
  updateChoiceTooltips();
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
      toast("The network needs at least one input: switch another feature on first.", "info");
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
  if (app.status === "diverged") {
    // the server trains a diverged run no further: say so here instead of asking it
    const ways = [];
    if (shownControl("reset")) ways.push("reset it (↺, the same starting weights)");
    if (shownControl("learning-rate")) ways.push("choose a smaller learning rate");
    toast(ways.length ? `The run diverged: ${ways.join(" or ")} to train again.` : "The run diverged: it trains no further.", "info");
    const reset = $("reset");
    reset.classList.remove("pulse");
    void reset.offsetWidth; // restart the animation
    reset.classList.add("pulse");
    return;
  }
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
  $("reset").addEventListener("animationend", () => $("reset").classList.remove("pulse"));
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
    if (app.lastFrame && app.lastFrame.hidden) drawHidden(app.lastFrame.hidden);
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
  $("save-run").addEventListener("click", startSave);
  $("save-status").querySelector(".close").addEventListener("click", () => { $("save-status").hidden = true; });
  $("share").addEventListener("click", openShare);
  $("findings-badge").addEventListener("click", () => {
    const panel = $("diag-panel");
    panel.scrollIntoView({ block: "start", behavior: "smooth" });
    panel.focus({ preventScroll: true });
  });
  // step-through
  $("step-forward").addEventListener("click", () => traceStep(+1));
  $("step-back").addEventListener("click", () => traceStep(-1));
  $("trace-close").addEventListener("click", endTrace);
  $("trace-unit").addEventListener("change", (e) => {
    app.traceUnit = Number(e.target.value) || 0;
    renderTrace();
  });
  $("trace-sample").addEventListener("change", () => requestTrace(Number($("trace-sample").value), 0));
  // hidden space
  for (const id of ["hidden-layer", "hidden-mode", "hidden-unit-a", "hidden-unit-b"]) {
    $(id).addEventListener("change", chooseHiddenView);
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
      toast("Click on a training point (a dot with a white edge) to trace it.", "info");
      return;
    }
    $("trace-sample").value = String(sample);
    setClickMode("add");
    requestTrace(sample, 0);
    $("trace-text").scrollIntoView({ block: "nearest", behavior: "smooth" });
    return;
  }
  if (st.dims !== 2) {
    toast("Points can be added only to a dataset with two inputs (a plane).", "info");
    return;
  }
  const label = st.task === "regression" ? (shift ? -1 : 1) : shift ? 0 : 1;
  send({ type: "add_point", x: [x, y], label });
}

// --------------------------------------------------------------------------- frames

let chartTimer = 0;
let chartLate = 0;

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
  clearTimeout(chartLate);
  if (now - chartTimer > 120 || f.status !== "playing") {
    chart.flush();
    chartTimer = now;
  } else {
    // the last points of a run that stops between two redraws still get drawn
    chartLate = setTimeout(() => { chart.flush(); chartTimer = performance.now(); }, 150);
  }
  const broken = (v) => v !== null && !Number.isFinite(v);
  let nanText = null;
  if (broken(trainLoss) || f.status === "diverged") {
    nanText = `training loss: ${fmt(f.train_loss)} — the network diverged; the live diagnosis says why and what to try.`;
  } else if (broken(testLoss)) {
    nanText = `test loss: ${fmt(f.test_loss)}`;
  }
  const notFinite = (f.maps && f.maps.not_finite) || null;
  const outputNotFinite = !!(notFinite && notFinite.output);
  if (outputNotFinite && !nanText) {
    nanText = "The network's output is NaN or infinite over the plane (hatched): its weights overflowed.";
  }
  if (f.maps && f.maps.output && st) {
    outputBytes = decodeBase64(f.maps.output, outputBytes);
    outputPlot.drawMap(outputBytes, nanText, outputNotFinite);
  }
  network.update(f);
  app.notFiniteUnits = network.notFiniteUnits || 0;
  renderNetLegend();
  updateScoreNote(f);
  if (Array.isArray(f.findings)) renderFindings(f.findings);
  else if (!app.findings.length) {
    // nothing found: the words follow the epoch (before any training, after some)
    const none = $("findings").querySelector(".none");
    if (none) setText(none, noFindingsText(f.epoch));
  }
  if (f.hidden) {
    app.hiddenMisses = 0;
    // drawn every frame on screen; scrolled away (as while training plays) twice a second
    app.hiddenLatest = f.hidden;
    const now2 = performance.now();
    if (app.hiddenOnScreen || !app.hiddenDrawn || now2 - app.hiddenDrawn > 500) {
      drawHidden(f.hidden);
      app.hiddenDrawn = now2;
    }
  } else if (f.hidden === null && $("hidden-layer").value !== "" && app.hiddenAsked) {
    // a frame already on its way when the view was asked for carries none: wait for the next
    app.hiddenMisses = (app.hiddenMisses || 0) + 1;
    if (app.hiddenMisses > 1) hiddenPlot.empty("no view of this layer now (it needs two units and finite values)");
  }
  // step-through: keep the numbers current when training moved while paused
  if (app.trace && f.status !== "playing" && app.trace.epoch !== undefined && f.epoch !== app.trace.epoch && app.traceWanted === null) {
    requestTrace(app.trace.sample, app.traceStage);
  }
}

let outputBytes = null;

// An accuracy of 0 when every output is exactly 0.5 (a tie counts as wrong): say so.
function updateScoreNote(f) {
  const st = app.state, note = $("score-note");
  let text = "";
  if (st && st.task === "classification" && st.sizes[st.sizes.length - 1] === 1 && toNumber(f.train_score) === 0 && outputBytes && !(f.maps && f.maps.not_finite && f.maps.not_finite.output)) {
    let undecided = true;
    for (let i = 0; i < outputBytes.length; i++) {
      if (outputBytes[i] < 127 || outputBytes[i] > 128) { undecided = false; break; }
    }
    if (undecided) text = "(all outputs undecided: every p is 0.5, and a tie counts as wrong)";
  }
  note.hidden = !text;
  if (note.textContent !== text) note.textContent = text;
}

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

function gradientBar(lo, mid, hi, caption, kind = "probability", k = 0) {
  return `<div class="bar-wrap"><div class="bar" style="background:${barCss(kind, k)}"></div><div class="bar-ticks"><span>${lo}</span><span>${mid}</span><span>${hi}</span></div></div>${caption ? `<div class="bar-caption">${caption}</div>` : ""}`;
}

const POS = `<span class="pos-text">purple</span>`;
const NEG = `<span class="neg-text">green</span>`;

// Is this control shown (not hidden by a classroom link)?
function shownControl(name) {
  return !app.hide.includes(name);
}

function pointsKey(st) {
  const parts = ["<span class=\"pt train\"></span> training point", "<span class=\"pt test\"></span> test point (black edge)"];
  if (st.user_points) parts.push("<span class=\"pt mine\"></span> a point you added");
  return `<div class="bar-caption points-key">${parts.join(" · ")}</div>`;
}

function renderOutputLegend() {
  const st = app.state, el = $("output-legend");
  if (!st) return;
  const [lo, hi] = st.output_range;
  const K = st.sizes[st.sizes.length - 1];
  let html;
  if (st.dims === 1) {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    html = `<div class="bar-caption">black curve: the network's prediction ŷ along x1 (across), value up; dots: the data, coloured by their target y (blue ${fmt(-m, 2)}, white 0, red ${fmt(m, 2)})</div>`;
  } else if (st.task === "regression") {
    const m = Math.max(Math.abs(lo), Math.abs(hi));
    html = gradientBar(fmt(-m, 3), "0", fmt(m, 3), "background: the network's prediction ŷ (blue low, white 0, red high), drawn pale; the points: their target y on the same colours", "value");
  } else if (K === 1) {
    html = gradientBar("0", "0.5", "1", "background: p(class 1), drawn pale: blue = class 0, white = undecided (0.5), orange = class 1", "probability");
  } else {
    const names = st.class_names && st.class_names.length ? st.class_names : Array.from({ length: K }, (_, k) => String(k));
    html = `<div class="class-keys">${names.map((n, k) => `<span><i style="background:${classColor(k)}"></i>class ${n}</span>`).join("")}</div><div class="bar-caption">background: the likeliest class's colour, paler where the network is less sure (and drawn pale under the points)</div>`;
  }
  html += pointsKey(st);
  if (el.innerHTML !== html) el.innerHTML = html;
}

// The legend under the diagram: what its colours and widths show NOW (weights, the gradient
// view's gradients, or the step-through's numbers), one sentence per meaning.
function renderNetLegend() {
  const el = $("net-legend");
  const st = app.state;
  if (!st) return;
  const net = network;
  const L = st.sizes.length - 1, K = st.sizes[L];
  const trace = app.traceLegend; // the step-through's stage: {linksShow, layer}
  const lines = [];
  const edit = shownControl("features") ? " Click a link or a bias square to edit it, a feature to switch it on or off; hover for the numbers." : " Click a link or a bias square to edit it; hover for the numbers.";
  if (trace && trace.linksShow === "gradients") {
    lines.push(`<b>Step-through:</b> layer ${trace.layer}'s links show this sample's gradients ∂l/∂w (their numbers): ${POS} = positive, ${NEG} = negative, width = size (the widest ${fmt(net.maxTraceGrad, 4)}); the other links show weights.`);
  } else if (trace) {
    lines.push(`<b>Step-through:</b> the links show the weights: ${POS} = positive, ${NEG} = negative, width = |w| (the widest ${fmt(net.maxWeight, 4)})${app.gradientView ? "; the gradient view is back when the step-through ends" : ""}.`);
  } else if (app.gradientView) {
    lines.push(`<b>Gradient view.</b> Links show ∂L/∂w, the gradient of the training loss for each weight: ${POS} = positive, ${NEG} = negative; the widest link is |∂L/∂w| = <b data-testid="max-grad">${fmt(net.maxGrad, 4)}</b>.`);
    lines.push(`A unit's bias square and ring show its δ = ∂L/∂b (mean over the data), same colours; the widest ring is |δ| = <b>${fmt(net.maxDelta, 4)}</b>. A step of gradient descent moves each weight against its gradient.`);
  } else {
    lines.push(`Links: ${POS} = positive weight, ${NEG} = negative, width = |w| (the widest: |w| = <b data-testid="max-weight">${fmt(net.maxWeight, 4)}</b>); the small bias squares alike.${edit}`);
  }
  let bars = "";
  // during the step-through the pictures' colour bars give way to its text (the key below has them)
  if (st.dims === 2 && !trace) {
    const [ulo, uhi] = Array.isArray(st.unit_range[0]) ? st.unit_range[0] : st.unit_range;
    const [olo, ohi] = st.output_range;
    const parts = [];
    if (L > 1) parts.push(`<div>${gradientBar(fmt(ulo, 2), "", fmt(uhi, 2), "hidden units: their output a, dark blue low, yellow high", "unit")}</div>`);
    if (st.task === "regression") {
      const m = Math.max(Math.abs(olo), Math.abs(ohi));
      parts.push(`<div>${gradientBar(fmt(-m, 2), "0", fmt(m, 2), "output: the prediction ŷ, blue low, white 0, red high", "value")}</div>`);
    } else if (K === 1) {
      parts.push(`<div>${gradientBar("0", "0.5", "1", "output: p(class 1), blue class 0, white undecided, orange class 1", "probability")}</div>`);
    } else {
      const bars = Array.from({ length: K }, (_, k) => `<span style="background:${barCss("class", k)}"></span>`).join("");
      parts.push(`<div><div class="bar-wrap"><div class="bar multi">${bars}</div><div class="bar-ticks"><span>0</span><span>1</span></div></div><div class="bar-caption">output k: p(class k), white 0 to class k's colour 1</div></div>`);
    }
    bars = `<div class="legend-bars">${parts.join("")}</div>`;
  } else if (st.dims !== 2) {
    const [ulo, uhi] = Array.isArray(st.unit_range[0]) ? st.unit_range[0] : st.unit_range;
    const [olo, ohi] = st.output_range;
    lines.push(`Each unit's picture is a curve: its output (up) along x1 (across), from ${fmt(ulo, 2)} (bottom) to ${fmt(uhi, 2)} (top) for hidden units, ${fmt(olo, 2)} to ${fmt(ohi, 2)} for the output; hover a unit for the numbers.`);
  }
  let html = `${bars}<div class="legend-line">${lines.join(" ")}</div>`;
  if (net.deadUnits > 0) {
    html += `<div class="legend-line dead-line" data-testid="dead-legend"><span class="swatch dead"></span> <b>dead</b>: ${net.deadUnits} unit${net.deadUnits === 1 ? " outputs" : "s output"} exactly 0 for every training input (a dead ReLU): no gradient reaches ${net.deadUnits === 1 ? "its" : "their"} weights, so ${net.deadUnits === 1 ? "it has" : "they have"} stopped learning.</div>`;
  }
  if (app.notFiniteUnits > 0) {
    html += `<div class="legend-line nan-line" data-testid="nan-legend"><span class="swatch hatch"></span> <b>Hatched</b> = NaN or infinite: ${app.notFiniteUnits} unit${app.notFiniteUnits === 1 ? "'s" : "s'"} output overflowed, so ${app.notFiniteUnits === 1 ? "it has" : "they have"} no colour; red dashed links and bias squares hold NaN too. The live diagnosis says why.</div>`;
  }
  if (el.innerHTML !== html) el.innerHTML = html;
}

// The colour key under the diagnosis: every colour of the page, one sentence each.
function renderColourKey() {
  const st = app.state, el = $("colour-key");
  if (!st) return;
  const K = Math.max(2, st.task === "classification" ? st.sizes[st.sizes.length - 1] : 2);
  const classes = Array.from({ length: Math.max(K, 2) }, (_, k) => `<span><i style="background:${classColor(k)}"></i>${k}</span>`).join("");
  const row = (swatch, text) => `<div class="key-row"><div class="key-swatch">${swatch}</div><div>${text}</div></div>`;
  const bar = (kind, k = 0) => `<span class="key-bar" style="background:${barCss(kind, k)}"></span>`;
  el.innerHTML = [
    row(`<span class="class-keys">${classes}</span>`, "Classes (points, and the output plot's areas): class 0 blue, class 1 orange, then green, pink, sky blue, vermilion, yellow, black (the Okabe-Ito colours)."),
    row(bar("probability"), "p(class 1) of a two-class network: blue = class 0, white = undecided (0.5), orange = class 1."),
    row(bar("class", 2), "A softmax output k's picture: white (p = 0) to class k's colour (p = 1)."),
    row(bar("weight"), `Weights, biases and their gradients (links, bias squares, δ rings): <span class="pos-text">purple</span> positive, <span class="neg-text">green</span> negative, white 0.`),
    row(bar("unit"), "A hidden unit's or an input's picture: dark blue = low, yellow = high (cividis)."),
    row(bar("value"), "A regression's value (prediction or target): blue low, white 0, red high."),
    row(`<span class="pt train"></span><span class="pt test"></span><span class="pt mine"></span>`, "Points: training (white edge), test (black edge), added by you (square)."),
    row(`<span class="swatch hatch"></span><span class="swatch dead"></span>`, "Red-striped: NaN or infinite (no colour); grey cross-hatched: a dead unit."),
  ].join("");
}

// --------------------------------------------------------------------------- findings

const SEVERITY_ORDER = { error: 0, critical: 0, problem: 0, warning: 1, warn: 1, info: 2, note: 2, ok: 3, good: 3 };

function noFindingsText(epoch) {
  return epoch > 0 ? "No problems found so far." : "Nothing to report yet: press play.";
}

// The badge beside the epoch counter: how many findings there are and the worst one's severity.
function renderFindingsBadge(findings) {
  const badge = $("findings-badge");
  if (!findings.length) {
    badge.hidden = true;
    return;
  }
  const worst = findings.reduce((w, f) => ((SEVERITY_ORDER[String(f.severity).toLowerCase()] ?? 2) < (SEVERITY_ORDER[w] ?? 2) ? String(f.severity).toLowerCase() : w), "ok");
  badge.hidden = false;
  badge.className = `findings-badge sev-${worst}`;
  badge.textContent = `${findings.length} finding${findings.length === 1 ? "" : "s"} · ${worst}`;
  badge.title = `${findings.map((f) => `${f.severity}: ${String(f.code).replace(/_/g, " ")}`).join("\n")}\nclick to read them in the live diagnosis`;
}

function renderFindings(findings) {
  app.findings = findings;
  renderFindingsBadge(findings);
  const ul = $("findings");
  ul.textContent = "";
  const epoch = app.lastFrame ? app.lastFrame.epoch : 0;
  if (!findings.length) {
    const li = document.createElement("li");
    li.className = "none";
    li.textContent = noFindingsText(epoch);
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
  fitTraceText();
  renderTrace();
}

// The text box keeps one height through the stages (the tallest stage's, up to its maximum),
// so that the buttons and the stage line stay where they are while one steps through.
function fitTraceText() {
  const t = app.trace, st = app.state, pre = $("trace-text");
  pre.style.minHeight = "";
  if (!t || !st) return;
  const names = unitNames(st);
  let tallest = 0;
  app.traceNeedsPick = false;
  for (let k = 0; k < stageCount(t); k++) {
    const d = describeStage(t, k, names, st, app.traceUnit);
    if (d.labels.group && d.labels.group.unit !== null) app.traceNeedsPick = true;
    pre.textContent = d.lines.join("\n");
    tallest = Math.max(tallest, pre.scrollHeight);
  }
  // "links of" keeps its place through the trace when some stage needs it
  $("trace-unit-pick").hidden = !app.traceNeedsPick;
  const cap = parseFloat(getComputedStyle(pre).maxHeight) || 300;
  pre.style.minHeight = `${Math.min(tallest + 2, cap)}px`;
}

// The step-through's text and the diagram together on the screen: from the diagram's top to
// the panel's bottom when that fits the window, else the whole panel with as much of the
// diagram as fits above it.
function showTracePanel() {
  const panel = $("trace-panel"), net = $("network");
  const top = net.getBoundingClientRect().top - 30, bottom = panel.getBoundingClientRect().bottom + 8;
  let by = 0;
  if (bottom - top <= window.innerHeight) {
    if (top < 0) by = top;
    else if (bottom > window.innerHeight) by = bottom - window.innerHeight;
  } else {
    by = bottom - window.innerHeight;
  }
  if (Math.abs(by) >= 1) window.scrollBy({ top: by, behavior: "instant" });
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

function traceHint() {
  const pick = shownControl("add-points") ? ", or press “Pick a sample to trace instead” under the output plot and click a point" : "";
  return `Choose a training sample (its number above${pick}), then press forward ▶ to walk the forward pass layer by layer and back: the numbers go onto the diagram and each formula is written out with them.`;
}

function clearTrace() {
  app.trace = null;
  app.traceNeedsPick = false;
  $("trace-text").style.minHeight = "";
  app.traceLegend = null;
  $("trace-unit-pick").hidden = true;
  network.setTrace(null);
  outputPlot.setHighlight(null);
  $("trace-stage").textContent = "not started: press forward ▶";
  $("trace-text").textContent = traceHint();
  renderStageDots();
  renderNetLegend();
}

function endTrace() {
  clearTrace();
}

function renderTrace() {
  const t = app.trace, st = app.state;
  if (!t || !st) return;
  const names = unitNames(st);
  const d = describeStage(t, app.traceStage, names, st, app.traceUnit);
  network.setTrace(d.labels);
  app.traceLegend = { linksShow: d.labels.linksShow, layer: d.labels.linkGrad ? d.labels.linkGrad.layer : null };
  renderNetLegend();
  // a layer with many links: its numbers go on one unit's links at a time, chosen here
  const group = d.labels.group;
  const pick = $("trace-unit-pick"), select = $("trace-unit");
  const picking = !!group && group.unit !== null;
  pick.hidden = !picking && !app.traceNeedsPick;
  pick.style.visibility = picking ? "visible" : "hidden";
  if (picking) {
    const unitNamesOfLayer = names[group.unitLayer];
    const key = `${group.unitLayer}:${group.by}:${unitNamesOfLayer.length}`;
    if (select.dataset.key !== key) {
      select.dataset.key = key;
      select.textContent = "";
      unitNamesOfLayer.forEach((name, j) => {
        const option = document.createElement("option");
        option.value = String(j);
        option.textContent = group.by === "target" ? `into ${name}` : `out of ${name}`;
        select.append(option);
      });
    }
    select.value = String(group.unit);
  }
  const total = stageCount(t);
  const stageText = `step ${app.traceStage + 1} of ${total}: ${d.title}${t.epoch !== undefined ? ` · weights of epoch ${t.epoch}` : ""}`;
  $("trace-stage").textContent = stageText;
  $("trace-stage").title = stageText;
  $("trace-text").textContent = d.lines.join("\n");
  $("step-back").disabled = app.traceStage === 0;
  $("step-forward").disabled = app.traceStage === total - 1;
  renderStageDots();
  showTracePanel();
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
    dot.title = s <= L ? "forward" : "backward";
    host.append(dot);
  }
}

// --------------------------------------------------------------------------- hidden space

// The server's axis names in the diagram's words: "h1_3 (hidden layer 1, unit 3)",
// "principal direction 1: 45% of the layer's spread".
function hiddenAxisName(text) {
  const st = app.state;
  const unit = /^unit (\d+) of layer (\d+)$/.exec(text);
  if (unit && st) {
    const i = Number(unit[1]), l = Number(unit[2]);
    const name = unitNames(st)[l] && unitNames(st)[l][i - 1];
    if (name) return `${name} (hidden layer ${l}, unit ${i})`;
  }
  const pc = /^principal direction (\d+) \((\d+)%\)$/.exec(text);
  if (pc) return `principal direction ${pc[1]} (${pc[2]}% of the spread)`;
  return text;
}

function drawHidden(hidden) {
  if (!app.state || !hidden) return;
  const axes = (hidden.axes || []).map(hiddenAxisName);
  hiddenPlot.draw({ ...hidden, axes }, app.state, app.showTest);
  const note = $("hidden-note");
  const text = hidden.mode === "pca"
    ? "Principal directions: the two directions along which this layer's outputs spread most; the percentage is each one's share of the layer's spread (its variance), so together they show that much of it."
    : "Each axis is one unit's output a (its value for each point), named as on the diagram.";
  if (note.textContent !== text) note.textContent = text;
}

// The view shown: the user's own choice (kept across frames and restarts) or, until they make
// one, hidden layer 1 on its first two units. When the layers change, the choice falls back to
// the nearest layer that still exists and to units that still exist.
function hiddenChoice(st) {
  const L = st.sizes.length - 1;
  const layers = Array.from({ length: Math.max(0, L - 1) }, (_, k) => k + 1);
  if (!layers.length) return { layer: null, mode: "units", units: [0, 1] };
  const chosen = app.hiddenChoice;
  if (chosen && chosen.layer === null) return { layer: null, mode: chosen.mode, units: chosen.units };
  let layer, mode = "units", units = [0, 1];
  if (chosen) {
    layer = Math.min(chosen.layer, L - 1);
    mode = chosen.mode;
    units = chosen.units.slice();
  } else {
    layer = layers.find((l) => st.sizes[l] >= 2) || 1;
  }
  const n = st.sizes[layer];
  if (mode === "pca" && n < 2) mode = "units"; // one unit has no two directions
  let [a, b] = units;
  if (!(a < n)) a = 0;
  if (!(b < n)) b = Math.min(1, n - 1);
  if (a === b && n >= 2) b = a === 0 ? 1 : 0;
  return { layer, mode, units: [a, b] };
}

function buildHiddenControls() {
  const st = app.state;
  const select = $("hidden-layer");
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
  select.title = L === 1 ? `this network has no hidden layer${shownControl("hidden-layers") ? ": add one with + above the diagram" : ""}` : "";
  select.disabled = L === 1;
  const view = hiddenChoice(st);
  select.value = view.layer === null ? "" : String(view.layer);
  $("hidden-mode").value = view.mode;
  fillUnitSelects(view.units);
  sendHiddenView();
}

function fillUnitSelects(units = null) {
  const st = app.state;
  const l = Number($("hidden-layer").value);
  const n = l ? st.sizes[l] : 0;
  // principal directions need two units
  const pca = $("hidden-mode").querySelector('option[value="pca"]');
  pca.disabled = n < 2;
  pca.title = n < 2 ? "a layer of one unit has no two directions" : "";
  if (n < 2 && $("hidden-mode").value === "pca") $("hidden-mode").value = "units";
  const names = l ? unitNames(st)[l] : [];
  [["hidden-unit-a", 0], ["hidden-unit-b", 1]].forEach(([id, fallback], k) => {
    const select = $(id);
    const previous = units ? String(units[k]) : select.value;
    select.textContent = "";
    for (let j = 0; j < n; j++) {
      const option = document.createElement("option");
      option.value = String(j);
      option.textContent = names[j] || `unit ${j + 1}`;
      option.title = `hidden layer ${l}, unit ${j + 1}`;
      select.append(option);
    }
    select.value = previous !== "" && Number(previous) < n ? previous : String(Math.min(fallback, Math.max(0, n - 1)));
  });
  disableSameUnit();
}

// One unit cannot be both axes: each list greys out the other's unit.
function disableSameUnit() {
  const a = $("hidden-unit-a"), b = $("hidden-unit-b");
  if (a.options.length >= 2 && a.value === b.value) b.value = String(a.value === "0" ? 1 : 0);
  for (const [select, other] of [[a, b], [b, a]]) {
    for (const option of select.options) {
      const same = option.value === other.value && select.options.length >= 2;
      option.disabled = same;
      option.title = same ? "already the other axis" : option.title.replace("already the other axis", "");
    }
  }
}

// The user changed a control of the view: remember it, then ask for it.
function chooseHiddenView(event) {
  if (!app.state) return;
  if (event && event.target && event.target.id === "hidden-layer") {
    const l = Number($("hidden-layer").value);
    const n = l ? app.state.sizes[l] : 0;
    fillUnitSelects([0, Math.min(1, Math.max(0, n - 1))]);
  } else {
    disableSameUnit();
  }
  const layer = $("hidden-layer").value;
  app.hiddenChoice = {
    layer: layer === "" ? null : Number(layer),
    mode: $("hidden-mode").value,
    units: [Number($("hidden-unit-a").value) || 0, Number($("hidden-unit-b").value) || 0],
  };
  sendHiddenView();
}

function sendHiddenView() {
  if (!app.state) return;
  const layer = $("hidden-layer").value;
  const mode = $("hidden-mode").value;
  document.querySelector(".units-pick").hidden = mode !== "units" || !layer;
  $("hidden-mode").disabled = !layer;
  if (!layer) {
    if (app.hiddenAsked) send({ type: "hidden_view", layer: null });
    app.hiddenAsked = false;
    hiddenPlot.empty(app.state.sizes.length > 2 ? "off: choose a hidden layer" : "this network has no hidden layer");
    return;
  }
  app.hiddenAsked = true;
  app.hiddenMisses = 0;
  app.hiddenLatest = null;
  app.hiddenDrawn = 0; // the next view is drawn at once, on screen or not
  const message = { type: "hidden_view", layer: Number(layer), mode };
  if (mode === "units") message.units = [Number($("hidden-unit-a").value) || 0, Number($("hidden-unit-b").value) || 0];
  send(message);
  hiddenPlot.empty("waiting for the next update…");
}

// --------------------------------------------------------------------------- saving, errors

// Saving: the server trains the run again and draws its report (10-20 s). The box in the
// corner lists its stages as they arrive, the one under way with its seconds, then where the
// run folder is and a link to its report.
const save = { running: false, started: 0, current: null, timer: null };

function saveBox() {
  const box = $("save-status");
  return { box, title: box.querySelector(".save-title"), lines: box.querySelector(".save-lines") };
}

function saveTitle(text, kind) {
  const { title } = saveBox();
  title.textContent = text;
  title.className = `save-title ${kind}`;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

// Close the stage under way: ✓ (or ✗) and how long it took.
function finishStage(ok = true) {
  const line = save.current;
  if (!line) return;
  line.classList.remove("running");
  line.classList.add(ok ? "complete" : "failed");
  line.querySelector(".mark").textContent = ok ? "✓" : "✗";
  line.querySelector(".time").textContent = seconds(performance.now() - line.started);
  save.current = null;
}

function stageLine(text) {
  finishStage(true);
  const line = document.createElement("li");
  line.className = "save-line stage running";
  line.setAttribute("data-testid", "save-stage");
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.setAttribute("aria-hidden", "true");
  const words = document.createElement("span");
  words.className = "words";
  words.textContent = text;
  const time = document.createElement("span");
  time.className = "time";
  line.append(mark, words, time);
  line.started = performance.now();
  saveBox().lines.append(line);
  save.current = line;
  tickSave();
}

function tickSave() {
  if (save.current) save.current.querySelector(".time").textContent = seconds(performance.now() - save.current.started);
  if (save.running) saveTitle(`Saving the run… ${Math.floor((performance.now() - save.started) / 1000)} s`, "running");
}

function setSaving(running) {
  save.running = running;
  const button = $("save-run");
  button.disabled = running;
  button.textContent = running ? "Saving…" : "Save run";
  button.setAttribute("aria-busy", String(running));
  clearInterval(save.timer);
  save.timer = running ? setInterval(tickSave, 200) : null;
}

function startSave() {
  const { box, lines } = saveBox();
  box.hidden = false;
  lines.textContent = "";
  save.current = null;
  const f = app.lastFrame;
  const epochs = f ? toNumber(f.run_epoch ?? f.epoch) : 0;
  if (f && epochs === 0 && f.status !== "diverged") {
    // the server saves a training, and there is none yet: say so here
    saveTitle("Nothing to save yet", "error");
    saveLine("Train at least one epoch first (press play or step): a saved run is a training, with its report.", "error");
    return;
  }
  if (!send({ type: "save" })) {
    saveTitle("Not saved", "error");
    saveLine("Not connected to the server.", "error");
    return;
  }
  save.started = performance.now();
  save.epochs = epochs;
  setSaving(true);
  saveTitle("Saving the run…", "running");
}

function onSaving(msg) {
  const { box } = saveBox();
  box.hidden = false;
  if (!save.running) {
    save.started = performance.now();
    setSaving(true);
  }
  const text = msg.message || "saving…";
  // the first line says what saving does ("saving N epochs: ..."); the stages follow it
  if (/^saving\b/i.test(text) && !saveBox().lines.querySelector(".stage")) saveLine(text, "progress");
  else stageLine(text);
}

function saveLine(text, kind) {
  const { box, lines } = saveBox();
  box.hidden = false;
  const line = document.createElement("li");
  line.className = `save-line ${kind}`;
  line.textContent = text;
  lines.append(line);
  return line;
}

// A local path as a file:// URL (POSIX or Windows).
function fileUrl(path) {
  let p = String(path).replace(/\\/g, "/");
  if (!p.startsWith("/")) p = `/${p}`;
  return `file://${encodeURI(p).replace(/#/g, "%23").replace(/\?/g, "%3F")}`;
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

function copyButton(text, label) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "text-btn small copy";
  button.textContent = label;
  button.addEventListener("click", async () => {
    button.textContent = (await copyText(text)) ? "copied" : "select and copy it";
    setTimeout(() => { button.textContent = label; }, 1600);
  });
  return button;
}

function onSaved(msg) {
  finishStage(true);
  const took = save.started ? ` in ${seconds(performance.now() - save.started)}` : "";
  setSaving(false);
  saveTitle(`Saved${took}`, "done");
  const { lines } = saveBox();
  if (msg.path) {
    const line = document.createElement("li");
    line.className = "save-line done";
    line.setAttribute("data-testid", "saved-path");
    line.append("Saved to ");
    const code = document.createElement("code");
    code.textContent = msg.path;
    line.append(code);
    lines.append(line);
  } else if (msg.message) {
    saveLine(msg.message, "done");
  }
  const epochs = toNumber(msg.epochs ?? save.epochs);
  const counting = () => {
    if (!(epochs > 0)) return;
    const note = document.createElement("li");
    note.className = "save-line note";
    note.setAttribute("data-testid", "saved-epochs");
    note.textContent = `This page counted ${epochs} epoch${epochs === 1 ? "" : "s"}; the report counts epochs from 0: its last epoch is ${epochs - 1}.`;
    lines.append(note);
  };
  if (msg.url) {
    // the server serves saved runs (read only) at /runs/...: the report opens in a new tab
    const href = new URL(msg.url, location.href).href;
    const line = document.createElement("li");
    line.className = "save-line report";
    line.append("Report: ");
    const link = document.createElement("a");
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "open report.html in a new tab";
    link.setAttribute("data-testid", "report-link");
    link.title = href;
    line.append(link);
    lines.append(line);
    counting();
  } else if (msg.report) {
    const url = fileUrl(msg.report);
    const line = document.createElement("li");
    line.className = "save-line report";
    line.append("Report: ");
    const link = document.createElement("a");
    link.href = url;
    link.textContent = url;
    link.setAttribute("data-testid", "report-link");
    link.title = "browsers do not open a local file from a web page: this copies the link; paste it into the address bar";
    const copy = copyButton(url, "copy link");
    link.addEventListener("click", async (event) => {
      // a page served over http may not open file:// links: copy it for the address bar instead
      event.preventDefault();
      copy.textContent = (await copyText(url)) ? "copied" : "select and copy it";
      setTimeout(() => { copy.textContent = "copy link"; }, 1600);
    });
    line.append(link, " ", copy);
    lines.append(line);
    const note = document.createElement("li");
    note.className = "save-line note";
    note.textContent = "Open report.html in your browser: copy the link into the address bar (a web page may not open local files itself).";
    lines.append(note);
    counting();
  }
}

function onError(msg) {
  app.errors.push(msg);
  if (msg.about === "save") {
    finishStage(false);
    setSaving(false);
    saveTitle("Not saved", "error");
    saveLine(msg.message, "error");
  }
  else toast(msg.message || "The server answered with an error.");
  if (msg.about === "configure" || msg.about === "add_point") syncControls();
  if (msg.about === "configure" && app.urlPending) {
    app.urlPending = false; // the link's setup was refused (the toast says why): the page's own goes in
    writeUrl();
  }
  if (msg.about === "trace") app.traceWanted = null;
}

function toast(text, kind = "error") {
  const host = $("toasts");
  const el = document.createElement("div");
  el.className = `toast ${kind}`;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
  el.setAttribute("data-testid", kind === "error" ? "error-toast" : "info-toast");
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
  setTimeout(() => el.remove(), kind === "error" ? 9000 : 6000);
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
  if (!st || app.urlPending) return;
  const params = new URLSearchParams();
  for (const key of SETTING_KEYS) {
    const v = st.settings[key];
    if (v === undefined) continue;
    const def = optionDefault(key);
    const normal = key === "hidden" && Array.isArray(def) ? def : def;
    if (!sameValue(v, normal)) params.set(key, encodeSetting(key, v));
  }
  const points = st.settings.points || [];
  // at full precision: the link gives the same dataset, so the same training
  if (points.length) params.set("points", points.map((p) => p.map((v) => String(Number(v))).join(",")).join(";"));
  if (app.speed !== DEFAULT_SPEED) params.set("speed", String(app.speed));
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
  onTraceUnit(unit) {
    app.traceUnit = unit;
    renderTrace();
  },
});
// the output plot: 300 px, 250 px in a narrow window (the three columns shrink to fit 1024 px)
const plotSize = () => (window.innerWidth <= 1250 ? 250 : 300);
const outputPlot = new OutputPlot($("output-plot"), plotSize(), onPlotClick);
const chart = new LossChart($("chart"), chartWidth(), 150);
const hiddenPlot = new HiddenPlot($("hidden-plot"), 340, 280);
app.network = network;
app.outputPlot = outputPlot;
app.chart = chart;

wireControls();
$("copy-link").addEventListener("click", copyLink);
app.hiddenOnScreen = true;
if ("IntersectionObserver" in window) {
  new IntersectionObserver((entries) => {
    const on = entries[entries.length - 1].isIntersecting;
    app.hiddenOnScreen = on;
    if (on && app.hiddenLatest && app.state && app.hiddenAsked) drawHidden(app.hiddenLatest);
  }).observe($("hidden-plot"));
}
setPlaying("paused");
renderStageDots();
connect();

export { app };

// dlscratch lab: the page's own script. Plain JavaScript, no libraries, no build step.
// Every number it shows comes from the server (dlscratch); this file only draws.
"use strict";

// ---------------------------------------------------------------- small helpers

const $ = (id) => document.getElementById(id);

async function api(path, body) {
  // GET without a body, POST with a JSON body; an error answer throws its message.
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || response.statusText);
  return answer;
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text) node.textContent = text;
  return node;
}

// Draw a 2-D array of values as an image on a canvas of its size. Values in [0, 1] are
// grey (0 black or white, see `ink`); with `signed`, values in [-1, 1] are blue to red.
function drawArray(canvas, rows, {signed = false, ink = "white"} = {}) {
  const h = rows.length, w = rows[0].length;
  canvas.width = w; canvas.height = h;
  const context = canvas.getContext("2d");
  const image = context.createImageData(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = rows[y][x], k = 4 * (y * w + x);
      let r, g, b;
      if (signed) {  // white at 0, red for positive, blue for negative
        const a = Math.min(1, Math.abs(v));
        [r, g, b] = v >= 0 ? [255, 255 * (1 - a), 255 * (1 - a)]
                           : [255 * (1 - a), 255 * (1 - a), 255];
      } else {
        const level = ink === "white" ? 255 * v : 255 * (1 - v);
        r = g = b = level;
      }
      image.data.set([r, g, b, 255], k);
    }
  }
  context.putImageData(image, 0, 0);
}

// [smallest, largest] of an array, by a loop: Math.min(...a) fails on very long arrays.
function range(values) {
  let low = Infinity, high = -Infinity;
  for (const v of values) { if (v < low) low = v; if (v > high) high = v; }
  return [low, high];
}

// A long series (a run of many steps) thinned to at most 2000 points, each the mean of
// the points it stands for: a canvas has fewer pixels than that anyway.
function thin(s) {
  const n = s.xs.length, step = Math.ceil(n / 2000);
  if (step <= 1) return s;
  const xs = [], ys = [];
  for (let i = 0; i < n; i += step) {
    const part = s.ys.slice(i, i + step);
    xs.push(s.xs[Math.min(i + step - 1, n - 1)]);
    ys.push(part.reduce((a, b) => a + b, 0) / part.length);
  }
  return {...s, xs, ys};
}

// Line chart: series = [{name, xs, ys}], drawn in the canvas with axes; the legend is a
// row under the axis, so that it never hides a line.
const COLOURS = ["#2563a8", "#d9730d", "#2e8540", "#a23bbd", "#c0392b"];
function drawChart(canvas, series, {xLabel = "", yMin = null, yMax = null} = {}) {
  const context = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, left = 42, top = 10, right = 12;
  context.clearRect(0, 0, W, H);
  context.font = "11px sans-serif";
  // The legend's entries, placed left to right and wrapped onto more rows if need be.
  const legend = [];
  let lx = left, row = 0;
  for (const s of series) {
    const width = 20 + context.measureText(s.name).width;
    if (lx + width > W && lx > left) { lx = left; row += 1; }
    legend.push([lx, row]);
    lx += width;
  }
  const bottom = 44 + 13 * row;
  series = series.map(thin);
  const xs = series.flatMap((s) => s.xs), ys = series.flatMap((s) => s.ys);
  if (!xs.length) return;
  const [x0, xMax] = range(xs), x1 = xMax > x0 ? xMax : x0 + 1;
  const y0 = yMin ?? range(ys)[0], y1 = yMax ?? Math.max(range(ys)[1], y0 + 1e-9);
  const px = (x) => left + (W - left - right) * (x - x0) / (x1 - x0);
  const py = (y) => H - bottom - (H - bottom - top) * (y - y0) / (y1 - y0);
  context.strokeStyle = "#999"; context.fillStyle = "#555"; context.font = "11px sans-serif";
  context.beginPath(); context.moveTo(left, top); context.lineTo(left, H - bottom);
  context.lineTo(W - right, H - bottom); context.stroke();
  for (const y of [y0, (y0 + y1) / 2, y1]) context.fillText(y.toFixed(2), 2, py(y) + 4);
  context.textAlign = "center";
  context.fillText(String(x0), left, H - bottom + 13);
  context.fillText(String(x1), W - right, H - bottom + 13);
  context.fillText(xLabel, (W + left) / 2, H - bottom + 13);
  context.textAlign = "left";
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    context.strokeStyle = colour; context.fillStyle = colour; context.lineWidth = 1.5;
    context.beginPath();
    s.xs.forEach((x, k) => (k ? context.lineTo(px(x), py(s.ys[k])) : context.moveTo(px(x), py(s.ys[k]))));
    context.stroke();
    if (s.xs.length <= 30) {  // few points (epochs, levels): mark each one
      s.xs.forEach((x, k) => { context.beginPath(); context.arc(px(x), py(s.ys[k]), 3, 0, 7); context.fill(); });
    }
    const [x, r] = legend[i], y = H - bottom + 30 + 13 * r;
    context.fillRect(x, y - 4, 10, 3);
    context.fillText(s.name, x + 13, y);
  });
}

// ---------------------------------------------------------------- tabs

for (const button of document.querySelectorAll("#tabs button")) {
  button.addEventListener("click", () => {
    document.querySelectorAll("#tabs button, .tab").forEach((n) => n.classList.remove("active"));
    button.classList.add("active");
    $(button.dataset.tab).classList.add("active");
    if (button.dataset.tab === "testset") showTestSet();
  });
}

// ---------------------------------------------------------------- 1. draw

const board = $("board");
const pen = board.getContext("2d");
let strokes = [];        // each stroke: {width, points: [[x, y], ...]}, kept for undo
let current = null;
let predictTimer = null;
let version = 0;         // counts changes of the drawing: a late answer for an old one is dropped

let picture = null;      // an uploaded image, drawn under the strokes

function repaint() {
  version += 1;
  board.dataset.version = version;
  pen.fillStyle = "white";
  pen.fillRect(0, 0, board.width, board.height);
  if (picture) {
    const scale = Math.min(board.width / picture.width, board.height / picture.height);
    pen.drawImage(picture, 0, 0, picture.width * scale, picture.height * scale);
  }
  pen.strokeStyle = "black"; pen.lineCap = "round"; pen.lineJoin = "round";
  for (const stroke of strokes) {
    pen.lineWidth = stroke.width;
    pen.beginPath();
    stroke.points.forEach(([x, y], k) => (k ? pen.lineTo(x, y) : pen.moveTo(x, y)));
    if (stroke.points.length === 1) pen.lineTo(stroke.points[0][0] + 0.1, stroke.points[0][1]);
    pen.stroke();
  }
}

function boardPoint(event) {
  // The canvas may be shown smaller than its 280x280 pixels (a phone): scale back.
  const box = board.getBoundingClientRect();
  return [(event.clientX - box.left) * board.width / box.width,
          (event.clientY - box.top) * board.height / box.height];
}

// Pointer events cover the mouse, a finger and a pen alike.
board.addEventListener("pointerdown", (event) => {
  board.setPointerCapture(event.pointerId);
  current = {width: Number($("width").value), points: [boardPoint(event)]};
  strokes.push(current);
  repaint();
});
board.addEventListener("pointermove", (event) => {
  if (!current) return;
  current.points.push(boardPoint(event));
  repaint();
  schedulePredict(150);  // live while drawing, at most every 150 ms
});
for (const type of ["pointerup", "pointercancel"]) {
  board.addEventListener(type, () => {
    if (!current) return;
    current = null;
    schedulePredict(0);
  });
}
$("clear").addEventListener("click", () => {
  strokes = []; picture = null; repaint(); clearTimeout(predictTimer); clearResults();
});
$("undo").addEventListener("click", () => {
  strokes.pop(); repaint();
  if (strokes.length || picture) schedulePredict(0);
  else { clearTimeout(predictTimer); clearResults(); }
});
$("upload").addEventListener("change", (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const image = new Image();
  image.onload = () => {
    picture = image;  // kept under the strokes, so drawing on it adds to it
    strokes = [];
    repaint();
    schedulePredict(0);
  };
  image.src = URL.createObjectURL(file);
});
$("save").addEventListener("click", () => { $("save").href = board.toDataURL("image/png"); });

function schedulePredict(delay) {
  clearTimeout(predictTimer);
  predictTimer = setTimeout(predict, delay);
}

function clearResults() {
  $("results").replaceChildren();
  $("inside").replaceChildren();
  $("draw-error").textContent = "";
  drawArray($("preview"), Array.from({length: 28}, () => new Array(28).fill(0)));
}

async function predict() {
  const png = board.toDataURL("image/png"), asked = version;
  let answer;
  try {
    answer = await api("/api/predict", {png});
  } catch (error) {
    if (asked === version) $("draw-error").textContent = error.message;
    return;
  }
  if (asked !== version) return;  // the drawing changed meanwhile; a newer answer follows
  $("draw-error").textContent = "";
  drawArray($("preview"), answer.image28);
  $("preview").dataset.ink = answer.image28.flat().reduce((a, b) => a + b, 0).toFixed(2);
  const results = $("results");
  results.replaceChildren();
  results.dataset.version = asked;  // which drawing these answers are for
  for (const [name, {label, probabilities}] of Object.entries(answer.networks)) {
    const block = element("div", {class: "result", id: `result-${name}`, "data-label": label});
    const head = element("div", {class: "head"});
    head.append(element("span", {class: "label"}, String(label)),
                element("span", {}, `${name}: ${(100 * probabilities[label]).toFixed(1)} %`));
    const bars = element("div", {class: "bars"});
    probabilities.forEach((p, digit) => {
      const bar = element("div", {class: digit === label ? "bar best" : "bar",
                                  title: `${digit}: ${(100 * p).toFixed(2)} %`});
      bar.style.height = `${Math.max(1, 100 * p)}%`;
      bars.append(bar);
    });
    const digits = element("div", {class: "digits"});
    for (let d = 0; d < 10; d++) digits.append(element("span", {}, String(d)));
    block.append(head, bars, digits);
    results.append(block);
  }
  updateNetworkLists(Object.keys(answer.networks));
  showInside(png);
}

async function showInside(png) {
  const network = $("inside-network").value;
  if (!network) return;
  const asked = version;
  const answer = await api("/api/inside", {png, network});
  if (asked !== version) return;
  const inside = $("inside");
  inside.replaceChildren();
  for (const layer of answer.layers) {
    const block = element("div", {class: "layer"});
    block.append(element("h3", {}, `${layer.name}: ${layer.shape.join(" × ")}`));
    const gallery = element("div", {class: "gallery"});
    // Feature maps are images already; a vector of units is shown as a near-square grid.
    const maps = layer.kind === "maps" ? layer.values : [toGrid(layer.values)];
    for (const map of maps) {
      const canvas = element("canvas");
      drawArray(canvas, map, {ink: "black"});
      gallery.append(canvas);
    }
    block.append(gallery);
    inside.append(block);
  }
}

function toGrid(values) {
  const side = Math.ceil(Math.sqrt(values.length));
  return Array.from({length: Math.ceil(values.length / side)},
                    (_, r) => Array.from({length: side}, (_, c) => values[r * side + c] ?? 0));
}

function updateNetworkLists(names) {
  for (const id of ["inside-network", "testset-network"]) {
    const select = $(id), chosen = select.value;
    if ([...select.options].map((o) => o.value).join() === names.join()) continue;
    select.replaceChildren(...names.map((n) => element("option", {value: n}, n)));
    select.value = names.includes(chosen) ? chosen : names[names.length > 1 ? 1 : 0];
  }
}
$("inside-network").addEventListener("change", () => strokes.length && showInside(board.toDataURL()));

// ---------------------------------------------------------------- 2. the test set

async function showTestSet() {
  const name = $("testset-network").value;
  if (!name) return;
  $("testset-summary").textContent = "Classifying the 10,000 test images ...";
  const report = await api(`/api/testset?network=${encodeURIComponent(name)}`);
  $("testset-summary").textContent = `${name}: test accuracy ${(100 * report.accuracy).toFixed(2)} % ` +
    `on ${report.count.toLocaleString()} images, ${report.mistakes} mistakes.`;
  const table = $("confusion");
  table.replaceChildren();
  const header = element("tr");
  header.append(element("th", {}, "true \\ said"));
  for (let j = 0; j < 10; j++) header.append(element("th", {}, String(j)));
  table.append(header);
  const largestMistake = Math.max(...report.confusion.flatMap((row, i) => row.filter((_, j) => j !== i)));
  report.confusion.forEach((row, i) => {
    const tr = element("tr");
    tr.append(element("th", {}, String(i)));
    row.forEach((count, j) => {
      const cell = element("td", {class: i === j ? "diagonal" : "", title: `${i} taken for ${j}`}, String(count));
      if (i !== j && count) cell.style.background = `rgba(192, 57, 43, ${0.15 + 0.6 * count / largestMistake})`;
      cell.addEventListener("click", () => showDigits(name, i, j));
      tr.append(cell);
    });
    table.append(tr);
  });
  const perClass = $("per-class");
  perClass.replaceChildren();
  report.per_class.forEach((accuracy, digit) => {
    const line = element("div");
    const fill = element("span", {class: "fill"});
    fill.style.width = `${Math.max(0, (accuracy - 0.9) * 1500)}px`;  // the range 90-100 %
    line.append(element("span", {}, `${digit}: ${(100 * accuracy).toFixed(1)} %`), fill);
    perClass.append(line);
  });
  $("digits-title").textContent = "Misclassified, most confident first";
  gallery(report.misclassified.map((m) => ({
    image: m.image, text: `${m.label} → ${m.predicted} (${(100 * m.probabilities[m.predicted]).toFixed(0)} %)`,
  })));
}
$("testset-network").addEventListener("change", showTestSet);

async function showDigits(name, label, predicted) {
  const answer = await api(`/api/digits?network=${encodeURIComponent(name)}&label=${label}&predicted=${predicted}`);
  $("digits-title").textContent = `True ${label}, taken for ${predicted}: ${answer.count} images` +
    (answer.count > answer.images.length ? ` (the first ${answer.images.length})` : "");
  gallery(answer.images.map((image, k) => ({image, text: `#${answer.indices[k]}`})));
}

function gallery(items) {
  const box = $("digits");
  box.replaceChildren();
  for (const {image, text} of items) {
    const figure = element("figure");
    const canvas = element("canvas");
    drawArray(canvas, image);
    figure.append(canvas, element("figcaption", {}, text));
    box.append(figure);
  }
}

// ---------------------------------------------------------------- 3. robustness

const KINDS = ["noise", "rotation", "shift", "thickness"];
$("robustness-run").addEventListener("click", async () => {
  const charts = $("robustness-charts");
  charts.replaceChildren();
  // One perturbation at a time, each chart drawn as soon as its numbers arrive.
  for (const [k, kind] of KINDS.entries()) {
    $("robustness-status").textContent = `measuring ${kind} (${k + 1} of ${KINDS.length}) ...`;
    const answer = await api(`/api/robustness?kind=${kind}`);
    $("robustness-images").textContent = answer.images.toLocaleString();
    const panel = element("div");
    panel.append(element("h3", {}, kind));
    const canvas = element("canvas", {width: 270, height: 210, id: `robustness-${kind}`});
    const series = Object.entries(answer.curves).filter(([name]) => name !== "levels")
      .map(([name, ys]) => ({name, xs: answer.curves.levels, ys}));
    drawChart(canvas, series, {xLabel: answer.unit, yMin: 0, yMax: 1});
    panel.append(canvas);
    charts.append(panel);
  }
  $("robustness-status").textContent = "";
});

// ---------------------------------------------------------------- 4. watch it learn

let lossSteps = [];      // every step's loss so far, fetched incrementally
let polling = null;      // the timer of the next status request

$("train-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const settings = Object.fromEntries(form.entries());
  for (const key of ["lr", "batch_size", "train_size", "epochs"]) settings[key] = Number(settings[key]);
  try {
    await api("/api/train/start", settings);
  } catch (error) {
    $("train-status").textContent = error.message;
    return;
  }
  lossSteps = [];
  clearTimeout(polling);
  pollTraining();
});
for (const action of ["pause", "resume", "stop"]) {
  $(`train-${action}`).addEventListener("click", () =>
    api(`/api/train/${action}`, {}).catch((error) => { $("train-status").textContent = error.message; }));
}

// One status request at a time: the next is asked for half a second after an answer.
async function pollTraining() {
  let status;
  try {
    status = await api(`/api/train/status?since=${lossSteps.length}`);
  } catch (error) {
    $("train-status").textContent = `no answer from the lab (${error.message})`;
    return;
  }
  if (status.state === "none") return;
  lossSteps.length = status.iter_loss_from;  // the server says where its losses start
  for (const loss of status.iter_loss) lossSteps.push(loss);
  const epochs = status.settings.epochs;
  $("train-status").textContent = `${status.state}: epoch ${status.epoch} of ${epochs}, ` +
    `step ${status.iteration} of ${epochs * status.iterations_per_epoch}, ` +
    `${status.seconds.toFixed(1)} s` + (status.test_acc.length ?
    `; test accuracy ${status.test_acc[status.test_acc.length - 1].toFixed(4)}` : "") +
    (status.error ? ` (${status.error})` : "");
  $("train-status").dataset.state = status.state;
  $("loss-chart").dataset.steps = lossSteps.length;
  drawChart($("loss-chart"), [{name: "training loss", xs: lossSteps.map((_, k) => k + 1), ys: lossSteps}],
            {xLabel: "step", yMin: 0});
  const epochNumbers = status.test_acc.map((_, k) => k + 1);
  drawChart($("accuracy-chart"), [
    {name: "train accuracy", xs: epochNumbers, ys: status.train_acc},
    {name: "test accuracy", xs: epochNumbers, ys: status.test_acc},
  ], {xLabel: "epoch", yMin: 0, yMax: 1});
  if (status.weights) {
    const weights = $("weights");
    weights.replaceChildren();
    for (const map of status.weights.values) {
      const canvas = element("canvas");
      drawArray(canvas, map, {signed: true});
      weights.append(canvas);
    }
  }
  if (["running", "paused", "starting"].includes(status.state)) {
    polling = setTimeout(pollTraining, 500);
  }
}

// ---------------------------------------------------------------- start

repaint();
clearResults();
api("/api/health").then((health) => { $("version").textContent = `dlscratch ${health.version}`; });
api("/api/networks").then((info) => updateNetworkLists(Object.keys(info.networks)));
pollTraining();  // a run started before this page was (re)loaded is shown too

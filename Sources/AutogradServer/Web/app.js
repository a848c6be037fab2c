// The page of GET / (docs/web-page.md): paste a graph, press Run, see it drawn with its
// gradients. Everything it fetches is relative to the page and on this origin (the CSP
// allows nothing else); it builds every element with the DOM, never from HTML strings.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = "autograd-api-key";
const SVG_NS = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------- JSON with positions

class JSONSyntaxError extends Error {
  constructor(message, offset) {
    super(message);
    this.offset = offset;
  }
}

// Parses JSON text into a tree that remembers where each value is:
// {kind: "object", start, end, members: [{key, keyStart, value}]}, {kind: "array", items},
// {kind: "value"}; `end` is exclusive. Iterative, so deep nesting cannot overflow the stack.
function parseWithPositions(text) {
  let i = 0;
  const n = text.length;
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++; else break;
    }
  };
  const fail = (what) => {
    throw new JSONSyntaxError(i < n ? `${what} at ${describe(i)}` : `${what}: the text ends early`, Math.min(i, n));
  };
  const describe = (at) => {
    const before = text.slice(0, at);
    const line = before.split("\n").length;
    return `line ${line}, column ${at - before.lastIndexOf("\n")}`;
  };
  const string = () => {
    const start = i;
    i++; // opening quote
    while (i < n) {
      const c = text[i];
      if (c === "\"") { i++; return JSON.parse(text.slice(start, i)); }
      if (c === "\\") i += 2; else if (c < " ") fail("a control character inside a string"); else i++;
    }
    i = n;
    return fail("an unterminated string");
  };
  const scalar = () => {
    const start = i;
    if (text[i] === "\"") { string(); return { kind: "value", start, end: i }; }
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail("expected a value");
    i += m[0].length;
    return { kind: "value", start, end: i };
  };
  const stack = [];
  let root = null;
  let done = null; // a finished value, to attach to its parent
  ws();
  for (;;) {
    if (done === null) {
      const c = text[i];
      if (c === "{" || c === "[") {
        const node = c === "{" ? { kind: "object", start: i, members: [] } : { kind: "array", start: i, items: [] };
        i++;
        ws();
        if (text[i] === (c === "{" ? "}" : "]")) {
          i++;
          node.end = i;
          done = node;
        } else {
          stack.push({ node, key: null, keyStart: 0 });
          if (c === "{") {
            if (text[i] !== "\"") fail("expected a member name");
            const keyStart = i;
            const key = string();
            ws();
            if (text[i] !== ":") fail("expected ':'");
            i++;
            ws();
            stack[stack.length - 1].key = key;
            stack[stack.length - 1].keyStart = keyStart;
          }
          continue;
        }
      } else {
        done = scalar();
      }
    }
    // Attach `done` to its parent, then read what follows it.
    if (stack.length === 0) { root = done; break; }
    const top = stack[stack.length - 1];
    if (top.node.kind === "object") top.node.members.push({ key: top.key, keyStart: top.keyStart, value: done });
    else top.node.items.push(done);
    done = null;
    ws();
    const close = top.node.kind === "object" ? "}" : "]";
    if (text[i] === ",") {
      i++;
      ws();
      if (top.node.kind === "object") {
        if (text[i] !== "\"") fail("expected a member name");
        top.keyStart = i;
        top.key = string();
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        ws();
      }
    } else if (text[i] === close) {
      i++;
      top.node.end = i;
      stack.pop();
      done = top.node;
    } else {
      fail(`expected ',' or '${close}'`);
    }
  }
  ws();
  if (i < n) fail("text after the JSON value");
  return root;
}

// The text range a JSON Pointer (RFC 6901) names: the member (name and value) or array
// item; `exact` is false when the pointer goes further than the text does (a missing
// member), and the range is then the deepest part that exists.
function pointerRange(tree, pointer) {
  if (!tree) return null;
  const tokens = pointer === "" ? [] : pointer.split("/").slice(1).map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
  let node = tree;
  let start = tree.start;
  for (const token of tokens) {
    let next = null;
    if (node.kind === "object") {
      // The last member of a name wins, as the server reads it.
      for (const m of node.members) if (m.key === token) next = m;
      if (next) { start = next.keyStart; node = next.value; continue; }
    } else if (node.kind === "array" && /^(0|[1-9]\d*)$/.test(token) && Number(token) < node.items.length) {
      node = node.items[Number(token)];
      start = node.start;
      continue;
    }
    return { start, end: node.end, exact: false };
  }
  return { start, end: node.end, exact: true };
}

// ---------------------------------------------------------------- tensors and numbers

function number(v) {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return NaN;
}

// A tensor of an answer, {shape, data} or {shape, b64}, as a flat list of numbers.
function values(tensor, dtype) {
  if (typeof tensor.b64 === "string") {
    const bytes = Uint8Array.from(atob(tensor.b64), (c) => c.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    const size = dtype === "float64" ? 8 : 4;
    const out = [];
    for (let k = 0; k + size <= bytes.length; k += size) {
      out.push(size === 8 ? view.getFloat64(k, true) : view.getFloat32(k, true));
    }
    return out;
  }
  const out = [];
  const walk = (d) => { if (Array.isArray(d)) d.forEach(walk); else out.push(number(d)); };
  walk(tensor.data);
  return out;
}

function stats(xs) {
  if (xs.length === 0) return { min: NaN, max: NaN, mean: NaN, norm: 0 };
  let min = Infinity, max = -Infinity, sum = 0, largest = 0, nan = false;
  for (const x of xs) {
    if (Number.isNaN(x)) { nan = true; continue; }
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    largest = Math.max(largest, Math.abs(x));
  }
  if (nan) return { min: NaN, max: NaN, mean: NaN, norm: NaN };
  // The norm scaled by the largest magnitude, as the server computes ‖grad‖ for /graph.
  let norm = largest;
  if (largest > 0 && Number.isFinite(largest)) {
    let s = 0;
    for (const x of xs) { const r = x / largest; s += r * r; }
    norm = largest * Math.sqrt(s);
  }
  return { min, max, mean: sum / xs.length, norm };
}

// Six significant digits, for statistics.
function fmt(x) {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return String(Number(x.toPrecision(6)));
}

// A value as the answer spelled it (shortest round trip; float32 answers stay as written).
function shown(x) {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  return String(x);
}

const shapeText = (shape) => `[${shape.join(", ")}]`;
const FIRST = 6;

// ---------------------------------------------------------------- HTTP

let apiKey = sessionStorage.getItem(KEY_STORAGE);

class Cancelled extends Error {}

// POSTs `body` to `path` (relative to the page). On 401 asks for the API key and tries
// again. Resolves to {status, type, text}.
async function post(path, body, accept) {
  for (;;) {
    const headers = { "Content-Type": "application/json" };
    if (accept) headers.Accept = accept;
    if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
    const response = await fetch(path, { method: "POST", headers, body, cache: "no-store" });
    const text = await response.text();
    if (response.status === 401) {
      const refused = apiKey !== null;
      apiKey = null;
      sessionStorage.removeItem(KEY_STORAGE);
      const key = await askForKey(refused ? "The server refused this key. Enter the right one:" : "This server needs an API key:");
      if (key === null) throw new Cancelled(text);
      apiKey = key;
      sessionStorage.setItem(KEY_STORAGE, key);
      continue;
    }
    return { status: response.status, type: (response.headers.get("Content-Type") || "").split(";")[0].trim(), text };
  }
}

function askForKey(message) {
  return new Promise((resolve) => {
    const dialog = $("key-dialog");
    const input = $("key-input");
    $("key-message").textContent = message;
    input.value = "";
    const finish = (value) => {
      $("key-ok").removeEventListener("click", ok);
      $("key-cancel").removeEventListener("click", cancel);
      input.removeEventListener("keydown", enter);
      dialog.removeEventListener("cancel", cancel);
      dialog.close();
      resolve(value);
    };
    const ok = () => { if (input.value.trim() !== "") finish(input.value.trim()); };
    const cancel = (event) => { if (event) event.preventDefault(); finish(null); };
    const enter = (event) => { if (event.key === "Enter") ok(); };
    $("key-ok").addEventListener("click", ok);
    $("key-cancel").addEventListener("click", cancel);
    input.addEventListener("keydown", enter);
    dialog.addEventListener("cancel", cancel);
    dialog.showModal();
    input.focus();
  });
}

// ---------------------------------------------------------------- the editor and problems

let tree = null; // positions of the text last run

function clearHighlights() {
  $("backdrop").replaceChildren();
}

// Marks `ranges` ({start, end}) in the backdrop behind the editor.
function highlight(ranges) {
  const text = $("editor").value;
  const sorted = ranges.slice().sort((a, b) => a.start - b.start);
  const parts = [];
  let at = 0;
  for (const r of sorted) {
    const start = Math.max(r.start, at);
    if (r.end <= start) continue;
    parts.push(document.createTextNode(text.slice(at, start)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(start, r.end);
    parts.push(mark);
    at = r.end;
  }
  parts.push(document.createTextNode(text.slice(at) + "\n"));
  $("backdrop").replaceChildren(...parts);
  syncScroll();
}

function syncScroll() {
  $("backdrop").scrollTop = $("editor").scrollTop;
  $("backdrop").scrollLeft = $("editor").scrollLeft;
}

// Selects a range in the editor and scrolls it into view.
function reveal(range) {
  const editor = $("editor");
  editor.focus();
  editor.setSelectionRange(range.start, range.end);
  const lineHeight = parseFloat(getComputedStyle(editor).lineHeight) || 17;
  const line = editor.value.slice(0, range.start).split("\n").length - 1;
  editor.scrollTop = Math.max(0, line * lineHeight - editor.clientHeight / 3);
  syncScroll();
}

function hideProblem() {
  $("problem").hidden = true;
  $("model").classList.remove("flagged");
  clearHighlights();
}

// Shows a problem (RFC 9457, with `errors: [{pointer, detail}]`) and marks each pointer's
// text in the editor.
function showProblem(problem, status) {
  $("problem").hidden = false;
  $("problem-title").textContent = `${status ?? problem.status ?? ""} ${problem.title ?? "Problem"}`.trim();
  $("problem-detail").textContent = problem.detail ?? "";
  const list = $("problem-list");
  list.replaceChildren();
  const ranges = [];
  const errors = Array.isArray(problem.errors) ? problem.errors : [];
  for (const error of errors) {
    const li = document.createElement("li");
    const pointer = typeof error.pointer === "string" ? error.pointer : null;
    const range = pointer !== null ? pointerRange(tree, pointer) : null;
    const onModel = pointer !== null && (pointer === "/onnx" || pointer.startsWith("/onnx/")) && model !== null;
    if (pointer !== null) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "pointer";
      button.textContent = pointer === "" ? "(the whole request)" : pointer;
      if (onModel) {
        button.title = "the attached model";
        $("model").classList.add("flagged");
      } else if (range) {
        button.title = "show in the editor";
        button.addEventListener("click", () => reveal(range));
        if (range.exact) ranges.push(range);
      }
      li.append(button);
    }
    li.append(document.createTextNode(error.detail ?? ""));
    if (onModel) {
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = " (in the attached model, not in the editor)";
      li.append(where);
    } else if (range && !range.exact) {
      const where = document.createElement("span");
      where.className = "where";
      where.textContent = " (not in the text: nearest part shown)";
      li.append(where);
    }
    list.append(li);
  }
  highlight(ranges);
  if (ranges.length > 0) reveal(ranges[0]);
  setStatus($("problem-title").textContent, true);
}

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

// An answer that is not a 200: its problem+json, or a problem made from whatever it is.
function problemOf(answer) {
  if (answer.type === "application/problem+json" || answer.type === "application/json") {
    try { return JSON.parse(answer.text); } catch { /* below */ }
  }
  return { title: "Error", status: answer.status, detail: answer.text.slice(0, 500) };
}

// ---------------------------------------------------------------- tables

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

// One row per tensor: name, shape, first values, min, max, mean, norm.
function fillTable(table, tensors, dtype) {
  const head = document.createElement("tr");
  for (const h of ["name", "shape", `first values (of n)`, "min", "max", "mean", "norm"]) {
    const th = document.createElement("th");
    th.textContent = h;
    head.append(th);
  }
  const rows = [head];
  for (const [name, tensor] of Object.entries(tensors)) {
    const xs = values(tensor, dtype);
    const s = stats(xs);
    const tr = document.createElement("tr");
    tr.dataset.name = name;
    cell(tr, name).dataset.field = "name";
    cell(tr, shapeText(tensor.shape), "num").dataset.field = "shape";
    const first = xs.slice(0, FIRST).map(shown).join(", ") + (xs.length > FIRST ? ", …" : "") + ` (${xs.length})`;
    const td = cell(tr, first, "first");
    td.dataset.field = "first";
    td.title = first;
    for (const field of ["min", "max", "mean", "norm"]) cell(tr, fmt(s[field]), "num").dataset.field = field;
    rows.push(tr);
  }
  table.replaceChildren(...rows);
}

function drawLossCurve(losses) {
  const svg = $("loss-curve");
  const ys = losses.map(number).filter(Number.isFinite);
  svg.replaceChildren();
  if (ys.length < 2) return;
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const span = hi - lo || 1;
  const points = ys.map((y, k) => `${(k / (ys.length - 1)) * 400},${115 - ((y - lo) / span) * 110}`).join(" ");
  const line = document.createElementNS(SVG_NS, "polyline");
  line.setAttribute("points", points);
  svg.append(line);
}

// ---------------------------------------------------------------- the drawing

// Colour of a gradient norm on a log scale from the smallest non-zero norm (pale yellow)
// to the largest (dark red).
const RAMP = [[255, 255, 204], [253, 141, 60], [189, 0, 38]];

function rampColour(t) {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const k = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - k;
  const c = RAMP[k].map((a, j) => Math.round(a + (RAMP[k + 1][j] - a) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

function colourScale(norms) {
  const positive = norms.filter((v) => Number.isFinite(v) && v > 0);
  const lo = positive.length ? Math.log10(Math.min(...positive)) : 0;
  const hi = positive.length ? Math.log10(Math.max(...positive)) : 0;
  return (norm) => {
    if (Number.isNaN(norm)) return { fill: "#b040ff", t: 1 };
    if (norm === 0) return { fill: "#ffffff", t: 0 };
    const t = !Number.isFinite(norm) || hi === lo ? 1 : (Math.log10(norm) - lo) / (hi - lo);
    return { fill: rampColour(t), t };
  };
}

// Keeps only what a drawing needs: no scripts, no foreign content, no event handlers, no
// links out. (Graphviz writes none of these; the names in its labels are text.)
function sanitize(svg) {
  for (const el of svg.querySelectorAll("script, foreignObject, iframe, object, embed, use, image, a, style")) el.remove();
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name === "href" || name === "xlink:href" || name === "style") el.removeAttribute(attr.name);
    }
  }
}

// Matches the drawing's nodes to the request's names: tensors are t0, t1, ... in the
// order of "tensors"; every node's first label line is its name (cut at 48 characters).
function nodeName(g, tensorNames, known) {
  const id = g.querySelector("title")?.textContent ?? "";
  const label = g.querySelector("text")?.textContent ?? "";
  const m = /^t(\d+)$/.exec(id);
  if (m && tensorNames[Number(m[1])] !== undefined && sameName(tensorNames[Number(m[1])], label)) return tensorNames[Number(m[1])];
  if (known.has(label)) return label;
  if (label.endsWith("…")) {
    const prefix = label.slice(0, -1);
    const candidates = [...known].filter((k) => k.startsWith(prefix));
    if (candidates.length === 1) return candidates[0];
  }
  return label;
}

function sameName(name, label) {
  return label === name || (label.endsWith("…") && name.startsWith(label.slice(0, -1)));
}

function drawGraph(svgText, doc, gradients, dtype) {
  const box = $("graph-svg");
  const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const svg = parsed.documentElement;
  if (svg.nodeName !== "svg" || parsed.querySelector("parsererror")) {
    $("graph-note").hidden = false;
    $("graph-note").textContent = "The server's SVG could not be read.";
    return;
  }
  sanitize(svg);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "The graph, tensors coloured by the norm of their gradient");
  const tensorNames = doc && typeof doc.tensors === "object" && doc.tensors ? Object.keys(doc.tensors) : [];
  const opIds = doc && Array.isArray(doc.ops) ? doc.ops.map((o) => o && o.id) : [];
  const known = new Set([...tensorNames, ...opIds]);
  const norms = new Map();
  for (const [name, tensor] of Object.entries(gradients || {})) norms.set(name, stats(values(tensor, dtype)).norm);
  const scale = colourScale([...norms.values()]);
  for (const g of svg.querySelectorAll("g.node")) {
    const lines = [...g.querySelectorAll("text")].map((t) => t.textContent);
    const id = g.querySelector("title")?.textContent ?? "";
    const name = nodeName(g, tensorNames, known);
    const isTensor = id.startsWith("t");
    g.dataset.name = name;
    g.dataset.kind = isTensor ? "tensor" : "op";
    const info = { name, kind: g.dataset.kind };
    if (isTensor) {
      const [dtypeName, ...shape] = (lines[1] ?? "").split(" ");
      info.dtype = dtypeName;
      info.shape = shape.join(" ");
      info.requiresGrad = lines.includes("requires_grad");
    } else {
      info.op = lines[1] ?? "";
      info.shape = lines[2] ?? "";
      const value = lines.find((l) => l.startsWith("= "));
      if (value) info.value = value.slice(2);
    }
    if (isTensor && norms.has(name)) {
      const norm = norms.get(name);
      const { fill, t } = scale(norm);
      info.norm = fmt(norm);
      g.dataset.gradNorm = String(norm);
      g.dataset.fill = fill;
      const shape = g.querySelector("path, polygon, ellipse");
      if (shape) shape.setAttribute("fill", fill);
      if (t > 0.7) for (const text of g.querySelectorAll("text")) text.setAttribute("fill", "#ffffff");
    }
    g.dataset.shape = info.shape;
    if (info.op) g.dataset.op = info.op;
    if (info.dtype) g.dataset.dtype = info.dtype;
    if (info.requiresGrad) g.dataset.requiresGrad = "true";
    if (info.value) g.dataset.value = info.value;
    const title = g.querySelector("title");
    if (title) title.textContent = hoverText(info);
  }
  box.replaceChildren(document.importNode(svg, true));
  for (const g of box.querySelectorAll("g.node")) {
    g.addEventListener("mousemove", (event) => showTooltip(nodeInfo(g), event));
    g.addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
  }
  const legend = $("legend");
  const finite = [...norms.values()].filter((v) => Number.isFinite(v) && v > 0);
  legend.hidden = norms.size === 0;
  $("legend-min").textContent = finite.length ? fmt(Math.min(...finite)) : "0";
  $("legend-max").textContent = finite.length ? fmt(Math.max(...finite)) : "0";
}

function nodeInfo(g) {
  const d = g.dataset;
  return {
    name: d.name, kind: d.kind, op: d.op, dtype: d.dtype, shape: d.shape, value: d.value,
    requiresGrad: d.requiresGrad === "true", norm: d.gradNorm !== undefined ? fmt(Number(d.gradNorm)) : undefined,
  };
}

function hoverText(info) {
  const lines = [info.kind === "op" ? `${info.name}: ${info.op}` : `${info.name}: tensor${info.dtype ? " " + info.dtype : ""}`];
  lines.push(`shape ${info.shape}`);
  if (info.requiresGrad) lines.push("requires_grad");
  if (info.value) lines.push(`value ${info.value}`);
  if (info.norm !== undefined) lines.push(`‖grad‖ = ${info.norm}`);
  return lines.join("\n");
}

function showTooltip(info, event) {
  const tip = $("tooltip");
  tip.textContent = hoverText(info);
  tip.hidden = false;
  const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  const y = Math.min(event.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
  tip.style.left = `${x}px`;
  tip.style.top = `${y}px`;
}

// ---------------------------------------------------------------- running

let model = null; // {name, size, b64}: an attached .onnx file

function resetAnswer() {
  hideProblem();
  for (const id of ["loss-section", "outputs-section", "gradients-section", "train-section", "legend", "graph-note"]) $(id).hidden = true;
  $("graph-svg").replaceChildren();
  $("tooltip").hidden = true;
}

async function run() {
  const text = $("editor").value;
  resetAnswer();
  let doc;
  try {
    tree = parseWithPositions(text);
    doc = JSON.parse(text);
  } catch (error) {
    tree = null;
    if (error instanceof JSONSyntaxError) {
      const at = { start: error.offset, end: Math.min(error.offset + 1, text.length), exact: true };
      showProblem({ title: "Not JSON", detail: `The editor's text is not JSON: ${error.message}.` }, "");
      highlight([at]);
      reveal(at);
      return;
    }
    throw error;
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    showProblem({ title: "Not a graph", detail: "A graph is a JSON object with tensors and ops." }, "");
    return;
  }
  $("run").disabled = true;
  try {
    await compute(text, doc);
  } catch (error) {
    if (error instanceof Cancelled) {
      try { showProblem(JSON.parse(error.message), 401); } catch { showProblem({ title: "Unauthorized" }, 401); }
    } else {
      showProblem({ title: "No answer", detail: String(error) }, "");
    }
  } finally {
    $("run").disabled = false;
  }
}

// /backward (or /forward without a loss) for the numbers, /graph?format=svg for the
// drawing, and /train as well when the request has an optimizer.
async function compute(text, doc) {
  const training = "optimizer" in doc || "steps" in doc;
  // /jvp's tangents and /hvp's vectors are not members of /backward's graph.
  const directions = "tangents" in doc || "vectors" in doc;
  const graphDoc = Object.assign({}, doc);
  delete graphDoc.optimizer;
  delete graphDoc.steps;
  delete graphDoc.tangents;
  delete graphDoc.vectors;
  if (model) { doc.onnx = { b64: model.b64 }; graphDoc.onnx = doc.onnx; }
  // The text as typed when nothing was changed, so that numbers travel as written.
  const graphBody = training || model || directions ? JSON.stringify(graphDoc) : text;
  const endpoint = "loss" in doc ? "backward" : "forward";
  const started = performance.now();
  setStatus(`POST /${endpoint} …`);
  const answer = await post(endpoint, graphBody);
  if (answer.status !== 200) { showProblem(problemOf(answer), answer.status); return; }
  const result = JSON.parse(answer.text);
  showResult(result, doc);
  setStatus("POST /graph?format=svg …");
  const drawing = await post("graph?format=svg", graphBody, "image/svg+xml");
  if (drawing.status === 200) {
    drawGraph(drawing.text, doc, result.gradients, result.dtype);
  } else {
    const p = problemOf(drawing);
    $("graph-note").hidden = false;
    $("graph-note").textContent = `No drawing: ${drawing.status} ${p.title ?? ""}: ${p.detail ?? ""}`;
  }
  if (training) {
    setStatus("POST /train …");
    const trained = await post("train", JSON.stringify(doc));
    if (trained.status !== 200) { showProblem(problemOf(trained), trained.status); return; }
    showTraining(JSON.parse(trained.text));
  }
  setStatus(`${training ? "/train, " : ""}/${endpoint} and /graph answered in ${Math.round(performance.now() - started)} ms`);
}

function showResult(result, doc) {
  const outputs = result.outputs || {};
  const lossName = typeof doc.loss === "string" ? doc.loss : null;
  if (lossName && outputs[lossName]) {
    const xs = values(outputs[lossName], result.dtype);
    $("loss-section").hidden = false;
    $("loss-name").textContent = lossName;
    $("loss").textContent = xs.length === 1 ? shown(xs[0]) : `${shapeText(outputs[lossName].shape)} tensor, mean ${fmt(stats(xs).mean)}`;
  }
  $("outputs-section").hidden = false;
  fillTable($("outputs"), outputs, result.dtype);
  if (result.gradients) {
    $("gradients-section").hidden = false;
    fillTable($("gradients"), result.gradients, result.dtype);
  }
}

function showTraining(trained) {
  const losses = trained.losses || [];
  $("train-section").hidden = false;
  $("train-summary").textContent = losses.length
    ? `${losses.length} steps: loss ${shown(number(losses[0]))} at the first, ${shown(number(losses[losses.length - 1]))} at the last.`
    : "No steps.";
  $("train-summary").dataset.first = String(losses[0] ?? "");
  $("train-summary").dataset.last = String(losses[losses.length - 1] ?? "");
  drawLossCurve(losses);
  fillTable($("parameters"), trained.parameters || {}, trained.dtype);
}

// ---------------------------------------------------------------- examples and files

async function loadExamples() {
  const nav = $("examples");
  try {
    const response = await fetch("web/examples");
    const list = (await response.json()).examples;
    for (const example of list) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = example.name;
      button.title = example.summary;
      button.dataset.example = example.name;
      button.addEventListener("click", async () => {
        const text = await (await fetch(example.href)).text();
        $("editor").value = text;
        detachModel();
        await run();
      });
      nav.append(button);
    }
    if ($("editor").value === "" && list.length > 0) {
      $("editor").value = await (await fetch(list[0].href)).text();
    }
  } catch (error) {
    setStatus(`Examples could not be loaded: ${error}`, true);
  }
}

function base64(bytes) {
  let binary = "";
  for (let k = 0; k < bytes.length; k += 0x8000) binary += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(binary);
}

async function takeFile(file) {
  if (/\.onnx$/i.test(file.name)) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    model = { name: file.name, size: bytes.length, b64: base64(bytes) };
    $("model").hidden = false;
    $("model-name").textContent = file.name;
    $("model-size").textContent = `(${bytes.length} bytes)`;
    const editor = $("editor");
    let doc = null;
    try { doc = JSON.parse(editor.value); } catch { /* replaced below */ }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
      editor.value = "{\n  \"tensors\": {},\n  \"ops\": []\n}\n";
    }
    setStatus(`${file.name} attached: give its inputs in "tensors", then Run.`);
  } else {
    $("editor").value = await file.text();
    setStatus(`${file.name} loaded.`);
  }
  clearHighlights();
}

function detachModel() {
  model = null;
  $("model").hidden = true;
  $("model").classList.remove("flagged");
}

function start() {
  const editor = $("editor");
  editor.addEventListener("input", clearHighlights);
  editor.addEventListener("scroll", syncScroll);
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(); }
  });
  $("run").addEventListener("click", run);
  $("file").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (file) takeFile(file);
    event.target.value = "";
  });
  $("model-remove").addEventListener("click", detachModel);
  const zone = $("dropzone");
  for (const target of [zone, $("editor-box")]) {
    target.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    target.addEventListener("dragleave", () => zone.classList.remove("over"));
    target.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      const file = event.dataTransfer.files[0];
      if (file) takeFile(file);
    });
  }
  loadExamples();
}

start();

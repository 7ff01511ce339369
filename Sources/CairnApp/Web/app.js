// The Cairn app's browser side: a grid of samples, a sample view with box annotation, and the
// commit page. Every piece of repository text (keys, classes, tags, messages) reaches the page
// through textContent or SVG text nodes, never as HTML.
"use strict";

const state = {
  info: null,
  filter: { view: "", tag: "", field: "", cls: "", evalKey: "", outcome: "", truth: "", predicted: "", selection: false, offset: 0, limit: 60 },
  evals: null,
  pageKeys: [],
  total: 0,
};

// ---------- helpers ----------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, String(value));
  }
  return node;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : "HTTP " + status);
    this.status = status;
    this.violations = (body && body.violations) || [];
  }
  describe() {
    const lines = [this.message];
    for (const v of this.violations) lines.push(v.location + ": " + v.reason);
    return lines.join("\n");
  }
}

async function api(method, path, body) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function toast(text) {
  const node = document.getElementById("toast");
  node.textContent = text;
  node.classList.remove("hidden");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => node.classList.add("hidden"), 4000);
}

function schemaFields() {
  return (state.info && state.info.schema && state.info.schema.fields) || {};
}

function detectionFields() {
  return Object.entries(schemaFields()).filter(([, def]) => def.type === "detections")
    .map(([name]) => name).sort();
}

// Ground truth is the first detections field without confidences; predictions the others.
function isPredictionField(name) {
  return /pred/i.test(name);
}

function drawBoxes(target, labels, options) {
  const opts = options || {};
  for (const [field, list] of Object.entries(labels || {})) {
    const predicted = isPredictionField(field);
    for (const label of list) {
      if (label.type !== "detection" || !Array.isArray(label.bbox)) continue;
      if (predicted && opts.threshold !== undefined && typeof label.confidence === "number" &&
          label.confidence < opts.threshold) continue;
      const [x, y, w, h] = label.bbox;
      target.append(svg("rect", {
        x, y, width: w, height: h, class: predicted ? "box-pred" : "box-gt",
      }));
    }
  }
}

// ---------- top bar ----------

async function loadInfo() {
  state.info = await api("GET", "/api/info");
  document.getElementById("repo-name").textContent = state.info.root;
  document.getElementById("branch").textContent = state.info.branch || "detached HEAD";
  document.getElementById("head").textContent = state.info.head ? state.info.head.slice(0, 7) : "";
  const protectedNode = document.getElementById("protected");
  protectedNode.replaceChildren();
  for (const set of state.info.protected) {
    protectedNode.append(el("span", {
      className: "chip " + (set.kind === "test" ? "frozen" : "golden"),
      title: (set.kind === "test" ? "frozen test set" : "golden set") + " · " + set.samples +
        " samples · " + set.commit.slice(0, 7),
      text: (set.kind === "test" ? "frozen: " : "golden: ") + set.name,
    }));
  }
  refreshChangeCount();
  // A large repository is served while its tags and classes are read: ask again until done,
  // then fill the grid's filters.
  clearTimeout(loadInfo.timer);
  if (state.info.indexing) {
    loadInfo.timer = setTimeout(async () => {
      try { await loadInfo(); } catch (_) { return; }
      if (!state.info.indexing && document.body.dataset.page === "grid") showGrid();
    }, 1000);
  }
}

async function refreshChangeCount() {
  try {
    const status = await api("GET", "/api/status");
    document.getElementById("change-count").textContent =
      status.changes.length ? String(status.changes.length) : "";
  } catch (_) { /* shown elsewhere */ }
}

function setActiveNav(name) {
  for (const id of ["nav-samples", "nav-eval", "nav-map", "nav-commit"]) {
    document.getElementById(id).classList.toggle("active", id === "nav-" + name);
  }
}

// ---------- grid ----------

function option(value, text, selected) {
  return el("option", { value, text, selected: selected ? "selected" : false });
}

async function showGrid() {
  setActiveNav("samples");
  const main = document.getElementById("main");
  const f = state.filter;
  const views = el("select", { id: "filter-view" }, option("", "all samples", !f.view),
    ...state.info.views.map((v) => option(v, v, v === f.view)));
  const tags = el("select", { id: "filter-tag" }, option("", "any tag", !f.tag),
    ...state.info.tags.map((t) => option(t.tag, t.tag + " (" + t.count + ")", t.tag === f.tag)));
  const fieldNames = Object.keys(state.info.classes).sort();
  const fields = el("select", { id: "filter-field" }, option("", "any field", !f.field),
    ...fieldNames.map((n) => option(n, n, n === f.field)));
  const classSet = new Map();
  for (const [field, list] of Object.entries(state.info.classes)) {
    if (f.field && field !== f.field) continue;
    for (const c of list) classSet.set(c.label, (classSet.get(c.label) || 0) + c.count);
  }
  const classes = el("select", { id: "filter-class" }, option("", "any class", !f.cls),
    ...[...classSet.keys()].sort().map((c) => option(c, c, c === f.cls)));
  if (state.evals === null) {
    try { state.evals = await api("GET", "/api/evals"); } catch (_) { state.evals = []; }
  }
  const evals = el("select", { id: "filter-eval" }, option("", "no evaluation", !f.evalKey),
    ...state.evals.map((r) => option(r.key, r.key, r.key === f.evalKey)));
  const outcomes = el("select", { id: "filter-outcome" },
    ...[["", "any outcome"], ["tp", "true positives"], ["fp", "false positives"], ["fn", "false negatives"]]
      .map(([v, t]) => option(v, t, v === f.outcome)));
  if (f.outcome === "cell") outcomes.append(option("cell", "cell " + f.truth + " → " + f.predicted, true));
  // The samples selected on the map (#/map), until cleared.
  const selection = f.selection ? el("span", { className: "chip branch", id: "filter-selection", text: "map selection" }) : null;
  if (selection) {
    const x = el("button", { title: "show every sample", text: "×" });
    x.addEventListener("click", () => { f.selection = false; f.offset = 0; showGrid(); });
    selection.append(x);
  }
  const onChange = () => {
    f.view = views.value; f.tag = tags.value; f.field = fields.value; f.cls = classes.value;
    f.evalKey = evals.value; f.outcome = evals.value ? outcomes.value : "";
    if (f.outcome !== "cell") { f.truth = ""; f.predicted = ""; }
    f.offset = 0;
    showGrid();
  };
  for (const s of [views, tags, fields, classes, evals, outcomes]) s.addEventListener("change", onChange);
  const counter = el("span", { id: "grid-count", className: "muted" });
  const prev = el("button", { id: "page-prev", text: "‹ Prev" });
  const next = el("button", { id: "page-next", text: "Next ›" });
  prev.addEventListener("click", () => { f.offset = Math.max(0, f.offset - f.limit); showGrid(); });
  next.addEventListener("click", () => { f.offset += f.limit; showGrid(); });
  const reload = el("button", { text: "Reload", title: "Read the working tree again" });
  reload.addEventListener("click", async () => {
    await api("POST", "/api/reload", {});
    await loadInfo();
    showGrid();
  });
  const grid = el("div", { className: "grid", id: "grid" });
  main.replaceChildren(
    el("div", { className: "toolbar" },
      el("label", {}, "View", views), el("label", {}, "Tag", tags),
      el("label", {}, "Field", fields), el("label", {}, "Class", classes),
      el("label", {}, "Evaluation", evals, outcomes), selection,
      state.info.indexing ? el("span", { className: "muted", id: "indexing", text: "reading tags and classes…" }) : null,
      prev, counter, next, reload,
      el("span", { className: "legend" }, el("span", { className: "gt", text: "▭ ground truth" }),
        el("span", { className: "pred", text: "┅ predictions" }))),
    grid);
  const query = new URLSearchParams({ offset: f.offset, limit: f.limit });
  if (f.view) query.set("view", f.view);
  if (f.tag) query.set("tag", f.tag);
  if (f.cls) query.set("class", f.cls);
  if (f.field) query.set("field", f.field);
  if (f.selection) query.set("selection", "1");
  if (f.evalKey) {
    query.set("eval", f.evalKey);
    if (f.outcome) query.set("outcome", f.outcome);
    if (f.outcome === "cell") { query.set("truth", f.truth); query.set("predicted", f.predicted); }
  }
  let page;
  try {
    page = await api("GET", "/api/samples?" + query.toString());
  } catch (error) {
    grid.replaceWith(el("div", { className: "error", text: error.describe ? error.describe() : String(error) }));
    return;
  }
  state.total = page.total;
  state.pageKeys = page.samples.map((s) => s.key);
  const end = page.offset + page.samples.length;
  counter.textContent = page.total ? (page.offset + 1) + "–" + end + " of " + page.total : "no samples";
  prev.disabled = page.offset === 0;
  next.disabled = end >= page.total;
  for (const sample of page.samples) grid.append(card(sample));
  grid.dataset.loaded = "true";
}

function card(sample) {
  const thumb = el("div", { className: "thumb" });
  if (sample.media && sample.media.url) {
    thumb.append(el("img", { src: sample.media.url, alt: sample.key, loading: "lazy" }));
  } else {
    thumb.append(el("div", { className: "muted", text: sample.error || "media not served" }));
  }
  const overlay = svg("svg", { viewBox: "0 0 1 1", preserveAspectRatio: "none" });
  drawBoxes(overlay, sample.labels, { threshold: 0.3 });
  // The boxes are relative to the image, which "contain" letterboxes inside the card.
  if (sample.media && sample.media.width && sample.media.height) {
    const aspect = sample.media.width / sample.media.height;
    const box = 4 / 3;
    if (aspect > box) {
      const h = box / aspect;
      overlay.style.top = ((1 - h) / 2 * 100) + "%";
      overlay.style.height = (h * 100) + "%";
    } else {
      const w = aspect / box;
      overlay.style.left = ((1 - w) / 2 * 100) + "%";
      overlay.style.width = (w * 100) + "%";
    }
  }
  thumb.append(overlay);
  const tags = el("div", {}, ...(sample.tags || []).map((t) => el("span", { className: "chip tag", text: t })));
  const node = el("div", { className: "card", "data-key": sample.key },
    thumb, el("div", { className: "meta" }, el("div", { className: "key", text: sample.key, title: sample.key }), tags));
  node.addEventListener("click", () => { location.hash = "#/sample/" + encodeURIComponent(sample.key); });
  return node;
}

// ---------- sample view and annotation ----------

const editor = {
  sample: null,
  field: "",
  labels: [],
  selected: null,
  undo: [],
  redo: [],
  threshold: 0.5,
  showPredictions: true,
  currentClass: "",
  drag: null,
  busy: false,
};

async function showSample(key) {
  setActiveNav("samples");
  const main = document.getElementById("main");
  let sample;
  try {
    sample = await api("GET", "/api/sample?key=" + encodeURIComponent(key));
  } catch (error) {
    main.replaceChildren(el("div", { className: "error", text: error.describe ? error.describe() : String(error) }));
    return;
  }
  // A sample of a multimodal group opens the group view (groups.js).
  if (sample.group && typeof showGroup === "function" && await showGroup(sample)) return;
  const fields = detectionFields();
  const keepField = editor.sample && fields.includes(editor.field) ? editor.field : "";
  editor.sample = sample;
  editor.field = keepField || fields.find((f) => !isPredictionField(f)) || fields[0] || "";
  editor.labels = ((sample.labels || {})[editor.field] || []).slice();
  editor.selected = null;
  editor.undo = [];
  editor.redo = [];
  const classes = (schemaFields()[editor.field] || {}).classes || [];
  if (!classes.includes(editor.currentClass)) editor.currentClass = classes[0] || "";
  renderSample();
}

function renderSample() {
  const main = document.getElementById("main");
  const sample = editor.sample;
  const position = state.pageKeys.indexOf(sample.key);
  const back = el("a", { href: "#/", text: "← Samples" });
  const prev = el("button", { id: "sample-prev", text: "‹", disabled: position <= 0 });
  const next = el("button", { id: "sample-next", text: "›", disabled: position < 0 || position >= state.pageKeys.length - 1 });
  prev.addEventListener("click", () => { location.hash = "#/sample/" + encodeURIComponent(state.pageKeys[position - 1]); });
  next.addEventListener("click", () => { location.hash = "#/sample/" + encodeURIComponent(state.pageKeys[position + 1]); });

  const stage = el("div", { id: "stage" });
  const image = el("img", { id: "sample-image", alt: sample.key, draggable: "false" });
  if (sample.media && sample.media.url) image.src = sample.media.url;
  const overlay = svg("svg", { id: "overlay" });
  stage.append(image, overlay);
  image.addEventListener("load", () => { fitImage(); drawOverlay(); });
  attachPointer(overlay);

  const panel = el("div", { className: "panel", id: "panel" });
  main.replaceChildren(
    el("div", { className: "toolbar" }, back, prev, next,
      el("strong", { id: "sample-key", text: sample.key }),
      el("span", { className: "legend" }, el("span", { className: "gt", text: "▭ ground truth (editable)" }),
        el("span", { className: "pred", text: "┅ predictions" }))),
    el("div", { className: "sample" }, el("div", { className: "stage-wrap" }, stage), panel));
  renderPanel();
  if (image.complete && image.naturalWidth) { fitImage(); drawOverlay(); }
}

// Scales the image (small images up too) to the room the page has for it.
function fitImage() {
  const image = document.getElementById("sample-image");
  const wrap = document.querySelector(".stage-wrap");
  if (!image || !wrap || !image.naturalWidth) return;
  const room = wrap.clientWidth - 16;
  const maxHeight = Math.max(240, window.innerHeight - 150);
  const scale = Math.min(room / image.naturalWidth, maxHeight / image.naturalHeight);
  image.style.width = Math.floor(image.naturalWidth * scale) + "px";
  image.style.height = Math.floor(image.naturalHeight * scale) + "px";
}

function renderPanel() {
  const panel = document.getElementById("panel");
  if (!panel) return;
  const sample = editor.sample;
  const fields = detectionFields();
  const fieldSelect = el("select", { id: "edit-field" }, ...fields.map((f) => option(f, f, f === editor.field)));
  fieldSelect.addEventListener("change", () => {
    editor.field = fieldSelect.value;
    editor.labels = ((editor.sample.labels || {})[editor.field] || []).slice();
    editor.selected = null; editor.undo = []; editor.redo = [];
    const classes = (schemaFields()[editor.field] || {}).classes || [];
    if (!classes.includes(editor.currentClass)) editor.currentClass = classes[0] || "";
    renderPanel(); drawOverlay();
  });

  const threshold = el("input", { id: "threshold", type: "range", min: 0, max: 1, step: 0.05, value: editor.threshold });
  const thresholdValue = el("span", { id: "threshold-value", className: "mono", text: editor.threshold.toFixed(2) });
  threshold.addEventListener("input", () => {
    editor.threshold = Number(threshold.value);
    thresholdValue.textContent = editor.threshold.toFixed(2);
    drawOverlay();
  });
  const showPred = el("input", { type: "checkbox", id: "show-predictions", checked: editor.showPredictions ? "checked" : false });
  showPred.addEventListener("change", () => { editor.showPredictions = showPred.checked; drawOverlay(); });

  const def = schemaFields()[editor.field] || {};
  const palette = el("div", { className: "palette", id: "class-palette" });
  for (const name of def.classes || []) {
    const button = el("button", { text: name, "data-class": name, className: name === currentClassOfSelection() ? "current" : "" });
    button.addEventListener("click", () => setClass(name));
    palette.append(button);
  }
  const other = el("input", { type: "text", id: "class-input", placeholder: "class…", list: "class-options" });
  const datalist = el("datalist", { id: "class-options" }, ...(def.classes || []).map((c) => el("option", { value: c })));
  other.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && other.value.trim()) { setClass(other.value.trim()); }
  });
  const otherButton = el("button", { id: "class-apply", text: "Set" });
  otherButton.addEventListener("click", () => { if (other.value.trim()) setClass(other.value.trim()); });

  const list = el("ul", { className: "labels-list", id: "labels-list" });
  editor.labels.forEach((label, index) => {
    const item = el("li", { className: index === editor.selected ? "selected" : "", "data-index": index },
      el("span", { className: "swatch gt" }),
      el("span", { className: "label-class", text: label.label || "(no class)" }),
      label.tags && label.tags.length ? el("span", { className: "muted", text: "#" + label.tags.join(" #") }) : null);
    item.addEventListener("click", () => { editor.selected = index; renderPanel(); drawOverlay(); });
    list.append(item);
  });

  const predictions = [];
  for (const [field, labels] of Object.entries(sample.labels || {})) {
    if (field === editor.field) continue;
    for (const label of labels) {
      if (typeof label.confidence === "number" && label.confidence < editor.threshold) continue;
      predictions.push(el("li", {},
        el("span", { className: "swatch pred" }),
        el("span", { text: field + ": " + (label.label || "") }),
        typeof label.confidence === "number" ? el("span", { className: "muted mono", text: label.confidence.toFixed(2) }) : null));
    }
  }

  const undo = el("button", { id: "undo", text: "↶ Undo", disabled: editor.undo.length === 0 || editor.busy });
  const redo = el("button", { id: "redo", text: "↷ Redo", disabled: editor.redo.length === 0 || editor.busy });
  undo.addEventListener("click", undoEdit);
  redo.addEventListener("click", redoEdit);
  const remove = el("button", { id: "delete-label", className: "danger", text: "Delete box", disabled: editor.selected === null });
  remove.addEventListener("click", deleteSelected);

  const sampleTags = el("div", { id: "sample-tags" }, ...(sample.tags || []).map((tag) => {
    const chip = el("span", { className: "chip tag", text: tag });
    const x = el("button", { title: "remove tag", text: "×" });
    x.addEventListener("click", () => saveTags((editor.sample.tags || []).filter((t) => t !== tag)));
    chip.append(x);
    return chip;
  }));
  const tagInput = el("input", { type: "text", id: "tag-input", placeholder: "add a tag…" });
  tagInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && tagInput.value.trim()) {
      saveTags([...(editor.sample.tags || []), tagInput.value.trim()]);
    }
  });

  const children = [
    el("h3", { text: "Edit field" }), fieldSelect,
    el("h3", { text: "Predictions" }),
    el("div", { className: "row" }, el("label", {}, showPred, " show"), threshold, thresholdValue),
    el("h3", { text: "Class" }), palette,
    el("div", { className: "row" }, other, datalist, otherButton),
    el("div", { className: "row" }, undo, redo, remove),
  ];
  if (editor.error) children.push(el("div", { className: "error", id: "edit-error", text: editor.error }));
  if (editor.selected !== null && editor.labels[editor.selected]) {
    children.push(el("h3", { text: "Attributes" }), attributeControls(editor.labels[editor.selected]));
  }
  children.push(...classificationControls());
  children.push(el("h3", { text: "Boxes (" + editor.labels.length + ")" }), list,
    el("h3", { text: "Other fields" }), el("ul", { className: "labels-list" }, ...predictions),
    el("h3", { text: "Sample tags" }), sampleTags, tagInput,
    el("p", { className: "muted", text: "Drag on the image to draw; drag a box to move it, its corners to resize; Delete removes it; Ctrl+Z / Ctrl+Shift+Z undo and redo. Every edit is checked against the schema and written to the working tree." }));
  panel.replaceChildren(...children);
}

// The sample's classification fields (not predictions): a list for a `classification` field
// (one class or none), a checkbox per class for `classifications`; each change is an edit of
// that field's labels, checked by the server as a commit checks it.
function classificationControls() {
  const sample = editor.sample;
  const fields = Object.entries(schemaFields())
    .filter(([name, def]) => (def.type === "classification" || def.type === "classifications") && !isPredictionField(name))
    .map(([name]) => name).sort();
  if (!fields.length) return [];
  const box = el("div", { id: "classifications" });
  for (const field of fields) {
    const def = schemaFields()[field];
    const current = (sample.labels || {})[field] || [];
    const classes = [...new Set([...(def.classes || []), ...current.map((l) => l.label).filter(Boolean)])];
    let control;
    if (def.type === "classification") {
      const chosen = current.length ? current[0].label : "";
      control = el("select", { id: "classification-" + field, "data-field": field }, option("", "(none)", !chosen),
        ...classes.map((c) => option(c, c, c === chosen)));
      control.addEventListener("change", () => {
        const labels = control.value ? [Object.assign({}, current[0] || {}, { type: "classification", label: control.value })] : [];
        if (labels.length && current[0] && current[0].label !== control.value) delete labels[0].confidence;
        saveClassifications(field, labels);
      });
    } else {
      control = el("span", { id: "classification-" + field, "data-field": field }, ...classes.map((c) => {
        const check = el("input", { type: "checkbox", "data-class": c, checked: current.some((l) => l.label === c) ? "checked" : false });
        check.addEventListener("change", () => {
          const labels = check.checked ? [...current, { type: "classification", label: c }] : current.filter((l) => l.label !== c);
          saveClassifications(field, labels);
        });
        return el("label", { className: "check" }, check, " " + c);
      }));
    }
    box.append(el("div", { className: "row" }, el("label", { text: field }), control));
  }
  return [el("h3", { text: "Classification" }), box];
}

async function saveClassifications(field, labels) {
  try {
    const result = await api("PUT", "/api/labels", { key: editor.sample.key, field, labels });
    editor.sample.labels = Object.assign({}, editor.sample.labels, { [field]: result.labels });
    editor.error = "";
    refreshChangeCount();
  } catch (error) {
    editor.error = error.describe ? error.describe() : String(error);
  }
  renderPanel();
}

function currentClassOfSelection() {
  if (editor.selected !== null && editor.labels[editor.selected]) return editor.labels[editor.selected].label;
  return editor.currentClass;
}

function attributeControls(label) {
  const def = schemaFields()[editor.field] || {};
  const definitions = Object.assign({}, def.attributes || {},
    (def.class_attributes || {})[label.label] || {});
  const box = el("div", { id: "attributes" });
  const names = Object.keys(definitions).sort();
  if (names.length === 0) box.append(el("div", { className: "muted", text: "none in the schema" }));
  for (const name of names) {
    const d = definitions[name];
    const current = (label.attributes || {})[name];
    let control;
    const commitValue = (value) => {
      const labels = cloneLabels();
      const target = labels[editor.selected];
      target.attributes = Object.assign({}, target.attributes || {});
      if (value === undefined) delete target.attributes[name]; else target.attributes[name] = value;
      if (Object.keys(target.attributes).length === 0) delete target.attributes;
      applyEdit(labels);
    };
    if (d.type === "bool") {
      control = el("input", { type: "checkbox", "data-attribute": name, checked: (current === undefined ? d.default : current) ? "checked" : false });
      control.addEventListener("change", () => commitValue(control.checked));
    } else if (Array.isArray(d.values)) {
      control = el("select", { "data-attribute": name }, option("", "—", current === undefined),
        ...d.values.map((v) => option(JSON.stringify(v), String(v), v === current)));
      control.addEventListener("change", () => commitValue(control.value ? JSON.parse(control.value) : undefined));
    } else if (d.type === "int" || d.type === "float") {
      control = el("input", { type: "number", "data-attribute": name, step: d.type === "int" ? 1 : "any",
        min: d.min, max: d.max, value: current === undefined ? "" : current });
      control.addEventListener("change", () => commitValue(control.value === "" ? undefined :
        (d.type === "int" ? parseInt(control.value, 10) : Number(control.value))));
    } else {
      control = el("input", { type: "text", "data-attribute": name, value: current === undefined ? "" : current });
      control.addEventListener("change", () => commitValue(control.value === "" ? undefined : control.value));
    }
    box.append(el("div", { className: "row" }, el("label", { text: name }), control));
  }
  return box;
}

function cloneLabels() {
  return JSON.parse(JSON.stringify(editor.labels));
}

function setClass(name) {
  editor.currentClass = name;
  if (editor.selected === null) { renderPanel(); return; }
  const labels = cloneLabels();
  labels[editor.selected].label = name;
  applyEdit(labels);
}

function deleteSelected() {
  if (editor.selected === null) return;
  const labels = cloneLabels();
  labels.splice(editor.selected, 1);
  editor.selected = null;
  applyEdit(labels);
}

async function saveTags(tags) {
  try {
    const result = await api("PUT", "/api/tags", { key: editor.sample.key, tags });
    editor.sample.tags = result.tags;
    editor.error = "";
    refreshChangeCount();
  } catch (error) {
    editor.error = error.describe ? error.describe() : String(error);
  }
  renderPanel();
  const input = document.getElementById("tag-input");
  if (input) input.focus();
}

// Writes `labels` as the field's labels; on refusal keeps the previous ones and shows why.
async function applyEdit(labels, fromHistory) {
  const before = editor.labels;
  editor.busy = true;
  try {
    const result = await api("PUT", "/api/labels", { key: editor.sample.key, field: editor.field, labels });
    if (fromHistory === "undo") editor.redo.push(before);
    else {
      editor.undo.push(before);
      if (fromHistory !== "redo") editor.redo = [];
    }
    editor.labels = result.labels;
    editor.sample.labels = Object.assign({}, editor.sample.labels, { [editor.field]: result.labels });
    editor.error = "";
    if (editor.selected !== null && editor.selected >= editor.labels.length) editor.selected = null;
    refreshChangeCount();
    editor.busy = false;
    return true;
  } catch (error) {
    editor.error = error.describe ? error.describe() : String(error);
    editor.busy = false;
    return false;
  } finally {
    renderPanel();
    drawOverlay();
  }
}

async function undoEdit() {
  if (!editor.undo.length || editor.busy) return;
  const previous = editor.undo.pop();
  const ok = await applyEdit(previous, "undo");
  if (!ok) editor.undo.push(previous);
  renderPanel();
}

async function redoEdit() {
  if (!editor.redo.length || editor.busy) return;
  const next = editor.redo.pop();
  const ok = await applyEdit(next, "redo");
  if (!ok) editor.redo.push(next);
  renderPanel();
}

function stageSize() {
  const image = document.getElementById("sample-image");
  if (!image) return null;
  const rect = image.getBoundingClientRect();
  return { width: rect.width, height: rect.height, left: rect.left, top: rect.top };
}

function drawOverlay() {
  const overlay = document.getElementById("overlay");
  const size = stageSize();
  if (!overlay || !size || !size.width) return;
  overlay.setAttribute("viewBox", "0 0 " + size.width + " " + size.height);
  overlay.replaceChildren();
  const W = size.width, H = size.height;
  if (editor.showPredictions) {
    for (const [field, labels] of Object.entries(editor.sample.labels || {})) {
      if (field === editor.field) continue;
      for (const label of labels) {
        if (label.type !== "detection" || !Array.isArray(label.bbox)) continue;
        if (typeof label.confidence === "number" && label.confidence < editor.threshold) continue;
        const [x, y, w, h] = label.bbox;
        overlay.append(svg("rect", { x: x * W, y: y * H, width: w * W, height: h * H, class: "box pred", "data-field": field }));
        const caption = (label.label || "") + (typeof label.confidence === "number" ? " " + label.confidence.toFixed(2) : "");
        overlay.append(svg("text", { x: x * W + 2, y: (y + h) * H - 3, text: caption }));
      }
    }
  }
  editor.labels.forEach((label, index) => {
    if (label.type !== "detection" || !Array.isArray(label.bbox)) return;
    const [x, y, w, h] = label.bbox;
    const selected = index === editor.selected;
    overlay.append(svg("rect", {
      x: x * W, y: y * H, width: w * W, height: h * H,
      class: "box gt editable" + (selected ? " selected" : ""), "data-index": index,
    }));
    overlay.append(svg("text", { x: x * W + 2, y: y * H + 13, text: label.label || "" }));
    if (selected) {
      for (const [name, hx, hy] of [["nw", x, y], ["ne", x + w, y], ["sw", x, y + h], ["se", x + w, y + h]]) {
        overlay.append(svg("rect", { x: hx * W - 5, y: hy * H - 5, width: 10, height: 10, class: "handle " + name, "data-handle": name }));
      }
    }
  });
  if (editor.drag && editor.drag.kind === "draw" && editor.drag.current) {
    const r = normalised(editor.drag.start, editor.drag.current);
    overlay.append(svg("rect", { x: r.x * W, y: r.y * H, width: r.w * W, height: r.h * H, class: "draft" }));
  }
}

function normalised(a, b) {
  const x = Math.max(0, Math.min(a.x, b.x)), y = Math.max(0, Math.min(a.y, b.y));
  const x2 = Math.min(1, Math.max(a.x, b.x)), y2 = Math.min(1, Math.max(a.y, b.y));
  return { x, y, w: x2 - x, h: y2 - y };
}

function relativePoint(event) {
  const size = stageSize();
  return { x: (event.clientX - size.left) / size.width, y: (event.clientY - size.top) / size.height };
}

function round(value) {
  return Math.round(value * 1e6) / 1e6;
}

function attachPointer(overlay) {
  overlay.addEventListener("mousedown", (event) => {
    if (event.button !== 0 || editor.busy || !editor.field) return;
    event.preventDefault();
    const point = relativePoint(event);
    const target = event.target;
    if (target.dataset && target.dataset.handle !== undefined && editor.selected !== null) {
      editor.drag = { kind: "resize", handle: target.dataset.handle, start: point, original: editor.labels[editor.selected].bbox.slice() };
    } else if (target.dataset && target.dataset.index !== undefined) {
      editor.selected = Number(target.dataset.index);
      editor.drag = { kind: "move", start: point, original: editor.labels[editor.selected].bbox.slice() };
      renderPanel();
    } else {
      editor.selected = null;
      editor.drag = { kind: "draw", start: point, current: point };
      renderPanel();
    }
    drawOverlay();
  });
  window.onmousemove = (event) => {
    const drag = editor.drag;
    if (!drag || !document.getElementById("overlay")) return;
    const point = relativePoint(event);
    if (drag.kind === "draw") {
      drag.current = point;
    } else {
      const box = previewBox(drag, point);
      editor.labels = editor.labels.map((l, i) => (i === editor.selected ? Object.assign({}, l, { bbox: box }) : l));
      drag.moved = true;
    }
    drawOverlay();
  };
  window.onmouseup = (event) => {
    const drag = editor.drag;
    if (!drag || !document.getElementById("overlay")) return;
    editor.drag = null;
    const point = relativePoint(event);
    if (drag.kind === "draw") {
      const r = normalised(drag.start, point);
      const size = stageSize();
      if (r.w * size.width < 4 || r.h * size.height < 4) { drawOverlay(); return; }
      const labels = cloneLabels();
      const label = { type: "detection", bbox: [round(r.x), round(r.y), round(r.w), round(r.h)] };
      if (editor.currentClass) label.label = editor.currentClass;
      labels.push(label);
      const index = labels.length - 1;
      applyEdit(labels).then((ok) => { if (ok) { editor.selected = index; renderPanel(); drawOverlay(); } });
    } else if (drag.moved) {
      const box = previewBox(drag, point);
      const labels = JSON.parse(JSON.stringify(editor.labels));
      labels[editor.selected].bbox = box;
      // The previous labels (before the drag) are what undo restores.
      editor.labels = editor.labels.map((l, i) => (i === editor.selected ? Object.assign({}, l, { bbox: drag.original }) : l));
      applyEdit(labels);
    } else {
      drawOverlay();
    }
  };
}

function previewBox(drag, point) {
  const dx = point.x - drag.start.x, dy = point.y - drag.start.y;
  let [x, y, w, h] = drag.original;
  if (drag.kind === "move") {
    x = Math.min(Math.max(0, x + dx), 1 - w);
    y = Math.min(Math.max(0, y + dy), 1 - h);
    return [round(x), round(y), w, h];
  }
  let x1 = x, y1 = y, x2 = x + w, y2 = y + h;
  if (drag.handle.includes("w")) x1 += dx; else x2 += dx;
  if (drag.handle.includes("n")) y1 += dy; else y2 += dy;
  const r = normalised({ x: x1, y: y1 }, { x: x2, y: y2 });
  return [round(r.x), round(r.y), round(r.w), round(r.h)];
}

document.addEventListener("keydown", (event) => {
  if (!document.getElementById("overlay")) return;
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement && document.activeElement.tagName);
  if (typing) return;
  if ((event.key === "Delete" || event.key === "Backspace") && editor.selected !== null) {
    event.preventDefault();
    deleteSelected();
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
    event.preventDefault();
    if (event.shiftKey) redoEdit(); else undoEdit();
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "y") {
    event.preventDefault();
    redoEdit();
  }
});

window.addEventListener("resize", () => { fitImage(); drawOverlay(); });

// ---------- commit ----------

async function showCommit() {
  setActiveNav("commit");
  const main = document.getElementById("main");
  const result = el("div", { id: "commit-result" });
  let status;
  try {
    status = await api("GET", "/api/status");
  } catch (error) {
    main.replaceChildren(el("div", { className: "error", text: error.describe() }));
    return;
  }
  const rows = status.changes.map((c) => el("tr", {},
    el("td", { className: "change-" + c.change, text: c.change }),
    el("td", { className: "mono", text: c.path })));
  const message = el("textarea", { id: "commit-message", rows: 3, cols: 60, placeholder: "Describe this annotation batch…" });
  const button = el("button", { id: "commit-button", className: "primary", text: "Commit", disabled: status.changes.length === 0 });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const done = await api("POST", "/api/commit", { message: message.value });
      await loadInfo();
      await showCommit();
      document.getElementById("commit-result").replaceChildren(el("div", { className: "ok", id: "commit-ok",
        text: "Committed " + done.commit.slice(0, 7) + " on " + (done.branch || "detached HEAD") + " (" + done.changes + " files)" }));
    } catch (error) {
      result.replaceChildren(el("div", { className: "error", id: "commit-error", text: error.describe() }));
      button.disabled = false;
    }
  });
  const sets = state.info.protected.map((set) => el("li", {},
    el("span", { className: "chip " + (set.kind === "test" ? "frozen" : "golden"), text: set.kind === "test" ? "frozen test set" : "golden set" }),
    " ", el("strong", { text: set.name }), " ",
    el("span", { className: "muted mono", text: set.samples + " samples · " + set.commit.slice(0, 7) })));
  main.replaceChildren(
    el("div", { className: "panel" },
      el("h3", { text: "Branch" }),
      el("div", {}, el("span", { className: "chip branch", id: "commit-branch", text: status.branch || "detached HEAD" }), " ",
        el("span", { className: "mono muted", text: status.head ? status.head.slice(0, 7) : "" })),
      el("h3", { text: "Changes since HEAD (" + status.changes.length + ")" }),
      status.changes.length ? el("table", { className: "changes", id: "changes" }, ...rows)
        : el("div", { className: "muted", id: "changes-none", text: "Nothing to commit: the working tree matches HEAD." }),
      el("h3", { text: "Message" }), message, el("div", { className: "row" }, button),
      result,
      el("h3", { text: "Protected sets (never move)" }),
      sets.length ? el("ul", {}, ...sets) : el("div", { className: "muted", text: "none" })));
}

// ---------- evaluations ----------

function metricText(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

async function showEvaluations(key) {
  setActiveNav("eval");
  const main = document.getElementById("main");
  let runs;
  try { runs = await api("GET", "/api/evals"); } catch (error) {
    main.replaceChildren(el("div", { className: "error", text: error.describe() }));
    return;
  }
  state.evals = runs;
  const list = el("div", { className: "toolbar", id: "eval-runs" }, el("strong", { text: "Runs:" }),
    ...runs.map((r) => el("a", { href: "#/eval/" + encodeURIComponent(r.key), className: "chip" + (r.key === key ? " branch" : ""), text: r.key })));
  if (!runs.length) {
    main.replaceChildren(el("div", { className: "panel", text: "No evaluation runs in runs/eval/ (make one with cairn eval detections)." }));
    return;
  }
  const current = key || runs[runs.length - 1].key;
  let run;
  try { run = await api("GET", "/api/eval?key=" + encodeURIComponent(current)); } catch (error) {
    main.replaceChildren(list, el("div", { className: "error", text: error.describe() }));
    return;
  }
  const order = run.metric_order || Object.keys(run.metrics || {});
  const summary = el("table", { className: "changes", id: "eval-summary" },
    el("tr", {}, ...order.map((m) => el("th", { text: m }))),
    el("tr", {}, ...order.map((m) => el("td", { className: "mono", text: metricText((run.metrics || {})[m]) }))));
  const columns = ["name", "truth", "predictions", "tp", "fp", "fn", "precision", "recall", "f1", "ap", "ap50", "ap75"]
    .filter((c) => (run.classes || []).some((row) => row[c] !== undefined));
  const perClass = el("table", { className: "changes", id: "eval-classes" },
    el("tr", {}, ...columns.map((c) => el("th", { text: c === "name" ? "class" : c }))),
    ...(run.classes || []).map((row) => el("tr", {}, ...columns.map((c) => el("td", { className: c === "name" ? "" : "mono", text: metricText(row[c]) })))));
  const confusion = run.confusion || { labels: [], matrix: [] };
  const labels = confusion.labels || [];
  const goto = (truth, predicted) => {
    Object.assign(state.filter, { view: "", tag: "", field: "", cls: "", evalKey: current, outcome: "cell", truth, predicted, offset: 0 });
    location.hash = "#/";
  };
  const matrix = el("table", { className: "confusion", id: "eval-confusion" },
    el("tr", {}, el("th", { text: "truth ↓ / predicted →" }), ...labels.map((l) => el("th", { text: l }))),
    ...labels.map((truth, i) => el("tr", {}, el("th", { text: truth }),
      ...labels.map((predicted, j) => {
        const count = ((confusion.matrix || [])[i] || [])[j] || 0;
        const cell = el("td", { className: "mono" + (count ? " clickable" + (i === j ? " diag" : " off") : ""), text: String(count),
          "data-truth": truth, "data-predicted": predicted, title: count ? "show these samples" : "" });
        if (count) cell.addEventListener("click", () => goto(truth, predicted));
        return cell;
      }))));
  const outcomeLinks = el("div", { className: "row" }, ...["tp", "fp", "fn"].map((o) => {
    const a = el("button", { text: "samples with " + o.toUpperCase() });
    a.addEventListener("click", () => {
      Object.assign(state.filter, { view: "", tag: "", field: "", cls: "", evalKey: current, outcome: o, truth: "", predicted: "", offset: 0 });
      location.hash = "#/";
    });
    return a;
  }));
  const params = Object.entries(run.parameters || {}).map(([k, v]) => k + "=" + String(v)).join(" · ");
  main.replaceChildren(list, el("div", { className: "panel" },
    el("h3", { text: "Run " + current + " (" + (run.kind || "") + ")" }),
    el("div", { className: "muted mono", text: "commit " + String(run.commit || "").slice(0, 7) + " · fields " +
      JSON.stringify(run.fields || {}) + (run.frozen ? " · frozen set " + run.frozen.name : "") + " · " + params }),
    el("h3", { text: "Summary" }), summary, outcomeLinks,
    el("h3", { text: "Per class" }), perClass,
    el("h3", { text: "Confusion matrix (click a cell for its samples)" }), matrix,
    ...prCurves(run)));
}

// Precision–recall curves per class (run.json `curves`, stored by detection runs), as SVG.
function prCurves(run) {
  if (run.kind !== "detections") return [];
  const title = el("h3", { text: "Precision–recall" + (run.curves ? " at IoU " + run.curves.iou : "") });
  if (!run.curves) {
    return [title, el("div", { className: "muted", id: "eval-curves-none",
      text: "This run stores no curve points (it was made before they were stored): run cairn eval detections again." })];
  }
  const colors = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777"];
  const W = 280, H = 280, left = 44, top = 12, size = 220;
  const plot = svg("svg", { id: "eval-curves", viewBox: "0 0 " + W + " " + H, width: W, height: H, class: "curves" });
  const px = (recall) => left + recall * size, py = (precision) => top + (1 - precision) * size;
  for (let t = 0; t <= 5; t++) {
    const v = t / 5;
    plot.append(svg("line", { x1: px(0), y1: py(v), x2: px(1), y2: py(v), class: "grid-line" }),
      svg("line", { x1: px(v), y1: py(0), x2: px(v), y2: py(1), class: "grid-line" }),
      svg("text", { x: left - 6, y: py(v) + 4, "text-anchor": "end", text: v.toFixed(1) }),
      svg("text", { x: px(v), y: top + size + 16, "text-anchor": "middle", text: v.toFixed(1) }));
  }
  plot.append(svg("text", { x: left + size / 2, y: top + size + 34, "text-anchor": "middle", text: "recall" }),
    svg("text", { x: 12, y: top + size / 2, transform: "rotate(-90 12 " + (top + size / 2) + ")", "text-anchor": "middle", text: "precision" }));
  const ap = new Map((run.classes || []).map((row) => [row.name, row.ap]));
  const legend = el("ul", { className: "map-legend", id: "eval-curves-legend" });
  run.curves.classes.forEach((curve, index) => {
    const color = colors[index % colors.length];
    const points = curve.points || [];
    if (points.length) {
      // Starts at recall 0 with the first precision, as the curve is read from the left.
      const path = [[0, points[0][1]], ...points.map((p) => [p[0], p[1]])];
      const line = svg("polyline", { points: path.map(([r, p]) => px(r).toFixed(1) + "," + py(p).toFixed(1)).join(" "),
        class: "curve", "data-class": curve.name });
      line.style.stroke = color;
      plot.append(line);
    }
    const swatch = el("span", { className: "swatch" });
    swatch.style.background = color;
    const apText = typeof ap.get(curve.name) === "number" ? " · AP " + ap.get(curve.name).toFixed(3) : "";
    legend.append(el("li", {}, swatch, el("span", { text: curve.name + " (" + curve.truth + " truth, " + points.length + " points" + apText + ")" })));
  });
  return [title, el("div", { className: "curves-row" }, plot, legend)];
}

// ---------- routing ----------

async function route() {
  if (!state.info) {
    try { await loadInfo(); } catch (error) {
      document.getElementById("main").replaceChildren(el("div", { className: "error",
        text: error.status === 401 ? "Unauthorized: open the URL that `cairn app` printed." : String(error.message) }));
      return;
    }
  }
  const hash = location.hash || "#/";
  editor.error = "";
  if (hash.startsWith("#/sample/")) {
    await showSample(decodeURIComponent(hash.slice("#/sample/".length)));
  } else if (hash.startsWith("#/commit")) {
    await showCommit();
  } else if (hash.startsWith("#/map")) {
    await showMap(hash.startsWith("#/map/") ? decodeURIComponent(hash.slice("#/map/".length)) : "");
  } else if (hash.startsWith("#/eval")) {
    await showEvaluations(hash.startsWith("#/eval/") ? decodeURIComponent(hash.slice("#/eval/".length)) : "");
  } else {
    await showGrid();
  }
  document.body.dataset.page = hash.startsWith("#/sample/") ? "sample" : hash.startsWith("#/commit") ? "commit"
    : hash.startsWith("#/eval") ? "eval" : hash.startsWith("#/map") ? "map" : "grid";
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", route);

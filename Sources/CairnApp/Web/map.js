// The embedding map page (#/map/NAME): the 2-D coordinates `cairn map` stored in
// runs/map/NAME/coordinates.json as a canvas scatter plot. Wheel zooms around the pointer, the
// pan tool drags the plot, the lasso (free hand) and box tools select points (Shift adds to the
// selection); the selection opens in the grid, gets a tag, or is saved as a view. Uses the
// helpers of app.js (el, api, option, state, setActiveNav, loadInfo); keys reach the page
// through textContent only.
"use strict";

const mapPage = {
  name: "",
  color: "",
  data: null,
  // Screen position of each point before the zoom and pan (canvas pixels).
  baseX: null,
  baseY: null,
  zoom: 1,
  offsetX: 0,
  offsetY: 0,
  tool: "lasso",
  selected: null,
  drag: null,
  colors: null,
};

const MAP_PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04",
  "#db2777", "#4b5563", "#65a30d", "#7c3aed", "#0d9488"];
const MAP_NONE = "#c4c9d4";

async function showMap(name) {
  setActiveNav("map");
  const main = document.getElementById("main");
  let maps;
  try { maps = await api("GET", "/api/maps"); } catch (error) {
    main.replaceChildren(el("div", { className: "error", text: error.describe() }));
    return;
  }
  if (!maps.length) {
    main.replaceChildren(el("div", { className: "panel", id: "map-none",
      text: "No maps in runs/map/ (make one with cairn map --embeddings NAME --out map.svg)." }));
    return;
  }
  const current = name || mapPage.name || maps[0].name;
  if (current !== mapPage.name) {
    mapPage.name = current;
    mapPage.color = "";
    mapPage.selected = null;
  }
  const mapSelect = el("select", { id: "map-name" }, ...maps.map((m) => option(m.name,
    m.name + (m.method ? " (" + m.method + ", " + m.points + ")" : " (unreadable)"), m.name === current)));
  mapSelect.addEventListener("change", () => { location.hash = "#/map/" + encodeURIComponent(mapSelect.value); });
  const colorSelect = el("select", { id: "map-color" }, option("", "no colour", !mapPage.color));
  const schema = (state.info && state.info.schema) || {};
  const groups = [
    ["Label field (class)", Object.keys(schema.fields || {}).sort().map((f) => ["labels." + f, f])],
    ["Sample field", Object.keys(schema.sample_fields || {}).sort().map((f) => ["fields." + f, f])],
  ];
  if (state.evals === null) {
    try { state.evals = await api("GET", "/api/evals"); } catch (_) { state.evals = []; }
  }
  groups.push(["Evaluation outcome", state.evals.filter((r) => r.kind).map((r) => ["eval:" + r.key, r.key])]);
  for (const [label, entries] of groups) {
    if (!entries.length) continue;
    colorSelect.append(el("optgroup", { label }, ...entries.map(([v, t]) => option(v, t, v === mapPage.color))));
  }
  colorSelect.addEventListener("change", () => { mapPage.color = colorSelect.value; loadMap(); });
  const tools = el("span", { className: "tools", id: "map-tools" }, ...[["lasso", "Lasso"], ["box", "Box"], ["pan", "Pan"]]
    .map(([tool, text]) => {
      const button = el("button", { id: "map-tool-" + tool, text, className: tool === mapPage.tool ? "current" : "" });
      button.addEventListener("click", () => {
        mapPage.tool = tool;
        for (const b of tools.querySelectorAll("button")) b.classList.toggle("current", b === button);
      });
      return button;
    }));
  const reset = el("button", { id: "map-reset", text: "Fit", title: "Show every point" });
  reset.addEventListener("click", () => { mapPage.zoom = 1; mapPage.offsetX = 0; mapPage.offsetY = 0; drawMap(); });
  const canvas = el("canvas", { id: "map-canvas", width: 800, height: 600 });
  const panel = el("div", { className: "panel", id: "map-panel" });
  main.replaceChildren(
    el("div", { className: "toolbar" }, el("label", {}, "Map", mapSelect), el("label", {}, "Colour", colorSelect),
      tools, reset, el("span", { className: "muted", id: "map-hover" })),
    el("div", { className: "map-layout" }, el("div", { className: "map-wrap" }, canvas), panel));
  attachMapPointer(canvas);
  await loadMap();
}

async function loadMap() {
  const panel = document.getElementById("map-panel");
  const query = new URLSearchParams({ name: mapPage.name });
  if (mapPage.color) query.set("color", mapPage.color);
  try {
    mapPage.data = await api("GET", "/api/map?" + query.toString());
  } catch (error) {
    if (panel) panel.replaceChildren(el("div", { className: "error", id: "map-error", text: error.describe() }));
    return;
  }
  const count = mapPage.data.keys.length;
  if (!mapPage.selected || mapPage.selected.length !== count) mapPage.selected = new Uint8Array(count);
  mapColors();
  layoutMap();
  drawMap();
  renderMapPanel();
  document.getElementById("map-canvas").dataset.loaded = "true";
}

// A colour per point: categories (by count) from the palette, numbers on a blue–yellow ramp.
function mapColors() {
  const data = mapPage.data;
  const values = data.values || null;
  const colors = new Array(data.keys.length).fill(values ? MAP_NONE : MAP_PALETTE[0]);
  const legend = [];
  if (values) {
    const numeric = values.every((v) => v === null || typeof v === "number");
    if (numeric && values.some((v) => v !== null)) {
      const present = values.filter((v) => v !== null);
      const low = Math.min(...present), high = Math.max(...present);
      values.forEach((v, i) => { if (v !== null) colors[i] = ramp(high > low ? (v - low) / (high - low) : 0.5); });
      legend.push({ text: String(low), color: ramp(0) }, { text: String(high), color: ramp(1) });
    } else {
      const counts = new Map();
      for (const v of values) {
        const name = v === null ? "(none)" : typeof v === "string" ? v : JSON.stringify(v);
        counts.set(name, (counts.get(name) || 0) + 1);
      }
      const names = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || (a < b ? -1 : 1));
      const byName = new Map();
      let next = 0;
      for (const name of names) {
        const color = name === "(none)" || next >= MAP_PALETTE.length ? MAP_NONE : MAP_PALETTE[next++];
        byName.set(name, color);
        legend.push({ text: name + " (" + counts.get(name) + ")", color });
      }
      values.forEach((v, i) => {
        colors[i] = byName.get(v === null ? "(none)" : typeof v === "string" ? v : JSON.stringify(v));
      });
    }
  }
  mapPage.colors = colors;
  mapPage.legend = legend;
}

function ramp(t) {
  const a = [37, 52, 148], b = [250, 204, 21];
  return "rgb(" + a.map((c, i) => Math.round(c + (b[i] - c) * t)).join(",") + ")";
}

// Fits the points into the canvas (y up), keeping the aspect ratio of the coordinates.
function layoutMap() {
  const canvas = document.getElementById("map-canvas");
  const wrap = canvas.parentElement;
  canvas.width = Math.max(320, wrap.clientWidth);
  canvas.height = Math.max(320, Math.min(window.innerHeight - 140, canvas.width * 0.75));
  const { x, y } = mapPage.data;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < x.length; i++) {
    minX = Math.min(minX, x[i]); maxX = Math.max(maxX, x[i]);
    minY = Math.min(minY, y[i]); maxY = Math.max(maxY, y[i]);
  }
  const margin = 24;
  const spanX = maxX - minX || 1, spanY = maxY - minY || 1;
  const scale = Math.min((canvas.width - 2 * margin) / spanX, (canvas.height - 2 * margin) / spanY);
  const left = (canvas.width - spanX * scale) / 2, top = (canvas.height - spanY * scale) / 2;
  mapPage.baseX = new Float64Array(x.length);
  mapPage.baseY = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    mapPage.baseX[i] = left + (x[i] - minX) * scale;
    mapPage.baseY[i] = top + (maxY - y[i]) * scale;
  }
}

function screenX(i) { return mapPage.baseX[i] * mapPage.zoom + mapPage.offsetX; }
function screenY(i) { return mapPage.baseY[i] * mapPage.zoom + mapPage.offsetY; }

function drawMap() {
  const canvas = document.getElementById("map-canvas");
  if (!canvas || !mapPage.data) return;
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const count = mapPage.data.keys.length;
  const size = count > 20000 ? 2 : count > 2000 ? 3 : 7;
  // Discs while they are few, squares (much faster to fill) beyond.
  const dot = count > 5000 ? (px, py) => context.fillRect(px - size / 2, py - size / 2, size, size)
    : (px, py) => { context.beginPath(); context.arc(px, py, size / 2, 0, 2 * Math.PI); context.fill(); };
  const byColor = new Map();
  for (let i = 0; i < count; i++) {
    const list = byColor.get(mapPage.colors[i]);
    if (list) list.push(i); else byColor.set(mapPage.colors[i], [i]);
  }
  for (const [color, list] of byColor) {
    context.fillStyle = color;
    for (const i of list) dot(screenX(i), screenY(i));
  }
  context.strokeStyle = "#111827";
  context.lineWidth = 1.5;
  for (let i = 0; i < count; i++) {
    if (!mapPage.selected[i]) continue;
    context.beginPath();
    context.arc(screenX(i), screenY(i), size / 2 + 2.5, 0, 2 * Math.PI);
    context.stroke();
  }
  const drag = mapPage.drag;
  if (drag && (drag.kind === "lasso" || drag.kind === "box")) {
    context.strokeStyle = "#2563eb";
    context.fillStyle = "rgba(37, 99, 235, 0.08)";
    context.setLineDash([5, 3]);
    context.beginPath();
    polygonOf(drag).forEach(([px, py], k) => (k ? context.lineTo(px, py) : context.moveTo(px, py)));
    context.closePath();
    context.fill();
    context.stroke();
    context.setLineDash([]);
  }
}

function polygonOf(drag) {
  if (drag.kind === "lasso") return drag.points;
  const [a, b] = [drag.points[0], drag.points[drag.points.length - 1]];
  return [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]];
}

function inside(polygon, px, py) {
  let result = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i], [xj, yj] = polygon[j];
    if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) result = !result;
  }
  return result;
}

function canvasPoint(canvas, event) {
  const rect = canvas.getBoundingClientRect();
  return [(event.clientX - rect.left) * (canvas.width / rect.width), (event.clientY - rect.top) * (canvas.height / rect.height)];
}

function nearestPoint(px, py, radius) {
  let best = -1, bestDistance = radius * radius;
  for (let i = 0; i < mapPage.data.keys.length; i++) {
    const dx = screenX(i) - px, dy = screenY(i) - py;
    const distance = dx * dx + dy * dy;
    if (distance <= bestDistance) { best = i; bestDistance = distance; }
  }
  return best;
}

function attachMapPointer(canvas) {
  canvas.addEventListener("wheel", (event) => {
    if (!mapPage.data) return;
    event.preventDefault();
    const [px, py] = canvasPoint(canvas, event);
    const factor = Math.exp(-event.deltaY * 0.0015);
    const zoom = Math.min(200, Math.max(0.2, mapPage.zoom * factor));
    const applied = zoom / mapPage.zoom;
    mapPage.offsetX = px - (px - mapPage.offsetX) * applied;
    mapPage.offsetY = py - (py - mapPage.offsetY) * applied;
    mapPage.zoom = zoom;
    drawMap();
  }, { passive: false });
  canvas.addEventListener("mousedown", (event) => {
    if (event.button !== 0 || !mapPage.data) return;
    event.preventDefault();
    const point = canvasPoint(canvas, event);
    mapPage.drag = { kind: mapPage.tool, points: [point], start: point, add: event.shiftKey,
      offset: [mapPage.offsetX, mapPage.offsetY] };
  });
  canvas.addEventListener("mousemove", (event) => {
    if (mapPage.drag || !mapPage.data) return;
    const [px, py] = canvasPoint(canvas, event);
    const i = nearestPoint(px, py, 6);
    const hover = document.getElementById("map-hover");
    if (hover) hover.textContent = i < 0 ? "" : mapPage.data.keys[i] +
      (mapPage.data.values ? " · " + JSON.stringify(mapPage.data.values[i]) : "");
  });
}

window.addEventListener("mousemove", (event) => {
  const drag = mapPage.drag;
  const canvas = document.getElementById("map-canvas");
  if (!drag || !canvas) return;
  const point = canvasPoint(canvas, event);
  if (drag.kind === "pan") {
    mapPage.offsetX = drag.offset[0] + point[0] - drag.start[0];
    mapPage.offsetY = drag.offset[1] + point[1] - drag.start[1];
  } else {
    drag.points.push(point);
  }
  drawMap();
});

window.addEventListener("mouseup", (event) => {
  const drag = mapPage.drag;
  const canvas = document.getElementById("map-canvas");
  mapPage.drag = null;
  if (!drag || !canvas) return;
  drag.points.push(canvasPoint(canvas, event));
  const [sx, sy] = drag.start;
  const [ex, ey] = drag.points[drag.points.length - 1];
  const moved = drag.points.some(([px, py]) => Math.abs(px - sx) > 3 || Math.abs(py - sy) > 3);
  if (drag.kind === "pan" || !moved) {
    if (!moved) {
      // A click: select (or, with Shift, toggle) the nearest point.
      const i = nearestPoint(ex, ey, 6);
      if (!drag.add) mapPage.selected.fill(0);
      if (i >= 0) mapPage.selected[i] = drag.add ? 1 - mapPage.selected[i] : 1;
      renderMapPanel();
    }
    drawMap();
    return;
  }
  const polygon = polygonOf(drag);
  if (!drag.add) mapPage.selected.fill(0);
  for (let i = 0; i < mapPage.data.keys.length; i++) {
    if (inside(polygon, screenX(i), screenY(i))) mapPage.selected[i] = 1;
  }
  drawMap();
  renderMapPanel();
});

function selectedKeys() {
  const keys = [];
  if (!mapPage.data || !mapPage.selected) return keys;
  mapPage.selected.forEach((on, i) => { if (on) keys.push(mapPage.data.keys[i]); });
  return keys;
}

function renderMapPanel() {
  const panel = document.getElementById("map-panel");
  if (!panel || !mapPage.data) return;
  const keys = selectedKeys();
  const data = mapPage.data;
  const result = el("div", { id: "map-result" });
  const report = (ok, text) => result.replaceChildren(el("div", { className: ok ? "ok" : "error", text }));
  const show = el("button", { id: "map-show", text: "Show in grid", disabled: !keys.length });
  show.addEventListener("click", async () => {
    try {
      await api("PUT", "/api/selection", { keys: selectedKeys() });
      Object.assign(state.filter, { view: "", tag: "", field: "", cls: "", evalKey: "", outcome: "",
        truth: "", predicted: "", selection: true, offset: 0 });
      location.hash = "#/";
    } catch (error) { report(false, error.describe()); }
  });
  const clear = el("button", { id: "map-clear", text: "Clear", disabled: !keys.length });
  clear.addEventListener("click", () => { mapPage.selected.fill(0); drawMap(); renderMapPanel(); });
  const tagInput = el("input", { type: "text", id: "map-tag-input", placeholder: "tag…" });
  const tag = el("button", { id: "map-tag", text: "Add tag", disabled: !keys.length });
  tag.addEventListener("click", async () => {
    const name = tagInput.value.trim();
    if (!name) return;
    try {
      const done = await api("POST", "/api/selection/tags", { keys: selectedKeys(), tags: [name] });
      report(true, "Tagged " + done.changed + " of " + done.selected + " samples '" + name + "'");
      await loadInfo();
    } catch (error) { report(false, error.describe()); }
  });
  const viewInput = el("input", { type: "text", id: "map-view-name", placeholder: "view name…" });
  const replace = el("input", { type: "checkbox", id: "map-view-replace" });
  const save = el("button", { id: "map-save-view", text: "Save as view", disabled: !keys.length });
  save.addEventListener("click", async () => {
    const name = viewInput.value.trim();
    if (!name) return;
    try {
      const done = await api("POST", "/api/selection/view", { name, keys: selectedKeys(), replace: replace.checked });
      report(true, "Saved " + done.path + " (" + done.samples + " samples); record it with a commit");
      await loadInfo();
    } catch (error) { report(false, error.describe()); }
  });
  // Colours are set through the style object: the policy forbids style attributes.
  const legend = el("ul", { className: "map-legend", id: "map-legend" }, ...(mapPage.legend || []).map((entry) => {
    const swatch = el("span", { className: "swatch" });
    swatch.style.background = entry.color;
    return el("li", {}, swatch, el("span", { text: entry.text }));
  }));
  const preview = el("ul", { className: "labels-list", id: "map-selected" }, ...keys.slice(0, 50).map((key) => {
    const item = el("li", { text: key, title: "open " + key });
    item.addEventListener("click", () => { location.hash = "#/sample/" + encodeURIComponent(key); });
    return item;
  }));
  const params = Object.entries(data.parameters || {}).map(([k, v]) => k + "=" + String(v)).join(" · ");
  panel.replaceChildren(...[
    el("h3", { text: "Map" }),
    el("div", { className: "muted mono", text: data.embeddings + " · " + data.method + " · " + data.keys.length + " points" + (params ? " · " + params : "") }),
    el("h3", { text: data.color_by ? "Colour: " + data.color_by : "Colour" }),
    legend.childElementCount ? legend : el("div", { className: "muted", text: "none" }),
    el("h3", { text: "Selection" }),
    el("div", { id: "map-count", "data-count": keys.length, text: keys.length + " selected" }),
    el("div", { className: "row" }, show, clear),
    el("div", { className: "row" }, tagInput, tag),
    el("div", { className: "row" }, viewInput, save, el("label", {}, replace, " replace")),
    result,
    preview,
    keys.length > 50 ? el("div", { className: "muted", text: "… and " + (keys.length - 50) + " more" }) : null,
    el("p", { className: "muted", text: "Lasso or box: drag to select (Shift adds); a click picks one point. Wheel zooms, the pan tool drags." }),
  ].filter((node) => node !== null));
}

window.addEventListener("resize", () => {
  if (document.getElementById("map-canvas") && mapPage.data) { layoutMap(); drawMap(); }
});

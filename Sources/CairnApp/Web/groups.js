// The group view: the slices of a multimodal group (KITTI: left and right camera, LiDAR) side
// by side, each camera with its 2-D boxes and the group's cuboids projected onto it, and a
// bird's-eye view of the point cloud in which the cuboids of one field are drawn, moved,
// resized, rotated and deleted. Uses the helpers of app.js (el, svg, api, option…); every
// piece of repository text reaches the page through textContent or SVG text nodes.
"use strict";

const groupView = {
  group: null,     // /api/group's answer
  key: "",         // the sample that was opened
  field: "",       // the cuboid field being edited
  labels: [],      // that field's labels in the label file of view.sample
  selected: null,  // index into labels
  undo: [],
  redo: [],
  drag: null,
  busy: false,
  error: "",
  plainKey: "",    // a sample to show in the plain sample view once
  currentClass: "",
  points: null,    // Float32Array of (right, forward, up) per point, in metres
  pointsTotal: 0,
  ground: 0,       // the up coordinate of the ground under the sensor (a low percentile)
  scale: 8,        // screen pixels per metre
  centre: [0, 25], // the (right, forward) point at the middle of the canvas
};

const CUBOID_EDGES = [];
for (let i = 0; i < 8; i++) for (const bit of [1, 2, 4]) if (!(i & bit)) CUBOID_EDGES.push([i, i | bit]);

// ---------- geometry ----------

// The columns of R = Rz(rz)·Ry(ry)·Rx(rx): the box's x, y and z axes in its frame.
function rotationAxes(rotation) {
  const [rx, ry, rz] = rotation;
  const sx = Math.sin(rx), cx = Math.cos(rx), sy = Math.sin(ry), cy = Math.cos(ry);
  const sz = Math.sin(rz), cz = Math.cos(rz);
  return [
    [cz * cy, sz * cy, -sy],
    [cz * sy * sx - sz * cx, sz * sy * sx + cz * cx, cy * sx],
    [cz * sy * cx + sz * sx, sz * sy * cx - cz * sx, cy * cx],
  ];
}

function transformPoint(m, p) {
  return [0, 1, 2].map((r) => m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3]);
}

function rotateVector(m, v) {
  return [0, 1, 2].map((r) => m[r][0] * v[0] + m[r][1] * v[1] + m[r][2] * v[2]);
}

function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
function axisIndex(v) { return [0, 1, 2].find((i) => v[i] !== 0); }

// A cuboid label carried into the view frame: centre, axes, dimensions; null when its frame
// is unknown to the group.
function cuboidInView(label) {
  const view = groupView.group.view;
  const m = view.transforms[label.frame];
  if (!m || !Array.isArray(label.center) || !Array.isArray(label.dimensions) || !Array.isArray(label.rotation)) return null;
  return {
    center: transformPoint(m, label.center),
    axes: rotationAxes(label.rotation).map((a) => rotateVector(m, a)),
    dims: label.dimensions.slice(),
  };
}

function cuboidCorners(box) {
  const corners = [];
  for (let i = 0; i < 8; i++) {
    const s = [i & 1 ? 0.5 : -0.5, i & 2 ? 0.5 : -0.5, i & 4 ? 0.5 : -0.5];
    corners.push([0, 1, 2].map((k) => box.center[k] + box.axes[0][k] * s[0] * box.dims[0] +
      box.axes[1][k] * s[1] * box.dims[1] + box.axes[2][k] * s[2] * box.dims[2]));
  }
  return corners;
}

function toBev(p) {
  const view = groupView.group.view;
  return [dot(p, view.right), dot(p, view.forward)];
}

// The box's footprint in the bird's-eye plane: the centre, its two ground axes (unit, 2-D),
// their extents and the indices of those axes (the heading is the first).
function footprint(box) {
  const up = groupView.group.view.up;
  const height = [0, 1, 2].reduce((best, i) => (Math.abs(dot(box.axes[i], up)) > Math.abs(dot(box.axes[best], up)) ? i : best), 0);
  const ground = [0, 1, 2].filter((i) => i !== height);
  const unit = (v) => { const n = Math.hypot(v[0], v[1]) || 1; return [v[0] / n, v[1] / n]; };
  return {
    centre: toBev(box.center),
    a: unit(toBev(box.axes[ground[0]])), b: unit(toBev(box.axes[ground[1]])),
    da: box.dims[ground[0]], db: box.dims[ground[1]],
    ia: ground[0], ib: ground[1], height,
  };
}

function footprintCorners(f) {
  return [[1, 1], [1, -1], [-1, -1], [-1, 1]].map(([sa, sb]) => [
    f.centre[0] + f.a[0] * sa * f.da / 2 + f.b[0] * sb * f.db / 2,
    f.centre[1] + f.a[1] * sa * f.da / 2 + f.b[1] * sb * f.db / 2]);
}

// Projected edges of a box on a camera: segments in pixels, each edge clipped where it
// crosses w = 1e-6 (behind the camera), as Projection.project does on the server.
function projectBox(camera, box) {
  const homogeneous = cuboidCorners(box).map((p) => [0, 1, 2].map((r) =>
    camera[r][0] * p[0] + camera[r][1] * p[1] + camera[r][2] * p[2] + camera[r][3]));
  const eps = 1e-6;
  const segments = [];
  for (const [i, j] of CUBOID_EDGES) {
    let p = homogeneous[i], q = homogeneous[j];
    if (p[2] < eps && q[2] < eps) continue;
    const cut = (a, b) => { const t = (eps - a[2]) / (b[2] - a[2]); return [0, 1, 2].map((k) => a[k] + t * (b[k] - a[k])); };
    if (p[2] < eps) p = cut(p, q); else if (q[2] < eps) q = cut(q, p);
    segments.push([p[0] / p[2], p[1] / p[2], q[0] / q[2], q[1] / q[2]]);
  }
  return segments;
}

function roundTo(value, digits) {
  const f = Math.pow(10, digits);
  return Math.round(value * f) / f;
}

function normalAngle(a) {
  while (a > Math.PI) a -= 2 * Math.PI;
  while (a <= -Math.PI) a += 2 * Math.PI;
  return a;
}

// ---------- loading ----------

// Shows the group of `sample` (called by showSample in app.js for a sample with a group);
// false when the plain sample view was asked for instead (to edit an image's 2-D boxes).
async function showGroup(sample, field) {
  if (groupView.plainKey === sample.key) { groupView.plainKey = ""; return false; }
  const main = document.getElementById("main");
  let group;
  try {
    group = await api("GET", "/api/group?key=" + encodeURIComponent(sample.key) +
      (field ? "&field=" + encodeURIComponent(field) : ""));
  } catch (error) {
    main.replaceChildren(el("div", { className: "error", text: error.describe ? error.describe() : String(error) }));
    return true;
  }
  const samePointCloud = groupView.group && group.points && groupView.group.points &&
    groupView.group.points.url === group.points.url &&
    groupView.group.view.frame === group.view.frame;
  groupView.group = group;
  groupView.key = sample.key;
  groupView.field = group.field || "";
  groupView.selected = null;
  groupView.undo = [];
  groupView.redo = [];
  groupView.drag = null;
  groupView.error = "";
  groupView.labels = editSampleLabels().slice();
  const classes = (schemaFields()[groupView.field] || {}).classes || [];
  if (!classes.includes(groupView.currentClass)) groupView.currentClass = classes[0] || "";
  if (!samePointCloud) { groupView.points = null; groupView.pointsTotal = 0; }
  renderGroup();
  if (!samePointCloud && group.points) await loadPoints();
  else drawBev();
  return true;
}

// Opens the plain sample view of `key`, where its 2-D boxes are edited.
function showPlainSample(key) {
  groupView.plainKey = key;
  showSample(key);
}

function sliceEntry(name) {
  return groupView.group.slices.find((s) => s.name === name);
}

function editSliceName() {
  const view = groupView.group.view;
  const entry = groupView.group.slices.find((s) => s.key === view.sample);
  return entry ? entry.name : "";
}

function editSampleLabels() {
  const entry = groupView.group.slices.find((s) => s.key === groupView.group.view.sample);
  if (!entry || !entry.sample || !groupView.field) return [];
  return (entry.sample.labels || {})[groupView.field] || [];
}

async function loadPoints() {
  const points = groupView.group.points;
  const bev = document.getElementById("bev");
  try {
    const response = await fetch(points.url, { credentials: "same-origin" });
    if (!response.ok) throw new Error("point cloud: HTTP " + response.status + " " + (await response.text()));
    groupView.pointsTotal = Number(response.headers.get("X-Cairn-Points-Total") || 0);
    const raw = new Float32Array(await response.arrayBuffer());
    const view = groupView.group.view;
    const m = view.transforms[points.slice];
    const count = raw.length / 4;
    const out = new Float32Array(count * 3);
    const heights = [];
    for (let i = 0; i < count; i++) {
      const p = transformPoint(m, [raw[4 * i], raw[4 * i + 1], raw[4 * i + 2]]);
      out[3 * i] = dot(p, view.right);
      out[3 * i + 1] = dot(p, view.forward);
      out[3 * i + 2] = dot(p, view.up);
      if (i % 16 === 0) heights.push(out[3 * i + 2]);
    }
    heights.sort((a, b) => a - b);
    groupView.ground = heights.length ? heights[Math.floor(heights.length * 0.05)] : 0;
    groupView.points = out;
  } catch (error) {
    groupView.error = String(error.message || error);
    renderGroupPanel();
  }
  if (bev) drawBev();
}

// ---------- rendering ----------

function renderGroup() {
  const group = groupView.group;
  const main = document.getElementById("main");
  const back = el("a", { href: "#/", text: "← Samples" });
  const cameras = el("div", { className: "group-slices", id: "group-slices" });
  for (const slice of group.slices) {
    if (!slice.sample) {
      cameras.append(el("figure", { className: "group-slice" }, el("div", { className: "error", text: slice.name + ": " + (slice.problem || "unreadable") })));
      continue;
    }
    if (slice.sample.media.kind !== "image") continue;
    // Width and height reserve the image's room before it loads, so the bird's-eye view below
    // is laid out where it will stay.
    const image = el("img", { alt: slice.key, draggable: "false", "data-slice": slice.name,
      width: slice.sample.media.width, height: slice.sample.media.height });
    if (slice.sample.media.url) image.src = slice.sample.media.url;
    const overlay = svg("svg", { class: "group-overlay", "data-slice": slice.name, preserveAspectRatio: "none" });
    image.addEventListener("load", drawCameraOverlays);
    const stage = el("div", { className: "group-stage" }, image, overlay);
    const caption = el("figcaption", {},
      el("strong", { text: slice.name }), " ",
      el("span", { className: "mono", text: slice.key }), " ",
      el("button", { className: "edit-boxes", "data-slice": slice.name, text: "Edit 2-D boxes", onclick: () => showPlainSample(slice.key) }),
      group.view.cameras[slice.name] ? null : el("span", { className: "muted", text: " · no projection" }));
    cameras.append(el("figure", { className: "group-slice", "data-slice": slice.name }, stage, caption));
  }
  const canvas = el("canvas", { id: "bev-canvas" });
  const overlay = svg("svg", { id: "bev-overlay" });
  const bev = el("div", { id: "bev" }, canvas, overlay);
  attachBevPointer(overlay);
  overlay.addEventListener("wheel", zoomBev, { passive: false });
  const cloud = group.view.point_cloud ? sliceEntry(group.view.point_cloud) : null;
  const bevCaption = el("div", { className: "muted", id: "bev-caption" },
    "Bird's-eye view in frame ", el("strong", { text: group.view.frame }),
    " (" + axisName(group.view.right) + " right, " + axisName(group.view.forward) + " up the screen, " +
      axisName(group.view.up) + " towards you)",
    cloud ? " · point cloud " : " · no point cloud",
    cloud ? el("span", { className: "mono", text: cloud.key }) : null);
  const panel = el("div", { className: "panel", id: "group-panel" });
  main.replaceChildren(
    el("div", { className: "toolbar" }, back,
      el("strong", { id: "sample-key", text: groupView.key }),
      el("span", { className: "chip", id: "group-id", text: "group " + group.id }),
      el("span", { className: "legend" }, el("span", { className: "gt", text: "▭ ground truth" }),
        el("span", { className: "pred", text: "┅ other fields" }))),
    cameras,
    el("div", { className: "group-bottom" },
      el("div", { className: "bev-wrap" }, bev, bevCaption), panel));
  renderGroupPanel();
  fitBev();
  drawCameraOverlays();
  // Keep the canvas as wide as its column (a scroll bar, a resized window).
  const wrap = document.querySelector(".bev-wrap");
  new ResizeObserver(() => {
    const width = Math.max(320, wrap.clientWidth - 16);
    if (canvas.isConnected && canvas.width !== width) { canvas.width = width; drawBev(); }
  }).observe(wrap);
}

function axisName(v) {
  const i = axisIndex(v);
  return (v[i] < 0 ? "−" : "+") + "xyz"[i];
}

// Every cuboid of the group in `field` with where it is stored; the edited file's labels come
// from groupView.labels, so that drags show at once.
function groupCuboids(field) {
  const out = [];
  const editKey = groupView.group.view.sample;
  for (const slice of groupView.group.slices) {
    if (!slice.sample) continue;
    const labels = slice.key === editKey && field === groupView.field ? groupView.labels : ((slice.sample.labels || {})[field] || []);
    labels.forEach((label, index) => {
      if (label.type !== "cuboid") return;
      const editable = slice.key === editKey && field === groupView.field && label.frame === groupView.group.view.frame;
      out.push({ label, index: editable ? index : null, slice: slice.name });
    });
  }
  return out;
}

function cuboidFieldsShown() {
  return groupView.group.cuboid_fields || [];
}

function drawCameraOverlays() {
  if (!groupView.group) return;
  for (const overlay of document.querySelectorAll("svg.group-overlay")) {
    const name = overlay.dataset.slice;
    const slice = sliceEntry(name);
    const image = document.querySelector("img[data-slice='" + CSS.escape(name) + "']");
    const W = (slice.sample.media.width) || (image && image.naturalWidth) || 1;
    const H = (slice.sample.media.height) || (image && image.naturalHeight) || 1;
    overlay.setAttribute("viewBox", "0 0 " + W + " " + H);
    overlay.replaceChildren();
    let boxes = 0;
    for (const [field, labels] of Object.entries(slice.sample.labels || {})) {
      const predicted = isPredictionField(field);
      for (const label of labels) {
        if (label.type !== "detection" || !Array.isArray(label.bbox)) continue;
        const [x, y, w, h] = label.bbox;
        overlay.append(svg("rect", { x: x * W, y: y * H, width: w * W, height: h * H, class: predicted ? "box-pred" : "box-gt" }));
        boxes++;
      }
    }
    let projected = 0;
    const camera = groupView.group.view.cameras[name];
    if (camera) {
      for (const field of cuboidFieldsShown()) {
        for (const item of groupCuboids(field)) {
          const box = cuboidInView(item.label);
          if (!box) continue;
          const segments = projectBox(camera, box);
          if (!segments.length) continue;
          const d = segments.map((s) => "M" + s[0].toFixed(1) + " " + s[1].toFixed(1) + "L" + s[2].toFixed(1) + " " + s[3].toFixed(1)).join("");
          const selected = item.index !== null && item.index === groupView.selected;
          overlay.append(svg("path", { d, class: "cuboid-projection" + (field === groupView.field ? "" : " other") + (selected ? " selected" : "") }));
          projected++;
        }
      }
    }
    overlay.dataset.boxes = String(boxes);
    overlay.dataset.cuboids = String(projected);
  }
}

// ---------- bird's-eye view ----------

function bevSize() {
  const canvas = document.getElementById("bev-canvas");
  return canvas ? { width: canvas.width, height: canvas.height } : null;
}

// Sizes the canvas and centres the view on the cuboids (or the space ahead of the sensor).
function fitBev() {
  const canvas = document.getElementById("bev-canvas");
  const wrap = document.querySelector(".bev-wrap");
  if (!canvas || !wrap) return;
  // As tall as the window leaves below the cameras; the width is read afterwards, once a
  // scroll bar that height brings has taken its room.
  const top = wrap.getBoundingClientRect().top + window.scrollY;
  canvas.height = Math.max(320, Math.min(900, window.innerHeight - top - 48));
  canvas.width = Math.max(320, wrap.clientWidth - 16);
  let r0 = -30, r1 = 30, f0 = -5, f1 = 60;
  for (const field of cuboidFieldsShown()) {
    for (const item of groupCuboids(field)) {
      const box = cuboidInView(item.label);
      if (!box) continue;
      const [r, f] = toBev(box.center);
      r0 = Math.min(r0, r - 4); r1 = Math.max(r1, r + 4); f0 = Math.min(f0, f - 4); f1 = Math.max(f1, f + 4);
    }
  }
  groupView.scale = Math.min(canvas.width / (r1 - r0), canvas.height / (f1 - f0));
  groupView.centre = [(r0 + r1) / 2, (f0 + f1) / 2];
  drawBev();
}

function toScreen(b) {
  const size = bevSize();
  return [size.width / 2 + (b[0] - groupView.centre[0]) * groupView.scale,
    size.height / 2 - (b[1] - groupView.centre[1]) * groupView.scale];
}

function fromScreen(x, y) {
  const size = bevSize();
  return [(x - size.width / 2) / groupView.scale + groupView.centre[0],
    -(y - size.height / 2) / groupView.scale + groupView.centre[1]];
}

// The bird's-eye point under a mouse event.
function bevPoint(event) {
  const rect = document.getElementById("bev-canvas").getBoundingClientRect();
  return fromScreen(event.clientX - rect.left, event.clientY - rect.top);
}

function drawBev() {
  const canvas = document.getElementById("bev-canvas");
  const bev = document.getElementById("bev");
  if (!canvas || !bev) return;
  const context = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height;
  context.fillStyle = "#0b1020";
  context.fillRect(0, 0, W, H);
  // Rings every 10 m around the view frame's origin.
  context.strokeStyle = "rgba(148, 163, 184, 0.25)";
  context.lineWidth = 1;
  const origin = toScreen([0, 0]);
  for (let r = 10; r <= 100; r += 10) {
    context.beginPath();
    context.arc(origin[0], origin[1], r * groupView.scale, 0, 2 * Math.PI);
    context.stroke();
  }
  if (groupView.points) {
    const image = context.getImageData(0, 0, W, H);
    const data = image.data;
    const points = groupView.points;
    const s = groupView.scale, cx = W / 2 - groupView.centre[0] * s, cy = H / 2 + groupView.centre[1] * s;
    for (let i = 0; i < points.length; i += 3) {
      const x = Math.round(cx + points[i] * s), y = Math.round(cy - points[i + 1] * s);
      if (x < 0 || y < 0 || x >= W || y >= H) continue;
      const t = Math.max(0, Math.min(1, (points[i + 2] - groupView.ground) / 3));
      const o = (y * W + x) * 4;
      data[o] = 60 + 195 * t; data[o + 1] = 140 + 100 * t; data[o + 2] = 255 - 200 * t; data[o + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }
  context.fillStyle = "#f43f5e";
  context.beginPath();
  context.arc(origin[0], origin[1], 4, 0, 2 * Math.PI);
  context.fill();
  bev.dataset.points = groupView.points ? String(groupView.points.length / 3) : "0";
  bev.dataset.scale = String(groupView.scale);
  drawBevOverlay();
}

function drawBevOverlay() {
  const overlay = document.getElementById("bev-overlay");
  const bev = document.getElementById("bev");
  const size = bevSize();
  if (!overlay || !size) return;
  overlay.setAttribute("viewBox", "0 0 " + size.width + " " + size.height);
  overlay.setAttribute("width", size.width);
  overlay.setAttribute("height", size.height);
  overlay.replaceChildren();
  let drawn = 0;
  for (const field of cuboidFieldsShown()) {
    for (const item of groupCuboids(field)) {
      const box = cuboidInView(item.label);
      if (!box) continue;
      const f = footprint(box);
      const corners = footprintCorners(f).map(toScreen);
      const editable = item.index !== null;
      const selected = editable && item.index === groupView.selected;
      const polygon = svg("polygon", {
        points: corners.map((c) => c[0].toFixed(2) + "," + c[1].toFixed(2)).join(" "),
        class: "cuboid" + (field === groupView.field ? " gt" : " other") + (editable ? " editable" : "") + (selected ? " selected" : ""),
      });
      if (editable) polygon.dataset.index = String(item.index);
      overlay.append(polygon);
      const centre = toScreen(f.centre);
      const front = toScreen([f.centre[0] + f.a[0] * f.da / 2, f.centre[1] + f.a[1] * f.da / 2]);
      overlay.append(svg("line", { x1: centre[0], y1: centre[1], x2: front[0], y2: front[1], class: "heading" }));
      overlay.append(svg("text", { x: centre[0] + 6, y: centre[1] - 6, text: item.label.label || "" }));
      if (field === groupView.field) drawn++;
      if (selected) {
        const names = ["c0", "c1", "c2", "c3"];
        corners.forEach((c, k) => overlay.append(svg("rect", { x: c[0] - 5, y: c[1] - 5, width: 10, height: 10, class: "handle", "data-handle": names[k] })));
        const ux = front[0] - centre[0], uy = front[1] - centre[1], n = Math.hypot(ux, uy) || 1;
        const knob = [front[0] + ux / n * 24, front[1] + uy / n * 24];
        overlay.append(svg("line", { x1: front[0], y1: front[1], x2: knob[0], y2: knob[1], class: "heading" }));
        overlay.append(svg("circle", { cx: knob[0], cy: knob[1], r: 7, class: "handle rotate", "data-handle": "rotate" }));
      }
    }
  }
  if (groupView.drag && groupView.drag.kind === "draw" && groupView.drag.current) {
    const a = toScreen(groupView.drag.start), b = toScreen(groupView.drag.current);
    overlay.append(svg("rect", { x: Math.min(a[0], b[0]), y: Math.min(a[1], b[1]), width: Math.abs(a[0] - b[0]), height: Math.abs(a[1] - b[1]), class: "draft" }));
  }
  bev.dataset.cuboids = String(drawn);
}

function zoomBev(event) {
  event.preventDefault();
  const before = bevPoint(event);
  groupView.scale *= event.deltaY < 0 ? 1.25 : 0.8;
  groupView.scale = Math.max(1, Math.min(200, groupView.scale));
  const after = bevPoint(event);
  groupView.centre = [groupView.centre[0] + before[0] - after[0], groupView.centre[1] + before[1] - after[1]];
  drawBev();
}

// Screen positions (viewport pixels) of cuboid `index`'s centre and rotation handle, and the
// view's scale: for tests and scripts.
function groupHandles(index) {
  const label = groupView.labels[index];
  const box = label && cuboidInView(label);
  if (!box) return null;
  const rect = document.getElementById("bev-canvas").getBoundingClientRect();
  const f = footprint(box);
  const c = toScreen(f.centre);
  const front = toScreen([f.centre[0] + f.a[0] * f.da / 2, f.centre[1] + f.a[1] * f.da / 2]);
  const ux = front[0] - c[0], uy = front[1] - c[1], n = Math.hypot(ux, uy) || 1;
  return {
    centre: [rect.left + c[0], rect.top + c[1]],
    rotate: [rect.left + front[0] + ux / n * 24, rect.top + front[1] + uy / n * 24],
    scale: groupView.scale,
  };
}

// ---------- editing ----------

// The label after the drag so far (or null when the drag changes nothing).
function draggedLabel(drag, point) {
  const label = JSON.parse(JSON.stringify(drag.original));
  const view = groupView.group.view;
  // Only cuboids in the view frame are editable, so view-frame offsets apply to the label as
  // they are.
  if (drag.kind === "move") {
    const dr = point[0] - drag.start[0], df = point[1] - drag.start[1];
    label.center = [0, 1, 2].map((k) => roundTo(drag.original.center[k] + view.right[k] * dr + view.forward[k] * df, 6));
  } else if (drag.kind === "rotate") {
    const c = drag.footprint.centre;
    const phi = Math.atan2(point[1] - c[1], point[0] - c[0]) - Math.atan2(drag.start[1] - c[1], drag.start[0] - c[0]);
    const rotation = drag.original.rotation.slice();
    rotation[view.up_axis] = roundTo(normalAngle(rotation[view.up_axis] + view.up_sign * phi), 6);
    label.rotation = rotation;
  } else if (drag.kind === "resize") {
    const f = drag.footprint;
    const [sa, sb] = drag.signs;
    const o = [f.centre[0] - sa * f.a[0] * f.da / 2 - sb * f.b[0] * f.db / 2,
      f.centre[1] - sa * f.a[1] * f.da / 2 - sb * f.b[1] * f.db / 2];
    const d = [point[0] - o[0], point[1] - o[1]];
    const da = Math.max(0.1, sa * (d[0] * f.a[0] + d[1] * f.a[1]));
    const db = Math.max(0.1, sb * (d[0] * f.b[0] + d[1] * f.b[1]));
    const c = [o[0] + sa * f.a[0] * da / 2 + sb * f.b[0] * db / 2, o[1] + sa * f.a[1] * da / 2 + sb * f.b[1] * db / 2];
    const dr = c[0] - f.centre[0], df = c[1] - f.centre[1];
    label.center = [0, 1, 2].map((k) => roundTo(drag.original.center[k] + view.right[k] * dr + view.forward[k] * df, 6));
    label.dimensions = drag.original.dimensions.slice();
    label.dimensions[f.ia] = roundTo(da, 4);
    label.dimensions[f.ib] = roundTo(db, 4);
  }
  return label;
}

// A new cuboid on the rectangle from `a` to `b` (bird's-eye metres), standing on the ground.
function newCuboid(a, b) {
  const view = groupView.group.view;
  const r0 = Math.min(a[0], b[0]), r1 = Math.max(a[0], b[0]), f0 = Math.min(a[1], b[1]), f1 = Math.max(a[1], b[1]);
  const cls = groupView.currentClass;
  const typical = { car: 1.5, van: 2.2, truck: 3.0, pedestrian: 1.75, person_sitting: 1.3, cyclist: 1.7, tram: 3.5 };
  const same = groupCuboids(groupView.field).map((item) => item.label).filter((l) => l.label === cls && l.frame === view.frame);
  let height = typical[String(cls).toLowerCase()] || 1.6;
  if (same.length) height = same.map((l) => l.dimensions[view.up_axis]).sort((x, y) => x - y)[Math.floor(same.length / 2)];
  let ground = groupView.ground;
  if (groupView.points) {
    const heights = [];
    const p = groupView.points;
    for (let i = 0; i < p.length; i += 3) {
      if (p[i] >= r0 - 2 && p[i] <= r1 + 2 && p[i + 1] >= f0 - 2 && p[i + 1] <= f1 + 2) heights.push(p[i + 2]);
    }
    if (heights.length >= 5) { heights.sort((x, y) => x - y); ground = heights[Math.floor(heights.length * 0.05)]; }
  }
  const rc = (r0 + r1) / 2, fc = (f0 + f1) / 2, uc = ground + height / 2;
  const center = [0, 1, 2].map((k) => roundTo(view.right[k] * rc + view.forward[k] * fc + view.up[k] * uc, 6));
  const dimensions = [0, 0, 0];
  dimensions[axisIndex(view.right)] = roundTo(r1 - r0, 4);
  dimensions[axisIndex(view.forward)] = roundTo(f1 - f0, 4);
  dimensions[view.up_axis] = roundTo(height, 4);
  const label = { type: "cuboid", center, dimensions, rotation: [0, 0, 0], frame: view.frame };
  if (cls) label.label = cls;
  return label;
}

function attachBevPointer(overlay) {
  overlay.addEventListener("mousedown", (event) => {
    if (event.button !== 0 || groupView.busy || !groupView.field) return;
    event.preventDefault();
    const point = bevPoint(event);
    const target = event.target;
    const handle = target.dataset ? target.dataset.handle : undefined;
    if (handle !== undefined && groupView.selected !== null) {
      const original = groupView.labels[groupView.selected];
      const f = footprint(cuboidInView(original));
      const signs = { c0: [1, 1], c1: [1, -1], c2: [-1, -1], c3: [-1, 1] }[handle];
      groupView.drag = { kind: handle === "rotate" ? "rotate" : "resize", signs, start: point, original, footprint: f };
    } else if (target.dataset && target.dataset.index !== undefined) {
      groupView.selected = Number(target.dataset.index);
      const original = groupView.labels[groupView.selected];
      groupView.drag = { kind: "move", start: point, original };
      renderGroupPanel();
    } else {
      groupView.selected = null;
      groupView.drag = { kind: "draw", start: point, current: point };
      renderGroupPanel();
    }
    drawBevOverlay();
    drawCameraOverlays();
  });
}

window.addEventListener("mousemove", (event) => {
  const drag = groupView.drag;
  if (!drag || !document.getElementById("bev")) return;
  const point = bevPoint(event);
  if (drag.kind === "draw") {
    drag.current = point;
  } else {
    const label = draggedLabel(drag, point);
    groupView.labels = groupView.labels.map((l, i) => (i === groupView.selected ? label : l));
    drag.moved = true;
    drawCameraOverlays();
  }
  drawBevOverlay();
});
window.addEventListener("mouseup", (event) => {
  const drag = groupView.drag;
  if (!drag || !document.getElementById("bev")) return;
  groupView.drag = null;
  const point = bevPoint(event);
  if (drag.kind === "draw") {
    const a = toScreen(drag.start), b = toScreen(point);
    if (Math.abs(a[0] - b[0]) < 4 || Math.abs(a[1] - b[1]) < 4) { drawBevOverlay(); return; }
    const labels = cloneGroupLabels();
    labels.push(newCuboid(drag.start, point));
    const index = labels.length - 1;
    applyGroupEdit(labels).then((ok) => { if (ok) { groupView.selected = index; renderGroupPanel(); drawBevOverlay(); drawCameraOverlays(); } });
  } else if (drag.moved) {
    const labels = cloneGroupLabels();
    labels[groupView.selected] = draggedLabel(drag, point);
    // Undo restores the labels as they were before the drag.
    groupView.labels = groupView.labels.map((l, i) => (i === groupView.selected ? drag.original : l));
    applyGroupEdit(labels);
  } else {
    drawBevOverlay();
  }
});

function cloneGroupLabels() {
  return JSON.parse(JSON.stringify(groupView.labels));
}

// Writes `labels` as the edited file's labels; on refusal keeps the previous ones and shows why.
async function applyGroupEdit(labels, fromHistory) {
  const before = groupView.labels;
  const view = groupView.group.view;
  groupView.busy = true;
  try {
    const result = await api("PUT", "/api/labels", { key: view.sample, field: groupView.field, labels });
    if (fromHistory === "undo") groupView.redo.push(before);
    else {
      groupView.undo.push(before);
      if (fromHistory !== "redo") groupView.redo = [];
    }
    groupView.labels = result.labels;
    const entry = groupView.group.slices.find((s) => s.key === view.sample);
    if (entry && entry.sample) entry.sample.labels = Object.assign({}, entry.sample.labels, { [groupView.field]: result.labels });
    groupView.error = "";
    if (groupView.selected !== null && groupView.selected >= groupView.labels.length) groupView.selected = null;
    refreshChangeCount();
    return true;
  } catch (error) {
    groupView.error = error.describe ? error.describe() : String(error);
    return false;
  } finally {
    groupView.busy = false;
    renderGroupPanel();
    drawBevOverlay();
    drawCameraOverlays();
  }
}

async function undoGroupEdit() {
  if (!groupView.undo.length || groupView.busy) return;
  const previous = groupView.undo.pop();
  if (!(await applyGroupEdit(previous, "undo"))) groupView.undo.push(previous);
  renderGroupPanel();
}

async function redoGroupEdit() {
  if (!groupView.redo.length || groupView.busy) return;
  const next = groupView.redo.pop();
  if (!(await applyGroupEdit(next, "redo"))) groupView.redo.push(next);
  renderGroupPanel();
}

function setGroupClass(name) {
  groupView.currentClass = name;
  if (groupView.selected === null) { renderGroupPanel(); return; }
  const labels = cloneGroupLabels();
  labels[groupView.selected].label = name;
  applyGroupEdit(labels);
}

function deleteGroupSelected() {
  if (groupView.selected === null) return;
  const labels = cloneGroupLabels();
  labels.splice(groupView.selected, 1);
  groupView.selected = null;
  applyGroupEdit(labels);
}

function renderGroupPanel() {
  const panel = document.getElementById("group-panel");
  if (!panel || !groupView.group) return;
  const fields = cuboidFieldsShown();
  const fieldSelect = el("select", { id: "cuboid-field" }, ...fields.map((f) => option(f, f, f === groupView.field)));
  fieldSelect.addEventListener("change", () => showGroup({ key: groupView.key }, fieldSelect.value));
  const def = schemaFields()[groupView.field] || {};
  const current = groupView.selected !== null && groupView.labels[groupView.selected] ? groupView.labels[groupView.selected].label : groupView.currentClass;
  const palette = el("div", { className: "palette", id: "cuboid-palette" });
  for (const name of def.classes || []) {
    const button = el("button", { text: name, "data-class": name, className: name === current ? "current" : "" });
    button.addEventListener("click", () => setGroupClass(name));
    palette.append(button);
  }
  const other = el("input", { type: "text", id: "cuboid-class-input", placeholder: "class…" });
  const apply = el("button", { id: "cuboid-class-apply", text: "Set" });
  apply.addEventListener("click", () => { if (other.value.trim()) setGroupClass(other.value.trim()); });
  other.addEventListener("keydown", (event) => { if (event.key === "Enter" && other.value.trim()) setGroupClass(other.value.trim()); });
  const undo = el("button", { id: "cuboid-undo", text: "↶ Undo", disabled: !groupView.undo.length || groupView.busy });
  const redo = el("button", { id: "cuboid-redo", text: "↷ Redo", disabled: !groupView.redo.length || groupView.busy });
  const remove = el("button", { id: "cuboid-delete", className: "danger", text: "Delete cuboid", disabled: groupView.selected === null });
  const fit = el("button", { id: "bev-fit", text: "Fit view" });
  undo.addEventListener("click", undoGroupEdit);
  redo.addEventListener("click", redoGroupEdit);
  remove.addEventListener("click", deleteGroupSelected);
  fit.addEventListener("click", fitBev);
  const list = el("ul", { className: "labels-list", id: "cuboid-list" });
  groupView.labels.forEach((label, index) => {
    if (label.type !== "cuboid") return;
    const editable = label.frame === groupView.group.view.frame;
    const item = el("li", { className: index === groupView.selected ? "selected" : "", "data-index": index },
      el("span", { className: "swatch gt" }),
      el("span", { className: "label-class", text: label.label || "(no class)" }),
      el("span", { className: "muted mono", text: label.frame + (editable ? "" : " (read-only)") }));
    if (editable) item.addEventListener("click", () => { groupView.selected = index; renderGroupPanel(); drawBevOverlay(); drawCameraOverlays(); });
    list.append(item);
  });
  const children = [
    el("h3", { text: "Cuboid field" }), fields.length ? fieldSelect : el("div", { className: "muted", text: "The schema has no cuboids field (cairn schema add-field NAME --type cuboids)." }),
    el("div", { className: "muted", text: "Edits go to " + (editSliceName() || "?") + " · " + groupView.group.view.sample }),
    el("h3", { text: "Class" }), palette, el("div", { className: "row" }, other, apply),
    el("div", { className: "row" }, undo, redo, remove, fit),
  ];
  if (groupView.error) children.push(el("div", { className: "error", id: "group-error", text: groupView.error }));
  const selected = groupView.selected !== null ? groupView.labels[groupView.selected] : null;
  if (selected && Array.isArray(selected.center)) {
    const view = groupView.group.view;
    const fmt = (v) => v.map((x) => Number(x).toFixed(2)).join(", ");
    children.push(el("h3", { text: "Selected" }), el("div", { className: "mono", id: "cuboid-readout" },
      el("div", { text: "center [" + fmt(selected.center) + "]" }),
      el("div", { text: "dimensions [" + fmt(selected.dimensions) + "]" }),
      el("div", { text: "yaw (about " + axisName(view.up) + ") " + (view.up_sign * selected.rotation[view.up_axis] * 180 / Math.PI).toFixed(1) + "°" })));
  }
  children.push(el("h3", { text: "Cuboids (" + list.childElementCount + ")" }), list,
    el("p", { className: "muted", text: "Drag on the bird's-eye view to draw a cuboid; drag a cuboid to move it, its corners to resize, the round knob to rotate; Delete removes it; Ctrl+Z / Ctrl+Shift+Z undo and redo; the wheel zooms. Every edit is checked against the schema and written to the working tree." }));
  panel.replaceChildren(...children);
}

document.addEventListener("keydown", (event) => {
  if (!document.getElementById("bev")) return;
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement && document.activeElement.tagName);
  if (typing) return;
  if ((event.key === "Delete" || event.key === "Backspace") && groupView.selected !== null) {
    event.preventDefault();
    deleteGroupSelected();
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
    event.preventDefault();
    if (event.shiftKey) redoGroupEdit(); else undoGroupEdit();
  } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "y") {
    event.preventDefault();
    redoGroupEdit();
  }
});

window.addEventListener("resize", () => {
  if (!document.getElementById("bev")) return;
  drawBev();
  drawCameraOverlays();
});

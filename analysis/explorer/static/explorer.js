// The explorer page: draws the exact regions on a canvas and answers the mouse and controls.
// The frames and their queries come from frames.js (regionsFrames), inlined before this file.
// Nothing is fetched from the network.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const meta = JSON.parse($("regions-meta").textContent);
  const palette = meta.palette;
  const {
    unzip, arrayViews, makeFrame, locate, ancestor, patternByLayer, patternHash, members,
    logits, ringPath, classPaths, segmentPath, edgePaths, boundaryPath, regionPath,
    neighbours, areaOf,
  } = regionsFrames;

  // ------------------------------------------------------------------------ colours
  function blend(hex, t) {  // hex colour moved a fraction t towards white
    const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return `rgb(${v.map((c) => Math.round(c + (255 - c) * t)).join(",")})`;
  }

  // Each colouring assigns every region a colour index; the regions of one colour are then
  // filled as a single path (no seams between same-coloured neighbours, few draw calls).
  function colouring(f, mode, k) {
    const key = `colour:${mode}:${k}`;
    if (f.cache.has(key)) return f.cache.get(key);
    const index = new Int32Array(f.R);
    let colours, legend = "";
    if (mode === "pattern") {
      const tints = [0, 0.2, 0.4, 0.55];
      colours = palette.regions.flatMap((hex) => tints.map((t) => blend(hex, t)));
      for (let r = 0; r < f.R; r++) {
        const h = patternHash(f, r, k);
        index[r] = (h % palette.regions.length) * tints.length + ((h >>> 8) % tints.length);
      }
      legend = `Colour: a hash of the activation pattern of the first ${k} layer(s).`;
    } else if (mode === "slope") {
      const norm = new Float64Array(f.R);
      for (let r = 0; r < f.R; r++) {
        let s = 0;
        for (let j = 0; j < 2 * f.m; j++) s += f.A[2 * r * f.m + j] ** 2;
        norm[r] = Math.sqrt(s);
      }
      let lo = Infinity, hi = -Infinity;
      for (const v of norm) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      colours = palette.ramp;
      const n = colours.length;
      for (let r = 0; r < f.R; r++) {
        index[r] = hi > lo ? Math.min(n - 1, Math.floor(((norm[r] - lo) / (hi - lo)) * n)) : 0;
      }
      legend = `Colour: |A| (Frobenius norm of the output map's gradient), from ${fmt(lo)} `
        + `(${swatch(colours[0])}) to ${fmt(hi)} (${swatch(colours[n - 1])}), full depth.`;
    } else {
      colours = [palette.plain];
      legend = mode === "layer"
        ? "Boundaries coloured by the layer that drew them: " + layerSwatches(f)
        : "";
    }
    const value = { index, colours, legend };
    f.cache.set(key, value);
    return value;
  }

  const layerColour = (layer) => palette.layers[(layer - 1) % palette.layers.length];
  const swatch = (c) => `<span class="swatch" style="background:${c}"></span>`;
  const layerSwatches = (f) =>
    Array.from({ length: f.depth }, (_, i) => `${swatch(layerColour(i + 1))}${i + 1}`).join("");
  const fmt = (v) => (Math.abs(v) < 1e-12 ? "0" : String(Number(v.toPrecision(4))));

  function groupPaths(f, mode, k) {
    const key = `paths:${mode}:${k}`;
    if (!f.cache.has(key)) {
      const { index, colours } = colouring(f, mode, k);
      const paths = colours.map(() => new Path2D());
      for (let r = 0; r < f.R; r++) ringPath(paths[index[r]], f, r);
      f.cache.set(key, paths);
    }
    return f.cache.get(key);
  }

  // Predicted class: the logit differences are affine on a region, so each class's part of
  // it is the region clipped by half-planes (Sutherland-Hodgman on the vertex values).
  const domainPath = new Path2D();
  for (const ring of [meta.domain.exterior, ...meta.domain.holes]) {
    ring.forEach(([x, y], i) => (i ? domainPath.lineTo(x, y) : domainPath.moveTo(x, y)));
    domainPath.closePath();
  }

  // -------------------------------------------------------------------- the page state
  const base = $("plot"), overlay = document.createElement("canvas");
  overlay.style.cssText = "position:absolute;left:0;top:0;pointer-events:none";
  base.after(overlay);
  const state = { frames: [], f: null, step: 0, k: 0, mode: "pattern", unit: null,
    hover: -1, hoverRegion: -1, pinned: -1, view: null, size: 0 };
  const dpr = window.devicePixelRatio || 1;

  function resetView() {
    const [x0, x1, y0, y1] = meta.bounds;
    state.view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2,
      s: (0.96 * state.size) / Math.max(x1 - x0, y1 - y0) };
  }

  function resize() {
    const size = Math.max(300, Math.min(900, window.innerHeight - 60, window.innerWidth - 390));
    state.size = size;
    for (const c of [base, overlay]) {
      c.width = Math.round(size * dpr);
      c.height = Math.round(size * dpr);
      c.style.width = c.style.height = `${size}px`;
    }
    overlay.style.top = `${base.offsetTop + 1}px`;
    overlay.style.left = `${base.offsetLeft + 1}px`;
  }

  const toCanvas = (x, y) => [state.size / 2 + state.view.s * (x - state.view.cx),
    state.size / 2 - state.view.s * (y - state.view.cy)];
  const toPlane = (px, py) => [state.view.cx + (px - state.size / 2) / state.view.s,
    state.view.cy - (py - state.size / 2) / state.view.s];

  function worldTransform(ctx) {
    const { s, cx, cy } = state.view;
    ctx.setTransform(dpr * s, 0, 0, -dpr * s, dpr * (state.size / 2 - s * cx),
      dpr * (state.size / 2 + s * cy));
  }

  function draw() {
    const f = state.f, ctx = base.getContext("2d"), px = 1 / state.view.s;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#f4f4f4";
    ctx.fillRect(0, 0, base.width, base.height);
    worldTransform(ctx);
    ctx.save();
    ctx.clip(domainPath, "evenodd");
    ctx.fillStyle = "#ffffff";
    ctx.fill(domainPath, "evenodd");
    if (state.mode === "class") {
      classPaths(f).forEach((path, cls) => {
        ctx.fillStyle = palette.classes[cls % palette.classes.length];
        ctx.fill(path);
      });
    } else {
      const { colours } = colouring(f, state.mode, state.k);
      groupPaths(f, state.mode, state.k).forEach((path, i) => {
        ctx.fillStyle = colours[i];
        ctx.fill(path);
      });
    }
    edgePaths(f).slice(0, state.k).forEach((path, i) => {
      ctx.strokeStyle = state.mode === "layer" ? layerColour(i + 1) : palette.edge;
      ctx.lineWidth = (state.mode === "layer" ? 1.2 : 0.6) * px;
      ctx.stroke(path);
    });
    if (state.unit) {
      const [layer, unit] = state.unit;
      ctx.strokeStyle = palette.unit;
      ctx.lineWidth = 3 * px;
      ctx.stroke(segmentPath(f, (s) => f.swLayer[s] === layer && f.swUnit[s] === unit));
    }
    if ($("show-boundary").checked) {
      ctx.strokeStyle = palette.boundary;
      ctx.lineWidth = 2.2 * px;
      ctx.stroke(boundaryPath(f));
    }
    ctx.restore();
    ctx.strokeStyle = "#555";
    ctx.lineWidth = px;
    ctx.stroke(domainPath);
    if (meta.data && $("show-data").checked) drawData(ctx);
    drawOverlay();
  }

  function drawData(ctx) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const xy = state.arrays["data/xy"].data, y = state.arrays["data/y"].data;
    const radius = y.length > 500 ? 1.4 : 2.2;  // many points stay dots, not a carpet
    ctx.globalAlpha = 0.8;
    for (let i = 0; i < y.length; i++) {
      const [px, py] = toCanvas(xy[2 * i], xy[2 * i + 1]);
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fillStyle = palette.points[y[i] % palette.points.length];
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  function drawOverlay() {
    const ctx = overlay.getContext("2d"), f = state.f, px = 1 / state.view.s;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    worldTransform(ctx);
    if (state.pinned >= 0) {
      ctx.globalAlpha = 0.6;
      ctx.fillStyle = palette.neighbour;
      for (const n of neighbours(f, state.k, state.pinned).keys()) ctx.fill(regionPath(f, state.k, n));
      const pinned = regionPath(f, state.k, state.pinned);
      ctx.fillStyle = palette.pinned;
      ctx.globalAlpha = 0.75;
      ctx.fill(pinned);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = palette.pinned;
      ctx.lineWidth = 2.5 * px;
      ctx.stroke(pinned);
    }
    if (state.hover >= 0) {
      const path = regionPath(f, state.k, state.hover);
      ctx.fillStyle = "rgba(255, 255, 255, 0.45)";
      ctx.fill(path);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1.5 * px;
      ctx.stroke(path);
    }
  }

  // ------------------------------------------------------------------------- panels
  function mapText(f, r) {
    const rows = [];
    for (let j = 0; j < f.m; j++) {
      const a = 2 * (r * f.m + j);
      rows.push(`z<sub>${j}</sub> = ${fmt(f.A[a])} x ${f.A[a + 1] < 0 ? "&minus;" : "+"} `
        + `${fmt(Math.abs(f.A[a + 1]))} y ${f.c[r * f.m + j] < 0 ? "&minus;" : "+"} `
        + `${fmt(Math.abs(f.c[r * f.m + j]))}`);
    }
    return rows.join("<br>");
  }

  function tooltipHtml(f, r, x, y) {
    const k = state.k, id = ancestor(f, k, r);
    const layers = patternByLayer(f, r, k)
      .map((bits, i) => `<div>layer ${i + 1}: <span class="bits">${bits}</span></div>`).join("");
    const where = k === f.depth ? "" : ` after ${k} of ${f.depth} layers`;
    const map = k === f.depth
      ? `<div><b>Output map</b> A x + c:<br>${mapText(f, r)}</div>`
      : `<div><b>Output map</b> of the full-depth region ${r} under the cursor:<br>`
        + `${mapText(f, r)}</div>`;
    return `<div><b>Region ${id}</b> of ${f.meta.counts[k]}${where}</div>`
      + `<div>area ${fmt(areaOf(f, k, id))}</div>`
      + (k ? `<div><b>Activation pattern</b>${layers}</div>` : "")
      + map
      + `<div><b>Logits</b> at (${fmt(x)}, ${fmt(y)}): `
      + `${logits(f, r, x, y).map(fmt).join(", ")}</div>`;
  }

  function showPinned() {
    const f = state.f, panel = $("pinned");
    if (state.pinned < 0) {
      panel.textContent = "Click a region to pin it: its neighbours light up and its "
        + "bounding edges are named here.";
      return;
    }
    const near = neighbours(f, state.k, state.pinned);
    const items = [...near].sort((a, b) => a[0] - b[0])
      .map(([n, why]) => `<li>region ${n}: ${[...why].join("; ")}</li>`).join("");
    panel.innerHTML = `<b>Region ${state.pinned}</b> pinned (Esc to unpin), `
      + `area ${fmt(areaOf(f, state.k, state.pinned))}, ${near.size} neighbours. `
      + `Bounding edges, by the breakpoint that drew them:<ul>${items}</ul>`;
  }

  function showSummary() {
    const f = state.f;
    $("summary").textContent = `${f.R} exact regions after all ${f.depth} layers; `
      + `by depth ${f.meta.counts.join(", ")}.`;
    $("layer").max = f.depth;
    $("layer").value = state.k;
    $("layer-out").textContent = `${state.k} of ${f.depth}: ${f.meta.counts[state.k]} regions`;
    if (state.frames.length > 1) {
      const acc = f.meta.accuracy == null ? "" : `, accuracy ${(100 * f.meta.accuracy).toFixed(1)}%`;
      $("step-out").textContent = `step ${f.meta.step ?? "final"}${acc}, `
        + `${f.meta.counts[state.k]} regions`;
    }
    const options = ['<option value="0">none</option>'].concat(f.meta.widths.map(
      (w, i) => `<option value="${i + 1}">layer ${i + 1} (${w} units)</option>`));
    const select = $("unit-layer"), chosen = select.value;
    select.innerHTML = options.join("");
    select.value = Number(chosen) <= f.depth ? chosen : "0";
    $("legend").innerHTML = state.mode === "class"
      ? "Predicted class: " + palette.classes.slice(0, Math.max(2, f.m))
        .map((c, i) => `${swatch(c)}${i}`).join("")
      : colouring(f, state.mode, state.k).legend;
  }

  function refresh() {
    showSummary();
    showPinned();
    draw();
  }

  // ---------------------------------------------------------------------- the API
  function setLayer(k) {
    if (!Number.isInteger(k) || k < 0 || k > state.f.depth) {
      throw new RangeError(`setLayer: k must be an integer in 0..${state.f.depth}, got ${k}`);
    }
    state.k = k;
    state.hover = state.pinned = -1;
    refresh();
    return state.f.meta.counts[k];
  }

  function setStep(i) {
    const n = state.frames.length;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(`setStep: i must be an integer in 0..${n - 1}, got ${i}`);
    }
    if (!state.frames[i]) state.frames[i] = makeFrame(i, state.arrays);
    state.step = i;
    state.f = state.frames[i];
    state.k = Math.min(state.k, state.f.depth);
    state.hover = state.pinned = -1;
    $("step").value = i;
    refresh();
    return state.f.meta.counts[state.k];
  }

  function regionAt(x, y) {
    const f = state.f, r = locate(f, x, y);
    if (r < 0) return null;
    return { id: ancestor(f, state.k, r), pattern: patternByLayer(f, r, state.k), layer: state.k };
  }

  function toClient(x, y) {  // viewport (CSS pixel) position of plane point (x, y)
    const rect = overlay.getBoundingClientRect(), [px, py] = toCanvas(x, y);
    return { x: rect.left + px, y: rect.top + py };
  }

  // --------------------------------------------------------------------- the mouse
  function planeAt(event) {
    const rect = overlay.getBoundingClientRect();
    return toPlane(event.clientX - rect.left, event.clientY - rect.top);
  }

  let drag = null, pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  };

  function hover(event) {
    const [x, y] = planeAt(event), f = state.f, tip = $("tooltip");
    $("cursor").textContent = `x = ${fmt(x)}, y = ${fmt(y)}`;
    const r = locate(f, x, y);
    const id = r < 0 ? -1 : ancestor(f, state.k, r);
    if (r < 0) {
      tip.hidden = true;
    } else {
      tip.innerHTML = tooltipHtml(f, r, x, y);
      tip.hidden = false;
      const rect = base.getBoundingClientRect();
      const left = event.clientX - rect.left + 16, top = event.clientY - rect.top + 16;
      tip.style.left = `${Math.min(left, state.size - tip.offsetWidth + 60)}px`;
      tip.style.top = `${Math.min(top, state.size - tip.offsetHeight)}px`;
    }
    if (id !== state.hover) {
      state.hover = id;
      drawOverlay();
    }
  }

  base.addEventListener("mousemove", (event) => {
    if (drag) {
      const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      drag.moved ||= Math.hypot(dx, dy) > 3;
      if (drag.moved) {
        state.view.cx = drag.cx - dx / state.view.s;
        state.view.cy = drag.cy + dy / state.view.s;
        redraw();
        return;
      }
    }
    hover(event);
  });
  base.addEventListener("mouseleave", () => {
    $("tooltip").hidden = true;
    state.hover = -1;
    drawOverlay();
  });
  base.addEventListener("mousedown", (event) => {
    drag = { x: event.clientX, y: event.clientY, cx: state.view.cx, cy: state.view.cy, moved: false };
  });
  window.addEventListener("mouseup", (event) => {
    if (drag && !drag.moved && event.target === base) {
      const [x, y] = planeAt(event), r = locate(state.f, x, y);
      state.pinned = r < 0 ? -1 : ancestor(state.f, state.k, r);
      showPinned();
      drawOverlay();
    }
    drag = null;
  });
  base.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [x, y] = planeAt(event), factor = Math.exp(-event.deltaY * 0.0015);
    const v = state.view;
    v.cx = x - (x - v.cx) / factor;
    v.cy = y - (y - v.cy) / factor;
    v.s *= factor;
    redraw();
  }, { passive: false });
  window.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      state.pinned = -1;
      showPinned();
      drawOverlay();
    }
  });
  window.addEventListener("resize", () => {
    const old = state.size;
    resize();
    state.view.s *= state.size / old;
    draw();
  });

  // ------------------------------------------------------------------ the controls
  $("layer").addEventListener("input", (e) => setLayer(Number(e.target.value)));
  $("step").addEventListener("input", (e) => setStep(Number(e.target.value)));
  $("colour").addEventListener("change", (e) => {
    state.mode = e.target.value;
    refresh();
  });
  const pickUnit = () => {
    const layer = Number($("unit-layer").value), f = state.f;
    const unit = Math.max(0, Math.min(Number($("unit").value), layer ? f.meta.widths[layer - 1] - 1 : 0));
    $("unit").max = layer ? f.meta.widths[layer - 1] - 1 : 0;
    state.unit = layer ? [layer, unit] : null;
    draw();
  };
  $("unit-layer").addEventListener("change", pickUnit);
  $("unit").addEventListener("input", pickUnit);
  $("show-boundary").addEventListener("change", draw);
  $("show-data").addEventListener("change", draw);
  $("reset").addEventListener("click", () => { resetView(); draw(); });

  // ----------------------------------------------------------------------- start
  async function start() {
    state.arrays = arrayViews(await unzip($("regions-data").textContent));
    const n = meta.frames.length;
    state.frames = new Array(n).fill(null);
    resize();
    resetView();
    $("step").max = n - 1;
    $("step-row").hidden = n < 2;
    $("data-row").hidden = !meta.data;
    state.k = meta.frames[n - 1].depth;
    setStep(n - 1);
    window.regionsExplorer = {
      regionAt, setLayer, setStep, toClient,
      get layer() { return state.k; },
      get step() { return state.step; },
      steps: n,
      ready: true,
      readyMs: performance.now(),
    };
    document.dispatchEvent(new Event("regions-explorer-ready"));
  }

  start().catch((err) => {
    $("summary").textContent = `The page could not load its regions: ${err}`;
    throw err;
  });
})();

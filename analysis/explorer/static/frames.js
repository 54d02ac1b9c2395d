// The explorer's data: one frame (partition) per training step, decoded from the page's
// gzipped typed arrays (analysis/explorer/export.py), with the queries the page asks of it:
// which region holds a point (a uniform grid index), patterns, ancestors at each depth,
// neighbours, output maps, and the paths that draw them. No drawing or DOM events here.
"use strict";
const regionsFrames = ((meta) => {
  // ------------------------------------------------------------------ decoding the data
  async function unzip(base64) {
    const text = atob(base64.trim());
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).arrayBuffer();
  }

  function arrayViews(buffer) {
    const out = {};
    for (const [name, [type, offset, shape]] of Object.entries(meta.table)) {
      const n = shape.reduce((a, b) => a * b, 1);
      out[name] = { data: new globalThis[type](buffer, offset, n), shape };
    }
    return out;
  }

  function makeFrame(i, arrays) {
    const get = (name) => arrays[`${i}/${name}`];
    const fm = meta.frames[i];
    const f = {
      meta: fm, R: fm.count, depth: fm.depth, m: fm.n_outputs,
      xy: get("xy").data, ring: get("ring").data, start: get("start").data,
      bits: get("bits").data, nbytes: get("bits").shape[1] || 0,
      area: get("area").data, A: get("A").data, c: get("c").data,
      anc: get("anc").data, seg: get("seg").data, segSwitch: get("seg_switch").data,
      adj: get("adj").data, adjSwitch: get("adj_switch").data, db: get("db").data,
      swLayer: get("switch_layer").data, swUnit: get("switch_unit").data,
      cache: new Map(),
    };
    f.colsUpTo = [0];  // pattern columns of layers 1..k (columns are ordered by layer)
    for (let k = 1; k <= f.depth; k++) {
      let n = 0;
      for (const layer of f.swLayer) n += layer <= k ? 1 : 0;
      f.colsUpTo.push(n);
    }
    buildIndex(f);
    return f;
  }

  // Uniform grid over the domain's bounding box; each cell lists the regions whose bounding
  // box meets it (CSR arrays), so a point is tested against a handful of polygons.
  function buildIndex(f) {
    const [x0, x1, y0, y1] = meta.bounds;
    const G = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(f.R))));
    const sx = (x1 - x0) / G, sy = (y1 - y0) / G;
    const box = new Float64Array(4 * f.R);
    const span = new Int32Array(4 * f.R);
    const counts = new Int32Array(G * G + 1);
    const cellOf = (v, lo, s) => Math.min(G - 1, Math.max(0, Math.floor((v - lo) / s)));
    for (let r = 0; r < f.R; r++) {
      let ax = Infinity, bx = -Infinity, ay = Infinity, by = -Infinity;
      for (let i = f.start[r]; i < f.start[r + 1]; i++) {
        const x = f.xy[2 * f.ring[i]], y = f.xy[2 * f.ring[i] + 1];
        ax = Math.min(ax, x); bx = Math.max(bx, x); ay = Math.min(ay, y); by = Math.max(by, y);
      }
      box.set([ax, bx, ay, by], 4 * r);
      const c = [cellOf(ax, x0, sx), cellOf(bx, x0, sx), cellOf(ay, y0, sy), cellOf(by, y0, sy)];
      span.set(c, 4 * r);
      for (let j = c[2]; j <= c[3]; j++) for (let i = c[0]; i <= c[1]; i++) counts[j * G + i + 1]++;
    }
    for (let i = 1; i <= G * G; i++) counts[i] += counts[i - 1];
    const items = new Int32Array(counts[G * G]);
    const fill = counts.slice(0, G * G);
    for (let r = 0; r < f.R; r++) {
      const [i0, i1, j0, j1] = span.subarray(4 * r, 4 * r + 4);
      for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) items[fill[j * G + i]++] = r;
    }
    f.index = { G, sx, sy, cellOf, counts, items, box };
  }

  function inRing(xy, ids, lo, hi, x, y) {  // crossing number; ids[lo..hi) is a closed ring
    let inside = false;
    for (let i = lo, j = hi - 1; i < hi; j = i++) {
      const xi = xy[2 * ids[i]], yi = xy[2 * ids[i] + 1];
      const xj = xy[2 * ids[j]], yj = xy[2 * ids[j] + 1];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  const holes = meta.domain.holes.map((h) => ({ xy: h.flat(), ids: h.map((_, i) => i) }));

  function locate(f, x, y) {  // full-depth region holding (x, y), -1 outside the domain
    const [x0, , y0] = meta.bounds;
    const ix = f.index;
    if (holes.some((h) => inRing(h.xy, h.ids, 0, h.ids.length, x, y))) return -1;
    const cell = ix.cellOf(y, y0, ix.sy) * ix.G + ix.cellOf(x, x0, ix.sx);
    for (let k = ix.counts[cell]; k < ix.counts[cell + 1]; k++) {
      const r = ix.items[k], b = ix.box;
      if (x < b[4 * r] || x > b[4 * r + 1] || y < b[4 * r + 2] || y > b[4 * r + 3]) continue;
      if (inRing(f.xy, f.ring, f.start[r], f.start[r + 1], x, y)) return r;
    }
    return -1;
  }

  // ----------------------------------------------------------------- per-region values
  const bit = (f, r, j) => (f.bits[r * f.nbytes + (j >> 3)] >> (7 - (j & 7))) & 1;
  const ancestor = (f, k, r) => (k === f.depth ? r : f.anc[k * f.R + r]);

  function patternByLayer(f, r, k) {
    const out = [];
    for (let layer = 1; layer <= k; layer++) {
      let s = "";
      for (let j = f.colsUpTo[layer - 1]; j < f.colsUpTo[layer]; j++) s += bit(f, r, j);
      out.push(s);
    }
    return out;
  }

  function patternHash(f, r, k) {  // FNV-1a of the first colsUpTo[k] pattern bits
    let h = 2166136261;
    for (let j = 0; j < f.colsUpTo[k]; j++) h = Math.imul(h ^ bit(f, r, j), 16777619);
    return (h ^ (h >>> 15)) >>> 0;
  }

  function members(f, k) {  // regions of each ancestor at depth k, as CSR (first, order)
    const key = `members${k}`;
    if (!f.cache.has(key)) {
      const n = f.meta.counts[k];
      const first = new Int32Array(n + 1);
      for (let r = 0; r < f.R; r++) first[ancestor(f, k, r) + 1]++;
      for (let i = 0; i < n; i++) first[i + 1] += first[i];
      const fill = first.slice(0, n), order = new Int32Array(f.R);
      for (let r = 0; r < f.R; r++) order[fill[ancestor(f, k, r)]++] = r;
      f.cache.set(key, { first, order });
    }
    return f.cache.get(key);
  }

  function logits(f, r, x, y) {
    const out = [];
    for (let j = 0; j < f.m; j++) {
      const a = 2 * (r * f.m + j);
      out.push(f.A[a] * x + f.A[a + 1] * y + f.c[r * f.m + j]);
    }
    return out;
  }


  // ----------------------------------------------------------------------- geometry
  function ringPath(path, f, r) {
    const lo = f.start[r], hi = f.start[r + 1];
    path.moveTo(f.xy[2 * f.ring[lo]], f.xy[2 * f.ring[lo] + 1]);
    for (let i = lo + 1; i < hi; i++) path.lineTo(f.xy[2 * f.ring[i]], f.xy[2 * f.ring[i] + 1]);
    path.closePath();
  }

  function classPaths(f) {
    if (f.cache.has("classes")) return f.cache.get("classes");
    const nClass = Math.max(2, f.m);
    const paths = Array.from({ length: nClass }, () => new Path2D());
    for (let r = 0; r < f.R; r++) {
      const pts = [];
      for (let i = f.start[r]; i < f.start[r + 1]; i++) {
        const x = f.xy[2 * f.ring[i]], y = f.xy[2 * f.ring[i] + 1];
        pts.push([x, y, logits(f, r, x, y)]);
      }
      for (let cls = 0; cls < nClass; cls++) {
        let poly = pts;
        const margins = f.m === 1
          ? [(z) => (cls === 1 ? z[0] : -z[0])]
          : [...Array(f.m).keys()].filter((j) => j !== cls).map((j) => (z) => z[cls] - z[j]);
        for (const g of margins) poly = clip(poly, g);
        if (poly.length < 3) continue;
        poly.forEach(([x, y], i) => (i ? paths[cls].lineTo(x, y) : paths[cls].moveTo(x, y)));
        paths[cls].closePath();
      }
    }
    f.cache.set("classes", paths);
    return paths;
  }

  function clip(poly, g) {  // the part of poly where g(logits) >= 0
    const out = [];
    for (let i = 0; i < poly.length; i++) {
      const p = poly[i], q = poly[(i + 1) % poly.length];
      const gp = g(p[2]), gq = g(q[2]);
      if (gp >= 0) out.push(p);
      if ((gp >= 0) !== (gq >= 0)) {
        const t = gp / (gp - gq);
        out.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]),
          p[2].map((v, j) => v + t * (q[2][j] - v))]);
      }
    }
    return out;
  }

  function segmentPath(f, keep) {
    const path = new Path2D();
    for (let e = 0; e < f.segSwitch.length; e++) {
      if (!keep(f.segSwitch[e])) continue;
      const a = f.seg[2 * e], b = f.seg[2 * e + 1];
      path.moveTo(f.xy[2 * a], f.xy[2 * a + 1]);
      path.lineTo(f.xy[2 * b], f.xy[2 * b + 1]);
    }
    return path;
  }

  function edgePaths(f) {  // one path per layer
    if (!f.cache.has("edges")) {
      const paths = [];
      for (let layer = 1; layer <= f.depth; layer++) {
        paths.push(segmentPath(f, (s) => f.swLayer[s] === layer));
      }
      f.cache.set("edges", paths);
    }
    return f.cache.get("edges");
  }

  function boundaryPath(f) {
    if (!f.cache.has("db")) {
      const path = new Path2D();
      for (let e = 0; e < f.db.length / 4; e++) {
        path.moveTo(f.db[4 * e], f.db[4 * e + 1]);
        path.lineTo(f.db[4 * e + 2], f.db[4 * e + 3]);
      }
      f.cache.set("db", path);
    }
    return f.cache.get("db");
  }

  function regionPath(f, k, id) {  // the union of ancestor id's members at depth k
    const { first, order } = members(f, k);
    const path = new Path2D();
    for (let i = first[id]; i < first[id + 1]; i++) ringPath(path, f, order[i]);
    return path;
  }

  // Neighbours of ancestor id at depth k: ancestors across an edge of layer <= k, each with
  // the (layer, unit) of every breakpoint that separates them.
  function neighbours(f, k, id) {
    const out = new Map();
    for (let p = 0; p < f.adjSwitch.length; p++) {
      const a = ancestor(f, k, f.adj[2 * p]), b = ancestor(f, k, f.adj[2 * p + 1]);
      if (a === b || (a !== id && b !== id)) continue;
      const other = a === id ? b : a, s = f.adjSwitch[p];
      if (!out.has(other)) out.set(other, new Set());
      out.get(other).add(`layer ${f.swLayer[s]}, unit ${f.swUnit[s]}`);
    }
    return out;
  }

  function areaOf(f, k, id) {
    const { first, order } = members(f, k);
    let s = 0;
    for (let i = first[id]; i < first[id + 1]; i++) s += f.area[order[i]];
    return s;
  }

  return {
    unzip, arrayViews, makeFrame, locate, ancestor, patternByLayer, patternHash, members,
    logits, ringPath, classPaths, segmentPath, edgePaths, boundaryPath, regionPath,
    neighbours, areaOf,
  };
})(JSON.parse(document.getElementById("regions-meta").textContent));

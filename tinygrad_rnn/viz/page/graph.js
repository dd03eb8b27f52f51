// The graph page's script (tinygrad_rnn/viz/html.py writes it inline, after the SVG and the data).
//
// data.nodes[key]  what the tooltip shows for the SVG node whose <title> is key, and `reach`:
//                  the index in data.backward at which the gradient reaches it
// data.backward    node keys in the order the backward pass visits them
// data.clusters    SVG cluster <title> -> the time step it draws
//
// Backward position `pos` (0 .. backward.length): the nodes whose reach < pos have had their
// gradient; backward[pos - 1] is the one whose backward runs now (pos 0: the forward view).
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("graph-data").textContent);
  const view = document.getElementById("view");
  const svg = view.querySelector("svg");
  const tip = document.getElementById("tip");
  const status = document.getElementById("status");
  const SHAPES = "path, polygon, ellipse";
  const REACHED = "#fdae6b";  // every reached node's colour when no gradient norms were recorded

  // ---- the drawing's nodes and time steps, by key -------------------------------------------
  const nodeOf = {};   // key -> <g class="node">
  const stepNodes = {};  // step -> [keys]
  for (const g of svg.querySelectorAll("g.node")) {
    const title = g.querySelector("title");
    const key = title && title.textContent;
    if (key && data.nodes[key]) {
      g.dataset.key = key;
      nodeOf[key] = g;
      const step = data.nodes[key].step;
      if (step) (stepNodes[step] = stepNodes[step] || []).push(key);
    }
  }
  const clusterOf = {};  // step -> <g class="cluster">
  for (const g of svg.querySelectorAll("g.cluster")) {
    const title = g.querySelector("title");
    const step = title && data.clusters[title.textContent];
    if (step) {
      g.dataset.step = step;
      clusterOf[step] = g;
    }
  }
  // the browser would show <title> and xlink:title as tooltips of its own over ours
  for (const t of svg.querySelectorAll("title")) t.remove();
  for (const a of svg.querySelectorAll("a")) a.removeAttribute("xlink:title");

  // ---- pan and zoom: one CSS transform on the <svg> (graph units as pixels at scale 1) ---------
  const box = svg.viewBox.baseVal;
  svg.setAttribute("width", box.width);
  svg.setAttribute("height", box.height);
  let scale = 1, tx = 0, ty = 0;
  const fitScale = () => {
    const r = view.getBoundingClientRect();
    return Math.min(r.width / box.width, r.height / box.height) * 0.97;
  };
  const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, x));
  function apply() { svg.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`; }
  let settle = null;
  function moving() {
    // While the view moves the browser keeps one bitmap of the drawing and only shifts it (in
    // headless Chromium without a GPU: 60 frames a second on a 100-step LSTM, against 15 to 20
    // when the SVG is drawn again each frame); once it rests it is drawn again, sharp.
    svg.classList.add("moving");
    clearTimeout(settle);
    settle = setTimeout(() => svg.classList.remove("moving"), 250);
  }
  function fit() {
    const r = view.getBoundingClientRect();
    scale = fitScale();
    tx = (r.width - box.width * scale) / 2;
    ty = (r.height - box.height * scale) / 2;
    apply();
  }
  function start() {
    // the whole graph when it is legible so; a long unrolled graph instead fills the window
    // across its short side, with the root (where backward starts) in the middle
    fit();
    if (scale >= 0.35) return;
    const r = view.getBoundingClientRect();
    const wide = box.width / r.width > box.height / r.height;
    scale = Math.min(1, (wide ? r.height / box.height : r.width / box.width) * 0.97);
    tx = (r.width - box.width * scale) / 2;
    ty = (r.height - box.height * scale) / 2;
    apply();
    const root = order.length && nodeOf[order[0]];
    if (root) {  // along the long side only, so the short side stays whole in view
      const [x, y] = [tx, ty];
      centre(root);
      if (wide) ty = y; else tx = x;
      apply();
    }
  }
  function zoomAt(factor, x, y) {  // x, y: the point (in the view) that stays put
    const s = clamp(scale * factor, Math.min(fitScale(), 1) / 4, 8);
    tx = x - (x - tx) * s / scale;
    ty = y - (y - ty) * s / scale;
    scale = s;
    apply();
  }
  function zoomCentre(factor) {
    const r = view.getBoundingClientRect();
    zoomAt(factor, r.width / 2, r.height / 2);
  }
  function centre(g, onlyIfHidden) {  // pan, keeping the zoom, to bring g to the middle of the view
    const r = view.getBoundingClientRect(), b = g.getBoundingClientRect();
    const x = b.left + b.width / 2 - r.left, y = b.top + b.height / 2 - r.top;
    if (onlyIfHidden && x >= 0 && y >= 0 && x <= r.width && y <= r.height) return;
    tx += r.width / 2 - x;
    ty += r.height / 2 - y;
    apply();
  }
  view.addEventListener("wheel", (e) => {
    e.preventDefault();
    moving();
    const r = view.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });

  let drag = null;  // a press: where it started; a drag once it moved a few pixels
  view.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, tx, ty, moved: false, target: e.target };
  });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      view.classList.add("dragging");
      hideTip();
    }
    tx = drag.tx + dx;
    ty = drag.ty + dy;
    moving();
    apply();
  });
  window.addEventListener("pointerup", () => {
    if (drag && !drag.moved) clicked(drag.target);
    drag = null;
    view.classList.remove("dragging");
  });

  // ---- numbers and the tooltip -----------------------------------------------------------------
  function fmt(x) {
    if (x === null || x === undefined) return "?";
    if (typeof x === "string") return x;  // nan, inf, -inf
    if (x === 0) return "0";
    const a = Math.abs(x);
    return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
  }
  function row(parent, key, text, faint) {
    const div = document.createElement("div");
    div.className = "row";
    if (key) {
      const k = document.createElement("span");
      k.className = "key";
      k.textContent = key + ": ";
      div.appendChild(k);
    }
    const v = document.createElement("span");
    if (faint) v.className = "none";
    v.textContent = text;
    div.appendChild(v);
    parent.appendChild(div);
  }
  function stats(v) {
    if (v.min === null) return v.norm === 0 ? "empty" : "not numeric";
    return `min ${fmt(v.min)}  max ${fmt(v.max)}  mean ${fmt(v.mean)}  norm ${fmt(v.norm)}`;
  }
  function describe(key) {  // the tooltip's content for one node
    const n = data.nodes[key];
    const out = document.createDocumentFragment();
    const title = document.createElement("div");
    title.className = "name";
    const kinds = { param: "parameter", input: "input (leaf)", output: "op (the root)", step: "time step",
                    elided: "steps left out", op: "op" };
    title.textContent = n.kind === "elided" ? `${n.count} steps left out` : `${n.name}  (${kinds[n.kind]})`;
    out.appendChild(title);
    row(out, "scope", n.scope.length ? n.scope.join(" / ") : "top level", !n.scope.length);
    if (n.kind === "step" || n.kind === "elided") {
      row(out, n.kind === "step" ? "ops" : "steps", n.kind === "step" ? String(n.count) : n.steps.join(" to "));
    } else {
      row(out, n.shapes.length > 1 ? "output shapes" : "output shape", n.shapes.join("  "));
      row(out, "dtype", `${n.dtype} on ${n.device}`);
      if (n.values === null) {
        row(out, "values", "not recorded (run the forward inside tr.viz.record_values())", true);
      } else if (n.values.length === 1) {
        row(out, "values", stats(n.values[0]));
      } else {
        n.values.forEach((v, i) => row(out, `output ${i}`, stats(v)));
      }
    }
    const leaf = n.kind === "param" || n.kind === "input";
    if (n.grad_norm !== null) {
      row(out, leaf ? "grad norm (of .grad)" : "grad norm", fmt(n.grad_norm));
    } else if (leaf && n.requires_grad === false) {
      row(out, "grad norm", "none: it does not require grad", true);
    } else if (leaf) {
      row(out, "grad norm", "no .grad (no backward has reached it)", true);
    } else if (data.norms_recorded) {
      row(out, "grad norm", "no gradient reached this node", true);
    } else {
      row(out, "grad norm", "not recorded: run backward inside `with tr.record_grad_norms():`", true);
    }
    if (n.reach !== null) {
      const i = n.reach + 1;
      row(out, "backward", leaf ? `gradient arrives at step ${i} of ${data.backward.length}`
                                : `step ${i} of ${data.backward.length}`);
    }
    return out;
  }
  let hovered = null;
  function showTip(g, e) {
    if (hovered !== g) {
      if (hovered) hovered.classList.remove("hover");
      hovered = g;
      g.classList.add("hover");
      tip.replaceChildren(describe(g.dataset.key));
      tip.hidden = false;
    }
    const w = tip.offsetWidth, h = tip.offsetHeight;
    const x = e.clientX + 14 + w > window.innerWidth ? e.clientX - 14 - w : e.clientX + 14;
    const y = e.clientY + 14 + h > window.innerHeight ? e.clientY - 14 - h : e.clientY + 14;
    tip.style.left = `${Math.max(0, x)}px`;
    tip.style.top = `${Math.max(0, y)}px`;
  }
  function hideTip() {
    if (hovered) hovered.classList.remove("hover");
    hovered = null;
    tip.hidden = true;
  }
  view.addEventListener("mousemove", (e) => {
    if (drag && drag.moved) return;
    const g = e.target.closest && e.target.closest("g.node");
    if (g && g.dataset.key) showTip(g, e); else hideTip();
  });
  view.addEventListener("mouseleave", hideTip);

  // ---- clicking a time step --------------------------------------------------------------------
  let picked = null;
  function pick(step) {
    if (picked) {
      if (clusterOf[picked]) clusterOf[picked].classList.remove("picked");
      for (const k of stepNodes[picked] || []) nodeOf[k].classList.remove("in-step");
    }
    picked = step === picked ? null : step;
    if (picked) {
      if (clusterOf[picked]) clusterOf[picked].classList.add("picked");
      for (const k of stepNodes[picked] || []) nodeOf[k].classList.add("in-step");
    }
    say();
  }
  function clicked(target) {
    const g = target.closest && (target.closest("g.node") || target.closest("g.cluster"));
    const step = g && (g.dataset.step || (g.dataset.key && data.nodes[g.dataset.key].step));
    if (step) pick(step);
    else if (picked) pick(picked);  // a click on the background clears
  }

  // ---- stepping through the backward pass ------------------------------------------------------
  const order = data.backward;
  const arriving = order.map(() => []);  // arriving[i]: the keys reached at step i
  for (const [key, n] of Object.entries(data.nodes)) if (n.reach !== null) arriving[n.reach].push(key);
  let pos = 0, current = null;
  function paint(key, on) {
    const g = nodeOf[key];
    if (!g) return;
    const n = data.nodes[key];
    g.classList.toggle("reached", on);
    const fill = on ? (data.norms_recorded ? (n.fill || data.no_gradient) : REACHED) : "";
    for (const s of g.querySelectorAll(SHAPES)) if (s.getAttribute("fill") !== "none") s.style.fill = fill;
    const font = on && data.norms_recorded ? n.font : "";
    for (const t of g.querySelectorAll("text")) t.style.fill = font || "";
  }
  function go(p) {
    p = clamp(p, 0, order.length);
    while (pos < p) { for (const k of arriving[pos]) paint(k, true); pos++; }
    while (pos > p) { pos--; for (const k of arriving[pos]) paint(k, false); }
    if (current) current.classList.remove("current");
    current = pos > 0 ? nodeOf[order[pos - 1]] || null : null;
    if (current) {
      current.classList.add("current");
      centre(current, true);
    }
    svg.classList.toggle("stepping", pos > 0);
    document.body.dataset.backward = String(pos);
    say();
  }
  function stepOf(i) { return i >= 0 && i < order.length ? data.nodes[order[i]].step : undefined; }
  function jumpStep(direction) {  // to the last node of the next (or previous) time step
    let p = pos;
    if (direction > 0) {
      const here = stepOf(p);
      while (p < order.length && stepOf(p) === here) p++;
      const next = stepOf(p);
      while (p < order.length && stepOf(p) === next) p++;
    } else {
      const here = stepOf(p - 1);
      while (p > 0 && stepOf(p - 1) === here) p--;
    }
    go(p);
  }
  let timer = null;
  const playButton = document.getElementById("play");
  function play(on) {
    clearInterval(timer);
    timer = null;
    if (on) {
      if (pos >= order.length) go(0);
      const perTick = Math.max(1, Math.round(order.length / 600));  // a whole pass in about half a minute
      timer = setInterval(() => (pos >= order.length ? play(false) : go(pos + perTick)), 50);
    }
    playButton.classList.toggle("on", on);
    playButton.textContent = on ? "\u275A\u275A pause" : "\u25B6 play";
  }

  // ---- the status line and the legend ----------------------------------------------------------
  function say() {
    let text;
    if (pos === 0) {
      text = `forward view: ${order.length} nodes to backpropagate through; press \u2192 (or next) to step ` +
             "through the backward pass, space to play";
    } else {
      const n = data.nodes[order[pos - 1]];
      const where = n.scope.length ? ` in ${n.scope.join(" / ")}` : "";
      const norm = n.grad_norm !== null ? `, gradient norm ${fmt(n.grad_norm)}`
                                        : data.norms_recorded ? ", no gradient" : "";
      const name = n.kind === "elided" ? `${n.count} steps left out` : n.name;
      text = `backward ${pos} of ${order.length}: ${name}${where}${norm}`;
    }
    if (picked) text += `  |  time step ${picked} (${(stepNodes[picked] || []).length} nodes) outlined`;
    status.textContent = text;
  }
  const legend = document.getElementById("legend");
  if (data.norms_recorded) {
    const caption = document.createElement("span");
    caption.className = "caption";
    caption.textContent = "gradient norm";
    legend.appendChild(caption);
    for (const [norm, colour, font] of data.legend.concat([[null, data.no_gradient, "black"]])) {
      const s = document.createElement("span");
      s.className = "swatch";
      s.style.background = colour;
      s.style.color = font;
      s.textContent = norm === null ? "none" : Number(norm).toExponential(0);
      legend.appendChild(s);
    }
  } else {
    legend.textContent = "no gradient norms recorded: reached nodes turn orange";
  }

  // ---- buttons and keys ------------------------------------------------------------------------
  const on = (id, f) => document.getElementById(id).addEventListener("click", f);
  const help = document.getElementById("help");
  on("first", () => { play(false); go(0); });
  on("prev", () => { play(false); go(pos - 1); });
  on("play", () => play(timer === null));
  on("next", () => { play(false); go(pos + 1); });
  on("last", () => { play(false); go(order.length); });
  on("zoom-in", () => zoomCentre(1.25));
  on("zoom-out", () => zoomCentre(0.8));
  on("fit", fit);
  on("help-button", () => { help.hidden = !help.hidden; });
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const keys = {
      ArrowRight: () => (e.shiftKey ? jumpStep(1) : go(pos + 1)), n: () => go(pos + 1),
      ArrowLeft: () => (e.shiftKey ? jumpStep(-1) : go(pos - 1)), p: () => go(pos - 1),
      Home: () => go(0), End: () => go(order.length),
      "+": () => zoomCentre(1.25), "=": () => zoomCentre(1.25), "-": () => zoomCentre(0.8), 0: fit,
      "?": () => { help.hidden = !help.hidden; },
      Escape: () => { help.hidden = true; if (picked) pick(picked); },
    };
    if (e.key === " " || e.key === "k") {
      e.preventDefault();
      play(timer === null);
    } else if (keys[e.key]) {
      e.preventDefault();
      if (STEPPING_KEYS.has(e.key)) play(false);
      keys[e.key]();
    }
  });
  const STEPPING_KEYS = new Set(["ArrowRight", "ArrowLeft", "n", "p", "Home", "End"]);

  start();
  go(0);
})();

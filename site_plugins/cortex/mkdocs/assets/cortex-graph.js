/* The Cortex: draws the graph of notes, experiments, papers, topics and tags with plotly.js.
 *
 * - div.cortex-graph (the graph page): every node where the build laid it out, filters by kind,
 *   tag and folder, a node's neighbours highlighted on hover, its page opened on a click (on a
 *   touch screen: the first tap highlights, the second opens). Labels show once the view is
 *   zoomed in to a few dozen nodes.
 * - details.cortex-local-graph (a note's or an experiment's page): the page's node (data-node,
 *   its URL in the data) and its neighbourhood within two hops, found, laid out and drawn here
 *   only when the reader opens it.
 *
 * Both read graph.json beside this file, fetched once and only when a graph is shown: the graph
 * page names the build's version (data-graph); a local graph revalidates the file instead, so
 * that its page need not change when a link elsewhere does. plotly.js, also beside it, is
 * loaded then too. They
 * are drawn on first load and after each instant navigation (material's document$), take their
 * colours from the palette (cortex-graph.css) and are drawn again when the light/dark toggle
 * switches. Labels are the user's text: plotly reads a few HTML tags in text, so every label is
 * escaped before it goes to plotly, and set as text everywhere else. */
(function () {
  "use strict";
  if (window.cortexGraph) return;

  var HERE = document.currentScript.src;
  var PLOTLY_URL = new URL("plotly.min.js", HERE).href;
  var ROOT = new URL("../../", HERE);  // this file is assets/cortex/ in the site
  var SYMBOLS = { note: "circle", experiment: "square", reference: "diamond", topic: "triangle-up", tag: "hexagon" };
  var LABELS_IN_VIEW = 60;  // labels show when at most this many nodes are in view
  var LABELS_ON_HOVER = 12;  // and for this many of a hovered node's neighbours
  // The overview draws at most this many edges (an even sample of them beyond it): past that
  // they are a grey wash that costs the browser seconds to draw; a hovered node's are all drawn.
  var MAX_EDGES = 20000;
  var TOUCH = window.matchMedia && window.matchMedia("(hover: none)").matches;
  var versions = {};  // data version -> promise of the graph
  var drawn = new Map();  // element -> redraw(), for the palette switch

  function loadPlotly() {
    return window.cortexLoader.script(PLOTLY_URL, function () { return window.Plotly; });
  }

  function loadGraph(version) {
    if (!versions[version]) {
      var url = new URL(version ? "graph.json?v=" + encodeURIComponent(version) : "graph.json", HERE);
      versions[version] = fetch(url, version ? {} : { cache: "no-cache" }).then(function (response) {
        if (!response.ok) throw new Error("could not load the graph (" + response.status + ")");
        return response.json();
      }).then(prepare);
      versions[version].catch(function () { delete versions[version]; });
    }
    return versions[version];
  }

  // The data file's columns, with each node's neighbours and tags worked out once.
  function prepare(raw) {
    var nodes = raw.nodes, n = nodes.label.length;
    var g = {
      n: n, kinds: raw.kinds, kindLabels: raw.kindLabels, folders: raw.folders, page: raw.page,
      local: raw.local || { limit: 30, hub: 12 },
      label: nodes.label, detail: nodes.detail, kind: nodes.kind, url: nodes.url, folder: nodes.folder,
      x: nodes.x, y: nodes.y, src: [], dst: [], type: [], near: [], tags: [], degree: []
    };
    for (var i = 0; i < n; i++) { g.near.push([]); g.tags.push([]); }
    var tagKind = raw.kinds.indexOf("tag");
    Object.keys(raw.edges).forEach(function (type) {
      var pairs = raw.edges[type];
      for (var j = 0; j < pairs.length; j += 2) {
        var a = pairs[j], b = pairs[j + 1];
        g.src.push(a); g.dst.push(b); g.type.push(type);
        g.near[a].push(b); g.near[b].push(a);
        if (g.kind[b] === tagKind) g.tags[a].push(b);
      }
    });
    g.degree = g.near.map(function (list) { return list.length; });
    return g;
  }

  // -- text and colour ----------------------------------------------------------------------

  // plotly reads <b>, <br>, <a href> and entities in text, and $...$ as LaTeX: a label is
  // escaped so that it shows as the characters it is.
  function plotlyText(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/\$/g, "&#36;");
  }

  function shortLabel(text, limit) {
    text = String(text);
    return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
  }

  function hoverText(g, i) {
    var kind = g.kindLabels[g.kind[i]] || "";
    var lines = ["<b>" + plotlyText(shortLabel(g.label[i], 80)) + "</b>"];
    if (g.detail[i]) lines.push(plotlyText(shortLabel(g.detail[i], 80)));
    lines.push(plotlyText(kind.replace(/s$/, "").toLowerCase() + " · " + g.degree[i] + " connection" + (g.degree[i] === 1 ? "" : "s")));
    return lines.join("<br>");
  }

  function palette(el) {
    var style = getComputedStyle(el);
    function value(name, fallback) { return style.getPropertyValue(name).trim() || fallback; }
    return {
      kind: function (kind) { return value("--cortex-graph-" + kind, "#888"); },
      edge: value("--cortex-graph-edge", "rgba(128,128,128,0.25)"),
      highlight: value("--cortex-graph-highlight", "#f50057"),
      text: value("--md-default-fg-color", "#222"),
      bg: value("--md-default-bg-color", "#fff"),
      line: value("--md-default-fg-color--lighter", "#999")
    };
  }

  // -- drawing --------------------------------------------------------------------------------

  function layoutFor(colors, extra) {
    var axis = { visible: false, showgrid: false, zeroline: false };
    return Object.assign({
      margin: { l: 0, r: 0, t: 0, b: 0 },
      showlegend: false,
      hovermode: "closest",
      dragmode: "pan",
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { color: colors.text },
      hoverlabel: { bgcolor: colors.bg, bordercolor: colors.line, font: { color: colors.text }, align: "left" },
      xaxis: Object.assign({}, axis),
      yaxis: Object.assign({ scaleanchor: "x", scaleratio: 1 }, axis)
    }, extra || {});
  }

  var CONFIG = {
    scrollZoom: true, displaylogo: false, responsive: true, doubleClick: "reset",
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toImage"]
  };

  // A marker's size by its degree; in a large graph (``small`` markers) nodes are packed
  // a few pixels apart, and so are drawn a few pixels wide.
  function size(g, i, small) {
    return small ? 2.5 + Math.min(6, 0.4 * Math.sqrt(g.degree[i])) : 8 + Math.min(14, 1.6 * Math.sqrt(g.degree[i]));
  }

  // Line segments between the ends of each edge whose ends both pass ``shown``.
  function segments(g, xs, ys, edges, shown) {
    var x = [], y = [];
    edges.forEach(function (e) {
      var a = g.src[e], b = g.dst[e];
      if (shown(a) && shown(b)) { x.push(xs[a], xs[b], null); y.push(ys[a], ys[b], null); }
    });
    return { x: x, y: y };
  }

  function allEdges(g) {
    var list = new Array(g.src.length);
    for (var e = 0; e < list.length; e++) list[e] = e;
    return list;
  }

  function open(g, i) {
    if (!g.url[i] && g.url[i] !== "") return;
    // a click on a link, so that material's instant navigation takes it
    var link = document.createElement("a");
    link.href = new URL(g.url[i], ROOT).href;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  // -- the global graph -----------------------------------------------------------------------

  function globalGraph(el, g, Plotly) {
    var state = { kinds: g.kinds.map(function () { return true; }), tag: -1, folder: -1, hover: -1 };
    var controls = buildControls(el, g, state, function () { draw(); });
    var plot = document.createElement("div");
    plot.className = "cortex-graph__plot";
    el.appendChild(plot);
    var small = g.n > 2000;
    var visible = [], traceOf = [];  // node -> shown; trace number -> node numbers
    var K = 0;

    function filter() {
      var pages = [g.kinds.indexOf("note"), g.kinds.indexOf("experiment")];
      var folder = state.folder >= 0 ? g.folders[state.folder] : null;
      var narrowed = state.tag >= 0 || folder !== null;
      function pageShown(i) {
        if (state.tag >= 0 && g.tags[i].indexOf(state.tag) < 0) return false;
        if (folder === null) return true;
        var own = g.folder[i] >= 0 ? g.folders[g.folder[i]] : "";
        return own === folder || own.indexOf(folder + "/") === 0;
      }
      visible = new Array(g.n);
      for (var i = 0; i < g.n; i++) {
        var isPage = pages.indexOf(g.kind[i]) >= 0;
        visible[i] = state.kinds[g.kind[i]] && (!narrowed || (isPage && pageShown(i)) || i === state.tag);
      }
      if (narrowed) {  // papers, topics and tags that a shown page connects to
        for (var a = 0; a < g.n; a++) {
          if (!visible[a] || pages.indexOf(g.kind[a]) < 0) continue;
          g.near[a].forEach(function (b) {
            if (pages.indexOf(g.kind[b]) < 0 && state.kinds[g.kind[b]]) visible[b] = true;
          });
        }
      }
    }

    function traces(colors) {
      var shown = allEdges(g).filter(function (e) { return visible[g.src[e]] && visible[g.dst[e]]; });
      var stride = Math.ceil(shown.length / MAX_EDGES);
      var edges = segments(g, g.x, g.y, stride > 1 ? shown.filter(function (e, k) { return k % stride === 0; }) : shown,
        function () { return true; });
      var data = [{
        type: "scattergl", mode: "lines", x: edges.x, y: edges.y, hoverinfo: "skip",
        line: { color: colors.edge, width: 1 }, opacity: small ? 0.4 : 1  // many edges overlap in a large graph
      }];
      traceOf = [null];
      g.kinds.forEach(function (kind, k) {
        var members = [];
        for (var i = 0; i < g.n; i++) if (visible[i] && g.kind[i] === k) members.push(i);
        traceOf.push(members);
        data.push({
          type: "scattergl", mode: "markers", name: g.kindLabels[k],
          x: members.map(function (i) { return g.x[i]; }),
          y: members.map(function (i) { return g.y[i]; }),
          customdata: members,
          hovertext: members.map(function (i) { return hoverText(g, i); }),
          hovertemplate: "%{hovertext}<extra></extra>",
          marker: {
            color: colors.kind(kind), symbol: SYMBOLS[kind] || "circle", opacity: 1,
            size: members.map(function (i) { return size(g, i, small); }),
            line: { color: small ? colors.kind(kind) : colors.bg, width: small ? 0.5 : 1 }
          }
        });
      });
      K = data.length;
      data.push({ type: "scattergl", mode: "lines", x: [], y: [], hoverinfo: "skip", line: { color: colors.highlight, width: 2 } });
      data.push({
        type: "scattergl", mode: "markers", x: [], y: [], hoverinfo: "skip",
        marker: { color: "rgba(0,0,0,0)", size: [], line: { color: colors.highlight, width: 2 } }
      });
      data.push({
        type: "scatter", mode: "text", x: [], y: [], text: [], hoverinfo: "skip", cliponaxis: false,
        textposition: "top center", textfont: { color: colors.text, size: 11 }
      });
      return data;
    }

    function labels(nodes) {
      return {
        x: [nodes.map(function (i) { return g.x[i]; })],
        y: [nodes.map(function (i) { return g.y[i]; })],
        text: [nodes.map(function (i) { return plotlyText(shortLabel(g.label[i], 32)); })]
      };
    }

    function inView() {
      var full = plot._fullLayout;
      if (!full || !full.xaxis) return [];
      var xr = full.xaxis.range, yr = full.yaxis.range, found = [];
      var x0 = Math.min(xr[0], xr[1]), x1 = Math.max(xr[0], xr[1]);
      var y0 = Math.min(yr[0], yr[1]), y1 = Math.max(yr[0], yr[1]);
      for (var i = 0; i < g.n && found.length <= LABELS_IN_VIEW; i++) {
        if (visible[i] && g.x[i] >= x0 && g.x[i] <= x1 && g.y[i] >= y0 && g.y[i] <= y1) found.push(i);
      }
      return found.length <= LABELS_IN_VIEW ? found : [];
    }

    function highlight(i) {
      state.hover = i;
      var update = { x: [[], []], y: [[], []], "marker.size": [null, []] };
      var dim = 1;
      var named = inView();
      if (i >= 0) {
        var near = g.near[i].filter(function (j) { return visible[j]; });
        var ring = [i].concat(near);
        var edges = { x: [], y: [] };
        near.forEach(function (j) { edges.x.push(g.x[i], g.x[j], null); edges.y.push(g.y[i], g.y[j], null); });
        update.x = [edges.x, ring.map(function (j) { return g.x[j]; })];
        update.y = [edges.y, ring.map(function (j) { return g.y[j]; })];
        update["marker.size"] = [null, ring.map(function (j) { return size(g, j, small) + 6; })];
        // the node's label is in its hover box; its best-connected neighbours are named
        named = near.slice().sort(function (a, b) { return g.degree[b] - g.degree[a]; }).slice(0, LABELS_ON_HOVER);
        dim = 0.25;
      }
      // one restyle of the three highlight traces; the others are dimmed only in a small
      // graph, where drawing them again is quick
      var text = labels(named);
      update.x.push(text.x[0]);
      update.y.push(text.y[0]);
      update["marker.size"].push(null);
      update.text = [null, null, text.text[0]];
      var done = Plotly.restyle(plot, update, [K, K + 1, K + 2]);
      if (small) return done;
      var opacities = [];
      for (var t = 0; t < K; t++) opacities.push(dim);
      return done.then(function () { return Plotly.restyle(plot, { opacity: opacities }, range(K)); });
    }

    function draw() {
      filter();
      var colors = palette(el);
      state.hover = -1;
      return Plotly.react(plot, traces(colors), layoutFor(colors, { uirevision: "graph" }), CONFIG).then(function () {
        return Plotly.restyle(plot, labels(inView()), [K + 2]);
      });
    }

    function nodeOf(event) {
      var point = event && event.points && event.points[0];
      return point && traceOf[point.curveNumber] ? traceOf[point.curveNumber][point.pointNumber] : undefined;
    }

    return draw().then(function () {
      plot.on("plotly_hover", function (event) {
        var i = nodeOf(event);
        if (i !== undefined && !TOUCH) highlight(i);
      });
      plot.on("plotly_unhover", function () { if (!TOUCH) highlight(-1); });
      plot.on("plotly_click", function (event) {
        var i = nodeOf(event);
        if (i === undefined) return;
        if (TOUCH && state.hover !== i) { highlight(i); return; }
        open(g, i);
      });
      plot.on("plotly_relayout", function () { if (state.hover < 0) Plotly.restyle(plot, labels(inView()), [K + 2]); });
      el.setAttribute("data-drawn", "");
      drawn.set(el, draw);
      controls.hidden = false;
    });
  }

  function range(count) {
    var list = [];
    for (var i = 0; i < count; i++) list.push(i);
    return list;
  }

  // The kind checkboxes (each with its colour and shape) and the tag and folder choosers.
  function buildControls(el, g, state, changed) {
    var box = document.createElement("form");
    box.className = "cortex-graph__controls";
    box.hidden = true;
    box.addEventListener("submit", function (event) { event.preventDefault(); });
    var counts = g.kinds.map(function () { return 0; });
    g.kind.forEach(function (k) { counts[k] += 1; });
    var kinds = document.createElement("fieldset");
    kinds.className = "cortex-graph__kinds";
    var legend = document.createElement("legend");
    legend.textContent = "Show";
    kinds.appendChild(legend);
    g.kinds.forEach(function (kind, k) {
      if (!counts[k]) return;
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.value = kind;
      box.addEventListener("change", function () { state.kinds[k] = box.checked; changed(); });
      var swatch = document.createElement("span");
      swatch.className = "cortex-graph__swatch cortex-graph__swatch--" + kind;
      label.append(box, swatch, g.kindLabels[k] + " (" + counts[k] + ")");
      kinds.appendChild(label);
    });
    box.appendChild(kinds);
    var tagKind = g.kinds.indexOf("tag");
    var tags = [];
    for (var i = 0; i < g.n; i++) if (g.kind[i] === tagKind) tags.push(i);
    tags.sort(function (a, b) { return g.label[a].localeCompare(g.label[b]); });
    if (tags.length) {
      box.appendChild(chooser("Tag", "All tags", tags.map(function (t) { return [t, g.label[t]]; }), function (value) {
        state.tag = value; changed();
      }));
    }
    if (g.folders.length) {
      box.appendChild(chooser("Folder", "All folders", g.folders.map(function (f, k) { return [k, f]; }), function (value) {
        state.folder = value; changed();
      }));
    }
    el.appendChild(box);
    return box;
  }

  function chooser(name, all, options, changed) {
    var label = document.createElement("label");
    label.className = "cortex-graph__chooser";
    var select = document.createElement("select");
    select.name = name.toLowerCase();
    [[-1, all]].concat(options).forEach(function (pair) {
      var option = document.createElement("option");
      option.value = String(pair[0]);
      option.textContent = pair[1];
      select.appendChild(option);
    });
    select.addEventListener("change", function () { changed(Number(select.value)); });
    label.append(name + " ", select);
    return label;
  }

  // -- the local graph ------------------------------------------------------------------------

  // Positions for a neighbourhood, in rings: the page's node in the middle, its neighbours
  // evenly round the first ring and those two steps away round the second, each ring in the
  // order of the directions in which the whole graph has them (a node two steps away takes
  // the direction of the neighbours it is reached through), so that no two nodes meet.
  function localLayout(g, nodes) {
    var centre = nodes[0], place = new Map(), depth = new Map([[centre, 0]]);
    nodes.forEach(function (v, i) { place.set(v, i); });
    var rings = [[], []], direction = new Map();
    nodes.slice(1).forEach(function (v) {
      var first = g.near[centre].indexOf(v) >= 0;
      depth.set(v, first ? 1 : 2);
      rings[first ? 0 : 1].push(v);
    });
    rings[0].forEach(function (v) {
      direction.set(v, Math.atan2(g.y[v] - g.y[centre], g.x[v] - g.x[centre]));
    });
    function spread(ring) {
      ring.sort(function (a, b) { return direction.get(a) - direction.get(b); });
      var turn = ring.length ? direction.get(ring[0]) : 0;
      ring.forEach(function (v, i) { direction.set(v, turn + 2 * Math.PI * i / ring.length); });
    }
    spread(rings[0]);
    rings[1].forEach(function (v) {
      var sx = 0, sy = 0;
      g.near[v].forEach(function (w) {
        if (depth.get(w) === 1) { sx += Math.cos(direction.get(w)); sy += Math.sin(direction.get(w)); }
      });
      direction.set(v, sx || sy ? Math.atan2(sy, sx) : Math.atan2(g.y[v] - g.y[centre], g.x[v] - g.x[centre]));
    });
    spread(rings[1]);
    var x = [], y = [], angle = [];
    nodes.forEach(function (v) {
      var r = depth.get(v), a = direction.get(v) || 0;
      x.push(r * Math.cos(a));
      y.push(r * Math.sin(a));
      angle.push(r ? a : null);
    });
    return { x: x, y: y, angle: angle, place: place };
  }

  // A label beside its node, on the side away from the middle.
  function labelSide(angle) {
    if (angle === null) return "bottom center";
    var c = Math.cos(angle), s = Math.sin(angle);
    if (Math.abs(c) < 0.35) return s > 0 ? "top center" : "bottom center";
    return c > 0 ? "middle right" : "middle left";
  }

  // The node and its neighbours within two hops, nearest first, at most g.local.limit; the
  // second hop goes only through nodes of at most g.local.hub neighbours (a tag every note
  // carries would bring in most of the vault). The same rule as Graph.neighbourhood.
  function neighbourhood(g, centre) {
    var found = new Map([[centre, 0]]), frontier = [centre];
    for (var depth = 1; depth <= 2; depth++) {
      var following = [];
      for (var i = 0; i < frontier.length; i++) {
        var near = g.near[frontier[i]];
        if (depth > 1 && near.length > g.local.hub) continue;
        for (var j = 0; j < near.length; j++) {
          if (found.has(near[j])) continue;
          if (found.size >= g.local.limit) return Array.from(found.keys());
          found.set(near[j], depth);
          following.push(near[j]);
        }
      }
      frontier = following;
    }
    return Array.from(found.keys());
  }

  function localGraph(el, g, Plotly) {
    var centre = g.url.indexOf(el.getAttribute("data-node"));
    if (centre < 0) throw new Error("this page is not in the graph; reload the page");
    var nodes = neighbourhood(g, centre);
    if (nodes.length < 2) return Promise.resolve();
    var pos = localLayout(g, nodes);
    var xs = [], ys = [], side = [];
    nodes.forEach(function (v, i) { xs[v] = pos.x[i]; ys[v] = pos.y[i]; side[v] = labelSide(pos.angle[i]); });
    var inside = function (v) { return pos.place.has(v); };
    var edges = [];
    for (var e = 0; e < g.src.length; e++) if (inside(g.src[e]) && inside(g.dst[e])) edges.push(e);

    var direct = new Set(g.near[nodes[0]].concat([nodes[0]]));

    var rings = nodes.length > direct.size ? 2 : 1;

    function draw() {
      var colors = palette(el);
      var narrow = el.clientWidth < 500;
      var lines = segments(g, xs, ys, edges, inside);
      var data = [{ type: "scatter", mode: "lines", x: lines.x, y: lines.y, hoverinfo: "skip", line: { color: colors.edge, width: 1 } }];
      g.kinds.forEach(function (kind, k) {
        var members = nodes.filter(function (v) { return g.kind[v] === k; });
        if (!members.length) return;
        data.push({
          type: "scatter", mode: "markers+text", name: g.kindLabels[k],
          x: members.map(function (v) { return xs[v]; }),
          y: members.map(function (v) { return ys[v]; }),
          customdata: members,
          text: members.map(function (v) { return direct.has(v) ? plotlyText(shortLabel(g.label[v], narrow ? 16 : 28)) : ""; }),
          textposition: members.map(function (v) { return side[v]; }), textfont: { size: 11, color: colors.text },
          hovertext: members.map(function (v) { return hoverText(g, v); }),
          hovertemplate: "%{hovertext}<extra></extra>",
          cliponaxis: false,
          marker: {
            color: colors.kind(kind), symbol: SYMBOLS[kind] || "circle", opacity: 1,
            size: members.map(function (v) { return v === nodes[0] ? 18 : direct.has(v) ? 12 : 8; }),
            line: { color: members.map(function (v) { return v === nodes[0] ? colors.highlight : colors.bg; }), width: 2 }
          }
        });
      });
      // fitted to its box and fixed: a plot in the middle of a page that panned or zoomed
      // would catch the wheel and the finger that scroll the page
      var layout = layoutFor(colors, { margin: { l: 8, r: 8, t: 20, b: 20 }, dragmode: false });
      // room beside the outer ring for the labels that stand left and right of it
      layout.xaxis.range = [-rings - (narrow ? 1.2 : 1.6), rings + (narrow ? 1.2 : 1.6)];
      layout.yaxis.range = [-rings - 0.4, rings + 0.4];
      return Plotly.react(el, data, layout, { displayModeBar: false, scrollZoom: false, responsive: true });
    }

    return draw().then(function () {
      el.on("plotly_click", function (event) {
        var point = event && event.points && event.points[0];
        var v = point && point.customdata;
        if (typeof v === "number" && v !== nodes[0]) open(g, v);
      });
      el.setAttribute("data-drawn", "");
      drawn.set(el, draw);
      if (g.page !== null && g.page !== undefined && !el.nextElementSibling) {
        var more = document.createElement("a");
        more.className = "cortex-local-graph__all";
        more.href = new URL(g.page, ROOT).href;
        more.textContent = "The whole graph";
        el.parentNode.appendChild(more);
      }
    });
  }

  // -- the page's life --------------------------------------------------------------------------

  var keepPlotlyCss = window.cortexLoader.keepPlotlyCss;

  function show(el, draw) {
    if (el.hasAttribute("data-started")) return Promise.resolve();
    el.setAttribute("data-started", "");
    keepPlotlyCss();
    return Promise.all([loadPlotly(), loadGraph(el.getAttribute("data-graph") || "")]).then(function (both) {
      keepPlotlyCss();
      var wait = el.querySelector(".cortex-graph-wait");
      if (wait) wait.remove();
      return draw(el, both[1], both[0]);
    }).then(keepPlotlyCss).catch(function (error) {
      console.error("cortex graph:", error);
      var note = document.createElement("p");
      note.className = "cortex-problem";
      note.textContent = "The graph could not be drawn: " + error.message;
      el.appendChild(note);
    });
  }

  function setUp() {
    document.querySelectorAll(".cortex-graph").forEach(function (el) { show(el, globalGraph); });
    document.querySelectorAll("details.cortex-local-graph").forEach(function (details) {
      var el = details.querySelector(".cortex-local-graph-plot");
      if (!el) return;
      if (details.open) show(el, localGraph);
      details.addEventListener("toggle", function () { if (details.open) show(el, localGraph); });
    });
  }

  function redrawAll() {
    drawn.forEach(function (redraw, el) {
      if (document.body.contains(el)) redraw(); else drawn.delete(el);
    });
  }

  new MutationObserver(redrawAll).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme", "data-md-color-primary"]
  });
  window.cortexLoader.onEachPage(setUp);  // first load and every instant navigation
  window.cortexGraph = { setUp: setUp };
})();

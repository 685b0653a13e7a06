/* The Cortex: draws every div.cortex-figure with plotly.js.
 *
 * plotly.js (shipped beside this file) is loaded only once a page has a figure. Figures are
 * drawn on first load and after each instant navigation (material's document$), take their
 * colours from the site palette, and are restyled when the light/dark toggle switches. */
(function () {
  "use strict";
  if (window.cortexFigures) return;

  var SELECTOR = ".cortex-figure";
  var PLOTLY_URL = new URL("plotly.min.js", document.currentScript.src).href;
  var specs = new WeakMap();
  var plotlyLoading = null;
  var resizes = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.contentRect.width > 0 && specs.has(entry.target)) window.Plotly.Plots.resize(entry.target);
    });
  });

  function loadPlotly() {
    if (window.Plotly) return Promise.resolve(window.Plotly);
    if (!plotlyLoading) {
      plotlyLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = PLOTLY_URL;
        script.onload = function () { resolve(window.Plotly); };
        script.onerror = function () {
          plotlyLoading = null;
          reject(new Error("could not load " + PLOTLY_URL));
        };
        document.head.appendChild(script);
      });
    }
    return plotlyLoading;
  }

  // A CSS colour (custom properties included) as the rgb()/rgba() string plotly understands.
  function cssColor(probe, value) {
    probe.style.color = "";
    probe.style.color = value;
    return getComputedStyle(probe).color;
  }

  // Layout attributes (as plotly's dotted paths) that follow the current palette.
  function themeUpdate(layout) {
    var probe = document.createElement("span");
    probe.style.display = "none";
    document.body.appendChild(probe);
    var bg = cssColor(probe, "var(--md-default-bg-color, #fff)");
    var update = {
      paper_bgcolor: bg,
      plot_bgcolor: cssColor(probe, "var(--md-code-bg-color, #f5f5f5)"),
      "font.color": cssColor(probe, "var(--md-default-fg-color--light, #444)"),
      "legend.bgcolor": "rgba(0,0,0,0)"
    };
    probe.remove();
    var axes = Object.keys(layout || {}).filter(function (key) { return /^[xy]axis\d*$/.test(key); });
    ["xaxis", "yaxis"].concat(axes).forEach(function (axis) {
      update[axis + ".gridcolor"] = bg;
      update[axis + ".zerolinecolor"] = bg;
      update[axis + ".linecolor"] = bg;
    });
    return update;
  }

  function withUpdate(layout, update) {
    var copy = JSON.parse(JSON.stringify(layout || {}));
    Object.keys(update).forEach(function (path) {
      var keys = path.split(".");
      var node = copy;
      keys.slice(0, -1).forEach(function (key) {
        if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
        node = node[key];
      });
      node[keys[keys.length - 1]] = update[path];
    });
    return copy;
  }

  function showError(el, error) {
    console.error("cortex figure " + el.id + ":", error);
    var note = document.createElement("p");
    note.className = "cortex-problem";
    note.textContent = "Figure not drawn: " + error.message;
    el.appendChild(note);
  }

  function draw(el, Plotly) {
    if (el.hasAttribute("data-drawn")) return Promise.resolve();
    el.setAttribute("data-drawn", "");
    var spec;
    try {
      spec = JSON.parse(el.querySelector(":scope > template").content.textContent);
    } catch (error) {
      showError(el, error);
      return Promise.resolve();
    }
    var layout = withUpdate(spec.layout, themeUpdate(spec.layout));
    layout.autosize = true;
    delete layout.width;
    var config = Object.assign({ responsive: true, displaylogo: false }, spec.config);
    return Plotly.newPlot(el, spec.data || [], layout, config).then(function () {
      specs.set(el, spec);
      resizes.observe(el);
    }, function (error) { showError(el, error); });
  }

  function drawAll() {
    var pending = Array.prototype.filter.call(document.querySelectorAll(SELECTOR), function (el) {
      return !el.hasAttribute("data-drawn");
    });
    if (!pending.length) return Promise.resolve();
    return loadPlotly().then(function (Plotly) {
      return Promise.all(pending.map(function (el) { return draw(el, Plotly); }));
    }, function (error) { pending.forEach(function (el) { showError(el, error); }); });
  }

  function restyleAll() {
    document.querySelectorAll(SELECTOR).forEach(function (el) {
      var spec = specs.get(el);
      if (spec) window.Plotly.relayout(el, themeUpdate(spec.layout));
    });
  }

  new MutationObserver(restyleAll).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme", "data-md-color-primary"]
  });
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(drawAll);  // first load and every instant navigation
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  window.cortexFigures = { drawAll: drawAll };
})();

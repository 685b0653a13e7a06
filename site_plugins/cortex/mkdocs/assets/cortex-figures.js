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
  var NARROW = 640;  // px: below this the legend goes under the plot
  var resizes = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) {
      var el = entry.target;
      if (entry.contentRect.width <= 0 || !specs.has(el)) return;
      var narrow = entry.contentRect.width < NARROW;
      if (String(narrow) !== el.getAttribute("data-narrow")) {
        el.setAttribute("data-narrow", String(narrow));
        var update = fitUpdate(narrow);
        el.style.height = update.height + "px";  // the page makes room for the plot's own height
        window.Plotly.relayout(el, update);
      } else {
        window.Plotly.Plots.resize(el);
      }
    });
  });

  // Legend and margins for the figure's width: beside the plot on a wide screen, under it on
  // a narrow one, so that a phone keeps the width for the plot.
  function fitUpdate(narrow) {
    return narrow ? {
      "legend.orientation": "h", "legend.x": 0, "legend.xanchor": "left", "legend.y": -0.22,
      "legend.yanchor": "top", "margin.l": 50, "margin.r": 8, "margin.t": 28, "margin.b": 40,
      "font.size": 11, "legend.font.size": 10, height: 520
    } : {
      "legend.orientation": "v", "legend.x": 1.02, "legend.xanchor": "left", "legend.y": 1,
      "legend.yanchor": "auto", "margin.l": 70, "margin.r": 10, "margin.t": 36, "margin.b": 60,
      "font.size": 12, height: 450
    };
  }

  // The figure's title as a caption above it, in the page's own type: it wraps on a narrow
  // screen, where a title inside the plot would be cut off. Set as text, never as HTML.
  function caption(el, layout) {
    var title = layout && layout.title;
    var text = title && (typeof title === "string" ? title : title.text);
    if (!text || el.previousElementSibling && el.previousElementSibling.classList.contains("cortex-figure-title")) return;
    var p = document.createElement("p");
    p.className = "cortex-figure-title";
    var probe = document.createElement("template");
    probe.innerHTML = String(text).replace(/<br\s*\/?>/gi, " ");  // plotly titles may hold <br>, <b>
    p.textContent = probe.content.textContent;
    el.parentNode.insertBefore(p, el);
  }

  function loadPlotly() {
    return window.cortexLoader.script(PLOTLY_URL, function () { return window.Plotly; });
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
    caption(el, spec.layout);
    var narrow = el.clientWidth > 0 && el.clientWidth < NARROW;
    el.setAttribute("data-narrow", String(narrow));
    el.style.height = fitUpdate(narrow).height + "px";
    var layout = withUpdate(withUpdate(spec.layout, themeUpdate(spec.layout)), fitUpdate(narrow));
    delete layout.title;
    layout.autosize = true;
    delete layout.width;
    var config = Object.assign({ responsive: true, displaylogo: false }, spec.config);
    return Plotly.newPlot(el, spec.data || [], layout, config).then(function () {
      specs.set(el, spec);
      resizes.observe(el);
    }, function (error) { showError(el, error); });
  }

  var keepPlotlyCss = window.cortexLoader.keepPlotlyCss;

  function drawAll() {
    var pending = Array.prototype.filter.call(document.querySelectorAll(SELECTOR), function (el) {
      return !el.hasAttribute("data-drawn");
    });
    if (!pending.length) return Promise.resolve();
    keepPlotlyCss();
    return loadPlotly().then(function (Plotly) {
      return Promise.all(pending.map(function (el) { return draw(el, Plotly); })).then(keepPlotlyCss);
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
  window.cortexLoader.onEachPage(drawAll);  // first load and every instant navigation
  window.cortexFigures = { drawAll: drawAll };
})();

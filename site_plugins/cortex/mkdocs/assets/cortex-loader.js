/* The Cortex: what the site's loaders share (cortex-figures.js, cortex-diagrams.js, cortex-graph.js).
 *
 * script(url, ready): a library the site ships, loaded once, the first time a page needs it;
 *   ready() returns the library's global once it is there.
 * onEachPage(fn): run fn on first load and after each instant navigation (material's document$).
 * keepPlotlyCss(): plotly.js puts its CSS (which stacks a plot's layers) in a <style> of the
 *   document's head once, when it first draws; instant navigation replaces the head, so a loader
 *   that draws with plotly calls this before and after drawing: it keeps the CSS and puts it
 *   back, or the legend and titles of the next page's figures would fall below their plots. */
(function () {
  "use strict";
  if (window.cortexLoader) return;
  var loading = {};

  function script(url, ready) {
    var present = ready();
    if (present) return Promise.resolve(present);
    if (!loading[url]) {
      loading[url] = new Promise(function (resolve, reject) {
        var element = document.createElement("script");
        element.src = url;
        element.onload = function () { resolve(ready()); };
        element.onerror = function () {
          delete loading[url];
          reject(new Error("could not load " + url));
        };
        document.head.appendChild(element);
      });
    }
    return loading[url];
  }

  function onEachPage(fn) {
    if (window.document$ && typeof window.document$.subscribe === "function") {
      window.document$.subscribe(fn);
    } else if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  var PLOTLY_STYLE = "plotly.js-style-global";
  var plotlyCss = null;

  function keepPlotlyCss() {
    var style = document.getElementById(PLOTLY_STYLE);
    if (style && style.sheet && style.sheet.cssRules.length) {
      plotlyCss = Array.prototype.map.call(style.sheet.cssRules, function (rule) { return rule.cssText; }).join("\n");
    } else if (!style && plotlyCss) {
      style = document.createElement("style");
      style.id = PLOTLY_STYLE;
      style.textContent = plotlyCss;
      document.head.appendChild(style);
    }
  }

  window.cortexLoader = { script: script, onEachPage: onEachPage, keepPlotlyCss: keepPlotlyCss };
})();

/* The Cortex: draws every div.cortex-diagram (a mermaid fence) with mermaid.js.
 *
 * mermaid.js (shipped beside this file) is loaded only once a page has a diagram. Diagrams are
 * drawn on first load and after each instant navigation (material's document$), in the light
 * or dark theme of the site's palette, and drawn again when the toggle switches. Until drawn,
 * and when mermaid cannot read it, the diagram shows its source. Labels are text only
 * (mermaid's strict security level): a diagram cannot run script or follow links. */
(function () {
  "use strict";
  if (window.cortexDiagrams) return;

  var SELECTOR = ".cortex-diagram";
  var MERMAID_URL = new URL("mermaid.min.js", document.currentScript.src).href;
  var count = 0;

  function loadMermaid() {
    return window.cortexLoader.script(MERMAID_URL, function () {
      return window.mermaid && typeof window.mermaid.render === "function" ? window.mermaid : null;
    });
  }

  function theme() {
    return document.body.getAttribute("data-md-color-scheme") === "slate" ? "dark" : "default";
  }

  function showProblem(el, message) {
    var note = el.querySelector(":scope > .cortex-problem");
    if (!note) {
      note = document.createElement("p");
      note.className = "cortex-problem";
      el.appendChild(note);
    }
    note.textContent = "Diagram not drawn: " + message;
  }

  function draw(el, mermaid) {
    var source = el.querySelector(":scope > .cortex-diagram-source");
    if (!source) return Promise.resolve();
    var wanted = theme();
    if (el.getAttribute("data-drawn") === wanted) return Promise.resolve();
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: wanted });
    count += 1;
    return mermaid.render("cortex-diagram-" + count, source.textContent).then(function (result) {
      var drawing = el.querySelector(":scope > .cortex-diagram-drawing");
      if (!drawing) {
        drawing = document.createElement("div");
        drawing.className = "cortex-diagram-drawing";
        el.insertBefore(drawing, source);
      }
      drawing.innerHTML = result.svg;
      el.setAttribute("data-drawn", wanted);
    }, function (error) {
      el.setAttribute("data-drawn", "failed");
      showProblem(el, (error && error.message) || String(error));
    });
  }

  function drawAll() {
    var diagrams = Array.prototype.slice.call(document.querySelectorAll(SELECTOR)).filter(function (el) {
      return el.getAttribute("data-drawn") !== "failed";
    });
    if (!diagrams.length) return Promise.resolve();
    return loadMermaid().then(function (mermaid) {
      // one at a time: mermaid keeps one configuration
      return diagrams.reduce(function (previous, el) {
        return previous.then(function () { return draw(el, mermaid); });
      }, Promise.resolve());
    }, function (error) { diagrams.forEach(function (el) { showProblem(el, error.message); }); });
  }

  new MutationObserver(drawAll).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-md-color-scheme"]
  });
  window.cortexLoader.onEachPage(drawAll);  // first load and every instant navigation
  window.cortexDiagrams = { drawAll: drawAll };
})();

/* The Cortex: what the site's loaders share (cortex-figures.js, cortex-diagrams.js).
 *
 * script(url, ready): a library the site ships, loaded once, the first time a page needs it;
 *   ready() returns the library's global once it is there.
 * onEachPage(fn): run fn on first load and after each instant navigation (material's document$). */
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

  window.cortexLoader = { script: script, onEachPage: onEachPage };
})();

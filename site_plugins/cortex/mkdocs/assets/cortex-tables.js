/* The Cortex: tables inside .cortex-sortable sort by a column when its heading is clicked
   (again to reverse). Numbers sort as numbers; works after instant navigation. */
(function () {
  function key(cell) {
    const text = cell.textContent.trim();
    const number = parseFloat(text.replace(/[^0-9eE+\-.]/g, ""));
    return /^[-+]?[0-9.]/.test(text) && !isNaN(number) ? number : text.toLowerCase();
  }
  function sortBy(table, column, th) {
    const body = table.tBodies[0];
    const descending = th.getAttribute("aria-sort") === "ascending";
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const x = key(a.cells[column]), y = key(b.cells[column]);
      const order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : typeof x === "number" ? -1 : 1;
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  function enable() {
    document.querySelectorAll(".cortex-sortable table").forEach(function (table) {
      if (table.dataset.cortexSortable) return;
      table.dataset.cortexSortable = "1";
      table.querySelectorAll("thead th").forEach(function (th, column) {
        th.style.cursor = "pointer";
        th.title = "Sort by this column";
        th.addEventListener("click", function () { sortBy(table, column, th); });
      });
    });
  }
  if (typeof document$ !== "undefined") document$.subscribe(enable);
  else document.addEventListener("DOMContentLoaded", enable);
})();

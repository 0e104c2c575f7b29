/* What phones need from every page (base.html loads this everywhere):
 *
 * 1. Data tables stack: on a narrow screen each row becomes a card whose cells carry their
 *    column's name (data-label, shown by app.css), instead of a table cut off at the edge.
 *    Explicit ARIA roles keep the table's meaning for screen readers when CSS turns the
 *    rows into blocks.
 * 2. Boxes that still scroll sideways (code, a wide map panel) become focusable, named
 *    regions, or keyboard users could not read what is cut off; they stop being one when the
 *    window grows wide enough.
 */
(function () {
  "use strict";

  // --- 1. stacking tables -------------------------------------------------------------------

  function stackable(table) {
    if (table.hasAttribute("data-no-stack") || !table.tHead) return false;
    var headers = table.tHead.rows.length === 1 ? table.tHead.rows[0].cells : [];
    return headers.length >= 3;
  }

  function label(table) {
    var names = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      // Without the sort arrows: those belong to the header's link, not to the cells.
      return th.textContent.replace(/[▲▼]/g, "").replace(/\s+/g, " ").trim();
    });
    table.classList.add("stackable");
    table.setAttribute("role", "table");
    table.tHead.setAttribute("role", "rowgroup");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.setAttribute("role", "columnheader");
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      body.setAttribute("role", "rowgroup");
      Array.prototype.forEach.call(body.rows, function (row) {
        row.setAttribute("role", "row");
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
          // A cell spanning all columns (an empty table's message) needs no label.
          if (cell.colSpan < names.length) cell.setAttribute("data-label", names[column] || "");
          // An empty cell on a phone is a label with nothing after it: left out there.
          if (!cell.textContent.trim() && !cell.children.length) cell.setAttribute("data-empty", "");
          column += cell.colSpan;
        });
      });
    });
    table.setAttribute("data-stacked", "");
  }

  function stackTables() {
    document.querySelectorAll("main table:not([data-stacked])").forEach(function (table) {
      if (stackable(table)) label(table);
    });
  }

  // --- 2. focusable scroll regions ------------------------------------------------------------

  var SELECTOR = "main table, main pre, main .table-scroll, main .card, main .gaps-table-scroll";
  var regionName = document.body.getAttribute("data-scroll-label") || "";

  function scrolls(node) {
    var overflow = getComputedStyle(node).overflowX;
    return (overflow === "auto" || overflow === "scroll") && node.scrollWidth > node.clientWidth + 1;
  }

  function markScrollRegions() {
    document.querySelectorAll(SELECTOR).forEach(function (node) {
      var marked = node.hasAttribute("data-scroll-region");
      if (scrolls(node)) {
        if (marked || node.hasAttribute("tabindex")) return;
        node.setAttribute("data-scroll-region", "");
        node.setAttribute("tabindex", "0");
        if (node.tagName !== "TABLE" && !node.hasAttribute("role")) node.setAttribute("role", "region");
        if (node.tagName !== "TABLE" && !node.hasAttribute("aria-label") && !node.hasAttribute("aria-labelledby")) {
          node.setAttribute("aria-label", regionName);
        }
      } else if (marked) {
        node.removeAttribute("data-scroll-region");
        node.removeAttribute("tabindex");
      }
    });
  }

  function update() {
    stackTables();
    markScrollRegions();
  }

  var pending = null;
  function later() {
    if (pending) cancelAnimationFrame(pending);
    pending = requestAnimationFrame(update);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  window.addEventListener("load", update);
  window.addEventListener("resize", later);
  // Pages that fill tables later (the planners' results) are watched for new nodes only, so
  // the attributes set here never wake the observer again.
  var main = document.getElementById("main");
  // Maps redraw their markers on every move: their nodes are none of this file's business.
  function outsideMaps(records) {
    return records.some(function (r) {
      return !(r.target.closest && r.target.closest(".leaflet-container"));
    });
  }
  if (main && window.MutationObserver) {
    new MutationObserver(function (records) { if (outsideMaps(records)) later(); })
      .observe(main, { childList: true, subtree: true });
  }
})();

/* Boxes that scroll sideways (wide tables on a phone, the digest, code) must be reachable by
 * keyboard, or keyboard users cannot read what is cut off: each one that overflows becomes a
 * focusable, named region; it stops being one when the window grows wide enough. */
(function () {
  "use strict";
  var SELECTOR = "main table, main pre, main .table-scroll, main .card, main .gaps-table-scroll";
  var label = document.body.getAttribute("data-scroll-label") || "";

  function scrolls(node) {
    var overflow = getComputedStyle(node).overflowX;
    return (overflow === "auto" || overflow === "scroll") && node.scrollWidth > node.clientWidth + 1;
  }

  function update() {
    document.querySelectorAll(SELECTOR).forEach(function (node) {
      var marked = node.hasAttribute("data-scroll-region");
      if (scrolls(node)) {
        if (marked || node.hasAttribute("tabindex")) return;
        node.setAttribute("data-scroll-region", "");
        node.setAttribute("tabindex", "0");
        if (node.tagName !== "TABLE" && !node.hasAttribute("role")) node.setAttribute("role", "region");
        if (!node.hasAttribute("aria-label") && !node.hasAttribute("aria-labelledby") && node.tagName !== "TABLE") {
          node.setAttribute("aria-label", label);
        }
      } else if (marked) {
        node.removeAttribute("data-scroll-region");
        node.removeAttribute("tabindex");
      }
    });
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
  if (main && window.MutationObserver) new MutationObserver(later).observe(main, { childList: true, subtree: true });
})();

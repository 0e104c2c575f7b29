/* Helpers every placemaker page script shares (map.js, gaps.js, propose.js).
 *
 * el() builds DOM nodes with text as text: data and what people typed never become HTML.
 */
(function () {
  "use strict";
  var Placemaker = (window.Placemaker = window.Placemaker || {});

  // el("p", {class: "x", text: "…"}, [children]): null, undefined and false attributes are left out.
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // fmt("%(n)s places", {n: 3}): the server's translated templates, filled in.
  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, key) {
      var value = values ? values[key] : undefined;
      return value === undefined || value === null ? "" : String(value);
    });
  }

  function locale(o) {
    return o.lang === "en" ? "en-GB" : "nl-NL";
  }

  function number(o, value, digits) {
    if (value === null || value === undefined || !isFinite(value)) return "–";
    return Number(value).toLocaleString(locale(o), {
      minimumFractionDigits: digits || 0,
      maximumFractionDigits: digits || 0,
    });
  }

  Placemaker.dom = { el: el, escapeHtml: escapeHtml, fmt: fmt, locale: locale, number: number };
})();

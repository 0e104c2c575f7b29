/* placemaker's maps: places by bounding box in clusters, the cohesion choropleth, the ladder
 * layers, filters, search and the permalink. Folium builds the Leaflet map, its tile layer
 * and the (empty) cluster group; this file fills them from the JSON API.
 *
 * Everything users typed reaches the page as text (textContent, DOM nodes), never as HTML.
 */
(function () {
  "use strict";

  var Placemaker = (window.Placemaker = window.Placemaker || {});
  var el = Placemaker.dom.el, escapeHtml = Placemaker.dom.escapeHtml, fmt = Placemaker.dom.fmt;
  var locale = Placemaker.dom.locale, number = Placemaker.dom.number;

  // --- small helpers ------------------------------------------------------------------------

  function getJSON(url, signal) {
    return fetch(url, { signal: signal, headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function placeUrl(o, id) {
    return o.urls.placePage.replace(/0$/, String(id));
  }

  function areaUrl(o, code, api) {
    return (api ? o.urls.area : o.urls.areaPage).replace("CODE", encodeURIComponent(code));
  }

  // --- markers --------------------------------------------------------------------------------

  var STATUSES = ["planned", "under_construction", "active", "temporarily_closed", "gone"];

  function iconFactory(o) {
    var cache = {};
    return function (kind, status) {
      var key = kind + "|" + status;
      if (!cache[key]) {
        var k = o.kinds[kind] || { icon: "circle-dot", color: "#555555" };
        var st = STATUSES.indexOf(status) >= 0 ? status : "active";
        // kind icon and colour are checked by the server (a-z0-9- and #rrggbb).
        cache[key] = L.divIcon({
          className: "pm-marker pm-status-" + st,
          html:
            '<span class="pm-pin" style="--pm-color:' + escapeHtml(k.color) + '">' +
            '<svg class="pm-icon" aria-hidden="true"><use href="#pm-icon-' + escapeHtml(k.icon) +
            '"></use></svg></span>',
          iconSize: [30, 30],
          iconAnchor: [15, 15],
          popupAnchor: [0, -14],
          tooltipAnchor: [0, -14],
        });
      }
      return cache[key];
    };
  }

  function makeMarker(o, icon, p) {
    // p = [id, lon, lat, kind, status, name]
    var marker = L.marker([p[2], p[1]], {
      icon: icon(p[3], p[4]),
      title: p[5], // set as a DOM attribute by Leaflet: text, not markup
      keyboard: true,
      riseOnHover: true,
    });
    marker.pm = { id: p[0], lon: p[1], lat: p[2], kind: p[3], status: p[4], name: p[5] };
    return marker;
  }

  // A cluster is named by what it holds ("8 plekken: 3 × Bankje, 5 × Buurtkamer"), not only by
  // the number it shows; the number itself is hidden from screen readers.
  function clusterName(o, cluster) {
    var counts = {};
    cluster.getAllChildMarkers().forEach(function (m) {
      var kind = (m.pm && m.pm.kind) || "";
      counts[kind] = (counts[kind] || 0) + 1;
    });
    var kinds = Object.keys(counts).sort(function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
    var n = cluster.getChildCount();
    var parts = kinds.map(function (k) {
      return fmt(o.text.cluster_part, { count: number(o, counts[k]), kind: (o.kinds[k] && o.kinds[k].label) || k });
    });
    return fmt(n === 1 ? o.text.cluster_one : o.text.cluster_many, { count: number(o, n) }) + ": " + parts.join(", ");
  }

  function nameClusters(o, group) {
    group.options.iconCreateFunction = function (cluster) {
      var n = cluster.getChildCount();
      var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
      var icon = L.divIcon({
        html: '<div><span aria-hidden="true">' + n + "</span></div>",
        className: "marker-cluster marker-cluster-" + size,
        iconSize: L.point(40, 40),
      });
      var create = icon.createIcon;
      icon.createIcon = function (old) {
        var div = create.call(icon, old);
        div.setAttribute("aria-label", clusterName(o, cluster));
        return div;
      };
      return icon;
    };
  }

  function popupContent(o, info, popup) {
    var kind = o.kinds[info.kind];
    var address = el("p", { class: "pm-popup-address" });
    var upkeep = el("p", { class: "pm-popup-upkeep" });
    var root = el("div", { class: "pm-popup" }, [
      el("h2", { class: "pm-popup-title", text: info.name }),
      el("p", { class: "pm-popup-meta" }, [
        (kind ? kind.label : info.kind) + " · ",
        el("span", { class: "pm-status-label pm-status-" + info.status, text: o.statuses[info.status] || info.status }),
      ]),
      address,
      upkeep,
      el("p", {}, [el("a", { href: placeUrl(o, info.id), text: o.text.details })]),
    ]);
    if (o.urls.placeReport && info.status !== "gone") {
      root.appendChild(el("p", {}, [el("a", { class: "pm-report-link", href: o.urls.placeReport.replace(/\/0\//, "/" + String(info.id) + "/"), text: o.text.report_problem })]));
    }
    getJSON(o.urls.place.replace(/0$/, String(info.id)))
      .then(function (feature) {
        var p = feature.properties;
        address.textContent = [p.address, p.postcode].filter(Boolean).join(", ");
        // Upkeep: when last seen in use, and residents' open reports.
        if (o.text.last_confirmed) {
          var seen = p.last_confirmed_at ? new Date(p.last_confirmed_at + "Z").toLocaleDateString(o.lang === "en" ? "en-GB" : "nl-NL") : o.text.never_confirmed;
          var bits = [o.text.last_confirmed + ": " + seen];
          var staleMs = (o.staleDays || 0) * 86400000;
          if (staleMs && p.status !== "gone" &&
              (!p.last_confirmed_at || Date.now() - new Date(p.last_confirmed_at + "Z") > staleMs)) {
            bits.push(o.text.stale);
          }
          if (p.open_reports) bits.push(fmt(o.text.open_reports, { count: p.open_reports }));
          upkeep.textContent = bits.join(" · ");
        }
        // The popup grew: lay it out again, so the map pans it fully into view.
        if (popup && popup.isOpen()) popup.update();
      })
      .catch(function () {});
    return root;
  }

  function bindMarkerEvents(o, map, group) {
    group.on("click", function (e) {
      var m = e.layer;
      if (!m.pm) return;
      var popup = L.popup({ maxWidth: 280 });
      popup.setLatLng(m.getLatLng()).setContent(popupContent(o, m.pm, popup)).openOn(map);
    });
    // On a phone the legend would cover an open popup (and its links): hide it meanwhile.
    map.on("popupopen", function () { L.DomUtil.addClass(map.getContainer(), "pm-popup-open"); });
    map.on("popupclose", function () { L.DomUtil.removeClass(map.getContainer(), "pm-popup-open"); });
    group.on("mouseover", function (e) {
      var m = e.layer;
      if (!m.pm) return;
      if (!m.getTooltip()) {
        m.bindTooltip(el("span", { text: m.pm.name }), { direction: "top" });
      }
      m.openTooltip();
    });
  }

  // --- areas: choropleth and ladder layers ------------------------------------------------------

  // The cohesion classes' colours come from placemaker/maps.py (SCORE_PALETTE), where their
  // contrast with the base map is documented and tested.
  var RUNG_COLORS = { 1: "#1a9850", 2: "#66bd63", 3: "#a6d96a", 4: "#fee08b", 5: "#fdae61", 6: "#d73027" };
  var NO_DATA = "#bdbdbd";

  function scoreClasses(features, colors) {
    var scores = features
      .map(function (f) { return f.properties.cohesion && f.properties.cohesion.score; })
      .filter(function (s) { return s !== null && s !== undefined; });
    if (!scores.length) return null;
    var lo = Math.floor(Math.min.apply(null, scores) * 2) / 2;
    var hi = Math.ceil(Math.max.apply(null, scores) * 2) / 2;
    if (hi <= lo) hi = lo + 0.5;
    var step = (hi - lo) / colors.length;
    return colors.map(function (color, i) {
      return { from: lo + i * step, to: lo + (i + 1) * step, color: color };
    });
  }

  function scoreColor(classes, score) {
    if (score === null || score === undefined || !classes) return NO_DATA;
    for (var i = 0; i < classes.length; i++) {
      if (score < classes[i].to || i === classes.length - 1) return classes[i].color;
    }
    return NO_DATA;
  }

  function areaInfo(o, props, what) {
    var c = props.cohesion;
    var level = o.levels[props.level] || props.level;
    var rows = [el("strong", { text: props.name }), " (" + level + ")"];
    var lines = [el("p", { class: "pm-area-name" }, rows)];
    if (what === "cohesion" || !what) {
      var scoreText;
      if (c && c.score !== null && c.score !== undefined) {
        scoreText = number(o, c.score, 1) + " (" + c.year + ", " +
          (c.inherited ? fmt(o.text.inherited_from, { name: c.from_area.name }) : o.text.own_score) + ")";
      } else {
        scoreText = o.text.no_score;
      }
      lines.push(el("p", {}, [o.text.score + ": " + scoreText]));
    } else {
      var rung = c && c[what];
      var rungText = rung ? rung + " · " + o.ladder[rung] : o.text.not_assessed;
      if (rung && c.inherited) rungText += " (" + fmt(o.text.inherited_from, { name: c.from_area.name }) + ")";
      lines.push(el("p", {}, [o.text[what] + ": " + rungText]));
    }
    lines.push(el("p", {}, [o.text.population + ": " + number(o, props.population)]));
    lines.push(el("p", {}, [o.text.place_count + ": " + number(o, props.place_count)]));
    return el("div", { class: "pm-area-info" }, lines);
  }

  function areaLayer(o, map, what, classesRef) {
    var group = L.geoJSON(null, {
      style: function (feature) {
        var c = feature.properties.cohesion;
        var fill;
        if (what === "cohesion") fill = scoreColor(classesRef.classes, c && c.score);
        else fill = (c && c[what] && RUNG_COLORS[c[what]]) || NO_DATA;
        if (what !== "cohesion") {
          return { color: "#4d4d4d", weight: 1, fillColor: fill, fillOpacity: fill === NO_DATA ? 0.25 : 0.55 };
        }
        // A score inherited from the larger area is outlined with dashes (and said so in the
        // tooltip and the legend); white outlines part neighbouring areas (≥ 3:1 to every fill).
        var inherited = !!(c && c.inherited && c.score !== null && c.score !== undefined);
        return { color: o.palette.outline, weight: inherited ? 2 : 1.5, dashArray: inherited ? "6 4" : null,
                 fillColor: fill, fillOpacity: fill === NO_DATA ? 0.25 : o.palette.opacity,
                 className: inherited ? "pm-area-inherited" : "pm-area-own" };
      },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(function () { return areaInfo(o, feature.properties, what); }, { sticky: true });
        layer.bindPopup(function () {
          var info = areaInfo(o, feature.properties, what);
          info.appendChild(el("p", {}, [el("a", { href: areaUrl(o, feature.properties.code), text: o.text.area_page })]));
          return info;
        });
        // Chromium puts an SVG path with focus listeners (Leaflet's tooltips add them) in the
        // Tab order: hundreds of nameless outlines at buurt level. The area list is the
        // keyboard way to the areas, so the outlines leave the Tab order.
        layer.on("add", function () {
          var path = layer.getElement && layer.getElement();
          if (path) path.setAttribute("tabindex", "-1");
        });
        layer.on("mouseover", function () { layer.setStyle({ weight: 3 }); });
        layer.on("mouseout", function () { group.resetStyle(layer); });
      },
    });
    return group;
  }

  function legendControl(o) {
    var control = L.control({ position: "bottomright" });
    control.onAdd = function () {
      var div = el("div", { class: "pm-legend leaflet-bar", role: "region", "aria-label": o.text.legend });
      var id = "pm-legend-body-" + L.Util.stamp(control);
      // Collapsed by default on a narrow screen, where it would cover much of the map.
      var open = window.innerWidth >= 600;
      var toggle = el("button", { type: "button", class: "pm-legend-toggle", "aria-expanded": String(open),
                                  "aria-controls": id, text: o.text.legend });
      var body = el("div", { class: "pm-legend-body", id: id });
      body.hidden = !open;
      toggle.addEventListener("click", function () {
        body.hidden = !body.hidden;
        toggle.setAttribute("aria-expanded", String(!body.hidden));
      });
      div.appendChild(toggle);
      div.appendChild(body);
      control.body = body;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    control.render = function (sections) {
      var div = control.getContainer();
      if (!div) return;
      control.body.textContent = "";
      sections.forEach(function (s) { control.body.appendChild(s); });
      div.style.display = sections.length ? "" : "none";
    };
    return control;
  }

  function swatch(color, extra) {
    return el("span", { class: "pm-swatch" + (extra ? " " + extra : ""), style: "background:" + color, "aria-hidden": "true" });
  }

  function cohesionLegend(o, data, classes, level) {
    var feats = data.features;
    var withScore = feats.filter(function (f) { return f.properties.cohesion && f.properties.cohesion.score !== null; });
    var years = {}, sources = {}, scale = null, inherited = 0;
    withScore.forEach(function (f) {
      var c = f.properties.cohesion;
      years[c.year] = true;
      sources[c.source] = true;
      scale = c.scale;
      if (c.inherited) inherited += 1;
    });
    var yearList = Object.keys(years).sort();
    var yearText = yearList.length > 1 ? yearList[0] + "–" + yearList[yearList.length - 1] : (yearList[0] || "–");
    var items = (classes || []).map(function (c) {
      return el("li", {}, [swatch(c.color), number(o, c.from, 1) + " – " + number(o, c.to, 1)]);
    });
    items.push(el("li", {}, [swatch(NO_DATA), o.text.no_score]));
    if (inherited) items.push(el("li", { class: "pm-legend-inherited" }, [swatch(classes ? classes[0].color : NO_DATA, "pm-swatch-dashed"), o.text.inherited_mark]));
    var parts = [
      el("h2", { class: "pm-legend-title", text: o.text.cohesion + " · " + (o.levels[level] || level) + " · " + yearText }),
      el("ul", { class: "pm-legend-list" }, items),
    ];
    if (scale) parts.push(el("p", { text: fmt(o.text.scale, { min: number(o, scale[0]), max: number(o, scale[1]) }) }));
    if (inherited) parts.push(el("p", { text: fmt(o.text.inherited_note, { count: number(o, inherited) }) }));
    parts.push(el("p", { text: o.text.source + ": " + Object.keys(sources).join("; ") }));
    return el("section", { class: "pm-legend-section" }, parts);
  }

  function rungLegend(o, what) {
    var items = Object.keys(RUNG_COLORS).map(function (r) {
      return el("li", {}, [swatch(RUNG_COLORS[r]), r + " · " + o.ladder[r]]);
    });
    items.push(el("li", {}, [swatch(NO_DATA), o.text.not_assessed]));
    return el("section", { class: "pm-legend-section" }, [
      el("h2", { class: "pm-legend-title", text: o.text[what] }),
      el("ul", { class: "pm-legend-list" }, items),
    ]);
  }

  // A padded view snapped outward to a grid: nearby views ask for the same bbox, which the
  // server then answers from its cache.
  function snapOut(b) {
    var step = Math.pow(10, Math.floor(Math.log10((b.getEast() - b.getWest()) / 4)));
    function down(v) { return Math.floor(v / step) * step; }
    function up(v) { return Math.ceil(v / step) * step; }
    return L.latLngBounds([down(b.getSouth()), down(b.getWest())], [up(b.getNorth()), up(b.getEast())]);
  }

  // --- what is in view, as a list beside the main map ---------------------------------------------

  // The places the map shows, read without the map: those of the loaded markers (already
  // filtered, fetched by bbox for the clusters: no second request) inside the map's bounds,
  // by name, the first `data-limit` as links. Only the count is announced, once the map has
  // settled; the list is there to be read when wanted.
  var ANNOUNCE_DELAY = 700;

  function inViewList(o, map, markers) {
    var section = document.getElementById("in-view");
    var nothing = { update: function () {}, loading: function () {}, failed: function () {} };
    if (!section) return nothing;
    var status = document.getElementById("in-view-status");
    var list = document.getElementById("in-view-list");
    var empty = document.getElementById("in-view-empty");
    var details = document.getElementById("in-view-details");
    var limit = parseInt(section.dataset.limit, 10) || 50;
    var collator = new Intl.Collator(locale(o), { numeric: true, sensitivity: "base" });
    var text = o.text;
    var timer = null;
    section.hidden = false;
    // On a phone the list would push the filters far down: folded there, its count still said.
    if (details && window.matchMedia && window.matchMedia("(max-width: 800px)").matches) details.open = false;

    function kindLabel(kind) {
      return (o.kinds[kind] && o.kinds[kind].label) || kind;
    }

    function item(info) {
      var kind = o.kinds[info.kind];
      var meta = [kindLabel(info.kind)];
      if (info.status !== "active") meta.push(o.statuses[info.status] || info.status);
      // The name is text (textContent), whatever somebody typed.
      return el("li", { "data-id": String(info.id) }, [
        swatch(kind ? kind.color : "#555555", "inview-swatch"),
        el("a", { href: placeUrl(o, info.id), text: info.name }),
        " ",
        el("span", { class: "inview-meta", text: meta.join(" · ") }),
      ]);
    }

    function announce(message) {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (status.textContent !== message) status.textContent = message;
        section.dataset.state = "ready";
      }, ANNOUNCE_DELAY);
    }

    // shown: whether the places layer is on the map at all.
    function update(shown) {
      var bounds = map.getBounds();
      var found = [];
      if (shown) {
        markers.forEach(function (m) {
          if (bounds.contains(m.getLatLng())) found.push(m.pm);
        });
      }
      found.sort(function (a, b) {
        return collator.compare(a.name, b.name) || collator.compare(kindLabel(a.kind), kindLabel(b.kind)) || a.id - b.id;
      });
      var n = found.length;
      list.textContent = "";
      found.slice(0, limit).forEach(function (info) { list.appendChild(item(info)); });
      list.removeAttribute("aria-busy");
      empty.textContent = shown && n === 0 ? text.in_view_none : "";
      empty.hidden = !empty.textContent;
      var message;
      if (!shown) message = text.in_view_off;
      else if (n > limit) message = fmt(text.in_view_first, { shown: number(o, limit), count: number(o, n) });
      else message = fmt(n === 1 ? text.in_view_one : text.in_view_many, { count: number(o, n) });
      section.dataset.view = bounds.toBBoxString();
      section.dataset.count = String(n);
      section.dataset.state = "settling";
      announce(message);
    }

    function loading() {
      clearTimeout(timer);
      section.dataset.state = "loading";
      list.setAttribute("aria-busy", "true");
    }

    function failed() {
      clearTimeout(timer);
      section.dataset.state = "error";
      list.removeAttribute("aria-busy");
    }

    return { update: update, loading: loading, failed: failed };
  }

  // --- the main map -----------------------------------------------------------------------------

  Placemaker.initMap = function (map, o) {
    var text = o.text;
    var d = o.defaults;
    var s0 = o.state || {};
    var state = {
      kinds: s0.kinds === null || s0.kinds === undefined ? null : s0.kinds.slice(),
      statuses: (s0.statuses || d.statuses).slice(),
      area: s0.area || null,
      level: s0.level || d.level,
      year: s0.year || null,
      layers: (s0.layers || d.layers).slice(),
    };
    var container = map.getContainer();
    var statusBox = document.getElementById("map-status");
    var icon = iconFactory(o);
    var cluster = o.cluster;
    nameClusters(o, cluster);
    var markers = new Map();
    var loadedKey = null;
    var loadedBoxes = [];
    var controller = null;
    var lastBody = null;

    var inView = inViewList(o, map, markers);

    map.setMinZoom(7);
    container.dataset.placesState = "loading";

    function setStatus(message) {
      if (statusBox) statusBox.textContent = message;
    }

    function filterKey() {
      return [state.kinds ? state.kinds.join(",") : "*", state.statuses.join(","), state.area || ""].join("|");
    }

    // The count in view is said by the list beside the map (inViewList); this status only
    // tells of loading, failures and a cut-off answer.
    function reportInView() {
      var message = "";
      if (lastBody && lastBody.number_matched > lastBody.number_returned) {
        message = fmt(text.truncated, { shown: number(o, lastBody.number_returned), matched: number(o, lastBody.number_matched) });
      }
      setStatus(message);
      container.dataset.placesCount = String(markers.size);
      inView.update(map.hasLayer(cluster));
    }

    function markReady() {
      container.dataset.placesState = "ready";
      container.removeAttribute("aria-busy");
      container.dispatchEvent(new CustomEvent("placemaker:places", { detail: { count: markers.size } }));
    }

    cluster.options.chunkProgress = function (processed, total) {
      if (processed >= total) markReady();
    };

    function loadPlaces() {
      var key = filterKey();
      if (key !== loadedKey) {
        if (controller) controller.abort();
        cluster.clearLayers();
        markers.clear();
        loadedBoxes = [];
        loadedKey = key;
        lastBody = null;
      }
      if ((state.kinds && !state.kinds.length) || !state.statuses.length) {
        reportInView();
        markReady();
        return;
      }
      var view = map.getBounds();
      if (loadedBoxes.some(function (b) { return b.contains(view); })) {
        reportInView();
        return;
      }
      var box = snapOut(view.pad(0.3));
      var params = new URLSearchParams();
      params.set("bbox", [box.getWest(), box.getSouth(), box.getEast(), box.getNorth()].map(function (v) { return v.toFixed(5); }).join(","));
      if (state.kinds) params.set("kind", state.kinds.join(","));
      params.set("status", state.statuses.join(","));
      if (state.area) params.set("area", state.area);
      if (controller) controller.abort();
      controller = new AbortController();
      container.dataset.placesState = "loading";
      container.setAttribute("aria-busy", "true");
      setStatus(text.loading);
      inView.loading();
      getJSON(o.urls.markers + "?" + params.toString(), controller.signal)
        .then(function (body) {
          if (key !== loadedKey) return;
          var fresh = [];
          body.places.forEach(function (p) {
            if (!markers.has(p[0])) {
              var m = makeMarker(o, icon, p);
              markers.set(p[0], m);
              fresh.push(m);
            }
          });
          lastBody = body;
          if (body.number_matched <= body.number_returned) loadedBoxes.push(box);
          reportInView();
          if (fresh.length) cluster.addLayers(fresh);
          else markReady();
        })
        .catch(function (err) {
          if (err.name === "AbortError") return;
          setStatus(text.load_failed);
          container.dataset.placesState = "error";
          inView.failed();
        });
    }

    // Areas, the three layers drawn from the same data.
    var classesRef = { classes: null };
    var areaLayers = {
      cohesion: areaLayer(o, map, "cohesion", classesRef),
      rung_assessed: areaLayer(o, map, "rung_assessed", classesRef),
      rung_wanted: areaLayer(o, map, "rung_wanted", classesRef),
    };
    var areaCache = {};
    var areaData = null;
    var areaKeyLoaded = null;
    var legend = legendControl(o).addTo(map);

    function renderLegend() {
      var sections = [];
      if (areaData && map.hasLayer(areaLayers.cohesion)) sections.push(cohesionLegend(o, areaData, classesRef.classes, state.level));
      ["rung_assessed", "rung_wanted"].forEach(function (what) {
        if (map.hasLayer(areaLayers[what])) sections.push(rungLegend(o, what));
      });
      legend.render(sections);
    }

    function areaLayersShown() {
      return Object.keys(areaLayers).some(function (k) { return map.hasLayer(areaLayers[k]); });
    }

    function loadAreas() {
      if (!areaLayersShown()) { renderLegend(); return; }
      var key = state.level + "|" + (state.year || "");
      if (key === areaKeyLoaded) { renderLegend(); return; }
      var params = new URLSearchParams({ level: state.level, simplify: String(o.simplify[state.level] || 5) });
      if (state.year) params.set("year", state.year);
      var pending = areaCache[key] || getJSON(o.urls.areas + "?" + params.toString());
      areaCache[key] = pending;
      pending
        .then(function (data) {
          if (key !== state.level + "|" + (state.year || "")) return;
          areaData = data;
          areaKeyLoaded = key;
          classesRef.classes = scoreClasses(data.features, o.palette.scores);
          Object.keys(areaLayers).forEach(function (k) {
            areaLayers[k].clearLayers();
            areaLayers[k].addData(data);
          });
          container.dataset.areasState = "ready";
          renderLegend();
        })
        .catch(function () {
          delete areaCache[key];
          setStatus(text.areas_failed);
        });
    }

    var overlays = {};
    overlays[escapeHtml(text.places)] = cluster;
    overlays[escapeHtml(text.cohesion)] = areaLayers.cohesion;
    overlays[escapeHtml(text.rung_assessed)] = areaLayers.rung_assessed;
    overlays[escapeHtml(text.rung_wanted)] = areaLayers.rung_wanted;
    var layerNames = { places: cluster, cohesion: areaLayers.cohesion, rung_assessed: areaLayers.rung_assessed, rung_wanted: areaLayers.rung_wanted };
    Object.keys(layerNames).forEach(function (name) {
      var layer = layerNames[name];
      if (state.layers.indexOf(name) >= 0) { if (!map.hasLayer(layer)) layer.addTo(map); }
      else if (map.hasLayer(layer)) map.removeLayer(layer);
    });
    L.control.layers(null, overlays, { collapsed: window.innerWidth < 900, position: "topright" }).addTo(map);

    function syncLayers() {
      state.layers = Object.keys(layerNames).filter(function (name) { return map.hasLayer(layerNames[name]); });
      updateUrl();
    }
    map.on("overlayadd", function (e) {
      if (e.layer === cluster) loadPlaces();
      else loadAreas();
      syncLayers();
      renderLegend();
    });
    map.on("overlayremove", function (e) {
      if (e.layer === cluster) inView.update(false);
      syncLayers();
      renderLegend();
    });

    // The area filter: outline and fit.
    var highlight = L.geoJSON(null, { interactive: false, style: { color: "#111", weight: 3, dashArray: "6 4", fill: false } }).addTo(map);
    function showArea(code, fit) {
      highlight.clearLayers();
      if (!code) return Promise.resolve();
      return getJSON(areaUrl(o, code, true)).then(function (feature) {
        highlight.addData(feature);
        if (fit) map.fitBounds(highlight.getBounds(), { padding: [20, 20] });
      }).catch(function () {});
    }

    // Permalink: the view and filters in the URL.
    function query() {
      var c = map.getCenter();
      var params = new URLSearchParams();
      params.set("lat", c.lat.toFixed(5));
      params.set("lon", c.lng.toFixed(5));
      params.set("z", String(map.getZoom()));
      if (state.kinds) params.set("kind", state.kinds.join(","));
      params.set("status", state.statuses.join(","));
      if (state.area) params.set("area", state.area);
      params.set("level", state.level);
      if (state.year) params.set("year", state.year);
      params.set("layers", state.layers.join(","));
      return params;
    }
    function updateUrl() {
      var params = query();
      var url = window.location.pathname + "?" + params.toString();
      window.history.replaceState(null, "", url);
      var link = document.getElementById("permalink");
      if (link) link.href = url;
      document.querySelectorAll("a.lang-switch").forEach(function (a) {
        var lang = a.getAttribute("hreflang");
        var p = new URLSearchParams(params);
        p.set("lang", lang);
        a.href = window.location.pathname + "?" + p.toString();
      });
    }

    // Filters.
    var form = document.getElementById("map-filters");
    function readForm() {
      var all = form.querySelectorAll('input[name="kind"]');
      var checked = Array.prototype.filter.call(all, function (i) { return i.checked; }).map(function (i) { return i.value; });
      state.kinds = checked.length === all.length ? null : checked;
      state.statuses = Array.prototype.filter.call(form.querySelectorAll('input[name="status"]'), function (i) { return i.checked; }).map(function (i) { return i.value; });
      var area = form.querySelector('select[name="area"]').value || null;
      var areaChanged = area !== state.area;
      state.area = area;
      state.level = form.querySelector('select[name="level"]').value;
      state.year = form.querySelector('select[name="year"]').value || null;
      return areaChanged;
    }
    if (form) {
      form.addEventListener("submit", function (e) { e.preventDefault(); });
      form.addEventListener("change", function () {
        var areaChanged = readForm();
        if (areaChanged) showArea(state.area, true);
        loadPlaces();
        loadAreas();
        updateUrl();
      });
    }

    // Search: places and areas by name; a result flies there.
    var searchForm = document.getElementById("map-search");
    var results = document.getElementById("search-results");
    function resultButton(label, detail, onChoose) {
      var b = el("button", { type: "button", class: "search-result" }, [el("span", { text: label }), " ", el("small", { text: detail })]);
      b.addEventListener("click", onChoose);
      return el("li", {}, [b]);
    }
    if (searchForm && results) {
      searchForm.addEventListener("submit", function (e) {
        e.preventDefault();
        var q = searchForm.querySelector('input[name="q"]').value.trim();
        results.textContent = "";
        if (!q) return;
        var pq = new URLSearchParams({ q: q, limit: "8" });
        var aq = new URLSearchParams({ q: q, limit: "8", simplify: "20" });
        Promise.all([
          getJSON(o.urls.placeSearch + "?" + pq.toString()),
          getJSON(o.urls.areas + "?" + aq.toString()),
        ]).then(function (both) {
          results.textContent = "";
          var placesFound = both[0].features, areasFound = both[1].features;
          if (!placesFound.length && !areasFound.length) {
            results.appendChild(el("p", { text: text.no_results }));
            return;
          }
          if (placesFound.length) {
            results.appendChild(el("h2", { class: "search-heading", text: text.search_places }));
            results.appendChild(el("ul", { class: "search-list" }, placesFound.map(function (f) {
              var p = f.properties;
              var kind = o.kinds[p.kind];
              return resultButton(p.name, kind ? kind.label : p.kind, function () {
                var ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
                map.flyTo(ll, 18);
                map.once("moveend", function () {
                  L.popup({ maxWidth: 280 }).setLatLng(ll).setContent(popupContent(o, {
                    id: p.id, name: p.name, kind: p.kind, status: p.status,
                  })).openOn(map);
                });
              });
            })));
          }
          if (areasFound.length) {
            results.appendChild(el("h2", { class: "search-heading", text: text.search_areas }));
            results.appendChild(el("ul", { class: "search-list" }, areasFound.map(function (f) {
              var p = f.properties;
              return resultButton(p.name, o.levels[p.level] || p.level, function () {
                highlight.clearLayers();
                highlight.addData(f);
                map.flyToBounds(highlight.getBounds(), { padding: [20, 20] });
              });
            })));
          }
        }).catch(function () { results.appendChild(el("p", { text: text.load_failed })); });
      });
    }

    // Go.
    bindMarkerEvents(o, map, cluster);
    var pending = null;
    map.on("moveend", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        if (map.hasLayer(cluster)) loadPlaces();
        updateUrl();
      }, 120);
    });
    if (state.area && (s0.lat === null || s0.lat === undefined)) showArea(state.area, true);
    else if (state.area) showArea(state.area, false);
    if (map.hasLayer(cluster)) loadPlaces();
    else { markReady(); inView.update(false); }
    loadAreas();
    updateUrl();

    return { map: map, state: state, markers: markers, cluster: cluster, areaLayers: areaLayers, reload: loadPlaces };
  };

  // --- small maps: an area's outline and places, a place, or a draggable pin ------------------------

  Placemaker.initSmallMap = function (map, o) {
    var icon = iconFactory(o);
    var container = map.getContainer();
    container.dataset.placesState = "loading";
    map.setMinZoom(7);
    if (o.mode === "area") {
      var outline = L.geoJSON(o.outline, { interactive: false, style: { color: "#1d3557", weight: 2, fillOpacity: 0.08 } }).addTo(map);
      map.fitBounds(outline.getBounds(), { padding: [10, 10] });
      bindMarkerEvents(o, map, o.cluster);
      nameClusters(o, o.cluster);
      var params = new URLSearchParams({ area: o.area, status: "active,temporarily_closed" });
      getJSON(o.urls.markers + "?" + params.toString()).then(function (body) {
        o.cluster.addLayers(body.places.map(function (p) { return makeMarker(o, icon, p); }));
        container.dataset.placesState = "ready";
      }).catch(function () { container.dataset.placesState = "error"; });
      return { map: map };
    }
    var marker = null;
    if (o.point) {
      marker = L.marker([o.point[1], o.point[0]], {
        icon: icon(o.placeKind || "", o.placeStatus || "active"),
        draggable: o.mode === "edit",
        keyboard: true,
        title: o.text.pin,
      }).addTo(map);
    }
    container.dataset.placesState = "ready";
    if (o.mode !== "edit") return { map: map, marker: marker };

    var lon = document.getElementById(o.inputs.lon);
    var lat = document.getElementById(o.inputs.lat);
    function toInputs(ll) {
      lon.value = ll.lng.toFixed(7);
      lat.value = ll.lat.toFixed(7);
      lon.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function place(ll) {
      if (!marker) {
        marker = L.marker(ll, { icon: icon(o.placeKind || "", "active"), draggable: true, keyboard: true, title: o.text.pin }).addTo(map);
        marker.on("dragend", function () { toInputs(marker.getLatLng()); });
      } else {
        marker.setLatLng(ll);
      }
    }
    if (marker) marker.on("dragend", function () { toInputs(marker.getLatLng()); });
    map.on("click", function (e) { place(e.latlng); toInputs(e.latlng); });
    function fromInputs() {
      var x = parseFloat(String(lon.value).replace(",", ".")), y = parseFloat(String(lat.value).replace(",", "."));
      if (isFinite(x) && isFinite(y)) place(L.latLng(y, x));
    }
    lon.addEventListener("change", fromInputs);
    lat.addEventListener("change", fromInputs);
    return { map: map, marker: function () { return marker; } };
  };
})();

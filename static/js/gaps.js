/* The planners' map: need not yet served, coverage per area, suggested sites with their
 * explanation, what a new place at a clicked point would reach, and saved scenarios compared.
 *
 * Folium builds the Leaflet map and its tile layer (placemaker.maps.gap_map); this file asks
 * /api/gaps/… with the parameters of the page's form. Everything that comes from data or
 * from people (area and place names, scenario names, API messages) is put into the page as
 * text (textContent, DOM nodes), never as HTML.
 */
(function () {
  "use strict";
  var Placemaker = (window.Placemaker = window.Placemaker || {});
  var el = Placemaker.dom.el, escapeHtml = Placemaker.dom.escapeHtml, fmt = Placemaker.dom.fmt;
  var locale = Placemaker.dom.locale, num = Placemaker.dom.number;

  // --- small helpers --------------------------------------------------------------------------

  function pct(o, share) {
    if (share === null || share === undefined) return "–";
    return Number(share).toLocaleString(locale(o), { style: "percent", maximumFractionDigits: 1 });
  }

  // While other analyses hold every slot the server answers 503 with Retry-After: wait as it
  // asks (at most 10 s a time) and ask again a few times, rather than show an error at once.
  function fetchPatiently(url, init, tries) {
    var left = tries === undefined ? 6 : tries;
    return fetch(url, init).then(function (r) {
      var wait = Number(r.headers.get("Retry-After"));
      if (r.status !== 503 || !wait || left <= 0 || (init.signal && init.signal.aborted)) return r;
      return new Promise(function (resolve) { setTimeout(resolve, Math.min(wait, 10) * 1000); })
        .then(function () { return fetchPatiently(url, init, left - 1); });
    });
  }

  // A JSON request; an API error ({"error": {"code", "message"}}) becomes an Error with its message.
  function request(url, init) {
    return fetchPatiently(url, Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } }, init || {}))
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          if (!r.ok) {
            var err = new Error(body && body.error ? body.error.message : "HTTP " + r.status);
            err.status = r.status;
            err.fromApi = !!(body && body.error);
            throw err;
          }
          return body;
        });
      });
  }

  // A question big enough to run as a background job answers 202 with the job; poll it,
  // report its progress, and ask again once it has finished (the answer is then cached).
  function requestAnalysis(url, signal, onProgress) {
    return fetchPatiently(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: signal })
      .then(function (r) {
        return r.json().catch(function () { return null; }).then(function (body) {
          if (r.status !== 202) {
            if (!r.ok) {
              var err = new Error(body && body.error ? body.error.message : "HTTP " + r.status);
              err.status = r.status;
              err.fromApi = !!(body && body.error);
              throw err;
            }
            return body;
          }
          var job = body;
          onProgress(job);
          return new Promise(function (resolve, reject) {
            function poll() {
              if (signal.aborted) { reject(new DOMException("aborted", "AbortError")); return; }
              request(job.url, { signal: signal }).then(function (status) {
                onProgress(status);
                if (status.status === "finished") resolve(request(url, { signal: signal }));
                else if (status.status === "failed" || status.status === "stopped" || status.status === "canceled") {
                  var failed = new Error(status.error || status.status);
                  failed.fromApi = true;
                  reject(failed);
                } else setTimeout(poll, 700);
              }, reject);
            }
            setTimeout(poll, 500);
          });
        });
      });
  }

  function distanceM(a, b) {
    // Haversine, for "the next-best site lies N m away" (lon, lat pairs).
    var rad = Math.PI / 180, R = 6371008.8;
    var dLat = (b[1] - a[1]) * rad, dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * R * Math.asin(Math.sqrt(h));
  }

  function swatch(color) {
    return el("span", { class: "pm-swatch", style: "background:" + color, "aria-hidden": "true" });
  }

  // --- colours and classes ----------------------------------------------------------------------

  // Need per 100 m cell (residents × need weight): fixed classes, so maps of different runs
  // read alike; the faint lowest classes are the thinly populated edges.
  var NEED_BREAKS = [1, 10, 50, 100];
  var NEED_COLORS = ["#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];
  var NEED_OPACITY = [0.35, 0.55, 0.75, 0.85, 0.9];
  // Share of residents within reach: the low shares, the gaps, are the dark ones.
  var COVER_BREAKS = [0.5, 0.7, 0.85, 0.95];
  var COVER_COLORS = ["#54278f", "#756bb1", "#9e9ac8", "#cbc9e2", "#f2f0f7"];
  var CHANGE_CLASSES = [
    { to: -0.05, color: "#b2182b" },
    { to: -0.005, color: "#ef8a62" },
    { to: 0.005, color: "#f7f7f7", none: true },
    { to: 0.05, color: "#a6dba0" },
    { to: 0.15, color: "#5aae61" },
    { to: Infinity, color: "#1b7837" },
  ];
  var NO_DATA = "#bdbdbd";

  function classOf(breaks, value) {
    for (var i = 0; i < breaks.length; i++) if (value < breaks[i]) return i;
    return breaks.length;
  }

  function rangeItems(o, breaks, colors, format, unit) {
    var items = [];
    for (var i = 0; i <= breaks.length; i++) {
      var text;
      if (i === 0) text = "< " + format(breaks[0]);
      else if (i === breaks.length) text = "≥ " + format(breaks[i - 1]);
      else text = format(breaks[i - 1]) + "–" + format(breaks[i]);
      items.push(rampItem(colors[i], text + (unit || "")));
    }
    return items;
  }

  // One class of a legend drawn as a ramp: the colour above, its range below.
  function rampItem(color, text) {
    return el("li", {}, [swatch(color), el("span", { text: text })]);
  }

  function changeClass(change) {
    for (var i = 0; i < CHANGE_CLASSES.length; i++) if (change < CHANGE_CLASSES[i].to) return CHANGE_CLASSES[i];
    return CHANGE_CLASSES[CHANGE_CLASSES.length - 1];
  }

  // --- the explanation of one suggested site -------------------------------------------------------

  function areaChain(p) {
    if (!p.area) return "";
    var names = [p.area.name].concat((p.area.ancestors || []).slice().reverse().map(function (a) { return a.name; }));
    return names.join(", ");
  }

  function cohesionLine(o, c) {
    var t = o.text;
    if (!c || c.score === null || c.score === undefined) return t.no_cohesion;
    var line = c.inherited
      ? fmt(t.cohesion_inherited, { score: num(o, c.score, 1), year: c.year, area: c.from_area ? c.from_area.name : "" })
      : fmt(t.cohesion, { score: num(o, c.score, 1), year: c.year });
    return line;
  }

  function explanation(o, feature) {
    var t = o.text, p = feature.properties;
    var parts = [];
    parts.push(el("p", { class: "gap-reach" }, [fmt(t.reaches, {
      residents: num(o, p.new_residents_reached), weight: num(o, p.new_weighted_need_reached),
    })]));
    if (p.weighted_need_only_this_site_reaches !== undefined && p.weighted_need_only_this_site_reaches < p.new_weighted_need_reached) {
      parts.push(el("p", {}, [fmt(t.exclusive, { weight: num(o, p.weighted_need_only_this_site_reaches) })]));
    }
    if (p.area) parts.push(el("p", { class: "gap-area" }, [t.area + ": " + areaChain(p)]));
    parts.push(el("p", {}, [cohesionLine(o, p.cohesion)]));
    var c = p.cohesion;
    if (c && (c.rung_assessed || c.rung_wanted)) {
      parts.push(el("p", {}, [fmt(t.rungs, {
        assessed: c.rung_assessed ? c.rung_assessed + " (" + o.ladder[c.rung_assessed] + ")" : "–",
        wanted: c.rung_wanted ? c.rung_wanted + " (" + o.ladder[c.rung_wanted] + ")" : "–",
      })]));
    }
    var cand = p.candidate || {};
    if (cand.source === "layer" && cand.name) parts.push(el("p", {}, [fmt(t.candidate_layer, { name: cand.name })]));
    if (cand.source === "proposal") parts.push(el("p", {}, [fmt(t.candidate_proposal, { name: cand.name || "" })]));
    var nearest = (p.nearest_places || []).slice(0, 3);
    if (nearest.length) {
      parts.push(el("p", { class: "gap-nearest-title", text: t.nearest + ":" }));
      parts.push(el("ul", { class: "gap-nearest" }, nearest.map(function (n) {
        var kind = o.kinds[n.kind] || (o.lang === "en" ? n.label_en : n.label_nl) || n.kind;
        return el("li", {}, [fmt(t.nearest_item, {
          kind: kind, name: n.name, distance: num(o, n.distance_m), walking: num(o, n.walking_m),
        })]);
      })));
    }
    if (p.next_best) {
      parts.push(el("p", { class: "gap-next-best" }, [fmt(t.next_best, {
        distance: num(o, Math.round(distanceM(feature.geometry.coordinates, p.next_best.coordinates) / 10) * 10),
        gain: num(o, p.next_best.gain_of_this_site_over_it),
      })]));
    }
    return parts;
  }

  function suggestionIcon(rank) {
    return L.divIcon({
      className: "gap-marker",
      html: '<span class="gap-pin">' + String(Number(rank)) + "</span>",
      iconSize: [30, 30],
      iconAnchor: [15, 15],
      popupAnchor: [0, -14],
    });
  }

  // --- the page ---------------------------------------------------------------------------------

  Placemaker.initGapMap = function (map, o) {
    var t = o.text;
    var container = map.getContainer();
    var form = document.getElementById("gaps-form");
    var progress = document.getElementById("gaps-progress");
    var progressBar = document.getElementById("gaps-progress-bar");
    var statusBox = document.getElementById("gaps-status");
    var errorBox = document.getElementById("gaps-error");
    var results = document.getElementById("gaps-results");
    var list = document.getElementById("gaps-suggestions");
    // The need cells above the area colours, below the markers; thousands of them: canvas.
    map.createPane("gapsNeed").style.zIndex = 420;
    var canvas = L.canvas({ padding: 0.3, pane: "gapsNeed" });
    var controller = null;
    var generation = 0;
    var current = {}; // the parameters of the last computation
    var data = { cells: null, coverage: null, geo: null, suggestions: null, comparison: null };
    var areaCache = {};
    var fitted = !!(o.initial && (o.initial.lat || o.initial.area));

    map.setMinZoom(7);
    container.dataset.gapsState = "idle";

    // Layers.
    var needLayer = L.geoJSON(null, {
      renderer: canvas,
      style: function (f) {
        var c = classOf(NEED_BREAKS, f.properties.weighted_need);
        return { stroke: false, fillColor: NEED_COLORS[c], fillOpacity: NEED_OPACITY[c] };
      },
    });
    var coverageLayer = L.geoJSON(null, {
      style: function (f) {
        var r = data.coverage && data.coverage.byCode[f.properties.code];
        var fill = r && r.population_share !== null ? COVER_COLORS[classOf(COVER_BREAKS, r.population_share)] : NO_DATA;
        return { color: "#5a5a5a", weight: 1, fillColor: fill, fillOpacity: 0.45 };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return coverageInfo(f.properties); }, { sticky: true });
        layer.on("mouseover", function () { layer.setStyle({ weight: 3 }); });
        layer.on("mouseout", function () { layer.setStyle({ weight: 1 }); });
      },
    });
    var changeLayer = L.geoJSON(null, {
      style: function (f) {
        var row = data.comparison && data.comparison.byCode[f.properties.code];
        var change = row ? row.population_share_change : null;
        var fill = change === null || change === undefined ? NO_DATA : changeClass(change).color;
        return { color: "#333", weight: 1, fillColor: fill, fillOpacity: 0.7 };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return changeInfo(f.properties); }, { sticky: true });
      },
    });
    var siteLayer = L.featureGroup();
    var evalLayer = L.featureGroup().addTo(map);
    var outline = L.geoJSON(null, { interactive: false, style: { color: "#111", weight: 3, dashArray: "6 4", fill: false } }).addTo(map);
    coverageLayer.addTo(map);
    needLayer.addTo(map);
    siteLayer.addTo(map);

    var overlays = {};
    overlays[escapeHtml(t.need_layer)] = needLayer;
    overlays[escapeHtml(t.coverage_layer)] = coverageLayer;
    overlays[escapeHtml(t.suggestions_layer)] = siteLayer;
    var layerControl = L.control.layers(null, overlays, { collapsed: container.clientWidth < 1000, position: "topright" }).addTo(map);
    var changeInControl = false;

    // Tooltips on the need cells, made when the pointer first reaches one.
    needLayer.on("mouseover", function (e) {
      var layer = e.layer, p = layer.feature.properties;
      if (!layer.getTooltip()) {
        layer.bindTooltip(el("div", {}, [
          el("p", { text: t.population + ": " + num(o, p.population, 1) }),
          el("p", { text: t.need_title + ": " + num(o, p.weighted_need, 1) }),
        ]), { sticky: true });
      }
      layer.openTooltip(e.latlng);
    });

    function coverageInfo(props) {
      var r = data.coverage && data.coverage.byCode[props.code];
      var after = data.suggestions && data.suggestions.afterByCode[props.code];
      var lines = [el("p", {}, [el("strong", { text: props.name }), " (" + (o.levels[props.level] || props.level) + ")"])];
      if (r) {
        lines.push(el("p", { text: t.share + ": " + pct(o, r.population_share) + " · " + t.population + ": " + num(o, r.population) }));
        if (after) lines.push(el("p", { text: t.share_after + ": " + pct(o, after.population_share) }));
      } else {
        lines.push(el("p", { text: t.no_data }));
      }
      return el("div", { class: "pm-area-info" }, lines);
    }

    function changeInfo(props) {
      var row = data.comparison && data.comparison.byCode[props.code];
      var lines = [el("p", {}, [el("strong", { text: props.name })])];
      if (row) {
        lines.push(el("p", { text: "A: " + pct(o, row.population_share_a) + " · B: " + pct(o, row.population_share_b) }));
        lines.push(el("p", { text: t.change + ": " + changeText(row.population_share_change) }));
      }
      return el("div", { class: "pm-area-info" }, lines);
    }

    function changeText(change) {
      if (change === null || change === undefined) return "–";
      return (change > 0 ? "+" : "") + num(o, change * 100, 1) + " " + t.points;
    }

    // Legend.
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = el("div", { class: "pm-legend gaps-legend leaflet-bar", role: "region", "aria-label": t.legend });
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    legend.addTo(map);

    function sourcesText() {
      var pops = {}, cohesion = {};
      if (data.geo) {
        // Only the areas the analysis covered (a chosen municipality or area), so a page about
        // one municipality credits no other's sources.
        var covered = data.coverage ? data.coverage.byCode : null;
        data.geo.features.forEach(function (f) {
          var p = f.properties;
          if (covered && !covered[p.code]) return;
          var src = p.population_source;
          if (src && p.population_year && src.indexOf(String(p.population_year)) < 0) src += " " + p.population_year;
          if (src) pops[src] = true;
          var c = p.cohesion;
          if (c && c.source) cohesion[c.source + " " + c.year] = true;
        });
      }
      return fmt(t.sources_need, {
        population: Object.keys(pops).sort().join(", ") || "–",
        cohesion: Object.keys(cohesion).sort().join(", ") || "–",
      });
    }

    function renderLegend() {
      var div = legend.getContainer();
      div.textContent = "";
      var sections = [];
      if (data.cells && map.hasLayer(needLayer)) {
        sections.push(el("section", { class: "pm-legend-section" }, [
          el("h2", { class: "pm-legend-title", text: t.need_title }),
          el("ul", { class: "gaps-ramp" }, rangeItems(o, NEED_BREAKS, NEED_COLORS, function (v) { return num(o, v, v < 1 ? 1 : 0); })),
          el("p", { text: t.need_note }),
        ]));
      }
      if (data.coverage && map.hasLayer(coverageLayer)) {
        var items = rangeItems(o, COVER_BREAKS, COVER_COLORS, function (v) { return num(o, v * 100); }, "%");
        items.push(rampItem(NO_DATA, t.no_data));
        sections.push(el("section", { class: "pm-legend-section" }, [
          el("h2", { class: "pm-legend-title", text: fmt(t.coverage_title, { level: o.levels[current.level] || current.level }) }),
          el("ul", { class: "gaps-ramp" }, items),
        ]));
      }
      if (data.comparison && map.hasLayer(changeLayer)) {
        sections.push(el("section", { class: "pm-legend-section" }, [
          el("h2", { class: "pm-legend-title", text: t.change_title }),
          el("ul", { class: "gaps-ramp" }, CHANGE_CLASSES.map(function (c, i) {
            var lo = i === 0 ? null : CHANGE_CLASSES[i - 1].to * 100, hi = c.to * 100;
            function signed(v) { return (v > 0 ? "+" : "") + num(o, v, Math.abs(v) < 1 ? 1 : 0); }
            var label = c.none ? "±" + num(o, hi, 1)
              : lo === null ? "< " + signed(hi)
              : hi === Infinity ? "≥ " + signed(lo)
              : signed(lo) + "…" + signed(hi);
            return rampItem(c.color, label);
          }).concat([rampItem(NO_DATA, t.no_data)])),
          el("p", { text: t.points }),
        ]));
      }
      if (sections.length && (data.cells || data.coverage)) {
        sections.push(el("p", { class: "gaps-legend-source", text: t.source + ": " + sourcesText() }));
      }
      sections.forEach(function (s) { div.appendChild(s); });
      div.style.display = sections.length ? "" : "none";
    }
    map.on("overlayadd overlayremove", renderLegend);

    // --- parameters: the form, the URL ----------------------------------------------------------

    var NUMERIC = ["p", "rung", "radius", "year", "detour"].concat(Object.keys(o.weightArgs));
    var NAMES = ["p", "kind", "rung", "candidates", "area", "level", "radius", "year", "detour", "catchment", "planned"].concat(Object.keys(o.weightArgs));

    function readForm() {
      var params = {};
      NAMES.forEach(function (name) {
        var input = form.elements[name];
        if (!input) return;
        var value = String(input.value || "").trim();
        if (!value) return;
        var def = o.defaults[name];
        if (def !== undefined) {
          if (NUMERIC.indexOf(name) >= 0 ? parseFloat(value) === parseFloat(def) : value === def) return;
        }
        params[name] = value;
      });
      return params;
    }

    // The downloads and the report ask for what the map shows: the same query string.
    function linkExports(query) {
      var box = document.getElementById("gaps-exports");
      if (!box) return;
      box.querySelector("[data-export=csv]").href = o.urls.exports.csv + "?" + query;
      box.querySelector("[data-export=gpkg]").href = o.urls.exports.gpkg + "?" + query;
      box.querySelector("[data-export=report]").href = o.urls.report + "?" + query;
      box.hidden = false;
    }

    function apiQuery(params, extra) {
      var q = new URLSearchParams();
      NAMES.forEach(function (name) { if (params[name] !== undefined) q.set(name, params[name]); });
      if (!q.has("level")) q.set("level", o.defaults.level);
      Object.keys(extra || {}).forEach(function (k) { q.set(k, extra[k]); });
      return q.toString();
    }

    var SITE_ONLY = ["p", "candidates", "radius"];
    var drawn = { cells: null, coverage: null };

    function without(params, names) {
      var copy = {};
      Object.keys(params).forEach(function (k) { if (names.indexOf(k) < 0) copy[k] = params[k]; });
      return copy;
    }

    function pageQuery(params) {
      var q = new URLSearchParams();
      NAMES.forEach(function (name) { if (params[name] !== undefined) q.set(name, params[name]); });
      return q;
    }

    function updateUrl(params) {
      var q = pageQuery(params);
      var url = window.location.pathname + (q.toString() ? "?" + q.toString() : "");
      window.history.replaceState(null, "", url);
      document.getElementById("gaps-permalink").href = url;
      document.querySelectorAll("a.lang-switch").forEach(function (a) {
        var p = new URLSearchParams(q);
        p.set("lang", a.getAttribute("hreflang"));
        a.href = window.location.pathname + "?" + p.toString();
      });
    }

    function levelOf(params) { return params.level || o.defaults.level; }

    // --- progress and errors ----------------------------------------------------------------------

    var STAGES = ["cells", "coverage", "suggestions"];
    var stageState = {};

    function setStage(name, state) {
      stageState[name] = state;
      var li = progress.querySelector('[data-stage="' + name + '"]');
      if (li) li.dataset.state = state;
      var done = STAGES.filter(function (s) { return stageState[s] === "done"; }).length;
      progressBar.value = done;
      progressBar.textContent = done + " / " + STAGES.length;
      var waiting = STAGES.filter(function (s) { return stageState[s] !== "done"; }).map(function (s) { return t["stage_" + s]; });
      if (waiting.length) statusBox.textContent = fmt(t.computing, { stages: waiting.join(", ") });
    }

    function showError(err) {
      var message = err.fromApi ? err.message : (err.status ? err.message : t.network_failed);
      errorBox.textContent = "";
      errorBox.appendChild(el("p", {}, [el("strong", { text: t.failed }), " ", el("span", { class: "gaps-error-message", text: message })]));
      errorBox.hidden = false;
    }

    // --- computing --------------------------------------------------------------------------------

    function compute() {
      var params = readForm();
      current = Object.assign({ level: o.defaults.level }, params);
      updateUrl(params);
      if (controller) controller.abort();
      controller = new AbortController();
      var signal = controller.signal;
      var gen = ++generation;
      var query = apiQuery(params);
      errorBox.hidden = true;
      errorBox.textContent = "";
      progress.hidden = false;
      STAGES.forEach(function (s) { setStage(s, "running"); });
      container.dataset.gapsState = "computing";
      container.setAttribute("aria-busy", "true");
      form.querySelector("#gaps-compute").disabled = true;
      var started = performance.now();

      function live() { return gen === generation; }

      // Suggestions first: with few workers, the request asked first is served first.
      var jobBox = document.getElementById("gaps-job");
      var suggestions = requestAnalysis(o.urls.suggestions + "?" + query, signal, function (job) {
        if (!live() || !jobBox) return;
        jobBox.hidden = false;
        jobBox.dataset.jobStatus = job.status;
        var bar = jobBox.querySelector("progress");
        bar.value = job.progress || 0;
        jobBox.querySelector("span").textContent = fmt(t.job_progress, {
          status: t["job_" + job.status] || job.status,
          percent: Math.round(100 * (job.progress || 0)) + " %",
        });
      }).then(function (body) {
        if (!live()) return;
        if (jobBox) jobBox.hidden = true;
        drawSuggestions(body);
        linkExports(query);
        container.dataset.suggestionsMs = String(Math.round(performance.now() - started));
        setStage("suggestions", "done");
      });
      // Need cells and coverage depend on who is counted (kind, rung, area, year, detour,
      // weights), not on the number of sites or the candidates: a new p asks only for sites.
      var cellsKey = apiQuery(without(params, SITE_ONLY.concat(["level"])));
      var coverageKey = apiQuery(without(params, SITE_ONLY));
      var cells = drawn.cells === cellsKey ? Promise.resolve() : request(o.urls.cells + "?" + query, { signal: signal }).then(function (body) {
        if (!live()) return;
        drawCells(body);
        drawn.cells = cellsKey;
      });
      cells = cells.then(function () { if (live()) setStage("cells", "done"); });
      var coverage = drawn.coverage === coverageKey ? Promise.resolve() : Promise.all([
        request(o.urls.coverage + "?" + query, { signal: signal }),
        areaGeometries(levelOf(params), signal),
      ]).then(function (both) {
        if (!live()) return;
        drawCoverage(both[0], both[1]);
        drawn.coverage = coverageKey;
      });
      coverage = coverage.then(function () { if (live()) setStage("coverage", "done"); });
      showArea(params.area, true);

      Promise.all([cells, coverage]).then(function () { if (live()) fitOnce(); }).catch(function () {});
      Promise.all([cells, coverage, suggestions]).then(function () {
        if (!live()) return;
        finish("ready");
        statusBox.textContent = fmt(t.done, { count: num(o, data.suggestions.features.length) });
      }).catch(function (err) {
        if (!live() || err.name === "AbortError") return;
        controller.abort();
        finish("error");
        statusBox.textContent = t.failed;
        showError(err);
      });
    }

    function finish(state) {
      progress.hidden = true;
      container.dataset.gapsState = state;
      container.removeAttribute("aria-busy");
      form.querySelector("#gaps-compute").disabled = false;
      container.dispatchEvent(new CustomEvent("placemaker:gaps", { detail: { state: state } }));
    }

    function areaGeometries(level, signal) {
      if (!areaCache[level]) {
        var q = new URLSearchParams({ level: level, simplify: String(o.simplify) });
        areaCache[level] = request(o.urls.areas + "?" + q.toString(), { signal: signal }).catch(function (err) {
          delete areaCache[level];
          throw err;
        });
      }
      return areaCache[level];
    }

    var shownArea = null;
    function showArea(code, fit) {
      if ((code || null) === shownArea) return;
      shownArea = code || null;
      outline.clearLayers();
      if (!code) return;
      request(o.urls.area.replace("CODE", encodeURIComponent(code))).then(function (feature) {
        if (shownArea !== code) return;
        outline.addData(feature);
        if (fit) map.fitBounds(outline.getBounds(), { padding: [20, 20] });
      }).catch(function () {});
    }

    function drawCells(body) {
      data.cells = body;
      needLayer.clearLayers();
      needLayer.addData(body);
      container.dataset.cellsCount = String(body.features.length);
      renderLegend();
    }

    function drawCoverage(body, geo) {
      var byCode = {};
      body.areas.forEach(function (r) { byCode[r.code] = r; });
      data.coverage = { body: body, byCode: byCode };
      data.geo = geo;
      coverageLayer.clearLayers();
      coverageLayer.addData({ type: "FeatureCollection", features: geo.features.filter(function (f) { return byCode[f.properties.code]; }) });
      coverageLayer.bringToBack();
      renderTables();
      renderLegend();
    }

    // The first time, show the whole analysis area (an area chosen in the form fits itself),
    // once the legend has its final size.
    function fitOnce() {
      if (fitted || current.area || !coverageLayer.getLayers().length) return;
      fitted = true;
      // Keep the city clear of the legend: a strip below it costs less than one beside it.
      var legendBox = legend.getContainer();
      map.fitBounds(coverageLayer.getBounds(), {
        paddingTopLeft: [10, 10],
        paddingBottomRight: [10, (legendBox && legendBox.offsetHeight ? legendBox.offsetHeight : 0) + 10],
        animate: false,
      });
    }

    function drawSuggestions(body) {
      var afterByCode = {};
      (body.areas_after || []).forEach(function (r) { afterByCode[r.code] = r; });
      data.suggestions = body;
      data.suggestions.afterByCode = afterByCode;
      siteLayer.clearLayers();
      list.textContent = "";
      body.features.forEach(function (f) {
        var p = f.properties;
        var ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        var title = fmt(t.rank, { rank: p.rank }) + (p.area ? " · " + p.area.name : "");
        var marker = L.marker(ll, { icon: suggestionIcon(p.rank), title: title, keyboard: true, riseOnHover: true, zIndexOffset: (300 - p.rank) * 1000 });  // the best on top of its neighbours
        marker.bindPopup(function () {
          return el("div", { class: "pm-popup gap-popup" }, [el("h2", { class: "pm-popup-title", text: title })].concat(explanation(o, f)));
        }, { maxWidth: 320 });
        marker.addTo(siteLayer);
        var button = el("button", { type: "button", class: "link-button gap-show" , text: t.show_on_map });
        button.addEventListener("click", function () {
          map.setView(ll, Math.max(map.getZoom(), 15));
          marker.openPopup();
        });
        list.appendChild(el("li", { class: "gap-suggestion", "data-rank": p.rank }, [
          el("h3", { class: "gap-suggestion-title" }, [
            el("span", { class: "gap-pin gap-pin-inline", "aria-hidden": "true", text: String(p.rank) }),
            el("span", { text: p.area ? p.area.name : fmt(t.rank, { rank: p.rank }) }),
          ]),
        ].concat(explanation(o, f)).concat([el("p", {}, [button])])));
      });
      var covered = body.covered_residents_before, residents = body.residents;
      document.getElementById("gaps-summary").textContent =
        fmt(t.summary, { count: num(o, body.features.length), reached: num(o, body.new_residents_reached), weight: num(o, body.new_weighted_need_reached) }) + " " +
        fmt(t.summary_before, {
          covered: num(o, covered), residents: num(o, residents), share: pct(o, residents ? covered / residents : null),
          after: pct(o, residents ? (covered + body.new_residents_reached) / residents : null),
        });
      document.getElementById("gaps-method").textContent = fmt(t.method_note, {
        method: (t.methods && t.methods[body.method]) || body.method, candidates: num(o, body.candidates), radius: num(o, body.radius_m),
      }) + (body.note ? " " + body.note : "") +
        (body.catchment && body.catchment.model === "network" ? " " + fmt(t.catchment_network, { cells: num(o, body.catchment.cells_by_detour_model) }) : "");
      var cert = body.certificate, certBox = document.getElementById("gaps-certificate");
      if (certBox && cert) {
        certBox.textContent = (cert.proven_best
          ? fmt(t.proven_best, { count: num(o, body.params.p) })
          : fmt(t.within_gap, { gap: Math.max(cert.gap, 0.0001).toLocaleString(locale(o), { style: "percent", maximumFractionDigits: 2 }), count: num(o, body.params.p), bound: num(o, cert.upper_bound) })) +
          (body.search && body.search.time_limit_hit ? " " + t.time_limit_hit : "");
        certBox.dataset.gap = String(cert.gap);
        certBox.dataset.provenBest = String(cert.proven_best);
      }
      results.hidden = false;
      container.dataset.suggestionsCount = String(body.features.length);
      renderTables();
    }

    function table(headers, rows) {
      return el("table", { class: "gaps-table" }, [
        el("thead", {}, [el("tr", {}, headers.map(function (h, i) { return el("th", { scope: "col", class: i ? "num" : null, text: h }); }))]),
        el("tbody", {}, rows.map(function (cells) {
          return el("tr", {}, cells.map(function (c, i) { return i ? el("td", { class: "num", text: c }) : el("th", { scope: "row", text: c }); }));
        })),
      ]);
    }

    function renderTables() {
      if (!data.coverage) return;
      var after = data.suggestions ? data.suggestions.afterByCode : {};
      var rows = data.coverage.body.areas.filter(function (r) { return r.population > 0; })
        .sort(function (a, b) { return a.population_share - b.population_share || b.population - a.population; })
        .slice(0, 10)
        .map(function (r) {
          return [r.name, num(o, r.population), pct(o, r.population_share), after[r.code] ? pct(o, after[r.code].population_share) : "–"];
        });
      var lowest = document.querySelector("#gaps-lowest .gaps-table-scroll");
      lowest.textContent = "";
      lowest.appendChild(table([t.area, t.population, t.share, t.share_after], rows));
      var byKind = document.querySelector("#gaps-by-kind .gaps-table-scroll");
      byKind.textContent = "";
      byKind.appendChild(table([t.kind, t.share], data.coverage.body.by_kind.map(function (k) {
        return [o.kinds[k.kind] || k.kind, pct(o, k.population_share)];
      })));
    }

    // --- what a new place at a clicked point would reach --------------------------------------------

    var evalText = document.getElementById("gaps-evaluation-text");
    map.on("click", function (e) {
      var ll = e.latlng;
      evalLayer.clearLayers();
      var body = el("div", { class: "pm-popup gap-popup" }, [
        el("h2", { class: "pm-popup-title", text: t.evaluate_title }),
        el("p", { text: t.evaluating }),
      ]);
      var popup = L.popup({ maxWidth: 300 }).setLatLng(ll).setContent(body).openOn(map);
      evalText.textContent = t.evaluating;
      var q = apiQuery(current, { lon: ll.lng.toFixed(6), lat: ll.lat.toFixed(6) });
      request(o.urls.evaluate + "?" + q).then(function (r) {
        var lines = [fmt(t.evaluate_result, { radius: num(o, r.radius_m), residents: num(o, r.new_residents_reached), weight: num(o, r.new_weighted_need_reached) })];
        if (r.area) lines.push(t.area + ": " + r.area.name);
        lines.push(cohesionLine(o, r.cohesion));
        body.textContent = "";
        body.appendChild(el("h2", { class: "pm-popup-title", text: t.evaluate_title }));
        lines.forEach(function (line) { body.appendChild(el("p", { text: line })); });
        popup.update();
        evalText.textContent = lines.join(" ");
        L.circle(ll, { radius: r.radius_m / (r.params && r.params.detour ? r.params.detour : 1), interactive: false, color: "#1d3557", weight: 2, dashArray: "4 4", fillOpacity: 0.05 }).addTo(evalLayer);
        container.dataset.evaluated = "1";
      }).catch(function (err) {
        var message = err.fromApi ? err.message : t.network_failed;
        body.textContent = "";
        body.appendChild(el("h2", { class: "pm-popup-title", text: t.evaluate_title }));
        body.appendChild(el("p", { class: "error", text: message }));
        evalText.textContent = message;
      });
    });

    // --- scenarios ----------------------------------------------------------------------------------

    var scenarioList = document.getElementById("gaps-scenario-list");
    var compareForm = document.getElementById("gaps-compare");
    var selectA = document.getElementById("gaps-a"), selectB = document.getElementById("gaps-b");
    var comparisonBox = document.getElementById("gaps-comparison");

    function scenarioQuery(params) {
      var q = new URLSearchParams();
      ["p", "kind", "rung", "candidates", "area", "level", "year", "detour"].forEach(function (k) {
        var v = params[k];
        if (v !== null && v !== undefined && v !== "" && String(v) !== String(o.defaults[k] || "")) q.set(k, v);
      });
      if (params.radius_m) q.set("radius", params.radius_m);
      var w = params.weights || {};
      Object.keys(o.weightArgs).forEach(function (arg) {
        var v = w[o.weightArgs[arg]];
        if (v !== undefined && parseFloat(v) !== parseFloat(o.defaults[arg])) q.set(arg, v);
      });
      return q;
    }

    function loadScenarios(chooseB) {
      return request(o.urls.scenarios).then(function (body) {
        var items = body.scenarios;
        scenarioList.textContent = "";
        if (!items.length) {
          scenarioList.appendChild(el("p", { class: "muted", text: t.no_scenarios }));
        } else {
          scenarioList.appendChild(el("ul", { class: "gaps-scenario-items" }, items.map(function (s) {
            var q = scenarioQuery(s.params).toString();
            var when = new Date(s.created_at).toLocaleDateString(locale(o), { day: "numeric", month: "short", year: "numeric" });
            return el("li", {}, [
              el("a", { href: o.urls.page + (q ? "?" + q : ""), text: s.name }),
              el("small", { class: "muted", text: " · " + when + " · " + num(o, s.new_residents_reached) + " " + t.residents_reached }),
            ]);
          })));
        }
        [selectA, selectB].forEach(function (select) {
          var keep = select.value;
          select.textContent = "";
          items.forEach(function (s) { select.appendChild(el("option", { value: s.id, text: s.name + " (#" + s.id + ")" })); });
          if (keep) select.value = keep;
        });
        if (items.length >= 2) {
          if (!selectA.value || selectA.value === selectB.value) selectA.value = String(items[1].id);
          selectB.value = String(chooseB || items[0].id);
          if (selectA.value === selectB.value) selectA.value = String(items[chooseB === items[1].id ? 0 : 1].id);
        }
        compareForm.hidden = items.length < 2;
      }).catch(function () {
        scenarioList.textContent = "";
        scenarioList.appendChild(el("p", { class: "error", text: t.network_failed }));
      });
    }

    compareForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var a = selectA.value, b = selectB.value;
      comparisonBox.textContent = "";
      if (!a || !b) { comparisonBox.appendChild(el("p", { text: t.pick_two })); return; }
      var q = new URLSearchParams({ a: a, b: b });
      request(o.urls.compare + "?" + q.toString()).then(function (body) {
        var byCode = {};
        body.areas.forEach(function (r) { byCode[r.code] = r; });
        data.comparison = { body: body, byCode: byCode };
        renderComparison(body, q);
        var levels = {};
        body.areas.forEach(function (r) { levels[r.level] = true; });
        return Promise.all(Object.keys(levels).map(function (lv) { return areaGeometries(lv); })).then(function (sets) {
          changeLayer.clearLayers();
          sets.forEach(function (geo) {
            changeLayer.addData({ type: "FeatureCollection", features: geo.features.filter(function (f) { return byCode[f.properties.code]; }) });
          });
          if (!changeInControl) { layerControl.addOverlay(changeLayer, escapeHtml(t.change_layer)); changeInControl = true; }
          if (!map.hasLayer(changeLayer)) changeLayer.addTo(map);
          if (map.hasLayer(coverageLayer)) map.removeLayer(coverageLayer);
          changeLayer.bringToBack();
          renderLegend();
          container.dataset.comparison = "ready";
        });
      }).catch(function (err) {
        comparisonBox.appendChild(el("p", { class: "error", text: err.fromApi ? err.message : t.network_failed }));
      });
    });

    function renderComparison(body, q) {
      comparisonBox.textContent = "";
      comparisonBox.appendChild(el("h3", { text: fmt(t.compare_title, { a: body.a.name, b: body.b.name }) }));
      if (body.warnings && body.warnings.length) {
        var named = function (w, v) {
          if (w.field === "kind") return (v && o.kinds[v]) || t.all_kinds;
          return v === null || v === undefined ? "?" : String(v);
        };
        comparisonBox.appendChild(el("div", { class: "gaps-compare-warnings", role: "alert" }, [
          el("p", {}, [el("strong", { text: t.differs_title })]),
          el("ul", {}, body.warnings.map(function (w) {
            return el("li", { "data-field": w.field, text: fmt(t["differs_" + w.field], { a: named(w, w.a), b: named(w, w.b) }) });
          }))
        ]));
      }
      comparisonBox.appendChild(el("p", { text: fmt(t.reached_ab, { a: num(o, body.new_residents_reached_a), b: num(o, body.new_residents_reached_b) }) }));
      var changed = body.areas.filter(function (r) { return r.population_share_change; })
        .sort(function (x, y) { return Math.abs(y.population_share_change) - Math.abs(x.population_share_change); });
      if (!changed.length) {
        comparisonBox.appendChild(el("p", { text: t.compare_none }));
      } else {
        comparisonBox.appendChild(el("p", { text: fmt(t.compare_changed, { count: num(o, changed.length) }) }));
        comparisonBox.appendChild(el("div", { class: "gaps-table-scroll" }, [table([t.area, "A", "B", t.change], changed.slice(0, 12).map(function (r) {
          var c = r.population_share_change;
          return [r.name, pct(o, r.population_share_a), pct(o, r.population_share_b), (c > 0 ? "+" : "") + num(o, c * 100, 1)];
        }))]));
      }
      if (changed.length) comparisonBox.appendChild(el("p", { class: "muted", text: t.change + ": " + t.points + " (B − A)" }));
      comparisonBox.appendChild(el("p", {}, [el("a", { href: o.urls.comparePage + "?" + q.toString(), text: t.compare_full })]));
    }

    var saveForm = document.getElementById("gaps-save");
    if (saveForm) {
      var saveStatus = document.getElementById("gaps-save-status");
      saveForm.addEventListener("submit", function (e) {
        e.preventDefault();
        var name = saveForm.elements.name.value.trim();
        if (!name) return;
        var button = saveForm.querySelector("button");
        button.disabled = true;
        saveStatus.className = "";
        saveStatus.textContent = "";
        request(o.urls.scenarios, {
          method: "POST",
          headers: { Accept: "application/json", "Content-Type": "application/json" },
          body: JSON.stringify({ name: name, params: current }),
        }).then(function (s) {
          saveStatus.textContent = fmt(t.scenario_saved, { name: s.name });
          saveForm.elements.name.value = "";
          return loadScenarios(s.id);
        }).catch(function (err) {
          saveStatus.className = "error";
          saveStatus.textContent = t.save_failed + " " + (err.fromApi ? err.message : "");
        }).then(function () { button.disabled = false; });
      });
    }

    var uploadForm = document.getElementById("gaps-upload");
    if (uploadForm) {
      var uploadStatus = document.getElementById("gaps-upload-status");
      uploadForm.addEventListener("submit", function (e) {
        e.preventDefault();
        var file = uploadForm.elements.file.files[0];
        var name = uploadForm.elements.name.value.trim();
        if (!file || !name) return;
        var button = uploadForm.querySelector("button");
        button.disabled = true;
        uploadStatus.className = "";
        uploadStatus.textContent = "";
        file.text().then(function (text) {
          var collection;
          try {
            collection = JSON.parse(text);
          } catch (err) {
            var parseError = new Error(t.layer_not_json);
            parseError.fromApi = true;
            throw parseError;
          }
          return request(o.urls.layers, {
            method: "POST",
            headers: { Accept: "application/json", "Content-Type": "application/json" },
            body: JSON.stringify({ name: name, role: uploadForm.elements.role.value, features: collection }),
          });
        }).then(function (layer) {
          uploadStatus.textContent = fmt(t.layer_uploaded, { name: layer.name, count: layer.features });
          return loadLayers();
        }).catch(function (err) {
          uploadStatus.className = "error";
          uploadStatus.textContent = t.layer_failed + " " + (err.fromApi ? err.message : "");
        }).then(function () { button.disabled = false; });
      });
    }

    // --- controls -----------------------------------------------------------------------------------

    var candidates = form.elements.candidates;
    function loadLayers() {
      return request(o.urls.layers).then(function (body) {
        var chosen = candidates.value;
        Array.prototype.slice.call(candidates.options).forEach(function (opt) {
          if (opt.value.indexOf("layer:") === 0) opt.remove();
        });
        body.layers.forEach(function (layer) {
          candidates.appendChild(el("option", { value: "layer:" + layer.id, text: layer.name }));
        });
        candidates.value = chosen;
        if (candidates.value !== chosen) candidates.value = "grid";
      }).catch(function () {});
    }

    document.getElementById("gaps-reset-weights").addEventListener("click", function () {
      Object.keys(o.weightArgs).forEach(function (arg) {
        var input = form.elements[arg];
        if (input) input.value = input.dataset.default;
      });
    });

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      compute();
    });

    renderLegend();
    compute();
    loadLayers();
    loadScenarios();
    return { map: map, compute: compute, layers: { need: needLayer, coverage: coverageLayer, sites: siteLayer, change: changeLayer } };
  };
})();

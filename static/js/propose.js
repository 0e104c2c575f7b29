/* Proposals on the map: pick a spot, see what is near, list and show proposals.
 *
 * Called by the folium map (placemaker.maps.proposal_map) as Placemaker.initProposalMap.
 * Everything residents typed is put into the page as text (textContent), never as HTML.
 */
(function () {
  "use strict";
  var Placemaker = (window.Placemaker = window.Placemaker || {});
  var el = Placemaker.dom.el, fmt = Placemaker.dom.fmt;

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function pinIcon(o, kindCode, extraClass) {
    var kind = (o.kinds || {})[kindCode] || { color: "#1d3557", icon: "circle-dot" };
    var html = '<div class="pm-pin ' + (extraClass || "") + '" style="--pm-color:' + kind.color + '">' +
      '<svg class="pm-icon" aria-hidden="true"><use href="#pm-icon-' + kind.icon + '"></use></svg></div>';
    // kind.color and kind.icon are checked server-side (maps.kinds_for_js): safe in markup.
    return L.divIcon({ className: "pm-marker", html: html, iconSize: [30, 30], iconAnchor: [15, 15] });
  }

  function popupFor(title, lines, link) {
    var box = el("div", { className: "pm-popup" }, [el("p", { className: "pm-popup-title", text: title })]);
    lines.forEach(function (line) { if (line) box.appendChild(el("p", { text: line })); });
    if (link) box.appendChild(el("p", {}, [el("a", { href: link.href, text: link.text })]));
    return box;
  }

  function placeLayer(map, o) {
    var layer = L.layerGroup().addTo(map);
    return layer;
  }

  function addPlace(layer, o, p) {
    var text = o.text;
    var marker = L.circleMarker([p.lat, p.lon], { radius: 7, color: "#1d3557", weight: 2, fillColor: "#fff", fillOpacity: 0.9 });
    marker.bindTooltip(el("span", { text: p.name }));
    marker.bindPopup(popupFor(p.name, [text.place, p.kind, p.address || ""]));
    marker.options.pmKind = "place";
    marker.options.pmName = p.name;
    layer.addLayer(marker);
    return marker;
  }

  function addProposal(layer, o, p, kindLabel) {
    var text = o.text;
    var marker = L.circleMarker([p.lat, p.lon], { radius: 7, color: "#b35900", weight: 2, fillColor: "#ffb347", fillOpacity: 0.9 });
    var title = text.proposal + " #" + p.id;
    marker.bindTooltip(el("span", { text: title }));
    marker.bindPopup(popupFor(title, [kindLabel || p.kind, p.reason, p.supports + " " + text.supports],
      { href: o.urls.proposalPage.replace(/0$/, String(p.id)), text: text.view }));
    layer.addLayer(marker);
    return marker;
  }

  // --- pick a spot ----------------------------------------------------------------------------

  function initPick(map, o) {
    var container = map.getContainer();
    var lon = document.getElementById(o.inputs.lon);
    var lat = document.getElementById(o.inputs.lat);
    var kind = document.getElementById("kind");
    var panel = document.getElementById("spot-context");
    var status = document.getElementById("spot-status");
    var text = o.text;
    var marker = null;
    var around = placeLayer(map, o);
    var circle = null;
    var request = 0;

    function setPin(ll) {
      if (!marker) {
        marker = L.marker(ll, { icon: pinIcon(o, kind.value, "pm-pin-new"), draggable: true, keyboard: true, title: text.pin, alt: text.pin, zIndexOffset: 1000 }).addTo(map);
        marker.on("dragend", function () { choose(marker.getLatLng(), false); });
        marker.getElement().addEventListener("keydown", nudge);
      } else {
        marker.setLatLng(ll);
      }
      if (!circle) circle = L.circle(ll, { radius: 75, color: "#b35900", weight: 1, fill: false, dashArray: "4 4", interactive: false }).addTo(map);
      else circle.setLatLng(ll);
    }

    function choose(ll, pan, label) {
      lon.value = ll.lng.toFixed(7);
      lat.value = ll.lat.toFixed(7);
      setPin(ll);
      if (pan) map.setView(ll, Math.max(map.getZoom(), 17));
      status.textContent = label ? fmt(text.chosen_at, { label: label })
        : fmt(text.chosen, { lat: ll.lat.toFixed(5), lon: ll.lng.toFixed(5) });
      address.textContent = "";
      if (!label) loadAddress();
      loadContext();
    }

    // The address nearest the pin, so a resident sees where it landed in words.
    var address = document.getElementById("spot-address");
    var addressRequest = 0;
    var loadAddress = debounce(function () {
      var mine = ++addressRequest;
      address.dataset.state = "loading";
      getJSON(o.urls.reverse + "?" + new URLSearchParams({ lon: lon.value, lat: lat.value })).then(function (body) {
        if (mine !== addressRequest) return;
        address.textContent = body.result ? fmt(text.nearest_address, { address: body.result.label, m: Math.round(distance(body.result)) }) : text.no_address;
        address.dataset.state = "ready";
      }).catch(function () { if (mine === addressRequest) { address.textContent = ""; address.dataset.state = "error"; } });
    }, 300);
    function distance(r) {
      return map.distance(L.latLng(r.lat, r.lon), L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
    }

    // Keyboard: Enter on the map puts the pin under the crosshair; arrow keys on the pin nudge it.
    container.setAttribute("aria-describedby", "pin-keys");
    container.addEventListener("keydown", function (e) {
      if (e.target !== container || e.key !== "Enter") return;
      e.preventDefault();
      choose(map.getCenter(), false);
    });
    var NUDGE = { ArrowUp: [0, -5], ArrowDown: [0, 5], ArrowLeft: [-5, 0], ArrowRight: [5, 0] };
    function nudge(e) {
      var step = NUDGE[e.key];
      if (!step || !marker) return;
      e.preventDefault();
      e.stopPropagation();
      var factor = e.shiftKey ? 5 : 1;
      var p = map.latLngToContainerPoint(marker.getLatLng()).add(L.point(step[0] * factor, step[1] * factor));
      choose(map.containerPointToLatLng(p), false);
    }

    function fromInputs() {
      var x = parseFloat(String(lon.value).replace(",", "."));
      var y = parseFloat(String(lat.value).replace(",", "."));
      if (isFinite(x) && isFinite(y)) choose(L.latLng(y, x), true);
    }

    var loadContext = debounce(function () {
      var mine = ++request;
      container.dataset.spotState = "loading";
      panel.dataset.state = "loading";
      panel.replaceChildren(el("p", { className: "muted", text: text.loading }));
      var params = new URLSearchParams({ lon: lon.value, lat: lat.value, kind: kind.value || "" });
      getJSON(o.urls.context + "?" + params.toString()).then(function (ctx) {
        if (mine !== request) return;
        renderContext(ctx);
        panel.dataset.state = "ready";
        container.dataset.spotState = "ready";
      }).catch(function () {
        if (mine !== request) return;
        panel.replaceChildren(el("p", { className: "error", text: text.failed }));
        panel.dataset.state = "error";
        container.dataset.spotState = "error";
      });
    }, 250);

    function renderContext(ctx) {
      var nodes = [];
      if (ctx.area) {
        var chain = (ctx.area.ancestors || []).map(function (a) { return a.name; }).concat([ctx.area.name]);
        nodes.push(el("p", {}, [el("strong", { text: text.area + ": " }), chain.join(" › ")]));
        var c = ctx.area.cohesion;
        var score = c && c.score != null ? c.score.toLocaleString(o.lang) + " / " + c.scale[1] + " (" + c.year + ")" : text.no_score;
        var from = c && c.inherited ? " " + fmt(text.inherited_from, { name: c.from_area.name }) : "";
        nodes.push(el("p", {}, [el("strong", { text: text.cohesion + ": " }), score + from]));
      } else {
        nodes.push(el("p", { className: "muted", text: text.no_area }));
      }
      if (ctx.gap && ctx.gap.residents != null) {
        nodes.push(el("p", { className: "gap-value", text: fmt(text.gap, { n: ctx.gap.residents.toLocaleString(o.lang) }) }));
      }
      var near = ctx.nearby;
      if (near.places.length || near.proposals.length) {
        var list = el("ul", { className: "nearby-list" });
        near.places.forEach(function (p) {
          list.appendChild(el("li", {}, [el("strong", { text: text.place + ": " }), p.name + " (" + p.kind + "), " + fmt(text.meters, { m: p.distance_m })]));
        });
        near.proposals.forEach(function (p) {
          list.appendChild(el("li", {}, [
            el("strong", { text: text.proposal + " #" + p.id + ": " }),
            p.kind + ", " + fmt(text.meters, { m: p.distance_m }) + ", " + p.supports + " " + text.supports + " — ",
            el("a", { href: o.urls.proposalPage.replace(/0$/, String(p.id)), text: text.view }),
          ]));
        });
        nodes.push(el("div", { className: "same-one", role: "note", id: "same-one" }, [
          el("p", {}, [el("strong", { text: fmt(text.nearby_title, { m: ctx.radius_m }) })]),
          list,
          el("p", { text: text.same_one }),
        ]));
      } else {
        nodes.push(el("p", { className: "muted", text: fmt(text.nothing_nearby, { m: ctx.radius_m }) }));
      }
      panel.replaceChildren.apply(panel, nodes);
    }

    // What is already there, in view: places and open proposals.
    var loadAround = debounce(function () {
      if (map.getZoom() < 14) { around.clearLayers(); return; }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
      Promise.all([
        getJSON(o.urls.places + "?" + new URLSearchParams({ bbox: bbox, limit: "500", status: "active,temporarily_closed" })),
        getJSON(o.urls.proposals + "?" + new URLSearchParams({ bbox: bbox, limit: "500" })),
      ]).then(function (res) {
        around.clearLayers();
        res[0].features.forEach(function (f) {
          var p = f.properties;
          addPlace(around, o, { lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], name: p.name,
            kind: o.lang === "en" ? p.kind_label_en : p.kind_label_nl, address: p.address });
        });
        res[1].features.forEach(function (f) {
          var p = f.properties;
          addProposal(around, o, { id: p.id, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1],
            reason: p.reason, supports: p.supports }, o.lang === "en" ? p.kind_label_en : p.kind_label_nl);
        });
        container.dataset.aroundState = "ready";
      }).catch(function () { container.dataset.aroundState = "error"; });
    }, 300);

    map.on("click", function (e) { choose(e.latlng, false); });
    map.on("moveend", loadAround);
    lon.addEventListener("change", fromInputs);
    lat.addEventListener("change", fromInputs);
    kind.addEventListener("change", function () {
      if (marker) marker.setIcon(pinIcon(o, kind.value, "pm-pin-new"));
      if (lon.value && lat.value) loadContext();
    });

    // "Use my location": the browser asks the resident; nothing leaves but to our server.
    document.getElementById("locate-button").addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = text.no_geolocation; return; }
      status.textContent = text.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        choose(L.latLng(pos.coords.latitude, pos.coords.longitude), true);
      }, function () { status.textContent = text.geolocation_failed; }, { enableHighAccuracy: true, timeout: 15000 });
    });

    // Search addresses (street + number, postcode), places, areas or coordinates, as one types.
    var search = document.getElementById("search");
    var results = document.getElementById("search-results");
    var searchRequest = 0;
    function runSearch(typing) {
      var q = search.value.trim();
      var mine = ++searchRequest;
      if (!q || (typing && q.length < 2)) { results.replaceChildren(); return; }
      getJSON(o.urls.lookup + "?" + new URLSearchParams({ q: q })).then(function (body) {
        if (mine !== searchRequest) return;  // an older answer arriving late
        results.replaceChildren();
        if (!body.results.length) { results.appendChild(el("li", { className: "muted", text: text.no_results })); return; }
        body.results.forEach(function (r) {
          var button = el("button", { type: "button", className: "search-result", text: r.label });
          button.dataset.type = r.type;
          button.addEventListener("click", function () {
            results.replaceChildren();
            search.value = r.label;
            choose(L.latLng(r.lat, r.lon), true, r.type === "address" ? r.label : null);
            // Focus follows the result: the status says where the pin now is.
            status.focus();
          });
          results.appendChild(el("li", {}, [button]));
        });
        if (!typing) results.querySelector("button").focus();
      }).catch(function () { results.replaceChildren(el("li", { className: "error", text: text.failed })); });
    }
    document.getElementById("search-button").addEventListener("click", function () { runSearch(false); });
    search.addEventListener("input", debounce(function () { runSearch(true); }, 250));
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); runSearch(false); }
      if (e.key === "ArrowDown") {
        var first = results.querySelector("button");
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    results.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      var buttons = Array.prototype.slice.call(results.querySelectorAll("button"));
      var i = buttons.indexOf(document.activeElement);
      if (i < 0) return;
      e.preventDefault();
      if (e.key === "ArrowUp" && i === 0) search.focus();
      else buttons[Math.max(0, Math.min(buttons.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)))].focus();
    });

    // Check the photo before sending, so a resident never loses the text to a refusal.
    var photo = document.getElementById("photo");
    var photoError = document.getElementById("photo-error");
    var form = document.getElementById("propose-form");
    function photoProblem() {
      var file = photo.files && photo.files[0];
      if (!file) return null;
      if (file.size > o.photoMaxBytes) return fmt(text.photo_too_large, { max: Math.floor(o.photoMaxBytes / 1048576) });
      if (file.type && !/^image\/(jpeg|png|webp)$/.test(file.type)) return text.photo_type;
      return null;
    }
    // The area manager's form (a need made a proposal) has no photo.
    if (photo) photo.addEventListener("change", function () {
      var problem = photoProblem();
      photoError.hidden = !problem;
      photoError.textContent = problem || "";
    });
    form.addEventListener("submit", function (e) {
      var problem = photo ? photoProblem() : null;
      if (problem) {
        e.preventDefault();
        photoError.hidden = false;
        photoError.textContent = problem;
        photo.focus();
        return;
      }
      // One proposal per click; the server also recognises a repeated form.
      var button = document.getElementById("submit-button");
      setTimeout(function () { button.disabled = true; }, 0);
    });

    if (o.point) choose(L.latLng(o.point[1], o.point[0]), false);
    loadAround();
    var error = document.getElementById("form-error");
    if (error) error.focus();
    container.dataset.ready = "true";
    return { map: map, choose: choose, marker: function () { return marker; } };
  }

  // --- the public list, one proposal, moderation ------------------------------------------------

  function initList(map, o) {
    var container = map.getContainer();
    var layer = placeLayer(map, o);
    getJSON(o.urls.proposals + "?" + new URLSearchParams({ limit: "2000" })).then(function (body) {
      body.features.forEach(function (f) {
        var p = f.properties;
        addProposal(layer, o, { id: p.id, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1],
          reason: p.reason, supports: p.supports }, o.lang === "en" ? p.kind_label_en : p.kind_label_nl);
      });
      if (body.features.length) map.fitBounds(L.featureGroup(layer.getLayers()).getBounds(), { padding: [20, 20], maxZoom: 16 });
      container.dataset.ready = "true";
    }).catch(function () { container.dataset.ready = "error"; });
    return { map: map };
  }

  function initShow(map, o) {
    var ll = L.latLng(o.point[1], o.point[0]);
    L.marker(ll, { icon: pinIcon(o, o.proposalKind, "pm-pin-new"), keyboard: true, title: o.text.pin }).addTo(map);
    if (o.mode === "moderate" && o.nearby) {
      var layer = placeLayer(map, o);
      L.circle(ll, { radius: 75, color: "#b35900", weight: 1, fill: false, dashArray: "4 4", interactive: false }).addTo(map);
      o.nearby.places.forEach(function (p) { addPlace(layer, o, p); });
      o.nearby.proposals.forEach(function (p) { addProposal(layer, o, p); });
    }
    map.getContainer().dataset.ready = "true";
    return { map: map };
  }

  Placemaker.initProposalMap = function (map, o) {
    if (o.mode === "pick") return initPick(map, o);
    if (o.mode === "list") return initList(map, o);
    return initShow(map, o);
  };
})();

// Comfort only: every page works without this file. No network requests, no inline handlers.
(function () {
  "use strict";
  var KEY = "oerrepo.pick";
  document.documentElement.classList.add("js");

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(list) {
    try { localStorage.setItem(KEY, JSON.stringify(list.slice(0, 20))); } catch (e) { /* private mode */ }
  }
  function has(list, id) { return list.some(function (p) { return p.id === id; }); }
  function combineUrl(list) {
    var lang = new URLSearchParams(location.search).get("lang");
    var q = list.map(function (p) { return "id=" + encodeURIComponent(p.id); });
    if (lang) q.push("lang=" + encodeURIComponent(lang));
    // the site may be mounted below a path: take the page's own link to /combine
    var nav = document.querySelector("[data-pick-count]");
    var base = nav && nav.closest("a") ? nav.closest("a").getAttribute("href").split("?")[0] : "/combine";
    return base + (q.length ? "?" + q.join("&") : "");
  }
  function refresh() {
    var list = load();
    document.querySelectorAll("[data-pick-count]").forEach(function (el) {
      el.textContent = list.length ? "(" + list.length + ")" : "";
      el.hidden = !list.length;
      var link = el.closest("a");
      if (link) link.href = combineUrl(list);
    });
  }

  // Copy buttons next to attribution texts.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var area = document.getElementById(button.getAttribute("data-copy"));
      var done = function () { button.textContent = button.textContent.replace(/ ✓$/, "") + " ✓"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(area.value).then(done, function () { area.select(); document.execCommand("copy"); done(); });
      } else { area.select(); document.execCommand("copy"); done(); }
    });
  });

  // Sorting applies on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // A selection for "Can I combine these?" that lasts while the reader browses.
  document.querySelectorAll("input[data-pick]").forEach(function (box) {
    box.checked = has(load(), box.value);
    box.addEventListener("change", function () {
      var list = load().filter(function (p) { return p.id !== box.value; });
      if (box.checked) list.push({ id: box.value, title: box.getAttribute("data-title") });
      save(list); refresh();
    });
  });
  document.querySelectorAll("form.pick-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      location.href = combineUrl(load());
    });
  });
  document.querySelectorAll("[data-pick-add]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var id = link.getAttribute("data-pick-add"), list = load();
      if (!has(list, id)) list.push({ id: id, title: link.getAttribute("data-title") });
      save(list);
      event.preventDefault();
      location.href = combineUrl(list);
    });
  });
  document.querySelectorAll("[data-pick-remove]").forEach(function (link) {
    link.addEventListener("click", function () {
      var id = link.getAttribute("data-pick-remove");
      save(load().filter(function (p) { return p.id !== id; }));
    });
  });
  // The combine page's own list is the truth once the reader is there.
  if (location.pathname.slice(-8) === "/combine") {
    var ids = new URLSearchParams(location.search).getAll("id");
    if (ids.length) {
      save(ids.map(function (id) {
        var old = load().filter(function (p) { return p.id === id; })[0];
        return { id: id, title: old ? old.title : id };
      }));
    }
  }
  refresh();
})();

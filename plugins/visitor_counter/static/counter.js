/* Visitor counter: one POST per page view; on any failure the placeholder stays as it is. */
(function () {
  "use strict";
  var el = document.querySelector(".visitor-counter[data-page-key]");
  if (!el || !window.fetch) return;
  var value = el.querySelector(".visitor-counter__value");
  var abort = window.AbortController ? new AbortController() : null;
  var timer = setTimeout(function () { if (abort) abort.abort(); }, 4000);
  fetch(el.getAttribute("data-api"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ path: el.getAttribute("data-page-key") }),
    credentials: "same-origin",
    cache: "no-store",
    signal: abort ? abort.signal : undefined
  }).then(function (response) {
    return response.ok ? response.json() : null;
  }).then(function (body) {
    var count = body && (el.getAttribute("data-show") === "site" ? body.site_views : body.views);
    if (typeof count !== "number" || !value) return;
    value.textContent = new Intl.NumberFormat().format(count);
    value.removeAttribute("aria-hidden");
    el.className += " is-loaded";
  })["catch"](function () { /* neutral placeholder: a failed count must never bother the reader */ })
    .then(function () { clearTimeout(timer); });
})();

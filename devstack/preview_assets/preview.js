// make serve only: the local edge adds this file to the pages it serves; no build contains it.
// It reloads the page when a rebuild republished it and shows a failed build over the page.
(function () {
  "use strict";
  var script = document.currentScript;
  var seen = Number(new URL(script.src).searchParams.get("since") || 0);
  var here = location.pathname;
  var overlay = null;

  function isThisPage(paths) {
    var alternatives = [here, here.endsWith("/") ? here + "index.html" : here + "/"];
    return paths.some(function (path) { return alternatives.indexOf(path) >= 0; });
  }

  function addStyle() {
    if (document.getElementById("dev-preview-style")) return;
    var link = document.createElement("link");
    link.id = "dev-preview-style";
    link.rel = "stylesheet";
    link.href = "/_dev/preview.css";
    document.head.appendChild(link);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function showProblems(problems) {
    addStyle();
    if (overlay) overlay.remove();
    overlay = element("div", "dev-build-error");
    overlay.setAttribute("role", "alert");
    overlay.appendChild(element("h2", "", "The site did not build"));
    var list = element("ul");
    problems.filter(function (p) { return p.level === "error"; }).forEach(function (problem) {
      var item = element("li");
      var where = problem.file ? problem.file + (problem.line ? ":" + problem.line : "") : "the build";
      item.appendChild(element("strong", "dev-build-error__file", where));
      item.appendChild(element("pre", "dev-build-error__reason", problem.message));
      list.appendChild(item);
    });
    overlay.appendChild(list);
    overlay.appendChild(element("p", "dev-build-error__note",
      "The last good site is still served. Fix the file and save: this page reloads by itself."));
    document.body.appendChild(overlay);
  }

  function onBuild(status) {
    if (status.generation <= seen) return;
    seen = status.generation;
    if (!status.ok) return showProblems(status.problems);
    if (overlay || isThisPage(status.changed)) location.reload();
  }

  // A page opened or reloaded while the build is broken carries the current generation, so no
  // event is news to it: the status it starts from says whether to show the problems now.
  fetch("/_dev/status", { cache: "no-store" })
    .then(function (response) { return response.json(); })
    .then(function (status) { if (!status.ok && !overlay) showProblems(status.problems); })
    .catch(function () { /* the event stream still reports the next build */ });

  var events = new EventSource("/_dev/events");
  events.addEventListener("build", function (message) { onBuild(JSON.parse(message.data)); });
})();

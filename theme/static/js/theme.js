/* Theme behaviour, loaded in <head> without defer so the colour theme applies before the first
   paint: the reader's choice (auto, light, dark) kept in localStorage, and copy buttons on code. */
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "theme";
  var CHOICES = ["auto", "light", "dark"];

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function apply(choice) {
    root.setAttribute("data-theme", CHOICES.indexOf(choice) < 0 ? "auto" : choice);
  }
  apply(stored());

  function cycleTheme() {
    var next = CHOICES[(CHOICES.indexOf(root.getAttribute("data-theme")) + 1) % CHOICES.length];
    apply(next);
    try { window.localStorage.setItem(KEY, next); } catch (e) { /* private mode: this page only */ }
  }

  function addCopyButton(block) {
    var pre = block.querySelector("pre");
    if (!pre) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.innerText.replace(/\n$/, "")).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1600);
      }, function () { button.textContent = "Select and copy"; });
    });
    block.appendChild(button);
  }

  function ready() {
    var toggle = document.querySelector(".theme-toggle");
    if (toggle) toggle.addEventListener("click", cycleTheme);
    if (navigator.clipboard && window.isSecureContext) {
      Array.prototype.forEach.call(document.querySelectorAll(".prose .highlight"), addCopyButton);
    }
  }
  // Another tab changed the theme: follow it.
  window.addEventListener("storage", function (event) { if (event.key === KEY) apply(event.newValue); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

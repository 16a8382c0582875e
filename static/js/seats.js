// Progressive enhancement for the seats pages (the searchable seat pickers are
// static/js/searchable-select.js, on every page).
(function () {
  "use strict";
  // The hex map: zoom buttons (without JS it scrolls in its own box with hexagons big enough
  // to tap), and the seat found with "Find my seat" scrolled into the middle of the box.
  function zoomable(figure) {
    var svg = figure.querySelector("svg");
    var frame = figure.querySelector(".hexmap-frame");
    var buttons = figure.querySelector("[data-zoom-buttons]");
    if (!svg || !frame || !buttons) return;
    var tapWidth = parseFloat(svg.getAttribute("width"));
    var tapHeight = parseFloat(svg.getAttribute("height"));
    var scale = 1; // 1: hexagons big enough to tap (the width and height attributes)
    function apply() {
      svg.setAttribute("width", Math.round(tapWidth * scale));
      svg.setAttribute("height", Math.round(tapHeight * scale));
    }
    buttons.hidden = false;
    buttons.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (!button) return;
      var zoom = button.getAttribute("data-zoom");
      if (zoom === "fit") scale = Math.min(1, frame.clientWidth / tapWidth);
      else scale = Math.min(3, Math.max(0.2, scale * (zoom === "in" ? 1.5 : 1 / 1.5)));
      apply();
    });
    var found = figure.querySelector("#found-hex");
    if (found) {
      var box = found.getBoundingClientRect();
      var outer = frame.getBoundingClientRect();
      frame.scrollLeft += box.left - outer.left - frame.clientWidth / 2;
      frame.scrollTop += box.top - outer.top - frame.clientHeight / 2;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-hexmap]").forEach(zoomable);
  });
})();

// Progressive enhancement for the seats pages: a long <select data-searchable> (650 seats)
// becomes a type-to-search box with Tom Select (static/vendor). Without JS it stays a plain
// <select>, which works the same.
(function () {
  "use strict";
  function enhance(root) {
    if (typeof window.TomSelect !== "function") return;
    root.querySelectorAll("select[data-searchable]").forEach(function (select) {
      if (select.tomselect) return;
      new window.TomSelect(select, {
        maxOptions: null,
        allowEmptyOption: false,
        placeholder: select.getAttribute("data-placeholder") || "Type to search",
        searchField: ["text"],
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    enhance(event.target);
  });
})();

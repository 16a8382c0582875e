// Every <select data-searchable> (650 seats, 1,313 on two boundary sets, hundreds of groups)
// becomes a type-to-search box with Tom Select (static/vendor/tom-select/). Without JS, or
// before this runs, it is the plain <select>, which submits the same value.
(function () {
  "use strict";
  // Options drawn in the open list before anything is typed: typing searches all of them.
  var SHOWN_OPTIONS = 700;

  function enhance(root) {
    if (typeof window.TomSelect !== "function") return;
    root.querySelectorAll("select[data-searchable]").forEach(function (select) {
      if (select.tomselect) return;
      // Tom Select points the <label for> at its own text box; the original <select> (kept,
      // hidden, for the form) keeps its name for assistive technology through aria-label.
      if (select.labels && select.labels.length && !select.getAttribute("aria-label")) {
        // The label's words, without the "*" of a required field (hidden from readers).
        var label = select.labels[0].cloneNode(true);
        label.querySelectorAll("[aria-hidden]").forEach(function (mark) {
          mark.remove();
        });
        select.setAttribute("aria-label", label.textContent.replace(/\s+/g, " ").trim());
      }
      var settings = {
        maxOptions: SHOWN_OPTIONS,
        // The blank choice ("Any constituency", "None") is the empty box with its
        // placeholder; an optional field gets a clear button to go back to it.
        allowEmptyOption: false,
        placeholder: select.getAttribute("data-placeholder") || "Type to search",
        searchField: ["text"],
        closeAfterSelect: !select.multiple,
        plugins: [],
      };
      if (select.multiple) settings.plugins.push("remove_button");
      else if (!select.required) settings.plugins.push("clear_button");
      var control = new window.TomSelect(select, settings);
      // htmx listens for "change" on the original <select> (the event form's clash check):
      // Tom Select sets its value and fires "change" there, so that keeps working.
      control.wrapper.classList.add("searchable");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhance(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    enhance(event.target);
  });
})();

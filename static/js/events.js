// The event form: choosing a suggested free slot fills in the start and end times.
// Without JavaScript the same link reloads the form with the slot's times in its address.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.clash-slot") : null;
    if (!link) {
      return;
    }
    var starts = document.getElementById("id_starts_at");
    var ends = document.getElementById("id_ends_at");
    if (!starts || !ends) {
      return;
    }
    event.preventDefault();
    starts.value = link.dataset.startsAt;
    ends.value = link.dataset.endsAt;
    // Ask the server again: the chosen slot should clear the warning.
    starts.dispatchEvent(new Event("change", { bubbles: true }));
    starts.focus();
  });
})();

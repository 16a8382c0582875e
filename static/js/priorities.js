// Priority mapping board: drag a note onto a cluster (HTML5 drag and drop) and post the move
// with fetch and the page's CSRF token; the answer is the fresh board. Without JavaScript the
// forms on the board do the same. Live polling (htmx) pauses while a note is being dragged or
// a board form is half filled, so the board does not change under the pointer.
(function () {
  "use strict";
  var live = document.getElementById("board-live");
  var dragging = false;
  var dirty = false;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Pause the board's polling while the user is busy with it. (The pollers ask with the
  // version they show and get an empty 204 while nothing changed, so nothing moves then.)
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (live && source && live.contains(source) && source.classList.contains("poller") &&
        (dragging || dirty)) {
      event.preventDefault();
    }
  });

  // And drop an answer that arrives while a note is in the air: swapping the board then would
  // pull the drop target from under the pointer. The next poll brings it again.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail && event.detail.elt;
    if (live && source && live.contains(source) && source.classList.contains("poller") &&
        (dragging || dirty)) {
      event.detail.shouldSwap = false;
    }
  });

  if (!live) {
    return;
  }

  live.addEventListener("input", function () { dirty = true; });
  live.addEventListener("change", function () { dirty = true; });
  live.addEventListener("submit", function () { dirty = false; });

  // Every action answers with the fresh board, swapped in at once: the board changes when the
  // organiser has just acted, not later under their pointer, and its poller then carries the
  // current version (so the next poll swaps nothing unless someone else changed something).
  function post(url, data) {
    var body = new URLSearchParams(data);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" }
    }).then(function (response) {
      live.dataset.lastStatus = String(response.status);
      return response.text().then(function (html) {
        if (dragging) { return; }  // another drag began: the poller brings this board
        live.innerHTML = html;
        if (window.htmx) { window.htmx.process(live); }
      });
    });
  }

  live.addEventListener("dragstart", function (event) {
    var note = event.target.closest && event.target.closest("[data-note]");
    if (!note) { return; }
    dragging = true;
    note.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", note.dataset.note);
  });

  live.addEventListener("dragend", function (event) {
    dragging = false;
    var note = event.target.closest && event.target.closest("[data-note]");
    if (note) { note.classList.remove("dragging"); }
  });

  live.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest(".drop-zone");
    if (!zone) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    zone.classList.add("drop-target");
  });

  live.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest(".drop-zone");
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("drop-target"); }
  });

  live.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest(".drop-zone");
    if (!zone) { return; }
    event.preventDefault();
    dragging = false;
    zone.classList.remove("drop-target");
    var noteId = event.dataTransfer.getData("text/plain");
    if (!noteId) { return; }
    var cluster = zone.dataset.cluster;
    if (cluster === "new") {
      var name = window.prompt("Name the new cluster");
      if (!name) { return; }
      post(live.dataset.createUrl, [["name", name], ["notes", noteId]]);
    } else {
      // Show the move at once; the answer (the fresh board) follows.
      var note = live.querySelector('[data-note="' + noteId + '"]');
      var list = zone.querySelector(".note-list");
      if (note && list) { list.appendChild(note); }
      post(live.dataset.moveUrl, [["note", noteId], ["cluster", cluster]]);
    }
  });
})();

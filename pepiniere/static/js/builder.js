// Call builder: reorder the questions by drag and drop. The "Monter" / "Descendre" buttons do the
// same without a mouse (and without JavaScript); this only adds the mouse gesture.
(function () {
  "use strict";
  var dragged = null;

  function list(el) { return el && el.closest("ol[data-reorder-url]"); }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("li[data-id][draggable]");
    if (!item || !list(item)) return;
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.id);
  });

  document.addEventListener("dragover", function (event) {
    if (!dragged) return;
    var over = event.target.closest && event.target.closest("li[data-id]");
    if (!over || over === dragged || list(over) !== list(dragged)) return;
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener("dragend", function () {
    if (!dragged) return;
    var item = dragged;
    dragged = null;
    item.classList.remove("dragging");
    save(list(item));
  });

  document.addEventListener("drop", function (event) { if (dragged) event.preventDefault(); });

  function save(ol) {
    if (!ol) return;
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    var body = new URLSearchParams();
    ol.querySelectorAll("li[data-id]").forEach(function (li) { body.append("order", li.dataset.id); });
    fetch(ol.dataset.reorderUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "HX-Request": "true" },
    }).then(function (response) {
      return response.text().then(function (text) { return { ok: response.ok, text: text }; });
    }).then(function (result) {
      var holder = document.getElementById("question-list");
      if (result.ok && holder) {
        holder.outerHTML = result.text;
        var fresh = document.getElementById("question-list");
        if (window.htmx && fresh) window.htmx.process(fresh);
        var status = document.getElementById("order-status");
        if (status) status.textContent = status.dataset.done || "Ordre enregistré.";
      } else {
        window.location.reload();
      }
    }).catch(function () { window.location.reload(); });
  }
})();

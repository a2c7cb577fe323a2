/* Pépinière: small progressive enhancements. Everything works without JavaScript; this adds
   autosave safety (a local copy until the server has it), word counters and repeatable rows. */
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : null;
  }

  // The CSRF token is read at each request: after logging in again in another tab Django rotates
  // it, and the page keeps working without a reload. Django reads the form's hidden field before
  // the header, so the field (sent along with the form) is refreshed too.
  function freshCsrfToken(form) {
    var token = cookie("csrftoken");
    if (token && form && form.querySelectorAll) {
      form.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (el) { el.value = token; });
    }
    return token;
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var token = freshCsrfToken(event.detail.elt);
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
      if (event.detail.verb !== "get" && event.detail.parameters) {
        event.detail.parameters["csrfmiddlewaretoken"] = token;
      }
    }
  });
  document.addEventListener("submit", function (event) { freshCsrfToken(event.target); }, true);

  // « Imprimer » buttons (no inline onclick: the Content-Security-Policy refuses inline code).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });

  function formValues(form) {
    var values = {};
    form.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (!el.name || el.type === "file" || el.type === "hidden" || el.type === "submit") { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        values[el.name + "::" + el.value] = el.checked;
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function applyValues(form, values) {
    Object.keys(values).forEach(function (key) {
      if (key.indexOf("::") > 0) {
        var parts = key.split("::");
        form.querySelectorAll('[name="' + parts[0] + '"]').forEach(function (el) {
          if (el.value === parts[1]) { el.checked = values[key]; }
        });
      } else {
        var el = form.querySelector('[name="' + key + '"]');
        if (el) { el.value = values[key]; }
      }
    });
  }

  // Local copies of drafts are keyed per person ("pepiniere-draft-<user>-<application>"): on a
  // shared computer nobody gets back what someone else typed, and logging out removes them all.
  var DRAFT_PREFIX = "pepiniere-draft-";
  var loggingOut = false;

  function forgetDrafts(exceptUser) {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var name = window.localStorage.key(i);
        if (name && name.indexOf(DRAFT_PREFIX) === 0 &&
            (exceptUser === undefined || name.indexOf(DRAFT_PREFIX + exceptUser + "-") !== 0)) {
          window.localStorage.removeItem(name);
        }
      }
    } catch (e) { /* storage unavailable: nothing kept */ }
  }
  // Logging out (a form marked data-clear-drafts) forgets every local copy. The server also
  // sends Clear-Site-Data: "storage" with the logout, for browsers where this script did not run.
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-clear-drafts")) {
      loggingOut = true;  // a save still on its way must not write a copy back
      forgetDrafts();
    }
  }, true);

  function setupAutosave(form) {
    var user = form.dataset.userId;
    // Copies left by another person on this browser (who never logged out) go away.
    forgetDrafts(user);
    var key = DRAFT_PREFIX + user + "-" + form.dataset.applicationId;
    var banner = document.getElementById("session-expired");

    // A copy from a previous visit that the server never received (session expired, network down):
    // put it back into the form and send it.
    try {
      var stored = JSON.parse(window.localStorage.getItem(key) || "null");
      // Only a copy typed over the draft the server still has: never over a newer one.
      if (stored && stored.dirty && String(stored.base) === form.dataset.revision) {
        applyValues(form, stored.values);
        var restored = document.getElementById("draft-restored");
        if (restored) { restored.hidden = false; }
        setTimeout(function () { htmx.trigger(form, "pepiniere:save"); }, 50);
      }
    } catch (e) { /* storage unavailable: the server copy is all we have */ }

    function keepLocal(dirty) {
      if (loggingOut) { return; }
      try {
        window.localStorage.setItem(key, JSON.stringify({
          dirty: dirty, base: form.dataset.revision, values: formValues(form), at: Date.now()
        }));
      } catch (e) { /* quota or private mode */ }
    }
    form.addEventListener("input", function () { keepLocal(true); });
    form.addEventListener("change", function () { keepLocal(true); });

    form.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.elt !== form) { return; }
      var xhr = event.detail.xhr;
      // Looked up each time: every successful save swaps in a new status element.
      var status = document.getElementById("autosave-status");
      if (xhr.status === 200) {
        var revision = xhr.getResponseHeader("X-Draft-Revision");
        if (revision) { form.dataset.revision = revision; }
        keepLocal(false);
        if (banner) { banner.hidden = true; }
      } else if (xhr.status === 401 || xhr.status === 403) {
        if (banner && banner.hidden) { banner.hidden = false; banner.focus(); }
        if (status) { status.textContent = status.dataset.localText; status.classList.add("error"); }
      } else {
        if (status) { status.textContent = status.dataset.offlineText; status.classList.add("error"); }
      }
    });
    // Try again every 20 s while the server has not got the latest text.
    setInterval(function () {
      try {
        var current = JSON.parse(window.localStorage.getItem(key) || "null");
        if (current && current.dirty) { htmx.trigger(form, "pepiniere:save"); }
      } catch (e) { /* ignore */ }
    }, 20000);
    var retry = document.getElementById("retry-save");
    if (retry) { retry.addEventListener("click", function () { htmx.trigger(form, "pepiniere:save"); }); }
  }

  function setupWordCounters(root) {
    root.querySelectorAll("textarea[data-word-limit]").forEach(function (area) {
      var counter = document.getElementById(area.id + "-count");
      if (!counter) { return; }
      var limit = parseInt(area.dataset.wordLimit, 10);
      function update() {
        var words = area.value.trim() ? area.value.trim().split(/\s+/).length : 0;
        counter.textContent = counter.dataset.template.replace("%(count)s", words).replace("%(limit)s", limit);
        counter.classList.toggle("over", words > limit);
      }
      area.addEventListener("input", update);
      update();
    });
  }

  function setupGroups(root) {
    root.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var table = document.getElementById(button.dataset.addRow);
        var body = table.querySelector("tbody");
        var template = table.querySelector("template");
        var index = parseInt(table.dataset.nextIndex, 10);
        var html = template.innerHTML.replace(/__index__/g, String(index)).replace(/__number__/g, String(index + 1));
        body.insertAdjacentHTML("beforeend", html);
        table.dataset.nextIndex = String(index + 1);
        var first = body.lastElementChild.querySelector("input, select");
        if (first) { first.focus(); }
      });
    });
  }

  // A second click while the first submission is on its way does nothing (the server is idempotent
  // anyway: this only spares a useless request).
  document.addEventListener("submit", function (event) {
    var button = event.target.querySelector("[data-once]");
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-autosave]");
    if (form) { setupAutosave(form); }
    setupWordCounters(document);
    setupGroups(document);
  });
})();

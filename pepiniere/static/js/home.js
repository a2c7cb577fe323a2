/* Finance home: envelope and committed amount per call (Chart.js, vendored). The same figures
   are in the table under the chart. Amounts arrive as decimal strings (euros). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("finance-chart-data");
  var canvas = document.getElementById("finance-chart");
  if (!window.Chart || !source || !canvas) { return; }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "fr";
  var euros = new Intl.NumberFormat(lang === "en" ? "en-GB" : "fr-FR",
    { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
  var names = data.names;
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: names[0], data: data.envelope.map(Number), backgroundColor: "#9cc3ad" },
        { label: names[1], data: data.committed.map(Number), backgroundColor: "#1d5e3a" }
      ]
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { ticks: { callback: function (value) { return euros.format(value); } } } },
      plugins: { tooltip: { callbacks: { label: function (item) {
        return item.dataset.label + (lang === "fr" ? " : " : ": ") + euros.format(item.parsed.x);
      } } } }
    }
  });
});

/* Multi-year finance page: committed and paid per year. Same figures in the table under it. */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("finance-years-data");
  var canvas = document.getElementById("finance-years-chart");
  if (!window.Chart || !source || !canvas) { return; }
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang || "fr";
  var euros = new Intl.NumberFormat(lang === "en" ? "en-GB" : "fr-FR",
    { style: "currency", currency: "EUR", maximumFractionDigits: 0 });
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.names[0], data: data.committed.map(Number), backgroundColor: "#1d5e3a" },
        { label: data.names[1], data: data.paid.map(Number), backgroundColor: "#a85a0c" }
      ]
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      scales: { y: { ticks: { callback: function (value) { return euros.format(value); } } } },
      plugins: { tooltip: { callbacks: { label: function (item) {
        return item.dataset.label + (lang === "fr" ? " : " : ": ") + euros.format(item.parsed.y);
      } } } }
    }
  });
});

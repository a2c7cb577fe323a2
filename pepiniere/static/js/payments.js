/* « Mes versements »: planned and paid amount per instalment (Chart.js, vendored). The same
   figures are in the table under the chart. Amounts arrive as decimal strings (euros). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var source = document.getElementById("payments-chart-data");
  var canvas = document.getElementById("payments-chart");
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
        { label: data.names[0], data: data.planned.map(Number), backgroundColor: "#9cc3ad" },
        { label: data.names[1], data: data.paid.map(Number), backgroundColor: "#1d5e3a" }
      ]
    },
    options: {
      animation: false,
      scales: { y: { ticks: { callback: function (value) { return euros.format(value); } } } },
      plugins: { tooltip: { callbacks: { label: function (item) {
        return item.dataset.label + (lang === "fr" ? " : " : ": ") + euros.format(item.parsed.y);
      } } } }
    }
  });
});

import { call, el, formatTime, report, requireToken, t } from "./api.js";

const SVG = "http://www.w3.org/2000/svg";
const SERIES = ["on_track", "at_risk", "breached"];
const BAR_HEIGHT = 22;
const LABEL_WIDTH = 120;
const CHART_WIDTH = 640;

async function load() {
  try {
    const summary = await call("/sla/summary?group_by=agency");
    showTable(summary.items);
    showChart(summary.items);
  } catch (problem) {
    report(problem);
    return;
  }
  try {
    const satisfaction = await call("/satisfaction?group_by=agency");
    showSatisfaction(satisfaction.items);
  } catch (problem) {
    // Only supervisors see the index; the other staff see the SLA alone.
    if (problem.status !== 403) report(problem);
  }
  try {
    const tasks = await call("/tasks?sort=deadline&per_page=100");
    showAttention(tasks.items.filter((task) => task.sla_status !== "on_track"));
  } catch (problem) {
    // A regent or agency head sees the queue; other roles only the summary.
    if (problem.status !== 403) report(problem);
  }
}

function showTable(items) {
  const body = document.getElementById("summary");
  if (!items.length) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 6 }, t("dashboard_none"))));
    return;
  }
  body.replaceChildren(...items.map((row) => el("tr", {},
    el("th", { scope: "row" }, row.key || "—"),
    ...[...SERIES, "completed_within", "completed_after"].map(
      (name) => el("td", { className: `num sla-${name}` }, String(row[name]))))));
}

function showSatisfaction(items) {
  const body = document.getElementById("ikm");
  if (!items.length) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 4 }, t("dashboard_none"))));
    return;
  }
  body.replaceChildren(...items.map((row) => el("tr", {},
    el("th", { scope: "row" }, row.key),
    el("td", { className: "num" }, String(row.respondents)),
    el("td", { className: "num ikm-index" }, row.index.toFixed(2)),
    el("td", { className: "ikm-grade" }, row.grade))));
}

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function showChart(items) {
  const largest = Math.max(1, ...items.map((row) => SERIES.reduce((sum, s) => sum + row[s], 0)));
  const scale = (CHART_WIDTH - LABEL_WIDTH - 40) / largest;
  const height = Math.max(1, items.length) * (BAR_HEIGHT + 6) + 10;
  const chart = svg("svg", {
    viewBox: `0 0 ${CHART_WIDTH} ${height}`, role: "img", "aria-label": t("dashboard_chart"),
  });
  items.forEach((row, index) => chart.append(chartRow(row, 5 + index * (BAR_HEIGHT + 6), scale)));
  const legend = el("p", { className: "legend" }, ...SERIES.map(
    (series) => el("span", { className: `key sla-${series}` }, t(`sla_${series}`))));
  const holder = document.getElementById("chart");
  holder.replaceChildren(chart, legend);
  // Each drawing is counted, so a reader can tell a redrawn chart from the old one.
  holder.dataset.drawn = String(Number(holder.dataset.drawn || 0) + 1);
}

/** One agency's bar; its counts are also data attributes, read by tests and tools. */
function chartRow(row, y, scale) {
  const group = svg("g", { class: "chart-row", "data-key": row.key || "" });
  group.append(svg("text", { x: 0, y: y + BAR_HEIGHT * 0.7, class: "label" }, row.key || "—"));
  let x = LABEL_WIDTH;
  for (const series of SERIES) {
    const width = row[series] * scale;
    const bar = svg("rect", {
      x, y, width, height: BAR_HEIGHT, class: `bar sla-${series}`,
      "data-series": series, "data-count": row[series],
    });
    bar.append(svg("title", {}, `${t(`sla_${series}`)}: ${row[series]}`));
    group.append(bar);
    x += width;
  }
  group.append(svg("text", { x: x + 4, y: y + BAR_HEIGHT * 0.7, class: "label" },
    String(SERIES.reduce((sum, s) => sum + row[s], 0))));
  return group;
}

function showAttention(tasks) {
  const list = document.getElementById("attention");
  if (!tasks.length) {
    list.replaceChildren(el("li", {}, t("dashboard_none")));
    return;
  }
  list.replaceChildren(...tasks.map((task) => el("li", { className: `sla-${task.sla_status}` },
    el("span", { className: "badge" }, t(`sla_${task.sla_status}`)),
    ` ${task.agency || "—"} · ${task.name} · ${task.tracking_number || "—"} · `,
    formatTime(task.deadline))));
}

document.getElementById("refresh").addEventListener("click", () => {
  if (requireToken()) load();
});
if (requireToken()) load();

import { call, el, formatTime, lineOf, report, requireToken, say, t } from "./api.js";
import { translateIndonesian } from "./modeler_id.js";

// bpmn-modeler.production.min.js, served from /console/vendor/, defines BpmnJS.
// In Indonesian its palette and menus speak Indonesian; in English, its own words.
const translation = document.documentElement.lang === "id"
  ? [{ translate: ["value", translateIndonesian] }]
  : [];
const modeler = new window.BpmnJS({ container: "#canvas", additionalModules: translation });
// Scripted checks (the browser tests, an analyst's devtools) edit the diagram
// through bpmn-js's own services, reached from this one handle.
window.terpaduModeler = modeler;

const canvas = modeler.get("canvas");
const overlays = modeler.get("overlays");
const registry = modeler.get("elementRegistry");
const modeling = modeler.get("modeling");
const picker = document.getElementById("diagram-picker");
const problemList = document.getElementById("deploy-errors");
const PROBLEM_MARKER = "validation-error";
let marked = [];

const EMPTY = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  id="definitions_new" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="new_process" isExecutable="true">
    <bpmn:startEvent id="start" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_new">
    <bpmndi:BPMNPlane id="plane_new" bpmnElement="new_process">
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;

// -- opening -------------------------------------------------------------------

async function open(xml) {
  clearProblems();
  try {
    await modeler.importXML(xml);
    canvas.zoom("fit-viewport");
  } catch (problem) {
    say(problem.message, "error");
  }
}

async function listDiagrams() {
  try {
    const answer = await call("/diagrams?per_page=100");
    picker.replaceChildren(el("option", { value: "" }, "—"), ...answer.items.map((item) =>
      el("option", { value: item.process_id, selected: item.process_id === picker.value },
        `${item.process_id} (v${item.latest_version})`)));
  } catch (problem) {
    report(problem);
  }
}

async function openDeployed(processId) {
  const versions = await showVersions(processId);
  await openVersion(processId, versions[0].version);
}

/** Load one deployed version into the canvas and mark its row. */
async function openVersion(processId, version) {
  const source = await call(`${versionsPath(processId)}/${version}`);
  await open(source.bpmn_xml);
  markOpen(version);
}

function markOpen(version) {
  for (const row of document.getElementById("versions").rows) {
    row.classList.toggle("open", row.dataset.version === String(version));
  }
}

const versionsPath = (processId) => `/diagrams/${encodeURIComponent(processId)}/versions`;

/** Fill the versions table of ``processId``; return the versions, newest first. */
async function showVersions(processId) {
  const answer = await call(`${versionsPath(processId)}?per_page=100`);
  document.getElementById("versions").replaceChildren(...answer.items.map(versionRow));
  return answer.items;
}

function versionRow(version) {
  const row = el("tr", {}, el("th", { scope: "row" }, `v${version.version}`),
    el("td", {}, formatTime(version.deployed_at)), el("td", {}, version.deployed_by),
    el("td", { className: "num running" }, String(version.running_instances)),
    el("td", { className: "num" }, String(version.instances)));
  row.dataset.version = version.version;
  row.dataset.running = version.running_instances;
  row.tabIndex = 0;
  const choose = () => openVersion(version.process_id, version.version).catch(report);
  row.addEventListener("click", choose);
  row.addEventListener("keydown", (event) => {
    if (event.key === "Enter") choose();
  });
  return row;
}

// -- checking and deploying ---------------------------------------------------------

async function upload(path) {
  const { xml } = await modeler.saveXML({ format: true });
  const form = new FormData();
  form.append("file", new Blob([xml], { type: "application/xml" }), "diagram.bpmn");
  return call(path, { method: "POST", data: form });
}

async function validate() {
  clearProblems();
  try {
    const answer = await upload("/diagrams/validate");
    if (answer.valid) {
      say(t("modeler_valid"));
    } else {
      showProblems(answer.problems);
      say(`${t("modeler_refused")}: ${t("modeler_problems")}`, "error");
    }
  } catch (problem) {
    report(problem);
  }
}

async function deploy() {
  clearProblems();
  try {
    const answer = await upload("/diagrams");
    say(`${t("modeler_deployed")}: ` + answer.processes
      .map((p) => `${p.process_id} v${p.version}`).join(", "));
    const [first] = answer.processes;
    picker.value = first.process_id;
    await Promise.all([listDiagrams(), showVersions(first.process_id)]);
    markOpen(first.version); // the canvas holds what was just deployed
  } catch (problem) {
    showProblems(problem.errors || []);
    report({ status: problem.status, message: `${t("modeler_refused")}: ${problem.message}` });
  }
}

/** Mark each problem on its element (outline and a badge) and list them all. */
function showProblems(problems) {
  for (const problem of problems) {
    const element = problem.element_id && registry.get(problem.element_id);
    if (!element) continue;
    canvas.addMarker(element, PROBLEM_MARKER);
    overlays.add(element, "validation", {
      position: { top: -12, left: -12 },
      html: el("span", { className: "problem-badge", title: problem.message }, "!"),
    });
    marked.push(element.id);
  }
  problemList.replaceChildren(...problems.map((problem) => {
    const where = [problem.element_id, lineOf(problem)]
      .filter(Boolean).join(" · ");
    const item = el("li", {}, where ? `${where}: ${problem.message}` : problem.message);
    if (problem.element_id) item.dataset.elementId = problem.element_id;
    return item;
  }));
}

function clearProblems() {
  overlays.remove({ type: "validation" });
  for (const id of marked) {
    if (registry.get(id)) canvas.removeMarker(id, PROBLEM_MARKER);
  }
  marked = [];
  problemList.replaceChildren();
}

// -- the selected element's name and condition ------------------------------------------

const form = document.getElementById("element-form");
let selected = null;

function showSelected(element) {
  selected = element;
  document.getElementById("element-none").hidden = Boolean(element);
  document.getElementById("element-fields").hidden = !element;
  if (!element) return;

  const business = element.businessObject;
  const isFlow = element.type === "bpmn:SequenceFlow";
  document.getElementById("element-id").textContent = `${element.type} · ${element.id}`;
  form.elements["element-name"].value = business.name || "";
  document.getElementById("condition-field").hidden = !isFlow;
  form.elements["element-condition"].value = business.conditionExpression?.body || "";
}

function applySelected(event) {
  event.preventDefault();
  if (!selected) return;

  modeling.updateLabel(selected, form.elements["element-name"].value.trim() || undefined);
  if (selected.type !== "bpmn:SequenceFlow") return;
  const text = form.elements["element-condition"].value.trim();
  const expression = text
    ? modeler.get("moddle").create("bpmn:FormalExpression", { body: text })
    : undefined;
  modeling.updateProperties(selected, { conditionExpression: expression });
}

// A problem in the list selects its element, so the analyst can fix it at once.
problemList.addEventListener("click", (event) => {
  const element = registry.get(event.target.closest("li")?.dataset.elementId);
  if (element) modeler.get("selection").select(element);
});
modeler.on("selection.changed", ({ newSelection }) =>
  showSelected(newSelection.length === 1 ? newSelection[0] : null));
form.addEventListener("submit", applySelected);

// -- wiring --------------------------------------------------------------------------

picker.addEventListener("change", async () => {
  if (!picker.value) return;
  try {
    await openDeployed(picker.value);
  } catch (problem) {
    report(problem);
  }
});

document.getElementById("diagram-file").addEventListener("change", async (event) => {
  const [file] = event.target.files;
  if (file) await open(await file.text());
});
document.getElementById("validate").addEventListener("click", validate);
document.getElementById("deploy").addEventListener("click", deploy);

open(EMPTY);
if (requireToken()) listDiagrams();

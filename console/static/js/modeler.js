import { call, el, report, requireToken, say, t } from "./api.js";

// bpmn-modeler.production.min.js, served from /console/vendor/, defines BpmnJS.
const modeler = new window.BpmnJS({ container: "#canvas" });
const picker = document.getElementById("diagram-picker");
const errors = document.getElementById("deploy-errors");
const consolePath = document.body.dataset.console;

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

async function open(xml) {
  errors.replaceChildren();
  try {
    await modeler.importXML(xml);
    modeler.get("canvas").zoom("fit-viewport");
  } catch (problem) {
    say(problem.message, "error");
  }
}

async function listDiagrams() {
  try {
    const answer = await call(`${consolePath}diagrams`);
    picker.append(...answer.items.map((item) =>
      el("option", { value: item.process_id }, `${item.process_id} (v${item.version})`)));
  } catch (problem) {
    report(problem);
  }
}

picker.addEventListener("change", async () => {
  if (!picker.value) return;
  try {
    await open(await call(`${consolePath}diagrams/${encodeURIComponent(picker.value)}`, { text: true }));
  } catch (problem) {
    report(problem);
  }
});

document.getElementById("diagram-file").addEventListener("change", async (event) => {
  const [file] = event.target.files;
  if (file) await open(await file.text());
});

document.getElementById("deploy").addEventListener("click", async () => {
  errors.replaceChildren();
  const { xml } = await modeler.saveXML({ format: true });
  const upload = new FormData();
  upload.append("file", new Blob([xml], { type: "application/xml" }), "diagram.bpmn");
  try {
    const answer = await call("/diagrams", { method: "POST", data: upload });
    say(`${t("modeler_deployed")}: ` + answer.processes
      .map((p) => `${p.process_id} v${p.version}`).join(", "));
  } catch (problem) {
    report({ ...problem, message: `${t("modeler_refused")}: ${problem.message}`,
      status: problem.status, errors: problem.errors }, errors);
  }
});

open(EMPTY);
if (requireToken()) listDiagrams();

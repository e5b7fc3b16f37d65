// bpmn-js in Indonesian: its English texts (bpmn-js 18.6.2) and their translations.
//
// The keys are the exact templates bpmn-js passes to its translate service: the
// palette, the context pad, the replace menu, the search box and the modeling
// hints. A text missing here shows in English, so a bpmn-js upgrade that renames
// one leaves it English until the table follows; test_modeler_translations.py
// notices.
//
// BPMN words follow the habits of Indonesian analysts: "gateway", "pool" and
// "timer" stay English; an event is a "peristiwa", a lane a "lajur";
// "conditional" is "bersyarat" for flows and events alike; catching and throwing
// events are marked "(tangkap)" and "(lempar)".

export const INDONESIAN = Object.freeze({
  // The palette
  "Activate hand tool": "Aktifkan alat tangan",
  "Activate lasso tool": "Aktifkan alat laso",
  "Activate create/remove space tool": "Aktifkan alat tambah/hapus ruang",
  "Activate global connect tool": "Aktifkan alat sambung global",
  "Create start event": "Buat peristiwa awal",
  "Create intermediate/boundary event": "Buat peristiwa antara/batas",
  "Create end event": "Buat peristiwa akhir",
  "Create gateway": "Buat gateway",
  "Create task": "Buat tugas",
  "Create data object reference": "Buat referensi objek data",
  "Create data store reference": "Buat referensi penyimpanan data",
  "Create expanded sub-process": "Buat sub-proses diperluas",
  "Create pool/participant": "Buat pool/partisipan",
  "Create group": "Buat grup",

  // The context pad
  "Delete": "Hapus",
  "Change element": "Ubah elemen",
  "Add lane above": "Tambahkan lajur di atas",
  "Add lane below": "Tambahkan lajur di bawah",
  "Divide into two lanes": "Bagi menjadi dua lajur",
  "Divide into three lanes": "Bagi menjadi tiga lajur",
  "Append task": "Tambahkan tugas",
  "Append gateway": "Tambahkan gateway",
  "Append end event": "Tambahkan peristiwa akhir",
  "Append intermediate/boundary event": "Tambahkan peristiwa antara/batas",
  "Append receive task": "Tambahkan tugas terima",
  "Append message intermediate catch event": "Tambahkan peristiwa antara pesan (tangkap)",
  "Append timer intermediate catch event": "Tambahkan peristiwa antara timer (tangkap)",
  "Append conditional intermediate catch event":
    "Tambahkan peristiwa antara bersyarat (tangkap)",
  "Append signal intermediate catch event": "Tambahkan peristiwa antara sinyal (tangkap)",
  "Append compensation activity": "Tambahkan aktivitas kompensasi",
  "Add text annotation": "Tambahkan anotasi teks",
  "Connect to other element": "Hubungkan ke elemen lain",
  "Connect using association": "Hubungkan dengan asosiasi",
  "Connect using data input association": "Hubungkan dengan asosiasi masukan data",
  "Align elements": "Ratakan elemen",
  "Align elements left": "Ratakan elemen ke kiri",
  "Align elements center": "Ratakan elemen ke tengah secara horizontal",
  "Align elements right": "Ratakan elemen ke kanan",
  "Align elements top": "Ratakan elemen ke atas",
  "Align elements middle": "Ratakan elemen ke tengah secara vertikal",
  "Align elements bottom": "Ratakan elemen ke bawah",
  "Distribute elements horizontally": "Sebarkan elemen merata secara horizontal",
  "Distribute elements vertically": "Sebarkan elemen merata secara vertikal",

  // The replace menu's header: loop and multi-instance markers
  "Parallel multi-instance": "Multi-instans paralel",
  "Sequential multi-instance": "Multi-instans berurutan",
  "Loop": "Perulangan",
  "Collection": "Koleksi",
  "Participant multiplicity": "Multiplisitas partisipan",
  "Toggle non-interrupting": "Aktifkan/nonaktifkan tanpa interupsi",

  // The replace menu: tasks and sub-processes
  "Task": "Tugas",
  "User task": "Tugas pengguna",
  "Service task": "Tugas layanan",
  "Send task": "Tugas kirim",
  "Receive task": "Tugas terima",
  "Manual task": "Tugas manual",
  "Business rule task": "Tugas aturan bisnis",
  "Script task": "Tugas skrip",
  "Call activity": "Aktivitas pemanggilan",
  "Sub-process": "Sub-proses",
  "Sub-process (collapsed)": "Sub-proses (diciutkan)",
  "Sub-process (expanded)": "Sub-proses (diperluas)",
  "Event sub-process": "Sub-proses peristiwa",
  "Ad-hoc sub-process": "Sub-proses ad-hoc",
  "Ad-hoc sub-process (collapsed)": "Sub-proses ad-hoc (diciutkan)",
  "Ad-hoc sub-process (expanded)": "Sub-proses ad-hoc (diperluas)",
  "Transaction": "Transaksi",

  // The replace menu: gateways
  "Exclusive gateway": "Gateway eksklusif",
  "Parallel gateway": "Gateway paralel",
  "Inclusive gateway": "Gateway inklusif",
  "Complex gateway": "Gateway kompleks",
  "Event-based gateway": "Gateway berbasis peristiwa",

  // The replace menu: start events
  "Start event": "Peristiwa awal",
  "Message start event": "Peristiwa awal pesan",
  "Timer start event": "Peristiwa awal timer",
  "Conditional start event": "Peristiwa awal bersyarat",
  "Signal start event": "Peristiwa awal sinyal",
  "Error start event": "Peristiwa awal kesalahan",
  "Escalation start event": "Peristiwa awal eskalasi",
  "Compensation start event": "Peristiwa awal kompensasi",
  "Message start event (non-interrupting)": "Peristiwa awal pesan (tanpa interupsi)",
  "Timer start event (non-interrupting)": "Peristiwa awal timer (tanpa interupsi)",
  "Conditional start event (non-interrupting)":
    "Peristiwa awal bersyarat (tanpa interupsi)",
  "Signal start event (non-interrupting)": "Peristiwa awal sinyal (tanpa interupsi)",
  "Escalation start event (non-interrupting)":
    "Peristiwa awal eskalasi (tanpa interupsi)",

  // The replace menu: intermediate events
  "Intermediate throw event": "Peristiwa antara (lempar)",
  "Message intermediate catch event": "Peristiwa antara pesan (tangkap)",
  "Message intermediate throw event": "Peristiwa antara pesan (lempar)",
  "Timer intermediate catch event": "Peristiwa antara timer (tangkap)",
  "Conditional intermediate catch event": "Peristiwa antara bersyarat (tangkap)",
  "Signal intermediate catch event": "Peristiwa antara sinyal (tangkap)",
  "Signal intermediate throw event": "Peristiwa antara sinyal (lempar)",
  "Escalation intermediate throw event": "Peristiwa antara eskalasi (lempar)",
  "Compensation intermediate throw event": "Peristiwa antara kompensasi (lempar)",
  "Link intermediate catch event": "Peristiwa antara tautan (tangkap)",
  "Link intermediate throw event": "Peristiwa antara tautan (lempar)",

  // The replace menu: boundary events
  "Message boundary event": "Peristiwa batas pesan",
  "Timer boundary event": "Peristiwa batas timer",
  "Conditional boundary event": "Peristiwa batas bersyarat",
  "Signal boundary event": "Peristiwa batas sinyal",
  "Error boundary event": "Peristiwa batas kesalahan",
  "Escalation boundary event": "Peristiwa batas eskalasi",
  "Cancel boundary event": "Peristiwa batas pembatalan",
  "Compensation boundary event": "Peristiwa batas kompensasi",
  "Message boundary event (non-interrupting)": "Peristiwa batas pesan (tanpa interupsi)",
  "Timer boundary event (non-interrupting)": "Peristiwa batas timer (tanpa interupsi)",
  "Conditional boundary event (non-interrupting)":
    "Peristiwa batas bersyarat (tanpa interupsi)",
  "Signal boundary event (non-interrupting)": "Peristiwa batas sinyal (tanpa interupsi)",
  "Escalation boundary event (non-interrupting)":
    "Peristiwa batas eskalasi (tanpa interupsi)",

  // The replace menu: end events
  "End event": "Peristiwa akhir",
  "Message end event": "Peristiwa akhir pesan",
  "Signal end event": "Peristiwa akhir sinyal",
  "Error end event": "Peristiwa akhir kesalahan",
  "Escalation end event": "Peristiwa akhir eskalasi",
  "Cancel end event": "Peristiwa akhir pembatalan",
  "Compensation end event": "Peristiwa akhir kompensasi",
  "Terminate end event": "Peristiwa akhir terminasi",

  // The replace menu: flows, data and pools
  "Sequence flow": "Alur urutan",
  "Default flow": "Alur bawaan",
  "Conditional flow": "Alur bersyarat",
  "Data store reference": "Referensi penyimpanan data",
  "Data object reference": "Referensi objek data",
  "Expanded pool/participant": "Pool/partisipan diperluas",
  "Empty pool/participant": "Pool/partisipan kosong",
  "Empty pool/participant (removes content)": "Pool/partisipan kosong (isinya dihapus)",

  // Search, drilling down into a collapsed sub-process, modeling hints
  "Search in diagram": "Cari di diagram",
  "Open {element}": "Buka {element}",
  "flow elements must be children of pools/participants":
    "elemen alur harus berada di dalam pool/partisipan",
  "Data object must be placed within a pool/participant.":
    "Objek data harus ditempatkan di dalam pool/partisipan.",
});

/**
 * Translate a bpmn-js template, filling its {name} placeholders from replacements.
 *
 * A template missing from the table is filled in English.
 */
export function translateIndonesian(template, replacements = {}) {
  const text = Object.hasOwn(INDONESIAN, template) ? INDONESIAN[template] : template;
  return text.replace(/{([^}]+)}/g, (_, name) => replacements[name] ?? `{${name}}`);
}

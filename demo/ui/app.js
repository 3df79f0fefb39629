const $ = (id) => document.getElementById(id);
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onopen = () => { $('ws').textContent = 'open'; };
ws.onclose = () => { $('ws').textContent = 'closed'; };
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.tick !== undefined) $('tick').textContent = m.tick;
  if (m.note !== undefined) loadNotes();
};
new EventSource('/events').onmessage = (e) => { $('sse').textContent = e.data; };

async function loadNotes() {
  const notes = await (await fetch('/api/notes')).json();
  $('notes').replaceChildren(...notes.map((n) => Object.assign(document.createElement('li'), { textContent: n.text })));
}
$('note').onsubmit = async (e) => {
  e.preventDefault();
  await fetch('/api/notes', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: $('text').value }) });
  $('text').value = '';
};
$('up').onsubmit = async (e) => {
  e.preventDefault();
  const f = $('file').files[0];
  if (!f) return;
  const r = await (await fetch('/upload/' + encodeURIComponent(f.name), { method: 'POST', body: f })).json();
  const a = Object.assign(document.createElement('a'), { href: '/download/' + encodeURIComponent(f.name), textContent: `${f.name} (${r.bytes} bytes, sha256 ${r.sha256.slice(0, 12)}…)` });
  $('files').append(Object.assign(document.createElement('li'), {}), a);
};
loadNotes();

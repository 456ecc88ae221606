// Live chat: new messages appear as they come (Server-Sent Events, resumed from the last
// message shown after a dropped connection), and a message is sent without a reload.
// Without JavaScript (or EventSource) the page works through its form and a reload.
(function () {
  'use strict';
  var list = document.getElementById('messages');
  if (!list || !window.EventSource || !window.JSON || list.getAttribute('data-paged')) return;
  var chat = list.getAttribute('data-chat');
  var me = list.getAttribute('data-me');
  var last = parseInt(list.getAttribute('data-last'), 10) || 0;
  // Every message shown, by its place: a message that comes twice (from the stream and
  // as the answer to one's own post) is shown once, and each goes in its place.
  var seen = {};
  var items = list.getElementsByTagName('li');
  for (var i = 0; i < items.length; i++) seen[items[i].id.slice(1)] = true;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function add(m) {
    if (seen[m.seq]) return;
    seen[m.seq] = true;
    var empty = document.getElementById('empty');
    if (empty) empty.parentNode.removeChild(empty);
    var li = document.createElement('li');
    li.id = 'm' + m.seq;
    li.className = 'message' + (m.author_id === me ? ' own' : '');
    var who = document.createElement('span');
    who.className = 'who';
    who.textContent = m.author;
    var at = document.createElement('span');
    at.className = 'muted';
    var d = new Date(m.at);
    at.textContent = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    var text = document.createElement('div');
    text.className = 'text';
    text.textContent = m.text; // text, never markup
    li.appendChild(who);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(at);
    li.appendChild(text);
    var next = null;
    for (var j = items.length - 1; j >= 0; j--) {
      if (parseInt(items[j].id.slice(1), 10) > m.seq) next = items[j]; else break;
    }
    list.insertBefore(li, next);
    li.scrollIntoView(false);
  }
  // The browser resumes with Last-Event-ID itself; the first connection starts after
  // the last message the page shows.
  var source = new EventSource('/api/v1/chats/' + chat + '/events?after=' + last);
  source.addEventListener('message', function (e) {
    try { add(JSON.parse(e.data)); } catch (err) { /* a broken event is skipped */ }
  });
  var form = document.getElementById('send');
  if (!form || !window.XMLHttpRequest) return;
  var sending = false;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (sending) return;
    var box = document.getElementById('text');
    var csrf = form.querySelector('input[name=_csrf]').value;
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/chats/' + chat + '/messages');
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    sending = true;
    xhr.onload = function () {
      sending = false;
      if (xhr.status === 201) {
        add(JSON.parse(xhr.responseText));
        box.value = '';
      } else if (xhr.status === 422 || xhr.status === 429) {
        // Refused, nothing written: the server's page says why, with the text kept.
        form.submit();
      } else {
        // Whether it was written is unknown: reload rather than send it twice.
        window.location.reload();
      }
    };
    xhr.onerror = function () {
      // No answer (the connection dropped): the text stays; the list shows whether it
      // arrived once the stream is back.
      sending = false;
      var note = document.getElementById('send-note');
      if (note) note.textContent = form.getAttribute('data-offline');
    };
    xhr.send(JSON.stringify({ text: box.value }));
  });
})();

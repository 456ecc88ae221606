// Live chat: new messages appear as they come (Server-Sent Events, resumed from the last
// message shown after a dropped connection), and a message is sent without a reload.
// Without JavaScript (or EventSource) the page works through its form and a reload.
(function () {
  'use strict';
  var list = document.getElementById('messages');
  if (!list || !window.EventSource || !window.JSON || list.getAttribute('data-paged')) return;
  var chat = list.getAttribute('data-chat');
  var last = parseInt(list.getAttribute('data-last'), 10) || 0;
  var me = document.querySelector('.message.own .who');
  var myName = me ? me.textContent : null;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function add(m) {
    if (m.seq <= last) return;
    last = m.seq;
    var empty = document.getElementById('empty');
    if (empty) empty.parentNode.removeChild(empty);
    var li = document.createElement('li');
    li.id = 'm' + m.seq;
    li.className = 'message' + (m.author === myName || li.getAttribute('data-own') ? ' own' : '');
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
    list.appendChild(li);
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
  form.addEventListener('submit', function (e) {
    var box = document.getElementById('text');
    var csrf = form.querySelector('input[name=_csrf]').value;
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/chats/' + chat + '/messages');
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.onload = function () {
      if (xhr.status === 201) {
        var m = JSON.parse(xhr.responseText);
        myName = m.author;
        add(m);
        box.value = '';
      } else {
        form.submit(); // the server's page says why, with the text kept
      }
    };
    xhr.onerror = function () { form.submit(); };
    xhr.send(JSON.stringify({ text: box.value }));
    e.preventDefault();
  });
})();

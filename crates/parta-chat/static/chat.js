// Live chat: new messages appear as they come and a message is sent without a reload.
// Messages come by a WebSocket (resumed from the last message shown after a dropped
// connection); where a proxy or an old browser does not pass sockets, by Server-Sent
// Events; without either (or without JavaScript) the page works through its forms.
(function () {
  'use strict';
  var list = document.getElementById('messages');
  if (!list || !window.JSON || list.getAttribute('data-paged')) return;
  var chat = list.getAttribute('data-chat');
  var me = list.getAttribute('data-me');
  var csrf = list.getAttribute('data-csrf');
  var last = parseInt(list.getAttribute('data-last'), 10) || 0;
  // A channel's page shows its posts; a thread its post and the replies to it.
  var channel = list.getAttribute('data-channel');
  var thread = parseInt(list.getAttribute('data-thread'), 10) || 0;
  function here(m) {
    if (thread) return m.seq === thread || m.reply_to === thread;
    return !(channel && m.reply_to);
  }
  // Every message shown, by its place: a message that comes twice (from the stream and
  // as the answer to one's own post) is shown once, and each goes in its place.
  var seen = {};
  var items = list.getElementsByTagName('li');
  for (var i = 0; i < items.length; i++) seen[items[i].id.slice(1)] = true;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text; // text, never markup
    return e;
  }
  function ackForm(seq) {
    var f = el('form', 'inline');
    f.method = 'post';
    f.action = '/chats/' + chat + '/ack/' + seq;
    var h = el('input');
    h.type = 'hidden'; h.name = '_csrf'; h.value = csrf;
    var b = el('button', '', list.getAttribute('data-confirm'));
    b.type = 'submit';
    f.appendChild(h); f.appendChild(b);
    return f;
  }
  function hidden(f) {
    var h = el('input');
    h.type = 'hidden'; h.name = '_csrf'; h.value = csrf;
    f.appendChild(h);
  }
  function pct(n, of) { return of > 0 ? Math.floor(n * 100 / of) : 0; }
  // A poll that came live: its options to choose from (the page's form, posted as is).
  function pollForm(m) {
    var p = m.poll;
    var f = el('form', 'poll');
    f.method = 'post';
    f.action = '/chats/' + chat + '/vote/' + m.seq;
    hidden(f);
    var ul = el('ul', 'plain');
    for (var i = 0; i < p.options.length; i++) {
      var li = el('li');
      var label = el('label', 'check');
      var input = el('input');
      input.type = p.multiple ? 'checkbox' : 'radio';
      input.name = 'option'; input.value = String(i);
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + p.options[i].text));
      li.appendChild(label);
      var tally = el('span', 'tally');
      var v = el('span', 'muted small votes', p.options[i].votes + ' · ' + pct(p.options[i].votes, p.voters) + ' %');
      v.setAttribute('data-option', String(i));
      tally.appendChild(v);
      li.appendChild(tally);
      ul.appendChild(li);
    }
    f.appendChild(ul);
    var b = el('button', '', list.getAttribute('data-vote'));
    b.type = 'submit';
    f.appendChild(b);
    return f;
  }
  // New counts of a poll's options and of its voters.
  function pollCounts(li, p) {
    var spans = li.getElementsByTagName('span');
    for (var i = 0; i < spans.length; i++) {
      var o = spans[i].getAttribute('data-option');
      if (o !== null && p.options[o]) {
        spans[i].textContent = p.options[o].votes + ' · ' + pct(p.options[o].votes, p.voters) + ' %';
      } else if (spans[i].className === 'voters') spans[i].textContent = String(p.voters);
    }
    var bars = li.getElementsByTagName('progress');
    for (var j = 0; j < bars.length && j < p.options.length; j++) {
      bars[j].max = Math.max(1, p.voters);
      bars[j].value = p.options[j].votes;
    }
  }
  // The reactions under a message, with the reader's own kept marked.
  function reactionsOf(li, m) {
    var forms = li.getElementsByTagName('form');
    var form = null;
    for (var i = 0; i < forms.length; i++) {
      if (forms[i].className === 'reactions') form = forms[i];
    }
    var mine = {};
    if (form) {
      var bs = form.getElementsByTagName('button');
      for (var k = 0; k < bs.length; k++) {
        if (bs[k].className.indexOf('mine') >= 0) mine[bs[k].value.split(':')[0]] = true;
      }
      form.parentNode.removeChild(form);
    }
    var rs = m.reactions || [];
    if (!rs.length || m.deleted) return;
    form = el('form', 'reactions');
    form.method = 'post';
    form.action = '/chats/' + chat + '/react/' + m.seq;
    hidden(form);
    for (var r = 0; r < rs.length; r++) {
      var own = mine[rs[r].reaction];
      var b = el('button', 'reaction' + (own ? ' mine' : ''), rs[r].emoji + ' ' + rs[r].count);
      b.type = 'submit'; b.name = 'reaction';
      b.value = rs[r].reaction + (own ? ':off' : ':on');
      form.appendChild(b);
    }
    // In the page's order: after the text, files and poll; before the confirmations and
    // the message's actions.
    var after = null;
    for (var c = li.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1 && (c.tagName === 'P' || c.tagName === 'DETAILS' ||
          (c.tagName === 'FORM' && c.action.indexOf('/ack/') >= 0))) { after = c; break; }
    }
    li.insertBefore(form, after);
  }
  // Photos (their previews) and documents of a message that came live.
  function filesOf(m) {
    var box = el('div', 'files');
    for (var i = 0; i < m.files.length; i++) {
      var f = m.files[i];
      var url = '/api/v1/chats/' + chat + '/files/' + f.id;
      var a = el('a', f.preview ? 'picture' : 'document', f.preview ? '' : '📄 ' + f.name);
      a.href = url;
      if (f.preview && f.width && f.height) {
        var scale = Math.min(1, 320 / Math.max(f.width, f.height));
        var img = el('img');
        img.src = url + '?preview=1';
        img.alt = f.name;
        img.width = Math.max(1, Math.round(f.width * scale));
        img.height = Math.max(1, Math.round(f.height * scale));
        a.appendChild(img);
      } else {
        a.setAttribute('download', '');
      }
      box.appendChild(a);
    }
    return box;
  }
  // What the page offers under a message, for one that came live: reactions, and to edit
  // or delete one's own or to report someone else's.
  var REACTIONS = [['like', '👍'], ['heart', '❤️'], ['laugh', '😂'], ['wow', '😮'], ['sad', '😢'], ['thanks', '🙏']];
  function postForm(action, label, cls) {
    var f = el('form', 'inline');
    f.method = 'post';
    f.action = action;
    hidden(f);
    var b = el('button', cls || 'link', label);
    b.type = 'submit';
    f.appendChild(b);
    return f;
  }
  function actionsOf(m) {
    var d = el('details', 'actions small');
    d.appendChild(el('summary', '', list.getAttribute('data-actions')));
    if (list.getAttribute('data-can-react')) {
      var r = el('form', 'reactions pick');
      r.method = 'post';
      r.action = '/chats/' + chat + '/react/' + m.seq;
      hidden(r);
      r.appendChild(el('span', 'muted', list.getAttribute('data-react') + ': '));
      for (var i = 0; i < REACTIONS.length; i++) {
        var b = el('button', 'reaction', REACTIONS[i][1]);
        b.type = 'submit'; b.name = 'reaction'; b.value = REACTIONS[i][0] + ':on';
        r.appendChild(b);
      }
      d.appendChild(r);
    }
    if (m.author_id === me) {
      if (list.getAttribute('data-can-post')) {
        var e = el('a', '', list.getAttribute('data-edit'));
        e.href = '/chats/' + chat + '/edit/' + m.seq;
        d.appendChild(e);
      }
      d.appendChild(postForm('/chats/' + chat + '/delete/' + m.seq, list.getAttribute('data-delete')));
    } else {
      var c = el('a', '', list.getAttribute('data-complain'));
      c.href = '/chats/' + chat + '/complain/' + m.seq;
      d.appendChild(c);
    }
    return d;
  }
  // A channel's post: its views and a link to its comments; a comment that comes on the
  // posts' page counts under its post.
  function figures(m) {
    var p = el('p', 'small muted figures', list.getAttribute('data-views') + ': 0 · ');
    var a = el('a', null, list.getAttribute('data-comments') + ': 0');
    a.href = '/chats/' + chat + '?thread=' + m.seq;
    p.appendChild(a);
    return p;
  }
  function counted(m) {
    var post = document.getElementById('m' + m.reply_to);
    var links = post ? post.getElementsByTagName('a') : [];
    for (var k = 0; k < links.length; k++) {
      if (links[k].href.indexOf('?thread=' + m.reply_to) < 0) continue;
      var n = (parseInt(links[k].textContent.replace(/^\D+/, ''), 10) || 0) + 1;
      links[k].textContent = list.getAttribute('data-comments') + ': ' + n;
    }
  }
  function add(m) {
    if (m.seq > last) last = m.seq;
    if (channel && !thread && m.reply_to && !seen[m.seq]) { seen[m.seq] = true; counted(m); }
    if (seen[m.seq] || !here(m)) return;
    seen[m.seq] = true;
    var empty = document.getElementById('empty');
    if (empty) empty.parentNode.removeChild(empty);
    var li = el('li', 'message' + (m.author_id === me ? ' own' : '') + (m.urgent ? ' urgent' : ''));
    li.id = 'm' + m.seq;
    var d = new Date(m.at);
    li.appendChild(el('span', 'who', m.author));
    li.appendChild(document.createTextNode(' '));
    li.appendChild(el('span', 'muted', pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes())));
    if (m.urgent) {
      li.appendChild(document.createTextNode(' '));
      li.appendChild(el('span', 'tag', list.getAttribute('data-urgent')));
    }
    li.appendChild(el('div', 'text', m.text));
    if (m.files && m.files.length) li.appendChild(filesOf(m));
    if (m.poll) li.appendChild(pollForm(m));
    if (m.urgent && m.author_id !== me) li.appendChild(ackForm(m.seq));
    if (channel && !m.reply_to) li.appendChild(figures(m));
    if (!m.deleted) li.appendChild(actionsOf(m));
    var next = null;
    for (var j = items.length - 1; j >= 0; j--) {
      if (parseInt(items[j].id.slice(1), 10) > m.seq) next = items[j]; else break;
    }
    list.insertBefore(li, next);
    li.scrollIntoView(false);
    markRead();
  }
  // An edited or deleted message: its text changes in place.
  function update(m) {
    var li = document.getElementById('m' + m.seq);
    if (!li) return;
    var divs = li.getElementsByTagName('div');
    for (var k = 0; k < divs.length; k++) {
      if (divs[k].className.indexOf('text') < 0) continue;
      if (m.deleted) {
        divs[k].className = 'text muted';
        divs[k].textContent = list.getAttribute('data-deleted');
      } else {
        divs[k].textContent = m.text;
      }
    }
    if (m.poll) pollCounts(li, m.poll);
    if (m.deleted) {
      var fs = li.getElementsByTagName('form');
      for (var q = fs.length - 1; q >= 0; q--) {
        if (fs[q].className.indexOf('poll') === 0) fs[q].parentNode.removeChild(fs[q]);
      }
      var ds = li.getElementsByTagName('div');
      for (var r = ds.length - 1; r >= 0; r--) {
        if (ds[r].className === 'files') ds[r].parentNode.removeChild(ds[r]);
      }
    }
    reactionsOf(li, m);
  }
  var typingNote = document.getElementById('typing');
  var typingTimer = null;
  function typing(f) {
    if (!typingNote || f.person_id === me) return;
    typingNote.textContent = f.name + ' ' + list.getAttribute('data-typing');
    if (typingTimer) clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { typingNote.textContent = ''; }, 4000);
  }
  function frame(f) {
    if (f.type === 'message') { if (typingNote) typingNote.textContent = ''; add(f); }
    else if (f.type === 'update') update(f);
    else if (f.type === 'typing') typing(f);
    // The chat can no longer be followed (left the class, signed out): the page says why.
    else if (f.type === 'ended') window.location.reload();
  }

  // A broadcast: who watches now, every half a minute.
  var viewers = document.getElementById('viewers');
  if (viewers && window.XMLHttpRequest) {
    setInterval(function () {
      var q = new XMLHttpRequest();
      q.open('GET', '/api/v1/broadcasts/' + chat);
      q.onload = function () {
        if (q.status === 200) {
          try { viewers.textContent = JSON.parse(q.responseText).viewers; } catch (err) { /* kept */ }
        }
      };
      q.send();
    }, 30000);
  }

  var sock = null;
  // Read marks for what came live, at most one a second.
  var readTimer = null;
  function markRead() {
    // A thread's page leaves the mark where it is (the posts between may be unseen).
    if (readTimer || !sock || thread) return;
    readTimer = setTimeout(function () {
      readTimer = null;
      if (sock && sock.readyState === 1) sock.send(JSON.stringify({ op: 'read', chat: chat, seq: last }));
    }, 1000);
  }

  function sse() {
    if (!window.EventSource) return;
    // The browser resumes with Last-Event-ID itself; the first connection starts after
    // the last message shown.
    var source = new EventSource('/api/v1/chats/' + chat + '/events?after=' + last);
    function on(e) { try { frame(JSON.parse(e.data)); } catch (err) { /* skipped */ } }
    source.addEventListener('message', on);
    source.addEventListener('typing', on);
  }

  var failures = 0;
  function connect() {
    var ws;
    try {
      ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1/chats/socket');
    } catch (e) { return sse(); }
    var opened = false;
    ws.onopen = function () {
      opened = true;
      failures = 0;
      ws.send(JSON.stringify({ op: 'subscribe', chat: chat, after: last }));
    };
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      if (f.type === 'subscribed') sock = ws;
      // Following refused (a place the chat has not reached): the event stream instead.
      else if (f.type === 'error' && !f.ref && !sock) { ws.onclose = null; ws.close(); sse(); }
      else frame(f);
    };
    ws.onclose = function (e) {
      sock = null;
      if (e.code === 4401) { window.location.reload(); return; }
      failures++;
      // A socket that never opens: a proxy that does not pass it — the event stream.
      if (!opened && failures >= 2) return sse();
      setTimeout(connect, Math.min(30000, 1000 * failures) + Math.random() * 1000);
    };
  }
  if (window.WebSocket) connect(); else sse();

  var form = document.getElementById('send');
  if (!form || !window.XMLHttpRequest) return;
  var box = document.getElementById('text');
  var lastTyping = 0;
  box.addEventListener('input', function () {
    var now = new Date().getTime();
    if (sock && sock.readyState === 1 && now - lastTyping > 3000) {
      lastTyping = now;
      sock.send(JSON.stringify({ op: 'typing', chat: chat }));
    }
  });
  var sending = false;
  form.addEventListener('submit', function (e) {
    var urgent = document.getElementById('urgent');
    // An urgent announcement goes through the form: the page shows the confirmations.
    if (urgent && urgent.checked) return;
    // So does a poll (its options are checked on the page, kept when refused).
    var options = document.getElementById('options');
    if (options && /\S/.test(options.value)) return;
    // And a message to send later (the page lists it).
    var later = document.getElementById('send_at');
    if (later && later.value) return;
    e.preventDefault();
    if (sending) return;
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
    xhr.send(JSON.stringify(thread ? { text: box.value, reply_to: thread } : { text: box.value }));
  });
})();
